"""SQL dump scanner: table-driven, every case at several tiny read-block sizes."""
from __future__ import annotations

import io
import re

import pytest

from tidb_lightning.errors import DataSyntaxError
from tidb_lightning.parse.sql import SQLDumpParser

BLOCKS = (1, 2, 3, 7, 64, 65536)


def batches(data: bytes, block: int = 65536, max_batch: int = 1 << 20, backslash: bool = True):
    p = SQLDumpParser(io.BytesIO(data), "f.sql", block_size=block, max_batch_bytes=max_batch,
                      backslash_escapes=backslash)
    # whitespace between row tuples depends on where buffers ended: not significant
    return [(b.columns, re.sub(rb"\)\s*,\s*\(", b"),(", b.values)) for b in p.batches()]


CASES = [
    ("plain", b"INSERT INTO `t` VALUES (1,'a'),(2,'b');", [(None, b"(1,'a'),(2,'b')")]),
    ("column list lower-case keyword",
     b"insert into t (a, `b`) values (1,2);", [(("a", "b"), b"(1,2)")]),
    ("replace, no INTO, qualified name",
     b"REPLACE `db`.`t` VALUES (1);", [(None, b"(1)")]),
    ("insert without into", b"insert t values (1);", [(None, b"(1)")]),
    ("insert ignore", b"INSERT IGNORE INTO t VALUES (1);", [(None, b"(1)")]),
    ("empty column list and row", b"INSERT INTO t () VALUES ();", [((), b"()")]),
    ("comments and SET/USE/LOCK skipped",
     b"/*!40101 SET NAMES binary*/;\n-- comment\n# hash comment\nSET @a='x;y';\nUSE `d`;\n"
     b"LOCK TABLES `t` WRITE;\n/* block\n comment */INSERT INTO t VALUES (1);\nUNLOCK TABLES;\n",
     [(None, b"(1)")]),
    ("strings with separators, parens, escapes, doubled quotes",
     b"INSERT INTO t VALUES ('a;b),(c','it''s','\\'\\\\','\"');",
     [(None, b"(\'a;b),(c\',\'it\'\'s\',\'\\\'\\\\\',\'\"\')")]),
    ("double-quoted string with backslash quote",
     b'INSERT INTO t VALUES ("x\\"y");', [(None, b'("x\\"y")')]),
    ("hex, bit, introducers, NULL, numbers",
     b"INSERT INTO t VALUES (0xFF,x'00',b'101',_binary'\\0',_utf8mb4'x',NULL,-1.5e3);",
     [(None, b"(0xFF,x'00',b'101',_binary'\\0',_utf8mb4'x',NULL,-1.5e3)")]),
    ("nested function call (mydumper JSON)",
     b"INSERT INTO t VALUES (CONVERT('{\"a\":1}' USING UTF8MB4));",
     [(None, b"(CONVERT('{\"a\":1}' USING UTF8MB4))")]),
    ("CRLF and statements over many lines",
     b"INSERT INTO t VALUES\r\n(1,\r\n'a'),\r\n(2,'b')\r\n;\r\n", [(None, b"(1,\r\n'a'),(2,'b')")]),
    ("consecutive statements with one header merge",
     b"INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n", [(None, b"(1),(2)")]),
    ("different column lists do not merge",
     b"INSERT INTO t (a) VALUES (1);\nINSERT INTO t (b) VALUES (2);\n",
     [(("a",), b"(1)"), (("b",), b"(2)")]),
    ("raw newline and NUL inside a string",
     b"INSERT INTO t VALUES ('a\nb\x00c');", [(None, b"('a\nb\x00c')")]),
    ("empty file", b"", []),
    ("only comments", b"/*!40101 SET NAMES binary*/;\n-- x\n", []),
]


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("name,data,expected", CASES, ids=[c[0] for c in CASES])
def test_cases(name, data, expected, block):
    assert batches(data, block) == expected


def test_no_backslash_escapes_mode():
    data = b"INSERT INTO t VALUES ('a\\','b');"
    assert batches(data, backslash=False) == [(None, b"('a\\','b')")]
    with pytest.raises(DataSyntaxError):
        batches(data, backslash=True)


@pytest.mark.parametrize("block", BLOCKS)
def test_batches_split_at_max_size_and_cover_every_row(block):
    rows = [b"(%d,'%s')" % (i, b"x" * (i % 17)) for i in range(300)]
    data = b"INSERT INTO t VALUES " + b",\n".join(rows[:150]) + b";\nINSERT INTO t VALUES " + \
        b",".join(rows[150:]) + b";\n"
    got = batches(data, block, max_batch=200)
    assert all(len(v) <= 200 for _, v in got)
    assert b",".join(v for _, v in got) == b",".join(rows)


def test_row_larger_than_batch_is_sent_alone():
    big = b"('" + b"y" * 5000 + b"')"
    got = batches(b"INSERT INTO t VALUES (1)," + big + b",(2);", 16, max_batch=100)
    assert [v for _, v in got] == [b"(1)", big, b"(2)"]


def test_offsets():
    data = b"SET x=1;\nINSERT INTO t VALUES (1),(2);\n"
    p = SQLDumpParser(io.BytesIO(data), "f.sql")
    (b,) = list(p.batches())
    assert data[b.start_offset:b.start_offset + 3] == b"(1)"
    assert b.end_offset == data.index(b";\n", 10) + 1


ERRORS = [
    ("unterminated string", b"INSERT INTO t VALUES (1,'abc);\n", 24, "unterminated string"),
    ("truncated statement", b"INSERT INTO t VALUES (1,2)", 26, "not terminated by ';'"),
    ("truncated row", b"INSERT INTO t VALUES (1,2),(3", 27, "not closed by ')'"),
    ("missing comma", b"INSERT INTO t VALUES (1,2) (3,4);", 27, "expected ',' or ';'"),
    ("unsupported statement", b"DROP TABLE x;", 0, "expected an INSERT or REPLACE"),
    ("dangling comma", b"INSERT INTO t VALUES (1,2),", 27, "expected a row of values"),
    ("garbage row", b"INSERT INTO t VALUES 1,2;", 21, "expected '('"),
]


@pytest.mark.parametrize("block", (1, 5, 65536))
@pytest.mark.parametrize("name,data,offset,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_name_file_and_offset(name, data, offset, message, block):
    with pytest.raises(DataSyntaxError) as exc:
        batches(data, block)
    assert exc.value.offset == offset
    assert message in str(exc.value)
    assert "f.sql" in str(exc.value)


def test_bounded_memory_on_unterminated_string():
    data = b"INSERT INTO t VALUES ('" + b"z" * 200_000
    p = SQLDumpParser(io.BytesIO(data), "f.sql", block_size=1024, max_batch_bytes=1024,
                      max_row_size=10_000)
    with pytest.raises(DataSyntaxError, match="larger than"):
        list(p.batches())


@pytest.mark.parametrize("block", BLOCKS)
def test_resume_from_every_batch_end_gives_the_remaining_rows(block):
    """Restarting at any batch's end_offset (as a checkpoint does) yields exactly the rows
    after it: none lost, none repeated."""
    from tidb_lightning.parse.sql import NOT_RESUMING
    rows = [b"(%d,'%s')" % (i, b"v;)" * (i % 5)) for i in range(60)]
    data = (b"/*!40101 SET NAMES binary*/;\nINSERT INTO t (a,b) VALUES " + b",\n".join(rows[:25]) +
            b";\nINSERT INTO t VALUES " + b",".join(rows[25:]) + b";\n-- end\n")
    full = list(SQLDumpParser(io.BytesIO(data), "f", block_size=block, max_batch_bytes=64).batches())
    assert b",".join(b.values for b in full).replace(b"\n", b"") == b",".join(rows)
    for i, b in enumerate(full):
        stream = io.BytesIO(data)
        stream.seek(b.end_offset)
        resume = b.columns if b.mid_statement else NOT_RESUMING
        rest = list(SQLDumpParser(stream, "f", start=b.end_offset, block_size=block, max_batch_bytes=64,
                                  resume_columns=resume).batches())
        assert per_row(rest) == per_row(full[i + 1:])


def per_row(batches) -> list[tuple]:
    """(columns, row text) for every row of every batch: independent of batch boundaries."""
    return [(b.columns, m.group()) for b in batches for m in re.finditer(rb"\(\d+,'[^']*'\)", b.values)]


@pytest.mark.parametrize("block", (1, 7, 65536))
def test_every_row_maps_back_to_its_file_offset(block):
    from tidb_lightning.parse.sql import split_rows
    data = (b"INSERT INTO t VALUES (1,'a'),\n (2,'b;');\n-- x\nINSERT INTO t VALUES (3,'c'),(4,'d');\n")
    for b in SQLDumpParser(io.BytesIO(data), "f", block_size=block).batches():
        spans = split_rows(b.values)
        assert len(spans) == 4
        for start, end in spans:
            at = b.file_offset(start)
            assert data[at:at + end - start] == b.values[start:end]

"""Source-side checksum: the fast path (regex + C-level passes) gives exactly the slow path's
row hashes, for both quoting styles; escapes are undone exactly; DOUBLE/FLOAT text rules."""
from __future__ import annotations

import random
import re
import struct
import zlib

import pytest

from tidb_lightning.checksum.forms import float_text
from tidb_lightning.checksum.hasher import Digest, TableHasher, unescape_all
from tidb_lightning.checksum.literal import Unverifiable, decode, unescape
from tidb_lightning.restore.target import Column, TargetTable

COLS = (Column("id", False, "int", "int(11)", False), Column("s", False, "varchar", "varchar(20)"),
        Column("d", False, "decimal", "decimal(10,2)", True, 2), Column("w", False, "double", "double"),
        Column("b", False, "varbinary", "varbinary(8)"), Column("e", False, "enum", "enum('a','b''c')"),
        Column("t", False, "datetime", "datetime(3)", True, 3), Column("c", False, "char", "char(4)"))
TABLE = TargetTable("db", "t", COLS)
ESCAPES = {0: b"\\0", 10: b"\\n", 13: b"\\r", 92: b"\\\\", 39: b"\\'", 34: b'\\"', 26: b"\\Z"}


def sql_string(raw: bytes, quote: bytes = b"'") -> bytes:
    return quote + b"".join(ESCAPES.get(c, bytes([c])) for c in raw) + quote


def random_row(rnd: random.Random, i: int, quote: bytes) -> bytes:
    """Mostly canonical literals (what dumpers write), now and then another spelling."""
    def maybe(v):
        return b"NULL" if rnd.random() < 0.1 else v

    def pick(canonical, odd):
        return rnd.choice(odd) if rnd.random() < 0.01 else rnd.choice(canonical)
    raw = bytes(rnd.choice(b"ab'\"\\\n\r\x00\x1a ,()jq") for _ in range(rnd.randrange(0, 9)))
    blob = rnd.randbytes(rnd.randrange(0, 6))
    w = rnd.choice([rnd.random(), rnd.random() * 1e-6, float(rnd.randrange(100)), -0.0, 1e300, 0.1])
    q = quote.decode()
    vals = [str(i).encode(), maybe(sql_string(raw, quote)),
            maybe(pick([b"1.50", b"12.30", b"0.01", b"-7.25"], [b"-0.00", b"'4.5'", b"12.3"])),
            maybe(repr(w).encode()), maybe(rnd.choice([b"0x" + blob.hex().encode(), sql_string(blob, quote)])),
            maybe(pick([f"{q}a{q}".encode()], [f"{q}A{q}".encode(), f"{q}b\\'c{q}".encode()])),
            maybe(pick([f"{q}2020-01-02 03:04:05.123{q}".encode(), f"{q}0000-00-00 00:00:00.000{q}".encode()],
                       [f"{q}2020-01-02 03:04:05.1239{q}".encode()])),
            maybe(pick([f"{q}ab{q}".encode(), f"{q}{q}".encode()], [f"{q}ab {q}".encode()]))]
    return b"(" + b",".join(vals) + b")"


@pytest.mark.parametrize("quote", [b"'", b'"'])
def test_fast_path_equals_slow_path(quote):
    rnd = random.Random(7)
    hasher = TableHasher(TABLE, "MariaDB")
    fast_batches = 0
    for n in range(300):
        rows = [random_row(rnd, i, quote) for i in range(rnd.randrange(1, 12))]
        values = rnd.choice([b",\n", b",", b", "]).join(rows)
        plan = hasher._plan(None)
        slow = hasher._slow(plan, values)
        fast = hasher._fast(plan, values)
        if fast is not None:
            fast_batches += 1
            assert fast == slow, values
        assert hasher.crcs(None, values) == slow
    assert fast_batches > 30  # the fast path is exercised, not just skipped


def test_unescape_all_matches_the_literal_decoder():
    rnd = random.Random(3)
    segs = [bytes(rnd.choice(b"\\jq0nrZ'\"ab\n") for _ in range(rnd.randrange(0, 12))) for _ in range(2000)]
    escaped = [b"".join(ESCAPES.get(c, bytes([c])) for c in s) for s in segs]
    assert unescape_all(escaped) == segs
    assert [unescape(e, b"'", True) for e in escaped] == segs


def test_literal_decoding():
    assert decode(b"'it''s \\n'").data == b"it's \n"
    assert decode(b'"a\\"b""c"').data == b'a"b"c'
    assert decode(b"_binary 'x' 'y'").data == b"xy"
    assert decode(b"0x0aFF").data == b"\n\xff" and decode(b"X'41'").data == b"A"
    assert decode(b"b'101'").data == b"\x05"
    assert decode(b"NULL").kind == "null" and decode(b"true").data == b"1"
    with pytest.raises(Unverifiable, match="not a plain literal"):
        decode(b"NOW()")


def test_float_text_follows_the_servers_notation():
    assert float_text(1e15) == b"1e15" and float_text(1e14) == b"100000000000000"
    assert float_text(1234567890123456.8) == b"1234567890123456.8"  # 17 digits: still fixed
    assert float_text(1e-14) == b"0.00000000000001" and float_text(1.5e-15) == b"1.5e-15"
    assert float_text(-0.0) == b"0" and float_text(2.5e-300) == b"2.5e-300"
    assert float_text(1.23456789, single=True) == b"1.23457"
    assert float_text(struct.unpack("f", struct.pack("f", 3.4e38))[0], single=True) == b"3.4e38"


def test_digest_is_order_independent_and_catches_a_duplicate():
    a, b = Digest.of([1, 2, 3]), Digest.of([3, 1, 2])
    assert a == b
    assert Digest.of([1, 2, 3, 3]) != a and Digest.of([1, 2, 3, 3]).xor == Digest.of([1, 2]).xor ^ 0
    assert Digest.of([1]) + Digest.of([2, 3]) == a


def test_a_table_of_an_uncovered_type_says_so():
    t = TargetTable("db", "g", (Column("p", False, "geometry", "geometry"),))
    with pytest.raises(Unverifiable, match="GEOMETRY"):
        TableHasher(t, "MariaDB").crcs(None, b"(NULL)")


@pytest.mark.parametrize("quote", [b"'", b'"'])
def test_runs_validated_by_the_parser_hash_like_the_slow_path(quote):
    """The SQL parser matches runs of rows in their written form (short DOUBLEs and escaped
    BLOB strings included) in its own pass; the hasher then only undoes escapes."""
    import io

    from tidb_lightning.parse.sql import SQLDumpParser
    rnd = random.Random(11)
    # an ENUM member holding a quote is escaped in dumps: such a table gets no runs
    assert TableHasher(TABLE, "MariaDB").fast_patterns(None) == []
    cols = tuple(Column("e", False, "enum", "enum('a','b')") if c.name == "e" else c for c in COLS)
    hasher = TableHasher(TargetTable("db", "t", cols), "MariaDB")
    q = quote.decode()
    rows = []
    for i in range(400):
        raw = bytes(rnd.choice(b"ab'\"\\\n\r\x00\x1a ,()jq") for _ in range(rnd.randrange(0, 9)))
        rows.append(b"(%d,%s,%d.%02d,%s,%s,%s,%s,%s)" % (
            i, sql_string(raw, quote), i, i % 100, rnd.choice([b"0.5", b"-12.25", b"NULL", b"3"]),
            sql_string(rnd.randbytes(3), quote), f"{q}a{q}".encode(),
            f"{q}2020-01-02 03:04:05.123{q}".encode(), f"{q}ab{q}".encode()))
    text = b"INSERT INTO `t` VALUES\n" + b",\n".join(rows[:250]) + b";\nINSERT INTO `t` VALUES\n" \
        + b",\n".join(rows[250:]) + b";\n"
    batches = list(SQLDumpParser(io.BytesIO(text), "f", max_batch_bytes=2048, fast=hasher.fast_patterns).batches())
    assert len(batches) > 5 and all(b.style == (1 if quote == b'"' else 0) for b in batches)
    plan = hasher._plan(None)
    for b in batches:
        assert hasher.crcs(None, b.values, b.style) == hasher._slow(plan, b.values)
    # one odd spelling in the middle: that batch is hashed the long way, the same way
    odd = text.replace(b"(7,", b"(7 ,", 1)
    batches = list(SQLDumpParser(io.BytesIO(odd), "f", max_batch_bytes=2048, fast=hasher.fast_patterns).batches())
    assert any(b.style is None for b in batches)
    assert sum((hasher.crcs(None, b.values, b.style) for b in batches), []) == \
        sum((hasher._slow(plan, b.values) for b in batches), [])


def _runs_table():
    cols = (Column("id", False, "int", "int(11)", False), Column("s", False, "varchar", "varchar(20)"),
            Column("d", False, "decimal", "decimal(10,2)", True, 2), Column("w", False, "double", "double"),
            Column("f", False, "float", "float"), Column("b", False, "varbinary", "varbinary(8)"),
            Column("e", False, "enum", "enum('a','ab','b')"), Column("t", False, "datetime", "datetime(3)", True, 3),
            Column("dd", False, "date", "date"), Column("tm", False, "time", "time", True, 0),
            Column("y", False, "year", "year"), Column("c", False, "char", "char(4)"),
            Column("i0", False, "decimal", "decimal(5,0)", True, 0))
    return TargetTable("db", "r", cols)


def _random_run(rnd: random.Random, quote: bytes, n: int) -> bytes:
    """Rows of mostly canonical values, now and then one the fast forms must refuse."""
    q = quote.decode()

    def pick(good, odd):
        return (rnd.choice(odd) if rnd.random() < 0.02 else rnd.choice(good)).encode()
    rows = []
    for i in range(n):
        raw = bytes(rnd.choice(b"ab'\"\\\n\r\x00\x1a ,()jq") for _ in range(rnd.randrange(0, 6)))
        vals = [pick(["0", "-5", "17", str(i)], ["-0", "05"]), sql_string(raw, quote),
                pick(["1.50", "0.01", "NULL", "-12.34"], ["-0.00", "1.5", "1.500"]),
                pick(["0.5", "123456789012345", "NULL", "0.00000000000001"],
                     ["1234567890123456", "-0", "1.0", "0.000000000000001", "1e5"]),
                pick(["1.5", "123456", "NULL"], ["1234567", "0.10"]),
                rnd.choice([sql_string(rnd.randbytes(3), quote), b"NULL"]) if rnd.random() > 0.02 else b"0x00ff",
                pick([f"{q}a{q}", f"{q}ab{q}", f"{q}b{q}", "NULL"], [f"{q}abc{q}", f"{q}A{q}"]),
                pick([f"{q}2020-01-02 03:04:05.123{q}", "NULL"], [f"{q}2020-01-02 03:04:05{q}"]),
                pick([f"{q}2020-01-02{q}"], [f"{q}2020-1-02{q}"]),
                pick([f"{q}-838:59:59{q}", f"{q}12:00:00{q}"], [f"{q}-00:00:00{q}", f"{q}1:00:00{q}"]),
                pick(["2020", "1999", "NULL"], ["1800", "0"]),
                pick([f"{q}ab{q}", f"{q}{q}"], [f"{q}ab {q}"]),
                pick(["5", "0", "12345"], ["-0", "5.0"])]
        rows.append(b"(" + b",".join(vals) + b")")
    return b",\n".join(rows)


@pytest.mark.skipif(__import__("tidb_lightning.checksum.hasher", fromlist=["_core"])._core is None,
                    reason="the compiled core is not built")
@pytest.mark.parametrize("quote", [b"'", b'"'])
def test_the_compiled_core_gives_the_same_answers_as_its_python_twins(quote):
    from tidb_lightning import _core
    from tidb_lightning.checksum.hasher import _regex_end
    rnd = random.Random(5)
    hasher = TableHasher(_runs_table(), "MariaDB")
    plan = hasher._plan(None)
    assert plan.spec is not None and len(plan.runs) == 2
    swapped = quote == b'"'
    pattern = plan.runs[1 if swapped else 0]
    agreed_runs = 0
    for _ in range(3000):
        text = _random_run(rnd, quote, rnd.randrange(1, 6))
        if rnd.random() < 0.5:  # a random byte changed, inserted or deleted
            i = rnd.randrange(len(text))
            text = rnd.choice([text[:i] + bytes([rnd.randrange(256)]) + text[i + 1:],
                               text[:i] + bytes([rnd.choice(b",()'\"\\.-0\n")]) + text[i:], text[:i] + text[i + 1:]])
        for pos, limit in ((0, len(text)), (0, rnd.randrange(len(text) + 1)), (1, len(text))):
            want = _regex_end(pattern, text, pos, limit)
            assert _core.run_end(text, pos, limit, plan.spec, swapped) == want, (text, pos, limit)
            agreed_runs += want > 0
        end = _regex_end(pattern, text, 0, len(text))
        if end > 0:  # the rows a run took: converted and hashed in C as the Python converters do
            run = text[:end]
            fast = hasher._fast(plan, run)
            assert fast is not None and _core.crc_canon(run, plan.spec, swapped) == fast
            try:  # a mutation may make a value the server refuses ('-838:59:79'): no slow answer
                assert hasher._slow(plan, run) == fast
            except Unverifiable:
                pass
            plain = b",\n".join(re.sub(rb"(?<=[(,])(?:0x[0-9a-f]+|-?[0-9.]+(?:e-?[0-9]+)?)(?=[,)])", b"NULL", r)
                                for r in run.split(b",\n"))  # no value to convert: crc_list's job
            twin = list(map(zlib.crc32, unescape_all(
                (plain.translate(bytes.maketrans(b"'\"", b"\"'")) if swapped else plain).split(b",\n"), swapped)))
            assert _core.crc_list(plain, swapped) == twin
    assert agreed_runs > 500

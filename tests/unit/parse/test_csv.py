"""Tests for tidb_lightning.parse.csv (upstream `mydump/csv_parser.go` semantics).

Every table-driven case runs at several tiny block sizes so that tokens straddle read
buffers.  A byte-at-a-time reference parser (`oracle_parse`, a direct port of upstream's
`readRecord`/`unescapeString`) is used for differential tests on random inputs,
dialects, block sizes and chunk boundaries.
"""
from __future__ import annotations

import io
import pathlib
import random

import pytest

from tidb_lightning.errors import DataSyntaxError
from tidb_lightning.parse.csv import BOM, CSVDialect, CSVParser, RowBlock

DATA = pathlib.Path(__file__).parent / "data"
BLOCK_SIZES = (1, 2, 3, 7, 64, 65536)

UNTERMINATED = "unterminated quoted field"
NO_SEP = "cannot have consecutive fields without separator"
BACKSLASH = "no character after backslash"


def too_large(n: int) -> str:
    return f"row is larger than max-row-size ({n} bytes); is a quote unterminated?"


DEFAULT = CSVDialect(header=False)
HEADER = CSVDialect()
NOESC = CSVDialect(header=False, escape=b"")
TSV = CSVDialect(header=False, separator=b"\t", delimiter=b"", null=(b"NULL",), escape=b"")
TPCH = CSVDialect(header=False, separator=b"|", delimiter=b"", terminator=b"|\n", not_null=True)
MULTI = CSVDialect(header=False, separator=b"|+|", delimiter=b"", terminator=b"|\n")
MULTIQ = CSVDialect(header=False, separator=b"|+|", delimiter=b'"', terminator=b"|\n")
DQ2 = CSVDialect(header=False, delimiter=b"''")
SQUOTE = CSVDialect(header=False, delimiter=b"'", escape=b"")
TRIM = CSVDialect(header=False, trim_last_separator=True)
NOTNULL = CSVDialect(header=False, not_null=True)
NULLS = CSVDialect(header=False, null=(b"\\N", b"NULL", b""))
EMPTYNULL = CSVDialect(header=False, null=(b"",))
HASHESC = CSVDialect(header=False, escape=b"#")
SEMI = CSVDialect(header=False, separator=b";;", terminator=b";", delimiter=b"")
LF = CSVDialect(header=False, terminator=b"\n")


# --------------------------------------------------------------------------- helpers
class CountingStream(io.RawIOBase):
    """A read-only stream that records how many bytes were handed out."""

    def __init__(self, data: bytes | None = None, *, infinite: bytes | None = None,
                 prefix: bytes = b"") -> None:
        self._data = data or b""
        self._infinite = infinite
        self._prefix = prefix
        self._pos = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self._infinite is not None:
            out = (self._prefix + self._infinite * (n // len(self._infinite) + 1))[:n]
            self._prefix = b""
        else:
            out = self._data[self._pos:self._pos + n]
            self._pos += len(out)
        self.read_bytes += len(out)
        return out


def run(data: bytes, dialect: CSVDialect = DEFAULT, *, block_size: int = 65536, start: int = 0,
        end: int | None = None, skip_header: bool | None = None, max_rows: int = 1024,
        max_bytes: int = 1 << 20, max_row_size: int = 256 << 20):
    stream = io.BytesIO(data)
    stream.seek(start)
    parser = CSVParser(stream, dialect, "t.csv", start=start, end=end, block_size=block_size,
                       max_row_size=max_row_size, skip_header=skip_header)
    blocks = list(parser.blocks(max_rows, max_bytes))
    return parser, blocks


def rows(data: bytes, dialect: CSVDialect = DEFAULT, **kw) -> list:
    return [r for b in run(data, dialect, **kw)[1] for r in b.rows]


def offsets(data: bytes, dialect: CSVDialect = DEFAULT, **kw) -> list[int]:
    return [o for b in run(data, dialect, **kw)[1] for o in b.offsets]


def parse_all(data: bytes, dialect: CSVDialect, block_size: int, *, start: int = 0,
              end: int | None = None, skip_header: bool | None = None):
    """(columns, [(offset, row)], error) collecting rows one block per row until an error."""
    stream = io.BytesIO(data)
    stream.seek(start)
    parser = CSVParser(stream, dialect, "t.csv", start=start, end=end, block_size=block_size,
                       skip_header=skip_header)
    out, err = [], None
    try:
        for b in parser.blocks(max_rows=1):
            assert len(b.rows) == 1
            out.append((b.offsets[0], b.rows[0]))
    except DataSyntaxError as e:
        err = (e.offset, e.message)
    return parser.columns, out, err


# --------------------------------------------------------------------------- the reference
_GO_SPACE = " \t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def is_blank(raw: bytes) -> bool:
    """bytes.TrimSpace(raw) is empty (Go's unicode.IsSpace; invalid UTF-8 is not space)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c in _GO_SPACE for c in text)
_SPECIAL = {b"0": b"\0", b"b": b"\b", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a"}


def oracle_unescape(raw: bytes, esc: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        c = raw[i:i + 1]
        if c == esc and i + 1 < len(raw):
            x = raw[i + 1:i + 2]
            out += _SPECIAL.get(x, x)
            i += 2
        else:
            out += c
            i += 1
    return bytes(out)


def oracle_value(raw: bytes, d: CSVDialect):
    esc = d.escape
    flavor = bool(esc) and not d.not_null and esc + b"N" in d.null
    if flavor and raw == esc + b"N":
        return None
    v = oracle_unescape(raw, esc) if esc else raw
    if d.not_null or (flavor and v == esc + b"N"):
        return v
    return None if v in d.null else v


def oracle_records(data: bytes, d: CSVDialect, start: int = 0):
    """Byte-at-a-time port of upstream `readRecord`: ([(start, [raw fields])], error).

    Deliberate differences from upstream, shared with the implementation under test:
    a whitespace-only line is skipped even when EOF ends it (upstream returns it, or an
    empty record after it, as a row); row offsets are where the row's first byte is."""
    sep, delim, term, esc = d.separator, d.delimiter, d.terminator, d.escape
    n = len(data)
    pos = start + (len(BOM) if start == 0 and data.startswith(BOM) else 0)
    records = []

    def newline(p: int) -> int:
        if term:
            return len(term) if data.startswith(term, p) else 0
        return 1 if data[p:p + 1] in (b"\r", b"\n") else 0

    while True:
        rstart, fields, cur, quoted = pos, [], bytearray(), False
        prev, empty, ws = "newline", True, True
        while True:
            if pos >= n:
                if empty or (ws and is_blank(bytes(cur))):
                    return records, None
                fields.append(bytes(cur))
                records.append((rstart, fields))
                return records, None
            k = newline(pos)
            if k:
                pos += k
                if empty or (ws and is_blank(bytes(cur))):
                    rstart, cur, empty, ws, prev = pos, bytearray(), True, True, "newline"
                    continue
                fields.append(bytes(cur))
                records.append((rstart, fields))
                break
            if data.startswith(sep, pos):
                pos += len(sep)
                fields.append(bytes(cur))
                cur, quoted, prev, empty, ws = bytearray(), False, "comma", False, False
                continue
            if delim and data.startswith(delim, pos):
                if prev not in ("comma", "newline"):
                    return records, (pos, NO_SEP)
                qstart = pos
                pos += len(delim)
                while True:
                    if pos >= n:
                        return records, (qstart, UNTERMINATED)
                    if data.startswith(delim, pos):
                        pos += len(delim)
                        if data.startswith(delim, pos):
                            cur += delim
                            pos += len(delim)
                            continue
                        break
                    if esc and data[pos:pos + 1] == esc:
                        if pos + 1 >= n:
                            return records, (pos, BACKSLASH)
                        cur += data[pos:pos + 2]
                        pos += 2
                        continue
                    cur += data[pos:pos + 1]
                    pos += 1
                quoted, prev, empty, ws = True, "delim", False, False
                continue
            if esc and data[pos:pos + 1] == esc:
                if pos + 1 >= n:
                    return records, (pos, BACKSLASH)
                if prev == "delim":
                    return records, (pos, NO_SEP)
                cur += data[pos:pos + 2]
                pos += 2
                prev, empty = "any", False
                continue
            if prev == "delim":
                return records, (pos, NO_SEP)
            cur += data[pos:pos + 1]
            pos += 1
            prev, empty = "any", False


def oracle_parse(data: bytes, d: CSVDialect, header: bool):
    """(columns, [(offset, values)], error) as the implementation should give them."""
    records, err = oracle_records(data, d)
    columns = None
    if header:
        if not records:
            return None, [], err
        _, raw = records.pop(0)
        if d.trim_last_separator and len(raw) > 1 and not raw[-1]:
            raw = raw[:-1]
        columns = []
        for f in raw:
            flavor = d.escape and not d.not_null and d.escape + b"N" in d.null and f == d.escape + b"N"
            name = f if (flavor or not d.escape) else oracle_unescape(f, d.escape)
            columns.append(name.decode("utf-8", errors="replace").lower())
    out = []
    for off, raw in records:
        if d.trim_last_separator and raw and not raw[-1]:
            raw = raw[:-1]
        out.append((off, [oracle_value(f, d) for f in raw]))
    return columns, out, err


# --------------------------------------------------------------------------- table: rows
CASES = [
    # id, dialect, input, expected rows
    ("simple", DEFAULT, b"a,b,c\n1,2,3\n", [[b"a", b"b", b"c"], [b"1", b"2", b"3"]]),
    ("no final newline", DEFAULT, b"a,b\n1,2", [[b"a", b"b"], [b"1", b"2"]]),
    ("crlf", DEFAULT, b"a,b\r\n1,2\r\n", [[b"a", b"b"], [b"1", b"2"]]),
    ("cr", DEFAULT, b"a,b\r1,2\r", [[b"a", b"b"], [b"1", b"2"]]),
    ("empty input", DEFAULT, b"", []),
    ("only newlines", DEFAULT, b"\n\r\n\n\r", []),
    ("blank lines skipped", DEFAULT, b"\n\na\n\n\nb\n\n", [[b"a"], [b"b"]]),
    ("whitespace lines skipped", DEFAULT, b"  \n\t\na\n \t \r\n\x0b\x0c\n", [[b"a"]]),
    ("whitespace line at EOF skipped", DEFAULT, b"a\n   ", [[b"a"]]),
    ("unicode whitespace lines skipped", DEFAULT,
     "\u3000\n\xa0 \u2028\na\n\u205f".encode() + b"\n\xc2\n\xe3\x80\n",
     [[b"a"], [b"\xc2"], [b"\xe3\x80"]]),
    ("unicode whitespace 1 column runs", DEFAULT, b"a\nb\n\xc2\xa0\nc\n", [[b"a"], [b"b"], [b"c"]]),
    ("whitespace line before EOF skipped", DEFAULT, b"a\n   \n", [[b"a"]]),
    ("whitespace with separator is a row", DEFAULT, b" , \n", [[b" ", b" "]]),
    ("blank between wide rows", DEFAULT, b"a,b\n\n  \nc,d\n", [[b"a", b"b"], [b"c", b"d"]]),
    ("spaces kept", DEFAULT, b" a , b \n", [[b" a ", b" b "]]),
    ("empty fields", DEFAULT, b",,\n", [[b"", b"", b""]]),
    ("single column", DEFAULT, b"a\nb\n\nc", [[b"a"], [b"b"], [b"c"]]),
    ("ragged rows", DEFAULT, b"a,b\nc\nd,e,f\n", [[b"a", b"b"], [b"c"], [b"d", b"e", b"f"]]),
    ("field count changes back", DEFAULT, b"a,b\nc,d\ne\nf,g\nh,i\n",
     [[b"a", b"b"], [b"c", b"d"], [b"e"], [b"f", b"g"], [b"h", b"i"]]),
    ("utf8 and binary", DEFAULT, "é,日本\n".encode() + b"\xff\xfe,\x00\n",
     [["é".encode(), "日本".encode()], [b"\xff\xfe", b"\x00"]]),
    # quotes
    ("quoted", DEFAULT, b'"a","b,c"\n', [[b"a", b"b,c"]]),
    ("quoted newline", DEFAULT, b'"a\nb",c\n', [[b"a\nb", b"c"]]),
    ("quoted crlf", DEFAULT, b'"a\r\nb"\r\n', [[b"a\r\nb"]]),
    ("doubled quote", DEFAULT, b'"a""b",""""\n', [[b'a"b', b'"']]),
    ("empty quoted", DEFAULT, b'"",x,""\n', [[b"", b"x", b""]]),
    ("quoted whitespace is a row", DEFAULT, b'"  "\n', [[b"  "]]),
    ("quoted empty is a row", DEFAULT, b'""\n', [[b""]]),
    ("quoted last field at EOF", DEFAULT, b'a,"b"', [[b"a", b"b"]]),
    ("quote chars only", DEFAULT, b'"""""",""\n', [[b'""', b""]]),
    ("escaped quote in quotes", DEFAULT, b'"a\\"b"\n', [[b'a"b']]),
    ("escaped quote outside quotes", DEFAULT, b'a\\"b\n', [[b'a"b']]),
    ("escaped backslash then quote", DEFAULT, b'"a\\\\",b\n', [[b"a\\", b"b"]]),
    ("single quote delimiter", SQUOTE, b"'a''b','\"',\\N\n", [[b"a'b", b'"', None]]),
    ("two-byte delimiter", DQ2, b"''a,b'',''c''''d''\n", [[b"a,b", b"c''d"]]),
    ("two-byte delimiter partial", DQ2, b"''a'b'',x'y\n", [[b"a'b", b"x'y"]]),
    ("no delimiter", TSV, b'"a\tb"\n', [[b'"a', b'b"']]),
    # escapes
    ("escapes", DEFAULT, rb"\0\b\n\r\t\Z\\\x\,\"" + b"\n", [[b"\x00\x08\n\r\t\x1a\\x,\""]]),
    ("escaped newline", DEFAULT, b"a\\\nb\n", [[b"a\nb"]]),
    ("escaped cr lf", DEFAULT, b"a\\\r\\\n\n", [[b"a\r\n"]]),
    ("escaped lf at row end", DEFAULT, b"a,b\\\n\nc,d\n", [[b"a", b"b\n"], [b"c", b"d"]]),
    ("escapes in quotes", DEFAULT, b'"\\t\\,\\"",x\n', [[b'\t,"', b"x"]]),
    ("escape off", NOESC, b'\\N,a\\tb,"c\\"\n', [[None, b"a\\tb", b"c\\"]]),
    ("custom escape", HASHESC, b"#n#,x,\\N,#N\n", [[b"\n,x", None, b"N"]]),
    # NULL
    ("null rules", DEFAULT, b'\\N,"\\N",\\\\N,N,,""\n', [[None, None, b"\\N", b"N", b"", b""]]),
    ("not null", NOTNULL, b'\\N,"\\N",,x\n', [[b"N", b"N", b"", b"x"]]),
    ("empty is null", EMPTYNULL, b',"",a,\\N\n', [[None, None, b"a", b"N"]]),
    ("null list", NULLS, b'NULL,"NULL",\\N,,"",\\\\N,NU\\LL,null\n',
     [[None, None, None, None, None, b"\\N", None, b"null"]]),
    ("null unescaped", CSVDialect(header=False, null=(b"NULL",)), b"NU\\LL,\\N,N\n",
     [[None, b"N", b"N"]]),
    ("tsv null", TSV, b"a\tNULL\t\\N\t\n", [[b"a", None, b"\\N", b""]]),
    ("null across rows", NULLS, b"x,NULL\nNULL,y\n", [[b"x", None], [None, b"y"]]),
    # trim-last-separator
    ("trim", TRIM, b"a,b,\n", [[b"a", b"b"]]),
    ("trim only one", TRIM, b"a,b,,\n", [[b"a", b"b", b""]]),
    ("trim nothing", TRIM, b"a,b\n", [[b"a", b"b"]]),
    ("trim quoted empty", TRIM, b'a,""\n', [[b"a"]]),
    ("trim mixed rows", TRIM, b"a,\nb,c\nd,\n", [[b"a"], [b"b", b"c"], [b"d"]]),
    ("trim at EOF", TRIM, b"a,b,", [[b"a", b"b"]]),
    ("trim before null", CSVDialect(header=False, trim_last_separator=True, null=(b"",)),
     b"a,\n,b\n", [[b"a"], [None, b"b"]]),
    # multi-byte tokens and priorities
    ("multi-byte", MULTI, b"a|+|b|\nc|+|d|\n", [[b"a", b"b"], [b"c", b"d"]]),
    ("multi-byte partial separator", MULTI, b"a|+b|+|c|\n", [[b"a|+b", b"c"]]),
    ("multi-byte literals", MULTI, b"a|b|+|c|x|\n", [[b"a|b", b"c|x"]]),
    ("multi-byte partial terminator at EOF", MULTI, b"a|+|b|", [[b"a", b"b|"]]),
    ("multi-byte newline is data", MULTI, b"a\nb|+|c\n|\n", [[b"a\nb", b"c\n"]]),
    ("multi-byte escaped separator", MULTI, b"a\\|+|b|\n", [[b"a|+|b"]]),
    ("multi-byte quoted", MULTIQ, b'"x|+|y|\n"|+|""""|\n', [[b"x|+|y|\n", b'"']]),
    ("tpch", TPCH, b"1|abc|2.5|\n2|d e|\\N|\n", [[b"1", b"abc", b"2.5"], [b"2", b"d e", b"N"]]),
    ("terminator before separator", CSVDialect(header=False, separator=b"|", terminator=b"|\n",
                                               delimiter=b""), b"a|b|\nc||\n",
     [[b"a", b"b"], [b"c", b""]]),
    ("terminator wins over separator", SEMI, b"a;;b;c;;d;", [[b"a"], [b"b"], [b"c"], [b"d"]]),
    ("separator prefix ends a buffer", CSVDialect(header=False, separator=b"+;,", terminator=b";",
                                                  delimiter=b""),
     b'\\ +;,"a\\\\+;,~\\ ;', [[b" ", b'"a\\', b"~ "]]),
    ("explicit lf terminator keeps cr", LF, b"a,b\r\nc\r\n", [[b"a", b"b\r"], [b"c\r"]]),
    ("explicit terminator, blank lines", TPCH, b"|\n  |\n1|2|\n\n|\n", [[b"1", b"2"]]),
    ("explicit terminator, data newline", TPCH, b"1|\n\nx|\n", [[b"1"], [b"\nx"]]),
    # BOM
    ("bom", DEFAULT, BOM + b"a,b\n", [[b"a", b"b"]]),
    ("bom not at start is data", DEFAULT, b"x\n" + BOM + b"a\n", [[b"x"], [BOM + b"a"]]),
    ("bom only", DEFAULT, BOM, []),
    ("bom then blank", DEFAULT, BOM + b"\n\na", [[b"a"]]),
]


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("name,dialect,data,expected", CASES, ids=[c[0] for c in CASES])
def test_rows(name, dialect, data, expected, block_size):
    assert rows(data, dialect, block_size=block_size) == expected
    # and the reference agrees with the table
    assert [r for _, r in oracle_parse(data, dialect, False)[1]] == expected


# --------------------------------------------------------------------------- table: errors
ERRORS = [
    # id, dialect, input, message, offset
    ("unterminated", DEFAULT, b'"abc', UNTERMINATED, 0),
    ("unterminated later field", DEFAULT, b'a,"abc\nxyz', UNTERMINATED, 2),
    ("unterminated doubled", DEFAULT, b'a,b\n"abc""', UNTERMINATED, 4),
    ("unterminated lone quote", DEFAULT, b'x\n"', UNTERMINATED, 2),
    ("text after quote", DEFAULT, b'"a"b\n', NO_SEP, 3),
    ("space after quote", DEFAULT, b'"a" ,b\n', NO_SEP, 3),
    ("quote after text", DEFAULT, b'ab"c"\n', NO_SEP, 2),
    ("quote after text, 2nd row", DEFAULT, b'a,b\nc,d"\n', NO_SEP, 7),
    ("quote after quote field", DEFAULT, b'"a"""b"x\n', NO_SEP, 5),
    ("quote after escape", DEFAULT, b'\\x"a"\n', NO_SEP, 2),
    ("dangling backslash", DEFAULT, b"abc\\", BACKSLASH, 3),
    ("dangling backslash in quotes", DEFAULT, b'"ab\\', BACKSLASH, 3),
    ("dangling backslash after quote", DEFAULT, b'"ab"\\', BACKSLASH, 4),
    ("escape after quote", DEFAULT, b'"ab"\\x\n', NO_SEP, 4),
    ("partial separator after quote", MULTIQ, b'"x"|+', NO_SEP, 3),
    ("text after quote, multi", MULTIQ, b'"x"|+x|\n', NO_SEP, 3),
    ("two-byte delimiter", DQ2, b"''a'''x\n", NO_SEP, 5),
    ("single quote", SQUOTE, b"'a'b'\n", NO_SEP, 3),
    ("error after many rows", DEFAULT, b"a,b\n" * 1000 + b'"x"y\n', NO_SEP, 4003),
    ("error before much data", DEFAULT, b'a\n"x"y\n' + b"z\n" * 5000, NO_SEP, 5),
    ("error in header", HEADER, b'"a"b,c\n1,2\n', NO_SEP, 3),
    ("unterminated after bom", DEFAULT, BOM + b'"', UNTERMINATED, 3),
]


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("name,dialect,data,message,offset", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(name, dialect, data, message, offset, block_size):
    with pytest.raises(DataSyntaxError) as info:
        run(data, dialect, block_size=block_size)
    assert info.value.message == message
    assert info.value.offset == offset
    assert info.value.path == "t.csv"
    assert f"at offset {offset}" in str(info.value)
    assert oracle_parse(data, dialect, dialect.header)[2] == (offset, message)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_rows_before_error_are_delivered(block_size):
    data = b"a,b\nc,d\n" * 3 + b'e,"f"g\n'
    cols, got, err = parse_all(data, DEFAULT, block_size)
    assert [r for _, r in got] == [[b"a", b"b"], [b"c", b"d"]] * 3
    assert err == (len(data) - 2, NO_SEP)


def test_syntax_error_reported_without_reading_the_rest():
    data = b'"x"y\n' + b"z,z\n" * 100_000
    stream = CountingStream(data)
    with pytest.raises(DataSyntaxError):
        list(CSVParser(stream, DEFAULT, "t.csv", block_size=1024).blocks())
    assert stream.read_bytes <= 4096


# --------------------------------------------------------------------------- offsets
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_offsets(block_size):
    data = b'a\n\nb,c\r\n  \n"d\ne",f\n\\N\r\rg'
    parser, blocks = run(data, DEFAULT, block_size=block_size)
    got = [o for b in blocks for o in b.offsets]
    assert got == [0, 3, data.index(b'"d'), data.index(b"\\N"), data.index(b"g")]
    assert blocks[-1].end_offset == len(data)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_offsets_with_header_and_bom(block_size):
    data = BOM + b"\nA,B\r\n1,2\r\n\r\n3,4\r\n"
    parser, blocks = run(data, HEADER, block_size=block_size)
    assert parser.columns == ["a", "b"]
    assert [o for b in blocks for o in b.offsets] == [data.index(b"1,"), data.index(b"3,")]
    assert blocks[-1].end_offset == len(data)


@pytest.mark.parametrize("max_rows", [1, 2, 3, 1000])
def test_block_limits_rows(max_rows):
    data = b"".join(b"%d,x\n" % i for i in range(10))
    parser, blocks = run(data, DEFAULT, max_rows=max_rows, block_size=16)
    assert all(isinstance(b, RowBlock) for b in blocks)
    assert all(len(b.rows) <= max_rows for b in blocks)
    assert all(len(b.rows) == len(b.offsets) for b in blocks)
    assert [r for b in blocks for r in b.rows] == [[b"%d" % i, b"x"] for i in range(10)]
    for b, nxt in zip(blocks, blocks[1:]):
        assert b.end_offset == nxt.offsets[0]
    assert blocks[-1].end_offset == len(data)
    assert len(blocks) == -(-10 // max_rows)


def test_block_limits_bytes():
    data = b"".join(b"%04d,xxxxxx\n" % i for i in range(100))  # 12 bytes a row
    parser, blocks = run(data, DEFAULT, max_bytes=50, block_size=7)
    sizes = [b.end_offset - b.offsets[0] for b in blocks]
    assert all(s <= 50 + 12 for s in sizes)
    assert all(s >= 50 for s in sizes[:-1])
    assert sum(len(b.rows) for b in blocks) == 100


def test_end_offset_skips_trailing_blank_lines_of_block():
    parser, blocks = run(b"a\n\n\nb\n", DEFAULT, max_rows=1)
    assert [(b.offsets, b.end_offset) for b in blocks] == [([0], 2), ([4], 6)]


# --------------------------------------------------------------------------- header
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_header(block_size):
    parser, blocks = run(b'A,"B c",\\N,d\\tE\n1,2,3,4\n', HEADER, block_size=block_size)
    assert parser.columns == ["a", "b c", "\\n", "d\te"]
    assert [r for b in blocks for r in b.rows] == [[b"1", b"2", b"3", b"4"]]


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_header_after_blank_lines_and_alone(block_size):
    parser, blocks = run(b"\n\n  \nCol1,COL2", HEADER, block_size=block_size)
    assert parser.columns == ["col1", "col2"]
    assert blocks == []


def test_header_cases():
    assert run(b"", HEADER)[0].columns is None
    assert run(b"\n \n", HEADER)[0].columns is None
    p, blocks = run(b"a,b\n1,2\n", HEADER, skip_header=False)
    assert p.columns is None and len(blocks[0].rows) == 2
    p, blocks = run(b"a,b\n1,2\n", DEFAULT, skip_header=True)
    assert p.columns == ["a", "b"] and blocks[0].rows == [[b"1", b"2"]]
    p, blocks = run(b"a,b\nc,d\n", HEADER, start=4)   # not at file start: no header
    assert p.columns is None and blocks[0].rows == [[b"c", b"d"]]
    p, blocks = run(b"\xffA,b\n", HEADER)
    assert p.columns == ["\ufffda", "b"]
    p, blocks = run(b"a,b,\n1,2,\n", CSVDialect(trim_last_separator=True))
    assert p.columns == ["a", "b"] and blocks[0].rows == [[b"1", b"2"]]
    p, blocks = run(b"x|+|Y|\n1|+|2|\n", CSVDialect(separator=b"|+|", terminator=b"|\n"))
    assert p.columns == ["x", "y"] and blocks[0].rows == [[b"1", b"2"]]


def test_read_header_idempotent():
    parser = CSVParser(io.BytesIO(b"a,b\n1,2\n3,4\n"), HEADER, "t.csv")
    assert parser.read_header() == ["a", "b"]
    assert parser.read_header() == ["a", "b"]
    assert parser.columns == ["a", "b"]
    assert [r for b in parser.blocks() for r in b.rows] == [[b"1", b"2"], [b"3", b"4"]]
    parser = CSVParser(io.BytesIO(b"a,b\n"), DEFAULT, "t.csv")
    assert parser.read_header() is None and parser.columns is None


# --------------------------------------------------------------------------- chunks
CHUNK_DATA = b'h1,h2\nr1,"x\ny"\n\n  \nr2,b\r\nr3,"c,d"\n\\N,e\nlast,f'


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_chunks_cover_file_exactly_once(block_size):
    full = [(o, r) for b in run(CHUNK_DATA, HEADER)[1] for o, r in zip(b.offsets, b.rows)]
    starts = [o for o, _ in full]
    bounds = sorted({starts[0], *starts, len(CHUNK_DATA), CHUNK_DATA.index(b"\n\n") + 1})
    for cut in range(1, len(bounds) - 1):
        a, b = bounds[cut - 1], bounds[cut]
        got = []
        for lo, hi in ((0, a), (a, b), (b, None)):
            p, blocks = run(CHUNK_DATA, HEADER, start=lo, end=hi, block_size=block_size)
            assert p.columns == (["h1", "h2"] if lo == 0 else None)
            got += [(o, r) for bl in blocks for o, r in zip(bl.offsets, bl.rows)]
        assert got == full


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_row_starting_before_end_is_read_past_end(block_size):
    data = b'a,"long\nvalue"\nb,c\n'
    assert rows(data, DEFAULT, end=1, block_size=block_size) == [[b"a", b"long\nvalue"]]
    assert rows(data, DEFAULT, end=0, block_size=block_size) == []
    assert rows(data, DEFAULT, start=15, end=16, block_size=block_size) == [[b"b", b"c"]]
    assert rows(data, DEFAULT, start=15, end=15, block_size=block_size) == []
    assert offsets(data, DEFAULT, start=15, block_size=block_size) == [15]


def test_chunk_start_inside_blank_lines():
    data = b"a\n\n\n  \nb\n"
    assert rows(data, DEFAULT, start=2, end=3) == []
    assert rows(data, DEFAULT, start=2) == [[b"b"]]
    assert rows(data, DEFAULT, start=0, end=3) == [[b"a"]]


def test_chunk_does_not_read_far_past_end():
    data = b"x,y\n" * 100_000
    stream = CountingStream(data)
    parser = CSVParser(stream, DEFAULT, "t.csv", end=100, block_size=64)
    got = [r for b in parser.blocks() for r in b.rows]
    assert len(got) == 25
    assert stream.read_bytes <= 100 + 3 * 64


def test_chunk_at_offset_with_bom_bytes_is_data():
    data = b"a\n" + BOM + b"b\n"
    assert rows(data, DEFAULT, start=2) == [[BOM + b"b"]]


# --------------------------------------------------------------------------- max-row-size
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_max_row_size(block_size):
    limit = 50
    with pytest.raises(DataSyntaxError) as info:
        run(b"ok\n" + b"x" * 60 + b"\n", DEFAULT, max_row_size=limit, block_size=block_size)
    assert (info.value.offset, info.value.message) == (3, too_large(limit))
    with pytest.raises(DataSyntaxError) as info:
        run(b'a\n"' + b"x" * 200, DEFAULT, max_row_size=limit, block_size=block_size)
    assert (info.value.offset, info.value.message) == (2, too_large(limit))
    with pytest.raises(DataSyntaxError) as info:   # the unterminated last row
        run(b"a\n" + b"x" * 60, DEFAULT, max_row_size=limit, block_size=block_size)
    assert (info.value.offset, info.value.message) == (2, too_large(limit))
    # a row of exactly max-row-size bytes (terminator included) is fine
    assert rows(b"y" * 49 + b"\n" + b"z" * 50, DEFAULT, max_row_size=limit,
                block_size=block_size) == [[b"y" * 49], [b"z" * 50]]


def test_unterminated_quote_on_endless_stream_is_bounded():
    stream = CountingStream(infinite=b"xxxx\nyyy,", prefix=b'"')
    parser = CSVParser(stream, DEFAULT, "t.csv", block_size=4096, max_row_size=1 << 16)
    with pytest.raises(DataSyntaxError) as info:
        list(parser.blocks())
    assert (info.value.offset, info.value.message) == (0, too_large(1 << 16))
    assert stream.read_bytes <= 4 * (1 << 16)


def test_bytearray_stream():
    class ByteArrays(io.RawIOBase):
        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def read(self, n=-1):
            out, self.data = self.data[:n], self.data[n:]
            return bytearray(out)

    got = [r for b in CSVParser(ByteArrays(b"a,b\n1,\\N\n"), HEADER, "t.csv", block_size=3).blocks()
           for r in b.rows]
    assert got == [[b"1", None]] and all(type(v) is bytes for v in got[0][:1])


def test_short_reads_are_fine():
    class Dribble(io.RawIOBase):
        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def read(self, n=-1):
            out, self.data = self.data[:3], self.data[3:]
            return out

    data = b'a,"b\nc"\n' * 50
    got = [r for b in CSVParser(Dribble(data), DEFAULT, "t.csv", block_size=64).blocks() for r in b.rows]
    assert got == [[b"a", b"b\nc"]] * 50


# --------------------------------------------------------------------------- conformance files
def conformance(name: str, dialect: CSVDialect, block_size: int):
    with open(DATA / name, "rb") as f:
        parser = CSVParser(f, dialect, name, block_size=block_size)
        return list(parser.blocks()), parser


@pytest.mark.parametrize("block_size", (1, 5, 65536))
def test_conformance_csv(block_size):
    blocks, _ = conformance("csv.threads.csv", DEFAULT, block_size)
    threads = [r for b in blocks for r in b.rows]
    assert len(threads) == 43 and all(len(r) == 18 for r in threads)
    time = [r[8] for r in threads]
    assert sum(v is not None for v in time) == 12
    assert sum(int(v) for v in time if v is not None) == 322253
    assert sum(int(r[16]) for r in threads) == 303775702
    assert sum(r[9] is not None for r in threads) == 3

    blocks, _ = conformance("csv.escapes.CSV", DEFAULT, block_size)
    assert [r for b in blocks for r in b.rows] == [
        [b"1", b"\\", b'{"?": []}', b"\xff\xff\xff\xff"],
        [b"2", b'"', b'"\\n\\n\\n"', b"\r\n\r\n"],
        [b"3", b"\n", b'[",,,"]', b"\\,\\,"],
    ]
    blocks, _ = conformance("csv.empty_strings.csv", DEFAULT, block_size)
    assert [r for b in blocks for r in b.rows] == [
        [b"1", b"", b""], [b"2", b"", b""], [b"3", b'"', b""], [b"4", b"", b""]]


@pytest.mark.parametrize("block_size", (1, 5, 65536))
def test_conformance_issue_519(block_size):
    blocks, parser = conformance("issue519.t.csv", CSVDialect(delimiter=b"'", escape=b""), block_size)
    got = [r for b in blocks for r in b.rows]
    assert parser.columns == ["a", "b"]
    assert len(got) == 9
    assert [b"'", b'"'] in got
    assert [b"\"''''\"'\"", b"\"'\"'''''\""] in got
    assert got[6][1] == b""
    assert got[7] == [b'a",b,"a', b'a,"c",a']
    assert got[8] == [b"bbaa|*|aabb", b"bba|*|a|*|abb"]


@pytest.mark.parametrize("block_size", (1, 5, 65536))
def test_conformance_column_permutation(block_size):
    blocks, parser = conformance("perm.test_perm.0.csv", HEADER, block_size)
    got = [r for b in blocks for r in b.rows]
    assert parser.columns[:3] == ["contract_no", "fund_seq_no", "term_no"] and len(parser.columns) == 10
    assert len(got) == 5 and all(len(r) == 10 for r in got)
    row = [r for r in got if r[0] == b"2020061000019011020164030597"][0]
    assert (row[1], row[8], row[9]) == (b"202006100001901102016403059520200627", b"000002", b"33")
    # max-region-size = 200: chunks at terminators after every 200 bytes, header read once
    data = (DATA / "perm.test_perm.0.csv").read_bytes()
    cuts, pos = [0], 0
    while pos + 200 < len(data) and data.find(b"\n", pos + 200) >= 0:
        pos = data.index(b"\n", pos + 200) + 1
        cuts.append(pos)
    cuts.append(len(data))
    assert len(cuts) == 4
    chunked = []
    for lo, hi in zip(cuts, cuts[1:]):
        chunked += rows(data, HEADER, start=lo, end=hi, block_size=block_size)
    assert chunked == got


@pytest.mark.parametrize("block_size", (1, 5, 65536))
def test_conformance_issue_410(block_size):
    blocks, parser = conformance("issue410.row_flow_d.0.csv", HEADER, block_size)
    assert len(parser.columns) == 26
    assert parser.columns[0] == "a123456789012345678901234567890123456789"
    assert parser.columns[24] == "y12345678901234567890123456789012345678"
    assert parser.columns[25] == "z"
    assert [r for b in blocks for r in b.rows] == [[bytes([c]) for c in range(ord("A"), ord("Z") + 1)]]


@pytest.mark.parametrize("block_size", (1, 5, 65536))
def test_conformance_too_many_columns(block_size):
    blocks, parser = conformance("too_many_columns.t.0.csv", HEADER, block_size)
    assert parser.columns == ["col%03d" % i for i in range(1, 257)]
    assert [r for b in blocks for r in b.rows] == [[b"1%03d" % i for i in range(1, 257)]]


@pytest.mark.parametrize("block_size", (1, 5, 65536))
def test_conformance_config_skip_csv_header(block_size):
    blocks, parser = conformance("mytest.testtbl.csv", HEADER, block_size)
    assert parser.columns == ["aaa", "bbb"]
    got = [r for b in blocks for r in b.rows]
    assert len(got) == 5 and all(int(r[0]) > 0 for r in got)


# --------------------------------------------------------------------------- randomized
def _value(rnd: random.Random) -> bytes:
    alphabet = [b"a", b"b", b"N", b"n", b"0", b"Z", b" ", b"\t", b",", b'"', b"'", b"\\", b"|", b"+",
                b"\r", b"\n", b"\x00", b"\x1a", b"\xff", "é".encode(), b"NULL", b"\\N",
                b"\x00\xfe\x01\xff\xfd", b"\x02\xfc\x03\xfb\x04",  # the parser's column joiners
                "\u3000".encode()]
    return b"".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 8)))


def _write(row: list, d: CSVDialect, rnd: random.Random) -> bytes:
    """Serialise one row for `d` (which has an escape byte)."""
    e, q = d.escape, d.delimiter
    out = []
    for v in row:
        if v is None:
            out.append(e + b"N" if rnd.random() < 0.5 or not q else q + e + b"N" + q)
            continue
        s = v.replace(e, e + e)
        specials = [b"\x00", b"\n", b"\r", b"\t", b"\x1a"]
        letters = {b"\x00": b"0", b"\n": b"n", b"\r": b"r", b"\t": b"t", b"\x1a": b"Z"}
        for ch in specials:
            if rnd.random() < 0.5 or not q:
                s = s.replace(ch, e + letters[ch])
        if len(q) > 1:
            # escape every delimiter byte: a value ending in a delimiter prefix would
            # otherwise merge with the closing delimiter
            for c in set(q):
                s = s.replace(bytes([c]), e + bytes([c]))
            out.append(q + s + q)
        elif q:
            s = s.replace(q, q + q) if rnd.random() < 0.5 else s.replace(q, e + q)
            out.append(q + s + q)
        else:
            for c in set(d.separator + (d.terminator or b"\n")) - set(b"\x00\n\r\t\x1a"):
                s = s.replace(bytes([c]), e + bytes([c]))
            out.append(s)
    return d.separator.join(out) + (d.terminator or rnd.choice([b"\n", b"\r\n", b"\r"]))


ROUNDTRIP_DIALECTS = [
    DEFAULT, DQ2, MULTIQ,
    CSVDialect(header=False, separator=b";", delimiter=b"'", escape=b"#", null=(b"#N",)),
    CSVDialect(header=False, separator=b"|+|", delimiter=b"", terminator=b"|#|"),
    CSVDialect(header=False, separator=b"||", delimiter=b"''", terminator=b"\n"),
]


@pytest.mark.parametrize("dialect", ROUNDTRIP_DIALECTS, ids=lambda d: repr((d.separator, d.delimiter, d.terminator)))
@pytest.mark.parametrize("seed", range(4))
def test_random_roundtrip(dialect, seed):
    rnd = random.Random(seed)
    ncols = rnd.randrange(2, 6)
    table = []
    for _ in range(rnd.randrange(1, 120)):
        n = ncols if rnd.random() < 0.9 else rnd.randrange(2, 7)  # mostly rectangular
        row = []
        for _ in range(n):
            v = None if rnd.random() < 0.1 else _value(rnd)
            row.append(v)
        table.append(row)
    data = b"".join(_write(r, dialect, rnd) for r in table)
    for block_size in (1, 3, 17, 4096):
        assert rows(data, dialect, block_size=block_size, max_rows=7) == table


def _random_dialect(rnd: random.Random) -> CSVDialect:
    while True:
        sep = bytes(rnd.choice(b",;|+") for _ in range(rnd.choice([1, 1, 1, 2, 3])))
        delim = rnd.choice([b"", b'"', b'"', b"'", b"''", b'"\''])
        term = rnd.choice([b"", b"", b"\n", b"|\n", b";", b"~~"])
        esc = rnd.choice([b"", b"\\", b"\\", b"#"])
        if delim and (sep.startswith(delim) or delim.startswith(sep)):
            continue
        if esc and esc in (sep, delim, term):
            continue
        null = tuple(rnd.sample([b"\\N", b"NULL", b"", b"x", b"#N"], rnd.randrange(0, 3)))
        return CSVDialect(separator=sep, delimiter=delim, terminator=term, escape=esc,
                          header=rnd.random() < 0.3, not_null=rnd.random() < 0.2, null=null,
                          trim_last_separator=rnd.random() < 0.3)


def _random_data(rnd: random.Random, d: CSVDialect) -> bytes:
    pieces = [(d.separator, 6), (d.delimiter, 3), (d.terminator, 4), (d.escape, 2)] + [
        (p, 1) for p in (b"\r", b"\n", b"\r\n", b" ", b"a", b"N", b"n", b"xy", b",", b'"', b"|", b"\\",
                         b"#", b"'", b";", b"~", b"\xc2\xa0", b"\xe3\x80")]
    pieces = [(p, w) for p, w in pieces if p]
    out = b"".join(rnd.choices([p for p, _ in pieces], weights=[w for _, w in pieces],
                               k=rnd.randrange(0, 30)))
    if rnd.random() < 0.1:
        out = BOM + out
    return out


def _valid_data(rnd: random.Random, d: CSVDialect) -> bytes:
    """Rows written for `d` (with a backslash escape if `d` has none: then the data is
    only mostly valid, which is fine for a differential test)."""
    if not d.escape:
        d = CSVDialect(**{**d.__dict__, "escape": b"\\"})
    return b"".join(_write([_value(rnd) for _ in range(rnd.randrange(1, 4))], d, rnd)
                    for _ in range(rnd.randrange(0, 8)))


@pytest.mark.parametrize("seed", range(40))
def test_differential_against_reference(seed):
    rnd = random.Random(1000 + seed)
    for _ in range(25):
        d = _random_dialect(rnd)
        data = _random_data(rnd, d) if rnd.random() < 0.7 else _valid_data(rnd, d)
        want = oracle_parse(data, d, d.header)
        for block_size in (1, 2, 3, 7, 64):
            got = parse_all(data, d, block_size)
            assert got == want, (d, data, block_size)
        if want[2] is None:
            # chunks at row boundaries give the same rows
            records, _ = oracle_records(data, d)
            bounds = sorted({o for o, _ in records[1:]} | {len(data)})
            if bounds:
                cut = rnd.choice(bounds)
                first = parse_all(data, d, 3, end=cut)
                second = parse_all(data, d, 3, start=cut, skip_header=False)
                assert first[1] + second[1] == want[1], (d, data, cut)


@pytest.mark.parametrize("seed", range(6))
def test_differential_wide_tables(seed):
    """Long runs of equal-width rows (the fast path), with rare odd rows in between."""
    rnd = random.Random(seed)
    for d in (DEFAULT, NULLS, TRIM, EMPTYNULL, NOTNULL, TSV, TPCH, MULTI, DQ2, MULTIQ, HASHESC, SEMI, LF,
              CSVDialect(header=False, trim_last_separator=True, null=(b"", b"\\N"))):
        ncols = rnd.randrange(1, 5)
        w = CSVDialect(**{**d.__dict__, "escape": d.escape or b"\\"})
        lines = []
        for _ in range(rnd.randrange(50, 200)):
            r = rnd.random()
            if r < 0.03:
                lines.append(rnd.choice([b"\n", b"  \n", b"\r\n"]))
            else:
                n = ncols if r < 0.9 else rnd.randrange(1, 6)
                row = [None if rnd.random() < 0.1 else _value(rnd) for _ in range(n)]
                lines.append(_write(row, w, rnd))
        data = b"".join(lines)
        want = oracle_parse(data, d, False)
        for block_size in (1, 5, 64, 65536):
            assert parse_all(data, d, block_size) == want, (d, block_size)


@pytest.mark.parametrize("block_size", (3, 65536))
def test_joiner_bytes_in_data(block_size):
    """The fast path joins a column with a fixed byte string; data holding it must not confuse it."""
    j = b"\x00\xfe\x01\xff\xfd"
    data = b"".join(b'%d,"a%sb\\n""",x%s\\t,"%s"\n' % (i, j, j, j) for i in range(20))
    want = [[b"%d" % i, b"a" + j + b'b\n"', b"x" + j + b"\t", j] for i in range(20)]
    assert rows(data, DEFAULT, block_size=block_size) == want
    assert rows(data, NULLS, block_size=block_size) == want


def test_dialect_validation():
    with pytest.raises(ValueError):
        CSVParser(io.BytesIO(b""), CSVDialect(separator=b""), "t.csv")
    with pytest.raises(ValueError):
        CSVParser(io.BytesIO(b""), CSVDialect(escape=b"\\\\"), "t.csv")

"""How each column type is written in the checksum's canonical row text.

A row's canonical text is what the target query builds from the stored values:
`(v1,v2,...)` where NULL is `NULL`, numbers are the server's own text, and strings, dates,
ENUM and SET values are their raw bytes between single quotes (no escaping).  For every
column a :class:`Form` gives:

- ``sql``: the target expression yielding that text (never NULL);
- ``fast``: a regex for a dump literal whose text already *is* canonical once its string
  escapes are undone (the common case: mydumper/Dumpling/mysqldump output), so the source
  side needs no Python per value; ``None`` for a column whose values go through
- ``bulk``: a converter over one column's values of a whole batch (DOUBLE, FLOAT, binary);
- ``canon``: the slow path, from any decoded literal (:mod:`literal`) to the canonical text,
  raising :class:`Unverifiable` when the stored form cannot be predicted.

Rules were checked against MariaDB 10.11 (tests/integration/test_checksum_forms.py).
"""
from __future__ import annotations

import re
import struct
from math import isfinite
from binascii import Error as BinasciiError, unhexlify
from itertools import compress, count, repeat
from operator import itemgetter, ne, not_ as _not
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Callable

from tidb_lightning.checksum.literal import Unverifiable, Value, decode
from tidb_lightning.parse.schema import quote_ident

INTS = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}
STRINGS = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "binary", "varbinary",
           "tinyblob", "blob", "mediumblob", "longblob"}
BINARIES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}

# a string literal whose only escapes are mysql_real_escape_string's (what dumpers write; it
# escapes every newline, so rows of such a dump never hold one)
STR_BODY = rb"[^'\\\n]*+(?:\\[\\'\"0nrZ][^'\\\n]*+)*+"
# the same for a dump that quotes with ", matched after exchanging ' and ": no raw quote at all
STR_BODY_STRICT = rb"[^'\"\\\n]*+(?:\\[\\'\"0nrZ][^'\"\\\n]*+)*+"
INT_TEXT = rb"-?[1-9][0-9]*+|0"
NUMBER = rb"-?(?:[0-9]++\.?[0-9]*+|\.[0-9]++)(?:[eE][+-]?[0-9]++)?"


@dataclass(frozen=True)
class Form:
    name: str
    sql: str
    fast: bytes | None
    canon: Callable[[Value], bytes]
    bulk: Callable[[list[bytes]], list[bytes]] | None = None
    unsupported: str | None = None
    fields: Callable[[list], list[bytes]] | None = None  # CSV fields of one column -> canonical
    conv: bytes | None = None    # for a converted column: the literals its converter takes in bulk
    code: bytes | None = None    # the compiled core's spec of `fast` (or `conv`): see _core.c


def _quoted(b: bytes) -> bytes:
    return b"'" + b + b"'"


_EXACT = Context(prec=200)  # DECIMAL(65, 30) and long literals need more than the default 28 digits


def _number_text(v: Value, what: str) -> Decimal:
    text = v.data.strip() if v.kind in ("num", "str", "bool") else None
    if text is None:
        raise Unverifiable(f"a {v.kind} literal for a {what} column")
    try:
        d = _EXACT.create_decimal(text.decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError):
        raise Unverifiable(f"{text[:40]!r} is not a number ({what} column)") from None
    if not d.is_finite():
        raise Unverifiable(f"{text[:40]!r} is not a finite number ({what} column)")
    return d


def _int_canon(v: Value) -> bytes:
    if v.kind == "null":
        return b"NULL"
    d = _number_text(v, "integer").quantize(Decimal(1), ROUND_HALF_UP, _EXACT)
    return str(int(d)).encode()


def _decimal_canon(scale: int) -> Callable[[Value], bytes]:
    q = Decimal(1).scaleb(-scale)

    def canon(v: Value) -> bytes:
        if v.kind == "null":
            return b"NULL"
        d = _number_text(v, "DECIMAL").quantize(q, ROUND_HALF_UP, _EXACT)
        if d == 0:
            d = abs(d)
        return f"{d:f}".encode()
    return canon


def float_text(value: float, single: bool = False) -> bytes:
    """The server's text for a DOUBLE (shortest round-trip digits) or FLOAT (6 significant
    digits of the float32): fixed notation for decimal exponents -14..14 (and 15 when 17
    digits are shown), else `d.ddde±N`."""
    if value == 0:
        return b"0"
    if single:
        value = struct.unpack("f", struct.pack("f", value))[0]
        text = "%.6g" % value
    else:
        text = repr(value)  # the shortest digits that round-trip, as the server prints them
    sign = text[0] == "-"
    mant, _, exp = text.lstrip("-").partition("e")
    ip, _, fp = mant.partition(".")
    s = (ip + fp).lstrip("0")
    e = len(ip) + (int(exp) if exp else 0) - 1 - (len(ip) + len(fp) - len(s))
    s = s.rstrip("0")
    n = len(s)
    if -14 <= e <= 14 or (e == 15 and n >= 17):
        if e >= n - 1:
            out = s + "0" * (e - n + 1)
        elif e >= 0:
            out = s[:e + 1] + "." + s[e + 1:]
        else:
            out = "0." + "0" * (-e - 1) + s
    else:
        out = s[0] + ("." + s[1:] if n > 1 else "") + "e" + str(e)
    return (("-" if sign else "") + out).encode()


def _float_canon(single: bool) -> Callable[[Value], bytes]:
    def canon(v: Value) -> bytes:
        if v.kind == "null":
            return b"NULL"
        d = _number_text(v, "FLOAT" if single else "DOUBLE")
        try:
            return float_text(float(d), single)
        except OverflowError:
            raise Unverifiable(f"{d} is out of range for a floating-point column") from None
    return canon


def _float_bulk(canon: Callable[[Value], bytes], single: bool) -> Callable[[list[bytes]], list[bytes]]:
    fixed = re.compile(rb"NULL|(?!-0(?:\.0*)?$)-?(?:0|[1-9][0-9]{0,13})(?:\.[0-9]{0,14}[1-9])?")

    def one(v: bytes) -> bytes:
        if v == b"NULL":
            return v
        try:
            f = float(v)  # a plain number needs no literal decoding (Python also takes 1_0, inf)
            if isfinite(f) and b"_" not in v:
                return float_text(f, single)
        except ValueError:
            pass
        return canon(decode(v))

    def bulk_float(values: list[bytes]) -> list[bytes]:
        # <= 6 digits in fixed notation, no trailing zeros: the server's own text (FLT_DIG)
        return [v if (len(v.lstrip(b"-").replace(b".", b"")) <= 6 and fixed.fullmatch(v)) else one(v)
                for v in values]

    def bulk_double(values: list[bytes]) -> list[bytes]:
        # C-level passes: a literal that is already Python's shortest round-trip repr in fixed
        # notation (no exponent, no ".0") is the server's text too; only the rest is converted
        try:
            reprs = list(map(str.encode, map(repr, map(float, map(_NAN.get, values, values)))))
        except ValueError:
            return [one(v) for v in values]
        out = list(values)
        redo = set(compress(count(), map(ne, reprs, values)))
        redo.update(compress(count(), map(bytes.__contains__, values, repeat(b"e"))))
        redo.update(compress(count(), map(bytes.endswith, values, repeat(b".0"))))
        for i in redo:
            out[i] = one(values[i])
        return out
    return bulk_float if single else bulk_double


_NAN = {b"NULL": b"nan"}


def _bytes_of(v: Value, what: str) -> bytes:
    if v.kind in ("str", "hex"):
        return v.data
    if v.kind == "num" and re.fullmatch(rb"-?[0-9]+(?:\.[0-9]+)?", v.data):
        return v.data
    raise Unverifiable(f"a {v.kind} literal {v.data[:40]!r} for a {what} column")


def _string_canon(pad_to: int = 0, strip: bool = False) -> Callable[[Value], bytes]:
    def canon(v: Value) -> bytes:
        if v.kind == "null":
            return b"NULL"
        b = _bytes_of(v, "string")
        if strip:
            b = b.rstrip(b" ")
        if pad_to:
            b = b.ljust(pad_to, b"\x00")
        return _quoted(b)
    return canon


def _binary_bulk(canon: Callable[[Value], bytes], pad_to: int) -> Callable[[list[bytes]], list[bytes]]:
    plain = re.compile(rb"NULL|'[^'\\]*+'")

    def one(v: bytes) -> bytes:
        return canon(decode(v))

    def bulk(values: list[bytes]) -> list[bytes]:
        if pad_to:
            return [one(v) for v in values]
        # C-level passes: NULL and escape-free strings are canonical as they are; hex literals
        # (mydumper --hex-blob, Dumpling) are decoded together; anything else one by one
        out = list(values)
        hexes = list(compress(count(), map(bytes.startswith, values, repeat(b"0x"))))
        if hexes:
            try:
                raw = map(unhexlify, map(_after_0x, map(values.__getitem__, hexes)))
                for i, v in zip(hexes, list(map(b"'%b'".__mod__, raw))):
                    out[i] = v
            except BinasciiError:
                for i in hexes:
                    out[i] = one(values[i])
        odd = set(compress(count(), map(_not, map(plain.fullmatch, values)))).difference(hexes)
        for i in odd:
            out[i] = one(values[i])
        return out
    return bulk


_after_0x = itemgetter(slice(2, None))


_DT = re.compile(rb"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6})\d*)?)?\s*")
_DT_NUM = re.compile(rb"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})(?:\.(\d{1,6})\d*)?)?")


def _datetime_canon(kind: str, fsp: int, truncate: bool) -> Callable[[Value], bytes]:
    def canon(v: Value) -> bytes:
        if v.kind == "null":
            return b"NULL"
        m = (_DT.fullmatch(v.data) if v.kind == "str" else
             _DT_NUM.fullmatch(v.data) if v.kind == "num" else None)
        if m is None:
            raise Unverifiable(f"{v.data[:40]!r} is not a date in a form the checksum knows ({kind})")
        y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups()[:6])
        frac = m.group(7) or b""
        micro = int(frac.decode().ljust(6, "0")) if frac else 0
        unit = 10 ** (6 - fsp)
        if y == 0 or mo == 0 or d == 0:  # zero dates (permissive sql_mode): no calendar maths
            if kind == "date":
                return _quoted(b"%04d-%02d-%02d" % (y, mo, d))
            if not truncate and micro % unit:
                raise Unverifiable(f"{v.data[:40]!r}: rounding the fraction of a zero date")
            return _quoted(b"%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, h, mi, s)
                           + (b"." + (b"%06d" % (micro // unit * unit))[:fsp] if fsp else b""))
        try:
            t = datetime(y, mo, d, h, mi, s)
        except ValueError:
            raise Unverifiable(f"{v.data[:40]!r} is not a valid {kind}") from None
        micro = micro // unit * unit if truncate else (micro + unit // 2) // unit * unit
        t += timedelta(microseconds=micro)
        if kind == "date":
            if m.group(4) is not None and (h or mi or s or micro):
                raise Unverifiable(f"{v.data[:40]!r}: a time part for a DATE column")
            return _quoted(t.strftime("%Y-%m-%d").encode())
        out = t.strftime("%Y-%m-%d %H:%M:%S")
        if fsp:
            out += "." + ("%06d" % t.microsecond)[:fsp]
        return _quoted(out.encode())
    return canon


_TIME = re.compile(rb"\s*(-)?(?:(\d+) )?(\d{1,3}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?\s*")


def _time_canon(fsp: int, truncate: bool) -> Callable[[Value], bytes]:
    def canon(v: Value) -> bytes:
        if v.kind == "null":
            return b"NULL"
        m = _TIME.fullmatch(v.data) if v.kind == "str" else None
        if m is None:
            raise Unverifiable(f"{v.data[:40]!r} is not a TIME in a form the checksum knows")
        neg, days, h, mi, s, frac = m.groups()
        micro = int(frac.decode().ljust(6, "0")) if frac else 0
        unit = 10 ** (6 - fsp)
        micro = micro // unit * unit if truncate else (micro + unit // 2) // unit * unit
        total = ((int(days or 0) * 24 + int(h)) * 3600 + int(mi) * 60 + int(s or 0)) * 10 ** 6 + micro
        if int(mi) > 59 or int(s or 0) > 59 or total > 838 * 3600 * 10 ** 6 + 59 * 60 * 10 ** 6 + 59 * 10 ** 6:
            raise Unverifiable(f"{v.data[:40]!r} is out of range for TIME")
        secs, micro = divmod(total, 10 ** 6)
        out = b"%s%02d:%02d:%02d" % (b"-" if neg and total else b"", secs // 3600, secs // 60 % 60, secs % 60)
        if fsp:
            out += b"." + (b"%06d" % micro)[:fsp]
        return _quoted(out)
    return canon


def _year_canon(v: Value) -> bytes:
    if v.kind == "null":
        return b"NULL"
    if v.kind == "str" and v.data.strip() in (b"0", b"00"):
        return b"2000"
    n = int(_number_text(v, "YEAR").quantize(Decimal(1), ROUND_HALF_UP, _EXACT))
    if n == 0:
        return b"0"
    if 1 <= n <= 69:
        n += 2000
    elif 70 <= n <= 99:
        n += 1900
    if not 1901 <= n <= 2155:
        raise Unverifiable(f"{n} is out of range for YEAR")
    return str(n).encode()


def enum_members(column_type: str) -> list[bytes]:
    """`enum('a','b''c')` -> [b'a', b"b'c"] (also for set(...))."""
    inner = column_type[column_type.index("(") + 1:column_type.rindex(")")]
    return [m.replace("''", "'").encode("utf-8", "surrogateescape")
            for m in re.findall(r"'((?:[^']|'')*)'", inner)]


def _enum_canon(members: list[bytes]) -> Callable[[Value], bytes]:
    lookup = {m.lower().rstrip(b" "): m for m in members}

    def canon(v: Value) -> bytes:
        if v.kind == "null":
            return b"NULL"
        if v.kind == "num" and v.data.isdigit():
            i = int(v.data)
            if 1 <= i <= len(members):
                return _quoted(members[i - 1])
        elif v.kind == "str" and v.data.lower().rstrip(b" ") in lookup:
            return _quoted(lookup[v.data.lower().rstrip(b" ")])
        raise Unverifiable(f"{v.data[:40]!r} is not a member of the ENUM")
    return canon


def _set_canon(members: list[bytes]) -> Callable[[Value], bytes]:
    index = {m.lower(): i for i, m in enumerate(members)}

    def canon(v: Value) -> bytes:
        if v.kind == "null":
            return b"NULL"
        if v.kind == "num" and v.data.isdigit():
            bits = int(v.data)
            chosen = {i for i in range(len(members)) if bits >> i & 1}
        elif v.kind == "str":
            names = [p for p in v.data.lower().split(b",")] if v.data else []
            if any(n not in index for n in names):
                raise Unverifiable(f"{v.data[:40]!r} is not a set of the SET's members")
            chosen = {index[n] for n in names}
        else:
            raise Unverifiable(f"a {v.kind} literal for a SET column")
        return _quoted(b",".join(members[i] for i in sorted(chosen)))
    return canon


def _bit_canon(v: Value) -> bytes:
    if v.kind == "null":
        return b"NULL"
    if v.kind in ("hex", "str"):
        return str(int.from_bytes(v.data, "big")).encode()
    return _int_canon(v)


def _unsupported(what: str) -> Callable[[Value], bytes]:
    def canon(v: Value) -> bytes:
        raise Unverifiable(what)
    return canon


def form_for(col, kind: str = "MariaDB") -> Form:
    """The form of one target column (restore.target.Column); `kind` is the server kind."""
    c = quote_ident(col.name)
    t = col.data_type
    truncate = kind == "MariaDB"  # MariaDB truncates extra fractional seconds; MySQL, TiDB round
    null = b"NULL|" if col.nullable else b""
    num_sql = f"IFNULL({c},'NULL')" if col.nullable else c

    def quoted_sql() -> str:
        # CONCAT arguments; the query runs on a `binary` session, so a string column's value
        # is its stored bytes whatever its character set (no CAST: a quarter of the scan time)
        return f"IFNULL(CONCAT('''',{c},''''),'NULL')" if col.nullable else f"'''',{c},''''"

    n = b"n" if col.nullable else b""

    def typed(name: str, sql: str, inner: bytes | None, canon, quoted: bool, bulk=None,
              code: bytes | None = None) -> Form:
        """`inner`: the canonical text of a value (unquoted), for dumps and CSV fields alike."""
        fast = None if inner is None else null + (b"'" + inner + b"'" if quoted else inner)
        return Form(name, sql, fast, canon, bulk, fields=_fields(canon, inner, quoted),
                    code=None if code is None else n + code)

    if t in INTS:
        return typed("integer", num_sql, INT_TEXT, _int_canon, False, code=b"I")
    if t == "decimal":
        frac = rb"\.[0-9]{%d}" % col.scale if col.scale else b""
        inner = rb"(?!-0(?:\.0*)?(?:[,)\n]|$))-?(?:[1-9][0-9]*+|0)" + frac
        return typed("decimal", num_sql, inner, _decimal_canon(col.scale), False, code=b"D%d;" % col.scale)
    if t in ("double", "float", "real"):
        canon = _float_canon(t == "float")
        bulk = _float_bulk(canon, t == "float")
        return Form(t, num_sql, None, canon, bulk, fields=_float_fields(canon, bulk),
                    conv=null + NUMBER, code=n + (b"G" if t == "float" else b"R"))
    if t == "year":
        return typed("year", f"IFNULL({c}+0,'NULL')", rb"(?:19|20|21)[0-9]{2}", _year_canon, False, code=b"Y")
    if t == "bit":
        return typed("bit", f"IFNULL({c}+0,'NULL')", None, _bit_canon, False,
                     lambda vs: [_bit_canon(decode(v)) for v in vs])
    if t in STRINGS or (t in ("json", "longtext") and kind == "MariaDB"):
        pad = col.length if t == "binary" else 0
        canon = _string_canon(pad_to=pad, strip=(t == "char"))
        fields = _string_fields(canon, pad, t == "char")
        if t in BINARIES:
            return Form(t, quoted_sql(), None, canon, _binary_bulk(canon, pad), fields=fields,
                        conv=None if pad else null + rb"0x[0-9a-fA-F]++|'" + STR_BODY + b"'",
                        code=None if pad else n + b"X")
        end = rb"(?<! )'" if t == "char" else b"'"
        return Form(t, quoted_sql(), null + b"'" + STR_BODY + end, canon, fields=fields,
                    code=n + (b"C" if t == "char" else b"S"))
    if t == "enum":
        members = enum_members(col.column_type)
        alts = b"|".join(re.escape(m) for m in sorted(members, key=len, reverse=True))
        form = typed("enum", quoted_sql(), b"(?:" + alts + b")", _enum_canon(members), True,
                     code=b"E%d;" % len(members) + b"".join(b"%d;%b" % (len(m), m) for m in members))
        if any(re.search(rb"[\\'\"\x00\n\r\x1a]", m) for m in members):  # escaped in dumps
            form = Form(form.name, form.sql, None, form.canon,
                        lambda vs, canon=form.canon: [canon(decode(v)) for v in vs], fields=form.fields)  # no code
        return form
    if t == "set":
        canon = _set_canon(enum_members(col.column_type))
        return typed("set", quoted_sql(), None, canon, True, lambda vs: [canon(decode(v)) for v in vs])
    if t == "date":
        return typed("date", quoted_sql(), rb"[0-9]{4}-[0-9]{2}-[0-9]{2}",
                     _datetime_canon("date", 0, truncate), True, code=b"T")
    if t in ("datetime", "timestamp"):
        frac = rb"\.[0-9]{%d}" % col.scale if col.scale else b""
        return typed(t, quoted_sql(), rb"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}" + frac,
                     _datetime_canon(t, col.scale, truncate), True, code=b"M%d;" % col.scale)
    if t == "time":
        frac = rb"\.[0-9]{%d}" % col.scale if col.scale else b""
        return typed("time", quoted_sql(), rb"(?!-00:00:00)-?(?:[1-8][0-9]{2}|[0-9]{2}):[0-9]{2}:[0-9]{2}" + frac,
                     _time_canon(col.scale, truncate), True, code=b"H%d;" % col.scale)
    why = (f"column {col.name} is {t.upper()}, which {kind} stores in a normalised form"
           if t == "json" else f"column {col.name} has type {t.upper()}, which the checksum does not cover")
    return Form(t, "NULL", None, _unsupported(why), unsupported=why)


def _field(v: bytes) -> Value:
    """A CSV field: the server gets it as a quoted string."""
    return Value("str", v)


def _float_fields(canon, bulk) -> Callable[[list], list[bytes]]:
    def run(values: list) -> list[bytes]:
        if b"NULL" in values:  # the text NULL (a string the server must convert), not a NULL
            return [b"NULL" if v is None else canon(_field(v)) for v in values]
        return bulk([b"NULL" if v is None else v for v in values])
    return run


def _fields(canon, inner: bytes | None, quoted: bool) -> Callable[[list], list[bytes]]:
    """Canonical texts of one column's CSV fields (None = NULL): one regex over the column
    when every field is already canonical, else Python per field."""
    column = None if inner is None else re.compile(b"(?:" + inner + rb")(?:\n(?:" + inner + b"))*+")

    def run(values: list) -> list[bytes]:
        present = [v for v in values if v is not None]
        if column is not None and (not present or column.fullmatch(b"\n".join(present))):
            if quoted:
                return [b"NULL" if v is None else b"'" + v + b"'" for v in values]
            return [b"NULL" if v is None else v for v in values]
        return [b"NULL" if v is None else canon(Value("str", v)) for v in values]
    return run


def _string_fields(canon, pad_to: int, strip: bool) -> Callable[[list], list[bytes]]:
    if pad_to:
        return lambda values: [b"NULL" if v is None else canon(Value("str", v)) for v in values]
    if strip:
        return lambda values: [b"NULL" if v is None else b"'" + v.rstrip(b" ") + b"'" for v in values]
    return lambda values: [b"NULL" if v is None else b"'" + v + b"'" for v in values]

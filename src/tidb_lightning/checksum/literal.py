"""Slow path of the source checksum: one SQL literal -> the value it denotes.

Used only for batches the per-table fast pattern does not cover (a dump written by another
tool, hand-written SQL, CSV rows, which are sent as quoted strings).  Python runs per value
here; :mod:`tidb_lightning.checksum.hasher` keeps the common case in C.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tidb_lightning.parse.sql import _FIELDS, _GRAMMARS


class Unverifiable(Exception):
    """The server's stored form of a value cannot be predicted: the table's check is skipped
    (and the message says why), never reported as passed."""


@dataclass(frozen=True)
class Value:
    """A decoded literal.  kind: null | str (bytes) | num (its text) | hex (bytes) | bool."""

    kind: str
    data: bytes = b""


NULL = Value("null")
# MySQL's escapes inside quoted strings; any other `\x` is `x` except `\%` and `\_`
_ESCAPES = {b"0": b"\x00", b"b": b"\x08", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a",
            b"%": b"\\%", b"_": b"\\_"}
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_STRING = re.compile(rb"(?:_[A-Za-z0-9]+\s*|[Nn](?='))?('(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\")\s*",
                     re.DOTALL)
_HEX = re.compile(rb"(?:_[A-Za-z0-9]+\s*)?(?:0x([0-9A-Fa-f]*)|[Xx]'([0-9A-Fa-f]*)')")
_BITS = re.compile(rb"(?:_[A-Za-z0-9]+\s*)?(?:0b([01]+)|[Bb]'([01]*)')")


def unescape(body: bytes, quote: bytes, backslash: bool) -> bytes:
    """The bytes a quoted string's body (quotes removed) stands for: backslash escapes and
    doubled quotes, in one left-to-right pass."""
    if not backslash:
        return body.replace(quote + quote, quote)
    if b"\\" not in body and quote + quote not in body:
        return body
    return _ESC_IN[quote].sub(lambda m: quote if m.group(1) is None else _ESCAPES.get(m.group(1), m.group(1)),
                              body)


_ESC_IN = {q: re.compile(rb"\\(.)|" + q + q, re.DOTALL) for q in (b"'", b'"')}


def decode(lit: bytes, backslash: bool = True) -> Value:
    """Decode one literal as written in a VALUES row.  Raises Unverifiable for anything that
    is not a plain literal (expressions, functions, variables)."""
    lit = lit.strip()
    upper = lit.upper()
    if upper == b"NULL":
        return NULL
    if upper in (b"TRUE", b"FALSE"):
        return Value("bool", b"1" if upper == b"TRUE" else b"0")
    if _NUMBER.fullmatch(lit):
        return Value("num", lit)
    m = _HEX.fullmatch(lit)
    if m:
        digits = m.group(1) if m.group(1) is not None else m.group(2)
        if len(digits) % 2:
            digits = b"0" + digits
        return Value("hex", bytes.fromhex(digits.decode()))
    m = _BITS.fullmatch(lit)
    if m:
        bits = m.group(1) if m.group(1) is not None else m.group(2)
        n = int(bits or b"0", 2)
        return Value("hex", n.to_bytes((len(bits) + 7) // 8, "big") if bits else b"")
    parts, pos = [], 0
    while pos < len(lit):  # 'a' 'b' is one string: adjacent literals concatenate
        m = _STRING.match(lit, pos)
        if not m or (pos and m.group(0)[:1] not in (b"'", b'"')):
            break
        tok = m.group(1)
        parts.append(unescape(tok[1:-1], tok[:1], backslash))
        pos = m.end()
    if parts and pos == len(lit):
        return Value("str", b"".join(parts))
    raise Unverifiable(f"the value {_show(lit)} is not a plain literal")


def split_row(row: bytes, backslash: bool = True) -> list[bytes]:
    """The value literals of one row tuple `(...)`."""
    body, field = row.strip()[1:-1], _FIELDS[backslash]
    out, pos = [], 0
    while True:
        f = field.match(body, pos)
        out.append(f.group())
        pos = f.end()
        if pos >= len(body):
            return out
        pos += 1


def rows_of(values: bytes, backslash: bool = True) -> list[bytes]:
    """Every row tuple of a batch's `(...),(...)` text."""
    return [m.group() for m in _GRAMMARS[backslash].row.finditer(values)]


def _show(lit: bytes) -> str:
    text = lit[:40].decode("utf-8", "replace")
    return repr(text + ("..." if len(lit) > 40 else ""))

"""Parsed values (bytes / None) -> SQL row tuples, as bytes for a `SET NAMES binary` session.

Everything is sent as a quoted string (or NULL) and the server converts it to the column
type under `tidb.sql-mode`, exactly as upstream's tidb backend does for CSV values.  Only `\\`
and `'` need escaping: the server's lexer takes any other byte (NUL, newlines) inside quotes.
The work per value is C-level `bytes.replace` calls inside one list comprehension.
"""
from __future__ import annotations


def rows_to_values(rows: list[list[bytes | None]], backslash_escapes: bool = True) -> bytes:
    """`[[b'1', None], ...]` -> `('1',NULL),...`."""
    if backslash_escapes:
        return b",".join([b"(" + b",".join(
            [b"NULL" if v is None else b"'" + v.replace(b"\\", b"\\\\").replace(b"'", b"\\'") + b"'"
             for v in row]) + b")" for row in rows])
    return b",".join([b"(" + b",".join(
        [b"NULL" if v is None else b"'" + v.replace(b"'", b"''") + b"'" for v in row]) + b")"
        for row in rows])

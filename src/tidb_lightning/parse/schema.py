"""Split schema files (`-schema-create.sql`, `-schema.sql`, `-schema-view.sql`) into
statements and point them at the routed database/table names.

Beyond splitting we do not parse DDL: the server is the parser, and after creation the real
table structure is read back from it (see restore/target.py).
"""
from __future__ import annotations

import re

from tidb_lightning.errors import SourceError

_STR = rb"'(?:[^'\\]++|\\.|'')*+'|\"(?:[^\"\\]++|\\.|\"\")*+\"|`(?:[^`]++|``)*+`"
_COMMENT = rb"/\*.*?\*/|--(?:[ \t][^\n]*+)?(?:\n|\Z)|#[^\n]*+(?:\n|\Z)"
_STATEMENT = re.compile(rb"(?:[^'\"`;/\-#]++|" + _STR + b"|" + _COMMENT + rb"|[/\-#])*+(?:;|\Z)",
                        re.DOTALL)
_ONLY_COMMENTS = re.compile(rb"(?:\s++|" + _COMMENT + rb")*+;?\s*+\Z", re.DOTALL)
_LEAD = rb"(?:\s++|" + _COMMENT + rb")*+"
_NAME = rb"(?:`(?:[^`]|``)++`|\"(?:[^\"]|\"\")++\"|[^\s.`\"(;]++)"
_QNAME = _NAME + rb"(?:\s*+\.\s*+" + _NAME + rb")?"
_CREATE_DB = re.compile(_LEAD + rb"CREATE\s++(?:DATABASE|SCHEMA)\s++(?:IF\s++NOT\s++EXISTS\s++)?"
                        + _NAME + rb"(?:\s++IF\s++NOT\s++EXISTS)?", re.DOTALL | re.IGNORECASE)
_CREATE_TABLE = re.compile(_LEAD + rb"CREATE\s++(?:TEMPORARY\s++)?TABLE\s++(?:IF\s++NOT\s++EXISTS\s++)?"
                           + _QNAME, re.DOTALL | re.IGNORECASE)
_CREATE_VIEW = re.compile(
    _LEAD + rb"CREATE\s++(?:OR\s++REPLACE\s++)?((?:ALGORITHM\s*+=\s*+\w++\s++)?)"
    rb"(?:DEFINER\s*+=\s*+(?:" + _NAME + rb"(?:\s*+@\s*+" + _NAME + rb")?|CURRENT_USER(?:\(\))?)\s++)?"
    rb"((?:SQL\s++SECURITY\s++\w++\s++)?)VIEW\s++" + _QNAME, re.DOTALL | re.IGNORECASE)
_DROP_TABLE = re.compile(_LEAD + rb"DROP\s++TABLE\s++(?!IF\s)", re.DOTALL | re.IGNORECASE)


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def split_statements(text: bytes) -> list[bytes]:
    """Statements of a schema file, each without its `;`; comment-only ones dropped.

    Unlike upstream, a last statement without a trailing `;` is kept, not silently lost.
    """
    out = []
    pos = 0
    while pos < len(text):
        m = _STATEMENT.match(text, pos)
        if m is None or m.end() == pos:  # only possible on an unterminated string/comment
            raise SourceError("unterminated quoted string or comment in schema file")
        stmt = m.group()
        pos = m.end()
        if not _ONLY_COMMENTS.match(stmt):
            out.append(stmt[:-1] if stmt.endswith(b";") else stmt)
    return out


def create_database_sql(statements: list[bytes], db: str) -> bytes:
    """`CREATE DATABASE IF NOT EXISTS <db> <options from the file>` (the name always comes
    from the file name, as upstream: the statement's own name is replaced)."""
    head = f"CREATE DATABASE IF NOT EXISTS {quote_ident(db)}".encode()
    for stmt in statements:
        m = _CREATE_DB.match(stmt)
        if m:
            return head + stmt[m.end():]
    return head


def rewrite_table_statement(stmt: bytes, db: str, table: str) -> bytes:
    """`CREATE TABLE x` -> `CREATE TABLE IF NOT EXISTS db.table`; `DROP TABLE` -> `IF EXISTS`."""
    m = _CREATE_TABLE.match(stmt)
    if m:
        target = f"CREATE TABLE IF NOT EXISTS {quote_ident(db)}.{quote_ident(table)}".encode()
        return target + stmt[m.end():]
    m = _DROP_TABLE.match(stmt)
    if m:
        return b"DROP TABLE IF EXISTS " + stmt[m.end():]
    return stmt


def is_create_table(stmt: bytes) -> bool:
    return _CREATE_TABLE.match(stmt) is not None


def rewrite_view_statement(stmt: bytes, db: str, view: str) -> bytes:
    """`CREATE ... DEFINER=x VIEW v` -> `CREATE OR REPLACE ... VIEW db.v`.

    The DEFINER is dropped so the view belongs to the importing user: the dump's account
    (often `root`@`<some ip>`) rarely exists on the target, and such a view cannot be read.
    """
    m = _CREATE_VIEW.match(stmt)
    if not m:
        return rewrite_table_statement(stmt, db, view)
    target = b"CREATE OR REPLACE " + m.group(1) + m.group(2) + b"VIEW " + \
        f"{quote_ident(db)}.{quote_ident(view)}".encode()
    return target + stmt[m.end():]


def is_create_view(stmt: bytes) -> bool:
    return _CREATE_VIEW.match(stmt) is not None

"""Schema step: create databases, tables, then views, from the dump's schema files.

Database and table names always come from the file names (upstream rule); statements are
rewritten to `IF NOT EXISTS` on the routed names, so a re-run does not trip over tables an
earlier run created.  Views come last, retried in rounds because a view may read another
view that sorts after it.
"""
from __future__ import annotations

import logging
import re

import pymysql

from tidb_lightning.backend import db as dbconn
from tidb_lightning.errors import SourceError, TargetError
from tidb_lightning.parse import schema as ddl
from tidb_lightning.parse.schema import quote_ident
from tidb_lightning.source.loader import DatabaseMeta

log = logging.getLogger(__name__)


def decode_schema(raw: bytes, charset: str, path: str) -> bytes:
    """Schema file bytes -> UTF-8 bytes per `mydumper.character-set` (`binary`: as they are,
    sent on the utf8mb4 session as upstream does; MariaDB stores bytes that are not UTF-8 in
    a comment as `?`, and refuses them in a name)."""
    if charset == "binary":
        return raw
    encodings = {"auto": ("utf-8", "gb18030"), "utf8mb4": ("utf-8",), "utf8": ("utf-8",),
                 "gb18030": ("gb18030",), "gbk": ("gbk",), "latin1": ("cp1252",)}[charset]
    for enc in encodings:
        try:
            return decode_strict(raw, enc).encode("utf-8")
        except UnicodeDecodeError as e:
            err = e
    raise SourceError(f"schema file {path} is not valid {' or '.join(encodings)} (first bad byte at "
                      f"offset {err.start}); set `mydumper.character-set` to the file's charset")


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def decode_strict(raw: bytes, encoding: str) -> str:
    """`raw` decoded; for GB18030/GBK also refusing the user-defined areas, which Python maps
    to private-use characters and upstream's decoder to U+FFFD, an error there: UTF-8 text
    read as GB18030 lands in them (and can swallow a quote)."""
    text = raw.decode(encoding)
    if encoding in ("gb18030", "gbk"):
        m = _PRIVATE_USE.search(text)
        if m:
            at = len(text[:m.start()].encode(encoding))
            raise UnicodeDecodeError(encoding, raw, at, at + 1, "a user-defined (private-use) code")
    return text


class SchemaCreator:
    """Runs the schema files on one metadata connection (utf8mb4)."""

    def __init__(self, conn, storage, charset: str) -> None:
        self.conn = conn
        self.storage = storage
        self.charset = charset

    def _statements(self, path: str) -> list[bytes]:
        text = decode_schema(self.storage.read_bytes(path), self.charset,
                                     self.storage.describe(path))
        try:
            return ddl.split_statements(text)
        except SourceError as e:
            raise SourceError(f"{self.storage.describe(path)}: {e}") from None

    def _run(self, sql: bytes, path: str) -> None:
        try:
            self.conn.query(sql)
        except pymysql.err.MySQLError as e:
            raise dbconn.classify(e, f"running schema file {self.storage.describe(path)} failed "
                                  f"(statement: {sql[:200].decode('utf-8', 'replace')!r})") from None

    def create_database(self, meta: DatabaseMeta) -> None:
        if meta.schema_file:
            stmts = self._statements(meta.schema_file)
            sql = ddl.create_database_sql(stmts, meta.name)
        else:
            sql = f"CREATE DATABASE IF NOT EXISTS {quote_ident(meta.name)}".encode()
        self._run(sql, meta.schema_file or "(none)")

    def create_table(self, schema: str, name: str, path: str) -> None:
        stmts = self._statements(path)
        if not any(ddl.is_create_table(s) for s in stmts):
            raise SourceError(f"table schema file {self.storage.describe(path)} holds no CREATE TABLE "
                              f"statement for `{schema}`.`{name}`")
        self.conn.select_db(schema)
        for s in stmts:
            self._run(ddl.rewrite_table_statement(s, schema, name), path)

    def create_views(self, views: list) -> None:
        pending = list(views)
        while pending:
            failed: list[tuple[object, TargetError]] = []
            for v in pending:
                try:
                    stmts = self._statements(v.schema_file)
                    self.conn.select_db(v.schema)
                    for s in stmts:
                        self._run(ddl.rewrite_view_statement(s, v.schema, v.name), v.schema_file)
                    log.info("created view `%s`.`%s`", v.schema, v.name)
                except TargetError as e:
                    if getattr(e, "code", 0) not in (1146, 1356):  # a table/view it reads is missing
                        raise
                    failed.append((v, e))
            if len(failed) == len(pending):
                raise failed[0][1]
            pending = [v for v, _ in failed]

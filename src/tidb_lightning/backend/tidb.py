"""The logical `tidb` backend: rows go out as multi-row INSERT / REPLACE / INSERT IGNORE.

One :class:`TiDBWriter` per worker thread owns one connection (charset binary, the task's
sql_mode).  Statements are built from a head and the VALUES text, never by re-quoting values
that are already SQL literals.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Callable

import pymysql

from tidb_lightning import failpoints
from tidb_lightning.backend import db
from tidb_lightning.errors import DataError, TargetError
from tidb_lightning.parse.schema import quote_ident

log = logging.getLogger(__name__)

VERBS = {"replace": b"REPLACE INTO ", "ignore": b"INSERT IGNORE INTO ", "error": b"INSERT INTO "}
_INFO = re.compile(rb"Records:\s*(\d+)\s+Duplicates:\s*(\d+)\s+Warnings:\s*(\d+)")
MAX_RETRIES = 3


@dataclass
class WriteResult:
    rows: int
    duplicates: int
    warnings: int


class TiDBBackend:
    """Factory of writers; holds what every writer shares (verb, packet limit)."""

    local_infile = False  # the writers' connections may run LOAD DATA LOCAL INFILE
    # the rows' bytes as they are ("binary"), or UTF-8 text the server converts to each
    # column's charset ("utf8mb4": data files converted by `mydumper.data-character-set`)
    charset = "binary"

    def __init__(self, tidb, on_duplicate: str) -> None:
        self.tidb = tidb
        self.verb = VERBS[on_duplicate]
        self.on_duplicate = on_duplicate
        self.max_packet = int(tidb.max_allowed_packet or 0)

    def resolve_max_packet(self, conn) -> int:
        """`tidb.max-allowed-packet`, capped by the server's own limit (0 = the server's)."""
        with conn.cursor() as cur:
            cur.execute("SELECT @@max_allowed_packet")
            server = int(cur.fetchone()[0])
        self.max_packet = min(self.max_packet, server) if self.max_packet else server
        return self.max_packet

    def writer(self) -> "TiDBWriter":
        return TiDBWriter(self)


def statement_head(verb: bytes, qualified: str, columns) -> bytes:
    cols = b"" if columns is None else b" (" + ",".join(quote_ident(c) for c in columns).encode() + b")"
    return verb + qualified.encode() + cols + b" VALUES "


class TiDBWriter:
    """Sends batches on one connection.  Not thread-safe: one per worker."""

    def __init__(self, backend: TiDBBackend) -> None:
        self.backend = backend
        self.conn = None
        self.time_zone: str | None = None  # None = the server's default

    def _connection(self):
        if self.conn is None:
            self.conn = db.connect(self.backend.tidb, binary=self.backend.charset == "binary", data=True,
                                   extra=getattr(self.backend, "session", None),
                                   local_infile=self.backend.local_infile)
            self._apply_time_zone()
        return self.conn

    def set_time_zone(self, tz: str | None) -> None:
        """Interpret TIMESTAMP literals in `tz` (a dump's `SET TIME_ZONE='+00:00'` header)."""
        if tz != self.time_zone:
            self.time_zone = tz
            if self.conn is not None:
                try:
                    self._apply_time_zone()
                except pymysql.err.MySQLError as e:
                    if db.error_code(e) not in db.CONNECTION_LOST_CODES and \
                            not isinstance(e, pymysql.err.InterfaceError):
                        raise
                    self.close()  # a dead connection: the next one gets the zone when it opens

    def _apply_time_zone(self) -> None:
        with self.conn.cursor() as cur:
            if self.time_zone is None:
                cur.execute("SET time_zone = @@global.time_zone")
            else:
                cur.execute("SET time_zone = %s", (self.time_zone,))

    def write(self, qualified: str, columns, values: bytes, where: str,
              ledger_sql: Callable[[WriteResult], bytes] | None = None) -> WriteResult:
        """Run one INSERT; `where` (file and offset) goes into every error message.

        With `ledger_sql` (result -> the chunk's progress record) both statements run in one
        transaction, so rows and progress commit together or not at all.  Deadlocks and
        lock wait timeouts are retried here (the server rolled everything back).  A lost
        connection raises RetryableTargetError: whether the commit happened is then read
        from the ledger by the caller, never guessed.
        """
        sql = statement_head(self.backend.verb, qualified, columns) + values
        if len(sql) > self.backend.max_packet > 0:
            raise DataError(f"{where}: one row of values is {len(sql)} bytes, larger than "
                            f"max-allowed-packet ({self.backend.max_packet}); raise "
                            f"`tidb.max-allowed-packet` and the server's max_allowed_packet")

        def run(conn) -> WriteResult:
            conn.query(sql)
            return self._result(conn)
        return self._transact(run, qualified, where, ledger_sql)

    def _transact(self, run: Callable, qualified: str, where: str,
                  ledger_sql: Callable[[WriteResult], bytes] | None, always: bool = False) -> WriteResult | None:
        """`run(conn)` (and the ledger record) in one transaction, with write()'s error
        handling; `run` returning None rolls back and returns None.  `always`: a transaction
        even without a ledger record."""
        checked = False  # the retry of a bulk load's error 1180, with unique checks on
        for attempt in range(MAX_RETRIES + 1):
            conn = self._connection()
            try:
                if checked:
                    conn.query("SET unique_checks = 1")
                if ledger_sql is None and not always:
                    return run(conn)
                conn.begin()
                result = run(conn)
                if result is None:
                    self._rollback()
                    return None
                if ledger_sql is not None:
                    conn.query(ledger_sql(result))
                failpoints.hit("backend.before-commit")
                conn.commit()
                failpoints.hit("backend.after-commit")
                return result
            except pymysql.err.MySQLError as e:
                code = db.error_code(e)
                lost = code in db.CONNECTION_LOST_CODES or isinstance(e, pymysql.err.InterfaceError)
                if lost:
                    self.close()
                elif ledger_sql is not None or always:
                    self._rollback()
                if code == 1062:
                    err = DataError(f"{where}: duplicate key for {qualified} (on-duplicate = "
                                    f"\"error\"): Error 1062: {e.args[1]}")
                    err.code = code
                    raise err from None
                if code == 1180 and not checked and not lost:
                    # MariaDB's bulk insert into an empty table (unique_checks=0) meets a
                    # duplicate key only at the end of the statement, and says just "Got error
                    # 1 during COMMIT": once more with unique checks on, to name key and value
                    checked = True
                    continue
                if code in (1213, 1205) and attempt < MAX_RETRIES:
                    delay = 0.5 * 2 ** attempt
                    log.warning("%s: transient error, retrying in %.1fs: %s", where, delay, e)
                    time.sleep(delay)
                    continue
                err = db.classify(e, f"{where}: writing to {qualified} failed")
                if not err.retryable and not lost and 0 < code < 2000:
                    data = DataError(str(err))
                    data.code = code
                    raise data from None
                raise err from None
            finally:
                if checked and self.conn is not None:
                    self._restore_unique_checks()
        raise TargetError(f"{where}: giving up after {MAX_RETRIES} retries")  # pragma: no cover

    def set_bulk(self, on: bool) -> None:
        """The local backend loads big tables in bulk (see LocalWriter); here: nothing to do."""

    def _unique_checks(self) -> int:
        return int((getattr(self.backend, "session", None) or {}).get("unique_checks", 1))

    def _restore_unique_checks(self) -> None:
        try:
            self.conn.query(f"SET unique_checks = {self._unique_checks()}")
        except pymysql.err.MySQLError:
            self.close()  # the next connection starts with the backend's session

    def write_rows(self, qualified: str, columns, rows: list[bytes], ledger_sql, refused) -> tuple[
            WriteResult, int]:
        """Slow path after a batch was refused: one INSERT per row, all in one transaction with
        the progress record.  `refused(i, error) -> bytes` gives the statement that records row
        i as a type error (it may raise to stop the import).  Returns (result, rows refused)."""
        head = statement_head(self.backend.verb, qualified, columns)
        conn = self._connection()
        total = WriteResult(0, 0, 0)
        bad = 0
        try:
            conn.begin()
            for i, row in enumerate(rows):
                try:
                    conn.query(head + row)
                except pymysql.err.MySQLError as e:
                    code = db.error_code(e)
                    if code == 1062 or code >= 2000 or code in db.RETRYABLE_CODES or code == 0:
                        raise
                    conn.query(refused(i, f"Error {code}: {e.args[1]}"))
                    bad += 1
                    continue
                r = self._result(conn)
                total = WriteResult(total.rows + r.rows, total.duplicates + r.duplicates,
                                    total.warnings + r.warnings)
            if ledger_sql is not None:
                conn.query(ledger_sql(total))
            conn.commit()
            return total, bad
        except pymysql.err.MySQLError as e:
            code = db.error_code(e)
            if code in db.CONNECTION_LOST_CODES or isinstance(e, pymysql.err.InterfaceError):
                self.close()
            else:
                self._rollback()
            err = db.classify(e, f"writing to {qualified} row by row failed")
            if code == 1062 or (not err.retryable and 0 < code < 2000):
                data = DataError(str(err))
                data.code = code
                raise data from None
            raise err from None
        except BaseException:
            self._rollback()
            raise

    def execute(self, sql: bytes | str, args=None) -> list[tuple]:
        """Run a small statement (ledger reads and updates) on this writer's connection."""
        try:
            with self._connection().cursor() as cur:
                cur.execute(sql, args)
                return list(cur.fetchall())
        except pymysql.err.MySQLError as e:
            if db.error_code(e) in db.CONNECTION_LOST_CODES or isinstance(e, pymysql.err.InterfaceError):
                self.close()
            head = (sql.decode("utf-8", "replace") if isinstance(sql, bytes) else sql)[:60]
            raise db.classify(e, f"statement on the target failed ({head}...)") from None

    def cursor(self):
        return self._connection().cursor()

    def _rollback(self) -> None:
        try:
            self.conn.rollback()
        except pymysql.err.MySQLError:
            self.close()

    @staticmethod
    def _result(conn) -> WriteResult:
        res = conn._result
        warnings = res.warning_count or 0
        m = _INFO.search(res.message or b"")
        if m:
            return WriteResult(int(m.group(1)), int(m.group(2)), warnings)
        return WriteResult(res.affected_rows or 0, 0, warnings)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # already broken: nothing to release
                pass
            self.conn = None

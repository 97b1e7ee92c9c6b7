"""The `local` backend on MySQL-family targets: bulk loading into empty tables.

SQL dumps travel as with the `tidb` backend (the dump's own INSERT text); CSV files go as
their own bytes through `LOAD DATA LOCAL INFILE` (batches cut by :mod:`parse.csv_load`).  The
session skips what an empty table does not need while loading (`unique_checks`,
`foreign_key_checks`, binary logging where permitted), and the secondary indexes are taken
off before the data and built afterwards in one statement per table
(:mod:`tidb_lightning.restore.indexes`): the "data engine" / "index engine" split of
upstream's physical import.
"""
from __future__ import annotations

import logging
import re

import pymysql

from tidb_lightning.backend import db, infile
from tidb_lightning.backend.tidb import TiDBBackend, TiDBWriter, WriteResult
from tidb_lightning.parse.schema import quote_ident

log = logging.getLogger(__name__)

_LOAD_INFO = re.compile(rb"Records:\s*(\d+)\s+Deleted:\s*(\d+)\s+Skipped:\s*(\d+)\s+Warnings:\s*(\d+)")
# LOAD DATA LOCAL refused: by the server (MariaDB 1148 and 4166, MySQL 8 3948) or by the client library
LOCAL_INFILE_REFUSED = {1148, 3948, 4166, 2068}


class LocalBackend(TiDBBackend):
    """`conflict.strategy`: "replace" -> REPLACE (unique keys stay, and are checked);
    "" or "error" -> INSERT: a duplicate primary key fails the batch, a duplicate in a
    unique key fails the table when its index is built."""

    local_infile = True

    def __init__(self, tidb, strategy: str) -> None:
        super().__init__(tidb, "replace" if strategy == "replace" else "error")
        self.strategy = strategy
        self.session = {"unique_checks": 1 if strategy == "replace" else 0, "sql_log_bin": 0}
        self.load_refused: str | None = None  # why the server takes no LOAD DATA LOCAL

    @property
    def keeps_unique_keys(self) -> bool:
        """REPLACE finds the rows to replace through the unique keys: they stay on."""
        return self.strategy == "replace"

    def writer(self) -> "LocalWriter":
        return LocalWriter(self)


class LocalWriter(TiDBWriter):
    """Big tables load with `unique_checks=0`: into an empty table MariaDB then inserts in bulk
    (sorting the rows, building the primary key at the end of the transaction).  For a table
    below `index-engine-min-size` that costs more than it saves (sort buffers per index): 40%
    more server CPU over 10,000 tables of 100 rows; those load with unique checks on."""

    backend: LocalBackend
    bulk = True

    def set_bulk(self, on: bool) -> None:
        if on != self.bulk:
            self.bulk = on
            if self.conn is not None:
                self._restore_unique_checks()

    def _unique_checks(self) -> int:
        return 0 if self.bulk and self.backend.strategy != "replace" else 1

    def _connection(self):
        fresh = self.conn is None
        conn = super()._connection()
        if fresh and self._unique_checks() != self.backend.session["unique_checks"]:
            self._restore_unique_checks()
        return conn

    def load(self, qualified: str, columns: list[str] | None, clause: bytes, data: bytes | memoryview, rows: int,
             where: str, ledger_sql=None) -> tuple[WriteResult | None, str]:
        """LOAD DATA LOCAL of one batch of `rows` CSV rows (`columns`: names, or `@var` for a
        field to leave out).  The server reads LOCAL data as with IGNORE (a duplicate key or
        a bad value is a warning, the row skipped or converted), so anything but every row
        taken cleanly is rolled back: returns (None, why) and the caller re-sends the rows
        as INSERT statements, which fail or record them as the task says."""
        if self.backend.load_refused:
            return None, self.backend.load_refused
        verb = b" REPLACE" if self.backend.on_duplicate == "replace" else b""
        cols = b"" if columns is None else b" (" + ",".join(
            c if c.startswith("@") else quote_ident(c) for c in columns).encode() + b")"
        sql = (b"LOAD DATA LOCAL INFILE 'batch'" + verb + b" INTO TABLE " + qualified.encode()
               + b" CHARACTER SET " + self.backend.charset.encode() + b" " + clause + cols)
        why = ""

        def run(conn) -> WriteResult | None:
            nonlocal why
            try:
                with infile.offering(conn, data):
                    conn.query(sql)
            except pymysql.err.MySQLError as e:
                if db.error_code(e) not in LOCAL_INFILE_REFUSED:
                    raise
                why = self.backend.load_refused = (
                    f"the target refuses LOAD DATA LOCAL INFILE (Error {db.error_code(e)}: "
                    f"{e.args[-1]}); enable `local_infile` on the server for faster CSV imports")
                log.warning("%s: CSV rows go as INSERT statements", why)
                return None
            m = _LOAD_INFO.search(conn._result.message or b"")
            records, deleted, skipped, warnings = map(int, m.groups()) if m else (-1, 0, 0, 0)
            if records != rows or skipped or warnings:
                why = (f"LOAD DATA took {records} of {rows} rows, skipped {skipped}, with {warnings} "
                       f"warnings")
                return None
            return WriteResult(records, deleted, 0)

        return self._transact(run, qualified, where, ledger_sql, always=True), why

"""Import mode on MySQL-family targets: server settings that speed up bulk loading at the cost
of crash safety, switched on for a `local` import only when `tikv-importer.server-import-mode`
is true (ours; upstream switches TiKV), and switched back afterwards.

Before anything changes, each setting's current value is recorded on the target
(`<checkpoint.schema>.import_mode_v1`); a record already there is kept (it holds the values of
before a run that was killed in import mode), so `tidb-lightning-ctl --switch-mode normal`
restores the right values even after a crash.  Settings the server refuses (no privilege, not
dynamic) are logged and skipped.
"""
from __future__ import annotations

import logging

import pymysql

from tidb_lightning.backend.db import query, text
from tidb_lightning.parse.schema import quote_ident

log = logging.getLogger(__name__)

TABLE = "import_mode_v1"
# global variable -> its import-mode value: no log flush at each commit, no binlog fsync
SETTINGS = {"innodb_flush_log_at_trx_commit": "0", "sync_binlog": "0"}
REDO_LOG = "innodb_redo_log"  # MySQL >= 8.0.21: ALTER INSTANCE DISABLE INNODB REDO_LOG


class ImportMode:
    def __init__(self, conn, schema: str) -> None:
        self.conn = conn
        self.table = f"{quote_ident(schema)}.{quote_ident(TABLE)}"
        self.schema = schema

    def _recorded(self) -> dict[str, str]:
        try:
            return {text(n): text(v) for n, v in query(self.conn, f"SELECT name, value FROM {self.table}")}
        except pymysql.err.ProgrammingError:  # no table: nothing recorded
            return {}

    def fetch(self) -> str:
        """`import` (with the recorded normal values) or `normal`."""
        recorded = self._recorded()
        if not recorded:
            return "normal"
        now = {n: text(query(self.conn, f"SELECT @@global.{n}")[0][0]) for n in recorded if n != REDO_LOG}
        return "import (normal values: " + ", ".join(
            f"{n}={v} (now {now.get(n, 'disabled' if n == REDO_LOG else '?')})" for n, v in recorded.items()) + ")"

    def switch_to_import(self) -> list[str]:
        """Record the current values (keeping an older record), then apply import mode.
        Returns the settings changed."""
        query(self.conn, f"CREATE DATABASE IF NOT EXISTS {quote_ident(self.schema)}")
        query(self.conn, f"CREATE TABLE IF NOT EXISTS {self.table} (name VARCHAR(64) NOT NULL PRIMARY KEY, "
                          f"value TEXT NOT NULL)")
        changed = []
        for name, value in SETTINGS.items():
            try:
                current = text(query(self.conn, f"SELECT @@global.{name}")[0][0])
                query(self.conn, f"INSERT IGNORE INTO {self.table} VALUES (%s, %s)", (name, current))
                query(self.conn, f"SET GLOBAL {name} = {value}")
                changed.append(f"{name}={value} (was {current})")
            except pymysql.err.MySQLError as e:
                log.warning("import mode: the target refused %s=%s, skipped: %s", name, value, e)
        if self._redo_log_switchable():
            try:
                query(self.conn, f"INSERT IGNORE INTO {self.table} VALUES (%s, 'ON')", (REDO_LOG,))
                query(self.conn, "ALTER INSTANCE DISABLE INNODB REDO_LOG")
                changed.append("INNODB REDO_LOG disabled")
            except pymysql.err.MySQLError as e:
                log.warning("import mode: the target refused to disable the redo log, skipped: %s", e)
        log.info("switched the target to import mode: %s", ", ".join(changed) or "nothing changed")
        return changed

    def switch_to_normal(self) -> list[str]:
        """Restore every recorded value, then forget the record.  Returns what was restored."""
        restored = []
        for name, value in self._recorded().items():
            if name == REDO_LOG:
                query(self.conn, "ALTER INSTANCE ENABLE INNODB REDO_LOG")
                restored.append("INNODB REDO_LOG enabled")
            else:
                query(self.conn, f"SET GLOBAL {name} = %s", (int(value) if value.isdigit() else value,))
                restored.append(f"{name}={value}")
            query(self.conn, f"DELETE FROM {self.table} WHERE name = %s", (name,))
        log.info("switched the target to normal mode: %s", ", ".join(restored) or "nothing was recorded")
        return restored

    def _redo_log_switchable(self) -> bool:
        version = text(query(self.conn, "SELECT VERSION()")[0][0])
        if "mariadb" in version.lower() or "tidb" in version.lower():
            return False
        nums = [int(x) for x in version.split("-")[0].split(".")[:3] if x.isdigit()]
        return nums >= [8, 0, 21]

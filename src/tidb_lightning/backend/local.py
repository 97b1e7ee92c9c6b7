"""The `local` backend on MySQL-family targets: bulk loading into empty tables.

The rows travel as with the `tidb` backend (the dump's own INSERT text, CSV rows as quoted
literals), but the session skips what an empty table does not need while loading
(`unique_checks`, `foreign_key_checks`, binary logging where permitted), and the secondary
indexes are taken off before the data and built afterwards in one statement per table
(:mod:`tidb_lightning.restore.indexes`): the "data engine" / "index engine" split of
upstream's physical import.
"""
from __future__ import annotations

from tidb_lightning.backend.tidb import TiDBBackend, TiDBWriter


class LocalBackend(TiDBBackend):
    """`conflict.strategy`: "replace" -> REPLACE (unique keys stay, and are checked);
    "" or "error" -> INSERT: a duplicate primary key fails the batch, a duplicate in a
    unique key fails the table when its index is built."""

    def __init__(self, tidb, strategy: str) -> None:
        super().__init__(tidb, "replace" if strategy == "replace" else "error")
        self.strategy = strategy
        self.session = {"unique_checks": 1 if strategy == "replace" else 0, "sql_log_bin": 0}

    @property
    def keeps_unique_keys(self) -> bool:
        """REPLACE finds the rows to replace through the unique keys: they stay on."""
        return self.strategy == "replace"

    def writer(self) -> TiDBWriter:
        return TiDBWriter(self)

"""`[[mydumper.ignore-data-columns]]` (global spelling `ignore-columns`): source columns left
out of the import; the target fills their defaults.  An entry names its tables by `db` and
`table`, or by a `table-filter` (the `-f` syntax); the first entry matching a table wins, as
upstream."""
from __future__ import annotations

from tidb_lightning.source.filter import TableFilter


class IgnoredColumns:
    def __init__(self, entries, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        self.rules = [(TableFilter.parse(e.table_filter, case_sensitive) if e.table_filter else None,
                       self._fold(e.db), self._fold(e.table), frozenset(c.lower() for c in e.columns))
                      for e in entries]

    def _fold(self, name: str) -> str:
        return name if self.case_sensitive else name.lower()

    def of(self, db: str, table: str) -> frozenset[str]:
        """The (lower-cased) columns to leave out of `db`.`table`'s data; empty: none."""
        for f, rule_db, rule_table, columns in self.rules:
            if f is not None:
                if f.match_table(db, table):
                    return columns
            elif (rule_db, rule_table) == (self._fold(db), self._fold(table)):
                return columns
        return frozenset()

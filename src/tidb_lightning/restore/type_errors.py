"""`lightning.max-error`: rows the target refuses (a value out of range, too long in strict
mode, an invalid date...) are recorded instead of failing the import, until more than
`max-error` rows were skipped.

Records go to `<lightning.task-info-schema-name>.type_error_v1` (upstream's table and
columns), in the same transaction as the batch's good rows and its chunk progress, so a
resumed run neither loses nor repeats a record.  The budget counts the records already
committed for this task, so it holds across restarts.
"""
from __future__ import annotations

import threading

from tidb_lightning.errors import DataError
from tidb_lightning.parse.schema import quote_ident

TABLE = "type_error_v1"


def _hex(b: bytes) -> bytes:
    return b"x'" + b.hex().encode() + b"'"


class TypeErrors:
    """Shared by all workers (thread-safe)."""

    def __init__(self, schema: str, task_id: int, max_error: int) -> None:
        self.schema = schema
        self.task_id = task_id
        self.max_error = max_error
        self.table = f"{quote_ident(schema)}.{quote_ident(TABLE)}"
        self.count = 0
        self._lock = threading.Lock()

    def setup(self, conn) -> None:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {quote_ident(self.schema)}")
            cur.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (task_id BIGINT NOT NULL, "
                        "create_time DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
                        "table_name VARCHAR(261) NOT NULL, path VARCHAR(2048) NOT NULL, "
                        "`offset` BIGINT NOT NULL, error TEXT NOT NULL, row_data LONGTEXT NOT NULL, "
                        "KEY (task_id, table_name))")
            cur.execute(f"SELECT COUNT(*) FROM {self.table} WHERE task_id = %s", (self.task_id,))
            self.count = int(cur.fetchone()[0])

    def record_sql(self, table_name: str, path: str, offset: int, error: str, row: bytes) -> bytes:
        enc = lambda s: _hex(s.encode("utf-8", "surrogateescape"))  # noqa: E731
        return (b"INSERT INTO " + self.table.encode() + b" (task_id, table_name, path, `offset`, error, "
                b"row_data) VALUES (" + b",".join([str(self.task_id).encode(), enc(table_name), enc(path),
                                                   str(offset).encode(), enc(error), _hex(row)]) + b")")

    def take(self, n: int, table_name: str) -> None:
        """Spend `n` of the budget; raises when more than `max-error` rows were skipped."""
        with self._lock:
            if self.count + n > self.max_error:
                raise DataError(
                    f"{table_name}: the number of type errors exceeds the threshold configured by "
                    f"`max-error.type`: '{self.max_error}' ({self.count + n} rows refused; see "
                    f"{self.table})")
            self.count += n

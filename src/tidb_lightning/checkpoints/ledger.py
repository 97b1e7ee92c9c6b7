"""Chunk progress kept on the import target, committed in the same transaction as the rows.

This is what makes a resume exact whatever the table looks like (no primary key,
`on-duplicate = "error"`) and whichever checkpoint driver is used: a batch of rows and the
record "chunk C is done up to byte P" commit together or not at all, so after a kill at any
instant the next run restarts each chunk exactly after the last committed row.  The
checkpoint store (file or mysql) keeps the task, the table statuses and the chunk list; it
never holds positions that could disagree with the target.

Table `<checkpoint.schema>.chunk_progress_v2` on the target, one row per chunk, keyed by a
SHA-256 of (task id, table, path, chunk start offset): a new task never mistakes an old
task's rows for its own progress.  Each row also carries the source checksum of the rows it
committed (:mod:`tidb_lightning.checksum`), so the checksum after a resume covers every run;
one more row per table (offset -1) holds the target's checksum taken before its import.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from tidb_lightning.checksum.hasher import MASK, Digest
from tidb_lightning.parse.schema import quote_ident

TABLE = "chunk_progress_v2"
SNAPSHOT = -1  # `offset` of a table's "before the import" checksum row
INDEXES = -2   # `offset` of a table's row keeping the indexes taken off for the import (local)


@dataclass(frozen=True)
class ChunkProgress:
    pos: int                 # absolute offset the next run starts at
    rows: int                # rows committed so far
    done: bool               # the whole chunk is imported
    resume: object           # parser state at `pos`: None = statement boundary, else {"columns": [...]|None}


def chunk_key(task_id: int, table_name: str, path: str, offset: int) -> bytes:
    text = f"{task_id}\x00{table_name}\x00{path}\x00{offset}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()


def _literal(b: bytes) -> bytes:
    return b"x'" + b.hex().encode() + b"'"


def _str(v):
    """A text column as str (binary-charset connections return bytes)."""
    return v.decode("utf-8", "surrogateescape") if isinstance(v, (bytes, bytearray)) else v


def _string(s: str) -> bytes:
    return _literal(s.encode("utf-8", "surrogateescape"))


class Ledger:
    """SQL for the progress table.  Builds statements; the caller runs them on its own
    connection (inside its data transaction), so this class holds no connection."""

    def __init__(self, schema: str, task_id: int) -> None:
        self.schema = schema
        self.task_id = task_id
        self.table = f"{quote_ident(schema)}.{quote_ident(TABLE)}"

    def create_sql(self) -> list[str]:
        return [f"CREATE DATABASE IF NOT EXISTS {quote_ident(self.schema)}",
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                "chunk_key BINARY(32) NOT NULL PRIMARY KEY, task_id BIGINT NOT NULL, "
                "table_name VARCHAR(261) NOT NULL, "
                "path TEXT NOT NULL, `offset` BIGINT NOT NULL, pos BIGINT NOT NULL, "
                "`rows` BIGINT NOT NULL DEFAULT 0, done TINYINT NOT NULL DEFAULT 0, resume TEXT NULL, "
                "dups BIGINT NOT NULL DEFAULT 0, crc_rows BIGINT NOT NULL DEFAULT 0, "
                "crc_xor BIGINT UNSIGNED NOT NULL DEFAULT 0, crc_sum DECIMAL(20,0) NOT NULL DEFAULT 0, "
                "unverified TEXT NULL, "
                "update_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, "
                "KEY k_table (task_id, table_name))"]

    def advance_sql(self, table_name: str, path: str, offset: int, pos: int, rows: int,
                    done: bool = False, resume: object = None, dups: int = 0,
                    digest: Digest | None = None, unverified: str | None = None) -> bytes:
        """Upsert: the chunk is now committed up to `pos`, `rows` more rows (`dups` of them
        replaced or ignored as duplicates) whose source checksum is `digest`; `unverified`
        says why some of them could not be checksummed."""
        state = b"NULL" if resume is None else _string(json.dumps(resume))
        d = digest or Digest()
        why = b"NULL" if unverified is None else _string(unverified[:1000])
        return (b"INSERT INTO " + self.table.encode() + b" (chunk_key, task_id, table_name, path, `offset`, "
                b"pos, `rows`, done, resume, dups, crc_rows, crc_xor, crc_sum, unverified) VALUES (" + b",".join([
                    _literal(chunk_key(self.task_id, table_name, path, offset)), str(self.task_id).encode(),
                    _string(table_name), _string(path),
                    str(offset).encode(), str(pos).encode(), str(rows).encode(), b"1" if done else b"0",
                    state, str(dups).encode(), str(d.rows).encode(), str(d.xor).encode(),
                    str(d.sum).encode(), why]) + b") ON DUPLICATE KEY UPDATE pos = VALUES(pos), "
                b"`rows` = `rows` + VALUES(`rows`), done = VALUES(done), resume = VALUES(resume), "
                b"dups = dups + VALUES(dups), crc_rows = crc_rows + VALUES(crc_rows), "
                b"crc_xor = crc_xor ^ VALUES(crc_xor), "
                b"crc_sum = MOD(crc_sum + VALUES(crc_sum), " + str(MASK + 1).encode() + b"), "
                b"unverified = COALESCE(unverified, VALUES(unverified))")

    def snapshot_sql(self, snapshots: dict[str, Digest]) -> bytes:
        """Record each table's checksum before its import (one statement for all tables)."""
        rows = [b"(" + b",".join([
            _literal(chunk_key(self.task_id, name, "", SNAPSHOT)), str(self.task_id).encode(),
            _string(name), b"''", str(SNAPSHOT).encode(), b"0", b"0", b"1", str(d.rows).encode(),
            str(d.xor).encode(), str(d.sum).encode()]) + b")" for name, d in snapshots.items()]
        return (b"INSERT IGNORE INTO " + self.table.encode() + b" (chunk_key, task_id, table_name, path, "
                b"`offset`, pos, `rows`, done, crc_rows, crc_xor, crc_sum) VALUES " + b",".join(rows))

    def source_checksum(self, query, table_name: str) -> tuple[Digest | None, Digest, int, str | None]:
        """(checksum before the import or None if never taken, source checksum of the rows
        committed by every run, duplicates, why some rows were not checksummed)."""
        before, total, dups, why = None, Digest(), 0, None
        for is_snapshot, n, x, s_, d, u in query(
                f"SELECT `offset` = {SNAPSHOT}, crc_rows, crc_xor, crc_sum, dups, unverified "
                f"FROM {self.table} WHERE task_id = %s AND table_name = %s AND `offset` <> {INDEXES}",
                (self.task_id, table_name)):
            digest = Digest(int(n), int(x), int(s_))
            if is_snapshot:
                before = digest
            else:
                total, dups = total + digest, dups + int(d)
                why = why or _str(u)
        return before, total, dups, why

    def indexes_sql(self, table_name: str, indexes: list[tuple[str, str]]) -> bytes:
        """Keep the definitions of the indexes about to be taken off `table_name`."""
        return (b"INSERT IGNORE INTO " + self.table.encode() + b" (chunk_key, task_id, table_name, path, "
                b"`offset`, pos, done, resume) VALUES (" + b",".join([
                    _literal(chunk_key(self.task_id, table_name, "", INDEXES)), str(self.task_id).encode(),
                    _string(table_name), b"''", str(INDEXES).encode(), b"0", b"1",
                    _string(json.dumps(indexes))]) + b")")

    def indexes(self, query) -> dict[str, list[tuple[str, str]]]:
        """Every table's definitions kept by indexes_sql (one query for all tables)."""
        rows = query(f"SELECT table_name, resume FROM {self.table} WHERE task_id = %s AND `offset` = {INDEXES}",
                     (self.task_id,))
        return {_str(t): [tuple(i) for i in json.loads(_str(r))] for t, r in rows}

    def snapshots(self, query) -> set[str]:
        """Tables whose "before the import" checksum was taken."""
        return {_str(r[0]) for r in query(f"SELECT table_name FROM {self.table} WHERE task_id = %s "
                                          f"AND `offset` = {SNAPSHOT}", (self.task_id,))}

    def read(self, cursor, table_name: str) -> dict[tuple[str, int], ChunkProgress]:
        """Progress of every chunk of one table, keyed by (path, offset)."""
        return self.read_all(cursor, table_name).get(table_name, {})

    def read_all(self, cursor, table_name: str | None = None) -> dict[str, dict[tuple[str, int], ChunkProgress]]:
        """Progress of every chunk of the task (or of one table): {table: {(path, offset): ...}}."""
        # a locking read waits for a transaction still committing (its client died after
        # sending COMMIT): a plain read could miss that batch and send it a second time
        where, args = "task_id = %s", (self.task_id,)
        if table_name is not None:
            where, args = where + " AND table_name = %s", args + (table_name,)
        cursor.execute(f"SELECT table_name, path, `offset`, pos, `rows`, done, resume FROM {self.table} "
                       f"WHERE {where} FOR UPDATE", args)
        out: dict[str, dict[tuple[str, int], ChunkProgress]] = {}
        for table, path, offset, pos, rows, done, resume in cursor.fetchall():
            table, path, resume = (_str(v) for v in (table, path, resume))
            if int(offset) < 0:  # a table's own rows (snapshot, indexes), not a chunk's
                out.setdefault(table, {})
                continue
            out.setdefault(table, {})[(path, int(offset))] = ChunkProgress(
                int(pos), int(rows), bool(done), None if resume is None else json.loads(resume))
        return out

    def forget_sql(self, table_name: str | None) -> tuple[str, tuple]:
        """Delete the progress of one table (or of every table when None) of this task."""
        if table_name is None:
            return f"DELETE FROM {self.table} WHERE task_id = %s", (self.task_id,)
        return f"DELETE FROM {self.table} WHERE task_id = %s AND table_name = %s", (self.task_id, table_name)

    def drop_sql(self) -> str:
        return f"DROP TABLE IF EXISTS {self.table}"

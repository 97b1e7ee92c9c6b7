"""`checkpoint.driver = "file"`: an SQLite database file (stdlib sqlite3).

Upstream rewrites a whole protobuf file on every save; here every write is one SQLite
transaction (rollback journal, ``synchronous = FULL``), so a kill at any instant leaves
either the state before or the state after the call, and a call that returned is on disk.
The default path keeps upstream's name (``/tmp/tidb_lightning_checkpoint.pb``) although the
content is SQLite; an upstream protobuf file at that path is reported, never overwritten.

Tables (the version is in the name; a new layout gets new names)::

    task_v1  (id = 1, task_id, source_dir BLOB, backend, tidb_host, tidb_port, pd_addr,
              sorted_kv_dir BLOB, lightning_version, on_duplicate, filter (JSON), create_time)
    table_v1 (table_name PK, status, error, create_time, update_time)
    chunk_v1 (table_name, path BLOB, offset, end_offset, type, compression, sort_key BLOB,
              file_size, PRIMARY KEY (table_name, path, offset))

Paths are stored as bytes (UTF-8 with surrogate escapes) so file names that are not valid
UTF-8 round-trip exactly.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any, Callable

from tidb_lightning import failpoints
from tidb_lightning.errors import LightningError

from . import store as _s
from .model import MAX_INVALID, ChunkCheckpoint, Status, TableCheckpoint, TaskCheckpoint

__all__ = ["FileStore", "CheckpointFileError"]


class CheckpointFileError(LightningError):
    """The checkpoint file cannot be read or written."""


_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS task_v1 ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " task_id INTEGER NOT NULL,"
    " source_dir BLOB NOT NULL,"
    " backend TEXT NOT NULL,"
    " tidb_host TEXT NOT NULL,"
    " tidb_port INTEGER NOT NULL,"
    " pd_addr TEXT NOT NULL,"
    " sorted_kv_dir BLOB NOT NULL,"
    " lightning_version TEXT NOT NULL,"
    " on_duplicate TEXT NOT NULL,"
    " filter TEXT NOT NULL,"
    " create_time TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS table_v1 ("
    " table_name TEXT NOT NULL PRIMARY KEY,"
    " status INTEGER NOT NULL DEFAULT 30,"
    " error TEXT NOT NULL DEFAULT '',"
    " create_time TEXT NOT NULL,"
    " update_time TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS chunk_v1 ("
    " table_name TEXT NOT NULL,"
    " path BLOB NOT NULL,"
    " \"offset\" INTEGER NOT NULL,"
    " end_offset INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " compression TEXT NOT NULL,"
    " sort_key BLOB NOT NULL,"
    " file_size INTEGER NOT NULL,"
    " PRIMARY KEY (table_name, path, \"offset\")) WITHOUT ROWID",
]

_TASK_SELECT = ("SELECT task_id, source_dir, backend, tidb_host, tidb_port, pd_addr, sorted_kv_dir, "
                "lightning_version, on_duplicate, filter, create_time FROM task_v1 WHERE id = 1")
_CHUNK_SELECT = ("SELECT table_name, path, \"offset\", end_offset, type, compression, sort_key, file_size "
                 "FROM chunk_v1")
_FAILED = f"status <= {MAX_INVALID}"


def _task(row) -> TaskCheckpoint:
    return TaskCheckpoint(
        task_id=int(row[0]), source_dir=_s.from_bytes(row[1]), backend=row[2], tidb_host=row[3],
        tidb_port=int(row[4]), pd_addr=row[5], sorted_kv_dir=_s.from_bytes(row[6]),
        lightning_version=row[7], on_duplicate=row[8], filter=_s.decode_filter(row[9]))


def _chunk(row) -> ChunkCheckpoint:
    return ChunkCheckpoint(table_name=row[0], path=_s.from_bytes(row[1]), offset=int(row[2]),
                           end_offset=int(row[3]), type=row[4], compression=row[5],
                           sort_key=_s.from_bytes(row[6]), file_size=int(row[7]))


class FileStore:
    """Checkpoints in one SQLite file.  One connection, guarded by a lock."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.description = f"file {self.path}"
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        if os.path.exists(self.path):
            with self._lock:
                self._guard("open", lambda: self._open(create=False))

    # ------------------------------------------------------------------ plumbing

    def _open(self, create: bool) -> sqlite3.Connection | None:
        if self._db is not None:
            return self._db
        if not create and not os.path.exists(self.path):
            return None
        parent = os.path.dirname(self.path)
        new_dir = not os.path.isdir(parent)
        if new_dir:
            os.makedirs(parent, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode = DELETE")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("BEGIN IMMEDIATE")
            for stmt in _SCHEMA:
                db.execute(stmt)
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        if new_dir:
            _s.fsync_dir(os.path.dirname(parent))
        _s.fsync_dir(parent)
        self._db = db
        return db

    def _close_db(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            db.close()

    def _error(self, what: str, e: BaseException) -> CheckpointFileError:
        text = str(e)
        if isinstance(e, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
            hint = ("it is not a checkpoint file of this tidb-lightning (an upstream protobuf "
                    ".pb file, or damaged): delete it (or run `tidb-lightning-ctl "
                    "--checkpoint-remove=all`) or point `checkpoint.dsn` at another path")
        elif isinstance(e, sqlite3.OperationalError) and "locked" in text:
            hint = "another tidb-lightning or tidb-lightning-ctl holds the file; wait for it or stop it"
        else:
            hint = ("check that the directory exists, is writable and has free space, or set "
                    "`checkpoint.dsn` to another path")
        return CheckpointFileError(f"checkpoint {self.description}: cannot {what}: {text}; {hint}")

    def _guard(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (sqlite3.Error, OSError) as e:
            raise self._error(what, e) from e

    def _txn(self, what: str, fn: Callable[[sqlite3.Connection | None], Any], write: bool,
             create: bool | None = None) -> Any:
        """Run fn(db) in one transaction; fn(None) when there is no file and `create` (default:
        `write`) is false.  Writers take the write lock up front (BEGIN IMMEDIATE)."""
        create = write if create is None else create
        with self._lock:
            def run():
                db = self._open(create=create)
                if db is None:
                    return fn(None)
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    result = fn(db)
                    db.execute("COMMIT")
                    return result
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            return self._guard(what, run)

    def _remove_files(self) -> bool:
        self._close_db()
        existed = os.path.exists(self.path)
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(self.path + suffix)
            except FileNotFoundError:
                pass
        _s.fsync_dir(os.path.dirname(self.path))
        return existed

    # ------------------------------------------------------------------ reads

    def task(self) -> TaskCheckpoint | None:
        def fn(db):
            row = db.execute(_TASK_SELECT).fetchone() if db else None
            return _task(row) if row else None
        return self._txn("read the task", fn, write=False)

    def tables(self) -> dict[str, TableCheckpoint]:
        def fn(db):
            if db is None:
                return {}
            out = {name: TableCheckpoint(name, int(status), error)
                   for name, status, error in db.execute("SELECT table_name, status, error FROM table_v1")}
            for row in db.execute(_CHUNK_SELECT):
                t = out.get(row[0])
                if t is not None:
                    t.chunks.append(_chunk(row))
            return _s.sort_tables(out)
        return self._txn("read the tables", fn, write=False)

    # ------------------------------------------------------------------ writes

    def initialize(self, task: TaskCheckpoint) -> None:
        def fn(db):
            if db.execute("SELECT 1 FROM task_v1 WHERE id = 1").fetchone():
                return
            db.execute(
                "INSERT INTO task_v1 (id, task_id, source_dir, backend, tidb_host, tidb_port, pd_addr, "
                "sorted_kv_dir, lightning_version, on_duplicate, filter, create_time) "
                "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (int(task.task_id), _s.to_bytes(task.source_dir), task.backend, task.tidb_host,
                 int(task.tidb_port), task.pd_addr, _s.to_bytes(task.sorted_kv_dir),
                 task.lightning_version, task.on_duplicate, _s.encode_filter(task.filter), _s.now_text()))
            failpoints.hit("store.write")  # a kill here: the transaction never commits
        self._txn("store the task", fn, write=True)

    def insert_table(self, table_name: str, chunks: list[ChunkCheckpoint]) -> None:
        self.insert_tables({table_name: chunks})

    def insert_tables(self, tables: dict[str, list[ChunkCheckpoint]]) -> None:
        what = _s.check_tables(tables)

        def fn(db):
            known = {r[0] for r in db.execute("SELECT table_name FROM table_v1")}
            now = _s.now_text()
            for table_name, chunks in tables.items():
                if table_name in known:
                    continue
                db.execute("INSERT INTO table_v1 (table_name, status, error, create_time, update_time) "
                           "VALUES (?, ?, '', ?, ?)", (table_name, int(Status.LOADED), now, now))
                db.execute("DELETE FROM chunk_v1 WHERE table_name = ?", (table_name,))  # orphans, if any
                db.executemany(
                    "INSERT INTO chunk_v1 (table_name, path, \"offset\", end_offset, type, compression, "
                    "sort_key, file_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(table_name, _s.to_bytes(c.path), int(c.offset), int(c.end_offset), c.type,
                      c.compression, _s.to_bytes(c.sort_key), int(c.file_size)) for c in chunks])
            failpoints.hit("store.write")
        self._txn(f"store the chunks of {what}", fn, write=True)

    def set_status(self, table_name: str, status: int, error: str = "") -> None:
        def fn(db):
            cur = db.execute("UPDATE table_v1 SET status = ?, error = ?, update_time = ? WHERE table_name = ?",
                             (int(status), _s.clean_error(error), _s.now_text(), table_name))
            if cur.rowcount == 0:
                raise LightningError(f"no checkpoint for table {table_name} in {self.description}: "
                                     f"insert_table() must come first")
            failpoints.hit("store.write")
        self._txn(f"store the status of {table_name}", fn, write=True)

    def set_statuses(self, statuses: dict[str, int]) -> None:
        def fn(db):
            now = _s.now_text()
            db.executemany("UPDATE table_v1 SET status = ?, error = '', update_time = ? WHERE table_name = ?",
                           [(int(st), now, name) for name, st in statuses.items()])
            failpoints.hit("store.write")
        self._txn(f"store the status of {len(statuses)} table(s)", fn, write=True)

    # ------------------------------------------------------------------ ctl actions

    def _select(self, db, target: str, failed_only: bool) -> list[str]:
        cond = f" AND {_FAILED}" if failed_only else ""
        if db is None:
            if target == _s.ALL:
                return []
            raise _s.unknown_table(target, self.description)
        if target == _s.ALL:
            return [r[0] for r in db.execute(f"SELECT table_name FROM table_v1 WHERE 1{cond} ORDER BY table_name")]
        if not db.execute("SELECT 1 FROM table_v1 WHERE table_name = ?", (target,)).fetchone():
            raise _s.unknown_table(target, self.description)
        return [r[0] for r in db.execute(f"SELECT table_name FROM table_v1 WHERE table_name = ?{cond}", (target,))]

    def _delete(self, db, names: list[str]) -> None:
        for name in names:
            db.execute("DELETE FROM chunk_v1 WHERE table_name = ?", (name,))
            db.execute("DELETE FROM table_v1 WHERE table_name = ?", (name,))

    def remove(self, target: str) -> list[str]:
        with self._lock:
            if target == _s.ALL:
                def wipe(db):
                    if db is None:
                        return []
                    names = self._select(db, target, failed_only=False)
                    for table in ("chunk_v1", "table_v1", "task_v1"):
                        db.execute(f"DELETE FROM {table}")
                    return names
                names = self._txn("remove all checkpoints", wipe, write=True, create=False)
                self._guard("delete the file", self._remove_files)
                return names

            def fn(db):
                names = self._select(db, target, failed_only=False)
                self._delete(db, names)
                return names
            return self._txn(f"remove the checkpoint of {target}", fn, write=True, create=False)

    def ignore_error(self, target: str) -> list[str]:
        def fn(db):
            names = self._select(db, target, failed_only=True)
            now = _s.now_text()
            for name in names:
                db.execute("UPDATE table_v1 SET status = ?, error = '', update_time = ? WHERE table_name = ?",
                           (int(Status.LOADED), now, name))
            return names
        return self._txn(f"clear the errors of {target}", fn, write=True, create=False)

    def destroy_error(self, target: str) -> list[str]:
        def fn(db):
            names = self._select(db, target, failed_only=True)
            self._delete(db, names)
            return names
        return self._txn(f"destroy the failed checkpoints of {target}", fn, write=True, create=False)

    def dump(self, folder: str) -> list[str]:
        def fn(db):
            if db is None:
                return [], [], []
            task = db.execute(_TASK_SELECT).fetchone()
            tasks = [_s.task_row(_task(task), task[10])] if task else []
            tables = [_s.table_row(TableCheckpoint(r[0], int(r[1]), r[2]), r[3], r[4]) for r in db.execute(
                "SELECT table_name, status, error, create_time, update_time FROM table_v1 ORDER BY table_name")]
            chunks = sorted((_chunk(r) for r in db.execute(_CHUNK_SELECT)),
                            key=lambda c: (c.table_name, c.path, c.offset))
            return tasks, tables, [_s.chunk_row(c) for c in chunks]
        tasks, tables, chunks = self._txn("read the checkpoints", fn, write=False)
        return self._guard(f"write the dump into {folder}", lambda: _s.write_dump(folder, tasks, tables, chunks))

    def finish(self, keep_after_success: str) -> str:
        keep = _s.check_keep(keep_after_success)
        with self._lock:
            if keep == "origin":
                return f"checkpoints kept in {self.description} (keep-after-success = \"origin\")"
            if keep == "remove":
                existed = self._guard("delete the file", self._remove_files)
                return (f"checkpoint {self.description} removed" if existed
                        else f"checkpoint {self.description} already gone")
            task = self.task()
            task_id = task.task_id if task else time.time_ns()
            bak = f"{self.path}.{task_id}.bak"

            def move():
                self._close_db()
                if not os.path.exists(self.path):
                    return False
                os.replace(self.path, bak)
                _s.fsync_dir(os.path.dirname(self.path))
                return True
            if self._guard(f"rename the file to {bak}", move):
                return f"checkpoint {self.description} moved to {bak}"
            return f"checkpoint {self.description} already gone, nothing to rename"

    def close(self) -> None:
        with self._lock:
            self._close_db()

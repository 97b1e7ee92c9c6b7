"""The checkpoint store protocol, the driver switch and helpers shared by the drivers."""
from __future__ import annotations

import csv
import json
import os
import tempfile
from datetime import datetime
from typing import Iterable, Protocol, Sequence, runtime_checkable

from tidb_lightning.errors import ConfigError

from .model import ChunkCheckpoint, TableCheckpoint, TaskCheckpoint, status_name

__all__ = ["CheckpointStore", "open_store", "ALL", "TARGET_HINT", "KEEP_AFTER_SUCCESS"]

ALL = "all"
TARGET_HINT = "valid examples: --checkpoint-error-ignore='`db`.`table`' or --checkpoint-error-ignore=all"
KEEP_AFTER_SUCCESS = ("remove", "rename", "origin")
MAX_ERROR_CHARS = 16000  # stored error text is cut there (it is for humans; the log has it all)

TASK_COLUMNS = ("task_id", "source_dir", "backend", "tidb_host", "tidb_port", "pd_addr",
                "sorted_kv_dir", "lightning_version", "on_duplicate", "filter", "create_time")
TABLE_COLUMNS = ("table_name", "status", "status_name", "error", "create_time", "update_time")
CHUNK_COLUMNS = ("table_name", "path", "offset", "end_offset", "type", "compression", "sort_key",
                 "file_size")


@runtime_checkable
class CheckpointStore(Protocol):
    """All methods are thread-safe; each write is durable when the call returns and atomic
    (a kill during a write leaves the previous state)."""

    description: str

    def task(self) -> TaskCheckpoint | None: ...
    def initialize(self, task: TaskCheckpoint) -> None: ...
    def tables(self) -> dict[str, TableCheckpoint]: ...
    def insert_table(self, table_name: str, chunks: list[ChunkCheckpoint]) -> None: ...
    def insert_tables(self, tables: dict[str, list[ChunkCheckpoint]]) -> None: ...  # one write
    def set_status(self, table_name: str, status: int, error: str = "") -> None: ...
    def set_statuses(self, statuses: dict[str, int]) -> None: ...  # several tables, one write
    def remove(self, target: str) -> list[str]: ...
    def ignore_error(self, target: str) -> list[str]: ...
    def destroy_error(self, target: str) -> list[str]: ...
    def dump(self, folder: str) -> list[str]: ...
    def finish(self, keep_after_success: str) -> str: ...
    def close(self) -> None: ...


def open_store(cfg) -> CheckpointStore:
    """The store `cfg.checkpoint` asks for (a NullStore when checkpoints are disabled)."""
    cp = cfg.checkpoint
    if not cp.enable:
        from .null import NullStore
        return NullStore()
    driver = (cp.driver or "file").lower()
    if driver == "file":
        from .file import FileStore
        path = cp.dsn or os.path.join(tempfile.gettempdir(), f"{cp.schema}.pb")
        return FileStore(path)
    if driver == "mysql":
        from .mysql import MySQLStore
        return MySQLStore.from_config(cfg)
    raise ConfigError(f"unknown `checkpoint.driver` {cp.driver!r}: use \"file\" or \"mysql\"")


# --------------------------------------------------------------------------- shared helpers

def unknown_table(target: str, where: str) -> ConfigError:
    return ConfigError(f"no checkpoint for table {target} in {where}; the name must be the "
                       f"backquoted, case-sensitive `db`.`tbl` or all; {TARGET_HINT}")


def check_chunks(table_name: str, chunks: Sequence[ChunkCheckpoint]) -> None:
    for c in chunks:
        if c.table_name != table_name:
            raise ValueError(f"chunk {c.path}:{c.offset} belongs to {c.table_name}, not {table_name}")


def check_tables(tables: dict[str, Sequence[ChunkCheckpoint]]) -> str:
    """Validate `insert_tables` input; returns how to name it in messages."""
    for table_name, chunks in tables.items():
        check_chunks(table_name, chunks)
    return next(iter(tables)) if len(tables) == 1 else f"{len(tables)} tables"


def check_keep(keep_after_success: str) -> str:
    keep = str(keep_after_success).lower()
    if keep not in KEEP_AFTER_SUCCESS:
        raise ConfigError(f"unknown `checkpoint.keep-after-success` {keep_after_success!r}: "
                          f"use \"remove\", \"rename\" or \"origin\"")
    return keep


def clean_error(error: str) -> str:
    """Error text as storable UTF-8 (lone surrogates from odd file names replaced), cut."""
    text = str(error or "")
    if len(text) > MAX_ERROR_CHARS:
        text = text[:MAX_ERROR_CHARS] + "…"
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def to_bytes(text: str) -> bytes:
    """A path-like string (maybe holding surrogate-escaped bytes) as the bytes we store."""
    return text.encode("utf-8", "surrogateescape")


def from_bytes(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    return bytes(data).decode("utf-8", "surrogateescape")


def encode_filter(filter: Iterable[str]) -> str:
    return json.dumps(list(filter))  # ensure_ascii keeps surrogates as \udcxx escapes


def decode_filter(text: str | bytes) -> tuple[str, ...]:
    return tuple(json.loads(from_bytes(text)))


def now_text() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")


def sort_tables(tables: dict[str, TableCheckpoint]) -> dict[str, TableCheckpoint]:
    for t in tables.values():
        t.chunks.sort(key=lambda c: (c.path, c.offset))
    return {name: tables[name] for name in sorted(tables)}


def task_row(task: TaskCheckpoint, create_time: object) -> list[object]:
    return [task.task_id, task.source_dir, task.backend, task.tidb_host, task.tidb_port, task.pd_addr,
            task.sorted_kv_dir, task.lightning_version, task.on_duplicate, encode_filter(task.filter),
            "" if create_time is None else str(create_time)]


def table_row(t: TableCheckpoint, create_time: object, update_time: object) -> list[object]:
    return [t.table_name, t.status, status_name(t.status), t.error,
            "" if create_time is None else str(create_time),
            "" if update_time is None else str(update_time)]


def chunk_row(c: ChunkCheckpoint) -> list[object]:
    return [c.table_name, c.path, c.offset, c.end_offset, c.type, c.compression, c.sort_key, c.file_size]


def write_dump(folder: str, task_rows: list[list[object]], table_rows: list[list[object]],
               chunk_rows: list[list[object]]) -> list[str]:
    """Write tables.csv, chunks.csv and task.csv (each atomically) into `folder`."""
    os.makedirs(folder, exist_ok=True)
    out = []
    for name, header, rows in (("tables.csv", TABLE_COLUMNS, table_rows),
                               ("chunks.csv", CHUNK_COLUMNS, chunk_rows),
                               ("task.csv", TASK_COLUMNS, task_rows)):
        path = os.path.join(folder, name)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        os.replace(tmp, path)
        out.append(path)
    return out


def fsync_dir(path: str) -> None:
    """Make a create/rename/unlink in `path` durable (best effort)."""
    try:
        fd = os.open(path or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

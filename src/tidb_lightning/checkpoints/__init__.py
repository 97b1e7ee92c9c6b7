"""Checkpoints: the task identity, each table's status and its chunk list, kept so that an
interrupted import resumes where it stopped.

``open_store(cfg)`` gives the store `[checkpoint]` asks for: :class:`FileStore` (SQLite file),
:class:`MySQLStore` (tables in a schema of a MySQL-compatible server) or :class:`NullStore`
(checkpoints disabled).  Chunk progress is not kept here but in the ledger on the target
(:mod:`tidb_lightning.checkpoints.ledger`), committed with the rows.
"""
from __future__ import annotations

from .model import (
    MAX_INVALID,
    ChunkCheckpoint,
    Status,
    TableCheckpoint,
    TaskCheckpoint,
    failed_status,
    is_failed,
    quote_table_name,
    status_name,
)
from .store import ALL, TARGET_HINT, CheckpointStore, open_store

__all__ = [
    "ALL",
    "MAX_INVALID",
    "TARGET_HINT",
    "CheckpointStore",
    "ChunkCheckpoint",
    "FileStore",
    "MySQLStore",
    "NullStore",
    "Status",
    "TableCheckpoint",
    "TaskCheckpoint",
    "failed_status",
    "is_failed",
    "open_store",
    "quote_table_name",
    "status_name",
]


def __getattr__(name: str):
    # the drivers are imported on first use (mysql pulls in PyMySQL)
    if name == "FileStore":
        from .file import FileStore
        return FileStore
    if name == "MySQLStore":
        from .mysql import MySQLStore
        return MySQLStore
    if name == "NullStore":
        from .null import NullStore
        return NullStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

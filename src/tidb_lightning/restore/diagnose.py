"""After a checksum mismatch with equal row counts: name the columns that differ.

The table's source is read again through the same chunk code as the import (headers, column
lists, dropped columns and all), with a writer that sends nothing, and each column's values
are hashed on their own; the target computes the same per column with one query.  Only for
tables whose source is small enough to read again quickly.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace

from tidb_lightning.backend.tidb import WriteResult
from tidb_lightning.checksum.book import ChecksumBook
from tidb_lightning.checksum.hasher import MASK, Digest
from tidb_lightning.restore.chunk import import_chunk
from tidb_lightning.restore.progress import Progress

log = logging.getLogger(__name__)
MAX_BYTES = 100 << 20  # source bytes read again at most


class _Columns(ChecksumBook):
    """A checksum book that accumulates per-column digests of every batch instead."""

    def __init__(self, hasher) -> None:
        super().__init__("", hasher.backslash)
        self.hasher = hasher
        self.digests = [Digest() for _ in hasher.forms]

    def fast_patterns(self, key: str):
        return None

    def crcs(self, key, columns, values, where, style=None):
        for i, crcs in enumerate(self.hasher.column_crcs(columns, values)):
            self.digests[i] = self.digests[i] + Digest.of(crcs)
        return None, None

    def committed(self, key, digest) -> None:
        pass


class _NoWrite:
    """A writer that sends nothing: the batch only had to be read and hashed."""

    def write(self, qualified, columns, values, where, ledger_sql=None) -> WriteResult:
        return WriteResult(0, 0, 0)

    def set_time_zone(self, tz) -> None:
        pass

    def set_bulk(self, on: bool) -> None:
        pass

    def close(self) -> None:
        pass


def differing_columns(key: str, chunks, storage, settings, hasher, query) -> str:
    """A sentence naming the columns whose values differ between source and target."""
    size = sum(c.end_offset - c.offset for c in chunks)
    if size > MAX_BYTES:
        return f"columns not compared: the source of the table is {size >> 20} MiB, too much to read again"
    book = _Columns(hasher)
    mine = replace(settings, ledger=None, type_errors=None, checksums=book)
    progress = Progress()
    progress.add_table(key, size, len(chunks))
    try:
        for chunk in chunks:
            import_chunk(chunk, storage, mine, _NoWrite(), progress, threading.Event())
        row = query(hasher.column_sql())[0]
    except Exception as e:  # noqa: BLE001 - the mismatch is reported either way
        log.warning("%s: comparing the columns failed: %s", key, e, exc_info=True)
        return f"columns not compared ({type(e).__name__}: {e})"
    names = [col.name for col, local, x, s in zip(hasher.columns, book.digests, row[0::2], row[1::2])
             if (local.xor, local.sum) != (int(x), int(s) & MASK)]
    if not names:
        return "every column holds the same values: rows differ only in how values are combined"
    return "columns that differ: " + ", ".join(names)

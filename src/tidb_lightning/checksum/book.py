"""What the import knows about each table's checksum while it runs.

Shared by the chunk workers: per table, its hasher, the source checksum of the rows this run
committed (what the post-import check uses when checkpoints are off; with checkpoints the
ledger on the target holds the total of every run), the target's checksum before the import,
and the first reason some rows could not be checksummed.
"""
from __future__ import annotations

import logging
import threading

from tidb_lightning.checksum.hasher import Digest, TableHasher
from tidb_lightning.checksum.literal import Unverifiable

log = logging.getLogger(__name__)


class ChecksumBook:
    def __init__(self, kind: str, backslash_escapes: bool) -> None:
        self.kind = kind
        self.backslash = backslash_escapes
        self.hashers: dict[str, TableHasher] = {}
        self.source: dict[str, Digest] = {}
        self.before: dict[str, Digest | None] = {}
        self.unverified: dict[str, str] = {}
        self._lock = threading.Lock()

    def add_table(self, key: str, table) -> TableHasher:
        hasher = TableHasher(table, self.kind, self.backslash)
        with self._lock:
            self.hashers[key] = hasher
            self.source.setdefault(key, Digest())
            if hasher.unsupported:
                self.unverified.setdefault(key, hasher.unsupported)
        return hasher

    def fast_patterns(self, key: str):
        """For the SQL parser of one of the table's chunks (None: nothing to gain)."""
        if key in self.unverified:
            return None
        return self.hashers[key].fast_patterns

    def crcs(self, key: str, columns, values, where: str, style: int | None = None) -> tuple[
            list[int] | None, str | None]:
        """Row hashes of a batch (SQL `(...),(...)` text, or CSV rows as lists of fields), or
        (None, why) when they cannot be predicted (no time is spent hashing a table already
        known to be unverifiable)."""
        if key in self.unverified:
            return None, self.unverified[key]
        try:
            hasher = self.hashers[key]
            if isinstance(values, list):
                return hasher.crcs_fields(columns, values), None
            return hasher.crcs(columns, values, style), None
        except Exception as e:  # noqa: BLE001 - a checksum bug must not stop an import: it is reported
            if not isinstance(e, Unverifiable):
                log.exception("%s: hashing a batch for the checksum failed", where)
                e = f"hashing failed ({type(e).__name__}: {e}); this is a bug, please report it"
            why = f"{where}: {e}"
            with self._lock:
                self.unverified.setdefault(key, why)
            return None, why

    def field_spec(self, key: str, columns, positions: list[int]) -> tuple[bytes, list[int]] | None:
        """For the compiled CSV scanner (see TableHasher.field_spec); None: hash in Python."""
        if key in self.unverified:
            return None
        try:
            return self.hashers[key].field_spec(columns, positions)
        except Unverifiable:
            return None  # the Python path says why

    def committed(self, key: str, digest: Digest | None) -> None:
        if digest is not None:
            with self._lock:
                self.source[key] = self.source[key] + digest

"""Thread-safe counters of what has been imported, and the periodic progress log line."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from tidb_lightning.restore.timings import Timings

log = logging.getLogger(__name__)


@dataclass
class TableStats:
    name: str
    total_bytes: int
    bytes: int = 0
    rows: int = 0
    duplicates: int = 0
    warnings: int = 0
    skipped: int = 0  # rows refused by the target and recorded as type errors (max-error)
    checksum: str = ""  # passed | mismatch | skipped | off, once the post-import check ran
    chunks_done: int = 0
    chunks_total: int = 0
    started: float = 0.0
    finished: float = 0.0
    done_chunks: set = field(default_factory=set)  # (path, offset) of the chunks finished


@dataclass
class Progress:
    tables: dict[str, TableStats] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    timings: Timings = field(default_factory=Timings)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_table(self, name: str, total_bytes: int, chunks: int) -> None:
        self.tables[name] = TableStats(name, total_bytes, chunks_total=chunks)

    def record(self, table: str, *, nbytes: int, rows: int, duplicates: int, warnings: int) -> None:
        with self._lock:
            t = self.tables[table]
            t.bytes += nbytes
            t.rows += rows
            t.duplicates += duplicates
            t.warnings += warnings

    def skip(self, table: str, rows: int) -> None:
        with self._lock:
            self.tables[table].skipped += rows

    def chunk_done(self, table: str, chunk: tuple[str, int]) -> bool:
        """Chunk (path, offset) of `table` is in; returns True when that was its last."""
        with self._lock:
            t = self.tables[table]
            t.done_chunks.add(chunk)
            t.chunks_done += 1
            if t.chunks_done == t.chunks_total:
                t.finished = time.monotonic()
                return True
            return False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def totals(self) -> tuple[int, int, int]:
        with self._lock:
            ts = list(self.tables.values())
            return sum(t.bytes for t in ts), sum(t.total_bytes for t in ts), sum(t.rows for t in ts)

    def line(self) -> str:
        done, total, rows = self.totals()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        speed = done / elapsed
        pct = 100.0 * done / total if total else 100.0
        eta = (total - done) / speed if speed > 0 else float("inf")
        with self._lock:
            finished = sum(1 for t in self.tables.values() if t.chunks_done == t.chunks_total)
        eta_s = f"{eta:.0f}s" if eta != float("inf") else "unknown"
        return (f"progress: {pct:.1f}% tables {finished}/{len(self.tables)}, rows {rows}, "
                f"bytes {done}/{total} ({done / 1e6:.1f}/{total / 1e6:.1f} MB), "
                f"speed {speed / 1e6:.2f} MB/s, elapsed {elapsed:.0f}s, ETA {eta_s}")


class ProgressLogger(threading.Thread):
    """Logs `Progress.line()` every `interval` seconds until stopped."""

    def __init__(self, progress: Progress, interval: float) -> None:
        super().__init__(name="progress", daemon=True)
        self.progress = progress
        self.interval = interval
        self._stop_evt = threading.Event()

    def run(self) -> None:
        while not self._stop_evt.wait(self.interval):
            log.info(self.progress.line())

    def stop(self) -> None:
        self._stop_evt.set()

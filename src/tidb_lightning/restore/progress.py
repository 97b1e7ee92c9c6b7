"""Thread-safe counters of what has been imported, the phase of the task and of each table
(read by the live display and the status server), and the periodic progress log line."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum

from tidb_lightning.restore.timings import Timings

log = logging.getLogger(__name__)


class TaskPhase(StrEnum):
    PREPARE = "prepare"  # target check, source discovery, pre-checks
    SCHEMA = "schema"
    IMPORT = "import"
    POST_RESTORE = "post-restore"  # every row is in; the last tables' indexes, checksum, analyze
    DONE = "done"
    FAILED = "failed"


class TablePhase(StrEnum):
    PENDING = "pending"
    IMPORT = "import"
    IMPORTED = "imported"  # rows in, waiting for a post-restore thread
    INDEX = "index"  # `local`: building the indexes taken off for the import
    AUTO_INC = "auto-inc"
    CHECKSUM = "checksum"
    ANALYZE = "analyze"
    DONE = "done"
    FAILED = "failed"


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
    chunks_total: int = 0
    phase: TablePhase = TablePhase.PENDING
    started: float = 0.0  # its first chunk began
    finished: float = 0.0  # its post-restore steps ended (or it failed)
    done_chunks: set = field(default_factory=set)  # (path, offset) of the chunks finished

    @property
    def chunks_done(self) -> int:
        return len(self.done_chunks)

    def took(self) -> float | None:
        """Seconds from the start of its import to the end of its post-restore steps."""
        return self.finished - self.started if self.started and self.finished else None


@dataclass
class Progress:
    tables: dict[str, TableStats] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    timings: Timings = field(default_factory=Timings)
    phase: TaskPhase = TaskPhase.PREPARE
    import_started: float = 0.0
    # sums over `tables` and the tables between their first chunk and done, kept as they
    # change so that a reader (the live display, a few times a second) never walks every table
    bytes: int = 0
    rows: int = 0
    total_bytes: int = 0
    tables_done: int = 0
    active: dict[str, TableStats] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_table(self, name: str, total_bytes: int, chunks: int) -> None:
        self.tables[name] = TableStats(name, total_bytes, chunks_total=chunks)
        self.total_bytes += total_bytes

    def enter(self, phase: TaskPhase) -> None:
        """The task's phase; entering the import starts the clock of its speed."""
        if phase is TaskPhase.IMPORT:
            self.import_started = time.monotonic()
        self.phase = phase

    def chunk_started(self, table: str) -> None:
        """A chunk begins: the table's first one starts its import and its clock."""
        with self._lock:
            t = self.tables[table]
            if t.phase is TablePhase.PENDING:
                t.phase, t.started = TablePhase.IMPORT, time.monotonic()
                self.active[table] = t

    def table_phase(self, table: str, phase: TablePhase) -> None:
        """A table's post-restore step begins, or it is done or failed.  Tables not imported
        by this run (only their post-restore steps resumed) are not counted."""
        with self._lock:
            t = self.tables.get(table)
            if t is None:
                return
            t.phase = phase
            if phase in (TablePhase.DONE, TablePhase.FAILED):
                t.finished = time.monotonic()
            if phase is TablePhase.DONE:
                self.tables_done += 1
                self.active.pop(table, None)

    def in_flight(self) -> list[TableStats]:
        with self._lock:
            return list(self.active.values())

    def record(self, table: str, *, nbytes: int, rows: int, duplicates: int, warnings: int) -> None:
        with self._lock:
            self.bytes += nbytes
            self.rows += rows
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
            if t.chunks_done == t.chunks_total:
                t.phase = TablePhase.IMPORTED
                return True
            return False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def totals(self) -> tuple[int, int, int]:
        with self._lock:
            return self.bytes, self.total_bytes, self.rows

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

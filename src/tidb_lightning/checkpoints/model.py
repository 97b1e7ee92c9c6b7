"""What a checkpoint store holds: the task identity, one status per table, the static chunk list.

Chunk *progress* (how far each chunk got) is not here: it lives in the ledger table on the
target (:mod:`tidb_lightning.checkpoints.ledger`), committed with the rows themselves.

Status values are upstream's (``checkpoints.CheckpointStatus``) and must never be renumbered:
they are stored, shown by ``--checkpoint-dump`` and compared with ``<= MAX_INVALID``.  A step
that fails stores ``status // 10`` (3, 6, 9, 12, 14, 15, 17/18, 20/21).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

__all__ = [
    "Status",
    "MAX_INVALID",
    "failed_status",
    "is_failed",
    "status_name",
    "quote_table_name",
    "TaskCheckpoint",
    "ChunkCheckpoint",
    "TableCheckpoint",
]


class Status(IntEnum):
    """Upstream's checkpoint status ladder (values are stored: never renumber)."""

    MISSING = 0
    LOADED = 30
    ALL_WRITTEN = 60
    CLOSED = 90
    IMPORTED = 120
    INDEX_IMPORTED = 140
    ALTERED_AUTO_INC = 150
    CHECKSUM_SKIPPED = 170
    CHECKSUMMED = 180
    ANALYZE_SKIPPED = 200
    ANALYZED = 210


MAX_INVALID = 25


def failed_status(status: int) -> int:
    """What is stored when the step that would reach `status` fails (upstream: status / 10)."""
    return int(status) // 10


def is_failed(status: int) -> bool:
    """True for a stored error status (1..25); 0 (missing) is not an error."""
    return int(status) <= MAX_INVALID and int(status) != 0


# the state a table is in once a step succeeded
_NAMES = {
    0: "missing",
    30: "loaded",
    60: "all written",
    70: "duplicates detected",  # master only
    80: "index dropped",  # master only
    90: "closed",
    120: "imported",
    140: "index imported",
    150: "auto-increment altered",
    170: "checksum skipped",
    180: "checksummed",
    190: "index added",  # master only
    200: "analyze skipped",
    210: "analyzed",
}

# the step that leads to a status (used for failed statuses: status // 10 * 10 = target)
_STEPS = {
    30: "load",
    60: "write",
    70: "duplicate detection",
    80: "index drop",
    90: "close",
    120: "import",
    140: "index import",
    150: "auto-increment alteration",
    170: "checksum",
    180: "checksum",
    190: "index add",
    200: "analyze",
    210: "analyze",
}


def status_name(status: int) -> str:
    """Human text for a stored status: "imported", "checksum failed", "status 42"."""
    status = int(status)
    if is_failed(status):
        step = _STEPS.get(status * 10)
        return f"{step} failed" if step else f"failed (status {status})"
    return _NAMES.get(status, f"status {status}")


def quote_table_name(schema: str, table: str) -> str:
    """The key every store uses: "`db`.`tbl`", backquotes inside doubled."""
    return "`" + schema.replace("`", "``") + "`.`" + table.replace("`", "``") + "`"


@dataclass(frozen=True)
class TaskCheckpoint:
    """Identity of an import task, stored once and compared on every resume."""

    task_id: int  # e.g. time.time_ns() of the first run; kept across resumes
    source_dir: str
    backend: str
    tidb_host: str
    tidb_port: int
    pd_addr: str
    sorted_kv_dir: str
    lightning_version: str
    on_duplicate: str
    filter: tuple[str, ...]

    def differences(self, other: "TaskCheckpoint", strict: bool = True) -> list[str]:
        """Lines describing how `other` (this run) differs from `self` (the checkpoint).

        The backend is always compared.  With ``strict`` (``check-requirements = true``) the
        version, source, target, PD address, sorted-kv-dir (local backend only),
        on-duplicate and filter are compared too, as upstream's ``verifyCheckpoint`` does.
        ``task_id`` is never compared.
        """
        checks: list[tuple[str, object, object]] = [
            ("`tikv-importer.backend`", self.backend, other.backend)]
        if strict:
            checks += [
                ("the Lightning version", self.lightning_version, other.lightning_version),
                ("`mydumper.data-source-dir`", self.source_dir, other.source_dir),
                ("`tidb.host`", self.tidb_host, other.tidb_host),
                ("`tidb.port`", int(self.tidb_port), int(other.tidb_port)),
                ("`tidb.pd-addr`", self.pd_addr, other.pd_addr),
            ]
            if self.backend == "local" or other.backend == "local":
                checks.append(("`tikv-importer.sorted-kv-dir`", self.sorted_kv_dir, other.sorted_kv_dir))
            checks += [
                ("`tikv-importer.on-duplicate`", self.on_duplicate, other.on_duplicate),
                ("`mydumper.filter`", list(self.filter), list(other.filter)),
            ]
        return [f"{label} was {old!r} in the checkpoint, now {new!r}"
                for label, old, new in checks if old != new]


@dataclass(frozen=True)
class ChunkCheckpoint:
    """Static description of one chunk; key = (table_name, path, offset)."""

    table_name: str  # "`db`.`tbl`"
    path: str
    offset: int
    end_offset: int
    type: str
    compression: str
    sort_key: str
    file_size: int

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.table_name, self.path, self.offset)


@dataclass
class TableCheckpoint:
    """One table's status (and error text when failed) with its chunk list."""

    table_name: str
    status: int
    error: str = ""
    chunks: list[ChunkCheckpoint] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return is_failed(self.status)

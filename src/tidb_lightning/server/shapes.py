"""The JSON shapes of `/progress/task` and `/progress/table` (upstream's), built from an
importer's live counters and plan."""
from __future__ import annotations

from tidb_lightning.checkpoints.model import Status
from tidb_lightning.restore.progress import TablePhase

NOT_STARTED, RUNNING, COMPLETED = 0, 1, 2
_TASK_STATE = {"queued": NOT_STARTED, "running": RUNNING}  # finished states: COMPLETED


def _table_state(t) -> int:
    if t.phase in (TablePhase.DONE, TablePhase.FAILED):
        return COMPLETED
    return NOT_STARTED if t.phase is TablePhase.PENDING else RUNNING


def task_progress(importer, state: str, message: str) -> dict:
    """`{"t": {table: {"w": written, "z": total, "s": state, "p": phase (ours)[, "m": error]}},
    "s": .., "m": ..}`."""
    tables = {}
    for name, t in list(importer.progress.tables.items()):
        tables[name] = {"w": t.bytes, "z": t.total_bytes, "s": _table_state(t), "p": str(t.phase)}
        if t.checksum == "mismatch":
            tables[name]["m"] = "checksum mismatch"
        elif t.phase is TablePhase.FAILED:
            tables[name]["m"] = "failed (the task's error says why)"
    return {"t": tables, "s": _TASK_STATE.get(state, COMPLETED), "m": message}


def table_checkpoint(importer, name: str) -> dict | None:
    """Upstream's TableCheckpoint (Status, Engines{"-1": {Status, Chunks}}) and our counters
    (Rows, Bytes, Chunks, ...); None when the import has no such table."""
    t = importer.progress.tables.get(name)
    if t is None:
        return None
    status = importer.status_of(name) or (Status.IMPORTED if t.chunks_done == t.chunks_total
                                          else Status.LOADED)
    chunks = [{"Key": {"Path": c.display, "Offset": c.offset},
               "FileMeta": {"Path": c.display, "Type": c.type, "Compression": c.compression or "none",
                            "FileSize": c.size},
               "Chunk": {"Offset": c.offset, "EndOffset": c.end_offset},
               "Done": (c.path, c.offset) in t.done_chunks}
              for c in importer.chunks_of(name)]
    engine = Status.ALL_WRITTEN if t.chunks_done == t.chunks_total else Status.LOADED
    return {"Name": name, "Status": int(status), "Engines": {"-1": {"Status": int(engine), "Chunks": chunks}},
            "Rows": t.rows, "Bytes": t.bytes, "TotalBytes": t.total_bytes,
            "Chunks": {"Done": t.chunks_done, "Total": t.chunks_total}, "Duplicates": t.duplicates,
            "Warnings": t.warnings, "Skipped": t.skipped, "ChecksumResult": t.checksum}

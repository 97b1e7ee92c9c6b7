"""After a table's rows are in: fix its auto-increment, checksum, ANALYZE.

Each step ends by reporting its status (upstream's ladder: 120 imported -> 150 altered
auto-inc -> 170 checksum skipped -> 200 analyze skipped / 210 analyzed); the checkpoint
session decides which of them to write (only the final one: every step is idempotent).
"""
from __future__ import annotations

import logging
from typing import Callable

from tidb_lightning import log as llog
from tidb_lightning.checkpoints import Status
from tidb_lightning.errors import RetryableTargetError
from tidb_lightning.postprocess.analyze import analyze
from tidb_lightning.postprocess.autoinc import fix_auto_increment
from tidb_lightning.postprocess.checksum import Outcome

log = logging.getLogger(__name__)

Query = Callable[..., list[tuple]]


class PostProcessError(Exception):
    """A post-restore step failed; `step_status` is the status the step would have set."""

    def __init__(self, step_status: int, message: str) -> None:
        super().__init__(message)
        self.step_status = step_status


def post_process(table, query: Query, cfg, status: int, set_status: Callable[[int], None],
                 step: Callable[[str], None], checksum: Callable[[Query], "Outcome"] | None = None,
                 indexes: Callable[[Query], None] | None = None) -> int:
    """Run the steps after `status` for `table` (a TargetTable); returns the final status.
    `step(name)` is told before a step runs ("index", "auto-inc", "checksum", "analyze": the
    table's phase on the live display); `checksum` compares the table with its source (None:
    `post-restore.checksum = "off"`); `indexes` builds the indexes taken off for the import
    (the `local` backend)."""
    if status < Status.INDEX_IMPORTED and indexes is not None:
        step("index")
        with llog.task(log, "build indexes", table=table.qualified):
            indexes(query)  # raises PostProcessError(INDEX_IMPORTED, ...) on a unique-key violation
        status = Status.INDEX_IMPORTED
        set_status(status)
    if status < Status.ALTERED_AUTO_INC:
        step("auto-inc")
        with llog.task(log, "alter auto-increment", quiet_start=True, table=table.qualified):
            try:
                fix_auto_increment(query, table)
            except RetryableTargetError:
                raise  # a lost connection is not the table's fault: a re-run redoes this step
            except Exception as e:  # noqa: BLE001 - reported with the table and the step
                raise PostProcessError(Status.ALTERED_AUTO_INC, f"{table.qualified}: setting "
                                       f"AUTO_INCREMENT after the import failed: {e}") from e
        status = Status.ALTERED_AUTO_INC
        set_status(status)
    if status < Status.CHECKSUM_SKIPPED:
        status = _checksum(table, query, cfg.post_restore.checksum, checksum, step)
        set_status(status)
    if status < Status.ANALYZE_SKIPPED:
        level = cfg.post_restore.analyze
        if level == "off":
            status = Status.ANALYZE_SKIPPED
        else:
            step("analyze")
            with llog.task(log, "analyze", quiet_start=True, table=table.qualified):
                problem = analyze(query, table)
            if problem is None:
                status = Status.ANALYZED
            elif level == "required":
                raise PostProcessError(Status.ANALYZED, f"{table.qualified}: ANALYZE TABLE failed: "
                                       f"{problem} (post-restore.analyze = \"required\")")
            else:
                log.warning("%s: ANALYZE TABLE failed, continuing (post-restore.analyze = "
                            "\"optional\"): %s", table.qualified, problem)
                status = Status.ANALYZE_SKIPPED
        set_status(status)
    return status


def _checksum(table, query: Query, level: str, checksum, step: Callable[[str], None]) -> int:
    if level == "off" or checksum is None:
        return Status.CHECKSUM_SKIPPED
    step("checksum")
    with llog.task(log, "checksum", quiet_start=True, table=table.qualified):
        outcome = checksum(query)
    if outcome.state == "passed":
        log.info("%s: checksum passed: %s", table.qualified, outcome.message)
        return Status.CHECKSUMMED
    if outcome.state == "skipped":
        log.warning("%s: checksum skipped: %s", table.qualified, outcome.message)
        return Status.CHECKSUM_SKIPPED
    if level == "required":
        raise PostProcessError(Status.CHECKSUMMED, f"{table.qualified}: {outcome.message} "
                               f"(post-restore.checksum = \"required\")")
    log.warning("%s: %s (post-restore.checksum = \"optional\": continuing)", table.qualified, outcome.message)
    return Status.CHECKSUM_SKIPPED

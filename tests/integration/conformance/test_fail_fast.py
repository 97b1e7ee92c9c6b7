"""Conformance: upstream `lightning_fail_fast` (see data/fail_fast, EXPECTED.md).

With `on-duplicate = "error"`, the first duplicate-key error must stop the whole import:
no other chunk or table is reported as finished after it.

Upstream makes this deterministic with Go failpoints (`SlowDownWriteRows`, one row per
INSERT).  Our portable slow-down hook is server-side: the table is created first from the
copied schema file (the importer's `CREATE TABLE IF NOT EXISTS` then leaves it alone) with
a BEFORE INSERT trigger that sleeps for the rows of the two clean files (id >= 10), so
they are still being written when file 0's duplicate (`2,1,1` vs `1,1,1` on `uq`) fails.

Log wording (fact 4) is upstream's `restore file completed` / `restore engine completed`;
ours are `restore chunk completed` / `restore table completed`.  `engine.toml` only adds
`batch-size = 1` (one engine per file), which does not change a logical import; both
configs are run as upstream does.
"""
from __future__ import annotations

import pytest

from .harness import DATA, execute, fails, fresh

FOLDER = "fail_fast"
ROW_DELAY = 0.25  # seconds per clean row; 4 rows per clean file


def create_slow_table(conn) -> None:
    schema = (DATA / FOLDER / "data" / "fail_fast.tb-schema.sql").read_text().strip().rstrip(";")
    execute(conn, "CREATE DATABASE fail_fast", "USE fail_fast", schema,
            "CREATE TRIGGER fail_fast.slow_down_write_rows BEFORE INSERT ON fail_fast.tb FOR EACH ROW "
            f"IF NEW.id >= 10 THEN SET @slept = SLEEP({ROW_DELAY}); END IF")


@pytest.mark.parametrize("config", ["chunk.toml", "engine.toml"])
def test_fail_fast(importer, raw, config):
    fresh(raw, "fail_fast")
    create_slow_table(raw)
    run = fails(importer(FOLDER, config=config),
                "Error 1062: Duplicate entry '1-1' for key 'uq'")
    assert run.stderr.count("tidb lightning encountered error") == 1, run.stderr

    tail = run.log.splitlines()[-10:]
    errors = [ln for ln in tail if "[ERROR]" in ln]
    assert errors and "Error 1062: Duplicate entry '1-1' for key 'uq'" in errors[-1], "\n".join(tail)
    assert "restore chunk completed" not in run.log, run.log
    assert "restore table completed" not in run.log, run.log

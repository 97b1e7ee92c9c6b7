"""Kill the importer at any instant, restart it, get exactly the data of a clean import.

The dump (crashkit.py) has SQL and CSV tables with and without a primary key, four files per
table and many 8 KiB batches per file.  A clean import into a fresh database gives the
reference (COUNT(*) and CHECKSUM TABLE per table).  Then, for each checkpoint driver and
`on-duplicate` mode, the importer is SIGKILLed at 20 instants in all:

* by failpoint and hit count: inside a batch transaction before COMMIT
  (`backend.before-commit@k`), right after a COMMIT (`backend.after-commit@k`), inside a
  checkpoint store write before its own commit (`store.write@k`: 1 = the task, 2 = every
  table's chunk list in one write, 3 the first table's final status; the others follow in
  groups),
  after a table's last chunk and before its status update
  (`restore.before-table-status@k`);
* by time: after a seeded random delay into the data phase (and the first restart of those
  is killed again at another random instant);

and restarted without failpoints until it exits 0.  No resumed run may fail (with
`on-duplicate = "error"` a re-sent batch would stop at a duplicate key), and the final
counts and checksums must equal the clean import's: no row lost, none doubled, also in the
tables without a primary key.
"""
from __future__ import annotations

import random

import pytest

from . import crashkit as ck
from .conftest import summary_table

# (driver, on-duplicate) -> 5 kill instants each: "failpoint@hit" or "time:<seed>"
PLANS = {
    ("file", "replace"): ["backend.before-commit@2", "backend.after-commit@30", "store.write@2",
                          "time:1", "time:2"],
    ("file", "error"): ["backend.before-commit@45", "restore.before-table-status@1", "store.write@3",
                        "time:3", "time:4"],
    ("mysql", "replace"): ["backend.after-commit@1", "store.write@1", "restore.before-table-status@3",
                           "time:5", "time:6"],
    ("mysql", "error"): ["backend.before-commit@70", "backend.after-commit@57", "store.write@3",
                         "restore.before-table-status@4", "time:7"],
}
CASES = [pytest.param(driver, dup, instant, id=f"{driver}-{dup}-{instant}")
         for (driver, dup), instants in PLANS.items() for instant in instants]
assert len(CASES) == 20

DATA_PHASE = ck.DATA_PHASE


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    return ck.write_dump(tmp_path_factory.mktemp("crash-dump"), "crash_db")


@pytest.fixture(scope="module")
def reference(mariadb, dump, tmp_path_factory):
    """Clean import per (driver, on-duplicate), memoised: fingerprint and data-phase seconds."""
    cache: dict = {}

    def get(driver: str, dup: str) -> tuple[dict, float]:
        if (driver, dup) not in cache:
            task = ck.Task(mariadb, tmp_path_factory.mktemp("crash-ref"), dump, "crash_db", driver,
                           dup, "crash_ref_cp")
            conn = mariadb.connect()
            try:
                task.reset(conn)
                run = task.run()
                assert run.code == 0, str(run)
                cache[(driver, dup)] = (ck.fingerprint(conn, "crash_db"),
                                        ck.phase_seconds(run.log, DATA_PHASE))
                task.reset(conn)
            finally:
                conn.close()
        return cache[(driver, dup)]
    return get


@pytest.fixture
def task(mariadb, dump, tmp_path, request):
    driver, dup = request.node.callspec.params["driver"], request.node.callspec.params["dup"]
    t = ck.Task(mariadb, tmp_path, dump, "crash_db", driver, dup, "crash_cp")
    conn = mariadb.connect()
    t.reset(conn)
    yield t
    t.reset(conn)
    conn.close()


def _all_clean_imports_agree(reference) -> None:
    prints = {key: reference(*key)[0] for key in PLANS}
    first = next(iter(prints.values()))
    assert all(p == first for p in prints.values()), prints
    assert all(count == ck.FILES_PER_TABLE * ck.ROWS_PER_FILE for count, _ in first.values())


@pytest.mark.parametrize("driver,dup,instant", CASES)
def test_kill_and_resume(db, task, reference, driver, dup, instant):
    want, phase = reference(driver, dup)
    kills = []
    if instant.startswith("time:"):
        rng = random.Random(int(instant[5:]))
        delay = rng.uniform(0.05, 0.9) * phase
        for _ in range(4):  # a faster run than the reference's may end first: then try earlier
            first = task.run(kill_after=delay, after_line=f'["{DATA_PHASE} start"]')
            if first.killed and not first.completed:
                break
            assert first.completed, str(first)
            task.reset(db)
            delay /= 2
        assert first.killed_by_us and first.killed, \
            f"the run ended before the kill at {delay:.3f}s into the data phase:\n{first}"
        kills.append(f"{delay:.3f}s")
        # the first restart is killed again, somewhere else (from its very start this time)
        again = task.run(kill_after=rng.uniform(0.1, 0.4 + phase))
        assert again.code in (0, -9), str(again)
        if again.killed_by_us:
            kills.append(f"restart {again.seconds:.3f}s")
        runs = [again] if again.completed else [again, *ck.resume_until_done(task)]
    else:
        point, _, nth = instant.partition("@")
        first = task.run(f"{point}=crash@{nth}")
        assert first.killed and not first.killed_by_us, \
            f"failpoint {instant} was not reached:\n{first}"
        kills.append(instant)
        runs = ck.resume_until_done(task)
    assert not first.completed, str(first)
    assert runs[-1].completed
    if instant != "store.write@1":  # that kill comes before the task is stored
        opened = [r for r in runs if '["open checkpoints completed"]' in r.log]
        assert "resuming task" in opened[0].log, "the restart did not resume the stored task"
    got = ck.fingerprint(db, "crash_db")
    assert got == want, f"after kills {kills} and {len(runs)} restart(s): {got} != clean {want}"
    # the final summary counts the rows earlier runs committed too, once
    counted = {name.split(".", 1)[1].strip("`"): int(row["rows"])
               for name, row in summary_table(runs[-1].stdout).items() if name.startswith("`crash_db`.")}
    assert all(rows == got[table][0] for table, rows in counted.items()), (counted, got)


def test_clean_imports_agree(reference):
    """Every driver and mode imports the same rows (the references above are comparable)."""
    _all_clean_imports_agree(reference)

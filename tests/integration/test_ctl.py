"""`tidb-lightning-ctl` checkpoint actions: what each does to the target and to the store,
and that the next run then imports exactly the clean import's data.

A failed table is made the way it happens in real life: with `on-duplicate = "error"` a row
already on the target (put there by hand) collides with one in the middle of a data file, so
the table has committed rows before the failure and is marked failed.  Both checkpoint drivers.
"""
from __future__ import annotations

import csv
import shutil

import pytest

from . import crashkit as ck
from .conftest import query

DB = "ctl_db"
CP = "ctl_cp"
FAILING = f"`{DB}`.`pk_sql`"
CONFLICT_ID = 3000  # in pk_sql's third file, about half-way
ALL_TABLES = [f"`{DB}`.`{t}`" for t in ck.TABLES]

drivers = pytest.mark.parametrize("driver", ["file", "mysql"])


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    return ck.write_dump(tmp_path_factory.mktemp("ctl-dump"), DB)


@pytest.fixture(scope="module")
def clean(mariadb, dump, tmp_path_factory):
    return ck.clean_fingerprint(mariadb, tmp_path_factory.mktemp("ctl-ref"), dump, DB, CP + "_ref")


@pytest.fixture
def make_task(mariadb, dump, tmp_path, db):
    made = []

    def make(driver: str, dup: str = "error", keep: str = "remove") -> ck.Task:
        t = ck.Task(mariadb, tmp_path, dump, DB, driver, dup, CP, keep_after_success=keep)
        t.reset(db)
        made.append(t)
        return t
    yield make
    for t in made:
        t.reset(db)


def count(db, table: str) -> int:
    return query(db, f"SELECT COUNT(*) FROM `{DB}`.`{table}`")[0][0]


def table_exists(db, table: str) -> bool:
    return bool(query(db, "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                          "AND TABLE_NAME = %s", (DB, table)))


def fail_pk_sql(db, task: ck.Task) -> ck.Outcome:
    """Plant a row that collides with the dump; the import fails on `pk_sql` (exit 1)."""
    with db.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{DB}`")
        cur.execute(f"USE `{DB}`")
        cur.execute(ck.TABLES["pk_sql"][0])
        cur.execute("INSERT INTO pk_sql VALUES (%s, 'planted by hand', NULL, NULL)", (CONFLICT_ID,))
    run = task.run()
    assert run.code == 1, str(run)
    assert f"Duplicate entry '{CONFLICT_ID}'" in run.stderr, run.stderr
    store = task.store(db)
    status, error = store["tables"][FAILING]
    assert status == 3 and "Duplicate entry" in error, store["tables"]
    assert count(db, "pk_sql") > 1, "no batch of pk_sql committed before the failure"
    return run


def assert_exact(db, clean) -> None:
    assert ck.fingerprint(db, DB) == clean


# --------------------------------------------------------------------------- error-ignore

@drivers
@pytest.mark.parametrize("which", ["table", "all"])
def test_error_ignore_keeps_rows_and_continues(db, make_task, clean, driver, which):
    task = make_task(driver)
    fail_pk_sql(db, task)
    rows_before, ledger_before, store_before = count(db, "pk_sql"), task.ledger(db), task.store(db)

    refused = task.run()
    assert refused.code == 1 and "has failed last time" in refused.stderr
    assert f"--checkpoint-error-ignore='{FAILING}'" in refused.stderr

    r = task.ctl(f"--checkpoint-error-ignore={FAILING if which == 'table' else 'all'}")
    assert r.code == 0, r.output
    assert FAILING in r.stdout
    store = task.store(db)
    assert store["tables"][FAILING] == (30, "")  # back to "loaded", error text gone
    assert {k: v for k, v in store["tables"].items() if k != FAILING} == \
        {k: v for k, v in store_before["tables"].items() if k != FAILING}
    assert store["chunks"] == store_before["chunks"] and store["task"] == store_before["task"]
    assert task.ledger(db) == ledger_before  # committed progress kept
    assert count(db, "pk_sql") == rows_before  # committed rows kept

    with db.cursor() as cur:  # the cause fixed by hand
        cur.execute(f"DELETE FROM `{DB}`.pk_sql WHERE id = %s", (CONFLICT_ID,))
    run = task.run()
    assert run.code == 0, str(run)
    assert "resuming task" in run.log
    assert_exact(db, clean)


# --------------------------------------------------------------------------- error-destroy

@drivers
@pytest.mark.parametrize("which", ["table", "all"])
def test_error_destroy_drops_and_reimports(db, make_task, clean, driver, which):
    task = make_task(driver)
    fail_pk_sql(db, task)
    others = {t: count(db, t) for t in ck.TABLES if t != "pk_sql"}
    store_before, ledger_before = task.store(db), task.ledger(db)
    assert FAILING in ledger_before

    r = task.ctl(f"--checkpoint-error-destroy={FAILING if which == 'table' else 'all'}")
    assert r.code == 0, r.output
    assert FAILING in r.stdout
    assert not table_exists(db, "pk_sql")  # dropped on the target (the planted row with it)
    store = task.store(db)
    assert FAILING not in store["tables"] and FAILING not in store["chunks"]
    assert store["task"] == store_before["task"]
    ledger = task.ledger(db)
    assert FAILING not in ledger
    # the tables that did not fail are untouched, also with `all`
    assert {k: v for k, v in store["tables"].items()} == \
        {k: v for k, v in store_before["tables"].items() if k != FAILING}
    assert ledger == {k: v for k, v in ledger_before.items() if k != FAILING}
    assert {t: count(db, t) for t in others} == others

    run = task.run()
    assert run.code == 0, str(run)
    assert "resuming task" in run.log
    assert_exact(db, clean)


# --------------------------------------------------------------------------- remove

@drivers
def test_remove_one_table_then_all(db, make_task, clean, driver):
    task = make_task(driver)
    killed = task.run("backend.after-commit=crash@40")
    assert killed.killed, str(killed)
    store_before, ledger_before = task.store(db), task.ledger(db)
    victim = next(t for t in ALL_TABLES if t in ledger_before and t in store_before["tables"])
    name = victim.split(".")[1].strip("`")
    rows = count(db, name)

    r = task.ctl(f"--checkpoint-remove={victim}")
    assert r.code == 0, r.output
    assert victim in r.stdout
    store = task.store(db)
    assert victim not in store["tables"] and victim not in store["chunks"]
    assert store["tables"] == {k: v for k, v in store_before["tables"].items() if k != victim}
    assert store["task"] == store_before["task"]
    assert task.ledger(db) == {k: v for k, v in ledger_before.items() if k != victim}
    assert count(db, name) == rows  # the target is not touched

    # the next run imports that table from its start: empty it first, as one must
    with db.cursor() as cur:
        cur.execute(f"TRUNCATE TABLE {victim}")
    run = task.run()
    assert run.code == 0, str(run)
    assert_exact(db, clean)

    # another interrupted task, then `all`: the whole store goes, and the task's progress
    task.reset(db)
    assert task.run("backend.after-commit=crash@25").killed
    assert task.store(db) is not None and task.ledger(db)
    r = task.ctl("--checkpoint-remove=all")
    assert r.code == 0, r.output
    assert task.store(db) is None
    if driver == "file":
        assert not task.cp_file.exists()
    else:
        left = {r[0] for r in query(db, "SELECT TABLE_NAME FROM information_schema.TABLES "
                                        "WHERE TABLE_SCHEMA = %s", (CP,))}
        assert not left & {"task_v2", "table_v7", "chunk_v5"}, left
    assert task.ledger(db) == {}
    with db.cursor() as cur:  # starting over: the imported tables go too
        cur.execute(f"DROP DATABASE `{DB}`")
    run = task.run()
    assert run.code == 0, str(run)
    assert "resuming task" not in run.log
    assert_exact(db, clean)


# --------------------------------------------------------------------------- dump

@drivers
def test_dump_writes_the_four_files(db, make_task, dump, tmp_path, driver):
    task = make_task(driver)
    fail_pk_sql(db, task)
    store = task.store(db)
    out = tmp_path / "dumped"
    r = task.ctl(f"--checkpoint-dump={out}")
    assert r.code == 0, r.output
    files = {p.name for p in out.iterdir()}
    assert files == {"tables.csv", "chunks.csv", "task.csv", "progress.csv"}, files

    def read(name):
        with open(out / name, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    tables = read("tables.csv")
    assert {t["table_name"] for t in tables} == set(store["tables"])
    by_name = {t["table_name"]: t for t in tables}
    assert by_name[FAILING]["status"] == "3" and by_name[FAILING]["status_name"] == "load failed"
    assert f"Duplicate entry '{CONFLICT_ID}'" in by_name[FAILING]["error"]
    for name, (status, _) in store["tables"].items():
        assert int(by_name[name]["status"]) == status

    chunks = read("chunks.csv")
    assert len(chunks) == sum(len(v) for v in store["chunks"].values())
    for c in chunks:
        path = c["path"]
        assert (int(c["offset"]), int(c["end_offset"])) == (0, (dump / path.rsplit("/", 1)[-1]).stat().st_size)
        assert c["type"] == path.rsplit(".", 1)[-1]
        assert c["table_name"] in store["tables"]

    (task_row,) = read("task.csv")
    assert task_row["source_dir"] == str(dump)
    assert task_row["backend"] == "tidb" and task_row["on_duplicate"] == "error"
    assert int(task_row["task_id"]) == int(store["task"][0])

    progress = read("progress.csv")
    assert progress, "no chunk progress dumped"
    rows: dict[str, int] = {}
    for p in progress:
        rows[p["table_name"]] = rows.get(p["table_name"], 0) + int(p["rows"])
        assert int(p["offset"]) <= int(p["pos"])
    for name, n in rows.items():  # the committed rows are exactly the rows on the target
        table = name.split(".")[1].strip("`")
        planted = 1 if name == FAILING else 0
        assert count(db, table) == n + planted, name


# --------------------------------------------------------------------------- wrong name

@drivers
@pytest.mark.parametrize("action", ["--checkpoint-error-ignore", "--checkpoint-error-destroy",
                                    "--checkpoint-remove"])
def test_wrong_table_name(db, make_task, driver, action):
    task = make_task(driver)
    fail_pk_sql(db, task)
    store, ledger, rows = task.store(db), task.ledger(db), count(db, "pk_sql")
    for wrong in ("pk_sql", f"{DB}.pk_sql", f"`{DB}`.`no_such_table`", "`CTL_DB`.`PK_SQL`"):
        r = task.ctl(f"{action}={wrong}")
        assert r.code != 0, (wrong, r.output)
        assert "valid examples" in r.stderr, r.stderr
        assert "--checkpoint-error-ignore='`db`.`table`'" in r.stderr
        assert "Traceback" not in r.stderr
    assert task.store(db) == store and task.ledger(db) == ledger and count(db, "pk_sql") == rows


# --------------------------------------------------------------------------- task mismatch

@drivers
def test_other_source_dir_is_refused(db, make_task, dump, tmp_path, clean, driver):
    task = make_task(driver)
    killed = task.run("backend.after-commit=crash@20")
    assert killed.killed
    rows = {t: count(db, t) for t in ck.TABLES}
    other = ck.copy_dump(dump, tmp_path / "elsewhere")
    moved = ck.Task(task.server, task.tmp, other, DB, driver, "error", CP)
    r = moved.run()
    assert r.code == 2, str(r)
    assert "belongs to another task" in r.stderr
    assert f"`mydumper.data-source-dir` was '{dump}' in the checkpoint, now '{other}'" in r.stderr
    assert "--checkpoint-remove=all" in r.stderr
    assert {t: count(db, t) for t in ck.TABLES} == rows  # it stopped before touching anything
    shutil.rmtree(other)
    # the original task still resumes
    run = task.run()
    assert run.code == 0, str(run)
    assert_exact(db, clean)


# --------------------------------------------------------------------------- keep-after-success

@drivers
@pytest.mark.parametrize("keep", ["remove", "rename", "origin"])
def test_keep_after_success(db, make_task, clean, driver, keep):
    task = make_task(driver, keep=keep)
    run = task.run()
    assert run.code == 0, str(run)
    assert_exact(db, clean)
    if keep == "remove":
        assert task.store(db) is None
        assert task.ledger(db) == {}
        if driver == "file":
            assert not task.cp_file.exists()
        return
    if keep == "rename":
        assert task.store(db) is None
        if driver == "file":
            (bak,) = task.tmp.glob(task.cp_file.name + ".*.bak")
            assert not task.cp_file.exists()
            stored = _file_store(bak)
        else:
            (bak,) = [r[0] for r in query(db, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                                              "WHERE SCHEMA_NAME LIKE %s", (CP + ".%.bak",))]
            stored = ck.Task(task.server, task.tmp, task.data_dir, DB, driver, "error", bak).store(db)
        assert str(bak).endswith(f".{stored['task'][0]}.bak")
    else:
        stored = task.store(db)
    assert set(stored["tables"]) == set(ALL_TABLES)
    assert all(status >= 200 for status, _ in stored["tables"].values()), stored["tables"]
    assert all(len(stored["chunks"][t]) == ck.FILES_PER_TABLE for t in ALL_TABLES)
    if keep == "origin":  # a re-run finds every table done and imports nothing
        again = task.run()
        assert again.code == 0, str(again)
        assert again.log.count("imported by an earlier run (checkpoint): skipped") == len(ALL_TABLES)
        assert_exact(db, clean)


def _file_store(path) -> dict:
    import sqlite3
    lite = sqlite3.connect(path)
    try:
        task = lite.execute("SELECT task_id, source_dir, on_duplicate FROM task_v1").fetchone()
        tables = {n: (int(s), e) for n, s, e in lite.execute("SELECT table_name, status, error FROM table_v1")}
        chunks: dict[str, list] = {}
        for n, p in lite.execute("SELECT table_name, path FROM chunk_v1"):
            chunks.setdefault(n, []).append(p)
    finally:
        lite.close()
    return {"task": task, "tables": tables, "chunks": chunks}

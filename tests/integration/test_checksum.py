"""Post-import checksum: a clean import passes `required`; rows changed, deleted or doubled
behind the importer's back are caught naming the table; tables that held rows before, rows
that cannot be predicted and resumed imports are each handled as documented."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from .conftest import ROOT, query

SCHEMA = ("CREATE TABLE `t` (`id` int NOT NULL PRIMARY KEY, `name` varchar(40) DEFAULT NULL, "
          "`amount` decimal(10,2) NOT NULL, `at` datetime DEFAULT NULL, `w` double DEFAULT NULL, "
          "`b` varbinary(16) DEFAULT NULL, `e` enum('x','y') DEFAULT NULL, `c` char(5) DEFAULT NULL);\n")
ROWS = [
    "(1,'plain',1.50,'2020-01-02 03:04:05',0.1,0x00ff,'x','ab')",
    "(2,'O\\'Reilly \\\\ \\n \\\"q\\\"',-2.00,NULL,4.29153596604433e-05,'raw','y',NULL)",
    "(3,NULL,0.00,'1999-12-31 23:59:59',8222.546899177496,NULL,NULL,'z')",
    "(4,'中文 😀',12345678.99,'2000-02-29 00:00:00',-1e300,'',NULL,'')",
] + [f"({i},'n{i}',{i}.{i % 100:02d},'2021-03-04 05:06:07',{i}.5,0x{i:04x},'x','c{i}')"
     for i in range(5, 61)]
NOPK = "CREATE TABLE `nopk` (`a` int DEFAULT NULL, `s` varchar(10) DEFAULT NULL);\n"


def write_dump(d, rows=ROWS, extra: dict | None = None):
    d.mkdir(exist_ok=True)
    (d / "ck-schema-create.sql").write_text("CREATE DATABASE `ck`;\n")
    (d / "ck.t-schema.sql").write_text(SCHEMA)
    (d / "ck.t.000000000.sql").write_text(
        "/*!40101 SET NAMES binary*/;\nINSERT INTO `t` VALUES\n" + ",\n".join(rows[:30]) + ";\n")
    (d / "ck.t.000000001.sql").write_text(
        "/*!40101 SET NAMES binary*/;\nINSERT INTO `t` VALUES\n" + ",\n".join(rows[30:]) + ";\n")
    (d / "ck.nopk-schema.sql").write_text(NOPK)
    (d / "ck.nopk.000000000.sql").write_text("INSERT INTO `nopk` VALUES (1,'a'),(2,'b'),(2,'b'),(NULL,NULL);\n")
    for name, text in (extra or {}).items():
        (d / name).write_text(text)
    return d


@pytest.fixture
def fresh(db):
    db.cursor().execute("DROP DATABASE IF EXISTS ck")
    return db


def summary_line(output: str, table: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(table))


@pytest.mark.parametrize("core", ["compiled core", "pure Python"])
def test_clean_import_passes_required(lightning, fresh, tmp_path, monkeypatch, core):
    if core == "pure Python":
        monkeypatch.setenv("TIDB_LIGHTNING_PURE_PYTHON", "1")
    run = lightning(write_dump(tmp_path / "d"), "--checksum", "required")
    assert run.code == 0, run.output
    for table in ("`ck`.`t`", "`ck`.`nopk`"):
        assert summary_line(run.stdout, table).endswith("passed")
    assert "checksum passed" in run.log and "total_kvs: 60 vs 60" in run.log
    assert query(fresh, "SELECT COUNT(*) FROM ck.t") == [(60,)]


def test_csv_source_is_checked(lightning, fresh, tmp_path):
    d = tmp_path / "csv"
    d.mkdir()
    (d / "ck-schema-create.sql").write_text("CREATE DATABASE `ck`;\n")
    (d / "ck.t-schema.sql").write_text(SCHEMA)
    (d / "ck.t.csv").write_text('id,name,amount,at,w,b,e,c\n'
                                '1,"a,b",1.5,2020-01-02 03:04:05,0.1,"\\0x",x,"ab  "\n'
                                '2,\\N,-0,\\N,1e3,\\N,\\N,\\N\n'
                                '3,"say ""hi""",7,2021-01-01,2.50,"",y,z\n')
    (d / "ck.nopk-schema.sql").write_text(NOPK)
    run = lightning(d)
    assert run.code == 0, run.output
    assert summary_line(run.stdout, "`ck`.`t`").endswith("passed"), run.log


def _popen(mariadb, data_dir, tmp_path, *args, failpoints: str):
    log = tmp_path / "tamper.log"
    cmd = [sys.executable, "-m", "tidb_lightning", "-d", str(data_dir), "--backend", "tidb",
           "--tidb-host", "127.0.0.1", "--tidb-port", str(mariadb.port), "--tidb-user", "root",
           "--log-file", str(log), *args]
    env = dict(os.environ, TMPDIR=str(tmp_path), TIDB_LIGHTNING_FAILPOINTS=failpoints)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True), log


TAMPER = {
    "changed": ("UPDATE ck.t SET name = 'plaim' WHERE id = 1", "row contents differ; columns that differ: name"),
    "deleted": ("DELETE FROM ck.t WHERE id = 40", "rows are missing"),
    "duplicated": ("INSERT INTO ck.nopk VALUES (1,'a')", "there are extra rows"),
    # two rows exchange a value: every column still holds the same set of values
    "swapped": ("UPDATE ck.t SET name = IF(id = 5, 'n6', 'n5') WHERE id IN (5, 6)",
                "row contents differ; every column holds the same values"),
}


@pytest.mark.parametrize("how", list(TAMPER))
@pytest.mark.parametrize("level", ["required", "optional"])
def test_rows_changed_behind_the_importers_back_are_caught(mariadb, fresh, tmp_path, how, level):
    """Rows are in, post-restore has not started (a failpoint holds it): change one byte,
    delete a row or add a copy of one; the checksum names the table."""
    sql, what = TAMPER[how]
    table, count = ("nopk", 4) if how == "duplicated" else ("t", 60)
    p, log = _popen(mariadb, write_dump(tmp_path / "d"), tmp_path, "--checksum", level,
                    failpoints="restore.before-table-status=sleep:2500")
    deadline = time.monotonic() + 60
    while True:
        try:
            if query(fresh, f"SELECT COUNT(*) FROM ck.{table}") == [(count,)]:
                break
        except Exception:  # noqa: BLE001 - the table does not exist yet
            pass
        assert time.monotonic() < deadline and p.poll() is None
        time.sleep(0.02)
    fresh.cursor().execute(sql)
    out, err = p.communicate(timeout=120)
    text = log.read_text()
    if level == "required":
        assert p.returncode == 1, out + err
        assert f"`ck`.`{table}`: checksum mismatched remote vs local" in err
        assert what in err
    else:
        assert p.returncode == 0, out + err
        assert summary_line(out, f"`ck`.`{table}`").endswith("mismatch")
        assert "checksum mismatched" in text and "continuing" in text


def test_table_with_rows_before_the_import(lightning, fresh, tmp_path):
    cur = fresh.cursor()
    cur.execute("CREATE DATABASE ck")
    cur.execute("USE ck")
    cur.execute(SCHEMA)
    cur.execute("INSERT INTO t VALUES (100,'old',1,NULL,NULL,NULL,NULL,NULL),(101,'older',2,NULL,NULL,NULL,NULL,NULL)")
    run = lightning(write_dump(tmp_path / "d"))
    assert run.code == 0, run.output
    assert summary_line(run.stdout, "`ck`.`t`").endswith("passed")
    assert "already holds 2 rows" in run.log and "62 rows, 2 of them there before the import" in run.log


def test_rows_replaced_as_duplicates_skip_the_check_and_say_why(lightning, fresh, tmp_path):
    cur = fresh.cursor()
    cur.execute("CREATE DATABASE ck")
    cur.execute("USE ck")
    cur.execute(SCHEMA)
    cur.execute("INSERT INTO t VALUES (1,'other',1,NULL,NULL,NULL,NULL,NULL)")
    task = tmp_path / "task.toml"
    task.write_text('[tikv-importer]\non-duplicate = "replace"\n')
    run = lightning(write_dump(tmp_path / "d"), config=task)
    assert run.code == 0, run.output
    assert summary_line(run.stdout, "`ck`.`t`").endswith("skipped")
    assert "checksum skipped: 1 row(s) replaced or ignored as duplicates" in run.log


def test_a_value_that_cannot_be_predicted_skips_the_check_naming_it(lightning, fresh, tmp_path):
    rows = ROWS[:5] + ["(6,CONCAT('a','b'),1.00,NULL,NULL,NULL,NULL,NULL)"] + ROWS[6:]
    run = lightning(write_dump(tmp_path / "d", rows))
    assert run.code == 0, run.output
    assert summary_line(run.stdout, "`ck`.`t`").endswith("skipped")
    assert "ck.t.000000000.sql at offset" in run.log and "is not a plain literal" in run.log
    assert "CONCAT('a','b')" in run.log


def test_off_runs_no_check(lightning, fresh, tmp_path):
    run = lightning(write_dump(tmp_path / "d"), "--checksum", "off")
    assert run.code == 0, run.output
    assert summary_line(run.stdout, "`ck`.`t`").endswith("off")
    assert "checksum passed" not in run.log


def test_resumed_import_checks_the_rows_of_every_run(lightning, fresh, tmp_path, monkeypatch):
    """Killed after the first batch's commit: the re-run's checksum still covers every row
    (the first run's share comes from the ledger on the target)."""
    d = write_dump(tmp_path / "d")
    task = tmp_path / "task.toml"
    task.write_text("[lightning]\nregion-concurrency = 1\n")
    monkeypatch.setenv("TIDB_LIGHTNING_FAILPOINTS", "backend.after-commit=crash@1")
    first = lightning(d, config=task)
    assert first.code != 0
    monkeypatch.delenv("TIDB_LIGHTNING_FAILPOINTS")
    second = lightning(d, config=task)
    assert second.code == 0, second.output
    assert summary_line(second.stdout, "`ck`.`t`").endswith("passed")
    assert summary_line(second.stdout, "`ck`.`nopk`").endswith("passed")
    assert "total_kvs: 60 vs 60" in second.log


def test_timestamps_are_read_back_in_the_dumps_zone_after_a_resume(lightning, fresh, tmp_path, monkeypatch):
    """The dump writes TIMESTAMPs in UTC (`SET TIME_ZONE='+00:00'`), the server's zone is
    +05:00, and the run is killed once the rows are in: the re-run finds every chunk done and
    compares without reading a file, still in the dump's zone."""
    d = tmp_path / "tz"
    d.mkdir()
    (d / "ck-schema-create.sql").write_text("CREATE DATABASE `ck`;\n")
    (d / "ck.ts-schema.sql").write_text("CREATE TABLE `ts` (`id` int PRIMARY KEY, `at` timestamp NULL);\n")
    (d / "ck.ts.sql").write_text("/*!40103 SET TIME_ZONE='+00:00' */;\nINSERT INTO `ts` VALUES "
                                 "(1,'2020-01-01 00:00:00'),(2,'2038-01-19 03:14:07'),(3,NULL);\n")
    cur = fresh.cursor()
    cur.execute("SELECT @@global.time_zone")
    saved = cur.fetchone()[0]
    cur.execute("SET GLOBAL time_zone = '+05:00'")
    try:
        monkeypatch.setenv("TIDB_LIGHTNING_FAILPOINTS", "restore.before-table-status=crash@1")
        assert lightning(d).code != 0
        monkeypatch.delenv("TIDB_LIGHTNING_FAILPOINTS")
        run = lightning(d)
    finally:
        cur.execute("SET GLOBAL time_zone = %s", (saved,))
    assert run.code == 0, run.output
    assert summary_line(run.stdout, "`ck`.`ts`").endswith("passed")

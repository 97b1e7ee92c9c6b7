"""Pre-checks (`lightning.check-requirements`): a table of pass/warn/fail rows on stdout before
anything is written; every failure reported at once (exit 1, one line on stderr); warnings
never fail a run; `--check-requirements=0` skips them."""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import query

USER, PASSWORD = "pc_limited", "pc-Secret-1"
DB = "pc_shop"


def write(d: Path, files: dict[str, str | bytes]) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return d


def execute(conn, *statements: str) -> None:
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def exists(conn, schema: str, table: str | None = None) -> bool:
    if table is None:
        return bool(query(conn, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (schema,)))
    return bool(query(conn, "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                            "AND TABLE_NAME = %s", (schema, table)))


CHECKS = ("target tables", "target", "privileges", "source", "data files", "csv columns",
          "free space", "max-allowed-packet")


def rows_of(stdout: str) -> dict[str, str]:
    """check name -> PASS/WARN/FAIL, from the printed table."""
    out = {}
    for line in stdout.splitlines():
        status, _, rest = line.strip().partition("  ")
        if status in ("PASS", "WARN", "FAIL"):
            name = next(c for c in CHECKS if rest.strip().startswith(c + " ") or rest.strip() == c)
            out[name] = status
    return out


@pytest.fixture
def clean(db):
    execute(db, f"DROP DATABASE IF EXISTS `{DB}`")
    yield
    execute(db, f"DROP DATABASE IF EXISTS `{DB}`")


@pytest.fixture
def limited_user(db):
    """A user with every privilege but DROP and ALTER on the import's database (and all of
    them on the checkpoint schema, where the progress ledger lives)."""
    hosts = ("127.0.0.1", "localhost")
    for host in hosts:
        execute(db, f"DROP USER IF EXISTS '{USER}'@'{host}'",
                f"CREATE USER '{USER}'@'{host}' IDENTIFIED BY '{PASSWORD}'",
                f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON `pc\\_shop`.* TO '{USER}'@'{host}'",
                f"GRANT ALL PRIVILEGES ON `tidb_lightning_checkpoint`.* TO '{USER}'@'{host}'")
    yield ("--tidb-user", USER, "--tidb-password", PASSWORD)
    for host in hosts:
        execute(db, f"DROP USER IF EXISTS '{USER}'@'{host}'")


CLEAN = {
    f"{DB}-schema-create.sql": f"CREATE DATABASE `{DB}`;\n",
    f"{DB}.items-schema.sql": "CREATE TABLE `items` (`id` int PRIMARY KEY, `name` varchar(20));\n",
    f"{DB}.items.000000000.sql": "INSERT INTO `items` VALUES (1,'a'),(2,'b');\n",
    f"{DB}.pre-schema.sql": "CREATE TABLE `pre` (`a` int, `b` varchar(10));\n",
    f"{DB}.pre.csv": "a,b\n1,x\n2,y\n",
}


def test_clean_source_passes(lightning, db, clean, tmp_path):
    execute(db, f"CREATE DATABASE `{DB}`", f"CREATE TABLE `{DB}`.pre (a int, b varchar(10))")
    run = lightning(write(tmp_path / "d", CLEAN))
    assert run.code == 0, run.output
    table = rows_of(run.stdout)
    assert set(table) == {"target", "privileges", "source", "data files", "csv columns", "target tables",
                          "free space", "max-allowed-packet"}, run.stdout
    assert set(table.values()) == {"PASS"}, run.stdout
    assert "MariaDB" in run.stdout and "1 CSV file(s) match" in run.stdout
    assert "8 checks: 8 passed, 0 warning(s), 0 failed" in run.stdout
    assert run.stderr == ""
    assert '["pre-check"] [check=privileges] [result=pass]' in run.log, run.log
    assert query(db, f"SELECT id, name FROM `{DB}`.items ORDER BY id") == [(1, "a"), (2, "b")]
    assert query(db, f"SELECT a, b FROM `{DB}`.pre ORDER BY a") == [(1, "x"), (2, "y")]
    assert run.stdout.strip().endswith("tidb lightning exit")


def test_problems_are_reported_together(lightning, db, clean, limited_user, tmp_path):
    """A user without DROP/ALTER, a CSV with 3 values per row for a 2-column table that is
    already there, a 10 KB row with `max-allowed-packet = 4KiB`, and a data file no rule maps:
    three failures and one warning in one run, and nothing reaches the target."""
    execute(db, f"CREATE DATABASE `{DB}`", f"CREATE TABLE `{DB}`.pre (a int, b varchar(10))")
    big = "x" * 10000
    d = write(tmp_path / "d", {
        f"{DB}-schema-create.sql": f"CREATE DATABASE `{DB}`;\n",
        f"{DB}.pre-schema.sql": "CREATE TABLE `pre` (`a` int, `b` varchar(10));\n",
        f"{DB}.pre.csv": "1,x,extra\n2,y,extra\n",
        f"{DB}.big-schema.sql": "CREATE TABLE `big` (`id` int PRIMARY KEY, `s` text);\n",
        f"{DB}.big.sql": f"INSERT INTO `big` VALUES (1,'small'),(2,'{big}');\n",
        "orders.csv": "1,2\n",
    })
    cfg = tmp_path / "task.toml"
    cfg.write_text('[tidb]\nmax-allowed-packet = "4KiB"\n\n[mydumper.csv]\nheader = false\n')
    run = lightning(d, *limited_user, config=cfg)
    assert run.code == 1, run.output
    table = rows_of(run.stdout)
    assert table["privileges"] == "FAIL" and table["csv columns"] == "FAIL", run.stdout
    assert table["max-allowed-packet"] == "FAIL" and table["data files"] == "WARN", run.stdout
    assert table["target"] == table["source"] == table["free space"] == "PASS", run.stdout
    assert "3 failed" in run.stdout
    # stderr: one line naming every failure
    err = run.stderr.strip()
    assert len(err.splitlines()) == 1, run.stderr
    assert "pre-checks failed: 3 problems:" in err
    assert f"{USER}@" in err and "lacks DROP, ALTER on `pc_shop`" in err, err
    assert f"{DB}.pre.csv row at offset 0 has 3 value(s)" in err and "takes 2 (a, b)" in err, err
    assert f"{DB}.big.sql at offset" in err and "4 KiB" in err, err
    assert "fix them or run with --check-requirements=0" in err
    assert "orders.csv" in run.stdout and "orders.csv" not in err  # a warning is not a problem
    assert PASSWORD not in run.output + run.log
    assert '[check=csv columns] [result=fail]' in run.log
    # nothing written: no table created, the existing one still empty, no checkpoint
    assert not exists(db, DB, "big")
    assert query(db, f"SELECT COUNT(*) FROM `{DB}`.pre") == [(0,)]
    assert not (tmp_path / "tidb_lightning_checkpoint.pb").exists()
    assert "tidb lightning exit" not in run.stdout


def test_source_problem_reported_with_target_problems(lightning, db, clean, limited_user, tmp_path):
    """A data file without its schema file (the loader's error) and a missing privilege: both
    in the one summary, and the database is not created."""
    d = write(tmp_path / "d", {f"{DB}.orphan.sql": "INSERT INTO `orphan` VALUES (1);\n"})
    run = lightning(d, *limited_user)
    assert run.code == 1, run.output
    table = rows_of(run.stdout)
    assert table["source"] == "FAIL" and table["privileges"] == "FAIL", run.stdout
    err = run.stderr.strip()
    assert len(err.splitlines()) == 1 and "pre-checks failed: 2 problems:" in err, err
    assert str(d / f"{DB}.orphan.sql") in err and "mydumper.no-schema" in err
    assert "lacks DROP, ALTER" in err
    assert not exists(db, DB)


def test_check_requirements_off_skips_them(lightning, db, clean, tmp_path):
    execute(db, f"CREATE DATABASE `{DB}`", f"CREATE TABLE `{DB}`.pre (a int, b varchar(10))")
    d = write(tmp_path / "d", {
        f"{DB}-schema-create.sql": f"CREATE DATABASE `{DB}`;\n",
        f"{DB}.pre-schema.sql": "CREATE TABLE `pre` (`a` int, `b` varchar(10));\n",
        f"{DB}.pre.csv": "a,b\n1,x\n2,y,extra\n",
    })
    run = lightning(d)
    assert run.code == 1 and "pre-checks failed: 1 problem:" in run.stderr, run.output
    assert "header names 2" in run.stderr
    run = lightning(d, "--check-requirements=0")
    assert run.code == 1, run.output
    assert "pre-checks" not in run.stdout and "pre-check" not in run.log
    # the import itself meets the bad row
    assert "column count mismatch" in run.stderr and "expected 2 values, got 3" in run.stderr, run.stderr


def test_warnings_never_fail(lightning, db, clean, tmp_path):
    """A non-empty existing table and an unmapped data file: warnings, then the import."""
    execute(db, f"CREATE DATABASE `{DB}`", f"CREATE TABLE `{DB}`.pre (a int PRIMARY KEY, b varchar(10))",
            f"INSERT INTO `{DB}`.pre VALUES (1, 'old'), (9, 'kept')")
    files = dict(CLEAN)
    files["stray/data.sql.gz"] = b"\x1f\x8b"
    run = lightning(write(tmp_path / "d", files))
    assert run.code == 0, run.output
    table = rows_of(run.stdout)
    assert table["target tables"] == "WARN" and table["data files"] == "WARN", run.stdout
    assert "FAIL" not in table.values()
    assert f"not empty: `{DB}`.`pre`: rows may conflict (on-duplicate = replace)" in run.stdout
    assert "stray/data.sql.gz" in run.stdout
    assert run.stderr == ""
    assert query(db, f"SELECT a, b FROM `{DB}`.pre ORDER BY a") == [(1, "x"), (2, "y"), (9, "kept")]


def test_resumed_tables_are_not_reported_non_empty(lightning, ctl, db, clean, tmp_path):
    """A table an earlier run started (it is in the checkpoint) is expected to hold rows."""
    d = write(tmp_path / "d", {
        f"{DB}-schema-create.sql": f"CREATE DATABASE `{DB}`;\n",
        f"{DB}.t-schema.sql": "CREATE TABLE `t` (`id` int PRIMARY KEY, `s` varchar(10));\n",
        f"{DB}.t.sql": "INSERT INTO `t` VALUES (1,'a'),(2,'b');\nINSERT INTO `t` VALUES (3,'c);\n",
    })
    first = lightning(d)
    assert first.code == 1 and "unterminated string literal" in first.stderr, first.output
    execute(db, f"INSERT INTO `{DB}`.t VALUES (1, 'a')")  # as if a batch had committed
    (d / f"{DB}.t.sql").write_text("INSERT INTO `t` VALUES (1,'a'),(2,'b');\nINSERT INTO `t` VALUES (3,'c');\n")
    run = lightning(d)  # the checks pass; the failed table still needs a decision
    assert run.code == 1 and "has failed last time" in run.stderr, run.output
    assert rows_of(run.stdout)["target tables"] == "PASS", run.stdout
    assert "1 resumed from the checkpoint" in run.stdout
    assert ctl("--checkpoint-error-ignore=all").code == 0
    run = lightning(d)
    assert run.code == 0, run.output
    assert rows_of(run.stdout)["target tables"] == "PASS", run.stdout
    assert query(db, f"SELECT id, s FROM `{DB}`.t ORDER BY id") == [(1, "a"), (2, "b"), (3, "c")]


def test_privileges_through_a_default_role(lightning, db, clean, tmp_path):
    """Privileges granted to a role the user has as default role count (SHOW GRANTS FOR role)."""
    role, user = "pc_importer", "pc_roleuser"
    execute(db, f"DROP ROLE IF EXISTS {role}", f"CREATE ROLE {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER ON `pc\\_shop`.* TO {role}",
            f"GRANT ALL PRIVILEGES ON `tidb_lightning_checkpoint`.* TO {role}")
    try:
        for host in ("127.0.0.1", "localhost"):
            execute(db, f"DROP USER IF EXISTS '{user}'@'{host}'",
                    f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{PASSWORD}'",
                    f"GRANT {role} TO '{user}'@'{host}'", f"SET DEFAULT ROLE {role} FOR '{user}'@'{host}'")
        run = lightning(write(tmp_path / "d", {k: v for k, v in CLEAN.items() if ".pre" not in k}),
                        "--tidb-user", user, "--tidb-password", PASSWORD)
        assert run.code == 0, run.output
        assert rows_of(run.stdout)["privileges"] == "PASS", run.stdout
        assert query(db, f"SELECT COUNT(*) FROM `{DB}`.items") == [(2,)]
    finally:
        for host in ("127.0.0.1", "localhost"):
            execute(db, f"DROP USER IF EXISTS '{user}'@'{host}'")
        execute(db, f"DROP ROLE IF EXISTS {role}")

"""`--backend local` on MariaDB: empty tables only (refused before anything is written),
secondary indexes built after the rows (a unique-key violation fails the table with the key
and the duplicated values), and a run killed at any point resumes to the same tables."""
from __future__ import annotations

import pytest

from .conftest import query

SCHEMA = ("CREATE TABLE `t` (`id` int NOT NULL PRIMARY KEY, `code` varchar(10) NOT NULL, "
          "`grp` int DEFAULT NULL, `note` text, UNIQUE KEY `uk_code` (`code`), "
          "KEY `k_grp` (`grp`,`code`(4)) COMMENT 'by group');\n")


def write_dump(d, rows: list[str]):
    d.mkdir()
    (d / "lb-schema-create.sql").write_text("CREATE DATABASE `lb`;\n")
    (d / "lb.t-schema.sql").write_text(SCHEMA)
    for i in range(0, len(rows), 100):
        (d / f"lb.t.{i // 100:09d}.sql").write_text("INSERT INTO `t` VALUES\n" + ",\n".join(rows[i:i + 100]) + ";\n")
    return d


ROWS = [f"({i},'c{i}',{i % 7},'note {i}')" for i in range(1, 451)]


@pytest.fixture
def fresh(db):
    db.cursor().execute("DROP DATABASE IF EXISTS lb")
    return db


@pytest.fixture
def engines(tmp_path):
    """A task that takes the indexes off even these small tables (default: 16 MiB and up)."""
    task = tmp_path / "engines.toml"
    task.write_text("[tikv-importer]\nindex-engine-min-size = 0\n")
    return task


def create_of(db) -> str:
    return query(db, "SHOW CREATE TABLE lb.t")[0][1]


def test_definition_and_rows_as_the_schema_says(lightning, fresh, tmp_path, engines):
    run = lightning(write_dump(tmp_path / "d", ROWS), backend="local", config=engines)
    assert run.code == 0, run.output
    assert "2 secondary index(es) off during the import: uk_code, k_grp" in run.log
    fresh.cursor().execute("CREATE DATABASE lb_ref")  # the schema file's table, created directly
    try:
        fresh.cursor().execute("CREATE TABLE lb_ref.t " + SCHEMA.split("`t`", 1)[1].rstrip(";\n"))
        assert create_of(fresh) == query(fresh, "SHOW CREATE TABLE lb_ref.t")[0][1]
    finally:
        fresh.cursor().execute("DROP DATABASE lb_ref")
    assert query(fresh, "SELECT COUNT(*), SUM(id), COUNT(DISTINCT code) FROM lb.t") == [(450, 101475, 450)]
    assert run.stdout.splitlines()[-2].endswith("passed")


@pytest.mark.parametrize("prechecks", [True, False])
def test_a_table_holding_rows_is_refused_before_anything_is_written(lightning, fresh, tmp_path, prechecks):
    cur = fresh.cursor()
    cur.execute("CREATE DATABASE lb")
    cur.execute("USE lb")
    cur.execute(SCHEMA)
    cur.execute("INSERT INTO t VALUES (9999, 'x', 1, NULL)")
    before = create_of(fresh)
    run = lightning(write_dump(tmp_path / "d", ROWS), "--check-requirements", str(prechecks).lower(),
                    backend="local")
    assert run.code != 0
    assert "`lb`.`t`" in run.output and "empty tables only" in run.output
    assert query(fresh, "SELECT COUNT(*) FROM lb.t") == [(1,)]
    assert create_of(fresh) == before  # no index was taken off


def test_a_unique_key_violation_fails_the_table_naming_key_and_values(lightning, fresh, tmp_path, engines):
    rows = list(ROWS)
    rows[200] = "(201,'c5',1,'same code as row 5')"
    rows[300] = "(301,'c5',1,'and again')"
    run = lightning(write_dump(tmp_path / "d", rows), backend="local", config=engines)
    assert run.code == 1
    err = run.stderr
    assert "`lb`.`t`: a unique key is violated by the imported rows" in err
    assert "UNIQUE KEY `uk_code`" in err and "duplicated values: ('c5') x3" in err
    # the rows are in and the table is marked failed: the next run refuses until it is resolved
    again = lightning(tmp_path / "d", backend="local", config=engines)
    assert again.code == 1 and "has failed last time" in again.stderr


@pytest.mark.parametrize("failpoint", ["backend.after-commit=crash@3", "indexes.before-build=crash@1"])
def test_a_killed_run_resumes_to_the_same_table(lightning, fresh, tmp_path, monkeypatch, failpoint, engines):
    d = write_dump(tmp_path / "d", ROWS)
    monkeypatch.setenv("TIDB_LIGHTNING_FAILPOINTS", failpoint)
    assert lightning(d, backend="local", config=engines).code != 0
    monkeypatch.delenv("TIDB_LIGHTNING_FAILPOINTS")
    run = lightning(d, backend="local", config=engines)
    assert run.code == 0, run.output
    assert "built 2 index(es): uk_code, k_grp" in run.log
    assert "KEY `k_grp` (`grp`,`code`(4)) COMMENT 'by group'" in create_of(fresh)
    assert query(fresh, "SELECT COUNT(*), SUM(id) FROM lb.t") == [(450, 101475)]
    assert run.stdout.splitlines()[-2].endswith("passed")


def test_a_small_table_keeps_its_indexes_while_loading(lightning, fresh, tmp_path):
    """Below `index-engine-min-size` (16 MiB by default) rebuilding costs more than it saves."""
    run = lightning(write_dump(tmp_path / "d", ROWS), backend="local")
    assert run.code == 0, run.output
    assert "secondary index(es) off" not in run.log and "built 2 index(es)" not in run.log
    assert "UNIQUE KEY `uk_code` (`code`)" in create_of(fresh)


def test_a_duplicate_primary_key_in_one_statement_is_named(lightning, fresh, tmp_path, engines):
    """MariaDB's bulk insert into an empty table finds it only at the statement's end and says
    just "Got error 1 during COMMIT"; the batch is tried again with unique checks on."""
    rows = list(ROWS)
    rows[40] = "(7,'dup',1,'the id of row 7 again')"
    run = lightning(write_dump(tmp_path / "d", rows), backend="local", config=engines)
    assert run.code == 1
    assert "Duplicate entry '7' for key 'PRIMARY'" in run.output and "lb.t.000000000.sql" in run.output

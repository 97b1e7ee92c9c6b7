"""Big CSV files split into regions imported in parallel: with `strict-format = true`, and
without it only when the file provably holds no quoted line break; every row once, the
header read for every region, the checksum passing; a killed run resumes region by region."""
from __future__ import annotations

import pytest

from .conftest import query

ROWS = 30_000


def write_csv(d, quoted: bool):
    d.mkdir()
    (d / "sf-schema-create.sql").write_text("CREATE DATABASE sf;\n")
    (d / "sf.t-schema.sql").write_text("CREATE TABLE t (id int PRIMARY KEY, name varchar(40), n int);\n")
    q = '"' if quoted else ""
    (d / "sf.t.000000000.csv").write_text("id,name,n\n" + "".join(
        f"{i},{q}name {i}{q},{i % 97}\r\n" for i in range(ROWS)))
    return d


def task(tmp_path, strict: bool):
    path = tmp_path / "task.toml"
    path.write_text(f'[mydumper]\nstrict-format = {str(strict).lower()}\nmax-region-size = "64KiB"\n')
    return path


@pytest.fixture
def fresh(db):
    db.cursor().execute("DROP DATABASE IF EXISTS sf")
    return db


def check(db, run) -> None:
    assert run.code == 0, run.output
    assert query(db, "SELECT COUNT(*), SUM(id), SUM(n) FROM sf.t") == [
        (ROWS, ROWS * (ROWS - 1) // 2, sum(i % 97 for i in range(ROWS)))]
    assert run.stdout.splitlines()[-2].endswith("passed")


@pytest.mark.parametrize("backend", ["tidb", "local"])
def test_strict_format_splits_into_regions(lightning, fresh, tmp_path, backend):
    run = lightning(write_csv(tmp_path / "d", quoted=True), backend=backend, config=task(tmp_path, True))
    check(fresh, run)
    assert "split into" in run.log and "regions of about 0 MiB" in run.log


def test_without_strict_format_a_file_with_quotes_stays_one_chunk(lightning, fresh, tmp_path):
    run = lightning(write_csv(tmp_path / "d", quoted=True), config=task(tmp_path, False))
    check(fresh, run)
    assert "not split: a quoted field may hold a line break" in run.log


def test_without_strict_format_a_file_without_quotes_is_split(lightning, fresh, tmp_path):
    run = lightning(write_csv(tmp_path / "d", quoted=False), config=task(tmp_path, False))
    check(fresh, run)
    assert "split into" in run.log


def test_a_killed_run_resumes_region_by_region(lightning, fresh, tmp_path, monkeypatch):
    d = write_csv(tmp_path / "d", quoted=True)
    monkeypatch.setenv("TIDB_LIGHTNING_FAILPOINTS", "backend.after-commit=crash@9")
    assert lightning(d, backend="local", config=task(tmp_path, True)).code != 0
    partial = query(fresh, "SELECT COUNT(*) FROM sf.t")[0][0]
    monkeypatch.delenv("TIDB_LIGHTNING_FAILPOINTS")
    assert 0 < partial < ROWS
    check(fresh, lightning(d, backend="local", config=task(tmp_path, True)))

"""`lightning.max-error`: rows the target refuses are recorded in
lightning_task_info.type_error_v1 (file, offset, error, row) until the budget is spent."""
from __future__ import annotations

import pytest

from .conftest import query

N = 3000
BAD = {17, 500, 1234, 1999, 2500, 2501, 2999}  # 7 rows whose value does not fit TINYINT UNSIGNED


def sql_rows(lo, hi):
    return ",".join(f"({i},{300 if i in BAD else i % 200},'r{i}')" for i in range(lo, hi))


def write_dump(d):
    d.mkdir()
    (d / "te-schema-create.sql").write_text("CREATE DATABASE te;\n")
    for t in ("s", "c"):
        (d / f"te.{t}-schema.sql").write_text(
            f"CREATE TABLE {t} (id int PRIMARY KEY, v tinyint unsigned NOT NULL, s varchar(10));\n")
    sql = "".join(f"INSERT INTO s VALUES {sql_rows(lo, lo + 500)};\n" for lo in range(0, N, 500))
    (d / "te.s.sql").write_text(sql)
    (d / "te.c.csv").write_text("id,v,s\n" + "".join(
        f"{i},{300 if i in BAD else i % 200},r{i}\n" for i in range(N)))
    return d


STRICT = '[tidb]\nsql-mode = "STRICT_ALL_TABLES"\n'


@pytest.fixture
def clean(db):
    db.cursor().execute("DROP DATABASE IF EXISTS te")
    db.cursor().execute("DROP DATABASE IF EXISTS lightning_task_info")
    yield


def test_bad_rows_are_recorded_within_the_budget(lightning, db, clean, tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text(STRICT + "[lightning]\nmax-error = 20\n")
    d = write_dump(tmp_path / "d")
    run = lightning(d, config=cfg)
    assert run.code == 0, run.stderr
    for t in ("s", "c"):
        assert query(db, f"SELECT COUNT(*) FROM te.{t}") == [(N - len(BAD),)]
        assert query(db, f"SELECT id FROM te.{t} WHERE id IN ({','.join(map(str, BAD))})") == []
    rec = query(db, "SELECT table_name, path, `offset`, error, row_data FROM lightning_task_info.type_error_v1 "
                    "ORDER BY table_name, `offset`")
    assert len(rec) == 2 * len(BAD)
    data = {t: (d / f"te.{t}.{'sql' if t == 's' else 'csv'}").read_bytes() for t in ("s", "c")}
    for table_name, path, offset, error, row in rec:
        t = "s" if "`s`" in table_name else "c"
        assert path == str(d / f"te.{t}.{'sql' if t == 's' else 'csv'}")
        assert "Error 1264" in error and "Out of range" in error
        # the offset points at the refused row in the file
        src = data[t][offset:offset + 20]
        bad_id = int(src.lstrip(b"(").split(b",")[0])
        assert bad_id in BAD and str(bad_id) in row
    assert "Detect 14 data type errors in total" in run.log
    assert "skipped" in run.stdout


def test_more_bad_rows_than_the_budget_fail_naming_the_table(lightning, db, clean, tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text(STRICT + "[lightning]\nmax-error = 5\n")
    d = write_dump(tmp_path / "d")
    run = lightning(d, "-f", "te.s", config=cfg)
    assert run.code == 1
    assert "`te`.`s`" in run.stderr and "exceeds the threshold" in run.stderr and "'5'" in run.stderr


def test_without_budget_the_first_bad_row_fails(lightning, db, clean, tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text(STRICT)
    run = lightning(write_dump(tmp_path / "d"), "-f", "te.c", config=cfg)
    assert run.code == 1
    assert "Out of range" in run.stderr and "te.c.csv at offset" in run.stderr

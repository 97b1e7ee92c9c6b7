"""`[[mydumper.ignore-data-columns]]` / `[[mydumper.ignore-columns]]`: the named source columns
are left out (the target fills its defaults; a source column the target does not have is no
longer an error) in SQL dumps with and without column lists, CSV with and without a header
(INSERTs and LOAD DATA) and Parquet, through both backends.  The post-import checksum passes
where every target column comes from the data, and says "skipped" (naming the columns the
server filled) where it does not."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import query

TABLE = ("CREATE TABLE `{t}` (id int PRIMARY KEY, a varchar(20), b int DEFAULT 7, "
         "c varchar(10) DEFAULT 'dflt');\n")
IGNORE = """
[[mydumper.ignore-data-columns]]
db = "ig"
table = "sql_list"
columns = ["B", "extra"]

[[mydumper.ignore-data-columns]]
db = "ig"
table = "full"
columns = ["extra"]

[[mydumper.ignore-data-columns]]
table-filter = ["ig.sql_bare", "ig.csv_*", "ig.pq"]
columns = ["b", "extra"]
"""
N = 300


def write_source(d):
    d.mkdir()
    (d / "ig-schema-create.sql").write_text("CREATE DATABASE ig;\n")
    for t in ("sql_list", "sql_bare", "csv_head", "csv_bare", "pq", "full"):
        (d / f"ig.{t}-schema.sql").write_text(TABLE.format(t=t))
    ids = range(1, N + 1)
    (d / "ig.sql_list.000000000.sql").write_text(
        "INSERT INTO `sql_list` (`id`,`a`,`b`,`extra`) VALUES\n"
        + ",\n".join(f"({i},'a,{i}',{i * 100},'x''{i}')" for i in ids) + ";\n")
    (d / "ig.full.000000000.sql").write_text(  # every column of the table, and one more
        "INSERT INTO `full` (`extra`,`id`,`a`,`b`,`c`) VALUES\n"
        + ",\n".join(f"('x{i}',{i},'a{i}',{i},'c{i}')" for i in ids) + ";\n")
    (d / "ig.sql_bare.000000000.sql").write_text(  # no column list: the table's own columns
        "INSERT INTO `sql_bare` VALUES\n" + ",\n".join(f"({i},'a{i}',{i * 100},'c{i}')" for i in ids) + ";\n")
    (d / "ig.csv_head.000000000.csv").write_text(
        "extra,id,b,a\n" + "".join(f'"e {i}",{i},{i * 100},"a,{i}"\n' for i in ids))
    pq.write_table(pa.table({"id": list(ids), "extra": [f"e{i}" for i in ids],
                             "a": [f"a{i}" for i in ids], "b": [i * 100 for i in ids]}),
                   d / "ig.pq.000000000.parquet")
    return d


def import_with_rules(lightning, db, tmp_path, backend: str, csv: str = ""):
    db.cursor().execute("DROP DATABASE IF EXISTS ig")
    task = tmp_path / "task.toml"
    task.write_text(IGNORE + csv)
    d = write_source(tmp_path / "d")
    if "header = false" in csv:  # csv_bare instead of csv_head: no header row, read by position
        (d / "ig.csv_head.000000000.csv").unlink()
        (d / "ig.csv_bare.000000000.csv").write_text(
            "".join(f'{i},"a{i}",{i * 100},"c{i}"\n' for i in range(1, N + 1)))
    run = lightning(d, backend=backend, config=task)
    assert run.code == 0, run.output
    return run


def assert_summary(run, tables, checksum: str) -> None:
    for t in tables:
        (line,) = [x for x in run.stdout.splitlines() if x.startswith(f"`ig`.`{t}`")]
        assert line.split()[1] == str(N) and line.endswith(checksum), line


@pytest.mark.parametrize("backend", ["tidb", "local"])
def test_ignored_columns_take_their_defaults(lightning, db, tmp_path, backend):
    run = import_with_rules(lightning, db, tmp_path, backend)
    for t in ("sql_list", "csv_head", "pq"):  # the source has no `c`; `b` ignored: both defaults
        assert query(db, f"SELECT COUNT(*), MIN(b), MAX(b), MIN(c), MAX(c), SUM(id) FROM ig.{t}") == \
            [(N, 7, 7, "dflt", "dflt", N * (N + 1) // 2)], t
        assert query(db, f"SELECT a FROM ig.{t} WHERE id = 5") == [("a,5" if t != "pq" else "a5",)]
    # no column list: the values are the table's columns; `b` ignored, `c` from the data
    assert query(db, "SELECT COUNT(*), MIN(b), MAX(b), COUNT(DISTINCT c) FROM ig.sql_bare") == [(N, 7, 7, N)]
    assert query(db, "SELECT a, c FROM ig.sql_bare WHERE id = 9") == [("a9", "c9")]
    assert query(db, "SELECT COUNT(*), SUM(b), COUNT(DISTINCT c) FROM ig.full") == [(N, N * (N + 1) // 2, N)]
    # a column the server fills (an ignored one, or one the source lacks) cannot be checksummed
    # on our side (as for any partial column list); the table with only `extra` left out is
    assert_summary(run, ("sql_list", "sql_bare", "csv_head", "pq"), "skipped")
    assert_summary(run, ("full",), "passed")
    assert "ig.csv_head.000000000.csv at offset 13: the data names only some columns (not b, c)" in run.log
    assert "leaving out the values of the ignored columns b, extra" in run.log
    assert "[colName=c]" in run.log and "[colName=b]" not in run.log  # missing is warned, ignored not


@pytest.mark.parametrize("backend", ["tidb", "local"])
def test_a_csv_without_header_drops_by_position(lightning, db, tmp_path, backend):
    run = import_with_rules(lightning, db, tmp_path, backend, "[mydumper.csv]\nheader = false\n")
    assert query(db, "SELECT COUNT(*), MIN(b), MAX(b), COUNT(DISTINCT c) FROM ig.csv_bare") == [(N, 7, 7, N)]
    assert query(db, "SELECT a, c FROM ig.csv_bare WHERE id = 9") == [("a9", "c9")]
    assert_summary(run, ("csv_bare",), "skipped")


def test_the_global_spelling_ignore_columns(lightning, db, tmp_path):
    rules = IGNORE.replace("ignore-data-columns", "ignore-columns")
    db.cursor().execute("DROP DATABASE IF EXISTS ig")
    (tmp_path / "task.toml").write_text(rules)
    run = lightning(write_source(tmp_path / "d"), config=tmp_path / "task.toml")
    assert run.code == 0, run.output
    assert query(db, "SELECT COUNT(*), MAX(b) FROM ig.sql_list") == [(N, 7)]


def test_without_the_rule_the_extra_column_is_an_error(lightning, db, tmp_path):
    db.cursor().execute("DROP DATABASE IF EXISTS ig")
    run = lightning(write_source(tmp_path / "d"), "--check-requirements=false")
    assert run.code == 1 and "unknown columns ['extra']" in run.stderr, run.output

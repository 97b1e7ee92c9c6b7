"""Post-restore steps: auto-increment beyond every imported value, ANALYZE, their statuses."""
from __future__ import annotations

import csv

from tidb_lightning.postprocess.autoinc import fix_auto_increment
from tidb_lightning.restore.target import fetch_tables

from .conftest import query

DUMP = {
    "pr-schema-create.sql": "CREATE DATABASE `pr`;\n",
    "pr.t-schema.sql": "CREATE TABLE `t` (`id` bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, `v` int) "
                       "AUTO_INCREMENT=5;\n",
    "pr.t.sql": "INSERT INTO `t` VALUES (1,1),(2,2),(700,3);\n",
    "pr.u-schema.sql": "CREATE TABLE `u` (`id` int NOT NULL AUTO_INCREMENT PRIMARY KEY) AUTO_INCREMENT=1000;\n",
    "pr.u.sql": "INSERT INTO `u` VALUES (0),(1),(2);\n",
}


def write(d):
    d.mkdir()
    for name, text in DUMP.items():
        (d / name).write_text(text)
    return d


def test_auto_increment_and_analyze_statuses(lightning, ctl, db, tmp_path):
    db.cursor().execute("DROP DATABASE IF EXISTS pr")
    task = tmp_path / "task.toml"
    task.write_text('[checkpoint]\nkeep-after-success = "origin"\n[post-restore]\nanalyze = "required"\n')
    run = lightning(write(tmp_path / "d"), config=task)
    assert run.code == 0, run.stderr
    assert '["analyze completed"]' in run.log
    # the next generated id is above every imported one; a dump's own larger counter is kept
    db.cursor().execute("INSERT INTO pr.t (v) VALUES (4)")
    assert query(db, "SELECT MAX(id) FROM pr.t") == [(701,)]
    db.cursor().execute("INSERT INTO pr.u () VALUES ()")
    assert query(db, "SELECT id FROM pr.u ORDER BY id") == [(0,), (1,), (2,), (1000,)]  # 0 kept as 0
    dumped = ctl("--checkpoint-dump", str(tmp_path / "dump"), config=task)
    assert dumped.code == 0, dumped.stderr
    with open(tmp_path / "dump" / "tables.csv", newline="") as f:
        statuses = {r["table_name"]: r["status"] for r in csv.DictReader(f)}
    assert statuses == {"`pr`.`t`": "210", "`pr`.`u`": "210"}  # analyzed


def test_fix_auto_increment_only_raises_the_counter(db):
    cur = db.cursor()
    cur.execute("DROP DATABASE IF EXISTS pr2")
    cur.execute("CREATE DATABASE pr2")
    cur.execute("CREATE TABLE pr2.a (id int AUTO_INCREMENT PRIMARY KEY) AUTO_INCREMENT=50")
    cur.execute("INSERT INTO pr2.a VALUES (3)")
    cur.execute("CREATE TABLE pr2.b (id int PRIMARY KEY)")
    tables = fetch_tables(db, "pr2")

    def q(sql, args=None):
        with db.cursor() as c:
            c.execute(sql, args)
            return list(c.fetchall())

    assert fix_auto_increment(q, tables["a"]) is None  # 50 > 3: the dump's counter stays
    assert fix_auto_increment(q, tables["b"]) is None  # no AUTO_INCREMENT column
    cur.execute("DROP DATABASE pr2")

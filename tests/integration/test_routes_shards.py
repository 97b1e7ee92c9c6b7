"""`[[routes]]` merging shards: `shard_0.orders_0` ... `shard_3.orders_3` (SQL and CSV files)
go into one `merged.orders` through either backend, every row once, the checksum over all
of them passing; the shard databases are not created."""
from __future__ import annotations

import pytest

from .conftest import query

ROUTES = """
[[routes]]
schema-pattern = "shard_*"
table-pattern = "orders_*"
target-schema = "merged"
target-table = "orders"
"""
SCHEMA = "CREATE TABLE `{t}` (`id` bigint NOT NULL PRIMARY KEY, `shard` int NOT NULL, `note` varchar(40), KEY k_shard (`shard`));\n"


def write_shards(d):
    d.mkdir()
    for s in range(4):
        db, t = f"shard_{s}", f"orders_{s}"
        (d / f"{db}-schema-create.sql").write_text(f"CREATE DATABASE `{db}`;\n")
        (d / f"{db}.{t}-schema.sql").write_text(SCHEMA.format(t=t))
        ids = range(s * 1000 + 1, s * 1000 + 251)
        if s % 2:
            (d / f"{db}.{t}.000000000.csv").write_text(
                "id,shard,note\n" + "".join(f'{i},{s},"n {i}"\n' for i in ids))
        else:
            (d / f"{db}.{t}.000000000.sql").write_text(
                f"INSERT INTO `{t}` VALUES\n" + ",\n".join(f"({i},{s},'n {i}')" for i in ids) + ";\n")
    return d


@pytest.mark.parametrize("backend", ["tidb", "local"])
def test_four_shards_merge_into_one_table(lightning, db, tmp_path, backend):
    for name in ("merged", "shard_0", "shard_1", "shard_2", "shard_3"):
        db.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    task = tmp_path / "task.toml"
    task.write_text("[tikv-importer]\nindex-engine-min-size = 0\n" + ROUTES)
    run = lightning(write_shards(tmp_path / "d"), backend=backend, config=task)
    assert run.code == 0, run.output
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT id), SUM(shard) FROM merged.orders") == [(1000, 1000, 1500)]
    assert query(db, "SHOW DATABASES LIKE 'shard%'") == []
    (line,) = [x for x in run.stdout.splitlines() if x.startswith("`merged`.`orders`")]
    assert line.split()[1] == "1000" and line.endswith("passed")
    assert "KEY `k_shard` (`shard`)" in query(db, "SHOW CREATE TABLE merged.orders")[0][1]

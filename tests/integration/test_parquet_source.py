"""Parquet written by pyarrow (every type a snapshot export holds, awkward strings, NULLs,
dictionary encoding, several row groups) imports through both backends with the rows the
table gets from the same values inserted directly, and the checksum passing; a killed
import resumes at the committed row."""
from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import query

SCHEMA = ("CREATE TABLE `p` (`id` bigint PRIMARY KEY, `s` varchar(40), `b` varbinary(16), `d` decimal(12,3), "
          "`f` double, `ok` tinyint(1), `day` date, `at` timestamp(6) NULL, `wall` datetime, `e` varchar(8));\n")
AWKWARD = ["plain", "it's", "back\\slash", "new\nline", "nul\x00byte", "ctrl-z\x1a", "", "中文 é", None]


def rows(n: int) -> list[dict]:
    out = []
    for i in range(n):
        out.append({
            "id": i, "s": AWKWARD[i % len(AWKWARD)],
            "b": None if i % 7 == 0 else bytes([i % 256, 0, 39, 92]),
            "d": decimal.Decimal(i * 1001) / 1000 - 5,
            "f": None if i % 5 == 0 else i / 7,
            "ok": i % 2 == 0,
            "day": dt.date(2020, 1, 1) + dt.timedelta(days=i),
            "at": dt.datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=dt.timezone.utc) + dt.timedelta(hours=i),
            "wall": dt.datetime(2019, 12, 31, 23, 59, 59) - dt.timedelta(minutes=i),
            "e": ["x", "y", "z"][i % 3],
        })
    return out


def write_parquet(d, n: int = 1000):
    d.mkdir()
    (d / "pq-schema-create.sql").write_text("CREATE DATABASE `pq`;\n")
    (d / "pq.p-schema.sql").write_text(SCHEMA)
    data = rows(n)
    table = pa.table({
        "id": pa.array([r["id"] for r in data], pa.int64()),
        "s": pa.array([r["s"] for r in data], pa.string()),
        "b": pa.array([r["b"] for r in data], pa.binary()),
        "d": pa.array([r["d"] for r in data], pa.decimal128(12, 3)),
        "f": pa.array([r["f"] for r in data], pa.float64()),
        "ok": pa.array([r["ok"] for r in data], pa.bool_()),
        "day": pa.array([r["day"] for r in data], pa.date32()),
        "at": pa.array([r["at"] for r in data], pa.timestamp("us", tz="UTC")),
        "wall": pa.array([r["wall"] for r in data], pa.timestamp("s")),
        "e": pa.array([r["e"] for r in data]).dictionary_encode(),
    })
    pq.write_table(table, d / "pq.p.000000000.parquet", row_group_size=300)
    return d, data


def expected(data) -> list[tuple]:
    return [(r["id"], r["s"], r["b"], r["d"].quantize(decimal.Decimal("0.001")), r["f"], int(r["ok"]), r["day"],
             r["at"].replace(tzinfo=None), r["wall"], r["e"]) for r in data]


@pytest.fixture
def fresh(db):
    db.cursor().execute("DROP DATABASE IF EXISTS pq")
    db.cursor().execute("SET time_zone = '+00:00'")
    return db


@pytest.mark.parametrize("backend", ["tidb", "local"])
def test_parquet_rows_and_checksum(lightning, fresh, tmp_path, backend):
    d, data = write_parquet(tmp_path / "d")
    run = lightning(d, backend=backend)
    assert run.code == 0, run.output
    got = query(fresh, "SELECT id, s, b, d, f, ok, day, at, wall, e FROM pq.p ORDER BY id")
    assert [tuple(r) for r in got] == expected(data)
    (line,) = [x for x in run.stdout.splitlines() if x.startswith("`pq`.`p`")]
    assert line.endswith("passed"), run.stdout


def test_a_killed_parquet_import_resumes_at_the_committed_row(lightning, fresh, tmp_path, monkeypatch):
    d, data = write_parquet(tmp_path / "d", 5000)
    task = tmp_path / "task.toml"
    task.write_text("[tikv-importer]\nlogical-import-batch-rows = 100\n")
    monkeypatch.setenv("TIDB_LIGHTNING_FAILPOINTS", "backend.after-commit=crash@12")
    assert lightning(d, config=task).code != 0
    partial = query(fresh, "SELECT COUNT(*) FROM pq.p")[0][0]
    monkeypatch.delenv("TIDB_LIGHTNING_FAILPOINTS")
    run = lightning(d, config=task)
    assert run.code == 0, run.output
    assert 0 < partial < 5000
    assert query(fresh, "SELECT COUNT(*), SUM(id) FROM pq.p") == [(5000, 5000 * 4999 // 2)]
    assert run.stdout.splitlines()[-2].endswith("passed")

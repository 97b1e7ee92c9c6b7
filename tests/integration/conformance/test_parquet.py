"""Conformance: upstream `lightning_parquet` (see data/parquet, EXPECTED.md).

An Aurora snapshot export (Spark-written Parquet, gzip inside, `_SUCCESS` markers and JSON
metadata beside), routed by a `[[mydumper.files]]` rule into tables created beforehand from
`db.sql` (`no-schema`).  Timestamps are UTC instants: imported as UTC (EXPECTED.md: at UTC
`c_since` is 12:17:16), through both backends.
"""
from __future__ import annotations

import pytest

from .harness import DATA, execute, expect, fresh, ok

FOLDER = "parquet"
COUNTS = {"customer": 20, "district": 10, "history": 100, "item": 100, "new_order": 100,
          "order_line": 100, "orders": 100, "stock": 50, "warehouse": 1}


def run_dump(conn, path) -> None:
    """Run a mysqldump file's statements (no DELIMITER blocks in it)."""
    text = path.read_text()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    for stmt in body.split(";\n"):
        if stmt.strip():
            execute(conn, stmt)


@pytest.mark.parametrize("backend", ["tidb", "local"])
def test_parquet(importer, raw, backend):
    fresh(raw, "test")
    execute(raw, "CREATE DATABASE test")
    raw.select_db("test")
    run_dump(raw, DATA / FOLDER / "db.sql")
    ok(importer(FOLDER, "--backend", backend))

    for table, n in COUNTS.items():
        expect(raw, f"select count(*) from test.{table}", {"count(*)": str(n)})
    expect(raw, "select sum(c_id) from test.customer", {"sum(c_id)": "210"})
    expect(raw, "select w_name from test.warehouse", {"w_name": "eLNEDIW"})
    expect(raw, "select c_since, c_discount from test.customer where c_id = 20",
           {"c_since": "2020-09-10 12:17:16", "c_discount": "0.0585"})

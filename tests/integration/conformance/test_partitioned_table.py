"""Conformance: upstream `lightning_partitioned-table` (see data/partitioned-table, EXPECTED.md).

A hash-partitioned target.  `region-split-size` only matters to physical backends.
Both facts hold on MariaDB as written.
"""
from __future__ import annotations

from .harness import expect, fresh, ok

FOLDER = "partitioned-table"


def test_partitioned_table(importer, raw):
    fresh(raw, "partitioned")
    ok(importer(FOLDER))

    expect(raw, "SELECT count(1), sum(a) FROM partitioned.a", {"count(1)": "8", "sum(a)": "277151781"})
    expect(raw, "SHOW TABLE STATUS FROM partitioned WHERE name = 'a'", {"Create_options": "partitioned"})

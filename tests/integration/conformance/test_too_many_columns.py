"""Conformance: upstream `lightning_too_many_columns` (see data/too_many_columns, EXPECTED.md).

A 256-column CSV.  All facts portable.
"""
from __future__ import annotations

import pytest

from .harness import execute, fresh, ok, rows

FOLDER = "too_many_columns"


@pytest.fixture
def lenient_innodb(raw):
    """MariaDB adjustment (not in upstream, which targets TiDB: no row-size limit there).

    With utf8mb4 a VARCHAR(16) may take 64 bytes, and InnoDB's strict mode refuses a table
    whose widest possible row (256 x 64 bytes) exceeds half a page (8126 bytes): errno 1118
    "Row size too large".  With `innodb_strict_mode = OFF` MariaDB creates the table with
    a warning; the one real row is ~1 KB.  Global, because the importer opens its own
    sessions; restored afterwards.
    """
    old = rows(raw, "SELECT @@global.innodb_strict_mode AS v")[0]["v"]
    execute(raw, "SET GLOBAL innodb_strict_mode = OFF")
    yield
    execute(raw, f"SET GLOBAL innodb_strict_mode = {int(old)}")


def test_too_many_columns(importer, raw, lenient_innodb):
    fresh(raw, "too_many_columns")
    ok(importer(FOLDER))

    got = rows(raw, "SELECT * FROM too_many_columns.t")
    assert len(got) == 1, got
    row = got[0]
    assert row["COL001"] == "1001"
    assert row["COL256"] == "1256"
    assert row["COL100"] == "1100"
    # every COLnnn holds 1nnn
    assert len(row) == 256 and all(v == "1" + k[3:] for k, v in row.items()), row

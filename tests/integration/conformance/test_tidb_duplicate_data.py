"""Conformance: upstream `lightning_tidb_duplicate_data` (see data/tidb_duplicate_data, EXPECTED.md).

Upstream's first run crashes on purpose (Go failpoint `FailIfImportedSomeRows`) after
importing `(1, 'old')`.  We have no failpoints; as EXPECTED.md's portable version says,
the crash's result is seeded directly: database `dup`, the table from
`data/dup.dup-schema.sql`, and the row `(1, 'old')`.  Then `data-new/` (values `new`)
is imported over it with each config.
"""
from __future__ import annotations

import pytest

from .harness import DATA, execute, expect, fails, fresh, ok

FOLDER = "tidb_duplicate_data"


def seed_crashed_first_run(conn) -> None:
    fresh(conn, "dup")
    schema = (DATA / FOLDER / "data" / "dup.dup-schema.sql").read_text()
    execute(conn, "CREATE DATABASE dup", "USE dup", schema.strip().rstrip(";"),
            "INSERT INTO dup.dup VALUES (1, 'old')")


@pytest.mark.parametrize("config, pk1", [("replace.toml", "new"), ("ignore.toml", "old")])
def test_on_duplicate_replace_and_ignore(importer, raw, config, pk1):
    seed_crashed_first_run(raw)
    ok(importer(FOLDER, config=config, data="data-new"))

    expect(raw, "SELECT count(*) FROM dup.dup", {"count(*)": "2"})
    expect(raw, "SELECT d FROM dup.dup WHERE pk = 1", {"d": pk1})
    expect(raw, "SELECT d FROM dup.dup WHERE pk = 2", {"d": "new"})


def test_on_duplicate_error(importer, raw):
    seed_crashed_first_run(raw)
    run = fails(importer(FOLDER, config="error.toml", data="data-new"), "Duplicate entry")
    tail = "\n".join(run.log.splitlines()[-20:])
    assert "Duplicate entry" in tail, tail

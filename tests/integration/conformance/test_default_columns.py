"""Conformance: upstream `lightning_default-columns` (see data/default-columns, EXPECTED.md).

INSERTs that leave columns out; the server fills their defaults.  `backend = "local"` in
the toml is overridden by `--backend tidb`.  Facts 1-4 portable; fact 5 is about the log
and is checked in its portable form (our wording follows upstream's message).
"""
from __future__ import annotations

from .harness import expect, expect_none, fresh, ok

FOLDER = "default-columns"


def test_default_columns(importer, raw):
    fresh(raw, "defcol")
    run = ok(importer(FOLDER))

    expect(raw, "SELECT min(pk), count(pk) FROM defcol.t", {"min(pk)": "1", "count(pk)": "9"})
    expect_none(raw, "SELECT pk FROM defcol.t WHERE x IS NOT NULL OR y <> 123 OR z IS NULL "
                     "OR z NOT BETWEEN now() - INTERVAL 5 MINUTE AND now()")
    expect(raw, "SELECT xx FROM defcol.u WHERE yy = 40", {"xx": "1"})
    expect(raw, "SELECT xx FROM defcol.u WHERE yy = 60", {"xx": "2"})

    # fact 5: a warning that column `xx` of `defcol`.`u` is missing from the data file
    lines = [ln for ln in run.log.splitlines()
             if "[WARN]" in ln and "column missing from data file, going to fill with default value" in ln]
    assert any("[colName=xx]" in ln and "`defcol`.`u`" in ln for ln in lines), lines or run.log[-3000:]

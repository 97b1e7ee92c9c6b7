"""Conformance: upstream `lightning_column_permutation` (see data/column_permutation, EXPECTED.md).

A CSV header naming 10 of 13 columns in another order, with `strict-format = true` and
`max-region-size = 200` (the file may be cut into several chunks; each must use the
header's mapping).  `id INT NOT NULL` has no default and is not in the file: this relies
on the importer using the configured, non-strict `tidb.sql-mode` (MariaDB then stores 0).
The schema-create file is invalid SQL (``CREATE DATABASE `perm` IF NOT EXISTS``); the
database is named from the file name, as in br-5.x.  Both facts portable.
"""
from __future__ import annotations

from .harness import expect, fresh, ok

FOLDER = "column_permutation"


def test_column_permutation(importer, raw):
    fresh(raw, "perm")
    ok(importer(FOLDER))

    expect(raw, "select count(*) from perm.test_perm", {"count(*)": "5"})
    expect(raw, "SELECT fund_seq_no, region_code, credit_code FROM perm.test_perm "
                "WHERE contract_no = '2020061000019011020164030597'",
           {"fund_seq_no": "202006100001901102016403059520200627", "region_code": "000002",
            "credit_code": "33"})

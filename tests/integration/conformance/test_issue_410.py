"""Conformance: upstream `lightning_issue_410` (see data/issue_410, EXPECTED.md).

A CSV header of 26 long (39-40 character) column names.  All facts portable.
"""
from __future__ import annotations

import string

from .harness import fresh, ok, rows

FOLDER = "issue_410"


def test_issue_410(importer, raw):
    fresh(raw, "issue410")
    ok(importer(FOLDER))

    got = rows(raw, "SELECT * FROM issue410.row_flow_d")
    assert len(got) == 1, got  # exactly one row: the header is not data
    row = got[0]
    assert row["A123456789012345678901234567890123456789"] == "A"
    assert row["Y12345678901234567890123456789012345678"] == "Y"
    assert row["Z"] == "Z"
    # every column holds its own letter
    assert sorted(row.values()) == list(string.ascii_uppercase), row
    assert all(v == k[0] for k, v in row.items()), row

"""Conformance: upstream `lightning_issue_282` (see data/issue_282, EXPECTED.md).

`'\\Z'` in a SQL dump is byte 0x1A.  All facts portable.
"""
from __future__ import annotations

from .harness import expect_values, fresh, ok

FOLDER = "issue_282"


def test_issue_282(importer, raw):
    fresh(raw, "issue282")
    ok(importer(FOLDER))

    expect_values(raw, "SELECT hex(accessKey) FROM issue282.t_access3", "hex(accessKey)",
                  ["405026464C415348534841", "1A"])

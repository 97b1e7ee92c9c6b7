"""Conformance: upstream `lightning_issue_519` (see data/issue_519, EXPECTED.md).

CSV quoted with `'`, backslash escapes off, doubled quotes.  All facts portable.
"""
from __future__ import annotations

from .harness import expect, expect_values, fresh, ok, rows

FOLDER = "issue_519"


def test_issue_519(importer, raw):
    fresh(raw, "issue519")
    ok(importer(FOLDER))

    expect(raw, "SELECT b FROM issue519.t WHERE a = ''''", {"b": '"'})
    expect(raw, "SELECT hex(a) FROM issue519.t WHERE b = 0x222722272727272722",
           {"hex(a)": "2227272727222722"})

    # not asserted upstream, implied by the file (EXPECTED.md "useful extra checks")
    expect(raw, "SELECT count(*) FROM issue519.t", {"count(*)": "9"})
    expect(raw, """SELECT b FROM issue519.t WHERE a = 'a",b,"a'""", {"b": 'a,"c",a'})
    expect(raw, "SELECT b FROM issue519.t WHERE a = 'bbaa|*|aabb'", {"b": "bba|*|a|*|abb"})
    # row 7: an empty quoted field is '' (not NULL); no other row has an empty b
    expect_values(raw, "SELECT hex(a) FROM issue519.t WHERE b = ''", "hex(a)",
                  [b"\"'\"'\"''''\"".hex().upper()])
    assert rows(raw, "SELECT a FROM issue519.t WHERE a IS NULL OR b IS NULL") == []

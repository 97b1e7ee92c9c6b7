"""Conformance: upstream `lightning_file_routing` (see data/file_routing, EXPECTED.md).

Custom `[[mydumper.files]]` rules with `default-file-rules = false`: schema files per
directory, `-table.sql` / `-view.sql` names, an exact `path` rule, `.sql.N` suffixes, data at
the top level; a file no rule matches is ignored.  The view's DEFINER names an account a
fresh MariaDB lacks: our importer drops view DEFINER clauses (EXPECTED.md's option (b)).
"""
from __future__ import annotations

from .harness import execute, expect, fresh, ok

FOLDER = "file_routing"


def test_file_routing(importer, raw):
    fresh(raw, "fr")
    execute(raw, "DROP USER IF EXISTS 'root'@'192.168.198.178'")
    ok(importer(FOLDER))

    expect(raw, "SELECT count(*) FROM `fr`.tbl", {"count(*)": "10"})
    expect(raw, "SELECT sum(j) FROM `fr`.tbl", {"sum(j)": "55"})
    expect(raw, "SELECT sum(i), count(*) FROM `fr`.v", {"sum(i)": "15", "count(*)": "5"})

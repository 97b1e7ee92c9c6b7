"""Conformance: upstream `lightning_routes` (see data/routes, EXPECTED.md).

`[[routes]]` merges the shard tables `routes_a*.t*` into `routes_b.u`; `routes_a1.s1`
matches no rule and keeps its name; `routes_a0`, left with no table, is not created;
`routes_b` is created without a schema-create file of its own.
"""
from __future__ import annotations

from .harness import expect, fresh, ok, rows

FOLDER = "routes"


def test_routes(importer, raw):
    fresh(raw, "routes_a0", "routes_a1", "routes_b")
    ok(importer(FOLDER))

    expect(raw, "SELECT count(1), sum(x) FROM routes_b.u", {"count(1)": "4", "sum(x)": "259"})
    expect(raw, "SELECT count(1), sum(x) FROM routes_a1.s1", {"count(1)": "1", "sum(x)": "1296"})
    assert {"Tables_in_routes_a1": "t2"} not in rows(raw, "SHOW TABLES IN routes_a1")
    assert {"Database": "routes_a0"} not in rows(raw, "SHOW DATABASES")
    assert {"Database": "routes_b"} in rows(raw, "SHOW DATABASES")

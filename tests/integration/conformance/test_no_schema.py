"""Conformance: upstream `lightning_no_schema` (see data/no_schema, EXPECTED.md).

`--no-schema=1`: the source has data files only; the table is created on the server
first, as upstream does.  `backend = 'local'` in the toml is overridden by
`--backend tidb`.  Portable.
"""
from __future__ import annotations

from .harness import execute, expect, fresh, ok

FOLDER = "no_schema"


def test_no_schema(importer, raw):
    fresh(raw, "noschema")
    execute(raw, "create database noschema", "create table noschema.t (x int primary key)")
    ok(importer(FOLDER, "--no-schema=1"))

    expect(raw, "SELECT sum(x) FROM noschema.t", {"sum(x)": "120"})

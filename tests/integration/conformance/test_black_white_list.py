"""Conformance: upstream `lightning_black-white-list` (see data/black-white-list, EXPECTED.md).

Table selection by the legacy `[black-white-list]` section and by `-f` filters; the system
schema `mysql` is always excluded (on MariaDB it exists and must be left alone).  The
tomls say `backend = "local"`; `--backend tidb` on the command line wins, as upstream.
All facts portable.
"""
from __future__ import annotations

import pytest

from .harness import column_values, fresh, ok

FOLDER = "black-white-list"


def databases(conn) -> list:
    return column_values(conn, "SHOW DATABASES", "Database")


def tables(conn, db: str) -> list:
    return column_values(conn, f"SHOW TABLES IN {db}", f"Tables_in_{db}")


def check_firstdb_only(conn) -> None:
    dbs = databases(conn)
    assert "firstdb" in dbs and "seconddb" not in dbs, dbs
    t = tables(conn, "firstdb")
    assert "first" in t and "second" in t, t
    assert "testtable" not in tables(conn, "mysql")


def check_even_tables_only(conn) -> None:
    dbs = databases(conn)
    assert "firstdb" in dbs and "seconddb" in dbs, dbs
    t = tables(conn, "firstdb")
    assert "first" not in t and "second" in t, t
    t = tables(conn, "seconddb")
    assert "third" not in t and "fourth" in t, t
    assert "testtable" not in tables(conn, "mysql")


RUNS = {
    "1-firstdb-only.toml": ("firstdb-only.toml", (), check_firstdb_only),
    "2-even-table-only.toml": ("even-table-only.toml", (), check_even_tables_only),
    "3-filter-firstdb": ("config.toml", ("-f", "f*.*"), check_firstdb_only),
    "4-filter-even": ("config.toml", ("-f", "!firstdb.*", "-f", "*.second", "-f", "seconddb.fourth"),
                      check_even_tables_only),
}


@pytest.mark.parametrize("run", list(RUNS))
def test_black_white_list(importer, raw, run):
    config, flags, check = RUNS[run]
    fresh(raw, "firstdb", "seconddb")
    ok(importer(FOLDER, *flags, config=config))
    check(raw)

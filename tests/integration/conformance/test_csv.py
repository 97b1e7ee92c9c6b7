"""Conformance: upstream `lightning_csv` (see data/csv, EXPECTED.md).  All facts portable."""
from __future__ import annotations

from .harness import column_values, expect, expect_none, fresh, ok

FOLDER = "csv"


def test_csv(importer, raw):
    # the schema-create file says ``CREATE DATABASE `CSV` ``: the database must still be
    # named from the file name (`csv`); drop both in case an earlier run got it wrong
    fresh(raw, "csv", "CSV")
    ok(importer(FOLDER))
    assert "CSV" not in column_values(raw, "SHOW DATABASES", "Database")

    expect(raw, "SELECT count(*), sum(PROCESSLIST_TIME), sum(THREAD_OS_ID), count(PROCESSLIST_STATE) "
                "FROM csv.threads",
           {"count(*)": "43", "sum(PROCESSLIST_TIME)": "322253", "sum(THREAD_OS_ID)": "303775702",
            "count(PROCESSLIST_STATE)": "3"})
    expect(raw, "SELECT count(*) FROM csv.threads WHERE PROCESSLIST_TIME IS NOT NULL",
           {"count(*)": "12"})
    expect(raw, "SELECT hex(t), j, hex(b) FROM csv.escapes WHERE i = 1",
           {"hex(t)": "5C", "j": '{"?": []}', "hex(b)": "FFFFFFFF"})
    expect(raw, "SELECT hex(t), j, hex(b) FROM csv.escapes WHERE i = 2",
           {"hex(t)": "22", "j": '"\\n\\n\\n"', "hex(b)": "0D0A0D0A"})
    expect(raw, "SELECT hex(t), j, hex(b) FROM csv.escapes WHERE i = 3",
           {"hex(t)": "0A", "j": '[",,,"]', "hex(b)": "5C2C5C2C"})
    expect(raw, 'SELECT id FROM csv.empty_strings WHERE a = """"', {"id": "3"})
    expect_none(raw, 'SELECT id FROM csv.empty_strings WHERE b <> ""')

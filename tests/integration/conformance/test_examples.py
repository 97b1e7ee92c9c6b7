"""Conformance: upstream `lightning_examples` (see data/examples, EXPECTED.md).

10,000-row mydumper SQL files read with 512-byte, 1-byte and 128 KiB blocks; Unicode
names (`ı`, `ſ`) whose case mapping changes their byte length; a GB18030 schema
comment; `metadata` and `test.parquet` match no file rule and are ignored.  Upstream
checks every fact after run A (`512.toml`) and facts 1-2 after runs B and C; we check
every fact after every run (EXPECTED.md allows the stricter form).  All facts portable.
"""
from __future__ import annotations

import pytest

from .harness import execute, expect, fresh, ok, rows

FOLDER = "examples"


@pytest.mark.parametrize("config", ["512.toml", "1.toml", "131072.toml"])
def test_examples(importer, raw, config):
    fresh(raw, "mocker_test")
    ok(importer(FOLDER, config=config))

    raw.select_db("mocker_test")
    expect(raw, "select count(distinct ID) cnt from tbl_autoid", {"cnt": "10000"})
    expect(raw, "select count(distinct Name) cnt from tbl_multi_index", {"cnt": "10000"})
    got = rows(raw, "SELECT * FROM mocker_test.ı LIMIT 2")
    assert len(got) == 1 and got[0]["ſ"] == "🤪", got
    expect(raw, "SELECT * FROM mocker_test.report_case_high_risk LIMIT 2",
           {"id": "2", "report_data": "4", "caseType": "6", "total_case": "8", "today_new_case": "10"})
    expect(raw, "select count(*), sum(id), max(name), min(name), sum(crc32(name)) from mocker_test.tbl_autoid",
           {"count(*)": "10000", "sum(id)": "50005000", "max(name)": "4-9-9", "min(name)": "0-0-0",
            "sum(crc32(name))": "21388950023608"})
    execute(raw, "insert into mocker_test.tbl_autoid (name) values ('new')")
    expect(raw, "select id > 10000 from mocker_test.tbl_autoid where name = 'new'", {"id > 10000": "1"})
    expect(raw, "select count(*), avg(age), max(name), min(name), sum(crc32(name)) "
                "from mocker_test.tbl_multi_index",
           {"count(*)": "10000", "avg(age)": "477.7500", "max(name)": "4+9+9", "min(name)": "0+0+0",
            "sum(crc32(name))": "21433704622808"})
    expect(raw, "select age from mocker_test.tbl_multi_index where name = '1+2+3'", {"age": "6"})
    expect(raw, "select count(*) from mocker_test.tbl_multi_index where age = 6", {"count(*)": "20"})

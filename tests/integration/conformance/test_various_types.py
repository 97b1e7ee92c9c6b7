"""Conformance: upstream `lightning_various_types` (see data/various_types, EXPECTED.md).

MariaDB split, as EXPECTED.md suggests: `vt.json` row pk 1764 nests 127 arrays and
MariaDB's JSON (`CHECK (json_valid(js))`) rejects nesting of 32 levels or more, so
run A imports everything but `vt.json`, run B imports `vt.json` as written and must fail,
and run C imports `vt.json` without row 1764 (a copy made in tmp) for facts 15 and 16.
"""
from __future__ import annotations

import shutil

import pytest

from .harness import DATA, expect, fresh, fails, ok

FOLDER = "various_types"


def test_all_but_json(importer, raw):
    fresh(raw, "vt")
    ok(importer(FOLDER, "-f", "vt.*", "-f", "!vt.json"))

    expect(raw, "SELECT count(pk), bin(min(pk)), bin(max(pk)) FROM vt.bit",
           {"count(pk)": "16", "bin(min(pk))": "0", "bin(max(pk))": "11"})
    expect(raw, "SELECT sum(ref) FROM vt.bit WHERE pk = 0b10", {"sum(ref)": "82"})
    expect(raw, "SELECT count(pk), min(pk), max(pk), sum(pk) FROM vt.decimal",
           {"count(pk)": "50", "min(pk)": "-99.9990", "max(pk)": "99.9912", "sum(pk)": "-9.9123"})
    expect(raw, "SELECT ref FROM vt.decimal WHERE pk BETWEEN -1.0 AND 0.0", {"ref": "22"})
    expect(raw, "SELECT count(pk), min(pk), max(pk) FROM vt.double",
           {"count(pk)": "41", "min(pk)": "9.85967654375977e-305",
            "max(pk)": "1.0142320547350045e304"})
    expect(raw, "SELECT ref FROM vt.double WHERE pk BETWEEN 1e100 AND 1e120", {"ref": "245"})
    # Fact 7.  min(uk): the source value `1970-11-09 19:25:45.842815` goes into a
    # TIMESTAMP(3).  TiDB rounds (`.843`); MariaDB truncates (`.842`) unless the session
    # sql_mode has TIME_ROUND_FRACTIONAL, which our importer does not add (it sends the
    # literal as written, like upstream's tidb backend).  Portable value: `.842`.
    expect(raw, "SELECT count(pk), min(pk), max(pk), count(uk), min(uk), max(uk) FROM vt.datetime",
           {"count(pk)": "70", "min(pk)": "1026-09-21 15:15:54.335745",
            "max(pk)": "9889-01-08 08:51:03.389832", "count(uk)": "70",
            "min(uk)": "1970-11-09 19:25:45.842", "max(uk)": "2036-10-14 10:48:28.620"})
    expect(raw, "SELECT ref FROM vt.datetime WHERE pk BETWEEN '2882-01-01' AND '2882-12-31'",
           {"ref": "7"})
    expect(raw, "SELECT ref FROM vt.datetime WHERE uk BETWEEN '2001-01-01' AND '2001-12-31'",
           {"ref": "32"})
    expect(raw, "SELECT count(pk), min(pk), max(pk) FROM vt.char",
           {"count(pk)": "50", "min(pk)": "090abbb2-f22e-4f97-a4fe-a52eb1a80a0b",
            "max(pk)": "fde1328c-409c-43a8-b1b0-8c35c8000f92"})
    expect(raw, "SELECT ref FROM vt.char WHERE pk = '55dc0343-db6a-4208-9872-9096305b8c07'",
           {"ref": "41"})
    # upstream only checks that a `hex(min(pk))` line is present; its value is 32 zeros
    expect(raw, "SELECT count(pk), hex(min(pk)), hex(max(pk)) FROM vt.binary",
           {"count(pk)": "51", "hex(min(pk))": "0" * 32,
            "hex(max(pk))": "FDE1328C409C43A8B1B08C35C8000F92"})
    expect(raw, "SELECT ref FROM vt.binary WHERE pk = x'55dc0343db6a420898729096305b8c07'",
           {"ref": "41"})
    # facts 14-16 (vt.json): see test_json_* below
    expect(raw, "SELECT count(*) FROM vt.`enum-set`", {"count(*)": "26"})
    expect(raw, 'SELECT count(*) FROM vt.`enum-set` WHERE find_in_set("x50", `set`) > 0',
           {"count(*)": "10"})
    expect(raw, 'SELECT `set` FROM vt.`enum-set` WHERE `enum` = "gcc"',
           {"set": "x00,x06,x07,x09,x17,x20,x23,x24,x27,x37,x44,x46,x49,x54,x55,x58,x61,x62"})
    expect(raw, 'SELECT `set` FROM vt.`enum-set` WHERE `enum` = "g99"',
           {"set": "x07,x08,x09,x10,x11,x12,x14,x16,x17,x18,x19,x22,x25,x26,x28,x29,x30,x31,"
                   "x32,x33,x35,x38,x39,x41,x44,x46,x49,x51,x53,x55,x56,x58,x61,x63"})
    expect(raw, "SELECT count(*) FROM vt.empty_strings", {"count(*)": "6"})
    expect(raw, 'SELECT sum(pk) FROM vt.empty_strings WHERE a = ""', {"sum(pk)": "5"})
    expect(raw, "SELECT sum(pk) FROM vt.empty_strings WHERE a = 0x22", {"sum(pk)": "18"})
    expect(raw, "SELECT sum(pk) FROM vt.empty_strings WHERE a = 0x27", {"sum(pk)": "40"})
    expect(raw, "SELECT a, b, c, d FROM vt.precise_types",
           {"a": "18446744073709551614", "b": "-9223372036854775806",
            "c": "99999999999999999999.0", "d": "1.8446744073709552e19"})
    expect(raw, "SELECT count(*), sum(id) FROM vt.bigint",
           {"count(*)": "6", "sum(id)": "-3341565093352173667"})


def test_json_as_written_fails_on_mariadb(importer, raw):
    """Run B: row pk 1764 (127 nested arrays) fails MariaDB's json_valid CHECK (errno 4025);
    the error must name the table and the file."""
    fresh(raw, "vt")
    run = fails(importer(FOLDER, "-f", "vt.json"), "vt.json.sql")
    assert "`vt`.`json`" in run.stderr, run.stderr
    # Fact 14 (`count(pk): 92`, `count(DISTINCT js): 92`) needs that row: TiDB-only.
    pytest.xfail("fact 14 needs all 92 vt.json rows; MariaDB rejects pk 1764 "
                 "(JSON nesting >= 32 levels, errno 4025)")


def test_json_without_deep_row(importer, raw, tmp_path):
    """Run C: vt.json minus row pk 1764 (a copy in tmp) -> 91 rows, facts 15 and 16."""
    src = DATA / FOLDER / "data"
    data = tmp_path / "data"
    data.mkdir()
    for name in ("vt-schema-create.sql", "vt.json-schema.sql"):
        shutil.copyfile(src / name, data / name)
    lines = (src / "vt.json.sql").read_bytes().split(b"\n")
    kept = [ln for ln in lines if not ln.startswith(b"(1764,")]
    assert len(kept) == len(lines) - 1
    (data / "vt.json.sql").write_bytes(b"\n".join(kept))

    fresh(raw, "vt")
    ok(importer(FOLDER, data=str(data)))
    # fact 14, less the one row MariaDB cannot hold
    expect(raw, "SELECT count(pk), count(DISTINCT js) FROM vt.json",
           {"count(pk)": "91", "count(DISTINCT js)": "91"})
    expect(raw, "SELECT pk FROM vt.json WHERE js = json_array(1, 2, 3)", {"pk": "1089"})
    js = expect(raw, "SELECT js FROM vt.json WHERE pk = 2000", {})["js"]
    assert js.startswith("{"), js
    for part in ('"52": 1', '"54": 1', '"68": 1', '"126": 1'):
        assert part in js, js

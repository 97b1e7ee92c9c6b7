"""CSV into `--backend local` goes by LOAD DATA LOCAL INFILE (the file's own bytes): awkward
files end up with exactly the rows of the parser's INSERT path (`--backend tidb`), values the
server refuses still fail with the file named, a killed run resumes, and a server that refuses
LOCAL INFILE gets the rows as INSERTs, with a warning."""
from __future__ import annotations

import random

import pytest

from .conftest import query

SCHEMA = ("CREATE TABLE `t` (`a` varbinary(64) NULL, `b` varchar(64) NULL, `c` text NULL, "
          "`n` int NOT NULL PRIMARY KEY, KEY `k_b` (`b`));\n")
DIALECTS = {
    "default": ("", ",", '"', "\\"),
    "semicolon-single-quote-no-escape": ('separator = ";"\ndelimiter = "\'"\nbackslash-escape = false\n'
                                         'terminator = "\\r\\n"\n', ";", "'", ""),
}


def awkward_field(rnd: random.Random, sep: str, q: str, esc: str) -> str:
    """Mostly what exporters write; now and then what makes LOAD DATA and the parser differ
    (the word NULL, a lone \\r) or needs care (escapes, quotes, newlines inside quotes)."""
    plain = ["a", "", "é ü", " sp ", "x\\Ny" if esc else "xNy", "42"]
    quoted = ["x" + sep + "y", "q" + q + q + "q", "l1\nl2", "l1\r\nl2", "NULL", "\\N" if esc else "n"]
    escaped = ["a" + esc + sep + "b", esc + "N", "t" + esc + "tab", esc + esc] if esc else []
    roll = rnd.random()
    if roll < 0.5:
        return rnd.choice(plain)
    if roll < 0.8:
        return q + rnd.choice(quoted) + q
    if roll < 0.97 and escaped:
        return rnd.choice(escaped)
    return "NULL" if roll < 0.985 else "7"


def awkward_csv(rnd: random.Random, rows: int, sep: str, q: str, esc: str, crlf_only: bool) -> bytes:
    out = ["a" + sep + "b" + sep + "c" + sep + "n\r\n"]
    for i in range(rows):
        term = "\r\n" if crlf_only else rnd.choice(["\n", "\n", "\r\n", "\r"] if i % 97 == 5 else ["\n"])
        out.append(sep.join(awkward_field(rnd, sep, q, esc) for _ in range(3)) + sep + str(i) + term)
    return "".join(out).encode()


def write_dump(d, db: str, body: bytes, schema: str = SCHEMA):
    d.mkdir()
    (d / f"{db}-schema-create.sql").write_text(f"CREATE DATABASE `{db}`;\n")
    (d / f"{db}.t-schema.sql").write_text(schema)
    (d / f"{db}.t.csv").write_bytes(body)
    return d


def com_load(db) -> int:
    return int(query(db, "SHOW GLOBAL STATUS LIKE 'Com_load'")[0][1])


@pytest.fixture
def fresh(db):
    for name in ("cl_ins", "cl_load", "cl"):
        db.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
    return db


def task(tmp_path, csv: str = "", batch: str = "4KiB", tidb: str = ""):
    path = tmp_path / "task.toml"
    path.write_text(f'[tikv-importer]\nlogical-import-batch-size = "{batch}"\nindex-engine-min-size = 0\n'
                    f"[mydumper.csv]\n{csv}[tidb]\n{tidb}")
    return path


@pytest.mark.parametrize("dialect", DIALECTS)
def test_awkward_csv_gets_the_rows_of_the_insert_path(lightning, fresh, tmp_path, dialect):
    csv, sep, q, esc = DIALECTS[dialect]
    body = awkward_csv(random.Random(dialect), 3000, sep, q, esc, crlf_only=bool(csv))
    config = task(tmp_path, csv)
    before = com_load(fresh)
    ins = lightning(write_dump(tmp_path / "ins", "cl_ins", body), backend="tidb", config=config)
    assert ins.code == 0, ins.output
    assert com_load(fresh) == before
    load = lightning(write_dump(tmp_path / "load", "cl_load", body), backend="local", config=config)
    assert load.code == 0, load.output
    assert com_load(fresh) - before >= 5  # most batches went by LOAD DATA
    if not csv:  # the lone "\r" and the word NULL: rows from there through the parser
        assert "went through the CSV parser as INSERT statements" in load.log
    rows = "SELECT a, b, c, n FROM {}.t ORDER BY n"
    assert query(fresh, rows.format("cl_load")) == query(fresh, rows.format("cl_ins"))
    assert len(query(fresh, rows.format("cl_load"))) == 3000
    assert load.stdout.splitlines()[-2].endswith("passed")
    assert ins.stdout.splitlines()[-2].endswith("passed")


def test_a_value_the_server_refuses_fails_naming_the_file(lightning, fresh, tmp_path):
    lines = ["a,b,c,n"] + [f"x,b{i},c,{i}" for i in range(400)]
    lines[301] = "x,b300,c,not-a-number"
    run = lightning(write_dump(tmp_path / "d", "cl", ("\n".join(lines) + "\n").encode()), backend="local",
                    config=task(tmp_path, batch="1KiB", tidb='sql-mode = "STRICT_TRANS_TABLES"\n'))
    assert run.code == 1
    assert "cl.t.csv" in run.output and "Incorrect integer value: 'not-a-number'" in run.output
    kept = query(fresh, "SELECT COUNT(*) FROM cl.t")[0][0]
    assert 0 < kept < 300  # the batches before the bad one are in


def test_a_duplicate_primary_key_fails_naming_the_file(lightning, fresh, tmp_path):
    schema = "CREATE TABLE `t` (`id` int NOT NULL PRIMARY KEY, `b` varchar(10));\n"
    lines = ["id,b"] + [f"{i},b" for i in range(200)] + ["17,again"]
    run = lightning(write_dump(tmp_path / "d", "cl", ("\n".join(lines) + "\n").encode(), schema),
                    backend="local", config=task(tmp_path))
    assert run.code == 1
    assert "cl.t.csv" in run.output and "Duplicate entry '17'" in run.output


def test_a_killed_run_resumes_to_the_same_rows(lightning, fresh, tmp_path, monkeypatch):
    body = awkward_csv(random.Random(3), 2000, ",", '"', "\\", crlf_only=False)
    d = write_dump(tmp_path / "d", "cl", body)
    monkeypatch.setenv("TIDB_LIGHTNING_FAILPOINTS", "backend.after-commit=crash@4")
    assert lightning(d, backend="local", config=task(tmp_path)).code != 0
    partial = query(fresh, "SELECT COUNT(*) FROM cl.t")[0][0]
    monkeypatch.delenv("TIDB_LIGHTNING_FAILPOINTS")
    run = lightning(d, backend="local", config=task(tmp_path))
    assert run.code == 0, run.output
    assert 0 < partial < 2000
    assert query(fresh, "SELECT COUNT(*), SUM(n), COUNT(DISTINCT n) FROM cl.t") == [(2000, 1999000, 2000)]
    assert run.stdout.splitlines()[-2].endswith("passed")


def test_a_server_refusing_local_infile_gets_inserts_and_a_warning(lightning, fresh, tmp_path):
    lines = ["a,b,c,n"] + [f"x,b{i},c,{i}" for i in range(300)]
    fresh.cursor().execute("SET GLOBAL local_infile = 0")
    try:
        before = com_load(fresh)
        run = lightning(write_dump(tmp_path / "d", "cl", ("\n".join(lines) + "\n").encode()), backend="local",
                        config=task(tmp_path))
    finally:
        fresh.cursor().execute("SET GLOBAL local_infile = 1")
    assert run.code == 0, run.output
    assert "refuses LOAD DATA LOCAL INFILE" in run.log and "enable `local_infile`" in run.log
    assert query(fresh, "SELECT COUNT(*), SUM(n) FROM cl.t") == [(300, 44850)]
    assert com_load(fresh) - before <= 1  # the one refused attempt

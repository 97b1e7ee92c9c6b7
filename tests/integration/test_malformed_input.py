"""Malformed input and bad settings: each run exits non-zero with a message on stderr that
names the file and byte offset (or the setting), and nothing it leaves behind trips a re-run:
fix the cause, run again, get exactly the right data.

The data files are big enough (several 96 KiB batches) that rows before the fault reach the
target first, so the re-run really runs over a partially imported table.
"""
from __future__ import annotations

import re

import pytest

from .conftest import query

N = 12000  # rows per data file: ~200 KB, i.e. several statements and batches


def _rows_sql(lo: int, hi: int) -> bytes:
    return b",\n".join(b"(%d,'v%d it''s \\\\ \"q\"')" % (i, i) for i in range(lo, hi))


def sql_data(n: int = N, per_statement: int = 1000) -> bytes:
    parts = [b"/*!40101 SET NAMES binary*/;\n"]
    for lo in range(0, n, per_statement):
        parts.append(b"INSERT INTO `t` VALUES\n" + _rows_sql(lo, min(n, lo + per_statement)) + b";\n")
    return b"".join(parts)


def expected(n: int = N) -> list[tuple]:
    return [(i, f"v{i} it's \\ \"q\"") for i in range(n)]


def write_dump(directory, db: str, data_name: str | None, data: bytes | None, *,
               table_schema: bool = True):
    directory.mkdir(exist_ok=True)
    (directory / f"{db}-schema-create.sql").write_text(f"CREATE DATABASE `{db}`;\n")
    if table_schema:
        (directory / f"{db}.t-schema.sql").write_text(
            "CREATE TABLE `t` (`id` int NOT NULL PRIMARY KEY, `s` varchar(64) NOT NULL);\n")
    if data_name is not None:
        (directory / f"{db}.t.{data_name}").write_bytes(data)
    return directory


def fresh(conn, db: str) -> None:
    conn.cursor().execute(f"DROP DATABASE IF EXISTS `{db}`")


def db_exists(conn, db: str) -> bool:
    return bool(query(conn, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (db,)))


def assert_exact(conn, db: str, n: int = N) -> None:
    assert query(conn, f"SELECT id, s FROM `{db}`.t ORDER BY id") == expected(n)


def assert_names_offset(run, path, offset: int, what: str) -> None:
    assert run.code == 1, (run.code, run.stdout, run.stderr)
    assert f"{path} at offset {offset}:" in run.stderr, run.stderr
    assert what in run.stderr, run.stderr
    assert "tidb lightning exit" not in run.stdout


def resolve_failed_table(lightning, ctl, data_dir, db: str) -> None:
    """After bad data the table is marked failed: a plain re-run refuses, naming the table and
    the ctl commands; `--checkpoint-error-ignore` keeps the committed rows."""
    run = lightning(data_dir)
    assert run.code == 1, run.stdout
    assert "has failed last time" in run.stderr
    assert f"--checkpoint-error-ignore='`{db}`.`t`'" in run.stderr, run.stderr
    assert f"--checkpoint-error-destroy='`{db}`.`t`'" in run.stderr
    fixed = ctl("--checkpoint-error-ignore=all")
    assert fixed.code == 0, fixed.stderr
    assert f"`{db}`.`t`" in fixed.stdout


def rerun_succeeds(conn, lightning, data_dir, db: str, *args, n: int = N, **kw) -> None:
    run = lightning(data_dir, *args, **kw)
    assert run.code == 0, run.stderr
    assert "tidb lightning exit" in run.stdout
    assert_exact(conn, db, n)


# ----------------------------------------------------------------------------- SQL syntax

def _truncations():
    full = sql_data()
    last = full.rindex(b"INSERT INTO")
    quote = full.index(b"'v11990", last)
    row_end = full.index(b"),\n", quote) + 2  # just after the ',' that promises another row
    return [
        # cut inside a string literal: the offset is its opening quote
        pytest.param(full[:quote + 4], quote, "unterminated string literal", id="in-string"),
        # cut after "(...)," : the file ends where the next row should be
        pytest.param(full[:row_end], row_end, "premature end of file", id="after-comma"),
        # cut after a complete row: the statement lacks its ';'
        pytest.param(full[:row_end - 1], row_end - 1, "not terminated by ';'", id="no-semicolon"),
        # cut inside the statement head: the offset is the start of the statement
        pytest.param(full[:last + 15], last, "premature end of file", id="in-head"),
    ]


@pytest.mark.parametrize("data,offset,what", _truncations())
def test_truncated_sql_statement(data, offset, what, db, lightning, tmp_path, ctl):
    dbn = "mal_trunc"
    fresh(db, dbn)
    d = write_dump(tmp_path / "d", dbn, "sql", data)
    run = lightning(d)
    assert_names_offset(run, d / f"{dbn}.t.sql", offset, what)
    assert what in run.log
    # rows of earlier batches may be in the target; a re-run with the whole file fixes it
    assert len(query(db, f"SELECT id FROM `{dbn}`.t")) < N
    write_dump(d, dbn, "sql", sql_data())
    resolve_failed_table(lightning, ctl, d, dbn)
    rerun_succeeds(db, lightning, d, dbn)


def test_unterminated_quote_in_sql(db, lightning, tmp_path, ctl):
    dbn = "mal_quote"
    fresh(db, dbn)
    good = sql_data()
    # the last value of the file loses its closing quote
    bad = good[:good.rindex(b"')")] + b");\n"
    quote = bad.rindex(b"'v")
    d = write_dump(tmp_path / "d", dbn, "sql", bad)
    run = lightning(d)
    assert_names_offset(run, d / f"{dbn}.t.sql", quote, "unterminated string literal")
    write_dump(d, dbn, "sql", good)
    resolve_failed_table(lightning, ctl, d, dbn)
    rerun_succeeds(db, lightning, d, dbn)


def test_unescaped_quote_inside_a_value(db, lightning, tmp_path, ctl):
    """`'it's'` in the middle of the file: quotes pair up wrongly from there on, so the
    lexer only fails at the end of the file; the message also points at the stray quote."""
    dbn = "mal_stray"
    fresh(db, dbn)
    good = sql_data()
    at = good.index(b"(6000,'v6000 it''s")
    bad = good[:at] + b"(6000,'v6000 it's" + good[at + len(b"(6000,'v6000 it''s"):]
    stray = at + len(b"(6000,'v6000 it")
    d = write_dump(tmp_path / "d", dbn, "sql", bad)
    run = lightning(d)
    assert run.code == 1
    m = re.search(rf"{re.escape(str(d / f'{dbn}.t.sql'))} at offset (\d+): unterminated string literal",
                  run.stderr)
    assert m, run.stderr
    assert f"offset {stray}" in run.stderr, run.stderr
    write_dump(d, dbn, "sql", good)
    resolve_failed_table(lightning, ctl, d, dbn)
    rerun_succeeds(db, lightning, d, dbn)


# ----------------------------------------------------------------------------- CSV

def test_csv_row_with_an_extra_column(db, lightning, tmp_path, ctl):
    dbn = "mal_csv"
    fresh(db, dbn)
    lines = [b"id,s\n"] + [b'%d,"v%d it\'s \\\\ ""q"""\n' % (i, i) for i in range(N)]
    good = b"".join(lines)
    bad_row = 9000
    offset = sum(map(len, lines[:bad_row + 1]))
    bad = b"".join(lines[:bad_row + 1] + [b"%d,v%d,extra\n" % (bad_row, bad_row)] + lines[bad_row + 2:])
    d = write_dump(tmp_path / "d", dbn, "csv", bad)
    run = lightning(d)
    assert_names_offset(run, d / f"{dbn}.t.csv", offset, "expected 2 values, got 3")
    write_dump(d, dbn, "csv", good)
    resolve_failed_table(lightning, ctl, d, dbn)
    rerun_succeeds(db, lightning, d, dbn)


# ----------------------------------------------------------------------------- source layout

def test_missing_schema_file(db, lightning, tmp_path):
    dbn = "mal_noschema"
    fresh(db, dbn)
    d = write_dump(tmp_path / "d", dbn, "sql", sql_data(), table_schema=False)
    run = lightning(d)
    assert run.code == 1
    assert str(d / f"{dbn}.t.sql") in run.stderr, run.stderr
    assert f"{dbn}.t-schema.sql" in run.stderr
    assert "mydumper.no-schema" in run.stderr
    assert not db_exists(db, dbn), "nothing is created before the source is known to be complete"
    write_dump(d, dbn, "sql", sql_data())
    rerun_succeeds(db, lightning, d, dbn)


def test_data_directory_does_not_exist(db, lightning, tmp_path):
    dbn = "mal_nodir"
    fresh(db, dbn)
    missing = tmp_path / "no" / "such" / "dir"
    run = lightning(missing)
    assert run.code == 1
    assert str(missing) in run.stderr and "does not exist" in run.stderr, run.stderr
    assert "mydumper.data-source-dir" in run.stderr
    missing.parent.mkdir(parents=True)
    write_dump(missing, dbn, "sql", sql_data())
    rerun_succeeds(db, lightning, missing, dbn)


# ----------------------------------------------------------------------------- settings

SECRET = "hunter2-Sup3r-s3cret"


@pytest.mark.parametrize("where", ["flag", "config"])
def test_wrong_password(where, mariadb, db, lightning, tmp_path):
    dbn = "mal_pw"
    fresh(db, dbn)
    d = write_dump(tmp_path / "d", dbn, "sql", sql_data())
    if where == "flag":
        run = lightning(d, "--tidb-password", SECRET)
    else:
        cfg = tmp_path / "task.toml"
        cfg.write_text(f'[tidb]\npassword = "{SECRET}"\n')
        run = lightning(d, config=cfg)
    assert run.code == 1
    assert f"root@127.0.0.1:{mariadb.port}" in run.stderr, run.stderr
    assert "tidb.password" in run.stderr and "Access denied" in run.stderr
    for text in (run.stdout, run.stderr, run.log):
        assert SECRET not in text
    assert run.log, "the failure is logged"
    assert not db_exists(db, dbn)
    rerun_succeeds(db, lightning, d, dbn)


def test_unknown_config_key(db, lightning, tmp_path):
    dbn = "mal_key"
    fresh(db, dbn)
    d = write_dump(tmp_path / "d", dbn, "sql", sql_data())
    cfg = tmp_path / "task.toml"
    cfg.write_text('[mydumper]\nread-block-sise = "64KiB"\n\n[mydumper.csv]\nseperator = ","\n')
    run = lightning(d, config=cfg)
    assert run.code == 2, (run.code, run.stderr)
    assert "mydumper.read-block-sise" in run.stderr, run.stderr
    assert "mydumper.csv.seperator" in run.stderr
    assert not db_exists(db, dbn)
    cfg.write_text('[mydumper]\nread-block-size = "64KiB"\n\n[mydumper.csv]\nseparator = ","\n')
    rerun_succeeds(db, lightning, d, dbn, config=cfg)

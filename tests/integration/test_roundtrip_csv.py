"""Round trip through CSV files: the awkward tables (see awkward.py) are fetched as the
server's raw text bytes, written as `{db}.{table}.csv` (+ schema files from SHOW CREATE TABLE)
under three `[mydumper.csv]` dialects, imported into an empty database, and compared by
CHECKSUM TABLE, row count and SHOW CREATE TABLE with the source.

The writers follow the parsing rules of spec section 5.1:
(a) defaults: quoted only when needed, `""` doubling, `\\` escapes (`\\0`, `\\Z` too), `\\N`;
(b) TSV: no quotes at all, so tab/CR/LF/backslash are escaped; `\\N`; no header;
(c) `|+|` separator, `'` quotes doubled, no backslash escapes, CRLF rows, `~NULL~`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from . import awkward

SRC = "rt_csv_src"


def _field_a(v: bytes | None) -> bytes:
    if v is None:
        return b"\\N"
    e = v.replace(b"\\", b"\\\\").replace(b"\0", b"\\0").replace(b"\x1a", b"\\Z")
    if any(c in e for c in (b",", b'"', b"\r", b"\n")):
        return b'"' + e.replace(b'"', b'""') + b'"'
    return e


def _field_b(v: bytes | None) -> bytes:
    if v is None:
        return b"\\N"
    return (v.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r"))


def _field_c(v: bytes | None) -> bytes:
    return b"~NULL~" if v is None else b"'" + v.replace(b"'", b"''") + b"'"


@dataclass(frozen=True)
class Dialect:
    name: str
    toml: str
    sep: bytes
    term: bytes
    header: bool
    field: Callable[[bytes | None], bytes]


DIALECTS = [
    Dialect("defaults", "[mydumper.csv]\n", b",", b"\n", True, _field_a),
    Dialect("tsv", '[mydumper.csv]\nseparator = "\\t"\ndelimiter = ""\nbackslash-escape = true\n'
                   "header = false\nnull = '\\N'\n", b"\t", b"\n", False, _field_b),
    Dialect("multichar", '[mydumper.csv]\nseparator = "|+|"\ndelimiter = "\'"\n'
                         'backslash-escape = false\nterminator = "\\r\\n"\nheader = true\n'
                         'null = "~NULL~"\n', b"|+|", b"\r\n", True, _field_c),
]


@pytest.fixture(scope="module")
def source(mariadb):
    conn = mariadb.connect()
    raw = awkward.raw_connection(mariadb)
    try:
        awkward.create(conn, SRC)
        tables = awkward.base_tables(conn, SRC)
        snap = {t: v for t, v in awkward.snapshot(conn, SRC).items() if t in tables}
        creates = {t: awkward.show_create_table(conn, SRC, t) for t in tables}
        rows = {t: awkward.fetch_raw(raw, SRC, t) for t in tables}
        yield {"snap": snap, "creates": creates, "rows": rows}
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{SRC}`")
        raw.close()
        conn.close()


def write_csv_dump(directory, db: str, source, d: Dialect) -> None:
    directory.mkdir()
    (directory / f"{db}-schema-create.sql").write_bytes(f"CREATE DATABASE `{db}`;\n".encode())
    for table, ddl in source["creates"].items():
        (directory / f"{db}.{table}-schema.sql").write_bytes(ddl.encode("utf-8") + b";\n")
        cols, rows = source["rows"][table]
        out = []
        if d.header:
            out.append(d.sep.join(d.field(c.encode()) for c in cols) + d.term)
        out += [d.sep.join(map(d.field, row)) + d.term for row in rows]
        (directory / f"{db}.{table}.csv").write_bytes(b"".join(out))


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_csv_round_trip(dialect: Dialect, source, db, lightning, tmp_path):
    target = f"rt_csv_{dialect.name}"
    db.cursor().execute(f"DROP DATABASE IF EXISTS `{target}`")
    data = tmp_path / "data"
    write_csv_dump(data, target, source, dialect)
    task = tmp_path / "task.toml"
    task.write_text(dialect.toml)
    try:
        run = lightning(data, config=task)
        assert run.code == 0, run.stderr
        got = awkward.snapshot(db, target)
        assert set(got) == set(source["snap"])
        for t, want in source["snap"].items():
            assert got[t] == want, f"{t}: target {got[t]} != source {want}"
            assert awkward.show_create_table(db, target, t) == source["creates"][t], t
        done = awkward.summary(run.stdout)
        assert {k: v[0] for k, v in done.items()} == {
            f"`{target}`.`{t}`": v[1] for t, v in source["snap"].items()}
        assert all(v[3] == 0 for v in done.values()), done  # no server warnings (truncations...)
    finally:
        db.cursor().execute(f"DROP DATABASE IF EXISTS `{target}`")


def test_csv_timestamps_use_the_server_zone_even_after_an_sql_dump(db, lightning, tmp_path):
    """A worker that has just imported a mydumper file (`SET TIME_ZONE='+00:00'`) must not
    read the next CSV file's TIMESTAMPs in that zone: a CSV has no zone of its own, so its
    values mean the server's zone whatever chunk the worker ran before."""
    target = "rt_csv_tz"
    db.cursor().execute(f"DROP DATABASE IF EXISTS `{target}`")
    data = tmp_path / "data"
    data.mkdir()
    (data / f"{target}-schema-create.sql").write_text(f"CREATE DATABASE `{target}`;\n")
    for t in ("a_sql", "b_csv"):
        (data / f"{target}.{t}-schema.sql").write_text(
            f"CREATE TABLE `{t}` (`id` int PRIMARY KEY, `ts` timestamp NULL);\n")
    (data / f"{target}.a_sql.sql").write_text(  # the smaller table: imported first
        "/*!40103 SET TIME_ZONE='+00:00' */;\nINSERT INTO `a_sql` VALUES (1,'2020-01-01 00:00:00');\n")
    (data / f"{target}.b_csv.csv").write_text(
        "id,ts\n" + "".join(f"{i},2020-01-01 00:00:00\n" for i in range(1, 40)))
    task = tmp_path / "task.toml"
    task.write_text("[lightning]\nregion-concurrency = 1\n")  # one worker runs both files
    zone = db.cursor()
    zone.execute("SELECT @@global.time_zone")
    saved = zone.fetchone()[0]
    try:
        zone.execute("SET GLOBAL time_zone = '+05:00'")
        run = lightning(data, config=task)
    finally:
        zone.execute("SET GLOBAL time_zone = %s", (saved,))
    try:
        assert run.code == 0, run.stderr
        assert run.log.index(f"{target}.a_sql.sql") < run.log.index(f"{target}.b_csv.csv")
        cur = db.cursor()
        cur.execute("SET time_zone = '+00:00'")
        cur.execute(f"SELECT DISTINCT CAST(ts AS CHAR) FROM `{target}`.a_sql")
        assert cur.fetchall() == (("2020-01-01 00:00:00",),)
        cur.execute(f"SELECT DISTINCT CAST(ts AS CHAR) FROM `{target}`.b_csv")
        assert cur.fetchall() == (("2019-12-31 19:00:00",),)
    finally:
        db.cursor().execute(f"DROP DATABASE IF EXISTS `{target}`")

"""Round trip through the real `mydumper`: awkward data -> dump -> drop -> tidb-lightning ->
the same CHECKSUM TABLE, row count and CREATE TABLE for every table, the same view answers.

Then re-runs over the filled target: `on-duplicate = "replace"` changes nothing in tables with
a primary key (a table without one gets every row again: nothing tells a re-inserted row from
a new one), and `on-duplicate = "error"` stops at the first duplicate key, naming it and the
file and offset of the statement.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter

import pytest

from . import awkward
from .conftest import query

pytestmark = pytest.mark.skipif(shutil.which("mydumper") is None, reason="mydumper is not installed")

DB = "rt_mydumper"
PK_TABLES = sorted(set(awkward.TABLES) - {"nopk"})


def _mydumper(server, db: str, out, *extra: str) -> None:
    p = subprocess.run(["mydumper", "-h", "127.0.0.1", "-P", str(server.port), "-u", "root",
                        "-B", db, "-o", str(out), "-t", "2", *extra],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert any(out.glob(f"{db}.strs*.sql")), sorted(x.name for x in out.iterdir())


@pytest.fixture(scope="module")
def source(mariadb, tmp_path_factory):
    """Build the awkward database, record it, dump it twice (plain / --complete-insert)."""
    conn = mariadb.connect()
    try:
        awkward.create(conn, DB)
        snap = awkward.snapshot(conn, DB)
        creates = {t: awkward.show_create_table(conn, DB, t) for t in awkward.base_tables(conn, DB)}
        nopk_rows = Counter(query(conn, f"SELECT a, b FROM `{DB}`.nopk"))
        base = tmp_path_factory.mktemp("mydumper")
        plain, complete = base / "plain", base / "complete"
        _mydumper(mariadb, DB, plain)
        _mydumper(mariadb, DB, complete, "--complete-insert", "--rows", "100")
        yield {"snap": snap, "creates": creates, "nopk": nopk_rows, "plain": plain,
               "complete": complete}
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{DB}`")
        conn.close()


def _check_same(conn, source) -> None:
    got = awkward.snapshot(conn, DB)
    assert set(got) == set(source["snap"]), "tables/views differ"
    for name, want in source["snap"].items():
        assert got[name] == want, f"{name}: target {got[name]} != source {want}"
    for t, ddl in source["creates"].items():
        assert awkward.show_create_table(conn, DB, t) == ddl, t


def _toml(tmp_path, on_duplicate: str):
    path = tmp_path / f"on-duplicate-{on_duplicate}.toml"
    path.write_text(f'[tikv-importer]\non-duplicate = "{on_duplicate}"\n')
    return path


def test_mydumper_dump_round_trip_and_reruns(source, db, lightning, tmp_path):
    assert source["snap"]["nopk"][1] == 9 and source["snap"]["autoinc"][1] == 4
    db.cursor().execute(f"DROP DATABASE `{DB}`")

    run = lightning(source["plain"])
    assert run.code == 0, run.stderr
    assert "tidb lightning exit" in run.stdout
    _check_same(db, source)
    done = awkward.summary(run.stdout)
    assert {k: v[0] for k, v in done.items()} == {
        f"`{DB}`.`{t}`": v[1] for t, v in source["snap"].items() if t not in awkward.VIEWS}
    assert all(v[3] == 0 for v in done.values()), done  # no server warnings (truncations...)
    # the 0 in the AUTO_INCREMENT column arrived as 0, and the counter continues after the max
    assert query(db, f"SELECT id, v FROM `{DB}`.autoinc ORDER BY id")[0] == (0, "zero")

    # --- re-run with on-duplicate = "replace" over the filled target ------------------------
    run = lightning(source["plain"], config=_toml(tmp_path, "replace"))
    assert run.code == 0, run.stderr
    got = awkward.snapshot(db, DB)
    for t in PK_TABLES:
        assert got[t] == source["snap"][t], t
    assert got["v_comp"] == source["snap"]["v_comp"]
    # no primary or unique key: REPLACE has nothing to match on, so every row is inserted
    # again; each distinct row now appears exactly twice as often (upstream does the same in
    # logical mode: it has no "target table is not empty" pre-check for the tidb backend)
    assert got["nopk"][1] == 2 * source["snap"]["nopk"][1]
    doubled = Counter({k: 2 * v for k, v in source["nopk"].items()})
    assert Counter(query(db, f"SELECT a, b FROM `{DB}`.nopk")) == doubled

    # --- re-run with on-duplicate = "error": the first duplicate key stops the import ------
    before = awkward.snapshot(db, DB)
    run = lightning(source["plain"], config=_toml(tmp_path, "error"))
    assert run.code != 0
    assert "Duplicate entry" in run.stderr, run.stderr
    m = re.search(r"file (\S+) at offset (\d+)", run.stderr)
    assert m, run.stderr
    path, offset = m.group(1), int(m.group(2))
    table = re.fullmatch(rf".*/{DB}\.(\w+)\.sql", path).group(1)
    assert table in PK_TABLES
    text = (source["plain"] / f"{DB}.{table}.sql").read_bytes()
    assert text[offset:offset + 1] == b"(", "the offset points at the first row of the statement"
    assert b"INSERT INTO" in text[:offset]
    assert f"`{DB}`.`{table}`" in run.stderr
    assert "Duplicate entry" in run.log
    # INSERT statements are atomic: no table with a key changed
    after = awkward.snapshot(db, DB)
    for t in PK_TABLES:
        assert after[t] == before[t], t


def test_mydumper_complete_insert_round_trip(source, db, lightning, tmp_path):
    assert any(b"INSERT INTO `strs` (`id`,`s`,`t`) VALUES" in p.read_bytes()
               for p in source["complete"].glob(f"{DB}.strs*.sql")), "no column list in the dump"
    # --rows split the bigger tables into several files, imported in file order
    assert len(list(source["complete"].glob(f"{DB}.bins.*.sql"))) > 1
    db.cursor().execute(f"DROP DATABASE IF EXISTS `{DB}`")
    # the dump's TIMESTAMPs are UTC (`SET TIME_ZONE='+00:00'` in every file): a target whose
    # default zone is not UTC must still store the same instants
    cur = db.cursor()
    cur.execute("SELECT @@global.time_zone")
    saved = cur.fetchone()[0]
    try:
        cur.execute("SET GLOBAL time_zone = '+05:00'")
        run = lightning(source["complete"])
    finally:
        cur.execute("SET GLOBAL time_zone = %s", (saved,))
    assert run.code == 0, run.stderr
    _check_same(db, source)

    # on-duplicate = "ignore" over the filled target: keyed tables unchanged, exit 0
    run = lightning(source["complete"], config=_toml(tmp_path, "ignore"))
    assert run.code == 0, run.stderr
    got = awkward.snapshot(db, DB)
    for t in PK_TABLES:
        assert got[t] == source["snap"][t], t
    assert got["nopk"][1] == 2 * source["snap"]["nopk"][1]


@pytest.mark.parametrize("dump", ["plain", "complete"])
def test_local_backend_gives_the_same_tables(source, db, lightning, dump, tmp_path):
    """`--backend local` (secondary indexes off while loading, built after): every table's
    definition, rows and CHECKSUM TABLE equal the source's, as with `--backend tidb`."""
    db.cursor().execute(f"DROP DATABASE IF EXISTS `{DB}`")
    task = tmp_path / "engines.toml"
    task.write_text("[tikv-importer]\nindex-engine-min-size = 0\n")
    run = lightning(source[dump], backend="local", config=task)
    assert run.code == 0, run.stderr
    assert "secondary index(es) off during the import" in run.log and "built" in run.log
    _check_same(db, source)
    assert all(v[0] >= 0 for v in awkward.summary(run.stdout).values())  # every checksum passed


def test_local_backend_gives_the_tables_the_tidb_backend_gives(source, db, lightning, tmp_path):
    """The same dump through `--backend local` (secondary indexes off while loading, even for
    these small tables): every table's rows, CHECKSUM TABLE and SHOW CREATE TABLE equal the
    source's, as the `tidb` backend's do above; the post-import checksum passes."""
    db.cursor().execute(f"DROP DATABASE IF EXISTS `{DB}`")
    engines = tmp_path / "engines.toml"
    engines.write_text("[tikv-importer]\nindex-engine-min-size = 0\n")
    run = lightning(source["complete"], backend="local", config=engines)
    assert run.code == 0, run.stderr
    assert "secondary index(es) off during the import" in run.log
    _check_same(db, source)
    assert set(awkward.summary(run.stdout)) == {f"`{DB}`.`{t}`" for t in source["snap"] if t not in awkward.VIEWS}

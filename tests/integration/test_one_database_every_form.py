"""One database (the crash tests' SQL and CSV tables, awkward text included) in the other
forms a source comes in, each imported into an empty target and compared with the plain
dump's import (COUNT(*) and CHECKSUM TABLE per table), the post-import checksum passing:
custom file names routed by `[[mydumper.files]]`, Parquet written by pyarrow from the
imported tables, GB18030 files, and four shard databases merged by `[[routes]]`.
(Compressed copies: test_compressed_sources.py; from S3: test_s3_source.py.)"""
from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from . import crashkit as ck
from .conftest import query, run_lightning

DB = "every"


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return ck.write_dump(tmp_path_factory.mktemp("plain"), DB)


@pytest.fixture(scope="module")
def reference(mariadb, plain, tmp_path_factory):
    """The plain import's fingerprint, and its rows and column names (to write Parquet)."""
    ck.import_plain(mariadb, plain, DB, tmp_path_factory.mktemp("ref"))
    conn = mariadb.connect()
    tables = {t: query(conn, f"SELECT * FROM {DB}.{t}") for t in ck.TABLES}
    columns = {t: [r[0] for r in query(conn, f"SHOW COLUMNS FROM {DB}.{t}")] for t in ck.TABLES}
    yield ck.fingerprint(conn, DB), tables, columns
    conn.close()


def imported(mariadb, db, d, tmp_path, reference, config: str = "") -> None:
    db.cursor().execute(f"DROP DATABASE IF EXISTS {DB}")
    task = tmp_path / "task.toml"
    task.write_text(config)
    run = run_lightning(mariadb, d, tmp=tmp_path, config=task)
    assert run.code == 0, run.output
    assert ck.fingerprint(db, DB) == reference[0]
    lines = [x for x in run.stdout.splitlines() if x.startswith(f"`{DB}`.")]
    assert len(lines) == len(ck.TABLES) and all(x.endswith("passed") for x in lines), run.stdout


def test_custom_file_names(mariadb, db, plain, reference, tmp_path):
    d = tmp_path / "custom"
    (d / DB).mkdir(parents=True)
    shutil.copy(plain / f"{DB}-schema-create.sql", d / DB / "schema.sql")
    for t in ck.TABLES:
        shutil.copy(plain / f"{DB}.{t}-schema.sql", d / DB / f"{t}-table.sql")
        (d / DB / t).mkdir()
        for f in plain.glob(f"{DB}.{t}.0*"):
            n, kind = f.name.split(".")[-2:]
            shutil.copy(f, d / DB / t / f"part-{int(n)}.{kind}")
    imported(mariadb, db, d, tmp_path, reference, r"""
[mydumper]
default-file-rules = false
[[mydumper.files]]
pattern = '^([a-z0-9_]+)/schema\.sql$'
schema = "$1"
type = "schema-schema"
[[mydumper.files]]
pattern = '^([a-z0-9_]+)/([a-z0-9_]+)-table\.sql$'
schema = "$1"
table = "$2"
type = "table-schema"
[[mydumper.files]]
pattern = '^([a-z0-9_]+)/([a-z0-9_]+)/part-([0-9]+)\.(sql|csv)$'
schema = "$1"
table = "$2"
key = "$3"
type = "$4"
""")


def test_parquet_written_from_the_tables(mariadb, db, plain, reference, tmp_path):
    _, tables, columns = reference
    d = tmp_path / "parquet"
    d.mkdir()
    for f in plain.glob("*-schema*.sql"):
        shutil.copy(f, d / f.name)
    for t, rows in tables.items():
        cols = list(zip(*rows)) if rows else [[] for _ in columns[t]]
        table = pa.table({name: pa.array(list(values)) for name, values in zip(columns[t], cols)})
        pq.write_table(table, d / f"{DB}.{t}.000000000.parquet", row_group_size=1000)
    imported(mariadb, db, d, tmp_path, reference)


def test_gb18030_files(mariadb, db, plain, reference, tmp_path):
    d = tmp_path / "gb"
    shutil.copytree(plain, d)
    for f in d.glob(f"{DB}.*.0*"):
        f.write_bytes(f.read_bytes().decode("utf-8").encode("gb18030"))
    imported(mariadb, db, d, tmp_path, reference, '[mydumper]\ndata-character-set = "gb18030"\n')


def test_four_shards_merged_by_routes(mariadb, db, plain, reference, tmp_path):
    d = tmp_path / "shards"
    d.mkdir()
    rules = []
    for t, (schema, kind) in ck.TABLES.items():
        rules.append(f'[[routes]]\nschema-pattern = "{DB}_sh*"\ntable-pattern = "{t}_s*"\n'
                     f'target-schema = "{DB}"\ntarget-table = "{t}"\n')
        for n in range(ck.FILES_PER_TABLE):
            shard = f"{DB}_sh{n}"
            (d / f"{shard}-schema-create.sql").write_text(f"CREATE DATABASE `{shard}`;\n")
            (d / f"{shard}.{t}_s{n}-schema.sql").write_text(schema.replace(f"`{t}`", f"`{t}_s{n}`") + "\n")
            shutil.copy(plain / f"{DB}.{t}.{n:09d}.{kind}", d / f"{shard}.{t}_s{n}.000000000.{kind}")
    imported(mariadb, db, d, tmp_path, reference, "".join(rules))
    assert query(db, f"SHOW DATABASES LIKE '{DB}_sh%'") == []

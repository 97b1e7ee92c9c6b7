"""Compressed data files (gzip, zstd, snappy, bzip2, xz) import to exactly the tables the
plain files give, through both backends (CSV through LOAD DATA too); a killed import of a
compressed file resumes exactly; a truncated archive stops the import naming the file."""
from __future__ import annotations

import bz2
import gzip
import lzma
import shutil

import cramjam
import pytest
import zstandard

from . import crashkit as ck
from .conftest import query

DB = "cz"
CODECS = {
    "gz": gzip.compress,
    "zst": lambda b: zstandard.ZstdCompressor().compress(b),
    "snappy": lambda b: bytes(cramjam.snappy.compress(b)),
    "bz2": bz2.compress,
    "xz": lzma.compress,
}


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return ck.write_dump(tmp_path_factory.mktemp("plain"), DB)


@pytest.fixture(scope="module")
def reference(mariadb, plain, tmp_path_factory):
    """The fingerprint of the plain dump's import."""
    ck.import_plain(mariadb, plain, DB, tmp_path_factory.mktemp("ref"))
    conn = mariadb.connect()
    yield ck.fingerprint(conn, DB)
    conn.close()


def compressed_copy(plain, dest, codec: str, only: str | None = None):
    shutil.copytree(plain, dest)
    for f in sorted(dest.iterdir()):
        if ".00" in f.name and (only is None or only in f.name):
            f.with_name(f"{f.name}.{codec}").write_bytes(CODECS[codec](f.read_bytes()))
            f.unlink()
    return dest


@pytest.fixture
def fresh(db):
    db.cursor().execute(f"DROP DATABASE IF EXISTS {DB}")
    return db


@pytest.mark.parametrize("backend", ["tidb", "local"])
@pytest.mark.parametrize("codec", list(CODECS))
def test_compressed_dump_gives_the_plain_dumps_tables(lightning, fresh, plain, reference, tmp_path, codec, backend):
    d = compressed_copy(plain, tmp_path / "d", codec)
    run = lightning(d, backend=backend)
    assert run.code == 0, run.output
    assert ck.fingerprint(fresh, DB) == reference
    lines = [line for line in run.stdout.splitlines() if line.startswith(f"`{DB}`.")]
    assert len(lines) == 4 and all(line.endswith("passed") for line in lines), run.stdout


@pytest.mark.parametrize("codec", ["gz", "zst"])
def test_a_killed_import_of_compressed_files_resumes_exactly(lightning, fresh, plain, reference, tmp_path,
                                                            monkeypatch, codec):
    d = compressed_copy(plain, tmp_path / "d", codec)
    task = tmp_path / "task.toml"
    task.write_text('[tikv-importer]\nlogical-import-batch-size = "8KiB"\n')
    monkeypatch.setenv("TIDB_LIGHTNING_FAILPOINTS", "backend.after-commit=crash@25")
    assert lightning(d, config=task).code != 0
    partial = sum(query(fresh, f"SELECT COUNT(*) FROM {DB}.{t}")[0][0] for t in ck.TABLES)
    monkeypatch.delenv("TIDB_LIGHTNING_FAILPOINTS")
    run = lightning(d, config=task)
    assert run.code == 0, run.output
    assert 0 < partial < sum(n for n, _ in reference.values())
    assert ck.fingerprint(fresh, DB) == reference


@pytest.mark.parametrize("kind", ["sql", "csv"])
def test_a_truncated_archive_stops_the_import_naming_the_file(lightning, fresh, plain, tmp_path, kind):
    d = compressed_copy(plain, tmp_path / "d", "gz", only=f"{kind}.000000001")
    victim = next(d.glob(f"*000000001.{kind}.gz"))
    blob = victim.read_bytes()
    victim.write_bytes(blob[:len(blob) // 2])
    run = lightning(d)
    assert run.code == 1
    assert victim.name in run.output and "gzip data is corrupt or truncated" in run.output

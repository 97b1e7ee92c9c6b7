"""`-d s3://bucket/prefix?...` against a real S3-compatible server on loopback (moto's server
mode, started here): the same tables as from local disk (SQL, CSV, compressed, Parquet), a
file read in several ranged requests, listing past one page, credentials from the
environment, refused credentials named as such, and the secret key never printed."""
from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

from . import crashkit as ck
from .conftest import query, run_lightning

SECRET = "s3cr3t-never-printed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _moto(tmp: Path, **env) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = Path(sys.executable).with_name("moto_server")
    p = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                         stderr=open(tmp / f"moto-{port}.log", "w"), env=dict(os.environ, **env))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise RuntimeError("moto_server did not start")


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("s3")
    p, endpoint = _moto(tmp)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="AKIDTEST", aws_secret_access_key=SECRET)
    client.create_bucket(Bucket="dumps")
    yield endpoint, client
    p.kill()
    p.wait()


def upload(client, local: Path, prefix: str) -> None:
    for f in sorted(local.iterdir()):
        client.upload_file(str(f), "dumps", f"{prefix}/{f.name}",
                           Config=TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20))


def url(endpoint: str, prefix: str, keys: bool = True) -> str:
    creds = f"&access-key=AKIDTEST&secret-access-key={SECRET}" if keys else ""
    return f"s3://dumps/{prefix}?endpoint={endpoint}&region=us-east-1&force-path-style=true{creds}"


@pytest.fixture
def fresh(db):
    db.cursor().execute("DROP DATABASE IF EXISTS s3db")
    return db


def test_the_dump_from_s3_gives_the_local_tables(s3, mariadb, fresh, tmp_path):
    endpoint, client = s3
    plain = ck.write_dump(tmp_path / "plain", "s3db")
    local = run_lightning(mariadb, plain, tmp=tmp_path)
    assert local.code == 0, local.output
    reference = ck.fingerprint(fresh, "s3db")
    fresh.cursor().execute("DROP DATABASE s3db")
    for f in plain.glob("*.csv"):  # half the CSV files compressed
        if f.name.endswith("1.csv"):
            f.with_name(f.name + ".gz").write_bytes(gzip.compress(f.read_bytes()))
            f.unlink()
    upload(client, plain, "crash")
    for backend in ("tidb", "local"):
        fresh.cursor().execute("DROP DATABASE IF EXISTS s3db")
        run = run_lightning(mariadb, url(endpoint, "crash"), tmp=tmp_path, backend=backend)
        assert run.code == 0, run.output
        assert ck.fingerprint(fresh, "s3db") == reference
        assert SECRET not in run.output and SECRET not in run.log
        assert "secret-access-key=******" in run.log


def test_a_big_file_in_several_ranges_keys_from_the_environment(s3, mariadb, fresh, tmp_path, monkeypatch):
    endpoint, client = s3
    d = tmp_path / "big"
    d.mkdir()
    (d / "s3db-schema-create.sql").write_text("CREATE DATABASE s3db;\n")
    (d / "s3db.big-schema.sql").write_text("CREATE TABLE big (id int PRIMARY KEY, pad varchar(200));\n")
    rows = ",\n".join(f"({i},'{'x' * 150}{i}')" for i in range(120_000))
    (d / "s3db.big.000000000.sql").write_text(f"INSERT INTO big VALUES\n{rows};\n")
    assert (d / "s3db.big.000000000.sql").stat().st_size > 2 * (8 << 20)  # three ranged reads at least
    upload(client, d, "big")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    run = run_lightning(mariadb, url(endpoint, "big", keys=False), tmp=tmp_path)
    assert run.code == 0, run.output
    assert query(fresh, "SELECT COUNT(*), SUM(id) FROM s3db.big") == [(120_000, 120_000 * 119_999 // 2)]


def test_listing_past_one_page(s3, mariadb, fresh, tmp_path):
    endpoint, client = s3
    client.put_object(Bucket="dumps", Key="many/s3db-schema-create.sql", Body=b"CREATE DATABASE s3db;\n")
    client.put_object(Bucket="dumps", Key="many/s3db.t-schema.sql", Body=b"CREATE TABLE t (id int PRIMARY KEY);\n")
    for i in range(1100):
        client.put_object(Bucket="dumps", Key=f"many/s3db.t.{i:09d}.csv", Body=f"id\n{i}\n".encode())
    run = run_lightning(mariadb, url(endpoint, "many"), tmp=tmp_path)
    assert run.code == 0, run.output
    assert query(fresh, "SELECT COUNT(*), SUM(id) FROM s3db.t") == [(1100, 1100 * 1099 // 2)]


def test_refused_credentials_are_named(mariadb, fresh, tmp_path):
    p, endpoint = _moto(tmp_path, INITIAL_NO_AUTH_ACTION_COUNT="0")  # every request authenticated
    try:
        run = run_lightning(mariadb, url(endpoint, "x"), tmp=tmp_path)
    finally:
        p.kill()
        p.wait()
    assert run.code != 0
    assert "credentials were refused" in run.output and "access-key" in run.output
    assert SECRET not in run.output and SECRET not in run.log

"""TLS to the target (`tidb.tls`, `[security]` / `--ca`) and the TIDB_PASSWORD environment variable.

A second private MariaDB offers TLS with a test CA's server certificate (for 127.0.0.1 and
localhost) and refuses plaintext (`--require-secure-transport=ON`), so every import that
succeeds against it was encrypted end to end.  It also listens on 127.0.0.2, an address the
certificate does not name, to check that `cluster` verifies the host name.  The session's plain
MariaDB (no TLS) checks `preferred`'s fallback and that `cluster` never silently downgrades.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import query, run_ctl, run_lightning
from tidb_lightning.backend import db as dbconn
from tidb_lightning.config import load_config
from tidb_lightning.devserver import MariaDB

PASSWORD = "Env-Pw-7c2f9e1b-S3cret"
PW_USER = "lightning_env_pw"


@dataclass
class Certs:
    ca: Path  # signed the server certificate
    server: Path
    server_key: Path
    other_ca: Path  # an unrelated CA


def _openssl(d: Path, *args: str) -> None:
    p = subprocess.run(["openssl", *args], cwd=d, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def make_certs(d: Path) -> Certs:
    subj_ca = ("-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=Lightning Test CA", *subj_ca)
    _openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out",
             "other-ca.pem", "-days", "2", "-subj", "/CN=Unrelated Test CA", *subj_ca)
    _openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost")
    (d / "server.ext").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
             "0x5eed", "-days", "2", "-extfile", "server.ext", "-out", "server.pem")
    return Certs(d / "ca.pem", d / "server.pem", d / "server.key", d / "other-ca.pem")


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    if not shutil.which("openssl") and os.geteuid() == 0:  # a bare Debian machine (CI): as devserver does
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "openssl"], env=env, capture_output=True)
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make test certificates")
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_server(certs):
    """A private MariaDB that accepts only TLS connections, with a user that has a password."""
    server = MariaDB(tls_files=(str(certs.ca), str(certs.server), str(certs.server_key)),
                     extra_args=("--require-secure-transport=ON", "--bind-address=127.0.0.1,127.0.0.2"))
    server.start()
    try:
        conn = server.connect()
        with conn.cursor() as cur:
            for host in ("localhost", "127.0.0.1"):
                cur.execute(f"CREATE USER '{PW_USER}'@'{host}' IDENTIFIED BY %s", (PASSWORD,))
                cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{PW_USER}'@'{host}'")
        conn.close()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def dump(tmp_path):
    """dump(schema) -> a source dir with one table of three rows in database `schema`."""
    def make(schema: str) -> Path:
        d = tmp_path / f"src-{schema}"
        d.mkdir()
        (d / f"{schema}-schema-create.sql").write_text(f"CREATE DATABASE `{schema}`;\n")
        (d / f"{schema}.t-schema.sql").write_text("CREATE TABLE `t` (`id` int PRIMARY KEY, `v` varchar(10));\n")
        (d / f"{schema}.t.000000000.sql").write_text("INSERT INTO `t` VALUES (1,'a'),(2,'b'),(3,'c');\n")
        return d
    return make


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"task-{len(list(tmp_path.glob('task-*.toml')))}.toml"
    path.write_text(text)
    return path


def rows(server, schema: str) -> list[tuple]:
    conn = server.connect()
    try:
        if not query(conn, "SHOW DATABASES LIKE %s", (schema,)):
            return []
        return query(conn, f"SELECT id, v FROM `{schema}`.t ORDER BY id")
    finally:
        conn.close()


def cipher(server, **overrides) -> str:
    """Ssl_cipher of a session opened exactly as the importer opens its connections."""
    cfg = load_config(None, {"tikv-importer.backend": "tidb", "tidb.host": "127.0.0.1",
                             "tidb.port": server.port, **overrides})
    conn = dbconn.connect(cfg.tidb)
    try:
        return query(conn, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")[0][1]
    finally:
        conn.close()


def assert_ok(run) -> None:
    assert run.code == 0, run.output + run.log[-3000:]


# --------------------------------------------------------------------------- cluster

def test_cluster_with_the_right_ca_imports_over_tls(tls_server, certs, dump, tmp_path):
    # --ca alone: tidb.tls "" resolves to "cluster"
    run = run_lightning(tls_server, dump("tls_cluster"), "--ca", str(certs.ca), tmp=tmp_path)
    assert_ok(run)
    assert rows(tls_server, "tls_cluster") == [(1, "a"), (2, "b"), (3, "c")]
    assert cipher(tls_server, **{"security.ca-path": str(certs.ca)})  # encrypted session
    # the same with tls = "cluster" and the CA in [tidb.security] only, checkpoints on the target
    cfg = config(tmp_path, f'[tidb]\ntls = "cluster"\n[tidb.security]\nca-path = "{certs.ca}"\n'
                           '[checkpoint]\ndriver = "mysql"\nschema = "tls_cp"\n')
    run = run_lightning(tls_server, dump("tls_cluster2"), config=cfg, tmp=tmp_path)
    assert_ok(run)
    assert len(rows(tls_server, "tls_cluster2")) == 3


def test_cluster_with_a_wrong_ca_is_refused(tls_server, certs, dump, tmp_path):
    run = run_lightning(tls_server, dump("tls_wrong_ca"), "--ca", str(certs.other_ca), tmp=tmp_path)
    assert run.code != 0
    assert "server certificate does not verify" in run.output
    assert "security.ca-path" in run.output and "tidb.tls" in run.output
    assert rows(tls_server, "tls_wrong_ca") == []


def test_cluster_checks_the_host_name(tls_server, certs, dump, tmp_path):
    # right CA, but 127.0.0.2 is not in the certificate's subjectAltName
    run = run_lightning(tls_server, dump("tls_wrong_host"), "--ca", str(certs.ca),
                        "--tidb-host", "127.0.0.2", tmp=tmp_path)
    assert run.code != 0
    assert "does not verify" in run.output and "127.0.0.2" in run.output
    assert rows(tls_server, "tls_wrong_host") == []


def test_cluster_never_falls_back_to_plaintext(mariadb, certs, dump, tmp_path):
    run = run_lightning(mariadb, dump("tls_no_downgrade"), "--ca", str(certs.ca), tmp=tmp_path)
    assert run.code != 0
    assert "offers no TLS" in run.output and "tidb.tls" in run.output
    assert rows(mariadb, "tls_no_downgrade") == []


def test_a_missing_ca_file_names_the_setting(tls_server, dump, tmp_path):
    run = run_lightning(tls_server, dump("tls_no_file"), "--ca", str(tmp_path / "nope.pem"), tmp=tmp_path)
    assert run.code != 0
    assert "security.ca-path" in run.output and "nope.pem" in run.output


# --------------------------------------------------------------------------- other modes

def test_skip_verify_accepts_any_certificate(tls_server, certs, dump, tmp_path):
    cfg = config(tmp_path, '[tidb]\ntls = "skip-verify"\n')
    run = run_lightning(tls_server, dump("tls_skip"), "--ca", str(certs.other_ca), config=cfg, tmp=tmp_path)
    assert_ok(run)
    assert len(rows(tls_server, "tls_skip")) == 3
    assert cipher(tls_server, **{"tidb.tls": "skip-verify", "security.ca-path": str(certs.other_ca)})


def test_false_is_refused_by_a_tls_only_server(tls_server, dump, tmp_path):
    cfg = config(tmp_path, '[tidb]\ntls = "false"\n')
    run = run_lightning(tls_server, dump("tls_false"), config=cfg, tmp=tmp_path)
    assert run.code != 0
    assert "plaintext" in run.output and "require_secure_transport" in run.output
    assert "`tidb.tls`" in run.output
    assert rows(tls_server, "tls_false") == []


def test_preferred_uses_tls_when_offered_and_plaintext_otherwise(tls_server, mariadb, dump, tmp_path):
    cfg = config(tmp_path, '[tidb]\ntls = "preferred"\n')
    run = run_lightning(tls_server, dump("tls_pref"), config=cfg, tmp=tmp_path)
    assert_ok(run)
    assert len(rows(tls_server, "tls_pref")) == 3
    assert cipher(tls_server, **{"tidb.tls": "preferred"})
    run = run_lightning(mariadb, dump("tls_pref_plain"), config=cfg, tmp=tmp_path)
    try:
        assert_ok(run)
        assert len(rows(mariadb, "tls_pref_plain")) == 3
        assert cipher(mariadb, **{"tidb.tls": "preferred"}) == ""  # the plain server: no TLS
        assert cipher(mariadb) == ""  # `false` (no CA): no TLS, not even PyMySQL's own "preferred"
    finally:
        conn = mariadb.connect()
        query(conn, "DROP DATABASE IF EXISTS tls_pref_plain")
        conn.close()


# --------------------------------------------------------------------------- TIDB_PASSWORD

def test_password_from_the_environment_is_used_and_never_shown(tls_server, certs, dump, tmp_path, monkeypatch):
    cfg = config(tmp_path, '[tidb]\npassword = ""\n[checkpoint]\ndriver = "mysql"\nschema = "tls_pw_cp"\n'
                           'keep-after-success = "origin"\n')
    user = ("--tidb-user", PW_USER, "--ca", str(certs.ca))
    monkeypatch.delenv("TIDB_PASSWORD", raising=False)
    run = run_lightning(tls_server, dump("tls_pw"), *user, config=cfg, tmp=tmp_path)
    assert run.code != 0 and "Access denied" in run.output and "TIDB_PASSWORD" in run.output

    monkeypatch.setenv("TIDB_PASSWORD", PASSWORD)
    run = run_lightning(tls_server, tmp_path / "src-tls_pw", *user, "-L", "debug", config=cfg, tmp=tmp_path)
    assert_ok(run)
    assert len(rows(tls_server, "tls_pw")) == 3
    assert PASSWORD not in run.stdout + run.stderr + run.log

    out = tmp_path / "cp-dump"
    ctl = run_ctl(tls_server, "--tidb-user", PW_USER, "--ca", str(certs.ca), "--checkpoint-dump", str(out),
                  tmp=tmp_path, config=cfg)
    assert ctl.code == 0, ctl.output
    dumped = [p for p in out.rglob("*") if p.is_file()]
    assert dumped
    for p in dumped:
        assert PASSWORD.encode() not in p.read_bytes(), p
    assert PASSWORD not in ctl.output

    # a wrong password from the environment: refused, and not echoed either
    monkeypatch.setenv("TIDB_PASSWORD", PASSWORD + "-wrong")
    run = run_lightning(tls_server, tmp_path / "src-tls_pw", *user, config=cfg, tmp=tmp_path)
    assert run.code != 0 and "Access denied" in run.output
    assert PASSWORD not in run.stdout + run.stderr + run.log

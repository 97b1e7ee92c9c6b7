"""A `tidb-lightning --server-mode` process against the test MariaDB, and an HTTP client for
it (urllib: what a script of a user would use)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_dump(d: Path, db: str, rows: int = 500, broken: bool = False) -> Path:
    """One table `db`.t of `rows` rows; `broken`: its data file ends inside a row."""
    d.mkdir(parents=True)
    (d / f"{db}-schema-create.sql").write_text(f"CREATE DATABASE {db};\n")
    (d / f"{db}.t-schema.sql").write_text("CREATE TABLE t (id int PRIMARY KEY, v varchar(40));\n")
    body = ",\n".join(f"({i},'value number {i}')" for i in range(rows))
    (d / f"{db}.t.000000000.sql").write_text(
        f"INSERT INTO t VALUES\n{body}" + (",\n(1," if broken else ";\n"))
    return d


def task_toml(d: Path, **extra: str) -> str:
    lines = ["[mydumper]", f'data-source-dir = "{d}"']
    for section, body in extra.items():
        lines += [f"[{section.replace('_', '-')}]", body]
    return "\n".join(lines) + "\n"


class Server:
    """`tidb-lightning --server-mode` on a free port; tasks default to the tidb backend with
    small batches (`backend.before-commit` sleeps can slow them down to watch them)."""

    def __init__(self, mariadb, tmp: Path, *args: str, failpoints: str = "", token: str = "") -> None:
        self.port = free_port()
        self.token = token
        self.log = tmp / "server.log"
        env = dict(os.environ, TMPDIR=str(tmp), TIDB_LIGHTNING_FAILPOINTS=failpoints)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tidb_lightning", "--server-mode", "--status-addr", f"127.0.0.1:{self.port}",
             "--backend", "tidb", "--tidb-host", "127.0.0.1", "--tidb-port", str(mariadb.port),
             "--tidb-user", "root", "--log-file", str(self.log), "--enable-checkpoint=false", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.call("GET", "/pause")
                break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("server did not start: " + "".join(self.proc.communicate()))
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: str | bytes | None = None, token: str | None = None):
        """(status, parsed JSON or text, headers)."""
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data, method=method)
        tok = self.token if token is None else token
        if tok:
            req.add_header("Authorization", f"Bearer {tok}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, raw, headers = r.status, r.read().decode(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, headers = e.code, e.read().decode(), e.headers
        try:
            return status, json.loads(raw), headers
        except ValueError:
            return status, raw, headers

    def submit(self, toml: str) -> int:
        status, body, _ = self.call("POST", "/tasks", toml)
        assert status == 200, body
        return body["id"]

    def task(self, task_id: int) -> dict:
        _, body, _ = self.call("GET", "/tasks")
        return next(t for t in body["tasks"] if t["id"] == task_id)

    def wait_state(self, task_id: int, *states: str, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = self.task(task_id)
            if t["state"] in states:
                return t
            time.sleep(0.1)
        raise AssertionError(f"task {task_id} never reached {states}: {t}")

    def stop(self) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            out, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self.proc.returncode, out, err

"""Helpers for end-to-end tests: run the real `tidb-lightning` command in a subprocess
against the session's private MariaDB and look at exit code, output and rows."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    log: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_lightning(server, data_dir, *args: str, config: str | Path | None = None,
                  tmp: Path, backend: str = "tidb", timeout: float = 600) -> Run:
    """`tidb-lightning --backend tidb -d data_dir ...` against `server`; returns what a user sees."""
    log_file = tmp / f"lightning-{os.getpid()}-{len(list(tmp.glob('lightning-*.log')))}.log"
    cmd = [sys.executable, "-m", "tidb_lightning", "-d", str(data_dir), "--backend", backend,
           "--tidb-host", "127.0.0.1", "--tidb-port", str(server.port), "--tidb-user", "root",
           "--log-file", str(log_file), *args]
    if config is not None:
        cmd += ["--config", str(config)]
    # TMPDIR: the default checkpoint file (`<tmpdir>/tidb_lightning_checkpoint.pb`) is per test
    env = dict(os.environ, TMPDIR=str(tmp))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    log = log_file.read_text(errors="replace") if log_file.exists() else ""
    return Run(p.returncode, p.stdout, p.stderr, log)


def run_ctl(server, *args: str, tmp: Path, config: str | Path | None = None) -> Run:
    """`tidb-lightning-ctl ...` with the same target and checkpoint location as run_lightning."""
    cmd = [sys.executable, "-m", "tidb_lightning.ctl", "--tidb-host", "127.0.0.1",
           "--tidb-port", str(server.port), "--tidb-user", "root", *args]
    if config is not None:
        cmd += ["--config", str(config)]
    env = dict(os.environ, TMPDIR=str(tmp))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    return Run(p.returncode, p.stdout, p.stderr, "")


def summary_table(stdout: str) -> dict[str, dict[str, str]]:
    """The end-of-run table (plain text: `table rows bytes ... checksum` under a header line)
    -> {table: {column: value}}, read by its header so a new column breaks no test."""
    out: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    for line in stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["table", "rows"]:
            columns = parts
        elif columns and len(parts) == len(columns) and parts[0].startswith("`"):
            out[parts[0]] = dict(zip(columns, parts))
    return out


def query(conn, sql: str, args=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


@pytest.fixture
def lightning(mariadb, tmp_path):
    """`lightning(data_dir, *flags, config=...)` -> Run."""
    def run(data_dir, *args, **kw):
        return run_lightning(mariadb, data_dir, *args, tmp=tmp_path, **kw)
    return run


@pytest.fixture
def ctl(mariadb, tmp_path):
    """`ctl(*flags, config=...)` -> Run, sharing the `lightning` fixture's checkpoints."""
    def run(*args, **kw):
        return run_ctl(mariadb, *args, tmp=tmp_path, **kw)
    return run

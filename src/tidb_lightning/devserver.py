"""A private, throwaway MariaDB server in a temp directory.

Used by the README's demo and by the test-suite: it needs only Debian's `mariadb-server`
package (installed on demand when running as root), listens on a free loopback port, and
can be killed and restarted on the same data directory to simulate a crash.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_mariadb_installed() -> None:
    """Install Debian's mariadb-server if `mariadbd` is missing (root only)."""
    if _find("mariadbd") and _find("mariadb-install-db"):
        return
    if os.geteuid() != 0:
        raise RuntimeError("mariadbd not found: install Debian's `mariadb-server` package")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "mariadb-server", "mariadb-client"],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def _find(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for d in ("/usr/sbin", "/usr/bin") if (p := Path(d, name)).exists()), None)


@dataclass
class MariaDB:
    """One private mariadbd; `start()`, `kill()` (crash), `stop()`, `connect()`."""

    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lightning-mariadb-")))
    port: int = field(default_factory=free_port)
    extra_args: tuple[str, ...] = ()
    proc: subprocess.Popen | None = None
    #: optional (ca, cert, key) PEM files: the server then offers TLS with them (copied into
    #: the server's own directory so the `mysql` user can read them); `connect()` uses TLS
    tls_files: tuple[str, str, str] | None = None

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    def _user_args(self) -> list[str]:
        return ["--user=mysql"] if os.geteuid() == 0 else []

    def _tmpdir(self) -> Path:
        """A private tmpdir: a starting mariadbd deletes every `#sql*` file in its tmpdir, so
        servers sharing /tmp break each other's running queries ("Error on delete of
        '/tmp/#sql-temptable-...'")."""
        tmp = self.base / "tmp"
        if not tmp.exists():
            tmp.mkdir(parents=True)
            if os.geteuid() == 0:
                shutil.chown(tmp, "mysql", "mysql")
        return tmp

    def initialize(self) -> None:
        ensure_mariadb_installed()
        if os.geteuid() == 0:
            shutil.chown(self.base, "mysql", "mysql")
            os.chmod(self.base, 0o755)
        subprocess.run(
            [_find("mariadb-install-db"), "--no-defaults", *self._user_args(),
             f"--datadir={self.datadir}", "--auth-root-authentication-method=normal",
             "--skip-test-db", f"--tmpdir={self._tmpdir()}"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _tls_args(self) -> list[str]:
        if not self.tls_files:
            return []
        tls = self.base / "tls"
        tls.mkdir(exist_ok=True)
        args = []
        for name, src in zip(("ca", "cert", "key"), self.tls_files):
            dst = tls / f"{name}.pem"
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o600 if name == "key" else 0o644)
            if os.geteuid() == 0:
                shutil.chown(dst, "mysql", "mysql")
            args.append(f"--ssl-{name}={dst}")
        if os.geteuid() == 0:
            shutil.chown(tls, "mysql", "mysql")
        return args

    def start(self, timeout: float = 60) -> "MariaDB":
        if not self.datadir.exists():
            self.initialize()
        log = self.base / "error.log"
        self.proc = subprocess.Popen(
            [_find("mariadbd"), "--no-defaults", *self._user_args(), f"--datadir={self.datadir}",
             f"--port={self.port}", f"--socket={self.base}/mysqld.sock", f"--tmpdir={self._tmpdir()}",
             "--bind-address=127.0.0.1", f"--pid-file={self.base}/mariadbd.pid",
             f"--log-error={log}", "--innodb-buffer-pool-size=512M", "--local-infile=1",
             "--max-allowed-packet=256M", "--skip-log-bin", "--character-set-server=utf8mb4",
             "--collation-server=utf8mb4_general_ci", "--innodb-flush-log-at-trx-commit=2",
             *self._tls_args(), *self.extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connect().close()
                return self
            except pymysql.err.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise RuntimeError(f"mariadbd did not start on port {self.port}:\n{tail}")
                time.sleep(0.2)

    def connect(self, **kw) -> pymysql.connections.Connection:
        if self.tls_files and not any(k.startswith("ssl") for k in kw):
            kw["ssl_ca"] = self.tls_files[0]  # TLS required (works with --require-secure-transport)
        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="",
                               charset="utf8mb4", autocommit=True, **kw)

    def kill(self) -> None:
        """SIGKILL the server: a faithful crash (InnoDB recovers on the next start)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

"""`--status-addr` while an import runs: `GET /metrics` parses with prometheus_client's parser
and counts the imported rows, `GET /progress/task` and `/progress/table?t=` answer in
upstream's shapes; a status port already in use is a clear error."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from .conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_dump(d, rows: int = 500):
    d.mkdir()
    (d / "st-schema-create.sql").write_text("CREATE DATABASE st;\n")
    (d / "st.t-schema.sql").write_text("CREATE TABLE t (id int PRIMARY KEY, v varchar(20));\n")
    (d / "st.t.000000000.sql").write_text(
        "INSERT INTO t VALUES\n" + ",\n".join(f"({i},'v{i}')" for i in range(rows)) + ";\n")
    return d


def get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.status, r.read().decode()


def start(mariadb, d, tmp_path, port: int, failpoints: str = "") -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmp_path), TIDB_LIGHTNING_FAILPOINTS=failpoints)
    return subprocess.Popen(
        [sys.executable, "-m", "tidb_lightning", "-d", str(d), "--backend", "tidb", "--tidb-host", "127.0.0.1",
         "--tidb-port", str(mariadb.port), "--tidb-user", "root", "--log-file", str(tmp_path / "l.log"),
         "--status-addr", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_metrics_and_progress_while_importing(mariadb, db, tmp_path):
    db.cursor().execute("DROP DATABASE IF EXISTS st")
    port = free_port()
    # rows in, the table's status held back for 4 s: the import is still running
    p = start(mariadb, write_dump(tmp_path / "d"), tmp_path, port, "restore.before-table-status=sleep:4000")
    try:
        deadline = time.monotonic() + 60
        rows = None
        while time.monotonic() < deadline and p.poll() is None:
            try:
                _, text = get(port, "/metrics")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
                continue
            families = {f.name: f for f in text_string_to_metric_families(text)}
            samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                       for f in families.values() for s in f.samples}
            rows = samples.get(("lightning_rows_total", (("state", "restored"), ("table", "`st`.`t`"))))
            if rows == 500:
                break
            time.sleep(0.05)
        assert rows == 500, text
        assert samples[("lightning_chunks_total", (("state", "finished"),))] == 1
        assert samples[("lightning_bytes_total", (("state", "restored"),))] == \
            samples[("lightning_bytes_total", (("state", "total_restore"),))]
        code, body = get(port, "/progress/task")
        task = json.loads(body)
        assert code == 200 and task["s"] == 1 and task["t"]["`st`.`t`"]["w"] == task["t"]["`st`.`t`"]["z"] > 0
        code, body = get(port, "/progress/table?t=%60st%60.%60t%60")
        assert code == 200 and json.loads(body)["Rows"] == 500
        try:
            get(port, "/progress/table?t=nope")
            raise AssertionError("an unknown table must be a 404")
        except urllib.error.HTTPError as e:
            assert e.code == 404 and "not found" in e.read().decode()
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, out + err
    finally:
        if p.poll() is None:
            p.kill()


def test_a_status_port_in_use_is_a_clear_error(mariadb, db, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = start(mariadb, write_dump(tmp_path / "d"), tmp_path, port)
        out, err = p.communicate(timeout=60)
    assert p.returncode != 0 and f"127.0.0.1:{port}" in err and "status-addr" in err

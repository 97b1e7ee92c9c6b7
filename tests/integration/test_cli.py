"""The commands as a user runs them: flags, logs, exit codes, filters, bounded memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, query

DUMP = {
    "shop-schema-create.sql": "CREATE DATABASE `shop`;\n",
    "shop.items-schema.sql": "CREATE TABLE `items` (`id` int PRIMARY KEY, `name` varchar(20));\n",
    "shop.items.000000000.sql": "INSERT INTO `items` VALUES (1,'a'),(2,'b');\n",
    "shop.items.000000001.sql": "INSERT INTO `items` VALUES (3,'c');\n",
    "other-schema-create.sql": "CREATE DATABASE `other`;\n",
    "other.t-schema.sql": "CREATE TABLE `t` (`id` int);\n",
    "other.t.sql": "INSERT INTO `t` VALUES (1);\n",
    "mysql.user-schema.sql": "CREATE TABLE `user` (`x` int);\n",
    "mysql.user.sql": "INSERT INTO `user` VALUES (1);\n",
}


def write_dump(d: Path, files: dict[str, str] = DUMP) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return d


@pytest.fixture
def clean(db):
    def drop():
        with db.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS shop")
            cur.execute("DROP DATABASE IF EXISTS other")
    drop()
    yield
    drop()


def cmd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tidb_lightning", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_version_and_help():
    p = cmd("-V")
    assert p.returncode == 0 and "Release Version: v" in p.stdout
    p = cmd("--help")
    assert p.returncode == 0
    for flag in ("--config", "-d", "-L", "-f", "--backend", "--log-file", "--tidb-host", "--tidb-port",
                 "--tidb-user", "--tidb-password", "--no-schema", "--enable-checkpoint", "--analyze",
                 "--checksum", "--check-requirements", "--ca", "--cert", "--key", "--status-addr",
                 "--server-mode", "--pd-urls", "--importer", "--sorted-kv-dir"):
        assert flag in p.stdout, flag
    ctl = subprocess.run([sys.executable, "-m", "tidb_lightning.ctl", "-V"], capture_output=True,
                         text=True, cwd=ROOT)
    assert ctl.returncode == 0 and "Release Version" in ctl.stdout
    ctl = subprocess.run([sys.executable, "-m", "tidb_lightning.ctl", "--compact"],
                         capture_output=True, text=True, cwd=ROOT)
    assert ctl.returncode != 0 and "not built yet" in ctl.stderr


def test_import_filter_and_logs(lightning, db, clean, tmp_path):
    run = lightning(write_dump(tmp_path / "dump"), "-f", "shop.*", "-L", "info")
    assert run.code == 0, run.output
    assert run.stdout.strip().endswith("tidb lightning exit")
    assert "Verbose debug logs will be written to" in run.stdout
    assert run.log.strip().splitlines()[-1].endswith('["tidb lightning exit"]')
    assert query(db, "SELECT id, name FROM shop.items ORDER BY id") == [(1, "a"), (2, "b"), (3, "c")]
    assert query(db, "SHOW DATABASES LIKE 'other'") == []


def test_default_filter_excludes_system_schemas(lightning, db, clean, tmp_path):
    run = lightning(write_dump(tmp_path / "dump"))
    assert run.code == 0, run.output
    assert query(db, "SELECT COUNT(*) FROM other.t") == [(1,)]
    assert query(db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='mysql' "
                     "AND TABLE_NAME='user' AND TABLE_TYPE='BASE TABLE'") == [(0,)]


def test_go_style_flags_and_config_file(mariadb, db, clean, tmp_path):
    dump = write_dump(tmp_path / "dump")
    task = tmp_path / "task.toml"
    task.write_text(textwrap.dedent(f"""
        [lightning]
        level = "debug"
        [tikv-importer]
        backend = "tidb"
        [mydumper]
        data-source-dir = "{dump}"
        filter = ["shop.*"]
        [tidb]
        host = "127.0.0.1"
        port = {mariadb.port}
        user = "root"
    """))
    log = tmp_path / "x.log"
    p = cmd("-L", "info", "--log-file", str(log), "-config", str(task))
    assert p.returncode == 0, p.stderr
    assert query(db, "SELECT COUNT(*) FROM shop.items") == [(3,)]
    assert "[DEBUG]" not in log.read_text()  # -L info beat the file's level


def test_progress_lines_are_logged(lightning, db, clean, tmp_path):
    rows = ",".join(f"({i},'{'x' * 20}')" for i in range(20000))
    files = dict(DUMP)
    files["shop.items.000000000.sql"] = f"INSERT INTO `items` VALUES {rows};\n"
    files["shop.items.000000001.sql"] = ""
    task = tmp_path / "task.toml"
    task.write_text('[cron]\nlog-progress = "50ms"\n[tikv-importer]\nlogical-import-batch-size = "4KiB"\n')
    run = lightning(write_dump(tmp_path / "dump", files), "-f", "shop.*", config=task)
    assert run.code == 0, run.output
    progress = [line for line in run.log.splitlines() if "progress:" in line]
    assert len(progress) >= 2, run.log[-3000:]
    assert "100.0%" in progress[-1] and "rows 20000" in progress[-1]


def test_unbuilt_backend_is_refused(lightning, tmp_path):
    run = lightning(write_dump(tmp_path / "dump"), backend="importer")
    assert run.code == 2
    assert "not built yet" in run.stderr


def test_memory_stays_bounded(lightning, db, tmp_path):
    """A 60 MB dump (files of 40 MB) imports in well under 200 MB of client memory."""
    data = tmp_path / "bench"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_dump.py"), "--out", str(data),
                    "--size-mb", "60", "--format", "sql", "--jobs", "1"], check=True,
                   stdout=subprocess.DEVNULL)
    with db.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS bench")
    log = tmp_path / "mem.log"
    proc = subprocess.Popen([sys.executable, "-m", "tidb_lightning", "-d", str(data), "--backend", "tidb",
                             "--tidb-host", "127.0.0.1", "--tidb-port", str(db.port), "--log-file", str(log)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, log.read_text()[-2000:]
    assert usage.ru_maxrss < 200 * 1024, f"peak RSS {usage.ru_maxrss / 1024:.0f} MB"
    summary = json.loads((data / "gen_summary.json").read_text())
    for table, info in summary["tables"].items():
        assert query(db, f"SELECT COUNT(*) FROM bench.{table}") == [(info["rows"],)]
    with db.cursor() as cur:
        cur.execute("DROP DATABASE bench")


def _many_tables(d: Path, n: int, broken: int | None = None) -> Path:
    files = {"many-schema-create.sql": "CREATE DATABASE `many`;\n"}
    for i in range(n):
        ddl = f"CREATE TABLE `t{i}` (`id` int PRIMARY KEY, `v` varchar(8));\n"
        files[f"many.t{i}-schema.sql"] = ddl.replace("PRIMARY KEY", "PRIMARY KEYS") if i == broken else ddl
        files[f"many.t{i}.sql"] = f"INSERT INTO `t{i}` VALUES (1,'a'),({i + 2},'b');\n"
    return write_dump(d, files)


def test_many_tables_are_created_in_parallel(lightning, db, tmp_path):
    """Enough tables that the schema step uses several connections: all created, all filled."""
    db.cursor().execute("DROP DATABASE IF EXISTS many")
    run = lightning(_many_tables(tmp_path / "d", 120))
    assert run.code == 0, run.stderr
    assert query(db, "SELECT COUNT(*), SUM(TABLE_ROWS IS NOT NULL) FROM information_schema.TABLES "
                     "WHERE TABLE_SCHEMA = 'many'")[0][0] == 120
    assert query(db, "SELECT COUNT(*) FROM many.t119") == [(2,)]
    db.cursor().execute("DROP DATABASE many")


def test_a_broken_schema_file_among_many_is_named(lightning, db, tmp_path):
    db.cursor().execute("DROP DATABASE IF EXISTS many")
    run = lightning(_many_tables(tmp_path / "d", 120, broken=77))
    assert run.code == 1
    assert "many.t77-schema.sql" in run.stderr and "Error 1064" in run.stderr, run.stderr
    db.cursor().execute("DROP DATABASE many")

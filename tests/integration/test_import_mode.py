"""Import mode on MariaDB: `tidb-lightning-ctl --switch-mode import` then `normal` restores
every server setting it changed (even when `import` was asked twice, or the import that
switched was killed), and `--backend local` with `server-import-mode` switches around the
import."""
from __future__ import annotations

import pytest

from .conftest import query

SETTINGS = ("innodb_flush_log_at_trx_commit", "sync_binlog")


def values(db) -> dict[str, int]:
    return {n: int(query(db, f"SELECT @@global.{n}")[0][0]) for n in SETTINGS}


@pytest.fixture
def normal(db):
    """The server in a known normal state (both settings at 1), restored afterwards."""
    saved = values(db)
    for n in SETTINGS:
        db.cursor().execute(f"SET GLOBAL {n} = 1")
    db.cursor().execute("DROP DATABASE IF EXISTS tidb_lightning_checkpoint")
    yield db
    for n, v in saved.items():
        db.cursor().execute(f"SET GLOBAL {n} = {v}")


def test_switch_mode_import_then_normal_restores_every_setting(ctl, normal):
    assert ctl("--fetch-mode").stdout.strip() == "normal"
    r = ctl("--switch-mode", "import")
    assert r.code == 0, r.output
    assert values(normal) == {"innodb_flush_log_at_trx_commit": 0, "sync_binlog": 0}
    assert "innodb_flush_log_at_trx_commit=0 (was 1)" in r.stdout
    assert ctl("--switch-mode", "import").code == 0  # twice: the values of before are kept
    assert ctl("--fetch-mode").stdout.startswith("import (normal values: innodb_flush_log_at_trx_commit=1")
    r = ctl("--switch-mode", "normal")
    assert r.code == 0, r.output
    assert values(normal) == {"innodb_flush_log_at_trx_commit": 1, "sync_binlog": 1}
    assert ctl("--fetch-mode").stdout.strip() == "normal"
    assert "nothing was recorded" in ctl("--switch-mode", "normal").stdout
    assert ctl("--switch-mode", "fast").code == 2


def write_dump(d):
    d.mkdir()
    (d / "im-schema-create.sql").write_text("CREATE DATABASE `im`;\n")
    (d / "im.t-schema.sql").write_text("CREATE TABLE `t` (`id` int PRIMARY KEY, `v` int, KEY `kv` (`v`));\n")
    for f in range(3):
        (d / f"im.t.{f:09d}.sql").write_text(
            "INSERT INTO `t` VALUES " + ",".join(f"({f * 100 + i},{i})" for i in range(100)) + ";\n")
    return d


def test_local_import_switches_around_the_import_and_ctl_recovers_a_killed_one(
        lightning, ctl, normal, tmp_path, monkeypatch):
    normal.cursor().execute("DROP DATABASE IF EXISTS im")
    task = tmp_path / "task.toml"
    task.write_text("[tikv-importer]\nserver-import-mode = true\n")
    d = write_dump(tmp_path / "d")
    monkeypatch.setenv("TIDB_LIGHTNING_FAILPOINTS", "backend.after-commit=crash@2")
    assert lightning(d, config=task, backend="local").code != 0
    assert values(normal) == {"innodb_flush_log_at_trx_commit": 0, "sync_binlog": 0}  # left in import mode
    r = ctl("--switch-mode", "normal", config=task)
    assert r.code == 0 and values(normal) == {"innodb_flush_log_at_trx_commit": 1, "sync_binlog": 1}
    monkeypatch.delenv("TIDB_LIGHTNING_FAILPOINTS")
    run = lightning(d, config=task, backend="local")
    assert run.code == 0, run.output
    assert "switched the target to import mode: innodb_flush_log_at_trx_commit=0 (was 1)" in run.log
    assert "switched the target to normal mode: innodb_flush_log_at_trx_commit=1, sync_binlog=1" in run.log
    assert values(normal) == {"innodb_flush_log_at_trx_commit": 1, "sync_binlog": 1}
    assert query(normal, "SELECT COUNT(*) FROM im.t") == [(300,)]

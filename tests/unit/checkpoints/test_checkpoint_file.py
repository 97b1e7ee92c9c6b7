"""FileStore specifics: crash safety under SIGKILL, foreign files, lazy creation; open_store; NullStore."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import tidb_lightning
from tidb_lightning.checkpoints import ChunkCheckpoint, Status, TaskCheckpoint, open_store
from tidb_lightning.checkpoints.file import CheckpointFileError, FileStore
from tidb_lightning.checkpoints.null import NullStore
from tidb_lightning.config.model import Config
from tidb_lightning.errors import ConfigError, LightningError

SRC = os.path.dirname(os.path.dirname(tidb_lightning.__file__))

TASK = TaskCheckpoint(task_id=42, source_dir="/d", backend="tidb", tidb_host="h", tidb_port=4000, pd_addr="",
                      sorted_kv_dir="", lightning_version="0.1.0", on_duplicate="replace", filter=("*.*",))

# Writes forever: table i gets i % 5 + 1 chunks, then a status; every 3rd fails, every 6th is
# ignored back to LOADED, every 4th is removed again.  "done i" is printed once table i's
# calls have all returned.  It resumes after the highest table already stored.
WRITER = textwrap.dedent("""
    import sys
    from tidb_lightning.checkpoints import ChunkCheckpoint, Status, TaskCheckpoint
    from tidb_lightning.checkpoints.file import FileStore

    store = FileStore(sys.argv[1])
    store.initialize(TaskCheckpoint(42, "/d", "tidb", "h", 4000, "", "", "0.1.0", "replace", ("*.*",)))
    names = store.tables()
    i = max([int(n.split("`t")[1].rstrip("`")) for n in names] + [0]) + 1
    while True:
        name = f"`db`.`t{i}`"
        store.insert_table(name, [ChunkCheckpoint(name, f"/d/db.t{i}.{k}.sql", k * 10, k * 10 + 10, "sql",
                                                  "none", str(k), 1000) for k in range(i % 5 + 1)])
        store.set_status(name, Status.ALL_WRITTEN)
        if i % 3 == 0:
            store.set_status(name, 12, "boom " * 50)
        if i % 6 == 0:
            store.ignore_error(name)
        if i % 4 == 0:
            store.remove(name)
        print(f"done {i}", flush=True)
        i += 1
""")


def check_consistent(path: str, done: list[int]) -> int:
    """The store opens, holds the task, and every table is whole; every table reported done is there."""
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = FileStore(path)
    try:
        assert store.task() == TASK
        tables = store.tables()
        for name, t in tables.items():
            i = int(name.split("`t")[1].rstrip("`"))
            assert [(c.path, c.offset, c.end_offset) for c in t.chunks] == [
                (f"/d/db.t{i}.{k}.sql", k * 10, k * 10 + 10) for k in range(i % 5 + 1)], name
            assert t.status in (Status.LOADED, Status.ALL_WRITTEN, 12), (name, t.status)
            if t.status == 12:
                assert t.error == "boom " * 50
            else:
                assert t.error == ""
        for i in done:
            if i % 4:
                assert f"`db`.`t{i}`" in tables, f"table {i} was reported written but is missing"
                want = Status.LOADED if i % 6 == 0 else 12 if i % 3 == 0 else Status.ALL_WRITTEN
                assert tables[f"`db`.`t{i}`"].status == want
            else:
                assert f"`db`.`t{i}`" not in tables
        return len(tables)
    finally:
        store.close()


def test_survives_sigkill(tmp_path):
    path = str(tmp_path / "cp" / "lightning.pb")
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rng = random.Random(20240607)
    done: list[int] = []
    for _ in range(10):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, path], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        time.sleep(rng.uniform(0.3, 0.9))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, err.decode()
        done += [int(line.split()[1]) for line in out.decode().splitlines() if line.startswith("done ")]
        if os.path.exists(path):
            check_consistent(path, done)
    assert len(done) > 10, "the writer never got going"
    assert check_consistent(path, done) > 0


# --------------------------------------------------------------------------- files

def test_creates_parent_dirs_lazily(tmp_path):
    path = tmp_path / "a" / "b" / "cp.pb"
    store = FileStore(str(path))
    assert store.description == f"file {path}"
    assert store.task() is None and store.tables() == {}
    assert not path.exists()  # reading does not create anything
    store.initialize(TASK)
    assert path.exists()
    store.close()


def test_upstream_protobuf_file_is_refused(tmp_path):
    path = tmp_path / "tidb_lightning_checkpoint.pb"
    data = b"\x0a\x1c\x08\x96\x01\x12\x04/tmp\x1a\x04tidb" + bytes(range(256)) * 8
    path.write_bytes(data)
    with pytest.raises(CheckpointFileError) as e:
        FileStore(str(path)).tables()
    msg = str(e.value)
    assert str(path) in msg and "not a checkpoint file" in msg and "--checkpoint-remove=all" in msg
    assert isinstance(e.value, LightningError)
    assert path.read_bytes() == data  # never overwritten


def test_unwritable_location(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = FileStore(str(blocker / "cp.pb"))  # parent is a file
    with pytest.raises(CheckpointFileError, match="cannot store the task"):
        store.initialize(TASK)


def test_two_stores_on_one_file(tmp_path):
    a = FileStore(str(tmp_path / "cp.pb"))
    b = FileStore(str(tmp_path / "cp.pb"))
    a.insert_table("`d`.`t`", [ChunkCheckpoint("`d`.`t`", "/p", 0, 1, "sql", "none", "", 1)])
    b.set_status("`d`.`t`", Status.IMPORTED)
    assert a.tables()["`d`.`t`"].status == Status.IMPORTED
    a.close()
    b.close()


def test_finish_rename_without_task(tmp_path):
    path = tmp_path / "cp.pb"
    store = FileStore(str(path))
    store.insert_table("`d`.`t`", [])
    line = store.finish("rename")
    baks = [p for p in os.listdir(tmp_path) if p.endswith(".bak")]
    assert len(baks) == 1 and baks[0] in line and not path.exists()


def test_finish_on_missing_file(tmp_path):
    store = FileStore(str(tmp_path / "cp.pb"))
    assert "already gone" in store.finish("remove")
    assert "nothing to rename" in store.finish("rename")


# --------------------------------------------------------------------------- open_store, NullStore

def test_open_store_file(tmp_path):
    cfg = Config()
    cfg.checkpoint.dsn = str(tmp_path / "x" / "cp.pb")
    store = open_store(cfg)
    assert isinstance(store, FileStore) and store.path == cfg.checkpoint.dsn
    store.close()


def test_open_store_file_default_path(tmp_path, monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cfg = Config()
    cfg.checkpoint.schema = "my_cp"
    store = open_store(cfg)
    assert store.path == str(tmp_path / "my_cp.pb")


def test_open_store_unknown_driver():
    cfg = Config()
    cfg.checkpoint.driver = "redis"
    with pytest.raises(ConfigError, match="checkpoint.driver"):
        open_store(cfg)


def test_null_store(tmp_path):
    cfg = Config()
    cfg.checkpoint.enable = False
    store = open_store(cfg)
    assert isinstance(store, NullStore)
    store.initialize(TASK)
    store.insert_table("`d`.`t`", [])
    store.set_status("`d`.`t`", Status.IMPORTED)
    assert store.task() is None and store.tables() == {}
    for action, arg in (("remove", "all"), ("ignore_error", "`d`.`t`"), ("destroy_error", "all"),
                        ("dump", str(tmp_path))):
        with pytest.raises(ConfigError, match=r"checkpoints are disabled \(`checkpoint.enable = false`\)"):
            getattr(store, action)(arg)
    assert "disabled" in store.finish("remove")
    store.close()

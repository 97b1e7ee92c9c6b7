"""The CheckpointStore protocol, run against both drivers (file = SQLite, mysql = MariaDB)."""
from __future__ import annotations

import csv
import os
import threading
import uuid

import pytest

from tidb_lightning.checkpoints import (
    TARGET_HINT,
    CheckpointStore,
    ChunkCheckpoint,
    Status,
    TaskCheckpoint,
    failed_status,
)
from tidb_lightning.checkpoints.file import FileStore
from tidb_lightning.checkpoints.mysql import DSN, MySQLStore
from tidb_lightning.errors import ConfigError, LightningError

TASK = TaskCheckpoint(task_id=1712345678901234567, source_dir="/data/dump", backend="tidb",
                      tidb_host="127.0.0.1", tidb_port=4000, pd_addr="", sorted_kv_dir="",
                      lightning_version="0.1.0", on_duplicate="replace", filter=("*.*", "!mysql.*"))

T1, T2, T3 = "`db`.`t1`", "`db`.`t2`", "`other`.`T``x`"


def chunks(table: str, n: int, base: str = "/data/dump") -> list[ChunkCheckpoint]:
    name = table.replace("`", "")
    return [ChunkCheckpoint(table, f"{base}/{name}.{i:03}.sql", 0, 100 + i, "sql", "none", f"{i:03}", 100 + i)
            for i in range(n)]


class Env:
    """Opens stores of one driver on the same location, and inspects that location."""

    def __init__(self, driver: str, tmp_path, mariadb=None) -> None:
        self.driver = driver
        self.opened: list[CheckpointStore] = []
        if driver == "file":
            self.path = str(tmp_path / "nested" / "dir" / "cp.pb")
        else:
            self.mariadb = mariadb
            self.schema = f"cp_{uuid.uuid4().hex[:12]}"

    def open(self) -> CheckpointStore:
        if self.driver == "file":
            s = FileStore(self.path)
        else:
            s = MySQLStore(DSN("root", "", "127.0.0.1", self.mariadb.port), self.schema)
        self.opened.append(s)
        return s

    def sql(self, q: str, args=None):
        conn = self.mariadb.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(q, args)
                return cur.fetchall()
        finally:
            conn.close()

    def schemas(self) -> list[str]:
        return sorted(r[0] for r in self.sql("SELECT schema_name FROM information_schema.schemata "
                                             "WHERE schema_name LIKE %s", (self.schema + "%",)))

    def store_tables(self, schema: str) -> list[str]:
        return sorted(r[0] for r in self.sql("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = %s", (schema,)))

    def cleanup(self) -> None:
        for s in self.opened:
            s.close()
        if self.driver == "mysql":
            for schema in self.schemas():
                self.sql(f"DROP DATABASE `{schema}`")


@pytest.fixture(params=["file", "mysql"])
def env(request, tmp_path):
    mariadb = request.getfixturevalue("mariadb") if request.param == "mysql" else None
    e = Env(request.param, tmp_path, mariadb)
    yield e
    e.cleanup()


@pytest.fixture
def store(env):
    return env.open()


def failed_setup(store) -> None:
    """t1 failed at checksum, t2 imported, t3 failed at write."""
    for t, n in ((T1, 2), (T2, 3), (T3, 1)):
        store.insert_table(t, chunks(t, n))
    store.set_status(T1, failed_status(Status.CHECKSUMMED), "checksum mismatch")
    store.set_status(T2, Status.IMPORTED)
    store.set_status(T3, failed_status(Status.ALL_WRITTEN), "Error 1062: dup")


# --------------------------------------------------------------------------- basics

def test_is_a_checkpoint_store(store):
    assert isinstance(store, CheckpointStore)
    assert store.description.startswith(("file ", "mysql 127.0.0.1:"))


def test_task_round_trip(env, store):
    assert store.task() is None
    store.initialize(TASK)
    assert store.task() == TASK
    store.initialize(TaskCheckpoint(1, "/x", "local", "h", 1, "pd", "/kv", "9", "error", ()))
    assert store.task() == TASK  # an existing task is kept
    again = env.open()
    assert again.task() == TASK


def test_task_odd_values_round_trip(env, store):
    task = TaskCheckpoint(task_id=2**62, source_dir="/d\udcff/ü", backend="tidb", tidb_host="::1",
                          tidb_port=65535, pd_addr="pd1:2379,pd2:2379", sorted_kv_dir="/kv\udc80",
                          lightning_version="v8.5.0", on_duplicate="error", filter=("a\udcfe.*", "'\"`"))
    store.initialize(task)
    assert env.open().task() == task


def test_insert_table_idempotent(env, store):
    store.insert_table(T1, chunks(T1, 3))
    t = store.tables()[T1]
    assert t.status == Status.LOADED and t.error == "" and t.chunks == chunks(T1, 3)
    store.insert_table(T1, chunks(T1, 5))  # chunk list kept
    assert store.tables()[T1].chunks == chunks(T1, 3)
    store.set_status(T1, Status.IMPORTED)
    store.insert_table(T1, [])  # status kept
    t = env.open().tables()[T1]
    assert t.status == Status.IMPORTED and t.chunks == chunks(T1, 3)


def test_insert_table_without_chunks_and_wrong_table(store):
    store.insert_table(T2, [])
    assert store.tables()[T2].chunks == []
    with pytest.raises(ValueError, match="belongs to"):
        store.insert_table(T1, chunks(T2, 1))
    assert T1 not in store.tables()


def test_set_status(env, store):
    store.insert_table(T1, chunks(T1, 1))
    for s in (Status.ALL_WRITTEN, Status.CLOSED, Status.IMPORTED, Status.CHECKSUMMED, Status.ANALYZED):
        store.set_status(T1, s)
        assert store.tables()[T1].status == s
    store.set_status(T1, failed_status(Status.ANALYZED), "analyze failed: Error 1105: boom ü")
    t = env.open().tables()[T1]
    assert (t.status, t.error, t.failed) == (21, "analyze failed: Error 1105: boom ü", True)
    store.set_status(T1, Status.LOADED)
    assert store.tables()[T1].error == ""  # error cleared with a non-error status


def test_set_status_long_and_odd_error(store):
    store.insert_table(T1, [])
    store.set_status(T1, 12, "x" * 100000 + "\udcff")
    err = store.tables()[T1].error
    assert err.startswith("xxx") and 16000 <= len(err) < 17000


def test_set_status_unknown_table(store):
    with pytest.raises(LightningError, match="no checkpoint for table `db`.`nope`"):
        store.set_status("`db`.`nope`", Status.IMPORTED)


def test_tables_content_and_order(env, store):
    assert store.tables() == {}
    odd = ChunkCheckpoint(T3, "/d/\udcffodd.csv.gz", 5, 9, "csv", "gzip", "k\udcff", 1 << 40)
    cs = [
        ChunkCheckpoint(T3, "/d/b.csv", 200, 300, "csv", "none", "2", 300),
        ChunkCheckpoint(T3, "/d/a.csv", 100, 200, "csv", "none", "1", 300),
        ChunkCheckpoint(T3, "/d/b.csv", 0, 200, "csv", "none", "2", 300),
        odd,
        ChunkCheckpoint(T3, "/d/a.csv", 0, 100, "csv", "none", "1", 300),
    ]
    store.insert_table(T3, cs)
    store.insert_table(T2, chunks(T2, 2))
    store.insert_table(T1, chunks(T1, 1))
    got = env.open().tables()
    assert list(got) == sorted([T1, T2, T3])
    assert [(c.path, c.offset) for c in got[T3].chunks] == [
        ("/d/a.csv", 0), ("/d/a.csv", 100), ("/d/b.csv", 0), ("/d/b.csv", 200), ("/d/\udcffodd.csv.gz", 5)]
    assert got[T3].chunks[-1] == odd
    assert sorted(got[T3].chunks, key=lambda c: (c.path, c.offset)) == got[T3].chunks
    assert set(got[T3].chunks) == set(cs)
    assert [t.table_name for t in got.values()] == list(got)


def test_table_names_are_case_sensitive(store):
    store.insert_table("`db`.`t`", chunks("`db`.`t`", 1))
    store.insert_table("`db`.`T`", chunks("`db`.`T`", 2))
    got = store.tables()
    assert len(got["`db`.`t`"].chunks) == 1 and len(got["`db`.`T`"].chunks) == 2


def test_many_chunks(store):
    cs = chunks(T1, 2500)
    store.insert_table(T1, cs)
    assert store.tables()[T1].chunks == sorted(cs, key=lambda c: (c.path, c.offset))


def test_thread_safety(store):
    errors = []

    def work(k: int) -> None:
        try:
            for i in range(15):
                name = f"`db{k}`.`t{i}`"
                store.insert_table(name, chunks(name, 2))
                store.set_status(name, Status.IMPORTED if i % 2 else failed_status(Status.IMPORTED), "e")
                store.tables()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = store.tables()
    assert len(got) == 90 and all(len(t.chunks) == 2 for t in got.values())
    assert sorted(store.ignore_error("all")) == sorted(n for n, t in got.items() if t.failed)


# --------------------------------------------------------------------------- ctl actions

def test_remove_one(env, store):
    store.initialize(TASK)
    failed_setup(store)
    assert store.remove(T2) == [T2]
    got = env.open().tables()
    assert list(got) == [T1, T3]
    assert store.task() == TASK
    store.insert_table(T2, chunks(T2, 1))  # a removed table starts over
    assert len(store.tables()[T2].chunks) == 1 and store.tables()[T2].status == Status.LOADED


def test_remove_all(env, store):
    store.initialize(TASK)
    failed_setup(store)
    assert store.remove("all") == sorted([T1, T2, T3])
    if env.driver == "file":
        assert not os.path.exists(env.path)
    else:
        assert env.schemas() == []
    assert store.tables() == {} and store.task() is None
    if env.driver == "file":
        assert not os.path.exists(env.path)  # reading does not re-create the file
    assert store.remove("all") == []
    store.initialize(TASK)  # usable again
    assert env.open().task() == TASK


def test_ignore_error(env, store):
    failed_setup(store)
    assert store.ignore_error(T2) == []  # not failed: nothing to do
    assert store.ignore_error(T1) == [T1]
    got = store.tables()
    assert (got[T1].status, got[T1].error) == (Status.LOADED, "")
    assert got[T1].chunks == chunks(T1, 2)  # chunk list kept
    assert got[T3].status == 6
    assert store.ignore_error("all") == [T3]
    got = env.open().tables()
    assert [t.status for t in got.values()] == [Status.LOADED, Status.IMPORTED, Status.LOADED]
    assert store.ignore_error("all") == []


def test_destroy_error(env, store):
    store.initialize(TASK)
    failed_setup(store)
    assert store.destroy_error(T2) == []
    assert store.destroy_error(T1) == [T1]
    assert list(store.tables()) == [T2, T3]
    assert store.destroy_error("all") == [T3]
    assert list(env.open().tables()) == [T2]
    assert store.task() == TASK
    store.insert_table(T1, chunks(T1, 4))
    assert store.tables()[T1].status == Status.LOADED and len(store.tables()[T1].chunks) == 4


@pytest.mark.parametrize("action", ["remove", "ignore_error", "destroy_error"])
@pytest.mark.parametrize("name", ["`db`.`nope`", "db.t1", "`db`.`T1`", "ALL"])
def test_unknown_table(store, action, name):
    failed_setup(store)
    with pytest.raises(ConfigError) as e:
        getattr(store, action)(name)
    assert TARGET_HINT in str(e.value) and name in str(e.value)
    assert "valid examples: --checkpoint-error-ignore='`db`.`table`' or --checkpoint-error-ignore=all" in str(e.value)
    assert len(store.tables()) == 3


def test_unknown_table_on_empty_store(store):
    with pytest.raises(ConfigError, match="valid examples"):
        store.ignore_error("`db`.`t1`")
    assert store.ignore_error("all") == [] and store.destroy_error("all") == []


def read_csv(path):
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        return list(csv.reader(f))


def test_dump(env, store, tmp_path):
    store.initialize(TASK)
    failed_setup(store)
    store.insert_table("`db`.`odd`", [ChunkCheckpoint("`db`.`odd`", "/d/x,\"y\"\n\udcff.csv", 0, 5, "csv",
                                                      "none", "", 5)])
    paths = store.dump(str(tmp_path / "dump" / "here"))
    assert [os.path.basename(p) for p in paths] == ["tables.csv", "chunks.csv", "task.csv"]
    tables = read_csv(paths[0])
    assert tables[0] == ["table_name", "status", "status_name", "error", "create_time", "update_time"]
    assert [r[:4] for r in tables[1:]] == [
        ["`db`.`odd`", "30", "loaded", ""],
        [T1, "18", "checksum failed", "checksum mismatch"],
        [T2, "120", "imported", ""],
        [T3, "6", "write failed", "Error 1062: dup"],
    ]
    assert all(r[4] and r[5] for r in tables[1:])
    chunk_rows = read_csv(paths[1])
    assert chunk_rows[0] == ["table_name", "path", "offset", "end_offset", "type", "compression", "sort_key",
                             "file_size"]
    assert len(chunk_rows) == 1 + 1 + 2 + 3 + 1
    assert chunk_rows[1] == ["`db`.`odd`", "/d/x,\"y\"\n\udcff.csv", "0", "5", "csv", "none", "", "5"]
    assert chunk_rows[2] == [T1, "/data/dump/db.t1.000.sql", "0", "100", "sql", "none", "000", "100"]
    task = read_csv(paths[2])
    assert task[0] == ["task_id", "source_dir", "backend", "tidb_host", "tidb_port", "pd_addr", "sorted_kv_dir",
                       "lightning_version", "on_duplicate", "filter", "create_time"]
    assert task[1][:10] == ["1712345678901234567", "/data/dump", "tidb", "127.0.0.1", "4000", "", "",
                            "0.1.0", "replace", '["*.*", "!mysql.*"]']
    assert len(task) == 2


def test_dump_empty(store, tmp_path):
    paths = store.dump(str(tmp_path))
    assert [len(read_csv(p)) for p in paths] == [1, 1, 1]


# --------------------------------------------------------------------------- finish

def test_finish_origin(env, store):
    store.initialize(TASK)
    failed_setup(store)
    line = store.finish("origin")
    assert "kept" in line
    store.close()
    again = env.open()
    assert again.task() == TASK and len(again.tables()) == 3


def test_finish_remove(env, store):
    store.initialize(TASK)
    failed_setup(store)
    line = store.finish("remove")
    assert "removed" in line
    if env.driver == "file":
        assert not os.path.exists(env.path)
        assert os.listdir(os.path.dirname(env.path)) == []
    else:
        assert env.schemas() == []
    store.close()
    assert env.open().task() is None


def test_finish_rename(env, store):
    store.initialize(TASK)
    failed_setup(store)
    line = store.finish("rename")
    store.close()
    if env.driver == "file":
        bak = f"{env.path}.{TASK.task_id}.bak"
        assert bak in line
        assert not os.path.exists(env.path) and os.path.exists(bak)
        moved = FileStore(bak)
        env.opened.append(moved)
    else:
        bak = f"{env.schema}.{TASK.task_id}.bak"
        assert bak in line
        assert env.schemas() == [bak]
        assert env.store_tables(bak) == ["chunk_v5", "table_v7", "task_v2"]
        moved = MySQLStore(DSN("root", "", "127.0.0.1", env.mariadb.port), bak)
        env.opened.append(moved)
    assert moved.task() == TASK and list(moved.tables()) == [T1, T2, T3]
    assert env.open().task() is None  # the original location starts empty


def test_finish_bad_keep(store):
    with pytest.raises(ConfigError, match="keep-after-success"):
        store.finish("delete")

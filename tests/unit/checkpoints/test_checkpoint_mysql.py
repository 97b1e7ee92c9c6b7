"""MySQLStore specifics: DSN parsing, open_store, secrets, reconnects, foreign layouts, shared schema."""
from __future__ import annotations

import uuid

import pytest

from tidb_lightning.checkpoints import ChunkCheckpoint, Status, TaskCheckpoint, open_store
from tidb_lightning.checkpoints.mysql import DSN, MySQLStore, _bak_schema, parse_dsn
from tidb_lightning.config.model import Config
from tidb_lightning.errors import ConfigError, TargetError

TASK = TaskCheckpoint(task_id=7, source_dir="/d", backend="tidb", tidb_host="h", tidb_port=4000, pd_addr="",
                      sorted_kv_dir="", lightning_version="0.1.0", on_duplicate="replace", filter=("*.*",))


@pytest.mark.parametrize("dsn, want", [
    ("root:secret@tcp(127.0.0.1:3306)/", DSN("root", "secret", "127.0.0.1", 3306)),
    ("root@tcp(10.0.0.1:4000)/", DSN("root", "", "10.0.0.1", 4000)),
    ("u:p@ss:w/rd@tcp(db.example:3307)/", DSN("u", "p@ss:w/rd", "db.example", 3307)),
    ("u:p@tcp(h:1)/mydb?charset=utf8mb4&allowAllFiles=true", DSN("u", "p", "h", 1)),
    ("u:p@tcp([::1]:3306)/", DSN("u", "p", "::1", 3306)),
    ("u:p@tcp(h)/", DSN("u", "p", "h", 3306)),
    ("u:p@/", DSN("u", "p", "127.0.0.1", 3306)),
    ("u:p@unix(/run/mysqld.sock)/", DSN("u", "p", unix_socket="/run/mysqld.sock")),
])
def test_parse_dsn(dsn, want):
    assert parse_dsn(dsn) == want


@pytest.mark.parametrize("dsn", ["127.0.0.1:3306", "u:p@tcp(h:x)/", "u:p@udp(h:1)/"])
def test_parse_dsn_bad(dsn):
    with pytest.raises(ConfigError, match="checkpoint.dsn") as e:
        parse_dsn(dsn)
    assert "p@" not in str(e.value)


def test_dsn_repr_hides_password():
    assert "secret" not in repr(parse_dsn("root:secret@tcp(h:1)/"))


def test_bak_schema_name():
    assert _bak_schema("tidb_lightning_checkpoint", 1712345678901234567) == \
        "tidb_lightning_checkpoint.1712345678901234567.bak"
    long = _bak_schema("x" * 64, 1712345678901234567)
    assert len(long) == 64 and long.endswith(".1712345678901234567.bak")


@pytest.fixture
def schema(mariadb):
    name = f"cpm_{uuid.uuid4().hex[:12]}"
    yield name
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s", (name + "%",))
        for (s,) in cur.fetchall():
            cur.execute(f"DROP DATABASE `{s}`")
    conn.close()


def mysql_cfg(mariadb, schema, dsn=""):
    cfg = Config()
    cfg.checkpoint.driver = "mysql"
    cfg.checkpoint.schema = schema
    cfg.checkpoint.dsn = dsn
    cfg.tidb.host, cfg.tidb.port, cfg.tidb.user, cfg.tidb.password = "127.0.0.1", mariadb.port, "root", ""
    return cfg


def test_open_store_uses_tidb_target(mariadb, schema):
    store = open_store(mysql_cfg(mariadb, schema))
    assert isinstance(store, MySQLStore)
    assert store.description == f"mysql 127.0.0.1:{mariadb.port} schema {schema} ([tidb] target)"
    store.initialize(TASK)
    assert store.task() == TASK
    store.close()


def test_open_store_uses_dsn(mariadb, schema):
    cfg = mysql_cfg(mariadb, schema, dsn=f"root@tcp(127.0.0.1:{mariadb.port})/ignored?allowAllFiles=true")
    cfg.tidb.port = 1  # not used
    store = open_store(cfg)
    assert store.description == f"mysql 127.0.0.1:{mariadb.port} schema {schema} (checkpoint.dsn)"
    store.initialize(TASK)
    store.close()
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute(f"SELECT task_id FROM `{schema}`.task_v2")
        assert cur.fetchall() == ((7,),)
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (schema,))
        assert [r[0] for r in cur.fetchall()] == ["chunk_v5", "table_v7", "task_v2"]
        cur.execute("SELECT character_maximum_length FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = 'table_v7' AND column_name = 'table_name'", (schema,))
        assert cur.fetchall() == ((261,),)
    conn.close()


def test_wrong_password_not_leaked(mariadb, schema):
    cfg = mysql_cfg(mariadb, schema, dsn=f"root:Sup3rS3cret@tcp(127.0.0.1:{mariadb.port})/")
    with pytest.raises(TargetError) as e:
        open_store(cfg)
    msg = str(e.value)
    assert "Sup3rS3cret" not in msg and "1045" in msg and "checkpoint.dsn" in msg
    assert e.value.__cause__ is None and "Sup3rS3cret" not in repr(e.value.__context__)


def test_unreachable_server(schema):
    cfg = Config()
    cfg.checkpoint.driver = "mysql"
    cfg.checkpoint.schema = schema
    cfg.checkpoint.dsn = "root:pw@tcp(127.0.0.1:1)/"
    with pytest.raises(TargetError, match=r"checkpoint store mysql 127.0.0.1:1 .*running") as e:
        open_store(cfg)
    assert "pw@" not in str(e.value)


def test_reconnects_once_after_a_lost_connection(mariadb, schema):
    store = MySQLStore(DSN("root", "", "127.0.0.1", mariadb.port), schema)
    store.insert_table("`d`.`t`", [ChunkCheckpoint("`d`.`t`", "/p", 0, 1, "sql", "none", "", 1)])
    old = store._conn
    killer = mariadb.connect()
    with killer.cursor() as cur:
        cur.execute(f"KILL {old.thread_id()}")
    killer.close()
    store.set_status("`d`.`t`", Status.IMPORTED)  # the dead connection is replaced transparently
    assert store._conn is not old
    assert store.tables()["`d`.`t`"].status == Status.IMPORTED
    store.close()


def test_foreign_layout_is_refused(mariadb, schema):
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{schema}`")
        cur.execute(f"CREATE TABLE `{schema}`.table_v7 (task_id BIGINT, table_name VARCHAR(261) PRIMARY KEY, "
                    f"hash BINARY(32), status TINYINT UNSIGNED DEFAULT 30, alloc_base BIGINT)")
    conn.close()
    with pytest.raises(TargetError, match="another column layout"):
        MySQLStore(DSN("root", "", "127.0.0.1", mariadb.port), schema)


def test_remove_all_keeps_other_tables_in_the_schema(mariadb, schema):
    store = MySQLStore(DSN("root", "", "127.0.0.1", mariadb.port), schema)
    store.initialize(TASK)
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE `{schema}`.chunk_progress_v2 (k INT PRIMARY KEY)")
    assert store.remove("all") == []
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
        assert cur.fetchall() == (("chunk_progress_v2",),)
    assert store.task() is None  # re-created on use
    store.close()
    conn.close()


def test_finish_rename_falls_back_to_copy(mariadb, schema, monkeypatch):
    import pymysql.cursors
    real = pymysql.cursors.Cursor.execute

    def execute(self, query, args=None):
        if query.startswith("RENAME TABLE"):
            raise pymysql.err.OperationalError(8200, "unsupported rename")
        return real(self, query, args)

    store = MySQLStore(DSN("root", "", "127.0.0.1", mariadb.port), schema)
    store.initialize(TASK)
    store.insert_table("`d`.`t`", [ChunkCheckpoint("`d`.`t`", "/p", 0, 1, "sql", "none", "", 1)])
    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", execute)
    line = store.finish("rename")
    monkeypatch.undo()
    bak = f"{schema}.7.bak"
    assert bak in line
    moved = MySQLStore(DSN("root", "", "127.0.0.1", mariadb.port), bak)
    assert moved.task() == TASK and list(moved.tables()) == ["`d`.`t`"]
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,))
        assert cur.fetchone()[0] == 0
    conn.close()
    assert "nothing" not in store.finish("rename")  # a second finish finds nothing left to move
    moved.close()
    store.close()

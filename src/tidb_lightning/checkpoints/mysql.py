"""`checkpoint.driver = "mysql"`: checkpoint tables in a schema of a MySQL-compatible server.

Tables in ``checkpoint.schema`` (upstream's names; our own columns)::

    task_v2  (id = 1 PK, task_id, source_dir BLOB, backend, tidb_host, tidb_port, pd_addr,
              sorted_kv_dir BLOB, lightning_ver, on_duplicate, filter (JSON text), create_time)
    table_v7 (table_name varchar(261) utf8mb4_bin PK, status, error, create_time, update_time)
    chunk_v5 (chunk_key binary(32) PK = sha256(table NUL path NUL offset), table_name, path BLOB,
              offset, end_offset, type, compression, sort_key BLOB, file_size, create_time)

Paths are stored as bytes (UTF-8 with surrogate escapes), so any file name round-trips.  The
chunk key is the one the progress ledger uses, so the two tables join on it.

Every call runs in one explicit transaction on one connection (guarded by a lock); a lost
connection is re-opened and the call retried once (every call is idempotent).  The password
never appears in messages or in ``description``.
"""
from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import pymysql

from tidb_lightning import failpoints
from tidb_lightning.backend.db import TLS, tls_of
from tidb_lightning.errors import ConfigError, LightningError, RetryableTargetError, TargetError

from . import store as _s
from .model import MAX_INVALID, ChunkCheckpoint, Status, TableCheckpoint, TaskCheckpoint

__all__ = ["MySQLStore", "DSN", "parse_dsn"]

TASK_TABLE = "task_v2"
TABLE_TABLE = "table_v7"
CHUNK_TABLE = "chunk_v5"
STORE_TABLES = (CHUNK_TABLE, TABLE_TABLE, TASK_TABLE)

_LOST = {2006, 2013, 2003, 2055, 1053, 1927, 4031}
_NAME = "VARCHAR(261) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def chunk_key(table_name: str, path: str, offset: int) -> bytes:
    """Primary key of `chunk_v5`: SHA-256 of (table, path, start offset), which fits any path."""
    return hashlib.sha256(f"{table_name}\x00{path}\x00{offset}".encode("utf-8", "surrogateescape")).digest()


# --------------------------------------------------------------------------- DSN

@dataclass(frozen=True)
class DSN:
    user: str
    password: str
    host: str = "127.0.0.1"
    port: int = 3306
    unix_socket: str = ""

    def __repr__(self) -> str:  # never show the password
        where = self.unix_socket or f"{self.host}:{self.port}"
        return f"DSN(user={self.user!r}, {where})"


_DSN = re.compile(
    r"^(?:(?P<user>[^:@]*)(?::(?P<password>.*))?@)?"
    r"(?:(?P<net>[A-Za-z0-9_]+)(?:\((?P<addr>[^)]*)\))?)?"
    r"/(?P<db>[^?]*)(?:\?(?P<params>.*))?$", re.S)


def parse_dsn(dsn: str) -> DSN:
    """Go-style ``user[:pass]@tcp(host:port)/[db][?params]`` (or ``unix(/path)``).

    The database and the parameters are ignored (so ``allowAllFiles`` is dropped too).
    """
    m = _DSN.match(dsn.strip())
    if not m:
        raise ConfigError("`checkpoint.dsn` is not a DSN like 'user:password@tcp(host:port)/' "
                          "(leave it empty to store the checkpoints on the [tidb] target)")
    net = (m.group("net") or "tcp").lower()
    addr = m.group("addr") or ""
    user = m.group("user") or "root"
    password = m.group("password") or ""
    if net == "unix":
        return DSN(user, password, unix_socket=addr or "/tmp/mysql.sock")
    if net not in ("tcp", "tcp4", "tcp6"):
        raise ConfigError(f"`checkpoint.dsn`: unsupported protocol {net!r}: use tcp(host:port) or unix(/path)")
    host, port = addr or "127.0.0.1:3306", 3306
    if host.startswith("["):  # [::1]:3306
        end = host.find("]")
        rest = host[end + 1:]
        host, port_text = host[1:end], rest[1:] if rest.startswith(":") else ""
    elif host.count(":") == 1:
        host, port_text = host.split(":")
    else:
        port_text = ""
    if port_text:
        if not port_text.isdigit():
            raise ConfigError(f"`checkpoint.dsn`: the port {port_text!r} is not a number")
        port = int(port_text)
    return DSN(user, password, host or "127.0.0.1", port)


def _bak_schema(schema: str, task_id: int) -> str:
    """f"{schema}.{task_id}.bak", the schema part cut so the name fits MySQL's 64 characters."""
    suffix = f".{task_id}.bak"
    return schema[:max(1, 64 - len(suffix))] + suffix


# --------------------------------------------------------------------------- the store

class MySQLStore:
    def __init__(self, dsn: DSN, schema: str, tls: "TLS | None" = None, *, via: str = "") -> None:
        """tls: the target's TLS settings (`tidb.tls`, `tidb.security`) when the store lives on
        the [tidb] target; None for a `checkpoint.dsn` server (PyMySQL's defaults)."""
        self.dsn = dsn
        self.schema = schema
        self._tls = tls
        where = dsn.unix_socket or f"{dsn.host}:{dsn.port}"
        self.description = f"mysql {where} schema {schema}" + (f" ({via})" if via else "")
        self._lock = threading.RLock()
        self._conn: pymysql.connections.Connection | None = None
        self._ready = False  # store tables known to exist
        self._s = _q(schema)
        self._task_t = f"{self._s}.{_q(TASK_TABLE)}"
        self._table_t = f"{self._s}.{_q(TABLE_TABLE)}"
        self._chunk_t = f"{self._s}.{_q(CHUNK_TABLE)}"
        with self._lock:
            self._run("open", lambda cur: None)

    @classmethod
    def from_config(cls, cfg) -> "MySQLStore":
        cp = cfg.checkpoint
        if cp.dsn.strip():
            return cls(parse_dsn(cp.dsn), cp.schema, via="checkpoint.dsn")
        t = cfg.tidb
        return cls(DSN(t.user, t.password, t.host, int(t.port)), cp.schema, tls_of(t), via="[tidb] target")

    # ------------------------------------------------------------------ plumbing

    def _connect(self) -> pymysql.connections.Connection:
        d = self.dsn
        kw: dict[str, Any] = dict(user=d.user, password=d.password, charset="utf8mb4", autocommit=False,
                                  connect_timeout=30)
        if d.unix_socket:
            kw["unix_socket"] = d.unix_socket
        else:
            kw.update(host=d.host, port=d.port)
        if self._tls is not None:
            return self._tls.connect(**kw)
        return pymysql.connect(**kw)

    def _ensure_tables(self, cur) -> None:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {self._s}")
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {self._task_t} ("
            "id TINYINT UNSIGNED NOT NULL PRIMARY KEY, task_id BIGINT NOT NULL, source_dir BLOB NOT NULL, "
            "backend VARCHAR(16) NOT NULL, tidb_host VARCHAR(255) NOT NULL, tidb_port INT NOT NULL, "
            "pd_addr VARCHAR(255) NOT NULL, sorted_kv_dir BLOB NOT NULL, lightning_ver VARCHAR(48) NOT NULL, "
            "on_duplicate VARCHAR(16) NOT NULL, filter TEXT NOT NULL, "
            "create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) DEFAULT CHARSET = utf8mb4")
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {self._table_t} ("
            f"table_name {_NAME} PRIMARY KEY, status TINYINT UNSIGNED NOT NULL DEFAULT 30, "
            "error TEXT NOT NULL, "
            "create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
            "update_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)"
            ") DEFAULT CHARSET = utf8mb4")
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {self._chunk_t} ("
            f"chunk_key BINARY(32) NOT NULL PRIMARY KEY, table_name {_NAME}, path BLOB NOT NULL, "
            "`offset` BIGINT NOT NULL, end_offset BIGINT NOT NULL, type VARCHAR(16) NOT NULL, "
            "compression VARCHAR(16) NOT NULL, sort_key BLOB NOT NULL, file_size BIGINT NOT NULL, "
            "create_time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), KEY k_table (table_name)"
            ") DEFAULT CHARSET = utf8mb4")
        # an older/other layout under the same names (e.g. upstream's) is refused, not misread
        for table, cols in ((self._task_t, "task_id, source_dir, lightning_ver, on_duplicate, filter"),
                            (self._table_t, "table_name, status, error, update_time"),
                            (self._chunk_t, "chunk_key, path, `offset`, end_offset, sort_key, file_size")):
            try:
                cur.execute(f"SELECT {cols} FROM {table} LIMIT 0")
            except pymysql.err.OperationalError as e:
                if e.args and e.args[0] == 1054:
                    raise TargetError(
                        f"checkpoint store {self.description}: table {table} has another column layout "
                        f"(written by upstream TiDB Lightning or another version): set another "
                        f"`checkpoint.schema`, or drop the old checkpoint tables first") from None
                raise

    def _connection(self) -> pymysql.connections.Connection:
        if self._conn is None:
            self._conn = self._connect()
            self._ready = False
        if not self._ready:
            with self._conn.cursor() as cur:
                self._ensure_tables(cur)
            self._conn.commit()
            self._ready = True
        return self._conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    @staticmethod
    def _lost(e: BaseException) -> bool:
        if isinstance(e, (pymysql.err.InterfaceError, ConnectionError)):
            return True
        return isinstance(e, pymysql.err.MySQLError) and bool(e.args) and e.args[0] in _LOST

    def _wrap(self, what: str, e: BaseException) -> TargetError:
        code = e.args[0] if isinstance(e, pymysql.err.MySQLError) and e.args and isinstance(e.args[0], int) else 0
        text = e.args[1] if isinstance(e, pymysql.err.MySQLError) and len(e.args) > 1 else str(e)
        tls_hint = self._tls.explain(e) if self._tls is not None else None
        if tls_hint:
            hint = tls_hint
        elif code == 1045:
            hint = "check the user and password of `checkpoint.dsn` (or [tidb] when the DSN is empty)"
        elif code in (1044, 1142, 1227):
            hint = f"the user needs CREATE, DROP, SELECT, INSERT, UPDATE and DELETE on schema {self.schema}"
        elif self._lost(e) or code == 2003:
            hint = "check that the checkpoint server is running and reachable (`checkpoint.dsn`)"
        else:
            hint = "check the checkpoint server, or use `checkpoint.driver = \"file\"`"
        cls = RetryableTargetError if self._lost(e) and not tls_hint else TargetError
        err = cls(f"checkpoint store {self.description}: cannot {what}: "
                  f"{f'Error {code}: ' if code else ''}{text}; {hint}")
        err.code = code
        return err

    def _run(self, what: str, fn: Callable[[Any], Any]) -> Any:
        """fn(cursor) in one transaction; reconnect and retry once on a lost connection."""
        with self._lock:
            for attempt in (0, 1):
                try:
                    conn = self._connection()
                    try:
                        with conn.cursor() as cur:
                            result = fn(cur)
                        conn.commit()
                        return result
                    except BaseException:
                        try:
                            conn.rollback()
                        except Exception:
                            pass
                        raise
                except (pymysql.err.MySQLError, OSError) as e:
                    if attempt == 0 and self._lost(e):
                        self._drop_connection()
                        continue
                    if self._lost(e):
                        self._drop_connection()
                    raise self._wrap(what, e) from None
            raise AssertionError("unreachable")

    # ------------------------------------------------------------------ reads

    def _task_rows(self, cur):
        cur.execute(f"SELECT task_id, source_dir, backend, tidb_host, tidb_port, pd_addr, sorted_kv_dir, "
                    f"lightning_ver, on_duplicate, filter, create_time FROM {self._task_t} WHERE id = 1")
        return cur.fetchall()

    @staticmethod
    def _task(row) -> TaskCheckpoint:
        return TaskCheckpoint(
            task_id=int(row[0]), source_dir=_s.from_bytes(row[1]), backend=row[2], tidb_host=row[3],
            tidb_port=int(row[4]), pd_addr=row[5], sorted_kv_dir=_s.from_bytes(row[6]),
            lightning_version=row[7], on_duplicate=row[8], filter=_s.decode_filter(row[9]))

    def _chunks(self, cur) -> list[ChunkCheckpoint]:
        cur.execute(f"SELECT table_name, path, `offset`, end_offset, type, compression, sort_key, file_size "
                    f"FROM {self._chunk_t}")
        return [ChunkCheckpoint(table_name=r[0], path=_s.from_bytes(r[1]), offset=int(r[2]),
                                end_offset=int(r[3]), type=r[4], compression=r[5],
                                sort_key=_s.from_bytes(r[6]), file_size=int(r[7])) for r in cur.fetchall()]

    def task(self) -> TaskCheckpoint | None:
        def fn(cur):
            rows = self._task_rows(cur)
            return self._task(rows[0]) if rows else None
        return self._run("read the task", fn)

    def tables(self) -> dict[str, TableCheckpoint]:
        def fn(cur):
            cur.execute(f"SELECT table_name, status, error FROM {self._table_t}")
            out = {name: TableCheckpoint(name, int(status), error) for name, status, error in cur.fetchall()}
            for c in self._chunks(cur):
                t = out.get(c.table_name)
                if t is not None:
                    t.chunks.append(c)
            return _s.sort_tables(out)
        return self._run("read the tables", fn)

    # ------------------------------------------------------------------ writes

    def initialize(self, task: TaskCheckpoint) -> None:
        def fn(cur):
            cur.execute(f"SELECT 1 FROM {self._task_t} WHERE id = 1 FOR UPDATE")
            if cur.fetchall():
                return
            cur.execute(
                f"INSERT INTO {self._task_t} (id, task_id, source_dir, backend, tidb_host, tidb_port, pd_addr, "
                f"sorted_kv_dir, lightning_ver, on_duplicate, filter) "
                f"VALUES (1, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (int(task.task_id), _s.to_bytes(task.source_dir), task.backend, task.tidb_host,
                 int(task.tidb_port), task.pd_addr, _s.to_bytes(task.sorted_kv_dir),
                 task.lightning_version, task.on_duplicate, _s.encode_filter(task.filter)))
            failpoints.hit("store.write")  # a kill here: the transaction never commits
        self._run("store the task", fn)

    def insert_table(self, table_name: str, chunks: list[ChunkCheckpoint]) -> None:
        self.insert_tables({table_name: chunks})

    def insert_tables(self, tables: dict[str, list[ChunkCheckpoint]]) -> None:
        what = _s.check_tables(tables)

        def fn(cur):
            cur.execute(f"SELECT table_name FROM {self._table_t} FOR UPDATE")
            known = {r[0] for r in cur.fetchall()}
            new = [t for t in tables if t not in known]
            if not new:
                return
            cur.executemany(f"INSERT INTO {self._table_t} (table_name, status, error) VALUES (%s, %s, '')",
                            [(t, int(Status.LOADED)) for t in new])
            rows = []
            for table_name in new:
                cur.execute(f"DELETE FROM {self._chunk_t} WHERE table_name = %s", (table_name,))  # orphans
                rows += [(chunk_key(table_name, c.path, c.offset), table_name, _s.to_bytes(c.path), int(c.offset),
                          int(c.end_offset), c.type, c.compression, _s.to_bytes(c.sort_key), int(c.file_size))
                         for c in tables[table_name]]
            for i in range(0, len(rows), 1000):
                cur.executemany(
                    f"INSERT INTO {self._chunk_t} (chunk_key, table_name, path, `offset`, end_offset, type, "
                    f"compression, sort_key, file_size) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows[i:i + 1000])
            failpoints.hit("store.write")
        self._run(f"store the chunks of {what}", fn)

    def set_status(self, table_name: str, status: int, error: str = "") -> None:
        def fn(cur):
            cur.execute(f"SELECT 1 FROM {self._table_t} WHERE table_name = %s FOR UPDATE", (table_name,))
            if not cur.fetchall():
                raise LightningError(f"no checkpoint for table {table_name} in {self.description}: "
                                     f"insert_table() must come first")
            cur.execute(f"UPDATE {self._table_t} SET status = %s, error = %s, update_time = CURRENT_TIMESTAMP(6) "
                        f"WHERE table_name = %s", (int(status), _s.clean_error(error), table_name))
            failpoints.hit("store.write")
        self._run(f"store the status of {table_name}", fn)

    def set_statuses(self, statuses: dict[str, int]) -> None:
        def fn(cur):
            cur.executemany(f"UPDATE {self._table_t} SET status = %s, error = '', "
                            f"update_time = CURRENT_TIMESTAMP(6) WHERE table_name = %s",
                            [(int(st), name) for name, st in statuses.items()])
            failpoints.hit("store.write")
        self._run(f"store the status of {len(statuses)} table(s)", fn)

    # ------------------------------------------------------------------ ctl actions

    def _select(self, cur, target: str, failed_only: bool) -> list[str]:
        cond = f" AND status <= {MAX_INVALID}" if failed_only else ""
        if target == _s.ALL:
            cur.execute(f"SELECT table_name FROM {self._table_t} WHERE 1 = 1{cond} ORDER BY table_name FOR UPDATE")
            return [r[0] for r in cur.fetchall()]
        cur.execute(f"SELECT status FROM {self._table_t} WHERE table_name = %s FOR UPDATE", (target,))
        rows = cur.fetchall()
        if not rows:
            raise _s.unknown_table(target, self.description)
        return [target] if not failed_only or int(rows[0][0]) <= MAX_INVALID else []

    def _delete(self, cur, names: list[str]) -> None:
        for name in names:
            cur.execute(f"DELETE FROM {self._chunk_t} WHERE table_name = %s", (name,))
            cur.execute(f"DELETE FROM {self._table_t} WHERE table_name = %s", (name,))

    def _drop_store(self) -> None:
        """Empty the store atomically, then drop its tables (and the schema when nothing else is
        left in it: the progress ledger may live there too)."""
        def wipe(cur):
            for t in (self._chunk_t, self._table_t, self._task_t):
                cur.execute(f"DELETE FROM {t}")
        self._run("remove all checkpoints", wipe)

        def drop(cur):
            cur.execute(f"DROP TABLE IF EXISTS {self._chunk_t}, {self._table_t}, {self._task_t}")
            self._ready = False
            self._drop_schema_if_empty(cur)
        self._run("drop the checkpoint tables", drop)

    def _drop_schema_if_empty(self, cur) -> None:
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s", (self.schema,))
        if int(cur.fetchone()[0]) == 0:
            cur.execute(f"DROP DATABASE IF EXISTS {self._s}")

    def remove(self, target: str) -> list[str]:
        with self._lock:
            if target == _s.ALL:
                names = self._run("list the checkpoints", lambda cur: self._select(cur, target, False))
                self._drop_store()
                return names

            def fn(cur):
                names = self._select(cur, target, failed_only=False)
                self._delete(cur, names)
                return names
            return self._run(f"remove the checkpoint of {target}", fn)

    def ignore_error(self, target: str) -> list[str]:
        def fn(cur):
            names = self._select(cur, target, failed_only=True)
            for name in names:
                cur.execute(f"UPDATE {self._table_t} SET status = %s, error = '', "
                            f"update_time = CURRENT_TIMESTAMP(6) WHERE table_name = %s",
                            (int(Status.LOADED), name))
            return names
        return self._run(f"clear the errors of {target}", fn)

    def destroy_error(self, target: str) -> list[str]:
        def fn(cur):
            names = self._select(cur, target, failed_only=True)
            self._delete(cur, names)
            return names
        return self._run(f"destroy the failed checkpoints of {target}", fn)

    def dump(self, folder: str) -> list[str]:
        def fn(cur):
            tasks = [_s.task_row(self._task(r), r[10]) for r in self._task_rows(cur)]
            cur.execute(f"SELECT table_name, status, error, create_time, update_time FROM {self._table_t} "
                        f"ORDER BY table_name")
            tables = [_s.table_row(TableCheckpoint(r[0], int(r[1]), r[2]), r[3], r[4]) for r in cur.fetchall()]
            chunks = sorted(self._chunks(cur), key=lambda c: (c.table_name, c.path, c.offset))
            return tasks, tables, [_s.chunk_row(c) for c in chunks]
        tasks, tables, chunks = self._run("read the checkpoints", fn)
        try:
            return _s.write_dump(folder, tasks, tables, chunks)
        except OSError as e:
            raise LightningError(f"cannot write the checkpoint dump into {folder}: {e}") from None

    def finish(self, keep_after_success: str) -> str:
        keep = _s.check_keep(keep_after_success)
        with self._lock:
            if keep == "origin":
                return f"checkpoints kept in {self.description} (keep-after-success = \"origin\")"
            if keep == "remove":
                self._drop_store()
                return f"checkpoint tables removed from {self.description}"
            task = self.task()
            bak = _bak_schema(self.schema, task.task_id if task else time.time_ns())
            qb = _q(bak)

            def move(cur):
                cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                            "AND table_name IN (%s, %s, %s)", (self.schema, *STORE_TABLES))
                found = {r[0] for r in cur.fetchall()}
                present = [t for t in STORE_TABLES if t in found]
                self._ready = False
                if not present:  # already moved (e.g. a retry after the reply was lost)
                    return
                cur.execute(f"CREATE DATABASE IF NOT EXISTS {qb}")
                for t in present:  # leftovers of an earlier move of the same task id
                    cur.execute(f"DROP TABLE IF EXISTS {qb}.{_q(t)}")
                try:  # atomic on MySQL / MariaDB / TiDB
                    cur.execute("RENAME TABLE " + ", ".join(
                        f"{self._s}.{_q(t)} TO {qb}.{_q(t)}" for t in present))
                except pymysql.err.MySQLError as e:
                    if self._lost(e):
                        raise
                    for t in present:  # fallback: copy, then drop
                        cur.execute(f"CREATE TABLE IF NOT EXISTS {qb}.{_q(t)} LIKE {self._s}.{_q(t)}")
                        cur.execute(f"INSERT INTO {qb}.{_q(t)} SELECT * FROM {self._s}.{_q(t)}")
                        self._conn.commit()
                        cur.execute(f"DROP TABLE {self._s}.{_q(t)}")
                self._drop_schema_if_empty(cur)
            self._run(f"move the checkpoint tables to schema {bak}", move)
            return f"checkpoint tables moved from {self.description} to schema {bak}"

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

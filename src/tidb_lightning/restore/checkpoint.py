"""How the restore uses checkpoints: task identity, table statuses, chunk plans, the ledger.

The store (file or mysql driver) says which task this is, which tables are done or failed and
which chunks each table has; the ledger on the target says how far each chunk committed.
With checkpoints off, `open_session` returns a session that remembers nothing.
"""
from __future__ import annotations

import logging
import threading
import time

import pymysql

from tidb_lightning import __version__
from tidb_lightning.backend import db as dbconn
from tidb_lightning.checkpoints import ChunkCheckpoint, Status, TaskCheckpoint, open_store
from tidb_lightning.checkpoints.ledger import ChunkProgress, Ledger
from tidb_lightning.checkpoints.model import failed_status, is_failed, status_name
from tidb_lightning.errors import ConfigError, LightningError
from tidb_lightning.storage import redact

log = logging.getLogger(__name__)

#: the last status of a table imported by the tidb backend (no checksum/analyze yet)
DONE = Status.ANALYZE_SKIPPED
FLUSH_TABLES, FLUSH_SECONDS = 64, 1.0  # final statuses are written in groups


def task_identity(cfg) -> TaskCheckpoint:
    return TaskCheckpoint(
        task_id=time.time_ns() // 1000, source_dir=redact(cfg.mydumper.data_source_dir),
        backend=cfg.tikv_importer.backend, tidb_host=cfg.tidb.host, tidb_port=int(cfg.tidb.port),
        pd_addr=cfg.tidb.pd_addr, sorted_kv_dir=cfg.tikv_importer.sorted_kv_dir,
        lightning_version=__version__, on_duplicate=cfg.tikv_importer.on_duplicate,
        filter=tuple(cfg.mydumper.filter))


def failed_tables_message(failed: list, where: str) -> str:
    lines = [f"TiDB Lightning has failed last time; to prevent data loss this run stops now "
             f"(checkpoint {where}). Resolve each failed table first:"]
    for t in failed:
        lines.append(f"  {t.table_name}: {status_name(t.status)}: {t.error or 'see the previous log'}")
        lines.append(f"    tidb-lightning-ctl --checkpoint-error-destroy='{t.table_name}'  "
                     f"(drop the table on the target; the next run imports it again)")
        lines.append(f"    tidb-lightning-ctl --checkpoint-error-ignore='{t.table_name}'  "
                     f"(keep its rows; the next run continues after the last commit)")
    lines.append("  or use =all for every failed table; the previous run's log has the details")
    return "\n".join(lines)


class CheckpointSession:
    """One run's view of its checkpoints.  Thread-safe where the workers call it
    (`set_status`, `table_failed`): the store serialises its own writes."""

    def __init__(self, cfg, store) -> None:
        self.cfg = cfg
        self.store = store
        self.task: TaskCheckpoint | None = None
        self.ledger: Ledger | None = None
        self._statuses: dict[str, int] = {}
        self._chunks: dict[str, list[ChunkCheckpoint]] = {}
        self._pending: dict[str, int] = {}  # final statuses not written yet
        self._pending_since = float("-inf")  # the first table's goes out at once
        self._pending_lock = threading.Lock()

    def open(self, meta_conn) -> None:
        """Check the stored task is this task, refuse to run over failed tables, and make
        sure the ledger table exists on the target."""
        wanted = task_identity(self.cfg)
        stored = self.store.task()
        if stored is not None:
            diffs = stored.differences(wanted, strict=self.cfg.lightning.check_requirements)
            if diffs:
                raise ConfigError(
                    f"the checkpoint in {self.store.description} belongs to another task: "
                    + "; ".join(diffs) + ". To start over, run `tidb-lightning-ctl "
                    "--checkpoint-remove=all` with the old config (and drop the tables it "
                    "imported), or point `checkpoint.dsn`/`checkpoint.schema` elsewhere")
            self.task = stored
            log.info("resuming task %d from the checkpoint in %s", stored.task_id, self.store.description)
        else:
            self.store.initialize(wanted)
            self.task = self.store.task() or wanted
        tables = self.store.tables()
        failed = [t for t in tables.values() if is_failed(t.status)]
        if failed:
            raise LightningError(failed_tables_message(failed, self.store.description))
        self._statuses = {name: t.status for name, t in tables.items()}
        self._chunks = {name: t.chunks for name, t in tables.items()}
        self.ledger = Ledger(self.cfg.checkpoint.schema, self.task.task_id)
        with meta_conn.cursor() as cur:
            for sql in self.ledger.create_sql():
                cur.execute(sql)

    def status(self, table: str) -> int:
        return self._statuses.get(table, Status.MISSING)

    def plan(self, tables: dict[str, list[ChunkCheckpoint]], meta_conn) -> dict[
            str, tuple[list[ChunkCheckpoint], dict[tuple[str, int], ChunkProgress]]]:
        """Each table's chunk list (the stored one wins on resume) and their committed
        progress: one store write and one ledger read for all tables."""
        self.store.insert_tables(tables)
        with meta_conn.cursor() as cur:
            progress = self.ledger.read_all(cur)
        meta_conn.commit()  # end the locking read's transaction (autocommit connections: no-op)
        return {name: (self._chunks.get(name) or chunks, progress.get(name, {}))
                for name, chunks in tables.items()}

    def set_status(self, table: str, status: int) -> None:
        """Only a table's final status is written to the store, and several tables' at once
        (at most `FLUSH_TABLES` or `FLUSH_SECONDS` apart): the steps in between (imported,
        indexes, auto-increment, checksum, analyze) are idempotent and cheap to redo, while
        each durable write costs fsyncs (minutes for 10,000 tables one by one).  A resume
        finds every chunk done in the ledger and redoes just those steps."""
        self._statuses[table] = status
        if status >= DONE:
            with self._pending_lock:
                self._pending[table] = status
                if len(self._pending) < FLUSH_TABLES and \
                        time.monotonic() - self._pending_since < FLUSH_SECONDS:
                    return
            self.flush()

    def flush(self) -> None:
        """Write the final statuses not written yet."""
        with self._pending_lock:
            pending, self._pending = self._pending, {}
            self._pending_since = time.monotonic()
            if pending:
                self.store.set_statuses(pending)

    def table_failed(self, table: str, error: BaseException, step: int = Status.LOADED) -> None:
        """Record that `step` (the status it would have reached) failed for `table`."""
        status = failed_status(step)
        self.store.set_status(table, status, str(error)[:2000])
        self._statuses[table] = status

    def finish(self, meta_conn) -> None:
        """Everything imported: apply `checkpoint.keep-after-success`.

        The chunk progress goes first and the store last: a failure (the target restarted
        since the run began) or a kill in between leaves a store saying every table is done,
        so a re-run only repeats this cleanup.  Store first would leave no checkpoint, and a
        re-run would import everything again."""
        self.flush()
        keep = self.cfg.checkpoint.keep_after_success
        if keep == "remove":
            try:
                meta_conn.ping(reconnect=True)
                with meta_conn.cursor() as cur:
                    cur.execute(*self.ledger.forget_sql(None))
                    cur.execute("SELECT COUNT(*) FROM " + self.ledger.table)
                    if cur.fetchone()[0] == 0:
                        cur.execute(self.ledger.drop_sql())
            except pymysql.err.MySQLError as e:
                raise dbconn.classify(e, "every table is imported, but removing the chunk progress "
                                         "from the target failed (re-run to finish: nothing is "
                                         "imported again)") from None
        log.info(self.store.finish(keep))

    def close(self) -> None:
        try:
            self.flush()  # tables finished before a failure stay finished
        finally:
            self.store.close()


class NoCheckpoints:
    """`checkpoint.enable = false`: every run starts from the beginning; nothing is kept."""

    ledger = None

    def open(self, meta_conn) -> None:
        pass

    def status(self, table: str) -> int:
        return Status.MISSING

    def plan(self, tables, meta_conn):
        return {name: (chunks, {}) for name, chunks in tables.items()}

    def set_status(self, table: str, status: int) -> None:
        pass

    def table_failed(self, table: str, error: BaseException, step: int = Status.LOADED) -> None:
        pass

    def finish(self, meta_conn) -> None:
        pass

    def close(self) -> None:
        pass


def open_session(cfg):
    if not cfg.checkpoint.enable:
        return NoCheckpoints()
    return CheckpointSession(cfg, open_store(cfg))

"""The import, step by step: check target -> load source -> schema -> tables -> summary.

Chunks run on `region-concurrency` worker threads, each with its own connection; at most
`table-concurrency` tables are in flight.  The first error stops every worker (fail fast)
and is raised to the caller; a signal does the same through `stop()`.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace

from tidb_lightning import log as llog
from tidb_lightning.backend import db as dbconn
from tidb_lightning.backend.import_mode import ImportMode
from tidb_lightning.backend.local import LocalBackend
from tidb_lightning.backend.tidb import TiDBBackend
from tidb_lightning import failpoints
from tidb_lightning.checkpoints import ChunkCheckpoint, Status
from tidb_lightning.checksum.book import ChecksumBook
from tidb_lightning.checksum.hasher import Digest
from tidb_lightning.postprocess import PostProcessError, post_process
from tidb_lightning.postprocess.checksum import Outcome, target_checksum, verify
from tidb_lightning.errors import ConfigError, LightningError, SourceError, TargetError
from tidb_lightning.parse.csv import CSVDialect
from tidb_lightning.parse.csv_load import LoadFormat
from tidb_lightning.parse.schema import quote_ident
from tidb_lightning.restore.checkpoint import DONE, open_session
from tidb_lightning.restore import indexes, precheck
from tidb_lightning.restore.pause import Pauser
from tidb_lightning.restore.chunk import Cancelled, Chunk, ChunkSettings, dump_time_zone, import_chunk
from tidb_lightning.restore.diagnose import differing_columns
from tidb_lightning.restore.progress import Progress, ProgressLogger, TablePhase, TaskPhase
from tidb_lightning.restore.schema import SchemaCreator
from tidb_lightning.restore.post_pool import PostPool
from tidb_lightning.source import regions
from tidb_lightning.source.ignore import IgnoredColumns
from tidb_lightning.source.routes import apply_routes
from tidb_lightning.restore.target import TargetTable, fetch_tables, target_key
from tidb_lightning.restore.type_errors import TypeErrors
from tidb_lightning.source.filter import TableFilter
from tidb_lightning.source.loader import load_source
from tidb_lightning.source.router import FileRouter
from tidb_lightning.storage import open_storage, redact

log = logging.getLogger(__name__)


def csv_dialect(csv) -> CSVDialect:
    enc = lambda s: s.encode("utf-8")  # noqa: E731
    return CSVDialect(separator=enc(csv.separator), delimiter=enc(csv.delimiter),
                      terminator=enc(csv.terminator), header=csv.header, not_null=csv.not_null,
                      null=tuple(enc(n) for n in csv.null), escape=enc(csv.escaped_by),
                      trim_last_separator=csv.trim_last_separator)


def table_filter(cfg) -> TableFilter:
    md = cfg.mydumper
    if cfg.black_white_list is not None:
        return TableFilter.from_black_white_list(cfg.black_white_list, md.case_sensitive)
    return TableFilter.parse(list(md.filter), md.case_sensitive)


@dataclass
class _Table:
    key: str
    chunks: deque
    running: int = 0


class _Scheduler:
    """Hands chunks to workers, keeping at most `table_limit` tables in flight."""

    def __init__(self, tables: list[_Table], table_limit: int) -> None:
        self.waiting = deque(tables)
        self.active: list[_Table] = []
        self.limit = max(1, table_limit)
        self.cond = threading.Condition()
        self.stopped = False

    def next(self) -> tuple[_Table, Chunk] | None:
        with self.cond:
            while not self.stopped:
                for t in self.active:
                    if t.chunks:
                        t.running += 1
                        return t, t.chunks.popleft()
                if self.waiting and len(self.active) < self.limit:
                    self.active.append(self.waiting.popleft())
                    continue
                if not self.waiting and not self.active:
                    return None
                self.cond.wait()
            return None

    def done(self, table: _Table) -> None:
        with self.cond:
            table.running -= 1
            if not table.chunks and table.running == 0:
                self.active.remove(table)
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()


@dataclass
class Importer:
    cfg: object
    progress: Progress = field(default_factory=Progress)
    pauser: Pauser = field(default_factory=Pauser)  # shared with the status server (`PUT /pause`)
    _stop: threading.Event = field(default_factory=threading.Event)
    _errors: list[BaseException] = field(default_factory=list)
    _target_kind: str = ""  # "TiDB" | "MariaDB" | "MySQL", once connected
    type_errors: TypeErrors | None = None
    checksums: ChecksumBook | None = None  # None: post-restore.checksum = "off"
    _session: object = None
    _chunks: dict = field(default_factory=dict)  # table -> its chunks (to read again after a mismatch)
    _storage: object = None
    _settings: ChunkSettings | None = None
    _zones: dict = field(default_factory=dict)  # table with TIMESTAMPs -> the zone they were written in
    _created: set = field(default_factory=set)  # tables this run's schema step created (empty)
    _indexes: dict = field(default_factory=dict)  # local: table -> indexes taken off (no checkpoints)
    _local: bool = False
    _backend: object = None
    _index_slots: object = None

    def stop(self, reason: str = "stopped") -> None:
        if not self._stop.is_set():
            log.warning("stopping the import: %s", reason)
            hint = ("; re-run the same command to resume from the checkpoint"
                    if self.cfg.checkpoint.enable else "")
            self._errors.append(LightningError(f"import interrupted: {reason}{hint}"))
        self._stop.set()

    # ----------------------------------------------------------------- steps
    def run(self) -> Progress:
        try:
            self._run()
        except BaseException:
            self.progress.enter(TaskPhase.FAILED)
            raise
        self.progress.enter(TaskPhase.DONE)
        return self.progress

    def _run(self) -> None:
        cfg = self.cfg
        if cfg.tikv_importer.backend not in ("tidb", "local"):
            raise ConfigError(f"backend {cfg.tikv_importer.backend!r} is not built yet; use --backend tidb or local")
        for msg in cfg.not_built:
            log.warning(msg)
        self._local = cfg.tikv_importer.backend == "local"
        backend = LocalBackend(cfg.tidb, cfg.conflict.strategy) if self._local else \
            TiDBBackend(cfg.tidb, cfg.tikv_importer.on_duplicate)
        if cfg.mydumper.data_character_set != "binary":
            backend.charset = "utf8mb4"  # the data files are read converted to UTF-8
        self._backend = backend
        self._index_slots = threading.Semaphore(max(1, cfg.lightning.index_concurrency))
        with llog.task(log, "check target"):
            meta = dbconn.connect(cfg.tidb)
            info = dbconn.server_info(meta)
            self._target_kind = info.kind
            max_packet = backend.resolve_max_packet(meta)
            log.info("target server is %s %s; max-allowed-packet %d", info.kind, info.version, max_packet)
        session = None
        try:
            # source first, then the pre-checks: nothing (checkpoint ledger included) is
            # written to the target before they pass
            storage = dbs = source_error = None
            try:
                storage = open_storage(cfg.mydumper.data_source_dir, cfg.lightning.io_concurrency)
                with llog.task(log, "load data source", dir=redact(cfg.mydumper.data_source_dir)):
                    router = FileRouter(cfg.mydumper.files, cfg.mydumper.default_file_rules,
                                        cfg.mydumper.case_sensitive)
                    dbs = load_source(storage, router, table_filter(cfg), no_schema=cfg.mydumper.no_schema)
                    dbs = apply_routes(dbs, cfg.routes, cfg.mydumper.case_sensitive)
            except SourceError as e:
                if not cfg.lightning.check_requirements:
                    raise
                source_error = e  # reported as the pre-checks' `source` row, with the rest
            if cfg.lightning.check_requirements:
                with llog.task(log, "pre-checks"):
                    precheck.enforce(cfg, meta, storage, dbs, source_error=source_error)
            session = open_session(cfg)
            with llog.task(log, "open checkpoints"):
                session.open(meta)
            targets = self._schema(meta, storage, dbs)
            mode = ImportMode(meta, cfg.checkpoint.schema) if self._local and \
                cfg.tikv_importer.server_import_mode else None
            if mode is not None:
                mode.switch_to_import()
            try:
                self._import_tables(storage, dbs, targets, backend, max_packet, session, meta)
            finally:
                if mode is not None:
                    meta.ping(reconnect=True)
                    mode.switch_to_normal()
            session.finish(meta)
        finally:
            if session is not None:
                session.close()
            meta.close()

    def _schema(self, meta, storage, dbs) -> dict[tuple[str, str], TargetTable]:
        cfg = self.cfg
        views = [v for d in dbs for v in d.views]
        existed = {(d.name, name) for d in dbs for name in fetch_tables(meta, d.name)}
        self.progress.enter(TaskPhase.SCHEMA)
        if not cfg.mydumper.no_schema:
            with llog.task(log, "restore schema"):
                creator = SchemaCreator(meta, storage, cfg.mydumper.character_set)
                for d in dbs:
                    creator.create_database(d)
                view_names = {(v.schema, v.name) for v in views}
                self._create_tables(creator, storage, [
                    t for d in dbs for t in d.tables
                    if t.schema_file and (t.schema, t.name) not in view_names])
                creator.create_views(views)
        targets: dict[tuple[str, str], TargetTable] = {}
        for d in dbs:
            for name, t in fetch_tables(meta, d.name).items():
                targets[(d.name, name)] = t
                if (d.name, name) not in existed:
                    self._created.add(target_key(t))  # empty: no need to look
        return targets

    def _create_tables(self, creator: SchemaCreator, storage, tables: list) -> None:
        """CREATE TABLE for each table, on up to `region-concurrency` connections: with
        thousands of tables the round trips, not the server, are what takes the time."""
        workers = max(1, min(self.cfg.lightning.region_concurrency, len(tables) // 50))
        if workers == 1:
            for t in tables:
                creator.create_table(t.schema, t.name, t.schema_file)
            return
        jobs = deque(tables)
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work() -> None:
            conn = dbconn.connect(self.cfg.tidb)
            try:
                mine = SchemaCreator(conn, storage, self.cfg.mydumper.character_set)
                while not errors:
                    with lock:
                        if not jobs:
                            return
                        t = jobs.popleft()
                    mine.create_table(t.schema, t.name, t.schema_file)
            except BaseException as e:  # noqa: BLE001 - reported by the caller
                errors.append(e)
            finally:
                conn.close()

        threads = [threading.Thread(target=work, name=f"schema-{i}") for i in range(workers)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if errors:
            raise errors[0]

    def _import_tables(self, storage, dbs, targets, backend, max_packet: int, session, meta) -> None:
        cfg = self.cfg
        self._session = session
        backslash = "NO_BACKSLASH_ESCAPES" not in cfg.tidb.sql_mode.upper()
        dialect = csv_dialect(cfg.mydumper.csv)
        if cfg.post_restore.checksum != "off":
            self.checksums = ChecksumBook(self._target_kind, backslash)
        if self._local and session.ledger is not None:
            self._indexes.update(session.ledger.indexes(dbconn.querier(meta)))  # taken off by an earlier run
        view_names = {(v.schema, v.name) for d in dbs for v in d.views}
        tables: list[_Table] = []
        wanted: dict[str, tuple[TargetTable, list[ChunkCheckpoint]]] = {}
        missing = []
        for d in dbs:
            for t in d.tables:
                if (t.schema, t.name) in view_names or not t.data_files:
                    continue
                key = f"{quote_ident(t.schema)}.{quote_ident(t.name)}"
                status = session.status(key)
                if status >= DONE:
                    log.info("table %s was imported by an earlier run (checkpoint): skipped", key)
                    continue
                target = targets.get((t.schema, t.name))
                if target is None:
                    missing.append(f"`{t.schema}`.`{t.name}`")
                    continue
                if self.checksums is not None and any(c.data_type == "timestamp" for c in target.columns):
                    self._zones[key] = _rows_zone(storage, t.data_files[0])
                if status >= Status.IMPORTED:  # rows are in; some post-restore steps did not run
                    if self.checksums is not None:
                        self.checksums.add_table(key, target)
                    self._resume_post(target, meta, session, status)
                    continue
                wanted[key] = (target, [
                    ChunkCheckpoint(key, f.path, start, end, f.type, f.compression, f.key, f.size)
                    for f in t.data_files for start, end in self._regions(storage, f, dialect)])
        if missing:
            hint = ("they must exist on the target when `mydumper.no-schema` is set"
                    if cfg.mydumper.no_schema else "their schema files did not create them")
            raise TargetError(f"tables not found on the target: {', '.join(missing)}; {hint}")
        planned = session.plan({key: chunks for key, (_, chunks) in wanted.items()}, meta)
        if self._local:
            self._require_empty(wanted, planned, meta)
        if self.checksums is not None:
            self._checksum_before(wanted, planned, session, meta)
        if self._local:
            self._take_indexes_off(wanted, planned, session, meta)
        least = cfg.tikv_importer.index_engine_min_size
        for key, (target, source) in wanted.items():
            plan, progress = planned[key]
            bulk = self._local and sum(c.end_offset - c.offset for c in source) >= least
            chunks = deque((Chunk(key, target, c.path, storage.describe(c.path), c.type,
                                  c.compression, c.file_size, c.offset, c.end_offset, bulk=bulk),
                            progress.get((c.path, c.offset))) for c in plan)
            tables.append(_Table(key, chunks))
            self._chunks[key] = [c for c, _ in chunks]
            self.progress.add_table(key, sum(c.end_offset - c.offset for c in plan), len(chunks))
        batch = min(cfg.tikv_importer.logical_import_batch_size, max(max_packet - 4096, 1024))
        settings = ChunkSettings(
            read_block_size=cfg.mydumper.read_block_size, batch_bytes=batch,
            data_charset=cfg.mydumper.data_character_set, invalid_replace=cfg.mydumper.data_invalid_char_replace,
            batch_rows=cfg.tikv_importer.logical_import_batch_rows,
            backslash_escapes=backslash, checksums=self.checksums,
            csv_dialect=dialect, load_format=LoadFormat.of(dialect) if self._local else None,
            csv_header_match=cfg.mydumper.csv.header_schema_match, ledger=session.ledger,
            type_errors=self._type_errors(session, meta),
            max_row_size=max(max_packet, 1 << 20), tidb_target=self._target_kind == "TiDB",
            pauser=self.pauser, ignored=self._ignored(wanted))
        self._storage, self._settings = storage, settings
        workers = max(1, min(cfg.lightning.region_concurrency, sum(len(t.chunks) for t in tables)))
        sched = _Scheduler(tables, cfg.lightning.table_concurrency)
        self.progress.enter(TaskPhase.IMPORT)
        reporter = ProgressLogger(self.progress, cfg.cron.log_progress)
        reporter.start()
        post = PostPool(cfg.lightning.table_concurrency,
                        lambda: dbconn.connect(cfg.tidb, binary=True, extra=getattr(backend, "session", None)),
                        lambda target, conn: self._post(target, dbconn.querier(conn), session, Status.IMPORTED),
                        lambda target, e: self._fail(target_key(target), e, sched, session), self._stop)
        threads = [threading.Thread(target=self._worker, args=(sched, storage, settings, backend, session, post),
                                    name=f"region-{i}") for i in range(workers)]
        try:
            with llog.task(log, "restore all tables data", tables=len(tables), workers=workers):
                for th in threads:
                    th.start()
                for th in threads:
                    while th.is_alive():
                        th.join(0.2)
                        if self._stop.is_set():
                            sched.stop()
                self.progress.enter(TaskPhase.POST_RESTORE)
                post.finish()
                if self._errors:
                    raise self._errors[0]
        finally:
            reporter.stop()
            log.info(self.progress.line())
            skipped = sum(t.skipped for t in self.progress.tables.values())
            if skipped:
                log.warning("Detect %d data type errors in total, please refer to table %s for more "
                            "details", skipped, self.type_errors.table)

    def _type_errors(self, session, meta) -> TypeErrors | None:
        """The `max-error` budget, or None when the first refused row must stop the import."""
        cfg = self.cfg
        if cfg.lightning.max_error <= 0 or not cfg.lightning.task_info_schema_name:
            return None
        task = getattr(session, "task", None)
        budget = TypeErrors(cfg.lightning.task_info_schema_name,
                            task.task_id if task is not None else time.time_ns() // 1000,
                            cfg.lightning.max_error)
        budget.setup(meta)
        self.type_errors = budget
        return budget

    def _resume_post(self, target, meta, session, status: int) -> None:
        conn = dbconn.connect(self.cfg.tidb, binary=True)  # as a worker's: the checksum needs `binary`
        try:
            self._post(target, dbconn.querier(conn), session, status)
        except PostProcessError as e:
            session.table_failed(target_key(target), e, e.step_status)
            raise LightningError(str(e)) from None
        finally:
            conn.close()

    def _post(self, target, query, session, status: int) -> None:
        """Post-restore steps of one table (auto-increment, checksum, analyze) from `status`."""
        key = target_key(target)
        post_process(target, query, self.cfg, status, lambda st: session.set_status(key, st),
                     lambda step: self.progress.table_phase(key, TablePhase(step)),
                     None if self.checksums is None else lambda q: self._checksum(key, q),
                     (lambda q: self._build_indexes(target, q)) if self._local else None)
        if self.checksums is None and key in self.progress.tables:
            self.progress.tables[key].checksum = "off"
        self.progress.table_phase(key, TablePhase.DONE)

    def _regions(self, storage, f, dialect: CSVDialect) -> list[tuple[int, int]]:
        """A data file's chunks: a CSV file bigger than `max-region-size` is split where
        that is safe (see source/regions.py); any other file is one chunk."""
        md = self.cfg.mydumper
        if f.type != "csv" or f.compression or md.data_character_set != "binary":
            return [(0, f.size)]
        return regions.split(storage, f.path, f.size, dialect, md.max_region_size, md.strict_format)

    def _require_empty(self, wanted, planned, meta) -> None:
        """`local` imports into empty tables only (a table with committed progress is ours)."""
        full = []
        for key, (target, _) in wanted.items():
            if not planned[key][1] and key not in self._created and \
                    dbconn.query(meta, f"SELECT 1 FROM {target.qualified} LIMIT 1"):
                full.append(key)
        if full:
            raise TargetError(f"--backend local imports into empty tables only; these hold rows: "
                              f"{', '.join(full)}. Empty them, or use --backend tidb, which adds to them")

    def _take_indexes_off(self, wanted, planned, session, meta) -> None:
        """Before a table's first row: keep its secondary index definitions (on the target with
        the chunk progress), then drop them; `_build_indexes` puts them back after the rows."""
        query = dbconn.querier(meta)
        least = self.cfg.tikv_importer.index_engine_min_size
        for key, (target, chunks) in wanted.items():
            if planned[key][1] or key in self._indexes or sum(c.end_offset - c.offset for c in chunks) < least:
                continue
            found = indexes.secondary_indexes(indexes.show_create(query, target.qualified),
                                              self._backend.keeps_unique_keys)
            if session.ledger is not None:
                query(session.ledger.indexes_sql(key, found))
            self._indexes[key] = found
            dropped = indexes.drop(query, target.qualified, found)
            if dropped:
                log.info("%s: %d secondary index(es) off during the import: %s", key, len(dropped),
                         ", ".join(n for n, _ in dropped))

    def _build_indexes(self, target, query) -> None:
        key = target_key(target)
        kept = self._indexes.get(key)  # this run's, or an earlier run's read from the ledger
        todo = indexes.missing(query, target.qualified, kept) if kept else []
        if not todo:
            return
        with self._index_slots:
            failpoints.hit("indexes.before-build")  # rows in, indexes still off
            try:
                query(indexes.add_sql(target.qualified, todo))
            except TargetError as e:
                if getattr(e, "code", 0) != 1062:
                    raise
                bad = next((d for n, d in todo if n in str(e)), todo[0][1])
                raise PostProcessError(Status.INDEX_IMPORTED, f"{key}: a unique key is violated by the "
                                       f"imported rows, so its index cannot be built ({bad}): {e}"
                                       + indexes.duplicates_sample(query, target.qualified, bad)) from None
        log.info("%s: built %d index(es): %s", key, len(todo), ", ".join(n for n, _ in todo))

    def _checksum_before(self, wanted, planned, session, meta) -> None:
        """Before any row of a table is written: take the target's checksum of it (empty for
        a new table), so a table that already held rows is checked as before + source.  Kept in
        the ledger, so a resumed run compares against the same snapshot."""
        book = self.checksums
        ledger = session.ledger
        taken: set[str] = set()
        if ledger is not None:
            taken = ledger.snapshots(dbconn.querier(meta))
        snapshots = {}
        binary = None  # the checksum query needs a `binary` session
        for key, (target, _) in wanted.items():
            hasher = book.add_table(key, target)
            if key in taken or planned[key][1] or hasher.unsupported:
                continue  # taken by an earlier run; or rows were written without one (said later)
            occupied = key not in self._created and \
                dbconn.query(meta, f"SELECT EXISTS (SELECT 1 FROM {target.qualified})")[0][0]
            if not occupied:
                snapshots[key] = Digest()
                continue
            if binary is None:
                binary = dbconn.connect(self.cfg.tidb, binary=True)
            query = dbconn.querier(binary)
            snapshots[key] = self._in_zone(key, query, lambda: target_checksum(query, hasher))
            log.info("%s already holds %d rows: the checksum will compare it with those rows "
                     "plus the imported ones", key, snapshots[key].rows)
        if binary is not None:
            binary.close()
        if ledger is not None and snapshots:
            dbconn.query(meta, ledger.snapshot_sql(snapshots))
        book.before.update(snapshots)

    def _ignored(self, wanted) -> dict[str, frozenset]:
        """`mydumper.ignore-data-columns`, resolved per table imported."""
        rules = IgnoredColumns(self.cfg.mydumper.ignore_data_columns, self.cfg.mydumper.case_sensitive)
        out = {key: rules.of(target.schema, target.name) for key, (target, _) in wanted.items()}
        return {key: cols for key, cols in out.items() if cols}

    def chunks_of(self, table: str) -> list[Chunk]:
        """The table's chunks in this run (empty before its import is planned)."""
        return self._chunks.get(table, [])

    def status_of(self, table: str) -> int:
        """The table's checkpoint status (0 with checkpoints off or before they opened)."""
        return 0 if self._session is None else self._session.status(table)

    def _in_zone(self, key: str, query, fn):
        """Run `fn` with the session in the time zone the table's TIMESTAMPs were written in
        (the dump's `SET TIME_ZONE`), so they read back as the dump wrote them."""
        if key not in self._zones:
            return fn()
        saved = query("SELECT @@session.time_zone")[0][0]
        zone = self._zones[key]
        query("SET time_zone = @@global.time_zone" if zone is None else "SET time_zone = %s",
              None if zone is None else (zone,))
        try:
            return fn()
        finally:
            query("SET time_zone = %s", (dbconn.text(saved),))

    def _checksum(self, key: str, query) -> Outcome:
        book, ledger = self.checksums, getattr(self._session, "ledger", None)
        if ledger is not None:
            before, source, dups, why = ledger.source_checksum(query, key)
        else:
            st = self.progress.tables.get(key)
            before, source, dups, why = (book.before.get(key), book.source.get(key, Digest()),
                                         st.duplicates if st else 0, None)
        outcome = self._in_zone(key, query, lambda: verify(
            key, query, book.hashers[key], before, source, dups, why or book.unverified.get(key),
            self._target_kind, _Parallel(self.cfg.tidb, self._zones.get(key, KEEP_ZONE),
                                         self.cfg.tidb.checksum_table_concurrency)))
        if outcome.state == "mismatch" and outcome.remote.rows == outcome.local.rows and before \
                and not before.rows and key in self._chunks:
            st = self.progress.tables.get(key)
            columns = ("columns not compared: some rows were skipped as type errors" if st and st.skipped
                       else differing_columns(key, self._chunks[key], self._storage, self._settings,
                                              book.hashers[key], query))
            outcome = replace(outcome, message=f"{outcome.message}; {columns}")
        if key in self.progress.tables:
            self.progress.tables[key].checksum = outcome.state
        return outcome

    def _worker(self, sched: _Scheduler, storage, settings: ChunkSettings, backend, session,
                post: PostPool) -> None:
        writer = backend.writer()
        try:
            while (job := sched.next()) is not None:
                table, (chunk, state) = job
                try:
                    self.progress.chunk_started(chunk.table_key)
                    with llog.task(log, "restore chunk", quiet_start=True, table=chunk.table_key,
                                   file=chunk.display):
                        # `state` as the plan read it from the ledger (None: nothing committed)
                        import_chunk(chunk, storage, settings, writer, self.progress, self._stop, state,
                                     known=True)
                    if self.progress.chunk_done(chunk.table_key, (chunk.path, chunk.offset)):
                        st = self.progress.tables[chunk.table_key]
                        self.progress.timings.table.observe(time.monotonic() - st.started)
                        llog.kv(log, logging.INFO, "restore table completed", table=chunk.table_key,
                                rows=st.rows, bytes=st.bytes, duplicates=st.duplicates,
                                warnings=st.warnings)
                        failpoints.hit("restore.before-table-status")  # rows in, status not yet
                        session.set_status(chunk.table_key, Status.IMPORTED)
                        post.submit(chunk.target)
                except Cancelled:
                    return
                except BaseException as e:  # noqa: BLE001 - every failure must stop the import
                    self._fail(chunk.table_key, e, sched, session)
                    return
                finally:
                    sched.done(table)
        finally:
            writer.close()

    def _fail(self, key: str, e: BaseException, sched: _Scheduler, session) -> None:
        """A table failed (a chunk, or its post-restore steps): stop the import, record it."""
        self.progress.table_phase(key, TablePhase.FAILED)
        if not self._stop.is_set():
            self._errors.append(e)
            self._stop.set()
            if isinstance(e, PostProcessError):
                session.table_failed(key, e, e.step_status)
            elif isinstance(e, LightningError) and not e.retryable and not isinstance(e, Cancelled):
                # bad data or a refused row: the table needs a decision (ctl);
                # transient failures are not recorded, so a re-run just resumes
                session.table_failed(key, e)
        sched.stop()


KEEP_ZONE = object()  # `_Parallel`: the table has no TIMESTAMP, the zone does not matter


class _Parallel:
    """Runs statements on `width` connections of their own at once (the checksum's key
    ranges), in the session time zone the table's TIMESTAMPs are read in."""

    def __init__(self, tidb, zone, width: int) -> None:
        self.tidb, self.zone, self.width = tidb, zone, max(1, int(width))

    def __call__(self, sqls: list[str]) -> list[list[tuple]]:
        results: list = [None] * len(sqls)
        errors: list[BaseException] = []

        def run(i: int) -> None:
            try:
                conn = dbconn.connect(self.tidb, binary=True)
                try:
                    if self.zone is not KEEP_ZONE:
                        dbconn.query(conn, "SET time_zone = @@global.time_zone" if self.zone is None
                                     else "SET time_zone = %s", None if self.zone is None else (self.zone,))
                    results[i] = dbconn.query(conn, sqls[i])
                finally:
                    conn.close()
            except BaseException as e:  # noqa: BLE001 - raised below, in the caller's thread
                errors.append(e)

        threads = [threading.Thread(target=run, args=(i,), name=f"checksum-{i}") for i in range(len(sqls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results


def _rows_zone(storage, data_file) -> str | None:
    """The time zone a table's rows are written in: its first SQL file's `SET TIME_ZONE`, else
    the server's (CSV files have none)."""
    if data_file.type != "sql":
        return None
    with storage.open(data_file.path, data_file.compression) as f:
        return dump_time_zone(f.read(64 * 1024))

"""One chunk (a data file, or a byte range of one): read -> encode -> deliver.

SQL files pass through: the dump's VALUES text goes to the backend as is.  CSV rows are
turned into quoted literals (two C-level replaces per value).  Every error names the file
and the byte offset where the offending statement or row starts.
"""
from __future__ import annotations

import io
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import pymysql

from tidb_lightning import log as llog
from tidb_lightning.backend import db as dbconn
from tidb_lightning.encode.sql_literal import rows_to_values
from tidb_lightning.checkpoints.ledger import ChunkProgress, Ledger
from tidb_lightning.checksum.book import ChecksumBook
from tidb_lightning.checksum.hasher import Digest
from tidb_lightning.errors import (DataError, DataSyntaxError, LightningError, NotBuiltError,
                                   RetryableTargetError)
from tidb_lightning.parse.csv import CSVParser
from tidb_lightning.parse.csv_load import LoadBatch, LoadFormat, LoadScanner
from tidb_lightning.parse.parquet import ParquetReader
from tidb_lightning.parse.sql import NOT_RESUMING, SQLDumpParser, drop_fields, split_rows
from tidb_lightning.restore.pause import Pauser
from tidb_lightning.restore.target import TargetTable
from tidb_lightning.restore.type_errors import TypeErrors

log = logging.getLogger(__name__)


class Cancelled(LightningError):
    """The import is stopping (another chunk failed, or a signal): give up quietly."""

    quiet = True


@dataclass
class ChunkSettings:
    """What a chunk needs from the config, resolved once."""

    read_block_size: int
    batch_bytes: int
    batch_rows: int
    backslash_escapes: bool
    csv_dialect: object
    csv_header_match: bool
    max_row_size: int
    tidb_target: bool = False  # the target is TiDB (it takes `_tidb_rowid` values)
    ledger: Ledger | None = None  # chunk progress on the target; None = checkpoints off
    type_errors: TypeErrors | None = None  # `max-error` budget; None = the first refused row fails
    checksums: ChecksumBook | None = None  # source checksums; None = `post-restore.checksum = "off"`
    load_format: LoadFormat | None = None  # CSV goes by LOAD DATA in this dialect (local backend)
    data_charset: str = "binary"  # `mydumper.data-character-set`: files converted to UTF-8 unless binary
    invalid_replace: str = "\ufffd"  # `mydumper.data-invalid-char-replace`
    pauser: Pauser | None = None  # `PUT /pause` holds batches back; None = cannot be paused
    ignored: dict = field(default_factory=dict)  # table -> source columns left out (ignore-data-columns)


@dataclass
class Chunk:
    table_key: str  # `db`.`tbl`
    target: TargetTable
    path: str
    display: str  # path shown to users
    type: str
    compression: str
    size: int
    offset: int = 0  # the chunk is the byte range [offset, end_offset) of the file
    end: int | None = None
    bulk: bool = False  # local backend: a table big enough for a bulk load (see LocalWriter.set_bulk)

    @property
    def end_offset(self) -> int:
        return self.size if self.end is None else self.end


ROW_ID = "_tidb_rowid"


def _column_list(target: TargetTable, source_cols, display: str, offset: int,
                 tidb_target: bool = False, ignored: frozenset = frozenset()):
    """Target column list for a statement: the source's (checked), or the default; plus the
    positions of source values to leave out.

    A source column `_tidb_rowid` (TiDB's hidden row id; Dumpling can write it) is kept for
    a TiDB target, which accepts it, and left out with its values for other servers,
    which have no such column (unless the table really has one).  `ignored`: lower-cased
    source columns left out (`mydumper.ignore-data-columns`), whether the target has them
    or not; without a column list the source's columns are the table's own.
    """
    if source_cols is None:
        if not ignored:
            return (target.insertable if target.has_generated else None), ()
        source_cols = target.insertable
    real = {c.name.lower() for c in target.columns}

    def is_row_id(c: str) -> bool:
        return c.lower() == ROW_ID and ROW_ID not in real

    drop = tuple(i for i, c in enumerate(source_cols)
                 if c.lower() in ignored or (is_row_id(c) and not tidb_target))
    kept = [c for i, c in enumerate(source_cols) if i not in drop]
    known, unknown = target.resolve([c for c in kept if not is_row_id(c)])
    if unknown:
        raise DataSyntaxError(display, offset, f"unknown columns {unknown} for table "
                              f"{target.qualified} (its columns: {[c.name for c in target.columns]})")
    resolved = iter(known)
    return tuple(c if is_row_id(c) else next(resolved) for c in kept), drop


def _note_dropped(display: str, warned: set, ignored: frozenset = frozenset()) -> None:
    if ROW_ID not in warned:
        warned.add(ROW_ID)
        log.info("%s: leaving out the values of %s", display,
                 "the ignored columns " + ", ".join(sorted(ignored)) if ignored else
                 f"column {ROW_ID}: the target is not TiDB")


def _warn_missing(target: TargetTable, columns, display: str, warned: set,
                  ignored: frozenset = frozenset()) -> None:
    """Once per chunk and column list: name the insertable columns the data leaves out
    (the server fills their defaults), as upstream does; not those left out on purpose
    (`ignored`)."""
    if columns is None or columns in warned:
        return
    warned.add(columns)
    given = {c.lower() for c in columns} | ignored
    for name in target.insertable:
        if name.lower() not in given:
            llog.kv(log, logging.WARNING, "column missing from data file, going to fill with "
                    "default value", table=target.qualified, colName=name, file=display)


@dataclass
class _Run:
    """One pass over a chunk, from a start position; reports progress as it commits."""

    chunk: Chunk
    settings: ChunkSettings
    writer: object
    progress: object
    stop: threading.Event
    counted: int = 0  # source bytes of this chunk already reported to `progress`
    counted_rows: int = 0  # rows of this chunk already reported to `progress`
    stream: object = None  # the open file; a compressed one tells its progress in raw bytes
    row_units: int | None = None  # Parquet: positions are row numbers, of this many rows
    done_sent: bool = False  # the last batch's progress record already said "chunk done"
    mark: float = field(default_factory=time.monotonic)  # when the last batch was sent (timings)

    @property
    def ignored(self) -> frozenset:
        """The source columns of this chunk's table left out (`ignore-data-columns`)."""
        return self.settings.ignored.get(self.chunk.table_key, frozenset())

    @property
    def unit(self) -> str:
        return "offset" if self.row_units is None else "row"

    @property
    def decoded(self) -> bool:
        """The file is read decompressed or converted to UTF-8: offsets are in that text."""
        return bool(self.chunk.compression) or (self.settings.data_charset != "binary"
                                                 and self.chunk.type != "parquet")

    @property
    def data_end(self) -> int | None:
        """Where the chunk's rows end in the text the parsers read; None: at the file's end
        (a decoded file, whose offsets are not the file's)."""
        return None if self.decoded else self.chunk.end_offset

    def account(self, upto: int, rows: int = 0, duplicates: int = 0, warnings: int = 0,
                final: bool = False) -> None:
        """Report progress up to offset `upto` (`final`: the chunk's end), with the rows,
        duplicates and warnings since.  A decoded chunk's offsets are in its decoded text:
        its progress is the file's bytes read so far."""
        if self.row_units is not None and not final:
            upto = self.chunk.offset + self.chunk.size * upto // max(self.row_units, 1)
        elif self.decoded and not final:
            upto = self.chunk.offset + (self.stream.raw_tell() if self.stream is not None else 0)
        nbytes = max(min(upto, self.chunk.end_offset) - self.chunk.offset - self.counted, 0)
        self.counted += nbytes
        self.counted_rows += rows
        self.progress.record(self.chunk.table_key, nbytes=nbytes, rows=rows, duplicates=duplicates,
                             warnings=warnings)

    def account_committed(self, state: ChunkProgress) -> None:
        """On (re)start: report what earlier runs (or attempts) committed, once."""
        self.account(state.pos, max(state.rows - self.counted_rows, 0))

    def gate(self) -> None:
        """Before each batch: wait while the import is paused; give up when it is stopping."""
        if self.settings.pauser is not None:
            self.settings.pauser.wait(self.stop)
        if self.stop.is_set():
            raise Cancelled()

    def deliver(self, columns, values: bytes, offset: int, end: int, resume: object,
                rows: Callable[[], list[tuple[bytes, int]]], fields: list | None = None,
                style: int | None = None, last: bool = False) -> None:
        """Send one batch; with checkpoints, its progress record (and the source checksum of
        its rows) commits with it.  `rows` splits the batch into (row text, file offset) for
        the row-by-row retry of `max-error`; `fields`: the CSV rows `values` was built from;
        `style`: the parser already validated the batch for the checksum; `last`: the chunk's
        last batch, whose progress record also marks the chunk done (one commit fewer)."""
        self.gate()
        c, book = self.chunk, self.settings.checksums
        crcs = why = None
        if book is not None:
            crcs, why = book.crcs(c.table_key, columns, values if fields is None else fields,
                                  f"{c.display} at {self.unit} {offset}", style)
        digest = None if crcs is None else Digest.of(crcs)
        sent = self._sending()
        try:
            res = self.writer.write(c.target.qualified, columns, values,
                                    where=f"file {c.display} at {self.unit} {offset}",
                                    ledger_sql=self._ledger_sql(end, resume, digest, why, last))
            self._sent(sent)
        except DataError as e:
            if self.settings.type_errors is None or e.code in (0, 1062):
                raise
            res, digest = self._row_by_row(columns, rows(), end, resume, crcs, why, last)
        self._committed(res, digest, end, last)

    def load(self, names, cols, drop, batch: LoadBatch, last: bool) -> str:
        """Send one LOAD DATA batch with its progress record; returns why the server did not
        take it cleanly ("" when it did; then nothing of it was committed)."""
        self.gate()
        c, book = self.chunk, self.settings.checksums
        where = f"file {c.display} at offset {batch.start}"
        crcs, why = batch.crcs, None
        if book is not None and crcs is None:
            crcs, why = book.crcs(c.table_key, cols, _kept_fields(self._rows_of(batch), drop), where)
        digest = None if crcs is None else Digest.of(crcs)
        sent = self._sending()
        res, refused = self.writer.load(c.target.qualified, names, self.settings.load_format.clause(batch.crlf),
                                        batch.data, batch.rows, where,
                                        self._ledger_sql(batch.end, None, digest, why, last))
        self._sent(sent)
        if res is None:
            return refused
        self._committed(res, digest, batch.end, last)
        return ""

    def _sending(self) -> float:
        """A batch is about to go: the time since the last one was reading and encoding it."""
        now = time.monotonic()
        self.progress.timings.encode.observe(now - self.mark)
        return now

    def _sent(self, since: float) -> None:
        self.mark = time.monotonic()
        self.progress.timings.deliver.observe(self.mark - since)

    def _committed(self, res, digest: Digest | None, end: int, last: bool) -> None:
        """A batch committed up to `end`: its checksum and its progress count."""
        self.done_sent = last
        if self.settings.checksums is not None:
            self.settings.checksums.committed(self.chunk.table_key, digest)
        self.account(end, res.rows, res.duplicates, res.warnings)

    def _rows_of(self, batch: LoadBatch) -> list:
        """The batch's rows through the CSV parser (for the checksum of values the compiled
        scanner does not convert)."""
        parser = CSVParser(io.BytesIO(batch.data), self.settings.csv_dialect, self.chunk.display,
                           start=batch.start, block_size=len(batch.data) + 1, skip_header=False)
        return [row for block in parser.blocks(max_rows=batch.rows + 1, max_bytes=len(batch.data) + 1)
                for row in block.rows]

    def _ledger_sql(self, end: int, resume, digest: Digest | None, why: str | None, done: bool = False):
        ledger, c = self.settings.ledger, self.chunk
        if ledger is None:
            return None
        return lambda res: ledger.advance_sql(c.table_key, c.path, c.offset, end, res.rows, done=done,
                                              resume=None if done else resume, dups=res.duplicates,
                                              digest=digest, unverified=why)

    def _row_by_row(self, columns, rows: list[tuple[bytes, int]], end: int, resume, crcs, why,
                    last: bool = False):
        """Retry a refused batch one row at a time; record the refused rows (type_error_v1).
        Returns the write result and the checksum of the rows that went in."""
        budget, c = self.settings.type_errors, self.chunk
        refused: list[tuple[int, str]] = []
        if crcs is not None and len(crcs) != len(rows):  # cannot happen: both split the same text
            crcs, why = None, f"{c.display} at offset {rows[0][1]}: rows could not be matched to their checksums"

        def record(i: int, error: str) -> bytes:
            refused.append((i, error))
            row, at = rows[i]
            log.warning("%s: row at offset %d refused by the target, recorded as a type error: %s",
                        c.display, at, error)
            return budget.record_sql(c.table_key, c.display, at, error, row)

        def ledger_then_budget(res) -> bytes:
            budget.take(len(refused), c.table_key)  # raises (and rolls back) past max-error
            ledger_sql = self._ledger_sql(end, resume, kept(), why, last)
            return ledger_sql(res) if ledger_sql is not None else b"DO 0"

        def kept() -> Digest | None:
            if crcs is None:
                return None
            bad = {i for i, _ in refused}
            return Digest.of([h for i, h in enumerate(crcs) if i not in bad])

        res, bad = self.writer.write_rows(c.target.qualified, columns, [r for r, _ in rows],
                                          ledger_then_budget, record)
        self.progress.skip(c.table_key, bad)
        return res, kept()

    def finish(self) -> None:
        ledger = self.settings.ledger
        c = self.chunk
        if ledger is not None and not self.done_sent:
            self.writer.execute(ledger.advance_sql(c.table_key, c.path, c.offset, c.end_offset, 0,
                                                   done=True))  # rows and checksum stay as they are
        self.account(c.end_offset, final=True)


MAX_CHUNK_RETRIES = 6


def import_chunk(chunk: Chunk, storage, settings: ChunkSettings, writer, progress,
                 stop: threading.Event, state: ChunkProgress | None = None, known: bool = False) -> None:
    """Import one chunk, starting where `state` (its committed progress) says; `known`: the
    caller read it from the ledger in this run (None: nothing committed), else it is read here.

    With checkpoints on, a transient failure (server gone, connection reset) is retried with
    backoff: the chunk restarts from the progress committed on the target, so a batch whose
    commit was lost in flight is neither skipped nor sent twice.
    """
    if chunk.type not in ("sql", "csv", "parquet"):
        raise NotBuiltError(f"{chunk.display}: {chunk.type} data files are not supported yet")
    run = _Run(chunk, settings, writer, progress, stop)
    writer.set_bulk(chunk.bulk)
    attempt = 0
    while True:
        try:
            if state is None and settings.ledger is not None and not known:
                state = _read_state(settings.ledger, writer, chunk)
            if state is not None:
                run.account_committed(state)
                if state.done:
                    run.account(chunk.end_offset, final=True)
                    return
            with storage.open(chunk.path, chunk.compression, "binary" if chunk.type == "parquet"
                              else settings.data_charset, settings.invalid_replace) as stream:
                run.stream = stream
                if chunk.type == "sql":
                    _import_sql(run, stream, state)
                elif chunk.type == "csv":
                    _import_csv(run, stream, state)
                else:
                    _import_parquet(run, stream, state)
            run.finish()
            break
        except RetryableTargetError as e:
            attempt += 1
            if settings.ledger is None or attempt > MAX_CHUNK_RETRIES:
                hint = "re-run to resume" if settings.ledger is not None else \
                    "re-run the import (checkpoints are off: it starts from the beginning)"
                raise RetryableTargetError(f"{e}; gave up after {attempt - 1} retries; {hint}") from None
            delay = min(0.5 * 2 ** attempt, 20.0)
            log.warning("%s: transient error, retrying chunk from its last commit in %.1fs "
                        "(attempt %d of %d): %s", chunk.display, delay, attempt, MAX_CHUNK_RETRIES, e)
            writer.close()
            if stop.wait(delay):
                raise Cancelled() from None
            state, known = None, False  # a commit may have landed before the connection died
    if stop.is_set():  # the import failed while our last statement ran: not "completed"
        raise Cancelled()


def _with_last(items):
    """(item, is_last) for each item.  When reading the next item fails (bad input further
    on), the current one still goes out first, as without the look-ahead."""
    it = iter(items)
    try:
        current = next(it)
    except StopIteration:
        return
    while True:
        try:
            following = next(it)
        except StopIteration:
            yield current, True
            return
        except BaseException:
            yield current, False
            raise
        yield current, False
        current = following


def _read_state(ledger, writer, chunk: Chunk) -> ChunkProgress | None:
    try:
        with writer.cursor() as cur:
            return ledger.read(cur, chunk.table_key).get((chunk.path, chunk.offset))
    except pymysql.err.MySQLError as e:  # e.g. the server restarted while this worker was idle
        writer.close()
        raise dbconn.classify(e, "reading chunk progress from the target failed") from None


_TIME_ZONE = re.compile(rb"SET\s+(?:SESSION\s+|@@(?:SESSION\.)?)?TIME_ZONE\s*=\s*'([^']{1,64})'", re.I)


def dump_time_zone(head: bytes) -> str | None:
    """The `SET TIME_ZONE='...'` a dump's header asks for (mydumper/mysqldump write
    `/*!40103 SET TIME_ZONE='+00:00' */` and dump TIMESTAMPs in that zone), if any."""
    first_insert = re.search(rb"(?i)\b(?:INSERT|REPLACE)\b", head)
    m = _TIME_ZONE.search(head, 0, first_insert.start() if first_insert else len(head))
    return m.group(1).decode("ascii", "replace") if m else None


def _import_sql(run: _Run, stream, state: ChunkProgress | None) -> None:
    chunk, settings, writer = run.chunk, run.settings, run.writer
    head = stream.read(64 * 1024)
    writer.set_time_zone(dump_time_zone(head))
    pos, resume = chunk.offset, NOT_RESUMING
    if state is not None:
        pos = state.pos
        if state.resume is not None:
            resume = state.resume.get("columns")
    stream.seek(pos)
    book = settings.checksums
    parser = SQLDumpParser(stream, chunk.display, start=pos, block_size=settings.read_block_size,
                           backslash_escapes=settings.backslash_escapes,
                           max_batch_bytes=settings.batch_bytes, max_row_size=settings.max_row_size,
                           resume_columns=resume,
                           fast=None if book is None else book.fast_patterns(chunk.table_key))
    warned: set = set()
    ignored = run.ignored
    for batch, last in _with_last(parser.batches()):
        cols, drop = _column_list(chunk.target, batch.columns, chunk.display, batch.start_offset,
                                  settings.tidb_target, ignored)
        if batch.columns is not None:
            _warn_missing(chunk.target, cols, chunk.display, warned, ignored)
        values = batch.values
        if drop:
            _note_dropped(chunk.display, warned, ignored)
            try:
                width = len(batch.columns if batch.columns is not None else chunk.target.insertable)
                values = drop_fields(values, drop, width, settings.backslash_escapes)
            except ValueError as e:
                raise DataSyntaxError(chunk.display, batch.start_offset, str(e)) from None
        run.deliver(cols, values, batch.start_offset, batch.end_offset,
                    {"columns": None if batch.columns is None else list(batch.columns)}
                    if batch.mid_statement else None,
                    lambda b=batch, v=values: [(v[s:e], b.file_offset(s) if v is b.values else b.start_offset)
                                               for s, e in split_rows(v, settings.backslash_escapes)],
                    style=batch.style if values is batch.values else None, last=last)


def _import_parquet(run: _Run, stream, state: ChunkProgress | None) -> None:
    """Parquet rows as INSERT statements built by Arrow (see parse/parquet.py); positions in
    the checkpoint are row numbers."""
    chunk, settings = run.chunk, run.settings
    reader = ParquetReader(stream, chunk.display)
    run.row_units = reader.rows
    run.writer.set_time_zone("+00:00" if reader.has_utc else None)
    ignored = run.ignored
    cols, drop = _column_list(chunk.target, reader.columns, chunk.display, 0, settings.tidb_target, ignored)
    _warn_missing(chunk.target, cols, chunk.display, set(), ignored)
    if drop:
        _note_dropped(chunk.display, set(), ignored)
    keep = [i for i in range(len(reader.columns)) if i not in drop]
    start = state.pos if state is not None else 0
    for batch, last in _with_last(reader.batches(start, settings.batch_rows, keep)):
        run.deliver(cols, batch.values, batch.start, batch.end, None,
                    lambda b=batch: [(b.values[s:e], b.start + i)
                                     for i, (s, e) in enumerate(split_rows(b.values, True))], last=last)


def _import_csv(run: _Run, stream, state: ChunkProgress | None) -> None:
    chunk, settings = run.chunk, run.settings
    run.writer.set_time_zone(None)  # a CSV has no zone: not the one of the SQL dump run before
    parser = CSVParser(stream, settings.csv_dialect, chunk.display, block_size=settings.read_block_size,
                       max_row_size=settings.max_row_size)
    header = parser.read_header()
    ignored = run.ignored
    if header is not None and settings.csv_header_match:
        cols, drop = _column_list(chunk.target, header, chunk.display, 0, settings.tidb_target, ignored)
        expected = len(header)
        _warn_missing(chunk.target, cols, chunk.display, set(), ignored)
        if drop:
            _note_dropped(chunk.display, set(), ignored)
    else:
        cols, drop = _column_list(chunk.target, None, chunk.display, 0, ignored=ignored)
        expected = len(chunk.target.insertable)
    # a region after the file's first starts at a row; the header (read above) is the file's
    pos = state.pos if state is not None else max(chunk.offset, parser.position if header is not None else 0)
    if settings.load_format is not None and getattr(run.writer, "load", None) is not None:
        _load_or_parse(run, stream, pos, cols, drop, expected)
        return
    stream.seek(pos)
    parser = _parser_at(run, stream, pos, run.data_end)
    _deliver_blocks(run, _with_last(parser.blocks(max_rows=settings.batch_rows, max_bytes=settings.batch_bytes)),
                    cols, drop, expected)


ODD_ROWS = 256  # rows the parser takes at a time where the LOAD DATA scanner stopped
MAX_REFUSED = 2  # LOAD DATA batches the server may refuse (each sent twice) before a chunk gives up on it


def _parser_at(run: _Run, stream, pos: int, end: int | None = None) -> CSVParser:
    """A CSV parser from `pos` (a row's start) to `end` (rows starting before it; None: EOF)."""
    settings = run.settings
    return CSVParser(stream, settings.csv_dialect, run.chunk.display, start=pos, end=end,
                     block_size=settings.read_block_size, max_row_size=settings.max_row_size, skip_header=False)


def _deliver_blocks(run: _Run, blocks, cols, drop, expected: int, last_ok: bool = True) -> None:
    """CSV rows through the parser, as INSERT statements.  `blocks`: (block, is_last) pairs;
    `last_ok`: the last of them ends the chunk."""
    chunk, settings = run.chunk, run.settings
    for block, last in blocks:
        for i, row in enumerate(block.rows):
            if len(row) != expected:
                raise DataSyntaxError(
                    chunk.display, block.offsets[i],
                    f"column count mismatch for {chunk.target.qualified}: expected {expected} "
                    f"values, got {len(row)}")
        if block.rows:
            rows = _kept_fields(block.rows, drop)
            run.deliver(cols, rows_to_values(rows, settings.backslash_escapes),
                        block.offsets[0], block.end_offset, None,
                        lambda rows=rows, offsets=block.offsets: [
                            (rows_to_values([r], settings.backslash_escapes), at)
                            for r, at in zip(rows, offsets)], rows, last=last and last_ok)


def _kept_fields(rows: list, drop) -> list:
    return rows if not drop else [[v for i, v in enumerate(r) if i not in drop] for r in rows]


def _load_or_parse(run: _Run, stream, pos: int, cols, drop, expected: int) -> None:
    """The chunk's rows from `pos` by LOAD DATA; where the scanner stops, the next few rows
    through the parser, then LOAD DATA again.  A batch the server did not take cleanly is
    re-sent through the parser (and after MAX_REFUSED of them, the rest of the chunk)."""
    chunk, settings = run.chunk, run.settings
    refused, odd = 0, []  # odd: (offset, why) where the scanner stopped
    try:
        while True:
            left = _load_csv(run, stream, pos, cols, drop, expected)
            if left is None:
                return
            pos, upto, why = left
            if upto is not None:  # the server did not take [pos, upto) cleanly: through the parser
                refused += 1
                rest = refused >= MAX_REFUSED
                if rest:
                    log.info("%s: the server refused %d LOAD DATA batches: the rest goes as INSERT "
                             "statements", chunk.display, refused)
                stream.seek(pos)
                parser = _parser_at(run, stream, pos, run.data_end if rest else upto)
                _deliver_blocks(run, _with_last(parser.blocks(max_rows=settings.batch_rows,
                                                              max_bytes=settings.batch_bytes)),
                                cols, drop, expected, last_ok=rest)
                if rest:
                    return
                pos = upto
                continue
            stream.seek(pos)
            parser = _parser_at(run, stream, pos, run.data_end)
            odd.append((pos, why))
            first = next(_with_last(parser.blocks(max_rows=ODD_ROWS, max_bytes=settings.batch_bytes)), None)
            if first is None:
                return  # only blank lines were left
            _deliver_blocks(run, [first], cols, drop, expected)
            if first[1]:
                return
            pos = first[0].end_offset
    finally:
        if odd:
            log.info("%s: %d time(s) the LOAD DATA scanner stopped (first at offset %d: %s); up to %d "
                     "rows from there went through the CSV parser as INSERT statements",
                     chunk.display, len(odd), odd[0][0], odd[0][1], ODD_ROWS)


def _load_csv(run: _Run, stream, pos: int, cols, drop, expected: int) -> tuple[int, int | None, str] | None:
    """LOAD DATA batches of the chunk's rows from `pos`.  None when they all went; else
    (offset, None, why): the scanner stopped at a row there; or (start, end, why): the server
    did not take the batch [start, end) cleanly (rolled back)."""
    chunk, settings, book = run.chunk, run.settings, run.settings.checksums
    names = list(cols) if cols is not None else None
    positions = list(range(expected))
    if drop:
        kept = iter(cols)
        names = ["@skip" if i in drop else next(kept) for i in range(expected)]
        positions = [i for i in range(expected) if i not in drop]
    field_spec = None if book is None else book.field_spec(chunk.table_key, cols, positions)
    stream.seek(pos)
    scanner = LoadScanner(stream, settings.load_format, expected, pos, run.data_end,
                          block_size=settings.read_block_size, batch_bytes=settings.batch_bytes,
                          batch_rows=settings.batch_rows, max_row_size=settings.max_row_size,
                          spec=field_spec and field_spec[0], order=field_spec and field_spec[1])
    for batch, last in _with_last(scanner.batches()):
        why = run.load(names, cols, drop, batch, last and scanner.stopped_at is None)
        if why:
            log.info("%s: rows at offsets %d-%d go again as INSERT statements: %s",
                     chunk.display, batch.start, batch.end, why)
            return batch.start, batch.end, why
    if scanner.stopped_at is None:
        return None
    return scanner.stopped_at, None, scanner.why

"""One chunk (a data file, or a byte range of one): read -> encode -> deliver.

SQL files pass through: the dump's VALUES text goes to the backend as is.  CSV rows are
turned into quoted literals (two C-level replaces per value).  Every error names the file
and the byte offset where the offending statement or row starts.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

from tidb_lightning import log as llog
from tidb_lightning.encode.sql_literal import rows_to_values
from tidb_lightning.errors import DataSyntaxError, LightningError, NotBuiltError
from tidb_lightning.parse.csv import CSVParser
from tidb_lightning.parse.sql import SQLDumpParser, drop_fields
from tidb_lightning.restore.target import TargetTable

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


@dataclass
class Chunk:
    table_key: str  # `db`.`tbl`
    target: TargetTable
    path: str
    display: str  # path shown to users
    type: str
    compression: str
    size: int


ROW_ID = "_tidb_rowid"


def _column_list(target: TargetTable, source_cols, display: str, offset: int,
                 tidb_target: bool = False):
    """Target column list for a statement: the source's (checked), or the default; plus the
    positions of source values to leave out.

    A source column `_tidb_rowid` (TiDB's hidden row id; Dumpling can write it) is kept for
    a TiDB target, which accepts it, and left out with its values for other servers,
    which have no such column (unless the table really has one).
    """
    if source_cols is None:
        return (target.insertable if target.has_generated else None), ()
    real = {c.name.lower() for c in target.columns}
    row_id = [i for i, c in enumerate(source_cols) if c.lower() == ROW_ID and ROW_ID not in real]
    known, unknown = target.resolve([c for i, c in enumerate(source_cols) if i not in row_id])
    if unknown:
        raise DataSyntaxError(display, offset, f"unknown columns {unknown} for table "
                              f"{target.qualified} (its columns: {[c.name for c in target.columns]})")
    if row_id and tidb_target:
        for i in row_id:
            known.insert(i, source_cols[i])
        return tuple(known), ()
    return tuple(known), tuple(row_id)


def _note_dropped(display: str, warned: set) -> None:
    if ROW_ID not in warned:
        warned.add(ROW_ID)
        log.info("%s: leaving out column %s and its values: the target is not TiDB", display, ROW_ID)


def _warn_missing(target: TargetTable, columns, display: str, warned: set) -> None:
    """Once per chunk and column list: name the insertable columns the data leaves out
    (the server fills their defaults), as upstream does."""
    if columns is None or columns in warned:
        return
    warned.add(columns)
    given = {c.lower() for c in columns}
    for name in target.insertable:
        if name.lower() not in given:
            llog.kv(log, logging.WARNING, "column missing from data file, going to fill with "
                    "default value", table=target.qualified, colName=name, file=display)


def import_chunk(chunk: Chunk, storage, settings: ChunkSettings, writer, progress,
                 stop: threading.Event) -> None:
    if chunk.compression:
        raise NotBuiltError(f"{chunk.display}: compressed data files ({chunk.compression}) are not "
                            f"supported yet; decompress the file first")
    if chunk.type not in ("sql", "csv"):
        raise NotBuiltError(f"{chunk.display}: {chunk.type} data files are not supported yet")
    with storage.open(chunk.path) as stream:
        if chunk.type == "sql":
            _import_sql(chunk, stream, settings, writer, progress, stop)
        else:
            _import_csv(chunk, stream, settings, writer, progress, stop)
    if stop.is_set():  # the import failed while our last statement ran: not "completed"
        raise Cancelled()


def _deliver(chunk, writer, progress, columns, values: bytes, offset: int, nbytes: int) -> None:
    res = writer.write(chunk.target.qualified, columns, values,
                       where=f"file {chunk.display} at offset {offset}")
    progress.record(chunk.table_key, nbytes=nbytes, rows=res.rows, duplicates=res.duplicates,
                    warnings=res.warnings)


_TIME_ZONE = re.compile(rb"SET\s+(?:SESSION\s+|@@(?:SESSION\.)?)?TIME_ZONE\s*=\s*'([^']{1,64})'", re.I)


def dump_time_zone(head: bytes) -> str | None:
    """The `SET TIME_ZONE='...'` a dump's header asks for (mydumper/mysqldump write
    `/*!40103 SET TIME_ZONE='+00:00' */` and dump TIMESTAMPs in that zone), if any."""
    first_insert = re.search(rb"(?i)\b(?:INSERT|REPLACE)\b", head)
    m = _TIME_ZONE.search(head, 0, first_insert.start() if first_insert else len(head))
    return m.group(1).decode("ascii", "replace") if m else None


def _import_sql(chunk, stream, settings, writer, progress, stop) -> None:
    head = stream.read(64 * 1024)
    stream.seek(0)
    writer.set_time_zone(dump_time_zone(head))
    parser = SQLDumpParser(stream, chunk.display, block_size=settings.read_block_size,
                           backslash_escapes=settings.backslash_escapes,
                           max_batch_bytes=settings.batch_bytes, max_row_size=settings.max_row_size)
    done = 0
    warned: set = set()
    for batch in parser.batches():
        if stop.is_set():
            raise Cancelled()
        cols, drop = _column_list(chunk.target, batch.columns, chunk.display, batch.start_offset,
                                  settings.tidb_target)
        if batch.columns is not None:
            _warn_missing(chunk.target, cols, chunk.display, warned)
        values = batch.values
        if drop:
            _note_dropped(chunk.display, warned)
            try:
                values = drop_fields(values, drop, len(batch.columns), settings.backslash_escapes)
            except ValueError as e:
                raise DataSyntaxError(chunk.display, batch.start_offset, str(e)) from None
        _deliver(chunk, writer, progress, cols, values, batch.start_offset,
                 batch.end_offset - done)
        done = batch.end_offset
    progress.record(chunk.table_key, nbytes=chunk.size - done, rows=0, duplicates=0, warnings=0)


def _import_csv(chunk, stream, settings, writer, progress, stop) -> None:
    writer.set_time_zone(None)  # a CSV has no zone: not the one of the SQL dump run before
    parser = CSVParser(stream, settings.csv_dialect, chunk.display,
                       block_size=settings.read_block_size, max_row_size=settings.max_row_size)
    header = parser.read_header()
    if header is not None and settings.csv_header_match:
        cols, drop = _column_list(chunk.target, header, chunk.display, 0, settings.tidb_target)
        expected = len(header)
        _warn_missing(chunk.target, cols, chunk.display, set())
        if drop:
            _note_dropped(chunk.display, set())
    else:
        cols, drop = _column_list(chunk.target, None, chunk.display, 0)
        expected = len(chunk.target.insertable)
    done = 0
    for block in parser.blocks(max_rows=settings.batch_rows, max_bytes=settings.batch_bytes):
        if stop.is_set():
            raise Cancelled()
        for i, row in enumerate(block.rows):
            if len(row) != expected:
                raise DataSyntaxError(
                    chunk.display, block.offsets[i],
                    f"column count mismatch for {chunk.target.qualified}: expected {expected} "
                    f"values, got {len(row)}")
        if block.rows:
            rows = block.rows if not drop else \
                [[v for i, v in enumerate(r) if i not in drop] for r in block.rows]
            _deliver(chunk, writer, progress, cols,
                     rows_to_values(rows, settings.backslash_escapes),
                     block.offsets[0], block.end_offset - done)
        done = block.end_offset
    progress.record(chunk.table_key, nbytes=chunk.size - done, rows=0, duplicates=0, warnings=0)

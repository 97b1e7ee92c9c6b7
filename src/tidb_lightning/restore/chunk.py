"""One chunk (a data file, or a byte range of one): read -> encode -> deliver.

SQL files pass through: the dump's VALUES text goes to the backend as is.  CSV rows are
turned into quoted literals (two C-level replaces per value).  Every error names the file
and the byte offset where the offending statement or row starts.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from tidb_lightning.encode.sql_literal import rows_to_values
from tidb_lightning.errors import DataSyntaxError, LightningError, NotBuiltError
from tidb_lightning.parse.csv import CSVParser
from tidb_lightning.parse.sql import SQLDumpParser
from tidb_lightning.restore.target import TargetTable


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


@dataclass
class Chunk:
    table_key: str  # `db`.`tbl`
    target: TargetTable
    path: str
    display: str  # path shown to users
    type: str
    compression: str
    size: int


def _column_list(target: TargetTable, source_cols, display: str, offset: int):
    """Target column list for a statement: the source's (checked), or the default."""
    if source_cols is None:
        return target.insertable if target.has_generated else None
    known, unknown = target.resolve(source_cols)
    if unknown:
        raise DataSyntaxError(display, offset, f"unknown columns {unknown} for table "
                              f"{target.qualified} (its columns: {[c.name for c in target.columns]})")
    return tuple(known)


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
    for batch in parser.batches():
        if stop.is_set():
            raise Cancelled()
        cols = _column_list(chunk.target, batch.columns, chunk.display, batch.start_offset)
        _deliver(chunk, writer, progress, cols, batch.values, batch.start_offset,
                 batch.end_offset - done)
        done = batch.end_offset
    progress.record(chunk.table_key, nbytes=chunk.size - done, rows=0, duplicates=0, warnings=0)


def _import_csv(chunk, stream, settings, writer, progress, stop) -> None:
    parser = CSVParser(stream, settings.csv_dialect, chunk.display,
                       block_size=settings.read_block_size, max_row_size=settings.max_row_size)
    header = parser.read_header()
    if header is not None and settings.csv_header_match:
        cols = _column_list(chunk.target, header, chunk.display, 0)
        expected = len(cols)
    else:
        cols = _column_list(chunk.target, None, chunk.display, 0)
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
            _deliver(chunk, writer, progress, cols,
                     rows_to_values(block.rows, settings.backslash_escapes),
                     block.offsets[0], block.end_offset - done)
        done = block.end_offset
    progress.record(chunk.table_key, nbytes=chunk.size - done, rows=0, duplicates=0, warnings=0)

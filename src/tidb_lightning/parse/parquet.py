"""Parquet data files: record batches read with pyarrow (bounded: a batch of rows at a time)
and turned into SQL `VALUES` text by Arrow's compute kernels, column by column, with no
Python per value.

Types: integers, floats, decimals (their exact text), booleans (1/0), strings and binaries
(quoted, with mysqldump's escapes), dates, times, timestamps; dictionary-encoded columns are
decoded first.  Timestamps stored as UTC instants (`isAdjustedToUTC`, a time zone in Arrow)
are written as UTC and sent on a `+00:00` session: a TIMESTAMP column gets the same instant,
a DATETIME column its UTC wall time.  Timestamps without a zone are written as they are.
Nested types (lists, structs, maps) are refused, naming the column.

A chunk's positions are row numbers: a resumed chunk skips the committed rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Iterator

from tidb_lightning.errors import DataSyntaxError

_ESCAPES = (("\\", "\\\\"), ("'", "\\'"), ("\x00", "\\0"), ("\n", "\\n"), ("\r", "\\r"), ("\x1a", "\\Z"))


@dataclass
class ParquetBatch:
    start: int      # row number of the batch's first row
    end: int        # row number after its last row
    values: bytes   # `(...),\n(...)`


class ParquetReader:
    """Batches of rows of one Parquet file, as SQL VALUES text."""

    def __init__(self, stream: BinaryIO, display: str) -> None:
        import pyarrow.parquet as pq
        self.display = display
        try:
            self.file = pq.ParquetFile(stream)
        except Exception as e:  # noqa: BLE001 - pyarrow's own errors: unreadable file
            raise DataSyntaxError(display, 0, f"not a readable Parquet file: {e}") from None
        self.schema = self.file.schema_arrow
        self.columns = list(self.schema.names)
        self.rows = self.file.metadata.num_rows
        self.has_utc = any(_is_utc(f.type) for f in self.schema)

    def batches(self, start: int, batch_rows: int, keep: list[int] | None = None) -> Iterator[ParquetBatch]:
        """From row `start`, batches of at most `batch_rows` rows (and 1024 at most: Arrow's
        work per batch stays small), of the columns `keep` (None: all)."""
        meta = self.file.metadata
        first, at = 0, 0
        while first < meta.num_row_groups and at + meta.row_group(first).num_rows <= start:
            at += meta.row_group(first).num_rows
            first += 1
        skip = start - at
        rows = max(1, min(batch_rows, 1024))
        groups = list(range(first, meta.num_row_groups))
        if not groups:
            return
        pos = start
        try:
            for rb in self.file.iter_batches(batch_size=rows, row_groups=groups):
                if skip:
                    cut = min(skip, rb.num_rows)
                    rb, skip = rb.slice(cut), skip - cut
                    if rb.num_rows == 0:
                        continue
                if keep is not None and len(keep) != rb.num_columns:
                    rb = rb.select(keep)
                for piece in _pieces(rb, batch_rows):
                    values = self._values(piece, pos)
                    yield ParquetBatch(pos, pos + piece.num_rows, values)
                    pos += piece.num_rows
        except DataSyntaxError:
            raise
        except Exception as e:  # noqa: BLE001 - a corrupt page or an unreadable column
            raise DataSyntaxError(self.display, pos, f"reading the Parquet file failed at row {pos}: {e}") from None

    def _values(self, rb, pos: int) -> bytes:
        import pyarrow as pa
        import pyarrow.compute as pc
        cols = [_literals(rb.column(i), f, self.display, pos) for i, f in enumerate(rb.schema)]
        rows = pc.binary_join_element_wise(*cols, _b(",")) if len(cols) > 1 else cols[0]
        rows = pc.binary_join_element_wise(_b("("), rows, _b(")"), _b(""))
        joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows),
                                _b(",\n"))
        return joined[0].as_py()


def _pieces(rb, most: int):
    for i in range(0, rb.num_rows, max(1, most)):
        yield rb.slice(i, most)


def _is_utc(t) -> bool:
    import pyarrow as pa
    return pa.types.is_timestamp(t) and t.tz is not None


def _literals(arr, field, display: str, pos: int):
    """One column's values as SQL literals (a string array, NULL as `NULL`)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_null(t):
        return pa.array([b"NULL"] * len(arr), pa.large_binary())
    if pa.types.is_boolean(t):
        out = pc.if_else(arr, _b("1"), _b("0"))
    elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        out = pc.cast(arr, pa.large_string())
    elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) \
            or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        out = _quoted(arr.cast(pa.large_binary()))
    elif pa.types.is_timestamp(t):
        if t.tz is not None:
            arr = pc.cast(arr, pa.timestamp(t.unit))  # the UTC wall time of the instant
        fmt = "%Y-%m-%d %H:%M:%S"  # with the unit's fraction digits
        out = _quoted(pc.strftime(arr, format=fmt).cast(pa.large_binary()))
    elif pa.types.is_date(t) or pa.types.is_time(t):
        out = _quoted(pc.cast(arr, pa.large_string()).cast(pa.large_binary()))
    else:
        raise DataSyntaxError(display, pos, f"column {field.name} has Parquet/Arrow type {t}, which "
                                            f"cannot be imported into a SQL column")
    return pc.fill_null(out.cast(pa.large_binary()), _b("NULL"))


def _quoted(arr):
    import pyarrow.compute as pc
    for raw, escaped in _ESCAPES:
        arr = pc.replace_substring(arr, raw.encode(), escaped.encode())
    return pc.binary_join_element_wise(_b("'"), arr, _b("'"), _b(""))


def _b(text: str):
    import pyarrow as pa
    return pa.scalar(text.encode(), pa.large_binary())

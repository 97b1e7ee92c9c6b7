"""CSV rows for `LOAD DATA LOCAL INFILE`: the file's own bytes, cut into batches of whole rows.

The compiled core's scanner (`_csv.c`) finds the row boundaries, checks that the server's
LOAD DATA will read every row of a batch exactly as upstream's CSV rules (:mod:`parse.csv`)
do, and computes the rows' checksum CRCs in the same pass.  At the first row where the two
readings could differ (the bare word NULL, a lone "\\r" ending a row, a stray quote, a wrong
field count, ...) it stops; the caller reads the rest with :class:`~parse.csv.CSVParser`, which
reports real errors with their offsets.
"""
from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from tidb_lightning.core import compiled as _core
from tidb_lightning.parse.csv import BOM, CSVDialect

WHY_FULL, WHY_BUFFER, WHY_UNSAFE, WHY_TERMINATOR = range(4)


def _sql_string(b: bytes) -> bytes:
    """A hex literal: the same whatever the session's sql_mode (NO_BACKSLASH_ESCAPES)."""
    return b"0x" + b.hex().encode() if b else b"''"


@dataclass(frozen=True)
class LoadFormat:
    """A CSV dialect as LOAD DATA clauses (None from :meth:`of` when it cannot be one)."""

    sep: bytes
    quote: bytes
    escape: bytes
    term: int       # 0: "\n" or "\r\n" (per batch), 1: "\n", 2: "\r\n"
    null_ok: bool   # a field that is exactly \N is NULL for upstream too

    @classmethod
    def of(cls, d: CSVDialect) -> "LoadFormat | None":
        terms = {b"": 0, b"\n": 1, b"\r\n": 2}
        tokens = [t for t in (d.separator, d.delimiter, d.escape) if t]
        if (_core is None or len(d.separator) != 1 or len(d.delimiter) > 1 or d.escape not in (b"", b"\\")
                or d.terminator not in terms or d.trim_last_separator or len(set(tokens)) != len(tokens)
                or {b"\r", b"\n"} & set(tokens)):
            return None
        nulls = set() if d.not_null else set(d.null)
        if not nulls <= {b"\\N"}:
            return None  # other NULL spellings: LOAD DATA has no way to say them
        return cls(d.separator, d.delimiter, d.escape, terms[d.terminator],
                   bool(nulls) and d.escape == b"\\")

    def clause(self, crlf: bool) -> bytes:
        """FIELDS ... LINES ... for a batch (whose rows end with "\\r\\n" when `crlf`)."""
        term = b"\r\n" if (self.term == 2 or (self.term == 0 and crlf)) else b"\n"
        return (b"FIELDS TERMINATED BY " + _sql_string(self.sep) + b" ENCLOSED BY " + _sql_string(self.quote)
                + b" ESCAPED BY " + _sql_string(self.escape) + b" LINES TERMINATED BY " + _sql_string(term))


@dataclass
class LoadBatch:
    data: memoryview     # of the scanner's buffer: no copy
    start: int            # file offset of the first row
    end: int              # file offset just after the last row
    rows: int
    crlf: bool
    crcs: list[int] | None  # None: no checksum asked, or a value the scanner does not convert


class LoadScanner:
    """Batches of [start, end) of one CSV file (end None: to EOF); stops early at a row not
    for LOAD DATA, and then `stopped_at` says where the rest begins (None: all read)."""

    def __init__(self, stream: BinaryIO, fmt: LoadFormat, ncols: int, start: int, end: int | None, *,
                 block_size: int, batch_bytes: int, batch_rows: int, max_row_size: int,
                 spec: bytes | None = None, order: list[int] | None = None) -> None:
        self.stream, self.fmt, self.ncols = stream, fmt, ncols
        self.start, self.end = start, end
        self.block_size = max(block_size, 4 * batch_bytes)  # few concatenations of a batch's tail
        self.batch_bytes, self.batch_rows, self.max_row = batch_bytes, batch_rows, max_row_size
        self.spec = spec
        self.order = None if order is None else array("i", order).tobytes()
        self.stopped_at: int | None = None
        self.why: str = ""

    def batches(self) -> Iterator[LoadBatch]:
        f = self.fmt
        args = (ord(f.sep), f.quote[0] if f.quote else -1, f.escape[0] if f.escape else -1,
                f.term, f.null_ok, self.ncols, self.spec, self.order)
        base, buf, p = self.start, b"", 0
        left = sys.maxsize if self.end is None else self.end - self.start
        if self.start == 0:
            head = self.stream.read(min(len(BOM), left))
            left -= len(head)
            if head == BOM:
                base = len(BOM)
            else:
                buf = head
        need = self.batch_bytes + 4
        while True:
            while left > 0 and len(buf) - p < need:
                data = self.stream.read(min(self.block_size, left))
                if not data:
                    left = 0
                    break
                left -= len(data)
                base, buf, p = base + p, buf[p:] + data, 0
            final = left <= 0
            end, rows, crlf, why, crcs = _core.csv_scan(buf, p, final, self.batch_bytes, self.batch_rows, *args)
            if rows:
                yield LoadBatch(memoryview(buf)[p:end], base + p, base + end, rows, bool(crlf), crcs)
                p = end
            if why == WHY_UNSAFE:
                return self._stop(base + p, "a row LOAD DATA could read differently from upstream's CSV rules (the word NULL, a lone \\r, a stray quote, a wrong field count, ...)")
            if why == WHY_BUFFER and final:
                if p < len(buf):
                    return self._stop(base + p, "an incomplete last row")
                return None
            if why == WHY_BUFFER and not rows and len(buf) - p > self.max_row:
                return self._stop(base + p, "a row larger than max-row-size")
            # a row longer than the buffer holds: read until it fits
            need = 2 * (len(buf) - p) if why == WHY_BUFFER and not rows else self.batch_bytes + 4

    def _stop(self, offset: int, why: str) -> None:
        self.stopped_at, self.why = offset, why

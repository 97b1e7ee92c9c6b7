"""Streaming CSV parser with upstream TiDB Lightning semantics (``mydump/csv_parser.go``).

How it works (no per-byte Python loop anywhere):

* A ``_Grammar`` compiles, once per dialect, possessive regexes for a field
  (``"quoted"`` or unquoted), a whole row ``F (SEP F)* TERM`` and a few helpers.
  Tokens are recognised with upstream's priorities: outside quotes terminator, then
  separator, then opening delimiter, then escape; inside quotes closing delimiter
  (a doubled one is a literal), then escape.
* ``findall(ROW | .++)`` cuts a whole read buffer into complete rows in one C call.
  The catch-all alternative swallows whatever follows the last complete row (an
  incomplete row, or a syntax error), so the scan never restarts inside garbage.
* Fields: a row without delimiter/escape bytes is ``bytes.split(SEP)``; other rows
  go through one ``findall`` of the field pattern; only values holding the escape
  byte are unescaped (``re.split`` + ``b"".join``).
* When the leftover does not parse as a complete row, ``_diagnose`` decides with
  one more regex whether more data is needed or the input is malformed, so a syntax
  error in a big file is reported at once, not after reading ``max_row_size`` bytes.

Memory: the buffer holds the unparsed rest of one read block plus the current
row (reads grow geometrically only while a single row does not fit), the
parsed rows of one buffer and the block being built.
"""
from __future__ import annotations

import re
import typing
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Iterator

from tidb_lightning.errors import DataSyntaxError

__all__ = ["CSVDialect", "RowBlock", "CSVParser", "BOM"]

BOM = b"\xef\xbb\xbf"

ERR_UNTERMINATED = "unterminated quoted field"
ERR_NO_SEPARATOR = "cannot have consecutive fields without separator"
ERR_BACKSLASH = "no character after backslash"
ERR_TOO_LARGE = "row is larger than max-row-size ({} bytes); is a quote unterminated?"

# `\x` -> replacement; any byte not listed stands for itself (LOAD DATA / upstream `unescape`).
_UNESCAPE_SPECIAL = {b"0": b"\0", b"b": b"\b", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a"}
_UNESCAPE_TABLE = {bytes([i]): _UNESCAPE_SPECIAL.get(bytes([i]), bytes([i])) for i in range(256)}
_unescape_byte = _UNESCAPE_TABLE.__getitem__

_INCOMPLETE = 0
_EOF_ROW = 1


@dataclass(frozen=True)
class CSVDialect:
    """Plain values, built by the caller from ``[mydumper.csv]``."""

    separator: bytes = b","        # one or more bytes, non-empty
    delimiter: bytes = b'"'        # may be empty (no quoting)
    terminator: bytes = b""        # b"" = \r, \n or \r\n end a row
    header: bool = True
    not_null: bool = False
    null: tuple[bytes, ...] = (b"\\N",)
    escape: bytes = b"\\"          # b"" = no backslash escapes; else one byte
    trim_last_separator: bool = False


@dataclass
class RowBlock:
    rows: list[list[bytes | None]]   # unescaped field values; None = SQL NULL
    offsets: list[int]               # absolute byte offset in the file where each row starts
    end_offset: int                  # absolute offset just after the last row of this block


def _cls(bs: typing.Iterable[int]) -> bytes:
    """Body of a character class holding the bytes `bs`."""
    return b"".join(re.escape(bytes([b])) for b in sorted(set(bs)))


class _Grammar:
    """Everything derived from a dialect: compiled patterns and conversion sets."""

    def __init__(self, d: CSVDialect) -> None:
        sep, delim, term, esc = d.separator, d.delimiter, d.terminator, d.escape
        if not sep:
            raise ValueError("CSV separator must not be empty")
        if len(esc) > 1:
            raise ValueError("CSV escape must be empty or a single byte")
        self.sep, self.delim, self.term, self.esc = sep, delim, term, esc
        self.dd = delim + delim
        self.trim = d.trim_last_separator
        S, D, E = re.escape(sep), re.escape(delim), re.escape(esc)
        if term:
            T = re.escape(term)
            look_t = T
            term_first = {term[0]}
        else:
            T = rb"(?:\r\n|\r|\n)"
            look_t = rb"[\r\n]"
            term_first = {13, 10}
        firsts = [sep[0], *term_first] + ([delim[0]] if delim else []) + ([esc[0]] if esc else [])
        # single-byte, pairwise distinct tokens: no lookahead needed to tell tokens apart
        simple = (len(sep) == 1 and len(delim) <= 1 and len(term) <= 1
                  and len(firsts) == len(set(firsts)))
        fu = _cls(firsts)
        fq = _cls([delim[0]] + ([esc[0]] if esc else [])) if delim else b""
        if simple:
            u = (rb"(?:[^%s]++|%s.)*+" % (fu, E)) if esc else (rb"[^%s]*+" % fu)
            qi = (rb"(?:[^%s]++|%s%s|%s.)*+" % (fq, D, D, E)) if esc else (rb"(?:[^%s]++|%s%s)*+" % (fq, D, D))
            qstart = D
            sepg = S
        else:
            # upstream priorities: terminator, separator, opening delimiter, escape, plain byte
            look = rb"(?:" + b"|".join([look_t, S] + ([D] if delim else [])) + rb")"
            if esc:
                u = rb"(?:[^%s]++|(?!%s)%s.|(?!%s|%s).)*+" % (fu, look, E, look, E)
                qi = rb"(?:[^%s]++|%s%s|(?!%s)%s.|(?!%s|%s).)*+" % (fq, D, D, D, E, D, E)
            else:
                u = rb"(?:[^%s]++|(?!%s).)*+" % (fu, look)
                qi = rb"(?:[^%s]++|%s%s|(?!%s).)*+" % (fq, D, D, D)
            qstart = rb"(?!%s|%s)%s" % (look_t, S, D)
            sepg = rb"(?!%s)%s" % (look_t, S)
        if delim:
            f = rb"(?:%s%s%s|%s)" % (qstart, qi, D, u)
            fcap = rb"(?:%s(%s)%s|(%s))" % (qstart, qi, D, u)
        else:
            f = u
            fcap = rb"(%s)" % u
        self._f, self._sepg, self._t = f, sepg, T
        row = rb"%s(?:%s%s)*+%s" % (f, sepg, f, T)
        flags = re.DOTALL
        self.row = re.compile(row, flags)
        self.rows_findall = re.compile(rb"%s|.++" % row, flags).findall
        self.diag = re.compile(rb"(?:%s%s)*+(%s)" % (f, sepg, f), flags)
        self.qstart = re.compile(qstart, flags) if delim else None
        self.qopen = re.compile(qstart + qi, flags) if delim else None
        self.field1 = re.compile(fcap, flags)
        self.sepm = re.compile(sepg, flags)
        # findall over validated rows: one item per field (followed by its separator or
        # terminator).  One capture group when possible, so findall returns bytes, not tuples:
        # in the simple dialect the byte before a field start is never the delimiter, so a
        # look-behind tells a quoted field from an unquoted one.
        if not delim:
            self.single = True
            fields = rb"%s(?:%s|%s)" % (fcap, sepg, T)
        elif simple:
            self.single = True
            fields = rb"%s?+((?<=%s)%s|(?<!%s)%s)%s?+(?:%s|%s)" % (D, D, qi, D, u, D, sepg, T)
        else:
            self.single = False
            fields = rb"%s(?:%s|%s)" % (fcap, sepg, T)
        self.fields_findall = re.compile(fields, flags).findall
        self._rows_n: dict[int, typing.Callable] = {}
        self.lookahead = max(len(sep), len(term), 2 * len(delim), 2) + 1
        dd, dl = self.dd, delim
        if len(delim) > 1 and esc:
            collapse_re = re.compile(rb"%s%s|(?!%s)%s." % (D, D, D, E), flags)
            self.collapse = lambda q: collapse_re.sub(lambda m: dl if m.group() == dd else m.group(), q)
        else:
            # exact for a one-byte delimiter (even with escapes) and for any delimiter without them
            self.collapse = lambda q: q.replace(dd, dl) if dd in q else q
        # NULL rules (upstream `unescapeString`)
        nulls = frozenset() if d.not_null else frozenset(d.null)
        self.null_raw = esc + b"N" if (esc and esc + b"N" in nulls) else None
        self.nulls = nulls - {self.null_raw} if self.null_raw else nulls
        if esc:
            self.esc_split = re.compile(rb"%s(.)" % E, flags).split
            self.special = re.compile(rb"%s[0bnrtZ]" % E, flags).search

    def rows_n(self, n: int) -> typing.Callable:
        """`match` of a run of rows that have exactly `n` fields each."""
        m = self._rows_n.get(n)
        if m is None:
            if len(self._rows_n) > 16:
                self._rows_n.clear()
            f, sepg, t = self._f, self._sepg, self._t
            m = self._rows_n[n] = re.compile(
                rb"(?:%s(?:%s%s){%d}+%s)*+" % (f, sepg, f, n - 1, t), re.DOTALL).match
        return m

    def unescape(self, raw: bytes) -> bytes:
        parts = self.esc_split(raw)
        if self.special(raw):
            parts[1::2] = map(_unescape_byte, parts[1::2])
        return b"".join(parts)

    def convert(self, raw: bytes) -> bytes | None:
        """Raw field (quotes removed, doubled delimiters collapsed) -> value or None."""
        esc = self.esc
        if esc and esc in raw:
            if raw == self.null_raw:
                return None
            raw = self.unescape(raw)
        return None if raw in self.nulls else raw

    def header_name(self, raw: bytes) -> str:
        if self.esc and self.esc in raw and raw != self.null_raw:
            raw = self.unescape(raw)
        return raw.decode("utf-8", errors="replace").lower()

    def raw_fields(self, data: bytes, p: int, e: int) -> list[bytes]:
        """Raw fields of the validated complete rows in data[p:e], flattened."""
        dd = self.dd
        if self.single:
            out = self.fields_findall(data, p, e)
            if dd and data.find(dd, p, e) >= 0:
                collapse = self.collapse
                out = [collapse(f) if dd in f else f for f in out]
            return out
        pairs = self.fields_findall(data, p, e)
        if data.find(dd, p, e) >= 0:
            collapse = self.collapse
            return [collapse(q) if q else u for q, u in pairs]
        return [q or u for q, u in pairs]

    def values(self, fs: list[bytes], data: bytes, p: int, e: int) -> list:
        """Raw fields -> values (unescaped; None for NULL)."""
        esc, nulls = self.esc, self.nulls
        if esc and data.find(esc, p, e) >= 0:
            convert = self.convert
            if nulls:
                return [convert(f) if esc in f else (None if f in nulls else f) for f in fs]
            return [convert(f) if esc in f else f for f in fs]
        if nulls:
            return [None if f in nulls else f for f in fs]
        return fs


@lru_cache(maxsize=64)
def _grammar(dialect: CSVDialect) -> _Grammar:
    return _Grammar(dialect)


class CSVParser:
    """Parse one CSV file (or one chunk ``[start, end)`` of it) into blocks of rows."""

    columns: list[str] | None

    def __init__(self, stream: typing.BinaryIO, dialect: CSVDialect, path: str, *,
                 start: int = 0, end: int | None = None, block_size: int = 64 * 1024,
                 max_row_size: int = 256 * 1024 * 1024, skip_header: bool | None = None) -> None:
        self._stream = stream
        self.dialect = dialect
        self.path = path
        self._g = _grammar(dialect)
        self._start = start
        self._end = end
        self._block_size = max(1, block_size)
        self._max_row = max_row_size
        self._want_header = (dialect.header and start == 0) if skip_header is None else skip_header
        self._header_done = False
        self.columns = None
        self._buf = b""
        self._pos = 0          # parse position in _buf
        self._base = start     # absolute offset of _buf[0]
        self._eof = False
        self._bom_checked = start != 0
        self._pending: tuple[bytes, list[bytes], list[int], bool] | None = None
        self._batch_iter: Iterator[tuple[bytes, list[bytes], list[int], bool]] | None = None
        self._ncols = 0        # field count of the last row (for the run fast path)

    # ------------------------------------------------------------------ errors
    def _error(self, offset: int, message: str) -> DataSyntaxError:
        return DataSyntaxError(self.path, offset, message)

    def _too_large(self, offset: int) -> DataSyntaxError:
        return self._error(offset, ERR_TOO_LARGE.format(self._max_row))

    # ------------------------------------------------------------------ reading
    def _fill(self) -> None:
        pos = self._pos
        pending = len(self._buf) - pos
        data = self._stream.read(max(self._block_size, pending))
        if not data:
            self._eof = True
        self._base += pos
        self._buf = self._buf[pos:] + data if pending else data
        self._pos = 0

    def _check_bom(self) -> None:
        while len(self._buf) < len(BOM) and not self._eof:
            self._fill()
        if self._buf.startswith(BOM):
            self._pos = len(BOM)
        self._bom_checked = True

    def _diagnose(self, p: int) -> int:
        """The rest of the buffer from `p` is not a complete row: need data, final row, or error."""
        g, buf, eof = self._g, self._buf, self._eof
        n = len(buf)
        m = g.diag.match(buf, p)
        fs, e = m.span(1)
        if fs == e and g.qstart is not None and g.qstart.match(buf, fs):
            # a quote opened here and its closing delimiter is not in the buffer
            if not eof:
                return _INCOMPLETE
            if g.esc:
                qe = g.qopen.match(buf, fs).end()
                if qe + 1 == n and buf[qe] == g.esc[0]:
                    raise self._error(self._base + qe, ERR_BACKSLASH)
            raise self._error(self._base + fs, ERR_UNTERMINATED)
        if e == n:
            return _EOF_ROW if eof else _INCOMPLETE
        if not eof and n - e < g.lookahead:
            return _INCOMPLETE  # the bytes at `e` may be the start of a separator/terminator
        if g.esc and e + 1 == n and buf[e] == g.esc[0]:
            raise self._error(self._base + e, ERR_BACKSLASH)
        # text after a closing quote, or a quote inside an unquoted field
        raise self._error(self._base + e, ERR_NO_SEPARATOR)

    def _batches(self) -> Iterator[tuple[bytes, list[bytes], list[int], bool]]:
        """Yield (region, raw rows, starts, last_is_eof_row).

        `region` is the concatenation of the complete rows (never the EOF row), `starts`
        the absolute start offset of each row plus one final entry (the end)."""
        g = self._g
        end = self._end
        max_row = self._max_row
        if not self._bom_checked:
            self._check_bom()
        while True:
            buf, pos = self._buf, self._pos
            if end is not None and self._base + pos >= end:
                return
            if pos >= len(buf):
                if self._eof:
                    return
                self._fill()
                continue
            items = g.rows_findall(buf, pos)
            n = len(buf)
            tail_start = n - len(items[-1])
            tail = g.row.match(buf, tail_start) is None
            if tail:
                items.pop()
            else:
                tail_start = n
            if items:
                base = self._base
                starts = list(accumulate(map(len, items), initial=base + pos))
                if tail_start - pos > max_row:
                    for i, ln in enumerate(map(len, items)):
                        if ln > max_row:
                            raise self._too_large(starts[i])
                stop = False
                if end is not None and starts[-1] > end:
                    k = bisect_left(starts, end, 0, len(items))
                    if k < len(items):
                        del items[k:]
                        del starts[k + 1:]
                        stop = True
                self._pos = tail_start
                if items:
                    yield buf[pos:starts[-1] - base], items, starts, False
                if stop:
                    return
            if tail:
                self._pos = tail_start
                if end is not None and self._base + tail_start >= end:
                    return
                status = self._diagnose(tail_start)
                size = n - tail_start
                if size > max_row:
                    raise self._too_large(self._base + tail_start)
                if status == _EOF_ROW:
                    self._pos = n
                    yield b"", [buf[tail_start:]], [self._base + tail_start, self._base + n], True
                    return
                self._fill()

    # ------------------------------------------------------------------ fields
    def _split_slow(self, data: bytes) -> tuple[list[bytes], bool]:
        """Raw fields of one validated row (with or without its terminator); and
        whether it is an empty / whitespace-only line."""
        g = self._g
        out = []
        p, endpos = 0, len(data)
        has_delim = bool(g.delim)
        q = None
        while True:
            m = g.field1.match(data, p, endpos)
            if has_delim:
                q, u = m.group(1, 2)
                out.append(g.collapse(q) if q is not None else u)
            else:
                out.append(m.group(1))
            p = m.end()
            if p >= endpos:
                break
            ms = g.sepm.match(data, p, endpos)
            if ms is None:
                break
            p = ms.end()
        skip = len(out) == 1 and q is None and not out[0].strip()
        return out, skip

    def _row(self, row: bytes) -> list | None:
        """One complete row -> values, or None for a blank line."""
        g = self._g
        fs = g.raw_fields(row, 0, len(row))
        if len(fs) == 1 and not fs[0].strip() and not (g.delim and g.delim in row):
            return None  # empty or whitespace-only line
        self._ncols = len(fs)
        if g.trim and not fs[-1]:
            fs.pop()
        return g.values(fs, row, 0, len(row))

    def _convert(self, region: bytes, items: list[bytes], starts: list[int], eof_last: bool
                 ) -> tuple[list, list[int], list[int]]:
        """Raw rows -> (rows of values, start offsets, end offsets), skipping blank lines.

        Runs of rows with the same field count as the previous row are validated by one
        regex match and converted with one flat findall + one slicing comprehension."""
        g = self._g
        out: list = []
        nrows = len(items) - 1 if eof_last else len(items)
        base0 = starts[0]
        trim = g.trim
        i = p = 0
        while i < nrows:
            ncols = self._ncols
            if ncols > 1:
                e = g.rows_n(ncols)(region, p).end()
                if e > p:
                    k = bisect_left(starts, base0 + e, i + 1, nrows + 1)
                    fs = g.raw_fields(region, p, e)
                    if trim:
                        widths = [ncols - 1 if not f else ncols for f in fs[ncols - 1::ncols]]
                        fs = g.values(fs, region, p, e)
                        out += [fs[j:j + w] for j, w in zip(range(0, len(fs), ncols), widths)]
                    else:
                        fs = g.values(fs, region, p, e)
                        out += [fs[j:j + ncols] for j in range(0, len(fs), ncols)]
                    i, p = k, e
                    continue
            row = items[i]
            out.append(self._row(row))
            i += 1
            p += len(row)
        if eof_last:
            raw, skip = self._split_slow(items[-1])
            if skip:
                out.append(None)
            else:
                if trim and not raw[-1]:
                    raw.pop()
                out.append([g.convert(f) for f in raw])
        if None not in out:
            return out, starts[:-1], starts[1:]
        keep = [i for i, v in enumerate(out) if v is not None]
        return [out[i] for i in keep], [starts[i] for i in keep], [starts[i + 1] for i in keep]

    # ------------------------------------------------------------------ public API
    def _batch_source(self) -> Iterator[tuple[bytes, list[bytes], list[int], bool]]:
        if self._batch_iter is None:
            self._batch_iter = self._batches()
        return self._batch_iter

    def read_header(self) -> list[str] | None:
        """Read the header row if this parser is configured to (idempotent)."""
        if self._header_done:
            return self.columns
        self._header_done = True
        if not self._want_header:
            return None
        g = self._g
        for region, items, starts, eof_last in self._batch_source():
            for i, row in enumerate(items):
                raw, skip = self._split_slow(row)
                if skip:
                    continue
                if g.trim and len(raw) > 1 and not raw[-1]:
                    raw.pop()
                self.columns = [g.header_name(f) for f in raw]
                if i + 1 < len(items):
                    self._pending = (region[starts[i + 1] - starts[0]:], items[i + 1:], starts[i + 1:], eof_last)
                return self.columns
        return None

    def blocks(self, max_rows: int = 1024, max_bytes: int = 1 << 20) -> Iterator[RowBlock]:
        """Yield blocks of at most `max_rows` rows / about `max_bytes` source bytes."""
        self.read_header()
        max_rows = max(1, max_rows)
        max_bytes = max(1, max_bytes)
        cur_rows: list = []
        cur_offs: list[int] = []
        cur_start = cur_end = 0
        source = self._batch_source()
        while True:
            if self._pending is not None:
                batch, self._pending = self._pending, None
            else:
                batch = next(source, None)
                if batch is None:
                    break
            vals, offs, ends = self._convert(*batch)
            i, n = 0, len(vals)
            while i < n:
                if not cur_rows:
                    cur_start = offs[i]
                j = min(n, i + max_rows - len(cur_rows))
                k = bisect_left(ends, cur_start + max_bytes, i, j)
                full = k < j
                if full:
                    j = k + 1
                cur_rows.extend(vals[i:j])
                cur_offs.extend(offs[i:j])
                cur_end = ends[j - 1]
                i = j
                if full or len(cur_rows) >= max_rows:
                    yield RowBlock(cur_rows, cur_offs, cur_end)
                    cur_rows, cur_offs = [], []
        if cur_rows:
            yield RowBlock(cur_rows, cur_offs, cur_end)

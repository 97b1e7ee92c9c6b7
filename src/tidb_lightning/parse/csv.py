"""Streaming CSV parser with upstream TiDB Lightning semantics (``mydump/csv_parser.go``).

How it works (no per-byte Python loop anywhere; the C regex engine does the scanning):

* ``_Grammar`` compiles, once per dialect, possessive regexes for a field (quoted or
  not), a row ``F (SEP F)* TERM`` and a few helpers.  Tokens are recognised with
  upstream's priorities: outside quotes terminator, separator, opening delimiter,
  escape; inside quotes closing delimiter (a doubled one is literal), escape.
* Fast path ("runs"): files have a fixed number N of fields per row.  One ``findall``
  of ``(F1 SEP F2 ... SEP FN TERM) | .++`` (one capture group per field plus one for
  the whole row) turns all following N-field rows of the buffer into tuples in a single
  C call.  The catch-all ``.++`` ends the run at the first row that is not an N-field
  row (or is incomplete), so the scan never skips input.  Rows are then built, and
  doubled delimiters, escapes and NULLs fixed, column by column with C-level calls.
  This needs one capture group per field: any dialect without a delimiter, and the
  single-byte dialects.
* Otherwise (another field count, exotic dialects): one ``findall`` cuts the rest of the
  buffer into whole rows, and one ``findall`` per row cuts the fields.  A row straddling
  the buffer end is completed by reading more (``_one_row``).
* When the unparsed rest of the buffer is not a complete row, ``_diagnose`` tells with
  one more regex whether more data is needed or the input is malformed, so a syntax
  error in a big file is reported at once, not after reading ``max_row_size`` bytes.

Deliberate differences from upstream: a whitespace-only line is skipped even when EOF
ends it (upstream returns it as a one-field row, or returns an empty row after a
whitespace-only line that ends the file), and ``trim_last_separator`` also applies to
the header row (upstream keeps an empty last column name there).

Memory: the buffer holds the unparsed rest of one read block plus the current row
(reads grow geometrically only while a single row does not fit), the parsed rows of
one buffer and the block being built.
"""
from __future__ import annotations

import re
import typing
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from operator import itemgetter
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

_INCOMPLETE = 0
_EOF_ROW = 1
_MAX_RUN_COLUMNS = 1024   # wider rows use the per-row path (keeps compiled patterns small)
# Go's unicode.IsSpace in UTF-8 (upstream skips lines that bytes.TrimSpace empties)
_SPACE = (rb"(?:[\t\n\x0b\x0c\r ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]"
          rb"|\xe2\x81\x9f|\xe3\x80\x80)")
_is_blank = re.compile(_SPACE + rb"*+").fullmatch

_first = itemgetter(0)
_rest = itemgetter(slice(1, None))


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
    """Everything derived from a dialect: compiled patterns and conversion helpers."""

    def __init__(self, d: CSVDialect) -> None:
        sep, delim, term, esc = d.separator, d.delimiter, d.terminator, d.escape
        if not sep:
            raise ValueError("CSV separator must not be empty")
        if len(esc) > 1:
            raise ValueError("CSV escape must be empty or a single byte")
        self.sep, self.delim, self.term, self.esc = sep, delim, term, esc
        self.dd = dd = delim + delim
        self.trim = d.trim_last_separator
        S, D, E = re.escape(sep), re.escape(delim), re.escape(esc)
        if term:
            T = look_t = re.escape(term)
            term_first = {term[0]}
        else:
            T = rb"(?:\r\n|\r|\n)"
            look_t = rb"[\r\n]"
            term_first = {13, 10}
        firsts = [sep[0], *term_first] + ([delim[0]] if delim else []) + ([esc[0]] if esc else [])
        # single-byte, pairwise distinct tokens: no look-ahead needed to tell tokens apart
        simple = (len(sep) == 1 and len(delim) <= 1 and len(term) <= 1
                  and len(firsts) == len(set(firsts)))
        fu = _cls(firsts)
        fq = _cls([delim[0]] + ([esc[0]] if esc else [])) if delim else b""
        if simple:
            # "unrolled" loops: plain runs, then (escape | doubled quote) + plain run, repeated
            u = (rb"[^%s]*+(?:%s.[^%s]*+)*+" % (fu, E, fu)) if esc else (rb"[^%s]*+" % fu)
            qi = (rb"[^%s]*+(?:(?:%s%s|%s.)[^%s]*+)*+" % (fq, D, D, E, fq) if esc
                  else rb"[^%s]*+(?:%s%s[^%s]*+)*+" % (fq, D, D, fq))
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
        flags = re.DOTALL
        row = rb"%s(?:%s%s)*+%s" % (f, sepg, f, T)
        self.row_match = re.compile(row, flags).match
        self.rows_findall = re.compile(rb"%s|.++" % row, flags).findall
        self.diag_match = re.compile(rb"(?:%s%s)*+(%s)" % (f, sepg, f), flags).match
        self.qstart_match = re.compile(qstart, flags).match if delim else None
        self.qopen_match = re.compile(qstart + qi, flags).match if delim else None
        self.field_match = re.compile(fcap, flags).match
        self.sep_match = re.compile(sepg, flags).match
        self.lookahead = max(len(sep), len(term), 2 * len(delim), 2) + 1
        # Before EOF, a row is only trusted if enough bytes follow it: multi-byte tokens are
        # told apart by look-aheads that must not be cut by the buffer end, and a row ending
        # in "\r" may still be followed by the "\n" of "\r\n".
        self.margin = (0 if term else 1) if simple else self.lookahead
        # One capture group per field: possible without a delimiter, and in the simple
        # dialect, where the byte before a field start is never the delimiter, so a
        # look-behind tells a quoted field from an unquoted one.
        if not delim:
            f1 = fcap
        elif simple:
            f1 = rb"%s?+((?<=%s)%s(?=%s)|(?<!%s)%s(?!%s))%s?+" % (D, D, qi, D, D, u, D, D)
        else:
            f1 = None
        self._f1, self._sepg, self._t = f1, sepg, T
        self._runs: dict[int, typing.Callable] = {}
        self.fields_findall = re.compile(
            rb"%s(?:%s|%s)" % (f1 if f1 else fcap, sepg, T), flags).findall
        self.single = f1 is not None
        self.blank_re = rb"(?!%s*%s)" % (_SPACE, T)
        # joins a column's fields for column-wise fixing: no escape or delimiter byte in it,
        # and all bytes distinct, so an occurrence cannot overlap another one
        self.joiner = next(j for j in (b"\x00\xfe\x01\xff\xfd", b"\x02\xfc\x03\xfb\x04")
                           if not set(j) & set(esc + delim))
        self.plain_collapse = not (len(delim) > 1 and esc)
        if len(delim) > 1 and esc:
            collapse_re = re.compile(rb"%s%s|(?!%s)%s." % (D, D, D, E), flags)
            self.collapse = lambda q: collapse_re.sub(lambda m: delim if m.group() == dd else m.group(), q)
        else:
            # exact for a one-byte delimiter (even with escapes) and for any delimiter without them
            self.collapse = lambda q: q.replace(dd, delim) if dd in q else q
        # NULL rules (upstream `unescapeString`)
        nulls = frozenset() if d.not_null else frozenset(d.null)
        self.null_raw = null_raw = esc + b"N" if (esc and esc + b"N" in nulls) else None
        self.nulls = nulls = nulls - {null_raw} if null_raw else nulls
        if esc:
            esc_split = re.compile(rb"%s(.)" % E, flags).split
            table = _UNESCAPE_TABLE.__getitem__
            join = b"".join

            def unescape(raw: bytes) -> bytes:
                parts = esc_split(raw)    # [text, escaped byte, text, ..., text]
                parts[1::2] = map(table, parts[1::2])
                return join(parts)
        else:
            def unescape(raw: bytes) -> bytes:
                return raw
        self.unescape = unescape

        def convert(raw: bytes) -> bytes | None:
            """Raw field (quotes removed, doubled delimiters collapsed) -> value or None."""
            if esc and esc in raw:
                if raw == null_raw:
                    return None
                raw = unescape(raw)
            return None if raw in nulls else raw
        self.convert = convert

    def run_findall(self, n: int) -> typing.Callable | None:
        """`findall` turning consecutive n-field rows into (row, field1, ..., fieldn) tuples."""
        if self._f1 is None or n > _MAX_RUN_COLUMNS:
            return None
        fa = self._runs.get(n)
        if fa is None:
            if len(self._runs) >= 8:
                self._runs.clear()
            f1, sepg, t = self._f1, self._sepg, self._t
            head = self.blank_re if n == 1 else b""   # a 1-field row must not be a blank line
            pat = rb"(%s%s%s%s)|.++" % (head, f1, (sepg + f1) * (n - 1), t)
            fa = self._runs[n] = re.compile(pat, re.DOTALL).findall
        return fa

    def header_name(self, raw: bytes) -> str:
        if self.esc and self.esc in raw and raw != self.null_raw:
            raw = self.unescape(raw)
        return raw.decode("utf-8", errors="replace").lower()


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
        self._ncols = 0        # field count of the last row (drives the fast path)

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
            data = b""
        elif type(data) is not bytes:
            data = bytes(data)
        self._base += pos
        self._buf = self._buf[pos:] + data if pending else data
        self._pos = 0

    def _check_bom(self) -> None:
        self._bom_checked = True
        while len(self._buf) < len(BOM) and not self._eof:
            self._fill()
        if self._buf.startswith(BOM):
            self._pos = len(BOM)

    def _at_end(self) -> bool:
        """No row starts at the current position any more (chunk end or EOF); may read."""
        while True:
            if self._end is not None and self._base + self._pos >= self._end:
                return True
            if self._pos < len(self._buf):
                return False
            if self._eof:
                return True
            self._fill()

    def _safe_end(self) -> int:
        """Rows ending after this buffer position may still change with more data."""
        return len(self._buf) if self._eof else len(self._buf) - self._g.margin

    def _keep_safe(self, rows: list, starts: list[int]) -> bool:
        """Drop the rows that end after `_safe_end`; True if any was dropped."""
        limit = self._base + self._safe_end()
        if starts[-1] <= limit:
            return False
        k = bisect_right(starts, limit, 1) - 1
        del rows[k:]
        del starts[k + 1:]
        return True

    def _diagnose(self, p: int) -> int:
        """The rest of the buffer from `p` is not a complete row: need data, final row, or error."""
        g, buf, eof = self._g, self._buf, self._eof
        n = len(buf)
        fs, e = g.diag_match(buf, p).span(1)
        if fs == e and g.qstart_match is not None and g.qstart_match(buf, fs):
            # a quote opened here and its closing delimiter is not in the buffer
            if not eof:
                return _INCOMPLETE
            if g.esc:
                qe = g.qopen_match(buf, fs).end()
                if qe + 1 == n and buf[qe] == g.esc[0]:
                    raise self._error(self._base + qe, ERR_BACKSLASH)
            raise self._error(self._base + fs, ERR_UNTERMINATED)
        if e == n:
            return _EOF_ROW if eof else _INCOMPLETE
        if not eof and n - e < g.lookahead:
            return _INCOMPLETE  # the bytes at `e` may start a separator/terminator/doubled quote
        if g.esc and e + 1 == n and buf[e] == g.esc[0]:
            raise self._error(self._base + e, ERR_BACKSLASH)
        # text after a closing quote, or a quote inside an unquoted field
        raise self._error(self._base + e, ERR_NO_SEPARATOR)

    def _one_row(self) -> tuple[bytes, int, bool] | None:
        """The next row (raw bytes, absolute start, is the unterminated last row of the
        file); None when no row starts before the chunk end."""
        g = self._g
        while True:
            if self._at_end():
                return None
            buf, pos = self._buf, self._pos
            m = g.row_match(buf, pos)
            if m is not None:
                e = m.end()
                if e - pos > self._max_row:
                    raise self._too_large(self._base + pos)
                if e <= self._safe_end():
                    self._pos = e
                    return buf[pos:e], self._base + pos, False
                self._fill()  # more data may still change how this row ends
                continue
            status = self._diagnose(pos)
            if len(buf) - pos > self._max_row:
                raise self._too_large(self._base + pos)
            if status == _EOF_ROW:
                self._pos = len(buf)
                return buf[pos:], self._base + pos, True
            self._fill()

    # ------------------------------------------------------------------ fields
    def _split_slow(self, data: bytes) -> tuple[list[bytes], bool]:
        """Raw fields of one validated row (with or without its terminator), and whether
        it is an empty / whitespace-only line."""
        g = self._g
        out = []
        p, endpos = 0, len(data)
        has_delim = bool(g.delim)
        q = None
        while True:
            m = g.field_match(data, p, endpos)
            if has_delim:
                q, u = m.group(1, 2)
                out.append(g.collapse(q) if q is not None else u)
            else:
                out.append(m.group(1))
            p = m.end()
            if p >= endpos:
                break
            ms = g.sep_match(data, p, endpos)
            if ms is None:
                break  # the terminator
            p = ms.end()
        return out, len(out) == 1 and q is None and _is_blank(out[0]) is not None

    def _slow_values(self, raw: bytes) -> list | None:
        fs, blank = self._split_slow(raw)
        if blank:
            return None
        self._ncols = len(fs)
        if self._g.trim and not fs[-1]:
            fs.pop()
        convert = self._g.convert
        return [convert(f) for f in fs]

    def _run(self, tuples: list[tuple[bytes, ...]], start: int) -> tuple[list, list[int]]:
        """Convert the tuples of an n-field run (see `_Grammar.run_findall`).

        Work is done column by column: a column is joined (with a joiner that escapes,
        doubled delimiters and unescaping cannot touch), fixed with one C call and split
        again; only columns that need it are touched at all."""
        g = self._g
        p = start - self._base
        starts = list(accumulate(map(len, map(_first, tuples)), initial=start))
        e = starts[-1] - self._base
        buf = self._buf
        DD, E, nulls = g.dd, g.esc, g.nulls
        fix_dd = bool(DD) and buf.find(DD, p, e) >= 0
        fix_e = bool(E) and buf.find(E, p, e) >= 0
        if not (fix_dd or fix_e or nulls or g.trim):
            return list(map(list, map(_rest, tuples))), starts
        cols: list = list(zip(*tuples))[1:]
        lasts = cols[-1]
        J, NR = g.joiner, g.null_raw
        for c, col in enumerate(cols):
            if fix_dd or fix_e:
                joined = J.join(col)
                if fix_dd and DD in joined:
                    if g.plain_collapse:
                        fixed = joined.replace(DD, g.delim).split(J)
                        col = fixed if len(fixed) == len(col) else list(map(g.collapse, col))
                    else:
                        col = list(map(g.collapse, col))
                    joined = J.join(col)
                if fix_e and E in joined:
                    vals = g.unescape(joined).split(J)
                    if len(vals) != len(col):   # the joiner occurs in the data itself
                        vals = [g.unescape(f) for f in col]
                    if NR is not None and NR in col:
                        vals = [None if r == NR else v for r, v in zip(col, vals)]
                    col = vals
            if nulls and not nulls.isdisjoint(col):
                col = [None if f in nulls else f for f in col]
            cols[c] = col
        rows = list(map(list, zip(*cols)))
        if g.trim:
            for r, last in zip(rows, lasts):
                if not last:
                    r.pop()
        return rows, starts

    def _convert_batch(self, items: list[bytes], starts: list[int]) -> tuple[list, list[int], list[int]]:
        """Complete raw rows -> (rows of values, start offsets, end offsets), skipping
        blank lines; one `findall` per row.  For rows the run fast path cannot take."""
        g = self._g
        out: list = []
        append = out.append
        D, E, DD = g.delim, g.esc, g.dd
        trim, collapse, convert, single = g.trim, g.collapse, g.convert, g.single
        findall = g.fields_findall
        ncols = self._ncols
        for row in items:
            fs = findall(row)
            if len(fs) == 1 and _is_blank(fs[0] if single else fs[0][1]) \
                    and not (D and D in row) and not (E and E in row):
                append(None)  # empty or whitespace-only line
                continue
            ncols = len(fs)
            if not single:
                fs = [collapse(q) if q else u for q, u in fs] if DD in row else [q or u for q, u in fs]
            elif DD and DD in row:
                fs = [collapse(f) if DD in f else f for f in fs]
            if trim and not fs[-1]:
                fs.pop()
            append([convert(f) for f in fs])
        self._ncols = ncols
        if None not in out:
            return out, starts[:-1], starts[1:]
        keep = [i for i, v in enumerate(out) if v is not None]
        return [out[i] for i in keep], [starts[i] for i in keep], [starts[i + 1] for i in keep]

    # ------------------------------------------------------------------ batches
    def _cut(self, rows: list, starts: list[int]) -> bool:
        """Drop rows starting at or after the chunk end; True if any was dropped."""
        end = self._end
        if end is None or starts[-1] <= end:
            return False
        k = bisect_left(starts, end, 0, len(rows))
        if k == len(rows):
            return False
        del rows[k:]
        del starts[k + 1:]
        return True

    def _check_sizes(self, starts: list[int]) -> None:
        if starts[-1] - starts[0] > self._max_row:
            for i in range(len(starts) - 1):
                if starts[i + 1] - starts[i] > self._max_row:
                    raise self._too_large(starts[i])

    def _parse(self) -> Iterator[tuple[list, list[int], list[int]]]:
        """Yield (rows of values, start offsets, end offsets) batches."""
        g = self._g
        if not self._bom_checked:
            self._check_bom()
        while not self._at_end():
            buf, pos = self._buf, self._pos
            run = g.run_findall(self._ncols) if self._ncols else None
            if run is not None:
                tuples = run(buf, pos)
                stopped = not tuples[-1][0]
                if stopped:
                    tuples.pop()
                if tuples:
                    rows, starts = self._run(tuples, self._base + pos)
                    self._check_sizes(starts)
                    unsafe = self._keep_safe(rows, starts)
                    cut = self._cut(rows, starts)
                    self._pos = starts[-1] - self._base
                    if rows:
                        yield rows, starts[:-1], starts[1:]
                    if cut:
                        return
                    if unsafe:
                        self._fill()
                    continue
            # whole rows of the rest of the buffer, then fields row by row
            items = g.rows_findall(buf, pos)
            if g.row_match(buf, len(buf) - len(items[-1])) is None:
                items.pop()
            if items:
                starts = list(accumulate(map(len, items), initial=self._base + pos))
                self._check_sizes(starts)
                unsafe = self._keep_safe(items, starts)
                cut = self._cut(items, starts)
                self._pos = starts[-1] - self._base
                if items:
                    rows, offs, ends = self._convert_batch(items, starts)
                    if rows:
                        yield rows, offs, ends
                if cut:
                    return
                if unsafe:
                    self._fill()
                continue
            # one row on its own: one straddling the buffer end, or the unterminated last row
            one = self._one_row()
            if one is None:
                return
            raw, start, _ = one
            vals = self._slow_values(raw)
            if vals is not None:
                yield [vals], [start], [start + len(raw)]

    # ------------------------------------------------------------------ public API
    @property
    def position(self) -> int:
        """Offset in the file of the next unparsed byte (after read_header: the first row's)."""
        return self._base + self._pos

    def read_header(self) -> list[str] | None:
        """Read the header row if this parser is configured to (idempotent)."""
        if self._header_done:
            return self.columns
        self._header_done = True
        if not self._want_header:
            return None
        if not self._bom_checked:
            self._check_bom()
        g = self._g
        while True:
            one = self._one_row()
            if one is None:
                return None
            raw, blank = self._split_slow(one[0])
            if not blank:
                break
        if g.trim and len(raw) > 1 and not raw[-1]:
            raw.pop()
        self.columns = [g.header_name(f) for f in raw]
        return self.columns

    def blocks(self, max_rows: int = 1024, max_bytes: int = 1 << 20) -> Iterator[RowBlock]:
        """Yield blocks of at most `max_rows` rows / about `max_bytes` source bytes."""
        self.read_header()
        max_rows = max(1, max_rows)
        max_bytes = max(1, max_bytes)
        cur_rows: list = []
        cur_offs: list[int] = []
        cur_start = cur_end = 0
        for vals, offs, ends in self._parse():
            i, n = 0, len(vals)
            while i < n:
                if not cur_rows:
                    cur_start = offs[i]
                j = min(n, i + max_rows - len(cur_rows))
                k = bisect_left(ends, cur_start + max_bytes, i, j)
                full = k < j
                if full:
                    j = k + 1
                if i == 0 and j == n and not cur_rows:
                    cur_rows, cur_offs = vals, offs
                else:
                    cur_rows.extend(vals[i:j])
                    cur_offs.extend(offs[i:j])
                cur_end = ends[j - 1]
                i = j
                if full or len(cur_rows) >= max_rows:
                    yield RowBlock(cur_rows, cur_offs, cur_end)
                    cur_rows, cur_offs = [], []
        if cur_rows:
            yield RowBlock(cur_rows, cur_offs, cur_end)

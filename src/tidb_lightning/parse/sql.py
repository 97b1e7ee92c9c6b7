"""Streaming scanner for SQL dumps (mydumper / Dumpling / mysqldump data files).

The dump already holds SQL literals, so we never parse individual values: the scanner only
finds statement heads (``INSERT INTO `t` (cols) VALUES``) and the extent of their row tuples,
and hands the tuples' *text* on untouched.  All scanning is done by compiled ``re`` patterns
(C code); Python runs once per batch, not per value.  See ``../../bench`` for why.

Memory stays bounded: the buffer holds at most one batch (``max_batch_bytes``) plus one
read block, and one row longer than ``max_row_size`` is an error rather than an OOM.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from tidb_lightning.core import compiled as _core
from tidb_lightning.errors import DataSyntaxError

_WS = rb"\s*+"
_IDENT = rb"(?:`(?:[^`]|``)*+`|\"(?:[^\"\\]|\\.|\"\")*+\"|[^\s,;()'\"`.]++)"


def _string(quote: bytes, backslash: bool) -> bytes:
    q = re.escape(quote)
    if backslash:
        return rb"%s(?:[^%s\\]++|\\.|%s%s)*+%s" % (q, q, q, q, q)
    return rb"%s(?:[^%s]++|%s%s)*+%s" % (q, q, q, q, q)


@dataclass(frozen=True)
class _Grammar:
    """Compiled patterns for one `NO_BACKSLASH_ESCAPES` setting."""

    skip: re.Pattern[bytes]  # comments must be complete: the buffer may end inside one
    skip_eof: re.Pattern[bytes]
    header: re.Pattern[bytes]
    other: re.Pattern[bytes]
    rows: re.Pattern[bytes]
    row: re.Pattern[bytes]
    row_prefix: re.Pattern[bytes]
    stray: re.Pattern[bytes]  # a row up to its first string not followed by `,` `)` or space


def _grammar(backslash: bool) -> _Grammar:
    strings = _string(b"'", backslash) + b"|" + _string(b'"', backslash)
    atom = rb"[^'\"()]++|" + strings
    inner = rb"\((?:" + atom + rb")*+\)"
    tuple_ = rb"\((?:" + atom + b"|" + inner + rb")*+\)"
    flags = re.DOTALL | re.IGNORECASE
    return _Grammar(
        # whitespace, `;`, and comments: /* */ (incl. /*!40101 ... */), -- and # to end of line
        skip=re.compile(rb"(?:\s++|;|/\*.*?\*/|--(?:[ \t][^\n]*+)?\n|#[^\n]*+\n)*+", flags),
        skip_eof=re.compile(rb"(?:\s++|;|/\*.*?\*/|--(?:[ \t][^\n]*+)?(?:\n|\Z)|#[^\n]*+(?:\n|\Z))*+",
                            flags),
        # Like upstream's lexer, other leading words are ignored as long as a table name,
        # an optional column list and VALUES follow (upstream's own test data has
        # "create table `second` values (909);"); anything else still is an error.
        header=re.compile(
            rb"(?:(INSERT|REPLACE)((?:\s++(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*+)"
            rb"(?:\s++INTO)?|(?:[A-Za-z_]\w*+\s++)+?)" + _WS + rb"(" + _IDENT + rb"(?:" + _WS + rb"\." + _WS + _IDENT + rb")?)"
            + _WS + rb"(\(" + _WS + rb"(" + _IDENT + rb"(?:" + _WS + b"," + _WS + _IDENT + rb")*+)?"
            + _WS + rb"\))?" + _WS + rb"VALUES?" + _WS, flags),
        other=re.compile(
            rb"(?:SET|USE|LOCK\s|UNLOCK\s|BEGIN|COMMIT|START\s++TRANSACTION)(?:[^'\";]++|" + strings
            + rb")*+;", flags),
        rows=re.compile(tuple_ + rb"(?:" + _WS + b"," + _WS + tuple_ + rb")*+", flags),
        row=re.compile(tuple_, flags),
        row_prefix=re.compile(rb"\((?:" + atom + b"|" + inner + rb")*+", flags),
        stray=re.compile(rb"\((?:[^'\"()]++|" + inner + rb"|(?:" + strings + rb")(?=[\s,)]))*+(" + strings
                         + rb")?", flags),
    )


_GRAMMARS = {True: _grammar(True), False: _grammar(False)}
_IDENT_RE = re.compile(_IDENT, re.DOTALL)
_FOLLOW = re.compile(rb"[ \t\r\n\x0b\x0c]*+(.?)", re.DOTALL)


def unquote_ident(raw: bytes) -> str:
    """`a``b` -> a`b ;  "x" -> x ;  plain -> plain.  Decoded as UTF-8."""
    if raw[:1] == b"`":
        raw = raw[1:-1].replace(b"``", b"`")
    elif raw[:1] == b'"':
        raw = raw[1:-1].replace(b'""', b'"')
    return raw.decode("utf-8", errors="surrogateescape")


@dataclass(frozen=True)
class ValuesBatch:
    """Row tuples of one or more consecutive statements that share a column list.

    ``values`` is the dump's own text ``(...),(...)``, ready to follow ``VALUES`` (pieces of
    several statements are joined by ``,\n``).
    ``columns`` is the statement's column list (``None`` when it had none).
    ``end_offset`` is the absolute offset just past the last tuple taken (or past the `;`
    ending its statement).  ``mid_statement`` says the statement goes on after
    ``end_offset``: to resume there, pass ``resume_columns=columns`` to the parser.
    """

    columns: tuple[str, ...] | None
    values: bytes
    start_offset: int
    end_offset: int
    mid_statement: bool = False
    part_offsets: tuple[tuple[int, int], ...] = ()  # (offset in `values`, offset in the file) per piece
    style: int | None = None  # every row matched fast pattern number `style` (see `fast` below)

    def file_offset(self, pos: int) -> int:
        """The file offset of byte `pos` of `values` (each piece is the file's own text)."""
        best = (0, self.start_offset)
        for piece in self.part_offsets:
            if piece[0] > pos:
                break
            best = piece
        return best[1] + pos - best[0]


NOT_RESUMING = object()  # `resume_columns` default: start at a statement boundary


class _RunEnd:
    """Where a fast matcher's run of rows ends (used like a regex match's `end()`)."""

    __slots__ = ("_end",)

    def __init__(self, end: int) -> None:
        self._end = end

    def end(self) -> int:
        return self._end


class SQLDumpParser:
    """Yields :class:`ValuesBatch` es from an SQL data file, one pass, bounded memory.

    ``stream`` must be positioned at ``start``; ``path`` is only used in messages.
    Not thread-safe; one parser per chunk.
    """

    def __init__(self, stream: BinaryIO, path: str, *, start: int = 0, block_size: int = 64 * 1024,
                 backslash_escapes: bool = True, max_batch_bytes: int = 1 << 20,
                 max_row_size: int = 256 << 20, resume_columns=NOT_RESUMING, fast=None) -> None:
        """``resume_columns``: ``start`` is inside a statement, just after one of its row
        tuples (a checkpointed ``end_offset`` with ``mid_statement``); these are the
        statement's columns (``None`` for none).

        ``fast(columns)`` may give matchers ``(buf, pos, limit) -> end or -1`` of a run of rows
        joined by ``,\\n`` that the checksum can hash without looking at them again: tried
        before the generic pattern (the same one pass over the text), a batch made only of such
        runs says which (``style``)."""
        self._resume = resume_columns
        self._fast = fast
        self._stream = stream
        self.path = path
        self._g = _GRAMMARS[backslash_escapes]
        self._backslash = backslash_escapes
        self._block = max(block_size, 1)
        self._max_batch = max_batch_bytes
        self._max_row = max_row_size
        self._buf = b""
        self._base = start  # absolute offset of _buf[0]
        self._pos = 0
        self._eof = False

    # ------------------------------------------------------------------ buffer
    def _fill(self) -> bool:
        """Drop consumed bytes and read more (at least as much as is buffered, so retries on
        long tokens stay linear).  Returns False at EOF."""
        if self._eof:
            return False
        if self._pos:
            self._buf = self._buf[self._pos:]
            self._base += self._pos
            self._pos = 0
        if len(self._buf) > self._max_row + self._max_batch:
            raise DataSyntaxError(self.path, self._base, f"a statement row is larger than "
                                  f"{self._max_row} bytes; is a string literal unterminated?")
        data = self._stream.read(max(self._block, len(self._buf)))
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _error(self, offset: int, message: str) -> DataSyntaxError:
        return DataSyntaxError(self.path, self._base + offset, message)

    def _skip(self) -> None:
        """Skip whitespace, `;` and comments.  A comment cut by the buffer end is left for
        the caller, which reads more and calls again."""
        while True:
            skip = self._g.skip_eof if self._eof else self._g.skip
            self._pos = skip.match(self._buf, self._pos).end()
            if len(self._buf) - self._pos >= 2 or not self._fill():
                return

    def _next_char(self) -> bytes:
        """Skip ASCII whitespace (reading more if needed); return the next byte or b"" at EOF."""
        while True:
            m = _FOLLOW.match(self._buf, self._pos)
            self._pos = m.start(1)
            if m.group(1) or not self._fill():
                return m.group(1)

    # ------------------------------------------------------------------ parsing
    def _statement_head(self) -> tuple[tuple[str, ...] | None] | None:
        """At a statement start: consume it if it is not an INSERT; return the INSERT's
        column list (wrapped in a 1-tuple) once its head is consumed, or None at EOF."""
        while True:
            self._skip()
            if self._pos >= len(self._buf) and not self._fill():
                return None
            m = self._g.header.match(self._buf, self._pos)
            if m and (m.end() < len(self._buf) or self._eof):
                self._pos = m.end()
                if m.group(4) is None:
                    return (None,)
                cols = m.group(5) or b""
                return (tuple(unquote_ident(c) for c in _IDENT_RE.findall(cols)),)
            o = self._g.other.match(self._buf, self._pos)
            if o:
                self._pos = o.end()
                continue
            if self._fill():
                continue
            word = self._buf[self._pos:self._pos + 40].split(b"\n")[0].decode("utf-8", "replace")
            raise self._error(self._pos, f"expected an INSERT or REPLACE statement, found {word!r}"
                              if m is None and not self._looks_like_head()
                              else f"premature end of file in statement starting {word!r}")

    def _looks_like_head(self) -> bool:
        return re.match(rb"(?i)(INSERT|REPLACE)\b", self._buf[self._pos:self._pos + 8]) is not None

    def _stray_quote_hint(self, pos: int, stop: int) -> str:
        """An unescaped quote inside a value (`'it's'`) makes every later quote pair up wrongly,
        so the lexer fails only where the quotes run out, maybe megabytes later: name the first
        string literal of the row that is followed by something other than `,` `)` or space."""
        m = self._g.stray.match(self._buf, pos, stop)
        if m.group(1) is None:
            return ""
        quote = m.end(1) - 1
        after = self._buf[quote + 1:quote + 11].decode("utf-8", "replace")
        return (f"; the quote at offset {self._base + quote} is followed by {after!r} instead of "
                f"',' or ')': is it an unescaped quote inside a value?")

    def _diagnose_row(self) -> DataSyntaxError:
        """The buffer (at EOF) holds a row start that does not parse: say why."""
        pos = self._pos
        if self._buf[pos:pos + 1] != b"(":
            found = self._buf[pos:pos + 20].decode("utf-8", "replace") or "end of file"
            return self._error(pos, f"expected '(' starting a row of values, found {found!r}")
        m = self._g.row_prefix.match(self._buf, pos)
        stop = m.end()
        ch = self._buf[stop:stop + 1]
        if ch in (b"'", b'"'):
            return self._error(stop, f"unterminated string literal (opening {ch.decode()} never closed)"
                               + self._stray_quote_hint(pos, stop))
        if not ch:
            return self._error(pos, "premature end of file: row of values not closed by ')'")
        return self._error(stop, f"unexpected {ch.decode('utf-8', 'replace')!r} in row of values")

    def _resume_point(self) -> tuple[tuple[str, ...] | None] | None:
        """When resuming inside a statement: consume the `,` that follows the last tuple
        taken and return the statement's columns; None otherwise (or if the statement in
        fact ended there)."""
        if self._resume is NOT_RESUMING:
            return None
        cols, self._resume = self._resume, NOT_RESUMING
        ch = self._next_char()
        if ch == b";":
            self._pos += 1
            return None
        if ch != b",":
            raise self._error(self._pos, "cannot resume: expected ',' or ';' at the checkpointed "
                              "offset; has the file changed since the last run?")
        self._pos += 1
        self._next_char()
        return (None if cols is None else tuple(cols),)

    def _rows(self, limit: int, one: bool = False):
        """The run of row tuples at the position (only its first tuple when `one`), or None:
        the compiled core's scanner when built, else the same grammar as a regex."""
        if _core is not None:
            end = _core.rows_end(self._buf, self._pos, limit, self._backslash, one)
            return None if end < 0 else _RunEnd(end)
        return (self._g.row if one else self._g.rows).match(self._buf, self._pos, limit)

    def _fast_run(self, cols, limit: int) -> tuple["_RunEnd | None", int]:
        """The longest run of rows at the position that a fast matcher takes, and its number."""
        if self._fast is None:
            return None, -1
        for k, matcher in enumerate(self._fast(cols)):
            end = matcher(self._buf, self._pos, limit)
            if end >= 0:
                after = self._buf[end:end + 2]
                if len(after) == 2 and after[:1] == b"," and after != b",\n":
                    self._fast = None  # rows joined some other way (`),(`): no runs to be had
                return _RunEnd(end), k
        return None, -1

    def batches(self) -> Iterator[ValuesBatch]:
        parts: list[bytes] = []
        size = 0
        cols: tuple[str, ...] | None = None
        start = end = 0
        open_stmt = False  # the last part taken is not followed by its statement's `;`

        offsets: list[tuple[int, int]] = []  # where each part starts: in the batch, in the file
        joined = 0

        style: int | None = None  # the fast pattern every part so far matched (-1: not all did)

        def flush() -> ValuesBatch:
            nonlocal parts, size, offsets, joined, style
            b = ValuesBatch(cols, b",\n".join(parts), start, end, open_stmt, tuple(offsets),
                            style if style is not None and style >= 0 else None)
            parts, size, offsets, joined, style = [], 0, [], 0, None
            return b

        while (head := self._resume_point() or self._statement_head()) is not None:
            if parts and head[0] != cols:
                yield flush()
            cols = head[0]
            while True:  # the rows of this statement, over as many buffers/batches as needed
                if self._pos >= len(self._buf) and not self._fill():
                    raise self._error(self._pos, "premature end of file: expected a row of values")
                limit = min(len(self._buf), self._pos + max(self._max_batch - size, 1))
                m, k = self._fast_run(cols, limit)
                if m is None:
                    m = self._rows(limit)
                if m is None and limit < len(self._buf):  # the batch is full before this row
                    if parts:
                        yield flush()
                        continue
                    m = self._rows(len(self._buf), one=True)  # one row bigger than a batch
                if m is None:
                    if self._fill():
                        continue
                    raise self._diagnose_row()
                if not parts:
                    start = self._base + self._pos
                style = k if style is None or style == k else -1
                offsets.append((joined, self._base + self._pos))
                joined += m.end() - self._pos + 2
                parts.append(self._buf[self._pos:m.end()])
                open_stmt = True
                size += m.end() - self._pos + 2  # + the ",\n" that joins parts (dumpers' own
                # row separator: batches of a mydumper dump keep one shape, see checksum.hasher)
                self._pos = m.end()
                end = self._base + self._pos
                ch = self._next_char()
                if ch == b",":
                    self._pos += 1
                    self._next_char()
                elif ch == b";":
                    self._pos += 1
                    end = self._base + self._pos
                    open_stmt = False
                    break
                elif not ch:
                    raise self._error(self._pos, "premature end of file: statement not terminated by ';'")
                elif ch in (b"'", b'"'):
                    raise self._diagnose_row()
                else:
                    found = self._buf[self._pos:self._pos + 20].decode("utf-8", "replace")
                    raise self._error(self._pos, f"expected ',' or ';' after a row of values, found {found!r}")
                if size >= self._max_batch:
                    yield flush()
            if size >= self._max_batch:
                yield flush()
        if parts:
            yield flush()


def _field_pattern(backslash: bool) -> re.Pattern[bytes]:
    strings = _string(b"'", backslash) + b"|" + _string(b'"', backslash)
    inner = rb"\((?:[^'\"()]++|" + strings + rb")*+\)"
    return re.compile(rb"(?:[^'\"(),]++|" + strings + b"|" + inner + rb")*+", re.DOTALL)


_FIELDS = {True: _field_pattern(True), False: _field_pattern(False)}


def drop_fields(values: bytes, positions, width: int, backslash_escapes: bool = True) -> bytes:
    """Remove the values at `positions` from every row tuple of `values` (the text
    `(...),(...)` of a batch), e.g. TiDB's `_tidb_rowid` for a non-TiDB target.

    Slow path (Python per row); only used when a column must go.  Raises ValueError if a
    row does not hold `width` values.
    """
    g, field = _GRAMMARS[backslash_escapes], _FIELDS[backslash_escapes]
    drop = set(positions)
    out = []
    for m in g.row.finditer(values):
        body = m.group()[1:-1]
        fields, pos = [], 0
        while True:
            f = field.match(body, pos)
            fields.append(f.group())
            pos = f.end()
            if pos >= len(body):
                break
            pos += 1  # the ',' between values
        if len(fields) != width:
            raise ValueError(f"a row has {len(fields)} values but the column list names {width}")
        out.append(b"(" + b",".join(v for i, v in enumerate(fields) if i not in drop) + b")")
    return b",".join(out)


def split_rows(values: bytes, backslash_escapes: bool = True) -> list[tuple[int, int]]:
    """(start, end) of every row tuple in a batch's `values` text.  Python per row: only for
    the slow path that retries a refused batch row by row."""
    return [m.span() for m in _GRAMMARS[backslash_escapes].row.finditer(values)]

"""Source side of the checksum: the digest of a batch's rows as the target will store them.

A row's hash is CRC32 of its canonical text (:mod:`forms`); a table's digest is (rows, XOR of
the hashes, SUM of the hashes mod 2^64) -- order-independent, so the target computes the same
with one aggregate query.  XOR alone would cancel a duplicated row; the SUM catches it, and
the count catches a lost one.

Fast path (one C-level regex pass per batch, then C-level maps): for a dump whose literals are
already canonical, a per-table pattern validates the whole batch and cuts each row into
segments; string escapes are undone for all segments at once (bytes.replace over the joined
batch); only DOUBLE/FLOAT/binary columns go through a per-value converter.  Anything else
goes down the slow path, which decodes every literal in Python.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from functools import partial, reduce
from itertools import compress, count, repeat
from operator import methodcaller, xor

from tidb_lightning.checksum.forms import STR_BODY, STR_BODY_STRICT, Form, form_for
from tidb_lightning.checksum.literal import Unverifiable, decode, rows_of, split_row
from tidb_lightning.core import compiled as _core

MASK = (1 << 64) - 1
# any one value, for the columns whose values are converted one by one
LOOSE = (rb"(?:_[A-Za-z0-9]+\s*)?(?:'(?:[^'\\]|\\.|'')*+'|\"(?:[^\"\\]|\\.|\"\")*+\")"
         rb"|[Xx]'[0-9A-Fa-f]*'|[Bb]'[01]*'"
         rb"|[^,()'\"\s]++")
_SEP = b"\\j"

_groups = re.Match.groups
_SWAP = bytes.maketrans(b"'\"", b"\"'")
_unswap = methodcaller("translate", _SWAP)
_group0 = methodcaller("group", 1)  # joins segments of a batch while unescaping: no escape sequence looks like it


@dataclass(frozen=True)
class Digest:
    rows: int = 0
    xor: int = 0
    sum: int = 0

    def __add__(self, other: "Digest") -> "Digest":
        return Digest(self.rows + other.rows, self.xor ^ other.xor, (self.sum + other.sum) & MASK)

    @classmethod
    def of(cls, crcs: list[int]) -> "Digest":
        return cls(len(crcs), reduce(xor, crcs, 0), sum(crcs) & MASK)


def unescape_all(segments, swapped: bool = False) -> list[bytes]:
    """Undo mysql_real_escape_string's escapes in many segments at once.  Valid only for
    segments the fast pattern accepted (their only escapes are \\\\ \\' \\" \\0 \\n \\r \\Z).
    `swapped`: the text had its quote characters exchanged (a double-quoting dump)."""
    joined = _SEP.join(segments)
    if joined.count(b"\\") < len(segments):  # only the separators' backslashes
        return list(segments)
    q1, q2 = (b'"', b"'") if swapped else (b"'", b'"')
    # `\\` first becomes `\q` (no escape looks like it), so `\\n` is never read as `\n`
    joined = (joined.replace(b"\\\\", b"\\q").replace(b"\\0", b"\x00").replace(b"\\n", b"\n")
              .replace(b"\\r", b"\r").replace(b"\\'", q1).replace(b'\\"', q2)
              .replace(b"\\Z", b"\x1a"))
    if b"\\q" not in joined:
        return joined.split(_SEP)
    if b"\\qj" not in joined:  # `\q` back to `\` cannot forge a separator: all at once
        return joined.replace(b"\\q", b"\\").split(_SEP)
    parts = joined.split(_SEP)
    for i in compress(count(), map(bytes.__contains__, parts, repeat(b"\\q"))):
        parts[i] = parts[i].replace(b"\\q", b"\\")
    return parts


@dataclass
class _Style:
    """Patterns for one quoting style of canonical rows."""

    swapped: bool           # the batch is matched after exchanging ' and " (dumps that quote with ")
    lined: re.Pattern       # a whole batch of rows joined by ",\n" (mydumper's and Dumpling's shape)
    batch: re.Pattern       # a whole batch of rows, any separators
    row: re.Pattern         # one row (and its separator), one group per segment


@dataclass
class _Plan:
    """How to hash batches with one column list."""

    order: list[int] | None        # source value index for each canonical column (None = same order)
    styles: list[_Style]           # empty: slow path only
    converters: list               # per group: None (a run of fast columns) or the Form to convert
    runs: list = field(default_factory=list)  # all-fast `lined` patterns (style 0: ', 1: ") on the dump's text
    spec: bytes | None = None  # the same for the compiled core (see _core.c)


class TableHasher:
    """Digests of one table's source rows; thread-safe (plans are built idempotently)."""

    def __init__(self, table, kind: str, backslash_escapes: bool = True) -> None:
        self.table = table
        self.columns = [c for c in table.columns if not c.generated]
        self.forms: list[Form] = [form_for(c, kind) for c in self.columns]
        self.unsupported = next((f.unsupported for f in self.forms if f.unsupported), None)
        self.backslash = backslash_escapes
        self._plans: dict = {}

    # ---------------------------------------------------------------- target side
    def target_sql(self, where: str = "") -> str:
        """COUNT, BIT_XOR, SUM of the rows' CRC32s, computed by the target (of the rows
        `where` selects, e.g. one primary-key range).  Run it on a `SET NAMES binary` session."""
        parts = ",',',".join(f.sql for f in self.forms)
        return (f"SELECT COUNT(*), COALESCE(BIT_XOR(h), 0), COALESCE(SUM(h), 0) FROM "
                f"(SELECT CRC32(CONCAT('(',{parts},')')) AS h FROM {self.table.qualified}"
                f"{' WHERE ' + where if where else ''}) AS x")

    # ---------------------------------------------------------------- source side
    def fast_patterns(self, columns) -> list:
        """For the SQL parser: matchers `(buf, pos, limit) -> end or -1` of a run of rows
        joined by ",\\n" in their written form, per quoting style, so that it validates them in
        its own pass (empty: none apply).  The compiled core's when built, else regexes."""
        try:
            plan = self._plan(columns)
        except Unverifiable:
            return []
        if plan.spec is not None and _core is not None:
            spec = plan.spec
            return [lambda buf, pos, limit: _core.run_end(buf, pos, limit, spec, False),
                    lambda buf, pos, limit: _core.run_end(buf, pos, limit, spec, True)]
        return [partial(_regex_end, p) for p in plan.runs]

    def crcs(self, columns, values: bytes, style: int | None = None) -> list[int]:
        """Row hashes of a batch's `(...),(...)` text, whose values follow `columns` (None =
        the table's own order); raises Unverifiable when the stored form cannot be predicted.
        `style`: the parser already matched the whole batch with fast_patterns()[style]."""
        if self.unsupported:
            raise Unverifiable(self.unsupported)
        plan = self._plan(columns)
        if style is not None and len(plan.converters) == 1:  # rows as written: escapes to undo
            if _core is not None:
                return _core.crc_list(values, bool(style))
            if style:
                values = values.translate(_SWAP)
            return list(map(zlib.crc32, unescape_all(values.split(b",\n"), bool(style))))
        if style is not None and _core is not None and plan.spec is not None:
            crcs = _core.crc_canon(values, plan.spec, bool(style))  # converted values too
            if crcs is not None:
                return crcs
        if plan.styles:
            try:
                crcs = self._fast(plan, values)
            except Unverifiable:
                crcs = None  # the slow path says which row and column
            if crcs is not None:
                return crcs
        return self._slow(plan, values)

    def crcs_fields(self, columns, rows: list[list]) -> list[int]:
        """Row hashes of CSV rows (fields as bytes, None = NULL), which the server receives as
        quoted strings: column by column, one regex per column when its fields are canonical."""
        if self.unsupported:
            raise Unverifiable(self.unsupported)
        self._plan(columns)  # says which columns the server fills, if any
        width = len(self.forms)
        if any(len(r) != width for r in rows):
            raise Unverifiable(f"a row does not hold {width} values")
        texts = [form.fields(col) for form, col in zip(self.forms, self._field_columns(columns, rows))]
        return list(map(zlib.crc32, map(b"(%b)".__mod__, map(b",".join, zip(*texts)))))

    def field_spec(self, columns, positions: list[int]) -> tuple[bytes, list[int]] | None:
        """For the compiled CSV scanner: the columns' spec and, per column in the table's
        order, the index of its field in the file's rows (`positions[i]`: the field of
        `columns[i]`); None when a column has no spec (the caller hashes in Python)."""
        codes = [f.code for f in self.forms]
        if self.unsupported or not all(codes):
            return None
        order = self._plan(columns).order
        return b"".join(codes), [positions[i] for i in (range(len(codes)) if order is None else order)]

    def column_crcs(self, columns, values) -> list[list[int]]:
        """Per column, the CRC32s of each row's canonical value (SQL text or CSV rows): the
        slow path, for naming the columns that differ after a mismatch."""
        if isinstance(values, list):
            return [list(map(zlib.crc32, form.fields(col)))
                    for form, col in zip(self.forms, self._field_columns(columns, values))]
        plan = self._plan(columns)
        out: list[list[int]] = [[] for _ in self.forms]
        for row in rows_of(values, self.backslash):
            lits = split_row(row, self.backslash)
            if plan.order is not None:
                lits = [lits[i] for i in plan.order]
            for i, (form, lit) in enumerate(zip(self.forms, lits)):
                out[i].append(zlib.crc32(form.canon(decode(lit, self.backslash))))
        return out

    def column_sql(self) -> str:
        """Per column BIT_XOR and SUM of CRC32(canonical value), computed by the target."""
        parts = ", ".join(f"COALESCE(BIT_XOR(CRC32(CONCAT({f.sql}))), 0), "
                          f"COALESCE(SUM(CRC32(CONCAT({f.sql}))), 0)" for f in self.forms)
        return f"SELECT {parts} FROM {self.table.qualified}"

    def _field_columns(self, columns, rows: list[list]) -> list[list]:
        """CSV rows turned into the table's columns, in the table's column order."""
        cols = [list(c) for c in zip(*rows)] if rows else [[] for _ in self.forms]
        order = self._plan(columns).order
        return cols if order is None else [cols[i] for i in order]

    def _plan(self, columns) -> _Plan:
        key = None if columns is None else tuple(c.lower() for c in columns)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._build(key)
        return plan

    def _build(self, key) -> _Plan:
        names = [c.name.lower() for c in self.columns]
        order = None
        if key is not None and list(key) != names:
            if sorted(key) != sorted(names):
                missing = [c.name for c in self.columns if c.name.lower() not in key]
                raise Unverifiable(f"the data names only some columns (not {', '.join(missing)}): "
                                   f"the others are filled by the server")
            order = [key.index(n) for n in names]
        if order is not None or not self.backslash:
            return _Plan(order, [], [])
        converters: list = []
        for form in self.forms:
            if form.fast is None:
                converters += [None, form]
        converters.append(None)
        fasts = [f.fast for f in self.forms]
        styles = [self._style(fasts, False), self._style(fasts, True)]
        # runs the parser may validate in its own pass: every column in a form the hasher
        # takes without the slow path (converted columns: the literals their converters take)
        taken = [f.fast or f.conv for f in self.forms]
        runs = []
        if all(taken):
            a, b = (styles if taken == fasts else [self._style(taken, False), self._style(taken, True)])
            # the swapped style's pattern with its quotes exchanged matches the untranslated text
            runs = [a.lined, re.compile(b.lined.pattern.translate(_SWAP), re.DOTALL)]
        codes = [f.code for f in self.forms]
        spec = b"".join(codes) if runs and all(codes) else None
        return _Plan(None, styles, converters, runs, spec)

    @staticmethod
    def _style(fasts: list[bytes | None], swapped: bool) -> _Style:
        groups: list[bytes] = []
        current = rb"\("
        for i, fast in enumerate(fasts):
            sep = b"," if i else b""
            if fast is not None:
                fast = fast.replace(STR_BODY, STR_BODY_STRICT) if swapped else fast
                current += sep + b"(?:" + fast + b")"
                continue
            groups += [current + sep, LOOSE]
            current = b""
        groups.append(current + rb"\)")
        plain = b"".join(b"(?:" + g + b")" for g in groups)
        row = b"".join(b"(" + g + b")" for g in groups) + rb"(?:\s*+,\s*+)?"
        return _Style(swapped, re.compile(plain + rb"(?:,\n" + plain + rb")*+", re.DOTALL),
                      re.compile(plain + rb"(?:\s*+,\s*+" + plain + rb")*+", re.DOTALL),
                      re.compile(row, re.DOTALL))

    def _fast(self, plan: _Plan, values: bytes) -> list[int] | None:
        """CRC32s of the batch's rows, or None when it is not all canonical."""
        for style in plan.styles:
            if style.swapped:
                if b'"' not in values:
                    return None
                values = values.translate(_SWAP)
            segments = self._segments(plan, style, values)
            if segments is not None:
                break
        else:
            return None
        crcs = None
        for seg, form in zip(segments, plan.converters):
            if form is None:
                seg = unescape_all(seg, style.swapped)
            else:
                seg = form.bulk(list(map(_unswap, seg)) if style.swapped else list(seg))
            crcs = list(map(zlib.crc32, seg)) if crcs is None else list(map(zlib.crc32, seg, crcs))
        return crcs

    @staticmethod
    def _segments(plan: _Plan, style: _Style, values: bytes) -> list | None:
        if len(plan.converters) == 1:  # no converted column: validate, then cut at ",\n"
            if style.lined.fullmatch(values):
                return [values.split(b",\n")]
            if style.batch.fullmatch(values):
                return [list(map(_group0, iter(style.row.scanner(values).match, None)))]
            return None
        found = list(iter(style.row.scanner(values).match, None))  # one pass cuts every row
        if not found or found[-1].end() != len(values):
            return None
        return list(zip(*map(_groups, found)))

    def _slow(self, plan: _Plan, values: bytes) -> list[int]:
        out = []
        width = len(self.forms)
        for n, row in enumerate(rows_of(values, self.backslash)):
            lits = split_row(row, self.backslash)
            if len(lits) != width:
                raise Unverifiable(f"row {n + 1} of a batch has {len(lits)} values for {width} columns")
            if plan.order is not None:
                lits = [lits[i] for i in plan.order]
            try:
                text = b",".join([f.canon(decode(v, self.backslash)) for f, v in zip(self.forms, lits)])
            except Unverifiable as e:
                col = next(c.name for c, f, v in zip(self.columns, self.forms, lits) if not _ok(f, v, self.backslash))
                raise Unverifiable(f"row {n + 1} of the batch, column {col}: {e}") from None
            out.append(zlib.crc32(b"(" + text + b")"))
        return out


def _ok(form: Form, lit: bytes, backslash: bool) -> bool:
    try:
        form.canon(decode(lit, backslash))
        return True
    except Unverifiable:
        return False


def _regex_end(pattern: re.Pattern, buf: bytes, pos: int, limit: int) -> int:
    m = pattern.match(buf, pos, limit)
    return -1 if m is None else m.end()

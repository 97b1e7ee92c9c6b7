"""Table filters: which ``schema.table`` pairs take part in an import.

Implements the upstream table-filter syntax (``pkg/util/table-filter``; docs
``table-filter.md``), used by ``mydumper.filter`` and ``-f``::

    *.*                 every table                      (wildcards: * ? [a-z] [!a-z])
    !mysql.*            exclude a schema                 (``!`` = exclusion)
    db\\.with\\.dots.*    ``\\`` escapes a special character
    "db.x"."t""q"       double-quoted or `back-quoted` names, a doubled quote = one quote
    /^db\\d+$/.*         a regular expression (Go syntax, substring match)
    @rules.txt          read more rules from a file, one per line, ``#`` comments

Rules are evaluated *last match wins*; a table no rule matches is excluded.  Filters
are case-insensitive unless ``case_sensitive`` is set (both the rules and the names are
lower-cased, as upstream ``filter.CaseInsensitive``).

Also here: :meth:`TableFilter.from_black_white_list` for the legacy
``[black-white-list]`` section (MySQL replication rules), and
:func:`compile_go_regexp`, which accepts Go (RE2) regular-expression syntax and
compiles it with :mod:`re` (also used by the file router).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from tidb_lightning.errors import ConfigError
from tidb_lightning.config.model import DEFAULT_FILTER as _CONFIG_DEFAULT_FILTER

__all__ = [
    "DEFAULT_FILTER",
    "SYSTEM_SCHEMAS",
    "TableFilter",
    "GoRegexpError",
    "compile_go_regexp",
    "translate_go_regexp",
]

#: ``mydumper.filter`` default (everything but the system schemas), defined once in the
#: config model.  A list, so that a configured ``filter`` list compares equal to it.
DEFAULT_FILTER: list[str] = list(_CONFIG_DEFAULT_FILTER)

#: Schemas excluded by :data:`DEFAULT_FILTER` (and always by the legacy black-white-list).
SYSTEM_SCHEMAS: tuple[str, ...] = tuple(r[1:-2] for r in DEFAULT_FILTER[1:])


# ---------------------------------------------------------------------------------------
# Go (RE2) regular expressions on top of Python's re
# ---------------------------------------------------------------------------------------


class GoRegexpError(ValueError):
    """The pattern is not a valid Go regular expression, or uses a feature we cannot map."""


_PERL_CLASS_IN = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_REPEAT = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_FLAG_GROUP = re.compile(r"\(\?([A-Za-z-]*)([:)])")
_CAPTURE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLASS_SPECIAL = set("\\]^-[&~|")


def _class_lit(ch: str) -> str:
    return "\\" + ch if ch in _CLASS_SPECIAL else ch


def _lit(ch: str) -> str:
    cp = ord(ch)
    if ch.isalnum() or ch == "_":
        return ch
    if cp < 0x20 or cp == 0x7F:
        return f"\\x{cp:02x}"
    if cp < 0x80:
        return "\\" + ch
    return ch


@dataclass
class _Frame:
    multiline: bool
    open_flags: list[str]


class _GoTranslator:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.n = len(pattern)
        self.out: list[str] = []

    def fail(self, msg: str) -> GoRegexpError:
        return GoRegexpError(f"error parsing regexp: {msg}: `{self.p}`")

    # escapes --------------------------------------------------------------------------
    def escape(self, i: int, in_class: bool) -> tuple[int, str, str | None]:
        """Parse the escape at ``p[i] == '\\'``.

        Returns (next index, python text, literal char or None when not a single char).
        """
        p = self.p
        if i + 1 >= self.n:
            raise self.fail("trailing backslash at end of expression")
        c = p[i + 1]
        if c in "01234567":
            j = i + 1
            if c != "0" and not (i + 2 < self.n and p[i + 2] in "01234567"):
                raise self.fail(f"invalid escape sequence: `\\{c}` (backreferences are not supported)")
            while j < self.n and j < i + 4 and p[j] in "01234567":
                j += 1
            ch = chr(int(p[i + 1 : j], 8))
            return j, (_class_lit(ch) if in_class else _lit(ch)), ch
        if c == "x":
            if i + 2 < self.n and p[i + 2] == "{":
                end = p.find("}", i + 3)
                digits = p[i + 3 : end] if end > 0 else ""
                if end < 0 or not re.fullmatch(r"[0-9A-Fa-f]+", digits) or int(digits, 16) > 0x10FFFF:
                    raise self.fail("invalid escape sequence: `\\x{`")
                ch = chr(int(digits, 16))
                return end + 1, (_class_lit(ch) if in_class else _lit(ch)), ch
            digits = p[i + 2 : i + 4]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", digits):
                raise self.fail("invalid escape sequence: `\\x`")
            ch = chr(int(digits, 16))
            return i + 4, (_class_lit(ch) if in_class else _lit(ch)), ch
        simple = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
        if c in simple:
            ch = simple[c]
            return i + 2, "\\" + c, ch
        if c in "dsw":
            return i + 2, (_PERL_CLASS_IN[c] if in_class else f"[{_PERL_CLASS_IN[c]}]"), None
        if c in "DSW":
            # Inside a class Python's own \D \S \W are the closest (they are Unicode-wide).
            return i + 2, ("\\" + c if in_class else f"[^{_PERL_CLASS_IN[c.lower()]}]"), None
        if c in "pP":
            raise self.fail(f"unsupported Unicode class escape `\\{c}` (not available in this implementation)")
        if not in_class:
            if c == "A":
                return i + 2, "\\A", None
            if c == "z":
                return i + 2, "\\Z", None
            if c in "bB":
                return i + 2, "\\" + c, None
            if c == "Q":
                end = p.find("\\E", i + 2)
                text = p[i + 2 :] if end < 0 else p[i + 2 : end]
                nxt = self.n if end < 0 else end + 2
                return nxt, "".join(_lit(ch) for ch in text) or "(?:)", None
        if c.isascii() and c.isalnum():
            raise self.fail(f"invalid escape sequence: `\\{c}`")
        if not c.isascii():
            raise self.fail(f"invalid escape sequence: `\\{c}`")
        return i + 2, (_class_lit(c) if in_class else "\\" + c), c

    # character classes -----------------------------------------------------------------
    def char_class(self, i: int) -> int:
        p = self.p
        j = i + 1
        out = ["["]
        if j < self.n and p[j] == "^":
            out.append("^")
            j += 1
        first = True
        while True:
            if j >= self.n:
                raise self.fail(f"missing closing ]: `{p[i:]}`")
            c = p[j]
            if c == "]" and not first:
                j += 1
                break
            first = False
            if c == "[" and p.startswith("[:", j):
                end = p.find(":]", j + 2)
                if end > 0:
                    name = p[j + 2 : end]
                    neg = name.startswith("^")
                    if neg:
                        raise self.fail(f"unsupported negated POSIX class `[:{name}:]`")
                    if name not in _POSIX_CLASSES:
                        raise self.fail(f"invalid character class range: `[:{name}:]`")
                    out.append(_POSIX_CLASSES[name])
                    j = end + 2
                    continue
            # a single char (maybe escaped), maybe the start of a range
            if c == "\\":
                j, text, lo = self.escape(j, in_class=True)
            else:
                lo = c
                text = _class_lit(c)
                j += 1
            if lo is not None and j + 1 < self.n and p[j] == "-" and p[j + 1] != "]":
                j += 1
                if p[j] == "\\":
                    j, hi_text, hi = self.escape(j, in_class=True)
                    if hi is None:
                        raise self.fail("invalid character class range")
                else:
                    hi = p[j]
                    hi_text = _class_lit(hi)
                    j += 1
                if ord(hi) < ord(lo):
                    raise self.fail(f"invalid character class range: `{lo}-{hi}`")
                out.append(f"{text}-{hi_text}")
            else:
                out.append(text)
        out.append("]")
        self.out.append("".join(out))
        return j

    # main loop --------------------------------------------------------------------------
    def translate(self) -> str:
        p = self.p
        frames = [_Frame(multiline=False, open_flags=[])]
        i = 0
        last_quant = 0  # 1: a repetition operator was just emitted; 2: ... and its lazy '?'
        out = self.out
        while i < self.n:
            c = p[i]
            cur = frames[-1]
            quant = False
            if c == "\\":
                i, text, _ = self.escape(i, in_class=False)
                out.append(text)
            elif c == "[":
                i = self.char_class(i)
            elif c == "(":
                if p.startswith("(?P<", i) or (p.startswith("(?<", i) and not p.startswith(("(?<=", "(?<!"), i)):
                    start = i + (4 if p[i + 2] == "P" else 3)
                    end = p.find(">", start)
                    name = p[start:end] if end > 0 else ""
                    if end < 0 or not name:
                        raise self.fail(f"invalid named capture: `{p[i:]}`")
                    if not _CAPTURE_NAME.fullmatch(name):
                        raise self.fail(f"invalid or unsupported capture name `{name}`")
                    out.append(f"(?P<{name}>")
                    frames.append(_Frame(cur.multiline, []))
                    i = end + 1
                elif p.startswith("(?", i):
                    m = _FLAG_GROUP.match(p, i)
                    if not m:
                        raise self.fail(f"invalid or unsupported Perl syntax: `{p[i:i + 3]}`")
                    flags, term = m.group(1), m.group(2)
                    on, _, off = flags.partition("-")
                    if (
                        (not flags and term == ")")
                        or flags.count("-") > 1
                        or ("-" in flags and not off)
                        or any(f not in "imsU" for f in on + off)
                    ):
                        raise self.fail(f"invalid or unsupported Perl syntax: `{m.group(0)}`")
                    if "U" in flags:
                        raise self.fail("the ungreedy flag (?U) is not supported")
                    ml = cur.multiline
                    if "m" in on:
                        ml = True
                    if "m" in off:
                        ml = False
                    if term == ":":
                        out.append(f"(?{flags}:" if flags else "(?:")
                        frames.append(_Frame(ml, []))
                    else:
                        out.append(f"(?{flags}:")
                        cur.open_flags.append(flags)
                        cur.multiline = ml
                    i = m.end()
                else:
                    out.append("(")
                    frames.append(_Frame(cur.multiline, []))
                    i += 1
            elif c == ")":
                if len(frames) == 1:
                    raise self.fail("unexpected )")
                f = frames.pop()
                out.append(")" * (len(f.open_flags) + 1))
                i += 1
            elif c == "|":
                out.append(")" * len(cur.open_flags) + "|" + "".join(f"(?{fl}:" for fl in cur.open_flags))
                i += 1
            elif c == "$":
                out.append("$" if cur.multiline else "\\Z")
                i += 1
            elif c == "{":
                m = _REPEAT.match(p, i)
                if m:
                    lo = int(m.group(1))
                    hi = m.group(3)
                    if lo > 1000 or (hi and int(hi) > 1000) or (hi and int(hi) < lo):
                        raise self.fail(f"invalid repeat count: `{m.group(0)}`")
                    if last_quant:
                        raise self.fail(f"invalid nested repetition operator: `{m.group(0)}`")
                    out.append(m.group(0))
                    quant = True
                    i = m.end()
                else:
                    out.append("\\{")
                    i += 1
            elif c in "*+?":
                if last_quant == 1 and c == "?":
                    out.append("?")  # lazy modifier
                    i += 1
                    last_quant = 2
                    continue
                if last_quant:
                    raise self.fail(f"invalid nested repetition operator: `{p[i - 1:i + 1]}`")
                out.append(c)
                quant = True
                i += 1
            elif c == "}":
                out.append("\\}")
                i += 1
            else:
                out.append(c if c in ".^" else _lit(c))
                i += 1
            last_quant = 1 if quant else 0
        if len(frames) > 1:
            raise self.fail("missing closing )")
        out.append(")" * len(frames[0].open_flags))
        return "".join(out)


def translate_go_regexp(pattern: str) -> str:
    """Translate Go (RE2) regexp syntax into an equivalent Python :mod:`re` pattern.

    Handled: inline flags anywhere (``(?i)`` mid-pattern, scoped to the group), ``(?<name>``,
    ``\\z``, ``\\Q…\\E``, octal and ``\\x{…}`` escapes, ASCII ``\\d \\s \\w``, POSIX
    ``[[:alpha:]]``, ``$`` meaning end of text, literal ``{`` where Go reads one.
    Rejected like Go: lookaround, backreferences, nested repetition.  Not supported
    (GoRegexpError): ``\\p{…}`` Unicode classes, the ``U`` flag.
    """
    return _GoTranslator(pattern).translate()


def compile_go_regexp(pattern: str) -> re.Pattern[str]:
    """Compile a Go-syntax regular expression.  Raises :class:`GoRegexpError`."""
    py = translate_go_regexp(pattern)
    try:
        return re.compile(py)
    except re.error as exc:
        raise GoRegexpError(f"error parsing regexp: {exc}: `{pattern}`") from None


# ---------------------------------------------------------------------------------------
# Matchers and rules
# ---------------------------------------------------------------------------------------


class _Matcher:
    matches_all = False

    def match(self, name: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def lowered(self) -> "_Matcher":  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class _StringMatcher(_Matcher):
    value: str

    def match(self, name: str) -> bool:
        return name == self.value

    def lowered(self) -> _Matcher:
        return _StringMatcher(self.value.lower())


class _TrueMatcher(_Matcher):
    matches_all = True

    def match(self, name: str) -> bool:
        return True

    def lowered(self) -> _Matcher:
        return self

    def __repr__(self) -> str:
        return "_TrueMatcher()"


@dataclass(frozen=True)
class _RegexpMatcher(_Matcher):
    source: str  # Go syntax
    pattern: re.Pattern[str]

    def match(self, name: str) -> bool:
        return self.pattern.search(name) is not None

    def lowered(self) -> _Matcher:
        return _RegexpMatcher(self.source, compile_go_regexp("(?i)" + self.source))


def _regexp_matcher(go_pattern: str) -> _Matcher:
    if go_pattern == "(?s)^.*$":
        return _TrueMatcher()
    return _RegexpMatcher(go_pattern, compile_go_regexp(go_pattern))


@dataclass(frozen=True)
class _Rule:
    schema: _Matcher
    table: _Matcher
    positive: bool

    def lowered(self) -> "_Rule":
        return _Rule(self.schema.lowered(), self.table.lowered(), self.positive)


class _RuleList:
    """Rules evaluated in order; the first whose patterns match decides.

    ``lower_names``: the rules were lower-cased, so names are lower-cased before matching.
    """

    def __init__(self, rules: Sequence[_Rule], lower_names: bool = False) -> None:
        self.rules = list(rules)
        self.lower_names = lower_names

    def match_table(self, schema: str, table: str) -> bool:
        if self.lower_names:
            schema, table = schema.lower(), table.lower()
        for r in self.rules:
            if r.schema.match(schema) and r.table.match(table):
                return r.positive
        return False

    def match_schema(self, schema: str) -> bool:
        if self.lower_names:
            schema = schema.lower()
        for r in self.rules:
            if r.schema.match(schema) and (r.positive or r.table.matches_all):
                return r.positive
        return False

    def lowered(self) -> "_RuleList":
        return _RuleList([r.lowered() for r in self.rules], lower_names=True)


# ---------------------------------------------------------------------------------------
# Parser of the filter syntax
# ---------------------------------------------------------------------------------------


class _SyntaxError(Exception):
    pass


_REGEXP_PART = re.compile(r"/(?:\\.|[^/])+/", re.S)
_DQUOTED = re.compile(r'"(?:""|[^"])+"', re.S)
_BQUOTED = re.compile(r"`(?:``|[^`])+`", re.S)
_WILDCARD_RANGE = re.compile(r"\[!?(?:\\[^0-9a-zA-Z]|[^\\\]])+\]", re.S)


def _is_ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _parse_pattern(line: str) -> tuple[_Matcher, str]:
    """Parse one schema or table pattern at the start of ``line``; return it and the rest."""
    if not line:
        raise _SyntaxError("syntax error: missing pattern")
    c = line[0]
    if c == "/":
        m = _REGEXP_PART.match(line)
        if not m:
            raise _SyntaxError("syntax error: incomplete regexp")
        try:
            return _regexp_matcher(m.group(0)[1:-1]), line[m.end() :]
        except GoRegexpError as exc:
            raise _SyntaxError(f"invalid pattern: {exc}") from None
    if c in "\"`":
        m = (_DQUOTED if c == '"' else _BQUOTED).match(line)
        if not m:
            raise _SyntaxError("syntax error: incomplete quoted identifier")
        return _StringMatcher(m.group(0)[1:-1].replace(c + c, c)), line[m.end() :]
    return _parse_wildcard(line)


def _parse_wildcard(line: str) -> tuple[_Matcher, str]:
    literal: list[str] = []
    regex: list[str] = ["(?s)^"]
    is_literal = True
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            if i == n - 1:
                raise _SyntaxError("syntax error: cannot place \\ at end of line")
            esc = line[i + 1]
            if _is_ascii_alnum(esc):
                raise _SyntaxError(
                    f"cannot escape a letter or number (\\{esc}), it is reserved for future extension"
                )
            literal.append(esc)
            regex.append("\\" + esc if esc.isascii() else esc)
            i += 2
        elif c == ".":
            break  # separator between schema and table
        elif c == "*":
            is_literal = False
            regex.append(".*")
            i += 1
        elif c == "?":
            is_literal = False
            regex.append(".")
            i += 1
        elif c == "[":
            is_literal = False
            m = _WILDCARD_RANGE.match(line, i)
            if not m:
                raise _SyntaxError("syntax error: failed to parse character class")
            body = line[i + 1 : m.end()]  # after '[' up to and including ']'
            if body.startswith("!"):
                regex.append("[^" + body[1:])
            elif body.startswith("^"):  # '[^' is not special in a glob: a literal '^'
                regex.append("[\\^" + body[1:])
            else:
                regex.append("[" + body)
            i = m.end()
        elif c == "$" or c == "_" or _is_ascii_alnum(c) or not c.isascii():
            literal.append(c)
            regex.append("\\$" if c == "$" else c)
            i += 1
        else:
            raise _SyntaxError(f"unexpected special character '{c}'")
    rest = line[i:]
    if is_literal:
        return _StringMatcher("".join(literal)), rest
    regex.append("$")
    try:
        return _regexp_matcher("".join(regex)), rest
    except GoRegexpError as exc:
        raise _SyntaxError(f"invalid pattern: {exc}") from None


def _parse_rule(line: str) -> _Rule:
    positive = True
    if line.startswith("!"):
        positive = False
        line = line[1:]
    schema, line = _parse_pattern(line)
    if not line:
        raise _SyntaxError("wrong table pattern")
    if line[0] != ".":
        raise _SyntaxError("syntax error: missing '.' between schema and table patterns")
    table, line = _parse_pattern(line[1:])
    if line:
        raise _SyntaxError("syntax error: stray characters after table pattern")
    return _Rule(schema, table, positive)


def _parse_lines(args: Iterable[str]) -> list[_Rule]:
    rules: list[_Rule] = []
    for arg in args:
        if not isinstance(arg, str):
            raise ConfigError(f"invalid table filter rule {arg!r}: each rule must be a string")
        line = arg.strip(" \t")
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            rules.extend(_import_file(arg, line[1:]))
            continue
        try:
            rules.append(_parse_rule(line))
        except _SyntaxError as exc:
            raise ConfigError(f"invalid table filter rule {arg!r}: {exc}") from None
    return rules


def _import_file(arg: str, file_name: str) -> list[_Rule]:
    try:
        with open(file_name, encoding="utf-8") as f:
            lines = [ln.removesuffix("\r") for ln in f.read().split("\n")]
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid table filter rule {arg!r}: cannot open filter file: {exc}") from None
    rules: list[_Rule] = []
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("@"):
                raise _SyntaxError("importing filter files recursively is not allowed")
            rules.append(_parse_rule(line))
        except _SyntaxError as exc:
            raise ConfigError(
                f"invalid table filter rule {raw.strip()!r} at {file_name}:{lineno} (imported by {arg!r}): {exc}"
            ) from None
    return rules


# ---------------------------------------------------------------------------------------
# Public filter
# ---------------------------------------------------------------------------------------


class TableFilter:
    """Decides which schemas and tables are imported.  Immutable and thread-safe.

    Build it with :meth:`parse` (``mydumper.filter`` / ``-f``) or
    :meth:`from_black_white_list` (legacy ``[black-white-list]``).
    """

    def __init__(self, parts: Sequence[_RuleList], case_sensitive: bool, description: str = "") -> None:
        # A table passes when every part accepts it (one part for the filter syntax, two
        # or three for the replication rules).
        self._parts = list(parts)
        self.case_sensitive = case_sensitive
        self._description = description

    def __repr__(self) -> str:
        return f"TableFilter({self._description}, case_sensitive={self.case_sensitive})"

    @classmethod
    def parse(cls, rules: Sequence[str], case_sensitive: bool = False) -> "TableFilter":
        """Parse filter rules (``mydumper.filter`` or repeated ``-f``).

        Raises :class:`ConfigError` naming the bad rule.  ``@file`` names are relative to
        the current directory.
        """
        if isinstance(rules, str):
            rules = [rules]
        parsed = _parse_lines(rules)
        parsed.reverse()  # last match wins
        part = _RuleList(parsed)
        if not case_sensitive:
            part = part.lowered()
        return cls([part], case_sensitive, f"rules={list(rules)!r}")

    @classmethod
    def default(cls, case_sensitive: bool = False) -> "TableFilter":
        """The filter of :data:`DEFAULT_FILTER`."""
        return cls.parse(list(DEFAULT_FILTER), case_sensitive)

    @classmethod
    def from_black_white_list(cls, bwl, case_sensitive: bool = False) -> "TableFilter":
        """Filter from the legacy ``[black-white-list]`` section (MySQL replication rules).

        ``bwl`` has ``do_dbs``, ``ignore_dbs`` (lists of str) and ``do_tables``,
        ``ignore_tables`` (lists of objects with ``db_name`` and ``tbl_name``).  A pattern
        starting with ``~`` is a (Go) regular expression, one containing ``* ? [`` a
        wildcard, anything else a literal name.

        Semantics (upstream ``ParseMySQLReplicationRules``): if ``do_dbs`` is set only
        those schemas pass (``ignore_dbs`` is then unused), else every schema but
        ``ignore_dbs``; likewise for tables with ``do_tables``/``ignore_tables``.  A table
        must pass both.  The system schemas (:data:`SYSTEM_SCHEMAS`) are always excluded.
        """

        def legacy(pattern, what: str) -> _Matcher:
            if not isinstance(pattern, str) or not pattern:
                raise ConfigError(f"invalid black-white-list {what} {pattern!r}: pattern cannot be empty")
            try:
                if pattern.startswith("~"):
                    return _regexp_matcher(pattern[1:])
                if not any(ch in pattern for ch in "?*["):
                    return _StringMatcher(pattern)
                quoted = "".join("\\" + ch if ch in "\\.+*?()|[]{}^$" else ch for ch in pattern)
                go = (
                    quoted.replace("\\*", ".*")
                    .replace("\\?", ".")
                    .replace("\\[!", "[^")
                    .replace("\\[", "[")
                    .replace("\\]", "]")
                )
                return _regexp_matcher("(?s)^" + go + "$")
            except GoRegexpError as exc:
                raise ConfigError(f"invalid black-white-list {what} {pattern!r}: {exc}") from None

        def attr(name: str) -> list:
            value = getattr(bwl, name, None)
            return list(value or [])

        do_dbs, ignore_dbs = attr("do_dbs"), attr("ignore_dbs")
        do_tables, ignore_tables = attr("do_tables"), attr("ignore_tables")

        schema_rules: list[_Rule] = []
        if do_dbs:
            schema_rules = [_Rule(legacy(d, "do-dbs entry"), _TrueMatcher(), True) for d in do_dbs]
        else:
            schema_rules = [_Rule(legacy(d, "ignore-dbs entry"), _TrueMatcher(), False) for d in ignore_dbs]
            schema_rules.append(_Rule(_TrueMatcher(), _TrueMatcher(), True))

        def table_rule(t, positive: bool, what: str) -> _Rule:
            return _Rule(
                legacy(getattr(t, "db_name", None), f"{what} db-name"),
                legacy(getattr(t, "tbl_name", None), f"{what} tbl-name"),
                positive,
            )

        if do_tables:
            table_rules = [table_rule(t, True, "do-tables") for t in do_tables]
        else:
            table_rules = [table_rule(t, False, "ignore-tables") for t in ignore_tables]
            table_rules.append(_Rule(_TrueMatcher(), _TrueMatcher(), True))

        system = [_Rule(_StringMatcher(s), _TrueMatcher(), False) for s in SYSTEM_SCHEMAS]
        system.append(_Rule(_TrueMatcher(), _TrueMatcher(), True))

        parts = [_RuleList(schema_rules), _RuleList(table_rules)]
        if not case_sensitive:
            parts = [p.lowered() for p in parts]
        parts.append(_RuleList(system).lowered())  # `MySQL`.* is a system schema too
        desc = f"black-white-list do_dbs={do_dbs!r} ignore_dbs={ignore_dbs!r}"
        return cls(parts, case_sensitive, desc)

    def match_table(self, schema: str, table: str) -> bool:
        """Whether table ``schema.table`` is imported."""
        return all(part.match_table(schema, table) for part in self._parts)

    def match_schema(self, schema: str) -> bool:
        """Whether schema ``schema`` itself is created (used for ``-schema-create.sql`` files).

        Decided by the last rule whose schema part matches and which is either positive
        or excludes the whole schema (table part ``*``).
        """
        return all(part.match_schema(schema) for part in self._parts)

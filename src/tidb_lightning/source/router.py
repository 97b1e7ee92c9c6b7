"""File router: which database, table and kind of file a source path is.

A :class:`FileRouter` maps a '/'-separated path relative to the source root to a
:class:`RouteResult` ``(schema, table, type, key, compression)``, or ``None`` when no
rule matches (the file is not ours).  User rules (``[[mydumper.files]]``) are tried
first, then the built-in Dumpling/mydumper rules (upstream master
``pkg/lightning/mydump/router.go``) when ``default_file_rules`` is on; the first rule
that matches decides.

Built-in rules, all case-insensitive, tried in this order::

    …-schema-trigger.sql[.c] / …-schema-post.sql[.c]   -> ignore
    ….sql|csv|parquet[.c].bak                          -> ignore (backups)
    {db}-schema-create.sql[.c]                         -> schema-schema
    {db}.{table}-schema.sql[.c]                        -> table-schema
    {db}.{table}-schema-view.sql[.c]                   -> view-schema
    {db}.{table}.{N}.{snappy|gz|gzip|zst|zstd}.parquet -> parquet, key N (parquet-internal codec)
    {db}.{table}[.{N}].{sql|csv|parquet}[.c]           -> data, key N, compression c

``{db}`` has no dot, ``{table}`` may contain dots, files may sit in any sub-folder, and
captured names are URL-path-unescaped (``%2F`` -> ``/``).  The name written inside the
file is never used.

Compression suffixes are normalised to ``gzip``, ``zstd``, ``snappy``, ``bz2``, ``xz``,
``lz4`` or ``lzo`` (``""`` = none); which of them can really be read is the reader's
business.  An unknown suffix on a file a rule matched (``db.t.sql.orig``) is an error,
as upstream: rename the file or add an ``ignore`` rule for it.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Literal, Sequence

from tidb_lightning.errors import ConfigError, SourceError
from tidb_lightning.source.filter import GoRegexpError, compile_go_regexp

__all__ = ["FileType", "FILE_TYPES", "COMPRESSIONS", "RouteResult", "FileRouter", "parse_compression"]

log = logging.getLogger(__name__)

FileType = Literal["schema-schema", "table-schema", "view-schema", "sql", "csv", "parquet", "ignore"]
FILE_TYPES: tuple[str, ...] = ("schema-schema", "table-schema", "view-schema", "sql", "csv", "parquet", "ignore")
DATA_TYPES: frozenset[str] = frozenset({"sql", "csv", "parquet"})

#: Accepted compression names (file suffix or ``compression =`` value) -> canonical name.
COMPRESSIONS: dict[str, str] = {
    "": "",
    "gz": "gzip",
    "gzip": "gzip",
    "zst": "zstd",
    "zstd": "zstd",
    "snappy": "snappy",
    "bz2": "bz2",
    "xz": "xz",
    "lz4": "lz4",
    "lzo": "lzo",
}


def parse_compression(value: str) -> str:
    """Canonical compression name for a suffix or setting; ValueError when unknown."""
    key = value.strip().lower()
    if key not in COMPRESSIONS:
        raise ValueError(
            f"invalid compression type '{value}' (known: gz/gzip, zst/zstd, snappy, bz2, xz, lz4, lzo)"
        )
    return COMPRESSIONS[key]


@dataclass(frozen=True)
class RouteResult:
    """Where a file goes.  ``table`` is ``""`` for schema-schema and ignore results."""

    schema: str
    table: str
    type: FileType
    key: str = ""
    compression: str = ""


# ---------------------------------------------------------------------------------------
# Go-style template expansion ($1, ${name}, $name, $$)
# ---------------------------------------------------------------------------------------

_TEMPLATE_VAR = re.compile(r"\$(?:\$|\w+|\{\w+\})")


def _is_name_char(ch: str) -> bool:
    # Go: unicode.IsLetter || unicode.IsDigit || '_'
    return ch == "_" or unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) == "Nd"


def _check_template(pattern: re.Pattern[str], template: str, field: str, rule_desc: str) -> None:
    """Upstream ``checkSubPatterns``: every ``$n``/``$name`` must exist in ``pattern``."""
    for var in _TEMPLATE_VAR.findall(template):
        if var == "$$":
            continue
        name = var[2:-1] if var.startswith("${") else var[1:]
        if name.isdigit() and name.isascii():
            if int(name) > pattern.groups:
                raise ConfigError(
                    f"invalid [[mydumper.files]] rule {rule_desc}: {field} = {template!r}: "
                    f"sub pattern capture '{var}' out of range (the pattern has {pattern.groups} groups)"
                )
        elif name not in pattern.groupindex:
            raise ConfigError(
                f"invalid [[mydumper.files]] rule {rule_desc}: {field} = {template!r}: "
                f"invalid named capture '{var}'"
            )


def _expand(template: str, m: re.Match[str]) -> str:
    """Go ``Regexp.ExpandString`` on a Python match."""
    out: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        i = j + 1
        if i < n and template[i] == "$":
            out.append("$")
            i += 1
            continue
        brace = i < n and template[i] == "{"
        k = i + 1 if brace else i
        start = k
        while k < n and _is_name_char(template[k]):
            k += 1
        name = template[start:k]
        if not name or (brace and (k >= n or template[k] != "}")):
            out.append("$")  # malformed: a literal '$'
            continue
        i = k + 1 if brace else k
        value = None
        if name.isascii() and name.isdigit() and not (name[0] == "0" and len(name) > 1) and len(name) <= 8:
            num = int(name)
            if num <= m.re.groups:
                value = m.group(num)
        elif name in m.re.groupindex:
            value = m.group(name)
        out.append(value or "")
    return "".join(out)


def _path_unescape(value: str) -> str:
    """Go ``url.PathUnescape``; an invalid escape leaves the value unchanged (with a warning)."""
    if "%" not in value:
        return value
    buf = bytearray()
    i = 0
    raw = value.encode("utf-8", "surrogateescape")
    while i < len(raw):
        b = raw[i]
        if b == 0x25:  # '%'
            hx = raw[i + 1 : i + 3]
            if len(hx) != 2 or not all(c in b"0123456789abcdefABCDEF" for c in hx):
                log.warning("cannot unescape %r (bad %%-escape); using it as is", value)
                return value
            buf.append(int(hx, 16))
            i += 3
        else:
            buf.append(b)
            i += 1
    try:
        return buf.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("unescaped %r is not valid UTF-8; using it as is", value)
        return value


# ---------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    template: str
    apply: Callable[[str], str]


class _RegexRule:
    """One compiled rule: a regexp plus templates for each field."""

    def __init__(
        self,
        pattern: re.Pattern[str],
        *,
        type_: str,
        schema: str = "",
        table: str = "",
        key: str = "",
        compression: str = "",
        unescape: bool = False,
        description: str,
        match: Literal["search", "fullmatch"] = "search",
    ) -> None:
        self.pattern = pattern
        self.description = description
        self.type_template = type_
        self.schema_template = schema
        self.table_template = table
        self.key_template = key
        self.compression_template = compression
        self.unescape = unescape
        self._match = pattern.fullmatch if match == "fullmatch" else pattern.search

    def route(self, path: str) -> RouteResult | None:
        m = self._match(path)
        if m is None:
            return None
        type_value = _expand(self.type_template, m)
        ftype = type_value.strip().lower()
        if ftype not in FILE_TYPES:
            raise SourceError(
                f"file {path}: rule {self.description} gives unknown file type '{type_value}' "
                f"(expected one of {', '.join(FILE_TYPES)}); fix the rule's `type`"
            )
        if ftype == "ignore":
            return RouteResult("", "", "ignore")
        schema = _expand(self.schema_template, m)
        table = "" if ftype == "schema-schema" else _expand(self.table_template, m)
        if self.unescape:
            schema = _path_unescape(schema)
            table = _path_unescape(table)
        key = _expand(self.key_template, m) if self.key_template else ""
        compression = ""
        if self.compression_template:
            value = _expand(self.compression_template, m)
            try:
                compression = parse_compression(value)
            except ValueError as exc:
                raise SourceError(
                    f"file {path}: {exc}; rename the file, or add a [[mydumper.files]] rule "
                    f"with type = 'ignore' for it"
                ) from None
            if ftype == "parquet" and compression:
                raise SourceError(
                    f"file {path}: whole-file compressed parquet is not supported; "
                    f"compress inside parquet (its own codec) instead"
                )
        if ftype == "schema-schema":
            table = ""
        return RouteResult(schema, table, ftype, key, compression)  # type: ignore[arg-type]


# Built-in rules, Python syntax.  [0-9A-Za-z_] is Go's ASCII \w.
_W = "[0-9A-Za-z_]"
_DEFAULT_RULES: tuple[dict, ...] = (
    dict(pattern=rf"(?i).*(-schema-trigger|-schema-post)\.sql(?:\.({_W}*?))?\Z", type_="ignore"),
    dict(pattern=rf"(?i).*\.(sql|csv|parquet)(\.({_W}+))?\.(bak|BAK)\Z", type_="ignore"),
    dict(
        pattern=rf"(?i)^(?:[^/]*/)*([^/.]+)-schema-create\.sql(?:\.({_W}*?))?\Z",
        schema="$1", type_="schema-schema", compression="$2", unescape=True,
    ),
    dict(
        pattern=rf"(?i)^(?:[^/]*/)*([^/.]+)\.(.*?)-schema\.sql(?:\.({_W}*?))?\Z",
        schema="$1", table="$2", type_="table-schema", compression="$3", unescape=True,
    ),
    dict(
        pattern=rf"(?i)^(?:[^/]*/)*([^/.]+)\.(.*?)-schema-view\.sql(?:\.({_W}*?))?\Z",
        schema="$1", table="$2", type_="view-schema", compression="$3", unescape=True,
    ),
    dict(
        pattern=r"(?i)^(?:[^/]*/)*([^/.]+)\.(.*)\.([0-9]+)\.(snappy|gzip|gz|zstd|zst)\.parquet\Z",
        schema="$1", table="$2", type_="parquet", key="$3", unescape=True,
    ),
    dict(
        pattern=rf"(?i)^(?:[^/]*/)*([^/.]+)\.(.*?)(?:\.([0-9]+))?\.(sql|csv|parquet)(?:\.({_W}+))?\Z",
        schema="$1", table="$2", type_="$4", key="$3", compression="$5", unescape=True,
    ),
)


def _compile_defaults() -> list[_RegexRule]:
    rules = []
    for n, spec in enumerate(_DEFAULT_RULES, start=1):
        spec = dict(spec)
        pattern = re.compile(spec.pop("pattern"))
        rules.append(_RegexRule(pattern, description=f"#{n} (built-in) /{pattern.pattern}/", **spec))
    return rules


_DEFAULT_COMPILED = _compile_defaults()


def _get(rule, name: str) -> str:
    value = getattr(rule, name, None)
    if value is None and isinstance(rule, dict):
        value = rule.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"[[mydumper.files]] `{name}` must be a string, got {value!r}")
    return value


def _static_value(template: str) -> str | None:
    """The value of a template that references no capture group, else None."""
    if any(v != "$$" for v in _TEMPLATE_VAR.findall(template)):
        return None
    return template.replace("$$", "$")


def _compile_user_rule(rule, index: int) -> _RegexRule:
    pattern_s, path = _get(rule, "pattern"), _get(rule, "path")
    desc = f"#{index} ({'pattern = ' + repr(pattern_s) if pattern_s else 'path = ' + repr(path)})"
    if not pattern_s and not path:
        raise ConfigError(f"[[mydumper.files]] rule #{index}: `path` and `pattern` must not be both empty")
    if pattern_s and path:
        raise ConfigError(f"[[mydumper.files]] rule #{index}: can't set both `path` and `pattern`")
    schema, table = _get(rule, "schema"), _get(rule, "table")
    type_, key, compression = _get(rule, "type"), _get(rule, "key"), _get(rule, "compression")
    match: Literal["search", "fullmatch"] = "search"
    if path:
        norm = path
        while norm.startswith("./"):
            norm = norm[2:]
        # an exact path: a literal pattern, and constant templates ('$' means '$')
        pattern = re.compile(re.escape(norm))
        match = "fullmatch"
        schema, table, type_, key, compression = (
            t.replace("$", "$$") for t in (schema, table, type_, key, compression)
        )
    else:
        try:
            pattern = compile_go_regexp(pattern_s)
        except GoRegexpError as exc:
            raise ConfigError(f"invalid [[mydumper.files]] rule {desc}: {exc}") from None

    def need(field: str, template: str) -> None:
        if not template:
            raise ConfigError(f"invalid [[mydumper.files]] rule {desc}: field '{field}' can't be empty")
        _check_template(pattern, template, field, desc)

    need("type", type_)
    static_type = _static_value(type_)
    if static_type is not None:
        static_type = static_type.strip().lower()
        if static_type not in FILE_TYPES:
            raise ConfigError(
                f"invalid [[mydumper.files]] rule {desc}: unknown type '{type_}' "
                f"(expected one of {', '.join(FILE_TYPES)}, or a template like '$3')"
            )
    if static_type != "ignore":
        need("schema", schema)
        if static_type != "schema-schema":
            need("table", table)
        if key:
            _check_template(pattern, key, "key", desc)
        if compression:
            _check_template(pattern, compression, "compression", desc)
            static_compression = _static_value(compression)
            if static_compression is not None:
                try:
                    parse_compression(static_compression)
                except ValueError as exc:
                    raise ConfigError(f"invalid [[mydumper.files]] rule {desc}: {exc}") from None
    return _RegexRule(
        pattern,
        type_=type_,
        schema=schema,
        table=table,
        key=key,
        compression=compression,
        description=desc,
        match=match,
    )


class FileRouter:
    """Routes source paths to (schema, table, type, key, compression).

    ``rules`` are ``[[mydumper.files]]`` entries: objects (or dicts) with ``pattern``
    (Go regexp, searched in the path) or ``path`` (an exact path relative to the source
    root; the config turns absolute paths into relative ones), plus ``schema``,
    ``table``, ``type``, ``key``, ``compression`` templates (``$1``, ``${name}``,
    ``$name``, ``$$`` or constants).  They are tried first; the built-in rules follow
    when ``default_file_rules``.  Raises :class:`ConfigError` for an invalid rule.

    ``case_sensitive`` is accepted for symmetry with the other ``mydumper`` consumers:
    the built-in rules match extensions case-insensitively anyway, and captured names
    are returned exactly as spelled in the file name (upstream does not fold them).

    Immutable and thread-safe.
    """

    def __init__(self, rules: Sequence = (), default_file_rules: bool = True, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        self._rules: list[_RegexRule] = [_compile_user_rule(r, n) for n, r in enumerate(rules or (), start=1)]
        if default_file_rules:
            self._rules.extend(_DEFAULT_COMPILED)

    def route(self, path: str) -> RouteResult | None:
        """Route one '/'-separated relative path; ``None`` when no rule matches.

        Raises :class:`SourceError` when a rule matches but what it captures is invalid
        (unknown type or compression, compressed parquet).
        """
        for rule in self._rules:
            res = rule.route(path)
            if res is not None:
                return res
        return None

"""Pre-checks (`lightning.check-requirements`, default true): everything that can be known
before the first write to the target, checked in one pass and reported together.

:func:`run_prechecks` returns one :class:`CheckResult` row per check, :func:`render` turns
them into the table printed on stdout, and :func:`enforce` (what ``Importer.run`` calls)
prints and logs the table and raises :class:`PrecheckError` naming *every* failed row at
once.  A ``warn`` row never fails a run.

The checks, in order:

``target``        server kind and version (warn: MariaDB < 10.6, MySQL < 5.7).  The
                  connection itself is made before the checks: an unreachable server or a
                  refused login stops the run at once with its own message (host, port, user
                  and the setting to fix), as nothing on the target can be checked without it.
``privileges``    SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER on every target
                  database (and the checkpoint schema, where the progress ledger lives, and
                  with ``max-error`` > 0 ``task-info-schema-name``, where refused rows go),
                  read from ``SHOW GRANTS``: ``ALL [PRIVILEGES]``, ``*.*``, ```db`.*``
                  (with its ``_``/``%`` wildcards); the grants of granted roles are read
                  with ``SHOW GRANTS FOR <role>`` (best effort).  A privilege missing while
                  some role or table-level grant could not be resolved is a warning.
``source``        the source loaded and holds something to import (the loader's errors -
                  missing directory, data without schema... - become this row, so they are
                  reported along with the target's problems).
``data files``    files no routing rule classified that look like data (``.sql``, ``.csv``,
                  ``.tsv``, ``.dat``, ``.parquet``, optionally compressed): warn, listed.
``csv columns``   the first rows of each CSV file against tables that exist on the target
                  already (header names with ``header-schema-match``, else the value count
                  against the insertable columns).  Tables the schema step will create are
                  "skipped: created by this import".
``target tables`` existing target tables that already hold rows: the tidb backend does not
                  need them empty, so this is a warning (rows may conflict, resolved by
                  ``on-duplicate``).  With ``mydumper.no-schema`` a table missing on the
                  target fails here.
``free space``    the checkpoint file's directory and ``sorted-kv-dir`` (or the temp dir):
                  warn below 1 GiB, fail below 64 MiB.
``max-allowed-packet``  the server's ``max_allowed_packet`` against ``tidb.max-allowed-packet``
                  and the largest sampled row (plus its statement head): fail when a sampled
                  row cannot fit in one statement; warn when the server allows less than
                  4 MiB, or less than a ``tidb.max-allowed-packet`` set explicitly (with the
                  default 64 MiB, a smaller server limit is simply used: not a warning).

Resuming: the checks run on every run, also when resuming from a checkpoint.  Tables the
checkpoint already knows are expected to hold rows, so they are not reported as non-empty
(the checkpoint is only *read* here; it is opened for writing after the checks pass).

Sampling reads at most :data:`SAMPLE_ROWS` rows of each SQL/CSV file (decompressing the
head of a compressed one).  A syntax
error in a sample is a warning here: the import itself reports it with file and offset.
Nothing here writes to the target.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field

import pymysql

from tidb_lightning import log as llog
from tidb_lightning.backend import db as dbconn
from tidb_lightning.backend.tidb import VERBS, statement_head
from tidb_lightning.encode.sql_literal import rows_to_values
from tidb_lightning.errors import DataSyntaxError, LightningError
from tidb_lightning.parse.csv import CSVParser
from tidb_lightning.parse.schema import quote_ident
from tidb_lightning.parse.sql import SQLDumpParser
from tidb_lightning.restore.target import TargetTable, fetch_tables
from tidb_lightning.source.ignore import IgnoredColumns

__all__ = ["CheckResult", "PrecheckError", "PASS", "WARN", "FAIL", "REQUIRED_PRIVILEGES",
           "run_prechecks", "render", "enforce", "summary", "check_version", "check_privileges",
           "parse_grants", "check_source", "check_unmapped", "check_free_space", "check_packet"]

log = logging.getLogger(__name__)

PASS, WARN, FAIL = "pass", "warn", "fail"
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

#: what the guide lists for the tidb backend's importing user, on every target database
REQUIRED_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER")
SAMPLE_ROWS = 10
DEFAULT_MAX_PACKET = 64 * MiB  # `tidb.max-allowed-packet`'s default
MIN_SERVER_PACKET = 4 * MiB
SPACE_WARN, SPACE_FAIL = 1 * GiB, 64 * MiB
MIN_VERSIONS = {"MariaDB": (10, 6), "MySQL": (5, 7)}
_MAX_LISTED = 10


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # PASS | WARN | FAIL
    detail: str


class PrecheckError(LightningError):
    """One or more pre-checks failed; the message names every failure, on one line."""

    def __init__(self, results: list[CheckResult]) -> None:
        self.results = results
        super().__init__(summary(results))


def _flat(text: str) -> str:
    """One line: the loader's indented listings join with spaces, other line breaks with ';'."""
    text = re.sub(r"\n[ \t]+", " ", text.strip())
    return " ".join(re.sub(r"\n+", "; ", text).split())


def summary(results: list[CheckResult]) -> str:
    failed = [r for r in results if r.status == FAIL]
    n = len(failed)
    parts = "; ".join(f"{r.name}: {_flat(r.detail)}" for r in failed)
    return (f"pre-checks failed: {n} problem{'s' if n != 1 else ''}: {parts}; "
            f"fix them or run with --check-requirements=0")


def _size(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} B"


def _listing(items: list[str], limit: int = _MAX_LISTED) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" … and {len(items) - limit} more" if len(items) > limit else "")


# ----------------------------------------------------------------------------- 1. target

def _version_tuple(version: str) -> tuple[int, ...]:
    m = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", version)
    return tuple(int(g) for g in m.groups() if g is not None) if m else ()


def check_version(kind: str, version: str) -> CheckResult:
    """The target's kind and version; warn below the versions the README supports."""
    if kind == "TiDB":
        m = re.search(r"TiDB-v?([\w.\-+]+)", version)
        return CheckResult("target", PASS, f"TiDB {m.group(1) if m else version}")
    minimum = MIN_VERSIONS.get(kind)
    got = _version_tuple(version)
    if minimum and got and got[:2] < minimum:
        return CheckResult("target", WARN, f"{kind} {version}: older than {kind} "
                           f"{'.'.join(map(str, minimum))}, which this tool is tested with; "
                           f"some statements may be refused")
    return CheckResult("target", PASS, f"{kind} {version}")


# ----------------------------------------------------------------------------- 2. privileges

_QUOTED = r"`(?:[^`]|``)*+`|'(?:[^'\\]|\\.|'')*+'|\"(?:[^\"\\]|\\.|\"\")*+\""
_NAME = rf"(?:{_QUOTED}|\*|[^\s.`'\"@,]+)"
_GRANT_ON = re.compile(
    rf"^\s*GRANT\s+(?P<privs>.+?)\s+ON\s+(?:(?:TABLE|FUNCTION|PROCEDURE|PACKAGE\s+BODY|PACKAGE)\s+)?"
    rf"(?P<db>{_NAME})(?:\s*\.\s*(?P<tbl>{_NAME}))?\s+TO\s", re.I | re.S)
_GRANT_ROLE = re.compile(r"^\s*GRANT\s+(?P<roles>.+?)\s+TO\s", re.I | re.S)
_ROLE = re.compile(rf"\s*(?P<name>{_QUOTED}|[^\s,@`'\"]+)(?:\s*@\s*(?P<host>{_QUOTED}|[^\s,`'\"]+))?\s*(?:,|$)")


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "`'\"":
        q = name[0]
        inner = name[1:-1].replace(q + q, q)
        if q != "`":
            inner = re.sub(r"\\(.)", r"\1", inner)
        return inner
    return name


def _db_pattern(name: str) -> re.Pattern[str]:
    """A grant's database name as a regex: `_` and `%` are wildcards, `\\` escapes."""
    out, i = [], 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            out.append(re.escape(name[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.I | re.S)


@dataclass
class Grants:
    """What `SHOW GRANTS` lines give: global privileges, per-database-pattern privileges,
    databases with table-level grants, and granted roles (name, host or None)."""

    global_privs: set
    db_privs: list  # [(pattern, set of privileges)]
    table_dbs: list  # [pattern] of databases with table/column-level grants
    roles: list  # [(role, host | None)]


def _privileges(text: str) -> set[str]:
    text = re.sub(r"\([^)]*\)", "", text)  # column lists: SELECT (a, b)
    privs = set()
    for p in text.split(","):
        p = " ".join(p.split()).upper()
        if p in ("ALL", "ALL PRIVILEGES"):
            privs.update(REQUIRED_PRIVILEGES)
        elif p:
            privs.add(p)
    return privs


def parse_grants(lines: list[str]) -> Grants:
    """Parse `SHOW GRANTS` output (MariaDB, MySQL and TiDB spellings)."""
    g = Grants(set(), [], [], [])
    for line in lines:
        m = _GRANT_ON.match(line)
        if m:
            privs = _privileges(m.group("privs"))
            db, tbl = m.group("db"), m.group("tbl")
            if tbl is None:  # `ON *` (the default database) or a PROXY grant: not ours
                continue
            if db == "*":
                g.global_privs |= privs
            elif tbl == "*":
                g.db_privs.append((_db_pattern(_unquote(db)), privs))
            else:
                g.table_dbs.append(_db_pattern(_unquote(db)))
            continue
        m = _GRANT_ROLE.match(line)
        if m and not re.search(r"(?i)\bON\b", re.sub(_QUOTED, "", m.group("roles"))):  # not PROXY ON
            for r in _ROLE.finditer(m.group("roles")):
                if r.group("name"):
                    g.roles.append((_unquote(r.group("name")),
                                    _unquote(r.group("host")) if r.group("host") else None))
    return g


def _merge(into: Grants, other: Grants) -> None:
    into.global_privs |= other.global_privs
    into.db_privs += other.db_privs
    into.table_dbs += other.table_dbs


def read_grants(conn) -> tuple[str, Grants, list[str]]:
    """(current user, grants incl. those of granted roles, roles whose grants are unknown)."""
    with conn.cursor() as cur:
        cur.execute("SELECT CURRENT_USER()")
        user = str(cur.fetchone()[0])
        cur.execute("SHOW GRANTS")
        grants = parse_grants([str(r[0]) for r in cur.fetchall()])
        unresolved: list[str] = []
        seen: set = set()
        queue = list(grants.roles)
        while queue:
            role, host = queue.pop(0)
            if (role, host) in seen:
                continue
            seen.add((role, host))
            who = "%s" if host is None else "%s@%s"
            try:
                cur.execute(f"SHOW GRANTS FOR {who}", (role,) if host is None else (role, host))
                sub = parse_grants([str(r[0]) for r in cur.fetchall()])
            except pymysql.err.MySQLError:
                unresolved.append(role if host is None else f"{role}@{host}")
                continue
            _merge(grants, sub)
            queue.extend(sub.roles)
    return user, grants, unresolved


def check_privileges(user: str, grants: Grants, databases: list[str],
                     unresolved_roles: list[str] = (), *, required=REQUIRED_PRIVILEGES) -> CheckResult:
    """Every database in `databases` needs every privilege in `required`."""
    lacking: dict[tuple[str, ...], list[str]] = {}
    partial = False
    for db in databases:
        have = set(grants.global_privs)
        for pattern, privs in grants.db_privs:
            if pattern.fullmatch(db):
                have |= privs
        missing = tuple(p for p in required if p not in have)
        if missing:
            lacking.setdefault(missing, []).append(db)
            partial = partial or any(p.fullmatch(db) for p in grants.table_dbs)
    if not lacking:
        where = _listing([f"`{d}`" for d in databases]) if databases else "(no database)"
        return CheckResult("privileges", PASS, f"{user} has {', '.join(required)} on {where}")
    problems = []
    for missing, dbs in lacking.items():
        problems.append(f"{user} lacks {', '.join(missing)} on {_listing([f'`{d}`' for d in dbs])}")
    host_user = user.rsplit("@", 1)
    grant_to = f"'{host_user[0]}'@'{host_user[1]}'" if len(host_user) == 2 else user
    first_missing, first_dbs = next(iter(lacking.items()))
    hint = (f"(e.g. GRANT {', '.join(first_missing)} ON {quote_ident(first_dbs[0])}.* TO {grant_to})")
    if unresolved_roles or partial:
        why = []
        if unresolved_roles:
            why.append(f"the grants of role(s) {', '.join(unresolved_roles)} could not be read: "
                       f"not active in this session? (SET DEFAULT ROLE)")
        if partial:
            why.append("table-level grants were not evaluated")
        return CheckResult("privileges", WARN, "; ".join(problems) + f" ({'; '.join(why)}) {hint}")
    return CheckResult("privileges", FAIL, "; ".join(problems) + f"; the tidb backend needs "
                       f"{', '.join(required)} on each target database {hint}")


# ----------------------------------------------------------------------------- 3. source

def check_source(dbs, source_error: BaseException | None) -> CheckResult:
    if source_error is not None:
        return CheckResult("source", FAIL, str(source_error))
    tables = [t for d in dbs for t in d.tables]
    views = [v for d in dbs for v in d.views]
    files = [f for t in tables for f in t.data_files]
    if not tables and not views:
        return CheckResult("source", WARN, "no database or table to import: no file matched the "
                           "file rules and the table filter")
    return CheckResult("source", PASS, f"{len(dbs)} database(s), {len(tables)} table(s), "
                       f"{len(views)} view(s), {len(files)} data file(s), "
                       f"{_size(sum(f.size for f in files))}")


# ----------------------------------------------------------------------------- 4. data files

_DATA_LIKE = re.compile(r"(?i)\.(?:sql|csv|tsv|dat|parquet)(?:\.(?:gz|gzip|zst|zstd|snappy|bz2|xz|lz4|lzo))?$")


def check_unmapped(storage, router) -> CheckResult:
    """Files no rule classified that look like data."""
    unmapped = []
    for f in storage.walk():
        try:
            res = router.route(f.path)
        except LightningError:
            continue  # the loader reports those
        if res is None and _DATA_LIKE.search(f.path):
            unmapped.append(storage.describe(f.path))
    if unmapped:
        return CheckResult("data files", WARN, f"{len(unmapped)} file(s) look like data but no file "
                           f"rule maps them to a table, so they are not imported: {_listing(unmapped)}; "
                           f"rename them `{{db}}.{{table}}.csv|sql` or add [[mydumper.files]] rules")
    return CheckResult("data files", PASS, "every data file maps to a table")


# ----------------------------------------------------------------------------- 5, 6, 8: sampling

@dataclass
class _Sample:
    """What the first rows of the data files told."""

    largest: int = 0  # the longest sampled statement (head + one row), bytes
    largest_where: str = ""
    oversized: list[str] = field(default_factory=list)  # rows longer than the sampling cap
    unreadable: list[str] = field(default_factory=list)  # other parse errors (warn)
    column_problems: list[str] = field(default_factory=list)
    csv_checked: int = 0
    csv_skipped_tables: list[str] = field(default_factory=list)

    def row(self, size: int, where: str) -> None:
        if size > self.largest:
            self.largest, self.largest_where = size, where


def _sample_sql(s: _Sample, stream, display: str, qualified: str, verb: bytes, backslash: bool,
                cap: int) -> None:
    parser = SQLDumpParser(stream, display, backslash_escapes=backslash, max_batch_bytes=1,
                           max_row_size=cap, block_size=16 * KiB)
    for n, batch in enumerate(parser.batches()):
        if n >= SAMPLE_ROWS:
            break
        size = len(statement_head(verb, qualified, batch.columns)) + len(batch.values)
        s.row(size, f"{display} at offset {batch.start_offset}")


def _sample_csv(s: _Sample, cfg, stream, display: str, qualified: str, target: TargetTable | None,
                dialect, verb: bytes, backslash: bool, tidb_target: bool, cap: int,
                ignored: IgnoredColumns) -> None:
    from tidb_lightning.restore.chunk import _column_list  # the import's own rules

    parser = CSVParser(stream, dialect, display, block_size=16 * KiB, max_row_size=cap)
    header = parser.read_header()
    match = header is not None and cfg.mydumper.csv.header_schema_match
    cols = tuple(header) if match else None
    expected = None
    if target is not None:
        s.csv_checked += 1
        if match:
            try:
                cols, _ = _column_list(target, header, display, 0, tidb_target,
                                       ignored.of(target.schema, target.name))
            except DataSyntaxError as e:
                s.column_problems.append(f"{display}: {e.message}")
                return
            expected = len(header)
        else:
            cols, _ = _column_list(target, None, display, 0)
            expected = len(target.insertable)
    for block in parser.blocks(max_rows=SAMPLE_ROWS, max_bytes=cap):
        for row, offset in zip(block.rows, block.offsets):
            if expected is not None and len(row) != expected:
                what = (f"the header names {expected}" if match else
                        f"{target.qualified} takes {expected} ({', '.join(target.insertable)})")
                s.column_problems.append(f"{display} row at offset {offset} has {len(row)} "
                                         f"value(s), {what}")
                return
            size = len(statement_head(verb, qualified, cols)) + len(rows_to_values([row], backslash))
            s.row(size, f"{display} at offset {offset}")
        break


def sample_data(cfg, storage, dbs, existing: dict, *, tidb_target: bool, cap: int) -> _Sample:
    """Read the first rows of every SQL/CSV data file."""
    from tidb_lightning.restore.controller import csv_dialect  # (controller imports this module)

    s = _Sample()
    verb = VERBS.get(cfg.tikv_importer.on_duplicate, VERBS["replace"])
    backslash = "NO_BACKSLASH_ESCAPES" not in cfg.tidb.sql_mode.upper()
    dialect = csv_dialect(cfg.mydumper.csv)
    ignored = IgnoredColumns(cfg.mydumper.ignore_data_columns, cfg.mydumper.case_sensitive)
    views = {(v.schema, v.name) for d in dbs for v in d.views}
    for d in dbs:
        for t in d.tables:
            if (t.schema, t.name) in views:
                continue
            target = existing.get((t.schema, t.name))
            qualified = f"{quote_ident(t.schema)}.{quote_ident(t.name)}"
            has_csv = False
            for f in t.data_files:
                if f.type not in ("sql", "csv"):
                    continue
                has_csv = has_csv or f.type == "csv"
                display = storage.describe(f.path)
                try:
                    with storage.open(f.path, f.compression, cfg.mydumper.data_character_set,
                                      cfg.mydumper.data_invalid_char_replace) as stream:
                        if f.type == "sql":
                            _sample_sql(s, stream, display, qualified, verb, backslash, cap)
                        else:
                            _sample_csv(s, cfg, stream, display, qualified, target, dialect, verb,
                                        backslash, tidb_target, cap, ignored)
                except DataSyntaxError as e:
                    if "larger than" in e.message:
                        s.oversized.append(f"{display} at offset {e.offset}")
                    else:
                        s.unreadable.append(f"{display}: {e}")
                except LightningError as e:
                    s.unreadable.append(f"{display}: {e}")
            if has_csv and target is None:
                s.csv_skipped_tables.append(qualified)
    return s


def check_csv_columns(s: _Sample) -> CheckResult:
    if s.column_problems:
        return CheckResult("csv columns", FAIL, "column count or names do not match the target "
                           "table: " + "; ".join(s.column_problems))
    parts = []
    if s.csv_checked:
        parts.append(f"{s.csv_checked} CSV file(s) match their existing target tables")
    if s.csv_skipped_tables:
        parts.append(f"skipped: created by this import: {_listing(s.csv_skipped_tables)}")
    if not parts:
        parts.append("no CSV files")
    return CheckResult("csv columns", PASS, "; ".join(parts))


def sample_cap(effective: int) -> int:
    """Longest row the sampling parsers read (at least what the import's parsers accept)."""
    return max(2 * effective, 1 * MiB)


def check_packet(server: int, configured: int, s: _Sample | None) -> CheckResult:
    """The server's max_allowed_packet vs `tidb.max-allowed-packet` and the sampled rows."""
    effective = min(configured, server) if configured else server
    cap = sample_cap(effective)
    text = (f"server {_size(server)}, tidb.max-allowed-packet "
            f"{_size(configured) if configured else '0 (the server)'}: statements up to {_size(effective)}")
    if s is not None and (s.oversized or s.largest > effective):
        if s.oversized:
            where = (f"{_listing(s.oversized)} (a row longer than {_size(cap)}, or an "
                     f"unterminated string)")
        else:
            where = f"{s.largest_where} ({_size(s.largest)} with its statement head)"
        return CheckResult("max-allowed-packet", FAIL,
                           f"a row does not fit in one statement: {where}; {text}; raise "
                           f"`tidb.max-allowed-packet` and the server's max_allowed_packet")
    if s is not None and s.largest:
        text += f"; largest sampled row {_size(s.largest)}"
    if server < MIN_SERVER_PACKET:
        return CheckResult("max-allowed-packet", WARN, f"the server's max_allowed_packet is below "
                           f"{_size(MIN_SERVER_PACKET)}: {text}; big rows may be refused and "
                           f"statements are small (slow)")
    if configured and server < configured and configured != DEFAULT_MAX_PACKET:
        return CheckResult("max-allowed-packet", WARN, f"the server's max_allowed_packet is smaller "
                           f"than tidb.max-allowed-packet: {text}")
    return CheckResult("max-allowed-packet", PASS, text)


# ----------------------------------------------------------------------------- 6. target tables

def _has_rows(conn, qualified: str) -> bool:
    with conn.cursor() as cur:
        cur.execute(f"SELECT 1 FROM {qualified} LIMIT 1")
        return cur.fetchone() is not None


def check_target_tables(cfg, conn, dbs, existing: dict, in_checkpoint: set[str]) -> CheckResult:
    views = {(v.schema, v.name) for d in dbs for v in d.views}
    non_empty, resumed, empty, created, missing = [], [], 0, 0, []
    for d in dbs:
        for t in d.tables:
            if (t.schema, t.name) in views or not t.data_files:
                continue
            qualified = f"{quote_ident(t.schema)}.{quote_ident(t.name)}"
            target = existing.get((t.schema, t.name))
            if target is None:
                if cfg.mydumper.no_schema:
                    missing.append(qualified)
                else:
                    created += 1
                continue
            if qualified in in_checkpoint:
                resumed.append(qualified)
            elif _has_rows(conn, qualified):
                non_empty.append(qualified)
            else:
                empty += 1
    if missing:
        return CheckResult("target tables", FAIL, f"not found on the target: {_listing(missing)}; "
                           f"they must exist on the target when `mydumper.no-schema` is set")
    parts = [f"{empty} existing empty", f"{created} created by this import"]
    if resumed:
        parts.append(f"{len(resumed)} resumed from the checkpoint")
    if non_empty and cfg.tikv_importer.backend == "local":
        return CheckResult("target tables", FAIL, f"not empty: {_listing(non_empty)}: --backend local "
                           f"imports into empty tables only (empty them, or use --backend tidb)")
    if non_empty:
        return CheckResult("target tables", WARN, f"not empty: {_listing(non_empty)}: rows may "
                           f"conflict (on-duplicate = {cfg.tikv_importer.on_duplicate}); "
                           + ", ".join(parts))
    return CheckResult("target tables", PASS, ", ".join(parts))


# ----------------------------------------------------------------------------- 7. free space

def _existing_ancestor(path: str) -> str:
    path = os.path.abspath(os.path.expanduser(path))
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def space_dirs(cfg) -> list[tuple[str, str]]:
    """(what, directory) pairs the import writes local files to."""
    dirs = []
    cp = cfg.checkpoint
    if cp.enable and (cp.driver or "file").lower() == "file":
        path = cp.dsn or os.path.join(tempfile.gettempdir(), f"{cp.schema}.pb")
        dirs.append(("checkpoint.dsn", os.path.dirname(os.path.abspath(os.path.expanduser(path)))))
    if cfg.tikv_importer.sorted_kv_dir:
        dirs.append(("tikv-importer.sorted-kv-dir", cfg.tikv_importer.sorted_kv_dir))
    if not dirs:
        dirs.append(("temp dir", tempfile.gettempdir()))
    return dirs


def check_free_space(dirs: list[tuple[str, str]], free=None) -> CheckResult:
    free = free or (lambda p: shutil.disk_usage(p).free)
    worst, texts = PASS, []
    for what, d in dirs:
        try:
            n = free(_existing_ancestor(d))
        except OSError as e:
            texts.append(f"{what} {d}: cannot tell ({e})")
            worst = WARN if worst == PASS else worst
            continue
        texts.append(f"{what} {d}: {_size(n)} free")
        if n < SPACE_FAIL:
            worst = FAIL
        elif n < SPACE_WARN and worst == PASS:
            worst = WARN
    detail = "; ".join(texts)
    if worst == FAIL:
        detail += f" (at least {_size(SPACE_FAIL)} needed, {_size(SPACE_WARN)} recommended)"
    elif worst == WARN:
        detail += f" (below {_size(SPACE_WARN)})"
    return CheckResult("free space", worst, detail)


# ----------------------------------------------------------------------------- checkpoint peek

def checkpoint_tables(cfg, conn) -> set[str]:
    """Tables (`db`.`tbl`) an earlier run recorded in the checkpoint, read without creating
    anything; empty when there is no checkpoint or it cannot be read (the checkpoint step
    after the checks reports that)."""
    cp = cfg.checkpoint
    if not cp.enable:
        return set()
    try:
        if (cp.driver or "file").lower() == "file":
            path = cp.dsn or os.path.join(tempfile.gettempdir(), f"{cp.schema}.pb")
            if not os.path.exists(path):
                return set()
            from tidb_lightning.checkpoints import open_store
            store = open_store(cfg)
            try:
                return set(store.tables())
            finally:
                store.close()
        from tidb_lightning.checkpoints.mysql import TABLE_TABLE
        if cp.dsn.strip():
            from tidb_lightning.checkpoints import open_store
            store = open_store(cfg)
            try:
                return set(store.tables())
            finally:
                store.close()
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM " + quote_ident(cp.schema) + "." + quote_ident(TABLE_TABLE))
            return {str(r[0]) for r in cur.fetchall()}
    except Exception as e:  # noqa: BLE001 - a peek only
        log.debug("pre-checks: cannot read the checkpoint's tables: %s", e)
        return set()


# ----------------------------------------------------------------------------- all together

def source_databases(cfg, storage) -> set[str]:
    """Target databases named by the source's file names (for when the loader failed)."""
    from tidb_lightning.restore.controller import table_filter
    from tidb_lightning.source.router import FileRouter

    names: set[str] = set()
    try:
        router = FileRouter(cfg.mydumper.files, cfg.mydumper.default_file_rules, cfg.mydumper.case_sensitive)
        flt = table_filter(cfg)
        for f in storage.walk():
            try:
                res = router.route(f.path)
            except LightningError:
                continue
            if res is None or res.type == "ignore" or not res.schema:
                continue
            if flt.match_table(res.schema, res.table) if res.table else flt.match_schema(res.schema):
                names.add(res.schema)
    except LightningError:
        pass
    return names


def run_prechecks(cfg, conn, storage, dbs, *, source_error: BaseException | None = None) -> list[CheckResult]:
    """Run every check; `storage`/`dbs` may be None when loading the source failed
    (`source_error`), then the checks that need the source are left out."""
    from tidb_lightning.source.router import FileRouter

    results: list[CheckResult] = []
    info = dbconn.server_info(conn)
    results.append(check_version(info.kind, info.version))

    if dbs is not None:
        databases = sorted({d.name for d in dbs})
    else:  # the source did not load: the databases its file names route to, best effort
        databases = sorted(source_databases(cfg, storage)) if storage is not None else []
    if cfg.checkpoint.enable and cfg.checkpoint.schema not in databases:
        databases.append(cfg.checkpoint.schema)  # the progress ledger lives on the target
    info_schema = getattr(cfg.lightning, "task_info_schema_name", "")
    if getattr(cfg.lightning, "max_error", 0) > 0 and info_schema and info_schema not in databases:
        databases.append(info_schema)  # refused rows (`max-error`) are recorded there
    try:
        user, grants, unresolved = read_grants(conn)
        results.append(check_privileges(user, grants, databases, unresolved))
    except pymysql.err.MySQLError as e:
        results.append(CheckResult("privileges", WARN, f"cannot read SHOW GRANTS: {e}"))

    results.append(check_source(dbs or [], source_error))
    if storage is not None:
        router = FileRouter(cfg.mydumper.files, cfg.mydumper.default_file_rules, cfg.mydumper.case_sensitive)
        try:
            results.append(check_unmapped(storage, router))
        except LightningError as e:
            results.append(CheckResult("data files", WARN, f"cannot list the source: {e}"))

    with conn.cursor() as cur:
        cur.execute("SELECT @@max_allowed_packet")
        server_packet = int(cur.fetchone()[0])
    configured = int(cfg.tidb.max_allowed_packet or 0)
    effective = min(configured, server_packet) if configured else server_packet

    sample = None
    if dbs is not None and storage is not None:
        existing: dict[tuple[str, str], TargetTable] = {}
        for d in dbs:
            for name, t in fetch_tables(conn, d.name).items():
                existing[(d.name, name)] = t
        sample = sample_data(cfg, storage, dbs, existing, tidb_target=info.kind == "TiDB",
                             cap=sample_cap(effective))
        row = check_csv_columns(sample)
        if sample.unreadable and row.status == PASS:
            row = CheckResult(row.name, WARN, row.detail + "; could not sample (the import reports "
                              "it): " + "; ".join(sample.unreadable[:_MAX_LISTED]))
        results.append(row)
        results.append(check_target_tables(cfg, conn, dbs, existing, checkpoint_tables(cfg, conn)))
    results.append(check_free_space(space_dirs(cfg)))
    results.append(check_packet(server_packet, configured, sample))
    return results


def render(results: list[CheckResult]) -> str:
    """The table printed on stdout."""
    name_w = max([len("check")] + [len(r.name) for r in results])
    lines = ["pre-checks (lightning.check-requirements):",
             f"  {'result':<6}  {'check':<{name_w}}  detail"]
    for r in results:
        lines.append(f"  {r.status.upper():<6}  {r.name:<{name_w}}  {_flat(r.detail)}")
    fails = sum(r.status == FAIL for r in results)
    warns = sum(r.status == WARN for r in results)
    lines.append(f"  {len(results)} checks: {len(results) - fails - warns} passed, {warns} warning(s), "
                 f"{fails} failed")
    return "\n".join(lines)


def enforce(cfg, conn, storage, dbs, *, source_error: BaseException | None = None) -> list[CheckResult]:
    """Run, print (stdout) and log the checks; raise PrecheckError when any failed."""
    results = run_prechecks(cfg, conn, storage, dbs, source_error=source_error)
    print(render(results), flush=True)
    levels = {PASS: logging.INFO, WARN: logging.WARNING, FAIL: logging.ERROR}
    for r in results:
        llog.kv(log, levels[r.status], "pre-check", check=r.name, result=r.status,
                detail=_flat(r.detail))
    if any(r.status == FAIL for r in results):
        raise PrecheckError(results)
    return results

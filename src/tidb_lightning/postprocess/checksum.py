"""Post-import checksum: the target's (rows, XOR, SUM) of CRC32s against the source's.

The source side was computed while importing (:mod:`tidb_lightning.checksum.hasher`); here
the target computes the same with one aggregate query.  A table that held rows before the
import is compared as `before + source`; when that cannot hold (rows replaced or ignored as
duplicates) or some rows could not be hashed, the check is *skipped* and says why -- never
reported as passed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from tidb_lightning.backend.db import text
from tidb_lightning.checksum.forms import INTS
from tidb_lightning.checksum.hasher import MASK, Digest
from tidb_lightning.parse.schema import quote_ident

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """`state`: passed | mismatch | skipped; `message` says what was compared or why not."""

    state: str
    message: str
    remote: Digest | None = None  # what the target holds
    local: Digest | None = None   # what it should hold (before the import + source)


MIN_SPLIT_ROWS = 100_000  # a table the server estimates smaller is scanned in one query


def target_checksum(query, hasher, parallel=None) -> Digest:
    """The target's digest of the table: one scan, or -- with `parallel(sqls) -> [rows]`
    running statements on several connections at once, and an integer primary key -- one
    scan per key range (`tidb.checksum-table-concurrency` of them), summed."""
    sqls = _range_sqls(query, hasher, parallel.width) if parallel is not None else None
    results = parallel(sqls) if sqls else [query(hasher.target_sql())]
    total = Digest()
    for rows in results:
        n, x, s = rows[0]
        total = total + Digest(int(n), int(x), int(s) & MASK)
    return total


def _range_sqls(query, hasher, width: int) -> list[str] | None:
    table = hasher.table
    if width < 2:
        return None
    estimate = query("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                     "AND TABLE_NAME = %s", (table.schema, table.name))
    if not estimate or int(estimate[0][0] or 0) < MIN_SPLIT_ROWS:
        return None
    # no join of information_schema tables: MariaDB runs it as a nested loop over every table
    key = query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = %s "
                "AND TABLE_NAME = %s AND CONSTRAINT_NAME = 'PRIMARY'", (table.schema, table.name))
    if len(key) != 1:
        return None
    name = text(key[0][0])
    if next((c.data_type for c in table.columns if c.name.lower() == name.lower()), "") not in INTS:
        return None
    col = quote_ident(name)
    lo, hi = query(f"SELECT MIN({col}), MAX({col}) FROM {table.qualified}")[0]
    if lo is None or hi - lo < width:
        return None
    step = (hi - lo + 1) // width
    bounds = [lo + i * step for i in range(width)] + [hi + 1]
    return [hasher.target_sql(f"{col} >= {a} AND {col} < {b}") for a, b in zip(bounds, bounds[1:])]



def verify(table: str, query, hasher, before: Digest | None, source: Digest, duplicates: int,
           unverified: str | None, kind: str, parallel=None) -> Outcome:
    """Compare the target with `before + source` for one table."""
    if unverified:
        return Outcome("skipped", f"some rows could not be checksummed: {unverified}")
    if before is None:
        return Outcome("skipped", "no checksum of the table was taken before its import began "
                                  "(an earlier run had post-restore.checksum = \"off\")")
    if duplicates:
        return Outcome("skipped", f"{duplicates} row(s) replaced or ignored as duplicates "
                                  f"(on-duplicate): the table cannot equal the source")
    if kind == "TiDB":
        _admin_checksum(query, table)
    remote = target_checksum(query, hasher, parallel)
    local = before + source
    detail = (f"(checksum: {remote.xor}/{remote.sum} vs {local.xor}/{local.sum}) "
              f"(total_kvs: {remote.rows} vs {local.rows})")
    if remote == local:
        extra = f", {before.rows} of them there before the import" if before.rows else ""
        return Outcome("passed", f"{remote.rows} rows{extra} {detail}")
    if before.rows and remote == source:
        log.warning("%s: the table holds exactly the imported rows; the %d row(s) it held before "
                    "the import are no longer there", table, before.rows)
        return Outcome("passed", f"{remote.rows} rows, all imported (the {before.rows} row(s) there "
                                 f"before the import were removed since) (total_kvs: {remote.rows})")
    if before.rows:
        detail += f" (the table held {before.rows} row(s) before the import)"
    what = ("rows are missing" if remote.rows < local.rows else
            "there are extra rows" if remote.rows > local.rows else "row contents differ")
    return Outcome("mismatch", f"checksum mismatched remote vs local => {detail}: {what}", remote, local)


def _admin_checksum(query, table: str) -> None:
    """TiDB's own KV checksum, logged for comparison with upstream's reports."""
    try:
        rows = query(f"ADMIN CHECKSUM TABLE {table}")
        log.info("%s: ADMIN CHECKSUM TABLE: %s", table, rows[0] if rows else None)
    except Exception as e:  # noqa: BLE001 - informational only
        log.warning("%s: ADMIN CHECKSUM TABLE failed: %s", table, e)

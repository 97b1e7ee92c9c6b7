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

from tidb_lightning.checksum.hasher import MASK, Digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """`state`: passed | mismatch | skipped; `message` says what was compared or why not."""

    state: str
    message: str
    remote: Digest | None = None  # what the target holds
    local: Digest | None = None   # what it should hold (before the import + source)


def target_checksum(query, hasher) -> Digest:
    rows = query(hasher.target_sql())
    n, x, s = rows[0]
    return Digest(int(n), int(x), int(s) & MASK)


def verify(table: str, query, hasher, before: Digest | None, source: Digest, duplicates: int,
           unverified: str | None, kind: str) -> Outcome:
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
    remote = target_checksum(query, hasher)
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

"""Index engine of the `local` backend: secondary indexes off before loading, on after.

Loading into a table without its secondary indexes writes each row once; one `ALTER TABLE
... ADD INDEX ..., ADD INDEX ...` afterwards builds them by sorting, which is what makes
upstream's physical import fast.  The definitions are read from `SHOW CREATE TABLE` and kept
(with the chunk progress on the target, when checkpoints are on) before anything is dropped,
so a run killed at any point rebuilds exactly what is missing.
"""
from __future__ import annotations

import logging
import re

import pymysql

from tidb_lightning.backend.db import text
from tidb_lightning.parse.schema import quote_ident

log = logging.getLogger(__name__)

_KEY_LINE = re.compile(r"^\s*((?:UNIQUE |FULLTEXT |SPATIAL )?KEY `((?:[^`]|``)+)` .*?),?$")


def secondary_indexes(create_table: str, keep_unique: bool) -> list[tuple[str, str]]:
    """(name, definition) of the indexes to take off: every KEY line of `SHOW CREATE TABLE`
    but the primary key (and unique keys when `keep_unique`)."""
    out = []
    for line in create_table.splitlines():
        m = _KEY_LINE.match(line)
        if m and not (keep_unique and m.group(1).startswith("UNIQUE ")):
            out.append((m.group(2).replace("``", "`"), m.group(1)))
    return out


def show_create(query, qualified: str) -> str:
    return text(query(f"SHOW CREATE TABLE {qualified}")[0][1])


def drop(query, qualified: str, indexes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop the indexes (one statement; one at a time if the server refuses some, e.g. one a
    foreign key or the AUTO_INCREMENT column needs).  Returns those dropped."""
    if not indexes:
        return []
    try:
        query(f"ALTER TABLE {qualified} " + ", ".join(f"DROP INDEX {quote_ident(n)}" for n, _ in indexes))
        return list(indexes)
    except Exception:  # noqa: BLE001 - retried one by one below, each refusal logged
        pass
    dropped = []
    for name, definition in indexes:
        try:
            query(f"ALTER TABLE {qualified} DROP INDEX {quote_ident(name)}")
            dropped.append((name, definition))
        except pymysql.err.MySQLError as e:
            log.info("%s: index %s stays during the import: %s", qualified, name, e)
        except Exception as e:  # noqa: BLE001 - classified target errors
            log.info("%s: index %s stays during the import: %s", qualified, name, e)
    return dropped


def missing(query, qualified: str, indexes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Those of `indexes` the table does not have (now)."""
    present = {n for n, _ in secondary_indexes(show_create(query, qualified), keep_unique=False)}
    return [(n, d) for n, d in indexes if n not in present]


def add_sql(qualified: str, indexes: list[tuple[str, str]]) -> str:
    return f"ALTER TABLE {qualified} " + ", ".join(f"ADD {d}" for _, d in indexes)


def duplicates_sample(query, qualified: str, definition: str, limit: int = 5) -> str:
    """A few duplicated values of a unique key, for the error message."""
    cols = re.search(r"\((.*)\)", definition)
    if not cols:
        return ""
    columns = re.sub(r"\(\d+\)", "", cols.group(1))  # prefix lengths do not apply to a GROUP BY
    try:
        rows = query(f"SELECT {columns}, COUNT(*) FROM {qualified} GROUP BY {columns} "
                     f"HAVING COUNT(*) > 1 LIMIT {limit}")
    except Exception:  # noqa: BLE001 - the sample is a courtesy
        return ""
    shown = ["(" + ", ".join(_show(v) for v in r[:-1]) + f") x{r[-1]}" for r in rows]
    return "; duplicated values: " + ", ".join(shown) if shown else ""


def _show(v) -> str:
    if isinstance(v, (bytes, bytearray)):
        v = v.decode("utf-8", "replace")
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 40 else text[:37] + "..."

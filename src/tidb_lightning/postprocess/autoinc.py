"""Make the next generated AUTO_INCREMENT value larger than every imported one.

InnoDB (MySQL, MariaDB) already moves its counter past explicit values, but a counter that
is behind (TiDB allocates ids in ranges; a target table created by hand) would hand out an id
that collides with an imported row.  Exact, not upstream's estimate: the counter is set to
MAX(column) + 1 only when it is not already larger, so a dump's own `AUTO_INCREMENT=N` is kept.
"""
from __future__ import annotations

import re

_COUNTER = re.compile(r"\bAUTO_INCREMENT=(\d+)")


def fix_auto_increment(query, table) -> int | None:
    """Returns the counter set, or None when nothing needed changing."""
    column = next((c.name for c in table.columns if c.auto_increment), None)  # read with the table
    if column is None:
        return None
    column = column.replace("`", "``")
    (maximum,), = query(f"SELECT MAX(`{column}`) FROM {table.qualified}")
    if maximum is None:
        return None
    (_, ddl), = query(f"SHOW CREATE TABLE {table.qualified}")
    m = _COUNTER.search(_text(ddl))
    counter = int(m.group(1)) if m else 1
    wanted = int(maximum) + 1
    if counter >= wanted:
        return None
    query(f"ALTER TABLE {table.qualified} AUTO_INCREMENT = {wanted}")
    return wanted


def _text(v) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else str(v)

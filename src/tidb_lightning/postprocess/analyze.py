"""`ANALYZE TABLE` after the import, so the optimizer sees the new data at once."""
from __future__ import annotations


def analyze(query, table) -> str | None:
    """Run ANALYZE TABLE; returns None when it worked, else the server's message."""
    rows = query(f"ANALYZE TABLE {table.qualified}")
    for row in rows:
        msg_type = _text(row[2]).lower() if len(row) > 3 else ""
        if msg_type == "error":
            return _text(row[3])
    return None


def _text(v) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else str(v)

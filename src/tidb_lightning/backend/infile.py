"""`LOAD DATA LOCAL INFILE` from memory.

In that protocol the server names the file it wants and the client sends it; PyMySQL opens
the named local file.  Here a connection answers only with the batch it is sending at that
moment (:func:`offering`), so no file on this machine is ever read because a server asked
for it, and the rows need no temporary file.
"""
from __future__ import annotations

from contextlib import contextmanager

import pymysql.connections
from pymysql.constants import ER

PACKET = 256 * 1024  # under any server's max_allowed_packet; few enough write calls per MB


def _send_offered(filename: str, conn) -> None:
    data = getattr(conn, "_lightning_offer", None)
    if data is None:
        raise pymysql.err.OperationalError(
            ER.FILE_NOT_FOUND, f"the server asked for the local file {filename!r}, which nobody "
                               f"offered: refused")
    view = memoryview(data)
    for i in range(0, len(view), PACKET):
        conn.write_packet(view[i:i + PACKET])


pymysql.connections._send_local_file = _send_offered


@contextmanager
def offering(conn, data: bytes | memoryview):
    """While the block runs, a LOAD DATA LOCAL INFILE on `conn` reads `data`."""
    conn._lightning_offer = data
    try:
        yield
    finally:
        conn._lightning_offer = None

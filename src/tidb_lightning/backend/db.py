"""Connections to the target server (TiDB, MySQL or MariaDB) with the task's session settings.

Passwords never leave this module: errors name host, port and user only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import pymysql

from tidb_lightning.errors import RetryableTargetError, TargetError

log = logging.getLogger(__name__)

# MySQL error codes after which the same statement may simply be tried again
RETRYABLE_CODES = {1205, 1213, 2006, 2013, 2003, 1040, 1053, 1927, 8022, 8027, 8028, 9007}
CONNECTION_LOST_CODES = {2006, 2013, 2003, 1053, 1927}


@dataclass(frozen=True)
class ServerInfo:
    version: str
    kind: str  # "TiDB" | "MariaDB" | "MySQL"

    @staticmethod
    def from_version(version: str) -> "ServerInfo":
        kind = "TiDB" if "TiDB" in version else "MariaDB" if "MariaDB" in version else "MySQL"
        return ServerInfo(version, kind)


def _ssl(cfg) -> dict | None:
    sec = getattr(cfg, "security", None)
    if sec is None or not getattr(sec, "ca_path", ""):
        return None
    ssl = {"ca": sec.ca_path}
    if sec.cert_path:
        ssl["cert"] = sec.cert_path
    if sec.key_path:
        ssl["key"] = sec.key_path
    return ssl


def describe(tidb) -> str:
    return f"{tidb.user}@{tidb.host}:{tidb.port}"


def connect(tidb, *, binary: bool = False, session: bool = True, local_infile: bool = False):
    """Open one autocommit connection using the `[tidb]` section `tidb`.

    binary=True makes the connection charset `binary`, so the dump's string literals reach
    the server byte for byte (what `/*!40101 SET NAMES binary*/` in every dump asks for).
    session=True applies `tidb.sql-mode` and the session variables; ones the server rejects
    are logged and skipped, as upstream does on MySQL-family targets.
    """
    try:
        conn = pymysql.connect(
            host=tidb.host, port=int(tidb.port), user=tidb.user, password=tidb.password,
            charset="utf8mb4", autocommit=True, ssl=_ssl(tidb), connect_timeout=30,
            local_infile=local_infile,
            max_allowed_packet=1 << 30)
    except pymysql.err.OperationalError as e:
        code = e.args[0] if e.args else 0
        msg = e.args[1] if len(e.args) > 1 else str(e)
        if code == 1045:
            raise TargetError(f"cannot log in to the target {describe(tidb)}: {msg}; check "
                              f"`tidb.user` / `tidb.password` (--tidb-user / --tidb-password)") from None
        raise RetryableTargetError(f"cannot connect to the target {describe(tidb)}: {msg}; check "
                                   f"`tidb.host` / `tidb.port` and that the server is running") from None
    if session:
        _apply_session(conn, tidb, data=binary)
    if binary:
        conn.query("SET NAMES binary")
    return conn


def data_sql_mode(sql_mode: str) -> str:
    """The task's sql_mode plus NO_AUTO_VALUE_ON_ZERO: a 0 in an AUTO_INCREMENT column of the
    source is a real value and must arrive as 0, not as a freshly generated id."""
    modes = [m for m in sql_mode.split(",") if m.strip()]
    if "NO_AUTO_VALUE_ON_ZERO" not in {m.strip().upper() for m in modes}:
        modes.append("NO_AUTO_VALUE_ON_ZERO")
    return ",".join(modes)


def _apply_session(conn, tidb, data: bool = False) -> None:
    mode = data_sql_mode(tidb.sql_mode) if data else tidb.sql_mode
    settings = [("sql_mode", mode), ("foreign_key_checks", 0)]  # int: MariaDB refuses '0'
    version = server_info(conn)
    if version.kind == "TiDB":
        settings += [
            ("tidb_build_stats_concurrency", tidb.build_stats_concurrency),
            ("tidb_distsql_scan_concurrency", tidb.distsql_scan_concurrency),
            ("tidb_index_serial_scan_concurrency", tidb.index_serial_scan_concurrency),
            ("tidb_checksum_table_concurrency", tidb.checksum_table_concurrency),
            ("allow_auto_random_explicit_insert", 1), ("tidb_opt_write_row_id", 1),
        ]
    settings += list((getattr(tidb, "session_vars", None) or {}).items())
    with conn.cursor() as cur:
        for name, value in settings:
            try:
                cur.execute(f"SET SESSION {name} = %s", (value,))
            except pymysql.err.MySQLError as e:
                log.warning("the target rejected session variable %s=%r, skipped: %s", name, value, e)


def server_info(conn) -> ServerInfo:
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        return ServerInfo.from_version(cur.fetchone()[0])


def error_code(e: BaseException) -> int:
    if isinstance(e, pymysql.err.MySQLError) and e.args and isinstance(e.args[0], int):
        return e.args[0]
    return 0


def classify(e: BaseException, what: str) -> TargetError:
    """Wrap a driver error into our tree, keeping the server's own message."""
    code = error_code(e)
    text = e.args[1] if isinstance(e, pymysql.err.MySQLError) and len(e.args) > 1 else str(e)
    cls = RetryableTargetError if code in RETRYABLE_CODES or isinstance(
        e, (pymysql.err.InterfaceError, ConnectionError)) else TargetError
    err = cls(f"{what}: Error {code}: {text}" if code else f"{what}: {text}")
    err.code = code
    return err

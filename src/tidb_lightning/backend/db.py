"""Connections to the target server (TiDB, MySQL or MariaDB) with the task's session settings.

Passwords never leave this module: errors name host, port and user only.
"""
from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

import pymysql
from pymysql.constants import CLIENT

from tidb_lightning.errors import ConfigError, RetryableTargetError, TargetError

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


@dataclass(frozen=True)
class TLS:
    """How connections to the target use TLS: `tidb.tls` resolved with `tidb.security`.

    mode is one of (as upstream's `tidb.tls`):

    * ``false``: plaintext only (PyMySQL's own "preferred" default is switched off).
    * ``cluster``: TLS required; the server certificate must chain to `ca` **and** name the
      host in `tidb.host` (IP or DNS SAN), like upstream whose Go driver sets ServerName to the
      host.  A server without TLS or with a certificate that does not verify is refused.
    * ``skip-verify``: TLS required, the server certificate is not checked.
    * ``preferred``: like skip-verify, but plaintext when the server offers no TLS at all
      (a TLS handshake that fails is still an error, never a silent downgrade).

    `cert`/`key` (a client certificate) are presented in every TLS mode when set.
    """

    mode: str = "false"
    ca: str = ""
    cert: str = ""
    key: str = ""

    @property
    def enabled(self) -> bool:
        return self.mode in ("cluster", "skip-verify", "preferred")

    def context(self) -> ssl.SSLContext | None:
        """The client SSLContext; ConfigError naming the setting when a file cannot be used."""
        if not self.enabled:
            return None
        try:
            if self.mode == "cluster":
                ctx = ssl.create_default_context(cafile=self.ca)
                ctx.check_hostname = True
                ctx.verify_mode = ssl.CERT_REQUIRED
            else:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
        except (OSError, ssl.SSLError) as e:
            raise ConfigError(f"cannot use the CA file {self.ca!r} of `tidb.security.ca-path` (defaults to "
                              f"`security.ca-path` / --ca) for `tidb.tls` = {self.mode!r}: {e}") from None
        # like Go (and PyMySQL): no RFC 5280 strictness beyond chain + name, so certificates that
        # TiDB/MySQL generate themselves still verify
        ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
        if self.cert or self.key:
            try:
                ctx.load_cert_chain(self.cert or self.key, keyfile=self.key or None)
            except (OSError, ssl.SSLError) as e:
                raise ConfigError(f"cannot use the client certificate {self.cert!r} / key {self.key!r} of "
                                  f"`tidb.security.cert-path` / `key-path` (default `security.cert-path` / "
                                  f"`key-path`, --cert / --key): {e}") from None
        return ctx

    def connect(self, **kw) -> pymysql.connections.Connection:
        """pymysql.connect(**kw) with this TLS mode; driver errors pass through unchanged."""
        ctx = self.context()
        if ctx is None:
            return _plaintext(**kw)
        try:
            return pymysql.connect(ssl=ctx, **kw)
        except pymysql.err.OperationalError as e:
            if self.mode == "preferred" and _no_tls_offered(e):
                log.info("the target offers no TLS: `tidb.tls` = 'preferred' falls back to plaintext")
                return _plaintext(**kw)
            raise

    def explain(self, e: BaseException) -> str | None:
        """A message naming the TLS settings when `e` (a failed connect) is about TLS, else None."""
        code = e.args[0] if isinstance(e, pymysql.err.MySQLError) and e.args else 0
        msg = e.args[1] if isinstance(e, pymysql.err.MySQLError) and len(e.args) > 1 else str(e)
        # only a failure to connect (2003, 2026) is about the handshake; a TLS socket that breaks
        # mid-query (2013) stays an ordinary, retryable lost connection
        cause = _ssl_cause(e) if code in (2003, 2026) else None
        if _no_tls_offered(e):
            return (f"the target offers no TLS but `tidb.tls` is {self.mode!r}; enable TLS on the server "
                    f"(--ssl-ca/--ssl-cert/--ssl-key) or set `tidb.tls` to 'preferred' or 'false'")
        if code in _TLS_REQUIRED_CODES or "insecure transport" in msg.lower():
            return (f"the target requires TLS but `tidb.tls` is {self.mode!r}: {msg}; set `tidb.tls` to "
                    f"'cluster' with `security.ca-path` (--ca), or to 'skip-verify' / 'preferred'")
        if code == 1045 and getattr(e, "tls_offered", False):
            # MariaDB answers a plaintext login under require_secure_transport with a plain 1045
            return (f"{msg}; the login went in plaintext (`tidb.tls` = 'false') and the server offers "
                    f"TLS: if it requires secure transport (require_secure_transport, REQUIRE SSL), set "
                    f"`tidb.tls` to 'cluster' with `security.ca-path` (--ca), or to 'skip-verify' / "
                    f"'preferred'; otherwise check `tidb.user` / `tidb.password` (--tidb-user / "
                    f"--tidb-password, or the TIDB_PASSWORD environment variable)")
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (f"the server certificate does not verify (`tidb.tls` = {self.mode!r}, CA "
                    f"`tidb.security.ca-path` = {self.ca!r}, from `security.ca-path` / --ca unless "
                    f"[tidb.security] sets it): {cause.verify_message or cause}; use the CA that signed "
                    f"the server certificate and a `tidb.host` the certificate names, or set "
                    f"`tidb.tls` = 'skip-verify' to encrypt without verifying")
        if cause is not None:
            return (f"the TLS handshake failed (`tidb.tls` = {self.mode!r}): {cause}; check "
                    f"`tidb.security` / `security` ca-path, cert-path and key-path")
        return None


_TLS_REQUIRED_CODES = {3159, 4151}  # MySQL / MariaDB: insecure transport prohibited


def _plaintext(**kw) -> pymysql.connections.Connection:
    """A connection without TLS; a failed login is marked `tls_offered` when the server offered
    TLS (the server's handshake is read before the login), for TLS.explain()."""
    conn = pymysql.connections.Connection(ssl_disabled=True, defer_connect=True, **kw)
    try:
        conn.connect()
    except pymysql.err.OperationalError as e:
        e.tls_offered = bool((getattr(conn, "server_capabilities", 0) or 0) & CLIENT.SSL)
        raise
    return conn


def _no_tls_offered(e: BaseException) -> bool:
    return (isinstance(e, pymysql.err.OperationalError) and bool(e.args) and e.args[0] == 2026
            and "doesn't support" in str(e.args[1:]))


def _ssl_cause(e: BaseException | None) -> ssl.SSLError | None:
    seen = 0
    while e is not None and seen < 5:
        if isinstance(e, ssl.SSLError):
            return e
        e, seen = e.__cause__ or e.__context__, seen + 1
    return None


def tls_of(tidb) -> TLS:
    """The TLS settings of a `[tidb]` section (already resolved by config.adjust)."""
    mode = (getattr(tidb, "tls", "") or "").lower()
    sec = getattr(tidb, "security", None)
    ca = getattr(sec, "ca_path", "") if sec is not None else ""
    if mode == "":
        mode = "cluster" if ca else "false"
    if mode == "false":
        return TLS("false")
    return TLS(mode, ca if mode == "cluster" else "", getattr(sec, "cert_path", "") if sec else "",
               getattr(sec, "key_path", "") if sec else "")


def describe(tidb) -> str:
    return f"{tidb.user}@{tidb.host}:{tidb.port}"


def connect(tidb, *, binary: bool = False, session: bool = True, local_infile: bool = False,
            extra: dict | None = None, data: bool | None = None):
    """Open one autocommit connection using the `[tidb]` section `tidb`.

    binary=True makes the connection charset `binary`, so the dump's string literals reach
    the server byte for byte (what `/*!40101 SET NAMES binary*/` in every dump asks for).
    `data` (default: `binary`): a connection that writes rows (the data sql_mode).
    session=True applies `tidb.sql-mode` and the session variables; ones the server rejects
    are logged and skipped, as upstream does on MySQL-family targets; `extra` adds the
    backend's own session variables.
    """
    tls = tls_of(tidb)
    try:
        conn = tls.connect(
            host=tidb.host, port=int(tidb.port), user=tidb.user, password=tidb.password,
            charset="utf8mb4", autocommit=True, connect_timeout=30,
            local_infile=local_infile,
            max_allowed_packet=1 << 30)
    except pymysql.err.OperationalError as e:
        code = e.args[0] if e.args else 0
        msg = e.args[1] if len(e.args) > 1 else str(e)
        why = tls.explain(e)
        if why:
            raise TargetError(f"cannot connect to the target {describe(tidb)}: {why}") from None
        if code == 1045:
            raise TargetError(f"cannot log in to the target {describe(tidb)}: {msg}; check "
                              f"`tidb.user` / `tidb.password` (--tidb-user / --tidb-password, "
                              f"or the TIDB_PASSWORD environment variable)") from None
        raise RetryableTargetError(f"cannot connect to the target {describe(tidb)}: {msg}; check "
                                   f"`tidb.host` / `tidb.port` and that the server is running") from None
    if session:
        _apply_session(conn, tidb, data=binary if data is None else data, extra=extra)
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


def _apply_session(conn, tidb, data: bool = False, extra: dict | None = None) -> None:
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
    settings += list((extra or {}).items())
    settings += list((getattr(tidb, "session_vars", None) or {}).items())
    with conn.cursor() as cur:
        for name, value in settings:
            try:
                cur.execute(f"SET SESSION {name} = %s", (value,))
            except pymysql.err.MySQLError as e:
                log.warning("the target rejected session variable %s=%r, skipped: %s", name, value, e)


def query(conn, sql, args=None) -> list[tuple]:
    """Run one statement on `conn`; all its rows."""
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def querier(conn):
    """`query` bound to `conn`, errors classified (TargetError with the server's code; a lost
    connection retryable): what the post-restore steps take."""
    def run(sql, args=None) -> list[tuple]:
        try:
            return query(conn, sql, args)
        except pymysql.err.MySQLError as e:
            head = (sql.decode("utf-8", "replace") if isinstance(sql, bytes) else sql)[:60]
            raise classify(e, f"statement on the target failed ({head}...)") from None
    return run


def text(v) -> str:
    """A value read on a `binary` session (bytes) or not (str) as str; None as ""."""
    if isinstance(v, (bytes, bytearray)):
        return v.decode("utf-8", "surrogateescape")
    return "" if v is None else str(v)


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

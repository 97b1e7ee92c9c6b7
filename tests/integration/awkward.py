"""A database full of awkward values, shared by the round-trip tests.

`create(conn, db)` builds it on the private server; `snapshot(conn, db)` records what the
round trip must preserve: `CHECKSUM TABLE` and row count of every base table, and the full
result of every view.  `fetch_raw(conn_raw, db, table)` returns rows in the server's own text
form (bytes, None for NULL), which is what a CSV writer would put in a file.

What is in it, and why:

* ``strs``: quotes, backslashes, the string 'NULL' next to NULL, `\\N`, empty strings, CJK,
  emoji (utf8mb4), control bytes (NUL, ^Z, tab, CR, LF), CSV/TSV separators and
  terminators inside values.
* ``bins``: every byte value in a BLOB and a VARBINARY, one row per byte value too.
* ``dates``: zero dates/datetimes (inserted under a permissive sql_mode), partial zero
  dates, the DATE/DATETIME(6)/TIME/YEAR extremes.
* ``tss``: TIMESTAMP(6) values, including the zero timestamp and the 2038 limit.
* ``decs``: DECIMAL(65,30) and DECIMAL(65,0) extremes.
* ``dbls``: DOUBLE max, min normal, min subnormal, "negative zero" (MariaDB stores +0),
  1e-300, and FLOAT values that survive the server's 6-digit FLOAT text form (FLOATs that
  need more digits do not survive *any* text dump, Lightning or not).
* ``ints``: BIGINT (UNSIGNED) extremes, BIT, ENUM, SET.
* ``bigtext``: 1 MiB values (text with quotes/backslashes/newlines/CJK, and random bytes).
* ``nopk``: no primary key, duplicate rows (and duplicate NULL rows).
* ``comp``: composite primary key, with a secondary index.
* ``autoinc``: AUTO_INCREMENT column holding a 0.
* ``v_comp``: a view over ``comp``.
"""
from __future__ import annotations

import random

import pymysql

from .conftest import summary_table

VIEWS = ("v_comp",)

_ALL_BYTES = bytes(range(256))
_rng = random.Random(20260417)
_MIB = 1 << 20

STRINGS: list[str | bytes | None] = [
    "plain",
    "it's",
    'say "hi"',
    "''",
    '""',
    "back\\slash",
    "ends with backslash\\",
    "\\",
    "\\\\",
    "\\N",
    "N",
    "NULL",
    "null",
    None,
    "",
    " ",
    "  spaced  ",
    "中文字符 漢字 日本語 한국어",
    "emoji 🐉🎉👍🏽 family 👨‍👩‍👧 𝄞",
    "tab\there",
    "new\nline",
    "cr\rlf\r\n",
    "\r\n",
    "\n",
    "nul\x00inside",
    "ctrl-z\x1a",
    "a,b",
    ",",
    "|+|",
    "x|+|y",
    "|+",
    "'quoted'",
    "'",
    '"',
    "\"', mixed \\' \\\" '\"",
    "#not a comment",
    "-- not a comment",
    "/* not a comment */",
    "VALUES (1,2);",
    ");INSERT INTO strs VALUES (99,'x');",
    "\\0\\b\\n\\r\\t\\Z",
    "trailing\\",
    "Ω≈ç√∫˜µ≤≥÷",
    "<<NULL>>-like but not",
]


def _strs_rows():
    rows = []
    for i, s in enumerate(STRINGS):
        other = None if s is None else (s * 3 if isinstance(s, str) else s)
        rows.append((i, s, other))
    return rows


def _bins_rows():
    rows = [(0, _ALL_BYTES, _ALL_BYTES, b"\x00\xff"),
            (1, _ALL_BYTES[::-1], _ALL_BYTES[::-1], b"\xff\x00\x5c\x27"),
            (2, b"", b"", b""),
            (3, None, None, None),
            (4, b"\\N", b"NULL", b"\\N")]
    rows += [(10 + i, bytes([i]), bytes([i]) * 3, bytes([i])) for i in range(256)]
    return rows


TABLES: dict[str, tuple[str, list[tuple]]] = {
    "strs": ("""CREATE TABLE `strs` (
  `id` int NOT NULL,
  `s` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `t` text CHARACTER SET utf8mb4 DEFAULT NULL,
  PRIMARY KEY (`id`)
) DEFAULT CHARSET=utf8mb4""", _strs_rows()),
    "bins": ("""CREATE TABLE `bins` (
  `id` int NOT NULL,
  `b` blob,
  `vb` varbinary(1024),
  `bn` binary(4),
  PRIMARY KEY (`id`)
)""", _bins_rows()),
    "dates": ("""CREATE TABLE `dates` (
  `id` int NOT NULL PRIMARY KEY,
  `d` date NULL,
  `dt` datetime NULL,
  `dt6` datetime(6) NULL,
  `tm` time(3) NULL,
  `y` year NULL
)""", [
        (1, "0000-00-00", "0000-00-00 00:00:00", "0000-00-00 00:00:00.000000", "00:00:00", "0000"),
        (2, "2021-00-00", "2021-00-00 00:00:00", "2021-02-00 10:11:12.000001", "-838:59:59", "1901"),
        (3, "1000-01-01", "1000-01-01 00:00:00", "1000-01-01 00:00:00.000000", "838:59:59", "2155"),
        (4, "9999-12-31", "9999-12-31 23:59:59", "9999-12-31 23:59:59.999999", "-00:00:00.001", "1970"),
        (5, None, None, None, None, None),
        (6, "2024-02-29", "2024-02-29 12:34:56", "2024-02-29 12:34:56.5", "12:34:56.789", "2024"),
    ]),
    "tss": ("""CREATE TABLE `tss` (
  `id` int NOT NULL PRIMARY KEY,
  `ts` timestamp(6) NULL DEFAULT NULL,
  `ts0` timestamp NULL DEFAULT NULL
)""", [
        (1, "1970-01-01 00:00:01.000000", "1970-01-01 00:00:01"),
        (2, "2038-01-19 03:14:07.999999", "2038-01-19 03:14:07"),
        (3, "0000-00-00 00:00:00", "0000-00-00 00:00:00"),
        (4, "2021-03-28 01:30:00.123456", "2021-10-31 02:30:00"),
        (5, None, None),
    ]),
    "decs": ("""CREATE TABLE `decs` (
  `id` int NOT NULL PRIMARY KEY,
  `d` decimal(65,30) NULL,
  `d0` decimal(65,0) NULL,
  `du` decimal(10,2) unsigned NULL
)""", [
        (1, "99999999999999999999999999999999999.999999999999999999999999999999", "9" * 65, "99999999.99"),
        (2, "-99999999999999999999999999999999999.999999999999999999999999999999", "-" + "9" * 65, "0"),
        (3, "0.000000000000000000000000000001", "1", "0.01"),
        (4, "-0.000000000000000000000000000001", "-1", None),
        (5, "0", "0", "0.00"),
        (6, None, None, None),
        (7, "12345678901234567890123456789012345.123456789012345678901234567890", "-0", "1.5"),
    ]),
    "dbls": ("""CREATE TABLE `dbls` (
  `id` int NOT NULL PRIMARY KEY,
  `d` double NULL,
  `f` float NULL
)""", [
        (1, "1.7976931348623157e308", "0.5"),
        (2, "-1.7976931348623157e308", "-2.25"),
        (3, "2.2250738585072014e-308", "1e10"),
        (4, "4.9406564584124654e-324", "-0"),
        (5, "-0e0", "0"),
        (6, "1e-300", "1.5e-5"),
        (7, "0.1", "0.1"),
        (8, "0.30000000000000004", None),
        (9, "123456789012345680000", "3e38"),
        (10, "3.141592653589793", "-1e-30"),
        (11, None, None),
        (12, "-1e-300", "65504"),
    ]),
    "ints": ("""CREATE TABLE `ints` (
  `id` int NOT NULL PRIMARY KEY,
  `i64` bigint NULL,
  `u64` bigint unsigned NULL,
  `i8` tinyint NULL,
  `bits` bit(10) NULL,
  `e` enum('a','b''q','c,d','') NULL,
  `st` set('x','y','z') NULL
)""", [
        (1, -9223372036854775808, 18446744073709551615, -128, 1023, "a", "x,y,z"),
        (2, 9223372036854775807, 0, 127, 0, "b'q", ""),
        (3, 0, 1, 0, 5, "c,d", "y"),
        (4, None, None, None, None, None, None),
        (5, -1, 9223372036854775808, -1, 512, "", "x,z"),
    ]),
    "bigtext": ("""CREATE TABLE `bigtext` (
  `id` int NOT NULL PRIMARY KEY,
  `t` longtext CHARACTER SET utf8mb4 NULL,
  `b` longblob NULL
) DEFAULT CHARSET=utf8mb4""", [
        (1, "x" * _MIB, None),
        (2, ("it's \"q\" \\ back\n中文🐉,|+|\t\r\n" * (_MIB // 30 + 1))[:_MIB], b"'" * _MIB),
        (3, "", bytes(_rng.getrandbits(8) for _ in range(_MIB))),
    ]),
    "nopk": ("""CREATE TABLE `nopk` (
  `a` int NULL,
  `b` varchar(20) NULL,
  KEY `k_a` (`a`)
)""", [(1, "x"), (1, "x"), (1, "x"), (2, None), (2, None), (None, None), (None, None), (3, "y"),
       (4, "")]),
    "comp": ("""CREATE TABLE `comp` (
  `a` int NOT NULL,
  `b` varchar(20) CHARACTER SET utf8mb4 NOT NULL,
  `c` decimal(10,2) NULL,
  PRIMARY KEY (`a`, `b`),
  KEY `k_c` (`c`)
) DEFAULT CHARSET=utf8mb4""", [
        (a, b, a * 10 + i / 4) for a in (1, 2, 3) for i, b in enumerate(("x", "y", "中", "it's", ""))]),
    "autoinc": ("""CREATE TABLE `autoinc` (
  `id` int NOT NULL AUTO_INCREMENT,
  `v` varchar(10) NULL,
  PRIMARY KEY (`id`)
)""", [(0, "zero"), (1, "one"), (5, "five"), (None, "auto")]),
}

VIEW_DDL = {
    "v_comp": "CREATE VIEW `v_comp` AS SELECT `a`, COUNT(*) AS `n`, SUM(`c`) AS `total`, "
              "GROUP_CONCAT(`b` ORDER BY `b` SEPARATOR '/') AS `bs` FROM `comp` GROUP BY `a`",
}

# rows in `autoinc` after the source insert: the NULL id becomes 6
AUTOINC_NEXT = 7


def create(conn, db: str) -> None:
    """(Re)create database `db` with every awkward table and view."""
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        cur.execute(f"CREATE DATABASE `{db}` DEFAULT CHARACTER SET utf8mb4")
        cur.execute(f"USE `{db}`")
        cur.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'")  # permissive: zero dates ok
        cur.execute("SET SESSION time_zone = '+00:00'")
        def run(sql, args=None):
            cur.execute(sql, args)
            if cur.connection.show_warnings():  # the source must hold exactly these values
                raise AssertionError(f"{sql[:80]}: {cur.connection.show_warnings()}")

        for name, (ddl, rows) in TABLES.items():
            run(ddl)
            marks = ",".join(["%s"] * len(rows[0]))
            if name == "dbls":
                # doubles as literals: a Python float would be re-printed by the driver
                for r in rows:
                    run("INSERT INTO `dbls` VALUES (%s, " + ("NULL" if r[1] is None else r[1])
                        + ", " + ("NULL" if r[2] is None else r[2]) + ")", (r[0],))
            elif name == "bigtext":
                for r in rows:
                    run(f"INSERT INTO `{name}` VALUES ({marks})", r)
            else:
                cur.executemany(f"INSERT INTO `{name}` VALUES ({marks})", rows)
                if cur.connection.show_warnings():
                    raise AssertionError(f"{name}: {cur.connection.show_warnings()}")
        for ddl in VIEW_DDL.values():
            run(ddl)


def base_tables(conn, db: str) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                    "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", (db,))
        return [r[0] for r in cur.fetchall()]


def snapshot(conn, db: str) -> dict:
    """{table: (checksum, count)} for base tables, {view: rows} for views."""
    out: dict = {}
    with conn.cursor() as cur:
        for t in base_tables(conn, db):
            cur.execute(f"CHECKSUM TABLE `{db}`.`{t}`")
            checksum = cur.fetchone()[1]
            cur.execute(f"SELECT COUNT(*) FROM `{db}`.`{t}`")
            out[t] = (checksum, cur.fetchone()[0])
        cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (db,))
        for (v,) in cur.fetchall():
            cur.execute(f"SELECT * FROM `{db}`.`{v}` ORDER BY 1")
            out[v] = list(cur.fetchall())
    return out


def raw_connection(server) -> pymysql.connections.Connection:
    """A connection that returns every value as the server's raw text bytes (None = NULL)."""
    conn = server.connect(conv={}, use_unicode=False)
    with conn.cursor() as cur:
        cur.execute("SET NAMES binary")
    return conn


def fetch_raw(raw_conn, db: str, table: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows as bytes) of `db`.`table`."""
    with raw_conn.cursor() as cur:
        cur.execute(f"SELECT * FROM `{db}`.`{table}`")
        cols = [d[0].decode() if isinstance(d[0], bytes) else d[0] for d in cur.description]
        return cols, list(cur.fetchall())


def show_create_table(conn, db: str, table: str) -> str:
    with conn.cursor() as cur:
        cur.execute(f"SHOW CREATE TABLE `{db}`.`{table}`")
        return cur.fetchone()[1]


def summary(stdout: str, checksum: str = "passed") -> dict[str, tuple[int, int, int, int]]:
    """The end-of-run table -> {table: (rows, bytes, dups, warnings)}; every row must have 0
    skipped and the given checksum result."""
    out = {}
    for table, row in summary_table(stdout).items():
        assert row["skipped"] == "0" and row["checksum"] == checksum, row
        out[table] = tuple(int(row[c]) for c in ("rows", "bytes", "dups", "warnings"))
    return out

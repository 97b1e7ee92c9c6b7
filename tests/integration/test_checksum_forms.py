"""The canonical forms against the real server: for many spellings of values of every covered
type, the source side's row hash equals the hash MariaDB computes from what it stored -- or
the source side says it cannot predict it.  It must never predict a wrong value."""
from __future__ import annotations

from tidb_lightning.checksum.hasher import TableHasher
from tidb_lightning.checksum.literal import Unverifiable
from tidb_lightning.restore.target import fetch_tables

COLUMNS = {
    "i": ("int", [b"5", b"'5'", b"' 7'", b"2.5", b"-2.5", b"'3.5'", b"1e3", b"TRUE", b"-0", b"007",
                  b"0x41", b"'x'"]),
    "u": ("bigint unsigned", [b"18446744073709551615", b"'0'"]),
    "dec": ("decimal(10,2)", [b"1.555", b"'2.345'", b"-0.001", b"1e2", b"3", b"'  4.5'", b"-1.005"]),
    "dbl": ("double", [b"0.1", b"'0.1'", b"1e-5", b"123456789012345678", b"-0", b"1.0",
                       b"0.30000000000000004", b"1e16", b"4.29153596604433e-05", b"1.7976931348623157e308"]),
    "flt": ("float", [b"0.1", b"1.23456789", b"3.4e38", b"1e-7", b"16777217", b"'2.5'"]),
    "vc": ("varchar(20)", [b"'x'", b"5", b"1.50", b"_binary'ab'", b'"dq"', b"'a''b'", b"0x41",
                           b"'tab\\there'", b"'\\%\\_'", b"'a' 'b'", b"''"]),
    "ch": ("char(4)", [b"'ab  '", b"'  a'", b"' '"]),
    "bn": ("binary(4)", [b"'ab'", b"0x01", b"''"]),
    "vb": ("varbinary(8)", [b"0xABCD", b"X'0a'", b"'raw'", b"'\\0\\Z'"]),
    "d": ("date", [b"'2020-1-5'", b"20200105", b"'2020-01-05 10:00:00'", b"'0000-00-00'", b"'2020-02-30'"]),
    "dt": ("datetime(3)", [b"'2020-01-02 03:04:05.1239'", b"'2020-01-02'", b"20200102030405",
                           b"'2020-01-02T03:04:05'", b"'2020-01-02 03:04:05.9999'"]),
    "ts": ("timestamp(2) NULL", [b"'2020-01-02 03:04:05'", b"'2038-01-19 03:14:07.999'"]),
    "tm": ("time(1)", [b"'10:00'", b"'-00:00:01.25'", b"'1 02:00:00'", b"'838:59:59'", b"'-12:30:00'"]),
    "y": ("year", [b"0", b"'0'", b"69", b"70", b"'99'", b"2020", b"'2155'"]),
    "en": ("enum('a','B')", [b"'A'", b"'b'", b"2", b"'a '"]),
    "st": ("set('x','y','z')", [b"'z,x'", b"'X'", b"5", b"''", b"'y,y'"]),
    "bt": ("bit(8)", [b"b'101'", b"5", b"0x0F"]),
}


def test_every_spelling_hashes_as_the_server_stores_it(db):
    cur = db.cursor()
    cur.execute("DROP DATABASE IF EXISTS ckf")
    cur.execute("CREATE DATABASE ckf")
    cur.execute("CREATE TABLE ckf.t (id int PRIMARY KEY, "
                + ", ".join(f"`{c}` {t}" for c, (t, _) in COLUMNS.items()) + ")")
    cur.execute("SET SESSION sql_mode = 'ONLY_FULL_GROUP_BY,NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'")
    names = list(COLUMNS)
    rows: dict[int, bytes] = {}
    for col, (_, literals) in COLUMNS.items():
        for lit in literals:
            i = len(rows) + 1
            row = b"(" + b",".join([str(i).encode()] + [lit if n == col else b"NULL" for n in names]) + b")"
            cur.execute("SET NAMES binary")
            cur.execute(b"INSERT INTO ckf.t VALUES " + row)
            warned = cur.connection.show_warnings()
            rows[i] = (row, col, lit, warned)
    hasher = TableHasher(fetch_tables(db, "ckf")["t"], "MariaDB")  # the query needs `binary`
    sql = hasher.target_sql().replace("SELECT COUNT(*), COALESCE(BIT_XOR(h), 0), COALESCE(SUM(h), 0) FROM",
                                      "SELECT id, h FROM").replace("AS h FROM", "AS h, id FROM")
    cur.execute(sql)
    stored = {int(i): int(h) for i, h in cur.fetchall()}
    predicted = unverifiable = 0
    wrong = []
    for i, (row, col, lit, warned) in rows.items():
        try:
            (crc,) = hasher.crcs(None, row)
        except Unverifiable:
            unverifiable += 1
            continue
        predicted += 1
        if crc != stored[i]:
            wrong.append((col, lit, bool(warned)))
    # the one difference is a value the server changed (an invalid date stored as zeros, with a
    # warning): the checksum then rightly reports that the table does not hold the source
    assert wrong == [("d", b"'2020-02-30'", True)]
    assert predicted >= 0.8 * len(rows), (predicted, unverifiable)


def test_key_ranges_scanned_in_parallel_sum_to_the_whole_table(db, mariadb, monkeypatch):
    """Big tables with an integer primary key are checksummed as `checksum-table-concurrency`
    key ranges on connections of their own: the total is the one-scan digest."""
    from tidb_lightning.config import load_config
    from tidb_lightning.postprocess import checksum as post
    from tidb_lightning.restore.controller import KEEP_ZONE, _Parallel

    cur = db.cursor()
    cur.execute("DROP DATABASE IF EXISTS ckp")
    cur.execute("CREATE DATABASE ckp")
    cur.execute("CREATE TABLE ckp.t (id bigint PRIMARY KEY, v varchar(20), w double)")
    cur.execute("INSERT INTO ckp.t SELECT seq * 7, CONCAT('v', seq), seq / 3 FROM ckp.seq_1_to_5000")
    cur.execute("ANALYZE TABLE ckp.t")
    hasher = TableHasher(fetch_tables(db, "ckp")["t"], "MariaDB")
    cur.execute("SET NAMES binary")

    def query(sql, args=None):
        with db.cursor() as c:
            c.execute(sql, args)
            return list(c.fetchall())
    whole = post.target_checksum(query, hasher)
    assert whole.rows == 5000
    tidb = load_config(None, {"tikv-importer.backend": "tidb", "tidb.port": mariadb.port,
                              "tidb.host": "127.0.0.1", "tidb.user": "root"}).tidb
    monkeypatch.setattr(post, "MIN_SPLIT_ROWS", 0)
    ran: list[int] = []
    parallel = _Parallel(tidb, KEEP_ZONE, 3)
    counted = lambda sqls: ran.append(len(sqls)) or parallel(sqls)  # noqa: E731
    counted.width = 3
    assert post.target_checksum(query, hasher, counted) == whole
    assert ran == [3]

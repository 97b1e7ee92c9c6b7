"""Pure parts of the pre-checks: grants parsing, version, free space, packet, rendering."""
from __future__ import annotations

from tidb_lightning.restore import precheck as pc
from tidb_lightning.restore.precheck import FAIL, PASS, WARN, CheckResult

ALL = ", ".join(pc.REQUIRED_PRIVILEGES)


def privileges(lines, dbs, unresolved=()):
    return pc.check_privileges("u@%", pc.parse_grants(lines), dbs, list(unresolved))


def test_all_privileges_on_star_star():
    for line in ("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",
                 "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION",  # TiDB
                 "GRANT ALL ON *.* TO 'root'@'%'"):
        r = privileges([line], ["shop", "other"])
        assert r.status == PASS, (line, r)


def test_database_grants_mariadb_mysql_tidb_spellings():
    lines = ["GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*AB'",
             f"GRANT {ALL} ON `shop`.* TO `u`@`%`",
             "GRANT Select,Insert,Update,Delete,Create,Drop,Alter ON other.* TO 'u'@'%'",
             f"GRANT {ALL} ON \"q db\".* TO 'u'@'%'"]
    assert privileges(lines, ["shop", "other", "q db"]).status == PASS
    r = privileges(lines, ["shop", "third"])
    assert r.status == FAIL and f"lacks {ALL} on `third`" in r.detail
    assert "GRANT SELECT" in r.detail and "ON `third`.* TO 'u'@'%'" in r.detail


def test_missing_privileges_are_named_and_grouped():
    r = privileges(["GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON `a`.* TO `u`@`%`",
                    "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON `b`.* TO `u`@`%`",
                    "GRANT DROP, ALTER ON *.* TO `u`@`%`", "GRANT SELECT ON `c`.* TO `u`@`%`"],
                   ["a", "b", "c"])
    assert r.status == FAIL
    assert "lacks INSERT, UPDATE, DELETE, CREATE on `c`" in r.detail
    assert "`a`" not in r.detail.split("lacks")[1].split(";")[0]


def test_wildcards_and_escapes_in_database_names():
    lines = [f"GRANT {ALL} ON `shop\\_%`.* TO `u`@`%`"]
    assert privileges(lines, ["shop_eu", "shop_"]).status == PASS
    assert privileges(lines, ["shopx"]).status == FAIL  # `\_` is a literal underscore
    assert privileges([f"GRANT {ALL} ON `shop_db`.* TO `u`@`%`"], ["shopXdb"]).status == PASS


def test_column_and_table_grants_do_not_count_but_soften_to_a_warning():
    lines = ["GRANT SELECT (`a`, `b`), INSERT (`a`) ON `shop`.`t` TO `u`@`%`"]
    r = privileges(lines, ["shop"])
    assert r.status == WARN and "table-level grants were not evaluated" in r.detail


def test_roles_and_proxy_lines():
    g = pc.parse_grants(["GRANT `r1`@`%`,`r2`@`%` TO `u`@`%`", "GRANT `imp` TO `u`@`localhost`",
                         "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION",
                         "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"])
    assert g.roles == [("r1", "%"), ("r2", "%"), ("imp", None)]
    assert not g.global_privs and not g.db_privs
    r = privileges(["GRANT `imp` TO `u`@`%`"], ["shop"], unresolved=["imp"])
    assert r.status == WARN and "role(s) imp" in r.detail


def test_version():
    assert pc.check_version("MariaDB", "10.11.6-MariaDB-0+deb12u1").status == PASS
    assert pc.check_version("MariaDB", "10.5.23-MariaDB").status == WARN
    assert pc.check_version("MySQL", "5.6.51").status == WARN
    assert pc.check_version("MySQL", "8.0.36").status == PASS
    r = pc.check_version("TiDB", "8.0.11-TiDB-v7.5.1")
    assert r.status == PASS and r.detail == "TiDB 7.5.1"


def test_free_space_thresholds(tmp_path):
    MiB, GiB = 1 << 20, 1 << 30
    (tmp_path / "y").mkdir()
    x, y = str(tmp_path / "x" / "not-yet"), str(tmp_path / "y")  # a missing dir: its parent counts
    dirs = [("checkpoint.dsn", x), ("tikv-importer.sorted-kv-dir", y)]
    assert pc.check_free_space(dirs, free=lambda p: 5 * GiB).status == PASS
    r = pc.check_free_space(dirs, free=lambda p: 512 * MiB)
    assert r.status == WARN and "512 MiB free" in r.detail
    r = pc.check_free_space(dirs, free=lambda p: 10 * MiB if p == y else 5 * GiB)
    assert r.status == FAIL and f"{y}: 10 MiB free" in r.detail and "64 MiB needed" in r.detail


def test_packet():
    MiB = 1 << 20
    assert pc.check_packet(16 * MiB, 64 * MiB, None).status == PASS  # the default: server's is used
    assert pc.check_packet(16 * MiB, 32 * MiB, None).status == WARN  # set explicitly, not granted
    assert pc.check_packet(1 * MiB, 0, None).status == WARN
    s = pc._Sample()
    s.row(5000, "f.sql at offset 37")
    r = pc.check_packet(16 * MiB, 4096, s)
    assert r.status == FAIL and "f.sql at offset 37" in r.detail
    s = pc._Sample(oversized=["g.csv at offset 0"])
    assert pc.check_packet(16 * MiB, 0, s).status == FAIL


def test_summary_and_render():
    results = [CheckResult("target", PASS, "MariaDB 10.11"),
               CheckResult("source", FAIL, "data files without a table schema file:\n  a.sql\n  b.sql\nadd them"),
               CheckResult("data files", WARN, "x.csv"),
               CheckResult("privileges", FAIL, "u lacks DROP on `d`")]
    text = pc.summary(results)
    assert "\n" not in text
    assert text.startswith("pre-checks failed: 2 problems: source: data files without a table schema "
                           "file: a.sql b.sql; add them; privileges: u lacks DROP on `d`;")
    assert text.endswith("fix them or run with --check-requirements=0")
    table = pc.render(results)
    assert "  FAIL    source" in table and "  WARN    data files  x.csv" in table
    assert table.splitlines()[-1] == "  4 checks: 1 passed, 1 warning(s), 2 failed"
    assert "1 problem:" in pc.summary(results[:2])

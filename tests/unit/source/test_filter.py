"""Table filter syntax (spec section 4), the legacy black-white-list (2.11) and Go regexps."""
from __future__ import annotations

import re
from types import SimpleNamespace as NS

import pytest

from tidb_lightning.errors import ConfigError
from tidb_lightning.source.filter import (
    DEFAULT_FILTER,
    SYSTEM_SCHEMAS,
    GoRegexpError,
    TableFilter,
    compile_go_regexp,
    translate_go_regexp,
)

# (rules, [(schema, table, accepted case-sensitive, accepted case-insensitive)])
MATCH_TABLE_CASES = [
    ([], [("foo", "bar", False, False)]),
    (["*.*"], [("foo", "bar", True, True)]),
    (["foo.*"], [("foo", "bar", True, True), ("foo1", "bar", False, False), ("foo2", "bar", False, False)]),
    (["*.*", "!foo1.*"], [("foo", "bar", True, True), ("foo1", "bar", False, False), ("foo2", "bar", True, True)]),
    (["foo.bar1"], [("foo", "bar", False, False), ("foo", "bar1", True, True), ("fff", "bar1", False, False)]),
    (["*.*", "!foo.bar"], [("foo", "bar", False, False), ("foo", "bar1", True, True), ("fff", "bar1", True, True)]),
    (
        ["/^foo/.*", r"!/^foo/./^sbtest-\d/"],
        [("foo", "sbtest", True, True), ("foo1", "sbtest-1", False, False), ("fff", "bar", False, False)],
    ),
    (
        ["*.*", "!foo[bar].*", "!bar?.*", r"!special\\.*"],
        [
            ("foor", "a", False, False),
            ("foo[bar]", "b", True, True),
            ("ba", "c", True, True),
            ("bar?", "d", False, False),
            ("special\\", "e", False, False),
            ("special\\\\", "f", True, True),
            ("bazzz", "g", True, True),
            ("special\\$", "h", True, True),
            ("afooa", "i", True, True),
        ],
    ),
    (
        ["*.*", "!/^FOO/.*", "!*./FoO$/"],
        [
            ("FOO1", "a", False, False),
            ("foo2", "b", True, False),
            ("BoO3", "cFoO", False, False),
            ("Foo4", "dfoo", True, False),
            ("5", "5", True, True),
        ],
    ),
    (
        ["*.*", "!a?b?./f[0-9]/"],
        [("abbd", "f1", False, False), ("aaaa", "f2", True, True), ("5", "5", True, True), ("abbc", "fa", True, True)],
    ),
    (
        ["*.*", "!/t[0-8]/.a??"],
        [("t1", "a01", False, False), ("t9", "a02", True, True), ("5", "5", True, True), ("t8", "a001", True, True)],
    ),
    (["*.*", "!a*.A*"], [("aB", "Ab", False, False), ("AaB", "aab", True, False), ("acB", "Afb", False, False)]),
    (["BAR.*"], [("bar", "a", False, True), ("BAR", "a", True, True)]),
    (["# comment", "x.y", "   \t"], [("x", "y", True, True), ("y", "y", False, False)]),
    (
        ["p_123$.45", "中文.表名"],
        [("p_123", "45", False, False), ("p_123$", "45", True, True), ("英文", "表名", False, False), ("中文", "表名", True, True)],
    ),
    ([r"\\\..*"], [("\\.", "a", True, True), ("\\\\\\.", "b", False, False), ("\\a", "c", False, False)]),
    (
        ["[!a-z].[^a-z]"],
        [
            ("!", "z", True, True),
            ("!", "^", True, True),
            ("!", "9", False, False),
            ("a", "z", False, False),
            ("a", "^", False, False),
            ("a", "9", False, False),
            ("1", "z", True, True),
            ("1", "^", True, True),
            ("1", "9", False, False),
        ],
    ),
    (
        ['"some ""quoted""".`identifiers?`'],
        [
            ('some "quoted"', "identifiers?", True, True),
            ('some "quoted"', "identifiers!", False, False),
            ('some ""quoted""', "identifiers?", False, False),
            ('SOME "QUOTED"', "IDENTIFIERS?", False, True),
            ('some\t"quoted"', "identifiers?", False, False),
        ],
    ),
    (
        ["db*.*", "!*.cfg*", "*.cfgsample"],
        [
            ("irrelevant", "table", False, False),
            ("db1", "tbl1", True, True),
            ("db1", "cfg1", False, False),
            ("db1", "cfgsample", True, True),
            ("else", "cfgsample", True, True),
        ],
    ),
    (["*.*", "!S.D[!a-d]"], [("S", "D1", False, False), ("S", "Da", True, True), ("S", "Db", True, True), ("S", "Daa", True, True)]),
    (["*.*", "!S.D[a-d]"], [("S", "D1", True, True), ("S", "Da", False, False), ("S", "Db", False, False), ("S", "Daa", True, True)]),
    # --- from the docs (table-filter.md) and the black-white-list conformance test ---
    (
        ["f*.*"],
        [("firstdb", "first", True, True), ("firstdb", "second", True, True), ("seconddb", "third", False, False)],
    ),
    (
        ["!firstdb.*", "*.second", "seconddb.fourth"],
        [
            ("firstdb", "first", False, False),
            ("firstdb", "second", True, True),  # a later rule brings it back
            ("seconddb", "third", False, False),  # matches no rule
            ("seconddb", "fourth", True, True),
            ("mysql", "testtable", False, False),
        ],
    ),
    (
        ["employees.*", "!*.dep*", "*.departments"],
        [
            ("employees", "employees", True, True),
            ("employees", "dept_emp", False, False),
            ("employees", "departments", True, True),
            ("else", "departments", True, True),
            ("else", "employees", False, False),
        ],
    ),
    (
        ["*.departments", "!*.dep*", "employees.*"],  # the same rules, other order
        [
            ("employees", "employees", True, True),
            ("employees", "dept_emp", True, True),
            ("employees", "departments", True, True),
            ("else", "departments", False, False),
        ],
    ),
    (["*.*", "!*.Password", "!employees.salaries"], [("a", "Password", False, False), ("a", "password", True, False), ("employees", "salaries", False, False), ("employees", "x", True, True)]),
    (
        [r"db\.with\.dots.*", '"quoted.db"."tbl\\1"', "`back``tick`.`x.y`"],
        [
            ("db.with.dots", "t", True, True),
            ("dbxwithxdots", "t", False, False),
            ("quoted.db", "tbl\\1", True, True),
            ("back`tick", "x.y", True, True),
            ("back``tick", "x.y", False, False),
        ],
    ),
    ([r"/^db\d{2,}$/./^tbl\d{2,}$/"], [("db01", "tbl23", True, True), ("db1", "tbl23", False, False), ("db01", "tbl23x", False, False)]),
    ([r"/db/.*"], [("mydbx", "t", True, True)]),  # regexps match substrings
    (["d?.t[0-9][!0-9]"], [("d1", "t1x", True, True), ("d12", "t1x", False, False), ("d1", "t11", False, False)]),
    (["*.*", "!*./a\\/b/"], [("x", "a/b", False, False), ("x", "ab", True, True)]),
    (["a\\ b.c"], [("a b", "c", True, True)]),
    (["$x*.y"], [("$xz", "y", True, True), ("x", "y", False, False)]),
    (["*.*", "!mysql.*"], [("MySQL", "user", True, False), ("mysql", "user", False, False)]),
    (["ı.*"], [("ı", "t", True, True), ("i", "t", False, False)]),  # no case mapping tricks
    (["*.*"], [("db\nx", "t\n", True, True)]),
]


@pytest.mark.parametrize("rules,cases", MATCH_TABLE_CASES, ids=[repr(r) for r, _ in MATCH_TABLE_CASES])
def test_match_table(rules, cases):
    fcs = TableFilter.parse(rules, case_sensitive=True)
    fci = TableFilter.parse(rules)
    for schema, table, cs, ci in cases:
        assert fcs.match_table(schema, table) is cs, ("case-sensitive", schema, table)
        assert fci.match_table(schema, table) is ci, ("case-insensitive", schema, table)


MATCH_SCHEMA_CASES = [
    ([], [("foo", False, False)]),
    (["*.*"], [("foo", True, True)]),
    (["foo.*"], [("foo", True, True), ("foo1", False, False)]),
    (["*.*", "!foo1.*"], [("foo", True, True), ("foo1", False, False)]),
    (["foo.bar1"], [("foo", True, True), ("foo1", False, False)]),
    (["*.*", "!foo.bar"], [("foo", True, True), ("foo1", True, True)]),
    (["/^foo/.*", r"!/^foo/./^sbtest-\d/"], [("foo", True, True), ("foo2", True, True)]),
    (
        ["*.*", "!FOO*.*", "!*.*FoO"],
        [("foo", True, False), ("FOO", False, False), ("foobar", True, False), ("FOOBAR", False, False), ("bar", True, True), ("BAR", True, True)],
    ),
    (["f*.*"], [("firstdb", True, True), ("seconddb", False, False)]),
    (["!firstdb.*", "*.second", "seconddb.fourth"], [("firstdb", True, True), ("seconddb", True, True)]),
    (list(DEFAULT_FILTER), [("mysql", False, False), ("MySQL", True, False), ("information_schema", True, False), ("test", True, True)]),
]


@pytest.mark.parametrize("rules,cases", MATCH_SCHEMA_CASES, ids=[repr(r) for r, _ in MATCH_SCHEMA_CASES])
def test_match_schema(rules, cases):
    fcs = TableFilter.parse(rules, case_sensitive=True)
    fci = TableFilter.parse(rules)
    for schema, cs, ci in cases:
        assert fcs.match_schema(schema) is cs, ("case-sensitive", schema)
        assert fci.match_schema(schema) is ci, ("case-insensitive", schema)


def test_default_filter_excludes_system_schemas():
    f = TableFilter.default()
    assert f.match_table("test", "t")
    for schema in ("mysql", "sys", "INFORMATION_SCHEMA", "performance_schema", "Metrics_Schema", "inspection_schema"):
        assert not f.match_table(schema, "t")
        assert not f.match_schema(schema)
    assert set(s.lower() for s in SYSTEM_SCHEMAS) == {
        "mysql", "sys", "information_schema", "performance_schema", "metrics_schema", "inspection_schema"
    }


PARSE_FAILURES = [
    ("/^t[0-9]+((?!_copy).)*$/.*", "invalid pattern: error parsing regexp"),
    ("/^t[0-9]+sp(?=copy).*/.*", "invalid pattern: error parsing regexp"),
    ("a.b.c", "syntax error: stray characters after table pattern"),
    ("a%b.c", "unexpected special character '%'"),
    (r"a\tb.c", r"cannot escape a letter or number (\t), it is reserved for future extension"),
    ("[].*", "syntax error: failed to parse character class"),
    ("[!].*", "invalid pattern: error parsing regexp"),
    ("[.*", "syntax error: failed to parse character class"),
    (r"[\d\D].*", "syntax error: failed to parse character class"),
    ("db", "wrong table pattern"),
    ("db.", "syntax error: missing pattern"),
    ("`db`*.*", "syntax error: missing '.' between schema and table patterns"),
    ("/db.*", "syntax error: incomplete regexp"),
    ("`db.*", "syntax error: incomplete quoted identifier"),
    ('"db.*', "syntax error: incomplete quoted identifier"),
    ("db\\", "syntax error: cannot place \\ at end of line"),
    ("db.tbl#not comment", "unexpected special character '#'"),
    ("!", "syntax error: missing pattern"),
    ("db.t\\1", "cannot escape a letter or number"),
    ("/a\\/.*", "invalid pattern: error parsing regexp: trailing backslash"),  # as Go: "/a\\/" is the regexp
    ("/(/.*", "invalid pattern: error parsing regexp"),
]


@pytest.mark.parametrize("rule,message", PARSE_FAILURES)
def test_parse_failures_name_the_rule(rule, message):
    with pytest.raises(ConfigError) as info:
        TableFilter.parse(["*.*", rule])
    text = str(info.value)
    assert message in text
    assert repr(rule) in text


def test_import_rule_files(tmp_path, monkeypatch):
    (tmp_path / "1.txt").write_text("\n\t\tdb?.tbl?\n\t\tdb02.tbl02\n\t")
    (tmp_path / "2.txt").write_text("\n  # a comment\n\t\tdb03.tbl03\r\n\t\t!db4.tbl4\n\t")
    f = TableFilter.parse(["@" + str(tmp_path / "1.txt"), "@" + str(tmp_path / "2.txt"), "db04.tbl04"])
    assert f.match_table("db1", "tbl1")
    assert f.match_table("db2", "tbl2")
    assert f.match_table("db3", "tbl3")
    assert not f.match_table("db4", "tbl4")
    assert not f.match_table("db01", "tbl01")
    assert f.match_table("db02", "tbl02")
    assert f.match_table("db03", "tbl03")
    assert f.match_table("db04", "tbl04")
    # relative to the current directory
    monkeypatch.chdir(tmp_path)
    assert TableFilter.parse(["@1.txt"]).match_table("db02", "tbl02")


def test_import_errors(tmp_path):
    (tmp_path / "3.txt").write_text("db1.tbl1")
    (tmp_path / "4.txt").write_text(f"# comment\n\n@{tmp_path / '3.txt'}")
    with pytest.raises(ConfigError, match=r"4\.txt:3 .*importing filter files recursively is not allowed"):
        TableFilter.parse(["@" + str(tmp_path / "4.txt")])
    with pytest.raises(ConfigError, match=r"cannot open filter file"):
        TableFilter.parse(["@" + str(tmp_path / "5.txt")])
    (tmp_path / "6.txt").write_text("ok.ok\nbad.rule.here\n")
    with pytest.raises(ConfigError, match=r"'bad\.rule\.here' at .*6\.txt:2 .*stray characters"):
        TableFilter.parse(["@" + str(tmp_path / "6.txt")])


# ------------------------------------------------------------------------------------
# legacy [black-white-list]
# ------------------------------------------------------------------------------------


def _t(db, tbl):
    return NS(db_name=db, tbl_name=tbl)


def _bwl(do_dbs=(), ignore_dbs=(), do_tables=(), ignore_tables=()):
    return NS(do_dbs=list(do_dbs), ignore_dbs=list(ignore_dbs), do_tables=list(do_tables), ignore_tables=list(ignore_tables))


BWL_CASES = [
    # the conformance test's firstdb-only.toml
    (
        _bwl(do_dbs=["~^f"]),
        [("firstdb", "first", True), ("firstdb", "second", True), ("seconddb", "third", False), ("mysql", "testtable", False)],
        [("firstdb", True), ("seconddb", False), ("mysql", False)],
    ),
    # the conformance test's even-table-only.toml
    (
        _bwl(ignore_tables=[_t("firstdb", "~.")], do_tables=[_t("~.", "second"), _t("seconddb", "fourth")]),
        [
            ("firstdb", "first", False),
            ("firstdb", "second", True),
            ("seconddb", "third", False),
            ("seconddb", "fourth", True),
            ("mysql", "testtable", False),
            ("mysql", "second", False),  # system schemas are always excluded
        ],
        [("firstdb", True), ("seconddb", True), ("mysql", False)],
    ),
    (
        _bwl(ignore_dbs=["b*", "c?d"]),
        [("a", "t", True), ("bx", "t", False), ("cxd", "t", False), ("cd", "t", True)],
        [("a", True), ("bb", False)],
    ),
    (
        _bwl(ignore_tables=[_t("db", "t[0-9]"), _t("db", "~^x$")]),
        [("db", "t1", False), ("db", "t12", True), ("db", "x", False), ("db", "xx", True), ("other", "t1", True)],
        [("db", True), ("other", True)],
    ),
    (
        _bwl(do_dbs=["a", "b.c"], ignore_dbs=["a"]),  # ignore-dbs unused when do-dbs is set
        [("a", "t", True), ("b.c", "t", True), ("bxc", "t", False)],
        [("a", True), ("b", False)],
    ),
    (
        _bwl(do_tables=[_t("db", "t[!0-9]")]),
        [("db", "ta", True), ("db", "t1", False), ("DB", "TA", True)],
        [("db", True), ("other", False)],
    ),
    (_bwl(), [("x", "y", True), ("sys", "y", False), ("MYSQL", "user", False)], [("x", True), ("Sys", False)]),
]


@pytest.mark.parametrize("bwl,tables,schemas", BWL_CASES)
def test_black_white_list(bwl, tables, schemas):
    f = TableFilter.from_black_white_list(bwl)
    for schema, table, expected in tables:
        assert f.match_table(schema, table) is expected, (schema, table)
    for schema, expected in schemas:
        assert f.match_schema(schema) is expected, schema


def test_black_white_list_case_sensitivity():
    bwl = _bwl(do_dbs=["Foo"])
    assert TableFilter.from_black_white_list(bwl).match_table("foo", "t")
    assert not TableFilter.from_black_white_list(bwl, case_sensitive=True).match_table("foo", "t")
    assert TableFilter.from_black_white_list(bwl, case_sensitive=True).match_table("Foo", "t")
    regex = _bwl(do_dbs=["~^Foo$"])
    assert TableFilter.from_black_white_list(regex).match_table("FOO", "t")
    assert not TableFilter.from_black_white_list(regex, case_sensitive=True).match_table("FOO", "t")
    # system schemas stay excluded whatever their case
    everything = _bwl(do_dbs=["~."])
    assert not TableFilter.from_black_white_list(everything, case_sensitive=True).match_table("MySQL", "t")


def test_black_white_list_errors():
    with pytest.raises(ConfigError, match="pattern cannot be empty"):
        TableFilter.from_black_white_list(_bwl(do_dbs=[""]))
    with pytest.raises(ConfigError, match="tbl-name"):
        TableFilter.from_black_white_list(_bwl(do_tables=[_t("db", "~(")]))
    # missing attributes mean empty lists
    assert TableFilter.from_black_white_list(NS(do_dbs=["a"])).match_table("a", "b")


# ------------------------------------------------------------------------------------
# Go regexp syntax
# ------------------------------------------------------------------------------------

GO_REGEXP_CASES = [
    # (pattern, text, matches)
    (r"^abc$", "abc\n", False),  # Go's $ is the end of text
    (r"(?m)^abc$", "abc\nx", True),
    (r"\d+\z", "12", True),
    (r"^\d$", "٣", False),  # \d is ASCII in Go
    (r"^\w+$", "é", False),
    (r"(?i)^É$", "é", True),
    (r"^a(?i)b$", "aB", True),
    (r"^a(?i)b$", "AB", False),
    (r"^(?:a(?i)b|c)$", "C", True),  # a flag lasts to the end of its group, across |
    (r"^x(?i:y)z$", "xYz", True),
    (r"^x(?i:y)z$", "xYZ", False),
    (r"^x{,3}$", "x{,3}", True),  # not a repetition in Go
    (r"^x{2,3}$", "xxx", True),
    (r"^[[:alpha:]_]+$", "ab_C", True),
    (r"^[[:digit:]]$", "a", False),
    (r"^\Qa.b*\E$", "a.b*", True),
    (r"^\Qa.b*\E$", "aXbb", False),
    (r"^(?P<x>a)(?<y>b)$", "ab", True),
    (r"^\x41\x{4e2d}\101$", "A中A", True),
    (r"^[]a]+$", "]a]", True),
    (r"^[^]a]$", "b", True),
    (r"^a*?b+?c??$", "bc", True),
    (r"^[a\-z]+$", "-", True),
    (r"^[\d\s]+$", "1 2", True),
    (r"^\.\*\+$", ".*+", True),
    (r"(?s)^a.b$", "a\nb", True),
    (r"^a.b$", "a\nb", False),
    (r"^[a-c&&]$", "&", True),
]


@pytest.mark.parametrize("pattern,text,expected", GO_REGEXP_CASES)
def test_go_regexp(pattern, text, expected):
    assert (compile_go_regexp(pattern).search(text) is not None) is expected, translate_go_regexp(pattern)


@pytest.mark.parametrize(
    "pattern",
    [r"a**", r"a*+", r"a++", r"(?=x)", r"(?!x)", r"(?<=x)", r"\1", r"\pL", r"\p{Greek}", r"(?U)a", r"a(", r"a)",
     r"[a", "a\\", r"\é", r"\k", r"(?P<1x>a)", r"[z-a]", r"x{1001}", r"(?)", r"(?i-)a", r"[[:foo:]]", r"*a"],
)
def test_go_regexp_errors(pattern):
    with pytest.raises(GoRegexpError):
        compile_go_regexp(pattern)


def test_go_regexp_translation_keeps_group_numbers():
    rx = compile_go_regexp(r"(?i)^(?:[^/]*/)*([a-z0-9]+)/(x)(?i)(y)$")
    m = rx.search("A/B/XY")
    assert m is not None and m.groups() == ("B", "X", "Y")
    assert isinstance(rx, re.Pattern)

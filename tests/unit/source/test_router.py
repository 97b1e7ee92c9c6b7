"""File routing: the built-in Dumpling/mydumper rules (spec 3.1) and [[mydumper.files]] (2.6)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tidb_lightning.errors import ConfigError, SourceError
from tidb_lightning.source.router import FileRouter, RouteResult

R = RouteResult

DEFAULT_CASES = [
    # database schema
    ("db-schema-create.sql", R("db", "", "schema-schema")),
    ("DB-SCHEMA-CREATE.SQL", R("DB", "", "schema-schema")),
    ("sub/dir/db-schema-create.sql", R("db", "", "schema-schema")),
    ("db-schema-create.sql.gz", R("db", "", "schema-schema", "", "gzip")),
    ("db-schema-create.sql.ZSTD", R("db", "", "schema-schema", "", "zstd")),
    ("db.x-schema-create.sql", R("db", "x-schema-create", "sql")),  # {db} has no dot: it is data
    # table schema
    ("db.tbl-schema.sql", R("db", "tbl", "table-schema")),
    ("db.tbl.with.dots-schema.sql", R("db", "tbl.with.dots", "table-schema")),
    ("a/b/c/db.tbl-schema.sql.snappy", R("db", "tbl", "table-schema", "", "snappy")),
    ("db.tbl-Schema.Sql", R("db", "tbl", "table-schema")),
    # view schema
    ("db.v-schema-view.sql", R("db", "v", "view-schema")),
    ("db.v-schema-view.sql.xz", R("db", "v", "view-schema", "", "xz")),
    # ignored
    ("db.tbl-schema-trigger.sql", R("", "", "ignore")),
    ("db.tbl-schema-post.sql", R("", "", "ignore")),
    ("db.tbl-schema-post.sql.gz", R("", "", "ignore")),
    ("db.tbl.sql.bak", R("", "", "ignore")),
    ("db.tbl.csv.gz.BAK", R("", "", "ignore")),
    ("db.tbl.00001.parquet.bak", R("", "", "ignore")),
    # data
    ("db.tbl.sql", R("db", "tbl", "sql")),
    ("db.tbl.csv", R("db", "tbl", "csv")),
    ("db.tbl.CSV", R("db", "tbl", "csv")),
    ("db.tbl.Sql", R("db", "tbl", "sql")),
    ("db.tbl.parquet", R("db", "tbl", "parquet")),
    ("db.tbl.0.sql", R("db", "tbl", "sql", "0")),
    ("db.tbl.000000001.sql", R("db", "tbl", "sql", "000000001")),
    ("db.tbl.123.csv", R("db", "tbl", "csv", "123")),
    ("db.tbl.with.dots.7.csv", R("db", "tbl.with.dots", "csv", "7")),
    ("db.tbl.with.dots.csv", R("db", "tbl.with.dots", "csv")),
    ("db.tbl.12abc.sql", R("db", "tbl.12abc", "sql")),
    ("x/y/z/db.tbl.0001.sql", R("db", "tbl", "sql", "0001")),
    ("db.tbl.sql.gz", R("db", "tbl", "sql", "", "gzip")),
    ("db.tbl.sql.gzip", R("db", "tbl", "sql", "", "gzip")),
    ("db.tbl.001.csv.zst", R("db", "tbl", "csv", "001", "zstd")),
    ("db.tbl.001.csv.zstd", R("db", "tbl", "csv", "001", "zstd")),
    ("db.tbl.001.csv.snappy", R("db", "tbl", "csv", "001", "snappy")),
    ("db.tbl.001.CSV.GZ", R("db", "tbl", "csv", "001", "gzip")),
    ("db.tbl.sql.bz2", R("db", "tbl", "sql", "", "bz2")),
    ("db.tbl.sql.xz", R("db", "tbl", "sql", "", "xz")),
    # parquet with its internal codec in the name
    ("db.tbl.0001.snappy.parquet", R("db", "tbl", "parquet", "0001")),
    ("db.tbl.x.0001.GZ.parquet", R("db", "tbl.x", "parquet", "0001")),
    # URL-path-unescaped names
    ("db%2Fx.t%41b.sql", R("db/x", "tAb", "sql")),
    ("d%25b-schema-create.sql", R("d%b", "", "schema-schema")),
    ("db%zz.t.sql", R("db%zz", "t", "sql")),  # a bad escape is kept as is
    ("%E4%B8%AD.t-schema.sql", R("中", "t", "table-schema")),
    # exotic names (conformance exotic_filenames)
    ("x`f\"n-schema-create.sql", R("x`f\"n", "", "schema-schema")),
    ("x`f\"n.exotic`table``name-schema.sql", R("x`f\"n", "exotic`table``name", "table-schema")),
    ("x`f\"n.exotic`table``name.sql", R("x`f\"n", "exotic`table``name", "sql")),
    ("中文庫-schema-create.sql", R("中文庫", "", "schema-schema")),
    ("中文庫.中文表-schema.sql", R("中文庫", "中文表", "table-schema")),
    ("中文庫.中文表.sql", R("中文庫", "中文表", "sql")),
    ("mocker_test.ı.sql", R("mocker_test", "ı", "sql")),
    ("db with space.t b.sql", R("db with space", "t b", "sql")),
    # not ours
    ("metadata", None),
    ("test.parquet", None),
    ("db.tbl.txt", None),
    ("db.tbl.sql/", None),
    ("db-schema-create.sql.gz.part", None),
    ("README", None),
    (".hidden", None),
    ("db.tbl-schema.sql~", None),
]


@pytest.mark.parametrize("path,expected", DEFAULT_CASES, ids=[p for p, _ in DEFAULT_CASES])
def test_default_rules(path, expected):
    assert FileRouter().route(path) == expected


@pytest.mark.parametrize(
    "path,message",
    [
        ("db.tbl.sql.orig", "invalid compression type 'orig'"),
        ("db.tbl.parquet.gz", "whole-file compressed parquet is not supported"),
        ("db.tbl-schema.sql.rar", "invalid compression type 'rar'"),
    ],
)
def test_default_rules_invalid_captures(path, message):
    with pytest.raises(SourceError, match=message) as info:
        FileRouter().route(path)
    assert path in str(info.value)


def test_no_default_rules():
    r = FileRouter(default_file_rules=False)
    assert r.route("db.tbl.sql") is None
    assert r.route("db-schema-create.sql") is None


def rule(**kw):
    base = dict(pattern="", path="", schema="", table="", type="", key="", compression="")
    base.update(kw)
    return SimpleNamespace(**base)


# The conformance test file_routing/config.toml, verbatim.
FILE_ROUTING_RULES = [
    rule(pattern=r"(?i)^(?:[^/]*/)*([a-z0-9]+)/schema\.sql$", schema="$1", type="schema-schema"),
    rule(pattern=r"(?i)^(?:[^/]*/)*([a-z0-9]+)/([a-z0-9]+)-table\.sql$", schema="$1", table="$2", type="table-schema"),
    rule(pattern=r"(?i)^(?:[^/]*/)*([a-z0-9]+)/([a-z0-9]+)-view\.sql$", schema="$1", table="$2", type="view-schema"),
    rule(path="ff/test.SQL", schema="fr", table="tbl", type="sql"),
    rule(pattern=r"(?i)^(?:[^/]*/)*([^./]+)/([a-z]+)[0-9]*\.(sql|csv)(?:\.([0-9]+))?$", schema="$1", table="$2", type="$3"),
    rule(pattern=r"(?i)^(?:[^/]*/)*([a-z]+)[0-9]*\.(sql|csv)(?:\.([0-9]+))?$", schema="fr", table="$1", type="$2"),
]


@pytest.mark.parametrize(
    "path,expected",
    [
        ("fr/schema.sql", R("fr", "", "schema-schema")),
        ("fr/tbl-table.sql", R("fr", "tbl", "table-schema")),
        ("fr/v-table.sql", R("fr", "v", "table-schema")),
        ("fr/v-view.sql", R("fr", "v", "view-schema")),
        ("fr/tbl1.sql.0", R("fr", "tbl", "sql")),
        ("fr/tbl2.sql.0", R("fr", "tbl", "sql")),
        ("fr/tbl.sql", R("fr", "tbl", "sql")),
        ("tbl1.sql.1", R("fr", "tbl", "sql")),
        ("ff/test.SQL", R("fr", "tbl", "sql")),  # the exact path wins over rule 5
        ("fr/tbl-noused.sql", None),
        ("x/ff/test.SQL", R("ff", "test", "sql")),  # `path` is exact, not a substring
        ("fr/db.tbl.sql", None),  # default rules are off
    ],
)
def test_file_routing_conformance_rules(path, expected):
    r = FileRouter(FILE_ROUTING_RULES, default_file_rules=False)
    assert r.route(path) == expected


def test_user_rules_come_before_default_rules():
    r = FileRouter([rule(pattern=r"^special\.sql$", schema="s", table="t", type="csv")])
    assert r.route("special.sql") == R("s", "t", "csv")
    assert r.route("db.tbl.sql") == R("db", "tbl", "sql")
    # an ignore rule hides what the default rules would route
    r = FileRouter([rule(pattern=r"\.tmp\.sql$", type="ignore")])
    assert r.route("db.tbl.tmp.sql") == R("", "", "ignore")
    assert r.route("db.tbl.sql") == R("db", "tbl", "sql")


@pytest.mark.parametrize(
    "kw,path,expected",
    [
        # named groups: ${name} and $name; Go's (?P<>) and (?<>) syntax
        (dict(pattern=r"^(?P<db>\w+)/(?<tb>\w+)\.dat$", schema="${db}", table="$tb", type="csv"), "d/t.dat", R("d", "t", "csv")),
        # $$ is a dollar; constants and mixes
        (dict(pattern=r"^(\w+)\.dat$", schema="s$$x", table="p_${1}_q", type="sql"), "t.dat", R("s$x", "p_t_q", "sql")),
        # key and compression templates; type from the path, any case
        (
            dict(pattern=r"^(\w+)\.(\w+)\.(\d+)\.(CSV|sql)\.(gz|zst)$", schema="$1", table="$2", type="$4", key="$3", compression="$5"),
            "a.b.07.CSV.zst",
            R("a", "b", "csv", "07", "zstd"),
        ),
        # a group that did not take part expands to ""
        (dict(pattern=r"^(\w+)(?:-(\d+))?\.dat$", schema="db", table="$1", type="sql", key="$2"), "t.dat", R("db", "t", "sql", "")),
        # constant compression
        (dict(pattern=r"^(\w+)\.z$", schema="db", table="$1", type="sql", compression="gz"), "t.z", R("db", "t", "sql", "", "gzip")),
        # schema-schema ignores the table template
        (dict(pattern=r"^(\w+)\.db$", schema="$1", table="whatever", type="schema-schema"), "d.db", R("d", "", "schema-schema")),
        # a malformed $ is literal (Go Expand)
        (dict(pattern=r"^(\w+)\.dat$", schema="a$", table="$-$1", type="sql"), "t.dat", R("a$", "$-t", "sql")),
        # $10 means group 10 (absent -> "") in Go, not group 1 followed by 0 - but it must exist
        # in the pattern, so use a pattern with 10 groups
        (
            dict(pattern=r"^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$", schema="$10", table="${1}0", type="sql"),
            "abcdefghij",
            R("j", "a0", "sql"),
        ),
        # `path` rules: constants only, '$' taken literally; leading ./ ignored
        (dict(path="./dir/file$1.txt", schema="db$1", table="t", type="csv"), "dir/file$1.txt", R("db$1", "t", "csv")),
        # an exact path with regexp characters
        (dict(path="a+b (1).csv", schema="d", table="t", type="csv"), "a+b (1).csv", R("d", "t", "csv")),
        # case-insensitive matching is the pattern's business
        (dict(pattern=r"(?i)\.DAT$", schema="d", table="t", type="SQL"), "x.dat", R("d", "t", "sql")),
        # dicts work as rules too
    ],
)
def test_user_rule_templates(kw, path, expected):
    assert FileRouter([rule(**kw)], default_file_rules=False).route(path) == expected


def test_rules_may_be_dicts():
    r = FileRouter([{"pattern": r"^(\w+)\.dat$", "schema": "d", "table": "$1", "type": "csv"}], default_file_rules=False)
    assert r.route("t.dat") == R("d", "t", "csv")
    assert r.route("t.sql") is None


@pytest.mark.parametrize(
    "kw,message",
    [
        (dict(schema="a", table="b", type="sql"), "must not be both empty"),
        (dict(pattern="x", path="y", schema="a", table="b", type="sql"), "can't set both"),
        (dict(pattern=r"^(\w+)$", schema="$2", table="t", type="sql"), "sub pattern capture '$2' out of range"),
        (dict(pattern=r"^(\w+)$", schema="${name}", table="t", type="sql"), "invalid named capture '${name}'"),
        (dict(pattern=r"^(\w+)$", schema="$name", table="t", type="sql"), "invalid named capture '$name'"),
        (dict(pattern=r"^(\w+)$", schema="d", table="t", type="sql", key="$3"), "out of range"),
        (dict(pattern=r"^(\w+)$", schema="d", table="t", type="sql", compression="$x"), "invalid named capture"),
        (dict(pattern=r"^(\w+)$", schema="d", table="t", type=""), "field 'type' can't be empty"),
        (dict(pattern=r"^(\w+)$", schema="", table="t", type="sql"), "field 'schema' can't be empty"),
        (dict(pattern=r"^(\w+)$", schema="d", table="", type="csv"), "field 'table' can't be empty"),
        (dict(pattern=r"^(\w+)$", schema="d", table="t", type="json"), "unknown type 'json'"),
        (dict(pattern=r"^(\w+)$", schema="d", table="t", type="sql", compression="rar"), "invalid compression type 'rar'"),
        (dict(pattern=r"^(\w+)(?=x)$", schema="d", table="t", type="sql"), "error parsing regexp"),
        (dict(pattern=r"^(\w+$", schema="d", table="t", type="sql"), "missing closing )"),
        (dict(path="a.csv", schema="$1", table="t", type="sql"), None),  # constants: '$1' is literal, fine
    ],
)
def test_invalid_user_rules(kw, message):
    if message is None:
        assert FileRouter([rule(**kw)]).route("a.csv") == R("$1", "t", "sql")
        return
    with pytest.raises(ConfigError, match=message.replace("$", r"\$").replace("(", r"\(").replace(")", r"\)")):
        FileRouter([rule(**kw)])


def test_ignore_rule_needs_no_names():
    r = FileRouter([rule(pattern=r"\.log$", type="ignore")])
    assert r.route("x.log") == R("", "", "ignore")


def test_dynamic_type_errors_at_route_time():
    r = FileRouter([rule(pattern=r"^(\w+)\.(\w+)$", schema="d", table="$1", type="$2")], default_file_rules=False)
    assert r.route("t.csv") == R("d", "t", "csv")
    assert r.route("t.ignore") == R("", "", "ignore")
    with pytest.raises(SourceError, match="unknown file type 'json'"):
        r.route("t.json")
    r = FileRouter([rule(pattern=r"^(\w+)\.(\w+)$", schema="d", table="$1", type="parquet", compression="$2")])
    with pytest.raises(SourceError, match="whole-file compressed parquet"):
        r.route("t.gz")
    assert r.route("t.") is None

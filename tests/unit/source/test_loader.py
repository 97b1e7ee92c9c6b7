"""Source loader on real trees in tmp_path (plus the local storage it walks)."""
from __future__ import annotations

import logging
import os
from types import SimpleNamespace as NS

import pytest

from tidb_lightning.errors import SourceError
from tidb_lightning.source import DEFAULT_FILTER, FileRouter, TableFilter, load_source
from tidb_lightning.storage import FileInfo, LocalStorage


def make_tree(root, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)


def load(root, *, rules=None, no_schema=False, router=None):
    flt = TableFilter.parse(list(DEFAULT_FILTER) if rules is None else rules)
    return load_source(LocalStorage(str(root)), router or FileRouter(), flt, no_schema=no_schema)


def summary(dbs):
    """A compact, comparable view of the loader's result."""
    return [
        (
            d.name,
            d.schema_file,
            [(t.name, t.schema_file, [f.path for f in t.data_files], t.total_size) for t in d.tables],
            [(v.name, v.schema_file) for v in d.views],
        )
        for d in dbs
    ]


# ------------------------------------------------------------------------------------
# storage
# ------------------------------------------------------------------------------------


def test_storage_walk_is_sorted_and_follows_symlinks(tmp_path):
    root = tmp_path / "src"
    make_tree(root, {"b.sql": "bb", "a/z.sql": "z", "a.sql": "a", "a/b/c.sql": "ccc", "c/x.sql": ""})
    outside = tmp_path / "outside"
    make_tree(outside, {"linked-dir-file.sql": "12345"})
    os.symlink(outside, root / "d")  # a symlinked directory
    os.symlink(root / "b.sql", root / "e.sql")  # a symlinked file
    os.symlink(root / "a", root / "a" / "b" / "loop")  # a loop back up
    os.symlink(tmp_path / "nowhere", root / "f.sql")  # broken
    storage = LocalStorage(str(root))
    files = list(storage.walk())
    assert files == [
        FileInfo("a/b/c.sql", 3),
        FileInfo("a/z.sql", 1),
        FileInfo("a.sql", 1),
        FileInfo("b.sql", 2),
        FileInfo("c/x.sql", 0),
        FileInfo("d/linked-dir-file.sql", 5),
        FileInfo("e.sql", 2),
    ]
    assert storage.read_bytes("a/b/c.sql") == b"ccc"
    with storage.open("d/linked-dir-file.sql") as f:
        f.seek(2)
        assert f.read() == b"345"
    assert storage.describe("a/b/c.sql") == str(root / "a" / "b" / "c.sql")
    assert storage.describe("") == str(root)


def test_storage_errors(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        LocalStorage(str(tmp_path / "missing"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(SourceError, match="not a directory"):
        LocalStorage(str(tmp_path / "file"))
    storage = LocalStorage(str(tmp_path))
    with pytest.raises(SourceError, match="leaves the data source directory"):
        storage.open("../x")
    with pytest.raises(SourceError, match="cannot open"):
        storage.open("nope.sql")


# ------------------------------------------------------------------------------------
# loader
# ------------------------------------------------------------------------------------


def test_empty_source_dir(tmp_path):
    (tmp_path / "empty-subdir").mkdir()
    with pytest.raises(SourceError, match="empty source dir") as info:
        load(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_basic_dump_nested_and_sorted(tmp_path):
    make_tree(
        tmp_path,
        {
            "db2-schema-create.sql": "CREATE DATABASE db2;",
            "db2.big-schema.sql": "CREATE TABLE big(a int);",
            "db2.big.sql": "x" * 100,
            "db2.small-schema.sql": "CREATE TABLE small(a int);",
            "db2.small.sql": "x" * 10,
            "db2.same_b-schema.sql": "",
            "db2.same_b.sql": "x" * 10,
            "db2.empty-schema.sql": "",
            "nested/deeper/db1-schema-create.sql": "",
            "nested/db1.t-schema.sql": "",
            # keys compare as strings: "10" < "9"; equal keys by path
            "nested/db1.t.9.sql": "1",
            "nested/db1.t.10.sql": "22",
            "other/db1.t.9.sql": "333",
            "db1.t.000000001.sql": "4444",
            "db1.t.sql": "",
            "metadata": "not ours",
            "db1.t-schema-trigger.sql": "ignored",
            "db1.t.sql.bak": "ignored",
        },
    )
    dbs = load(tmp_path)
    assert summary(dbs) == [
        (
            "db1",
            "nested/deeper/db1-schema-create.sql",
            [
                (
                    "t",
                    "nested/db1.t-schema.sql",
                    ["db1.t.sql", "db1.t.000000001.sql", "nested/db1.t.10.sql", "nested/db1.t.9.sql", "other/db1.t.9.sql"],
                    10,
                )
            ],
            [],
        ),
        (
            "db2",
            "db2-schema-create.sql",
            [
                ("empty", "db2.empty-schema.sql", [], 0),
                ("same_b", "db2.same_b-schema.sql", ["db2.same_b.sql"], 10),
                ("small", "db2.small-schema.sql", ["db2.small.sql"], 10),
                ("big", "db2.big-schema.sql", ["db2.big.sql"], 100),
            ],
            [],
        ),
    ]
    t = dbs[0].tables[0]
    assert [(f.key, f.type, f.compression, f.size) for f in t.data_files][:2] == [("", "sql", "", 0), ("000000001", "sql", "", 4)]


def test_file_types_and_compression_kept(tmp_path):
    make_tree(
        tmp_path,
        {
            "d-schema-create.sql": "",
            "d.t-schema.sql.gz": "",
            "d.t.1.csv.zst": "abc",
            "d.t.2.CSV": "abcd",
            "d.t.3.snappy.parquet": "abcde",
        },
    )
    (db,) = load(tmp_path)
    (t,) = db.tables
    assert t.schema_file == "d.t-schema.sql.gz"
    assert [(f.path, f.type, f.key, f.compression) for f in t.data_files] == [
        ("d.t.1.csv.zst", "csv", "1", "zstd"),
        ("d.t.2.CSV", "csv", "2", ""),
        ("d.t.3.snappy.parquet", "parquet", "3", ""),
    ]
    assert t.total_size == 12


def test_symlinked_files_and_dirs(tmp_path):
    data = tmp_path / "data"
    elsewhere = tmp_path / "elsewhere"
    make_tree(elsewhere, {"db.t.sql": "INSERT INTO t VALUES (1);", "sub/db.u-schema.sql": "", "sub/db.u.sql": "x"})
    make_tree(data, {"db-schema-create.sql": "", "db.t-schema.sql": ""})
    os.symlink(elsewhere / "db.t.sql", data / "db.t.sql")  # lightning_source_linkfile
    os.symlink(elsewhere / "sub", data / "linkdir")
    os.symlink(data, data / "linkdir2")  # a loop: must not hang or duplicate
    (db,) = load(data)
    assert summary([db]) == [
        (
            "db",
            "db-schema-create.sql",
            [
                ("u", "linkdir/db.u-schema.sql", ["linkdir/db.u.sql"], 1),
                ("t", "db.t-schema.sql", ["db.t.sql"], 25),
            ],
            [],
        )
    ]


def test_missing_table_schema_lists_every_file(tmp_path):
    make_tree(
        tmp_path,
        {
            "db-schema-create.sql": "",
            "db.ok-schema.sql": "",
            "db.ok.sql": "",
            "db.a.1.sql": "",
            "db.a.2.sql": "",
            "sub/db.b.csv": "",
            "other.c.sql": "",
            "mysql.user.sql": "",  # filtered out: not an error
        },
    )
    with pytest.raises(SourceError) as info:
        load(tmp_path)
    text = str(info.value)
    for name in ("db.a.1.sql", "db.a.2.sql", "db.b.csv", "other.c.sql"):
        assert str(tmp_path / name) in text or str(tmp_path / "sub" / name) in text, name
    assert "db.ok.sql" not in text and "mysql.user.sql" not in text
    assert "`db`.`a`" in text and "`db`.`b`" in text and "`other`.`c`" in text
    assert "no-schema" in text
    assert text.count("\n  ") == 3  # one line per table


def test_no_schema(tmp_path):
    make_tree(
        tmp_path,
        {"db.known-schema.sql": "", "db.known.sql": "aa", "db.data_only.1.sql": "b", "db.data_only.2.sql": "c", "x.y.csv": ""},
    )
    dbs = load(tmp_path, no_schema=True)
    assert summary(dbs) == [
        (
            "db",
            None,
            [("data_only", None, ["db.data_only.1.sql", "db.data_only.2.sql"], 2), ("known", "db.known-schema.sql", ["db.known.sql"], 2)],
            [],
        ),
        ("x", None, [("y", None, ["x.y.csv"], 0)], []),
    ]


def test_table_schema_without_database_schema(tmp_path):
    make_tree(tmp_path, {"db.t-schema.sql": "", "db.t.sql": "", "lonely.v-schema-view.sql": ""})
    assert summary(load(tmp_path)) == [
        ("db", None, [("t", "db.t-schema.sql", ["db.t.sql"], 0)], []),
        ("lonely", None, [], [("v", "lonely.v-schema-view.sql")]),
    ]


def test_database_only(tmp_path):
    make_tree(tmp_path, {"empty_db-schema-create.sql": ""})
    assert summary(load(tmp_path)) == [("empty_db", "empty_db-schema-create.sql", [], [])]


def test_views(tmp_path):
    # the conformance `view` layout: Dumpling writes a placeholder table for each view
    make_tree(
        tmp_path,
        {
            "db0-schema-create.sql": "",
            "db0.v2-schema.sql": "",
            "db0.v2-schema-view.sql": "",
            "db1-schema-create.sql": "",
            "db1.tbl-schema.sql": "",
            "db1.tbl.0.sql": "xyz",
            "db1.v1-schema.sql": "",
            "db1.v1-schema-view.sql": "",
            "db1.a_view-schema-view.sql": "",
        },
    )
    assert summary(load(tmp_path)) == [
        ("db0", "db0-schema-create.sql", [("v2", "db0.v2-schema.sql", [], 0)], [("v2", "db0.v2-schema-view.sql")]),
        (
            "db1",
            "db1-schema-create.sql",
            [("v1", "db1.v1-schema.sql", [], 0), ("tbl", "db1.tbl-schema.sql", ["db1.tbl.0.sql"], 3)],
            [("a_view", "db1.a_view-schema-view.sql"), ("v1", "db1.v1-schema-view.sql")],
        ),
    ]


@pytest.mark.parametrize(
    "files,what",
    [
        ({"a/db.t-schema.sql": "", "b/db.t-schema.sql": ""}, "table `db`.`t`"),
        ({"db.t-schema.sql": "", "db.t-schema.sql.gz": ""}, "table `db`.`t`"),
        ({"a/db-schema-create.sql": "", "b/db-schema-create.sql": ""}, "database `db`"),
        ({"a/db.v-schema-view.sql": "", "b/db.v-schema-view.sql": ""}, "view `db`.`v`"),
    ],
)
def test_duplicate_schema_files(tmp_path, files, what):
    make_tree(tmp_path, files)
    with pytest.raises(SourceError, match="duplicated") as info:
        load(tmp_path)
    text = str(info.value)
    assert what in text
    for name in files:
        assert str(tmp_path / name) in text


def test_default_filter_excludes_system_schemas(tmp_path):
    make_tree(
        tmp_path,
        {
            "mysql-schema-create.sql": "",
            "mysql.user-schema.sql": "",
            "mysql.user.sql": "",
            "sys.x.sql": "",  # no schema, but filtered before the check
            "INFORMATION_SCHEMA.tables-schema.sql": "",
            "app.t-schema.sql": "",
        },
    )
    assert summary(load(tmp_path)) == [("app", None, [("t", "app.t-schema.sql", [], 0)], [])]


def test_filter_application_and_case(tmp_path):
    make_tree(
        tmp_path,
        {
            "Keep-schema-create.sql": "",
            "Keep.T1-schema.sql": "",
            "Keep.T1.sql": "",
            "Keep.t2-schema.sql": "",
            "Keep.t2.sql": "",
            "drop-schema-create.sql": "",
            "drop.t-schema.sql": "",
            "drop.t.sql": "",
        },
    )
    rules = ["keep.*", "!keep.t2"]
    assert summary(load(tmp_path, rules=rules)) == [("Keep", "Keep-schema-create.sql", [("T1", "Keep.T1-schema.sql", ["Keep.T1.sql"], 0)], [])]
    flt = TableFilter.parse(rules, case_sensitive=True)
    assert load_source(LocalStorage(str(tmp_path)), FileRouter(), flt, no_schema=False) == []


def test_skipped_files_are_logged_at_debug(tmp_path, caplog):
    make_tree(tmp_path, {"README.md": "", "d.t-schema.sql": "", "d.t-schema-post.sql": ""})
    with caplog.at_level(logging.DEBUG, logger="tidb_lightning.source.loader"):
        load(tmp_path)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("README.md" in m and "no file routing rule" in m for m in messages)
    assert any("d.t-schema-post.sql" in m and "ignore" in m for m in messages)


def test_nothing_matched_is_a_warning_not_an_error(tmp_path, caplog):
    make_tree(tmp_path, {"notes.txt": ""})
    with caplog.at_level(logging.WARNING, logger="tidb_lightning.source.loader"):
        assert load(tmp_path) == []
    assert any("no database or table to import" in r.getMessage() for r in caplog.records)


def test_routing_errors_name_the_file(tmp_path):
    make_tree(tmp_path, {"d.t-schema.sql": "", "d.t.sql.orig": ""})
    with pytest.raises(SourceError, match="invalid compression type 'orig'") as info:
        load(tmp_path)
    assert str(tmp_path / "d.t.sql.orig") in str(info.value)


def test_empty_table_name_is_an_error(tmp_path):
    make_tree(tmp_path, {"d-schema-create.sql": "", "d..sql": ""})
    with pytest.raises(SourceError, match="empty name") as info:
        load(tmp_path)
    assert str(tmp_path / "d..sql") in str(info.value)


def test_names_come_from_file_names(tmp_path):
    make_tree(
        tmp_path,
        {
            'x`f"n-schema-create.sql': "CREATE DATABASE `other`;",
            'x`f"n.exotic`table``name-schema.sql': "CREATE TABLE `something_else` (a int);",
            'x`f"n.exotic`table``name.sql': "INSERT INTO `yet_another` VALUES (1);",
            "中文庫-schema-create.sql": "",
            "中文庫.中文表-schema.sql": "",
            "中文庫.中文表.sql": "",
            "mocker_test.ı-schema.sql": "",
            "mocker_test.ı.sql": "",
            "mocker_test.i-schema.sql": "",  # a different table: no case folding
            "mocker_test.I.sql": "",
        },
    )
    with pytest.raises(SourceError, match=r"`mocker_test`\.`I`"):
        load(tmp_path)
    (tmp_path / "mocker_test.I.sql").unlink()
    dbs = load(tmp_path)
    assert [(d.name, [t.name for t in d.tables]) for d in dbs] == [
        ("mocker_test", ["i", "ı"]),
        ('x`f"n', ["exotic`table``name"]),
        ("中文庫", ["中文表"]),
    ]


def test_user_file_rules(tmp_path):
    # the conformance `file_routing` layout and rules
    make_tree(
        tmp_path,
        {
            "fr/schema.sql": "CREATE DATABASE fr;\n",
            "fr/tbl-table.sql": "CREATE TABLE tbl(i TINYINT PRIMARY KEY, j INT);\n",
            "fr/tbl1.sql.0": "INSERT INTO tbl (i, j) VALUES (1, 1),(2, 2);\n",
            "fr/tbl2.sql.0": "INSERT INTO tbl (i, j) VALUES (3, 3),(4, 4);\n",
            "fr/tbl.sql": "INSERT INTO tbl (i, j) VALUES (5, 5);\n",
            "tbl1.sql.1": "INSERT INTO tbl (i, j) VALUES (6, 6),(7, 7),(8, 8),(9, 9);\n",
            "ff/test.SQL": "INSERT INTO tbl (i, j) VALUES (10, 10);\n",
            "fr/tbl-noused.sql": "INSERT INTO tbl (i, j) VALUES (11, 11);\n",
            "fr/v-table.sql": "CREATE TABLE v(i TINYINT);\n",
            "fr/v-view.sql": "CREATE VIEW v (i) AS SELECT i FROM fr.tbl WHERE i <= 5;\n",
        },
    )
    rules = [
        {"pattern": r"(?i)^(?:[^/]*/)*([a-z0-9]+)/schema\.sql$", "schema": "$1", "type": "schema-schema"},
        {"pattern": r"(?i)^(?:[^/]*/)*([a-z0-9]+)/([a-z0-9]+)-table\.sql$", "schema": "$1", "table": "$2", "type": "table-schema"},
        {"pattern": r"(?i)^(?:[^/]*/)*([a-z0-9]+)/([a-z0-9]+)-view\.sql$", "schema": "$1", "table": "$2", "type": "view-schema"},
        {"path": "ff/test.SQL", "schema": "fr", "table": "tbl", "type": "sql"},
        {
            "pattern": r"(?i)^(?:[^/]*/)*([^./]+)/([a-z]+)[0-9]*\.(sql|csv)(?:\.([0-9]+))?$",
            "schema": "$1",
            "table": "$2",
            "type": "$3",
        },
        {"pattern": r"(?i)^(?:[^/]*/)*([a-z]+)[0-9]*\.(sql|csv)(?:\.([0-9]+))?$", "schema": "fr", "table": "$1", "type": "$2"},
    ]
    router = FileRouter(rules, default_file_rules=False)
    (db,) = load(tmp_path, router=router)
    assert db.name == "fr" and db.schema_file == "fr/schema.sql"
    assert [(t.name, t.schema_file) for t in db.tables] == [("v", "fr/v-table.sql"), ("tbl", "fr/tbl-table.sql")]
    assert sorted(f.path for f in db.tables[1].data_files) == [
        "ff/test.SQL",
        "fr/tbl.sql",
        "fr/tbl1.sql.0",
        "fr/tbl2.sql.0",
        "tbl1.sql.1",
    ]
    assert [(v.name, v.schema_file) for v in db.views] == [("v", "fr/v-view.sql")]


# ------------------------------------------------------------------------------------
# the black-white-list conformance layout
# ------------------------------------------------------------------------------------

BWL_TREE = {
    "firstdb-schema-create.sql": "CREATE DATABASE firstdb;",
    "firstdb.first-schema.sql": "CREATE TABLE first (a int);",
    "firstdb.first.1.sql": "INSERT INTO first VALUES (1);",
    "firstdb.first.2.sql": "INSERT INTO first VALUES (2);",
    "firstdb.second-schema.sql": "CREATE TABLE second (a int);",
    "firstdb.second.1.sql": "create table `second` values (909);",
    "seconddb-schema-create.sql": "CREATE DATABASE seconddb;",
    "seconddb.third-schema.sql": "CREATE TABLE third (a int);",
    "seconddb.third.1.sql": "INSERT INTO third VALUES (3);",
    "seconddb.fourth-schema.sql": "CREATE TABLE fourth (a int);",
    "seconddb.fourth.1.sql": "INSERT INTO fourth VALUES (4);",
    "mysql-schema-create.sql": "CREATE DATABASE mysql;",
    "mysql.testtable-schema.sql": "CREATE TABLE testtable (a int);",
}


def tables_of(dbs):
    return {(d.name, t.name) for d in dbs for t in d.tables}


def bwl_filter(do_dbs=(), ignore_dbs=(), do_tables=(), ignore_tables=()):
    return TableFilter.from_black_white_list(
        NS(
            do_dbs=list(do_dbs),
            ignore_dbs=list(ignore_dbs),
            do_tables=[NS(db_name=d, tbl_name=t) for d, t in do_tables],
            ignore_tables=[NS(db_name=d, tbl_name=t) for d, t in ignore_tables],
        )
    )


FIRSTDB_ONLY = {("firstdb", "first"), ("firstdb", "second")}
EVEN_ONLY = {("firstdb", "second"), ("seconddb", "fourth")}


@pytest.mark.parametrize(
    "flt,expected_tables,expected_dbs",
    [
        # run 1: firstdb-only.toml
        (lambda: bwl_filter(do_dbs=["~^f"]), FIRSTDB_ONLY, {"firstdb"}),
        # run 2: even-table-only.toml
        (
            lambda: bwl_filter(ignore_tables=[("firstdb", "~.")], do_tables=[("~.", "second"), ("seconddb", "fourth")]),
            EVEN_ONLY,
            {"firstdb", "seconddb"},
        ),
        # run 3: -f 'f*.*'
        (lambda: TableFilter.parse(["f*.*"]), FIRSTDB_ONLY, {"firstdb"}),
        # run 4: -f '!firstdb.*' -f '*.second' -f 'seconddb.fourth'
        (
            lambda: TableFilter.parse(["!firstdb.*", "*.second", "seconddb.fourth"]),
            EVEN_ONLY,
            # upstream MatchSchema: `*.second` accepts every schema, so mysql's own
            # schema file passes (creating an existing database is harmless)
            {"firstdb", "seconddb", "mysql"},
        ),
        # the default filter
        (
            lambda: TableFilter.default(),
            FIRSTDB_ONLY | {("seconddb", "third"), ("seconddb", "fourth")},
            {"firstdb", "seconddb"},
        ),
    ],
)
def test_black_white_list_conformance_layout(tmp_path, flt, expected_tables, expected_dbs):
    make_tree(tmp_path, BWL_TREE)
    dbs = load_source(LocalStorage(str(tmp_path)), FileRouter(), flt(), no_schema=False)
    assert tables_of(dbs) == expected_tables
    assert {d.name for d in dbs} == expected_dbs
    assert ("mysql", "testtable") not in tables_of(dbs)
    for d in dbs:
        for t in d.tables:
            assert t.schema_file == f"{d.name}.{t.name}-schema.sql"
            assert all(f.path.startswith(f"{d.name}.{t.name}.") for f in t.data_files)

"""Every upstream integration-test config (copied from the conformance suite) loads.

The files under data/conformance/<test>/ are verbatim copies of ../shared/conformance/*/*.toml,
so the project does not depend on ../shared at test time.  Some say backend = "local"; the
suite runs every test with --backend tidb, so the override is applied here too.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tidb_lightning.config import BWTable, load_config, parse_cli

DATA = Path(__file__).parent / "data" / "conformance"
FILES = sorted(DATA.glob("*/*.toml"))
TIDB = {"tikv-importer.backend": "tidb"}


def test_the_copies_are_present():
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_conformance_config_loads(path):
    cfg = load_config(str(path), TIDB)
    assert cfg.tikv_importer.backend == "tidb"
    parse_cli(["--backend", "tidb", "--config", str(path), "-d", str(path.parent)])


def load(name: str):
    return load_config(str(DATA / name), TIDB)


def test_black_white_list_files():
    assert load("black-white-list/firstdb-only.toml").black_white_list.do_dbs == ["~^f"]
    bw = load("black-white-list/even-table-only.toml").black_white_list
    assert bw.ignore_tables == [BWTable("firstdb", "~.")]
    assert bw.do_tables == [BWTable("~.", "second"), BWTable("seconddb", "fourth")]
    assert load("black-white-list/config.toml").black_white_list is None
    cfg = parse_cli(["--backend", "tidb", "--config", str(DATA / "black-white-list/config.toml"),
                     "-f", "!firstdb.*", "-f", "*.second", "-f", "seconddb.fourth"]).config
    assert cfg.mydumper.filter == ["!firstdb.*", "*.second", "seconddb.fourth"]


def test_csv_files():
    csv = load("csv/config.toml").mydumper.csv
    assert (csv.separator, csv.delimiter, csv.header, csv.null, csv.escaped_by) == (",", '"', False, ["\\N"], "\\")
    csv = load("issue_519/config.toml").mydumper.csv
    assert (csv.delimiter, csv.header, csv.backslash_escape, csv.escaped_by) == ("'", True, False, "")


def test_column_permutation_and_examples():
    md = load("column_permutation/config.toml").mydumper
    assert md.strict_format is True and md.max_region_size == 200
    assert load("examples/1.toml").mydumper.read_block_size == 1
    assert load("examples/512.toml").mydumper.read_block_size == 512
    cfg = load("examples/131072.toml")
    assert cfg.mydumper.read_block_size == 131072
    assert cfg.lightning.level == "warning" and cfg.lightning.table_concurrency == 1


def test_file_routing_and_routes():
    cfg = load("file_routing/config.toml")
    md = cfg.mydumper
    assert len(md.files) == 6 and md.default_file_rules is False
    assert md.files[3].path == "ff/test.SQL" and md.files[3].pattern == ""
    assert md.files[4].type == "$3"
    route = load("routes/config.toml").routes[0]
    assert (route.schema_pattern, route.table_pattern, route.target_schema, route.target_table) == (
        "routes_a*", "t*", "routes_b", "u")
    assert load("parquet/config.toml").mydumper.no_schema is True


def test_duplicate_handling_files():
    assert load("tidb_duplicate_data/replace.toml").conflict.strategy == "replace"
    assert load("tidb_duplicate_data/ignore.toml").tikv_importer.on_duplicate == "ignore"
    cfg = load("tidb_duplicate_data/error.toml")
    assert cfg.conflict.strategy == "error" and cfg.conflict.threshold == 0
    cfg = load("fail_fast/engine.toml")
    assert cfg.checkpoint.enable is False and cfg.tikv_importer.max_kv_pairs == 1
    assert cfg.mydumper.batch_size == 1 and cfg.not_built == []


def test_skip_csv_header_files():
    assert load("config_skip_csv_header/normal_config.toml").mydumper.csv.header_schema_match is False
    assert load("config_skip_csv_header/err_config.toml").mydumper.csv.header_schema_match is True
    assert load("config_skip_csv_header/err_default_config.toml").mydumper.csv.header_schema_match is True
    assert load("config_skip_csv_header/err_config.toml").conflict.strategy == "replace"

"""load_config(): defaults, the TOML file, overrides, adjust() and validate()."""
from __future__ import annotations

import datetime as dt
import os
import re
import tempfile

import pytest

from tidb_lightning.config import DEFAULT_FILTER, NOT_BUILT, Config, load_config
from tidb_lightning.config.load import adjust, config_from_toml_dict, timestamp_log_file
from tidb_lightning.config.model import BWTable, PostRestoreConfig, toml_fields
from tidb_lightning.errors import ConfigError, NotBuiltError

TIDB = {"tikv-importer.backend": "tidb"}



def load(write, text: str, overrides: dict | None = None) -> Config:
    return load_config(write(text), {**TIDB, **(overrides or {})})


# --------------------------------------------------------------------------- defaults

def test_defaults_match_the_spec():
    cfg = load_config(None, TIDB)
    cpus = os.cpu_count()
    tmp = tempfile.gettempdir()

    lt = cfg.lightning
    assert lt.level == "info"
    assert lt.file.startswith(os.path.join(tmp, "lightning.log."))
    assert lt.status_addr == "" and lt.server_mode is False
    assert lt.check_requirements is True
    assert lt.region_concurrency == cpus
    assert lt.table_concurrency == cpus and lt.index_concurrency == cpus  # tidb backend
    assert lt.io_concurrency == 5
    assert lt.max_error == 0
    assert lt.task_info_schema_name == "lightning_task_info"
    assert lt.meta_schema_name == "lightning_metadata"
    assert (lt.max_size, lt.max_days, lt.max_backups, lt.enable_diagnose_logs) == (512, 7, 0, False)

    cp = cfg.checkpoint
    assert cp.enable is True
    assert cp.schema == "tidb_lightning_checkpoint"
    assert cp.driver == "file"
    assert cp.dsn == os.path.join(tmp, "tidb_lightning_checkpoint.pb")
    assert cp.keep_after_success == "remove"

    ti = cfg.tikv_importer
    assert ti.backend == "tidb"
    assert ti.on_duplicate == "replace"
    assert ti.logical_import_batch_size == 96 * 1024
    assert ti.logical_import_batch_rows == 65536
    assert ti.logical_import_prep_stmt is False
    assert ti.max_kv_pairs == 4096
    assert ti.send_kv_pairs == 32768
    assert ti.region_split_size == 96 << 20
    assert ti.range_concurrency == 16
    assert ti.sorted_kv_dir == ""

    md = cfg.mydumper
    assert md.read_block_size == 64 * 1024
    assert md.batch_size == 100 << 30
    assert md.batch_import_ratio == 0.75
    assert md.max_region_size == 256 << 20
    assert md.character_set == "auto"
    assert md.data_character_set == "binary"
    assert md.data_invalid_char_replace == "\ufffd"
    assert md.no_schema is False and md.case_sensitive is False and md.strict_format is False
    assert md.filter == list(DEFAULT_FILTER)
    assert md.filter == ["*.*", "!mysql.*", "!sys.*", "!INFORMATION_SCHEMA.*", "!PERFORMANCE_SCHEMA.*",
                         "!METRICS_SCHEMA.*", "!INSPECTION_SCHEMA.*"]
    assert md.filter_given is False
    assert md.default_file_rules is True
    assert md.files == [] and md.ignore_data_columns == []

    csv = md.csv
    assert (csv.separator, csv.delimiter, csv.terminator) == (",", '"', "")
    assert csv.header is True and csv.header_schema_match is True and csv.not_null is False
    assert csv.null == ["\\N"]
    assert csv.backslash_escape is True and csv.escaped_by == "\\"
    assert csv.trim_last_separator is False

    db = cfg.tidb
    assert (db.host, db.port, db.user, db.password) == ("127.0.0.1", 4000, "root", "")
    assert db.status_port == 10080 and db.pd_addr == "" and db.log_level == "error"
    assert db.sql_mode == "ONLY_FULL_GROUP_BY,NO_AUTO_CREATE_USER"
    assert db.tls == "false"
    assert db.max_allowed_packet == 64 << 20
    assert (db.build_stats_concurrency, db.distsql_scan_concurrency,
            db.index_serial_scan_concurrency, db.checksum_table_concurrency) == (20, 15, 20, 2)
    assert db.session_vars == {}
    assert db.security == cfg.security

    assert (cfg.cron.switch_mode, cfg.cron.log_progress, cfg.cron.check_disk_quota) == (300.0, 300.0, 60.0)
    assert cfg.security.ca_path == "" and cfg.security.redact_info_log is False
    assert cfg.conflict.strategy == "replace"  # from on-duplicate's default, as br-5.x
    assert cfg.conflict.threshold == 10000 and cfg.conflict.max_record_rows == 0
    assert cfg.conflict.precheck_conflict_before_import is False
    assert cfg.routes == [] and cfg.black_white_list is None
    assert cfg.not_built == []


def test_post_restore_model_defaults_and_tidb_forces_compaction_off():
    pr = PostRestoreConfig()
    assert (pr.checksum, pr.analyze, pr.post_process_at_last) == ("required", "optional", True)
    cfg = load_config(None, TIDB)  # unlike upstream, the tidb backend keeps the checksum
    assert (cfg.post_restore.checksum, cfg.post_restore.analyze) == ("required", "optional")
    assert cfg.post_restore.compact is False and cfg.post_restore.checksum_via_sql is False


def test_physical_backend_concurrency_defaults_via_adjust():
    cfg = Config()
    cfg.tikv_importer.backend = "local"
    adjust(cfg)
    assert cfg.lightning.table_concurrency == 6
    assert cfg.lightning.index_concurrency == 2
    assert cfg.lightning.region_concurrency == os.cpu_count()


def test_tidb_concurrency_follows_region_concurrency(write):
    cfg = load(write, "[lightning]\nregion-concurrency = 7\n")
    assert (cfg.lightning.table_concurrency, cfg.lightning.index_concurrency) == (7, 7)
    cfg = load(write, "[lightning]\nregion-concurrency = 7\ntable-concurrency = 1\n")
    assert (cfg.lightning.table_concurrency, cfg.lightning.index_concurrency) == (1, 7)


@pytest.mark.parametrize("backend", [None, "local", "LOCAL"])
def test_local_backend_is_built_and_the_default(backend):
    overrides = {} if backend is None else {"tikv-importer.backend": backend}
    assert load_config(None, overrides).tikv_importer.backend == "local"


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ("importer", "--backend importer (tikv-importer) is not built yet; use --backend tidb"),
        ("remote", "--backend remote (remote physical import) is not built yet; use --backend tidb"),
    ],
)
def test_physical_backends_are_not_built(backend, message):
    overrides = {} if backend is None else {"tikv-importer.backend": backend}
    with pytest.raises(NotBuiltError) as exc:
        load_config(None, overrides)
    assert str(exc.value) == message
    assert isinstance(exc.value, ConfigError)  # the CLI maps both to exit code 2


def test_timestamp_log_file_format():
    utc = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert timestamp_log_file(utc) == os.path.join(tempfile.gettempdir(), "lightning.log.2024-01-02T03.04.05Z")
    east = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert timestamp_log_file(east).endswith("lightning.log.2024-01-02T03.04.05+0800")


# --------------------------------------------------------------------------- reading the file

def test_file_values_are_read_and_resolved(write):
    cfg = load(write, """
        [lightning]
        level = "WARN"
        file = "-"
        io-concurrency = 3
        max-error = 7

        [tidb]
        host = "db.example"
        port = 3306
        user = "loader"
        sql-mode = ""
        max-allowed-packet = "16MiB"
        [tidb.session-vars]
        foreign_key_checks = 0
        tidb_enable_clustered_index = "OFF"

        [tikv-importer]
        logical-import-batch-size = "1MiB"
        logical-import-batch-rows = 100
        on-duplicate = "ignore"

        [mydumper]
        data-source-dir = "/data"
        read-block-size = "4KiB"
        max-region-size = 1024
        filter = ["db.*"]
        character-set = "UTF8MB4"
        [mydumper.csv]
        separator = "|"
        delimiter = ""
        terminator = "\\r\\n"
        null = ["NULL", "\\\\N"]
        header = false

        [cron]
        log-progress = "1m30s"
    """)
    assert cfg.lightning.level == "warn"
    assert cfg.lightning.file == "-"
    assert cfg.lightning.io_concurrency == 3
    assert cfg.lightning.max_error == 7
    assert (cfg.tidb.host, cfg.tidb.port, cfg.tidb.user, cfg.tidb.sql_mode) == ("db.example", 3306, "loader", "")
    assert cfg.tidb.max_allowed_packet == 16 << 20
    assert cfg.tidb.session_vars == {"foreign_key_checks": "0", "tidb_enable_clustered_index": "OFF"}
    assert cfg.tikv_importer.logical_import_batch_size == 1 << 20
    assert cfg.tikv_importer.logical_import_batch_rows == 100
    assert cfg.tikv_importer.on_duplicate == "ignore" and cfg.conflict.strategy == "ignore"
    assert cfg.mydumper.data_source_dir == "/data"
    assert cfg.mydumper.read_block_size == 4096 and cfg.mydumper.max_region_size == 1024
    assert cfg.mydumper.filter == ["db.*"] and cfg.mydumper.filter_given is True
    assert cfg.mydumper.character_set == "utf8mb4"
    csv = cfg.mydumper.csv
    assert (csv.separator, csv.delimiter, csv.terminator) == ("|", "", "\r\n")
    assert csv.null == ["NULL", "\\N"] and csv.header is False
    assert cfg.cron.log_progress == 90.0


def test_csv_null_string_becomes_list(write):
    assert load(write, "[mydumper.csv]\nnull = 'NIL'\n").mydumper.csv.null == ["NIL"]
    assert load(write, "[mydumper.csv]\nnull = ''\n").mydumper.csv.null == [""]
    assert load(write, "[mydumper.csv]\nnull = []\n").mydumper.csv.null == [""]
    assert load(write, "[mydumper.csv]\nnull = []\nnot-null = true\n").mydumper.csv.null == []


def test_escaped_by_resolution(write):
    assert load(write, "[mydumper.csv]\nbackslash-escape = false\n").mydumper.csv.escaped_by == ""
    assert load(write, "[mydumper.csv]\nescaped-by = '|'\n").mydumper.csv.escaped_by == "|"
    cfg = load(write, "[mydumper.csv]\nbackslash-escape = false\nescaped-by = '\\'\n")
    assert cfg.mydumper.csv.escaped_by == ""


def test_overrides_win_over_the_file(write):
    path = write('[tidb]\nhost = "file-host"\nport = 1111\n[mydumper]\nfilter = ["f.*"]\n')
    cfg = load_config(path, {**TIDB, "tidb.host": "1.2.3.4", "mydumper.filter": ["a.*", "!a.b"]})
    assert cfg.tidb.host == "1.2.3.4"
    assert cfg.tidb.port == 1111
    assert cfg.mydumper.filter == ["a.*", "!a.b"]
    assert "tidb.host" in cfg.explicit_keys and "mydumper.filter" in cfg.explicit_keys


def test_missing_file_and_bad_toml(tmp_path, write):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(str(tmp_path / "nope.toml"), TIDB)
    with pytest.raises(ConfigError, match="cannot parse config file"):
        load_config(write("[lightning\n"), TIDB)


EVERY_KEY = """
[lightning]
status-addr = ""
server-mode = false
level = "info"
file = "x.log"
max-size = 128
max-days = 28
max-backups = 14
enable-diagnose-logs = false
check-requirements = true
table-concurrency = 6
index-concurrency = 2
region-concurrency = 4
io-concurrency = 5
meta-schema-name = "lightning_metadata"
max-error = { type = 3, conflict = 4 }
max-error-records = 100
task-info-schema-name = "lightning_task_info"
pprof-port = 0

[security]
ca-path = ""
cert-path = ""
key-path = ""
redact-info-log = false

[checkpoint]
enable = false
schema = "cp"
driver = "mysql"
dsn = "root:pw@tcp(127.0.0.1:3306)/"
keep-after-success = "origin"

[conflict]
strategy = "replace"
precheck-conflict-before-import = false
threshold = 100
max-record-rows = 50

[tikv-importer]
backend = "tidb"
addr = "127.0.0.1:8287"
on-duplicate = "replace"
max-kv-pairs = 4096
send-kv-pairs = 32768
send-kv-size = "16KiB"
compress-kv-pairs = "gzip"
region-split-size = "96MiB"
region-split-keys = 1280000
region-split-batch-size = 4096
region-split-concurrency = 4
region-check-backoff-limit = 1800
sorted-kv-dir = "/tmp/sorted"
disk-quota = "10GiB"
range-concurrency = 16
duplicate-detection = false
duplicate-resolution = "none"
incremental-import = false
parallel-import = false
keyspace-name = ""
add-index-by-sql = false
engine-mem-cache-size = "512MiB"
local-writer-mem-cache-size = "128MiB"
store-write-bwlimit = 0
pause-pd-scheduler-scope = "table"
block-size = "16KiB"
logical-import-batch-size = "96KiB"
logical-import-batch-rows = 65536
logical-import-prep-stmt = false
remote-worker-addr = ""
chunk-size = "8MiB"
chunk-cache-dir = ""

[mydumper]
read-block-size = "64KiB"
batch-size = "100GiB"
batch-import-ratio = 0.75
data-source-dir = "/data/my_database"
source-id = "s1"
no-schema = false
character-set = "auto"
data-character-set = "binary"
data-invalid-char-replace = "?"
case-sensitive = false
strict-format = false
max-region-size = "256MiB"
filter = ['*.*', '!mysql.*']
default-file-rules = true

[mydumper.csv]
separator = ','
delimiter = '"'
terminator = ''
header = true
header-schema-match = true
not-null = false
null = '\\N'
backslash-escape = true
escaped-by = '\\'
trim-last-separator = false

[[mydumper.files]]
pattern = '(?i)^(?:[^/]*/)*([a-z0-9_]+)\\.([a-z0-9_]+)\\.csv$'
schema = "$1"
table = "$2"
type = "csv"
key = ""
compression = ""

[[mydumper.ignore-data-columns]]
db = "db"
table = "t"
table-filter = []
columns = ["A", "b"]

[[mydumper.column-constants]]
db = "db"
table = "t"
table-filter = []
[mydumper.column-constants.values]
c = "'x'"

[tidb]
host = "127.0.0.1"
port = 4000
user = "root"
password = ""
status-port = 10080
pd-addr = "127.0.0.1:2379"
log-level = "error"
sql-mode = "ONLY_FULL_GROUP_BY,NO_ENGINE_SUBSTITUTION"
tls = "false"
max-allowed-packet = 67_108_864
build-stats-concurrency = 20
distsql-scan-concurrency = 100
index-serial-scan-concurrency = 20
checksum-table-concurrency = 16
[tidb.session-vars]
tidb_enable_clustered_index = "OFF"
[tidb.security]
ca-path = ""
cert-path = ""
key-path = ""

[post-restore]
checksum = "required"
analyze = "optional"
checksum-via-sql = false
level-1-compact = false
compact = false
post-process-at-last = true

[cron]
switch-mode = "5m"
log-progress = "5m"
check-disk-quota = "1m"

[[routes]]
schema-pattern = "db*"
table-pattern = "t*"
target-schema = "db"
target-table = "t"
[routes.extract-table]
table-regexp = "t(.*)"
target-column = "c_table"
[routes.extract-schema]
schema-regexp = "db(.*)"
target-column = "c_schema"
[routes.extract-source]
source-regexp = "(.*)"
target-column = "c_source"
"""


def test_every_key_the_spec_lists_is_accepted(write):
    cfg = load_config(write(EVERY_KEY))
    assert cfg.lightning.max_error == 3
    assert cfg.checkpoint.keep_after_success == "origin"
    assert cfg.checkpoint.enable is False
    assert cfg.tikv_importer.compress_kv_pairs == "gzip"
    assert cfg.tikv_importer.disk_quota == 10 << 30
    assert cfg.mydumper.files[0].type == "csv"
    assert cfg.mydumper.default_file_rules is True  # explicitly kept on
    assert cfg.mydumper.ignore_data_columns[0].columns == ["a", "b"]
    assert cfg.mydumper.column_constants[0].values == {"c": "'x'"}
    assert cfg.routes[0].extract_table.target_column == "c_table"
    assert cfg.routes[0].extract_source.source_regexp == "(.*)"
    assert cfg.conflict.strategy == "replace" and cfg.conflict.threshold == 100
    assert cfg.conflict.max_record_rows == 0  # tidb + replace


# --------------------------------------------------------------------------- unknown keys

def test_unknown_keys_are_listed(write):
    path = write("""
        [typo-1]
        a = 1

        [lightning]
        typo-2 = true

        [[typo-3]]
        b = 2
    """)
    with pytest.raises(ConfigError) as exc:
        load_config(path, TIDB)
    assert str(exc.value) == "config file contained unknown configuration options: typo-1, lightning.typo-2, typo-3"


def test_nested_unknown_keys_use_dotted_names(write):
    path = write("""
        [mydumper.csv]
        sep = ","
        [tidb.security]
        ca = "x"
        [lightning]
        max-error = { syntax = 1 }
        [[routes]]
        schema-pattern = "a"
        target = "b"
        [[mydumper.files]]
        pattern = "x"
        schema-name = "y"
        [[black-white-list.do-tables]]
        db-name = "a"
        table = "b"
    """)
    with pytest.raises(ConfigError) as exc:
        load_config(path, TIDB)
    msg = str(exc.value)
    for name in ("mydumper.csv.sep", "tidb.security.ca", "lightning.max-error.syntax", "routes.target",
                 "mydumper.files.schema-name", "black-white-list.do-tables.table"):
        assert name in msg


def test_unknown_override_key():
    with pytest.raises(ConfigError, match="tidb.hots"):
        load_config(None, {**TIDB, "tidb.hots": "x"})


# --------------------------------------------------------------------------- wrong types

@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[lightning]\nregion-concurrency = "x"\n', "lightning.region-concurrency"),
        ("[lightning]\ncheck-requirements = 1\n", "lightning.check-requirements"),
        ("[lightning]\nlevel = 3\n", "lightning.level"),
        ("[mydumper.csv]\nheader = 3\n", "mydumper.csv.header"),
        ("[mydumper.csv]\nnull = 3\n", "mydumper.csv.null"),
        ("[mydumper]\nread-block-size = true\n", "mydumper.read-block-size"),
        ('[mydumper]\nread-block-size = "lots"\n', "mydumper.read-block-size"),
        ('[mydumper]\nfilter = "a.*"\n', "mydumper.filter"),
        ('[mydumper]\nbatch-import-ratio = "x"\n', "mydumper.batch-import-ratio"),
        ("[cron]\nlog-progress = 300\n", "cron.log-progress"),
        ("[tidb]\nport = \"4000\"\n", "tidb.port"),
        ("[tidb.session-vars]\nx = true\n", "tidb.session-vars.x"),
        ("[[routes]]\nschema-pattern = 1\n", "routes[0].schema-pattern"),
        ("[[mydumper.files]]\npattern = 'a'\n[[mydumper.files]]\npath = 3\n", "mydumper.files[1].path"),
        ('routes = { schema-pattern = "a" }\n', "routes"),
        ("lightning = 3\n", "lightning"),
        ('[lightning]\nmax-error = "lots"\n', "lightning.max-error"),
        ('[lightning]\nmax-error = { type = "x" }\n', "lightning.max-error.type"),
        ("[post-restore]\nchecksum = 1\n", "post-restore.checksum"),
        ("[checkpoint]\nkeep-after-success = 1\n", "checkpoint.keep-after-success"),
    ],
)
def test_wrong_types_name_the_key(write, toml, key):
    with pytest.raises(ConfigError) as exc:
        load_config(write(toml), TIDB)
    assert f"`{key}`" in str(exc.value)


# --------------------------------------------------------------------------- impossible values

@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[lightning]\nregion-concurrency = -1\n", "lightning.region-concurrency"),
        ("[lightning]\ntable-concurrency = -2\n", "lightning.table-concurrency"),
        ("[lightning]\nio-concurrency = -1\n", "lightning.io-concurrency"),
        ("[lightning]\nmax-error = -1\n", "lightning.max-error"),
        ('[lightning]\nlevel = "loud"\n', "lightning.level"),
        ('[mydumper.csv]\nseparator = ""\n', "mydumper.csv.separator"),
        ('[mydumper.csv]\nseparator = ","\ndelimiter = ",,"\n', "must not be prefix of each other"),
        ('[mydumper.csv]\nseparator = "ab"\ndelimiter = "a"\n', "must not be prefix of each other"),
        ('[mydumper.csv]\nescaped-by = "ab"\n', "mydumper.csv.escaped-by"),
        ('[mydumper.csv]\nescaped-by = "é"\n', "mydumper.csv.escaped-by"),
        ('[mydumper.csv]\nescaped-by = ","\n', "mydumper.csv.escaped-by"),
        ('[mydumper]\ndata-invalid-char-replace = ","\n', "mydumper.data-invalid-char-replace"),
        ('[mydumper]\ncharacter-set = "ebcdic"\n', "mydumper.character-set"),
        ('[mydumper]\ndata-character-set = "ebcdic"\n', "mydumper.data-character-set"),
        ("[mydumper]\nmax-region-size = 0\n", "mydumper.max-region-size"),
        ('[[mydumper.files]]\npattern = "a"\npath = "b"\n', "mydumper.files[0]"),
        ('[[mydumper.files]]\nschema = "a"\n', "mydumper.files[0]"),
        ('[tikv-importer]\non-duplicate = "upsert"\n', "tikv-importer.on-duplicate"),
        ('[tikv-importer]\nduplicate-resolution = "maybe"\n', "tikv-importer.duplicate-resolution"),
        ("[tikv-importer]\nmax-kv-pairs = 0\n", "tikv-importer.max-kv-pairs"),
        ("[tikv-importer]\nlogical-import-batch-rows = 0\n", "tikv-importer.logical-import-batch-rows"),
        ("[tikv-importer]\nlogical-import-batch-size = 0\n", "tikv-importer.logical-import-batch-size"),
        ('[tikv-importer]\npause-pd-scheduler-scope = "all"\n', "pause-pd-scheduler-scope"),
        ('[post-restore]\nchecksum = "maybe"\n', "post-restore.checksum"),
        ('[post-restore]\nanalyze = "sometimes"\n', "post-restore.analyze"),
        ('[checkpoint]\nkeep-after-success = "maybe"\n', "checkpoint.keep-after-success"),
        ('[checkpoint]\ndriver = "redis"\n', "checkpoint.driver"),
        ('[conflict]\nstrategy = "bogus"\n', "conflict.strategy"),
        ('[conflict]\nstrategy = "error"\nthreshold = 5\n', "conflict.threshold"),
        ("[conflict]\nprecheck-conflict-before-import = true\n", "conflict.precheck-conflict-before-import"),
        ("[tidb]\nport = 70000\n", "tidb.port"),
        ("[tidb]\nport = -1\n", "tidb.port"),
        ("[tidb]\nstatus-port = 65536\n", "tidb.status-port"),
        ('[tidb]\ntls = "bogus"\n', "tidb.tls"),
        ('[tidb]\ntls = "cluster"\n', "tidb.tls"),
        ('[cron]\nlog-progress = "0s"\n', "cron.log-progress"),
        ('[cron]\nswitch-mode = "-5m"\n', "cron.switch-mode"),
        ('[[routes]]\ntable-pattern = "t"\n', "routes[0].schema-pattern"),
    ],
)
def test_impossible_values_are_config_errors(write, toml, needle):
    with pytest.raises(ConfigError) as exc:
        load_config(write(toml), TIDB)
    assert not isinstance(exc.value, NotBuiltError)
    assert needle in str(exc.value)


@pytest.mark.parametrize("backend", ["xyz", "", "tikv"])
def test_unknown_backend_is_a_config_error(write, backend):
    with pytest.raises(ConfigError, match="tikv-importer.backend") as exc:
        load_config(write(f'[tikv-importer]\nbackend = "{backend}"\n'))
    assert not isinstance(exc.value, NotBuiltError)


def test_strict_format_with_empty_terminator_is_accepted(write):
    # br-5.x accepts it and the upstream column_permutation test depends on it (master rejects it).
    cfg = load(write, "[mydumper]\nstrict-format = true\nmax-region-size = 200\n")
    assert cfg.mydumper.strict_format is True and cfg.mydumper.csv.terminator == ""


def test_out_of_range_batch_import_ratio_falls_back(write):
    assert load(write, "[mydumper]\nbatch-import-ratio = 1.5\n").mydumper.batch_import_ratio == 0.75
    assert load(write, "[mydumper]\nbatch-import-ratio = -0.1\n").mydumper.batch_import_ratio == 0.75
    assert load(write, "[mydumper]\nbatch-import-ratio = 0.5\n").mydumper.batch_import_ratio == 0.5


def test_zero_means_default_for_port_and_sizes(write):
    cfg = load(write, "[tidb]\nport = 0\n[mydumper]\nread-block-size = 0\nbatch-size = 0\n")
    assert cfg.tidb.port == 4000
    assert cfg.mydumper.read_block_size == 64 * 1024
    assert cfg.mydumper.batch_size == 100 << 30


# --------------------------------------------------------------------------- legacy aliases

@pytest.mark.parametrize(
    ("value", "level"),
    [("true", "required"), ("false", "off"), ('"required"', "required"), ('"OPTIONAL"', "optional"),
     ('"off"', "off"), ('"true"', "required"), ('"false"', "off")],
)
def test_checksum_legacy_bools(value, level):
    raw = {"post-restore": {"checksum": __import__("tomllib").loads(f"v = {value}")["v"]}}
    assert config_from_toml_dict(raw).post_restore.checksum == level


@pytest.mark.parametrize(("value", "expected"), [(True, "rename"), (False, "remove"), ("origin", "origin")])
def test_keep_after_success_legacy_bools(value, expected):
    assert config_from_toml_dict({"checkpoint": {"keep-after-success": value}}).checkpoint.keep_after_success == expected


def test_pprof_port_becomes_status_addr(write):
    cfg = load(write, "[lightning]\npprof-port = 8289\n")
    assert cfg.lightning.status_addr == ":8289"
    assert not any("status" in m for m in cfg.not_built)  # the status server is built
    cfg = load(write, '[lightning]\npprof-port = 8289\nstatus-addr = "127.0.0.1:1"\n')
    assert cfg.lightning.status_addr == "127.0.0.1:1"


@pytest.mark.parametrize(("toml", "expected"), [
    ("[lightning]\nmax-error = 5\n", 5),
    ("[lightning]\nmax-error = { type = 10 }\n", 10),
    ("[lightning]\nmax-error = { type = 1, conflict = 2 }\n", 1),
    ("[lightning]\nmax-error = { conflict = 2 }\n", 0),
    ("[lightning.max-error]\ntype = 9\n", 9),
])
def test_max_error_int_or_table(write, toml, expected):
    assert load(write, toml).lightning.max_error == expected


def test_black_white_list(write):
    cfg = load(write, """
        [black-white-list]
        do-dbs = ["~^f"]
        ignore-dbs = ["x"]
        [[black-white-list.do-tables]]
        db-name = "~."
        tbl-name = "second"
        [[black-white-list.ignore-tables]]
        db-name = "firstdb"
        tbl-name = "~."
    """)
    bw = cfg.black_white_list
    assert bw.do_dbs == ["~^f"] and bw.ignore_dbs == ["x"]
    assert bw.do_tables == [BWTable("~.", "second")] and bw.do_tables[0] == ("~.", "second")
    assert bw.ignore_tables[0].db_name == "firstdb" and bw.ignore_tables[0].tbl_name == "~."
    assert cfg.not_built == []


def test_black_white_list_conflicts_with_a_non_default_filter(write):
    text = '[black-white-list]\ndo-dbs = ["a"]\n'
    with pytest.raises(ConfigError, match="black-white-list"):
        load(write, text + '[mydumper]\nfilter = ["a.*"]\n')
    with pytest.raises(ConfigError, match="black-white-list"):
        load(write, text, {"mydumper.filter": ["a.*"]})
    default = ", ".join(f"'{r}'" for r in DEFAULT_FILTER)
    cfg = load(write, text + f"[mydumper]\nfilter = [{default}]\n")  # the default filter, written out
    assert cfg.black_white_list.do_dbs == ["a"]


def test_empty_black_white_list_is_none(write):
    assert load(write, "[black-white-list]\n").black_white_list is None


def test_duplicate_resolution_alias(write):
    cfg = load(write, '[tikv-importer]\nduplicate-resolution = "remove"\n')
    assert cfg.conflict.strategy == "replace"
    with pytest.raises(ConfigError, match="duplicate-resolution"):
        load(write, '[tikv-importer]\nduplicate-resolution = "record"\n[conflict]\nstrategy = "error"\n')
    with pytest.raises(ConfigError, match="duplicate-resolution"):
        load(write, '[tikv-importer]\nduplicate-resolution = "record"\non-duplicate = "ignore"\n')


def test_incremental_import_alias(write):
    assert load(write, "[tikv-importer]\nincremental-import = true\n").tikv_importer.parallel_import is True


def test_ignore_columns_global_spelling(write):
    cfg = load(write, '[[mydumper.ignore-columns]]\ndb = "d"\ntable = "t"\ncolumns = ["X"]\n')
    assert [ig.columns for ig in cfg.mydumper.ignore_data_columns] == [["x"]]


@pytest.mark.parametrize(("toml", "strategy", "threshold", "records", "on_dup"), [
    ("", "replace", 10000, 0, "replace"),
    ('[tikv-importer]\non-duplicate = "error"\n', "error", 0, 0, "error"),
    ('[tikv-importer]\non-duplicate = "ignore"\n', "ignore", 10000, 10000, "ignore"),
    ('[conflict]\nstrategy = "ignore"\nthreshold = 5\n', "ignore", 5, 5, "ignore"),
    ('[conflict]\nstrategy = "error"\n', "error", 0, 0, "error"),
    ('[conflict]\nstrategy = "record"\n', "replace", 10000, 0, "replace"),
    ('[conflict]\nstrategy = "replace"\n[tikv-importer]\non-duplicate = "ignore"\n', "replace", 10000, 0, "replace"),
])
def test_conflict_resolution_for_tidb(write, toml, strategy, threshold, records, on_dup):
    cfg = load(write, toml)
    assert (cfg.conflict.strategy, cfg.conflict.threshold, cfg.conflict.max_record_rows) == (strategy, threshold, records)
    assert cfg.tikv_importer.on_duplicate == on_dup


# --------------------------------------------------------------------------- other adjustments

def test_tidb_security_defaults_to_a_copy_of_security(write):
    cfg = load(write, '[security]\nca-path = "/ca.pem"\ncert-path = "/c.pem"\nkey-path = "/k.pem"\n')
    assert cfg.tidb.security.ca_path == "/ca.pem" and cfg.tidb.security.key_path == "/k.pem"
    assert cfg.tidb.security is not cfg.security
    assert cfg.tidb.tls == "cluster"
    cfg = load(write, '[security]\nca-path = "/ca.pem"\n[tidb.security]\ncert-path = "/t.pem"\n')
    assert cfg.tidb.security.ca_path == "" and cfg.tidb.security.cert_path == "/t.pem"
    cfg = load(write, '[security]\nca-path = "/ca.pem"\n[tidb]\ntls = "false"\n')
    assert cfg.tidb.security.ca_path == "" and cfg.tidb.tls == "false"


def test_routes_are_lower_cased_unless_case_sensitive(write):
    text = '[[routes]]\nschema-pattern = "Shard_*"\ntable-pattern = "T*"\ntarget-schema = "Out"\ntarget-table = "U"\n'
    r = load(write, text).routes[0]
    assert (r.schema_pattern, r.table_pattern, r.target_schema, r.target_table) == ("shard_*", "t*", "Out", "U")
    r = load(write, text + "[mydumper]\ncase-sensitive = true\n").routes[0]
    assert (r.schema_pattern, r.table_pattern) == ("Shard_*", "T*")


def test_file_rules_and_default_file_rules(write, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    cfg = load(write, f"""
        [mydumper]
        data-source-dir = "{src}"
        [[mydumper.files]]
        path = "{src}/ff/test.SQL"
        schema = "fr"
        table = "tbl"
        type = "sql"
    """)
    assert cfg.mydumper.files[0].path == "ff/test.SQL"
    assert cfg.mydumper.default_file_rules is False
    with pytest.raises(ConfigError, match="not in source dir"):
        load(write, f'[mydumper]\ndata-source-dir = "{src}"\n[[mydumper.files]]\npath = "/etc/passwd"\n')


def test_checkpoint_dsn_defaults(write):
    cfg = load(write, '[checkpoint]\nschema = "my_cp"\n')
    assert cfg.checkpoint.dsn == os.path.join(tempfile.gettempdir(), "my_cp.pb")
    assert load(write, '[checkpoint]\ndriver = "mysql"\n').checkpoint.dsn == ""


# --------------------------------------------------------------------------- secrets

def test_password_never_printed(write):
    cfg = load(write, """
        [tidb]
        password = "s3cr3t-pw"
        [checkpoint]
        enable = false
        driver = "mysql"
        dsn = "root:dsn-s3cr3t@tcp(127.0.0.1:3306)/"
    """)
    assert cfg.tidb.password == "s3cr3t-pw"
    for text in (repr(cfg), str(cfg), repr(cfg.tidb), str(cfg.tidb), repr(cfg.checkpoint), cfg.redacted()):
        assert "s3cr3t" not in text
    summary = cfg.redacted()
    assert '"password": "******"' in summary
    assert "root:******@tcp(127.0.0.1:3306)/" in summary
    assert '"host": "127.0.0.1"' in summary


@pytest.mark.parametrize(
    ("toml", "overrides", "expected"),
    [
        ("", {}, "env-s3cr3t"),  # nothing given: the environment
        ('[tidb]\npassword = ""\n', {}, "env-s3cr3t"),  # the sample config's empty value gives none
        ('[tidb]\npassword = "file-pw"\n', {}, "file-pw"),  # the file wins over the environment
        ('[tidb]\npassword = "file-pw"\n', {"tidb.password": "flag-pw"}, "flag-pw"),  # the flag wins
        ("", {"tidb.password": ""}, ""),  # --tidb-password "" explicitly asks for no password
    ],
)
def test_password_from_the_environment(write, monkeypatch, toml, overrides, expected):
    monkeypatch.setenv("TIDB_PASSWORD", "env-s3cr3t")
    assert load(write, toml, overrides).tidb.password == expected


def test_environment_password_never_printed(write, monkeypatch):
    monkeypatch.setenv("TIDB_PASSWORD", "env-s3cr3t")
    cfg = load(write, '[checkpoint]\ndriver = "mysql"\n')
    assert cfg.tidb.password == "env-s3cr3t"
    for text in (repr(cfg), str(cfg), repr(cfg.tidb), str(cfg.tidb), repr(cfg.checkpoint), cfg.redacted(),
                 str(cfg.to_dict())):
        assert "env-s3cr3t" not in text
    assert '"password": "******"' in cfg.redacted()
    assert "tidb.password" not in cfg.explicit_keys


# --------------------------------------------------------------------------- not built yet

def test_not_built_is_empty_for_defaults_and_tidb():
    assert load_config(None, TIDB).not_built == []


@pytest.mark.parametrize(
    ("toml", "overrides", "needle"),
    [
        ('[[routes]]\nschema-pattern = "a*"\ntarget-schema = "b"\n[routes.extract-table]\n'
         'table-regexp = "t(.*)"\ntarget-column = "c"\n', {}, "`[[routes]]` extract-table"),
        ("[security]\nredact-info-log = true\n", {}, "log redaction"),
        ('[[mydumper.column-constants]]\ndb = "d"\ntable = "t"\n', {}, "column constants"),
    ],
)
def test_not_built_messages_for_explicit_settings(write, toml, overrides, needle):
    cfg = load(write, toml, overrides)
    assert any(needle in m for m in cfg.not_built), cfg.not_built


@pytest.mark.parametrize(
    "toml",
    [
        "[checkpoint]\nenable = false\n",
        "[checkpoint]\nenable = true\n",
        '[checkpoint]\ndriver = "mysql"\n',
        "[post-restore]\nanalyze = true\n",
        '[checkpoint]\nenable = false\ndriver = "mysql"\n',
        '[lightning]\nstatus-addr = ""\n',
        '[mydumper]\ndata-character-set = "binary"\n',
        '[security]\nca-path = ""\n',
        '[security]\nca-path = "/ca.pem"\n',
        '[[mydumper.files]]\npattern = "x"\nschema = "a"\ntype = "sql"\n',
        "[security]\nredact-info-log = false\n",
        '[tidb]\ntls = "false"\n',
        '[tidb]\ntls = "skip-verify"\n',
        '[tidb]\ntls = "preferred"\n',
        '[security]\nca-path = "/ca.pem"\n[tidb]\ntls = "cluster"\n',
        '[post-restore]\nchecksum = "off"\nanalyze = false\n',
        "[mydumper]\nno-schema = true\n",
    ],
)
def test_no_not_built_message_when_the_feature_is_not_asked_for(write, toml):
    assert load(write, toml).not_built == []


def test_not_built_messages_are_deduplicated(write):
    cfg = load(write, '[[mydumper.column-constants]]\ndb = "a"\n[[mydumper.column-constants]]\ndb = "b"\n')
    assert len(cfg.not_built) == 1


@pytest.mark.parametrize(("toml", "needle"), [
    ('db = "d"\ncolumns = ["a"]', "by `db` and `table`, or by `table-filter`"),
    ('db = "d"\ntable = "t"\ntable-filter = ["d.*"]\ncolumns = ["a"]', "not both"),
    ('db = "d"\ntable = "t"', "list the columns"),
    ('table-filter = ["d.[*"]\ncolumns = ["a"]', "table-filter"),
])
def test_ignore_columns_entries_are_checked(write, toml, needle):
    with pytest.raises(ConfigError, match=re.escape(needle)):
        load(write, f"[[mydumper.ignore-data-columns]]\n{toml}\n")


def test_server_mode_needs_a_status_addr(write):
    assert load(write, '[lightning]\nserver-mode = true\nstatus-addr = ":8289"\n').lightning.server_mode
    with pytest.raises(ConfigError, match="status-addr"):
        load(write, "[lightning]\nserver-mode = true\n")


def test_a_task_starts_from_the_server_config_and_wins_over_it(write):
    path = write('[lightning]\nserver-mode = true\nstatus-addr = ":8289"\n[tidb]\nhost = "db1"\nport = 3306\n'
                 '[tikv-importer]\nbackend = "tidb"\n')
    cfg = load_config(path, {"tidb.user": "admin"},
                      task={"tidb": {"host": "db2"}, "mydumper": {"data-source-dir": "/d"}})
    assert (cfg.tidb.host, cfg.tidb.port, cfg.tidb.user) == ("db2", 3306, "admin")
    assert (cfg.mydumper.data_source_dir, cfg.tikv_importer.backend) == ("/d", "tidb")
    with pytest.raises(ConfigError, match="lightning.status-addr: a setting of the server"):
        load_config(path, {}, task={"lightning": {"status-addr": ":1"}})
    with pytest.raises(ConfigError, match="unknown configuration options: tidb.hots"):
        load_config(path, {}, task={"tidb": {"hots": "x"}})
    with pytest.raises(ConfigError, match="tidb.port"):
        load_config(path, {}, task={"tidb": {"port": "not a port"}})


def test_not_built_table_prefixes_are_real_keys():
    """Every NOT_BUILT prefix names a section or key of the model (guards typos in the table)."""
    for entry in NOT_BUILT:
        cls: type = Config
        for part in entry.prefix.split("."):
            fields = toml_fields(cls)
            assert part in fields, entry.prefix
            cls = fields[part].metadata.get("cls", cls)
        assert entry.message


def test_local_backend_batches_are_bigger_unless_set():
    base = {"tikv-importer.backend": "local", "tikv-importer.sorted-kv-dir": "/tmp/skv"}
    assert load_config(None, base).tikv_importer.logical_import_batch_size == 1 << 20
    assert load_config(None, {**base, "tikv-importer.logical-import-batch-size": 4096}) \
        .tikv_importer.logical_import_batch_size == 4096
    assert load_config(None, TIDB).tikv_importer.logical_import_batch_size == 96 * 1024

"""The configuration model: one dataclass per TOML section.

Attribute names are the TOML keys with ``-`` replaced by ``_`` (``[tikv-importer]`` ->
``cfg.tikv_importer``, ``read-block-size`` -> ``read_block_size``).  After
:func:`tidb_lightning.config.load_config` every value is resolved: sizes are ``int`` bytes,
durations are ``float`` seconds, defaults that depend on other settings are filled in.

The objects are plain (mutable) dataclasses so tests can tweak a loaded config, but the
import code must treat them as read-only.

Each field carries ``metadata["kind"]``, which tells the loader how to read the TOML value:

=============  =====================================================================
``str``        a TOML string
``int``        a TOML integer (``bool`` is refused)
``bool``       a TOML boolean
``float``      a TOML float or integer
``size``       integer bytes or ``"64KiB"`` (see :mod:`.units`)
``duration``   Go duration string, stored as seconds
``strlist``    array of strings
``section``    a nested table, ``metadata["cls"]`` is its dataclass
``tables``     array of tables (``[[routes]]``), ``metadata["cls"]`` is the item dataclass
``special``    read by a dedicated function in :mod:`.load`
``derived``    not a TOML key: computed by the loader
=============  =====================================================================
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "DEFAULT_FILTER",
    "LightningConfig",
    "SecurityConfig",
    "TiDBConfig",
    "CheckpointConfig",
    "ConflictConfig",
    "TikvImporterConfig",
    "CSVConfig",
    "FileRule",
    "IgnoreColumns",
    "ColumnConstants",
    "MydumperConfig",
    "PostRestoreConfig",
    "CronConfig",
    "ExtractTable",
    "ExtractSchema",
    "ExtractSource",
    "RouteRule",
    "BWTable",
    "BlackWhiteList",
    "Config",
    "toml_fields",
]

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
MAX_INT64 = (1 << 63) - 1

DEFAULT_FILTER: tuple[str, ...] = (
    "*.*",
    "!mysql.*",
    "!sys.*",
    "!INFORMATION_SCHEMA.*",
    "!PERFORMANCE_SCHEMA.*",
    "!METRICS_SCHEMA.*",
    "!INSPECTION_SCHEMA.*",
)


def _k(kind: str, default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING,
       cls: type | None = None, repr: bool = True) -> Any:
    meta: dict[str, Any] = {"kind": kind}
    if cls is not None:
        meta["cls"] = cls
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata=meta, repr=repr)
    return field(default=default, metadata=meta, repr=repr)


def toml_fields(cls: type) -> dict[str, dataclasses.Field]:
    """TOML key -> dataclass field, for every field of ``cls`` that is a TOML key."""
    return {
        f.name.replace("_", "-"): f
        for f in dataclasses.fields(cls)
        if f.metadata.get("kind", "derived") != "derived"
    }


# --------------------------------------------------------------------------- [lightning]

@dataclass
class LightningConfig:
    """``[lightning]``: logging, server, concurrency and error budget."""

    # logging (global-only keys)
    level: str = _k("str", "info")
    file: str = _k("str", "")  # resolved: f"{tmpdir}/lightning.log.<timestamp>" when empty; "-" = stdout
    max_size: int = _k("int", 512)  # MB
    max_days: int = _k("int", 7)
    max_backups: int = _k("int", 0)
    enable_diagnose_logs: bool = _k("bool", False)
    # server (global-only keys)
    status_addr: str = _k("str", "")
    server_mode: bool = _k("bool", False)
    pprof_port: int = _k("int", 0)  # legacy alias of status-addr (":<port>")
    status_token: str = _k("str", "")  # ours: the HTTP API wants `Authorization: Bearer <token>`
    # task
    check_requirements: bool = _k("bool", True)
    table_concurrency: int = _k("int", 0)  # resolved: tidb -> region_concurrency, else 6
    index_concurrency: int = _k("int", 0)  # resolved: tidb -> region_concurrency, else 2
    region_concurrency: int = _k("int", 0)  # resolved: os.cpu_count()
    io_concurrency: int = _k("int", 5)
    meta_schema_name: str = _k("str", "lightning_metadata")
    max_error: int = _k("special", 0)  # tolerated *type* errors; int or {type = N}
    max_error_records: int = _k("int", -1)  # deprecated (conflict.max-record-rows)
    task_info_schema_name: str = _k("str", "lightning_task_info")


# --------------------------------------------------------------------------- [security]

@dataclass
class SecurityConfig:
    """``[security]`` and ``[tidb.security]``: TLS files.  An empty CA means no TLS."""

    ca_path: str = _k("str", "")
    cert_path: str = _k("str", "")
    key_path: str = _k("str", "")
    redact_info_log: bool = _k("bool", False)


# --------------------------------------------------------------------------- [tidb]

@dataclass
class TiDBConfig:
    """``[tidb]``: the target server.  ``password`` never appears in ``repr()``."""

    host: str = _k("str", "127.0.0.1")
    port: int = _k("int", 0)  # resolved: 4000 when unset / 0
    user: str = _k("str", "root")
    password: str = _k("str", "", repr=False)
    status_port: int = _k("int", 10080)
    pd_addr: str = _k("str", "")
    log_level: str = _k("str", "error")
    sql_mode: str = _k("str", "ONLY_FULL_GROUP_BY,NO_AUTO_CREATE_USER")
    tls: str = _k("str", "")  # resolved: "cluster" when a CA is set, else "false"
    max_allowed_packet: int = _k("size", 64 * MiB)  # 0 = ask the server
    build_stats_concurrency: int = _k("int", 20)
    distsql_scan_concurrency: int = _k("int", 15)
    index_serial_scan_concurrency: int = _k("int", 20)
    checksum_table_concurrency: int = _k("int", 2)
    session_vars: dict[str, str] = _k("special", factory=dict)
    security: SecurityConfig | None = _k("section", None, cls=SecurityConfig)  # resolved: copy of [security]


# --------------------------------------------------------------------------- [checkpoint]

@dataclass
class CheckpointConfig:
    """``[checkpoint]``.  ``dsn`` may hold a password, so it is left out of ``repr()``."""

    enable: bool = _k("bool", True)
    schema: str = _k("str", "tidb_lightning_checkpoint")
    driver: str = _k("str", "file")  # "file" | "mysql"
    dsn: str = _k("str", "", repr=False)  # resolved: file -> f"{tmpdir}/{schema}.pb"; mysql -> "" (use [tidb])
    keep_after_success: str = _k("special", "remove")  # "remove" | "rename" | "origin" (true -> rename, false -> remove)


# --------------------------------------------------------------------------- [conflict]

@dataclass
class ConflictConfig:
    """``[conflict]`` (v7.3+).  ``strategy`` is resolved from ``tikv-importer.on-duplicate`` when empty."""

    strategy: str = _k("special", "")  # "" | "error" | "replace" | "ignore"
    precheck_conflict_before_import: bool = _k("bool", False)
    threshold: int = _k("int", -1)  # resolved: error/"" -> 0, replace/ignore -> 10000
    max_record_rows: int = _k("int", -1)  # resolved: = threshold (0 for tidb + replace)


# --------------------------------------------------------------------------- [tikv-importer]

@dataclass
class TikvImporterConfig:
    """``[tikv-importer]``.  Only the ``tidb`` (logical) backend is built."""

    backend: str = _k("str", "local")  # "tidb" | "local" | "importer" (docs default: local)
    addr: str = _k("str", "")
    remote_worker_addr: str = _k("str", "")
    on_duplicate: str = _k("special", "replace")  # "replace" | "ignore" | "error"; mirrors conflict.strategy once resolved
    max_kv_pairs: int = _k("int", 4096)
    send_kv_pairs: int = _k("int", 32768)
    send_kv_size: int = _k("size", 16 * KiB)
    compress_kv_pairs: str = _k("str", "")
    region_split_size: int = _k("size", 96 * MiB)
    region_split_keys: int = _k("int", 0)
    region_split_batch_size: int = _k("int", 4096)
    region_split_concurrency: int = _k("int", 0)  # resolved: os.cpu_count()
    region_check_backoff_limit: int = _k("int", 1800)
    sorted_kv_dir: str = _k("str", "")
    disk_quota: int = _k("size", MAX_INT64)
    range_concurrency: int = _k("int", 16)
    duplicate_detection: bool = _k("bool", False)  # br-5.x
    duplicate_resolution: str = _k("str", "none")  # "none" | "record" | "remove" (deprecated)
    incremental_import: bool = _k("bool", False)  # deprecated alias of parallel-import
    parallel_import: bool = _k("bool", False)
    keyspace_name: str = _k("str", "")
    add_index_by_sql: bool = _k("bool", False)
    engine_mem_cache_size: int = _k("size", 512 * MiB)
    local_writer_mem_cache_size: int = _k("size", 128 * MiB)
    store_write_bwlimit: int = _k("size", 0)
    pause_pd_scheduler_scope: str = _k("str", "table")
    block_size: int = _k("size", 16 * KiB)
    logical_import_batch_size: int = _k("size", 96 * KiB)
    logical_import_batch_rows: int = _k("int", 65536)
    logical_import_prep_stmt: bool = _k("bool", False)
    chunk_size: int = _k("size", 8 * MiB)
    chunk_cache_dir: str = _k("str", "")
    remote_addr: str = _k("str", "")  # global-config spelling of remote-worker-addr
    # ours: `local` on MySQL-family targets switches the server's crash-safety settings off
    # while importing (backend/import_mode.py), and back afterwards
    server_import_mode: bool = _k("bool", False)
    # ours: `local` takes secondary indexes off only for tables with at least this much source
    # data; rebuilding the indexes of a small table costs more than the rows save
    index_engine_min_size: int = _k("size", 16 * MiB)


# --------------------------------------------------------------------------- [mydumper]

@dataclass
class CSVConfig:
    """``[mydumper.csv]``."""

    separator: str = _k("str", ",")
    delimiter: str = _k("str", '"')
    terminator: str = _k("str", "")  # "" = \r, \n or \r\n
    header: bool = _k("bool", True)
    header_schema_match: bool = _k("bool", True)
    not_null: bool = _k("bool", False)
    null: list[str] = _k("special", factory=lambda: ["\\N"])  # a TOML string becomes a 1-element list
    backslash_escape: bool = _k("bool", True)
    escaped_by: str = _k("str", "")  # resolved: "\\" when backslash_escape else ""
    trim_last_separator: bool = _k("bool", False)


@dataclass
class FileRule:
    """One ``[[mydumper.files]]`` routing rule.  Exactly one of ``pattern``/``path`` is set."""

    pattern: str = _k("str", "")
    path: str = _k("str", "")
    schema: str = _k("str", "")
    table: str = _k("str", "")
    type: str = _k("str", "")
    key: str = _k("str", "")
    compression: str = _k("str", "")


@dataclass
class IgnoreColumns:
    """One ``[[mydumper.ignore-data-columns]]`` (alias ``ignore-columns``) entry; columns lower-cased."""

    db: str = _k("str", "")
    table: str = _k("str", "")
    table_filter: list[str] = _k("strlist", factory=list)
    columns: list[str] = _k("strlist", factory=list)


@dataclass
class ColumnConstants:
    """One ``[[mydumper.column-constants]]`` entry: fill ``values`` (column -> SQL literal text)."""

    db: str = _k("str", "")
    table: str = _k("str", "")
    table_filter: list[str] = _k("strlist", factory=list)
    values: dict[str, str] = _k("special", factory=dict)


@dataclass
class MydumperConfig:
    """``[mydumper]``: the data source."""

    data_source_dir: str = _k("str", "")
    read_block_size: int = _k("size", 64 * KiB)
    batch_size: int = _k("size", 100 * GiB)
    batch_import_ratio: float = _k("float", 0.75)
    source_id: str = _k("str", "")
    no_schema: bool = _k("bool", False)
    character_set: str = _k("str", "auto")
    data_character_set: str = _k("str", "binary")
    data_invalid_char_replace: str = _k("str", "\ufffd")
    case_sensitive: bool = _k("bool", False)
    strict_format: bool = _k("bool", False)
    max_region_size: int = _k("size", 256 * MiB)
    filter: list[str] = _k("strlist", factory=lambda: list(DEFAULT_FILTER))
    default_file_rules: bool = _k("bool", False)  # resolved: True when no [[mydumper.files]]
    ignore_data_columns: list[IgnoreColumns] = _k("tables", factory=list, cls=IgnoreColumns)
    ignore_columns: list[IgnoreColumns] = _k("tables", factory=list, cls=IgnoreColumns)  # global spelling; merged into ignore_data_columns
    column_constants: list[ColumnConstants] = _k("tables", factory=list, cls=ColumnConstants)
    files: list[FileRule] = _k("tables", factory=list, cls=FileRule)
    csv: CSVConfig = _k("section", factory=CSVConfig, cls=CSVConfig)
    filter_given: bool = _k("derived", False)  # True when the filter came from the file or -f


# --------------------------------------------------------------------------- [post-restore], [cron]

@dataclass
class PostRestoreConfig:
    """``[post-restore]``.  Levels are ``"required" | "optional" | "off"``."""

    checksum: str = _k("special", "required")
    analyze: str = _k("special", "optional")
    checksum_via_sql: bool = _k("bool", False)
    level_1_compact: bool = _k("bool", False)
    compact: bool = _k("bool", False)
    post_process_at_last: bool = _k("bool", True)


@dataclass
class CronConfig:
    """``[cron]``: periodic work, in seconds."""

    switch_mode: float = _k("duration", 300.0)
    log_progress: float = _k("duration", 300.0)
    check_disk_quota: float = _k("duration", 60.0)


# --------------------------------------------------------------------------- [[routes]]

@dataclass
class ExtractTable:
    table_regexp: str = _k("str", "")
    target_column: str = _k("str", "")


@dataclass
class ExtractSchema:
    schema_regexp: str = _k("str", "")
    target_column: str = _k("str", "")


@dataclass
class ExtractSource:
    source_regexp: str = _k("str", "")
    target_column: str = _k("str", "")


@dataclass
class RouteRule:
    """One ``[[routes]]`` rule.  Patterns are lower-cased unless ``mydumper.case-sensitive``."""

    schema_pattern: str = _k("str", "")
    table_pattern: str = _k("str", "")
    target_schema: str = _k("str", "")
    target_table: str = _k("str", "")
    extract_table: ExtractTable | None = _k("section", None, cls=ExtractTable)
    extract_schema: ExtractSchema | None = _k("section", None, cls=ExtractSchema)
    extract_source: ExtractSource | None = _k("section", None, cls=ExtractSource)


# --------------------------------------------------------------------------- [black-white-list]

class BWTable(NamedTuple):
    """A ``do-tables``/``ignore-tables`` entry; a leading ``~`` marks a regex."""

    db_name: str
    tbl_name: str


@dataclass
class BlackWhiteList:
    """Legacy ``[black-white-list]`` (MySQL replication rules)."""

    do_dbs: list[str] = _k("strlist", factory=list)
    ignore_dbs: list[str] = _k("strlist", factory=list)
    do_tables: list[BWTable] = _k("special", factory=list)
    ignore_tables: list[BWTable] = _k("special", factory=list)


# --------------------------------------------------------------------------- the whole file

_DSN_PASSWORD = re.compile(r"^([^:@/]*):([^@]*)@")


def _redact_dsn(dsn: str) -> str:
    return _DSN_PASSWORD.sub(lambda m: f"{m.group(1)}:******@", dsn)


@dataclass
class Config:
    """The whole task configuration.  Build it with :func:`~tidb_lightning.config.load_config`."""

    lightning: LightningConfig = _k("section", factory=LightningConfig, cls=LightningConfig)
    tidb: TiDBConfig = _k("section", factory=TiDBConfig, cls=TiDBConfig)
    checkpoint: CheckpointConfig = _k("section", factory=CheckpointConfig, cls=CheckpointConfig)
    mydumper: MydumperConfig = _k("section", factory=MydumperConfig, cls=MydumperConfig)
    tikv_importer: TikvImporterConfig = _k("section", factory=TikvImporterConfig, cls=TikvImporterConfig)
    post_restore: PostRestoreConfig = _k("section", factory=PostRestoreConfig, cls=PostRestoreConfig)
    cron: CronConfig = _k("section", factory=CronConfig, cls=CronConfig)
    security: SecurityConfig = _k("section", factory=SecurityConfig, cls=SecurityConfig)
    conflict: ConflictConfig = _k("section", factory=ConflictConfig, cls=ConflictConfig)
    routes: list[RouteRule] = _k("tables", factory=list, cls=RouteRule)
    black_white_list: BlackWhiteList | None = _k("section", None, cls=BlackWhiteList)
    # -- not TOML keys --
    not_built: list[str] = _k("derived", factory=list)  # one message per explicitly-set, not-yet-built feature
    explicit_keys: frozenset[str] = _k("derived", frozenset(), repr=False)  # dotted keys set by the file or the flags
    config_path: str | None = _k("derived", None)

    def is_tidb_backend(self) -> bool:
        return self.tikv_importer.backend == "tidb"

    def to_dict(self) -> dict[str, Any]:
        """The resolved settings as nested dicts keyed by TOML names, secrets redacted."""
        return _section_dict(self)

    def redacted(self) -> str:
        """A printable JSON summary of the resolved config; the password is ``"******"``."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)


def _section_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.metadata.get("kind") == "derived" and f.name != "not_built":
            continue
        out[f.name.replace("_", "-")] = _value_dict(getattr(obj, f.name))
    if isinstance(obj, TiDBConfig):
        out["password"] = "******"
    if isinstance(obj, LightningConfig) and obj.status_token:
        out["status-token"] = "******"
    if isinstance(obj, CheckpointConfig):
        out["dsn"] = _redact_dsn(obj.dsn)
    if isinstance(obj, MydumperConfig):
        from tidb_lightning.storage.s3 import redact  # an S3 URL's secret key
        out["data-source-dir"] = redact(obj.data_source_dir)
    return out


def _value_dict(v: Any) -> Any:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return _section_dict(v)
    if isinstance(v, BWTable):
        return {"db-name": v.db_name, "tbl-name": v.tbl_name}
    if isinstance(v, (list, tuple)):
        return [_value_dict(x) for x in v]
    if isinstance(v, dict):
        return {k: _value_dict(x) for k, x in v.items()}
    return v


def default_region_concurrency() -> int:
    return os.cpu_count() or 1

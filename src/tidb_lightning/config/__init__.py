"""Configuration: the TOML task file, the command-line flags and their resolution.

Public entry points:

* :func:`load_config` -- defaults -> TOML file -> dotted overrides -> adjust -> validate.
* :func:`parse_cli` -- ``tidb-lightning`` argv -> :class:`CliArgs` (config, version).
* :func:`add_common_flags` / :func:`build_parser` / :func:`parse_args` /
  :func:`overrides_from_args` -- the flag machinery ``tidb-lightning-ctl`` reuses.
"""
from __future__ import annotations

from .flags import (
    COMMON_FLAGS,
    CliArgs,
    add_bool_flag,
    add_common_flags,
    build_parser,
    overrides_from_args,
    parse_args,
    parse_cli,
)
from .load import NOT_BUILT, load_config
from .model import (
    DEFAULT_FILTER,
    BlackWhiteList,
    BWTable,
    CheckpointConfig,
    ColumnConstants,
    Config,
    ConflictConfig,
    CronConfig,
    CSVConfig,
    FileRule,
    IgnoreColumns,
    LightningConfig,
    MydumperConfig,
    PostRestoreConfig,
    RouteRule,
    SecurityConfig,
    TiDBConfig,
    TikvImporterConfig,
)
from .units import parse_duration, parse_size

__all__ = [
    "Config",
    "load_config",
    "parse_cli",
    "CliArgs",
    "add_common_flags",
    "add_bool_flag",
    "build_parser",
    "parse_args",
    "overrides_from_args",
    "COMMON_FLAGS",
    "NOT_BUILT",
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
    "RouteRule",
    "BWTable",
    "BlackWhiteList",
    "parse_size",
    "parse_duration",
]

"""Build a :class:`Config`: defaults -> TOML file -> overrides (CLI flags) -> adjust() -> validate().

* The file is read with :mod:`tomllib`.  Keys unknown anywhere are an error listing every one of
  them (``config file contained unknown configuration options: typo-1, lightning.typo-2``).
* Overrides are dotted TOML paths (``{"tidb.host": "1.2.3.4"}``); they are merged into the file's
  table before type checking, so a flag and a file entry go through the same checks.
* :func:`adjust` fills defaults that depend on other settings and maps legacy aliases;
  :func:`validate` rejects impossible values.  Every error is a :class:`ConfigError` naming the
  dotted setting.
* Settings that are accepted but whose feature is not built yet are listed in ONE table,
  :data:`NOT_BUILT`.  Explicitly setting one appends a message to ``cfg.not_built`` (or raises
  :class:`NotBuiltError` for the fatal ones).  Shrink the table as features land.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import os
import tempfile
import tomllib
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from tidb_lightning.errors import ConfigError, NotBuiltError

from .model import (
    DEFAULT_FILTER,
    BWTable,
    Config,
    SecurityConfig,
    default_region_concurrency,
    toml_fields,
)
from .units import parse_duration, parse_size

__all__ = [
    "load_config",
    "config_from_toml_dict",
    "adjust",
    "validate",
    "NOT_BUILT",
    "NotBuilt",
    "KNOWN_BACKENDS",
    "BUILT_BACKENDS",
    "timestamp_log_file",
]

# --------------------------------------------------------------------------- constants

BUILT_BACKENDS = frozenset({"tidb", "local"})
LOCAL_BATCH_BYTES = 1 << 20  # tikv-importer.logical-import-batch-size for --backend local
KNOWN_BACKENDS = {
    "tidb": "",
    "local": "",
    "importer": "--backend importer (tikv-importer) is not built yet; use --backend tidb",
    "remote": "--backend remote (remote physical import) is not built yet; use --backend tidb",
    "import-into": "--backend import-into (IMPORT INTO) is not built yet; use --backend tidb",
}
LOG_LEVELS = ("debug", "info", "warn", "warning", "error", "dpanic", "panic", "fatal")
OP_LEVELS = {"required": "required", "true": "required", "optional": "optional", "off": "off", "false": "off"}
KEEP_STRATEGIES = {"remove": "remove", "false": "remove", "rename": "rename", "true": "rename", "origin": "origin"}
CONFLICT_STRATEGIES = {"": "", "none": "", "replace": "replace", "ignore": "ignore", "error": "error",
                       "remove": "replace", "record": "replace"}
ON_DUPLICATE = ("replace", "ignore", "error")
DUPLICATE_RESOLUTION = {"": "none", "none": "none", "record": "record", "remove": "remove",
                        "replace": "replace", "ignore": "ignore", "error": "error"}
TLS_MODES = ("", "false", "cluster", "skip-verify", "preferred")
SCHEMA_CHARSETS = ("auto", "utf8mb4", "utf8", "gb18030", "gbk", "latin1", "binary")
DATA_CHARSETS = ("binary", "utf8", "utf8mb4", "gb18030", "gbk", "latin1", "ascii", "auto")
COMPRESS_KV = {"": "", "gz": "gzip", "gzip": "gzip"}
DEFAULT_RECORD_DUPLICATE_THRESHOLD = 10000


# --------------------------------------------------------------------------- not built yet

@dataclass(frozen=True)
class NotBuilt:
    """A setting that is accepted but whose feature does not exist yet.

    ``prefix`` matches the dotted key itself or anything below it.  ``when(value, cfg)`` says
    whether the explicitly-set value actually asks for the feature (``enable = false`` does
    not).  ``fatal`` raises :class:`NotBuiltError` instead of recording a message.
    """

    prefix: str
    message: str
    when: Callable[[Any, Config], bool] = lambda value, cfg: True
    fatal: bool = False

    def matches(self, key: str) -> bool:
        return key == self.prefix or key.startswith(self.prefix + ".")


#: ONE table of "accepted but not built" settings.  Order matters: the first matching entry wins,
#: so more specific prefixes come first.  Remove an entry when its feature lands.
NOT_BUILT: tuple[NotBuilt, ...] = (
    NotBuilt("routes", "`[[routes]]` extract-table / extract-schema / extract-source: filling a column with the "
                       "source's name is not built yet (the rules route the tables, without the extra column)",
             when=lambda v, cfg: any(r.extract_table or r.extract_schema or r.extract_source for r in cfg.routes)),
    NotBuilt("mydumper.column-constants",
             "`[[mydumper.column-constants]]`: column constants are not built yet (the entries are ignored)"),
    NotBuilt("security.redact-info-log",
             "`security.redact-info-log` (--redact-info-log): log redaction is not built yet (data may appear in logs)",
             when=lambda v, cfg: v is True),
    NotBuilt("tikv-importer.logical-import-prep-stmt",
             "`tikv-importer.logical-import-prep-stmt`: prepared statements are not built "
             "(statements are sent as text)", when=lambda v, cfg: v is True),
)


# --------------------------------------------------------------------------- entry point

#: settings of the server process that a server-mode task may not change (upstream's GlobalConfig)
GLOBAL_ONLY = ("lightning.level", "lightning.file", "lightning.max-size", "lightning.max-days",
               "lightning.max-backups", "lightning.enable-diagnose-logs", "lightning.status-addr",
               "lightning.server-mode", "lightning.pprof-port", "lightning.status-token")


def load_config(path: str | None, overrides: dict[str, object] | None = None,
                task: dict[str, Any] | None = None) -> Config:
    """Load the task config from ``path`` (or defaults when ``None``) and apply ``overrides``.

    ``overrides`` maps dotted TOML paths to TOML-style values (``{"tidb.port": 4000,
    "mydumper.filter": ["a.*"]}``) and wins over the file.  ``task``: a server-mode task's
    parsed TOML, which wins over both (upstream: global config, then the task file) but may not
    set :data:`GLOBAL_ONLY` keys.  Raises :class:`ConfigError` for unknown keys, wrong types
    and impossible values, and :class:`NotBuiltError` when the config asks for a feature that
    does not exist yet.
    """
    raw = _read_toml(path) if path else {}
    unknown = _unknown_keys(Config, raw, "")
    if unknown:
        raise ConfigError("config file contained unknown configuration options: " + ", ".join(unknown))
    file_keys = _leaf_keys(Config, raw, "")
    if task is not None:
        unknown = _unknown_keys(Config, task, "")
        if unknown:
            raise ConfigError("the task contained unknown configuration options: " + ", ".join(unknown))
        task_keys = _leaf_keys(Config, task, "")
        bad = [k for k in task_keys if k in GLOBAL_ONLY]
        if bad:
            raise ConfigError(f"{', '.join(bad)}: a setting of the server itself, not of a task; "
                              f"set it when starting tidb-lightning --server-mode")
        overrides = {**(overrides or {}), **{k: _get_path(task, k) for k in task_keys}}

    overrides = dict(overrides or {})
    override_tree: dict[str, Any] = {}
    for key, value in overrides.items():
        _set_path(override_tree, key, value)
    unknown = _unknown_keys(Config, override_tree, "")
    if unknown:
        raise ConfigError("unknown configuration options in overrides: " + ", ".join(unknown))
    merged = copy.deepcopy(raw)
    for key, value in overrides.items():
        _set_path(merged, key, copy.deepcopy(value))

    explicit = list(dict.fromkeys([*file_keys, *overrides.keys()]))
    cfg = _convert(Config, merged, "", "")
    cfg.explicit_keys = frozenset(explicit)
    cfg.config_path = path
    _password_from_env(cfg, overrides)
    cfg.lightning.status_token = cfg.lightning.status_token or os.environ.get(TOKEN_ENV, "")
    adjust(cfg)
    validate(cfg)
    _check_not_built(cfg, explicit, merged)
    return cfg


#: environment variable holding the target password (never logged, never in redacted())
PASSWORD_ENV = "TIDB_PASSWORD"
#: environment variable holding the status server's API token (`lightning.status-token`)
TOKEN_ENV = "TIDB_LIGHTNING_STATUS_TOKEN"


def _password_from_env(cfg: Config, overrides: dict[str, Any]) -> None:
    """`TIDB_PASSWORD` fills `tidb.password` when neither --tidb-password (any value, even "")
    nor a non-empty `password` in the file gives one: the sample config ships `password = ""`."""
    if "tidb.password" in overrides or cfg.tidb.password:
        return
    env = os.environ.get(PASSWORD_ENV)
    if env:
        cfg.tidb.password = env


def config_from_toml_dict(raw: dict[str, Any]) -> Config:
    """Check and convert a parsed TOML table into a :class:`Config` *without* adjusting it.

    Unknown keys and wrong types raise :class:`ConfigError`; derived defaults (concurrency,
    log file, conflict strategy, ...) are left unresolved.  :func:`load_config` is what
    callers normally want.
    """
    unknown = _unknown_keys(Config, raw, "")
    if unknown:
        raise ConfigError("config file contained unknown configuration options: " + ", ".join(unknown))
    cfg = _convert(Config, raw, "", "")
    cfg.explicit_keys = frozenset(_leaf_keys(Config, raw, ""))
    return cfg


def timestamp_log_file(now: _dt.datetime | None = None) -> str:
    """Upstream's default log path: ``$TMPDIR/lightning.log.2006-01-02T15.04.05Z0700``."""
    now = now or _dt.datetime.now()
    if now.tzinfo is None:
        now = now.astimezone()
    offset = now.strftime("%z")
    zone = "Z" if offset in ("+0000", "") else offset
    return os.path.join(tempfile.gettempdir(), now.strftime("lightning.log.%Y-%m-%dT%H.%M.%S") + zone)


# --------------------------------------------------------------------------- reading

def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise ConfigError(f"cannot read config file {path!r}: {e.strerror or e}") from e
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"cannot parse config file {path!r}: not UTF-8 ({e})") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"cannot parse config file {path!r}: {e}") from e


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _set_path(tree: dict[str, Any], dotted: str, value: Any) -> None:
    if not isinstance(dotted, str) or not dotted or any(not part for part in dotted.split(".")):
        raise ConfigError(f"invalid configuration override key {dotted!r}")
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _get_path(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


_MAX_ERROR_KEYS = ("type", "conflict")
_BW_TABLE_KEYS = ("db-name", "tbl-name")


def _unknown_keys(cls: type, raw: Any, prefix: str) -> list[str]:
    """Dotted names (upstream style: no array indices) of keys that ``cls`` does not know."""
    out: list[str] = []
    if not isinstance(raw, dict):
        return out
    fields = toml_fields(cls)
    for key, value in raw.items():
        name = _join(prefix, key)
        f = fields.get(key)
        if f is None:
            out.append(name)
            continue
        kind = f.metadata["kind"]
        if kind == "section" and isinstance(value, dict):
            out += _unknown_keys(f.metadata["cls"], value, name)
        elif kind == "tables" and isinstance(value, list):
            for item in value:
                out += _unknown_keys(f.metadata["cls"], item, name)
        elif name == "lightning.max-error" and isinstance(value, dict):
            out += [_join(name, k) for k in value if k not in _MAX_ERROR_KEYS]
        elif name in ("black-white-list.do-tables", "black-white-list.ignore-tables") and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    out += [_join(name, k) for k in item if k not in _BW_TABLE_KEYS]
    return list(dict.fromkeys(out))


def _leaf_keys(cls: type, raw: dict[str, Any], prefix: str) -> list[str]:
    """Dotted keys set in ``raw``; nested sections are descended, anything else is a leaf."""
    out: list[str] = []
    fields = toml_fields(cls)
    for key, value in raw.items():
        name = _join(prefix, key)
        f = fields.get(key)
        if f is not None and f.metadata["kind"] == "section" and isinstance(value, dict):
            out += _leaf_keys(f.metadata["cls"], value, name)
        else:
            out.append(name)
    return out


# --------------------------------------------------------------------------- type conversion

def _type_error(name: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"invalid `{name}`: expected {expected}, got {value!r}")


def _convert(cls: type, raw: Any, path: str, name: str) -> Any:
    """Turn a TOML table into ``cls``; ``path`` has no array indices, ``name`` has them (for messages)."""
    if not isinstance(raw, dict):
        raise _type_error(name or "config", "a table", raw)
    fields = toml_fields(cls)
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        f = fields[key]
        kwargs[f.name] = _convert_value(f, value, _join(path, key), _join(name, key))
    return cls(**kwargs)


def _convert_value(f: dataclasses.Field, value: Any, path: str, name: str) -> Any:
    kind = f.metadata["kind"]
    if kind == "str":
        if not isinstance(value, str):
            raise _type_error(name, "a string", value)
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(name, "an integer", value)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _type_error(name, "true or false", value)
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(name, "a number", value)
        return float(value)
    if kind == "size":
        return parse_size(value, name)
    if kind == "duration":
        return parse_duration(value, name)
    if kind == "strlist":
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise _type_error(name, "an array of strings", value)
        return list(value)
    if kind == "section":
        return _convert(f.metadata["cls"], value, path, name)
    if kind == "tables":
        if not isinstance(value, list):
            raise _type_error(name, f"an array of tables ([[{name}]])", value)
        return [_convert(f.metadata["cls"], item, path, f"{name}[{i}]") for i, item in enumerate(value)]
    if kind == "special":
        reader = _SPECIAL.get(path)
        if reader is None:  # pragma: no cover - a model/loader mismatch
            raise AssertionError(f"no reader for special key {path}")
        return reader(value, name)
    raise AssertionError(f"unknown kind {kind!r} for {path}")  # pragma: no cover


def _read_max_error(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _type_error(name, "an integer or a table like {type = N}", value)
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"invalid `{name}`: must not be negative, got {value}")
        return value
    if isinstance(value, dict):
        result = 0
        for key in _MAX_ERROR_KEYS:
            if key not in value:
                continue
            v = value[key]
            if isinstance(v, bool) or not isinstance(v, int):
                raise _type_error(f"{name}.{key}", "an integer", v)
            if v < 0:
                raise ConfigError(f"invalid `{name}.{key}`: must not be negative, got {v}")
            if key == "type":
                result = v
            # `conflict` is accepted for compatibility; `conflict.threshold` replaces it.
        return result
    raise _type_error(name, "an integer or a table like {type = N}", value)


def _choice_reader(choices: dict[str, str], allow_bool: dict[bool, str] | None = None) -> Callable[[Any, str], str]:
    shown = ", ".join(repr(c) for c in dict.fromkeys(choices.values()))

    def read(value: Any, name: str) -> str:
        if isinstance(value, bool) and allow_bool is not None:
            return allow_bool[value]
        if not isinstance(value, str):
            raise _type_error(name, f"one of {shown}", value)
        try:
            return choices[value.lower()]
        except KeyError:
            raise ConfigError(f"invalid `{name}` {value!r}: choose one of {shown}") from None

    return read


def _read_on_duplicate(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _type_error(name, "one of 'replace', 'ignore', 'error'", value)
    v = value.lower()
    if v in ("", "none"):
        return ""
    if v not in ON_DUPLICATE:
        raise ConfigError(f"invalid `{name}` {value!r}: choose one of 'replace', 'ignore', 'error'")
    return v


def _read_null(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return list(value)
    raise _type_error(name, "a string or an array of strings", value)


def _read_str_map(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _type_error(name, "a table of name = value", value)
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise _type_error(f"{name}.{k}", "a string or a number", v)
        out[k] = v if isinstance(v, str) else str(v)
    return out


def _read_bw_tables(value: Any, name: str) -> list[BWTable]:
    if not isinstance(value, list):
        raise _type_error(name, f"an array of tables ([[{name}]])", value)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _type_error(f"{name}[{i}]", "a table with db-name and tbl-name", item)
        parts = []
        for key in _BW_TABLE_KEYS:
            v = item.get(key, "")
            if not isinstance(v, str):
                raise _type_error(f"{name}[{i}].{key}", "a string", v)
            parts.append(v)
        out.append(BWTable(*parts))
    return out


_SPECIAL: dict[str, Callable[[Any, str], Any]] = {
    "lightning.max-error": _read_max_error,
    "tidb.session-vars": _read_str_map,
    "checkpoint.keep-after-success": _choice_reader(KEEP_STRATEGIES, {True: "rename", False: "remove"}),
    "conflict.strategy": _choice_reader(CONFLICT_STRATEGIES),
    "tikv-importer.on-duplicate": _read_on_duplicate,
    "mydumper.csv.null": _read_null,
    "mydumper.column-constants.values": _read_str_map,
    "post-restore.checksum": _choice_reader(OP_LEVELS, {True: "required", False: "off"}),
    "post-restore.analyze": _choice_reader(OP_LEVELS, {True: "required", False: "off"}),
    "black-white-list.do-tables": _read_bw_tables,
    "black-white-list.ignore-tables": _read_bw_tables,
}


# --------------------------------------------------------------------------- adjust

def adjust(cfg: Config) -> None:
    """Fill derived defaults and map legacy aliases (upstream ``Config.Adjust``), in place.

    Uses ``cfg.explicit_keys`` to tell "set by the user" apart from "left at the default".
    Raises :class:`ConfigError` for combinations that cannot be resolved.
    """
    explicit = cfg.explicit_keys
    lt = cfg.lightning
    ti = cfg.tikv_importer
    cpus = default_region_concurrency()

    # [lightning]
    lt.level = lt.level.lower()
    if not lt.file:
        lt.file = timestamp_log_file()
    if not lt.status_addr and lt.pprof_port:
        lt.status_addr = f":{lt.pprof_port}"

    # [tikv-importer]
    ti.backend = ti.backend.strip().lower()
    if ti.incremental_import and not ti.parallel_import:
        ti.parallel_import = True
    if not ti.remote_worker_addr and ti.remote_addr:
        ti.remote_worker_addr = ti.remote_addr
    ti.duplicate_resolution = DUPLICATE_RESOLUTION.get(ti.duplicate_resolution.lower(), ti.duplicate_resolution)
    ti.compress_kv_pairs = COMPRESS_KV.get(ti.compress_kv_pairs.lower(), ti.compress_kv_pairs)
    ti.pause_pd_scheduler_scope = ti.pause_pd_scheduler_scope.lower()
    if ti.region_split_concurrency == 0:
        ti.region_split_concurrency = cpus
    if ti.range_concurrency == 0:
        ti.range_concurrency = 16

    # concurrency (lightning.adjust)
    if lt.region_concurrency == 0:
        lt.region_concurrency = cpus
    if lt.io_concurrency == 0:
        lt.io_concurrency = 5
    if ti.backend == "tidb":
        if lt.table_concurrency == 0:
            lt.table_concurrency = lt.region_concurrency
        if lt.index_concurrency == 0:
            lt.index_concurrency = lt.region_concurrency
    else:
        if lt.table_concurrency == 0:
            lt.table_concurrency = 6
        if lt.index_concurrency == 0:
            lt.index_concurrency = 2
        if ti.backend == "local" and lt.region_concurrency > cpus:
            lt.region_concurrency = cpus
    if ti.backend == "local" and "tikv-importer.logical-import-batch-size" not in explicit:
        # ours: the local backend's statements into index-less empty tables; at 1 MiB the
        # client makes a tenth of the round trips of the logical default (96 KiB), which
        # halves its CPU (bench/README.md), and resume granularity stays fine
        ti.logical_import_batch_size = LOCAL_BATCH_BYTES
    if not lt.meta_schema_name:
        lt.meta_schema_name = "lightning_metadata"

    # [mydumper]
    md = cfg.mydumper
    md.filter_given = "mydumper.filter" in explicit
    if md.batch_import_ratio < 0.0 or md.batch_import_ratio >= 1.0:
        md.batch_import_ratio = 0.75
    if md.read_block_size <= 0:
        md.read_block_size = 64 * 1024
    if md.batch_size <= 0:
        md.batch_size = 100 * (1 << 30)
    md.character_set = (md.character_set or "auto").lower()
    md.data_character_set = (md.data_character_set or "binary").lower()
    if any(k == "mydumper.ignore-columns" or k.startswith("mydumper.ignore-columns.") for k in explicit):
        # The global spelling wins, as upstream's LoadFromGlobal copies it over the task's.
        md.ignore_data_columns = md.ignore_columns
    md.ignore_columns = md.ignore_data_columns
    for ig in md.ignore_data_columns:
        ig.columns = [c.lower() for c in ig.columns]
    if not md.files:
        md.default_file_rules = True
    elif "mydumper.default-file-rules" not in explicit:
        md.default_file_rules = False
    _adjust_file_rule_paths(cfg)

    csv = md.csv
    if csv.backslash_escape and csv.escaped_by == "":
        csv.escaped_by = "\\"
    if not csv.backslash_escape and csv.escaped_by == "\\":
        csv.escaped_by = ""
    if not csv.not_null and not csv.null:
        csv.null = [""]

    # [tidb]
    db = cfg.tidb
    if db.port == 0:
        db.port = 4000
    if db.status_port == 0:
        db.status_port = 10080
    if db.security is None:
        db.security = dataclasses.replace(cfg.security)
    db.tls = db.tls.lower()
    if db.tls == "":
        db.tls = "cluster" if db.security.ca_path else "false"
    elif db.tls == "false":
        db.security = SecurityConfig(redact_info_log=db.security.redact_info_log)

    # [checkpoint]
    cp = cfg.checkpoint
    if not cp.schema:
        cp.schema = "tidb_lightning_checkpoint"
    cp.driver = (cp.driver or "file").lower()
    if not cp.dsn and cp.driver == "file":
        cp.dsn = os.path.join(tempfile.gettempdir(), cp.schema + ".pb")

    # [post-restore]: upstream turns the checksum off for the logical backend (it has no way to
    # compute one); ours checks every backend and target.  Compaction is TiKV's.
    if ti.backend == "tidb":
        pr = cfg.post_restore
        pr.compact = False
        pr.checksum_via_sql = False

    _adjust_conflict(cfg)

    # [[routes]]
    for rule in cfg.routes:
        if not md.case_sensitive:
            rule.schema_pattern = rule.schema_pattern.lower()
            rule.table_pattern = rule.table_pattern.lower()

    # [black-white-list]: an empty section is the same as none.
    bw = cfg.black_white_list
    if bw is not None and not (bw.do_dbs or bw.ignore_dbs or bw.do_tables or bw.ignore_tables):
        cfg.black_white_list = None


def _adjust_file_rule_paths(cfg: Config) -> None:
    """Absolute ``[[mydumper.files]] path`` values become relative to a local data-source-dir."""
    src = cfg.mydumper.data_source_dir
    local = src and "://" not in src
    base = src[len("file://"):] if src.startswith("file://") else src if local else ""
    for i, rule in enumerate(cfg.mydumper.files):
        if rule.path and os.path.isabs(rule.path) and base:
            rel = os.path.relpath(rule.path, os.path.abspath(base))
            if rel == ".." or rel.startswith(".." + os.sep):
                raise ConfigError(
                    f"invalid `mydumper.files[{i}].path`: file route path {rule.path!r} is not in source dir {src!r}"
                )
            rule.path = rel.replace(os.sep, "/")


def _adjust_conflict(cfg: Config) -> None:
    """Resolve ``conflict.strategy`` / ``threshold`` / ``max-record-rows`` (master ``Conflict.adjust``).

    Precedence: ``conflict.strategy`` > an explicit ``tikv-importer.on-duplicate`` >
    ``tikv-importer.duplicate-resolution`` > the ``on-duplicate`` default (``replace``, as in
    br-5.x) for the tidb backend.  Once resolved, ``tikv_importer.on_duplicate`` mirrors the
    strategy for the tidb backend so either attribute can be read.
    """
    c = cfg.conflict
    ti = cfg.tikv_importer
    explicit = cfg.explicit_keys
    tidb = ti.backend == "tidb"
    on_dup_explicit = "tikv-importer.on-duplicate" in explicit and ti.on_duplicate != ""
    if ti.on_duplicate == "":
        ti.on_duplicate = "replace"
    dup_res = ti.duplicate_resolution
    dup_res_set = dup_res not in ("none", "")
    source = "conflict.strategy"
    from_dup_res = False
    if c.strategy == "":
        if on_dup_explicit:
            c.strategy = ti.on_duplicate
            source = "tikv-importer.on-duplicate"
        elif dup_res_set:
            c.strategy = CONFLICT_STRATEGIES.get(dup_res, dup_res)
            source = "tikv-importer.duplicate-resolution"
            from_dup_res = True
        elif tidb:
            c.strategy = ti.on_duplicate
            source = "tikv-importer.on-duplicate"
    if c.strategy not in ("", "replace", "ignore", "error"):
        raise ConfigError(f"unsupported `{source}` ({c.strategy})")
    if not from_dup_res and dup_res_set and c.strategy != "" and source != "tikv-importer.on-duplicate":
        raise ConfigError(f"`{source}` cannot be used with `tikv-importer.duplicate-resolution`")
    if not from_dup_res and dup_res_set and on_dup_explicit:
        raise ConfigError("`tikv-importer.on-duplicate` cannot be used with `tikv-importer.duplicate-resolution`")
    if c.strategy == "ignore" and ti.backend == "local":
        raise ConfigError(f'`{source}` cannot be set to "ignore" when tikv-importer.backend = "local"')
    if c.precheck_conflict_before_import and tidb:
        raise ConfigError(
            '`conflict.precheck-conflict-before-import` cannot be set to true when tikv-importer.backend = "tidb"'
        )
    if c.threshold < 0:
        c.threshold = 0 if c.strategy in ("error", "") else DEFAULT_RECORD_DUPLICATE_THRESHOLD
    if c.threshold > 0 and c.strategy == "error":
        raise ConfigError('`conflict.threshold` cannot be set when conflict.strategy = "error"')
    if c.strategy == "replace" and tidb:
        c.max_record_rows = 0  # batch REPLACE cannot tell which rows conflicted
    else:
        c.max_record_rows = c.threshold
    if tidb and c.strategy:
        ti.on_duplicate = c.strategy


# --------------------------------------------------------------------------- validate

def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ConfigError(f"invalid `{name}`: must be a positive integer, got {value}")


def _non_negative(name: str, value: int) -> None:
    if value < 0:
        raise ConfigError(f"invalid `{name}`: must not be negative, got {value}")


def _port(name: str, value: int) -> None:
    if not 1 <= value <= 65535:
        raise ConfigError(f"invalid `{name}` setting: port {value} is out of range 1-65535")


def validate(cfg: Config) -> None:
    """Reject impossible values after :func:`adjust`.  Raises :class:`ConfigError` naming the key."""
    lt = cfg.lightning
    if lt.level not in LOG_LEVELS:
        raise ConfigError(f"invalid `lightning.level` {lt.level!r}: choose one of {', '.join(LOG_LEVELS)}")
    for key in ("region-concurrency", "io-concurrency", "table-concurrency", "index-concurrency"):
        _positive(f"lightning.{key}", getattr(lt, key.replace("-", "_")))
    for key in ("max-size", "max-days", "max-backups", "pprof-port"):
        _non_negative(f"lightning.{key}", getattr(lt, key.replace("-", "_")))
    if lt.server_mode and not lt.status_addr:
        raise ConfigError("If server-mode is enabled, the status-addr must be a valid listen address "
                          "(set `lightning.status-addr` or --status-addr)")

    ti = cfg.tikv_importer
    if not ti.backend:
        raise ConfigError("`tikv-importer.backend` must not be empty (use --backend tidb)")
    if ti.backend not in KNOWN_BACKENDS:
        raise ConfigError(f"unsupported `tikv-importer.backend` ({ti.backend}): choose tidb, local or importer")
    _positive("tikv-importer.max-kv-pairs", ti.max_kv_pairs)
    _positive("tikv-importer.logical-import-batch-size", ti.logical_import_batch_size)
    _positive("tikv-importer.logical-import-batch-rows", ti.logical_import_batch_rows)
    _positive("tikv-importer.region-split-batch-size", ti.region_split_batch_size)
    _positive("tikv-importer.region-split-concurrency", ti.region_split_concurrency)
    for key in ("send-kv-pairs", "region-split-keys", "region-check-backoff-limit", "range-concurrency"):
        _non_negative(f"tikv-importer.{key}", getattr(ti, key.replace("-", "_")))
    if ti.duplicate_resolution not in DUPLICATE_RESOLUTION.values():
        raise ConfigError(f"invalid `tikv-importer.duplicate-resolution` {ti.duplicate_resolution!r}: "
                          "choose one of 'none', 'record', 'remove'")
    if ti.compress_kv_pairs not in COMPRESS_KV.values():
        raise ConfigError(f"invalid `tikv-importer.compress-kv-pairs` {ti.compress_kv_pairs!r}: choose '' or 'gzip'")
    if ti.pause_pd_scheduler_scope not in ("table", "global"):
        raise ConfigError(f"invalid `tikv-importer.pause-pd-scheduler-scope` {ti.pause_pd_scheduler_scope!r}: "
                          "choose 'table' or 'global'")
    if ti.duplicate_detection and ti.backend != "local":
        raise ConfigError(f"`tikv-importer.duplicate-detection` is not supported by the {ti.backend} backend")

    db = cfg.tidb
    _port("tidb.port", db.port)
    _port("tidb.status-port", db.status_port)
    for key in ("build-stats-concurrency", "distsql-scan-concurrency", "index-serial-scan-concurrency",
                "checksum-table-concurrency"):
        _non_negative(f"tidb.{key}", getattr(db, key.replace("-", "_")))
    if db.tls not in TLS_MODES:
        raise ConfigError(f"unsupported `tidb.tls` config {db.tls!r}: choose one of false, cluster, skip-verify, preferred")
    if db.tls == "cluster" and not cfg.security.ca_path and not (db.security and db.security.ca_path):
        raise ConfigError("cannot set `tidb.tls` to 'cluster' without a [security] section (security.ca-path)")

    cp = cfg.checkpoint
    if cp.driver not in ("file", "mysql"):
        raise ConfigError(f"invalid `checkpoint.driver` {cp.driver!r}: choose 'file' or 'mysql'")

    md = cfg.mydumper
    if md.character_set not in SCHEMA_CHARSETS:
        raise ConfigError(f"invalid `mydumper.character-set` {md.character_set!r}: choose one of {', '.join(SCHEMA_CHARSETS)}")
    if md.data_character_set not in DATA_CHARSETS:
        raise ConfigError(f"invalid `mydumper.data-character-set` {md.data_character_set!r}: "
                          f"choose one of {', '.join(DATA_CHARSETS)}")
    _positive("mydumper.max-region-size", md.max_region_size)
    for i, rule in enumerate(md.files):
        if rule.pattern and rule.path:
            raise ConfigError(f"invalid `mydumper.files[{i}]`: set either `pattern` or `path`, not both")
        if not rule.pattern and not rule.path:
            raise ConfigError(f"invalid `mydumper.files[{i}]`: one of `pattern` or `path` must be set")
    for i, ig in enumerate(md.ignore_data_columns):
        name = f"mydumper.ignore-data-columns[{i}]"
        if ig.table_filter and (ig.db or ig.table):
            raise ConfigError(f"invalid `{name}`: set either `table-filter` or `db` and `table`, not both")
        if not ig.table_filter and not (ig.db and ig.table):
            raise ConfigError(f"invalid `{name}`: name its tables by `db` and `table`, or by `table-filter`")
        if not ig.columns:
            raise ConfigError(f"invalid `{name}.columns`: list the columns to leave out")
        if ig.table_filter:
            from tidb_lightning.source.filter import TableFilter  # not at the top: it imports config
            try:
                TableFilter.parse(ig.table_filter, md.case_sensitive)
            except (ValueError, ConfigError) as e:
                raise ConfigError(f"invalid `{name}.table-filter`: {e}") from None
    _validate_csv(cfg)

    for key in ("switch-mode", "log-progress", "check-disk-quota"):
        value = getattr(cfg.cron, key.replace("-", "_"))
        if value <= 0:
            raise ConfigError(f"invalid `cron.{key}`: the interval must be positive, got {value}s")

    for i, route in enumerate(cfg.routes):
        if not route.schema_pattern:
            raise ConfigError(f"invalid `routes[{i}].schema-pattern`: the schema pattern of a route rule must not be empty")

    if cfg.black_white_list is not None and tuple(md.filter) != DEFAULT_FILTER:
        raise ConfigError("`mydumper.filter` (-f) and `black-white-list` cannot be simultaneously defined")


def _validate_csv(cfg: Config) -> None:
    md = cfg.mydumper
    csv = md.csv
    if not csv.separator:
        raise ConfigError("`mydumper.csv.separator` must not be empty")
    if csv.delimiter and (csv.separator.startswith(csv.delimiter) or csv.delimiter.startswith(csv.separator)):
        raise ConfigError("`mydumper.csv.separator` and `mydumper.csv.delimiter` must not be prefix of each other")
    if len(csv.escaped_by.encode("utf-8")) > 1:
        raise ConfigError(f"invalid `mydumper.csv.escaped-by` {csv.escaped_by!r}: must be empty or a single "
                          f"ASCII character")
    if csv.escaped_by:
        for what in ("separator", "delimiter", "terminator"):
            if getattr(csv, what) == csv.escaped_by:
                raise ConfigError(f"cannot use {csv.escaped_by!r} both as CSV {what} and `mydumper.csv.escaped-by`")
    # Upstream master rejects strict-format with an empty terminator; br-5.x (whose integration
    # test column_permutation relies on it) accepts it, splitting at \r or \n.  We follow br-5.x.
    rep = md.data_invalid_char_replace
    if rep:
        for what in ("separator", "delimiter", "terminator"):
            token = getattr(csv, what)
            if token and (token in rep or rep in token):
                raise ConfigError(
                    f"invalid `mydumper.data-invalid-char-replace` {rep!r}: it must not clash with the CSV {what} {token!r}"
                )


# --------------------------------------------------------------------------- not built

def _check_not_built(cfg: Config, explicit: Iterable[str], merged: dict[str, Any]) -> None:
    message = KNOWN_BACKENDS.get(cfg.tikv_importer.backend, "")
    if message:
        raise NotBuiltError(message)
    for key in explicit:
        for entry in NOT_BUILT:
            if entry.matches(key):
                if entry.when(_get_path(merged, key), cfg):
                    if entry.fatal:
                        raise NotBuiltError(entry.message)
                    if entry.message not in cfg.not_built:
                        cfg.not_built.append(entry.message)
                break

"""Command-line flags of ``tidb-lightning`` (and the part ``tidb-lightning-ctl`` shares).

Flags follow Go's ``flag`` package conventions, so upstream command lines work unchanged:

* single-dash long flags: ``-config task.toml``, ``-tidb-port 3306``, ``-d=dir``;
* booleans as ``--flag`` or ``--flag=BOOL`` with Go's forms (1/0/t/f/true/false/TRUE/...);
  ``--flag false`` (a separate bool word) is also understood;
* a value flag always takes the next word, even if it starts with ``-`` (``--log-file -``).

Each flag maps onto a dotted config key (:data:`COMMON_FLAGS`) and only wins over the file when
given.  ``--enable-checkpoint`` and ``--check-requirements`` can only turn their setting off;
``--no-schema``, ``--redact-info-log`` and ``--server-mode`` can only turn theirs on (as upstream).

Reuse by ``tidb-lightning-ctl``::

    parser = build_parser("tidb-lightning-ctl")          # all common flags
    add_bool_flag(parser, "--compact", dest="compact", help="...")   # Go-style bool
    parser.add_argument("--checkpoint-remove", metavar="TABLE", help="...")
    ns = parse_args(parser, argv)                         # ConfigError on bad flags
    overrides = overrides_from_args(ns)
    overrides.setdefault("mydumper.data-source-dir", "noop://")
    cfg = load_config(ns.config, overrides)
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any, Sequence

from tidb_lightning.errors import ConfigError

from .load import OP_LEVELS, load_config
from .model import Config
from .units import GO_FALSE, GO_TRUE, parse_go_bool

__all__ = [
    "CliArgs",
    "FlagSpec",
    "COMMON_FLAGS",
    "GoBoolAction",
    "LightningArgumentParser",
    "add_bool_flag",
    "add_common_flags",
    "build_parser",
    "normalize_argv",
    "parse_args",
    "overrides_from_args",
    "parse_cli",
]


@dataclass
class CliArgs:
    """Result of :func:`parse_cli`.  ``config`` is ``None`` when ``-V`` was given."""

    config: Config | None
    version: bool
    config_path: str | None = None
    overrides: dict[str, object] | None = None  # from the flags: server-mode tasks start from them too


class LightningArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises :class:`ConfigError` instead of exiting with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"{self.prog}: {message} (see {self.prog} -h)")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if status:
            raise ConfigError(message.strip() if message else f"{self.prog}: invalid arguments")
        super().exit(status, message)


class GoBoolAction(argparse.Action):
    """A Go-style boolean flag: ``--flag`` means true, ``--flag=false`` is accepted."""

    def __init__(self, option_strings: Sequence[str], dest: str, default: Any = None,
                 help: str | None = None, metavar: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs="?", const="true", default=default,
                         help=help, metavar=metavar or "BOOL")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        text = self.const if values is None else values
        try:
            setattr(namespace, self.dest, parse_go_bool(str(text), option_string or self.dest))
        except ConfigError as e:
            raise argparse.ArgumentError(self, str(e)) from None


def add_bool_flag(parser: argparse.ArgumentParser, *names: str, dest: str, help: str) -> argparse.Action:
    """Add a Go-style boolean flag (``--x``, ``--x=true``, ``--x=0``); the default is ``None`` (not given)."""
    return parser.add_argument(*names, dest=dest, action=GoBoolAction, default=None, help=help)


def _port(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected an integer") from None


def _op_level(text: str) -> str:
    level = OP_LEVELS.get(text.lower())
    if level is None:
        raise argparse.ArgumentTypeError(f"invalid level {text!r}: choose required, optional, off, true or false")
    return level


@dataclass(frozen=True)
class FlagSpec:
    """One flag: argparse names, where it goes in the config and how it overrides.

    ``mode``: ``value`` (any given value wins), ``on`` (only ``true`` is applied), ``off``
    (only ``false`` is applied), ``append`` (repeatable; the list replaces the setting).
    """

    names: tuple[str, ...]
    dest: str
    key: str | None
    help: str
    mode: str = "value"
    bool_flag: bool = False
    metavar: str | None = None
    type: Any = None
    choices: tuple[str, ...] | None = None


COMMON_FLAGS: tuple[FlagSpec, ...] = (
    FlagSpec(("--config",), "config", None, "tidb-lightning configuration file (TOML)", metavar="FILE"),
    FlagSpec(("-c",), "config", None, "(deprecated alias of --config; the last one given wins)", metavar="FILE"),
    FlagSpec(("-V",), "version", None, "print the version and exit", bool_flag=True),
    FlagSpec(("-d",), "data_source_dir", "mydumper.data-source-dir",
             "directory or URI of the dump to import", metavar="DIR"),
    FlagSpec(("-L",), "log_level", "lightning.level", "log level: info, debug, warn, error, fatal (default info)",
             metavar="LEVEL", choices=("info", "debug", "warn", "warning", "error", "fatal")),
    FlagSpec(("-f",), "filter", "mydumper.filter",
             "table filter rule, repeatable; replaces the whole default filter", mode="append", metavar="RULE"),
    FlagSpec(("--backend",), "backend", "tikv-importer.backend",
             "delivery backend: tidb, local or importer (only tidb is built)", metavar="BACKEND"),
    FlagSpec(("--log-file",), "log_file", "lightning.file",
             "log file path; '-' means stdout (default: a timestamped file in the temp dir)", metavar="FILE"),
    FlagSpec(("--tidb-host",), "tidb_host", "tidb.host", "target server host", metavar="HOST"),
    FlagSpec(("--tidb-port",), "tidb_port", "tidb.port", "target server SQL port (default 4000)",
             metavar="PORT", type=_port),
    FlagSpec(("--tidb-user",), "tidb_user", "tidb.user", "user name to connect to the target", metavar="USER"),
    FlagSpec(("--tidb-password",), "tidb_password", "tidb.password", "password to connect to the target",
             metavar="PASSWORD"),
    FlagSpec(("--tidb-status",), "tidb_status", "tidb.status-port", "TiDB status port (default 10080)",
             metavar="PORT", type=_port),
    FlagSpec(("--pd-urls",), "pd_urls", "tidb.pd-addr", "PD endpoint address", metavar="ADDR"),
    FlagSpec(("--importer",), "importer", "tikv-importer.addr", "address of tikv-importer (importer backend)",
             metavar="ADDR"),
    FlagSpec(("--sorted-kv-dir",), "sorted_kv_dir", "tikv-importer.sorted-kv-dir",
             "sort directory of the local backend", metavar="DIR"),
    FlagSpec(("--no-schema",), "no_schema", "mydumper.no-schema",
             "ignore schema files and use the target's existing tables (can only turn it on)",
             mode="on", bool_flag=True),
    FlagSpec(("--enable-checkpoint",), "enable_checkpoint", "checkpoint.enable",
             "whether to enable checkpoints (can only turn them off)", mode="off", bool_flag=True),
    FlagSpec(("--analyze",), "analyze", "post-restore.analyze",
             "analyze tables after importing: required, optional, off", metavar="LEVEL", type=_op_level),
    FlagSpec(("--checksum",), "checksum", "post-restore.checksum",
             "compare checksums after importing: required, optional, off", metavar="LEVEL", type=_op_level),
    FlagSpec(("--check-requirements",), "check_requirements", "lightning.check-requirements",
             "check cluster version and requirements before starting (can only turn it off)",
             mode="off", bool_flag=True),
    FlagSpec(("--ca",), "ca", "security.ca-path", "CA certificate path for TLS connections", metavar="FILE"),
    FlagSpec(("--cert",), "cert", "security.cert-path", "certificate path for TLS connections", metavar="FILE"),
    FlagSpec(("--key",), "key", "security.key-path", "private key path for TLS connections", metavar="FILE"),
    FlagSpec(("--redact-info-log",), "redact_info_log", "security.redact-info-log",
             "redact user data in logs (can only turn it on)", mode="on", bool_flag=True),
    FlagSpec(("--status-addr",), "status_addr", "lightning.status-addr",
             "listen address of the status server, e.g. :8289", metavar="ADDR"),
    FlagSpec(("--status-token",), "status_token", "lightning.status-token",
             "require `Authorization: Bearer TOKEN` on the status server's API (ours; upstream has "
             "no authentication); or set TIDB_LIGHTNING_STATUS_TOKEN", metavar="TOKEN"),
    FlagSpec(("--server-mode",), "server_mode", "lightning.server-mode",
             "start in server mode and wait for tasks over HTTP", mode="on", bool_flag=True),
)


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    """Add every ``tidb-lightning`` flag of :data:`COMMON_FLAGS` to ``parser``."""
    for spec in COMMON_FLAGS:
        if spec.bool_flag:
            add_bool_flag(parser, *spec.names, dest=spec.dest, help=spec.help)
            continue
        kwargs: dict[str, Any] = {"dest": spec.dest, "help": spec.help, "default": None}
        if spec.metavar:
            kwargs["metavar"] = spec.metavar
        if spec.type is not None:
            kwargs["type"] = spec.type
        if spec.choices is not None:
            kwargs["choices"] = spec.choices
        if spec.mode == "append":
            kwargs["action"] = "append"
        parser.add_argument(*spec.names, **kwargs)


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=120)


def build_parser(prog: str = "tidb-lightning", description: str | None = None) -> LightningArgumentParser:
    """A parser with ``-h`` and every common flag; the ctl adds its action flags to it."""
    parser = LightningArgumentParser(
        prog=prog,
        description=description or "Import Dumpling/mydumper dumps and CSV files into TiDB, MySQL or MariaDB.",
        allow_abbrev=False,
        formatter_class=_HelpFormatter,
    )
    add_common_flags(parser)
    return parser


def _flag_table(parser: argparse.ArgumentParser) -> dict[str, tuple[str, str]]:
    """Flag name without dashes -> (canonical option string, arity: none | bool | value)."""
    table: dict[str, tuple[str, str]] = {}
    for action in parser._actions:  # argparse has no public accessor
        if isinstance(action, GoBoolAction):
            arity = "bool"
        elif action.nargs == 0:
            arity = "none"
        else:
            arity = "value"
        for opt in action.option_strings:
            table[opt.lstrip("-")] = (opt, arity)
    return table


def normalize_argv(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """Rewrite Go-style arguments into a form argparse reads the same way Go would.

    ``-config x`` -> ``--config=x``, ``-d=dir`` -> ``-d dir``, ``--no-schema false`` ->
    ``--no-schema=false``, ``--log-file -`` -> ``--log-file=-``.  Unknown tokens are left for
    argparse to report.
    """
    table = _flag_table(parser)
    out: list[str] = []
    i = 0
    n = len(argv)
    while i < n:
        tok = argv[i]
        i += 1
        if tok == "--":
            out.extend(argv[i - 1:])
            break
        if not tok.startswith("-") or tok == "-":
            out.append(tok)
            continue
        body = tok[2:] if tok.startswith("--") else tok[1:]
        name, eq, value = body.partition("=")
        info = table.get(name)
        if info is None:
            out.append(tok)  # e.g. "-Ldebug" (argparse reads it) or an unknown flag (argparse reports it)
            continue
        opt, arity = info
        if arity == "none":
            out.append(f"{opt}={value}" if eq else opt)  # argparse rejects the value
            continue
        if arity == "bool":
            if not eq and i < n and argv[i] in (GO_TRUE | GO_FALSE):
                value, eq = argv[i], "="
                i += 1
            if not eq:
                out.append(opt)
                continue
        elif not eq:
            if i >= n:
                out.append(opt)  # argparse reports the missing value
                continue
            value = argv[i]
            i += 1
        out.extend(_with_value(opt, value))
    return out


def _with_value(opt: str, value: str) -> list[str]:
    """Spell ``opt`` with an explicit ``value`` so argparse reads it verbatim, dashes included."""
    if opt.startswith("--"):
        return [f"{opt}={value}"]
    # Short options: "-d=x" is read differently across Python versions, so use two words, or the
    # attached form "-d-x" when the value starts with a dash (it would look like an option).
    return [opt + value] if value.startswith("-") else [opt, value]


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Normalize Go-style ``argv`` and parse it; bad flags raise :class:`ConfigError`."""
    try:
        return parser.parse_args(normalize_argv(parser, list(argv)))
    except argparse.ArgumentError as e:  # raised directly when exit_on_error=False
        raise ConfigError(f"{parser.prog}: {e}") from None


def overrides_from_args(ns: argparse.Namespace, flags: Sequence[FlagSpec] = COMMON_FLAGS) -> dict[str, object]:
    """Dotted config overrides for the flags that were given (see :class:`FlagSpec` modes)."""
    out: dict[str, object] = {}
    for spec in flags:
        if spec.key is None:
            continue
        value = getattr(ns, spec.dest, None)
        if value is None:
            continue
        if spec.mode == "on" and value is not True:
            continue
        if spec.mode == "off" and value is not False:
            continue
        out[spec.key] = list(value) if spec.mode == "append" else value
    return out


def parse_cli(argv: Sequence[str] | None = None) -> CliArgs:
    """Parse ``tidb-lightning`` arguments and load the config they point at.

    ``-h`` prints the help and raises ``SystemExit(0)``; ``-V`` returns ``CliArgs(None, True)``
    without reading any file.  Bad flags and bad settings raise :class:`ConfigError`
    (:class:`NotBuiltError` for features that are not built yet).
    """
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser()
    ns = parse_args(parser, argv)
    if ns.version:
        return CliArgs(config=None, version=True, config_path=ns.config)
    overrides = overrides_from_args(ns)
    cfg = load_config(ns.config, overrides)
    return CliArgs(config=cfg, version=False, config_path=ns.config, overrides=overrides)

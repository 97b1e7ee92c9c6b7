"""`tidb-lightning-ctl`: maintenance actions on checkpoints and the target.

It takes every `tidb-lightning` flag plus its own action flags (the first given action runs).
The checkpoint actions work on the store and target the import's config names; the TiKV/
importer actions have no meaning for MySQL-family targets and say so.
"""
from __future__ import annotations

import sys

from tidb_lightning.backend import db as dbconn
from tidb_lightning.backend.import_mode import ImportMode
from tidb_lightning.checkpoints import admin
from tidb_lightning.cli import version_text
from tidb_lightning.config import load_config
from tidb_lightning.config.flags import add_bool_flag, build_parser, overrides_from_args, parse_args
from tidb_lightning.errors import ConfigError, LightningError

CHECKPOINT_ACTIONS = {
    "checkpoint_remove": admin.remove,
    "checkpoint_error_ignore": admin.ignore_error,
    "checkpoint_error_destroy": admin.destroy_error,
    "checkpoint_dump": admin.dump,
}

def _mode(cfg, action) -> str:
    conn = dbconn.connect(cfg.tidb)
    try:
        mode = ImportMode(conn, cfg.checkpoint.schema)
        if action is True:
            return mode.fetch()
        if action == "import":
            return "import mode: " + (", ".join(mode.switch_to_import()) or "nothing changed")
        if action == "normal":
            return "normal mode: " + (", ".join(mode.switch_to_normal()) or "nothing was recorded")
        raise ConfigError(f"--switch-mode takes `import` or `normal`, not {action!r}")
    finally:
        conn.close()


MODE_ACTIONS = {"switch_mode": _mode, "fetch_mode": _mode}

ACTIONS = (
    ("--compact", None, "do a full compaction (TiKV only)"),
    ("--switch-mode", "MODE", "switch the target to `import` or `normal` mode"),
    ("--fetch-mode", None, "print the target's current mode"),
    ("--import-engine", "UUID", "import a closed engine (importer backend)"),
    ("--cleanup-engine", "UUID", "delete an engine (importer backend)"),
    ("--checkpoint-remove", "TABLE", "remove the checkpoint of `db`.`tbl` or `all`"),
    ("--checkpoint-error-ignore", "TABLE", "clear the error status of `db`.`tbl` or `all`"),
    ("--checkpoint-error-destroy", "TABLE",
     "drop the failed table `db`.`tbl` (or `all`) on the target and reset its checkpoint"),
    ("--checkpoint-dump", "DIR", "write the checkpoints as CSV files into DIR"),
    ("--check-local-storage", None, "list tables whose local-backend files are missing"),
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser("tidb-lightning-ctl", description=__doc__)
    for flag, metavar, text in ACTIONS:
        dest = flag.lstrip("-").replace("-", "_")
        if metavar is None:
            add_bool_flag(parser, flag, dest=dest, help=text)
        else:
            parser.add_argument(flag, metavar=metavar, dest=dest, help=text)
    try:
        ns = parse_args(parser, argv)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if getattr(ns, "version", False):
        print(version_text())
        return 0
    for flag, _, _ in ACTIONS:
        dest = flag.lstrip("-").replace("-", "_")
        value = getattr(ns, dest, None)
        if not value:
            continue
        if dest not in CHECKPOINT_ACTIONS and dest not in MODE_ACTIONS:
            print(f"error: tidb-lightning-ctl {flag} is not built yet", file=sys.stderr)
            return 2
        try:
            overrides = overrides_from_args(ns)
            overrides.setdefault("mydumper.data-source-dir", "noop://")
            overrides.setdefault("tikv-importer.backend", "tidb")
            cfg = load_config(ns.config, overrides)
            print((CHECKPOINT_ACTIONS.get(dest) or MODE_ACTIONS[dest])(cfg, value))
        except ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except LightningError as e:
            print(f"tidb-lightning-ctl {flag} failed: {e}", file=sys.stderr)
            return 1
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`tidb-lightning-ctl`: maintenance actions on checkpoints and the target.

It takes every `tidb-lightning` flag plus its own action flags.  The actions arrive with the
checkpoint feature; until then each says plainly that it is not built, rather than doing
nothing.
"""
from __future__ import annotations

import sys

from tidb_lightning.cli import version_text
from tidb_lightning.config.flags import add_bool_flag, build_parser, parse_args
from tidb_lightning.errors import ConfigError

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
        if getattr(ns, flag.lstrip("-").replace("-", "_"), None):
            print(f"error: tidb-lightning-ctl {flag} is not built yet", file=sys.stderr)
            return 2
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())

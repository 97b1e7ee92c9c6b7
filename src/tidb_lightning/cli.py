"""`tidb-lightning`: argv -> Config -> Importer.run(); errors -> exit codes.  No SQL here.

Exit codes as upstream: 0 success (last line `tidb lightning exit`), 1 import error
(`tidb lightning encountered error: ...` on stderr), 2 bad flags or config.
"""
from __future__ import annotations

import logging
import signal
import sys

from tidb_lightning import __version__, display
from tidb_lightning import log as llog
from tidb_lightning.config import parse_cli
from tidb_lightning.errors import ConfigError, LightningError

log = logging.getLogger("tidb_lightning.cli")


def version_text() -> str:
    return f"Release Version: v{__version__}\nGit Commit Hash: None\nPython implementation of TiDB Lightning"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse_cli(argv)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.version:
        print(version_text())
        return 0
    cfg = args.config
    handler = llog.setup(cfg.lightning.level, cfg.lightning.file)
    if cfg.lightning.file != "-":
        print(f"Verbose debug logs will be written to {cfg.lightning.file}", flush=True)
    from tidb_lightning.restore.controller import Importer  # after logging is set up

    log.info("Welcome to TiDB-Lightning (Python) v%s", __version__)
    log.info("config: %s", " ".join(cfg.redacted().split()))
    if cfg.lightning.server_mode:
        from tidb_lightning.server.mode import serve
        try:
            code = serve(args)
        except ConfigError as e:
            log.error("tidb lightning encountered error: %s", e)
            print(f"error: {e}", file=sys.stderr)
            return 2
        log.info("tidb lightning exit")
        print("tidb lightning exit")
        return code
    importer = Importer(cfg)
    previous = {}

    def on_signal(signum, _frame):
        importer.stop(f"received signal {signal.Signals(signum).name}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        try:
            previous[sig] = signal.signal(sig, on_signal)
        except ValueError:  # not the main thread (e.g. embedded use): no handlers
            break
    status = None
    try:
        if cfg.lightning.status_addr:
            from tidb_lightning.server.api import Api
            from tidb_lightning.server.status import StatusServer
            api = Api(importer.pauser, single=importer, token=cfg.lightning.status_token)
            status = StatusServer(cfg.lightning.status_addr, api.app())
            status.start()
        with display.live(importer.progress, handler):
            progress = importer.run()
    except ConfigError as e:
        log.error("tidb lightning encountered error: %s", e)
        print(f"error: {e}", file=sys.stderr)
        return 2
    except LightningError as e:
        log.error("tidb lightning encountered error: %s", e)
        print(f"tidb lightning encountered error: {e}", file=sys.stderr)
        if e.retryable and cfg.checkpoint.enable and "re-run" not in str(e):
            print("the target failed or the connection dropped (a transient error): re-run the "
                  "same command to resume from the checkpoint", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - a bug must still end with a one-line cause
        log.exception("tidb lightning encountered error: %s", e)
        print(f"tidb lightning encountered error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        for sig, handler_fn in previous.items():
            signal.signal(sig, handler_fn)
        if status is not None:
            status.stop()
    display.print_summary(progress)
    log.info("tidb lightning exit")
    handler.flush()
    print("tidb lightning exit")
    return 0


if __name__ == "__main__":
    sys.exit(main())

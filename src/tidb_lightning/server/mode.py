"""`--server-mode`: no import starts; the status port takes TOML tasks (web page or API) and
this process runs them one at a time until it is signalled."""
from __future__ import annotations

import logging
import signal
import threading

from tidb_lightning.config import load_config
from tidb_lightning.restore.pause import Pauser
from tidb_lightning.server.api import Api
from tidb_lightning.server.status import StatusServer
from tidb_lightning.server.tasks import TaskQueue

log = logging.getLogger(__name__)


def serve(args) -> int:
    """Serve until SIGINT/SIGTERM; a task running then is stopped (its checkpoint stays)."""
    cfg = args.config
    pauser = Pauser()
    queue = TaskQueue(lambda raw: load_config(args.config_path, args.overrides, task=raw), pauser)
    server = StatusServer(cfg.lightning.status_addr,
                          Api(pauser, tasks=queue, token=cfg.lightning.status_token).app())
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.warning("received signal %s: stopping the server", signal.Signals(signum).name)
        stop.set()
        queue.stop_current(f"received signal {signal.Signals(signum).name}")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        server.start()
        print(f"server mode: submit tasks at http://{_shown(server.host)}:{server.port}/", flush=True)
        queue.run_forever(stop)
    finally:
        for sig, fn in previous.items():
            signal.signal(sig, fn)
        server.stop()
    return 0


def _shown(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host

"""Runs the status port's HTTP app (api.py) with uvicorn in a daemon thread beside the import
or the task queue.  It has no authentication upstream either: bind it to an address only
trusted clients reach, or set `lightning.status-token`."""
from __future__ import annotations

import logging
import threading
import time

from tidb_lightning.errors import ConfigError

log = logging.getLogger(__name__)


def parse_addr(addr: str) -> tuple[str, int]:
    """`host:port` or `:port` (all interfaces, as upstream's `:8289`)."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"invalid `lightning.status-addr` {addr!r}: expected host:port or :port")
    return (host.strip("[]") or "0.0.0.0"), int(port)


class StatusServer:
    def __init__(self, addr: str, app) -> None:
        self.host, self.port = parse_addr(addr)
        self.app = app
        self.server = None
        self.thread = None

    def start(self) -> None:
        import uvicorn
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning",
                                access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="status-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            raise ConfigError(f"the status server could not listen on {self.host}:{self.port} "
                              f"(`lightning.status-addr`); is the port in use?")
        log.info("status server listening on %s:%d (web page /web/, API /tasks /progress/task "
                 "/metrics, OpenAPI /openapi.json)", self.host, self.port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(5)

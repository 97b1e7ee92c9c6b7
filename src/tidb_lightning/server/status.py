"""The HTTP server on `lightning.status-addr` while an import runs: `GET /metrics`
(Prometheus text), `GET /progress/task` and `GET /progress/table?t=` (upstream's shapes).
Served by uvicorn in a daemon thread; it has no authentication (upstream has none either):
bind it to an address only trusted clients reach."""
from __future__ import annotations

import logging
import threading
import time

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tidb_lightning.errors import ConfigError
from tidb_lightning.server.metrics import registry_for

log = logging.getLogger(__name__)

NOT_STARTED, RUNNING, COMPLETED = 0, 1, 2


def parse_addr(addr: str) -> tuple[str, int]:
    """`host:port` or `:port` (all interfaces, as upstream's `:8289`)."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"invalid `lightning.status-addr` {addr!r}: expected host:port or :port")
    return (host.strip("[]") or "0.0.0.0"), int(port)


class StatusServer:
    def __init__(self, addr: str, progress) -> None:
        self.host, self.port = parse_addr(addr)
        self.progress = progress
        self.state, self.message = RUNNING, ""  # of the task: running for as long as this server is up
        self.registry = registry_for(progress)
        self.app = Starlette(routes=[Route("/metrics", self.metrics), Route("/progress/task", self.task),
                                     Route("/progress/table", self.table)])
        self.server = None
        self.thread = None

    async def metrics(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    async def task(self, request: Request) -> Response:
        tables = {}
        for name, t in list(self.progress.tables.items()):
            state = COMPLETED if t.chunks_done == t.chunks_total and t.checksum else \
                RUNNING if t.bytes or t.chunks_done else NOT_STARTED
            tables[name] = {"w": t.bytes, "z": t.total_bytes, "s": state}
            if t.checksum == "mismatch":
                tables[name]["m"] = "checksum mismatch"
        return JSONResponse({"t": tables, "s": self.state, "m": self.message})

    async def table(self, request: Request) -> Response:
        name = request.query_params.get("t", "")
        t = self.progress.tables.get(name)
        if t is None:
            return JSONResponse(f"table {name} not found", status_code=404)
        return JSONResponse({"Name": name, "Rows": t.rows, "Bytes": t.bytes, "TotalBytes": t.total_bytes,
                             "Chunks": {"Done": t.chunks_done, "Total": t.chunks_total},
                             "Duplicates": t.duplicates, "Warnings": t.warnings, "Skipped": t.skipped,
                             "Checksum": t.checksum})

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
        log.info("status server listening on %s:%d (/metrics, /progress/task)", self.host, self.port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(5)

"""The HTTP API of the status port, in upstream's routes and JSON shapes (see openapi.py):
progress and metrics of the import in hand, pause/resume, the log level, and in server mode
the task queue.  Every error answer is JSON `{"error": "..."}`; a request never gets a 5xx for
bad input."""
from __future__ import annotations

import hmac
import json
import logging
from importlib import resources

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tidb_lightning import log as llog
from tidb_lightning.restore.pause import Pauser
from tidb_lightning.restore.progress import TaskPhase
from tidb_lightning.server.metrics import registry_for
from tidb_lightning.server.openapi import document
from tidb_lightning.server.shapes import table_checkpoint, task_progress
from tidb_lightning.server.tasks import COMPLETED, RUNNING, TaskQueue, TaskRejected

log = logging.getLogger(__name__)

MAX_TASK_BYTES = 1 << 20  # a task file is a few KB of TOML


def _error(message: str, status: int, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Api:
    """`single`: the importer of a normal run; `tasks`: server mode's queue (exactly one is set)."""

    def __init__(self, pauser: Pauser, *, single=None, tasks: TaskQueue | None = None,
                 token: str = "") -> None:
        self.pauser, self.single, self.tasks, self.token = pauser, single, tasks, token
        self.registry = registry_for(self._progress)

    # --------------------------------------------------------------- helpers
    def _progress(self):
        if self.tasks is not None:
            return self.tasks.progress()
        return self.single.progress

    def _importer(self):
        if self.tasks is not None:
            t = self.tasks.shown()
            return None if t is None else t.importer
        return self.single

    def _need_tasks(self) -> JSONResponse | None:
        return None if self.tasks is not None else _error("server-mode not enabled", 501)

    def _task_id(self, request: Request) -> int | JSONResponse:
        """The `{id}` of a task route, or the error answer (not server mode, not an int64)."""
        if (err := self._need_tasks()) is not None:
            return err
        text = request.path_params["id"]
        value = int(text) if text.isascii() and text.isdigit() and len(text) < 20 else -1
        return value if 0 <= value < 1 << 63 else _error("invalid task ID", 400)

    # ------------------------------------------------------------ endpoints
    async def metrics(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    async def progress_task(self, request: Request) -> Response:
        if self.tasks is None:
            state = COMPLETED if self.single.progress.phase is TaskPhase.DONE else RUNNING
            return JSONResponse(task_progress(self.single, state, ""))
        shown = self.tasks.shown()
        failed = [t for t in self.tasks.finished if t.error]
        message = failed[-1].error if failed else ""
        if shown is None:
            return JSONResponse({"t": {}, "s": 0, "m": message})
        return JSONResponse(task_progress(shown.importer, shown.state, message))

    async def progress_table(self, request: Request) -> Response:
        name = request.query_params.get("t", "")
        importer = self._importer()
        shape = None if importer is None else table_checkpoint(importer, name)
        if shape is None:
            return JSONResponse(f"table {name} not found", status_code=404)
        return JSONResponse(shape)

    async def pause(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"paused": self.pauser.paused})
        self.pauser.pause()
        log.info("paused over the HTTP API")
        return JSONResponse({})

    async def resume(self, request: Request) -> Response:
        self.pauser.resume()
        log.info("resumed over the HTTP API")
        return JSONResponse({})

    async def loglevel(self, request: Request) -> Response:
        logger = logging.getLogger(llog.ROOT)
        if request.method == "GET":
            name = logging.getLevelName(logger.getEffectiveLevel()).lower()
            return JSONResponse({"level": {"warning": "warn", "critical": "fatal"}.get(name, name)})
        try:
            body = json.loads(await request.body())
            level = body["level"]
            logger.setLevel(llog.LEVELS[level.lower()])
        except (ValueError, TypeError, KeyError, AttributeError):
            return _error('invalid log level: send {"level": "debug|info|warn|error|fatal"}', 400)
        log.warning("log level set to %s over the HTTP API", level.lower())
        return JSONResponse({})

    async def tasks_list(self, request: Request) -> Response:
        if (err := self._need_tasks()) is not None:
            return err
        if request.method == "POST":
            return await self._submit(request)
        q = self.tasks
        cur = q.current
        return JSONResponse({"current": None if cur is None else cur.id, "queue": [t.id for t in list(q.queue)],
                             "paused": self.pauser.paused, "tasks": [t.summary() for t in q.all()]})

    async def _submit(self, request: Request) -> Response:
        body = b""
        async for part in request.stream():
            body += part
            if len(body) > MAX_TASK_BYTES:
                return _error(f"task too large (over {MAX_TASK_BYTES} bytes); a task file is TOML", 413)
        try:
            task = self.tasks.submit(body.decode("utf-8"))
        except UnicodeDecodeError:
            return _error("cannot parse task (must be TOML): not UTF-8 text", 400)
        except TaskRejected as e:
            return _error(str(e), 400)
        return JSONResponse({"id": task.id})

    async def task(self, request: Request) -> Response:
        task_id = self._task_id(request)
        if not isinstance(task_id, int):
            return task_id
        task = self.tasks.find(task_id)
        if task is None:
            return _error("task ID not found", 404)
        if request.method == "DELETE":
            self.tasks.delete(task_id)
            return JSONResponse({})
        return JSONResponse({"id": task.id, **task.cfg.to_dict(), "status": task.summary()})

    async def task_patch(self, request: Request) -> Response:
        task_id = self._task_id(request)
        if not isinstance(task_id, int):
            return task_id
        action = request.path_params["action"]
        if action not in ("front", "back"):
            return _error("unknown patch action", 400)
        why = self.tasks.move(task_id, action == "front")
        if why == "missing":
            return _error("task ID not found", 404)
        if why:
            return _error(f"task {task_id} is {why}: only queued tasks can be reordered", 409)
        return JSONResponse({})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(document())

    async def root(self, request: Request) -> Response:
        return RedirectResponse("/web/", status_code=302)

    # ------------------------------------------------------------------ app
    def app(self) -> Starlette:
        web = StaticFiles(directory=str(resources.files("tidb_lightning.server") / "web"), html=True)
        routes = [
            Route("/", self.root, methods=["GET"]),
            Mount("/web", web),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
            Route("/progress/task", self.progress_task, methods=["GET"]),
            Route("/progress/table", self.progress_table, methods=["GET"]),
            Route("/pause", self.pause, methods=["GET", "PUT"]),
            Route("/resume", self.resume, methods=["PUT"]),
            Route("/loglevel", self.loglevel, methods=["GET", "PUT", "POST"]),
            Route("/tasks", self.tasks_list, methods=["GET", "POST"]),
            Route("/tasks/{id}", self.task, methods=["GET", "DELETE"]),
            Route("/tasks/{id}/{action}", self.task_patch, methods=["PATCH"]),
        ]
        return Starlette(routes=routes, exception_handlers={HTTPException: self._http_error},
                         middleware=[Middleware(_TokenMiddleware, token=self.token),
                                     Middleware(GZipMiddleware, minimum_size=1024)])

    @staticmethod
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        """Starlette's own 404/405 answers, as JSON like every other error."""
        message = exc.detail
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            message = f"only {exc.headers['Allow']} allowed"
        return _error(message, exc.status_code, exc.headers)


class _TokenMiddleware:
    """With `lightning.status-token` set, the API wants `Authorization: Bearer <token>` (ours;
    upstream has no authentication).  The web page's files hold no data and are served freely."""

    def __init__(self, app, token: str) -> None:
        self.app, self.token = app, token.encode()

    async def __call__(self, scope, receive, send) -> None:
        if not self.token or scope["type"] != "http" or _public(scope["path"]):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization", b"")
        if not hmac.compare_digest(given, b"Bearer " + self.token):
            await _error("missing or wrong token: send `Authorization: Bearer <token>` "
                         "(lightning.status-token)", 401, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _public(path: str) -> bool:
    return path == "/" or path == "/openapi.json" or path == "/web" or path.startswith("/web/")

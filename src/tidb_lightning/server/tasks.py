"""Server mode's task queue: TOML task files submitted over HTTP are checked at once (a bad one
is refused with the reason, never queued), then run one at a time, in queue order, on the
thread that calls `run_forever`.  As upstream, a failed task pauses the queue, so the next
one does not start before someone has read the error."""
from __future__ import annotations

import logging
import os
import threading
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from typing import Callable

from tidb_lightning.config import Config
from tidb_lightning.errors import ConfigError, LightningError
from tidb_lightning.restore.controller import Importer
from tidb_lightning.restore.pause import Pauser
from tidb_lightning.restore.progress import Progress
from tidb_lightning.storage.s3 import redact

log = logging.getLogger(__name__)

QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED = "queued", "running", "completed", "failed", "cancelled"
KEEP_FINISHED = 20  # finished tasks remembered for the API and the web page (memory stays bounded)


class TaskRejected(ValueError):
    """A submitted task that cannot run; the message says why (HTTP 400)."""


@dataclass
class Task:
    id: int
    cfg: Config
    state: str = QUEUED
    error: str = ""
    importer: Importer | None = None
    submitted: float = field(default_factory=time.time)
    started: float = 0.0
    finished: float = 0.0
    cancel_requested: bool = False

    @property
    def source(self) -> str:
        return redact(self.cfg.mydumper.data_source_dir)

    def summary(self) -> dict:
        """The task as the web page lists it (ours, beside upstream's `current`/`queue`)."""
        done = total = rows = 0
        if self.importer is not None:
            done, total, rows = self.importer.progress.totals()
        return {"id": self.id, "state": self.state, "source": self.source,
                "backend": self.cfg.tikv_importer.backend, "error": self.error,
                "w": done, "z": total, "rows": rows, "submitted": self.submitted,
                "started": self.started or None, "finished": self.finished or None}


class TaskQueue:
    def __init__(self, load: Callable[[dict], Config], pauser: Pauser) -> None:
        self.load = load  # task TOML (parsed) -> its Config: the server's settings + the task's
        self.pauser = pauser
        self.cond = threading.Condition()
        self.queue: list[Task] = []
        self.current: Task | None = None
        self.finished: list[Task] = []
        self._last_id = 0

    # ------------------------------------------------------------- HTTP side
    def submit(self, text: str) -> Task:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise TaskRejected(f"cannot parse task (must be TOML): {e}") from None
        try:
            cfg = self.load(raw)
        except ConfigError as e:
            raise TaskRejected(f"invalid task configuration: {e}") from None
        src = cfg.mydumper.data_source_dir
        if "://" not in src and not os.path.isdir(src):
            raise TaskRejected(f"invalid task configuration: `mydumper.data-source-dir` {src!r} is not "
                               f"a directory on the server")
        with self.cond:
            self._last_id = max(self._last_id + 1, int(time.time() * 1000))
            task = Task(self._last_id, cfg)
            self.queue.append(task)
            self.cond.notify_all()
        log.info("task %d queued (source %s, backend %s)", task.id, task.source, cfg.tikv_importer.backend)
        return task

    def find(self, task_id: int) -> Task | None:
        with self.cond:
            return next((t for t in self.all() if t.id == task_id), None)

    def all(self) -> list[Task]:
        """Running, then queued in run order, then finished (latest first)."""
        with self.cond:
            head = [self.current] if self.current is not None else []
            return head + list(self.queue) + self.finished[::-1]

    def delete(self, task_id: int) -> bool:
        """Stop the running task, or take a queued one off the queue; False: no such task."""
        with self.cond:
            cur = self.current
            if cur is not None and cur.id == task_id:
                cur.cancel_requested = True
                if cur.importer is not None:
                    cur.importer.stop(f"task {task_id} was deleted over the HTTP API")
                return True
            for t in self.queue:
                if t.id == task_id:
                    self.queue.remove(t)
                    t.state, t.finished = CANCELLED, time.time()
                    self._keep(t)
                    log.info("task %d removed from the queue", task_id)
                    return True
        return False

    def move(self, task_id: int, front: bool) -> str:
        """Reorder a queued task: "" when done, else why not ("running", "finished", "missing")."""
        with self.cond:
            t = next((t for t in self.queue if t.id == task_id), None)
            if t is None:
                found = self.find(task_id)
                return "missing" if found is None else "running" if found.state == RUNNING else "finished"
            self.queue.remove(t)
            self.queue.insert(0, t) if front else self.queue.append(t)
            return ""

    # ----------------------------------------------------------- runner side
    def run_forever(self, stop: threading.Event) -> None:
        """Run tasks until `stop` is set (then the running one is stopped too)."""
        while True:
            with self.cond:
                while not stop.is_set() and (not self.queue or self.pauser.paused):
                    self.cond.wait(0.5)
                if stop.is_set():
                    return
                task = self.queue.pop(0)
                task.importer = Importer(task.cfg, pauser=self.pauser)
                task.state, task.started = RUNNING, time.time()
                self.current = task
            self._run(task)
            with self.cond:
                self.current = None
                self._keep(task)

    def stop_current(self, reason: str) -> None:
        with self.cond:
            if self.current is not None and self.current.importer is not None:
                self.current.importer.stop(reason)

    def _run(self, task: Task) -> None:
        log.info("task %d start", task.id)
        try:
            task.importer.run()
            task.state = COMPLETED
        except Exception as e:  # noqa: BLE001 - a task's failure must not end the server
            if task.cancel_requested:
                task.state, task.error = CANCELLED, f"deleted while running: {e}"
            else:
                task.state = FAILED
                task.error = str(e) if isinstance(e, (LightningError, ConfigError)) else \
                    "".join(traceback.format_exception(e)).strip()
                self.pauser.pause()
                log.error("task %d failed: %s; the queue is paused: read the error, then PUT /resume",
                          task.id, e)
        task.finished = time.time()
        log.info("task %d %s in %.1fs", task.id, task.state, task.finished - task.started)

    def _keep(self, task: Task) -> None:
        self.finished.append(task)
        del self.finished[:-KEEP_FINISHED]

    # ----------------------------------------------------------- status side
    def shown(self) -> Task | None:
        """The task /progress shows: the running one, else the last finished."""
        with self.cond:
            if self.current is not None:
                return self.current
            return next((t for t in reversed(self.finished) if t.importer is not None), None)

    def progress(self) -> Progress | None:
        t = self.shown()
        return None if t is None or t.importer is None else t.importer.progress

"""The post-restore steps of finished tables, beside the chunk workers.

Upstream runs a table's index build, checksum and ANALYZE in that table's own goroutine while
the region workers go on with other tables' chunks.  Here a few threads, each on a connection
of its own, take finished tables from a queue; the workers never wait for a table's
statements (with thousands of small tables those round trips were half of a worker's time,
and an index build held a worker for as long as it ran).
"""
from __future__ import annotations

import queue
import threading
from typing import Callable


class PostPool:
    def __init__(self, width: int, connect: Callable, run: Callable, failed: Callable,
                 stop: threading.Event) -> None:
        """`connect()` -> connection; `run(target, conn)` does the steps; `failed(target,
        error)` stops the import.  After `stop` is set, queued tables are dropped."""
        self.jobs: queue.Queue = queue.Queue()
        self.connect, self.run, self.failed, self.stop = connect, run, failed, stop
        self.threads = [threading.Thread(target=self._loop, name=f"post-{i}", daemon=True)
                        for i in range(max(1, width))]
        for t in self.threads:
            t.start()

    def submit(self, target) -> None:
        self.jobs.put(target)

    def finish(self) -> None:
        """Wait until every submitted table is done (or dropped after a stop)."""
        for _ in self.threads:
            self.jobs.put(None)
        for t in self.threads:
            t.join()

    def _loop(self) -> None:
        conn = None
        try:
            while (target := self.jobs.get()) is not None:
                if self.stop.is_set():
                    continue
                try:
                    if conn is None:
                        conn = self.connect()
                    self.run(target, conn)
                except BaseException as e:  # noqa: BLE001 - every failure must stop the import
                    self.failed(target, e)
                    if conn is not None:
                        conn.close()
                        conn = None
        finally:
            if conn is not None:
                conn.close()

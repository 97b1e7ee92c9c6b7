"""Pausing an import (`PUT /pause`): workers finish the batch in flight, then wait before the
next one.  Nothing is rolled back, so a paused import resumes exactly where it stood."""
from __future__ import annotations

import threading


class Pauser:
    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def wait(self, stop: threading.Event) -> None:
        """Block while paused; returns at once when running, or when `stop` is set."""
        while not self._running.wait(0.2):
            if stop.is_set():
                return

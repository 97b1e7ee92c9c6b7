"""Named crash points for fault-injection tests; no-ops unless an environment variable names them.

    TIDB_LIGHTNING_FAILPOINTS="backend.after-commit=crash@5;store.write=sleep:200"

`crash` kills the process at once (SIGKILL: no cleanup, no flushing, like a power cut),
`crash@N` at the N-th hit, `sleep:MS` pauses, `error` raises a retryable error (as a lost
connection would).  Parsed once, at import.
"""
from __future__ import annotations

import os
import signal
import threading
import time

_SPEC: dict[str, tuple[str, int, float]] = {}
for item in filter(None, os.environ.get("TIDB_LIGHTNING_FAILPOINTS", "").split(";")):
    name, _, action = item.partition("=")
    kind, _, arg = action.partition("@") if "@" in action else action.partition(":")
    _SPEC[name.strip()] = (kind.strip(), int(arg) if "@" in action else 1,
                           float(arg) if kind.strip() == "sleep" and arg else 0.0)
_hits: dict[str, int] = {}
_lock = threading.Lock()


def hit(name: str) -> None:
    """Pass through the named point; act if the environment asks to."""
    if not _SPEC or name not in _SPEC:
        return
    kind, nth, ms = _SPEC[name]
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        count = _hits[name]
    if kind == "crash" and count == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "sleep":
        time.sleep(ms / 1000)
    elif kind == "error" and count == nth:
        from tidb_lightning.errors import RetryableTargetError
        raise RetryableTargetError(f"failpoint {name}: injected transient error")

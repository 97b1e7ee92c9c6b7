"""Logging in upstream's shape: `[time] [LEVEL] [file:line] ["message"] [key=value]...`.

`task()` wraps a long operation so the log always shows its start and then `completed` or
`failed` with the elapsed time (upstream's Begin/End).
"""
from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Iterator

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
          "warning": logging.WARNING, "error": logging.ERROR, "fatal": logging.CRITICAL}
ROOT = "tidb_lightning"


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        t = time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(record.created))
        tz = time.strftime("%z", time.localtime(record.created))
        tz = f"{tz[:3]}:{tz[3:]}" if len(tz) == 5 else tz
        msg = record.getMessage().replace('"', '\\"')
        line = (f"[{t}.{int(record.msecs):03d} {tz}] [{record.levelname.replace('WARNING', 'WARN')}] "
                f"[{record.filename}:{record.lineno}] [\"{msg}\"]")
        fields = getattr(record, "fields", None)
        if fields:
            line += "".join(f" [{k}={v}]" for k, v in fields.items())
        if record.exc_info and record.levelno >= logging.ERROR:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup(level: str, file: str) -> logging.Handler:
    """Send the package's logs to `file` ("-" = stdout) at `level`; returns the handler."""
    logger = logging.getLogger(ROOT)
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    handler: logging.Handler = (logging.StreamHandler(sys.stdout) if file == "-"
                                else logging.FileHandler(file, encoding="utf-8"))
    handler.setFormatter(_Formatter())
    logger.addHandler(handler)
    logger.setLevel(LEVELS.get(level.lower(), logging.INFO))
    logger.propagate = False
    return handler


def kv(logger: logging.Logger, level: int, msg: str, **fields) -> None:
    logger.log(level, msg, extra={"fields": fields}, stacklevel=2)


@contextlib.contextmanager
def task(logger: logging.Logger, name: str, *, quiet_start: bool = False, **fields) -> Iterator[None]:
    """`quiet_start`: the start line at debug level, for steps repeated per table or chunk
    (10,000 tables: tens of thousands of lines, and ~5% of the client's CPU)."""
    start = time.monotonic()
    logger.log(logging.DEBUG if quiet_start else logging.INFO, f"{name} start", extra={"fields": fields},
               stacklevel=3)
    try:
        yield
    except BaseException as e:
        if getattr(e, "quiet", False):  # stopped because something else failed
            logger.info(f"{name} cancelled", extra={"fields": {**fields, "takeTime": _dur(start)}},
                        stacklevel=3)
        else:
            logger.error(f"{name} failed", extra={"fields": {**fields, "takeTime": _dur(start),
                                                             "error": e}}, stacklevel=3)
        raise
    logger.info(f"{name} completed", extra={"fields": {**fields, "takeTime": _dur(start)}},
                stacklevel=3)


def _dur(start: float) -> str:
    return f"{time.monotonic() - start:.3f}s"

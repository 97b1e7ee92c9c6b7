"""What a person at a terminal sees: a live progress display on stderr while an import runs,
and the summary table at the end (on stdout).

The display is on only when stderr is a terminal; otherwise nothing here writes to stderr and
the log keeps its periodic `progress:` lines (`cron.log-progress`), which it keeps either way.
When the log also goes to a terminal (`lightning.file = "-"` and stdout a terminal), its
lines and anything else printed to stdout are written above the live area through rich's
console, so the two never garble each other; a log in a file or a pipe is left alone.

The display only reads the progress counters (the running sums and the tables in flight, not
every table), twice a second, on rich's own thread: the import pays nothing per row.
"""
from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
from datetime import timedelta
from typing import IO, Iterator

from rich.console import Console, Group
from rich.filesize import decimal
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from tidb_lightning.restore.progress import Progress, TableStats, TaskPhase

REFRESH_PER_SECOND = 2
MOST_TABLES_SHOWN = 10
SUMMARY_COLUMNS = ("table", "rows", "bytes", "dups", "warnings", "skipped", "time", "checksum")


@contextlib.contextmanager
def live(progress: Progress, log_handler: logging.Handler) -> Iterator[None]:
    """Show `progress` on stderr while the body runs, if stderr is a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    console = Console(stderr=True)
    stdout = sys.stdout
    on_screen = stdout.isatty()
    display = Live(console=console, get_renderable=lambda: render(progress),
                   refresh_per_second=REFRESH_PER_SECOND, redirect_stdout=on_screen)
    display.start()
    redirect = on_screen and isinstance(log_handler, logging.StreamHandler) and log_handler.stream is stdout
    if redirect:
        log_handler.setStream(_AboveLive(console))
    try:
        yield
    finally:
        if redirect:
            log_handler.setStream(stdout)
        display.stop()  # draws the final state once more, and leaves it on the screen


class _AboveLive(io.TextIOBase):
    """The log handler's stream while the display is on: each line printed above the live
    area, whole (rich's own stdout proxy would break long lines at the terminal's width)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.pending = ""

    def write(self, s: str) -> int:
        *lines, self.pending = (self.pending + s).split("\n")
        for line in lines:
            self.console.print(Text(line), soft_wrap=True)
        return len(s)


def render(progress: Progress) -> Group:
    """The overall line and bar, then one bar per table in flight."""
    done, total, rows = progress.totals()
    now = time.monotonic()
    speed = eta = None
    if progress.import_started:
        speed = done / max(now - progress.import_started, 1e-6)
        if progress.phase is TaskPhase.IMPORT and speed > 0:
            eta = (total - done) / speed
    head = Text.assemble(
        (f"{progress.phase} ", "bold"),
        f"tables {progress.tables_done}/{len(progress.tables)} done  rows {rows:,}  "
        f"{decimal(done)}/{decimal(total)}  ",
        f"{decimal(int(speed))}/s  " if speed is not None else "",
        f"ETA {_clock(eta)}  " if eta is not None else "",
        f"elapsed {_clock(now - progress.started)}")
    bars = Table.grid(padding=(0, 1))
    bars.add_column(max_width=48, no_wrap=True, overflow="ellipsis")
    bars.add_row(Text("all tables", style="bold"), *_bar(done, total))
    tables = progress.in_flight()
    for t in tables[:MOST_TABLES_SHOWN]:
        bars.add_row(Text(t.name), *_bar(t.bytes, t.total_bytes), Text(f"rows {t.rows:,}  {t.phase}"))
    more = len(tables) - MOST_TABLES_SHOWN
    return Group(head, bars, *([Text(f"... and {more} more tables in flight")] if more > 0 else []))


def _bar(done: int, total: int) -> tuple[ProgressBar, Text]:
    """A bar and its percentage; nothing to measure yet (before the import) is a pulse."""
    if not total:
        return ProgressBar(total=None, width=30), Text("")
    return ProgressBar(total=total, completed=done, width=30), Text(f"{100.0 * done / total:5.1f}%")


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=int(seconds)))


def print_summary(progress: Progress, out: IO[str] | None = None) -> None:
    """Per table: rows, bytes, duplicates, warnings, skipped rows, time, checksum result.
    Plain columns when `out` is not a terminal (scripts and tests read them), a rich table
    when it is."""
    out = sys.stdout if out is None else out
    if not progress.tables:
        print("no tables to import", file=out)
        return
    rows = [_summary_row(t) for t in progress.tables.values()]
    if out.isatty():
        table = Table(*SUMMARY_COLUMNS)
        for c in table.columns[1:-1]:
            c.justify = "right"
        for r in rows:
            table.add_row(*(Text(v) for v in r))  # not markup: a table name may hold "["
        Console(file=out).print(table)
        return
    width = max(len(r[0]) for r in rows)
    widths = (width, 12, 14, 6, 8, 7, 8)
    for r in [SUMMARY_COLUMNS, *rows]:
        print(f"{r[0]:<{width}}  " + "  ".join(f"{v:>{w}}" for v, w in zip(r[1:-1], widths[1:]))
              + f"  {r[-1]}", file=out)


def _summary_row(t: TableStats) -> tuple[str, ...]:
    took = t.took()
    return (t.name, str(t.rows), str(t.bytes), str(t.duplicates), str(t.warnings), str(t.skipped),
            "-" if took is None else f"{took:.2f}s", t.checksum or "-")

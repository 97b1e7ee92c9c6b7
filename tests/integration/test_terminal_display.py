"""What a user sees: a live display when stderr is a terminal (run under a pseudo-terminal),
plain log lines and no escape codes when it is not, and the end-of-run summary."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, query, summary_table

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
# every batch commit waits a little, so the import lasts long enough to be watched
SLOW = {"TIDB_LIGHTNING_FAILPOINTS": "backend.after-commit=sleep:150"}


def write_dump(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "tty-schema-create.sql").write_text("CREATE DATABASE `tty`;\n")
    for table in ("orders", "users"):
        (d / f"tty.{table}-schema.sql").write_text(f"CREATE TABLE `{table}` (`id` int PRIMARY KEY);\n")
        for f in range(4):
            values = ",".join(f"({f * 100 + i})" for i in range(100))
            (d / f"tty.{table}.{f:09d}.sql").write_text(f"INSERT INTO `{table}` VALUES {values};\n")
    return d


@pytest.fixture
def fresh(db):
    db.cursor().execute("DROP DATABASE IF EXISTS tty")
    yield db
    db.cursor().execute("DROP DATABASE IF EXISTS tty")


def run_in_terminal(server, data_dir: Path, *args: str, tmp: Path) -> tuple[int, str]:
    """`tidb-lightning` with stdout and stderr on a pseudo-terminal, as in an interactive
    shell; returns the exit code and everything the terminal received."""
    cmd = [sys.executable, "-m", "tidb_lightning", "-d", str(data_dir), "--backend", "tidb",
           "--tidb-host", "127.0.0.1", "--tidb-port", str(server.port), "--tidb-user", "root", *args]
    env = dict(os.environ, TMPDIR=str(tmp), TERM="xterm-256color", COLUMNS="100", LINES="40", **SLOW)
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, cwd=ROOT, env=env)
    os.close(slave)
    received = bytearray()
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        received += data
    os.close(master)
    code = p.wait(timeout=120)
    return code, received.decode("utf-8", "replace").replace("\r", "")


def text(screen: str) -> str:
    """The characters drawn, without the escape codes (colours, cursor moves)."""
    return ANSI.sub("", screen)


def test_a_terminal_shows_the_live_display_and_a_summary_table(mariadb, fresh, tmp_path):
    code, raw = run_in_terminal(mariadb, write_dump(tmp_path / "d"), "--log-file",
                                str(tmp_path / "l.log"), tmp=tmp_path)
    screen = text(raw)
    assert code == 0, screen
    assert query(fresh, "SELECT COUNT(*) FROM tty.orders") == [(400,)]
    assert query(fresh, "SELECT COUNT(*) FROM tty.users") == [(400,)]
    # while importing: the overall line and a bar per table in flight, with its phase
    assert re.search(r"import tables \d/2 done {2}rows [\d,]+ ", screen), screen
    assert re.search(r"`tty`\.`(orders|users)` .*%\s+rows [\d,]+\s+import", screen), screen
    # the last frame stays on the screen: everything done
    assert "done tables 2/2 done  rows 800" in screen, screen
    assert re.search(r"all tables .*100\.0%", screen), screen
    # the summary, drawn as a table, then the last line
    for table in ("`tty`.`orders`", "`tty`.`users`"):
        assert re.search(rf"│ {re.escape(table)}\s+│\s+400 │.*│\s+[\d.]+s │ passed", screen), screen
    assert screen.rstrip().endswith("tidb lightning exit")


def test_log_lines_on_the_terminal_print_above_the_display_whole(mariadb, fresh, tmp_path):
    code, raw = run_in_terminal(mariadb, write_dump(tmp_path / "d"), "--log-file", "-", tmp=tmp_path)
    assert code == 0, text(raw)
    # a log line written while the display was on, in one piece between the display's
    # cursor moves (not cut at the terminal's width)
    pieces = [line for piece in ANSI.split(raw) for line in piece.split("\n")]
    completed = [x for x in pieces if '["restore table completed"]' in x]
    assert len(completed) == 2, text(raw)
    assert all(re.fullmatch(r"\[[^]]*\] \[INFO\] \[controller.py:\d+\] \[\"restore table completed\"\] "
                            r"\[table=`tty`\.`(orders|users)`\] \[rows=400\] \[bytes=\d+\] .*\[warnings=0\]", x)
               for x in completed), completed
    assert "done tables 2/2 done" in text(raw)


def test_no_terminal_no_display_but_periodic_progress_lines(lightning, fresh, tmp_path, monkeypatch):
    for k, v in SLOW.items():
        monkeypatch.setenv(k, v)
    task = tmp_path / "task.toml"
    task.write_text('[cron]\nlog-progress = "0.2s"\n')
    run = lightning(write_dump(tmp_path / "d"), config=task)
    assert run.code == 0, run.output
    assert run.stderr == ""  # nothing drawn: stderr is a pipe
    assert "\x1b" not in run.stdout
    progress = re.findall(r'\["progress: [\d.]+% tables \d/2, rows \d+, ', run.log)
    assert len(progress) >= 3, run.log  # periodic, plus the one at the end
    got = summary_table(run.stdout)
    assert {t: (r["rows"], r["checksum"]) for t, r in got.items()} == \
        {"`tty`.`orders`": ("400", "passed"), "`tty`.`users`": ("400", "passed")}
    assert all(re.fullmatch(r"\d+\.\d\ds", r["time"]) for r in got.values()), run.stdout
    assert run.stdout.strip().splitlines()[-1] == "tidb lightning exit"

"""Helpers for the crash tests: a small multi-table dump (SQL and CSV, with and without a
primary key, several files per table, many 8 KiB batches per file), a config per checkpoint
driver, the importer started with failpoints and killed by failpoint or by time, and the
fingerprint every test compares: COUNT(*) and CHECKSUM TABLE per table.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .conftest import ROOT, query, run_lightning

# table -> (schema, data kind); every data file holds several 8 KiB batches
TABLES = {
    "pk_sql": ("CREATE TABLE `pk_sql` (`id` INT NOT NULL PRIMARY KEY, `a` VARCHAR(200) NOT NULL, "
               "`b` DOUBLE NULL, `c` DATETIME NULL);", "sql"),
    "nopk_sql": ("CREATE TABLE `nopk_sql` (`k` INT NOT NULL, `s` VARCHAR(200) NULL, "
                 "`d` DECIMAL(12,2) NOT NULL);", "sql"),
    "pk_csv": ("CREATE TABLE `pk_csv` (`id` BIGINT NOT NULL PRIMARY KEY, `name` VARCHAR(120) NOT NULL, "
               "`note` TEXT NULL);", "csv"),
    "nopk_csv": ("CREATE TABLE `nopk_csv` (`x` INT NOT NULL, `y` VARCHAR(120) NULL);", "csv"),
}
FILES_PER_TABLE = 4
ROWS_PER_FILE = 1200         # 28-92 KB per file: 3-12 batches of 8 KiB
ROWS_PER_STATEMENT = 250     # a statement (~20 KB) is longer than a batch: resumes mid-statement

_WORDS = ["plain", "it's", 'say "hi"', "back\\slash", "comma, here", "naïve ünïcödé", "日本語",
          "tab\there", "new\nline", "emoji 🎉", "", "semi;colon", "paren (x)", "percent %s"]


def _text(rng: random.Random, i: int) -> str:
    return f"{rng.choice(_WORDS)} #{i} {rng.choice(_WORDS)}"


def _sql_str(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "''").replace("\n", "\\n").replace("\t", "\\t") + "'"


def _csv_field(v: str | None) -> str:
    if v is None:
        return "\\N"
    e = v.replace("\\", "\\\\")
    if any(c in e for c in (",", '"', "\r", "\n")):
        return '"' + e.replace('"', '""') + '"'
    return e


def _rows(table: str, file_no: int, rng: random.Random) -> list[list[str | None]]:
    base = file_no * ROWS_PER_FILE
    out: list[list] = []
    for j in range(ROWS_PER_FILE):
        i = base + j + 1
        if table == "pk_sql":
            out.append([str(i), _sql_str(_text(rng, i)),
                        "NULL" if i % 7 == 0 else repr(rng.uniform(-1e6, 1e6)),
                        "NULL" if i % 5 == 0 else
                        f"'20{rng.randint(10, 29)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} "
                        f"1{rng.randint(0, 9)}:3{rng.randint(0, 9)}:0{rng.randint(0, 9)}'"])
        elif table == "nopk_sql":
            # repeated rows on purpose: a table without a key cannot hide a duplicate batch
            k = i % 50
            out.append([str(k), "NULL" if i % 9 == 0 else _sql_str(_text(rng, k)), f"{k * 1.25:.2f}"])
        elif table == "pk_csv":
            out.append([str(i * 1000003), _text(rng, i), None if i % 4 == 0 else _text(rng, -i) * 2])
        else:
            x = i % 40
            out.append([str(x), None if i % 6 == 0 else _text(random.Random(x), x)])
    return out


def write_dump(directory: Path, db: str) -> Path:
    """The crash-test dump for database `db` (deterministic: same bytes for the same name)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{db}-schema-create.sql").write_text(f"CREATE DATABASE `{db}`;\n")
    for table, (schema, kind) in TABLES.items():
        (directory / f"{db}.{table}-schema.sql").write_text(schema + "\n")
        for n in range(FILES_PER_TABLE):
            rng = random.Random(f"{table}/{n}")
            rows = _rows(table, n, rng)
            name = directory / f"{db}.{table}.{n:09d}.{kind}"
            if kind == "sql":
                # odd files name their columns: the resume must keep the column list
                cols = {"pk_sql": "(`id`,`a`,`b`,`c`)", "nopk_sql": "(`k`,`s`,`d`)"}[table] \
                    if n % 2 else ""
                parts = ["/*!40101 SET NAMES binary*/;\n/*!40103 SET TIME_ZONE='+00:00' */;\n"]
                for lo in range(0, len(rows), ROWS_PER_STATEMENT):
                    body = ",\n".join("(" + ",".join(r) + ")" for r in rows[lo:lo + ROWS_PER_STATEMENT])
                    parts.append(f"INSERT INTO `{table}` {cols} VALUES\n{body};\n")
                name.write_bytes("".join(parts).encode("utf-8"))
            else:
                header = {"pk_csv": "id,name,note", "nopk_csv": "x,y"}[table]
                lines = [header] + [",".join(_csv_field(v) for v in r) for r in rows]
                name.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return directory


def import_plain(server, directory: Path, db: str, tmp: Path) -> None:
    """Import the plain dump of `db` into an empty database: the reference other forms of
    the same dump are compared with (fingerprint)."""
    conn = server.connect()
    try:
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{db}`")
    finally:
        conn.close()
    run = run_lightning(server, directory, tmp=tmp)
    assert run.code == 0, run.output


def fingerprint(conn, db: str) -> dict[str, tuple[int, int]]:
    """{table: (COUNT(*), CHECKSUM TABLE)}."""
    out = {}
    for table in TABLES:
        count = query(conn, f"SELECT COUNT(*) FROM `{db}`.`{table}`")[0][0]
        checksum = query(conn, f"CHECKSUM TABLE `{db}`.`{table}`")[0][1]
        out[table] = (int(count), int(checksum))
    return out


# --------------------------------------------------------------------------- config and runs

DATA_PHASE = "restore all tables data"  # the log's task around all chunk imports

@dataclass
class Task:
    """One import task: data dir, config, checkpoint location, target database."""

    server: object
    tmp: Path
    data_dir: Path
    db: str
    driver: str
    on_duplicate: str
    cp_schema: str
    keep_after_success: str = "remove"

    @property
    def cp_file(self) -> Path:
        return self.tmp / "checkpoint.sqlite"

    @property
    def config(self) -> Path:
        path = self.tmp / f"lightning-{self.driver}-{self.on_duplicate}.toml"
        dsn = f'dsn = "{self.cp_file}"\n' if self.driver == "file" else ""
        path.write_text(
            "[tikv-importer]\n"
            f'on-duplicate = "{self.on_duplicate}"\n'
            'logical-import-batch-size = "8KiB"\n'
            "[checkpoint]\n"
            "enable = true\n"
            f'driver = "{self.driver}"\n'
            f'schema = "{self.cp_schema}"\n'
            f"{dsn}"
            f'keep-after-success = "{self.keep_after_success}"\n')
        return path

    def command(self, log_file: Path, *extra: str) -> list[str]:
        return [sys.executable, "-m", "tidb_lightning", "-d", str(self.data_dir), "--backend", "tidb",
                "--tidb-host", "127.0.0.1", "--tidb-port", str(self.server.port), "--tidb-user", "root",
                "--log-file", str(log_file), "--config", str(self.config), *extra]

    def env(self, failpoints: str = "") -> dict[str, str]:
        env = dict(os.environ, TMPDIR=str(self.tmp))
        env.pop("TIDB_LIGHTNING_FAILPOINTS", None)
        if failpoints:
            env["TIDB_LIGHTNING_FAILPOINTS"] = failpoints
        return env

    def _log(self) -> Path:
        n = len(list(self.tmp.glob("crash-run-*.log")))
        return self.tmp / f"crash-run-{n:03d}.log"

    def start(self, failpoints: str = "", *extra: str) -> tuple[subprocess.Popen, Path]:
        log = self._log()
        p = subprocess.Popen(self.command(log, *extra), cwd=ROOT, env=self.env(failpoints),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return p, log

    def run(self, failpoints: str = "", kill_after: float | None = None, timeout: float = 120,
            after_line: str | None = None) -> "Outcome":
        """One run; with `kill_after`, SIGKILL it after that many seconds (counted from the
        moment its log shows `after_line`, or from the start) if it is still running."""
        p, log = self.start(failpoints)
        started = time.monotonic()
        killed_by_us = False
        try:
            if kill_after is not None and after_line is not None:
                _wait_for_line(p, log, after_line, timeout)
            if kill_after is not None:
                try:
                    p.wait(timeout=kill_after)
                except subprocess.TimeoutExpired:
                    p.kill()  # SIGKILL, this one process (no children)
                    killed_by_us = True
            out, err = p.communicate(timeout=timeout)
        except BaseException:
            if p.poll() is None:
                p.kill()
                p.communicate()
            raise
        return Outcome(p.returncode, out, err, log.read_text(errors="replace") if log.exists() else "",
                       time.monotonic() - started, killed_by_us)

    def ctl(self, *flags: str):
        """`tidb-lightning-ctl` with this task's config (same store, same target)."""
        from .conftest import run_ctl
        return run_ctl(self.server, *flags, tmp=self.tmp, config=self.config)

    def store(self, conn) -> dict | None:
        """What the checkpoint store holds: {"task": (task_id, source_dir, on_duplicate),
        "tables": {name: (status, error)}, "chunks": {name: [(path, offset, end_offset, type)]}};
        None when there is no store (no file / no tables)."""
        if self.driver == "file":
            if not self.cp_file.exists():
                return None
            import sqlite3
            lite = sqlite3.connect(self.cp_file)
            try:
                task = lite.execute("SELECT task_id, source_dir, on_duplicate FROM task_v1").fetchall()
                tables = lite.execute("SELECT table_name, status, error FROM table_v1").fetchall()
                chunks = lite.execute('SELECT table_name, path, "offset", end_offset, type FROM chunk_v1').fetchall()
            finally:
                lite.close()
        else:
            present = {r[0] for r in query(conn, "SELECT TABLE_NAME FROM information_schema.TABLES "
                                                 "WHERE TABLE_SCHEMA = %s", (self.cp_schema,))}
            if not {"task_v2", "table_v7", "chunk_v5"} & present:
                return None
            s = f"`{self.cp_schema}`"
            task = query(conn, f"SELECT task_id, source_dir, on_duplicate FROM {s}.task_v2")
            tables = query(conn, f"SELECT table_name, status, error FROM {s}.table_v7")
            chunks = query(conn, f"SELECT table_name, path, `offset`, end_offset, type FROM {s}.chunk_v5")
        text = lambda v: bytes(v).decode() if isinstance(v, (bytes, bytearray, memoryview)) else v  # noqa: E731
        out_chunks: dict[str, list] = {}
        for name, path, offset, end, kind in chunks:
            out_chunks.setdefault(name, []).append((text(path), int(offset), int(end), kind))
        return {"task": tuple(text(v) for v in task[0]) if task else None,
                "tables": {name: (int(status), error) for name, status, error in tables},
                "chunks": {k: sorted(v) for k, v in out_chunks.items()}}

    def ledger(self, conn) -> dict[str, tuple[int, int, int]]:
        """Chunk progress on the target: {table: (progress rows, SUM(rows), chunks done)}."""
        if not query(conn, "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                           "AND TABLE_NAME = 'chunk_progress_v2'", (self.cp_schema,)):
            return {}
        return {name: (int(n), int(rows), int(done)) for name, n, rows, done in query(
            conn, f"SELECT table_name, COUNT(*), SUM(`rows`), SUM(done) FROM "
                  f"`{self.cp_schema}`.chunk_progress_v2 GROUP BY table_name")}

    def reset(self, conn) -> None:
        """Forget everything: target database, checkpoint schema (store + ledger), file."""
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{self.db}`")
            cur.execute(f"DROP DATABASE IF EXISTS `{self.cp_schema}`")
            for (bak,) in query(conn, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE "
                                      "SCHEMA_NAME LIKE %s", (self.cp_schema + ".%.bak",)):
                cur.execute(f"DROP DATABASE `{bak}`")  # keep-after-success = "rename"
        for suffix in ("", "-journal"):
            Path(str(self.cp_file) + suffix).unlink(missing_ok=True)
        for bak in self.tmp.glob(self.cp_file.name + ".*.bak"):
            bak.unlink()


def _wait_for_line(p: subprocess.Popen, log: Path, line: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while p.poll() is None and time.monotonic() < deadline:
        try:
            if line in log.read_text(errors="replace"):
                return
        except FileNotFoundError:
            pass
        time.sleep(0.002)


_STAMP = re.compile(r"^\[(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3})")


def phase_seconds(log: str, name: str) -> float:
    """How long the log's task `name` took (from its `start` line to its `completed` line)."""
    def stamp(suffix: str) -> datetime:
        for text in log.splitlines():
            if f'["{name} {suffix}"]' in text:
                return datetime.strptime(_STAMP.match(text).group(1), "%Y/%m/%d %H:%M:%S.%f")
        raise AssertionError(f"no '{name} {suffix}' line in the log")
    return (stamp("completed") - stamp("start")).total_seconds()


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    log: str
    seconds: float
    killed_by_us: bool = False

    @property
    def killed(self) -> bool:
        return self.code == -9

    @property
    def completed(self) -> bool:
        """Exit 0, or killed after its log said every table was restored.

        The second case is the window between the end of the data phase and the exit status
        (removing the checkpoint with `keep-after-success = "remove"`, printing the summary,
        interpreter teardown): the import is complete, but once its checkpoint is gone a
        re-run would be a new task importing everything again.  An operator reads the log
        to tell; so do we.
        """
        return self.code == 0 or (self.killed and f'["{DATA_PHASE} completed"]' in self.log)

    def __str__(self) -> str:
        return (f"exit {self.code} after {self.seconds:.2f}s\n--- stdout\n{self.stdout[-2000:]}"
                f"\n--- stderr\n{self.stderr[-3000:]}\n--- log tail\n{self.log[-3000:]}")


def resume_until_done(task: Task, limit: int = 6) -> list[Outcome]:
    """Re-run without failpoints until one completes; every run must succeed or be a kill."""
    runs = []
    for _ in range(limit):
        r = task.run()
        runs.append(r)
        if r.completed:
            return runs
        assert r.killed, f"a resumed run failed:\n{r}"
    raise AssertionError(f"no success after {limit} runs:\n{runs[-1]}")


def copy_dump(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def clean_fingerprint(server, tmp: Path, dump: Path, db: str, cp_schema: str) -> dict[str, tuple[int, int]]:
    """Fingerprint of a clean import (no failpoints, no crash), the target reset afterwards."""
    task = Task(server, tmp, dump, db, "file", "error", cp_schema)
    conn = server.connect()
    try:
        task.reset(conn)
        run = task.run()
        assert run.code == 0, str(run)
        want = fingerprint(conn, db)
        task.reset(conn)
    finally:
        conn.close()
    return want


def resume_after_clear_stop(first: "Outcome", task: Task) -> list["Outcome"]:
    """A run stopped by a lost server must say so (connection error, re-run hint, no
    traceback, no failed table); then re-run until done.  Returns every run."""
    runs = [first]
    if first.code == 1:
        assert re.search(r"Error 20(03|06|13)|Lost connection|gone away|cannot connect|Connection refused",
                         first.stderr), first.stderr
        assert "re-run" in first.stderr, first.stderr
        assert "Traceback" not in first.stderr
        assert "has failed last time" not in first.stderr
        runs += resume_until_done(task)
        assert "has failed last time" not in runs[1].stderr, str(runs[1])
    return runs

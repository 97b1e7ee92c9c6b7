#!/usr/bin/env python3
"""Benchmark scenario: many small tables (default 10,000 tables of 100 rows, one file each),
the case upstream users report taking days.  Times ours (`--backend tidb` and `local`) and
`myloader -t 4` on the same dump, each into an empty private MariaDB database, and checks
every tool loaded every row.

    .venv/bin/python bench/small_tables.py                  # 10,000 tables
    .venv/bin/python bench/small_tables.py --tables 2000 --tools lightning,myloader-t4
    (ours also as lightning[-local]-nochecksum, -noanalyze, -nopost: without those steps)
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from run import cpu_seconds, run_measured  # noqa: E402
from tidb_lightning.devserver import MariaDB  # noqa: E402

DB = "small"


def generate(out: Path, tables: int, rows: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metadata").write_text("Started dump at: 2026-11-26 00:00:00\n")
    (out / f"{DB}-schema-create.sql").write_text(f"CREATE DATABASE `{DB}`;\n")
    rnd = random.Random(7)
    for t in range(1, tables + 1):
        name = f"t{t:05d}"
        (out / f"{DB}.{name}-schema.sql").write_text(
            f"CREATE TABLE `{name}` (`id` int NOT NULL PRIMARY KEY, `v` varchar(32) NOT NULL, "
            f"`n` int DEFAULT NULL, KEY `k_n` (`n`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n")
        values = ",\n".join(f"({i},'value {rnd.randrange(10**9)}',{rnd.randrange(1000)})" for i in range(1, rows + 1))
        (out / f"{DB}.{name}.00000.sql").write_text(f"INSERT INTO `{name}` VALUES\n{values};\n")


def command(tool: str, server: MariaDB, data: Path, work: Path) -> list[str]:
    if tool.startswith("myloader"):
        return ["myloader", "-h", "127.0.0.1", "-P", str(server.port), "-u", "root", "-d", str(data),
                "-t", tool.split("-t")[1], "-o"]
    backend = "local" if tool.startswith("lightning-local") else "tidb"
    flags = {"nochecksum": ["--checksum=off"], "noanalyze": ["--analyze=off"],
             "nopost": ["--checksum=off", "--analyze=off"]}.get(tool.rsplit("-", 1)[-1], [])
    return [sys.executable, "-m", "tidb_lightning", "-d", str(data), "--backend", backend,
            "--tidb-host", "127.0.0.1", "--tidb-port", str(server.port), "--tidb-user", "root",
            "--sorted-kv-dir", str(work / "sorted-kv"), "--log-file", str(work / f"{tool}.log"), *flags]


def loaded_rows(server: MariaDB, tables: int) -> int:
    conn = server.connect()
    total = 0
    with conn.cursor() as cur:
        names = [f"t{t:05d}" for t in range(1, tables + 1)]
        for i in range(0, len(names), 500):
            cur.execute(" UNION ALL ".join(f"SELECT COUNT(*) FROM `{DB}`.`{n}`" for n in names[i:i + 500]))
            total += sum(r[0] for r in cur.fetchall())
    conn.close()
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=10000)
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--tools", default="lightning,lightning-local,myloader-t4")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lightning-small-"))
    os.environ["TMPDIR"] = str(work)  # the default checkpoint file lives with this run
    data = work / "dump"
    t0 = time.monotonic()
    generate(data, args.tables, args.rows)
    print(f"generated {args.tables} tables x {args.rows} rows in {time.monotonic() - t0:.0f}s", flush=True)
    server = MariaDB(extra_args=("--innodb-buffer-pool-size=2G", "--innodb-log-file-size=512M",
                                 "--table-open-cache=20000", "--table-definition-cache=20000")).start()
    results = []
    try:
        for tool in args.tools.split(","):
            if tool.startswith("myloader") and not shutil.which("myloader"):
                print(f"skip {tool}: myloader not installed")
                continue
            conn = server.connect()
            conn.cursor().execute(f"DROP DATABASE IF EXISTS `{DB}`")
            conn.cursor().execute("DROP DATABASE IF EXISTS tidb_lightning_checkpoint")
            conn.close()
            (work / "tidb_lightning_checkpoint.pb").unlink(missing_ok=True)
            cpu0 = cpu_seconds(server.proc.pid)
            start = time.monotonic()
            code, client_cpu, rss, err = run_measured(command(tool, server, data, work))
            wall = time.monotonic() - start
            server_cpu = cpu_seconds(server.proc.pid) - cpu0
            rows = loaded_rows(server, args.tables) if code == 0 else 0
            ok = "ok" if rows == args.tables * args.rows else f"FAILED ({code}): {rows} rows; {err[-300:]}"
            results.append((tool, wall, server_cpu, client_cpu, rss, ok))
            print(f"{tool}: {wall:.1f}s {ok}", flush=True)
    finally:
        server.destroy()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.tables} tables x {args.rows} rows\n")
    print("| method | wall s | tables/s | server CPU s | client CPU s | peak client RSS MB | result |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for tool, wall, scpu, ccpu, rss, ok in results:
        print(f"| {tool} | {wall:.1f} | {args.tables / wall:.0f} | {scpu:.1f} | {ccpu:.1f} | {rss / 1024:.0f} | {ok} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

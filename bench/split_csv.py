#!/usr/bin/env python3
"""Benchmark scenario: one big CSV file (default 2 GB), imported as one chunk and split into
regions (`mydumper.strict-format = true`, `max-region-size`), on a private MariaDB; prints
both times and the speed-up.

    .venv/bin/python bench/split_csv.py                     # 2 GB, --backend local
    .venv/bin/python bench/split_csv.py --size-mb 500 --backend tidb
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


def generate(out: Path, size_mb: float) -> int:
    """`big.t`: id, a quoted string, a number, a date; rows until the file holds size_mb."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "big-schema-create.sql").write_text("CREATE DATABASE big;\n")
    (out / "big.t-schema.sql").write_text(
        "CREATE TABLE t (id bigint PRIMARY KEY, name varchar(64), n int, d date, KEY k_n (n));\n")
    rnd = random.Random(3)
    words = ["alpha", "beta", "gamma", "delta, with comma", 'say "hi"', "naïve"]
    target, written, i = int(size_mb * 1024 * 1024), 0, 0
    with open(out / "big.t.000000000.csv", "w", encoding="utf-8", newline="") as f:
        f.write("id,name,n,d\n")
        while written < target:
            lines = []
            for _ in range(10_000):
                w = rnd.choice(words).replace('"', '""')
                lines.append(f'{i},"{w} {rnd.randrange(10**9)}",{rnd.randrange(10**6)},'
                             f'2020-{1 + i % 12:02d}-{1 + i % 28:02d}\n')
                i += 1
            block = "".join(lines)
            f.write(block)
            written += len(block.encode())
    return i


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=float, default=2048)
    ap.add_argument("--backend", default="local")
    ap.add_argument("--region-mb", type=int, default=256)
    ap.add_argument("--data", default=None, help="where to keep the generated file")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lightning-split-"))
    data = Path(args.data) if args.data else work / "data"
    if not (data / "big.t.000000000.csv").exists():
        rows = generate(data, args.size_mb)
    else:
        rows = None
    size = (data / "big.t.000000000.csv").stat().st_size
    os.environ["TMPDIR"] = str(work)
    server = MariaDB(extra_args=("--innodb-buffer-pool-size=2G", "--innodb-log-file-size=512M")).start()
    results = []
    try:
        for name, strict in (("one chunk", False), ("regions (strict-format)", True)):
            conn = server.connect()
            conn.cursor().execute("DROP DATABASE IF EXISTS big")
            conn.cursor().execute("DROP DATABASE IF EXISTS tidb_lightning_checkpoint")
            conn.close()
            (work / "tidb_lightning_checkpoint.pb").unlink(missing_ok=True)
            task = work / "task.toml"
            task.write_text(f"[mydumper]\nstrict-format = {str(strict).lower()}\n"
                            f'max-region-size = "{args.region_mb}MiB"\n[mydumper.csv]\nheader = true\n')
            cmd = [sys.executable, "-m", "tidb_lightning", "-d", str(data), "--backend", args.backend,
                   "--tidb-host", "127.0.0.1", "--tidb-port", str(server.port), "--tidb-user", "root",
                   "--config", str(task), "--log-file", str(work / f"{strict}.log")]
            cpu0 = cpu_seconds(server.proc.pid)
            start = time.monotonic()
            code, client_cpu, rss, err = run_measured(cmd)
            wall = time.monotonic() - start
            server_cpu = cpu_seconds(server.proc.pid) - cpu0
            conn = server.connect()
            with conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM big.t")
                got = cur.fetchone()[0]
            conn.close()
            ok = "ok" if code == 0 and (rows is None or got == rows) else f"FAILED ({code}): {got} rows; {err[-300:]}"
            results.append((name, wall, server_cpu, client_cpu, rss, ok))
            print(f"{name}: {wall:.1f}s {ok}", flush=True)
    finally:
        server.destroy()
        shutil.rmtree(work / "sorted-kv", ignore_errors=True)
    print(f"\n{size / 2**20:.0f} MiB CSV, --backend {args.backend}, regions of {args.region_mb} MiB\n")
    print("| method | wall s | MB/s | server CPU s | client CPU s | peak client RSS MB | result |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, wall, scpu, ccpu, rss, ok in results:
        print(f"| {name} | {wall:.1f} | {size / 2**20 / wall:.1f} | {scpu:.1f} | {ccpu:.1f} | {rss / 1024:.0f} | {ok} |")
    if len(results) == 2:
        print(f"\nspeed-up of the regions: {results[0][1] / results[1][1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

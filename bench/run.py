#!/usr/bin/env python3
"""Benchmark: tidb-lightning (--backend tidb) against the established tools, same data, same run.

    .venv/bin/python bench/run.py --size-mb 1000            # all tools, 1 GB dump
    .venv/bin/python bench/run.py --size-mb 200 --tools lightning,myloader

Each tool loads the dump from `gen_dump.py` into a fresh private MariaDB (one server for the
whole run, the database dropped between tools).  `lightning` runs with checkpoints (the
default), `lightning-local` is `--backend local`, `lightning-nocp` without checkpoints,
`lightning-nochecksum` with `--checksum off` (the
difference to `lightning` is the post-import checksum's cost, printed as a share of the import
time); `lightning-resume` is killed after 90% of `lightning`'s
time and only the re-run that finishes the import is timed.  Reported per tool: wall time, MB/s, the
server's CPU seconds (from /proc), the client's CPU seconds and peak RSS, and the ratio of its
wall time to ours.  Every tool's result is checked (row counts and CHECKSUM TABLE) against
the others, so a fast wrong answer cannot win.
"""
from __future__ import annotations

import argparse
import os
import socket
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from tidb_lightning.devserver import MariaDB  # noqa: E402

TABLES = ("sbtest1", "orders")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_measured(cmd: list[str]) -> tuple[int, float, int, str]:
    """Run `cmd`; return (exit code, its CPU seconds, its peak RSS in KiB, stderr tail).
    os.wait4 gives the rusage of this child (and the children it waited for) alone."""
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    return p.returncode, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, tail


def generate(out: Path, size_mb: float, fmt: str) -> Path:
    target = out / fmt
    if not (target / "metadata").exists():
        subprocess.run([sys.executable, str(HERE / "gen_dump.py"), "--out", str(target),
                        "--size-mb", str(size_mb), "--format", fmt], check=True,
                       stdout=subprocess.DEVNULL)
    return target


def data_bytes(d: Path) -> int:
    return sum(p.stat().st_size for p in d.iterdir() if ".0" in p.name)


def run_tool(name: str, server: MariaDB, sql_dir: Path, csv_dir: Path, work: Path) -> list[str] | None:
    port = str(server.port)
    if name in ("lightning", "lightning-resume"):  # checkpoints on (the default, file driver)
        return [sys.executable, "-m", "tidb_lightning", "-d", str(sql_dir), "--backend", "tidb",
                "--tidb-host", "127.0.0.1", "--tidb-port", port, "--tidb-user", "root",
                "--log-file", str(work / f"{name}.log")]
    if name in ("lightning-nocp", "lightning-nochecksum", "lightning-local", "lightning-local-nochecksum",
                "lightning-1mib"):
        (work / "1mib.toml").write_text('[tikv-importer]\nlogical-import-batch-size = "1MiB"\n')
        flags = {"lightning-nocp": ["--enable-checkpoint=0"], "lightning-nochecksum": ["--checksum=off"],
                 "lightning-local": [], "lightning-local-nochecksum": ["--checksum=off"],
                 "lightning-1mib": ["--config", str(work / "1mib.toml")]}[name]
        backend = "local" if "local" in name else "tidb"
        return [sys.executable, "-m", "tidb_lightning", "-d", str(sql_dir), "--backend", backend,
                "--tidb-host", "127.0.0.1", "--tidb-port", port, "--tidb-user", "root",
                "--sorted-kv-dir", str(work / "sorted-kv"), "--log-file", str(work / f"{name}.log"), *flags]
    if name == "lightning-local-watched":  # -nochecksum with the status port read as the web page does
        status = free_port()
        script = work / "watched.sh"
        script.write_text(
            f"{sys.executable} -m tidb_lightning -d '{sql_dir}' --backend local --tidb-host 127.0.0.1 "
            f"--tidb-port {port} --tidb-user root --sorted-kv-dir '{work / 'sorted-kv'}' --log-file "
            f"'{work / (name + '.log')}' --checksum=off --status-addr 127.0.0.1:{status} & pid=$!\n"
            f"while kill -0 $pid 2>/dev/null; do for p in metrics progress/task tasks; do "
            f"curl -s -o /dev/null http://127.0.0.1:{status}/$p; done; sleep 1; done\n"
            "wait $pid\n")
        return ["bash", str(script)]
    if name in ("lightning-csv", "lightning-local-csv", "lightning-local-csv-nochecksum"):
        backend = "local" if "local" in name else "tidb"
        return [sys.executable, "-m", "tidb_lightning", "-d", str(csv_dir), "--backend", backend,
                "--tidb-host", "127.0.0.1", "--tidb-port", port, "--tidb-user", "root",
                "--sorted-kv-dir", str(work / "sorted-kv"), "--log-file", str(work / f"{name}.log"),
                "--config", str(work / "csv.toml"), *(["--checksum=off"] if "nochecksum" in name else [])]
    if name.startswith("myloader"):
        threads = name.split("-t")[1] if "-t" in name else "4"
        return ["myloader", "-h", "127.0.0.1", "-P", port, "-u", "root", "-d", str(sql_dir),
                "-t", threads, "-o"]
    if name == "mysql":
        files = sorted(sql_dir.glob("*-schema-create.sql")) + sorted(sql_dir.glob("*-schema.sql")) + \
            sorted(p for p in sql_dir.glob("*.sql") if ".0" in p.name)
        script = work / "mysql.sh"
        script.write_text("set -e\n" + "".join(
            f"mariadb -h127.0.0.1 -P{port} -uroot {'bench ' if 'schema-create' not in f.name else ''}"
            f"< '{f}'\n" for f in files))
        return ["bash", str(script)]
    if name == "loaddata":
        script = work / "loaddata.sh"
        lines = ["set -e"]
        for f in sorted(csv_dir.glob("*-schema-create.sql")) + sorted(csv_dir.glob("*-schema.sql")):
            lines.append(f"mariadb -h127.0.0.1 -P{port} -uroot {'bench ' if 'create' not in f.name else ''}< '{f}'")
        loads = [f for f in sorted(csv_dir.glob("*.csv"))]
        # two connections, files dealt round-robin, as in the reference figures
        for k in range(2):
            mine = loads[k::2]
            stmts = "".join(
                f"LOAD DATA INFILE '{f}' INTO TABLE bench.{f.name.split('.')[1]} CHARACTER SET binary "
                f"FIELDS TERMINATED BY ',' ENCLOSED BY '\\\"' ESCAPED BY '\\\\\\\\' LINES TERMINATED BY '\\n';"
                for f in mine)
            lines.append(f"mariadb -h127.0.0.1 -P{port} -uroot -e \"{stmts}\" &")
        lines.append("wait")
        script.write_text("\n".join(lines) + "\n")
        return ["bash", str(script)]
    raise SystemExit(f"unknown tool {name}")


def checksums(server: MariaDB) -> dict[str, tuple[int, int]]:
    conn = server.connect()
    out = {}
    with conn.cursor() as cur:
        for t in TABLES:
            cur.execute(f"SELECT COUNT(*) FROM bench.{t}")
            n = cur.fetchone()[0]
            cur.execute(f"CHECKSUM TABLE bench.{t}")
            out[t] = (n, cur.fetchone()[1])
    conn.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=float, default=1000)
    ap.add_argument("--tools", default="lightning,lightning-local,lightning-resume,lightning-nocp,"
                                       "lightning-nochecksum,lightning-local-nochecksum,lightning-csv,"
                                       "lightning-local-csv,lightning-local-csv-nochecksum,"
                                       "myloader-t4,myloader-t2,mysql,loaddata")
    ap.add_argument("--data", default=None, help="where to keep generated data (default: a temp dir)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lightning-bench-"))
    data = Path(args.data) if args.data else work / "data"
    data.mkdir(parents=True, exist_ok=True)
    os.chmod(data, 0o755)
    sql_dir = generate(data, args.size_mb, "sql")
    csv_dir = generate(data, args.size_mb, "csv")
    (work / "csv.toml").write_text("[mydumper.csv]\nheader = false\n")
    os.environ["TMPDIR"] = str(work)  # the default checkpoint file lives with this run
    for p in (data, sql_dir, csv_dir):
        os.chmod(p, 0o755)
    size = data_bytes(sql_dir)
    server = MariaDB(extra_args=(f"--secure-file-priv={csv_dir}", "--innodb-buffer-pool-size=2G",
                                 "--innodb-log-file-size=512M")).start()
    results = []
    reference = None
    try:
        for tool in args.tools.split(","):
            if tool in ("mysql", "loaddata") and not shutil.which("mariadb"):
                print(f"skip {tool}: no mariadb client")
                continue
            if tool.startswith("myloader") and not shutil.which("myloader"):
                print(f"skip {tool}: myloader not installed (apt-get install mydumper)")
                continue
            conn = server.connect()
            conn.cursor().execute("DROP DATABASE IF EXISTS bench")
            conn.close()
            server_cpu0 = cpu_seconds(server.proc.pid)
            cmd = run_tool(tool, server, sql_dir, csv_dir, work)
            if tool == "lightning-resume":
                full = next((r[1] for r in results if r[0] == "lightning"), None)
                if full is None:
                    print("skip lightning-resume: needs a `lightning` run first")
                    continue
                killed = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.9 * full)
                killed.kill()
                killed.wait()
                server_cpu0 = cpu_seconds(server.proc.pid)
            t0 = time.monotonic()
            code, client_cpu, maxrss, err = run_measured(cmd)
            wall = time.monotonic() - t0
            server_cpu = cpu_seconds(server.proc.pid) - server_cpu0
            if code != 0:
                print(f"{tool} FAILED ({code}): {err}")
                continue
            sums = checksums(server)
            if reference is None:
                reference = sums
            ok = "ok" if sums == reference else f"MISMATCH {sums} != {reference}"
            results.append((tool, wall, server_cpu, client_cpu, maxrss, ok))
            print(f"{tool}: {wall:.1f}s {ok}", flush=True)
    finally:
        server.destroy()
    ours = next((r[1] for r in results if r[0] == "lightning"), None)
    print(f"\ndata: {size / 1e6:.0f} MB of SQL ({sum(n for n, _ in (reference or {}).values())} rows); "
          f"{os.cpu_count()} CPUs\n")
    print("| method | wall s | MB/s | server CPU s | client CPU s | peak client RSS MB | wall vs lightning | result |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for tool, wall, scpu, ccpu, rss, ok in results:
        ratio = f"{wall / ours:.2f}x" if ours else "-"
        print(f"| {tool} | {wall:.1f} | {size / 1e6 / wall:.1f} | {scpu:.1f} | {ccpu:.1f} | {rss / 1024:.0f} | {ratio} | {ok} |")
    by = {r[0]: r for r in results}
    if "lightning" in by and "lightning-nochecksum" in by:
        (_, w1, s1, c1, _, _), (_, w0, s0, c0, _, _) = by["lightning"], by["lightning-nochecksum"]
        print(f"\npost-import checksum: {w1 - w0:+.1f} s wall = {(w1 - w0) / w1:.0%} of the import time "
              f"({c1 - c0:+.1f} client CPU-s, {s1 - s0:+.1f} server CPU-s)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

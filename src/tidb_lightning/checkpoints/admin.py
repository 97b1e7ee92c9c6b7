"""What `tidb-lightning-ctl` does to checkpoints: each action updates the store, the chunk
progress on the target and (for destroy) the target tables, in an order that a crash
half-way through leaves repeatable.
"""
from __future__ import annotations

import csv
import os

from tidb_lightning.backend import db as dbconn
from tidb_lightning.checkpoints import is_failed, open_store
from tidb_lightning.checkpoints.ledger import TABLE as LEDGER_TABLE
from tidb_lightning.checkpoints.ledger import Ledger
from tidb_lightning.errors import ConfigError


def _select(store, target: str, failed_only: bool) -> list[str]:
    tables = store.tables()
    if target != "all":
        if target not in tables:
            store.ignore_error(target)  # raises ConfigError with upstream's usage hint
            raise ConfigError(f"no checkpoint for table {target}")  # pragma: no cover
        names = [target]
    else:
        names = list(tables)
    return [n for n in names if not failed_only or is_failed(tables[n].status)]


def _ledger_exists(cur, cfg) -> bool:
    cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                "AND TABLE_NAME = %s", (cfg.checkpoint.schema, LEDGER_TABLE))
    return cur.fetchone()[0] > 0


def _forget_progress(cfg, task, names: list[str] | None) -> None:
    """Delete the chunk progress of `names` (None: every table of the task) on the target."""
    if task is None:
        return
    ledger = Ledger(cfg.checkpoint.schema, task.task_id)
    conn = dbconn.connect(cfg.tidb)
    try:
        with conn.cursor() as cur:
            if not _ledger_exists(cur, cfg):
                return
            for name in names if names is not None else [None]:
                cur.execute(*ledger.forget_sql(name))
    finally:
        conn.close()


def remove(cfg, target: str) -> str:
    """--checkpoint-remove: forget the checkpoints of `target` (`db`.`tbl` or all), whatever
    their status.  The next run imports those tables from the start."""
    store = open_store(cfg)
    try:
        task = store.task()
        names = None if target == "all" else _select(store, target, failed_only=False)
        _forget_progress(cfg, task, names)
        removed = store.remove(target)
    finally:
        store.close()
    return f"removed the checkpoints of {len(removed)} table(s): {', '.join(removed) or '-'}"


def ignore_error(cfg, target: str) -> str:
    """--checkpoint-error-ignore: clear the failed status; committed progress is kept, so the
    next run continues after the last committed row."""
    store = open_store(cfg)
    try:
        names = store.ignore_error(target)
    finally:
        store.close()
    return f"cleared the error of {len(names)} table(s): {', '.join(names) or '-'}"


def destroy_error(cfg, target: str) -> str:
    """--checkpoint-error-destroy: drop each failed table on the target and forget its
    checkpoints; the next run creates and imports it again from the start."""
    store = open_store(cfg)
    try:
        names = _select(store, target, failed_only=True)
        task = store.task()
        if names:
            conn = dbconn.connect(cfg.tidb)
            try:
                with conn.cursor() as cur:
                    for name in names:
                        cur.execute(f"DROP TABLE IF EXISTS {name}")
            finally:
                conn.close()
            _forget_progress(cfg, task, names)
        destroyed = store.destroy_error(target)
    finally:
        store.close()
    return f"dropped and reset {len(destroyed)} failed table(s): {', '.join(destroyed) or '-'}"


def dump(cfg, folder: str) -> str:
    """--checkpoint-dump: the store's tables as CSV files, plus the chunk progress on the
    target (`progress.csv`)."""
    store = open_store(cfg)
    try:
        paths = store.dump(folder)
        task = store.task()
    finally:
        store.close()
    if task is not None:
        ledger = Ledger(cfg.checkpoint.schema, task.task_id)
        conn = dbconn.connect(cfg.tidb)
        try:
            with conn.cursor() as cur:
                rows = []
                if _ledger_exists(cur, cfg):
                    cur.execute(f"SELECT table_name, path, `offset`, pos, `rows`, done, resume FROM "
                                f"{ledger.table} WHERE task_id = %s ORDER BY table_name, path, `offset`",
                                (task.task_id,))
                    rows = cur.fetchall()
        finally:
            conn.close()
        path = os.path.join(folder, "progress.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["table_name", "path", "offset", "pos", "rows", "done", "resume"])
            w.writerows(rows)
        paths.append(path)
    return "wrote " + ", ".join(paths)

"""The target server dies mid-import (SIGKILL, InnoDB crash recovery on restart).

The importer is slowed down (`backend.after-commit=sleep:50`) so that it has committed some
batches when the server is killed; the server comes back about two seconds later on the same
datadir and port.  The importer must either ride it out (chunk retries from the ledger) and
exit 0, or stop with exit 1 and a message that names the connection problem and says a re-run
resumes; a re-run then finishes.  Either way the data is exactly the clean import's.

The server is the session's shared one: it is running again when the test ends, whatever
happens (try/finally).
"""
from __future__ import annotations

import time

import pytest

from . import crashkit as ck
from .conftest import query

DB = "srvcrash_db"


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    return ck.write_dump(tmp_path_factory.mktemp("srvcrash-dump"), DB)


@pytest.fixture(scope="module")
def clean(mariadb, dump, tmp_path_factory):
    """Fingerprint of a clean import (no failpoints, no crash)."""
    return ck.clean_fingerprint(mariadb, tmp_path_factory.mktemp("srvcrash-ref"), dump, DB,
                                "srvcrash_ref_cp")


def _committed_batches(server, cp_schema: str) -> int:
    """Chunk progress rows with something committed (0 while the ledger does not exist)."""
    conn = server.connect()
    try:
        rows = query(conn, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                           "AND TABLE_NAME = 'chunk_progress_v2'", (cp_schema,))
        if not rows[0][0]:
            return 0
        return int(query(conn, f"SELECT COALESCE(SUM(`rows`), 0) FROM `{cp_schema}`.chunk_progress_v2")[0][0])
    finally:
        conn.close()


@pytest.mark.parametrize("driver", ["file", "mysql"])
def test_server_killed_mid_import(mariadb, dump, clean, tmp_path, driver):
    task = ck.Task(mariadb, tmp_path, dump, DB, driver, "error", "srvcrash_cp")
    conn = mariadb.connect()
    task.reset(conn)
    conn.close()
    proc, log = task.start("backend.after-commit=sleep:50")
    try:
        started = time.monotonic()
        while _committed_batches(mariadb, "srvcrash_cp") == 0 or time.monotonic() - started < 1.0:
            assert proc.poll() is None, f"the import ended before the crash: {proc.communicate()}"
            assert time.monotonic() - started < 60, "no batch committed within 60 s"
            time.sleep(0.05)
        mariadb.kill()
        killed_at = time.monotonic()
        time.sleep(2.0)
        mariadb.start()
        back_after = time.monotonic() - killed_at
        out, err = proc.communicate(timeout=180)
    finally:
        _stop_and_restore(mariadb, proc)
    first = ck.Outcome(proc.returncode, out, err, log.read_text(errors="replace"), 0.0)
    assert first.code in (0, 1), str(first)
    runs = ck.resume_after_clear_stop(first, task)
    if first.code == 1:
        assert "resuming task" in runs[1].log
    else:
        assert "retrying chunk from its last commit" in first.log, \
            f"the server was down {back_after:.1f}s but no retry was logged:\n{first}"
    _assert_exact(mariadb, task, runs, clean)


def _stop_and_restore(mariadb, proc) -> None:
    """End the importer if it still runs; the shared server must be up for the other tests."""
    if proc.poll() is None:
        proc.kill()
        proc.communicate()
    if mariadb.proc is None or mariadb.proc.poll() is not None:
        mariadb.start()


def _assert_exact(mariadb, task, runs, clean) -> None:
    """The last run finished and the data equals a clean import; the target is reset."""
    assert runs[-1].code == 0, str(runs[-1])
    conn = mariadb.connect()
    try:
        assert ck.fingerprint(conn, DB) == clean, [r.code for r in runs]
        task.reset(conn)
    finally:
        conn.close()


def _wait_in_log(proc, log, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in (log.read_text(errors="replace") if log.exists() else ""):
        assert proc.poll() is None, f"the import ended before {text!r}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no {text!r} in the log within {timeout}s"
        time.sleep(0.02)


@pytest.mark.parametrize("driver", ["file", "mysql"])
def test_server_killed_while_a_table_finishes(mariadb, dump, clean, tmp_path, driver):
    """The server dies between a table's last chunk and its status update / post-restore
    steps (the importer pauses there), and is back ~2 s later: the status write (mysql
    store) or the next statement meets a dead connection."""
    task = ck.Task(mariadb, tmp_path, dump, DB, driver, "error", "srvcrash_cp")
    conn = mariadb.connect()
    task.reset(conn)
    conn.close()
    proc, log = task.start("restore.before-table-status=sleep:2500")
    try:
        _wait_in_log(proc, log, '["restore table completed"]')
        mariadb.kill()
        time.sleep(2.0)
        mariadb.start()
        out, err = proc.communicate(timeout=180)
    finally:
        _stop_and_restore(mariadb, proc)
    first = ck.Outcome(proc.returncode, out, err, log.read_text(errors="replace"), 0.0)
    assert first.code in (0, 1), str(first)
    runs = ck.resume_after_clear_stop(first, task)
    _assert_exact(mariadb, task, runs, clean)

"""`--server-mode` through its HTTP API, as a user's script would drive it: tasks queued, run in
order, reordered, deleted, paused and resumed; every endpoint's bad input answered with a 4xx
and a JSON error; passwords never echoed; the token; `/metrics` matching the rows."""
from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from .serverkit import Server, task_toml, write_dump

SLOW = "backend.before-commit=sleep:100"  # each batch commit waits 0.1 s: tasks can be watched
SMALL_BATCHES = 'logical-import-batch-size = 1024'  # ~30 rows a batch: many commits


def checkpointed(tmp_path) -> str:
    """A task's own checkpoint (the server's are off): its batches commit in transactions,
    where the SLOW failpoint sits."""
    return f'enable = true\ndsn = "{tmp_path}/cp.pb"'


def rows(db, name: str) -> int:
    with db.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {name}.t")
        return cur.fetchone()[0]


def drop(db, *names: str) -> None:
    with db.cursor() as cur:
        for n in names:
            cur.execute(f"DROP DATABASE IF EXISTS {n}")


def test_tasks_run_in_queue_order_and_can_be_reordered_deleted_paused(mariadb, db, tmp_path):
    drop(db, "sq1", "sq2", "sq3", "sq4")
    srv = Server(mariadb, tmp_path)
    try:
        assert srv.call("PUT", "/pause")[0] == 200
        assert srv.call("GET", "/pause")[1] == {"paused": True}
        ids = [srv.submit(task_toml(write_dump(tmp_path / n, n, rows=300))) for n in ("sq1", "sq2", "sq3", "sq4")]
        status, body, _ = srv.call("GET", "/tasks")
        assert status == 200 and body["current"] is None and body["queue"] == ids  # paused: none started
        assert srv.call("PATCH", f"/tasks/{ids[2]}/front")[0] == 200
        assert srv.call("PATCH", f"/tasks/{ids[0]}/back")[0] == 200
        assert srv.call("DELETE", f"/tasks/{ids[3]}")[:2] == (200, {})
        assert srv.call("GET", "/tasks")[1]["queue"] == [ids[2], ids[1], ids[0]]
        assert srv.task(ids[3])["state"] == "cancelled"
        srv.call("PUT", "/resume")
        for i in (ids[2], ids[1], ids[0]):
            t = srv.wait_state(i, "completed", "failed")
            assert t["state"] == "completed" and t["rows"] == 300 and t["w"] == t["z"] > 0, t
        started = {i: srv.task(i)["started"] for i in ids[:3]}
        assert started[ids[2]] < started[ids[1]] < started[ids[0]]  # the reordered queue's order
        assert (rows(db, "sq1"), rows(db, "sq2"), rows(db, "sq3")) == (300, 300, 300)
        with db.cursor() as cur:
            cur.execute("SHOW DATABASES LIKE 'sq4'")
            assert cur.fetchall() == ()  # deleted before it ran: nothing imported
    finally:
        code, out, err = srv.stop()
    assert code == 0 and "tidb lightning exit" in out, out + err


def test_pause_holds_a_running_task_and_resume_finishes_it(mariadb, db, tmp_path):
    drop(db, "sp1")
    srv = Server(mariadb, tmp_path, failpoints=SLOW)
    try:
        tid = srv.submit(task_toml(write_dump(tmp_path / "d", "sp1", rows=1500), tikv_importer=SMALL_BATCHES,
                                   checkpoint=checkpointed(tmp_path)))
        srv.wait_state(tid, "running")
        deadline = time.monotonic() + 30
        while srv.task(tid)["w"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        srv.call("PUT", "/pause")
        time.sleep(0.5)  # the batch in flight commits
        held = srv.task(tid)
        time.sleep(1.5)
        again = srv.task(tid)
        assert again["state"] == "running" and again["w"] == held["w"] < again["z"], (held, again)
        _, progress, _ = srv.call("GET", "/progress/task")
        assert progress["s"] == 1 and progress["t"]["`sp1`.`t`"]["w"] == held["w"]
        srv.call("PUT", "/resume")
        t = srv.wait_state(tid, "completed", "failed")
        assert t["state"] == "completed" and rows(db, "sp1") == 1500
        _, progress, _ = srv.call("GET", "/progress/task")
        assert progress["s"] == 2 and progress["t"]["`sp1`.`t`"]["s"] == 2
        assert progress["t"]["`sp1`.`t`"]["p"] == "done"
    finally:
        srv.stop()


def test_a_failed_task_shows_its_error_and_pauses_the_queue(mariadb, db, tmp_path):
    drop(db, "sf1", "sf2")
    srv = Server(mariadb, tmp_path)
    try:
        bad = srv.submit(task_toml(write_dump(tmp_path / "bad", "sf1", rows=10, broken=True)))
        good = srv.submit(task_toml(write_dump(tmp_path / "good", "sf2", rows=10)))
        t = srv.wait_state(bad, "failed", "completed")
        assert t["state"] == "failed" and "sf1.t.000000000.sql" in t["error"] and "offset" in t["error"]
        time.sleep(1)
        assert srv.task(good)["state"] == "queued" and srv.call("GET", "/pause")[1] == {"paused": True}
        _, progress, _ = srv.call("GET", "/progress/task")
        assert "sf1.t.000000000.sql" in progress["m"]
        srv.call("PUT", "/resume")
        assert srv.wait_state(good, "completed", "failed")["state"] == "completed"
    finally:
        srv.stop()


def test_deleting_the_running_task_stops_it_and_the_server_goes_on(mariadb, db, tmp_path):
    drop(db, "sd1", "sd2")
    srv = Server(mariadb, tmp_path, failpoints=SLOW)
    try:
        first = srv.submit(task_toml(write_dump(tmp_path / "a", "sd1", rows=3000), tikv_importer=SMALL_BATCHES,
                                     checkpoint=checkpointed(tmp_path)))
        second = srv.submit(task_toml(write_dump(tmp_path / "b", "sd2", rows=20)))
        srv.wait_state(first, "running")
        status, body, _ = srv.call("PATCH", f"/tasks/{first}/front")
        assert status == 409 and "running" in body["error"]
        assert srv.call("DELETE", f"/tasks/{first}")[0] == 200
        t = srv.wait_state(first, "cancelled", "failed", "completed")
        assert t["state"] == "cancelled" and t["w"] < t["z"], t
        assert srv.wait_state(second, "completed", "failed")["state"] == "completed"
        assert rows(db, "sd2") == 20
        status, body, _ = srv.call("PATCH", f"/tasks/{first}/back")
        assert status == 409 and "finished" in body["error"]
    finally:
        srv.stop()


def test_bad_requests_get_a_json_error_never_a_crash(mariadb, tmp_path):
    srv = Server(mariadb, tmp_path)
    try:
        cases = [
            ("POST", "/tasks", "[mydumper\ndata-source-dir = 1", 400, "cannot parse task (must be TOML)"),
            ("POST", "/tasks", b"\xff\xfe", 400, "not UTF-8"),
            ("POST", "/tasks", '[tidb]\nport = "x"\n', 400, "invalid task configuration"),
            ("POST", "/tasks", '[tidb]\nhots = "x"\n', 400, "unknown configuration options: tidb.hots"),
            ("POST", "/tasks", '[lightning]\nstatus-addr = ":1"\n', 400, "a setting of the server itself"),
            ("POST", "/tasks", '[mydumper]\ndata-source-dir = "/no/such/dir"\n', 400, "is not a directory"),
            ("POST", "/tasks", "x" * (2 << 20), 413, "too large"),
            ("GET", "/tasks/12345", None, 404, "task ID not found"),
            ("DELETE", "/tasks/12345", None, 404, "task ID not found"),
            ("GET", "/tasks/abc", None, 400, "invalid task ID"),
            ("PATCH", "/tasks/12345/front", None, 404, "task ID not found"),
            ("PATCH", "/tasks/12345/sideways", None, 400, "unknown patch action"),
            ("PATCH", "/tasks/-1/front", None, 400, "invalid task ID"),
            ("PUT", "/tasks", None, 405, "only"),
            ("GET", "/resume", None, 405, "only PUT"),
            ("PUT", "/loglevel", '{"level": "loud"}', 400, "invalid log level"),
            ("PUT", "/loglevel", "not json", 400, "invalid log level"),
            ("GET", "/no/such/path", None, 404, "Not Found"),
        ]
        for method, path, body, want, text in cases:
            status, got, headers = srv.call(method, path, body)
            assert status == want and text in got["error"], (method, path, status, got)
            assert headers["Content-Type"] == "application/json"
        assert srv.call("GET", "/tasks")[1]["queue"] == []  # nothing bad was queued
        status, got, _ = srv.call("GET", "/progress/table?t=`no`.`table`")
        assert status == 404 and "not found" in got
    finally:
        code, out, err = srv.stop()
    assert code == 0, out + err


def test_loglevel_can_be_read_and_changed(mariadb, tmp_path):
    srv = Server(mariadb, tmp_path)
    try:
        assert srv.call("GET", "/loglevel")[1] == {"level": "info"}
        assert srv.call("PUT", "/loglevel", '{"level": "debug"}')[:2] == (200, {})
        assert srv.call("GET", "/loglevel")[1] == {"level": "debug"}
        assert srv.call("POST", "/loglevel", '{"level": "warn"}')[0] == 200
        assert srv.call("GET", "/loglevel")[1] == {"level": "warn"}
    finally:
        srv.stop()
    assert "log level set to debug" in srv.log.read_text()


def test_passwords_in_tasks_are_never_echoed(mariadb, db, tmp_path):
    drop(db, "spw")
    secret = "pw-Zq81-never-show"
    srv = Server(mariadb, tmp_path)
    try:
        srv.call("PUT", "/pause")
        tid = srv.submit(task_toml(write_dump(tmp_path / "d", "spw", rows=5), tidb=f'password = "{secret}"'))
        status, body, _ = srv.call("GET", f"/tasks/{tid}")
        assert status == 200 and body["id"] == tid and body["tidb"]["password"] == "******"
        assert body["mydumper"]["data-source-dir"] == str(tmp_path / "d")
        listing = srv.call("GET", "/tasks")[1]
        srv.call("PUT", "/resume")
        t = srv.wait_state(tid, "failed", "completed")  # root has no password: refused
        assert t["state"] == "failed" and "Access denied" in t["error"], t
    finally:
        code, out, err = srv.stop()
    everything = str(body) + str(listing) + str(t) + out + err + srv.log.read_text()
    assert secret not in everything


def test_the_token_guards_the_api_but_not_the_page(mariadb, tmp_path):
    srv = Server(mariadb, tmp_path, "--status-token", "t0k3n", token="t0k3n")
    try:
        status, body, headers = srv.call("GET", "/tasks", token="")
        assert status == 401 and "token" in body["error"] and headers["WWW-Authenticate"] == "Bearer"
        assert srv.call("GET", "/metrics", token="wrong")[0] == 401
        assert srv.call("PUT", "/pause", token="")[0] == 401 and srv.call("GET", "/pause")[1] == {"paused": False}
        assert srv.call("GET", "/tasks")[0] == 200
        status, page, _ = srv.call("GET", "/web/", token="")
        assert status == 200 and "TiDB Lightning" in page
        assert srv.call("GET", "/openapi.json", token="")[0] == 200
        srv.call("PUT", "/pause")
        tid = srv.submit(task_toml(write_dump(tmp_path / "d", "stok", rows=5)))
        shown = srv.call("GET", f"/tasks/{tid}")[1]
        assert shown["lightning"]["status-token"] == "******"
    finally:
        code, out, err = srv.stop()
    assert "t0k3n" not in out + err + srv.log.read_text()


def test_metrics_count_the_rows_of_the_task(mariadb, db, tmp_path):
    drop(db, "sm1")
    srv = Server(mariadb, tmp_path)
    try:
        tid = srv.submit(task_toml(write_dump(tmp_path / "d", "sm1", rows=700), tikv_importer=SMALL_BATCHES))
        assert srv.wait_state(tid, "completed", "failed")["state"] == "completed"
        status, text, headers = srv.call("GET", "/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(text) for s in f.samples}
        assert samples[("lightning_rows_total", (("state", "restored"), ("table", "`sm1`.`t`")))] == 700
        assert samples[("lightning_chunks_total", (("state", "finished"),))] == 1
        batches = samples[("lightning_block_deliver_seconds_count", ())]
        assert batches >= 10 and samples[("lightning_row_encode_seconds_count", ())] == batches
        assert samples[("lightning_import_seconds_count", ())] == 1
        assert samples[("lightning_block_deliver_seconds_bucket", (("le", "+Inf"),))] == batches
        status, table, _ = srv.call("GET", "/progress/table?t=`sm1`.`t`")
        assert status == 200 and table["Rows"] == 700 and table["Chunks"] == {"Done": 1, "Total": 1}
        chunk = table["Engines"]["-1"]["Chunks"][0]
        assert chunk["Done"] is True and chunk["Key"]["Path"].endswith("sm1.t.000000000.sql")
        assert table["Status"] >= 120  # imported at least
    finally:
        srv.stop()

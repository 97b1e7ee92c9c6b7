"""The server-mode web page in headless Chromium (Debian's), driven by Playwright: submit a task
through the form and watch it reach 100%, pause and resume a second one while it runs, and
read the errors of a malformed task file and of a task whose data is broken.  Screenshots go to
test-artifacts/web-ui/."""
from __future__ import annotations

import re
import shutil
import time

import pytest

from .conftest import ROOT
from .serverkit import Server, task_toml, write_dump

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "web-ui"

pytestmark = pytest.mark.skipif(not shutil.which("chromium"),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


def pct(page, task_id: int) -> float:
    text = page.locator(f"#task-{task_id} .pct").inner_text()
    return float(text.rstrip("%"))


def wait_for(fn, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def submit(page, toml: str) -> int:
    page.fill("#task-toml", toml)
    page.click("#task-submit")
    page.wait_for_selector("#submit-ok:not([hidden])")
    return int(re.search(r"#(\d+)", page.inner_text("#submit-ok")).group(1))


def test_the_page_submits_watches_pauses_and_shows_errors(mariadb, db, tmp_path):
    from playwright.sync_api import sync_playwright

    with db.cursor() as cur:
        for name in ("w1", "w2", "w3"):
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    slow = "logical-import-batch-size = 1024"
    srv = Server(mariadb, tmp_path, failpoints="backend.before-commit=sleep:60")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(srv.url + "/")  # redirects to /web/
            page.wait_for_selector("#no-tasks")
            assert page.title() == "TiDB Lightning"

            # 1: submitted through the form, watched to 100%
            first = submit(page, task_toml(write_dump(tmp_path / "d1", "w1", rows=1200), tikv_importer=slow,
                                           checkpoint=f'enable = true\ndsn = "{tmp_path}/cp1.pb"'))
            wait_for(lambda: 0 < pct(page, first) < 100, "task 1 part-way")
            page.screenshot(path=str(ARTIFACTS / "1-task-running.png"), full_page=True)
            wait_for(lambda: page.get_attribute(f"#task-{first}", "data-state") == "completed", "task 1 done")
            wait_for(lambda: pct(page, first) == 100.0, "task 1 at 100%")
            row = page.locator('#tables tr[data-table="`w1`.`t`"]')
            wait_for(lambda: "done" in row.locator(".table-state").inner_text(), "table w1 done")
            assert row.locator(".pct").inner_text() == "100.0%"
            page.screenshot(path=str(ARTIFACTS / "2-task-completed.png"), full_page=True)

            # 2: paused while running, resumed, finished
            second = submit(page, task_toml(write_dump(tmp_path / "d2", "w2", rows=1500), tikv_importer=slow,
                                            checkpoint=f'enable = true\ndsn = "{tmp_path}/cp2.pb"'))
            wait_for(lambda: 0 < pct(page, second) < 60, "task 2 part-way")
            page.click("#pause")
            wait_for(lambda: page.inner_text("#queue-state") == "paused", "the paused badge")
            time.sleep(1)  # the batch in flight commits
            held = pct(page, second)
            time.sleep(2)
            assert pct(page, second) == held < 100
            assert page.get_attribute(f"#task-{second}", "data-state") == "running"
            page.screenshot(path=str(ARTIFACTS / "3-task-paused.png"), full_page=True)
            page.click("#resume")
            wait_for(lambda: page.get_attribute(f"#task-{second}", "data-state") == "completed", "task 2 done")
            assert pct(page, second) == 100.0

            # 3: a malformed task file is refused with the parser's message
            page.fill("#task-toml", "[mydumper\ndata-source-dir = ")
            page.click("#task-submit")
            page.wait_for_selector("#submit-error:not([hidden])")
            assert "cannot parse task (must be TOML)" in page.inner_text("#submit-error")
            # ... and a task file uploaded, whose data file is broken, fails with the file and offset shown
            task_file = tmp_path / "task3.toml"
            task_file.write_text(task_toml(write_dump(tmp_path / "d3", "w3", rows=10, broken=True)))
            page.fill("#task-toml", "")
            page.set_input_files("#task-file", str(task_file))
            page.click("#task-submit")
            wait_for(lambda: "#" in page.inner_text("#submit-ok") and page.is_visible("#submit-ok")
                     and str(second) not in page.inner_text("#submit-ok"), "the upload queued")
            third = int(re.search(r"#(\d+)", page.inner_text("#submit-ok")).group(1))
            wait_for(lambda: page.get_attribute(f"#task-{third}", "data-state") == "failed", "task 3 failed")
            error = page.inner_text(f"#task-{third} .task-error")
            assert "w3.t.000000000.sql" in error and "offset" in error, error
            assert page.inner_text("#queue-state") == "paused"  # a failed task pauses the queue
            page.screenshot(path=str(ARTIFACTS / "4-task-failed.png"), full_page=True)
            browser.close()
        with db.cursor() as cur:
            cur.execute("SELECT (SELECT COUNT(*) FROM w1.t), (SELECT COUNT(*) FROM w2.t)")
            assert cur.fetchone() == (1200, 1500)
    finally:
        code, out, err = srv.stop()
    assert code == 0, out + err


def test_the_page_shows_a_command_line_import(mariadb, db, tmp_path):
    """Not server mode: the page has no queue to feed; it shows the import's tables."""
    from playwright.sync_api import sync_playwright

    from .test_status_server import start, write_dump as one_table

    with db.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS st")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    from .serverkit import free_port
    port = free_port()
    proc = start(mariadb, one_table(tmp_path / "d"), tmp_path, port, "restore.before-table-status=sleep:5000")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            wait_for(lambda: _opens(page, f"http://127.0.0.1:{port}/"), "the status port")
            row = page.locator('#tables tr[data-table="`st`.`t`"]')
            wait_for(lambda: row.count() and row.locator(".pct").inner_text() == "100.0%", "the table at 100%")
            assert page.is_hidden("#submit") and page.is_hidden("#tasks-section")
            assert page.inner_text("#queue-state") in ("running", "done")
            page.screenshot(path=str(ARTIFACTS / "5-command-line-import.png"), full_page=True)
            browser.close()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, out + err
    finally:
        if proc.poll() is None:
            proc.kill()


def _opens(page, url: str) -> bool:
    try:
        page.goto(url)
        return True
    except Exception:  # noqa: BLE001 - not listening yet
        time.sleep(0.1)
        return False

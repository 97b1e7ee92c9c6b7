"""A schema-driven fuzz run of the status port's API: schemathesis reads /openapi.json from a
running `--server-mode` process and sends generated (valid and invalid) requests to every
operation.  No 5xx, every answer in its documented status, content type and shape, 405 for
undeclared methods.  Not checked: that every schema-valid request is accepted (any string is a
valid TOML body by the schema, and most are not valid task files)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .serverkit import Server


def test_schemathesis_finds_no_server_error(mariadb, tmp_path):
    srv = Server(mariadb, tmp_path)
    try:
        st = Path(sys.executable).parent / "schemathesis"
        p = subprocess.run([str(st), "run", f"{srv.url}/openapi.json", "--checks", "all",
                            "--exclude-checks", "positive_data_acceptance", "--max-examples", "60",
                            "--seed", "7"],
                           capture_output=True, text=True, timeout=600, cwd=tmp_path)
        report = p.stdout + p.stderr
        assert p.returncode == 0, report
        assert "passed" in report and "Tested: 14" in report, report
    finally:
        code, out, err = srv.stop()
    assert code == 0, out + err
    assert "Traceback" not in err + srv.log.read_text()

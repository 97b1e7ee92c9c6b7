"""Conformance: upstream `lightning_config_skip_csv_header` (see data/config_skip_csv_header,
EXPECTED.md).

`[mydumper.csv] header-schema-match`: true (explicit or default) makes the unknown header
names `aaa`, `bbb` fail the import; false skips the header and maps by position.
Upstream's console text `Lightning:Restore:ErrUnknownColumns` is its own error-code
naming, which we do not claim; the portable check (EXPECTED.md) is that the error names
the unknown columns, the table and the file.  The tomls set `check-requirements=true`;
`--check-requirements=0` on the command line wins, as in upstream's wrapper.
"""
from __future__ import annotations

from .harness import execute, expect, fails, fresh, ok

FOLDER = "config_skip_csv_header"


def test_config_skip_csv_header(importer, raw):
    fresh(raw, "mytest")
    execute(raw, "DROP TABLE IF EXISTS mytest.testtbl")
    for config in ("err_config.toml", "err_default_config.toml"):  # step 3 drops nothing
        run = fails(importer(FOLDER, config=config),
                    "unknown columns", "aaa", "bbb", "`mytest`.`testtbl`", "mytest.testtbl.csv")
        assert "tidb lightning exit" not in run.stdout

    execute(raw, "DROP TABLE IF EXISTS mytest.testtbl")
    ok(importer(FOLDER, config="normal_config.toml"))
    expect(raw, "SELECT COUNT(*) FROM mytest.testtbl", {"COUNT(*)": "5"})
    expect(raw, "SELECT COUNT(*) FROM mytest.testtbl WHERE id > 0", {"COUNT(*)": "5"})

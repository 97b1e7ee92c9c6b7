"""Conformance: upstream `lightning_view` (see data/view, EXPECTED.md).

Dumpling/mysqldump view files; `db0.v2` reads view `db1.v1`.  The views carry
``DEFINER=`root`@`192.168.198.178` ``, an account a fresh MariaDB lacks (errno 1449 on
use).  EXPECTED.md offers a harness-created definer account; we deliberately do NOT
create it: our importer drops view DEFINER clauses (importer option (b)), and the test
makes sure that account does not exist, so it checks that behaviour.
"""
from __future__ import annotations

from .harness import execute, expect, fresh, ok

FOLDER = "view"


def test_view(importer, raw):
    fresh(raw, "db0", "db1")
    execute(raw, "DROP USER IF EXISTS 'root'@'192.168.198.178'")
    ok(importer(FOLDER))

    expect(raw, "SELECT count(*), sum(i) FROM `db1`.v1", {"count(*)": "3", "sum(i)": "6"})
    expect(raw, "SELECT count(*) FROM `db0`.v2", {"count(*)": "1"})
    expect(raw, "SELECT s FROM `db0`.v2", {"s": "test1"})

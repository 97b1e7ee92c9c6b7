"""Checkpoint model: status values, failed statuses, names, task differences."""
from __future__ import annotations

import dataclasses

import pytest

from tidb_lightning.checkpoints import (
    MAX_INVALID,
    ChunkCheckpoint,
    Status,
    TableCheckpoint,
    TaskCheckpoint,
    failed_status,
    is_failed,
    quote_table_name,
    status_name,
)

TASK = TaskCheckpoint(task_id=1700000000000000000, source_dir="/a", backend="tidb", tidb_host="127.0.0.1",
                      tidb_port=4000, pd_addr="", sorted_kv_dir="", lightning_version="0.1.0",
                      on_duplicate="replace", filter=("*.*", "!mysql.*"))


def test_status_values_are_upstreams():
    assert [(s.name, s.value) for s in Status] == [
        ("MISSING", 0), ("LOADED", 30), ("ALL_WRITTEN", 60), ("CLOSED", 90), ("IMPORTED", 120),
        ("INDEX_IMPORTED", 140), ("ALTERED_AUTO_INC", 150), ("CHECKSUM_SKIPPED", 170),
        ("CHECKSUMMED", 180), ("ANALYZE_SKIPPED", 200), ("ANALYZED", 210)]
    assert MAX_INVALID == 25


def test_failed_status():
    assert [failed_status(s) for s in Status if s] == [3, 6, 9, 12, 14, 15, 17, 18, 20, 21]
    assert all(is_failed(failed_status(s)) for s in Status if s)
    assert not any(is_failed(s) for s in Status)
    assert is_failed(25) and not is_failed(26) and not is_failed(0)
    assert TableCheckpoint("`a`.`b`", 18).failed and not TableCheckpoint("`a`.`b`", 30).failed


@pytest.mark.parametrize("status, name", [
    (0, "missing"), (30, "loaded"), (60, "all written"), (120, "imported"), (180, "checksummed"),
    (210, "analyzed"), (3, "load failed"), (6, "write failed"), (12, "import failed"),
    (15, "auto-increment alteration failed"), (18, "checksum failed"), (17, "checksum failed"),
    (21, "analyze failed"), (1, "failed (status 1)"), (42, "status 42"),
])
def test_status_name(status, name):
    assert status_name(status) == name


def test_quote_table_name():
    assert quote_table_name("db", "tbl") == "`db`.`tbl`"
    assert quote_table_name("d`b", "t``") == "`d``b`.`t`````"


def test_chunk_key_and_frozen():
    c = ChunkCheckpoint("`a`.`b`", "/x/a.b.sql", 0, 10, "sql", "none", "", 10)
    assert c.key == ("`a`.`b`", "/x/a.b.sql", 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.offset = 3  # type: ignore[misc]


def test_differences_none():
    assert TASK.differences(TASK) == []
    assert TASK.differences(dataclasses.replace(TASK, task_id=5)) == []


def test_differences_messages():
    now = dataclasses.replace(TASK, source_dir="/b", tidb_port=4001, lightning_version="0.2.0")
    assert TASK.differences(now) == [
        "the Lightning version was '0.1.0' in the checkpoint, now '0.2.0'",
        "`mydumper.data-source-dir` was '/a' in the checkpoint, now '/b'",
        "`tidb.port` was 4000 in the checkpoint, now 4001",
    ]
    now = dataclasses.replace(TASK, tidb_host="10.0.0.1", pd_addr="pd:2379", on_duplicate="error",
                              filter=("db.*",))
    assert TASK.differences(now) == [
        "`tidb.host` was '127.0.0.1' in the checkpoint, now '10.0.0.1'",
        "`tidb.pd-addr` was '' in the checkpoint, now 'pd:2379'",
        "`tikv-importer.on-duplicate` was 'replace' in the checkpoint, now 'error'",
        "`mydumper.filter` was ['*.*', '!mysql.*'] in the checkpoint, now ['db.*']",
    ]


def test_differences_backend_always_compared():
    now = dataclasses.replace(TASK, backend="local", source_dir="/b", lightning_version="9")
    assert TASK.differences(now, strict=False) == [
        "`tikv-importer.backend` was 'tidb' in the checkpoint, now 'local'"]
    assert len(TASK.differences(now, strict=True)) == 3


def test_differences_sorted_kv_dir_only_for_local():
    tidb = dataclasses.replace(TASK, sorted_kv_dir="/x")
    assert TASK.differences(tidb) == []
    local = dataclasses.replace(TASK, backend="local")
    assert local.differences(dataclasses.replace(local, sorted_kv_dir="/x")) == [
        "`tikv-importer.sorted-kv-dir` was '' in the checkpoint, now '/x'"]
    assert local.differences(dataclasses.replace(local, sorted_kv_dir="/x"), strict=False) == []

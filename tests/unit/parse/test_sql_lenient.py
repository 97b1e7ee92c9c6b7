"""SQL scanner additions made for the conformance suite: upstream-style lenient statement
heads (black-white-list's "create table `second` values (909);") and `drop_fields`
(leaving TiDB's `_tidb_rowid` out for a non-TiDB target, exotic_filenames)."""
from __future__ import annotations

import io

import pytest

from tidb_lightning.errors import DataSyntaxError
from tidb_lightning.parse.sql import SQLDumpParser, drop_fields


def batches(data: bytes, block: int = 65536):
    return [(b.columns, b.values) for b in SQLDumpParser(io.BytesIO(data), "f", block_size=block).batches()]


@pytest.mark.parametrize("block", [1, 7, 65536])
def test_leading_words_before_table_and_values_are_ignored(block):
    assert batches(b"create table `second` values (909);", block) == [(None, b"(909)")]
    assert batches(b"insert `t` (a, b) values (1,2);", block) == [(("a", "b"), b"(1,2)")]


@pytest.mark.parametrize("data", [b"DROP TABLE x;", b"UPDATE t SET a=1;", b"CREATE TABLE t (a int);"])
def test_statements_without_values_are_still_errors(data):
    with pytest.raises(DataSyntaxError, match="expected an INSERT or REPLACE"):
        batches(data)


def test_drop_fields():
    values = b"('a,b', 11, 79995),\n(CONVERT('x,)' USING utf8), 22, 1)"
    assert drop_fields(values, [2], 3) == b"('a,b', 11),(CONVERT('x,)' USING utf8), 22)"
    assert drop_fields(b"('it''s',1,2)", [0], 3) == b"(1,2)"
    assert drop_fields(b"('a\\',b',1,2)", [1], 3) == b"('a\\',b',2)"
    assert drop_fields(b"('a\\',2)", [1], 2, backslash_escapes=False) == b"('a\\')"
    with pytest.raises(ValueError, match="2 values"):
        drop_fields(b"(1,2)", [0], 3)

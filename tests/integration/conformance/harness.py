"""Shared steps of the conformance tests (upstream TiDB Lightning's integration tests).

Each `test_<folder>.py` follows `<folder>/EXPECTED.md` of the conformance suite run by run:
drop the databases the test names, run our `tidb-lightning` with `--backend tidb` on the
folder's copied data and toml (plus the flags upstream's wrapper always added), check the
exit status, then check every fact "query -> column: value".

Facts are compared as the mysql client prints them: the `raw` fixture (conftest.py) decodes nothing
(`conv={}`), so every value is the server's own text form (`None` for NULL); binary
values arrive as bytes.
"""
from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# what upstream's `run_lightning` wrapper always passes
ALWAYS = ("--enable-checkpoint=0", "--check-requirements=0")


def execute(conn, *statements: str) -> None:
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def fresh(conn, *databases: str) -> None:
    """Start from a server that holds none of `databases`."""
    execute(conn, *(f"DROP DATABASE IF EXISTS `{d.replace('`', '``')}`" for d in databases))


def rows(conn, sql: str) -> list[dict]:
    """Every row of `sql` as {column label: text value}."""
    with conn.cursor() as cur:
        cur.execute(sql)
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def _text(v):
    return v.decode("utf-8", "surrogateescape") if isinstance(v, (bytes, bytearray)) else v


def expect(conn, sql: str, expected: dict) -> dict:
    """`sql` returns exactly one row and each named column has exactly the given text."""
    got = rows(conn, sql)
    assert len(got) == 1, f"{sql}\n expected one row, got {got!r}"
    row = {k: _text(v) for k, v in got[0].items()}
    picked = {k: row.get(k, "<no such column>") for k in expected}
    assert picked == expected, f"{sql}\n row: {row!r}"
    return row


def expect_values(conn, sql: str, column: str, values: list) -> None:
    """The `column` values of all rows of `sql`, as a multiset, are exactly `values`."""
    got = sorted((_text(r.get(column, "<no such column>")) for r in rows(conn, sql)), key=repr)
    assert got == sorted(values, key=repr), f"{sql}\n column {column!r}: {got!r}"


def expect_none(conn, sql: str) -> None:
    got = rows(conn, sql)
    assert got == [], f"{sql}\n expected no rows, got {got!r}"


def column_values(conn, sql: str, column: str) -> list:
    return [_text(r[column]) for r in rows(conn, sql)]


def ok(run):
    assert run.code == 0, f"import failed (exit {run.code}):\n{run.stderr[-3000:]}\n--- log tail\n{run.log[-3000:]}"
    return run


def fails(run, *texts: str):
    """The run exited non-zero and its error output names each of `texts`."""
    assert run.code != 0, f"import must fail but exited 0:\n{run.stdout[-2000:]}"
    for t in texts:
        assert t in run.stderr, f"{t!r} not in stderr:\n{run.stderr[-3000:]}"
    return run

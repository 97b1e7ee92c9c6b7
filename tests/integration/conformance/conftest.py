"""Fixtures of the conformance tests; the steps themselves are in harness.py."""
from __future__ import annotations

import pytest

from .harness import ALWAYS, DATA


@pytest.fixture
def raw(mariadb):
    """Autocommit connection that returns every value as the server's text (no conversion)."""
    conn = mariadb.connect(conv={})
    yield conn
    conn.close()


@pytest.fixture
def importer(lightning):
    """`importer(folder, *flags, config="config.toml", data="data")` -> Run."""
    def run(folder: str, *flags: str, config: str | None = "config.toml", data: str = "data"):
        base = DATA / folder
        cfg = base / config if config is not None else None
        return lightning(base / data, *ALWAYS, *flags, config=cfg)
    return run

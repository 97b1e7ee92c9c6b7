"""Shared fixtures: one private MariaDB for the whole session (see tidb_lightning.devserver)."""
from __future__ import annotations

import pytest

from tidb_lightning.devserver import MariaDB


@pytest.fixture(scope="session")
def mariadb():
    """A private mariadbd in a temp datadir on a free port, reused across the session."""
    server = MariaDB().start()
    yield server
    server.destroy()


@pytest.fixture
def db(mariadb):
    """A fresh autocommit connection to the private server."""
    conn = mariadb.connect()
    yield conn
    conn.close()

"""Fixtures shared by the config tests."""
from __future__ import annotations

import textwrap

import pytest


@pytest.fixture
def write(tmp_path):
    """write(text) -> path of a TOML file holding the dedented text."""

    def _write(text: str, name: str = "task.toml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return str(path)

    return _write

"""Size, Go duration and Go boolean parsing."""
from __future__ import annotations

import pytest

from tidb_lightning.config.units import format_size, parse_duration, parse_go_bool, parse_size
from tidb_lightning.errors import ConfigError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (65536, 65536),
        ("100", 100),
        ("64KiB", 64 * 1024),
        ("64kib", 64 * 1024),
        ("64KB", 64 * 1024),
        ("64k", 64 * 1024),
        ("256MiB", 256 << 20),
        ("256 MiB", 256 << 20),
        ("1.5GiB", int(1.5 * (1 << 30))),
        ("1g", 1 << 30),
        ("2T", 2 << 40),
        ("1PiB", 1 << 50),
        ("10B", 10),
        (" 96KiB ", 96 * 1024),
    ],
)
def test_parse_size_accepts(value, expected):
    assert parse_size(value, "k") == expected


@pytest.mark.parametrize("value", ["", "KiB", "64XB", "-1", "1.2.3MiB", "64 KiB B", True, 1.5, -1, None, [1]])
def test_parse_size_rejects_and_names_key(value):
    with pytest.raises(ConfigError, match="mydumper.read-block-size"):
        parse_size(value, "mydumper.read-block-size")


def test_format_size():
    assert format_size(65536) == "64KiB"
    assert format_size(256 << 20) == "256MiB"
    assert format_size(1000) == "1000B"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5m", 300.0),
        ("60s", 60.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("300ms", 0.3),
        ("2us", 2e-6),
        ("2\u00b5s", 2e-6),
        ("10ns", 1e-8),
        ("0", 0.0),
        ("-2s", -2.0),
        ("+1m", 60.0),
        (".5s", 0.5),
        ("1h2m3s4ms", 3723.004),
    ],
)
def test_parse_duration(value, seconds):
    assert parse_duration(value, "cron.log-progress") == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "5", "1x", "m", "5m3", "1h 30m", 300, 1.5, True, None])
def test_parse_duration_rejects_and_names_key(value):
    with pytest.raises(ConfigError, match="cron.switch-mode"):
        parse_duration(value, "cron.switch-mode")


def test_parse_duration_missing_unit_message():
    with pytest.raises(ConfigError, match="missing unit"):
        parse_duration("30", "cron.log-progress")


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_go_bool_true(text):
    assert parse_go_bool(text) is True


@pytest.mark.parametrize("text", ["0", "f", "F", "FALSE", "false", "False"])
def test_go_bool_false(text):
    assert parse_go_bool(text) is False


@pytest.mark.parametrize("text", ["yes", "no", "tRuE", "", "2"])
def test_go_bool_rejects(text):
    with pytest.raises(ConfigError, match="--no-schema"):
        parse_go_bool(text, "--no-schema")

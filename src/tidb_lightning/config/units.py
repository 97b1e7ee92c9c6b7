"""Parsing of the value syntaxes Lightning inherited from Go.

* Sizes (``read-block-size = "64KiB"``): plain non-negative integers are bytes; strings follow
  ``docker/go-units.RAMInBytes``: a decimal number, an optional space, an optional unit letter
  ``k m g t p`` (any case; always binary, so ``"1K"`` == ``"1KiB"`` == ``"1KB"`` == 1024), an optional
  ``i`` and an optional ``b``.
* Durations (``log-progress = "5m"``): Go's ``time.ParseDuration`` syntax (``"1h30m"``, ``"1.5s"``,
  ``"300ms"``), returned as float seconds.
* Booleans given on the command line: Go's ``strconv.ParseBool`` forms.

Every parser takes the dotted setting name so its error can say which setting is wrong.
"""
from __future__ import annotations

import re

from tidb_lightning.errors import ConfigError

__all__ = ["parse_size", "parse_duration", "parse_go_bool", "format_size", "GO_TRUE", "GO_FALSE"]

_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)\s?([kmgtp])?(i)?(b)?$", re.IGNORECASE)
_SIZE_UNITS = {None: 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}

# A Go int64; sizes larger than this cannot be represented upstream either.
MAX_INT64 = (1 << 63) - 1


def parse_size(value: object, key: str = "size") -> int:
    """Return ``value`` as a number of bytes.

    Accepts a non-negative ``int`` or a string such as ``"64KiB"``, ``"256MiB"``, ``"1.5G"``,
    ``"100"``.  Raises :class:`ConfigError` naming ``key`` for anything else (bools, floats,
    negative numbers, unknown units).
    """
    if isinstance(value, bool):
        raise ConfigError(f"invalid `{key}`: expected a size like 64KiB or an integer of bytes, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"invalid `{key}`: a size must not be negative, got {value}")
        return value
    if isinstance(value, str):
        m = _SIZE_RE.match(value.strip())
        if m:
            number, unit, _i, _b = m.groups()
            mult = _SIZE_UNITS[unit.lower() if unit else None]
            if "." in number:
                result = int(float(number) * mult)
            else:
                result = int(number) * mult
            if result > MAX_INT64:
                raise ConfigError(f"invalid `{key}`: size {value!r} is too large")
            return result
        raise ConfigError(
            f"invalid `{key}`: cannot parse size {value!r} (use an integer of bytes or a value like 64KiB, 256MiB, 1GiB)"
        )
    raise ConfigError(f"invalid `{key}`: expected a size like 64KiB or an integer of bytes, got {value!r}")


def format_size(n: int) -> str:
    """Render bytes compactly (``65536`` -> ``"64KiB"``) for messages and summaries."""
    for unit, mult in (("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= mult and n % mult == 0:
            return f"{n // mult}{unit}"
    return f"{n}B"


_DUR_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,  # micro sign
    "\u03bcs": 1e-6,  # Greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DUR_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)?")


def parse_duration(value: object, key: str = "duration") -> float:
    """Parse a Go duration string (``"5m"``, ``"60s"``, ``"1h30m"``, ``"1.5h"``, ``"-2s"``) into seconds.

    Like Go, a bare ``"0"`` is allowed without a unit, every other number needs one, and the
    value must be a string (TOML integers are rejected with a hint).
    """
    if not isinstance(value, str):
        raise ConfigError(f"invalid `{key}`: expected a duration string like \"5m\" or \"60s\", got {value!r}")
    s = value.strip()
    orig = s
    sign = 1.0
    if s[:1] in ("+", "-"):
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ConfigError(f"invalid `{key}`: invalid duration {orig!r}")
    total = 0.0
    pos = 0
    while pos < len(s):
        m = _DUR_PART.match(s, pos)
        if not m or m.end() == pos:
            raise ConfigError(f"invalid `{key}`: invalid duration {orig!r}")
        number, unit = m.groups()
        if unit is None:
            raise ConfigError(f"invalid `{key}`: missing unit in duration {orig!r} (use ns, us, ms, s, m or h)")
        total += float(number) * _DUR_UNITS[unit]
        pos = m.end()
    return sign * total


GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_go_bool(text: str, key: str = "flag") -> bool:
    """Go's ``strconv.ParseBool``: 1/t/T/TRUE/true/True and 0/f/F/FALSE/false/False."""
    if text in GO_TRUE:
        return True
    if text in GO_FALSE:
        return False
    raise ConfigError(f"invalid boolean value {text!r} for {key} (use true or false)")

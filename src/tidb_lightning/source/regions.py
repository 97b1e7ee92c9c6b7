"""Splitting a big CSV file into regions that import in parallel (upstream's `strict-format`).

A region is a byte range that starts at a row's first byte and ends after a row's
terminator: each boundary is the first line terminator at or after every `max-region-size`
bytes.  That is only right when no quoted field holds a terminator, which is what
`mydumper.strict-format = true` asserts (upstream's rule).  Without it a file is split only
when that is proven: the dialect has no quote character, or the file holds none (read once,
4 MiB at a time, C-level `bytes.find`; a file larger than max-region-size with a quote
anywhere stays one chunk, as upstream keeps every non-strict file).  Compressed files and
files converted from another character set are never split (their offsets are not the
file's).
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

SCAN = 4 * 1024 * 1024


def _terminator_after(f, pos: int, size: int, terminator: bytes) -> int:
    """Offset just after the first line terminator at or after `pos` (`size`: none).  With
    upstream's default terminator (any of \\r\\n, \\n, \\r) the boundary is after a \\n."""
    term = terminator or b"\n"
    f.seek(pos)
    at, carry = pos, b""
    while at < size:
        block = f.read(SCAN)
        if not block:
            break
        data = carry + block
        i = data.find(term)
        if i >= 0:
            return at - len(carry) + i + len(term)
        carry = data[-(len(term) - 1):] if len(term) > 1 else b""
        at += len(block)
    return size


def _has_quote(f, size: int, quote: bytes) -> bool:
    f.seek(0)
    while True:
        block = f.read(SCAN)
        if not block:
            return False
        if quote in block:
            return True


def split(storage, path: str, size: int, dialect, region_size: int, strict: bool) -> list[tuple[int, int]]:
    """[start, end) byte ranges of a plain CSV file's regions (one when it is not split)."""
    if size <= region_size or region_size <= 0:
        return [(0, size)]
    with storage.open(path) as f:
        if not strict and dialect.delimiter and _has_quote(f, size, dialect.delimiter):
            log.info("%s: %d MiB, not split: a quoted field may hold a line break (set "
                     "`mydumper.strict-format = true` if none does)", storage.describe(path), size >> 20)
            return [(0, size)]
        bounds = [0]
        while bounds[-1] + region_size < size:
            end = _terminator_after(f, bounds[-1] + region_size, size, dialect.terminator)
            if end >= size:
                break
            bounds.append(end)
    bounds.append(size)
    regions = list(zip(bounds, bounds[1:]))
    log.info("%s: split into %d regions of about %d MiB", storage.describe(path), len(regions), region_size >> 20)
    return regions

"""`mydumper.data-character-set`: files converted to UTF-8 while streaming, whatever the read
sizes cut; invalid bytes replaced (explicit charset) or an error naming the offset (auto)."""
from __future__ import annotations

import io
import logging

import pytest

from tidb_lightning.errors import SourceError
from tidb_lightning.storage import charset as cs, decoded
from tidb_lightning.storage.decoded import Decoded, decoding_stages

# a character whose GB18030 form ends with a backslash: only the converted text is safe to scan
SLASHED = next(chr(c) for c in range(0x4E00, 0x9FFF) if chr(c).encode("gb18030").endswith(b"\\"))
TEXT = ("INSERT INTO t VALUES (1,'" + SLASHED + "注释'),(2,'naïve ü'),(3,'" + "中文" * 3000 + "');\n") * 50


def read(blob: bytes, charset: str, replace: str = "\ufffd", display: str = "/d/t.sql") -> bytes:
    return Decoded(lambda: io.BytesIO(blob), decoding_stages("", charset, replace, display), display).read()


@pytest.mark.parametrize("raw_read", [1, 7, 4096])
@pytest.mark.parametrize("charset", ["gb18030", "gbk", "auto", "utf8mb4"])
def test_converted_whatever_the_reads_cut(monkeypatch, charset, raw_read):
    monkeypatch.setattr(decoded, "RAW_READ", raw_read)
    monkeypatch.setattr(cs, "SNIFF", 64)
    encoding = "utf-8" if charset == "utf8mb4" else "gb18030" if charset == "auto" else charset
    text = TEXT[:5000] if raw_read == 1 else TEXT
    if charset == "gbk":
        text = text.replace("ï", "i").replace("ü", "u")  # not in GBK
    assert read(text.encode(encoding), charset) == text.encode("utf-8")


def test_auto_takes_utf8_when_the_start_is():
    assert read(TEXT.encode("utf-8"), "auto") == TEXT.encode("utf-8")


def test_invalid_bytes_are_replaced_and_logged(caplog):
    blob = "一二".encode("gb18030") + b"\x81\x20" + "三".encode("gb18030")
    with caplog.at_level(logging.WARNING):
        assert read(blob, "gb18030", replace="?") == "一二? 三".encode("utf-8")
    assert "/d/t.sql: bytes at offset 4 are not valid gb18030" in caplog.text


def test_auto_fails_on_a_later_invalid_byte(monkeypatch):
    monkeypatch.setattr(cs, "SNIFF", 16)
    blob = ("中文" * 20).encode("gb18030") + b"\x81\x20tail"
    with pytest.raises(SourceError, match=r"/d/t\.sql: the bytes at offset 80 are not valid gb18030"):
        read(blob, "auto")


def test_mysql_latin1_keeps_the_bytes_cp1252_leaves_undefined():
    assert read(b"caf\xe9 \x81\x9d", "latin1") == "café \x81\x9d".encode("utf-8")

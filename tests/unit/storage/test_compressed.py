"""Compressed data files: every codec gives the file's text back, seeks forward and back
(within the window from memory, further back by starting again), and a corrupt or truncated
archive is an error naming the file and the decompressed offset."""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random

import cramjam
import pytest
import zstandard

from tidb_lightning.errors import NotBuiltError, SourceError
from tidb_lightning.storage import decoded
from tidb_lightning.storage.decoded import Decoded, decoding_stages


def Decompressed(open_raw, codec: str, display: str) -> Decoded:
    return Decoded(open_raw, decoding_stages(codec, "binary", "", display), display)

COMPRESS = {
    "gzip": lambda b: gzip.compress(b[:len(b) // 2]) + gzip.compress(b[len(b) // 2:]),  # two members
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b[:len(b) // 3]) + zstandard.ZstdCompressor().compress(b[len(b) // 3:]),
    "snappy": lambda b: bytes(cramjam.snappy.compress(b)),
    "bz2": bz2.compress,
    "xz": lzma.compress,
}


def text(n: int = 3_000_000) -> bytes:
    rnd = random.Random(1)
    return b"".join(b"(%d,'%s')\n" % (i, bytes(rnd.choice(b"abc xyz") for _ in range(rnd.randrange(30))))
                    for i in range(n // 20))


def opened(data: bytes, codec: str) -> Decompressed:
    blob = COMPRESS[codec](data)
    return Decompressed(lambda: io.BytesIO(blob), codec, "/data/t.sql." + codec)


@pytest.mark.parametrize("codec", list(COMPRESS))
def test_round_trip_and_seeks(codec, monkeypatch):
    monkeypatch.setattr(decoded, "WINDOW", 1 << 20)
    data = text()
    with opened(data, codec) as f:
        assert f.read(100) == data[:100]
        assert f.read(1_000_000) == data[100:1_000_100]
        f.seek(900_000)  # back, inside the window
        assert f.read(10) == data[900_000:900_010]
        f.seek(2_000_000)  # forward
        assert f.read(5) == data[2_000_000:2_000_005] and f.tell() == 2_000_005
        f.seek(50)  # back, before the window: starts again
        assert f.read() == data[50:]
        assert f.read(10) == b"" and f.raw_tell() > 0
        f.seek(len(data) + 10)
        assert f.tell() == len(data)


@pytest.mark.parametrize("codec", list(COMPRESS))
def test_truncated_archive_names_file_and_offset(codec):
    data = text(400_000)
    blob = COMPRESS[codec](data)
    f = Decompressed(lambda: io.BytesIO(blob[:len(blob) * 2 // 3]), codec, "/data/t.sql." + codec)
    with pytest.raises(SourceError, match=rf"/data/t\.sql\.{codec}: the {codec} data is corrupt or truncated "
                                          r"\(after \d+ bytes of decoded data\)"):
        f.read()


@pytest.mark.parametrize("codec", ["gzip", "zstd", "snappy", "xz", "bz2"])
def test_corrupt_archive_is_an_error(codec):
    blob = bytearray(COMPRESS[codec](text(400_000)))
    for i in range(40, 80):
        blob[i] ^= 0x55
    f = Decompressed(lambda: io.BytesIO(bytes(blob)), codec, "/data/t.csv")
    with pytest.raises(SourceError, match="corrupt or truncated"):
        f.read()


def test_unknown_codec():
    with pytest.raises(NotBuiltError, match="lz4 compressed data files are not supported"):
        Decompressed(lambda: io.BytesIO(b""), "lz4", "/data/t.sql.lz4")


def test_snappy_chunk_crc_is_checked():
    data = text(200_000)
    blob = bytearray(COMPRESS["snappy"](data))
    blob[10 + 4] ^= 1  # the first data chunk's CRC (after the 10-byte stream identifier and its header)
    f = Decompressed(lambda: io.BytesIO(bytes(blob)), "snappy", "/data/t.sql.snappy")
    with pytest.raises(SourceError, match="CRC-32C"):
        f.read()

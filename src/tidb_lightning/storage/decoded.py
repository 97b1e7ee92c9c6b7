"""Data files decoded while streaming: decompressed (gzip, zstd, snappy framed as Dumpling
writes it, and beyond upstream bzip2 and xz), then converted to UTF-8 from
`mydumper.data-character-set` (:mod:`storage.charset`).

A chunk's offsets in such a file are offsets in its *decoded* text (that is what the parsers
and the checkpoints see).  Seeking forward decodes and drops; seeking back within the last
WINDOW bytes read is served from memory (the CSV path reads ahead, then steps back to where
LOAD DATA's scanner stopped); further back starts again from the file's head.  A corrupt or
truncated archive is an error naming the file and the decoded offset.
"""
from __future__ import annotations

import bz2
import lzma
import zlib
from collections import deque
from typing import BinaryIO, Callable

from tidb_lightning.errors import NotBuiltError, SourceError
from tidb_lightning.storage.charset import Transcoder

RAW_READ = 256 * 1024   # compressed bytes per read: bounds one read's output for sane ratios
WINDOW = 16 * 1024 * 1024


class _Frames:
    """zlib/bz2/lzma/zstd decompressors, one per concatenated stream (gzip members, zstd frames)."""

    def __init__(self, new: Callable) -> None:
        self.new = new
        self.obj = new()
        self.started = False

    def feed(self, data: bytes) -> bytes:
        out = []
        while data:
            self.started = True
            out.append(self.obj.decompress(data))
            if not self.obj.eof:
                break
            data = self.obj.unused_data
            self.obj = self.new()
            self.started = False
        return b"".join(out)

    def finish(self) -> bytes:
        if self.started and not self.obj.eof:
            raise EOFError("the data ends inside a compressed stream")
        return b""


class _Snappy:
    """The snappy framing format: chunks of (type, 3-byte length) + body; a data chunk's body
    starts with the masked CRC-32C of its uncompressed bytes, checked here."""

    def __init__(self) -> None:
        import cramjam
        import crc32c
        self.raw = cramjam.snappy.decompress_raw
        self.crc = crc32c.crc32c
        self.pending = b""

    def _checked(self, crc: bytes, data: bytes) -> bytes:
        c = self.crc(data)
        if ((((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF) != int.from_bytes(crc, "little"):
            raise ValueError("a snappy chunk fails its CRC-32C check")
        return data

    def feed(self, data: bytes) -> bytes:
        buf = self.pending + data
        out, i = [], 0
        while len(buf) - i >= 4:
            kind, n = buf[i], int.from_bytes(buf[i + 1:i + 4], "little")
            if len(buf) - i - 4 < n:
                break
            body = buf[i + 4:i + 4 + n]
            if kind == 0x00:
                out.append(self._checked(body[:4], bytes(self.raw(body[4:]))))
            elif kind == 0x01:
                out.append(self._checked(body[:4], body[4:]))
            elif kind == 0xFF:
                if body != b"sNaPpY":
                    raise ValueError("not a snappy framed stream")
            elif kind < 0x80:
                raise ValueError(f"unknown snappy chunk type {kind:#x}")
            i += 4 + n
        self.pending = buf[i:]
        return b"".join(out)

    def finish(self) -> bytes:
        if self.pending:
            raise EOFError("the data ends inside a snappy chunk")
        return b""


def _zstd():
    import zstandard
    return zstandard.ZstdDecompressor().decompressobj()


DECOMPRESSORS: dict[str, Callable] = {
    "gzip": lambda: _Frames(lambda: zlib.decompressobj(32 + zlib.MAX_WBITS)),
    "zstd": lambda: _Frames(_zstd),
    "bz2": lambda: _Frames(bz2.BZ2Decompressor),
    "xz": lambda: _Frames(lambda: lzma.LZMADecompressor(lzma.FORMAT_AUTO)),
    "snappy": _Snappy,
}


class Decoded:
    """A read-only, seekable view of the decoded text of one file: `stages` are (name,
    decoder factory), applied in order; a decoder has feed(bytes) -> bytes and, at the end,
    finish() -> the bytes it still held (raising if the data ended too early)."""

    def __init__(self, open_raw: Callable[[], BinaryIO], stages: list[tuple[str, Callable]],
                 display: str) -> None:
        self.open_raw, self.stages, self.display = open_raw, stages, display
        self.raw = None
        self._restart()

    def _restart(self) -> None:
        if self.raw is not None:
            self.raw.close()
        self.raw = self.open_raw()
        self.decoders = [(name, make()) for name, make in self.stages]
        self.end = 0            # decompressed bytes produced so far
        self.pos = 0            # where the next read() starts
        self.eof = False
        self.hist: deque = deque()  # (start, bytes) of the last WINDOW bytes produced
        self.kept = 0

    def _produce(self) -> bytes:
        """The next decoded bytes (b"" at the end)."""
        while not self.eof:
            data = self.raw.read(RAW_READ)
            if not data:
                self.eof = True
            for name, decoder in self.decoders:
                try:
                    if self.eof:  # what the stage still holds
                        data = (decoder.feed(data) if data else b"") + decoder.finish()
                    elif data:
                        data = decoder.feed(data)
                except SourceError:
                    raise
                except Exception as e:  # noqa: BLE001 - each codec raises its own kinds
                    raise SourceError(f"{self.display}: the {name} data is corrupt or truncated (after "
                                      f"{self.end} bytes of decoded data): {e}; re-create or re-download "
                                      f"the file") from None
            if data:
                self.hist.append((self.end, data))
                self.end += len(data)
                self.kept += len(data)
                while self.kept - len(self.hist[0][1]) >= WINDOW:
                    self.kept -= len(self.hist.popleft()[1])
                return data
        return b""

    def read(self, n: int = -1) -> bytes:
        parts, want = [], n if n >= 0 else 1 << 62
        while want > 0:
            if self.pos < self.end:
                piece = self._from_history(want)
            else:
                if not self._produce():
                    break
                continue
            parts.append(piece)
            want -= len(piece)
            self.pos += len(piece)
        return b"".join(parts)

    def _from_history(self, want: int) -> bytes:
        for start, data in reversed(self.hist):
            if start <= self.pos < start + len(data):
                return data[self.pos - start:self.pos - start + want]
        raise AssertionError("decompressed history lost")  # pragma: no cover - pos >= window start

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence != 0:
            raise OSError("only absolute seeks in a compressed file")
        if offset < (self.hist[0][0] if self.hist else self.end):
            self._restart()  # before the window: decompress again from the head
        while self.end < offset and self._produce():
            pass
        self.pos = min(offset, self.end)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def raw_tell(self) -> int:
        """Compressed bytes read so far (progress of a compressed chunk)."""
        return self.raw.tell()

    def close(self) -> None:
        if self.raw is not None:
            self.raw.close()

    def __enter__(self) -> "Decoded":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def decoding_stages(compression: str, charset: str, replace: str, display: str) -> list[tuple[str, Callable]]:
    """The stages that turn a file's bytes into the text the parsers read."""
    stages = []
    if compression:
        if compression not in DECOMPRESSORS:
            raise NotBuiltError(f"{display}: {compression} compressed data files are not supported; "
                                f"decompress the file first")
        stages.append((compression, DECOMPRESSORS[compression]))
    if charset != "binary":
        stages.append((charset, lambda: Transcoder(charset, replace, display)))
    return stages

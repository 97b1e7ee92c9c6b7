"""Compressed data files, decompressed while streaming: gzip, zstd, snappy (framed, as Dumpling
writes it), and beyond upstream bzip2 and xz.

A chunk's offsets in a compressed file are offsets in its *decompressed* text (that is what
the parsers and the checkpoints see).  Seeking forward decompresses and drops; seeking back
within the last WINDOW bytes read is served from memory (the CSV path reads ahead, then steps
back to where LOAD DATA's scanner stopped); further back starts again from the file's head.
A corrupt or truncated archive is an error naming the file and the decompressed offset.
"""
from __future__ import annotations

import bz2
import lzma
import zlib
from collections import deque
from typing import BinaryIO, Callable

from tidb_lightning.errors import NotBuiltError, SourceError

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

    def finish(self) -> None:
        if self.started and not self.obj.eof:
            raise EOFError("the data ends inside a compressed stream")


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

    def finish(self) -> None:
        if self.pending:
            raise EOFError("the data ends inside a snappy chunk")


def _zstd():
    import zstandard
    return zstandard.ZstdDecompressor().decompressobj()


DECODERS: dict[str, Callable] = {
    "gzip": lambda: _Frames(lambda: zlib.decompressobj(32 + zlib.MAX_WBITS)),
    "zstd": lambda: _Frames(_zstd),
    "bz2": lambda: _Frames(bz2.BZ2Decompressor),
    "xz": lambda: _Frames(lambda: lzma.LZMADecompressor(lzma.FORMAT_AUTO)),
    "snappy": _Snappy,
}


class Decompressed:
    """A read-only, seekable view of the decompressed text of one file."""

    def __init__(self, open_raw: Callable[[], BinaryIO], compression: str, display: str) -> None:
        if compression not in DECODERS:
            raise NotBuiltError(f"{display}: {compression} compressed data files are not supported; "
                                f"decompress the file first")
        self.open_raw, self.compression, self.display = open_raw, compression, display
        self.raw = None
        self._restart()

    def _restart(self) -> None:
        if self.raw is not None:
            self.raw.close()
        self.raw = self.open_raw()
        self.decoder = DECODERS[self.compression]()
        self.end = 0            # decompressed bytes produced so far
        self.pos = 0            # where the next read() starts
        self.eof = False
        self.hist: deque = deque()  # (start, bytes) of the last WINDOW bytes produced
        self.kept = 0

    def _produce(self) -> bytes:
        """The next decompressed bytes (b"" at the end)."""
        while not self.eof:
            raw = self.raw.read(RAW_READ)
            try:
                if not raw:
                    self.eof = True
                    self.decoder.finish()
                    return b""
                out = self.decoder.feed(raw)
            except SourceError:
                raise
            except Exception as e:  # noqa: BLE001 - each codec raises its own kinds
                raise SourceError(f"{self.display}: the {self.compression} data is corrupt or truncated "
                                  f"(after {self.end} bytes of decompressed data): {e}; re-create or "
                                  f"re-download the file") from None
            if out:
                self.hist.append((self.end, out))
                self.end += len(out)
                self.kept += len(out)
                while self.kept - len(self.hist[0][1]) >= WINDOW:
                    self.kept -= len(self.hist.popleft()[1])
                return out
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

    def __enter__(self) -> "Decompressed":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

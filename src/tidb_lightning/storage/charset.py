"""Data files in another character set (`mydumper.data-character-set`), converted to UTF-8
while streaming, before any parsing: in GBK/GB18030 the second byte of a character can be a
backslash or a quote, which only the converted text can be scanned safely for.

`utf8mb4`/`utf8`, `gb18030`, `gbk`, `latin1` (MySQL's: cp1252, with the five bytes cp1252
leaves undefined as the C1 controls), `ascii`: a byte sequence that is not valid there is
replaced by `data-invalid-char-replace` (upstream's default U+FFFD), and the first one is
logged with its offset.  `auto` (ours): UTF-8 if the file's first MiB is, else GB18030; a
byte sequence invalid in the one chosen is an error naming the file and offset.
The decoding loop is the codecs' C code; Python runs only for an invalid sequence.
"""
from __future__ import annotations

import codecs
import logging

from tidb_lightning.errors import SourceError

log = logging.getLogger(__name__)

ENCODINGS = {"utf8": "utf-8", "utf8mb4": "utf-8", "gb18030": "gb18030", "gbk": "gbk",
             "latin1": "cp1252", "ascii": "ascii"}
SNIFF = 1 << 20


def _c1_controls(e: UnicodeDecodeError):
    """MySQL's latin1 maps the bytes cp1252 leaves undefined to the C1 controls."""
    return "".join(chr(b) for b in e.object[e.start:e.end]), e.end


codecs.register_error("lightning-latin1", _c1_controls)


class Transcoder:
    """feed(bytes) -> UTF-8 bytes; finish() -> the rest (see storage.decoded)."""

    def __init__(self, charset: str, replace: str, display: str) -> None:
        self.charset, self.replace, self.display = charset, replace, display
        self.decoder = None if charset == "auto" else self._decoder(ENCODINGS[charset])
        self.sniffed = b""
        self.done = 0  # input bytes decoded so far
        self.replaced = 0

    def _decoder(self, encoding: str):
        if self.charset == "auto":
            errors = "strict"
        elif encoding == "cp1252":
            errors = "lightning-latin1"
        else:
            name = f"lightning-replace-{id(self)}"
            codecs.register_error(name, self._replaced)
            errors = name
        return codecs.getincrementaldecoder(encoding)(errors)

    def _replaced(self, e: UnicodeDecodeError):
        if not self.replaced:
            log.warning("%s: bytes at offset %d are not valid %s: replaced by %r "
                        "(`mydumper.data-invalid-char-replace`), and every other such sequence too",
                        self.display, self.done + e.start, self.charset, self.replace)
        self.replaced += 1
        return self.replace, e.end

    def feed(self, data: bytes) -> bytes:
        if self.decoder is None:  # auto: decide on the first MiB
            self.sniffed += data
            if len(self.sniffed) < SNIFF:
                return b""
            data, self.sniffed = self.sniffed, b""
            self._choose(data)
        return self._decode(data, False)

    def finish(self) -> bytes:
        data = b""
        if self.decoder is None:
            data, self.sniffed = self.sniffed, b""
            self._choose(data)
        return self._decode(data, True)

    def _choose(self, head: bytes) -> None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "gb18030"
        log.info("%s: data-character-set auto: read as %s", self.display, encoding)
        self.decoder = self._decoder(encoding)

    def _decode(self, data: bytes, final: bool) -> bytes:
        try:
            text = self.decoder.decode(data, final)
        except UnicodeDecodeError as e:
            raise SourceError(f"{self.display}: the bytes at offset {self.done + e.start} are not valid "
                              f"{e.encoding} (data-character-set = \"auto\" chose it from the file's "
                              f"start); set `mydumper.data-character-set` to the file's character set") from None
        self.done += len(data)
        return text.encode("utf-8", "surrogateescape")

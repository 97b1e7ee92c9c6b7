"""S3 (and S3-compatible) storage for data sources: `-d s3://bucket/prefix?...`.

Upstream's URL parameters: `endpoint`, `region`, `access-key`, `secret-access-key`,
`session-token`, `force-path-style`, `provider` (accepted; every S3-compatible provider is
spoken to the same way here).  Without keys the usual AWS chain applies (environment
variables, shared credentials file, instance role).  Files are read with ranged GETs through
s3fs, a read-ahead block at a time; at most `io-concurrency` requests run at once across
all readers.  Listing pages through any number of objects.

The secret key never appears in a message: :func:`redact` is what logs and checkpoints see.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import BinaryIO, Iterator
from urllib.parse import parse_qs, urlsplit

from tidb_lightning.errors import SourceError
from tidb_lightning.storage.decoded import Decoded, decoding_stages
from tidb_lightning.storage.local import FileInfo

log = logging.getLogger(__name__)

BLOCK = 8 * 1024 * 1024  # bytes per ranged GET (s3fs read-ahead)
_SECRET = re.compile(r"((?:secret-access-key|session-token)=)[^&]*", re.I)


def redact(url: str) -> str:
    """`url` with its secret key and session token replaced by `******`."""
    return _SECRET.sub(r"\1******", url)


class _Bounded:
    """A file object whose reads take a slot of `io-concurrency`."""

    def __init__(self, f, slots: threading.Semaphore, describe: str) -> None:
        self.f, self.slots, self.describe = f, slots, describe

    def read(self, n: int = -1) -> bytes:
        with self.slots:
            try:
                return self.f.read(n)
            except Exception as e:  # noqa: BLE001 - botocore/aiohttp raise many kinds
                raise SourceError(f"reading {self.describe} failed: {type(e).__name__}: {e}") from None

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.f.seek(offset, whence)

    def tell(self) -> int:
        return self.f.tell()

    def close(self) -> None:
        self.f.close()

    def __enter__(self) -> "_Bounded":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class S3Storage:
    def __init__(self, url: str, io_concurrency: int = 5) -> None:
        import s3fs
        parts = urlsplit(url)
        if not parts.netloc:
            raise SourceError(f"{redact(url)}: no bucket in the S3 URL (s3://bucket/prefix)")
        q = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.url = redact(url)
        client: dict = {}
        if q.get("endpoint"):
            client["endpoint_url"] = q["endpoint"]
        if q.get("region"):
            client["region_name"] = q["region"]
        style = "path" if q.get("force-path-style", "true").lower() in ("true", "1") else "auto"
        self.fs = s3fs.S3FileSystem(
            key=q.get("access-key") or None, secret=q.get("secret-access-key") or None,
            token=q.get("session-token") or None, client_kwargs=client,
            config_kwargs={"s3": {"addressing_style": style}, "retries": {"max_attempts": 5}},
            use_listings_cache=False, default_block_size=BLOCK)
        self.slots = threading.Semaphore(max(1, io_concurrency))
        self.root = f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    def __repr__(self) -> str:
        return f"S3Storage({self.url!r})"

    def _fail(self, what: str, e: BaseException) -> SourceError:
        if isinstance(e, PermissionError) or "AccessDenied" in str(e) or "InvalidAccessKeyId" in str(e) \
                or "SignatureDoesNotMatch" in str(e):
            hint = ("the credentials were refused: check `access-key` / `secret-access-key` in the URL, "
                    "or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables")
        elif isinstance(e, FileNotFoundError):
            hint = "no such bucket or object: check the URL"
        else:
            hint = "check the URL's `endpoint` and `region`, and that the server is reachable"
        return SourceError(f"{what} {self.describe('')} failed: {type(e).__name__}: {e}; {hint}")

    def walk(self) -> Iterator[FileInfo]:
        """Every object under the prefix, sorted by path (the local walk's order)."""
        try:
            found = self.fs.find(self.root, detail=True)
        except Exception as e:  # noqa: BLE001 - botocore/aiohttp raise many kinds
            raise self._fail("listing", e) from None
        base = len(self.root) + 1
        for path in sorted(found, key=lambda p: p.split("/")):
            info = found[path]
            if info.get("type") == "directory" or path.endswith("/"):
                continue
            yield FileInfo(path[base:], int(info.get("size") or 0))

    def open(self, path: str, compression: str = "", charset: str = "binary",
             replace: str = "\ufffd") -> BinaryIO:
        """`path` (relative to the prefix) for seekable reading, decoded as LocalStorage.open."""
        key = f"{self.root}/{path}"
        shown = self.describe(path)

        def raw():
            try:
                return _Bounded(self.fs.open(key, "rb", block_size=BLOCK, cache_type="readahead"),
                                self.slots, shown)
            except Exception as e:  # noqa: BLE001
                raise self._fail(f"opening {shown}:", e) from None
        stages = decoding_stages(compression, charset, replace, shown)
        return Decoded(raw, stages, shown) if stages else raw()

    def read_bytes(self, path: str) -> bytes:
        with self.open(path) as f:
            return f.read()

    def describe(self, path: str) -> str:
        return f"s3://{self.root}/{path}" if path else f"s3://{self.root}"

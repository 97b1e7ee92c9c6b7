"""Local-disk storage for data sources.

This module is the only place that touches the file system for *source* files.
Everything above it (router, loader, parsers) sees '/'-separated paths relative to
the source root, so a remote storage (S3, later) can slot in behind the same shape:

* :meth:`LocalStorage.walk` lists the whole tree in a deterministic order;
* :meth:`LocalStorage.open` / :meth:`LocalStorage.read_bytes` read one file;
* :meth:`LocalStorage.describe` turns a relative path into what users should see.

Symlinks are followed, both to files (upstream test ``lightning_source_linkfile``)
and to directories.  A directory reached twice (a loop, or two links to the same
place) is listed only the first time, so no file is reported under two names.
"""
from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from tidb_lightning.errors import SourceError
from tidb_lightning.storage.decoded import Decoded, decoding_stages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileInfo:
    """One file of the source: ``path`` relative to the root, '/'-separated; ``size`` in bytes."""

    path: str
    size: int


class LocalStorage:
    """A directory on the local file system, read-only.

    Thread-safe: it holds no open handles; every :meth:`open` returns a new file object
    owned by the caller.
    """

    def __init__(self, root: str) -> None:
        if not root:
            raise SourceError("data source directory is not set; set mydumper.data-source-dir")
        abs_root = os.path.abspath(os.path.expanduser(root))
        if not os.path.exists(abs_root):
            raise SourceError(
                f"data source directory {abs_root} does not exist; check mydumper.data-source-dir"
            )
        if not os.path.isdir(abs_root):
            raise SourceError(
                f"data source {abs_root} is not a directory; mydumper.data-source-dir must name a directory"
            )
        self.root = abs_root

    def __repr__(self) -> str:
        return f"LocalStorage({self.root!r})"

    # -- listing -----------------------------------------------------------------

    def walk(self) -> Iterator[FileInfo]:
        """Yield every regular file under the root (symlinks followed), in a fixed order.

        The order is that of a depth-first walk visiting the entries of each directory
        sorted by name (Go's ``filepath.Walk`` order); equivalently, paths are sorted by
        their list of components.  Broken symlinks and special files are skipped with a
        warning.  A directory already visited (same device and inode) is skipped, which
        breaks symlink loops.
        """
        try:
            root_st = os.stat(self.root)
        except OSError as exc:
            raise SourceError(f"cannot read data source directory {self.root}: {exc}") from exc
        visited: set[tuple[int, int]] = {(root_st.st_dev, root_st.st_ino)}
        yield from self._walk_dir(self.root, "", visited)

    def _walk_dir(self, abs_dir: str, rel_dir: str, visited: set[tuple[int, int]]) -> Iterator[FileInfo]:
        try:
            names = sorted(os.listdir(abs_dir))
        except OSError as exc:
            raise SourceError(f"cannot list directory {abs_dir}: {exc}; check its permissions") from exc
        for name in names:
            abs_path = os.path.join(abs_dir, name)
            rel_path = f"{rel_dir}/{name}" if rel_dir else name
            try:
                st = os.stat(abs_path)  # follows symlinks
            except OSError as exc:
                log.warning("skipping unreadable source entry %s: %s", abs_path, exc)
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in visited:
                    log.warning(
                        "skipping %s: directory already listed (symlink loop or duplicate link)", abs_path
                    )
                    continue
                visited.add(key)
                yield from self._walk_dir(abs_path, rel_path, visited)
            elif stat.S_ISREG(st.st_mode):
                yield FileInfo(rel_path, st.st_size)
            else:
                log.warning("skipping %s: not a regular file", abs_path)

    # -- reading -----------------------------------------------------------------

    def _abs(self, path: str) -> str:
        if os.path.isabs(path):
            raise SourceError(f"source path {path!r} must be relative to {self.root}")
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts):
            raise SourceError(f"source path {path!r} leaves the data source directory {self.root}")
        return os.path.join(self.root, *parts)

    def open(self, path: str, compression: str = "", charset: str = "binary",
             replace: str = "\ufffd") -> BinaryIO:
        """Open ``path`` (relative to the root) for seekable binary reading: decompressed when
        `compression` names a codec, converted to UTF-8 from `charset` unless it is "binary"
        (see :mod:`storage.decoded`).

        The caller owns (and must close) the returned file object.
        """
        abs_path = self._abs(path)

        def raw() -> BinaryIO:
            try:
                return open(abs_path, "rb")  # noqa: SIM115 - ownership passes to the caller
            except OSError as exc:
                raise SourceError(f"cannot open source file {abs_path}: {exc}") from exc
        stages = decoding_stages(compression, charset, replace, abs_path)
        return Decoded(raw, stages, abs_path) if stages else raw()

    def read_bytes(self, path: str) -> bytes:
        """Return the whole content of ``path`` (relative to the root)."""
        with self.open(path) as f:
            try:
                return f.read()
            except OSError as exc:
                raise SourceError(f"cannot read source file {self.describe(path)}: {exc}") from exc

    def describe(self, path: str) -> str:
        """The absolute path of ``path``, for messages shown to users."""
        if not path:
            return self.root
        return os.path.join(self.root, *path.split("/"))

"""Where source files come from: a local directory, or an S3 (compatible) bucket."""
from tidb_lightning.errors import SourceError
from tidb_lightning.storage.local import FileInfo, LocalStorage
from tidb_lightning.storage.s3 import redact

__all__ = ["FileInfo", "LocalStorage", "open_storage", "redact"]


def open_storage(url: str, io_concurrency: int = 5):
    """`mydumper.data-source-dir`: a path, `file://path`, or `s3://bucket/prefix?params`."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("", "file", "local"):
        return LocalStorage(url.split("://", 1)[1] if scheme else url)
    if scheme == "s3":
        from tidb_lightning.storage.s3 import S3Storage
        return S3Storage(url, io_concurrency)
    raise SourceError(f"data source {redact(url)}: the {scheme}:// storage is not supported "
                      f"(a local path, file:// or s3://)")

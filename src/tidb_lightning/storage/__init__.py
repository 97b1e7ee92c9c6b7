"""Where source files come from.  Only :mod:`.local` for now; S3 will follow the same shape."""
from tidb_lightning.storage.local import FileInfo, LocalStorage

__all__ = ["FileInfo", "LocalStorage"]

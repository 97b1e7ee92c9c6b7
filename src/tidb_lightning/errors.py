"""Exception tree.

Every error a user can see says *where* (file, byte offset, setting) and, when it can,
*what to do*.  ``retryable`` tells the restore loop whether trying again may help.
"""
from __future__ import annotations


class LightningError(Exception):
    """Base of all errors raised on purpose by tidb-lightning."""

    retryable = False


class ConfigError(LightningError):
    """A setting or flag is unknown, of the wrong type, or impossible."""


class NotBuiltError(ConfigError):
    """The setting asks for a feature this version does not implement yet."""


class SourceError(LightningError):
    """The data source is missing, unreadable or inconsistent (e.g. data without schema)."""


class DataSyntaxError(LightningError):
    """Malformed input data.  Always fatal: re-running cannot fix the file."""

    def __init__(self, path: str, offset: int, message: str) -> None:
        self.path = path
        self.offset = offset
        self.message = message
        super().__init__(f"syntax error in file {path} at offset {offset}: {message}")



class DataError(LightningError):
    """A row the target refused (e.g. duplicate key in `error` mode, bad value)."""

    code = 0  # the server's error number, when it gave one


class TargetError(LightningError):
    """The target database failed or refused us (connection, privileges, SQL error)."""

    code = 0  # the server's error number, when it gave one


class RetryableTargetError(TargetError):
    """Transient target failure: connection lost, lock wait timeout, deadlock."""

    retryable = True

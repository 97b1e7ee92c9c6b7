"""The store used when `checkpoint.enable = false`: keeps nothing."""
from __future__ import annotations

from tidb_lightning.errors import ConfigError

from .model import ChunkCheckpoint, TableCheckpoint, TaskCheckpoint

DISABLED = ("checkpoints are disabled (`checkpoint.enable = false`), so there is nothing to "
            "remove, ignore, destroy or dump; enable them in the task config to use this action")


class NullStore:
    description = "disabled"

    def task(self) -> TaskCheckpoint | None:
        return None

    def initialize(self, task: TaskCheckpoint) -> None:
        pass

    def tables(self) -> dict[str, TableCheckpoint]:
        return {}

    def insert_table(self, table_name: str, chunks: list[ChunkCheckpoint]) -> None:
        pass

    def insert_tables(self, tables: dict[str, list[ChunkCheckpoint]]) -> None:
        pass

    def set_status(self, table_name: str, status: int, error: str = "") -> None:
        pass

    def set_statuses(self, statuses: dict[str, int]) -> None:
        pass

    def remove(self, target: str) -> list[str]:
        raise ConfigError(DISABLED)

    def ignore_error(self, target: str) -> list[str]:
        raise ConfigError(DISABLED)

    def destroy_error(self, target: str) -> list[str]:
        raise ConfigError(DISABLED)

    def dump(self, folder: str) -> list[str]:
        raise ConfigError(DISABLED)

    def finish(self, keep_after_success: str) -> str:
        return "checkpoints are disabled: nothing to clean up"

    def close(self) -> None:
        pass

"""The target's real table structure, read back from the server after the schema step."""
from __future__ import annotations

from dataclasses import dataclass

from tidb_lightning.backend.db import text
from tidb_lightning.parse.schema import quote_ident


@dataclass(frozen=True)
class Column:
    name: str
    generated: bool
    data_type: str = ""      # information_schema DATA_TYPE, lower case: int, varchar, ...
    column_type: str = ""    # COLUMN_TYPE: int(10) unsigned, enum('a','b'), ...
    nullable: bool = True
    scale: int = 0           # DECIMAL scale / fractional-second precision
    length: int = 0          # CHARACTER_MAXIMUM_LENGTH (BINARY(n) pads to n)
    auto_increment: bool = False


@dataclass(frozen=True)
class TargetTable:
    schema: str
    name: str
    columns: tuple[Column, ...]

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def insertable(self) -> tuple[str, ...]:
        """Columns a row without a column list fills: all but generated ones."""
        return tuple(c.name for c in self.columns if not c.generated)

    @property
    def has_generated(self) -> bool:
        return any(c.generated for c in self.columns)

    def resolve(self, names: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Map source column names (case-insensitive) to target names; returns (known, unknown)."""
        by_lower = {c.name.lower(): c.name for c in self.columns}
        known, unknown = [], []
        for n in names:
            (known if n.lower() in by_lower else unknown).append(by_lower.get(n.lower(), n))
        return known, unknown


def fetch_tables(conn, schema: str) -> dict[str, TargetTable]:
    """Every base table of `schema`, keyed by name, with columns in table order.

    Two queries, not one join: MariaDB answers a join of two information_schema tables with
    a nested loop, 4 ms per table (40 s for 10,000 tables), while each alone takes 0.04 ms."""
    with conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                    "AND TABLE_TYPE <> 'BASE TABLE'", (schema,))
        others = {text(name) for name, in cur.fetchall()}
        cur.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, EXTRA, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, "
            "NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_MAXIMUM_LENGTH "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
            "ORDER BY TABLE_NAME, ORDINAL_POSITION", (schema,))
        cols: dict[str, list[Column]] = {}
        for table, column, extra, dtype, ctype, nullable, scale, fsp, length in cur.fetchall():
            if text(table) in others:
                continue
            extra = text(extra).upper()
            generated = "GENERATED" in extra or "VIRTUAL" in extra or "PERSISTENT" in extra
            cols.setdefault(text(table), []).append(Column(
                text(column), generated, text(dtype).lower(), text(ctype), text(nullable) == "YES",
                int(scale or fsp or 0), int(length or 0), "AUTO_INCREMENT" in extra))
    return {t: TargetTable(schema, t, tuple(c)) for t, c in cols.items()}


def target_key(table: TargetTable) -> str:
    """The checkpoint name of a table: `db`.`tbl`."""
    return table.qualified

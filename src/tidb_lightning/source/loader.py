"""Source loader: turn a storage tree into databases, tables, views and their files.

:func:`load_source` walks the storage, routes every file (:class:`~.router.FileRouter`),
drops what the table filter rejects and groups the rest.  The result is deterministic
for a given tree, so a resumed import sees the same tables and the same file order:

* databases sorted by name;
* tables of a database by total data size ascending, then name (small tables first, as
  upstream, so a big table does not hold the index workers while small ones wait);
* views by name;
* data files of a table by their sort key *as a string* (Dumpling pads numbers), then
  by path.

Names come from the file names (the router's captures); the names written inside the
files are ignored.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from tidb_lightning.errors import SourceError
from tidb_lightning.source.filter import TableFilter
from tidb_lightning.source.router import DATA_TYPES, FileRouter

__all__ = ["DataFile", "TableMeta", "ViewMeta", "DatabaseMeta", "load_source"]

log = logging.getLogger(__name__)

#: At most this many files are named in one error message; the rest are counted.
_MAX_LISTED = 100


@dataclass
class DataFile:
    """One data file of a table.  ``path`` is relative to the storage root."""

    path: str
    size: int
    type: str  # "sql" | "csv" | "parquet"
    key: str  # sort key ("" when the name has none)
    compression: str  # "" or a canonical name from router.COMPRESSIONS


@dataclass
class TableMeta:
    schema: str
    name: str
    schema_file: str | None  # None: no `-schema.sql` (only with no-schema)
    data_files: list[DataFile] = field(default_factory=list)
    total_size: int = 0


@dataclass
class ViewMeta:
    schema: str
    name: str
    schema_file: str


@dataclass
class DatabaseMeta:
    name: str
    schema_file: str | None  # None: create the database from its name
    tables: list[TableMeta] = field(default_factory=list)
    views: list[ViewMeta] = field(default_factory=list)


def _listing(lines: list[str]) -> str:
    shown = lines[:_MAX_LISTED]
    text = "".join(f"\n  {line}" for line in shown)
    if len(lines) > len(shown):
        text += f"\n  … and {len(lines) - len(shown)} more"
    return text


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def load_source(storage, router: FileRouter, table_filter: TableFilter, *, no_schema: bool) -> list[DatabaseMeta]:
    """Scan ``storage`` and return the databases to import, in a deterministic order.

    ``storage`` needs ``walk()`` (yielding objects with ``path`` and ``size``) and
    ``describe(path)``.  Raises :class:`SourceError` when the source is empty, when a
    file cannot be routed, when a table or database has two schema files, or (unless
    ``no_schema``) when data files have no table schema file - one error naming every
    such file.  A table schema without its ``-schema-create.sql`` is fine: the database
    is created from its name (``DatabaseMeta.schema_file`` is None).
    """
    files = list(storage.walk())
    if not files:
        raise SourceError(
            f"empty source dir: {storage.describe('')} contains no files; "
            f"check mydumper.data-source-dir"
        )

    db_schemas: dict[str, list[str]] = defaultdict(list)
    table_schemas: dict[tuple[str, str], list[str]] = defaultdict(list)
    view_schemas: dict[tuple[str, str], list[str]] = defaultdict(list)
    data: dict[tuple[str, str], list[DataFile]] = defaultdict(list)
    unnamed: list[str] = []

    for f in files:
        try:
            res = router.route(f.path)
        except SourceError as exc:
            raise SourceError(f"cannot route source file {storage.describe(f.path)}: {exc}") from None
        if res is None:
            log.debug("skipping %s: no file routing rule matches", f.path)
            continue
        if res.type == "ignore":
            log.debug("skipping %s: file routing rule says ignore", f.path)
            continue
        if not res.schema or (res.type != "schema-schema" and not res.table):
            unnamed.append(
                f"{storage.describe(f.path)} (routed to database {res.schema!r}, table {res.table!r})"
            )
            continue
        if res.type == "schema-schema":
            if not table_filter.match_schema(res.schema):
                log.debug("skipping %s: database %s excluded by the table filter", f.path, res.schema)
                continue
            db_schemas[res.schema].append(f.path)
            continue
        if not table_filter.match_table(res.schema, res.table):
            log.debug("skipping %s: table %s.%s excluded by the table filter", f.path, res.schema, res.table)
            continue
        key = (res.schema, res.table)
        if res.type == "table-schema":
            table_schemas[key].append(f.path)
        elif res.type == "view-schema":
            view_schemas[key].append(f.path)
        elif res.type in DATA_TYPES:
            data[key].append(DataFile(f.path, f.size, res.type, res.key, res.compression))
        else:  # pragma: no cover - the router only returns known types
            raise SourceError(f"unexpected file type {res.type!r} for {storage.describe(f.path)}")

    if unnamed:
        raise SourceError(
            "cannot tell the database or table of these files (a file routing rule gave an empty name):"
            + _listing(unnamed)
            + "\nrename them, or adjust [[mydumper.files]] rules"
        )

    duplicates: list[str] = []
    for name, paths in sorted(db_schemas.items()):
        if len(paths) > 1:
            duplicates.append(f"database {_quote(name)}: " + ", ".join(storage.describe(p) for p in paths))
    for kind, group in (("table", table_schemas), ("view", view_schemas)):
        for (db, tbl), paths in sorted(group.items()):
            if len(paths) > 1:
                duplicates.append(
                    f"{kind} {_quote(db)}.{_quote(tbl)}: " + ", ".join(storage.describe(p) for p in paths)
                )
    if duplicates:
        raise SourceError(
            "invalid schema files, duplicated items (one schema file per database, table and view):"
            + _listing(duplicates)
            + "\nremove the extra files, or exclude them with [[mydumper.files]] type = 'ignore'"
        )

    missing = sorted(key for key in data if key not in table_schemas)
    if missing and not no_schema:
        lines = []
        for db, tbl in missing:
            paths = sorted(d.path for d in data[(db, tbl)])
            lines.append(
                f"{_quote(db)}.{_quote(tbl)} (expected {db}.{tbl}-schema.sql): "
                + ", ".join(storage.describe(p) for p in paths)
            )
        raise SourceError(
            "data files without a table schema file:"
            + _listing(lines)
            + "\nadd the missing `{db}.{table}-schema.sql` files, or set mydumper.no-schema = true "
            "if the tables already exist in the target"
        )

    # ---- assemble ------------------------------------------------------------------
    db_names = (
        set(db_schemas)
        | {db for db, _ in table_schemas}
        | {db for db, _ in view_schemas}
        | {db for db, _ in data}
    )
    databases: dict[str, DatabaseMeta] = {
        name: DatabaseMeta(name, db_schemas[name][0] if name in db_schemas else None) for name in db_names
    }
    for key in set(table_schemas) | set(data):
        db, tbl = key
        files_of = sorted(data.get(key, []), key=lambda d: (d.key, d.path))
        schema_file = table_schemas[key][0] if key in table_schemas else None
        databases[db].tables.append(TableMeta(db, tbl, schema_file, files_of, sum(d.size for d in files_of)))
    for (db, name), paths in view_schemas.items():
        databases[db].views.append(ViewMeta(db, name, paths[0]))

    result = [databases[name] for name in sorted(databases)]
    for dbm in result:
        dbm.tables.sort(key=lambda t: (t.total_size, t.name))
        dbm.views.sort(key=lambda v: v.name)
        if dbm.schema_file is None and not no_schema:
            log.info("database %s has no -schema-create.sql; it will be created from its name", dbm.name)
    if not result:
        log.warning(
            "no database or table to import: %d files under %s, none matched the file rules and the table filter",
            len(files),
            storage.describe(""),
        )
    return result

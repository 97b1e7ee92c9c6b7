"""Table routes (`[[routes]]`): import source tables under other names, merging shards.

A rule with a `table-pattern` maps matching `schema.table` to `target-schema.target-table`
(an empty target table keeps the table's name); a rule without one maps a whole schema.
Patterns are wildcards (`*`, `?`, `[...]`), compared lower-cased unless
`mydumper.case-sensitive`.  As upstream's table router: a table rule wins over a schema
rule; among rules of one kind the first that matches, in the file's order.

Tables routed to the same target become one table: created once, from the first source
table's schema file, with the data files of all of them.  A source database left with no
table and no view is not created; a target database is created even without a
`-schema-create.sql` of its own.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from fnmatch import fnmatchcase

from tidb_lightning.source.loader import DatabaseMeta, TableMeta

log = logging.getLogger(__name__)


def route_of(rules, schema: str, table: str, case_sensitive: bool) -> tuple[str, str]:
    """The target (schema, table) of a source table."""
    s, t = (schema, table) if case_sensitive else (schema.lower(), table.lower())
    for rule in rules:
        if rule.table_pattern and fnmatchcase(s, rule.schema_pattern) and fnmatchcase(t, rule.table_pattern):
            return rule.target_schema or schema, rule.target_table or table
    for rule in rules:
        if not rule.table_pattern and fnmatchcase(s, rule.schema_pattern):
            return rule.target_schema or schema, table
    return schema, table


def apply_routes(dbs: list[DatabaseMeta], rules, case_sensitive: bool) -> list[DatabaseMeta]:
    """The databases and tables the import creates and fills, after the routes."""
    if not rules:
        return dbs
    out: dict[str, DatabaseMeta] = {}
    merged: dict[tuple[str, str], TableMeta] = {}
    emptied: set[str] = set()

    def database(name: str, schema_file: str | None = None) -> DatabaseMeta:
        d = out.get(name)
        if d is None:
            d = out[name] = DatabaseMeta(name, schema_file)
        elif d.schema_file is None and schema_file is not None:
            d.schema_file = schema_file
        return d

    for d in dbs:
        keeps = bool(d.views) or not d.tables
        for t in d.tables:
            schema, name = route_of(rules, t.schema, t.name, case_sensitive)
            if (schema, name) == (t.schema, t.name):
                keeps = True
            else:
                log.info("route: `%s`.`%s` -> `%s`.`%s`", t.schema, t.name, schema, name)
            into = merged.get((schema, name))
            if into is None:
                into = merged[(schema, name)] = replace(t, schema=schema, name=name, data_files=list(t.data_files))
                database(schema).tables.append(into)
            else:
                into.data_files.extend(t.data_files)
                into.total_size += t.total_size
                into.schema_file = into.schema_file or t.schema_file
        if keeps:
            db = database(d.name, d.schema_file)
            db.views.extend(d.views)
        else:
            emptied.add(d.name)
    for name in sorted(emptied - set(out)):
        log.info("route: database `%s` has no table left after the routes: not created", name)
    for d in out.values():  # the loader's order: small tables first
        d.tables.sort(key=lambda t: (t.total_size, t.name))
    return [out[name] for name in sorted(out)]

"""Source discovery: which files belong to which database and table.

* :mod:`.filter` - the table filter syntax (``mydumper.filter``, ``-f``, legacy
  ``[black-white-list]``);
* :mod:`.router` - file name -> (schema, table, type, key, compression);
* :mod:`.loader` - storage tree -> ordered :class:`DatabaseMeta` list.
"""
from tidb_lightning.source.filter import DEFAULT_FILTER, SYSTEM_SCHEMAS, TableFilter
from tidb_lightning.source.loader import DatabaseMeta, DataFile, TableMeta, ViewMeta, load_source
from tidb_lightning.source.router import COMPRESSIONS, FileRouter, FileType, RouteResult

__all__ = [
    "COMPRESSIONS",
    "DEFAULT_FILTER",
    "SYSTEM_SCHEMAS",
    "DataFile",
    "DatabaseMeta",
    "FileRouter",
    "FileType",
    "RouteResult",
    "TableFilter",
    "TableMeta",
    "ViewMeta",
    "load_source",
]

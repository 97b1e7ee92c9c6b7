"""Data-file parsers: SQL dumps (``sql``), CSV (``csv``) and schema files (``schema``)."""

"""tidb-lightning for Python: bulk-import SQL/CSV dumps into TiDB, MySQL and MariaDB."""

__version__ = "0.1.0"

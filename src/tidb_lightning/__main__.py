"""`python -m tidb_lightning` is the `tidb-lightning` command."""
from tidb_lightning.cli import main

raise SystemExit(main())

"""The optional compiled core (`_core.c`), or None when it is not built or
`TIDB_LIGHTNING_PURE_PYTHON=1` asks for the pure-Python twins (same results, slower)."""
from __future__ import annotations

import os

try:
    from tidb_lightning import _core as compiled
except ImportError:  # no C compiler, Python or zlib headers at install time
    compiled = None
if os.environ.get("TIDB_LIGHTNING_PURE_PYTHON"):
    compiled = None

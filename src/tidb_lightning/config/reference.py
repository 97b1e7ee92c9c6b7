"""Render the configuration reference (docs/configuration.md) from the model itself, so the
document cannot drift from the code: a test compares the two.

    python -m tidb_lightning.config.reference > docs/configuration.md
"""
from __future__ import annotations

import dataclasses
import json

from .load import NOT_BUILT
from .model import Config, toml_fields

HEADER = """# Configuration reference

Generated from `src/tidb_lightning/config/model.py` by
`python -m tidb_lightning.config.reference > docs/configuration.md` (a test checks it is current).
Keys and defaults follow upstream TiDB Lightning; sizes accept `"64KiB"`-style strings or bytes,
durations Go syntax (`"5m"`). An unknown key is an error. *Not built yet* marks keys that are
accepted but whose feature is still missing: setting them explicitly logs a warning saying so
(or fails, for backends other than `tidb` and `local`). `status-token` is ours (not upstream).
"""


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        value = f.default_factory()  # type: ignore[misc]
        if dataclasses.is_dataclass(value) or (isinstance(value, list) and value and
                                               dataclasses.is_dataclass(value[0])):
            return "(section)"
    else:
        return ""
    if value is None:
        return ""
    if isinstance(value, tuple):
        value = list(value)
    return "`" + json.dumps(value, ensure_ascii=False) + "`"


OURS = {"tikv-importer.server-import-mode": "ours (not upstream): `--backend local` switches the "
        "server's crash-safety settings off while importing, see the README",
        "tikv-importer.index-engine-min-size": "ours (not upstream): `--backend local` takes the secondary "
        "indexes off only for tables with at least this much source data, see the README"}


def _status(key: str) -> str:
    if key in OURS:
        return OURS[key]
    for entry in NOT_BUILT:
        if key == entry.prefix or key.startswith(entry.prefix + "."):
            return "not built yet"
    return ""


def _rows(cls: type, prefix: str, out: list[str]) -> None:
    nested = []
    for key, f in toml_fields(cls).items():
        kind = f.metadata.get("kind")
        if kind in ("section", "tables"):
            nested.append((key, f))
            continue
        dotted = f"{prefix}.{key}"
        out.append(f"| `{key}` | {_default(f)} | {_status(dotted)} |")
    for key, f in nested:
        title = f"[[{prefix}.{key}]]" if f.metadata["kind"] == "tables" else f"[{prefix}.{key}]"
        out += ["", f"### `{title}`" + (" — not built yet" if _status(f"{prefix}.{key}") else ""), "",
                "| key | default | status |", "| --- | --- | --- |"]
        _rows(f.metadata["cls"], f"{prefix}.{key}", out)


def render() -> str:
    out = [HEADER]
    for key, f in toml_fields(Config).items():
        title = f"[[{key}]]" if f.metadata["kind"] == "tables" else f"[{key}]"
        out += ["", f"## `{title}`" + (" — not built yet" if _status(key) else ""), "",
                "| key | default | status |", "| --- | --- | --- |"]
        _rows(f.metadata["cls"], key, out)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")

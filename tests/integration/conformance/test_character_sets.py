"""Conformance: upstream `lightning_character_sets` (see data/character_sets, EXPECTED.md).

`mydumper.character-set` decodes the schema files: GB18030, UTF-8 and a mixed file, under
`auto`, `gb18030`, `utf8mb4` and `binary`, in upstream's order.  Step 4 (`binary` on the
GB18030 schema) is TiDB-specific: MariaDB refuses the raw bytes as an identifier (errno
1300), so there the import must fail naming the schema file (EXPECTED.md's portable fact).
"""
from __future__ import annotations

from .harness import execute, expect, fails, fresh, ok

FOLDER = "character_sets"


def test_character_sets(importer, raw):
    fresh(raw, "charsets")

    def run(config: str, source: str):
        return importer(FOLDER, config=f"{config}.toml", data=source)

    def total(table: str, column: str, value: str) -> None:
        expect(raw, f"SELECT sum(`{column}`) AS s FROM charsets.{table}", {"s": value})

    ok(run("auto", "gb18030"))
    total("gb18030", "主键", "267")
    execute(raw, "DROP TABLE charsets.gb18030")
    ok(run("gb18030", "gb18030"))
    total("gb18030", "主键", "267")
    execute(raw, "DROP TABLE charsets.gb18030")
    fails(run("utf8mb4", "gb18030"), "charsets.gb18030-schema.sql", "utf-8")
    fails(run("binary", "gb18030"), "charsets.gb18030-schema.sql")  # step 4, MariaDB: errno 1300

    ok(run("auto", "utf8mb4"))
    total("utf8mb4", "主键", "1119")
    execute(raw, "DROP TABLE charsets.utf8mb4")
    ok(run("gb18030", "utf8mb4"))
    total("utf8mb4", "涓婚敭", "1119")
    execute(raw, "DROP TABLE charsets.utf8mb4")
    ok(run("utf8mb4", "utf8mb4"))
    total("utf8mb4", "主键", "1119")
    execute(raw, "DROP TABLE charsets.utf8mb4")
    ok(run("binary", "utf8mb4"))
    total("utf8mb4", "主键", "1119")

    for config in ("auto", "gb18030", "utf8mb4"):
        fails(run(config, "mixed"), "charsets.mixed-schema.sql")
    ok(run("binary", "mixed"))
    total("mixed", "唯一键", "5291")

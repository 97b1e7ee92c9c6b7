"""A GB18030 dump (schema, SQL and CSV data; characters whose second byte is a backslash or
a quote) imports into utf8mb4 tables with `data-character-set = "gb18030"` or `"auto"`,
through both backends, with the rows and the checksum of the same dump in UTF-8."""
from __future__ import annotations

import pytest

from .conftest import query

SLASHED = next(chr(c) for c in range(0x4E00, 0x9FFF) if chr(c).encode("gb18030").endswith(b"\\"))
QUOTED = next(chr(c) for c in range(0x4E00, 0x9FFF) if chr(c).encode("gb18030").endswith(b"`"))
WORDS = [f"{SLASHED}字", "注释", f"x{QUOTED}y", "naïve", "中文" * 20, "€ 5"]


def write_dump(d, encoding: str):
    d.mkdir()
    (d / "gb-schema-create.sql").write_bytes("CREATE DATABASE `gb`;\n".encode(encoding))
    for t in ("s", "c"):
        (d / f"gb.{t}-schema.sql").write_bytes(
            f"CREATE TABLE `{t}` (`id` int PRIMARY KEY, `v` varchar(64) COMMENT '注释') "
            f"DEFAULT CHARSET=utf8mb4;\n".encode(encoding))
    rows = [(i, WORDS[i % len(WORDS)]) for i in range(300)]
    sql = "INSERT INTO `s` VALUES\n" + ",\n".join(
        f"({i},'{w.replace(chr(92), chr(92) * 2)}')" for i, w in rows) + ";\n"
    (d / "gb.s.000000000.sql").write_bytes(sql.encode(encoding))
    csv = "id,v\n" + "".join(f'{i},"{w.replace(chr(92), chr(92) * 2)}"\n' for i, w in rows)
    (d / "gb.c.000000000.csv").write_bytes(csv.encode(encoding))
    return d, rows


@pytest.mark.parametrize("backend", ["tidb", "local"])
@pytest.mark.parametrize("charset", ["gb18030", "auto"])
def test_gb18030_dump(lightning, db, tmp_path, backend, charset):
    db.cursor().execute("DROP DATABASE IF EXISTS gb")
    d, rows = write_dump(tmp_path / "d", "gb18030")
    task = tmp_path / "task.toml"
    task.write_text(f'[mydumper]\ndata-character-set = "{charset}"\n')
    run = lightning(d, backend=backend, config=task)
    assert run.code == 0, run.output
    for t in ("s", "c"):
        got = query(db, f"SELECT id, v FROM gb.{t} ORDER BY id")
        assert [(i, v) for i, v in got] == rows, t
    assert [x for x in run.stdout.splitlines() if x.startswith("`gb`.")] and \
        all(x.endswith("passed") for x in run.stdout.splitlines() if x.startswith("`gb`."))
    assert query(db, "SELECT column_comment FROM information_schema.columns WHERE table_schema = 'gb' "
                     "AND table_name = 's' AND column_name = 'v'") == [("注释",)]


def test_without_the_setting_gb18030_bytes_are_refused(lightning, db, tmp_path):
    """The default `binary` sends the bytes as they are: MariaDB refuses them for utf8mb4."""
    db.cursor().execute("DROP DATABASE IF EXISTS gb")
    d, _ = write_dump(tmp_path / "d", "gb18030")
    task = tmp_path / "task.toml"
    task.write_text("[tidb]\nsql-mode = \"STRICT_TRANS_TABLES\"\n")
    run = lightning(d, config=task)
    assert run.code == 1 and "Incorrect string value" in run.output

"""The compiled core's dump scanner ends every run of row tuples exactly where the regex
grammar of parse/sql.py does (its pure-Python twin), on random and mutated input."""
from __future__ import annotations

import random

import pytest

from tidb_lightning.core import compiled
from tidb_lightning.parse.sql import _GRAMMARS

pytestmark = pytest.mark.skipif(compiled is None, reason="the compiled core is not built")

PIECES = [b"1", b"-2.5", b"NULL", b"'a'", b"'it''s'", b"'x\\'y'", b"'\\\\'", b'"dq"', b'"a""b"',
          b"'(,)'", b"f(1,'a')", b"CONCAT('a',\"b\")", b"0x1f", b"' '", b"'\\n'", b"_binary 'x'"]
JOINS = [b",", b", ", b",\n", b" ,\n ", b"\t,\t"]


def random_text(rnd: random.Random) -> bytes:
    rows = [b"(" + b",".join(rnd.choice(PIECES) for _ in range(rnd.randrange(0, 5))) + b")"
            for _ in range(rnd.randrange(1, 6))]
    text = b"".join(r + (rnd.choice(JOINS) if i < len(rows) - 1 else b"") for i, r in enumerate(rows))
    text += rnd.choice([b"", b";", b",", b", (", b" x"])
    for _ in range(rnd.randrange(0, 3)):  # bytes that break quoting and nesting
        i = rnd.randrange(len(text) + 1)
        text = text[:i] + bytes([rnd.choice(b"'\"()\\,; \n")]) + text[i:]
    return text


@pytest.mark.parametrize("backslash", [True, False])
def test_rows_end_matches_the_regex_grammar(backslash):
    rnd = random.Random(1 if backslash else 2)
    g = _GRAMMARS[backslash]
    found = 0
    for _ in range(20000):
        text = random_text(rnd)
        for pos in (0, 1):
            for limit in (len(text), rnd.randrange(len(text) + 1)):
                for one, pattern in ((False, g.rows), (True, g.row)):
                    m = pattern.match(text, pos, limit)
                    want = -1 if m is None else m.end()
                    assert compiled.rows_end(text, pos, limit, backslash, one) == want, (text, pos, limit, one)
                    found += want > 0
    assert found > 20000

"""A table's phases as the import moves it along, and the summary a script reads."""
from __future__ import annotations

import io

from rich.console import Console

from tidb_lightning.display import print_summary, render
from tidb_lightning.restore.progress import Progress, TablePhase, TaskPhase


def two_tables() -> Progress:
    p = Progress()
    p.add_table("`d`.`a`", 100, chunks=2)
    p.add_table("`d`.`b`", 50, chunks=1)
    return p


def test_a_table_goes_from_pending_through_import_and_post_restore_to_done():
    p = two_tables()
    a = p.tables["`d`.`a`"]
    assert a.phase is TablePhase.PENDING and p.in_flight() == []
    p.chunk_started("`d`.`a`")
    started = a.started
    p.chunk_started("`d`.`a`")  # its second chunk: still the same import, same clock
    assert a.phase is TablePhase.IMPORT and a.started == started and p.in_flight() == [a]
    p.record("`d`.`a`", nbytes=100, rows=7, duplicates=0, warnings=0)
    assert not p.chunk_done("`d`.`a`", ("a.1.sql", 0)) and a.phase is TablePhase.IMPORT
    assert p.chunk_done("`d`.`a`", ("a.2.sql", 0)) and a.phase is TablePhase.IMPORTED
    assert a.done_chunks == {("a.1.sql", 0), ("a.2.sql", 0)}
    for step in ("auto-inc", "checksum", "analyze"):
        p.table_phase("`d`.`a`", TablePhase(step))
        assert a.phase == step and p.in_flight() == [a] and a.took() is None
    p.table_phase("`d`.`a`", TablePhase.DONE)
    assert p.in_flight() == [] and p.tables_done == 1 and a.took() >= 0
    assert p.totals() == (100, 150, 7)


def test_a_failed_table_stays_in_flight_and_is_not_counted_done():
    p = two_tables()
    p.chunk_started("`d`.`b`")
    p.table_phase("`d`.`b`", TablePhase.FAILED)
    assert [t.phase for t in p.in_flight()] == [TablePhase.FAILED] and p.tables_done == 0


def test_a_table_only_resumed_for_its_post_restore_steps_is_not_counted():
    p = two_tables()
    p.table_phase("`d`.`other`", TablePhase.CHECKSUM)
    assert "`d`.`other`" not in p.tables


def test_the_display_shows_the_phase_the_counts_and_the_tables_in_flight():
    p = two_tables()
    p.enter(TaskPhase.IMPORT)
    p.chunk_started("`d`.`a`")
    p.record("`d`.`a`", nbytes=50, rows=3, duplicates=0, warnings=0)
    out = io.StringIO()
    Console(file=out, width=120).print(render(p))
    shown = out.getvalue()
    assert shown.startswith("import tables 0/2 done  rows 3  50 bytes/150 bytes")
    assert "ETA" in shown and "33.3%" in shown
    assert "`d`.`a`" in shown and "50.0% rows 3  import" in shown and "`d`.`b`" not in shown


def test_the_plain_summary_has_a_time_column_before_the_checksum():
    p = two_tables()
    for name in p.tables:
        p.chunk_started(name)
        p.table_phase(name, TablePhase.DONE)
    p.tables["`d`.`a`"].checksum = "passed"
    out = io.StringIO()
    print_summary(p, out)
    header, a, b = (line.split() for line in out.getvalue().splitlines())
    assert header == ["table", "rows", "bytes", "dups", "warnings", "skipped", "time", "checksum"]
    assert a[:6] == ["`d`.`a`", "0", "0", "0", "0", "0"] and a[6].endswith("s") and a[7] == "passed"
    assert b[7] == "-"
    out = io.StringIO()
    print_summary(Progress(), out)
    assert out.getvalue() == "no tables to import\n"

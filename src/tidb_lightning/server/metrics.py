"""Prometheus metrics (upstream's names, namespace `lightning`), read from the import's
progress counters at scrape time: nothing is counted twice and the hot path pays nothing."""
from __future__ import annotations

from typing import Callable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from tidb_lightning.restore.progress import Progress


class ProgressCollector(Collector):
    def __init__(self, progress: Callable[[], Progress | None]) -> None:
        self.progress = progress  # the import shown (server mode: the task running, or the last)

    def collect(self):
        progress = self.progress()
        if progress is None:
            return
        tables = list(progress.tables.values())
        t = CounterMetricFamily("lightning_tables", "tables by state and result", labels=["state", "result"])
        done = [x for x in tables if x.chunks_done == x.chunks_total]
        t.add_metric(["pending", "success"], len(tables))
        t.add_metric(["written", "success"], len(done))
        t.add_metric(["completed", "success"], sum(1 for x in done if x.checksum in ("passed", "off", "skipped")))
        t.add_metric(["completed", "failure"], sum(1 for x in done if x.checksum == "mismatch"))
        yield t
        c = CounterMetricFamily("lightning_chunks", "chunks by state", labels=["state"])
        c.add_metric(["estimated"], sum(x.chunks_total for x in tables))
        c.add_metric(["finished"], sum(x.chunks_done for x in tables))
        yield c
        b = CounterMetricFamily("lightning_bytes", "source bytes", labels=["state"])
        b.add_metric(["total_restore"], sum(x.total_bytes for x in tables))
        b.add_metric(["restored"], sum(x.bytes for x in tables))
        yield b
        r = CounterMetricFamily("lightning_rows", "rows", labels=["state", "table"])
        for x in tables:
            r.add_metric(["restored", x.name], x.rows)
            if x.skipped:
                r.add_metric(["skipped", x.name], x.skipped)
        yield r
        for name, hist, doc in (
                ("lightning_import_seconds", progress.timings.table, "a table's data import, first chunk to last"),
                ("lightning_row_encode_seconds", progress.timings.encode, "reading and encoding a batch of rows"),
                ("lightning_block_deliver_seconds", progress.timings.deliver, "sending and committing a batch")):
            buckets, total = hist.snapshot()
            h = HistogramMetricFamily(name, doc)
            h.add_metric([], buckets, total)
            yield h
        g = GaugeMetricFamily("lightning_import_elapsed_seconds", "seconds since the import started (ours)")
        g.add_metric([], progress.elapsed())
        yield g


def registry_for(progress: Callable[[], Progress | None]) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(ProgressCollector(progress))
    return reg

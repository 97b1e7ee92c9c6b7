"""Duration histograms for `/metrics` (upstream's lightning_import_seconds,
lightning_row_encode_seconds, lightning_block_deliver_seconds): observed once per batch or per
table, never per row, so the import pays two clock reads a batch."""
from __future__ import annotations

import bisect
import threading

#: upper bounds in seconds: 1 ms to ~17 min, x sqrt(10) apart (upstream: exponential buckets)
BUCKETS = tuple(round(0.001 * 10 ** (i / 2), 6) for i in range(13))


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)  # the last: above every bound
        self.sum = 0.0
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        i = bisect.bisect_left(BUCKETS, seconds)
        with self._lock:
            self.counts[i] += 1
            self.sum += seconds

    def snapshot(self) -> tuple[list[tuple[str, int]], float]:
        """Cumulative (bound, count) pairs ending with +Inf, and the sum (Prometheus' shape)."""
        with self._lock:
            counts, total = list(self.counts), self.sum
        out, acc = [], 0
        for bound, n in zip([*map(str, BUCKETS), "+Inf"], counts):
            acc += n
            out.append((bound, acc))
        return out, total


class Timings:
    def __init__(self) -> None:
        self.encode = Histogram()  # reading and encoding one batch (upstream: per row)
        self.deliver = Histogram()  # sending one batch and committing it
        self.table = Histogram()  # one table's data, first chunk start to last chunk done

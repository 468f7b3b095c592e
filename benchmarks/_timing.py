"""Small timing helpers shared by the benchmark scripts."""

import time


def best_of(fn, repeats=5):
    """Best wall time of ``fn()`` over ``repeats`` calls (seconds) and the last return value."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out

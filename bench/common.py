"""Timing helpers: medians of interleaved runs after a warm-up, percentiles."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def side_by_side(
    fns: dict[str, Callable[[], object]], rounds: int = 5, block: int = 5, settle: float = 0.5
) -> dict[str, float]:
    """Median seconds of each function, measured in alternating blocks: ``rounds`` × (each function ×
    (pause ``settle`` s, 1 untimed + ``block`` timed calls)).

    Alternating puts every contender under the same drifting conditions of a shared machine. The pause
    and the untimed call keep one library from paying for another: on two cores the thread pools of the
    previous contender (PyTorch's OpenMP threads, XLA's Eigen pool) keep spinning for a while after its
    last call.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(settle)
            fn()
            for _ in range(block):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

"""What the cost model of :mod:`engine.network.work` means in seconds on this machine (issue 14 §1).

For a few networks from the smallest to the largest allowed, times the engine's steps alone (a chunk's
:meth:`~engine.network.training.Chunk.advance`) and a chunk's statistics (``finish``), and divides the
multiply-adds :mod:`engine.network.work` counts for them by the time: the rate that turns
``MAX_TRAIN_WORK`` (POST /train's limit) and ``SLICE_WORK`` (a live chunk's slice) into seconds.

``python -m bench.training_work``; compiles one bucket per network first (a minute from an empty cache).
"""

from __future__ import annotations

import json
import statistics
import time

import jax
import numpy as np

from engine.network import work
from engine.network.datasets import make_dataset, split
from engine.network.training import Progress, init_training, make_data, make_values, train_chunk
from engine.network.training_config import NetworkConfig

# (hidden, activation, batch norm, batch size, dataset size (half for validation), steps timed)
NETWORKS = [
    ((5,) * 5, "tanh", False, 32, 1000, 200),
    ((32,) * 10, "tanh", False, 1000, 2000, 50),
    ((256,) * 2, "relu", False, 1000, 2000, 20),
    ((256,) * 20, "relu", True, 1000, 2000, 4),
]


def measure(hidden, activation, batch_norm, batch, n, steps, repeats=5) -> dict:
    X, y = make_dataset("circles", n=n, noise=0.1, seed=0)
    X_train, y_train, X_val, y_val = split(X, y, 0.5, seed=0)
    config = NetworkConfig(
        hidden=hidden, activation=activation, batch_norm=batch_norm, optimizer="momentum", batch_size=batch,
        steps_per_chunk=steps,
    )  # fmt: skip
    values = make_values(config, {"learning_rate": 0.01, "momentum": 0.9})
    data = make_data(config, X_train, y_train, X_val, y_val)
    state = init_training(config, values, data, jax.random.key(0))
    chunk = train_chunk(config)
    step_times, stats_times = [], []
    for i in range(repeats + 1):
        start = time.perf_counter()
        state, progress = chunk.advance(state, values, data, Progress.start(), steps)
        jax.block_until_ready(state)
        middle = time.perf_counter()
        chunk.finish(state, values, data, progress)
        end = time.perf_counter()
        if i:  # the first compiles
            step_times.append((middle - start) / steps)
            stats_times.append(end - middle)
    step_s, stats_s = statistics.median(step_times), statistics.median(stats_times)
    step_work = work.step_work(config)
    stats_work = work.statistics_work(config, 2 * len(data.X_train))
    return {
        "network": f"{len(hidden)} x {hidden[0]} {activation}{' + BN' if batch_norm else ''}, batch {batch}",
        "step_ms": round(1e3 * step_s, 2),
        "stats_ms": round(1e3 * stats_s, 1),
        "step_gmacs": round(step_work / step_s / 1e9, 2),
        "stats_gmacs": round(stats_work / stats_s / 1e9, 2),
    }


def main() -> list[dict]:
    rows = []
    for network in NETWORKS:
        rows.append(measure(*network))
        print(json.dumps(rows[-1]), flush=True)
    rates = [r["step_gmacs"] for r in rows[1:]]
    print(f"steps of the larger networks: {np.min(rates)}-{np.max(rates)} G multiply-adds/s", flush=True)
    return rows


if __name__ == "__main__":
    main()

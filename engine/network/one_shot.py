"""One-shot training (``POST /api/v1/train``): whole chunks of :mod:`engine.network.training` until the
step count, a divergence, a time budget or a stop, with the per-chunk history."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np

from engine.network.training import (
    DIVERGENCE_REASONS,
    ChunkStats,
    NetworkConfig,
    TrainState,
    TrainValues,
    batches_per_epoch,
    init_training,
    make_data,
    train_chunk,
)

MAX_STEPS = 100_000


class History(NamedTuple):
    """Per-chunk history of :func:`train` (NumPy), the final state and the last chunk's stats."""

    step: np.ndarray
    epoch: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    grad_mean_abs: np.ndarray  # (chunks, layers)
    diverged_at: int | None
    reason: str
    state: TrainState
    last: ChunkStats

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per chunk."""
        names = ("step", "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "grad_mean_abs")
        return [{k: getattr(self, k)[i].tolist() for k in names} for i in range(len(self.step))]


def train(
    config: NetworkConfig,
    values: TrainValues,
    X_train,
    y_train,
    X_val=None,
    y_val=None,
    *,
    steps: int | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    max_steps: int = MAX_STEPS,
    time_budget: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> History:
    """One-shot training for ``steps`` updates or ``epochs`` epochs, rounded up to whole chunks.

    Initial parameters are drawn with ``jax.random.key(seed)`` (default ``values.seed``); minibatch
    orders and dropout masks follow ``values.seed``. Stops after the chunk in which the run diverges.
    Raises ``ValueError`` unless ``1 <= steps <= max_steps`` (before rounding up). With ``time_budget``
    (seconds) it also stops after the first chunk that ends past the budget, and when ``should_stop()``
    says so (e.g. its client went away); ``History.step`` says where.
    """
    data = make_data(config, X_train, y_train, X_val, y_val)
    nb = batches_per_epoch(config, int(data.n_train))
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps and epochs")
    total = int(steps if steps is not None else epochs * nb)
    if not 1 <= total <= max_steps:
        raise ValueError(f"the number of steps must be in [1, {max_steps}], got {total}")
    key = jax.random.key(int(values.seed) if seed is None else seed)
    state = init_training(config, values, data, key)
    run = train_chunk(config)
    rows: list[ChunkStats] = []
    deadline = None if time_budget is None else time.monotonic() + time_budget
    for _ in range(-(-total // config.steps_per_chunk)):
        if rows and ((deadline is not None and time.monotonic() > deadline) or (should_stop and should_stop())):
            break
        state, chunk = run(state, values, data)
        rows.append(chunk)
        if rows[-1].diverged:
            break
    last = rows[-1]
    return History(
        step=np.array([r.step for r in rows]),
        epoch=np.array([r.epoch for r in rows]),
        train_loss=np.array([r.train_loss for r in rows]),
        train_accuracy=np.array([r.train_accuracy for r in rows]),
        val_loss=np.array([r.val_loss for r in rows]),
        val_accuracy=np.array([r.val_accuracy for r in rows]),
        grad_mean_abs=np.stack([r.layers.grad_abs_mean for r in rows]),
        diverged_at=int(last.diverged_at) if last.diverged else None,
        reason=DIVERGENCE_REASONS[int(last.reason)],
        state=state,
        last=last,
    )

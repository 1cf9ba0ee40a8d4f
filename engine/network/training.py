r"""MLP training with live per-layer statistics: one jitted ``lax.scan`` per chunk of steps.

Static vs traced. A :class:`NetworkConfig` (architecture, optimizer id, batch size, chunk length,
histogram bins, grid size) selects a compiled function. :class:`TrainValues` (optimizer
hyperparameters, schedule, clipping, dropout rate, ``l1``, ``l2``, max-norm, activation parameters,
batch-norm momentum, seed) are float32/int32 arrays: changing them between chunks never recompiles
and takes effect at the next step.

Step :math:`t` (0-based) on minibatch :math:`B_t`, with :math:`R` the penalty of
:func:`engine.network.mlp.weight_penalty`:

.. math::
    \epsilon_t = \text{schedule}(t), \qquad
    g = \nabla_\theta \Big[\tfrac{1}{|B_t|}\textstyle\sum_{i \in B_t} \ell(f_\theta(x_i), y_i)
      + R(\theta)\Big]_{\theta\ (\text{Nesterov rules: } \theta + \alpha v)},

.. math::
    \tilde g = \text{clip}(g), \qquad
    \theta \leftarrow \Pi_\text{max-norm}\big(\theta + \text{rule}_{\epsilon_t}(\tilde g)\big)

The rule is the catalog's (:mod:`engine.optimizers`), rebuilt each step with the scheduled
:math:`\epsilon_t` and applied to the whole parameter pytree; clipping by norm uses the *global* norm
over all parameters. Reduce-on-plateau watches the minibatch objective.

Minibatches: ``batch_size`` samples (1 .. ``n_train``) in a fixed shape. Each epoch visits the training
set in a new order, a permutation keyed by ``(seed, epoch)``, in ``n_train // batch_size`` batches; the
last partial batch is **dropped** (different samples each epoch). Full batch skips the shuffle.

Statistics: :mod:`engine.network.training_stats`, computed in the same jitted call after the chunk's last step.

Divergence: a step whose minibatch loss, gradient norm or new parameters are not finite, or that
moves a parameter outside :math:`|\theta| \le 10^6`, is not applied; the run is frozen from then on
and the stats say ``diverged`` with the step. No NaN or Inf leaves :func:`train_chunk`.
"""

from __future__ import annotations

import functools
import time
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine import modifiers, schedules
from engine.network import inits, mlp
from engine.network.training_config import (
    NetworkConfig,
    TrainData,
    TrainState,
    TrainValues,
    batches_per_epoch,
    check_labels,
    make_data,
    make_values,
    objective,
    prng_key,
    static_config,
)
from engine.network.training_stats import ChunkStats, LayerStats, StepTrace, chunk_stats, histogram_edges
from engine.optimizers import OPTIMIZERS
from engine.rules import momentum_lookahead

__all__ = [
    "ChunkStats",
    "History",
    "LayerStats",
    "NetworkConfig",
    "TrainData",
    "TrainState",
    "TrainValues",
    "batches_per_epoch",
    "clip_updates",
    "evaluate",
    "histogram_edges",
    "init_training",
    "make_data",
    "make_values",
    "train",
    "train_chunk",
]

Array = jax.Array

MAX_STEPS = 100_000
BOUND = 1e6
DIVERGENCE_REASONS = (
    "",
    "the loss, the gradient or the parameters became NaN or infinite",
    "a parameter left the region |θ| ≤ 1e6",
)


def clip_updates(updates: optax.Updates, c: modifiers.ClipArrays) -> optax.Updates:
    r"""Clipping of a whole gradient pytree, selected by the traced mode (none, value, global norm).

    .. math::
        \text{value: } \operatorname{clip}(g, -c, c), \qquad
        \text{norm: } g \cdot \min\!\big(1, c / \lVert g \rVert\big),\
        \lVert g \rVert^2 = \textstyle\sum_\text{leaves} \lVert g_\ell \rVert^2

    (``optax.clip`` and ``optax.clip_by_global_norm``; Keras' ``clipvalue`` / ``global_clipnorm``.)
    """
    empty = optax.EmptyState()
    by_value, _ = optax.clip(c.threshold).update(updates, empty)
    by_norm, _ = optax.clip_by_global_norm(c.threshold).update(updates, empty)
    mode = jnp.asarray(c.mode, jnp.int32)
    return jax.tree.map(lambda g, v, n: jax.lax.select_n(mode, g, v, n), updates, by_value, by_norm)


def init_training(config: NetworkConfig, values: TrainValues, X_train, y_train, key: Array) -> TrainState:
    """Fresh parameters from ``config.init`` (drawn with ``key``) and the optimizer state at step 0."""
    X_train = jnp.asarray(X_train, jnp.float32)
    n_train = int(X_train.shape[0])
    batches_per_epoch(config, n_train)
    check_labels(config, y_train)
    init_params = inits.resolve_params(config.init, dict(config.init_params))
    out_dim = mlp.output_dim(config.num_classes)
    params = mlp.init_mlp(key, X_train.shape[1], config.hidden, out_dim, config.init, init_params, config.batch_norm)
    spec = OPTIMIZERS[config.optimizer]
    opt_state = spec.factory(**{k: jnp.asarray(v) for k, v in values.hyperparameters.items()}).init(params)
    return TrainState(
        params=params,
        bn_state=mlp.init_bn_state(config.hidden),
        opt_state=opt_state,
        plateau=schedules.init_plateau(jnp.float32(jnp.inf)),
        order=jnp.arange(n_train, dtype=jnp.int32),
        step=jnp.zeros((), jnp.int32),
        update_norm=jnp.zeros((len(params),), jnp.float32),
        alive=jnp.ones((), jnp.bool_),
        diverged_at=jnp.full((), -1, jnp.int32),
        reason=jnp.zeros((), jnp.int32),
    )


def _minibatch(config: NetworkConfig, state: TrainState, values: TrainValues, data: TrainData):
    """The order of the current epoch (a new permutation at each epoch start) and batch ``t mod nb``."""
    n_train, bs = data.X_train.shape[0], config.batch_size
    if bs == n_train:
        return state.order, data.X_train, data.y_train
    nb = n_train // bs
    epoch, b = state.step // nb, state.step % nb
    key = jax.random.fold_in(prng_key(values.seed), 2 * epoch)
    order = jax.lax.cond(b == 0, lambda: jax.random.permutation(key, n_train).astype(jnp.int32), lambda: state.order)
    idx = jax.lax.dynamic_slice(order, (b * bs,), (bs,))
    return order, data.X_train[idx], data.y_train[idx]


def _train_step(config: NetworkConfig, state: TrainState, values: TrainValues, data: TrainData):
    """One guarded update; returns the new state and its :class:`StepTrace`."""
    spec = OPTIMIZERS[config.optimizer]
    t = state.step
    order, xb, yb = _minibatch(config, state, values, data)
    lr = schedules.scheduled_rate(t, values.hyperparameters["learning_rate"], values.schedule) * state.plateau.scale
    hyper = {**values.hyperparameters, "learning_rate": lr}
    point = state.params
    if spec.lookahead:
        point = momentum_lookahead(state.params, state.opt_state, hyper[spec.lookahead])
    dropout_key = jax.random.fold_in(prng_key(values.seed), 2 * t + 1)  # odd: disjoint from the epoch keys
    fn = functools.partial(objective, config, values)
    (loss, aux), grads = jax.value_and_grad(fn, has_aux=True)(
        point, state.bn_state, xb, yb, dropout_key, values.dropout
    )
    grad_abs_mean = jnp.stack([jnp.mean(jnp.abs(g["W"])) for g in grads])  # before clipping: the backprop signal
    grads = clip_updates(grads, values.clip)
    updates, opt_state = spec.factory(**hyper).update(grads, state.opt_state, state.params)
    params = mlp.max_norm(optax.apply_updates(state.params, updates), values.max_norm)

    leaves = jax.tree.leaves(params)
    finite = jnp.isfinite(loss) & jnp.isfinite(optax.tree.norm(grads))
    finite &= jnp.all(jnp.stack([jnp.all(jnp.isfinite(p)) for p in leaves]))
    keep = state.alive & finite & jnp.all(jnp.stack([jnp.all(jnp.abs(p) <= BOUND) for p in leaves]))
    diverging = state.alive & ~keep
    update_norm = jnp.stack(
        [jnp.linalg.norm(new["W"] - old["W"]) for new, old in zip(params, state.params, strict=True)]
    )
    candidate, current = (params, aux["bn_state"], opt_state), (state.params, state.bn_state, state.opt_state)
    params, bn_state, opt_state = jax.tree.map(lambda a, b: jnp.where(keep, a, b), candidate, current)
    new = TrainState(
        params=params,
        bn_state=bn_state,
        opt_state=opt_state,
        plateau=schedules.update_plateau(state.plateau, loss, values.schedule, active=keep),
        order=order,
        step=jnp.where(keep, t + 1, t),
        update_norm=jnp.where(keep, update_norm, state.update_norm),
        alive=keep,
        diverged_at=jnp.where(diverging, t + 1, state.diverged_at),
        reason=jnp.where(diverging, jnp.where(finite, 2, 1), state.reason),
    )
    return new, StepTrace(jnp.where(keep, loss, 0.0), lr, jnp.where(keep, grad_abs_mean, 0.0), keep)


@functools.cache
def _compiled(config: NetworkConfig, length: int):
    def run(state: TrainState, values: TrainValues, data: TrainData):
        batches_per_epoch(config, data.X_train.shape[0])  # trace-time check of the batch size
        step = functools.partial(_train_step, config, values=values, data=data)
        state, steps = jax.lax.scan(lambda s, _: step(s), state, length=length)
        return state, chunk_stats(config, state, values, data, steps)

    return jax.jit(run)


def train_chunk(config: NetworkConfig):
    """Jitted ``fn(state, values, data) -> (state, ChunkStats)`` running ``config.steps_per_chunk`` steps."""
    return _compiled(static_config(config), config.steps_per_chunk)


def evaluate(config: NetworkConfig):
    """Jitted ``fn(state, values, data) -> (state, ChunkStats)`` with no step (e.g. the view at step 0)."""
    return _compiled(static_config(config), 0)


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
) -> History:
    """One-shot training for ``steps`` updates or ``epochs`` epochs, rounded up to whole chunks.

    Initial parameters are drawn with ``jax.random.key(seed)`` (default ``values.seed``); minibatch
    orders and dropout masks follow ``values.seed``. Stops after the chunk in which the run diverges.
    Raises ``ValueError`` unless ``1 <= steps <= max_steps`` (before rounding up). With ``time_budget``
    (seconds) it also stops after the first chunk that ends past the budget; ``History.step`` says where.
    """
    data = make_data(config, X_train, y_train, X_val, y_val)
    nb = batches_per_epoch(config, len(data.y_train))
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps and epochs")
    total = int(steps if steps is not None else epochs * nb)
    if not 1 <= total <= max_steps:
        raise ValueError(f"the number of steps must be in [1, {max_steps}], got {total}")
    key = jax.random.key(int(values.seed) if seed is None else seed)
    state = init_training(config, values, data.X_train, data.y_train, key)
    run = train_chunk(config)
    rows: list[ChunkStats] = []
    deadline = None if time_budget is None else time.monotonic() + time_budget
    for _ in range(-(-total // config.steps_per_chunk)):
        if deadline is not None and rows and time.monotonic() > deadline:
            break
        state, chunk = run(state, values, data)
        rows.append(jax.device_get(chunk))
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

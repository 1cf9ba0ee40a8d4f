r"""MLP training with live per-layer statistics: one jitted loop of steps per chunk, then the statistics.

Static vs traced. Only a network's width bucket and batch bucket select the compiled training
program (the chunk length is a traced count), and its width bucket, sample bucket, histogram bins
and grid size the statistics program (:mod:`engine.network.buckets`). The architecture itself
(depth, widths, activation, batch norm, residual connections, classes) is an
:class:`~engine.network.mlp.Arch` of arrays, the optimizer a traced index
(:mod:`engine.network.optimizer_switch`), and :class:`TrainValues` (hyperparameters, schedule,
clipping, dropout rate, ``l1``, ``l2``, max-norm, activation parameter, batch-norm momentum, seed,
batch size) are float32/int32 arrays: changing any of them never recompiles, and
values take effect at the next step.

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

Minibatches: ``batch_size`` samples (1 .. ``n_train``), padded to the batch bucket with mask 0. Each
epoch visits the training set in a new order, keyed by ``(seed, epoch)`` (the argsort of uniform
keys, padding last), in ``n_train // batch_size`` batches; the last partial batch is **dropped**
(different samples each epoch). Full batch skips the shuffle.

Statistics: :mod:`engine.network.training_stats`, computed by a second compiled program after the chunk's
last step (queued behind it, no host round trip).

Divergence: a step whose minibatch loss, gradient norm or new parameters are not finite, or that
moves a parameter outside :math:`|\theta| \le 10^6`, is not applied; the run is frozen from then on
and the stats say ``diverged`` with the step. No NaN or Inf leaves :func:`train_chunk`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine import cache, modifiers, schedules
from engine.network import buckets, inits, mlp, optimizer_switch
from engine.network.training_config import (
    NetworkConfig,
    TrainData,
    TrainState,
    TrainValues,
    arch,
    batches_per_epoch,
    check_labels,
    make_data,
    make_values,
    objective,
    prng_key,
    program_key,
)
from engine.network.training_stats import (
    ChunkStats,
    LayerStats,
    StepTrace,
    chunk_stats,
    histogram_edges,
    per_slot,
    trim,
    weight_counts,
)

__all__ = [
    "ChunkStats",
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
    "train_chunk",
]

Array = jax.Array

RELEASE_SHARE = 0.8  # of the memory budget or vm.max_map_count: see engine.cache
CHUNK_CAPACITY = 200  # updates per call of the steps program (a longer chunk takes several calls)
BOUND = 1e6
ORDER_LENGTH = buckets.MAX_SAMPLES + buckets.BATCHES[-1]
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


# --- compiled programs: one per bucket, shared by every architecture in it ---------------------------


@functools.cache
def _init_program(width: int):
    def init(key, coefficients, arch_: mlp.Arch, values: TrainValues) -> TrainState:
        params = mlp.init_params(key, width, coefficients, arch_)
        opt_state = optimizer_switch.init(values.optimizer, values.hyperparameters, params)
        return TrainState(
            params=params,
            bn_state=mlp.init_bn_state(width),
            opt_state=opt_state,
            plateau=schedules.init_plateau(jnp.float32(jnp.inf)),
            order=jnp.arange(ORDER_LENGTH, dtype=jnp.int32),
            step=jnp.zeros((), jnp.int32),
            update_norm=jnp.zeros((buckets.MAX_DEPTH + 1,), jnp.float32),
            alive=jnp.ones((), jnp.bool_),
            diverged_at=jnp.full((), -1, jnp.int32),
            reason=jnp.zeros((), jnp.int32),
        )

    return jax.jit(init)


def _epoch_order(key: Array, n_train: Array) -> Array:
    """A uniformly random order of samples ``0 .. n_train - 1`` (argsort of uniform keys), padding last."""
    keys = jax.random.uniform(key, (buckets.MAX_SAMPLES,))
    keys = jnp.where(jnp.arange(buckets.MAX_SAMPLES) < n_train, keys, 2.0)
    order = jnp.argsort(keys).astype(jnp.int32)
    return jnp.concatenate([order, jnp.zeros((ORDER_LENGTH - buckets.MAX_SAMPLES,), jnp.int32)])


def _minibatch(batch: int, state: TrainState, values: TrainValues, pool: tuple[Array, Array, Array]):
    """The order of the current epoch (a new one at each epoch start) and batch ``t mod nb``, padded."""
    pool_X, pool_y, n_train = pool
    bs = values.batch_size
    nb = n_train // bs
    epoch, b = state.step // nb, state.step % nb
    key = jax.random.fold_in(prng_key(values.seed), 2 * epoch)
    shuffle = (b == 0) & (bs < n_train)
    order = jax.lax.cond(shuffle, lambda: _epoch_order(key, n_train), lambda: state.order)
    idx = jax.lax.dynamic_slice(order, (b * bs,), (batch,))
    mask = (jnp.arange(batch) < bs).astype(jnp.float32)
    return order, pool_X[idx], pool_y[idx], mask


def _train_step(batch: int, arch_: mlp.Arch, state: TrainState, values: TrainValues, pool):
    """One guarded update; returns the new state and its :class:`StepTrace`."""
    masks = mlp.param_masks(arch_)
    t = state.step
    order, xb, yb, mask = _minibatch(batch, state, values, pool)
    lr = schedules.scheduled_rate(t, values.hyperparameters["learning_rate"], values.schedule) * state.plateau.scale
    hyper = {**values.hyperparameters, "learning_rate": lr}
    point = optimizer_switch.gradient_point(values.optimizer, hyper, state.opt_state, state.params)
    dropout_key = jax.random.fold_in(prng_key(values.seed), 2 * t + 1)  # odd: disjoint from the epoch keys
    (loss, aux), grads = jax.value_and_grad(objective, argnums=2, has_aux=True)(
        arch_, values, point, state.bn_state, xb, yb, mask, dropout_key, values.dropout
    )
    grads = jax.tree.map(jnp.multiply, grads, masks)
    # before clipping: the backprop signal, per dense slot
    grad_abs_mean = per_slot(grads, lambda g: jnp.sum(jnp.abs(g), axis=(-2, -1))) / jnp.maximum(weight_counts(arch_), 1)
    grads = clip_updates(grads, values.clip)
    updates, opt_state = optimizer_switch.update(values.optimizer, hyper, grads, state.opt_state, state.params)
    updates = jax.tree.map(jnp.multiply, updates, masks)
    params = mlp.max_norm(optax.apply_updates(state.params, updates), values.max_norm)

    leaves = jax.tree.leaves(params)
    finite = jnp.isfinite(loss) & jnp.isfinite(optax.tree.norm(grads))
    finite &= jnp.all(jnp.stack([jnp.all(jnp.isfinite(p)) for p in leaves]))
    keep = state.alive & finite & jnp.all(jnp.stack([jnp.all(jnp.abs(p) <= BOUND) for p in leaves]))
    diverging = state.alive & ~keep
    change = jax.tree.map(jnp.subtract, params, state.params)
    update_norm = per_slot(change, lambda w: jnp.linalg.norm(w, axis=(-2, -1)))
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
def _steps_program(batch: int):
    """Up to :data:`CHUNK_CAPACITY` guarded updates, as many as the traced ``count``; returns the state
    and the chunk's :class:`StepTrace` (per-step entries in the first ``count`` of ``CHUNK_CAPACITY``
    slots, gradients summed). The chunk length is traced, so a new one never compiles. (The width
    bucket is the shape of the state: ``jax.jit`` keeps one executable per bucket.)"""

    def run(state: TrainState, arch_: mlp.Arch, values: TrainValues, pool, count):
        step = functools.partial(_train_step, batch, arch_, values=values, pool=pool)

        def one(i, carry):
            state, losses, rates, grad_sum, applied = carry
            state, trace = step(state)
            losses, rates = losses.at[i].set(trace.loss), rates.at[i].set(trace.learning_rate)
            return state, losses, rates, grad_sum + trace.grad_abs_mean, applied + trace.applied

        empty = jnp.zeros((CHUNK_CAPACITY,), jnp.float32)
        start = (state, empty, empty, jnp.zeros((buckets.MAX_DEPTH + 1,), jnp.float32), jnp.zeros((), jnp.int32))
        state, losses, rates, grad_sum, applied = jax.lax.fori_loop(0, count, one, start)
        return state, StepTrace(losses, rates, grad_sum, applied)

    return jax.jit(run)


@functools.cache
def _stats_program(bins: int):
    def run(state: TrainState, arch_: mlp.Arch, values: TrainValues, data: TrainData, grad_sum, applied):
        steps = StepTrace(jnp.zeros((0,)), jnp.zeros((0,)), grad_sum[None], applied)
        return chunk_stats(bins, arch_, state, values, data, steps)

    return jax.jit(run)


# --- what callers use ----------------------------------------------------------------------------


def init_training(config: NetworkConfig, values: TrainValues, data: TrainData, key: Array) -> TrainState:
    """Fresh parameters from ``config.init`` (drawn with ``key``) and the optimizer state at step 0."""
    batches_per_epoch(config, int(data.n_train))
    arch_ = arch(config)
    fan_in, fan_out = mlp.fans(config.hidden, config.num_classes)
    coefficients = inits.init_coefficients(config.init, fan_in, fan_out, dict(config.init_params))
    program = _init_program(buckets.width_bucket(config.hidden))
    return program(key, coefficients, arch_, values)


class Progress(NamedTuple):
    """What a chunk's steps so far leave for its statistics: per-layer gradient sums, updates applied, and
    each call's ``(count, losses, learning rates)``."""

    steps: int
    grad_sum: np.ndarray
    applied: np.int32
    traces: tuple = ()

    @classmethod
    def start(cls) -> Progress:
        return cls(0, np.zeros(buckets.MAX_DEPTH + 1, np.float32), np.int32(0))


class Chunk:
    """``steps`` updates of one network and then its statistics: ``chunk(state, values, data) -> (state,
    ChunkStats)`` with the statistics on the host (NumPy), cut to the network's layers.

    A caller that must not hold a thread for long (a live session among a class's) runs the same chunk
    in slices: :meth:`advance` some steps at a time from :meth:`Progress.start`, then :meth:`finish`.
    The numbers are the same either way.
    """

    def __init__(self, config: NetworkConfig, steps: int):
        if cache.near_limit(RELEASE_SHARE):
            cache.release_compiled_programs()  # a pause for everyone (programs reload), not an XLA abort
        self.config, self.steps = config, steps
        self.arch = arch(config)
        self._key = program_key(config)
        self._stats = _stats_program(config.bins)

    def __call__(self, state: TrainState, values: TrainValues, data: TrainData) -> tuple[TrainState, ChunkStats]:
        state, progress = self.advance(state, values, data, Progress.start(), self.steps)
        return state, self.finish(state, values, data, progress)

    def advance(
        self, state: TrainState, values: TrainValues, data: TrainData, progress: Progress, count: int
    ) -> tuple[TrainState, Progress]:
        """``count`` more of the chunk's updates (at most the steps it has left)."""
        batches_per_epoch(self.config, int(data.n_train))
        check_labels(self.config, data.y_train)
        pool = (data.pool_X, data.pool_y, data.n_train)
        program = _steps_program(self._key.batch)
        count = min(count, self.steps - progress.steps)
        grad_sum, applied, traces = progress.grad_sum, progress.applied, list(progress.traces)
        for done in range(0, count, CHUNK_CAPACITY):
            n = min(CHUNK_CAPACITY, count - done)
            state, trace = program(state, self.arch, values, pool, np.int32(n))
            grad_sum, applied = grad_sum + trace.grad_abs_mean, applied + trace.applied
            traces.append((n, trace.loss, trace.learning_rate))
        return state, Progress(progress.steps + count, grad_sum, applied, tuple(traces))

    def finish(self, state: TrainState, values: TrainValues, data: TrainData, progress: Progress) -> ChunkStats:
        """The statistics after the chunk's last step, with every step's minibatch loss and learning rate."""
        chunk = jax.device_get(self._stats(state, self.arch, values, data, progress.grad_sum, progress.applied))
        traces = jax.device_get(progress.traces)
        chunk = chunk._replace(
            batch_loss=np.concatenate([np.zeros(0, np.float32), *(loss[:n] for n, loss, _ in traces)]),
            learning_rate=np.concatenate([np.zeros(0, np.float32), *(rate[:n] for n, _, rate in traces)]),
        )
        return trim(chunk, len(self.config.hidden))


def train_chunk(config: NetworkConfig) -> Chunk:
    """The chunk of ``config.steps_per_chunk`` steps."""
    return Chunk(config, config.steps_per_chunk)


def evaluate(config: NetworkConfig) -> Chunk:
    """Like :func:`train_chunk` with no step (e.g. the view at step 0)."""
    return Chunk(config, 0)


def bucket_warm_ups(steps_per_chunk: int, bins: int, grid_size: int, order=None):
    """``(label, run)`` pairs that compile each bucket's programs (every optimizer: the rule is traced):
    the ``(width, batch)`` buckets of ``order``, by default every one, smallest widths first.

    Each ``run`` trains one chunk of a one-layer network in that (width, batch) bucket on a training set
    of the batch's size, so the three sample buckets are covered too. Run them before any user needs
    them (in the background at start-up: they fill the persistent cache as well).
    """
    rng = np.random.default_rng(0)
    pairs = []
    for width, batch in order or [(w, b) for w in buckets.WIDTHS for b in buckets.BATCHES]:
        config = NetworkConfig(
            hidden=(width,), batch_size=batch, steps_per_chunk=steps_per_chunk, bins=bins, grid_size=grid_size
        )

        def run(config=config, n=batch):
            X = rng.normal(size=(n, 2)).astype(np.float32)
            values = make_values(config)
            data = make_data(config, X, (X[:, 0] > 0).astype(np.int32))
            state = init_training(config, values, data, jax.random.key(0))
            train_chunk(config)(state, values, data)

        pairs.append((f"width {width} batch {batch}", run))
    return pairs

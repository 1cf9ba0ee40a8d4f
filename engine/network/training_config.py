r"""What a network-lab training run is made of: its description, traced values, data and state.

:class:`NetworkConfig` describes a network and its training; only its *program key*
(:func:`program_key`: width bucket, batch bucket, histogram bins, grid size) selects a compiled
function, everything else becomes traced arrays (:class:`Arch`, :class:`TrainValues`,
:class:`TrainData`), NumPy float32/int32/bool so that no weak type ever triggers a retrace.
:func:`objective` and :func:`predict_logits` bind both to :mod:`engine.network.mlp`. The training
loop is :mod:`engine.network.training`, the live statistics :mod:`engine.network.training_stats`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine import modifiers, schedules
from engine.network import activations, buckets, inits, mlp, optimizer_switch
from engine.optimizers import OPTIMIZERS

Array = jax.Array

GRID_MARGIN = 0.1


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """A network and how it trains; only :func:`program_key` of it selects a compiled function.

    ``hidden`` are the hidden widths, ``init``/``init_params`` name the initialiser of
    :mod:`engine.network.inits` and its parameters, ``bins`` the histogram bins, ``grid_size`` the side G of the
    decision-boundary grid; ``steps_per_chunk`` updates run per call of :func:`engine.network.training.train_chunk`.
    """

    hidden: tuple[int, ...] = (8, 8)
    activation: str = "relu"
    residual: bool = False
    batch_norm: bool = False
    num_classes: int = 2
    optimizer: str = "adam"
    batch_size: int = 32
    steps_per_chunk: int = 50
    bins: int = 30
    grid_size: int = 40
    init: str = "he_normal"
    init_params: tuple[tuple[str, float], ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(w) for w in self.hidden))
        object.__setattr__(self, "init_params", tuple((str(k), float(v)) for k, v in self.init_params))
        activations.get_activation(self.activation)
        inits.get_init(self.init)
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError("need at least one hidden layer, each of width >= 1")
        optimizer_switch.optimizer_index(self.optimizer)  # ValueError for a rule a network cannot use
        if min(self.batch_size, self.steps_per_chunk, self.bins) < 1 or self.grid_size < 2:
            raise ValueError("batch_size, steps_per_chunk, bins must be >= 1 and grid_size >= 2")
        buckets.width_bucket(self.hidden)
        buckets.batch_bucket(self.batch_size)
        if not 2 <= self.num_classes <= buckets.MAX_CLASSES:
            raise ValueError(f"need 2..{buckets.MAX_CLASSES} classes")


class ProgramKey(NamedTuple):
    """What selects a compiled training program: the shape buckets and the statistics' static sizes (the
    optimizer is a traced index, :mod:`engine.network.optimizer_switch`)."""

    width: int
    batch: int
    bins: int
    grid_size: int


def program_key(config: NetworkConfig) -> ProgramKey:
    return ProgramKey(
        width=buckets.width_bucket(config.hidden),
        batch=buckets.batch_bucket(config.batch_size),
        bins=config.bins,
        grid_size=config.grid_size,
    )


def arch(config: NetworkConfig) -> mlp.Arch:
    """The traced architecture of ``config``."""
    return mlp.make_arch(config.hidden, config.activation, config.residual, config.batch_norm, config.num_classes)


class TrainValues(NamedTuple):
    """Traced values: moving any of them never recompiles (build with :func:`make_values`)."""

    optimizer: Array  # int32: the rule, an index into engine.network.optimizer_switch.NETWORK_OPTIMIZERS
    hyperparameters: dict[str, Array]  # every rule's (HYPERPARAMETER_DEFAULTS); the rule reads its own
    schedule: schedules.ScheduleArrays
    clip: modifiers.ClipArrays
    dropout: Array
    l1: Array
    l2: Array
    max_norm: Array  # inf = off
    alpha: Array  # the activation's parameter (leaky ReLU's or ELU's alpha; unused by the others)
    bn_momentum: Array
    seed: Array  # int32: minibatch order and dropout masks
    batch_size: Array  # int32: real samples per minibatch (the batch bucket may be larger)


class TrainData(NamedTuple):
    """The data, padded (build with :func:`make_data`): rows past ``n_train`` / ``n_val`` are zeros with
    mask 0. ``pool_*`` hold the training set in :data:`~engine.network.buckets.MAX_SAMPLES` rows (the
    minibatches' source, one shape for every set); ``X_train``/``X_val`` in the sample bucket (the
    statistics' evaluation batch)."""

    pool_X: Array  # (MAX_SAMPLES, 2)
    pool_y: Array
    X_train: Array  # (S, 2)
    y_train: Array
    train_mask: Array  # (S,) float32
    X_val: Array  # (S, 2)
    y_val: Array
    val_mask: Array
    n_train: Array  # int32
    grid_x: Array  # (G,)
    grid_y: Array  # (G,)


class TrainState(NamedTuple):
    """Everything a run carries from one step (and chunk) to the next."""

    params: mlp.Params
    bn_state: mlp.BNState
    opt_state: Any
    plateau: schedules.PlateauState
    order: Array  # (MAX_SAMPLES + MAX batch,) sample order of the current epoch, padded
    step: Array  # updates applied so far
    update_norm: Array  # (D + 1,) ‖ΔW‖ of the latest update per dense-layer slot
    alive: Array
    diverged_at: Array  # -1 while training is healthy
    reason: Array  # index into engine.network.training.DIVERGENCE_REASONS


def make_values(
    config: NetworkConfig,
    hyperparameters: Mapping[str, float] | None = None,
    *,
    schedule: dict | None = None,
    clip: dict | None = None,
    dropout: float = 0.0,
    l1: float = 0.0,
    l2: float = 0.0,
    max_norm: float | None = None,
    activation_params: Mapping[str, float] | None = None,
    bn_momentum: float = 0.9,
    seed: int = 0,
) -> TrainValues:
    """Encode slider values as NumPy float32/int32 (never weak-typed Python floats, which retrace)."""
    spec = OPTIMIZERS[config.optimizer]
    hyper = {**spec.defaults, **(hyperparameters or {})}
    if set(hyper) != set(spec.defaults):
        raise KeyError(f"{config.optimizer} has hyperparameters {sorted(spec.defaults)}, got {sorted(hyper)}")
    act = activations.resolve_params(config.activation, activation_params)
    return TrainValues(
        optimizer=optimizer_switch.optimizer_index(config.optimizer),
        hyperparameters=optimizer_switch.hyperparameter_values(config.optimizer, hyper),
        schedule=schedules.encode_schedule(schedule),
        clip=modifiers.encode_clip(clip),
        dropout=np.float32(dropout),
        l1=np.float32(l1),
        l2=np.float32(l2),
        max_norm=np.float32(np.inf if max_norm is None else max_norm),
        alpha=np.float32(act.get("alpha", 0.0)),
        bn_momentum=np.float32(bn_momentum),
        seed=np.int32(seed),
        batch_size=np.int32(config.batch_size),
    )


def _padded(a: np.ndarray, rows: int) -> np.ndarray:
    return np.concatenate([a, np.zeros((rows - len(a), *a.shape[1:]), a.dtype)])


def make_data(
    config: NetworkConfig, X_train, y_train, X_val=None, y_val=None, margin: float = GRID_MARGIN
) -> TrainData:
    """Pad the data; the grid spans the bounding box of all points, widened by ``margin`` × its size."""
    X_train, y_train = np.asarray(X_train, np.float32), np.asarray(y_train, np.int32)
    X_val = np.zeros((0, X_train.shape[1]), np.float32) if X_val is None else np.asarray(X_val, np.float32)
    y_val = np.zeros((0,), np.int32) if y_val is None else np.asarray(y_val, np.int32)
    if X_train.ndim != 2 or X_train.shape[1] != 2 or X_val.shape[1:] != (2,):
        raise ValueError("points must have shape (n, 2)")
    n_train, n_val = len(y_train), len(y_val)
    if not 1 <= n_train <= buckets.MAX_SAMPLES or n_val > buckets.MAX_SAMPLES:
        raise ValueError(f"training and validation sets hold 1..{buckets.MAX_SAMPLES} samples")
    check_labels(config, y_train)
    check_labels(config, y_val)
    everything = np.concatenate([X_train, X_val])
    lo, hi = everything.min(axis=0), everything.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-3)
    axes = [np.linspace(lo[i] - pad[i], hi[i] + pad[i], config.grid_size, dtype=np.float32) for i in range(2)]
    rows = buckets.sample_bucket(max(n_train, n_val))
    return TrainData(
        pool_X=_padded(X_train, buckets.MAX_SAMPLES),
        pool_y=_padded(y_train, buckets.MAX_SAMPLES),
        X_train=_padded(X_train, rows),
        y_train=_padded(y_train, rows),
        train_mask=(np.arange(rows) < n_train).astype(np.float32),
        X_val=_padded(X_val, rows),
        y_val=_padded(y_val, rows),
        val_mask=(np.arange(rows) < n_val).astype(np.float32),
        n_train=np.int32(n_train),
        grid_x=axes[0],
        grid_y=axes[1],
    )


def check_labels(config: NetworkConfig, y) -> None:
    """Labels must be integers in ``0 .. num_classes - 1``."""
    y = np.asarray(y)
    if y.size and (y.min() < 0 or y.max() >= config.num_classes):
        raise ValueError(f"labels must lie in 0..{config.num_classes - 1}")


def batches_per_epoch(config: NetworkConfig, n_train: int) -> int:
    """``n_train // batch_size``; raises ``ValueError`` for a batch larger than the training set."""
    if config.batch_size > n_train:
        raise ValueError(f"batch_size {config.batch_size} exceeds the {n_train} training samples")
    if OPTIMIZERS[config.optimizer].full_batch_only and config.batch_size != n_train:
        raise ValueError(f"{config.optimizer} needs full-batch gradients: batch_size must be {n_train}")
    return n_train // config.batch_size


def prng_key(seed: Array | int) -> Array:
    """Key of minibatch orders (``fold_in(key, 2·epoch)``) and dropout masks (``fold_in(key, 2t + 1)``)."""
    return jax.random.key(seed)


def objective(
    arch_, values: TrainValues, params, bn_state, x, y, mask, key, dropout, *, train: bool = True, with_trace=False
):
    """:func:`engine.network.mlp.loss_fn` of ``arch_`` and ``values`` (dropout rate given separately);
    ``aux["trace"]`` (the statistics' activations) only ``with_trace``."""
    return mlp.loss_fn(
        params,
        bn_state,
        x,
        y,
        mask,
        arch_,
        values.alpha,
        l1=values.l1,
        l2=values.l2,
        train=train,
        dropout_rate=dropout,
        key=key,
        bn_momentum=values.bn_momentum,
        with_trace=with_trace,
    )


def predict_logits(arch_, values: TrainValues, params, bn_state, x: Array) -> Array:
    """Evaluation-mode logits (batch norm on running statistics, no dropout)."""
    mask = jnp.ones(x.shape[:1], jnp.float32)
    logits, _, _ = mlp.forward(params, bn_state, x, mask, arch_, values.alpha)
    return logits

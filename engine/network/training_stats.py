r"""The live view of a training run, computed inside the jitted chunk after its last step.

Everything but two numbers is measured on a fixed evaluation batch, the **whole training set**, at the
end-of-chunk parameters and in evaluation mode (no dropout, batch norm on its running statistics):
activation and pre-activation histograms, means and stds, the dead-unit fraction, the weight
histograms, the histogram of :math:`|\partial J/\partial W|` and the global gradient norm of the
training objective :math:`J` (data loss + penalty), train and validation loss and accuracy (data
loss only), and the decision boundary on the grid.

The two exceptions describe the steps themselves:

* ``grad_abs_mean`` -- :math:`\mathrm{mean}|\partial J/\partial W|` of each layer averaged over the
  chunk's minibatch gradients (training mode, before clipping): what the updates actually saw. At a
  plateau the full-set gradient is near zero in every layer, so it cannot show which layers the
  backpropagated signal still reaches (seed 002's diagnostic); the minibatch average can. Falls back
  to the full-set value for a chunk without applied steps (:func:`engine.network.training.evaluate`).
* ``update_ratio`` -- :math:`\|W_{t+1} - W_t\|_F / \|W_{t+1}\|_F` of the chunk's last applied update.

Histograms (:mod:`engine.network.stats`) have fixed edges, see :func:`histogram_edges`: activations on the
activation's ``hist_range``, pre-activations on :data:`PREACT_RANGE`, :math:`|\partial J/\partial W|`
on log edges :math:`10^{-8} \dots 10^{0}`, weights on :math:`\pm\max|W|` of each layer. ``H`` hidden
layers have activation statistics; all ``L = H + 1`` dense layers (the output layer last) have weight,
gradient and update statistics.

Padding (:mod:`engine.network.mlp`): the compiled program computes every statistic over the real
units, weights and samples only (masked counts, sums and extremes), for the slots the network uses
(the others are zeros, at no cost) of the ``D`` hidden-layer and ``D + 1`` dense-layer slots;
:func:`trim` cuts the host copy to the network's ``H`` and ``L``.

References:
  Glorot & Bengio, AISTATS 2010 (per-layer activation and gradient histograms).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine.network import activations, mlp, stats
from engine.network.buckets import MAX_DEPTH
from engine.network.training_config import (
    NetworkConfig,
    TrainData,
    TrainState,
    TrainValues,
    objective,
    predict_logits,
)

Array = jax.Array

PREACT_RANGE = (-4.0, 4.0)
GRAD_EXP_RANGE = (-8.0, 0.0)
_ACTS = [activations.ACTIVATIONS[n] for n in mlp.ACTIVATION_NAMES]
ACT_LO = np.array([a.hist_range[0] for a in _ACTS], np.float32)
ACT_HI = np.array([a.hist_range[1] for a in _ACTS], np.float32)
RELU_FAMILY = np.array([a.is_relu_family for a in _ACTS])


class StepTrace(NamedTuple):
    """What each step of a chunk reports (stacked over the chunk by ``lax.scan``)."""

    loss: Array  # minibatch objective (0 for a step not applied)
    learning_rate: Array  # ε_t
    grad_abs_mean: Array  # (D + 1,) mean |∂J/∂W| of the minibatch gradient per dense slot, before clipping
    applied: Array  # bool: the step was applied (not diverged)


class LayerStats(NamedTuple):
    """Per-layer statistics stacked over layers: ``H`` hidden layers, ``L = H + 1`` dense layers (after
    :func:`trim`; ``D`` and ``D + 1`` slots inside the program)."""

    act_hist: Array  # (H, bins) on the activation's hist_range
    preact_hist: Array  # (H, bins) on PREACT_RANGE
    act_mean: Array  # (H,)
    act_std: Array  # (H,)
    dead_fraction: Array  # (H,) units never positive on the training set (ReLU family; else 0)
    weight_hist: Array  # (L, bins) on [-weight_absmax, weight_absmax]
    weight_absmax: Array  # (L,)
    weight_std: Array  # (L,)
    grad_hist: Array  # (L, bins) of |∂J/∂W| on log edges over GRAD_EXP_RANGE
    grad_abs_mean: Array  # (L,) mean |∂J/∂W| over the chunk's minibatch gradients (see module docstring)
    update_ratio: Array  # (L,) ‖ΔW‖ / ‖W‖ of the last update


class ChunkStats(NamedTuple):
    step: Array  # updates applied at the end of the chunk
    epoch: Array  # step / batches per epoch
    train_loss: Array
    train_accuracy: Array
    val_loss: Array  # 0 when there is no validation set
    val_accuracy: Array
    grad_norm: Array  # global ‖∇J‖ over all parameters, whole training set
    layers: LayerStats
    boundary: Array  # (G, G), [i, j] at (grid_x[j], grid_y[i]): P(class 1), or argmax class for K > 2
    confidence: Array  # (G, G) largest class probability
    batch_loss: Array  # (steps_per_chunk,) minibatch objective of each step (0 once diverged)
    learning_rate: Array  # (steps_per_chunk,) ε_t used by each step
    diverged: Array
    diverged_at: Array
    reason: Array


HIDDEN_FIELDS = ("act_hist", "preact_hist", "act_mean", "act_std", "dead_fraction")


def trim(chunk: ChunkStats, depth: int) -> ChunkStats:
    """The host copy of a chunk's statistics cut from the padded slots to the network's layers."""
    dense = [*range(depth), MAX_DEPTH]
    layers = {
        name: np.asarray(value)[:depth] if name in HIDDEN_FIELDS else np.asarray(value)[dense]
        for name, value in chunk.layers._asdict().items()
    }
    return chunk._replace(layers=LayerStats(**layers))


def histogram_edges(config: NetworkConfig) -> dict[str, np.ndarray]:
    """Bin edges of the fixed-range histograms (weight edges are ±``weight_absmax`` per layer)."""
    act_lo, act_hi = activations.get_activation(config.activation).hist_range
    return {
        "act": np.asarray(stats.edges(act_lo, act_hi, config.bins)),
        "preact": np.asarray(stats.edges(*PREACT_RANGE, config.bins)),
        "grad": np.asarray(stats.log_edges(*GRAD_EXP_RANGE, config.bins)),
    }


def weight_counts(arch: mlp.Arch) -> Array:
    """Real weights of each dense-layer slot, ``(D + 1,)``."""
    masks = mlp.weight_masks(arch)
    return jnp.concatenate(
        [jnp.sum(masks["W_in"])[None], jnp.sum(masks["W_hid"], axis=(1, 2)), jnp.sum(masks["W_out"])[None]]
    )


def per_slot(tree: mlp.Params, reduce) -> Array:
    """``reduce`` (a sum or norm over the last two axes) of each dense slot's weight matrix, ``(D + 1,)``."""
    return jnp.concatenate([reduce(tree["W_in"])[None], reduce(tree["W_hid"]), reduce(tree["W_out"])[None]])


def _masked_mean_std(values: Array, mask: Array) -> tuple[Array, Array]:
    count = jnp.maximum(jnp.sum(mask), 1.0)
    mean = jnp.sum(values * mask) / count
    return mean, jnp.sqrt(jnp.sum(jnp.square(values - mean) * mask) / count)


def _used_slots(one, used: Array, *slots) -> dict[str, Array]:
    """``one`` of each slot (the leading axis of ``slots``) where ``used``, zeros elsewhere: a slot past the
    network's depth costs nothing (:func:`trim` drops it). A 2 × 256 network's statistics would otherwise
    histogram twenty slots of 256 units × every sample."""
    zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), jax.eval_shape(one, *(x[0] for x in slots)))
    return jax.lax.map(lambda xs: jax.lax.cond(xs[0], one, lambda *_: zeros, *xs[1:]), (used, *slots))


def _hidden_stats(trace, arch: mlp.Arch, sample_mask: Array, bins: int) -> dict[str, Array]:
    """Activation statistics of the network's hidden slots over real samples × real units."""
    lo, hi = jnp.asarray(ACT_LO)[arch.activation], jnp.asarray(ACT_HI)[arch.activation]
    relu_family = jnp.asarray(RELU_FAMILY)[arch.activation]

    def one(pre, act, units):
        mask = sample_mask[:, None] * units[None, :]
        mean, std = _masked_mean_std(act, mask)
        never_positive = jnp.all((pre <= 0.0) | (sample_mask[:, None] == 0.0), axis=0) & (units > 0)
        dead = jnp.sum(never_positive) / jnp.maximum(jnp.sum(units), 1.0)
        return {
            "act_hist": stats.histogram_fixed(act, lo, hi, bins, mask),
            "preact_hist": stats.histogram_fixed(pre, *PREACT_RANGE, bins, mask),
            "act_mean": mean,
            "act_std": std,
            "dead_fraction": jnp.where(relu_family, dead, 0.0),
        }

    units = jnp.asarray(arch.units)
    return _used_slots(one, jnp.any(units > 0, axis=1), trace["pre"], trace["act"], units)


def _dense_stats(params: mlp.Params, grads: mlp.Params, arch: mlp.Arch, width: int, bins: int) -> dict[str, Array]:
    """Weight and gradient statistics of the network's dense slots over their real weights."""

    def one(w, g, mask):
        absmax = jnp.maximum(jnp.max(jnp.abs(w) * mask), 1e-12)
        _, std = _masked_mean_std(w, mask)
        count = jnp.maximum(jnp.sum(mask), 1.0)
        return {
            "weight_hist": stats.histogram_fixed(w, -absmax, absmax, bins, mask),
            "weight_absmax": absmax,
            "weight_std": std,
            "grad_hist": stats.log_histogram_abs(g, *GRAD_EXP_RANGE, bins, mask),
            "grad_abs_mean": jnp.sum(jnp.abs(g) * mask) / count,
        }

    stack = mlp.dense_stack
    masks = stack(mlp.weight_masks(arch), width)
    return _used_slots(one, jnp.any(masks > 0, axis=(1, 2)), stack(params, width), stack(grads, width), masks)


def chunk_stats(
    bins: int, arch: mlp.Arch, state: TrainState, values: TrainValues, data: TrainData, steps: StepTrace
) -> ChunkStats:
    """Everything the live view shows after a chunk whose steps reported ``steps`` (padded slots)."""
    params, bn_state = state.params, state.bn_state
    width = params["W_in"].shape[1]
    (_, aux), grads = jax.value_and_grad(objective, argnums=2, has_aux=True)(
        arch,
        values,
        params,
        bn_state,
        data.X_train,
        data.y_train,
        data.train_mask,
        None,
        0.0,
        train=False,
        with_trace=True,
    )
    grads = jax.tree.map(jnp.multiply, grads, mlp.param_masks(arch))
    w_norms = per_slot(params, lambda w: jnp.linalg.norm(w, axis=(-2, -1)))
    layers = LayerStats(
        **_hidden_stats(aux["trace"], arch, data.train_mask, bins),
        **_dense_stats(params, grads, arch, width, bins),
        update_ratio=state.update_norm / (w_norms + 1e-12),
    )
    applied = jnp.sum(steps.applied)
    chunk_mean = jnp.sum(steps.grad_abs_mean, axis=0) / jnp.maximum(applied, 1)
    layers = layers._replace(grad_abs_mean=jnp.where(applied > 0, chunk_mean, layers.grad_abs_mean))

    val_logits = predict_logits(arch, values, params, bn_state, data.X_val)
    val_loss = mlp.cross_entropy(val_logits, data.y_val, data.val_mask)
    val_acc = mlp.accuracy(val_logits, data.y_val, data.val_mask)

    gx, gy = jnp.meshgrid(data.grid_x, data.grid_y)
    probs = mlp.probabilities(predict_logits(arch, values, params, bn_state, jnp.stack([gx, gy], -1).reshape(-1, 2)))
    boundary = jnp.where(arch.binary, probs[:, 1], jnp.argmax(probs, axis=-1).astype(jnp.float32))
    grid_shape = gx.shape
    out = ChunkStats(
        step=state.step,
        epoch=state.step.astype(jnp.float32) / (data.n_train // values.batch_size),
        train_loss=aux["data_loss"],
        train_accuracy=aux["accuracy"],
        val_loss=val_loss,
        val_accuracy=val_acc,
        grad_norm=optax.tree.norm(grads),
        layers=layers,
        boundary=boundary.reshape(grid_shape),
        confidence=jnp.max(probs, axis=-1).reshape(grid_shape),
        batch_loss=steps.loss,
        learning_rate=steps.learning_rate,
        diverged=~state.alive,
        diverged_at=state.diverged_at,
        reason=state.reason,
    )
    # last guard: parameters are finite by construction, but logits can still overflow
    return jax.tree.map(lambda a: jnp.nan_to_num(a) if jnp.issubdtype(a.dtype, jnp.floating) else a, out)

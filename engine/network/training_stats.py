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

References:
  Glorot & Bengio, AISTATS 2010 (per-layer activation and gradient histograms).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine.network import activations, mlp, stats
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


class StepTrace(NamedTuple):
    """What each step of a chunk reports (stacked over the chunk by ``lax.scan``)."""

    loss: Array  # minibatch objective (0 for a step not applied)
    learning_rate: Array  # ε_t
    grad_abs_mean: Array  # (L,) mean |∂J/∂W| of the minibatch gradient, before clipping
    applied: Array  # bool: the step was applied (not diverged)


class LayerStats(NamedTuple):
    """Per-layer statistics stacked over layers: ``H`` hidden layers, ``L = H + 1`` dense layers."""

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


def histogram_edges(config: NetworkConfig) -> dict[str, np.ndarray]:
    """Bin edges of the fixed-range histograms (weight edges are ±``weight_absmax`` per layer)."""
    act_lo, act_hi = activations.get_activation(config.activation).hist_range
    return {
        "act": np.asarray(stats.edges(act_lo, act_hi, config.bins)),
        "preact": np.asarray(stats.edges(*PREACT_RANGE, config.bins)),
        "grad": np.asarray(stats.log_edges(*GRAD_EXP_RANGE, config.bins)),
    }


def chunk_stats(
    config: NetworkConfig, state: TrainState, values: TrainValues, data: TrainData, steps: StepTrace
) -> ChunkStats:
    """Everything the live view shows after a chunk whose steps reported ``steps``."""
    spec = activations.get_activation(config.activation)
    params, bn_state = state.params, state.bn_state
    fn = functools.partial(objective, config, values, train=False)
    (_, aux), grads = jax.value_and_grad(fn, has_aux=True)(params, bn_state, data.X_train, data.y_train, None, 0.0)
    per_layer = stats.layer_stats(
        aux["trace"],
        params,
        grads,
        act_range=spec.hist_range,
        preact_range=PREACT_RANGE,
        grad_exp_range=GRAD_EXP_RANGE,
        bins=config.bins,
        is_relu_family=spec.is_relu_family,
    )
    w_norms = jnp.stack([jnp.linalg.norm(layer["W"]) for layer in params])
    hidden, every = per_layer[:-1], per_layer

    def stacked(entries, name):
        return jnp.stack([e[name] for e in entries])

    layers = LayerStats(
        **{f: stacked(hidden, f) for f in ("act_hist", "preact_hist", "act_mean", "act_std", "dead_fraction")},
        **{f: stacked(every, f) for f in ("weight_hist", "weight_absmax", "weight_std", "grad_hist", "grad_abs_mean")},
        update_ratio=state.update_norm / (w_norms + 1e-12),
    )
    applied = jnp.sum(steps.applied)
    chunk_mean = jnp.sum(steps.grad_abs_mean, axis=0) / jnp.maximum(applied, 1)
    layers = layers._replace(grad_abs_mean=jnp.where(applied > 0, chunk_mean, layers.grad_abs_mean))

    if data.X_val.shape[0]:
        val_logits = predict_logits(config, values, params, bn_state, data.X_val)
        val_loss, val_acc = mlp.cross_entropy(val_logits, data.y_val), mlp.accuracy(val_logits, data.y_val)
    else:
        val_loss, val_acc = jnp.zeros(()), jnp.zeros(())

    gx, gy = jnp.meshgrid(data.grid_x, data.grid_y)
    probs = mlp.probabilities(predict_logits(config, values, params, bn_state, jnp.stack([gx, gy], -1).reshape(-1, 2)))
    boundary = probs[:, 1] if config.num_classes == 2 else jnp.argmax(probs, axis=-1).astype(jnp.float32)
    grid_shape = gx.shape
    n_train = data.X_train.shape[0]
    out = ChunkStats(
        step=state.step,
        epoch=state.step.astype(jnp.float32) / (n_train // config.batch_size),
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

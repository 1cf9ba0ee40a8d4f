r"""Monte-Carlo dropout: predictive mean and spread with dropout kept on at inference (seed 000).

Gal & Ghahramani read a network trained with dropout as approximate Bayesian inference: each dropout
mask :math:`m_s` is a sample of the weights, so averaging :math:`S` stochastic forward passes
estimates the predictive distribution,

.. math::
    \bar p(x) = \frac1S \sum_{s=1}^{S} p(y \mid x, \theta \odot m_s), \qquad
    \sigma(x) = \sqrt{\frac1S \sum_{s=1}^{S} \big(p(y \mid x, \theta \odot m_s) - \bar p(x)\big)^2}

The :math:`S` passes are one ``vmap`` over sample keys (``n_samples`` is static; the architecture,
the dropout rate and the seed are traced). Batch norm uses its running statistics, as at evaluation.
The standard deviation is computed on values shifted by the first sample, so with rate 0 (identical
samples) it is exactly 0.

References:
  Gal & Ghahramani, *Dropout as a Bayesian Approximation: Representing Model Uncertainty in Deep
  Learning*, ICML 2016.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from engine.network import mlp
from engine.network.training_config import NetworkConfig, TrainData, TrainValues, arch, prng_key

Array = jax.Array


class Predictive(NamedTuple):
    mean: Array  # predictive mean probability
    std: Array  # its standard deviation over the dropout samples


def _mean_std(samples: Array) -> Predictive:
    shifted = samples - samples[0]
    mean = jnp.mean(shifted, axis=0)
    std = jnp.sqrt(jnp.mean(jnp.square(shifted - mean), axis=0))
    return Predictive(jnp.clip(samples[0] + mean, 0.0, 1.0), std)


def _predictive(params, bn_state, arch_: mlp.Arch, values: TrainValues, x: Array, seed: Array, n_samples: int):
    mask = jnp.ones(x.shape[:1], jnp.float32)

    def sample(key):
        logits, _, _ = mlp.forward(
            params, bn_state, x, mask, arch_, values.alpha, dropout_rate=values.dropout, mc_dropout=True, key=key
        )
        return jnp.nan_to_num(mlp.probabilities(logits))

    return _mean_std(jax.vmap(sample)(jax.random.split(prng_key(seed), n_samples)))


@functools.cache
def _compiled(n_samples: int):
    def run(params, bn_state, arch_, values, x, seed) -> Predictive:
        out = _predictive(params, bn_state, arch_, values, x, seed, n_samples)
        top = jnp.where(arch_.binary, 1, jnp.argmax(out.mean, axis=-1))[:, None]
        pick = functools.partial(jnp.take_along_axis, indices=top, axis=-1)
        return Predictive(pick(out.mean)[:, 0], pick(out.std)[:, 0])

    return jax.jit(run)


def predictive_grid(
    config: NetworkConfig, params, bn_state, values: TrainValues, data: TrainData, n_samples: int = 50, seed=0
) -> Predictive:
    """Mean and std over ``n_samples`` dropout masks on the decision-boundary grid, as ``(G, G)`` maps
    (``[i, j]`` at ``(x_j, y_i)``). Binary: the class-1 probability. ``K > 2``: the probability of the
    class with the largest mean. The dropout rate is ``values.dropout``; ``seed`` picks the masks."""
    gx, gy = jnp.meshgrid(data.grid_x, data.grid_y)
    points = jnp.stack([gx, gy], -1).reshape(-1, 2)
    out = _compiled(int(n_samples))(params, bn_state, arch(config), values, points, jnp.asarray(seed, jnp.int32))
    return Predictive(out.mean.reshape(gx.shape), out.std.reshape(gx.shape))

r"""Monte-Carlo dropout: predictive mean and spread with dropout kept on at inference (seed 000).

Gal & Ghahramani read a network trained with dropout as approximate Bayesian inference: each dropout
mask :math:`m_s` is a sample of the weights, so averaging :math:`S` stochastic forward passes
estimates the predictive distribution,

.. math::
    \bar p(x) = \frac1S \sum_{s=1}^{S} p(y \mid x, \theta \odot m_s), \qquad
    \sigma(x) = \sqrt{\frac1S \sum_{s=1}^{S} \big(p(y \mid x, \theta \odot m_s) - \bar p(x)\big)^2}

The :math:`S` passes are one ``vmap`` over sample keys (``n_samples`` is static, the dropout rate and
the seed are traced). Batch norm uses its running statistics, as at evaluation. The standard deviation
is computed on values shifted by the first sample, so with rate 0 (identical samples) it is exactly 0.

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
from engine.network.training_config import NetworkConfig, TrainData, TrainValues, architecture, prng_key, static_config

Array = jax.Array


class Predictive(NamedTuple):
    mean: Array  # predictive mean probability
    std: Array  # its standard deviation over the dropout samples


def _sample_probabilities(config: NetworkConfig, values: TrainValues, params, bn_state, x, key) -> Array:
    """Class probabilities ``(n, K)`` of one stochastic forward pass (evaluation mode, dropout on)."""
    logits, _, _ = mlp.forward(
        params, bn_state, x, **architecture(config, values), dropout_rate=values.dropout, mc_dropout=True, key=key
    )
    return jnp.nan_to_num(mlp.probabilities(logits))


def _mean_std(samples: Array) -> Predictive:
    shifted = samples - samples[0]
    mean = jnp.mean(shifted, axis=0)
    std = jnp.sqrt(jnp.mean(jnp.square(shifted - mean), axis=0))
    return Predictive(jnp.clip(samples[0] + mean, 0.0, 1.0), std)


@functools.cache
def _compiled(config: NetworkConfig, n_samples: int):
    def run(params, bn_state, values: TrainValues, x: Array, seed: Array) -> Predictive:
        keys = jax.random.split(prng_key(seed), n_samples)
        draw = jax.vmap(lambda k: _sample_probabilities(config, values, params, bn_state, x, k))
        return _mean_std(draw(keys))

    return jax.jit(run)


def predictive(
    config: NetworkConfig, params, bn_state, values: TrainValues, x, n_samples: int = 50, seed=0
) -> Predictive:
    """Mean and std over ``n_samples`` dropout masks of the class probabilities, each ``(n, K)``.

    The dropout rate is ``values.dropout``; ``seed`` (an int32, traced) picks the masks.
    """
    run = _compiled(static_config(config), int(n_samples))
    return run(params, bn_state, values, jnp.asarray(x, jnp.float32), jnp.asarray(seed, jnp.int32))


def predictive_grid(
    config: NetworkConfig, params, bn_state, values: TrainValues, data: TrainData, n_samples: int = 50, seed=0
) -> Predictive:
    """:func:`predictive` on the decision-boundary grid, as ``(G, G)`` maps (``[i, j]`` at ``(x_j, y_i)``).

    Binary: the class-1 probability. ``K > 2``: the probability of the class with the largest mean.
    """
    gx, gy = jnp.meshgrid(data.grid_x, data.grid_y)
    out = predictive(config, params, bn_state, values, jnp.stack([gx, gy], -1).reshape(-1, 2), n_samples, seed)
    if config.num_classes == 2:
        mean, std = out.mean[:, 1], out.std[:, 1]
    else:
        top = jnp.argmax(out.mean, axis=-1)[:, None]
        mean = jnp.take_along_axis(out.mean, top, axis=-1)[:, 0]
        std = jnp.take_along_axis(out.std, top, axis=-1)[:, 0]
    return Predictive(mean.reshape(gx.shape), std.reshape(gx.shape))

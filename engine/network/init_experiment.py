r"""The weight-initialisation experiment (seed 001): watch activations vanish or saturate with depth.

A deep, bias-free stack of square layers is fed standard-normal data, forward only:

.. math::
  h_0 \sim \mathcal{N}(0, 1)^{\,\text{samples} \times \text{width}}, \qquad
  h_\ell = f(h_{\ell-1} W_\ell), \quad W_\ell \in \mathbb{R}^{\text{width} \times \text{width}}
  \ \text{from the chosen initialiser}, \quad \ell = 1 \dots L

For a unit of layer :math:`\ell`, :math:`\mathrm{Var}[z] = n\,\mathrm{Var}[W]\,\mathbb{E}[h_{\ell-1}^2]`
(:math:`n` = width). With :math:`\mathrm{Var}[W]` too small the signal shrinks geometrically (tanh
near 0 is linear, so e.g. :math:`\sigma_W = 0.01`, :math:`n = 500` multiplies the std by about
:math:`\sqrt{500}\cdot 0.01 \approx 0.22` per layer); too large and tanh saturates at :math:`\pm 1`.
Xavier (:math:`\mathrm{Var}[W] = 1/n` here, Glorot & Bengio 2010) keeps tanh activations alive, and
He (:math:`2/n`, He et al. 2015) does the same for ReLU, which halves the second moment.

Histograms use ``bins`` equal bins. For bounded activations (sigmoid, tanh) the edges are the
activation's natural output range, fixed for all layers. For unbounded activations (relu, leaky
relu, elu, selu, linear) the range is *data-driven per layer*: :math:`[0, \max a]` for non-negative
activations (relu) and :math:`[-\max|a|, \max|a|]` otherwise, so the shape of a shrinking
distribution stays visible (read the scale off the edges).

One compiled program serves every experiment of a (width bucket, sample bucket, bins): data and
weights are drawn in the padded shape and masked to ``samples × width``, the depth is a traced count
(layers past it are skipped), the activation a ``lax.switch`` and the initialiser the coefficients
of :func:`engine.network.inits.init_coefficients`. Every statistic counts the real entries only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from engine.network import activations as acts
from engine.network import inits, mlp
from engine.network.buckets import MAX_DEPTH, bucket
from engine.network.stats import edges, histogram_fixed

Array = jax.Array

WIDTHS = (64, 256, 512, 1024)
SAMPLES = (256, 1024, 5120)
_SPECS = [acts.ACTIVATIONS[n] for n in mlp.ACTIVATION_NAMES]
# per activation: (bounded, nonnegative, lo, hi)
_RANGES = np.array([(s.bounded, s.nonnegative, *s.hist_range) for s in _SPECS], np.float32)


def _hist_range(a: Array, mask: Array, activation: Array) -> tuple[Array, Array]:
    """Natural range for bounded activations, else the data-driven range described in the module doc."""
    bounded, nonnegative, lo, hi = jnp.asarray(_RANGES)[activation]
    top = jnp.max(jnp.where(mask > 0, a, -jnp.inf))
    top = jnp.where(top > 0, top, 1.0)
    m = jnp.max(jnp.abs(a) * mask)
    m = jnp.where(m > 0, m, 1.0)
    lo_data = jnp.where(nonnegative > 0, 0.0, -m)
    hi_data = jnp.where(nonnegative > 0, top, m)
    return jnp.where(bounded > 0, lo, lo_data), jnp.where(bounded > 0, hi, hi_data)


@functools.partial(jax.jit, static_argnames=("width", "samples", "bins"))
def _experiment(seed, coefficients, activation, alpha, layers, real_width, real_samples, *, width, samples, bins):
    key_x, key_w = jax.random.split(jax.random.key(seed))
    mask = (jnp.arange(samples) < real_samples)[:, None] & (jnp.arange(width) < real_width)[None, :]
    mask = mask.astype(jnp.float32)
    x = jax.random.normal(key_x, (samples, width), jnp.float32) * mask

    def layer(h: Array, xs) -> tuple[Array, dict[str, Array]]:
        index, key = xs

        def active(h):
            w = inits.draw(key, (width, width), coefficients) * mask[0][:, None] * mask[0][None, :]
            a = mlp.activate(h @ w, activation, alpha) * mask
            count = jnp.sum(mask)
            mean = jnp.sum(a) / count
            lo, hi = _hist_range(a, mask, activation)
            return a, {
                "mean": mean,
                "std": jnp.sqrt(jnp.sum(jnp.square(a - mean) * mask) / count),
                "edges": edges(lo, hi, bins),
                "counts": histogram_fixed(a, lo, hi, bins, mask),
            }

        def skipped(h):
            zero = jnp.zeros(())
            return h, {"mean": zero, "std": zero, "edges": jnp.zeros(bins + 1), "counts": jnp.zeros(bins, jnp.int32)}

        return jax.lax.cond(index < layers, active, skipped, h)

    _, rows = jax.lax.scan(layer, x, (jnp.arange(MAX_DEPTH), jax.random.split(key_w, MAX_DEPTH)))
    return rows


def run_init_experiment(
    init_name: str = "normal",
    init_params: Mapping[str, float | Array] | None = None,
    activation: str = "tanh",
    activation_params: Mapping[str, float | Array] | None = None,
    *,
    layers: int = 10,
    width: int = 500,
    samples: int = 1000,
    bins: int = 50,
    seed: int | Array = 0,
) -> dict[str, np.ndarray]:
    """Run the experiment; one compiled function per (width bucket, sample bucket, bins).

    Returns stacked NumPy arrays over layers: ``layer`` (1-based, ``(L,)``), ``mean`` and ``std``
    (``(L,)``), ``edges`` (``(L, bins + 1)``) and ``counts`` (``(L, bins)``, each row summing to
    ``samples * width``).
    """
    if not 1 <= layers <= MAX_DEPTH:
        raise ValueError(f"layers must be in 1..{MAX_DEPTH}")
    alpha = acts.resolve_params(activation, activation_params).get("alpha", 0.0)
    rows = _experiment(
        np.uint32(seed),
        inits.init_coefficients(init_name, np.float32(width), np.float32(width), init_params),
        np.int32(mlp.ACTIVATION_NAMES.index(activation)),
        np.float32(alpha),
        np.int32(layers),
        np.int32(width),
        np.int32(samples),
        width=bucket(width, WIDTHS),
        samples=bucket(samples, SAMPLES),
        bins=bins,
    )
    host = {k: np.asarray(v)[:layers] for k, v in jax.device_get(rows).items()}
    host["layer"] = np.arange(1, layers + 1, dtype=np.int32)
    return host


def to_rows(result: Mapping[str, Array]) -> list[dict[str, Any]]:
    """Per-layer plain-Python rows ``{layer, mean, std, edges, counts}`` (e.g. for JSON)."""
    host = jax.device_get(dict(result))
    return [
        {
            "layer": int(host["layer"][i]),
            "mean": float(host["mean"][i]),
            "std": float(host["std"][i]),
            "edges": [float(e) for e in host["edges"][i]],
            "counts": [int(c) for c in host["counts"][i]],
        }
        for i in range(len(host["layer"]))
    ]

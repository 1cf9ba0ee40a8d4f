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
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from engine.network import activations as acts
from engine.network import inits
from engine.network.stats import edges, histogram_fixed

Array = jax.Array


def _hist_range(a: Array, spec: acts.ActivationSpec) -> tuple[Array, Array]:
    """Natural range for bounded activations, else the data-driven range described in the module doc."""
    if spec.bounded:
        lo, hi = spec.hist_range
        return jnp.asarray(lo, jnp.float32), jnp.asarray(hi, jnp.float32)
    if spec.nonnegative:
        top = jnp.max(a)
        return jnp.zeros((), jnp.float32), jnp.where(top > 0, top, 1.0)
    m = jnp.max(jnp.abs(a))
    m = jnp.where(m > 0, m, 1.0)
    return -m, m


@functools.partial(jax.jit, static_argnames=("init_name", "activation", "layers", "width", "samples", "bins"))
def _experiment(
    seed: Array,
    init_params: Mapping[str, Array],
    activation_params: Mapping[str, Array],
    *,
    init_name: str,
    activation: str,
    layers: int,
    width: int,
    samples: int,
    bins: int,
) -> dict[str, Array]:
    spec = acts.get_activation(activation)
    key_x, key_w = jax.random.split(jax.random.key(seed))
    x = jax.random.normal(key_x, (samples, width), jnp.float32)

    def layer(h: Array, key: Array) -> tuple[Array, dict[str, Array]]:
        w = inits.init_weights(init_name, key, width, width, init_params)
        a = spec.apply(h @ w, activation_params)
        lo, hi = _hist_range(a, spec)
        row = {
            "mean": jnp.mean(a),
            "std": jnp.std(a),
            "edges": edges(lo, hi, bins),
            "counts": histogram_fixed(a, lo, hi, bins),
        }
        return a, row

    _, rows = jax.lax.scan(layer, x, jax.random.split(key_w, layers))
    rows["layer"] = jnp.arange(1, layers + 1, dtype=jnp.int32)
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
) -> dict[str, Array]:
    """Run the experiment; one compiled function per (init, activation, layers, width, samples, bins).

    Initialiser and activation parameters and the seed are traced: changing them does not recompile.
    Returns stacked arrays over layers: ``layer`` (1-based, ``(L,)``), ``mean`` and ``std`` (``(L,)``),
    ``edges`` (``(L, bins + 1)``) and ``counts`` (``(L, bins)``, each row summing to
    ``samples * width``).
    """
    return _experiment(
        jnp.asarray(seed, jnp.uint32),
        inits.resolve_params(init_name, init_params),
        acts.resolve_params(activation, activation_params),
        init_name=init_name,
        activation=activation,
        layers=layers,
        width=width,
        samples=samples,
        bins=bins,
    )


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

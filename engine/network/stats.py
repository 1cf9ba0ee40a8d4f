r"""Histogram and layer statistics that run *inside* a jitted training step.

Histograms use fixed edges and ``jnp.bincount(..., length=bins)``, so shapes are static and the work
is a single scatter-add (``jnp.histogram`` would sort/search and re-derive edges). Values outside the
range are clipped into the first/last bin and NaNs are counted in the bin of 0 (or the lowest bin
for the log histogram), so the counts always sum to the number of values.

Bin :math:`k` of :math:`B` = ``bins`` equal-width bins on :math:`[lo, hi]` receives value :math:`v` when

.. math::
  k = \mathrm{clip}\Big(\Big\lfloor B\,\frac{v - lo}{hi - lo} \Big\rfloor,\ 0,\ B - 1\Big)

References (what the statistics diagnose):
  Glorot & Bengio, AISTATS 2010 (activation/gradient histograms per layer, saturation).
  Ioffe & Szegedy, ICML 2015 (distribution shift of pre-activations).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array


def edges(lo: float | Array, hi: float | Array, bins: int) -> Array:
    """The ``bins + 1`` equally spaced edges of :func:`histogram_fixed` on ``[lo, hi]``."""
    return jnp.linspace(lo, hi, bins + 1)


def log_edges(lo_exp: float | Array, hi_exp: float | Array, bins: int) -> Array:
    r"""The ``bins + 1`` edges :math:`10^{e_k}` of :func:`log_histogram_abs`, :math:`e_k` evenly spaced."""
    return jnp.power(10.0, jnp.linspace(lo_exp, hi_exp, bins + 1))


def _bin_counts(position: Array, bins: int, weights: Array | None = None) -> Array:
    """Counts of ``floor(position)`` clipped to ``[0, bins - 1]``; NaN goes to bin 0. With ``weights``
    (0/1, the shape of ``position``) only the values of weight 1 are counted (padding is not)."""
    position = jnp.nan_to_num(position, nan=0.0)
    idx = jnp.floor(jnp.clip(position, 0.0, bins - 1)).astype(jnp.int32)
    if weights is None:
        return jnp.bincount(idx.ravel(), length=bins).astype(jnp.int32)
    counts = jnp.bincount(idx.ravel(), weights=jnp.broadcast_to(weights, idx.shape).ravel(), length=bins)
    return jnp.round(counts).astype(jnp.int32)


def histogram_fixed(
    values: Array, lo: float | Array, hi: float | Array, bins: int, weights: Array | None = None
) -> Array:
    """Counts of ``values`` (any shape) in ``bins`` equal bins on ``[lo, hi]``, out-of-range clipped.

    ``lo``/``hi`` may be traced; ``bins`` is static. Returns int32 counts summing to ``values.size``.
    """
    values = jnp.nan_to_num(jnp.asarray(values, jnp.float32), nan=0.0)
    lo = jnp.asarray(lo, jnp.float32)
    width = jnp.maximum(jnp.asarray(hi, jnp.float32) - lo, 1e-12)
    return _bin_counts((values - lo) / width * bins, bins, weights)


def log_histogram_abs(
    values: Array, lo_exp: float | Array, hi_exp: float | Array, bins: int, weights: Array | None = None
) -> Array:
    r"""Counts of :math:`|v|` on log-spaced edges :math:`10^{lo\_exp} \dots 10^{hi\_exp}`.

    Bins are equal in :math:`\log_{10}|v|`; exact zeros and values below :math:`10^{lo\_exp}` land in
    the first bin, values above :math:`10^{hi\_exp}` in the last one. Meant for gradient magnitudes,
    which span many orders of magnitude (vanishing/exploding gradients).
    """
    log_abs = jnp.log10(jnp.abs(jnp.asarray(values, jnp.float32)))  # 0 -> -inf -> first bin
    lo_exp = jnp.asarray(lo_exp, jnp.float32)
    width = jnp.maximum(jnp.asarray(hi_exp, jnp.float32) - lo_exp, 1e-12)
    position = jnp.nan_to_num((log_abs - lo_exp) / width * bins, nan=0.0)
    return _bin_counts(position, bins, weights)

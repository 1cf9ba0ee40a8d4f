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

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

Array = jax.Array


def edges(lo: float | Array, hi: float | Array, bins: int) -> Array:
    """The ``bins + 1`` equally spaced edges of :func:`histogram_fixed` on ``[lo, hi]``."""
    return jnp.linspace(lo, hi, bins + 1)


def log_edges(lo_exp: float | Array, hi_exp: float | Array, bins: int) -> Array:
    r"""The ``bins + 1`` edges :math:`10^{e_k}` of :func:`log_histogram_abs`, :math:`e_k` evenly spaced."""
    return jnp.power(10.0, jnp.linspace(lo_exp, hi_exp, bins + 1))


def _bin_counts(position: Array, bins: int) -> Array:
    """Counts of ``floor(position)`` clipped to ``[0, bins - 1]``; NaN goes to bin 0."""
    position = jnp.nan_to_num(position, nan=0.0)
    idx = jnp.floor(jnp.clip(position, 0.0, bins - 1)).astype(jnp.int32)
    return jnp.bincount(idx.ravel(), length=bins).astype(jnp.int32)


def histogram_fixed(values: Array, lo: float | Array, hi: float | Array, bins: int) -> Array:
    """Counts of ``values`` (any shape) in ``bins`` equal bins on ``[lo, hi]``, out-of-range clipped.

    ``lo``/``hi`` may be traced; ``bins`` is static. Returns int32 counts summing to ``values.size``.
    """
    values = jnp.nan_to_num(jnp.asarray(values, jnp.float32), nan=0.0)
    lo = jnp.asarray(lo, jnp.float32)
    width = jnp.maximum(jnp.asarray(hi, jnp.float32) - lo, 1e-12)
    return _bin_counts((values - lo) / width * bins, bins)


def log_histogram_abs(values: Array, lo_exp: float | Array, hi_exp: float | Array, bins: int) -> Array:
    r"""Counts of :math:`|v|` on log-spaced edges :math:`10^{lo\_exp} \dots 10^{hi\_exp}`.

    Bins are equal in :math:`\log_{10}|v|`; exact zeros and values below :math:`10^{lo\_exp}` land in
    the first bin, values above :math:`10^{hi\_exp}` in the last one. Meant for gradient magnitudes,
    which span many orders of magnitude (vanishing/exploding gradients).
    """
    log_abs = jnp.log10(jnp.abs(jnp.asarray(values, jnp.float32)))  # 0 -> -inf -> first bin
    lo_exp = jnp.asarray(lo_exp, jnp.float32)
    width = jnp.maximum(jnp.asarray(hi_exp, jnp.float32) - lo_exp, 1e-12)
    position = jnp.nan_to_num((log_abs - lo_exp) / width * bins, nan=0.0)
    return _bin_counts(position, bins)


def dead_fraction(pre: Array) -> Array:
    r"""Fraction of units whose pre-activation is never positive over the batch.

    .. math::
      \frac{1}{d}\,\#\{\,j : z_{ij} \le 0 \ \forall i\,\}

    For the ReLU family such a unit outputs (almost) nothing and gets (almost) no gradient: it is
    dead for this batch.
    """
    return jnp.mean(jnp.all(pre <= 0.0, axis=0).astype(jnp.float32))


def update_ratio(update: Array, weight: Array, eps: float = 1e-12) -> Array:
    r"""Relative update size :math:`\|\Delta W\|_F / \|W\|_F` (healthy training: roughly :math:`10^{-3}`)."""
    return jnp.linalg.norm(update) / (jnp.linalg.norm(weight) + eps)


def layer_stats(
    trace: Sequence[dict[str, Array]],
    params: Sequence[dict[str, Array]],
    grads: Sequence[dict[str, Array]],
    updates: Sequence[dict[str, Array]] | None = None,
    *,
    act_range: tuple[float, float] = (-1.0, 1.0),
    preact_range: tuple[float, float] = (-4.0, 4.0),
    grad_exp_range: tuple[float, float] = (-8.0, 0.0),
    bins: int = 30,
    is_relu_family: bool = False,
) -> list[dict[str, Array]]:
    r"""Per-layer diagnostics for one training step (all arrays, jit-friendly).

    One entry per dense layer (``len(params)``; the last one is the output layer). Every entry has

    * ``weight_hist`` -- counts of ``W`` on the symmetric data-driven range
      ``[-weight_absmax, weight_absmax]``, ``weight_absmax`` -- that half-width, ``weight_std``;
    * ``grad_abs_mean`` -- :math:`\mathrm{mean}|\partial L / \partial W|`, ``grad_hist`` -- counts of
      :math:`|\partial L/\partial W|` on :func:`log_edges` over ``grad_exp_range``;
    * ``update_ratio`` -- :math:`\|\Delta W\| / \|W\|` (0 when ``updates`` is None).

    Hidden-layer entries (those with a ``trace``) also have ``act_hist`` (on ``act_range``),
    ``preact_hist`` (on ``preact_range``), ``act_mean``, ``act_std`` and ``dead_fraction`` (the
    fraction of units never positive over the batch; 0 unless ``is_relu_family``). Use :func:`edges`
    and :func:`log_edges` with the same arguments to get the bin edges.
    """
    out: list[dict[str, Array]] = []
    for i, (layer, grad) in enumerate(zip(params, grads, strict=True)):
        w, g = layer["W"], grad["W"]
        absmax = jnp.maximum(jnp.max(jnp.abs(w)), 1e-12)
        entry: dict[str, Any] = {
            "weight_hist": histogram_fixed(w, -absmax, absmax, bins),
            "weight_absmax": absmax,
            "weight_std": jnp.std(w),
            "grad_abs_mean": jnp.mean(jnp.abs(g)),
            "grad_hist": log_histogram_abs(g, grad_exp_range[0], grad_exp_range[1], bins),
            "update_ratio": (update_ratio(updates[i]["W"], w) if updates is not None else jnp.zeros(())),
        }
        if i < len(trace):
            pre, act = trace[i]["pre"], trace[i]["act"]
            entry["act_hist"] = histogram_fixed(act, act_range[0], act_range[1], bins)
            entry["preact_hist"] = histogram_fixed(pre, preact_range[0], preact_range[1], bins)
            entry["act_mean"] = jnp.mean(act)
            entry["act_std"] = jnp.std(act)
            entry["dead_fraction"] = dead_fraction(pre) if is_relu_family else jnp.zeros(())
        out.append(entry)
    return out

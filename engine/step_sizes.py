r"""Effective per-coordinate step sizes of the adaptive rules: the factor each coordinate of the gradient
(or, for Adam, of its bias-corrected running mean :math:`\hat s`) is multiplied by in update ``t``.

.. math::
    \text{AdaGrad: } \frac{\epsilon}{\delta + \sqrt{r}} \qquad
    \text{RMSProp: } \frac{\epsilon}{\sqrt{\delta + r}} \qquad
    \text{AdaDelta: } \epsilon\,\frac{\sqrt{u + \delta}}{\sqrt{r + \delta}} \qquad
    \text{Adam, Nadam, AdamW: } \frac{\epsilon}{\sqrt{\hat r} + \delta} \qquad
    \text{delta-bar-delta: } \epsilon_i

each with ``r`` (and the rates ``εᵢ``) after the update, ``u`` of AdaDelta before it (as the rule uses
them), and the scheduled rate ε_t. Plain SGD, momentum, Nesterov and Newton have none: every coordinate
gets the same ε. A step size is read from the rule's state, so it is exactly the one the update used.

References:
    Goodfellow, Bengio & Courville, *Deep Learning*, MIT Press 2016, §8.5 (adaptive learning rates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from engine import rules

Pair = tuple[jax.Array, jax.Array]
StepSize = Callable[[Any, Any, dict[str, jax.Array]], Pair]


def _part(state: Any, kind: type) -> Any:
    """The first ``kind`` state in a (possibly chained) optimizer state."""
    if isinstance(state, kind):
        return state
    for part in state if isinstance(state, tuple) else ():
        found = _part(part, kind)
        if found is not None:
            return found
    return None


def _pair(f, *trees) -> Pair:
    return tuple(jax.tree.map(f, *trees))


def _adagrad(before, after, h) -> Pair:
    return _pair(lambda r: h["learning_rate"] / (h["eps"] + jnp.sqrt(r)), after.sum_of_squares)


def _rmsprop(before, after, h) -> Pair:
    nu = _part(after, optax.ScaleByRmsState).nu
    return _pair(lambda r: h["learning_rate"] * jax.lax.rsqrt(r + h["eps"]), nu)


def _rmsprop_nesterov(before, after, h) -> Pair:
    return _pair(lambda r: h["learning_rate"] / jnp.sqrt(h["eps"] + r), after.mean_square)


def _adadelta(before, after, h) -> Pair:
    old, new = _part(before, optax.ScaleByAdaDeltaState), _part(after, optax.ScaleByAdaDeltaState)
    eps = h["eps"]
    return _pair(lambda u, r: h["learning_rate"] * jnp.sqrt(u + eps) / jnp.sqrt(r + eps), old.e_x, new.e_g)


def _adam(before, after, h) -> Pair:
    state = _part(after, optax.ScaleByAdamState)
    correction = 1.0 - jnp.exp(state.count.astype(jnp.float32) * jnp.log(h["b2"]))
    return _pair(lambda r: h["learning_rate"] / (jnp.sqrt(r / correction) + h["eps"]), state.nu)


def _adam_uncorrected(before, after, h) -> Pair:
    return _pair(lambda r: h["learning_rate"] / (jnp.sqrt(r) + h["eps"]), after.nu)


def _delta_bar_delta(before, after, h) -> Pair:
    return tuple(_part(after, rules.DeltaBarDeltaState).rates)


STEP_SIZES: dict[str, StepSize] = {
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "rmsprop_nesterov": _rmsprop_nesterov,
    "adadelta": _adadelta,
    "adam": _adam,
    "adam_uncorrected": _adam_uncorrected,
    "nadam": _adam,
    "adamw": _adam,
    "delta_bar_delta": _delta_bar_delta,
}


def step_size(optimizer: str) -> StepSize | None:
    """``fn(state_before, state_after, hyperparameters) -> (s_x, s_y)`` of an adaptive rule, else ``None``."""
    return STEP_SIZES.get(optimizer)

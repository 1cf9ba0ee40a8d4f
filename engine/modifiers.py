r"""What happens to a gradient before the update rule sees it: simulated minibatch noise, then clipping.

Both are encoded as traced values (a mode index and a threshold; σ and a seed), so toggling clipping
or moving the noise slider never recompiles.

.. math::
    \tilde g = g + \sigma \xi_t,\ \xi_t \sim \mathcal N(0, I);\qquad
    \text{value: } \operatorname{clip}(\tilde g, -c, c);\qquad
    \text{norm: } \tilde g \cdot \min\!\big(1, c / \lVert \tilde g \rVert\big)

Clipping follows Keras' ``clipvalue`` / ``clipnorm`` (optax's ``clip`` and ``clip_by_global_norm``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

CLIP_MODES = ("none", "value", "norm")


class ClipArrays(NamedTuple):
    mode: np.ndarray  # int32 index into CLIP_MODES
    threshold: np.ndarray  # float32


class NoiseArrays(NamedTuple):
    sigma: np.ndarray  # float32
    seed: np.ndarray  # uint32


def encode_clip(config: dict | None) -> ClipArrays:
    """``{"mode": "value"|"norm", "threshold": c}`` or ``None``."""
    if not config:
        return ClipArrays(np.int32(0), np.float32(1.0))
    return ClipArrays(np.int32(CLIP_MODES.index(config["mode"])), np.float32(config["threshold"]))


def encode_noise(config: dict | None) -> NoiseArrays:
    """``{"sigma": σ, "seed": s}`` or ``None`` (no noise)."""
    config = config or {}
    return NoiseArrays(np.float32(config.get("sigma", 0.0)), np.uint32(config.get("seed", 0)))


def noise_sequence(noise: NoiseArrays, t0: jax.Array, length: int, shape: tuple[int, ...]) -> jax.Array:
    """σξ_t for t = t0 … t0+length−1; step ``t`` of seed ``s`` always draws the same ξ_t.

    Drawn for a whole chunk at once (vectorized threefry is ~30× cheaper than one draw per scan step)
    and keyed by the absolute step, so the sequence does not depend on how a run is chunked.
    """
    key = jax.random.key(noise.seed)
    draw = jax.vmap(lambda t: jax.random.normal(jax.random.fold_in(key, t), shape))
    return noise.sigma * draw(t0 + jnp.arange(length))


def clip(g: optax.Updates, c: ClipArrays) -> optax.Updates:
    """Apply the selected clipping (none, by value, by norm) to a gradient (an array or a pytree).

    The mode picks with ``where`` rather than indexing a stack: batched over runs, the choice stays
    elementwise and fuses with the rest of the step.
    """
    empty = optax.EmptyState()
    by_value, _ = optax.clip(c.threshold).update(g, empty)
    by_norm, _ = optax.clip_by_global_norm(c.threshold).update(g, empty)
    pick = lambda raw, v, n: jnp.where(c.mode == 1, v, jnp.where(c.mode == 2, n, raw))  # noqa: E731
    return jax.tree.map(pick, g, by_value, by_norm)

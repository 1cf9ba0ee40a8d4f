r"""Update rules in the textbook form where optax's form differs or optax has no rule, and optax's
Adam/Nadam with a bias correction XLA:CPU computes quickly (:func:`adam`).

Each factory returns an :class:`optax.GradientTransformation` whose ``update`` returns the *parameter
change* ``Δθ`` (so ``optax.apply_updates`` adds it). The learning rate is a value, not a schedule:
the runner rebuilds the transformation each step with the scheduled ``ε_t``, which is what makes the
textbook momentum ``v ← αv − ε_t g`` differ from optax's ``v ← μv + g; θ ← θ − ε_t v``.

References:
    Goodfellow, Bengio & Courville, *Deep Learning*, MIT Press 2016, chapter 8 (Algorithms 8.1–8.7).
    Jacobs, "Increased rates of convergence through learning rate adaptation", 1988 (delta-bar-delta).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

Array = jax.Array


class VelocityState(NamedTuple):
    """Velocity ``v`` of the momentum methods."""

    velocity: optax.Updates


def textbook_momentum(learning_rate: Array, momentum: Array) -> optax.GradientTransformation:
    r"""Classical momentum (Alg. 8.2).

    .. math:: v \leftarrow \alpha v - \epsilon g, \qquad \Delta\theta = v
    """

    def init_fn(params):
        return VelocityState(jax.tree.map(jnp.zeros_like, params))

    def update_fn(updates, state, params=None):
        velocity = jax.tree.map(lambda v, g: momentum * v - learning_rate * g, state.velocity, updates)
        return velocity, VelocityState(velocity)

    return optax.GradientTransformation(init_fn, update_fn)


def textbook_nesterov(learning_rate: Array, momentum: Array) -> optax.GradientTransformation:
    r"""Nesterov momentum (Alg. 8.3); the gradient must be taken at :func:`momentum_lookahead`.

    .. math:: g = \nabla f(\theta + \alpha v),\quad v \leftarrow \alpha v - \epsilon g,
        \quad \Delta\theta = v
    """
    return textbook_momentum(learning_rate, momentum)


def momentum_lookahead(params: optax.Params, state: VelocityState, momentum: Array) -> optax.Params:
    r"""The interim point :math:`\tilde\theta = \theta + \alpha v` where Nesterov methods take the gradient."""
    return jax.tree.map(lambda p, v: p + momentum * v, params, state.velocity)


class AccumulatorState(NamedTuple):
    """Running sum ``r`` of squared gradients."""

    sum_of_squares: optax.Updates


def textbook_adagrad(learning_rate: Array, eps: Array) -> optax.GradientTransformation:
    r"""AdaGrad (Alg. 8.4): ``r₀ = 0`` and ``δ`` outside the square root.

    .. math:: r \leftarrow r + g \odot g, \qquad \Delta\theta = -\frac{\epsilon}{\delta + \sqrt{r}} \odot g

    ``optax.adagrad`` puts ``δ`` inside the root and starts from ``r₀ = 0.1``; with
    ``initial_accumulator_value=0`` and a tiny ``eps`` the two agree.
    """

    def init_fn(params):
        return AccumulatorState(jax.tree.map(jnp.zeros_like, params))

    def update_fn(updates, state, params=None):
        r = jax.tree.map(lambda r, g: r + g * g, state.sum_of_squares, updates)
        step = jax.tree.map(lambda g, r: -learning_rate * g / (eps + jnp.sqrt(r)), updates, r)
        return step, AccumulatorState(r)

    return optax.GradientTransformation(init_fn, update_fn)


class RmsMomentumState(NamedTuple):
    """Decaying mean ``r`` of squared gradients and velocity ``v``."""

    mean_square: optax.Updates
    velocity: optax.Updates


def textbook_rmsprop_nesterov(
    learning_rate: Array, decay: Array, momentum: Array, eps: Array
) -> optax.GradientTransformation:
    r"""RMSProp with Nesterov momentum (Alg. 8.6); gradient taken at :func:`momentum_lookahead`.

    .. math:: r \leftarrow \rho r + (1-\rho)\, g\odot g, \quad
        v \leftarrow \alpha v - \frac{\epsilon}{\sqrt{\delta + r}} \odot g, \quad \Delta\theta = v

    The book writes ``√r``; ``δ`` inside the root (as in Alg. 8.5) keeps the first step finite.
    """

    def init_fn(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return RmsMomentumState(zeros, zeros)

    def update_fn(updates, state, params=None):
        r = jax.tree.map(lambda r, g: decay * r + (1.0 - decay) * g * g, state.mean_square, updates)
        v = jax.tree.map(
            lambda v, g, r: momentum * v - learning_rate * g / jnp.sqrt(eps + r), state.velocity, updates, r
        )
        return v, RmsMomentumState(r, v)

    return optax.GradientTransformation(init_fn, update_fn)


class DeltaBarDeltaState(NamedTuple):
    """Per-coordinate learning rates ``ε`` and the exponential average ``δ̄`` of past gradients."""

    rates: optax.Updates
    bar_delta: optax.Updates


def delta_bar_delta(learning_rate: Array, kappa: Array, phi: Array, theta: Array) -> optax.GradientTransformation:
    r"""Delta-bar-delta (Jacobs 1988): grow a coordinate's rate while its gradient keeps its sign.

    .. math::
        \epsilon_i \leftarrow \begin{cases}\epsilon_i + \kappa & \bar\delta_i g_i > 0\\
        (1-\phi)\,\epsilon_i & \bar\delta_i g_i < 0\\ \epsilon_i & \text{otherwise}\end{cases},\quad
        \Delta\theta = -\epsilon \odot g,\quad \bar\delta \leftarrow (1-\theta) g + \theta \bar\delta

    The rates start at ``learning_rate`` and ``δ̄₀ = 0``. Meant for full-batch gradients.
    """

    def init_fn(params):
        return DeltaBarDeltaState(
            jax.tree.map(lambda p: jnp.full_like(p, learning_rate), params),
            jax.tree.map(jnp.zeros_like, params),
        )

    def new_rate(rate, bar, g):
        agreement = bar * g
        return jnp.where(agreement > 0, rate + kappa, jnp.where(agreement < 0, (1.0 - phi) * rate, rate))

    def update_fn(updates, state, params=None):
        rates = jax.tree.map(new_rate, state.rates, state.bar_delta, updates)
        step = jax.tree.map(lambda e, g: -e * g, rates, updates)
        bar = jax.tree.map(lambda b, g: (1.0 - theta) * g + theta * b, state.bar_delta, updates)
        return step, DeltaBarDeltaState(rates, bar)

    return optax.GradientTransformation(init_fn, update_fn)


def pinv_symmetric_2x2(h: Array, rtol: float = 1e-6) -> Array:
    r"""Moore–Penrose pseudo-inverse of a symmetric 2×2 matrix in closed form.

    Invertible: :math:`H^{-1} = \frac{1}{ad-b^2}\begin{pmatrix}d & -b\\ -b & a\end{pmatrix}`.
    Rank one (:math:`H = \lambda uu^\top`, :math:`\lambda = \operatorname{tr} H`): :math:`H^{+} = H/\lambda^2`.
    Zero: 0. Rank is judged against ``rtol`` times the largest curvature. Same result as
    ``jnp.linalg.pinv`` without its SVD loop (≈20× faster inside a scan on CPU).
    """
    a, b, d = h[0, 0], h[0, 1], h[1, 1]
    det = a * d - b * b
    scale = jnp.maximum(jnp.abs(a) + jnp.abs(d) + 2 * jnp.abs(b), jnp.finfo(h.dtype).tiny)
    trace = a + d
    inverse = jnp.array([[d, -b], [-b, a]]) / jnp.where(det == 0, 1.0, det)
    rank_one = h / jnp.where(trace == 0, 1.0, trace) ** 2
    invertible = jnp.abs(det) > rtol * scale**2
    nonzero = jnp.abs(trace) > rtol * scale
    return jnp.where(invertible, inverse, jnp.where(nonzero, rank_one, jnp.zeros_like(h)))


def newton(learning_rate: Array) -> optax.GradientTransformationExtraArgs:
    r"""Damped Newton step with the exact Hessian (passed as the extra argument ``hessian``).

    .. math:: \Delta\theta = -\epsilon\, H^{+} g

    ``H⁺`` is the Moore–Penrose pseudo-inverse: equal to ``H⁻¹`` when H is invertible; when H is
    singular (the monkey saddle's origin) the directions of zero curvature get no step. The
    Hessian's sign is kept, so Newton's method is attracted to saddle points — the lesson it teaches.
    Params are one point of the plane (a 2-vector or an (x, y) pair); ``hessian`` is its 2×2 matrix.
    """

    def init_fn(params):
        return optax.EmptyState()

    def update_fn(updates, state, params=None, *, hessian, **extra_args):
        g, unravel = ravel_pytree(updates)
        return unravel(-learning_rate * (pinv_symmetric_2x2(hessian) @ g)), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def _bias_correction(decay: Array, count: Array) -> Array:
    r"""``1 − ρ^t`` as ``1 − exp(t ln ρ)``: what optax's ``1 - decay**count`` computes, with the same
    float32 rounding (close to, not bit-identical with, ``pow``).

    XLA:CPU lowers ``pow`` with a traced exponent to one scalar libm call per element (≈13× the cost of
    ``exp`` in a batched step, where it was two thirds of an Adam step); ``ln ρ`` is hoisted out of the
    loop. ``ρ = 0`` gives ``ln ρ = −∞`` and a correction of exactly 1 for every ``t ≥ 1``.
    """
    return 1.0 - jnp.exp(count.astype(jnp.float32) * jnp.log(decay))


def adam(
    learning_rate: Array,
    b1: Array,
    b2: Array,
    eps: Array,
    nesterov: bool = False,
    bias_correction: bool = True,
) -> optax.GradientTransformation:
    r"""Adam (Alg. 8.7), or Nadam with ``nesterov=True`` — optax's ``adam``/``nadam`` rule and state.

    .. math::
        s \leftarrow \rho_1 s + (1-\rho_1) g,\quad r \leftarrow \rho_2 r + (1-\rho_2) g\odot g,\quad
        \Delta\theta = -\epsilon\,\frac{s/(1-\rho_1^t)}{\sqrt{r/(1-\rho_2^t)} + \delta}

    Nadam replaces ``s/(1−ρ₁ᵗ)`` by ``ρ₁ s/(1−ρ₁ᵗ⁺¹) + (1−ρ₁) g/(1−ρ₁ᵗ)`` (Dozat 2016, as optax).
    Only the arithmetic is arranged differently: the bias corrections without ``pow``
    (:func:`_bias_correction`), and Adam's step as :math:`-\frac{\epsilon}{1-\rho_1^t}\,s \big/
    \big(\sqrt{r\cdot(1-\rho_2^t)^{-1}} + \delta\big)`, which takes one division per coordinate
    (divisions are the costly part of a batched step); ``tests/engine/test_optax_equivalence.py`` checks
    the iterates against ``optax.adam``/``optax.nadam``.

    ``bias_correction=False`` (static) uses the moments as they are, biased towards their zero start
    (Kingma & Ba 2015, §3, shows what the correction fixes):

    .. math:: \Delta\theta = -\epsilon\,\frac{s}{\sqrt{r} + \delta}
        \qquad\text{(Nadam: } \rho_1 s + (1-\rho_1)\, g \text{ in place of } s\text{)}

    From ``s₀ = r₀ = 0`` the first step is ``−ε (1−ρ₁) g / (√(1−ρ₂) |g| + δ)``, about ``3.16 ε`` per
    coordinate with ``ρ₁ = 0.9``, ``ρ₂ = 0.999``, where the corrected step is ``ε``; for a constant
    gradient the ratio ``(1−ρ₁ᵗ)/√(1−ρ₂ᵗ)`` peaks near ``6.6`` at ``t = 12`` and is still ``1.26`` at
    ``t = 1000``. The state is Adam's; ``count`` still counts but enters no step.
    """

    def init_fn(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return optax.ScaleByAdamState(count=jnp.zeros([], jnp.int32), mu=zeros, nu=zeros)

    def update_fn(updates, state, params=None):
        mu = jax.tree.map(lambda m, g: b1 * m + (1.0 - b1) * g, state.mu, updates)
        nu = jax.tree.map(lambda v, g: b2 * v + (1.0 - b2) * g * g, state.nu, updates)
        count = state.count + 1
        if not bias_correction:
            if nesterov:
                mu_ahead = jax.tree.map(lambda m, g: b1 * m + (1.0 - b1) * g, mu, updates)
            else:
                mu_ahead = mu
            step = jax.tree.map(lambda m, v: -learning_rate * m / (jnp.sqrt(v) + eps), mu_ahead, nu)
            return step, optax.ScaleByAdamState(count=count, mu=mu, nu=nu)
        correction1 = _bias_correction(b1, count)
        correction2 = _bias_correction(b2, count)
        # learning_rate/(1−ρ₁ᵗ) and 1/(1−ρ₂ᵗ) are taken once per run (once per batch for runs that share the
        # values), not once per coordinate.
        inverse_correction2 = 1.0 / correction2
        if nesterov:
            ahead = _bias_correction(b1, count + 1)
            mu_hat = jax.tree.map(lambda m, g: b1 * m / ahead + (1.0 - b1) * g / correction1, mu, updates)
            rate = learning_rate
        else:
            mu_hat, rate = mu, learning_rate / correction1
        step = jax.tree.map(lambda m, v: -rate * m / (jnp.sqrt(v * inverse_correction2) + eps), mu_hat, nu)
        return step, optax.ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)

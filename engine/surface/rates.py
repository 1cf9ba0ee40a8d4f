r"""Linear convergence rates on a quadratic: what theory predicts for a run's ε (and α), the best ε (and α)
with its rate, and the rate measured from the run itself (Distill's "Why Momentum Really Works").

On :math:`f(\theta) = \tfrac12 (\theta-\theta^\star)^\top H (\theta-\theta^\star)` with a constant Hessian
:math:`H = Q \operatorname{diag}(\lambda_i) Q^\top`, the error :math:`e_t = \theta_t - \theta^\star` of the
three gradient methods below is a linear recurrence. In the eigenbasis its coordinates
:math:`z = Q^\top e` decouple, one per eigenvalue λ:

.. math::
    \text{SGD:}\quad & z_{t+1} = (1-\epsilon\lambda)\, z_t \\
    \text{heavy ball (momentum):}\quad & z_{t+1} = (1+\alpha-\epsilon\lambda)\, z_t - \alpha\, z_{t-1} \\
    \text{Nesterov:}\quad & z_{t+1} = (1+\alpha)(1-\epsilon\lambda)\, z_t - \alpha(1-\epsilon\lambda)\, z_{t-1}

(with :math:`v_t = z_t - z_{t-1}` and :math:`v_0 = 0`, i.e. :math:`z_{-1} = z_0`). In state form
:math:`(z_{t+1}, z_t)^\top = M_\lambda (z_t, z_{t-1})^\top` with the companion matrix

.. math:: M_\lambda = \begin{pmatrix} a & -b \\ 1 & 0 \end{pmatrix},\qquad
    \text{heavy ball: } a = 1+\alpha-\epsilon\lambda,\ b = \alpha;\qquad
    \text{Nesterov: } a = (1+\alpha)(1-\epsilon\lambda),\ b = \alpha(1-\epsilon\lambda),

whose eigenvalues are the roots of :math:`\mu^2 - a\mu + b = 0` (SGD: the 1×1 matrix :math:`1-\epsilon\lambda`).
The error shrinks like :math:`\rho^t` with :math:`\rho = \max_\lambda \operatorname{spr}(M_\lambda)`, the
largest modulus of those roots over the Hessian's eigenvalues; :math:`\rho > 1` diverges.

*Nesterov's matrix.* The textbook rule (Sutskever et al. 2013; Goodfellow et al., Alg. 8.3) takes the
gradient at the look-ahead point: :math:`g = \lambda (z_t + \alpha v_t)`, so
:math:`v_{t+1} = \alpha v_t - \epsilon\lambda (z_t + \alpha v_t)
= \alpha(1-\epsilon\lambda)\, v_t - \epsilon\lambda z_t` and
:math:`z_{t+1} = z_t + v_{t+1} = (1-\epsilon\lambda)\, z_t + \alpha(1-\epsilon\lambda)\, v_t`; substituting
:math:`v_t = z_t - z_{t-1}` gives the recurrence above. Heavy ball's momentum term :math:`\alpha v_t` is not
damped by the curvature; Nesterov's is, by the factor :math:`1-\epsilon\lambda`.

Optimal tuning, with :math:`\kappa = \lambda_{\max}/\lambda_{\min}` (ε*, α* → ρ*):

- SGD: :math:`\epsilon^\star = 2/(\lambda_{\min}+\lambda_{\max})` →
  :math:`\rho^\star = (\kappa-1)/(\kappa+1)`;
- heavy ball: :math:`\epsilon^\star = 4/(\sqrt{\lambda_{\max}}+\sqrt{\lambda_{\min}})^2`,
  :math:`\alpha^\star = \big((\sqrt\kappa-1)/(\sqrt\kappa+1)\big)^2` →
  :math:`\rho^\star = (\sqrt\kappa-1)/(\sqrt\kappa+1)`;
- Nesterov: :math:`\epsilon^\star = 4/(3\lambda_{\max}+\lambda_{\min})`,
  :math:`\alpha^\star = (\sqrt{3\kappa+1}-2)/(\sqrt{3\kappa+1}+2)` →
  :math:`\rho^\star = 1-2/\sqrt{3\kappa+1}`.

SGD's ε* balances the slowest and the fastest direction
(:math:`1-\epsilon\lambda_{\min} = -(1-\epsilon\lambda_{\max})`);
heavy ball's puts both extreme eigenvalues at a double root of modulus :math:`\sqrt\alpha`, so every direction
decays at the same rate; Nesterov's is Lessard, Recht & Packard's tuning for quadratics (checked against a
grid search in the tests).

*Measured rate.* :func:`measured_rate` fits the decay of :math:`\lVert\theta_t - \theta^\star\rVert` over the
second half of the run's usable points — from the start until the first point whose error is not finite or
below :data:`ERROR_FLOOR` (float32's normal range ends at 1.2e-38; the quadratic's minimum is the origin, where
float32 keeps full relative precision down to there), or the last point of a diverged run. With momentum the
error oscillates (complex roots: :math:`|z_t| \propto \rho^t |\cos(\omega t + \phi)|`), so successive ratios
are useless; the fit splits the window into :data:`FIT_BLOCKS` blocks, takes each block's largest error (a
crest of the oscillation, on the envelope :math:`\propto \rho^t`) at its own step, and fits a straight line to
:math:`\log\lVert e\rVert` against the step through those crests: :math:`\rho_\text{measured} = e^\text{slope}`.
Without oscillation the crests are the blocks' first (decay) or last (growth) points, on the same line. Two
honest departures from :math:`\rho`: at heavy ball's optimum the double root makes the error decay like
:math:`t\rho^t`, which a finite window reads as :math:`\rho(1 + O(1/t))` (about 1 % high at κ = 10); and a start
with no component along the slowest direction measures a faster rate than :math:`\rho`.

*Terminal velocity.* Under a constant gradient g the velocity :math:`v \leftarrow \alpha v - \epsilon g` tends
to :math:`-\epsilon g/(1-\alpha)` (Goodfellow et al., §8.3.2): momentum multiplies the step by up to
:math:`1/(1-\alpha)` — 2, 10 and 100 for α = 0.5, 0.9, 0.99 (:func:`terminal_velocity_factor`).

References:
    Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
    Goh, "Why Momentum Really Works", Distill, 2017.
    Lessard, Recht & Packard, "Analysis and design of optimization algorithms via integral quadratic
    constraints", SIAM J. Optim., 2016 (§2.2: the optimal tuning of Nesterov's method on quadratics).
    Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §8.3.2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RATE_OPTIMIZERS = ("sgd", "momentum", "nesterov")
ERROR_FLOOR = 1e-30
FIT_BLOCKS = 8
MIN_FIT_POINTS = 8


@dataclass(frozen=True)
class Optimum:
    """The best constant ε (and α) for a method on this Hessian, and the rate they give."""

    learning_rate: float
    momentum: float | None
    rate: float


@dataclass(frozen=True)
class MeasuredRate:
    rate: float
    first_step: int  # the fitted window, both included
    last_step: int


@dataclass(frozen=True)
class AnalyticRates:
    """Theory beside measurement for one run (see the module docstring)."""

    eigenvalues: tuple[float, ...]  # of the Hessian, ascending
    condition_number: float
    predicted_rate: float  # spectral radius of the iteration matrix at the run's ε (and α)
    optimum: Optimum
    measured: MeasuredRate | None
    terminal_velocity_factor: float | None  # 1/(1−α) for the momentum methods

    @property
    def converges(self) -> bool:
        return self.predicted_rate < 1.0


def quadratic_eigenvalues(kappa: float) -> tuple[float, float]:
    """Eigenvalues of the ``quadratic`` surface's Hessian :math:`R\\,\\operatorname{diag}(1, \\kappa)R^\\top`,
    ascending (κ ≥ 1 in the catalog; any order is sorted)."""
    return tuple(sorted((1.0, float(kappa))))


def _companion_radius(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Largest root modulus of :math:`\mu^2 - a\mu + b` (the spectral radius of ``[[a, −b], [1, 0]]``)."""
    root = np.sqrt(np.asarray(a, complex) ** 2 - 4 * np.asarray(b, complex))
    return np.maximum(np.abs((a + root) / 2), np.abs((a - root) / 2))


def iteration_matrix(optimizer: str, curvature: float, learning_rate: float, momentum: float = 0.0) -> np.ndarray:
    """:math:`M_\\lambda` of the module docstring for one eigenvalue (SGD: 1×1)."""
    step = 1.0 - learning_rate * curvature
    if optimizer == "sgd":
        return np.array([[step]])
    if optimizer == "momentum":
        a, b = 1.0 + momentum - learning_rate * curvature, momentum
    elif optimizer == "nesterov":
        a, b = (1.0 + momentum) * step, momentum * step
    else:
        raise ValueError(f"no linear-rate theory for {optimizer}; it has {RATE_OPTIMIZERS}")
    return np.array([[a, -b], [1.0, 0.0]])


def predicted_rate(optimizer: str, eigenvalues, learning_rate: float, momentum: float = 0.0) -> float:
    """ρ: the largest spectral radius of the iteration matrices over the Hessian's eigenvalues."""
    lam = np.asarray(eigenvalues, np.float64)
    step = 1.0 - learning_rate * lam
    if optimizer == "sgd":
        return float(np.max(np.abs(step)))
    if optimizer == "momentum":
        radius = _companion_radius(1.0 + momentum - learning_rate * lam, np.full_like(lam, momentum))
    elif optimizer == "nesterov":
        radius = _companion_radius((1.0 + momentum) * step, momentum * step)
    else:
        raise ValueError(f"no linear-rate theory for {optimizer}; it has {RATE_OPTIMIZERS}")
    return float(np.max(radius))


def optimum(optimizer: str, eigenvalues) -> Optimum:
    """ε*, α* and ρ* of the table in the module docstring."""
    low, high = float(np.min(eigenvalues)), float(np.max(eigenvalues))
    kappa = high / low
    if optimizer == "sgd":
        return Optimum(2.0 / (low + high), None, (kappa - 1.0) / (kappa + 1.0))
    if optimizer == "momentum":
        root = math.sqrt(kappa)
        rate = (root - 1.0) / (root + 1.0)
        return Optimum(4.0 / (math.sqrt(high) + math.sqrt(low)) ** 2, rate**2, rate)
    if optimizer == "nesterov":
        q = math.sqrt(3.0 * kappa + 1.0)
        return Optimum(4.0 / (3.0 * high + low), (q - 2.0) / (q + 2.0), 1.0 - 2.0 / q)
    raise ValueError(f"no linear-rate theory for {optimizer}; it has {RATE_OPTIMIZERS}")


def measured_rate(errors) -> MeasuredRate | None:
    """The linear rate fitted to the tail of ``errors`` = ‖θ_t − θ*‖, t = 0, 1, … (module docstring);
    ``None`` when fewer than :data:`MIN_FIT_POINTS` points are usable."""
    e = np.asarray(errors, np.float64)
    bad = ~np.isfinite(e) | (e < ERROR_FLOOR)
    usable = int(np.argmax(bad)) if bad.any() else len(e)
    if usable < MIN_FIT_POINTS:
        return None
    first = usable // 2
    window = np.arange(first, usable)
    blocks = np.array_split(window, min(FIT_BLOCKS, len(window) // 2))
    crests = np.array([block[np.argmax(e[block])] for block in blocks])
    slope = np.polyfit(crests.astype(np.float64), np.log(e[crests]), 1)[0]
    return MeasuredRate(float(np.exp(slope)), int(first), int(usable - 1))


def terminal_velocity_factor(momentum: float) -> float:
    """:math:`1/(1-\\alpha)`: how many times a plain gradient step the momentum step grows to under a
    constant gradient (infinite at α = 1; the catalog stops α at 0.999)."""
    return math.inf if momentum >= 1.0 else 1.0 / (1.0 - momentum)


def analyze(
    optimizer: str, hyperparameters: dict[str, float], eigenvalues, points: np.ndarray, minimum=(0.0, 0.0)
) -> AnalyticRates | None:
    """Predicted, optimal and measured rates of one run (``points``: its reported θ_t); ``None`` for an
    optimizer without the theory."""
    if optimizer not in RATE_OPTIMIZERS:
        return None
    eigenvalues = tuple(sorted(float(v) for v in eigenvalues))
    momentum = float(hyperparameters.get("momentum", 0.0))
    errors = np.linalg.norm(np.asarray(points, np.float64) - np.asarray(minimum, np.float64), axis=1)
    return AnalyticRates(
        eigenvalues=eigenvalues,
        condition_number=eigenvalues[-1] / eigenvalues[0],
        predicted_rate=predicted_rate(optimizer, eigenvalues, float(hyperparameters["learning_rate"]), momentum),
        optimum=optimum(optimizer, eigenvalues),
        measured=measured_rate(errors),
        terminal_velocity_factor=None if optimizer == "sgd" else terminal_velocity_factor(momentum),
    )

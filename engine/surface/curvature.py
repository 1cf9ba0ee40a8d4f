r"""Curvature at a point of a surface, and the second-order check of one gradient step (seed 004 §2.1).

Near :math:`\theta` the loss after a gradient step of size :math:`\epsilon` is, to second order,

.. math::
    f(\theta - \epsilon g) \approx f(\theta) - \epsilon\, g^\top g + \tfrac12 \epsilon^2\, g^\top H g,

so the step *raises* the loss when :math:`\tfrac12 \epsilon^2 g^\top H g > \epsilon g^\top g`: too large a
step along a direction of strong positive curvature overshoots. The eigenvalues of :math:`H` say what
kind of point it is: all positive a minimum, all negative a maximum, mixed signs a saddle, and a zero
(to float32 precision) a degenerate point such as the monkey saddle's origin.

References:
  Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §4.3.1 and §8.2.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from engine.surface.surfaces import get_surface

# An eigenvalue this small relative to the largest one (or to 1) counts as zero: float32 derivatives.
DEGENERATE_RTOL = 1e-5


@dataclass(frozen=True)
class PointCurvature:
    loss: float
    gradient: np.ndarray  # (2,)
    hessian: np.ndarray  # (2, 2), symmetric
    eigenvalues: np.ndarray  # (2,), ascending
    eigenvectors: np.ndarray  # (2, 2), column k belongs to eigenvalues[k]
    kind: str  # "minimum" | "maximum" | "saddle" | "degenerate"
    first_order: float  # ε gᵀg
    second_order: float  # ½ ε² gᵀHg
    actual_change: float | None  # f(θ − εg) − f(θ); None where the step leaves the finite part of f

    @property
    def predicted_change(self) -> float:
        return -self.first_order + self.second_order


@functools.cache
def _derivatives(surface: str):
    """One compiled function per surface: f, ∇f, H at θ and f at θ − εg (ε and parameters traced)."""
    fn = get_surface(surface).fn

    def at(xy, params, learning_rate):
        loss, grad = jax.value_and_grad(fn)(xy, params)
        hessian = jax.hessian(fn)(xy, params)
        stepped = fn(xy - learning_rate * grad, params)
        return loss, grad, hessian, stepped

    return jax.jit(at)


def classify(eigenvalues: np.ndarray) -> str:
    """minimum / maximum / saddle from the signs of the eigenvalues; degenerate when one is ~0."""
    scale = max(1.0, float(np.max(np.abs(eigenvalues))))
    if np.any(np.abs(eigenvalues) <= DEGENERATE_RTOL * scale):
        return "degenerate"
    if np.all(eigenvalues > 0):
        return "minimum"
    if np.all(eigenvalues < 0):
        return "maximum"
    return "saddle"


def point_curvature(
    surface: str, params: dict[str, float] | None, point: tuple[float, float], learning_rate: float
) -> PointCurvature:
    """Exact (autodiff) gradient and Hessian at ``point`` and the two terms of the second-order check.

    Raises ``ValueError`` when the loss or its derivatives are not finite there.
    """
    s = get_surface(surface, params)
    xy = jnp.asarray(point, jnp.float32)
    lr = jnp.asarray(learning_rate, jnp.float32)
    loss, grad, hessian, stepped = jax.device_get(_derivatives(surface)(xy, s.param_vector(params), lr))
    grad = np.asarray(grad, np.float64)
    hessian = np.asarray(hessian, np.float64)
    hessian = 0.5 * (hessian + hessian.T)  # symmetric up to float32 rounding
    if not (np.isfinite(loss) and np.isfinite(grad).all() and np.isfinite(hessian).all()):
        raise ValueError(f"the {surface} surface or its derivatives are not finite at ({point[0]}, {point[1]})")
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    g2 = float(grad @ grad)
    return PointCurvature(
        loss=float(loss),
        gradient=grad,
        hessian=hessian,
        eigenvalues=eigenvalues,
        eigenvectors=eigenvectors,
        kind=classify(eigenvalues),
        first_order=float(learning_rate) * g2,
        second_order=0.5 * float(learning_rate) ** 2 * float(grad @ hessian @ grad),
        actual_change=float(stepped) - float(loss) if np.isfinite(stepped) else None,
    )

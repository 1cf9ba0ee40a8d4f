"""The surfaces' metadata: domains, default starts, listed minima, and what each surface is built to show."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.surface.surfaces import SURFACES


def _derivatives(surface):
    """Jitted (f, ∇f, ∇²f) of a surface at a batch of points (one compilation instead of op-by-op dispatch)."""

    def one(z, p):
        return surface.fn(z, p), jax.grad(surface.fn)(z, p), jax.hessian(surface.fn)(z, p)

    batched = jax.jit(jax.vmap(one, in_axes=(0, None)))

    def at(points, params=None):
        p = jnp.asarray(surface.param_vector(params))
        f, g, h = batched(jnp.asarray(points, jnp.float32).reshape(-1, 2), p)
        return np.asarray(f, np.float64), np.asarray(g, np.float64), np.asarray(h, np.float64)

    return at


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_metadata(name):
    surface = SURFACES[name]
    (x0, x1), (y0, y1) = surface.domain
    sx, sy = surface.default_start
    assert x0 < sx < x1 and y0 < sy < y1
    if not surface.minima:
        return
    f, grads, hessians = _derivatives(surface)(surface.minima)
    assert np.all(np.isfinite(f))
    for m, g, h in zip(surface.minima, grads, hessians, strict=True):
        assert x0 <= m[0] <= x1 and y0 <= m[1] <= y1
        assert np.linalg.norm(g) < 1e-3, (name, m, g)
        assert np.all(np.linalg.eigvalsh(h) >= 0), (name, m, h)  # a local minimum
        assert np.linalg.norm(np.linalg.solve(h, g)) < 1e-3, (name, m)  # listed to 1e-3: Newton barely moves


def test_quadratic_parameters_are_condition_number_and_rotation():
    at = _derivatives(SURFACES["quadratic"])
    for kappa, theta in [(10.0, 0.3), (100.0, 2.0)]:
        _, _, (h,) = at([(0.0, 0.0)], {"kappa": kappa, "theta": theta})
        np.testing.assert_allclose(np.linalg.eigvalsh(h), [1.0, kappa], rtol=1e-5)
        stiff = np.linalg.eigh(h)[1][:, 1]  # eigenvector of κ: the v axis (−sin θ, cos θ)
        np.testing.assert_allclose(abs(stiff @ [-np.sin(theta), np.cos(theta)]), 1.0, rtol=1e-5)


def test_plateau_has_no_minimum_on_the_left():
    surface = SURFACES["plateau"]
    at = _derivatives(surface)
    xs = np.linspace(-4.0, -0.2, 77)
    _, grads, _ = at(np.stack([xs, np.zeros_like(xs)], axis=1))
    assert np.all(grads[:, 0] > 0)  # descent keeps going left, towards the asymptote
    far, far_grads, _ = at([(-4.0, 0.0), (-10.0, 0.0), (-20.0, 0.0), (-60.0, 0.0)])
    assert np.all(np.diff(far) <= 0) and np.all(far >= 0) and far[0] > far[1]  # falls towards the asymptote 0
    assert np.all(np.isfinite(far_grads))
    np.testing.assert_allclose(surface.minima, [(3.004897, 0.0)], atol=1e-5)
    f_min, _, _ = at(surface.minima)
    assert f_min[0] < -1.99


def test_cliff_minimum_is_at_the_origin_and_the_face_is_steep():
    at = _derivatives(SURFACES["cliff"])
    _, (g, face, far), (h, _, _) = at([(0.0, 0.0), (-1.0, 0.0), (5.0, 0.0)])
    assert np.linalg.norm(np.linalg.solve(h, g)) < 1e-4  # the stationary point is within 1e-4 of (0, 0)
    np.testing.assert_allclose(face, [-0.2 - 50.0, 0.0], rtol=1e-5)
    assert np.all(np.isfinite(far))

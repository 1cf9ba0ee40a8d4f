"""Gradient clipping (Keras clipvalue / clipnorm) and simulated minibatch noise, through the runner."""

import jax
import jax.numpy as jnp
import numpy as np

from engine import modifiers
from engine.surface.runner import RunConfig, simulate
from engine.surface.surfaces import SURFACES

QUAD_PARAMS = {"kappa": 10.0, "theta": 0.3}
START = np.array([1.5, -1.0])
LR = 0.1


def _quad_grad(z, kappa=10.0, theta=0.3):
    c, s = np.cos(theta), np.sin(theta)
    r = np.array([[c, -s], [s, c]])
    return r @ np.diag([1.0, kappa]) @ r.T @ z


def _first_step(clip=None, noise=None, hp=None):
    config = RunConfig("sgd", hp or {"learning_rate": LR}, clip=clip)
    return simulate("quadratic", QUAD_PARAMS, START, [config], 3, noise=noise)[0]


def test_clip_by_value_changes_the_first_step_like_keras_clipvalue():
    g = _quad_grad(START)
    assert np.max(np.abs(g)) > 2.0  # the clip is active
    for c in (0.5, 2.0):
        result = _first_step({"mode": "value", "threshold": c})
        np.testing.assert_allclose(result.points[1], START - LR * np.clip(g, -c, c), rtol=1e-6)


def test_clip_by_norm_changes_the_first_step_like_keras_clipnorm():
    g = _quad_grad(START)
    for c in (0.5, 2.0, 100.0):  # 100 > ‖g‖: unchanged
        result = _first_step({"mode": "norm", "threshold": c})
        clipped = g * c / max(np.linalg.norm(g), c)
        np.testing.assert_allclose(result.points[1], START - LR * clipped, rtol=1e-6)
    unclipped = _first_step(None)
    np.testing.assert_allclose(unclipped.points[1], START - LR * g, rtol=1e-6)
    # Same numbers up to rounding: a clipped run goes through the loop with modifiers, an unclipped one
    # through the plain loop, and XLA may contract their multiply-adds differently.
    inactive = _first_step({"mode": "norm", "threshold": 100.0}).points
    np.testing.assert_allclose(inactive, unclipped.points, rtol=1e-6, atol=1e-7)


def test_clip_function_matches_keras_semantics():
    g = jnp.array([3.0, -4.0])  # ‖g‖ = 5
    none = modifiers.encode_clip(None)
    value = modifiers.encode_clip({"mode": "value", "threshold": 1.5})
    norm = modifiers.encode_clip({"mode": "norm", "threshold": 2.5})
    np.testing.assert_allclose(modifiers.clip(g, none), [3.0, -4.0])
    np.testing.assert_allclose(modifiers.clip(g, value), [1.5, -1.5])
    np.testing.assert_allclose(modifiers.clip(g, norm), [1.5, -2.0], rtol=1e-6)


def test_noise_is_added_before_clipping():
    """g̃ = clip(g + σξ): with huge noise every clipped-by-norm step has length exactly ε·c."""
    result = _first_step({"mode": "norm", "threshold": 1.0}, noise={"sigma": 100.0, "seed": 3})
    steps = np.linalg.norm(np.diff(result.points, axis=0), axis=1)
    np.testing.assert_allclose(steps, LR * 1.0, rtol=1e-5)


def test_cliff_flings_an_unclipped_step_and_clipping_keeps_it_close():
    """Goodfellow et al. Fig. 8.3: on the cliff face ‖g‖ ≈ 50, so one step of ε = 0.1 jumps ≈ 5 units."""
    start = SURFACES["cliff"].default_start
    config = {"mode": "norm", "threshold": 1.0}
    free = simulate("cliff", None, start, [RunConfig("sgd", {"learning_rate": 0.1})], 60)[0]
    clipped = simulate("cliff", None, start, [RunConfig("sgd", {"learning_rate": 0.1}, clip=config)], 60)[0]
    assert free.status == "ok" and clipped.status == "ok"
    assert free.grad_norm[0] > 40
    assert free.points[:, 0].max() > 2.5  # flung far past the minimum at x = 0
    assert clipped.points[:, 0].max() < 1.5  # walks down the face in steps of ε·c = 0.1
    assert np.max(np.linalg.norm(np.diff(clipped.points, axis=0), axis=1)) <= 0.1 + 1e-6
    assert clipped.loss[-1] < free.loss[-1]
    assert np.all(np.isfinite(free.grad_norm))  # far from the cliff the sigmoid's gradient stays finite


def _noisy(noise, steps=40):
    config = RunConfig("sgd", {"learning_rate": 1e-3})
    return simulate("rosenbrock", None, (-1.2, 1.0), [config], steps, noise=noise)[0]


def test_noise_is_reproducible_per_seed():
    a = _noisy({"sigma": 2.0, "seed": 7})
    b = _noisy({"sigma": 2.0, "seed": 7})
    c = _noisy({"sigma": 2.0, "seed": 8})
    clean = _noisy(None)
    np.testing.assert_array_equal(a.points, b.points)
    assert np.max(np.abs(a.points - c.points)) > 1e-4
    assert np.max(np.abs(a.points - clean.points)) > 1e-4


def test_zero_sigma_equals_no_noise():
    np.testing.assert_array_equal(_noisy({"sigma": 0.0, "seed": 5}).points, _noisy(None).points)


def test_noise_sequence_does_not_depend_on_chunking():
    noise = {"sigma": 2.0, "seed": 11}
    short = _noisy(noise, steps=50)  # one 64-step chunk
    long = _noisy(noise, steps=300)  # one 1024-step chunk
    np.testing.assert_allclose(long.points[:51], short.points, rtol=1e-6, atol=1e-7)
    arrays = modifiers.encode_noise(noise)
    whole = modifiers.noise_sequence(arrays, jnp.int32(0), 10, (2,))
    tail = modifiers.noise_sequence(arrays, jnp.int32(4), 6, (2,))
    np.testing.assert_array_equal(np.asarray(whole[4:]), np.asarray(tail))
    expected = 2.0 * jax.random.normal(jax.random.fold_in(jax.random.key(11), 3), (2,))
    np.testing.assert_allclose(np.asarray(whole[3]), np.asarray(expected), rtol=1e-6)

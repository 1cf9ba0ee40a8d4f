"""The textbook rules against optax where the two are claimed equal, and where (and why) they differ."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from engine import rules
from engine.network import training as T
from engine.network.datasets import make_dataset
from engine.optimizers import OPTIMIZERS
from engine.surface.runner import RunConfig, simulate
from engine.surface.surfaces import SURFACES

QUAD_PARAMS = {"kappa": 10.0, "theta": 0.3}
QUAD_START = SURFACES["quadratic"].default_start


def run_one(surface, params, start, opt, hp, steps):
    return simulate(surface, params, start, [RunConfig(opt, hp)], steps)[0]


_rosen_jax = jax.jit(jax.grad(lambda z: SURFACES["rosenbrock"].fn(z, jnp.zeros(2))))


def _optax_path(make, start, steps, rates):
    """Iterates of ``make(ε_t)`` rebuilt each step with ε_t and its state carried (as the runner does)."""
    theta = jnp.asarray(start, jnp.float32)
    state = make(rates[0]).init(theta)
    path = [theta]
    for t in range(steps):
        updates, state = make(rates[t]).update(_rosen_jax(theta), state, theta)
        theta = optax.apply_updates(theta, updates)
        path.append(theta)
    return np.asarray(jnp.stack(path))


def test_textbook_momentum_equals_optax_sgd_momentum_at_constant_rate():
    rates = [1e-3] * 30
    textbook = _optax_path(lambda lr: rules.textbook_momentum(lr, 0.9), (-1.2, 1.0), 30, rates)
    reference = _optax_path(lambda lr: optax.sgd(lr, momentum=0.9), (-1.2, 1.0), 30, rates)
    np.testing.assert_allclose(textbook, reference, rtol=1e-4, atol=1e-6)


def test_textbook_momentum_differs_from_optax_when_the_rate_changes():
    """optax keeps v = Σ μᵏ g and multiplies by the *current* ε; the textbook velocity remembers each ε_t.

    This is why the catalog uses the textbook form: with a schedule, optax would rescale the whole
    velocity at every change of ε.
    """
    lr1, lr2, alpha, switch = 1e-3, 1e-4, 0.9, 10
    rates = [lr1] * switch + [lr2] * 10
    textbook = _optax_path(lambda lr: rules.textbook_momentum(lr, alpha), (-1.2, 1.0), 20, rates)
    reference = _optax_path(lambda lr: optax.sgd(lr, momentum=alpha), (-1.2, 1.0), 20, rates)
    np.testing.assert_allclose(textbook[: switch + 1], reference[: switch + 1], rtol=1e-4, atol=1e-6)
    # First step after the switch: textbook αv − ε₂g with v = −ε₁ v_raw; optax −ε₂(μ v_raw + g).
    v_textbook = textbook[switch] - textbook[switch - 1]
    v_raw = -v_textbook / lr1
    step_diff = (textbook[switch + 1] - textbook[switch]) - (reference[switch + 1] - reference[switch])
    np.testing.assert_allclose(step_diff, -alpha * (lr1 - lr2) * v_raw, rtol=1e-3, atol=1e-7)
    assert np.max(np.abs(textbook[-1] - reference[-1])) > 1e-2


def test_textbook_adagrad_equals_optax_adagrad_with_zero_accumulator_and_tiny_eps():
    rates = [0.1] * 30
    textbook = _optax_path(lambda lr: rules.textbook_adagrad(lr, 1e-10), (-1.2, 1.0), 30, rates)
    reference = _optax_path(
        lambda lr: optax.adagrad(lr, initial_accumulator_value=0.0, eps=1e-14), (-1.2, 1.0), 30, rates
    )
    np.testing.assert_allclose(textbook, reference, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["adam", "nadam"])
def test_catalog_adam_and_nadam_equal_optax(name):
    """The catalog's Adam/Nadam spell ``1 − ρᵗ`` as ``1 − exp(t ln ρ)`` (no ``pow``); the iterates are optax's."""
    hp = {"learning_rate": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-3}
    result = run_one("quadratic", QUAD_PARAMS, QUAD_START, name, hp, 40)
    sp = jnp.asarray(SURFACES["quadratic"].param_vector(QUAD_PARAMS))
    grad = jax.jit(jax.grad(lambda z: SURFACES["quadratic"].fn(z, sp)))
    opt = getattr(optax, name)(0.05, b1=0.8, b2=0.99, eps=1e-3)
    theta = jnp.asarray(QUAD_START, jnp.float32)
    state = opt.init(theta)
    path = [theta]
    for _ in range(40):
        updates, state = opt.update(grad(theta), state, theta)
        theta = optax.apply_updates(theta, updates)
        path.append(theta)
    np.testing.assert_allclose(result.points, np.asarray(jnp.stack(path)), rtol=1e-5, atol=1e-6)


def test_uncorrected_adam_without_momentum_equals_optax_rmsprop_with_delta_outside_the_root():
    """With ρ₁ = 0, s = g and Adam without bias correction is RMSProp ``g/(√r + δ)`` from ``r₀ = 0``.

    optax's Adam has no switch for the correction, so this is the optax rule the catalog entry can be
    held against; ρ₁ > 0 is checked by the NumPy reference in ``test_optimizers.py``.
    """
    hp = {"learning_rate": 0.05, "b1": 0.0, "b2": 0.99, "eps": 1e-3}
    result = run_one("quadratic", QUAD_PARAMS, QUAD_START, "adam_uncorrected", hp, 40)
    sp = jnp.asarray(SURFACES["quadratic"].param_vector(QUAD_PARAMS))
    grad = jax.jit(jax.grad(lambda z: SURFACES["quadratic"].fn(z, sp)))
    opt = optax.rmsprop(0.05, decay=0.99, eps=1e-3, eps_in_sqrt=False)
    theta = jnp.asarray(QUAD_START, jnp.float32)
    state = opt.init(theta)
    path = [theta]
    for _ in range(40):
        updates, state = opt.update(grad(theta), state, theta)
        theta = optax.apply_updates(theta, updates)
        path.append(theta)
    np.testing.assert_allclose(result.points, np.asarray(jnp.stack(path)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("nesterov", [False, True])
def test_adam_rule_state_and_long_run_match_optax(nesterov):
    """Same state type as optax (count, mu, nu) and the same iterates over 3000 steps, b1 = 0 included.

    On the quadratic, where float32 rounding differences shrink instead of growing (on Rosenbrock two
    bit-different but equally correct Adams drift apart by ~1 % over thousands of steps).
    """
    sp = jnp.asarray(SURFACES["quadratic"].param_vector(QUAD_PARAMS))
    grad = jax.grad(lambda z: SURFACES["quadratic"].fn(z, sp))
    for b1 in (0.0, 0.9):
        ours = rules.adam(0.01, b1, 0.999, 1e-8, nesterov=nesterov)
        ref = optax.nadam(0.01, b1=b1) if nesterov else optax.adam(0.01, b1=b1)
        theta_a = theta_b = jnp.asarray(QUAD_START, jnp.float32)
        state_a, state_b = ours.init(theta_a), ref.init(theta_b)
        assert type(state_a) is type(state_b[0]) or type(state_a) is type(state_b)
        step_a = jax.jit(lambda th, st, o=ours: o.update(grad(th), st, th))
        step_b = jax.jit(lambda th, st, o=ref: o.update(grad(th), st, th))
        for _ in range(3000):
            (ua, state_a), (ub, state_b) = step_a(theta_a, state_a), step_b(theta_b, state_b)
            theta_a, theta_b = theta_a + ua, theta_b + ub
        np.testing.assert_allclose(theta_a, theta_b, rtol=1e-5, atol=1e-6)
        assert float(jnp.linalg.norm(theta_a)) < 0.05  # both got near the minimum at the origin


OPTAX_RULES = {
    "adamw": ({"learning_rate": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-3, "weight_decay": 0.2}, optax.adamw),
    "lion": ({"learning_rate": 0.02, "b1": 0.8, "b2": 0.95, "weight_decay": 0.2}, optax.lion),
}


@pytest.mark.parametrize("name", list(OPTAX_RULES))
def test_catalog_adamw_and_lion_are_optax_on_a_surface_run(name):
    """The runner passes θ as optax's ``params``, so the decoupled weight decay λθ acts on the point."""
    hp, make = OPTAX_RULES[name]
    result = run_one("quadratic", QUAD_PARAMS, QUAD_START, name, hp, 40)
    sp = jnp.asarray(SURFACES["quadratic"].param_vector(QUAD_PARAMS))
    grad = jax.jit(jax.grad(lambda z: SURFACES["quadratic"].fn(z, sp)))
    opt = make(**hp)
    theta = jnp.asarray(QUAD_START, jnp.float32)
    state = opt.init(theta)
    path = [theta]
    for _ in range(40):
        updates, state = opt.update(grad(theta), state, theta)
        theta = optax.apply_updates(theta, updates)
        path.append(theta)
    np.testing.assert_allclose(result.points, np.asarray(jnp.stack(path)), rtol=1e-5, atol=1e-6)
    without_decay = run_one("quadratic", QUAD_PARAMS, QUAD_START, name, {**hp, "weight_decay": 0.0}, 40)
    assert np.max(np.abs(without_decay.points - result.points)) > 1e-3  # λ is not ignored


@pytest.mark.parametrize("name", list(OPTAX_RULES))
def test_the_network_lab_trains_with_adamw_and_lion(name):
    config = T.NetworkConfig(hidden=(16, 16), activation="tanh", optimizer=name, batch_size=32, steps_per_chunk=300)
    X, y = make_dataset("moons", n=200, noise=0.1, seed=0)
    hp = {**OPTIMIZERS[name].defaults, "learning_rate": 0.01 if name == "adamw" else 0.003}
    values = T.make_values(config, hp)
    data = T.make_data(config, X, y)
    state = T.init_training(config, values, data, jax.random.key(0))
    _, before = T.evaluate(config)(state, values, data)
    state, after = T.train_chunk(config)(state, values, data)
    assert not bool(after.diverged) and int(after.step) == config.steps_per_chunk
    assert after.train_loss < 0.5 * before.train_loss, (before.train_loss, after.train_loss)
    assert after.train_accuracy > 0.85
    for leaf in jax.tree.leaves(state.params):
        assert np.all(np.isfinite(np.asarray(leaf)))

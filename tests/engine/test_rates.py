"""Linear rates on the quadratic: theory (engine.surface.rates) against the runs the engine computes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import rules
from engine.surface import rates
from engine.surface.runner import RunConfig, simulate
from engine.surface.surfaces import SURFACES

START = (-1.6, 1.2)
STEPS = 500


def _hp(learning_rate, momentum=None):
    return {"learning_rate": learning_rate} | ({} if momentum is None else {"momentum": momentum})


def _optimal(optimizer, kappa):
    o = rates.optimum(optimizer, rates.quadratic_eigenvalues(kappa))
    return _hp(o.learning_rate, o.momentum)


# (κ, θ) → runs: the optimum of each method and settings around it (slow, oscillating, both).
# Four runs per optimizer, so each optimizer's batch reuses one compiled loop for every κ.
CASES = {
    (10.0, 0.3): {
        "sgd": [_optimal("sgd", 10.0), _hp(0.05), _hp(0.1), _hp(0.19)],
        "momentum": [_optimal("momentum", 10.0), _hp(0.05, 0.5), _hp(0.1, 0.9), _hp(0.35, 0.9)],
        "nesterov": [_optimal("nesterov", 10.0), _hp(0.05, 0.5), _hp(0.1, 0.9), _hp(0.03, 0.2)],
    },
    (100.0, 2.0): {
        "sgd": [_optimal("sgd", 100.0), _hp(0.005), _hp(0.01), _hp(0.015)],
        "momentum": [_optimal("momentum", 100.0), _hp(0.005, 0.5), _hp(0.01, 0.9), _hp(0.003, 0.2)],
        "nesterov": [_optimal("nesterov", 100.0), _hp(0.005, 0.5), _hp(0.01, 0.9), _hp(0.003, 0.2)],
    },
}


def _runs(kappa, theta, optimizer, settings):
    configs = [RunConfig(optimizer, hp) for hp in settings]
    return simulate("quadratic", {"kappa": kappa, "theta": theta}, START, configs, STEPS)


@pytest.mark.parametrize("optimizer", rates.RATE_OPTIMIZERS)
@pytest.mark.parametrize("surface_params", list(CASES))
def test_predicted_and_measured_rates_agree_within_2_percent(optimizer, surface_params):
    kappa, theta = surface_params
    settings = CASES[surface_params][optimizer]
    eigenvalues = rates.quadratic_eigenvalues(kappa)
    for hp, result in zip(settings, _runs(kappa, theta, optimizer, settings), strict=True):
        a = rates.analyze(optimizer, hp, eigenvalues, result.points)
        assert result.status == "ok" and a.converges
        assert a.measured is not None and a.measured.last_step > a.measured.first_step + 40, (hp, a.measured)
        assert a.measured.rate == pytest.approx(a.predicted_rate, rel=0.02), (optimizer, kappa, hp)
    at_optimum = rates.analyze(optimizer, settings[0], eigenvalues, np.zeros((1, 2)))
    assert at_optimum.predicted_rate == pytest.approx(at_optimum.optimum.rate, rel=1e-6)


def test_a_diverging_run_is_predicted_and_measured_above_one():
    settings = [_hp(0.21), _hp(0.25)]  # 1 − ε·10 = −1.1 and −1.5: the stiff direction flips and grows
    for hp, result in zip(settings, _runs(10.0, 0.3, "sgd", settings), strict=True):
        a = rates.analyze("sgd", hp, rates.quadratic_eigenvalues(10.0), result.points)
        assert result.status == "diverged"
        assert not a.converges and a.predicted_rate == pytest.approx(10 * hp["learning_rate"] - 1)
        assert a.measured.rate == pytest.approx(a.predicted_rate, rel=0.02)
        assert a.measured.last_step == result.diverged_at - 1


def test_closed_form_rate_is_the_spectral_radius_of_the_iteration_matrices():
    rng = np.random.default_rng(0)
    for _ in range(200):
        optimizer = rng.choice(rates.RATE_OPTIMIZERS)
        eigenvalues = np.sort(rng.uniform(0.1, 50.0, size=2))
        lr, alpha = rng.uniform(0.0, 0.2), rng.uniform(0.0, 0.999)
        radius = max(
            np.max(np.abs(np.linalg.eigvals(rates.iteration_matrix(optimizer, lam, lr, alpha)))) for lam in eigenvalues
        )
        assert rates.predicted_rate(optimizer, eigenvalues, lr, alpha) == pytest.approx(radius, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("optimizer", rates.RATE_OPTIMIZERS)
@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0])
def test_the_optimum_beats_a_grid_of_settings(optimizer, kappa):
    eigenvalues = rates.quadratic_eigenvalues(kappa)
    best = rates.optimum(optimizer, eigenvalues)
    lrs = np.linspace(1e-4, 2.0 * best.learning_rate, 301)
    alphas = [0.0] if optimizer == "sgd" else np.linspace(0.0, 0.99, 150)
    grid = min(rates.predicted_rate(optimizer, eigenvalues, lr, a) for lr in lrs for a in alphas)
    assert best.rate <= grid + 1e-9
    alpha = best.momentum or 0.0
    assert rates.predicted_rate(optimizer, eigenvalues, best.learning_rate, alpha) == pytest.approx(best.rate)
    for d_lr, d_alpha in ((1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3), (1e-2, 1e-2), (-1e-2, -1e-2)):
        if optimizer == "sgd" and d_alpha:
            continue
        nearby = rates.predicted_rate(optimizer, eigenvalues, best.learning_rate * (1 + d_lr), max(alpha + d_alpha, 0))
        assert nearby >= best.rate - 1e-12, (d_lr, d_alpha)


def test_textbook_optima():
    sgd = rates.optimum("sgd", (1.0, 10.0))
    assert sgd.learning_rate == pytest.approx(2 / 11) and sgd.rate == pytest.approx(9 / 11) and sgd.momentum is None
    heavy = rates.optimum("momentum", (1.0, 100.0))
    assert heavy.rate == pytest.approx(9 / 11) and heavy.momentum == pytest.approx((9 / 11) ** 2)
    assert heavy.learning_rate == pytest.approx(4 / 121)
    nesterov = rates.optimum("nesterov", (1.0, 5.0))
    assert nesterov.rate == pytest.approx(0.5) and nesterov.momentum == pytest.approx(1 / 3)  # √(3κ+1) = 4


def test_quadratic_eigenvalues_are_the_hessians():
    surface = SURFACES["quadratic"]
    for kappa, theta in ((10.0, 0.3), (100.0, 2.0), (1.0, 1.0)):
        params = surface.param_vector({"kappa": kappa, "theta": theta})
        hessian = np.asarray(jax.hessian(surface.fn)(jnp.array([0.3, -0.7]), params))
        np.testing.assert_allclose(np.linalg.eigvalsh(hessian), rates.quadratic_eigenvalues(kappa), rtol=1e-5)


def test_measured_rate_fits_crests_of_an_oscillating_error_and_stops_at_the_floor():
    t = np.arange(400)
    assert rates.measured_rate(2.0 * 0.9**t).rate == pytest.approx(0.9, rel=1e-9)
    wobbly = 0.95**t * np.abs(np.cos(0.7 * t + 0.2)) + 1e-300
    assert rates.measured_rate(wobbly).rate == pytest.approx(0.95, rel=0.005)
    fast = 0.5**t  # below 1e-30 from step 100 on: the fit ends there
    m = rates.measured_rate(fast)
    assert m.rate == pytest.approx(0.5, rel=1e-9) and m.last_step == 99
    assert rates.measured_rate(np.r_[1.0, 0.1, 0.01, np.nan, 1.0]) is None  # too few usable points
    assert rates.measured_rate(1.1 ** t[:50]).rate == pytest.approx(1.1)


def test_analytic_is_only_for_the_linear_methods():
    assert rates.analyze("adam", {"learning_rate": 0.1}, (1.0, 10.0), np.zeros((3, 2))) is None
    assert rates.analyze("sgd", {"learning_rate": 0.1}, (1.0, 10.0), np.zeros((3, 2))).terminal_velocity_factor is None


def test_momentum_under_a_constant_gradient_reaches_the_terminal_velocity():
    """v ← αv − εg with g fixed: the step tends to ε‖g‖/(1−α) (seed 004 §4.2.2)."""
    for alpha in (0.5, 0.9, 0.99):
        rule = rules.textbook_momentum(0.01, alpha)
        g = jnp.array([3.0, -4.0])
        state = rule.init(jnp.zeros(2))
        for _ in range(3000):
            step, state = rule.update(g, state)
        factor = rates.terminal_velocity_factor(alpha)
        assert float(jnp.linalg.norm(step)) == pytest.approx(0.01 * 5.0 * factor, rel=1e-4)
    assert rates.terminal_velocity_factor(0.9) == pytest.approx(10.0)

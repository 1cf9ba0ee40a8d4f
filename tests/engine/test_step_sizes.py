"""The per-coordinate step sizes the batched loop records for adaptive rules (engine/step_sizes.py): the
update really took those steps, each matches a NumPy (float64) recomputation of its formula from the
run's own gradients, schedules enter as ε_t, and rules without adaptive steps record none."""

import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS
from engine.step_sizes import STEP_SIZES, step_size
from engine.surface.runner import RunConfig, simulate, sweep
from engine.surface.surfaces import SURFACES

QUAD_PARAMS = {"kappa": 10.0, "theta": 0.3}
START = SURFACES["quadratic"].default_start
STEPS = 40


def quad_grad(z: np.ndarray) -> np.ndarray:
    """∇f = Hz for the rotated quadratic H = R diag(1, κ) Rᵀ (engine.surface.surfaces._quadratic)."""
    c, s = np.cos(0.3), np.sin(0.3)
    r = np.array([[c, -s], [s, c]])
    return (r @ np.diag([1.0, 10.0]) @ r.T) @ z


def run(optimizer: str, schedule: dict | None = None, **hyper: float):
    config = RunConfig(optimizer, {**OPTIMIZERS[optimizer].defaults, **hyper}, schedule)
    return simulate("quadratic", QUAD_PARAMS, START, [config], STEPS)[0]


def gradients(result) -> np.ndarray:
    return np.array([quad_grad(p.astype(np.float64)) for p in result.points[:-1]])


def test_adaptive_rules_are_the_catalogs_and_the_others_have_none():
    assert {"adagrad", "rmsprop", "rmsprop_nesterov", "adadelta", "adam", "adam_uncorrected", "nadam"} <= set(
        STEP_SIZES
    )
    for name in OPTIMIZERS:
        result = run(name)
        if step_size(name) is None:
            assert result.step_size is None, name
        else:
            assert result.step_size.shape == (STEPS, 2), name
            assert np.all(np.isfinite(result.step_size)) and np.all(result.step_size > 0), name


@pytest.mark.parametrize("optimizer", ["adagrad", "rmsprop"])
def test_the_update_is_the_step_size_times_the_gradient(optimizer):
    """Rules without momentum: θ_{t+1} − θ_t = −s_t ⊙ ∇f(θ_t), coordinate by coordinate."""
    result = run(optimizer)
    moves = np.diff(result.points.astype(np.float64), axis=0)
    np.testing.assert_allclose(moves, -result.step_size * gradients(result), rtol=2e-4, atol=1e-7)


def test_adagrad_rmsprop_and_adam_match_their_formulas():
    for optimizer in ("adagrad", "rmsprop", "adam", "adam_uncorrected", "nadam"):
        h = OPTIMIZERS[optimizer].defaults
        result = run(optimizer)
        eps, lr = h["eps"], h["learning_rate"]
        r = np.zeros(2)
        expected = []
        for t, gt in enumerate(gradients(result), start=1):
            if optimizer == "adagrad":
                r = r + gt * gt
                expected.append(lr / (eps + np.sqrt(r)))
            elif optimizer == "rmsprop":
                r = h["decay"] * r + (1 - h["decay"]) * gt * gt
                expected.append(lr / np.sqrt(eps + r))
            else:
                r = h["b2"] * r + (1 - h["b2"]) * gt * gt
                r_hat = r if optimizer == "adam_uncorrected" else r / (1 - h["b2"] ** t)
                expected.append(lr / (np.sqrt(r_hat) + eps))
        np.testing.assert_allclose(result.step_size, np.array(expected), rtol=1e-4, err_msg=optimizer)


def test_adadelta_uses_the_mean_square_update_before_the_step():
    h = OPTIMIZERS["adadelta"].defaults
    result = run("adadelta")
    rho, eps, lr = h["rho"], h["eps"], h["learning_rate"]
    moves = np.diff(result.points.astype(np.float64), axis=0)
    r, u = np.zeros(2), np.zeros(2)
    expected = []
    for gt, move in zip(gradients(result), moves, strict=True):
        r = rho * r + (1 - rho) * gt * gt
        expected.append(lr * np.sqrt(u + eps) / np.sqrt(r + eps))
        delta = move / lr  # Δ of the formula: θ ← θ + εΔ
        u = rho * u + (1 - rho) * delta * delta
    np.testing.assert_allclose(result.step_size, np.array(expected), rtol=1e-4)


def test_delta_bar_delta_records_its_rates():
    result = run("delta_bar_delta")
    h = OPTIMIZERS["delta_bar_delta"].defaults
    np.testing.assert_allclose(result.step_size[0], h["learning_rate"], rtol=1e-6)  # δ̄₀ = 0: no change yet
    assert np.all(result.step_size[-1] > result.step_size[0])  # a steady descent keeps its sign: rates grow
    moves = np.diff(result.points.astype(np.float64), axis=0)
    np.testing.assert_allclose(moves, -result.step_size * gradients(result), rtol=2e-4, atol=1e-7)


def test_a_schedule_scales_the_step_sizes_by_its_rate():
    plain = run("adagrad")
    decayed = run("adagrad", {"name": "exponential", "decay_rate": 0.1, "decay_steps": 20})
    np.testing.assert_allclose(decayed.learning_rate, 0.1 * 0.1 ** (np.arange(STEPS) / 20), rtol=1e-5)
    # ε_t/(δ + √r_t) with r from the decayed run's own gradients
    r = np.cumsum(gradients(decayed) ** 2, axis=0)
    expected = decayed.learning_rate[:, None] / (OPTIMIZERS["adagrad"].defaults["eps"] + np.sqrt(r))
    np.testing.assert_allclose(decayed.step_size, expected, rtol=1e-4)
    assert decayed.step_size[-1, 0] < plain.step_size[-1, 0]


def test_a_diverged_run_keeps_the_step_sizes_of_its_reported_updates():
    config = RunConfig("delta_bar_delta", {**OPTIMIZERS["delta_bar_delta"].defaults, "learning_rate": 1.0})
    result = simulate("quadratic", QUAD_PARAMS, START, [config], STEPS)[0]
    assert result.status == "diverged"
    assert result.step_size.shape == (len(result.points) - 1, 2)


def test_sweeps_record_no_step_sizes():
    config = RunConfig("adam", OPTIMIZERS["adam"].defaults)
    out = sweep("quadratic", QUAD_PARAMS, np.array([START] * 4, np.float32), config, None, 10).output
    assert out.step_size is None

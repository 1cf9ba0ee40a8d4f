"""Every optimizer of the catalog against a hand-written NumPy (float64) version of its textbook rule.

The references below are written from the formulas (Goodfellow et al. 2016, ch. 8; Zeiler 2012; Jacobs
1988; optax's Nadam; Kingma & Ba 2015 for Adam without the bias correction; Loshchilov & Hutter 2019 and
Chen et al. 2023 as optax's AdamW and Lion), with analytic gradients and Hessians, and share no code with the
engine.

Compile budget: each (optimizer, surface, scan chunk length, padded batch) is one XLA compilation of about
a second. On the quadratic, the reference runs and the convergence runs (≤ 63 steps: one 64-step chunk) share
one executable per optimizer. On Rosenbrock the convergence runs need the 1024-step chunk, so the reference
runs there go for ROSEN_REF_STEPS steps in the same executable and their first REF_STEPS iterates are compared.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import rules
from engine.optimizers import OPTIMIZERS
from engine.surface.runner import DIVERGENCE_REASONS, RunConfig, simulate
from engine.surface.surfaces import SURFACES

KAPPA, THETA = 10.0, 0.3
QUAD_PARAMS = {"kappa": KAPPA, "theta": THETA}
QUAD_START = SURFACES["quadratic"].default_start
# Off the valley floor. The catalog's ε = 0.01 for sgd/momentum/nesterov is at the stability limit 2/λ of
# Rosenbrock's y-curvature λ = 200: from most starts they blow up within five steps, from here they stay bounded.
ROSEN_START = (0.1, 0.0)
REF_STEPS = 5
ROSEN_REF_STEPS = 300  # 301 evaluated points: one 1024-step chunk, as in test_converges_on_rosenbrock


# --- analytic surfaces (float64) -----------------------------------------------------------------------


def quadratic_hessian(kappa=KAPPA, theta=THETA):
    """H = R diag(1, κ) Rᵀ with R the rotation by θ (engine.surface.surfaces._quadratic)."""
    c, s = np.cos(theta), np.sin(theta)
    r = np.array([[c, -s], [s, c]])
    return r @ np.diag([1.0, kappa]) @ r.T


QUAD_H = quadratic_hessian()


def quad_loss(z):
    return 0.5 * z @ QUAD_H @ z


def quad_grad(z):
    return QUAD_H @ z


def quad_hess(z):
    return QUAD_H


def rosen_loss(z):
    x, y = z
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosen_grad(z):
    x, y = z
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def rosen_hess(z):
    x, y = z
    return np.array([[2 - 400 * y + 1200 * x**2, -400 * x], [-400 * x, 200.0]])


ANALYTIC = {
    "quadratic": (quad_loss, quad_grad, quad_hess, QUAD_PARAMS, QUAD_START),
    "rosenbrock": (rosen_loss, rosen_grad, rosen_hess, None, ROSEN_START),
}


# --- the textbook rules in NumPy ----------------------------------------------------------------------


def reference_path(opt, hp, grad, hess, start, steps, rates=None):
    """Iterates θ₀ … θ_steps of rule ``opt``; ``rates`` optionally gives ε_t per step (default constant).

    Returns the path and, for delta-bar-delta, how often each branch of the rate update fired.
    """
    theta = np.array(start, np.float64)
    lr = hp["learning_rate"]
    rates = np.full(steps, lr) if rates is None else np.asarray(rates, np.float64)
    zeros = np.zeros(2)
    v, r, s, u = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    dbd_rates, bar = np.full(2, lr), zeros.copy()
    branches = {"increase": 0, "decrease": 0}
    path = [theta.copy()]
    for t in range(1, steps + 1):
        eps_t = rates[t - 1]
        if opt == "sgd":
            theta = theta - eps_t * grad(theta)
        elif opt == "momentum":
            v = hp["momentum"] * v - eps_t * grad(theta)
            theta = theta + v
        elif opt == "nesterov":
            g = grad(theta + hp["momentum"] * v)
            v = hp["momentum"] * v - eps_t * g
            theta = theta + v
        elif opt == "adagrad":
            g = grad(theta)
            r = r + g * g
            theta = theta - eps_t * g / (hp["eps"] + np.sqrt(r))
        elif opt == "rmsprop":
            g = grad(theta)
            r = hp["decay"] * r + (1 - hp["decay"]) * g * g
            theta = theta - eps_t * g / np.sqrt(hp["eps"] + r)
        elif opt == "rmsprop_nesterov":
            g = grad(theta + hp["momentum"] * v)
            r = hp["decay"] * r + (1 - hp["decay"]) * g * g
            v = hp["momentum"] * v - eps_t * g / np.sqrt(hp["eps"] + r)
            theta = theta + v
        elif opt == "adadelta":  # Zeiler 2012, in the order of optax.scale_by_adadelta
            rho, eps = hp["rho"], hp["eps"]
            g = grad(theta)
            r = rho * r + (1 - rho) * g * g
            delta = -np.sqrt(u + eps) / np.sqrt(r + eps) * g
            u = rho * u + (1 - rho) * delta * delta
            theta = theta + eps_t * delta
        elif opt in ("adam", "adam_uncorrected", "nadam"):  # Alg. 8.7, t from 1; Nadam as optax.nadam
            b1, b2 = hp["b1"], hp["b2"]
            g = grad(theta)
            s = b1 * s + (1 - b1) * g
            r = b2 * r + (1 - b2) * g * g
            if opt == "adam":
                s_hat, r_hat = s / (1 - b1**t), r / (1 - b2**t)
            elif opt == "nadam":
                s_hat, r_hat = b1 * s / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t), r / (1 - b2**t)
            else:  # Kingma & Ba 2015, §3, without the bias correction: s and r as they are
                s_hat, r_hat = s, r
            theta = theta - eps_t * s_hat / (np.sqrt(r_hat) + hp["eps"])
        elif opt == "adamw":  # Loshchilov & Hutter 2019 as optax.adamw: the decay λθ is scaled by ε too
            b1, b2 = hp["b1"], hp["b2"]
            g = grad(theta)
            s = b1 * s + (1 - b1) * g
            r = b2 * r + (1 - b2) * g * g
            s_hat, r_hat = s / (1 - b1**t), r / (1 - b2**t)
            theta = theta - eps_t * (s_hat / (np.sqrt(r_hat) + hp["eps"]) + hp["weight_decay"] * theta)
        elif opt == "lion":  # Chen et al. 2023, Alg. 2 (as optax.lion); s is the momentum m
            g = grad(theta)
            c = hp["b1"] * s + (1 - hp["b1"]) * g
            theta = theta - eps_t * (np.sign(c) + hp["weight_decay"] * theta)
            s = hp["b2"] * s + (1 - hp["b2"]) * g
        elif opt == "delta_bar_delta":
            g = grad(theta)
            agreement = bar * g
            branches["increase"] += int(np.sum(agreement > 0))
            branches["decrease"] += int(np.sum(agreement < 0))
            dbd_rates = np.where(
                agreement > 0, dbd_rates + hp["kappa"], np.where(agreement < 0, (1 - hp["phi"]) * dbd_rates, dbd_rates)
            )
            theta = theta - dbd_rates * g
            bar = (1 - hp["theta"]) * g + hp["theta"] * bar
        elif opt == "newton":
            theta = theta - eps_t * np.linalg.solve(hess(theta), grad(theta))
        else:
            raise AssertionError(f"no reference for {opt}")
        path.append(theta.copy())
    return np.array(path), branches


# A second, non-default hyperparameter set per optimizer. Large δ where the rule's placement of δ
# (inside or outside the root) matters, so a misplaced δ cannot pass.
ALTERNATIVE = {
    "sgd": {"learning_rate": 0.002},
    "momentum": {"learning_rate": 0.003, "momentum": 0.5},
    "nesterov": {"learning_rate": 0.002, "momentum": 0.7},
    "adagrad": {"learning_rate": 0.3, "eps": 0.5},
    "rmsprop": {"learning_rate": 0.02, "decay": 0.5, "eps": 0.1},
    "rmsprop_nesterov": {"learning_rate": 0.005, "decay": 0.8, "momentum": 0.5, "eps": 0.1},
    "adadelta": {"learning_rate": 2.0, "rho": 0.7, "eps": 1e-3},
    "adam": {"learning_rate": 0.05, "b1": 0.8, "b2": 0.9, "eps": 0.1},
    "adam_uncorrected": {"learning_rate": 0.05, "b1": 0.8, "b2": 0.9, "eps": 0.1},
    "nadam": {"learning_rate": 0.05, "b1": 0.8, "b2": 0.9, "eps": 0.1},
    "adamw": {"learning_rate": 0.05, "b1": 0.8, "b2": 0.9, "eps": 0.1, "weight_decay": 0.5},
    "lion": {"learning_rate": 0.02, "b1": 0.5, "b2": 0.9, "weight_decay": 0.3},
    "delta_bar_delta": {"learning_rate": 0.008, "kappa": 0.001, "phi": 0.3, "theta": 0.5},  # y overshoots
    "newton": {"learning_rate": 0.5},
}


def test_alternative_sets_cover_the_catalog():
    assert set(ALTERNATIVE) == set(OPTIMIZERS)
    for opt, hp in ALTERNATIVE.items():
        spec = OPTIMIZERS[opt]
        assert set(hp) == set(spec.defaults)
        assert hp != spec.defaults
        for h in spec.hyperparameters:
            assert h.min <= hp[h.name] <= h.max, (opt, h.name)


def run_one(surface, params, start, opt, hp, steps, **kwargs):
    return simulate(surface, params, start, [RunConfig(opt, hp, **kwargs)], steps)[0]


@pytest.mark.parametrize("surface", ["quadratic", "rosenbrock"])
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_iterates_match_numpy_reference(opt, surface):
    loss, grad, hess, params, start = ANALYTIC[surface]
    fired = {"increase": 0, "decrease": 0}
    for hp in (OPTIMIZERS[opt].defaults, ALTERNATIVE[opt]):
        steps = REF_STEPS if surface == "quadratic" else ROSEN_REF_STEPS
        result = run_one(surface, params, start, opt, hp, steps)
        # the catalog's ε = 0.01 of sgd/momentum/nesterov blows up on Rosenbrock, but only after step 5
        assert result.diverged_at is None or result.diverged_at > REF_STEPS + 1
        assert len(result.points) == (steps + 1 if result.diverged_at is None else result.diverged_at)
        n = REF_STEPS + 1
        expected, branches = reference_path(opt, hp, grad, hess, start, REF_STEPS)
        np.testing.assert_allclose(result.points[:n], expected, rtol=1e-4, atol=1e-5, err_msg=f"{opt} {hp}")
        np.testing.assert_allclose(result.loss[:n], [loss(z) for z in expected], rtol=1e-3, atol=1e-5)
        norms = [np.linalg.norm(grad(z)) for z in expected]
        np.testing.assert_allclose(result.grad_norm[:n], norms, rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(result.learning_rate[:REF_STEPS], hp["learning_rate"], rtol=1e-6)
        fired = {k: fired[k] + branches[k] for k in fired}
    if opt == "delta_bar_delta" and surface == "rosenbrock":
        assert fired["increase"] > 0 and fired["decrease"] > 0, fired  # both rate updates were exercised


def test_momentum_uses_the_scheduled_rate_inside_the_velocity():
    """v ← αv − ε_t g with ε_t from a step schedule: the runner rebuilds the rule with each ε_t."""
    hp = {"learning_rate": 0.05, "momentum": 0.8}
    schedule = {"name": "step", "every": 2, "factor": 0.5}
    result = run_one("quadratic", QUAD_PARAMS, QUAD_START, "momentum", hp, 6, schedule=schedule)
    rates = 0.05 * 0.5 ** (np.arange(6) // 2)
    expected, _ = reference_path("momentum", hp, quad_grad, quad_hess, QUAD_START, 6, rates=rates)
    np.testing.assert_allclose(result.learning_rate, rates, rtol=1e-6)
    np.testing.assert_allclose(result.points, expected, rtol=1e-4, atol=1e-5)


def test_without_bias_correction_adams_first_step_is_3_16_times_larger():
    """s₁ = (1−ρ₁)g and r₁ = (1−ρ₂)g², so the uncorrected first step is ε(1−ρ₁)g / (√(1−ρ₂)|g| + δ):
    ε·0.1/√0.001 ≈ 3.162ε per coordinate for ρ₁ = 0.9, ρ₂ = 0.999, against ε with the correction."""
    hp = {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}
    g = quad_grad(np.array(QUAD_START))
    uncorrected = 0.01 * 0.1 * g / (np.sqrt(0.001) * np.abs(g) + 1e-8)
    np.testing.assert_allclose(np.abs(uncorrected), 0.03162, rtol=1e-3)
    corrected = 0.01 * g / (np.abs(g) + 1e-8)
    for opt, expected in (("adam_uncorrected", uncorrected), ("adam", corrected)):
        result = run_one("quadratic", QUAD_PARAMS, QUAD_START, opt, hp, 1)
        np.testing.assert_allclose(result.points[0] - result.points[1], expected, rtol=1e-4, err_msg=opt)
    # Nadam without the correction looks ahead with ρ₁s₁ + (1−ρ₁)g = 0.19g: a first step of ≈ 6.01ε.
    rule = rules.adam(0.01, 0.9, 0.999, 1e-8, nesterov=True, bias_correction=False)
    step, _ = rule.update(jnp.asarray(g, jnp.float32), rule.init(jnp.zeros(2, jnp.float32)))
    np.testing.assert_allclose(-np.asarray(step), 0.01 * 0.19 * g / (np.sqrt(0.001) * np.abs(g)), rtol=1e-5)


def test_pinv_symmetric_2x2_equals_numpy_pinv():
    matrices = [
        [[2.0, 1.0], [1.0, 3.0]],  # positive definite
        [[1.0, 2.0], [2.0, -1.0]],  # indefinite
        [[2.0, 0.0], [0.0, -2.0]],  # the saddle's Hessian
        [[1.0, 2.0], [2.0, 4.0]],  # rank one
        [[4.0, -2.0], [-2.0, 1.0]],  # rank one
        [[-3.0, 0.0], [0.0, 0.0]],  # rank one, negative curvature
        [[0.0, 0.0], [0.0, 0.0]],  # zero (monkey saddle at the origin)
    ]
    pinv = jax.jit(rules.pinv_symmetric_2x2)
    for m in matrices:
        h = np.array(m)
        got = np.asarray(pinv(jnp.asarray(h, jnp.float32)))
        np.testing.assert_allclose(got, np.linalg.pinv(h), rtol=1e-5, atol=1e-6, err_msg=str(m))
        assert np.all(np.isfinite(got))


# --- every optimizer converges with sensible settings --------------------------------------------------

# Quadratic κ = 10, θ = 0.3 from the default start: all within 63 steps (64 evaluated points, one scan chunk).
QUADRATIC_SETTINGS = {
    "sgd": {"learning_rate": 0.15},
    "momentum": {"learning_rate": 0.2, "momentum": 0.3},
    "nesterov": {"learning_rate": 0.1, "momentum": 0.5},
    "adagrad": {"learning_rate": 1.0, "eps": 1e-7},
    "rmsprop": {"learning_rate": 0.1, "decay": 0.9, "eps": 1e-6},
    "rmsprop_nesterov": {"learning_rate": 0.03, "decay": 0.9, "momentum": 0.9, "eps": 1e-6},
    "adadelta": {"learning_rate": 1.0, "rho": 0.9, "eps": 1e-2},
    "adam": {"learning_rate": 0.3, "b1": 0.5, "b2": 0.999, "eps": 1e-8},
    "adam_uncorrected": {"learning_rate": 0.3, "b1": 0.5, "b2": 0.999, "eps": 1e-8},
    "nadam": {"learning_rate": 0.3, "b1": 0.5, "b2": 0.999, "eps": 1e-8},
    "adamw": {"learning_rate": 0.3, "b1": 0.5, "b2": 0.999, "eps": 1e-8, "weight_decay": 1e-4},
    "lion": {"learning_rate": 0.2, "b1": 0.5, "b2": 0.9, "weight_decay": 0.0},
    "delta_bar_delta": {"learning_rate": 0.05, "kappa": 0.01, "phi": 0.1, "theta": 0.7},
    "newton": {"learning_rate": 1.0},
}
# A sign method moves ε along every coordinate each step, so at a constant rate Lion ends in a limit cycle of
# size ~ε around the minimum: its rate decays to 1 % over the 63 steps.
QUADRATIC_SCHEDULES = {"lion": {"name": "exponential", "decay_rate": 0.01, "decay_steps": 63.0}}

# Rosenbrock from the classic start (−1.2, 1): (hyperparameters, steps).
ROSENBROCK_SETTINGS = {
    # Plain gradient descent crawls along the curved valley: the step must stay below 2/λ_max ≈ 0.002
    # while the curvature along the valley is ≈ 0.4, hence thousands of steps.
    "sgd": ({"learning_rate": 0.002}, 5000),
    "momentum": ({"learning_rate": 1e-3, "momentum": 0.9}, 1000),
    "nesterov": ({"learning_rate": 1e-3, "momentum": 0.9}, 1000),
    # AdaGrad's ever-growing accumulator shrinks its steps: slow, needs a large ε and many steps.
    "adagrad": ({"learning_rate": 0.5, "eps": 1e-7}, 5000),
    # RMSProp without momentum zig-zags across the valley floor: small ε, many steps.
    "rmsprop": ({"learning_rate": 1e-3, "decay": 0.9, "eps": 1e-6}, 5000),
    "rmsprop_nesterov": ({"learning_rate": 1e-3, "decay": 0.9, "momentum": 0.9, "eps": 1e-6}, 1000),
    # AdaDelta is notoriously poor on Rosenbrock: with ε = 1 it bounces across the valley for ever
    # (loss ≈ 0.5 after 5000 steps); a small ε (it multiplies Δ) and a short memory ρ let it settle.
    "adadelta": ({"learning_rate": 0.05, "rho": 0.8, "eps": 1e-6}, 5000),
    "adam": ({"learning_rate": 0.1, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, 1000),
    "adam_uncorrected": ({"learning_rate": 0.1, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, 1000),
    "nadam": ({"learning_rate": 0.05, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, 1000),
    "adamw": ({"learning_rate": 0.1, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "weight_decay": 1e-4}, 1000),
    # Lion's steps are ±ε per coordinate: a small ε follows the valley to within ~ε of (1, 1).
    "lion": ({"learning_rate": 1e-3, "b1": 0.9, "b2": 0.99, "weight_decay": 0.0}, 5000),
    # Delta-bar-delta needs its rates to grow along the valley: slow start, many steps.
    "delta_bar_delta": ({"learning_rate": 0.001, "kappa": 0.0001, "phi": 0.1, "theta": 0.7}, 5000),
    "newton": ({"learning_rate": 1.0}, 300),  # there in ~6 steps; 300 shares the reference runs' executable
}


def test_convergence_tables_cover_the_catalog():
    assert set(QUADRATIC_SETTINGS) == set(OPTIMIZERS) == set(ROSENBROCK_SETTINGS)


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_converges_on_quadratic(opt):
    schedule = QUADRATIC_SCHEDULES.get(opt)
    result = run_one("quadratic", QUAD_PARAMS, QUAD_START, opt, QUADRATIC_SETTINGS[opt], 63, schedule=schedule)
    assert result.status == "ok"
    assert result.loss[-1] < 1e-3, (opt, result.loss[-1])
    assert np.linalg.norm(result.points[-1]) < 0.05


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_converges_on_rosenbrock(opt):
    hp, steps = ROSENBROCK_SETTINGS[opt]
    result = run_one("rosenbrock", None, (-1.2, 1.0), opt, hp, steps)
    assert result.status == "ok" and len(result.points) == steps + 1
    assert result.loss[-1] < 1e-2, (opt, result.loss[-1])
    assert np.linalg.norm(result.points[-1] - 1.0) < 0.1, (opt, result.points[-1])


# --- divergence ------------------------------------------------------------------------------------------


def _assert_diverged(result):
    assert result.status == "diverged"
    assert result.diverged_at == len(result.points) == len(result.loss) == len(result.grad_norm)
    assert len(result.learning_rate) == len(result.points) - 1
    assert np.all(np.isfinite(result.points)) and np.all(np.isfinite(result.loss))
    assert np.all(np.isfinite(result.grad_norm))
    assert result.reason in DIVERGENCE_REASONS[1:]


def test_sgd_with_a_large_rate_diverges_on_rosenbrock():
    start = SURFACES["rosenbrock"].default_start
    result = run_one("rosenbrock", None, start, "sgd", {"learning_rate": 1.0}, 50)
    _assert_diverged(result)
    assert 1 < result.diverged_at < 50
    np.testing.assert_allclose(result.points[0], start)


def test_saddle_runs_off_and_leaves_the_region():
    start = SURFACES["saddle"].default_start  # y = 0.01 doubles every step with ε = 0.5
    result = run_one("saddle", None, start, "sgd", {"learning_rate": 0.5}, 60)
    _assert_diverged(result)
    assert "left the region" in result.reason
    assert np.max(np.abs(result.points)) <= 1e6 < 2 * abs(result.points[-1, 1])  # the next step leaves
    assert result.diverged_at == int(np.ceil(np.log2(1e6 / start[1])))  # points y_0 … y_{k-1}


def test_divergence_of_one_run_leaves_the_others_unaffected():
    """On the quadratic, ε = 1 multiplies the stiff coordinate by 1 − κ = −9 each step: it leaves the region.

    (Two SGD runs on the quadratic: the executable test_runner.py's batched SGD tests use too.)
    """
    configs = [RunConfig("sgd", {"learning_rate": 1.0}), RunConfig("sgd", {"learning_rate": 0.05})]
    diverged, fine = simulate("quadratic", QUAD_PARAMS, QUAD_START, configs, 50)
    alone = run_one("quadratic", QUAD_PARAMS, QUAD_START, "sgd", {"learning_rate": 0.05}, 50)
    _assert_diverged(diverged)
    assert "left the region" in diverged.reason and diverged.diverged_at < 10
    assert fine.status == "ok" and fine.diverged_at is None and fine.reason == ""
    assert fine.points.shape == (51, 2)
    np.testing.assert_allclose(fine.points, alone.points, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fine.loss, alone.loss, rtol=1e-5, atol=1e-7)


# --- Newton's method and saddle points -----------------------------------------------------------------


def test_newton_jumps_onto_the_saddle_point():
    """H⁻¹g = θ on x² − y²: one full Newton step lands exactly on the saddle and stays (the lesson)."""
    result = run_one("saddle", None, (-1.8, 0.5), "newton", {"learning_rate": 1.0}, 3)
    assert result.status == "ok"
    np.testing.assert_allclose(result.points[1:], np.zeros((3, 2)), atol=1e-6)
    np.testing.assert_allclose(result.loss[1:], 0.0, atol=1e-6)


def test_newton_on_the_monkey_saddle_stays_finite():
    at_origin = run_one("monkey_saddle", None, (0.0, 0.0), "newton", {"learning_rate": 1.0}, 5)
    assert at_origin.status == "ok"
    np.testing.assert_array_equal(at_origin.points, np.zeros((6, 2)))  # H = 0, g = 0: no step, no NaN
    # f is homogeneous of degree 3, so Hθ = 2g (Euler) and the Newton step halves θ: drawn to the origin.
    start = np.array(SURFACES["monkey_saddle"].default_start)
    towards = run_one("monkey_saddle", None, start, "newton", {"learning_rate": 1.0}, 20)
    assert towards.status == "ok" and np.all(np.isfinite(towards.points))
    np.testing.assert_allclose(towards.points, start * 0.5 ** np.arange(21)[:, None], rtol=1e-4, atol=1e-9)

"""Learning-rate schedules: engine.schedules against hand formulas, optax where they coincide, and the runner."""

import jax.numpy as jnp
import numpy as np
import optax

from engine import schedules
from engine.surface.runner import RunConfig, simulate

LR0 = 0.2
T = np.arange(600)


def _optax(schedule, steps=600):
    return np.array([float(schedule(t)) for t in range(steps)])


def test_catalog_lists_every_kind_with_defaults_in_range():
    assert schedules.SCHEDULE_KINDS == ("constant", "power", "exponential", "piecewise", "step", "linear", "plateau")
    for spec in schedules.SCHEDULES.values():
        for p in spec.params:
            assert p.min <= p.default <= p.max, (spec.name, p.name)


def test_constant():
    np.testing.assert_allclose(schedules.preview(None, LR0, len(T)), np.full(len(T), LR0), rtol=1e-7)
    np.testing.assert_allclose(schedules.preview({"name": "constant"}, LR0, len(T)), np.full(len(T), LR0), rtol=1e-7)


def test_power_decay_by_hand():
    for k, c in [(100.0, 1.0), (10.0, 0.5), (250.0, 2.0), (50.0, 0.0)]:
        got = schedules.preview({"name": "power", "k": k, "c": c}, LR0, len(T))
        np.testing.assert_allclose(got, LR0 / (1 + T / k) ** c, rtol=1e-5)


def test_exponential_decay_equals_optax():
    for rate, steps in [(0.1, 500), (0.5, 37), (0.9, 1)]:
        got = schedules.preview({"name": "exponential", "decay_rate": rate, "decay_steps": steps}, LR0, len(T))
        np.testing.assert_allclose(got, LR0 * rate ** (T / steps), rtol=1e-4, atol=1e-30)
        expected = _optax(optax.exponential_decay(LR0, transition_steps=steps, decay_rate=rate))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-30)


def test_step_decay_equals_optax_staircase():
    for every, factor in [(100, 0.5), (7, 0.9), (1000, 0.1)]:
        got = schedules.preview({"name": "step", "every": every, "factor": factor}, LR0, len(T))
        np.testing.assert_allclose(got, LR0 * factor ** np.floor(T / every), rtol=1e-5)
        expected = _optax(optax.exponential_decay(LR0, transition_steps=every, decay_rate=factor, staircase=True))
        np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_linear_decay_equals_optax_linear_schedule():
    for tau, final in [(200, 1e-4), (1, 0.05), (599, 0.0), (50, 0.5)]:
        got = schedules.preview({"name": "linear", "tau": tau, "final": final}, LR0, len(T))
        frac = np.minimum(T / tau, 1.0)
        np.testing.assert_allclose(got, (1 - frac) * LR0 + frac * final, rtol=1e-5, atol=1e-8)
        expected = _optax(optax.linear_schedule(LR0, final, transition_steps=tau))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)
        assert np.all(got[tau:] == np.float32(final))


def test_piecewise_constant_by_hand_and_as_optax():
    boundaries, values = [100, 250, 400], [0.3, 0.1, 0.03, 0.001]
    got = schedules.preview({"name": "piecewise", "boundaries": boundaries, "values": values}, LR0, len(T))
    expected = np.empty(len(T))
    edges = [-np.inf, *boundaries, np.inf]
    for i, v in enumerate(values):
        expected[(edges[i] <= T) & (T < edges[i + 1])] = v  # values[i] while b[i-1] ≤ t < b[i]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got[99] == np.float32(0.3) and got[100] == np.float32(0.1) and got[400] == np.float32(0.001)
    scales = {b: values[i + 1] / values[i] for i, b in enumerate(boundaries)}  # optax multiplies scales
    np.testing.assert_allclose(got, _optax(optax.piecewise_constant_schedule(0.3, scales)), rtol=1e-5)


def test_piecewise_with_fewer_values_than_slots_keeps_the_last_value():
    got = schedules.preview({"name": "piecewise", "boundaries": [3], "values": [1.0, 0.5]}, LR0, len(T))
    np.testing.assert_array_equal(got, np.float32([1.0, 1.0, 1.0] + [0.5] * (len(T) - 3)))


def test_plateau_preview_shows_no_reduction():
    """The plateau kind's formula is ε₀; the runner multiplies it by PlateauState.scale."""
    np.testing.assert_allclose(schedules.preview({"name": "plateau"}, LR0, len(T)), np.full(len(T), LR0), rtol=1e-7)
    s = schedules.encode_schedule({"name": "plateau", "factor": 0.5, "patience": 3})
    assert float(schedules.scheduled_rate(7, jnp.float32(LR0), s)) == np.float32(LR0)
    c = schedules.encode_schedule({"name": "step", "every": 2, "factor": 0.5})
    assert float(schedules.scheduled_rate(5, jnp.float32(LR0), c)) == np.float32(LR0 * 0.25)  # 0.5^⌊5/2⌋
    assert float(schedules.scheduled_rate(1, jnp.float32(LR0), c)) == np.float32(LR0)


def _scales(config, losses, active=True):
    s = schedules.encode_schedule(config)
    state = schedules.init_plateau(jnp.float32(jnp.inf))
    scales = []
    for loss in losses:
        state = schedules.update_plateau(state, jnp.float32(loss), s, jnp.bool_(active))
        scales.append(float(state.scale))
    return np.array(scales), state


def test_update_plateau_counts_steps_without_a_new_best():
    losses = [5.0, 4.0, 4.0, 4.5, 3.0, 3.0, 3.0, 3.0, 3.0]
    scales, state = _scales({"name": "plateau", "factor": 0.1, "patience": 2}, losses)
    np.testing.assert_allclose(scales, [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001], rtol=1e-6)
    assert float(state.best) == 3.0
    frozen, _ = _scales({"name": "plateau", "factor": 0.1, "patience": 2}, losses, active=False)
    np.testing.assert_array_equal(frozen, np.ones(len(losses)))  # a diverged run's state does not move
    other, _ = _scales({"name": "step", "every": 2, "factor": 0.1}, losses)
    np.testing.assert_array_equal(other, np.ones(len(losses)))  # only the plateau kind reduces


def _plateau_rates(loss, lr0, factor, patience):
    """Reduce-on-plateau by hand: ε_t = lr0 · factor^(reductions after losses 1..t)."""
    best, wait, scale, rates = loss[0], 0, 1.0, []
    for t in range(len(loss) - 1):
        rates.append(lr0 * scale)
        if loss[t + 1] < best:
            best, wait = loss[t + 1], 0
        else:
            wait += 1
        if wait >= patience:
            scale, wait = scale * factor, 0
    return np.array(rates)


def test_reduce_on_plateau_through_simulate():
    """SGD with ε = 0.2 on ½·10·y² from y = 1 bounces between y = ±1: the loss stays 5, no new best.

    After ``patience`` = 3 such steps the rate is halved; ε = 0.1 = 1/κ then lands on the minimum.
    """
    schedule = {"name": "plateau", "factor": 0.5, "patience": 3}
    config = RunConfig("sgd", {"learning_rate": 0.2}, schedule=schedule)
    result = simulate("quadratic", {"kappa": 10.0, "theta": 0.0}, (0.0, 1.0), [config], 20)[0]
    assert result.status == "ok"
    np.testing.assert_allclose(result.learning_rate[:4], [0.2, 0.2, 0.2, 0.1], rtol=1e-6)
    np.testing.assert_allclose(result.loss[:4], [5.0, 5.0, 5.0, 5.0], rtol=1e-5)
    assert result.loss[4] < 1e-10
    np.testing.assert_allclose(result.learning_rate, _plateau_rates(result.loss, 0.2, 0.5, 3), rtol=1e-6)
    assert result.learning_rate[-1] < 0.2 * 0.5**3  # stuck at the minimum: keeps reducing

    improving = RunConfig("sgd", {"learning_rate": 0.05}, schedule=schedule)
    steady = simulate("quadratic", {"kappa": 10.0, "theta": 0.0}, (0.5, 1.0), [improving], 20)[0]
    assert np.all(np.diff(steady.loss) < 0)
    np.testing.assert_allclose(steady.learning_rate, np.full(20, 0.05), rtol=1e-7)


def test_run_learning_rate_equals_the_schedule_across_chunks():
    """RunResult.learning_rate[t] is the schedule at t = 0 … steps−1, also past the first 1024-step chunk."""
    steps, lr0 = 1500, 1e-4
    configs = [
        {"name": "constant"},
        {"name": "power", "k": 300.0, "c": 1.5},
        {"name": "exponential", "decay_rate": 0.3, "decay_steps": 700.0},
        {"name": "piecewise", "boundaries": [500, 1100, 1300], "values": [1e-4, 5e-5, 2e-5, 1e-5]},
        {"name": "step", "every": 400, "factor": 0.5},
        {"name": "linear", "tau": 1200, "final": 1e-6},
    ]
    for schedule in configs:
        run = RunConfig("sgd", {"learning_rate": lr0}, schedule=schedule)
        result = simulate("rosenbrock", None, (-1.2, 1.0), [run], steps)[0]
        assert result.status == "ok" and result.learning_rate.shape == (steps,)
        np.testing.assert_allclose(result.learning_rate, schedules.preview(schedule, lr0, steps), rtol=1e-5)

"""The runner: no recompiles when sliders move, result bookkeeping, chunking, divergence, sweeps."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS
from engine.surface import runner
from engine.surface.batched_loop import Chunk, StepOutput, compiled
from engine.surface.runner import (
    DIVERGENCE_REASONS,
    RECENT_GROUPS,
    RecentGroups,
    RunConfig,
    _gather,
    simulate,
    sweep,
    wait_for_warm_ups,
)
from engine.surface.surfaces import SURFACES
from tests.engine.compile_counter import CompileCounter

QUAD_PARAMS = {"kappa": 10.0, "theta": 0.3}
START = (-1.6, 1.2)
ADAM = OPTIMIZERS["adam"].defaults


def test_moving_sliders_never_recompiles():
    def run(hp=ADAM, start=START, params=QUAD_PARAMS, schedule=None, clip=None, noise=None):
        return simulate("quadratic", params, start, [RunConfig("adam", hp, schedule, clip)], 50, noise)[0]

    run()  # warm-up: compiles the (adam, quadratic, 64 steps, 1 run) executable
    wait_for_warm_ups()  # and anything the runner compiles in the background
    first, _ = compiled("adam", "quadratic", 64)
    cache_size = first._cache_size() if hasattr(first, "_cache_size") else None
    variations = [
        {"hp": {**ADAM, "learning_rate": 0.05}},
        {"hp": {"learning_rate": 0.002, "b1": 0.5, "b2": 0.9, "eps": 1e-3}},
        {"start": (0.7, -1.9)},
        {"params": {"kappa": 100.0, "theta": 2.0}},
        {"params": {"kappa": 1.0}},
        {"schedule": {"name": "power", "k": 10.0, "c": 2.0}},
        {"schedule": {"name": "exponential", "decay_rate": 0.5, "decay_steps": 20.0}},
        {"schedule": {"name": "piecewise", "boundaries": [10, 30], "values": [0.1, 0.01, 0.001]}},
        {"schedule": {"name": "piecewise", "boundaries": [5], "values": [0.02, 0.2]}},
        {"schedule": {"name": "step", "every": 5, "factor": 0.3}},
        {"schedule": {"name": "linear", "tau": 40, "final": 0.0}},
        {"schedule": {"name": "plateau", "factor": 0.2, "patience": 2}},
        {"clip": {"mode": "value", "threshold": 0.3}},
        {"clip": {"mode": "norm", "threshold": 2.0}},
        {"noise": {"sigma": 0.5, "seed": 1}},
        {"noise": {"sigma": 3.0, "seed": 123456}},
        {
            "hp": {**ADAM, "learning_rate": 0.3},
            "start": (1.0, 1.0),
            "params": {"kappa": 30.0, "theta": 1.0},
            "schedule": {"name": "step", "every": 3, "factor": 0.9},
            "clip": {"mode": "norm", "threshold": 0.1},
            "noise": {"sigma": 0.1, "seed": 9},
        },
    ]
    with CompileCounter() as counter:
        paths = [run(**v).points for v in variations]
        assert counter.count == 0
        jax.jit(lambda x: x * 3.0 + 1.0)(jnp.float32(2.0))  # control: the counter does see a compilation
        assert counter.count >= 1
    assert len({p.tobytes() for p in paths}) == len(paths)  # every slider really changed the run
    if cache_size is not None:
        assert cache_size >= 1 and first._cache_size() == cache_size


def test_result_layout_for_an_ok_run():
    result = simulate("quadratic", QUAD_PARAMS, START, [RunConfig("adam", ADAM)], 37)[0]
    assert result.status == "ok" and result.diverged_at is None and result.reason == ""
    np.testing.assert_array_equal(result.points[0], np.float32(START))
    assert result.points.shape == (38, 2) and result.loss.shape == (38,) and result.grad_norm.shape == (38,)
    assert result.learning_rate.shape == (37,)
    h = SURFACES["quadratic"]
    p = jnp.asarray(h.param_vector(QUAD_PARAMS))
    np.testing.assert_allclose(result.loss[0], h.fn(jnp.float32(START), p), rtol=1e-6)
    np.testing.assert_allclose(result.loss, [h.fn(z, p) for z in result.points], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        result.grad_norm, [jnp.linalg.norm(jax.grad(h.fn)(z, p)) for z in result.points], rtol=1e-5, atol=1e-6
    )


def test_results_keep_the_order_of_the_runs_when_optimizers_interleave():
    runs = [
        RunConfig("sgd", {"learning_rate": 0.01}),
        RunConfig("adam", ADAM),
        RunConfig("sgd", {"learning_rate": 0.1}),
    ]
    results = simulate("quadratic", QUAD_PARAMS, START, runs, 30)
    assert [r.config for r in results] == runs
    for run, result in zip(runs, results, strict=True):
        alone = simulate("quadratic", QUAD_PARAMS, START, [run], 30)[0]
        np.testing.assert_allclose(result.points, alone.points, rtol=1e-5, atol=1e-6)  # batched vs alone
    assert np.max(np.abs(results[0].points - results[2].points)) > 1e-2  # different rates, different paths


def test_same_spec_twice_gives_identical_numbers():
    runs = [RunConfig("sgd", {"learning_rate": 0.05}), RunConfig("sgd", {"learning_rate": 0.05})]
    a, b = simulate("quadratic", QUAD_PARAMS, START, runs, 30, noise={"sigma": 0.3, "seed": 2})
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.loss, b.loss)
    RECENT_GROUPS.clear()  # computed again, not taken from the last call
    again = simulate("quadratic", QUAD_PARAMS, START, runs, 30, noise={"sigma": 0.3, "seed": 2})[0]
    np.testing.assert_array_equal(a.points, again.points)
    np.testing.assert_array_equal(a.learning_rate, again.learning_rate)


def test_moving_one_runs_slider_computes_only_its_optimizer(monkeypatch):
    launched = []
    run_chunks = runner._run_chunks
    monkeypatch.setattr(runner, "_run_chunks", lambda opt, *a, **k: launched.append(opt) or run_chunks(opt, *a, **k))
    runs = [RunConfig("sgd", {"learning_rate": 0.01}), RunConfig("momentum", {"learning_rate": 0.01, "momentum": 0.9})]
    runs.append(RunConfig("adam", ADAM))
    simulate("quadratic", QUAD_PARAMS, START, runs, 40)
    moved = [*runs[:2], RunConfig("adam", {**ADAM, "learning_rate": 0.05})]
    launched.clear()
    after_move = simulate("quadratic", QUAD_PARAMS, START, moved, 40)
    assert launched == ["adam"]
    RECENT_GROUPS.clear()
    afresh = simulate("quadratic", QUAD_PARAMS, START, moved, 40)
    for kept, computed in zip(after_move, afresh, strict=True):
        np.testing.assert_array_equal(kept.points, computed.points)
        np.testing.assert_array_equal(kept.loss, computed.loss)
        np.testing.assert_array_equal(kept.learning_rate, computed.learning_rate)
    with pytest.raises(ValueError, match="read-only"):
        after_move[0].loss[0] = 0.0  # shared with later calls: nobody may change it
    for change in ({"start": (0.5, 0.5)}, {"steps": 41}, {"noise": {"sigma": 0.1, "seed": 0}}):
        launched.clear()
        args = {"start": START, "steps": 40, "noise": None, **change}
        simulate("quadratic", QUAD_PARAMS, args["start"], moved, args["steps"], args["noise"])
        assert launched == ["sgd", "momentum", "adam"], change
    launched.clear()
    simulate("quadratic", {"kappa": 3.0, "theta": 0.3}, START, moved, 40)
    assert launched == ["sgd", "momentum", "adam"]


def test_recent_groups_keep_the_newest_entries_up_to_their_size():
    recent = RecentGroups(size=2)
    values = {k: (StepOutput(np.zeros(3), np.zeros(3), None, None), np.zeros(1), np.zeros(1)) for k in "abc"}
    recent.put(("a",), values["a"])
    recent.put(("b",), values["b"])
    assert recent.get(("a",)) is values["a"]  # now the most recently used
    recent.put(("c",), values["c"])
    assert recent.get(("b",)) is None and recent.get(("a",)) is values["a"] and recent.get(("c",)) is values["c"]


def test_repeated_runs_among_many_get_identical_paths():
    """16 Nesterov runs, each of 8 settings twice (a teacher duplicating runs on the page)."""
    clip = {"mode": "norm", "threshold": 3.0}
    schedule = {"name": "step", "every": 10, "factor": 0.7}
    settings = [
        RunConfig("nesterov", {"learning_rate": lr, "momentum": 0.9}, schedule, clip)
        for lr in np.geomspace(1e-3, 0.1, 8)
    ]
    runs = settings + settings[::-1]
    results = simulate("quadratic", QUAD_PARAMS, START, runs, 40, noise={"sigma": 0.2, "seed": 3})
    assert [r.config for r in results] == runs
    for i in range(8):
        np.testing.assert_array_equal(results[i].points, results[15 - i].points)
        np.testing.assert_array_equal(results[i].loss, results[15 - i].loss)
    assert len({r.points[-1].tobytes() for r in results}) == 8


def test_runs_longer_than_one_chunk_equal_the_run_in_pieces():
    """1500 steps = two 1024-step chunks; the optimizer state (momentum's velocity) is carried across."""
    momentum = RunConfig("momentum", {"learning_rate": 1e-4, "momentum": 0.9})
    long = simulate("rosenbrock", None, (-1.2, 1.0), [momentum], 1500)[0]
    short = simulate("rosenbrock", None, (-1.2, 1.0), [momentum], 1000)[0]
    assert long.status == "ok" and long.points.shape == (1501, 2) and long.learning_rate.shape == (1500,)
    np.testing.assert_array_equal(long.points[:1001], short.points)
    # The whole path, second chunk included, against v ← αv − εg in float64 (still moving at step 1500).
    theta, v, path = np.array([-1.2, 1.0]), np.zeros(2), [np.array([-1.2, 1.0])]
    for _ in range(1500):
        x, y = theta
        v = 0.9 * v - 1e-4 * np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
        theta = theta + v
        path.append(theta)
    np.testing.assert_allclose(long.points, np.array(path), atol=1e-5)
    assert np.linalg.norm(long.points[-1] - long.points[1024]) > 0.1
    # Stateless SGD restarted from point 1000 reproduces the tail of the long run.
    sgd = RunConfig("sgd", {"learning_rate": 1e-3})
    whole = simulate("rosenbrock", None, (-1.2, 1.0), [sgd], 1500)[0]
    head = simulate("rosenbrock", None, (-1.2, 1.0), [sgd], 1000)[0]
    tail = simulate("rosenbrock", None, head.points[-1], [sgd], 500)[0]
    np.testing.assert_array_equal(whole.points[:1001], head.points)
    np.testing.assert_allclose(whole.points[1000:], tail.points, rtol=1e-6, atol=1e-7)


def test_divergence_after_the_requested_steps_is_not_reported():
    """The scan runs whole chunks; a blow-up in the padding past ``steps`` belongs to no reported step."""
    sgd = RunConfig("sgd", {"learning_rate": 0.01})  # unstable on Rosenbrock (ε·λ_y = 2)
    full = simulate("rosenbrock", None, (-0.3, 0.2), [sgd], 60)[0]
    assert full.status == "diverged"
    k = full.diverged_at
    assert 3 < k < 60
    before = simulate("rosenbrock", None, (-0.3, 0.2), [sgd], k - 1)[0]
    assert before.status == "ok" and before.diverged_at is None and before.reason == ""
    assert before.points.shape == (k, 2)
    np.testing.assert_array_equal(before.points, full.points)
    at = simulate("rosenbrock", None, (-0.3, 0.2), [sgd], k)[0]
    assert at.status == "diverged" and at.diverged_at == k and at.points.shape == (k, 2)


def test_sweep_over_rates_and_starts_matches_single_runs_and_holds_diverged_runs():
    """A learning-rate × start sweep: each column is the run ``simulate`` gives (to rounding); diverged runs hold."""
    rates = np.array([1e-4, 1e-3, 2e-3, 0.01, 0.02, 0.05, 1e-4, 1e-3], np.float32)
    starts = np.array([[-0.3, 0.2]] * 6 + [[1.5, -1.0], [0.5, 2.0]], np.float32)
    config = RunConfig("momentum", {"learning_rate": 1e-3, "momentum": 0.9})
    result = sweep("rosenbrock", None, starts, config, {"learning_rate": rates}, 300)
    out = result.output
    assert out.theta.shape == (301, 2, 8) and out.loss.shape == (301, 8)
    assert out.grad_norm is None and out.learning_rate is None
    assert np.all(np.isfinite(out.theta)) and np.all(np.isfinite(out.loss))
    assert np.any(result.diverged_at >= 0) and np.any(result.diverged_at < 0)
    for r in range(8):
        hp = {"learning_rate": float(rates[r]), "momentum": 0.9}
        alone = simulate("rosenbrock", None, starts[r], [RunConfig("momentum", hp)], 300)[0]
        k = result.diverged_at[r]
        assert alone.diverged_at == (None if k < 0 else k)
        n = 301 if k < 0 else k
        assert alone.reason == (DIVERGENCE_REASONS[result.reason[r]] if k >= 0 else "")
        np.testing.assert_allclose(out.theta[:n, :, r], alone.points, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out.loss[:n, r], alone.loss, rtol=1e-5, atol=1e-6)
        if k >= 0:  # held at the last reportable point
            np.testing.assert_array_equal(out.theta[n:, :, r], np.repeat(out.theta[n - 1 : n, :, r], 301 - n, axis=0))


def test_a_point_beyond_the_bound_is_reported_as_leaving_the_region():
    """SGD on the saddle x² − y²: y grows ×4 a step, still finite when |y| passes 1e6."""
    result = simulate("saddle", None, (0.0, 1.0), [RunConfig("sgd", {"learning_rate": 1.5})], 100)[0]
    assert result.status == "diverged"
    assert result.reason == DIVERGENCE_REASONS[2]
    assert np.all(np.abs(result.points) <= 1e6) and np.all(np.isfinite(result.loss))
    # A start already beyond the bound (the API allows |x|, |y| ≤ 1e4; the engine is callable directly):
    # diverged at step 0, nothing to report.
    outside = simulate("quadratic", None, (2e6, 0.0), [RunConfig("sgd", {"learning_rate": 0.1})], 10)[0]
    assert (outside.diverged_at, outside.reason) == (0, DIVERGENCE_REASONS[2])
    assert outside.points.shape == (0, 2) and outside.loss.shape == (0,) and outside.learning_rate.shape == (0,)


@pytest.mark.parametrize("clip", [None, {"mode": "norm", "threshold": 1e9}])
def test_divergence_in_a_later_chunk_is_reported_at_its_absolute_step(clip):
    """SGD on the saddle leaves the region at step 1159, in the second 1024-step chunk (plain and modified loop)."""
    sgd = RunConfig("sgd", {"learning_rate": 0.006}, clip=clip)
    result = simulate("saddle", None, (0.0, 1.0), [sgd], 1500)[0]
    assert (result.diverged_at, result.reason) == (1159, DIVERGENCE_REASONS[2])
    assert result.points.shape == (1159, 2) and result.learning_rate.shape == (1158,)
    assert np.all(np.abs(result.points) <= 1e6)
    swept = sweep("saddle", None, np.array([[0.0, 1.0], [0.0, 0.0]], np.float32), sgd, None, 1500)
    assert list(swept.diverged_at) == [1159, -1]
    np.testing.assert_allclose(swept.output.theta[:1159, :, 0], result.points, rtol=1e-6)
    np.testing.assert_array_equal(swept.output.theta[1159:, :, 0], np.repeat(result.points[-1:], 342, axis=0))


@pytest.mark.parametrize("clip", [None, {"mode": "value", "threshold": 1.0}])
def test_a_gradient_too_large_to_report_is_a_divergence(clip):
    """At (1e6, 0) Rosenbrock's loss (1e26) is finite and the point inside the region, but ‖∇f‖² overflows
    (plain loop, and the loop with clipping, where the clipped step itself would stay finite)."""
    sgd = RunConfig("sgd", {"learning_rate": 1e-3}, clip=clip)
    result = simulate("rosenbrock", None, (1e6, 0.0), [sgd], 5)[0]
    assert (result.diverged_at, result.reason) == (0, DIVERGENCE_REASONS[1])
    with pytest.raises(ValueError, match="cannot be evaluated on rosenbrock"):
        sweep("rosenbrock", None, np.array([[1e6, 0.0]], np.float32), sgd, None, 5)


def test_a_run_that_leaves_the_region_and_comes_back_diverged_where_it_left():
    """SGD on ½(x² + y²) with ε = 2, 4, 1.5 (piecewise): x flips sign, grows ×3 a step past 1e6, shrinks back.

    It leaves the region at step 1023, the last step of the first 1024-step chunk, and is inside again later;
    the divergence is where it left, in ``simulate`` and in ``sweep``.
    """
    schedule = {"name": "piecewise", "boundaries": [1010, 1025], "values": [2.0, 4.0, 1.5]}
    sgd = RunConfig("sgd", {"learning_rate": 2.0}, schedule=schedule)
    params = {"kappa": 1.0, "theta": 0.0}
    result = simulate("quadratic", params, (1.0, 0.0), [sgd], 1500)[0]
    assert (result.diverged_at, result.reason) == (1023, DIVERGENCE_REASONS[2])
    assert np.all(np.abs(result.points) <= 1e6)
    swept = sweep("quadratic", params, np.array([[1.0, 0.0], [0.0, 0.0]], np.float32), sgd, None, 1500)
    assert list(swept.diverged_at) == [1023, -1] and list(swept.reason) == [2, 0]
    np.testing.assert_array_equal(swept.output.theta[1023:, :, 0], np.repeat(result.points[-1:], 478, axis=0))


def test_loss_totals_that_overflow_without_a_bad_loss_are_no_divergence():
    """The runner searches runs whose loss total is non-finite; an overflowed total alone reports nothing."""
    length, runs = 64, 3
    loss = np.full((length, runs), 3e37, np.float32)  # finite losses whose sum overflows
    loss[10, 1] = np.nan  # run 1: unreportable at step 10
    loss[60, 2] = np.nan  # run 2: only in the padding past the 50 evaluations asked for
    theta = np.zeros((length, 2, runs), np.float32)
    theta[10, 0, 1] = 2e6
    with np.errstate(over="ignore"):
        total = loss.sum(axis=0)
    assert not np.any(np.isfinite(total))
    chunk = Chunk(None, StepOutput(theta, loss, None, None), total)
    _, diverged_at, reason = _gather([chunk], 50)
    assert list(diverged_at) == [-1, 10, -1] and list(reason) == [0, 2, 0]


def test_sweep_with_shared_hyperparameters_matches_single_runs():
    """A sweep over starts passes Adam's hyperparameters once for the batch (one bias correction per step)."""
    starts = np.array([[-1.6, 1.2], [0.0, 1.0], [1.5, -1.0], [-0.5, 0.5]], np.float32)
    config = RunConfig("adam", {**ADAM, "learning_rate": 0.05})
    result = sweep("quadratic", QUAD_PARAMS, starts, config, None, 200)
    assert list(result.diverged_at) == [-1] * 4
    for r, start in enumerate(starts):
        alone = simulate("quadratic", QUAD_PARAMS, start, [config], 200)[0]
        np.testing.assert_allclose(result.output.theta[:, :, r], alone.points, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(result.output.loss[:, r], alone.loss, rtol=1e-5, atol=1e-6)


def test_sweep_with_per_run_rates_and_decay_and_a_shared_schedule_noise_and_clip_matches_single_runs():
    """Swept values vary per run while the schedule, clipping and noise enter once for the whole batch."""
    rates = np.array([0.01, 0.03, 0.1, 0.3], np.float32)
    b1 = np.array([0.0, 0.5, 0.9, 0.99], np.float32)
    schedule = {"name": "step", "every": 20, "factor": 0.5}
    clip = {"mode": "norm", "threshold": 5.0}
    noise = {"sigma": 0.5, "seed": 7}
    config = RunConfig("adam", ADAM, schedule=schedule, clip=clip)
    start = np.array([[-1.6, 1.2]] * 4, np.float32)
    result = sweep("quadratic", QUAD_PARAMS, start, config, {"learning_rate": rates, "b1": b1}, 100, noise)
    for r in range(4):
        hp = {**ADAM, "learning_rate": float(rates[r]), "b1": float(b1[r])}
        alone = simulate("quadratic", QUAD_PARAMS, START, [RunConfig("adam", hp, schedule, clip)], 100, noise)[0]
        assert alone.status == "ok" and result.diverged_at[r] == -1
        np.testing.assert_allclose(result.output.theta[:, :, r], alone.points, rtol=1e-5, atol=1e-6)


def test_a_sweep_compiles_nothing_when_values_it_shares_change():
    starts = np.full((16, 2), 0.5, np.float32)
    rates = {"learning_rate": np.linspace(0.01, 0.1, 16, dtype=np.float32)}
    sweep("quadratic", None, starts, RunConfig("adam", ADAM), rates, 50)
    wait_for_warm_ups()
    changed = RunConfig("adam", {**ADAM, "b1": 0.5, "eps": 1e-3}, {"name": "step", "every": 5, "factor": 0.5},
                        {"mode": "norm", "threshold": 1.0})  # fmt: skip
    with CompileCounter() as counter:
        sweep("quadratic", None, starts, changed, rates, 50, {"sigma": 0.3, "seed": 1})
        sweep("quadratic", {"kappa": 3.0}, starts, RunConfig("adam", ADAM), rates, 60)
    assert counter.count == 0


def test_sweep_refuses_an_unknown_hyperparameter():
    with pytest.raises(ValueError, match="sgd has no hyperparameter 'momentum'"):
        sweep(
            "quadratic",
            None,
            np.zeros((2, 2), np.float32),
            RunConfig("sgd", {"learning_rate": 0.1}),
            {"momentum": np.zeros(2, np.float32)},
            5,
        )


def test_sweep_refuses_starts_that_cannot_be_evaluated():
    starts = np.array([[1e6, 1e6], [1.0, 1.0]], np.float32)  # Beale overflows at the first start
    with pytest.raises(ValueError, match=r"1 start point\(s\) cannot be evaluated on beale.*\(1e\+06, 1e\+06\)"):
        sweep("beale", None, starts, RunConfig("sgd", {"learning_rate": 0.01}), None, 5)

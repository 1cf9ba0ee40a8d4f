"""A sweep reduced on the device: the same final points, losses, divergence steps and steps to tolerance as
the full record of ``sweep``; its record goes back to the pool."""

import numpy as np

from engine.surface.batched_loop import record_shapes
from engine.surface.record_pool import RECORDS
from engine.surface.runner import RunConfig, sweep, wait_for_warm_ups
from engine.surface.sweep_summary import NEVER, summarize_sweep
from tests.engine.compile_counter import CompileCounter


def steps_to_tolerance(loss: np.ndarray, diverged_at: np.ndarray, tolerance: float) -> np.ndarray:
    """By hand from a held record (steps + 1, R): one more than the last step above the tolerance."""
    steps = loss.shape[0] - 1
    above = loss > tolerance
    last_above = np.where(above.any(axis=0), steps - np.argmax(above[::-1], axis=0), -1)
    return np.where((diverged_at < 0) & (last_above < steps), last_above + 1, NEVER)


def check_against_full_record(surface, starts, config, hyper, steps, tolerance, noise=None):
    summary = summarize_sweep(surface, None, starts, config, hyper, steps, tolerance, noise)
    full = sweep(surface, None, starts, config, hyper, steps, noise)
    np.testing.assert_array_equal(summary.diverged_at, full.diverged_at)
    ok = full.diverged_at < 0
    np.testing.assert_array_equal(summary.final_loss[ok], full.output.loss[-1, ok])
    np.testing.assert_array_equal(summary.final_point[ok], full.output.theta[-1].T[ok])
    np.testing.assert_array_equal(
        summary.steps_to_tolerance, steps_to_tolerance(full.output.loss, full.diverged_at, tolerance)
    )
    return summary


def test_a_rate_by_momentum_grid_matches_the_full_record():
    rates, momenta = np.meshgrid(np.geomspace(1e-4, 2e-2, 16), np.linspace(0.0, 0.99, 16), indexing="ij")
    hyper = {"learning_rate": rates.ravel(), "momentum": momenta.ravel()}
    starts = np.tile(np.array([-1.5, 2.0], np.float32), (256, 1))
    config = RunConfig("momentum", {"learning_rate": 1e-3, "momentum": 0.9})
    summary = check_against_full_record("rosenbrock", starts, config, hyper, 400, 1e-2)
    assert np.any(summary.diverged_at >= 0) and np.any(summary.steps_to_tolerance >= 0)
    assert np.any((summary.diverged_at < 0) & (summary.steps_to_tolerance == NEVER))


def test_several_chunks_a_schedule_clipping_and_noise_match_the_full_record():
    """1500 steps: two chunks of 1024, the second padded past the last step."""
    starts = np.random.default_rng(1).uniform(-2, 2, (64, 2)).astype(np.float32)
    config = RunConfig("sgd", {"learning_rate": 0.05}, {"name": "step", "every": 300, "factor": 0.5},
                       {"mode": "norm", "threshold": 2.0})  # fmt: skip
    rates = {"learning_rate": np.geomspace(1e-3, 0.3, 64)}
    summary = check_against_full_record("quadratic", starts, config, rates, 1500, 1e-4, {"sigma": 0.01, "seed": 3})
    assert np.any(summary.steps_to_tolerance > 1024)


def test_a_start_that_cannot_be_evaluated_is_diverged_at_step_zero():
    starts = np.array([[1e4, 1e4], [1.0, 1.0]], np.float32)  # Beale's gradient overflows at the first
    summary = summarize_sweep("beale", None, starts, RunConfig("sgd", {"learning_rate": 1e-3}), None, 10, 1.0)
    assert list(summary.diverged_at) == [0, NEVER]


def test_a_large_record_goes_back_to_the_pool_and_a_second_sweep_compiles_nothing():
    starts = np.zeros((4096, 2), np.float32)
    config = RunConfig("adam", {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8})
    hyper = {"learning_rate": np.geomspace(1e-3, 1.0, 4096)}
    summarize_sweep("quadratic", None, starts + 1, config, hyper, 300, 1e-3)
    wait_for_warm_ups()
    assert RECORDS.free_count(record_shapes(512, 4096, lean=True).theta) >= 1
    with CompileCounter() as counter:
        summarize_sweep("quadratic", {"kappa": 50.0}, starts - 1, config, {"learning_rate": hyper["learning_rate"] / 2},
                        400, 1e-6, {"sigma": 0.1, "seed": 2})  # fmt: skip
    assert counter.count == 0

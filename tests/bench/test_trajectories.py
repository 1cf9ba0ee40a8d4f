"""The trajectories benchmark's baselines compute what the engine computes, so its ratio compares like with like."""

from __future__ import annotations

import numpy as np
import pytest

from bench import trajectories


def test_numpy_baseline_matches_the_engine_points_losses_and_divergence() -> None:
    diffs = trajectories.check_same_work({"numpy": trajectories.numpy_run}, runs=32, steps=30)
    assert diffs["numpy"] < 1e-4
    start = trajectories.starts(32)
    ours = trajectories.engine_run(start, 30)
    theirs = trajectories.numpy_run(start, 30)
    assert ours[0].shape == theirs[0].shape == (31, 2, 32)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-4, atol=1e-6)
    assert np.array_equal(ours[2], theirs[2])  # no run diverges at the benchmark's learning rate
    assert (ours[2] == -1).all()


def test_a_baseline_that_misses_the_divergence_steps_is_refused() -> None:
    def never_diverges(start, steps, learning_rate=trajectories.LR):
        points, loss, diverged_at = trajectories.numpy_run(start, steps, learning_rate)
        return points, loss, np.full_like(diverged_at, -1)

    with pytest.raises(AssertionError, match="divergence steps"):
        trajectories.check_same_work({"careless": never_diverges}, runs=16, steps=20)

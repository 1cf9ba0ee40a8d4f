"""Recycled record buffers: a later run never overwrites a result still held, and a released record's
memory is what the next run of its shape writes into."""

import gc

import numpy as np
import pytest

from engine.surface.batched_loop import record_shapes
from engine.surface.record_pool import RECORDS, RecordPool
from engine.surface.runner import RunConfig, simulate, sweep, wait_for_warm_ups
from tests.engine.compile_counter import CompileCounter

STARTS = np.random.default_rng(1).uniform(-1.5, 1.5, (1024, 2)).astype(np.float32)  # a 1.5 MB record: recycled


def _sgd(rate: float) -> RunConfig:
    return RunConfig("sgd", {"learning_rate": rate})


def test_a_held_sweep_result_is_not_overwritten_by_later_sweeps():
    held = sweep("himmelblau", None, STARTS, _sgd(0.01), None, 100)
    before = held.output.theta.copy(), held.output.loss.copy()
    for rate in (0.001, 0.003, 0.02):  # same shapes: each would reuse a free buffer
        sweep("himmelblau", None, STARTS, _sgd(rate), None, 100)
    np.testing.assert_array_equal(held.output.theta, before[0])
    np.testing.assert_array_equal(held.output.loss, before[1])


def test_a_held_view_of_a_simulated_run_is_not_overwritten():
    config = RunConfig("momentum", {"learning_rate": 0.002, "momentum": 0.9})  # a small record: not recycled
    held = simulate("rosenbrock", None, (-1.5, 2.0), [config], 200)[0]
    loss = held.loss  # a strided view into the record buffer
    expected = loss.copy()
    for rate in (0.0005, 0.001, 0.003):
        other = RunConfig("momentum", {"learning_rate": rate, "momentum": 0.9})
        simulate("rosenbrock", None, (-1.5, 2.0), [other], 200)
    np.testing.assert_array_equal(loss, expected)


def test_a_released_record_is_reused_by_the_next_sweep_of_its_shape():
    shapes = record_shapes(128, len(STARTS), lean=True)
    assert RECORDS.worth(shapes)
    theta_shape = shapes.theta
    result = sweep("himmelblau", None, STARTS, _sgd(0.01), None, 100)
    address = result.output.theta.__array_interface__["data"][0]
    del result
    gc.collect()
    assert RECORDS.free_count(theta_shape) >= 1
    again = sweep("himmelblau", None, STARTS, _sgd(0.005), None, 100)
    assert again.output.theta.__array_interface__["data"][0] == address
    fresh = sweep("himmelblau", None, STARTS, _sgd(0.01), None, 100)  # `again` is held: another buffer
    assert fresh.output.theta.__array_interface__["data"][0] != address


def test_a_buffer_returns_to_the_pool_only_when_its_last_view_is_gone():
    pool = RecordPool()
    view = pool.lend(pool.take(((8, 5),))[0])
    part = view[2:4]
    del view
    gc.collect()
    assert pool.free_count((8, 5)) == 0  # `part` still refers to the buffer
    del part
    gc.collect()
    assert pool.free_count((8, 5)) == 1


def test_the_pool_keeps_at_most_its_limit_per_shape_and_passes_numpy_through():
    pool = RecordPool(keep_per_shape=1)
    views = [pool.lend(buffer) for buffer in pool.take(((4, 3), None, (4, 3), (4, 3)))]
    del views
    gc.collect()
    assert pool.free_count((4, 3)) == 1
    plain = np.ones((2, 2), np.float32)
    assert pool.lend(plain) is plain


@pytest.mark.parametrize("schedule", [None, {"name": "step", "every": 10, "factor": 0.5}])
def test_a_large_simulation_recorded_into_recycled_buffers_matches_small_ones(schedule):
    """512 SGD rates in one batch (a 1.3 MB record, so recycled) against two of them run alone, with the
    plain loop and with the loop for schedules."""
    rates = np.geomspace(1e-4, 1e-2, 512)
    configs = [RunConfig("sgd", {"learning_rate": float(rate)}, schedule) for rate in rates]
    assert RECORDS.worth(record_shapes(128, 512, lean=False))
    for _ in range(2):  # the second time into the buffers the first one gave back
        batch = simulate("himmelblau", None, (0.5, -1.0), configs, 100)
        for k in (0, 300):
            alone = simulate("himmelblau", None, (0.5, -1.0), [configs[k]], 100)[0]
            np.testing.assert_allclose(batch[k].points, alone.points, rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(batch[k].grad_norm, alone.grad_norm, rtol=1e-6)
            np.testing.assert_array_equal(batch[k].learning_rate, alone.learning_rate)
            assert batch[k].learning_rate[0] == np.float32(rates[k])
        del batch
        gc.collect()


def test_after_a_large_plain_sweep_a_sweep_with_a_schedule_compiles_nothing():
    """A recycled record's call holds one loop; the other is compiled in the background meanwhile."""
    starts = STARTS + np.float32(0.25)  # a batch size no other test compiled for this surface
    sweep("beale", None, starts[:512], _sgd(0.001), None, 200)
    wait_for_warm_ups()
    scheduled = RunConfig("sgd", {"learning_rate": 0.002}, {"name": "step", "every": 20, "factor": 0.5})
    with CompileCounter() as counter:
        result = sweep("beale", None, starts[:512], scheduled, None, 200, {"sigma": 0.1, "seed": 3})
    assert counter.count == 0
    assert np.isfinite(result.output.loss).all()

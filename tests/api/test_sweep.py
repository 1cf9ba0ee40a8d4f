"""POST /api/v1/sweep: every cell is the trajectory POST /api/v1/trajectories gives with the same values."""

import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from engine.surface.runner import wait_for_warm_ups
from engine.surface.surfaces import SURFACES
from tests.engine.compile_counter import CompileCounter

SPEC = {
    "surface": {"name": "rosenbrock", "params": {}},
    "start": [-1.5, 2.0],
    "steps": 400,
    "run": {"optimizer": "momentum", "hyperparameters": {}, "schedule": None, "clip": None},
    "noise": {"sigma": 0.0, "seed": 0},
    "axes": [
        {"name": "learning_rate", "low": 1e-4, "high": 1e-2, "count": 5, "scale": "log"},
        {"name": "momentum", "low": 0.0, "high": 0.9, "count": 4, "scale": "linear"},
    ],
    "tolerance": 0.5,
}


def sweep(client: TestClient, spec: dict) -> dict:
    answer = client.post("/api/v1/sweep", json=spec)
    assert answer.status_code == 200, answer.text
    return answer.json()


def refused(client: TestClient, spec: dict) -> str:
    answer = client.post("/api/v1/sweep", json=spec)
    assert answer.status_code == 422, answer.text
    return answer.json()["message"]


def steps_to_tolerance(loss: list[float], tolerance: float) -> int | None:
    """The first step from which the loss stays at or below the tolerance to the end."""
    k = len(loss)
    while k > 0 and loss[k - 1] <= tolerance:
        k -= 1
    return None if k == len(loss) else k


def cell(body: dict, i: int, j: int) -> dict:
    return {
        key: body[key][i][j] for key in ("final_loss", "steps_to_tolerance", "status", "diverged_at", "final_point")
    }


def check_cell(got: dict, run: dict, tolerance: float) -> None:
    """A cell against the trajectory of the same run: status and steps exact, numbers to float32 rounding."""
    assert (got["status"], got["diverged_at"]) == (run["status"], run["diverged_at"])
    if run["status"] == "diverged":
        assert got["final_loss"] is None and got["final_point"] is None and got["steps_to_tolerance"] is None
        return
    assert got["final_loss"] == pytest.approx(run["loss"][-1], rel=1e-5, abs=1e-7)
    assert got["final_point"] == pytest.approx(run["points"][-1], rel=1e-5, abs=1e-6)
    assert got["steps_to_tolerance"] == steps_to_tolerance(run["loss"], tolerance)


def trajectories(client: TestClient, spec: dict, runs: list[dict], start=None) -> list[dict]:
    body = {
        "surface": spec["surface"],
        "start": start or spec["start"],
        "steps": spec["steps"],
        "runs": runs,
        "noise": spec["noise"],
    }
    answer = client.post("/api/v1/trajectories", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["runs"]


def hyperparameter_cells_match_trajectories(client: TestClient, spec: dict) -> dict:
    """Every cell of a hyperparameter × hyperparameter sweep against trajectories of the same values."""
    body = sweep(client, spec)
    (a, first), (b, second) = ((axis["name"], axis["values"]) for axis in body["axes"])
    cells = [(i, j) for i in range(len(first)) for j in range(len(second))]
    for batch in (cells[k : k + 16] for k in range(0, len(cells), 16)):
        runs = [
            {**spec["run"], "hyperparameters": {**spec["run"]["hyperparameters"], a: first[i], b: second[j]}}
            for i, j in batch
        ]
        for (i, j), run in zip(batch, trajectories(client, spec, runs), strict=True):
            check_cell(cell(body, i, j), run, spec["tolerance"])
    return body


def test_the_answer_has_one_cell_per_pair_of_axis_values(client: TestClient):
    body = sweep(client, SPEC)
    assert [a["name"] for a in body["axes"]] == ["learning_rate", "momentum"]
    rates, momenta = (a["values"] for a in body["axes"])
    assert rates == pytest.approx(np.geomspace(1e-4, 1e-2, 5).tolist()) and rates[0] == 1e-4 and rates[-1] == 1e-2
    assert momenta == pytest.approx([0.0, 0.3, 0.6, 0.9])
    for key in ("final_loss", "steps_to_tolerance", "status", "diverged_at", "final_point"):
        assert len(body[key]) == 5 and all(len(row) == 4 for row in body[key]), key
    assert (body["surface"], body["optimizer"], body["start"], body["steps"]) == (
        "rosenbrock",
        "momentum",
        [-1.5, 2.0],
        400,
    )


def test_every_cell_equals_its_trajectory_including_diverged_ones(client: TestClient):
    body = hyperparameter_cells_match_trajectories(client, SPEC)
    statuses = [s for row in body["status"] for s in row]
    assert "diverged" in statuses and "ok" in statuses
    assert any(s is not None for row in body["steps_to_tolerance"] for s in row)


def test_cells_with_a_schedule_clipping_and_noise_equal_their_trajectories(client: TestClient):
    spec = {
        **SPEC,
        "surface": {"name": "quadratic", "params": {"kappa": 20.0, "theta": 0.5}},
        "start": [-1.6, 1.2],
        "steps": 200,
        "run": {
            "optimizer": "adam",
            "hyperparameters": {"b2": 0.99},
            "schedule": {"name": "step", "every": 50, "factor": 0.5},
            "clip": {"mode": "norm", "threshold": 1.0},
        },
        "noise": {"sigma": 0.3, "seed": 5},
        "axes": [
            {"name": "learning_rate", "low": 1e-3, "high": 3.0, "count": 4, "scale": "log"},
            {"name": "b1", "low": 0.0, "high": 0.99, "count": 4},
        ],
        "tolerance": 0.05,
    }
    hyperparameter_cells_match_trajectories(client, spec)


def test_a_basin_map_sweeps_starts_and_every_start_equals_its_trajectory(client: TestClient):
    spec = {
        **SPEC,
        "surface": {"name": "himmelblau", "params": {}},
        "start": None,
        "steps": 200,
        "run": {"optimizer": "sgd", "hyperparameters": {"learning_rate": 0.01}},
        "axes": [
            {"name": "start_x", "low": -5, "high": 5, "count": 4},
            {"name": "start_y", "low": -5, "high": 5, "count": 4},
        ],
        "tolerance": 1e-4,
    }
    body = sweep(client, spec)
    xs, ys = (a["values"] for a in body["axes"])
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            (run,) = trajectories(client, spec, [spec["run"]], start=[x, y])
            check_cell(cell(body, i, j), run, spec["tolerance"])


def test_a_fine_basin_map_of_himmelblau_reaches_each_of_its_four_minima(client: TestClient):
    spec = {
        "surface": {"name": "himmelblau"},
        "run": {"optimizer": "sgd", "hyperparameters": {"learning_rate": 0.01}},
        "axes": [
            {"name": "start_x", "low": -5, "high": 5, "count": 32},
            {"name": "start_y", "low": -5, "high": 5, "count": 32},
        ],
    }
    body = sweep(client, spec)
    minima = np.array(SURFACES["himmelblau"].minima)
    ends = np.array([p for row in body["final_point"] for p in row if p is not None])
    nearest = np.linalg.norm(ends[:, None, :] - minima[None], axis=-1)
    reached = np.argmin(nearest, axis=1)[np.min(nearest, axis=1) < 1e-2]
    assert sorted(set(reached.tolist())) == [0, 1, 2, 3]


def test_one_axis_gives_one_column_and_a_start_axis_keeps_the_other_coordinate(client: TestClient):
    spec = {**SPEC, "axes": [{"name": "start_x", "low": -1.0, "high": 1.0, "count": 3}], "steps": 1}
    body = sweep(client, spec)
    assert [len(row) for row in body["status"]] == [1, 1, 1]
    (run,) = trajectories(client, spec, [SPEC["run"]], start=[1.0, 2.0])
    check_cell(cell(body, 2, 0), run, spec["tolerance"])


def test_a_start_where_the_surface_cannot_be_evaluated_is_a_cell_diverged_at_step_zero(client: TestClient):
    spec = {
        **SPEC,
        "surface": {"name": "beale"},
        "run": {"optimizer": "sgd"},
        "axes": [{"name": "start_y", "low": 1.0, "high": 1e4, "count": 2}],
        "start": [1.0, 1.0],
        "steps": 5,
    }
    body = sweep(client, spec)
    (run,) = trajectories(client, spec, [spec["run"]], start=[1.0, 1e4])
    assert run["diverged_at"] == 0
    check_cell(cell(body, 1, 0), run, spec["tolerance"])
    assert body["status"] == [["ok"], ["diverged"]] and body["diverged_at"] == [[None], [0]]


def test_no_number_in_the_answer_is_nan_or_infinite(client: TestClient):
    spec = {**SPEC, "axes": [{"name": "learning_rate", "low": 1e-3, "high": 10, "count": 16, "scale": "log"}]}
    answer = client.post("/api/v1/sweep", json=spec)
    assert "NaN" not in answer.text and "Infinity" not in answer.text
    body = answer.json()
    assert body["status"][-1] == ["diverged"] and body["final_loss"][-1] == [None]
    assert all(math.isfinite(v) for row in body["final_loss"] for v in row if v is not None)


MOMENTUM = {"name": "momentum", "low": 0.0, "high": 0.9}
RATES = {"name": "learning_rate", "low": 1e-4, "high": 1e-2, "scale": "log"}


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ([{**MOMENTUM, "name": "beta"}], "axes: Value error, axis 0 ('beta'): momentum has no such hyperparameter; "
         "an axis can be learning_rate, momentum, start_x, start_y"),
        ([{**MOMENTUM, "high": 1}], "momentum's momentum ranges over [0, 0.999]; got low 0, high 1"),
        ([{**RATES, "low": 1e-6}], "learning_rate ranges over [1e-05, 10]"),
        ([{**RATES, "low": 0}], "axes.0: Value error, a log axis needs low > 0 (got 0)"),
        ([{**MOMENTUM, "low": 0.95}], "low (0.95) must not exceed high (0.9)"),
        ([MOMENTUM, MOMENTUM], "the two axes must differ"),
        ([{**MOMENTUM, "count": 129}], "axes.0.count: Input should be less than or equal to 128"),
        ([{**MOMENTUM, "count": 0}], "axes.0.count: Input should be greater than or equal to 1"),
        ([{"name": "start_x", "low": -1e5, "high": 0}], "axes.0.low: Input should be greater than or equal to -10000"),
        ([{**MOMENTUM, "step": 2}], "axes.0.step: Extra inputs are not permitted"),
        ([{**MOMENTUM, "low": "0"}], "axes.0.low: Input should be a valid number"),
        ([], "axes: List should have at least 1 item"),
        ([RATES, MOMENTUM, {"name": "start_x", "low": 0, "high": 1}], "at most 2 items"),
    ],
)  # fmt: skip
def test_bad_axes_are_refused_with_a_clear_message(client: TestClient, axes, message):
    assert message in refused(client, {**SPEC, "axes": axes})


def test_steps_and_unknown_fields_are_refused(client: TestClient):
    assert "steps: Input should be less than or equal to 2000" in refused(client, {**SPEC, "steps": 2001})
    assert "grid: Extra inputs are not permitted" in refused(client, {**SPEC, "grid": 3})
    assert "run.sgd.hyperparameters.momentum: Extra inputs" in refused(
        client, {**SPEC, "run": {"optimizer": "sgd", "hyperparameters": {"momentum": 0.5}}}
    )


def test_a_second_sweep_of_the_same_grid_size_compiles_nothing(client: TestClient):
    """New values everywhere (axes, tolerance, start, steps in the same chunk, noise on) and a new grid of the
    same size: no XLA compilation."""
    spec = {
        **SPEC,
        "axes": [
            {"name": "learning_rate", "low": 1e-5, "high": 1e-2, "count": 64, "scale": "log"},
            {"name": "momentum", "low": 0.0, "high": 0.99, "count": 64},
        ],
        "steps": 500,
    }
    sweep(client, spec)
    wait_for_warm_ups()
    changed = {
        **spec,
        "start": [0.5, -0.5],
        "steps": 450,
        "noise": {"sigma": 0.2, "seed": 9},
        "tolerance": 0.5,
        "axes": [
            {"name": "momentum", "low": 0.5, "high": 0.9, "count": 32},
            {"name": "learning_rate", "low": 1e-4, "high": 1e-3, "count": 128, "scale": "log"},
        ],
    }
    with CompileCounter() as counter:
        sweep(client, {**spec, "axes": [{**spec["axes"][0], "high": 1e-3}, {**spec["axes"][1], "low": 0.5}]})
        sweep(client, changed)
    assert counter.count == 0

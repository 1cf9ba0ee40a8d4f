"""Custom expression surfaces wherever a surface is accepted: trajectories, sweep, grid, point, live session."""

import json
import math

import numpy as np
import pytest

from app.services.frames import decode_frame

ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"
CUSTOM = {"name": "custom", "expression": ROSENBROCK, "domain": [[-2, 2], [-1, 3]]}
RUNS = [{"optimizer": "adam", "hyperparameters": {"learning_rate": 0.05}}]


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def test_trajectories_on_the_typed_rosenbrock_equal_the_built_in_ones(client):
    spec = {"start": [-1.5, 2.0], "steps": 200, "runs": RUNS}
    typed = client.post("/api/v1/trajectories", json={**spec, "surface": CUSTOM}).json()
    built_in = client.post("/api/v1/trajectories", json={**spec, "surface": {"name": "rosenbrock"}}).json()
    assert typed["surface"] == "custom"
    np.testing.assert_allclose(typed["runs"][0]["points"], built_in["runs"][0]["points"], rtol=1e-4, atol=1e-5)


def test_default_start_comes_from_the_domain(client):
    body = client.post("/api/v1/trajectories", json={"surface": CUSTOM, "steps": 3, "runs": RUNS}).json()
    assert body["start"] == pytest.approx([-1.2, 2.2])  # a fifth in from the upper-left corner
    default_domain = {"name": "custom", "expression": "x^2 + y^2"}
    body = client.post("/api/v1/trajectories", json={"surface": default_domain, "steps": 3, "runs": RUNS}).json()
    assert body["start"] == pytest.approx([-1.2, 1.2])


@pytest.mark.parametrize(
    "path, extra",
    [
        ("/api/v1/trajectories", {"runs": RUNS}),
        ("/api/v1/sweep", {"run": RUNS[0], "axes": [{"name": "learning_rate", "low": 0.01, "high": 0.1, "count": 4}]}),
        ("/api/v1/surface-grid", {}),
        ("/api/v1/surface-point", {"point": [0.0, 0.0]}),
    ],
)
def test_a_bad_expression_is_a_422_pointing_at_the_character(client, path, extra):
    surface = {"name": "custom", "expression": "x^2 + 3 y"}
    r = client.post(path, json={"surface": surface, **extra})
    assert r.status_code == 422
    body = r.json()
    assert body["message"].startswith("surface.custom.expression: missing operator before 'y' at character 9:")
    assert body["message"].endswith("\n  x^2 + 3 y\n          ^")
    (error,) = body["detail"]
    assert error["loc"] == ["body", "surface", "custom", "expression"]
    assert error["ctx"]["position"] == 8 and error["ctx"]["end"] == 9
    assert error["ctx"]["reason"] == "missing operator before 'y'"


@pytest.mark.parametrize(
    "surface, words",
    [
        ({"name": "custom", "expression": "x", "domain": [[1, 1], [0, 1]]}, "low < high"),
        ({"name": "custom", "expression": "x", "domain": [[2, 1], [0, 1]]}, "low < high"),
        ({"name": "custom", "expression": "x", "domain": [[0, 1], [0, 2e4]]}, "less than or equal to 10000"),
        ({"name": "custom", "expression": "x", "domain": [[0, 1]]}, "domain"),
        ({"name": "custom", "expression": 3}, "valid string"),
        ({"name": "custom"}, "expression"),
        ({"name": "custom", "expression": "x", "params": {}}, "Extra inputs"),
        ({"name": "custom", "expression": "__import__('os').system('ls')"}, "unexpected character '_'"),
    ],
)
def test_bad_custom_surfaces_are_refused(client, surface, words):
    r = client.post("/api/v1/surface-grid", json={"surface": surface})
    assert r.status_code == 422 and words in r.json()["message"], r.json()["message"]


def test_a_start_where_the_expression_is_undefined_is_refused(client):
    surface = {"name": "custom", "expression": "log(x) + y^2"}
    r = client.post("/api/v1/trajectories", json={"surface": surface, "start": [-1.0, 0.0], "runs": RUNS})
    assert r.status_code == 422 and "not finite at the start (-1, 0)" in r.json()["message"]
    r = client.post(
        "/api/v1/trajectories", json={"surface": {**surface, "expression": "sqrt(x)"}, "start": [0, 1], "runs": RUNS}
    )
    assert r.status_code == 422  # defined, but its gradient is not


def test_leaving_the_region_where_it_is_defined_is_a_divergence_without_nan(client):
    spec = {"surface": {"name": "custom", "expression": "log(x) + y^2"}, "start": [0.5, 0.5], "steps": 50}
    body = client.post(
        "/api/v1/trajectories", json={**spec, "runs": [{"optimizer": "sgd", "hyperparameters": {"learning_rate": 0.1}}]}
    ).json()
    run = body["runs"][0]
    assert run["status"] == "diverged" and run["diverged_at"] == len(run["points"]) and _finite(body)


def test_grid_spans_the_domain_with_null_where_undefined(client):
    surface = {"name": "custom", "expression": "log(x) + y^2", "domain": [[-1, 1], [0, 2]]}
    body = client.post("/api/v1/surface-grid", json={"surface": surface, "resolution": 11}).json()
    assert body["x"][0] == -1 and body["x"][-1] == 1 and body["y"][0] == 0 and body["y"][-1] == 2
    z = np.array(body["z"], dtype=object)
    assert all(v is None for v in z[:, :5].ravel())  # x < 0
    assert z[3, 8] == pytest.approx(math.log(0.6) + 0.6**2, rel=1e-5)
    assert body["log_levels"] is False  # negative where defined
    bowl = client.post("/api/v1/surface-grid", json={"surface": {**surface, "expression": "x^2 + y^2"}}).json()
    assert bowl["log_levels"] is True and all(v is not None for row in bowl["z"] for v in row)


def test_surface_point_and_sweep_on_a_custom_surface(client):
    point = client.post("/api/v1/surface-point", json={"surface": CUSTOM, "point": [1.0, 1.0]}).json()
    assert point["kind"] == "minimum"
    np.testing.assert_allclose(point["hessian"], [[802, -400], [-400, 200]], rtol=1e-5)
    sweep = {
        "surface": CUSTOM,
        "start": [-1.5, 2.0],
        "steps": 100,
        "run": RUNS[0],
        "axes": [{"name": "learning_rate", "low": 0.001, "high": 0.1, "count": 8, "scale": "log"}],
    }
    typed = client.post("/api/v1/sweep", json=sweep).json()
    built_in = client.post("/api/v1/sweep", json={**sweep, "surface": {"name": "rosenbrock"}}).json()
    assert typed["status"] == built_in["status"]
    np.testing.assert_allclose(typed["final_loss"], built_in["final_loss"], rtol=1e-3, atol=1e-6)


def test_the_live_session_takes_a_custom_surface_and_refuses_a_bad_one(client):
    spec = {"surface": CUSTOM, "start": [-1.5, 2.0], "steps": 50, "runs": RUNS}
    with client.websocket_connect("/ws/v1/surface") as ws:
        ws.send_text(json.dumps({"type": "start", "spec": spec}))
        header, _ = decode_frame(ws.receive()["bytes"])
        assert header["surface"] == "custom"
        assert header["surface_params"] == {"expression": ROSENBROCK, "domain": [[-2.0, 2.0], [-1.0, 3.0]]}
        ws.send_text(json.dumps({"type": "update", "surface": {"name": "custom", "expression": "x +"}}))
        error = json.loads(ws.receive()["text"])
        assert error["type"] == "error" and "ends too early" in error["message"]
        ws.send_text(json.dumps({"type": "update", "surface": {"name": "custom", "expression": "x^2 + y^2"}}))
        header, payload = decode_frame(ws.receive()["bytes"])
        assert header["surface_params"]["expression"] == "x^2 + y^2" and header["version"] == 2


def test_the_catalog_describes_the_grammar(client):
    custom = client.get("/api/v1/catalog").json()["custom_surface"]
    assert custom["default_expression"] == ROSENBROCK and custom["max_length"] == 200
    assert "sqrt" in custom["functions"] and custom["binary_functions"] == ["min", "max"]
    assert custom["constants"] == ["pi", "e"] and custom["default_domain"] == [[-2.0, 2.0], [-2.0, 2.0]]

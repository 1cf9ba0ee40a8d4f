"""POST /api/v1/surface-point: exact curvature and the second-order check of one gradient step."""

import math

import numpy as np
import pytest
from fastapi.testclient import TestClient


def point(client: TestClient, surface: dict, xy, lr: float = 0.01) -> dict:
    answer = client.post("/api/v1/surface-point", json={"surface": surface, "point": list(xy), "learning_rate": lr})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_quadratic_point_by_hand(client: TestClient):
    # f = ½(x² + 10 y²) at (1, 1): f = 5.5, g = (1, 10), H = diag(1, 10).
    body = point(client, {"name": "quadratic", "params": {"kappa": 10, "theta": 0}}, (1, 1), lr=0.05)
    assert body["loss"] == pytest.approx(5.5)
    assert body["gradient"] == pytest.approx([1, 10])
    assert np.allclose(body["hessian"], [[1, 0], [0, 10]], atol=1e-5)
    assert body["eigenvalues"] == pytest.approx([1, 10]) and body["kind"] == "minimum"
    assert body["condition_number"] == pytest.approx(10)
    assert body["first_order"] == pytest.approx(0.05 * 101)
    assert body["second_order"] == pytest.approx(0.5 * 0.05**2 * (1 + 1000))
    # Second order is exact on a quadratic: the predicted change is the actual one.
    assert body["actual_change"] == pytest.approx(body["predicted_change"], rel=1e-5)
    assert body["step_raises_loss"] is False


def test_a_step_past_twice_the_inverse_curvature_raises_the_loss(client: TestClient):
    # Along y the curvature is 10: a step of 0.25 > 2/10 overshoots (seed 004 §2.1).
    body = point(client, {"name": "quadratic", "params": {"kappa": 10, "theta": 0}}, (0.1, 1), lr=0.25)
    assert body["step_raises_loss"] is True
    assert body["predicted_change"] > 0 and body["actual_change"] > 0


@pytest.mark.parametrize(
    ("surface", "xy", "kind"),
    [
        ({"name": "saddle"}, (0.5, 0.5), "saddle"),
        ({"name": "rosenbrock"}, (1, 1), "minimum"),
        ({"name": "rastrigin"}, (0.5, 0.5), "maximum"),
        ({"name": "monkey_saddle"}, (0, 0), "degenerate"),
    ],
)
def test_the_kind_of_point_follows_the_eigenvalues(client: TestClient, surface, xy, kind):
    body = point(client, surface, xy)
    assert body["kind"] == kind
    h = np.array(body["hessian"])
    vectors = np.array(body["eigenvectors"])
    for k, value in enumerate(body["eigenvalues"]):
        assert np.allclose(h @ vectors[:, k], value * vectors[:, k], atol=1e-3 * max(1, abs(value)))
    assert body["eigenvalues"] == sorted(body["eigenvalues"])
    if kind == "degenerate":
        assert body["condition_number"] is None


def test_rosenbrocks_minimum_is_badly_conditioned(client: TestClient):
    body = point(client, {"name": "rosenbrock"}, (1, 1))
    assert body["eigenvalues"] == pytest.approx([0.3994, 1001.6], rel=1e-3)
    assert body["gradient"] == pytest.approx([0, 0], abs=1e-6)
    assert math.isclose(body["condition_number"], 1001.6 / 0.3994, rel_tol=1e-3)


def test_bad_input_is_refused_with_a_message(client: TestClient):
    answer = client.post(
        "/api/v1/surface-point", json={"surface": {"name": "saddle"}, "point": [0, 0], "learning_rate": -1}
    )
    assert answer.status_code == 422 and "learning_rate" in answer.json()["message"]
    answer = client.post("/api/v1/surface-point", json={"surface": {"name": "saddle"}, "point": [0]})
    assert answer.status_code == 422 and "point" in answer.json()["message"]

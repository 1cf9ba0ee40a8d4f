"""Large trajectories answers in less: every k-th point (``every``) and one binary ``paths`` frame
(``format=binary``), with the same numbers as the full JSON answer (issue 14 §1)."""

import csv
import io

import numpy as np
import pytest

from app.services.frames import decode_frame

SPEC = {
    "surface": {"name": "rosenbrock"},
    "start": [-1.5, 2.0],
    "steps": 500,
    "runs": [
        {"optimizer": "adam", "hyperparameters": {"learning_rate": 0.01}},
        {"optimizer": "sgd", "hyperparameters": {"learning_rate": 1.0}},  # diverges within a few steps
        {
            "optimizer": "momentum",
            "hyperparameters": {"learning_rate": 0.0005},
            "schedule": {"name": "exponential", "decay_rate": 0.99, "decay_steps": 1},
        },
    ],
}


def post(client, query=""):
    response = client.post(f"/api/v1/trajectories{query}", json=SPEC)
    assert response.status_code == 200, response.text
    return response


def test_every_k_reports_every_kth_point_and_the_last_with_their_steps(client):
    full = post(client).json()
    thin = post(client, "?every=7").json()
    assert full["every"] == 1 and thin["every"] == 7
    for whole, part in zip(full["runs"], thin["runs"], strict=True):
        assert whole["step"] is None
        steps = part["step"]
        assert steps[0] == 0 and steps[-1] == len(whole["points"]) - 1
        assert all(b - a == 7 for a, b in zip(steps[:-2], steps[1:-1], strict=True)) and 0 < steps[-1] - steps[-2] <= 7
        for key in ("points", "loss", "grad_norm"):
            assert part[key] == [whole[key][s] for s in steps]
        assert (part["status"], part["diverged_at"]) == (whole["status"], whole["diverged_at"])
    assert thin["runs"][1]["status"] == "diverged" and thin["runs"][1]["step"][-1] < 7  # its last finite point


def test_every_k_as_csv_names_the_reported_steps(client):
    rows = list(csv.DictReader(io.StringIO(post(client, "?every=50&format=csv").text)))
    adam = [r for r in rows if r["run"] == "0"]
    assert [int(r["step"]) for r in adam] == list(range(0, 501, 50))


@pytest.mark.parametrize("every", [1, 9])
def test_binary_is_one_paths_frame_with_the_json_numbers(client, every):
    answer = post(client, f"?every={every}").json()
    response = post(client, f"?every={every}&format=binary")
    assert response.headers["content-type"] == "application/octet-stream"
    header, payload = decode_frame(response.content)
    assert header["type"] == "paths" and header["every"] == every and header["steps"] == 500
    fields = header["fields"]
    assert fields == (["step", "x", "y", "loss", "grad_norm"] if every > 1 else ["x", "y", "loss", "grad_norm"])
    offset = 0
    for meta, run in zip(header["runs"], answer["runs"], strict=True):
        rows = payload[offset : offset + meta["length"] * len(fields)].reshape(meta["length"], len(fields))
        offset += rows.size
        table = np.column_stack([run["points"], run["loss"], run["grad_norm"]]).astype(np.float32)
        np.testing.assert_array_equal(rows[:, -4:], table)
        if every > 1:
            np.testing.assert_array_equal(rows[:, 0], run["step"])
        assert (meta["status"], meta["diverged_at"]) == (run["status"], run["diverged_at"])
    series = {i: meta["series"] for i, meta in enumerate(header["runs"]) if meta["series"]}
    # Adam's per-coordinate step sizes, and the scheduled momentum run's rate: one entry per reported update.
    assert series[0] == [["step_size", [header["runs"][0]["length"] - 1, 2]]]
    assert series[2] == [["learning_rate", [header["runs"][2]["length"] - 1]]]
    rate = payload[-(header["runs"][2]["length"] - 1) :]
    steps = np.array(answer["runs"][2]["step"] or range(501))
    np.testing.assert_allclose(rate, 0.0005 * 0.99 ** (steps[1:] - 1), rtol=1e-5)  # the update into each point
    if every == 1:  # the binary frame also holds the series the JSON lacks, and is still far smaller
        assert len(response.content) < len(post(client).content) / 3


def test_a_bad_every_is_a_422_that_says_so(client):
    for bad in ("0", "-3", "x", "10001"):
        response = client.post(f"/api/v1/trajectories?every={bad}", json=SPEC)
        assert response.status_code == 422 and "every" in response.json()["message"]

import math

import pytest

SPEC = {
    "surface": {"name": "rosenbrock", "params": {}},
    "start": [-1.5, 2.0],
    "steps": 500,
    "runs": [{"optimizer": "adam", "hyperparameters": {"learning_rate": 0.01}, "schedule": None, "clip": None}],
    "noise": {"sigma": 0.0, "seed": 0},
}


def post(client, spec):
    return client.post("/api/v1/trajectories", json=spec)


def test_contract_points_start_at_start_and_omitted_hyperparameters_take_defaults(client):
    body = post(client, SPEC).json()
    assert body["surface"] == "rosenbrock"
    run = body["runs"][0]
    assert run["optimizer"] == "adam"
    assert run["hyperparameters"] == {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}
    assert run["points"][0] == [-1.5, 2.0]
    assert len(run["points"]) == len(run["loss"]) == 501
    assert run["status"] == "ok" and run["diverged_at"] is None
    assert run["loss"][-1] < run["loss"][0]


def test_same_spec_gives_the_same_numbers(client):
    noisy = {**SPEC, "noise": {"sigma": 0.5, "seed": 3}}
    assert post(client, noisy).json() == post(client, noisy).json()


def test_start_defaults_to_the_surface_default(client):
    body = post(client, {"surface": {"name": "himmelblau"}, "runs": [{"optimizer": "sgd"}], "steps": 3}).json()
    assert body["start"] == pytest.approx([-0.3, -0.9])
    assert body["runs"][0]["points"][0] == pytest.approx([-0.3, -0.9])


def test_diverged_run_ends_at_last_finite_point(client):
    spec = {**SPEC, "runs": [{"optimizer": "sgd", "hyperparameters": {"learning_rate": 1.0}}, SPEC["runs"][0]]}
    diverged, fine = post(client, spec).json()["runs"]
    assert diverged["status"] == "diverged"
    assert diverged["diverged_at"] == len(diverged["points"])
    assert diverged["reason"]
    assert all(math.isfinite(v) for p in diverged["points"] for v in p)
    assert all(math.isfinite(v) for v in diverged["loss"] + diverged["grad_norm"])
    assert fine["status"] == "ok" and len(fine["points"]) == 501


def test_schedule_clip_and_noise_are_accepted_and_echoed(client):
    run = {
        "optimizer": "momentum",
        "schedule": {"name": "step", "every": 50, "factor": 0.5},
        "clip": {"mode": "norm", "threshold": 1.0},
    }
    body = post(client, {**SPEC, "runs": [run], "noise": {"sigma": 0.1, "seed": 1}}).json()
    assert body["runs"][0]["schedule"] == {"name": "step", "every": 50.0, "factor": 0.5}
    assert body["runs"][0]["clip"] == {"mode": "norm", "threshold": 1.0}


@pytest.mark.parametrize(
    ("patch", "field", "words"),
    [
        ({"steps": 0}, "steps", "greater than or equal to 1"),
        ({"steps": 10001}, "steps", "less than or equal to 10000"),
        ({"steps": 2.5}, "steps", "integer"),
        ({"steps": "500"}, "steps", "integer"),
        ({"runs": []}, "runs", "at least 1"),
        ({"runs": [{"optimizer": "sgd"}] * 17}, "runs", "at most 16"),
        ({"runs": [{"optimizer": "adamw2"}]}, "runs.0", "'sgd', 'momentum'"),
        ({"runs": [{"optimizer": "adam", "hyperparameters": {"learning_rate": 50}}]}, "learning_rate", "10"),
        ({"runs": [{"optimizer": "adam", "hyperparameters": {"learning_rate": True}}]}, "learning_rate", "number"),
        ({"runs": [{"optimizer": "adam", "hyperparameters": {"momentum": 0.9}}]}, "momentum", "Extra inputs"),
        ({"surface": {"name": "moon"}}, "surface", "'rosenbrock'"),
        ({"surface": {"name": "quadratic", "params": {"kappa": 0.5}}}, "kappa", "greater than or equal to 1"),
        ({"start": [1.0]}, "start.1", "Field required"),
        ({"colour": "red"}, "colour", "Extra inputs"),
        ({"runs": [{"optimizer": "sgd", "clip": {"mode": "max", "threshold": 1}}]}, "mode", "'value' or 'norm'"),
        (
            {
                "runs": [
                    {"optimizer": "sgd", "schedule": {"name": "piecewise", "boundaries": [10, 20], "values": [1, 0.5]}}
                ]
            },
            "piecewise",
            "one more value than boundaries",
        ),
        ({"runs": [{"optimizer": "delta_bar_delta", "schedule": {"name": "power"}}]}, "delta_bar_delta", "schedule"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_field(client, patch, field, words):
    r = post(client, {**SPEC, **patch})
    assert r.status_code == 422
    message = r.json()["message"]
    assert field in message and words in message, message


def test_nan_is_refused(client):
    body = (
        '{"surface": {"name": "rosenbrock"}, "runs": [{"optimizer": "sgd", "hyperparameters": {"learning_rate": NaN}}]}'
    )
    r = client.post("/api/v1/trajectories", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_surface_grid(client):
    body = client.post("/api/v1/surface-grid", json={"surface": {"name": "himmelblau"}, "resolution": 50}).json()
    assert len(body["x"]) == len(body["y"]) == 50 and len(body["z"]) == 50 and len(body["z"][0]) == 50
    assert body["x"][0] == -5.0 and body["x"][-1] == 5.0
    assert min(min(row) for row in body["z"]) >= 0.0
    assert body["log_levels"] is True

"""``?format=csv``: the REST answers as CSV tables holding exactly the JSON answer's numbers."""

import csv
import io

import pytest

TRAJECTORIES = {
    "surface": {"name": "rosenbrock"},
    "start": [-1.5, 2.0],
    "steps": 6,
    "runs": [{"optimizer": "sgd", "hyperparameters": {"learning_rate": 1.0}}, {"optimizer": "adam"}],
}
TRAIN = {
    "dataset": {"name": "circles", "n": 400, "noise": 0.1, "validation_split": 0.5, "seed": 1},
    "model": {"hidden": [5, 5, 5], "activation": "tanh", "init": {"name": "uniform", "low": 0.0, "high": 1.0}},
    "optimizer": {"name": "momentum", "hyperparameters": {"learning_rate": 0.01, "momentum": 0.9}},
    "batch_size": 20,
    "epochs": 20,
}
INIT = {"layers": 3, "width": 20, "samples": 50, "bins": 6}


def table(response, filename):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    return list(csv.DictReader(io.StringIO(response.text)))


def test_trajectories_csv_has_one_row_per_point_with_the_json_numbers(client):
    runs = client.post("/api/v1/trajectories", json=TRAJECTORIES).json()["runs"]
    rows = table(client.post("/api/v1/trajectories?format=csv", json=TRAJECTORIES), "trajectories.csv")
    assert list(rows[0]) == ["run", "optimizer", "step", "x", "y", "loss", "grad_norm", "status"]
    diverged, fine = runs
    assert diverged["status"] == "diverged" and fine["status"] == "ok"
    for i, run in enumerate(runs):
        mine = [r for r in rows if r["run"] == str(i)]
        assert [int(r["step"]) for r in mine] == list(range(len(run["points"])))
        assert {(r["optimizer"], r["status"]) for r in mine} == {(run["optimizer"], run["status"])}
        assert [[float(r["x"]), float(r["y"])] for r in mine] == run["points"]
        assert [float(r["loss"]) for r in mine] == run["loss"]
        assert [float(r["grad_norm"]) for r in mine] == run["grad_norm"]
    assert sum(r["run"] == "1" for r in rows) == TRAJECTORIES["steps"] + 1
    assert int([r for r in rows if r["run"] == "0"][-1]["step"]) == diverged["diverged_at"] - 1


def test_train_csv_tables_hold_the_history_and_the_per_layer_statistics(client):
    history = client.post("/api/v1/train", json=TRAIN).json()["history"]
    assert len(history["step"]) > 1
    rows = table(client.post("/api/v1/train?format=csv", json=TRAIN), "train-history.csv")
    assert list(rows[0]) == ["step", "epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy"]
    assert len(rows) == len(history["step"])
    assert [int(r["step"]) for r in rows] == history["step"]
    for column in ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        assert [float(r[column]) for r in rows] == history[column]

    rows = table(client.post("/api/v1/train?format=csv&table=layers", json=TRAIN), "train-layers.csv")
    assert list(rows[0]) == ["step", "layer", "statistic", "value"]
    expected = [
        (step, layer, "grad_mean_abs", value)
        for step, per_layer in zip(history["step"], history["grad_mean_abs"], strict=True)
        for layer, value in enumerate(per_layer, start=1)
    ]
    assert [(int(r["step"]), int(r["layer"]), r["statistic"], float(r["value"])) for r in rows] == expected


def test_init_experiment_csv_tables_hold_the_statistics_and_histograms(client):
    layers = client.post("/api/v1/init-experiment", json=INIT).json()["layers"]
    rows = table(client.post("/api/v1/init-experiment?format=csv", json=INIT), "init-experiment-layers.csv")
    expected = [(layer["index"], name, layer[name]) for layer in layers for name in ("mean", "std")]
    assert [(int(r["layer"]), r["statistic"], float(r["value"])) for r in rows] == expected

    response = client.post("/api/v1/init-experiment?format=csv&table=histograms", json=INIT)
    rows = table(response, "init-experiment-histograms.csv")
    assert len(rows) == INIT["layers"] * INIT["bins"]
    for layer in layers:
        mine = [r for r in rows if int(r["layer"]) == layer["index"]]
        edges, counts = layer["histogram"]["edges"], layer["histogram"]["counts"]
        assert [float(r["bin_low"]) for r in mine] == edges[:-1]
        assert [float(r["bin_high"]) for r in mine] == edges[1:]
        assert [int(r["count"]) for r in mine] == counts


@pytest.mark.parametrize(
    ("path", "query", "words"),
    [
        ("/api/v1/trajectories", "format=xml", "query.format: Input should be 'json', 'csv' or 'binary'"),
        ("/api/v1/trajectories", "format=CSV", "query.format: Input should be 'json', 'csv' or 'binary'"),
        ("/api/v1/train", "format=csv&table=weights", "query.table: Input should be 'history' or 'layers'"),
        ("/api/v1/train", "table=layers", "query.table: table applies only to format=csv"),
        ("/api/v1/init-experiment", "format=csv&table=history", "'layers' or 'histograms'"),
    ],
)
def test_bad_format_or_table_is_a_422_that_says_what_is_allowed(client, path, query, words):
    body = {"/api/v1/trajectories": TRAJECTORIES, "/api/v1/train": TRAIN, "/api/v1/init-experiment": INIT}[path]
    r = client.post(f"{path}?{query}", json=body)
    assert r.status_code == 422
    assert words in r.json()["message"]


def test_a_bad_body_with_format_csv_is_still_the_json_422(client):
    r = client.post("/api/v1/trajectories?format=csv", json={**TRAJECTORIES, "steps": 0})
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    assert "steps" in r.json()["message"]

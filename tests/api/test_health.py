"""GET /api/v1/health: up, and whether the start-up compilations are done."""

from app.services import warmup


def test_health_says_ok_and_what_is_still_warming(client, monkeypatch):
    monkeypatch.setattr(warmup, "_pending", ["adam width 64 batch 256"])
    assert client.get("/api/v1/health").json() == {
        "status": "ok",
        "warm": False,
        "warming": ["adam width 64 batch 256"],
    }
    monkeypatch.setattr(warmup, "_pending", [])
    assert client.get("/api/v1/health").json() == {"status": "ok", "warm": True, "warming": []}


def test_warm_up_runs_each_task_once_and_empties_the_list(monkeypatch):
    done = []
    tasks = [(f"task {i}", lambda i=i: done.append(i)) for i in range(3)]
    monkeypatch.setattr(warmup, "_tasks", lambda: tasks)
    warmup.start_warm_up().join()
    assert done == [0, 1, 2] and warmup.status() == {"warm": True, "warming": []}


def test_bucket_warm_up_covers_every_width_and_batch_bucket():
    from engine.network import buckets
    from engine.network.training import bucket_warm_ups

    labels = [label for label, _ in bucket_warm_ups("adam", steps_per_chunk=10, bins=30, grid_size=40)]
    assert len(labels) == len(buckets.WIDTHS) * len(buckets.BATCHES) == len(set(labels))
    assert labels[0] == "adam width 8 batch 16"

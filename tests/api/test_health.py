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


def test_warm_up_stops_short_of_the_limit_on_memory_maps_and_says_why(client, monkeypatch):
    """Each compiled network program holds ~1600 memory maps; XLA aborts the process when the kernel
    refuses one (vm.max_map_count), so the warm-up stops first and the health answer says why."""
    done = []
    tasks = [(label, lambda label=label: done.append(label)) for label in (*warmup.DEFAULT_VIEWS, "a", "b")]
    monkeypatch.setattr(warmup, "_tasks", lambda: tasks)
    monkeypatch.setattr(warmup, "near_map_limit", lambda share: True)
    monkeypatch.setattr(warmup, "map_use", lambda: (40000, 65530))
    warmup.start_warm_up().join()
    assert done == list(warmup.DEFAULT_VIEWS)  # the default views are always warmed
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["warm"] is False and body["warming"] == []
    assert "2 programs left" in body["stopped"] and "40000" in body["stopped"] and "vm.max_map_count" in body["stopped"]
    monkeypatch.setattr(warmup, "_tasks", lambda: [])
    warmup.start_warm_up().join()
    assert warmup.status() == {"warm": True, "warming": []}


def test_a_new_network_near_the_limit_on_memory_maps_releases_the_compiled_programs(monkeypatch):
    from engine import cache
    from engine.network import training as T

    released = []
    monkeypatch.setattr(cache, "near_map_limit", lambda share: share == T.RELEASE_MAP_SHARE)
    monkeypatch.setattr(cache, "release_compiled_programs", lambda: released.append(True))
    T.train_chunk(T.NetworkConfig(hidden=(4,)))
    assert released == [True]

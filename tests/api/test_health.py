"""GET /api/v1/health: up, and whether the start-up compilations are done."""

import pytest

from app.services import warmup
from app.settings import settings
from engine import cache


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

    labels = [label for label, _ in bucket_warm_ups(steps_per_chunk=10, bins=30, grid_size=40)]
    assert len(labels) == len(buckets.WIDTHS) * len(buckets.BATCHES) == len(set(labels))
    assert labels[0] == "width 8 batch 16"


@pytest.mark.parametrize(
    ("room", "advice"),
    [
        (cache.Room(0.6, "maps", "40000 memory maps of vm.max_map_count = 65530"), "vm.max_map_count"),
        (cache.Room(0.6, "memory", "4.8 GB of its 8 GB memory budget"), "DESCENTLAB_MEMORY_BUDGET_GB"),
    ],
)
def test_warm_up_stops_at_half_its_room_and_says_why(client, monkeypatch, room, advice):
    """Each network bucket holds ~0.3 GB and ~1600 memory maps (XLA aborts the process when the kernel refuses
    one, vm.max_map_count; all buckets would fill 25 GB), so the warm-up stops at half of either bound and the
    health answer says why."""
    done = []
    tasks = [(label, lambda label=label: done.append(label)) for label in (*warmup.DEFAULT_VIEWS, "a", "b")]
    monkeypatch.setattr(warmup, "_tasks", lambda: tasks)
    monkeypatch.setattr(cache, "room", lambda: room)
    monkeypatch.setattr(warmup, "room", lambda: room)
    monkeypatch.setattr(warmup, "near_limit", cache.near_limit)
    warmup.start_warm_up().join()
    assert done == list(warmup.DEFAULT_VIEWS)  # the default views are always warmed
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["warm"] is False and body["warming"] == []
    assert "2 programs left" in body["stopped"] and room.detail in body["stopped"] and advice in body["stopped"]
    monkeypatch.setattr(warmup, "_tasks", lambda: [])
    warmup.start_warm_up().join()
    assert warmup.status() == {"warm": True, "warming": []}


def test_the_room_counts_memory_maps_and_the_memory_budget(monkeypatch):
    monkeypatch.setattr(cache, "map_use", lambda: (1000, 65530))
    monkeypatch.setattr(cache, "resident_bytes", lambda: 6_000_000_000)
    cache.set_memory_budget(0)
    assert cache.room().limit == "maps" and not cache.near_limit(0.5)
    cache.set_memory_budget(10_000_000_000)
    try:
        room = cache.room()
        assert room.limit == "memory" and room.share == 0.6 and room.detail == "6.0 GB of its 10 GB memory budget"
        assert cache.near_limit(0.5) and not cache.near_limit(0.8)
    finally:
        cache.set_memory_budget(0)


def test_the_warm_up_takes_the_likeliest_buckets_first_one_program_for_every_optimizer(monkeypatch):
    monkeypatch.setattr(settings, "WARM_BUCKETS", True)
    labels = [label for label, _ in warmup._tasks()]
    assert labels[:2] == list(warmup.DEFAULT_VIEWS) and labels[2] == "sgd on quadratic"
    buckets = [label for label in labels if label.startswith("width ")]
    assert buckets[:4] == [  # the default batch of 32 at the narrow widths first
        "width 8 batch 64",
        "width 16 batch 64",
        "width 32 batch 64",
        "width 8 batch 16",
    ]
    assert buckets[-1] == "width 256 batch 2048" and len(set(buckets)) == len(buckets) == 6 * 5


def test_a_new_network_near_its_room_releases_the_compiled_programs(monkeypatch):
    from engine.network import training as T

    released = []
    monkeypatch.setattr(cache, "near_limit", lambda share: share == T.RELEASE_SHARE)
    monkeypatch.setattr(cache, "release_compiled_programs", lambda: released.append(True))
    T.train_chunk(T.NetworkConfig(hidden=(4,)))
    assert released == [True]


def test_the_memory_budget_is_half_the_host_shared_by_the_workers_unless_set(monkeypatch):
    from app.main import memory_budget

    monkeypatch.setattr("app.main.host_memory_bytes", lambda: 32_000_000_000)
    monkeypatch.setattr(settings, "MEMORY_BUDGET_GB", None)
    monkeypatch.setattr(settings, "WORKERS", 2)
    assert memory_budget() == 8_000_000_000
    monkeypatch.setattr(settings, "MEMORY_BUDGET_GB", 12.5)
    assert memory_budget() == 12_500_000_000
    monkeypatch.setattr(settings, "MEMORY_BUDGET_GB", 0.0)
    assert memory_budget() == 0  # no budget: only the bound on memory maps


def test_the_host_memory_is_the_containers_limit_where_that_is_lower(tmp_path, monkeypatch):
    meminfo, limit = tmp_path / "meminfo", tmp_path / "memory.max"
    meminfo.write_text("MemTotal:       32000000 kB\nMemFree:        1000 kB\n")
    monkeypatch.setattr(cache, "MEMINFO", str(meminfo))
    monkeypatch.setattr(cache, "CGROUP_MEMORY_MAX", str(limit))
    assert cache.host_memory_bytes() == 32_000_000 * 1024  # no cgroup file
    limit.write_text("max\n")
    assert cache.host_memory_bytes() == 32_000_000 * 1024
    limit.write_text("8000000000\n")
    assert cache.host_memory_bytes() == 8_000_000_000

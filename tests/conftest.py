"""Settings for the whole suite."""

import gc
import os

import jax
import pytest

from app.settings import settings

# The start-up warm-up of every network shape bucket takes minutes of CPU without a persistent cache:
# in the suite it would only compete with the tests (which compile what they use). The default views
# are still warmed, and tests/api/test_health.py runs the bucket warm-up on its own.
settings.WARM_BUCKETS = False


MAP_LIMIT_SHARE = 0.5  # of vm.max_map_count


def _memory_maps() -> int:
    with open("/proc/self/maps", "rb") as maps:
        return sum(1 for _ in maps)


def _max_map_count() -> int:
    with open("/proc/sys/vm/max_map_count") as f:
        return int(f.read())


@pytest.fixture(autouse=True, scope="module")
def _free_compiled_programs():
    """Drop every compiled XLA program after a test module once the process holds many memory maps.

    Each compiled XLA:CPU executable holds memory maps of its own; a process that keeps the programs of
    hundreds of tests reaches Linux's ``vm.max_map_count`` (65530 by default) and XLA aborts in its
    next compilation ("Fatal Python error: Aborted" or a segmentation fault late in the suite). Below
    half the limit the programs are kept: later modules reuse them instead of compiling again. (The
    server does not accumulate programs like this: it compiles a bounded set of bucketed programs.)
    """
    yield
    if os.path.exists("/proc/self/maps") and _memory_maps() > MAP_LIMIT_SHARE * _max_map_count():
        jax.clear_caches()
        gc.collect()

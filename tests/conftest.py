"""Settings for the whole suite."""

import pytest

from app.settings import settings
from engine.cache import near_limit, release_compiled_programs

# The start-up warm-up of every network shape bucket takes minutes of CPU without a persistent cache:
# in the suite it would only compete with the tests (which compile what they use). The default views
# are still warmed, and tests/api/test_health.py runs the bucket warm-up on its own.
settings.WARM_BUCKETS = False
# The suite is not a server: it keeps only the bound on memory maps (below), not a server's memory budget.
settings.MEMORY_BUDGET_GB = 0


@pytest.fixture(autouse=True, scope="module")
def _free_compiled_programs():
    """Drop every compiled XLA program after a test module once the process holds half of Linux's limit
    on memory maps (:mod:`engine.cache`): a process that keeps the programs of hundreds of tests reaches it
    and XLA aborts in its next compilation. Below half the limit later modules reuse the programs."""
    yield
    if near_limit(0.5):
        release_compiled_programs()

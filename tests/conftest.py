"""Settings for the whole suite."""

from app.settings import settings

# The start-up warm-up of every network shape bucket takes minutes of CPU without a persistent cache:
# in the suite it would only compete with the tests (which compile what they use). The default views
# are still warmed, and tests/api/test_health.py runs the bucket warm-up on its own.
settings.WARM_BUCKETS = False

"""Server settings, from environment variables prefixed ``DESCENTLAB_`` (e.g. ``DESCENTLAB_PORT``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESCENTLAB_")

    HOST: str = "127.0.0.1"
    PORT: int = 8000
    # Who may embed the pages in an iframe (CSP frame-ancestors), e.g. "'self' https://slides.example".
    # The default: any web page, and slides opened from a file (a reveal.js deck on a laptop; "*" alone
    # matches only network schemes).
    FRAME_ANCESTORS: str = "* file:"
    # Origins besides the app's own whose pages may open its WebSockets (comma-separated, e.g.
    # "https://slides.example,https://lms.example"); a handshake with another Origin is closed with 1008.
    WS_ALLOWED_ORIGINS: str = ""
    # Largest request body in bytes; a larger one is answered 413 before it is read.
    MAX_BODY_BYTES: int = 1024 * 1024
    # WebSockets one client address may hold open at once (0: no cap); the next is closed with 1013.
    MAX_WS_PER_CLIENT: int = 8
    # Persistent XLA compilation cache (per machine, never baked into an image); empty disables it.
    JAX_CACHE_DIR: str = ""
    # Where the static files' gzip and Brotli encodings are kept between runs (named by content hash; any
    # process may share it). Unwritable: they are compressed in memory at each start.
    ASSET_CACHE_DIR: str = "~/.cache/descentlab/assets"
    # Memory one server process may fill, above all with compiled programs (each network-lab shape bucket
    # holds about 0.3 GB; all 30 of them, ~9 GB): the start-up warm-up stops at half of it, and a new network
    # past 80 % releases every compiled program (they reload from the persistent cache). Unset: half the
    # host's memory, shared by the WORKERS processes; 0: no budget.
    MEMORY_BUDGET_GB: float | None = None
    # Worker processes of this server (set by `descentlab serve --workers N` for them).
    WORKERS: int = 1
    # Compile the default view in the background at start-up.
    WARM_UP: bool = True
    # ... and then every optimizer on every surface and the network lab's shape buckets, the likeliest
    # first, until half the memory budget (minutes without the persistent cache).
    WARM_BUCKETS: bool = True
    # Worker threads running interactive engine work (updates, set-ups, small requests), and the chunks of
    # playing networks in a lane of their own. XLA releases the GIL while it computes, and a call spends
    # much of its time waiting for its result: a class's sliders answered twice as fast with 4 than with 2
    # (bench/classroom.py, 2 cores).
    ENGINE_THREADS: int = 4
    STREAM_THREADS: int = 2
    # Heavy work (POST /train, long trajectories, big sweeps and init experiments) has its own threads,
    # so it never queues interactive work; per client, in all, and how long one may wait for a thread.
    HEAVY_THREADS: int = 1
    HEAVY_PER_CLIENT: int = 1
    HEAVY_QUEUE: int = 8
    HEAVY_WAIT: float = 30.0
    # Seconds an HTTP request may take before it is answered 504 (the heavy lane's wait and /train's budget
    # fit inside it).
    REQUEST_DEADLINE: float = 120.0
    # Wall-clock budget of one POST /api/v1/train, in seconds (the answer says when it was cut short).
    TRAIN_TIME_BUDGET: float = 60.0
    # Where the worker processes of one server share their follow-the-teacher rooms (set by
    # `descentlab serve --workers N` to a new temporary directory; empty: rooms of this process only).
    FOLLOW_DIR: str = ""
    # Binary frames a WebSocket session may send ahead of the client's acknowledgements.
    WS_MAX_AHEAD: int = 3


settings = Settings()

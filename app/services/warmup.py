"""Compile in the background at start-up, so that nobody waits for a compilation.

First the default views: the surface lab's (Rosenbrock; SGD, momentum, Adam; 500 steps) and the
network lab's (seed 002's circles with a 5 × 5 tanh network, momentum, batch 32, chunks of 10
steps). Then every optimizer on every surface — the custom expression surface last, whose compiled loops
serve every formula, and its start check — and every shape bucket of the network lab
(:func:`engine.network.training.bucket_warm_ups`; one program serves every optimizer), smallest
widths first: after that a network of any architecture and optimizer starts without compiling.
:func:`status` says what is still being compiled (``GET /api/v1/health``); the warm-up stops between
two programs when the server shuts down.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial

import numpy as np

from app.api.schemas.network import NetworkSessionSpec
from app.services.network_session import NetworkSession
from app.settings import settings
from engine.cache import near_limit, room
from engine.network import buckets
from engine.network.training import bucket_warm_ups
from engine.optimizers import OPTIMIZERS
from engine.surface import stack_machine
from engine.surface.runner import RunConfig, simulate
from engine.surface.surfaces import CUSTOM, SURFACES, get_surface

DEFAULT_SURFACE_VIEW = ("rosenbrock", ("sgd", "momentum", "adam"), 500)
DEFAULT_NETWORK_VIEW = {
    "dataset": {"name": "circles", "n": 1000, "noise": 0.1, "validation_split": 0.5, "seed": 1},
    "networks": [
        {
            "model": {
                "hidden": [5, 5, 5, 5, 5],
                "activation": "tanh",
                "init": {"name": "uniform", "low": 0, "high": 1},
            },
            "optimizer": {"name": "momentum", "hyperparameters": {"learning_rate": 0.01, "momentum": 0.9}},
            "batch_size": 32,
        }
    ],
    "steps_per_chunk": 10,
}


def warm_up_surface() -> None:
    surface, optimizers, steps = DEFAULT_SURFACE_VIEW
    simulate(surface, {}, (-1.5, 2.0), [RunConfig(o, OPTIMIZERS[o].defaults) for o in optimizers], steps)


def warm_up_network() -> None:
    """Build the default network view and train one chunk, exactly as a live session does."""
    session = NetworkSession()
    session.build(NetworkSessionSpec.model_validate(DEFAULT_NETWORK_VIEW))
    session.tick()


# Batch buckets by how soon a class needs them: the page's default batch of 32, small batches, full
# batches of the default 1000 training points and of smaller sets, and the largest.
BATCH_PRIORITY = (64, 16, 1024, 256, 2048)
NARROW = 32
log = logging.getLogger("descentlab.warmup")
WARM_SHARE = 0.5  # of the memory budget or vm.max_map_count (engine.cache)
_pending: list[str] = []
_stopped: list[str] = []
_lock = threading.Lock()
_stop = threading.Event()


def status() -> dict:
    """``{"warm": bool, "warming": [labels still to compile]}``, and ``"stopped"`` (why) when the warm-up
    stopped short of the limit on memory maps."""
    with _lock:
        if _stopped:
            return {"warm": False, "warming": [], "stopped": _stopped[-1]}
        return {"warm": not _pending, "warming": list(_pending)}


def bucket_order() -> list[tuple[int, int]]:
    """The network lab's ``(width, batch)`` buckets in the order the warm-up takes them, until half the
    memory budget: every batch of the narrow
    widths a class starts with (≤ :data:`NARROW`), by :data:`BATCH_PRIORITY`, then the wider ones."""
    narrow = [w for w in buckets.WIDTHS if w <= NARROW]
    order = [(w, b) for b in BATCH_PRIORITY for w in narrow]
    return order + [(w, b) for w in buckets.WIDTHS if w > NARROW for b in BATCH_PRIORITY]


def surface_pairs() -> list[tuple[str, object]]:
    """Every optimizer on every surface, one run of the default length: the first run of a pair is then
    as fast as a slider move (no compile)."""
    steps = DEFAULT_SURFACE_VIEW[2]
    tasks = []
    for surface, spec in [*SURFACES.items(), (CUSTOM, get_surface(CUSTOM))]:
        for optimizer, opt in OPTIMIZERS.items():
            run = [RunConfig(optimizer, opt.defaults)]
            tasks.append((f"{optimizer} on {surface}", partial(simulate, surface, {}, spec.default_start, run, steps)))
    custom = get_surface(CUSTOM)
    start = np.asarray(custom.default_start, np.float32)
    check = partial(stack_machine.value_and_gradient_at, start, custom.param_vector())
    tasks.append(("custom expression start check", check))
    return tasks


DEFAULT_VIEWS = ("surface lab default view", "network lab default view")


def _tasks() -> list[tuple[str, object]]:
    tasks = list(zip(DEFAULT_VIEWS, (warm_up_surface, warm_up_network), strict=True))
    if settings.WARM_BUCKETS:
        tasks += surface_pairs()
        chunk = DEFAULT_NETWORK_VIEW["steps_per_chunk"]
        tasks += bucket_warm_ups(chunk, bins=30, grid_size=40, order=bucket_order())
    return tasks


ADVICE = {
    "memory": "raise DESCENTLAB_MEMORY_BUDGET_GB where the host has the memory (about 0.3 GB per network bucket)",
    "maps": "raise it (sysctl -w vm.max_map_count=262144) to warm more buckets",
}


def _out_of_room(label: str) -> bool:
    """Stop warming before the process uses :data:`WARM_SHARE` of its memory budget or of the kernel's memory
    maps (each network-lab bucket holds ~0.3 GB and ~1600 maps; XLA aborts the process when it is refused
    a map): a class's own networks need the rest."""
    if label in DEFAULT_VIEWS or not near_limit(WARM_SHARE):
        return False
    used = room()
    with _lock:
        left = len(_pending)
        _pending.clear()
        _stopped.append(f"stopped with {left} programs left: the process holds {used.detail}; {ADVICE[used.limit]}")
    log.warning("warm-up %s", _stopped[-1])
    return True


def warm_up(tasks: list[tuple[str, object]]) -> None:
    started = time.monotonic()
    for label, run in tasks:
        if _stop.is_set() or _out_of_room(label):
            break
        try:
            run()
        except Exception:  # a failed warm-up only means a later wait
            log.exception("warm-up of %s failed", label)
        with _lock:
            if label in _pending:
                _pending.remove(label)
    log.info("warm-up finished in %.1f s", time.monotonic() - started)


def start_warm_up() -> threading.Thread:
    tasks = _tasks()
    _stop.clear()
    with _lock:
        _stopped.clear()
        _pending[:] = [label for label, _ in tasks]
    thread = threading.Thread(target=warm_up, args=(tasks,), name="descentlab-warmup", daemon=True)
    thread.start()
    return thread


def stop_warm_up() -> None:
    """Stop after the program being compiled (a thread killed inside an XLA compile aborts the process)."""
    _stop.set()

"""Compile the default view's functions in the background at start-up, so the first page is instant."""

from __future__ import annotations

import threading

from engine.optimizers import OPTIMIZERS
from engine.runner import RunConfig, simulate

DEFAULT_VIEW = ("rosenbrock", ("sgd", "momentum", "adam"), 500)


def warm_up() -> None:
    surface, optimizers, steps = DEFAULT_VIEW
    simulate(surface, {}, (-1.5, 2.0), [RunConfig(o, OPTIMIZERS[o].defaults) for o in optimizers], steps)


def start_warm_up() -> threading.Thread:
    thread = threading.Thread(target=warm_up, name="descentlab-warmup", daemon=True)
    thread.start()
    return thread

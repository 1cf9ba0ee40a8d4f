"""Compile the default views' functions in the background at start-up, so the first page is instant.

The surface lab's default (Rosenbrock; SGD, momentum, Adam; 500 steps) and the network lab's default
(seed 002's circles with a 5 × 5 tanh network, momentum, batch 32, chunks of 10 steps): a new network
architecture otherwise costs a teacher several seconds of compiling on the first "play".
"""

from __future__ import annotations

import threading

from app.api.schemas.network import NetworkSessionSpec
from app.services.network_session import NetworkSession
from engine.optimizers import OPTIMIZERS
from engine.surface.runner import RunConfig, simulate

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


def warm_up() -> None:
    warm_up_surface()
    warm_up_network()


def start_warm_up() -> threading.Thread:
    thread = threading.Thread(target=warm_up, name="descentlab-warmup", daemon=True)
    thread.start()
    return thread

"""State of one live network-lab session: one or two networks trained chunk by chunk in lockstep.

A ``start`` builds the networks (compiling a new architecture once) and sends a ``setup`` frame and
every network's step-0 ``chunk``; while playing (or for ``step``), each tick trains one chunk of
every network and sends one ``chunk`` frame per network. Value updates (learning rate, momentum,
dropout, …) rebuild that network's traced values only: the next chunk uses them, nothing recompiles.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from app.api.deps import run_engine, run_streaming
from app.api.live import StopSession, error_message
from app.api.schemas.messages import AckMessage, PauseMessage, ResumeMessage, StopMessage
from app.api.schemas.network import NetworkSessionSpec
from app.api.schemas.network_messages import (
    NetworkClientMessage,
    NetworkMcDropoutMessage,
    NetworkSpeedMessage,
    NetworkStartMessage,
    NetworkStepMessage,
    NetworkUpdateMessage,
)
from app.services.frames import encode_frame
from app.services.network_runs import dataset, network_config, train_values
from engine.network import work
from engine.network.mc_dropout import predictive_grid
from engine.network.training import (
    DIVERGENCE_REASONS,
    ChunkStats,
    NetworkConfig,
    Progress,
    TrainData,
    TrainState,
    TrainValues,
    evaluate,
    histogram_edges,
    init_training,
    make_data,
    train_chunk,
)

VALUE_FIELDS = ("dropout", "l1", "l2", "max_norm", "bn_momentum")
SCALARS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "grad_norm")
HIDDEN = ("act_mean", "act_std", "dead_fraction")
DENSE = ("grad_abs_mean", "update_ratio", "weight_std", "weight_absmax")
HISTOGRAMS = ("act_hist", "preact_hist", "grad_hist", "weight_hist")
# Multiply-adds of one call in the streaming lane (engine.network.work). The engine does 8–36 G of them a
# second on this 2-core machine (bench/training_work.py), so a slice lasts ~0.03–0.13 s: a chunk of a large
# network (200 steps of 20 x 256 on batches of 1000: ~21 s) runs a step or a few at a time, and a class's
# other networks get their turns in between. (A wide network's statistics, 0.2–0.4 s, are one call.)
SLICE_WORK = 1e9


@dataclass
class Network:
    """One network's compiled functions, traced values and training state."""

    config: NetworkConfig
    values: TrainValues
    state: TrainState
    run: Any
    last: ChunkStats | None = None


def chunk_arrays(stats: ChunkStats) -> list[tuple[str, np.ndarray]]:
    """The arrays of a ``chunk`` frame, in layout order (see docs/protocol.md)."""
    layers = stats.layers
    arrays = [(name, getattr(stats, name)) for name in SCALARS]
    arrays += [(name, getattr(layers, name)) for name in HIDDEN + DENSE + HISTOGRAMS]
    arrays += [("boundary", stats.boundary), ("batch_loss", stats.batch_loss), ("learning_rate", stats.learning_rate)]
    return [(name, np.nan_to_num(np.asarray(a, np.float32), posinf=3e38, neginf=-3e38)) for name, a in arrays]


def layout_frame(header: dict, arrays: list[tuple[str, np.ndarray]]) -> tuple[dict, np.ndarray]:
    layout = [[name, list(a.shape)] for name, a in arrays]
    payload = np.concatenate([a.ravel() for _, a in arrays]) if arrays else np.zeros(0, np.float32)
    return {**header, "layout": layout}, payload


@dataclass
class NetworkSession:
    max_ahead: int = 3
    spec: dict | None = None
    model: NetworkSessionSpec | None = None
    pending_start: NetworkSessionSpec | None = None
    networks: list[Network] = field(default_factory=list)
    data: TrainData | None = None
    playing: bool = False
    steps_requested: int = 0
    chunks_per_second: float = 30.0
    outbox: list[bytes | dict] = field(default_factory=list)
    mc_request: NetworkMcDropoutMessage | None = None
    seq: int = 0
    acked: int = 0
    progress: list[Progress] | None = None  # of the chunk being computed, per network
    _last_tick: float = 0.0

    # --- client messages ------------------------------------------------------------------

    def parse(self, text: str):
        return NetworkClientMessage.validate_json(text)

    def apply(self, msg) -> dict | None:
        match msg:
            case NetworkStartMessage():
                self.pending_start = NetworkSessionSpec.model_validate(msg.spec)
                self.spec = self.pending_start.model_dump(mode="json")
                self.playing, self.steps_requested = msg.play, 0
            case NetworkUpdateMessage():
                self.update(msg)
            case PauseMessage():
                self.playing = False
                return self.state_message()
            case ResumeMessage():
                self.playing = True
                return self.state_message()
            case NetworkStepMessage():
                self.playing, self.steps_requested = False, self.steps_requested + msg.count
            case NetworkSpeedMessage():
                self.chunks_per_second = msg.chunks_per_second
                return self.state_message()
            case NetworkMcDropoutMessage():
                if self.spec is None or msg.net >= len(self.spec["networks"]):
                    raise ValueError(f"network {msg.net} does not exist: start a session with it first")
                self.mc_request = msg  # a newer request replaces one not yet computed
            case AckMessage():
                self.acked = max(self.acked, min(msg.seq, self.seq))
            case StopMessage():
                raise StopSession
        return None

    def update(self, msg: NetworkUpdateMessage) -> None:
        """Validate the changed values as part of the whole spec, then swap in new traced values."""
        if self.spec is None or (not self.networks and self.pending_start is None):
            raise ValueError("send a start message before updates")
        if msg.net >= len(self.spec["networks"]):
            raise ValueError(f"network {msg.net} does not exist (the session has {len(self.spec['networks'])})")
        spec = copy.deepcopy(self.spec)
        net = spec["networks"][msg.net]
        patch = msg.model_dump(exclude_unset=True, exclude={"type", "net"})
        net["optimizer"]["hyperparameters"].update(patch.pop("hyperparameters", None) or {})
        for key in ("schedule", "clip"):
            if key in patch:
                net["optimizer"][key] = patch.pop(key)
        net["model"].update(patch)
        model = NetworkSessionSpec.model_validate(spec)
        self.spec = model.model_dump(mode="json")
        if self.pending_start is not None:
            self.pending_start = model
            return
        self.model = model
        network = self.networks[msg.net]
        run = model.networks[msg.net]
        network.values = train_values(network.config, run.model, run.optimizer.model_dump(), model.seed)

    def state_message(self, **extra: Any) -> dict:
        step = int(self.networks[0].last.step) if self.networks and self.networks[0].last is not None else 0
        return {
            "type": "state",
            "playing": self.playing,
            "step": step,
            "chunks_per_second": self.chunks_per_second,
            **extra,
        }

    # --- computing --------------------------------------------------------------------------

    async def produce(self) -> tuple[list[bytes | dict], float | None]:
        if self.outbox and (isinstance(self.outbox[0], dict) or self.credits > 0):
            item = self.outbox.pop(0)
            if isinstance(item, bytes):
                self.seq += 1
            return [item], 0
        if self.outbox:
            return [], None  # wait for acks
        if self.pending_start is not None:
            spec, self.pending_start = self.pending_start, None
            try:
                await run_engine(self.build, spec)
                self.model = spec
            except (ValueError, KeyError) as exc:  # a combination only the engine can judge
                self.spec = self.model.model_dump(mode="json") if self.model else None
                self.playing, self.steps_requested = False, 0
                return [error_message(exc)], 0
            return [], 0
        if self.mc_request is not None and self.networks and self.progress is None:
            request, self.mc_request = self.mc_request, None
            if request.net < len(self.networks):
                await run_engine(self.mc_dropout, request.net, request.samples)
            return [], 0
        if self.progress is None:  # a new chunk
            if not self.networks or not (self.playing or self.steps_requested):
                return [], None
            wait = 1.0 / self.chunks_per_second - (time.monotonic() - self._last_tick)
            if self.playing and wait > 0:
                return [], wait
            self._last_tick = time.monotonic()
        if not await run_streaming(self.advance):
            return [], 0  # the next slice after whatever is waiting (and the other sessions' turns)
        if self.steps_requested:
            self.steps_requested -= 1
        if all(n.last is not None and bool(n.last.diverged) for n in self.networks) and self.playing:
            self.playing = False
            self.outbox.append(self.state_message(diverged=True))
        return [], 0

    @property
    def credits(self) -> int:
        return self.max_ahead - (self.seq - self.acked)

    def build(self, spec: NetworkSessionSpec) -> None:
        """Data, networks and their step-0 statistics (blocking: runs in a worker thread)."""
        data = dataset(spec.dataset.model_dump())
        runs = [(run, run.optimizer.model_dump()) for run in spec.networks]
        configs = [
            network_config(
                run.model, opt["name"], run.batch_size, data.num_classes, steps_per_chunk=spec.steps_per_chunk
            )
            for run, opt in runs
        ]
        train_data = make_data(configs[0], data.X_train, data.y_train, data.X_val, data.y_val)
        networks = []
        for config, (run, optimizer) in zip(configs, runs, strict=True):
            values = train_values(config, run.model, optimizer, spec.seed)
            state = init_training(config, values, train_data, jax.random.key(spec.seed))
            state, stats = evaluate(config)(state, values, train_data)
            networks.append(Network(config, values, state, train_chunk(config), stats))
        # only now, with everything built, replace the running networks (a failed start changes nothing)
        self.data, self.networks, self.progress = train_data, networks, None
        self.outbox = []
        self.outbox.append(self._setup_frame(data))
        for i in range(len(networks)):
            self.outbox.append(self._chunk_frame(i))

    def tick(self) -> None:
        """One chunk of every network, in lockstep (blocking: runs in a worker thread)."""
        while not self.advance():
            pass

    def advance(self) -> bool:
        """The next slice of the current chunk (blocking: runs in a worker thread): the networks' steps in
        turn, then their statistics and frames, up to :data:`SLICE_WORK` multiply-adds (at least one step or
        the statistics). True once the chunk's frames are queued."""
        if self.progress is None:
            self.progress = [Progress.start() for _ in self.networks]
        budget = SLICE_WORK

        def fits(cost: float) -> bool:
            return cost <= budget or budget == SLICE_WORK

        for i, network in enumerate(self.networks):
            left = network.run.steps - self.progress[i].steps
            if not left:
                continue
            per_step = work.step_work(network.config)
            if not fits(per_step):
                return False
            count = min(left, max(1, int(budget // per_step)))
            network.state, self.progress[i] = network.run.advance(
                network.state, network.values, self.data, self.progress[i], count
            )
            budget -= count * per_step
            if count < left:
                return False
        samples = 2 * len(self.data.X_train)  # the training and validation rows the statistics evaluate
        if not fits(sum(work.statistics_work(n.config, samples) for n in self.networks)):
            return False
        for network, progress in zip(self.networks, self.progress, strict=True):
            network.last = network.run.finish(network.state, network.values, self.data, progress)
        self.progress = None
        for i in range(len(self.networks)):
            self.outbox.append(self._chunk_frame(i))
        return True

    def mc_dropout(self, i: int, samples: int) -> None:
        """Predictive mean and spread of network ``i`` now, over the boundary grid (blocking: a worker thread).

        ``samples`` forward passes with dropout kept on (Gal & Ghahramani 2016; engine.network.mc_dropout); with
        dropout 0 every pass is the same and the spread is exactly 0.
        """
        network = self.networks[i]
        out = predictive_grid(
            network.config, network.state.params, network.state.bn_state, network.values, self.data, samples
        )
        header = {
            "type": "mc_dropout",
            "net": i,
            "step": int(network.last.step) if network.last is not None else 0,
            "samples": samples,
            "dropout": float(network.values.dropout),
        }
        maps = (("mean", out.mean), ("std", out.std))
        arrays = [(name, np.nan_to_num(np.asarray(a, np.float32))) for name, a in maps]
        self.outbox.append(encode_frame(*self._numbered(*layout_frame(header, arrays))))

    # --- frames -----------------------------------------------------------------------------

    def _setup_frame(self, data) -> bytes:
        arrays = [
            ("X_train", np.asarray(data.X_train, np.float32)),
            ("y_train", np.asarray(data.y_train, np.float32)),
            ("X_val", np.asarray(data.X_val, np.float32)),
            ("y_val", np.asarray(data.y_val, np.float32)),
        ]
        header = {
            "type": "setup",
            "classes": data.num_classes,
            "n_train": len(data.y_train),
            "n_val": len(data.y_val),
            "grid": {"x": np.asarray(self.data.grid_x).tolist(), "y": np.asarray(self.data.grid_y).tolist()},
            "networks": [
                {
                    "hidden": list(n.config.hidden),
                    "dense_layers": len(n.config.hidden) + 1,
                    "activation": n.config.activation,
                    "edges": {k: v.tolist() for k, v in histogram_edges(n.config).items()},
                }
                for n in self.networks
            ],
        }
        return encode_frame(*self._numbered(*layout_frame(header, arrays)))

    def _chunk_frame(self, i: int) -> bytes:
        stats = self.networks[i].last
        diverged = bool(stats.diverged)
        header = {
            "type": "chunk",
            "net": i,
            "step": int(stats.step),
            "epoch": float(stats.epoch),
            "status": "diverged" if diverged else "ok",
            "diverged_at": int(stats.diverged_at) if diverged else None,
            "reason": DIVERGENCE_REASONS[int(stats.reason)] if diverged else "",
        }
        return encode_frame(*self._numbered(*layout_frame(header, chunk_arrays(stats))))

    def _numbered(self, header: dict, payload: np.ndarray) -> tuple[dict, np.ndarray]:
        """Frames are numbered when queued; ``seq`` counts them in sending order."""
        queued = sum(isinstance(o, bytes) for o in self.outbox)
        return {"seq": self.seq + queued + 1, **header}, payload

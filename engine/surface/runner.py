r"""Run many optimizers on one 2D surface: inputs stacked per optimizer kind, the compiled loop of
:mod:`engine.surface.batched_loop` run in chunks, and the outputs cut into results.

``simulate`` runs a few configurations from one start (the page, the API); ``sweep`` runs one optimizer
from many starts and/or hyperparameter values (a benchmark, heatmaps). A run diverges at its first point
that cannot be reported: a non-finite point, loss or gradient, or :math:`|\theta_i| > 10^6`. It is
reported ``diverged`` at that step; ``simulate`` ends its points just before it and ``sweep`` holds the
last reportable values from there on.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import numpy as np

from engine import modifiers, schedules
from engine.optimizers import OPTIMIZERS
from engine.surface.batched_loop import (
    BOUND,
    Chunk,
    RunInputs,
    StepOutput,
    chunk_length,
    compiled,
    is_plain,
    record_shapes,
)
from engine.surface.record_pool import RECORDS
from engine.surface.surfaces import get_surface

DIVERGENCE_REASONS = (
    "",
    "the loss, the point or the gradient became NaN or infinite",
    "the point left the region |x|, |y| ≤ 1e6",
)


@dataclass(frozen=True)
class RunConfig:
    """One optimizer run: complete hyperparameters plus optional schedule and clipping."""

    optimizer: str
    hyperparameters: dict[str, float]
    schedule: dict | None = None
    clip: dict | None = None


@dataclass
class RunResult:
    """A finished run. Arrays have one entry per reported point (``points[0]`` is the start)."""

    config: RunConfig
    points: np.ndarray  # (n, 2)
    loss: np.ndarray  # (n,)
    grad_norm: np.ndarray  # (n,)  ‖∇f‖ at each point
    learning_rate: np.ndarray  # (n - 1,)  ε_t used for update t
    diverged_at: int | None = None
    reason: str = ""
    step_size: np.ndarray | None = None  # (n - 1, 2)  per-coordinate step sizes of update t (adaptive rules)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "ok" if self.diverged_at is None else "diverged"


def _padded_size(n: int) -> int:
    return 1 << (n - 1).bit_length()


def _run_inputs(config: RunConfig, noise: dict | None) -> RunInputs:
    """One run's inputs as NumPy values."""
    names = [h.name for h in OPTIMIZERS[config.optimizer].hyperparameters]
    return RunInputs(
        hyper={name: np.float32(config.hyperparameters[name]) for name in names},
        schedule=schedules.encode_schedule(config.schedule),
        clip=modifiers.encode_clip(config.clip),
        noise=modifiers.encode_noise(noise),
    )


def _stack_inputs(configs: list[RunConfig], noise: dict | None) -> RunInputs:
    """The runs' inputs stacked over a batch padded to a power of two, as NumPy arrays."""
    rows = [_run_inputs(c, noise) for c in configs]
    rows += [rows[0]] * (_padded_size(len(rows)) - len(rows))
    return jax.tree.map(lambda *xs: np.stack(xs), *rows)


def _config_key(config: RunConfig) -> str:
    return json.dumps([config.optimizer, config.hyperparameters, config.schedule, config.clip], sort_keys=True)


@functools.lru_cache(maxsize=512)
def _device_inputs(keys: tuple[str, ...], noise_key: str) -> tuple[RunInputs, bool]:
    """Stacked inputs already on the device, and whether the batch is plain (:func:`is_plain`), cached:
    moving one run's slider re-encodes only its group."""
    inputs = _stack_inputs([RunConfig(*json.loads(k)) for k in keys], json.loads(noise_key))
    return jax.device_put(inputs), bool(is_plain(inputs))


@functools.lru_cache(maxsize=64)
def _shared_inputs(key: str, noise_key: str) -> tuple[RunInputs, bool]:
    """One run's inputs, unstacked and on the device, and whether they are plain: what a sweep passes once
    for its whole batch."""
    inputs = _run_inputs(RunConfig(*json.loads(key)), json.loads(noise_key))
    return jax.device_put(inputs), bool(is_plain(inputs))


_OTHER_LOOPS_WARMED: set[tuple] = set()
_WARM_UPS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="descentlab-warm-up")
_PENDING_WARM_UPS: set[Future] = set()


def _run_chunks(optimizer, surface, sp, starts, inputs, plain, evaluations, lean=False, per_run=None) -> list[Chunk]:
    """All chunks of one optimizer kind, dispatched asynchronously.

    A large record (:meth:`RecordPool.worth`) is written into buffers from :data:`RECORDS` by the one
    loop the batch needs, the other loop being warmed in the background. A small one comes from the
    function holding both loops: a ``cond`` picks one on the device, and (its estimated cost being above
    XLA:CPU's threshold for running a call inline) the call returns before it has run, so the groups of
    a ``simulate`` overlap with the Python that dispatches them.
    """
    length = chunk_length(evaluations)
    key = (optimizer, surface, length, lean, per_run)
    shapes = record_shapes(length, len(starts), lean, optimizer)
    recycled = RECORDS.worth(shapes)

    def into() -> StepOutput | None:
        return StepOutput(*RECORDS.take(shapes)) if recycled else None

    first, more = compiled(*key, plain=plain if recycled else None)
    chunks: list[Chunk] = []
    for k in range(-(-evaluations // length)):
        args = (chunks[-1].carry, np.int32(k * length), inputs, sp) if k else (starts, inputs, sp)
        chunks.append((more if k else first)(*args, into()))
        if recycled:
            _warm_other_loop(key, len(starts), plain, int(k > 0), args, into)
    return chunks


def _warm_other_loop(key: tuple, runs: int, plain: bool, which: int, args: tuple, into) -> None:
    """Once per compile key and batch size, run the other loop of ``first`` (``which`` 0) or ``more`` (1)
    on these arguments in a background thread and throw the result away: plain ↔ with schedules, noise
    and clipping. The loop asked for compiles alone (a plain one in ~0.3 s instead of ~0.9 s for both),
    and the other is ready by the time those are switched on or off."""
    warmed = (*key, runs, which)
    if warmed in _OTHER_LOOPS_WARMED:
        return
    _OTHER_LOOPS_WARMED.add(warmed)
    other = compiled(*key, plain=not plain)[which]
    future = _WARM_UPS.submit(lambda: jax.block_until_ready(other(*args, into())) and None)
    _PENDING_WARM_UPS.add(future)
    future.add_done_callback(_warm_up_done)


def _warm_up_done(future: Future) -> None:
    _PENDING_WARM_UPS.discard(future)
    if future.exception() is not None:
        logging.getLogger(__name__).error("compiling a loop in the background failed", exc_info=future.exception())


def wait_for_warm_ups() -> None:
    """Block until every loop compiling in the background is ready (tests and benchmarks that count
    compilations call this first)."""
    for future in list(_PENDING_WARM_UPS):
        future.result()


Gathered = tuple[StepOutput, np.ndarray, np.ndarray]


class RecentGroups:
    """The gathered outputs of the last few :func:`simulate` groups (one optimizer kind's batch), by
    everything that determines them: surface, its parameters, start, steps, noise and the group's
    configurations in batch order.

    Moving one run's slider changes one group; the others are taken from here instead of being computed
    again (the compiled loop is deterministic, so they are the same numbers). Only small records are kept
    (large ones are lent from :data:`RECORDS` and must go back to it), read-only, at most ``size``.
    """

    def __init__(self, size: int = 32):
        self._entries: OrderedDict[tuple, Gathered] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.hits = 0  # groups taken from here, and groups looked for but computed (bench/follow.py counts)
        self.misses = 0

    def get(self, key: tuple) -> Gathered | None:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return self._entries.get(key)

    def put(self, key: tuple, gathered: Gathered) -> None:
        for array in jax.tree.leaves(gathered):
            array.flags.writeable = False
        with self._lock:
            self._entries[key] = gathered
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


RECENT_GROUPS = RecentGroups()


def _lent(chunks: list[Chunk]) -> bool:
    """Whether these chunks' record is large enough to be lent from :data:`RECORDS`."""
    return RECORDS.worth(x.shape for x in jax.tree.leaves(chunks[0].output))


def _gather(chunks: list[Chunk], evaluations: int) -> Gathered:
    """Chunks joined over time as NumPy (views of the record buffers; large ones lent by :data:`RECORDS`),
    plus per run the divergence step (−1: none) and reason index.

    The compiled loop records a NaN loss at every unreportable point (:mod:`engine.surface.batched_loop`); a
    run diverged at its first one. Only runs with a non-finite loss total are searched. A bad point at
    or after ``evaluations`` (in the padding of the last chunk) belongs to no reported step.
    """
    lend = RECORDS.lend if _lent(chunks) else np.asarray
    if len(chunks) == 1:
        out = jax.tree.map(lambda x: lend(x)[:evaluations], chunks[0].output)
    else:
        outs = [c.output for c in chunks]
        out = jax.tree.map(lambda *xs: np.concatenate([lend(x) for x in xs])[:evaluations], *outs)
    diverged_at = np.full(out.loss.shape[1], -1, np.int64)
    reason = np.zeros_like(diverged_at)
    suspects = np.flatnonzero(~np.all([np.isfinite(np.asarray(c.loss_total)) for c in chunks], axis=0))
    bad = ~np.isfinite(out.loss[:, suspects])
    found = bad.any(axis=0)
    runs = suspects[found]
    diverged_at[runs] = bad.argmax(axis=0)[found]
    point = out.theta[diverged_at[runs], :, runs]  # (n, 2): the first unreportable point of each diverged run
    beyond = np.all(np.isfinite(point), axis=1) & np.any(np.abs(point) > BOUND, axis=1)
    reason[runs] = np.where(beyond, 2, 1)
    return out, diverged_at, reason


def simulate(
    surface: str,
    surface_params: dict[str, float] | None,
    start: tuple[float, float] | np.ndarray,
    runs: list[RunConfig],
    steps: int,
    noise: dict | None = None,
) -> list[RunResult]:
    """Run every config for ``steps`` updates from ``start``; results in the order of ``runs``.

    ``steps + 1`` points are evaluated (θ₀ … θ_steps); the update computed after the last point is
    discarded, so a divergence there does not count. Identical configurations are computed once, so they
    get identical results (XLA:CPU's code for different lanes of a batch can differ in the last bit). An
    optimizer kind whose runs, surface, start, steps and noise are those of a recent call is not computed
    again (:class:`RecentGroups`): moving one run's slider computes one group.
    """
    sp = get_surface(surface, surface_params).param_vector(surface_params)
    start = np.asarray(start, np.float32)
    keys = [_config_key(run) for run in runs]
    noise_key = json.dumps(noise, sort_keys=True)
    rows: dict[str, dict[str, int]] = {}  # optimizer -> its distinct configurations -> row in its batch
    for run, key in zip(runs, keys, strict=True):
        group = rows.setdefault(run.optimizer, {})
        group.setdefault(key, len(group))
    context = (surface, sp.tobytes(), start.tobytes(), steps, noise_key)
    group_keys = {optimizer: (*context, *group) for optimizer, group in rows.items()}
    gathered: dict[str, Gathered] = {}
    launched = {}
    for optimizer, group in rows.items():
        recent = RECENT_GROUPS.get(group_keys[optimizer])
        if recent is not None:
            gathered[optimizer] = recent
            continue
        inputs, plain = _device_inputs(tuple(group), noise_key)
        starts = np.broadcast_to(start, (inputs.clip.mode.shape[0], 2)).copy()
        launched[optimizer] = _run_chunks(optimizer, surface, sp, starts, inputs, plain, steps + 1)
    for optimizer, chunks in launched.items():
        gathered[optimizer] = _gather(chunks, steps + 1)
        if not _lent(chunks):
            RECENT_GROUPS.put(group_keys[optimizer], gathered[optimizer])
    results = []
    for run, key in zip(runs, keys, strict=True):
        out, diverged_at, reason = gathered[run.optimizer]
        row = rows[run.optimizer][key]
        k = int(diverged_at[row])
        n = steps + 1 if k < 0 else k
        results.append(
            RunResult(
                config=run,
                points=np.ascontiguousarray(out.theta[:n, :, row]),
                loss=out.loss[:n, row],
                grad_norm=out.grad_norm[:n, row],
                learning_rate=out.learning_rate[: max(n - 1, 0), row],
                diverged_at=None if k < 0 else k,
                reason=DIVERGENCE_REASONS[int(reason[row])] if k >= 0 else "",
                step_size=None if out.step_size is None else out.step_size[: max(n - 1, 0), :, row],
            )
        )
    return results


class Sweep(NamedTuple):
    """Many runs of one optimizer: time-major outputs and, per run, where it diverged."""

    output: StepOutput  # theta (steps + 1, 2, R), loss (steps + 1, R); grad_norm and learning_rate are None
    diverged_at: np.ndarray  # (R,) step of the first unreportable point, −1 for a run that stayed finite
    reason: np.ndarray  # (R,) index into DIVERGENCE_REASONS (0 when not diverged)


def sweep(
    surface: str,
    surface_params: dict[str, float] | None,
    starts: np.ndarray,
    config: RunConfig,
    hyper: dict[str, np.ndarray] | None,
    steps: int,
    noise: dict | None = None,
) -> Sweep:
    """One optimizer from many starts and/or hyperparameter values in one vmapped call.

    ``starts`` is (R, 2); ``hyper`` maps hyperparameter names to (R,) arrays that override
    ``config.hyperparameters`` (a learning-rate × momentum grid, a basin-of-attraction map). Every point
    and loss is kept; a diverged run's entries from its divergence step on repeat its last reportable
    ones, so every number is finite. A start that cannot be evaluated (non-finite loss or gradient, or
    beyond ±1e6) raises ``ValueError``. R should be a power of two to reuse one compiled function.

    Values the sweep does not vary enter once for the whole batch, so XLA arranges the arithmetic a little
    differently from :func:`simulate`: a column is the run ``simulate`` gives up to float32 rounding, and
    on a path that amplifies rounding (near the edge of stability) the two can diverge at different steps.
    """
    starts = np.asarray(starts, np.float32)
    out, diverged_at, reason = _gather(
        sweep_chunks(surface, surface_params, starts, config, hyper, steps, noise), steps + 1
    )
    unusable = np.flatnonzero(diverged_at == 0)
    if unusable.size:
        x, y = starts[unusable[0]]
        raise ValueError(
            f"{unusable.size} start point(s) cannot be evaluated on {surface} (the first: ({x:g}, {y:g}), run "
            f"{unusable[0]}): {DIVERGENCE_REASONS[reason[unusable[0]]]}"
        )
    return Sweep(_hold_after_divergence(out, diverged_at), diverged_at, reason)


def sweep_chunks(
    surface: str,
    surface_params: dict[str, float] | None,
    starts: np.ndarray,
    config: RunConfig,
    hyper: dict[str, np.ndarray] | None,
    steps: int,
    noise: dict | None = None,
) -> list[Chunk]:
    """The lean chunks of :func:`sweep` (points and losses, time-major), dispatched but not gathered:
    for callers that reduce them on the device (:mod:`engine.surface.sweep_summary`). Large records are
    buffers of :data:`RECORDS`, to be given back once read."""
    shared, plain = _shared_inputs(_config_key(config), json.dumps(noise, sort_keys=True))
    values = {k: np.asarray(v, np.float32) for k, v in (hyper or {}).items()}
    unknown = sorted(set(values) - set(shared.hyper))
    if unknown:
        raise ValueError(f"{config.optimizer} has no hyperparameter {unknown[0]!r}; it has {sorted(shared.hyper)}")
    inputs = shared._replace(hyper={**shared.hyper, **values})
    sp = get_surface(surface, surface_params).param_vector(surface_params)
    starts = np.asarray(starts, np.float32)
    return _run_chunks(
        config.optimizer, surface, sp, starts, inputs, plain, steps + 1, lean=True, per_run=tuple(values)
    )


def _hold_after_divergence(out: StepOutput, diverged_at: np.ndarray) -> StepOutput:
    """Replace each diverged run's entries from its divergence step on by its last reportable ones."""
    runs = np.flatnonzero(diverged_at >= 0)
    if runs.size == 0:
        return out
    last = diverged_at[runs] - 1  # ≥ 0: sweep refuses starts that are unreportable themselves
    index = np.minimum(np.arange(out.loss.shape[0])[:, None], last[None, :])

    def hold(x: np.ndarray) -> np.ndarray:
        x = x.copy()
        if x.ndim == 3:
            x[:, :, runs] = np.take_along_axis(x[:, :, runs], index[:, None, :], axis=0)
        else:
            x[:, runs] = np.take_along_axis(x[:, runs], index, axis=0)
        return x

    return StepOutput(*(None if x is None else hold(x) for x in out))

r"""Learning-rate schedules as traced arrays, so switching schedule or moving its sliders never recompiles.

A schedule is encoded as ``(kind, params, boundaries, values)``; :func:`scheduled_rate` evaluates
every form and selects one. ``t`` counts updates from 0 and ``ε₀`` is the run's learning rate.

=============  ==========================================================================
``constant``   :math:`\epsilon_0`
``power``      :math:`\epsilon_0 / (1 + t/k)^{c}`
``exponential`` :math:`\epsilon_0 \cdot r^{t/s}`
``piecewise``  ``values[i]`` while ``boundaries[i-1] ≤ t < boundaries[i]``
``step``       :math:`\epsilon_0 \cdot f^{\lfloor t/n \rfloor}`
``linear``     :math:`(1-t/\tau)\epsilon_0 + (t/\tau)\epsilon_\tau` up to τ, then :math:`\epsilon_\tau`
``plateau``    ε₀ times ``factor`` for every ``patience`` steps without a new best loss
=============  ==========================================================================

optax's schedule factories validate their arguments in Python, so they cannot take traced values;
``tests/engine/test_schedules.py`` checks these formulas against them at fixed values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

MAX_PIECES = 8
_SCHEDULE_PARAMS = 2


@dataclass(frozen=True)
class ScheduleParam:
    name: str
    title: str
    default: float
    min: float
    max: float
    integer: bool = False


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    title: str
    latex: str
    params: tuple[ScheduleParam, ...]


SCHEDULES: dict[str, ScheduleSpec] = {
    s.name: s
    for s in (
        ScheduleSpec("constant", "Constant", r"\epsilon_t = \epsilon_0", ()),
        ScheduleSpec(
            "power",
            "Power decay",
            r"\epsilon_t = \frac{\epsilon_0}{(1 + t/k)^{c}}",
            (ScheduleParam("k", "steps scale k", 100.0, 1.0, 1e5), ScheduleParam("c", "power c", 1.0, 0.0, 4.0)),
        ),
        ScheduleSpec(
            "exponential",
            "Exponential decay",
            r"\epsilon_t = \epsilon_0 \cdot r^{t/s}",
            (
                ScheduleParam("decay_rate", "rate r", 0.1, 1e-4, 1.0),
                ScheduleParam("decay_steps", "steps s", 500.0, 1.0, 1e5),
            ),
        ),
        ScheduleSpec(
            "piecewise",
            "Piecewise constant",
            r"\epsilon_t = v_i \;\text{for}\; b_{i-1} \le t < b_i",
            (),
        ),
        ScheduleSpec(
            "step",
            "Step decay",
            r"\epsilon_t = \epsilon_0 \cdot f^{\lfloor t/n \rfloor}",
            (
                ScheduleParam("every", "every n steps", 100.0, 1.0, 1e5, integer=True),
                ScheduleParam("factor", "factor f", 0.5, 0.0, 1.0),
            ),
        ),
        ScheduleSpec(
            "linear",
            "Linear decay",
            r"\epsilon_t = (1 - t/\tau)\,\epsilon_0 + (t/\tau)\,\epsilon_\tau \;(t \le \tau)",
            (
                ScheduleParam("tau", "decay steps τ", 200.0, 1.0, 1e5, integer=True),
                ScheduleParam("final", "rate from step τ on", 1e-4, 0.0, 10.0),
            ),
        ),
        ScheduleSpec(
            "plateau",
            "Reduce on plateau",
            r"\epsilon \leftarrow f\,\epsilon \;\text{after}\; p \;\text{steps without a new best loss}",
            (
                ScheduleParam("factor", "factor f", 0.5, 0.0, 1.0),
                ScheduleParam("patience", "patience p", 10.0, 1.0, 1e4, integer=True),
            ),
        ),
    )
}
SCHEDULE_KINDS = tuple(SCHEDULES)


class ScheduleArrays(NamedTuple):
    """A schedule as fixed-shape arrays (one run; the runner stacks them over runs)."""

    kind: np.ndarray  # int32 index into SCHEDULE_KINDS
    params: np.ndarray  # float32 (2,)
    boundaries: np.ndarray  # float32 (MAX_PIECES,), padded with +inf
    values: np.ndarray  # float32 (MAX_PIECES + 1,), padded with the last value


class PlateauState(NamedTuple):
    """Best loss so far, steps since it, and the accumulated factor (reduce-on-plateau)."""

    best: jnp.ndarray
    wait: jnp.ndarray
    scale: jnp.ndarray


def encode_schedule(config: dict | None) -> ScheduleArrays:
    """Turn ``{"name": ..., **params}`` (or ``None`` for constant) into :class:`ScheduleArrays`."""
    config = dict(config or {"name": "constant"})
    spec = SCHEDULES[config.pop("name")]
    params = np.zeros(_SCHEDULE_PARAMS, np.float32)
    for i, p in enumerate(spec.params):
        params[i] = config.get(p.name, p.default)
    boundaries = np.full(MAX_PIECES, np.inf, np.float32)
    values = np.zeros(MAX_PIECES + 1, np.float32)
    if spec.name == "piecewise":
        b = np.asarray(config["boundaries"], np.float32)
        v = np.asarray(config["values"], np.float32)
        boundaries[: len(b)] = b
        values[: len(v)] = v
        values[len(v) :] = v[-1]
    return ScheduleArrays(np.int32(SCHEDULE_KINDS.index(spec.name)), params, boundaries, values)


def scheduled_rate(t: jnp.ndarray, lr0: jnp.ndarray, s: ScheduleArrays) -> jnp.ndarray:
    """Learning rate for update ``t`` (0-based) under schedule ``s``, before any plateau reduction."""
    t = jnp.asarray(t, jnp.float32)
    a, b = s.params[0], s.params[1]
    tau = jnp.maximum(a, 1.0)
    frac = jnp.minimum(t / tau, 1.0)
    candidates = jnp.stack(
        [
            lr0,
            lr0 / (1.0 + t / a) ** b,
            lr0 * a ** (t / b),
            jnp.asarray(s.values)[jnp.sum(s.boundaries <= t)],  # s may hold NumPy arrays (preview)
            lr0 * b ** jnp.floor(t / a),
            (1.0 - frac) * lr0 + frac * b,
            lr0,  # reduce-on-plateau: the runner multiplies by PlateauState.scale
        ]
    )
    return candidates[s.kind]


def init_plateau(loss0: jnp.ndarray) -> PlateauState:
    return PlateauState(jnp.asarray(loss0, jnp.float32), jnp.zeros((), jnp.float32), jnp.ones((), jnp.float32))


def update_plateau(state: PlateauState, loss: jnp.ndarray, s: ScheduleArrays, active: jnp.ndarray) -> PlateauState:
    """Count steps without a new best loss; after ``patience`` of them multiply the scale by ``factor``.

    Only a ``plateau`` schedule ever changes the scale; ``active`` freezes the state (a diverged run).
    """
    factor, patience = s.params[0], s.params[1]
    improved = loss < state.best
    wait = jnp.where(improved, 0.0, state.wait + 1.0)
    reduce = (wait >= patience) & (s.kind == SCHEDULE_KINDS.index("plateau"))
    new = PlateauState(
        best=jnp.where(improved, loss, state.best),
        wait=jnp.where(reduce, 0.0, wait),
        scale=jnp.where(reduce, state.scale * factor, state.scale),
    )
    return jax.tree.map(lambda a, b: jnp.where(active, a, b), new, state)


def preview(config: dict | None, lr0: float, steps: int) -> np.ndarray:
    """Learning rate for t = 0..steps-1 (the plateau schedule is shown without reductions)."""
    s = encode_schedule(config)
    rate = jax.vmap(lambda t: scheduled_rate(t, jnp.float32(lr0), s))
    return np.asarray(rate(jnp.arange(steps, dtype=jnp.float32)))

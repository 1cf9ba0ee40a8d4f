r"""Run many optimizers on one 2D surface: one jitted ``vmap(scan)`` per optimizer kind.

Every value a user can move — hyperparameters, start point, schedule, clipping, noise σ and seed,
surface parameters — enters the compiled function as a float32/int32 array, so moving a slider
never recompiles. What selects a compiled function is static: the optimizer kind, the surface, the
scan length (one of :data:`CHUNK_LENGTHS`) and the number of runs rounded up to a power of two.

Each step, for one run:

.. math::
    \epsilon_t = \text{schedule}(t),\quad g = \nabla f(\theta_t \text{ or the Nesterov point}),\quad
    \tilde g = \text{clip}(g + \sigma\xi_t),\quad \theta_{t+1} = \theta_t + \text{rule}(\tilde g)

A run stops at its first non-finite loss, point or gradient, or when :math:`|\theta_i| > 10^6`: it
is reported ``diverged`` at that step and its points end at the last finite one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine import modifiers, schedules
from engine.optimizers import OPTIMIZERS, OptimizerSpec
from engine.rules import momentum_lookahead
from engine.surfaces import SURFACES

CHUNK_LENGTHS = (64, 256, 1024)
BOUND = 1e6
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
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "ok" if self.diverged_at is None else "diverged"


class RunInputs(NamedTuple):
    hyper: dict[str, jax.Array]
    schedule: schedules.ScheduleArrays
    clip: modifiers.ClipArrays
    noise: modifiers.NoiseArrays


class Carry(NamedTuple):
    theta: jax.Array
    loss: jax.Array
    opt_state: Any
    plateau: schedules.PlateauState
    t: jax.Array
    alive: jax.Array
    diverged_at: jax.Array
    reason: jax.Array


class StepOutput(NamedTuple):
    theta: jax.Array
    loss: jax.Array
    grad_norm: jax.Array
    learning_rate: jax.Array


def _single_run_fns(spec: OptimizerSpec, surface_name: str):
    """``init(theta0, inputs, sp) -> Carry`` and ``chunk(carry, inputs, sp, length)`` for one run."""
    surface_fn = SURFACES[surface_name].fn

    def init(theta0, inputs: RunInputs, sp) -> Carry:
        opt_state = spec.factory(**inputs.hyper).init(theta0)
        loss0 = surface_fn(theta0, sp)
        return Carry(
            theta=theta0,
            loss=loss0,
            opt_state=opt_state,
            plateau=schedules.init_plateau(loss0),
            t=jnp.int32(0),
            alive=jnp.bool_(True),
            diverged_at=jnp.int32(-1),
            reason=jnp.int32(0),
        )

    def step(c: Carry, xi: jax.Array, inputs: RunInputs, sp) -> tuple[Carry, StepOutput]:
        f = functools.partial(surface_fn, p=sp)
        lr = schedules.scheduled_rate(c.t, inputs.hyper["learning_rate"], inputs.schedule, c.plateau)
        hyper = {**inputs.hyper, "learning_rate": lr}
        point = c.theta
        if spec.lookahead:
            point = momentum_lookahead(c.theta, c.opt_state, hyper[spec.lookahead])
        g = jax.grad(f)(point)
        g = modifiers.clip(g + xi, inputs.clip)
        extra = {"hessian": jax.hessian(f)(point)} if spec.needs_hessian else {}
        delta, new_state = spec.factory(**hyper).update(g, c.opt_state, c.theta, **extra)
        theta_new = c.theta + delta
        loss_new, grad_new = jax.value_and_grad(f)(theta_new)
        grad_norm_new = jnp.linalg.norm(grad_new)
        finite = jnp.isfinite(loss_new) & jnp.all(jnp.isfinite(theta_new)) & jnp.isfinite(grad_norm_new)
        inside = jnp.all(jnp.abs(theta_new) <= BOUND)
        keep = c.alive & finite & inside
        diverging = c.alive & ~keep
        choose = functools.partial(jnp.where, keep)
        carry = Carry(
            theta=choose(theta_new, c.theta),
            loss=choose(loss_new, c.loss),
            opt_state=jax.tree.map(choose, new_state, c.opt_state),
            plateau=jax.tree.map(
                choose, schedules.update_plateau(c.plateau, loss_new, inputs.schedule), c.plateau
            ),
            t=c.t + 1,
            alive=keep,
            diverged_at=jnp.where(diverging, c.t + 1, c.diverged_at),
            reason=jnp.where(diverging, jnp.where(finite, 2, 1), c.reason),
        )
        out = StepOutput(carry.theta, carry.loss, choose(grad_norm_new, 0.0), lr)
        return carry, out

    def chunk(carry: Carry, inputs: RunInputs, sp, length: int):
        noise = modifiers.noise_sequence(inputs.noise, carry.t, length, carry.theta.shape)
        return jax.lax.scan(lambda c, xi: step(c, xi, inputs, sp), carry, noise)

    return init, chunk


@functools.cache
def compiled(optimizer: str, surface: str, length: int):
    """Jitted ``(first, more)``: vmapped over runs; ``first`` starts from θ₀, ``more`` from a carry."""
    init, chunk = _single_run_fns(OPTIMIZERS[optimizer], surface)

    surface_fn = SURFACES[surface].fn

    def first(theta0, inputs, sp):
        loss0, grad0 = jax.value_and_grad(surface_fn)(theta0, sp)
        carry, out = chunk(init(theta0, inputs, sp), inputs, sp, length)
        return carry, out, (loss0, jnp.linalg.norm(grad0))

    def more(carry, inputs, sp):
        return chunk(carry, inputs, sp, length)

    batch = (0, 0, None)
    return jax.jit(jax.vmap(first, in_axes=batch)), jax.jit(jax.vmap(more, in_axes=batch))


def chunk_length(steps: int) -> int:
    return next((n for n in CHUNK_LENGTHS if n >= steps), CHUNK_LENGTHS[-1])


def _padded_size(n: int) -> int:
    return 1 << (n - 1).bit_length()


def _stack_inputs(configs: list[RunConfig], noise: dict | None) -> RunInputs:
    spec = OPTIMIZERS[configs[0].optimizer]
    rows = [
        RunInputs(
            hyper={h.name: np.float32(c.hyperparameters[h.name]) for h in spec.hyperparameters},
            schedule=schedules.encode_schedule(c.schedule),
            clip=modifiers.encode_clip(c.clip),
            noise=modifiers.encode_noise(noise),
        )
        for c in configs
    ]
    rows += [rows[0]] * (_padded_size(len(rows)) - len(rows))
    return jax.tree.map(lambda *xs: np.stack(xs), *rows)


def _launch(optimizer, surface, sp, starts, inputs, steps):
    """Dispatch all chunks of one optimizer kind (asynchronously); returns device arrays."""
    length = chunk_length(steps)
    first, more = compiled(optimizer, surface, length)
    carry, out, head = first(starts, inputs, sp)
    outs = [out]
    for _ in range(1, -(-steps // length)):
        carry, out = more(carry, inputs, sp)
        outs.append(out)
    return carry, outs, head


def simulate(
    surface: str,
    surface_params: dict[str, float] | None,
    start: tuple[float, float] | np.ndarray,
    runs: list[RunConfig],
    steps: int,
    noise: dict | None = None,
) -> list[RunResult]:
    """Run every config for ``steps`` updates from ``start``; results in the order of ``runs``."""
    sp = SURFACES[surface].param_vector(surface_params)
    start = np.asarray(start, np.float32)
    groups: dict[str, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(run.optimizer, []).append(i)
    launched = {}
    for optimizer, idx in groups.items():
        inputs = _stack_inputs([runs[i] for i in idx], noise)
        starts = np.broadcast_to(start, (len(inputs.clip.mode), 2)).copy()
        launched[optimizer] = _launch(optimizer, surface, sp, starts, inputs, steps)
    results: list[RunResult | None] = [None] * len(runs)
    for optimizer, idx in groups.items():
        carry, outs, (loss0, grad0) = launched[optimizer]
        loss0, grad0 = float(loss0[0]), float(grad0[0])
        out = jax.tree.map(lambda *xs: np.concatenate([np.asarray(x) for x in xs], axis=1)[:, :steps], *outs)
        diverged_at, reason = np.asarray(carry.diverged_at), np.asarray(carry.reason)
        for row, i in enumerate(idx):
            k = int(diverged_at[row])
            n = steps + 1 if k < 0 else k
            results[i] = RunResult(
                config=runs[i],
                points=np.concatenate([start[None], out.theta[row]])[:n],
                loss=np.concatenate([[loss0], out.loss[row]])[:n].astype(np.float32),
                grad_norm=np.concatenate([[grad0], out.grad_norm[row]])[:n].astype(np.float32),
                learning_rate=out.learning_rate[row][: n - 1],
                diverged_at=None if k < 0 else k,
                reason=DIVERGENCE_REASONS[int(reason[row])],
            )
    return results

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
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine import modifiers, schedules
from engine.optimizers import OPTIMIZERS, OptimizerSpec
from engine.rules import momentum_lookahead
from engine.surfaces import SURFACES

CHUNK_LENGTHS = (64, 128, 256, 512, 1024)
BOUND = 1e6
DIVERGENCE_REASONS = (
    "",
    "the loss, the point or the gradient became NaN or infinite",
    "the point left the region |x|, |y| ≤ 1e6",
)
# No YNNPACK library fusions on XLA:CPU: batched over runs, the step's reductions run over axes of length 2
# (optax's clip-by-norm), where a library call per step costs more than XLA's own loop (4096 runs: ~15 % faster).
COMPILER_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": ""}


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
    grad_norm: jax.Array
    opt_state: Any
    plateau: schedules.PlateauState
    t: jax.Array
    alive: jax.Array
    diverged_at: jax.Array
    reason: jax.Array


class StepOutput(NamedTuple):
    """Per step ``t``: the point θ_t, f(θ_t), ‖∇f(θ_t)‖ and the rate ε_t of the update from θ_t."""

    theta: jax.Array
    loss: jax.Array
    grad_norm: jax.Array
    learning_rate: jax.Array


def _single_run_fns(spec: OptimizerSpec, surface_name: str):
    """``init(theta0, inputs, sp) -> Carry`` and ``step(carry, (ξ_t, ε_t), inputs, sp)`` for one run.

    Step ``t`` evaluates f and ∇f at θ_t (reported as point t) and then updates to θ_{t+1}. If f(θ_t)
    or ∇f(θ_t) is not finite the run diverges at t; if θ_{t+1} is not finite or leaves the bounded
    region it diverges at t + 1. After divergence the carry is frozen.
    """
    surface_fn = SURFACES[surface_name].fn

    def init(theta0, inputs: RunInputs, sp) -> Carry:
        zero = jnp.zeros((), jnp.float32)
        return Carry(
            theta=theta0,
            loss=zero,
            grad_norm=zero,
            opt_state=spec.factory(**inputs.hyper).init(theta0),
            plateau=schedules.init_plateau(jnp.float32(jnp.inf)),
            t=jnp.int32(0),
            alive=jnp.bool_(True),
            diverged_at=jnp.int32(-1),
            reason=jnp.int32(0),
        )

    def step(c: Carry, xs, inputs: RunInputs, sp) -> tuple[Carry, StepOutput]:
        xi, base_rate = xs
        f = functools.partial(surface_fn, p=sp)
        loss, g = jax.value_and_grad(f)(c.theta)
        # ‖g‖ spelled out for the two coordinates: elementwise over the batch instead of a reduction over length 2.
        grad_norm = jnp.sqrt(g[0] * g[0] + g[1] * g[1])
        # f(θ_t) is known before update t: count it first, so ε_t is reduced once p steps brought no new best.
        plateau = schedules.update_plateau(
            c.plateau, loss, inputs.schedule, active=c.alive & jnp.isfinite(loss) & jnp.isfinite(grad_norm)
        )
        lr = base_rate * plateau.scale
        hyper = {**inputs.hyper, "learning_rate": lr}
        point = c.theta
        if spec.lookahead:
            point = momentum_lookahead(c.theta, c.opt_state, hyper[spec.lookahead])
            g = jax.grad(f)(point)
        g = modifiers.clip(g + xi, inputs.clip)
        extra = {"hessian": jax.hessian(f)(point)} if spec.needs_hessian else {}
        delta, new_state = spec.factory(**hyper).update(g, c.opt_state, c.theta, **extra)
        theta_new = c.theta + delta

        here_ok = c.alive & jnp.isfinite(loss) & jnp.isfinite(grad_norm)
        finite_new = jnp.all(jnp.isfinite(theta_new))
        keep = here_ok & finite_new & jnp.all(jnp.abs(theta_new) <= BOUND)
        choose = functools.partial(jnp.where, keep)
        reason = jnp.where(~here_ok | ~finite_new, 1, 2)
        carry = Carry(
            theta=choose(theta_new, c.theta),
            loss=jnp.where(here_ok, loss, c.loss),
            grad_norm=jnp.where(here_ok, grad_norm, c.grad_norm),
            opt_state=jax.tree.map(choose, new_state, c.opt_state),
            plateau=plateau,
            t=c.t + 1,
            alive=keep,
            diverged_at=jnp.where(c.alive & ~keep, jnp.where(here_ok, c.t + 1, c.t), c.diverged_at),
            reason=jnp.where(c.alive & ~keep, reason, c.reason),
        )
        out = StepOutput(c.theta, carry.loss, carry.grad_norm, lr)
        return carry, out

    return init, step


def _batched_noise(noise: modifiers.NoiseArrays, t0: jax.Array, length: int) -> jax.Array:
    """(length, R, 2) noise σξ_t for every run."""
    per_run = jax.vmap(lambda n, t: modifiers.noise_sequence(n, t, length, (2,)))(noise, t0)
    return jnp.swapaxes(per_run, 0, 1)


def _batched_rates(inputs: RunInputs, t0: jax.Array, length: int) -> jax.Array:
    """(length, R) scheduled rates ε_t before any plateau reduction; constant runs skip the formulas."""
    lr0 = inputs.hyper["learning_rate"]

    def scheduled(_):
        t = t0[None, :] + jnp.arange(length)[:, None]
        rate = jax.vmap(jax.vmap(schedules.scheduled_rate), in_axes=(0, None, None))
        return rate(t, lr0, inputs.schedule)

    constant = jnp.all(inputs.schedule.kind == schedules.SCHEDULE_KINDS.index("constant"))
    return jax.lax.cond(constant, lambda _: jnp.broadcast_to(lr0, (length, lr0.shape[0])), scheduled, None)


@functools.cache
def compiled(optimizer: str, surface: str, length: int):
    """Jitted ``(first, more)`` over a batch of runs; ``first`` starts from θ₀, ``more`` from a carry.

    The scan runs over time with the whole batch in its carry, so outputs come out time-major
    (length, R, …) without a transpose.
    """
    init, step = _single_run_fns(OPTIMIZERS[optimizer], surface)
    batched_step = jax.vmap(step, in_axes=(0, 0, 0, None))

    def run(carry, inputs, sp, rates, noise):
        if noise is None:  # no noise table at all: a zero ξ folds into the step
            xi = jnp.zeros(carry.theta.shape, jnp.float32)
            return jax.lax.scan(lambda c, rate: batched_step(c, (xi, rate), inputs, sp), carry, rates)
        return jax.lax.scan(lambda c, x: batched_step(c, x, inputs, sp), carry, (noise, rates))

    def more(carry, inputs, sp):
        """One chunk; the noisy and the noise-free loops are two branches of one compiled function."""
        rates = _batched_rates(inputs, carry.t, length)
        return jax.lax.cond(
            jnp.any(inputs.noise.sigma != 0),
            lambda c: run(c, inputs, sp, rates, _batched_noise(inputs.noise, c.t, length)),
            lambda c: run(c, inputs, sp, rates, None),
            carry,
        )

    def first(theta0, inputs, sp):
        return more(jax.vmap(init, in_axes=(0, 0, None))(theta0, inputs, sp), inputs, sp)

    return jax.jit(first, compiler_options=COMPILER_OPTIONS), jax.jit(more, compiler_options=COMPILER_OPTIONS)


def chunk_length(steps: int) -> int:
    return next((n for n in CHUNK_LENGTHS if n >= steps), CHUNK_LENGTHS[-1])


def _padded_size(n: int) -> int:
    return 1 << (n - 1).bit_length()


def _stack_inputs(configs: list[RunConfig], noise: dict | None) -> RunInputs:
    """The runs' inputs stacked over a batch padded to a power of two, as NumPy arrays."""
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


def _config_key(config: RunConfig) -> str:
    return json.dumps([config.optimizer, config.hyperparameters, config.schedule, config.clip], sort_keys=True)


@functools.lru_cache(maxsize=512)
def _device_inputs(keys: tuple[str, ...], noise_key: str) -> RunInputs:
    """Stacked inputs already on the device, cached: moving one run's slider re-encodes only its group."""
    configs = [RunConfig(*json.loads(k)) for k in keys]
    return jax.device_put(_stack_inputs(configs, json.loads(noise_key)))


def _run_chunks(optimizer, surface, sp, starts, inputs, evaluations):
    """All chunks of one optimizer kind, dispatched asynchronously; time-major numpy outputs."""
    length = chunk_length(evaluations)
    first, more = compiled(optimizer, surface, length)
    carry, out = first(starts, inputs, sp)
    outs = [out]
    for _ in range(1, -(-evaluations // length)):
        carry, out = more(carry, inputs, sp)
        outs.append(out)
    return carry, outs


def _gather(outs: list[StepOutput], evaluations: int) -> StepOutput:
    if len(outs) == 1:
        return jax.tree.map(lambda x: np.asarray(x)[:evaluations], outs[0])
    return jax.tree.map(lambda *xs: np.concatenate([np.asarray(x) for x in xs])[:evaluations], *outs)


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
    discarded, so a divergence there does not count.
    """
    sp = SURFACES[surface].param_vector(surface_params)
    start = np.asarray(start, np.float32)
    groups: dict[str, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(run.optimizer, []).append(i)
    launched = {}
    for optimizer, idx in groups.items():
        inputs = _device_inputs(tuple(_config_key(runs[i]) for i in idx), json.dumps(noise, sort_keys=True))
        starts = np.broadcast_to(start, (inputs.clip.mode.shape[0], 2)).copy()
        launched[optimizer] = _run_chunks(optimizer, surface, sp, starts, inputs, steps + 1)
    results: list[RunResult | None] = [None] * len(runs)
    for optimizer, idx in groups.items():
        carry, outs = launched[optimizer]
        out = _gather(outs, steps + 1)
        diverged_at, reason = np.asarray(carry.diverged_at), np.asarray(carry.reason)
        for row, i in enumerate(idx):
            k = int(diverged_at[row])
            k = -1 if k > steps else k
            n = steps + 1 if k < 0 else k
            results[i] = RunResult(
                config=runs[i],
                points=out.theta[:n, row],
                loss=out.loss[:n, row],
                grad_norm=out.grad_norm[:n, row],
                learning_rate=out.learning_rate[: n - 1, row],
                diverged_at=None if k < 0 else k,
                reason=DIVERGENCE_REASONS[int(reason[row])] if k >= 0 else "",
            )
    return results


def sweep(
    surface: str,
    surface_params: dict[str, float] | None,
    starts: np.ndarray,
    config: RunConfig,
    hyper: dict[str, np.ndarray] | None,
    steps: int,
    noise: dict | None = None,
) -> StepOutput:
    """One optimizer from many starts and/or hyperparameter values in one vmapped call.

    ``starts`` is (R, 2); ``hyper`` maps hyperparameter names to (R,) arrays that override
    ``config.hyperparameters`` (a learning-rate × momentum grid, a basin-of-attraction map).
    Returns time-major outputs, (steps + 1, R, …); a diverged run's entries repeat its last finite
    values. R should be a power of two to reuse one compiled function across sweeps.
    """
    starts = np.asarray(starts, np.float32)
    base = _stack_inputs([config], noise)
    tiled = jax.tree.map(lambda x: np.repeat(x[:1], len(starts), axis=0), base)
    values = {k: np.asarray(v, np.float32) for k, v in (hyper or {}).items()}
    inputs = tiled._replace(hyper={**tiled.hyper, **values})
    sp = SURFACES[surface].param_vector(surface_params)
    _, outs = _run_chunks(config.optimizer, surface, sp, starts, inputs, steps + 1)
    return _gather(outs, steps + 1)

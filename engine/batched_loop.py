r"""The compiled batched loop behind :mod:`engine.runner`: one jitted ``scan`` over time of a ``vmap`` over runs.

Each step, for one run:

.. math::
    \epsilon_t = \text{schedule}(t),\quad g = \nabla f(\theta_t \text{ or the Nesterov point}),\quad
    \tilde g = \text{clip}(g + \sigma\xi_t),\quad \theta_{t+1} = \theta_t + \text{rule}(\tilde g)

Every value a user can move enters as a float32/int32 array (no recompiles); what selects a compiled
function is static: optimizer kind, surface, scan length (one of :data:`CHUNK_LENGTHS`), the batch size
and ``lean``. A point that cannot be reported (non-finite point, loss or gradient, or
:math:`|\theta_i| >` :data:`BOUND`) is only remembered per run (``Carry.first_bad``); the caller cuts there.

Speed (4096 runs × 500 steps is a benchmark): XLA:CPU runs one kernel per fused group of the loop
body, and each value that leaves the body (a carry or an output) closes a group. So the step keeps
few such values: the point is an ``(x, y)`` pair of batched scalars (elementwise ops, no length-2
reductions), the step index is shared, nothing is frozen at divergence, the plain case (constant rate,
no noise, no clipping) has its own loop, and a large sweep records only points and losses.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from engine import modifiers, schedules
from engine.optimizers import OPTIMIZERS, OptimizerSpec
from engine.rules import momentum_lookahead
from engine.surfaces import SURFACES

CHUNK_LENGTHS = (64, 128, 256, 512, 1024)
BOUND = 1e6
# No YNNPACK library fusions on XLA:CPU: batched over runs, the step's reductions run over axes of length 2
# (optax's clip-by-norm), where a library call per step costs more than XLA's own loop (4096 runs: ~15 % faster).
COMPILER_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": ""}


class RunInputs(NamedTuple):
    hyper: dict[str, jax.Array]
    schedule: schedules.ScheduleArrays
    clip: modifiers.ClipArrays
    noise: modifiers.NoiseArrays


class Carry(NamedTuple):
    """What one run carries from step to step (batched over runs by ``vmap``)."""

    theta: tuple[jax.Array, jax.Array]  # (x, y): every op of the batched step stays elementwise over runs
    opt_state: Any
    plateau: schedules.PlateauState
    first_bad: jax.Array  # int32 step of the first point that cannot be reported, −1 while there is none


class StepOutput(NamedTuple):
    """Per step ``t``: the point θ_t, f(θ_t), ‖∇f(θ_t)‖ and the rate ε_t of the update from θ_t.

    Batched chunks are time-major and coordinate-major: ``theta`` is (length, 2, R), the others
    (length, R). A lean chunk has no ``grad_norm`` and ``learning_rate`` (``None``).
    """

    theta: jax.Array
    loss: jax.Array
    grad_norm: jax.Array | None
    learning_rate: jax.Array | None


def _single_run_fns(spec: OptimizerSpec, surface_name: str, modified: bool):
    """``init(theta0, inputs) -> Carry`` and ``step(carry, (ξ_t, ε_t), inputs, sp, t)`` for one run.

    Step ``t`` evaluates f and ∇f at θ_t (reported as point t) and then updates to θ_{t+1}. A point is
    unreportable when θ_t, f(θ_t) or ∇f(θ_t) is not finite or |θ_t| > BOUND; the step remembers the
    first such ``t`` and otherwise lets the run carry on with whatever values it has (no freezing: the
    caller cuts the outputs there). ``modified=False`` builds the step without noise, clipping and the
    plateau schedule (fewer kernels in the loop); ``ξ`` and the plateau state are then ignored.
    """
    surface_fn = SURFACES[surface_name].fn

    def init(theta0, inputs: RunInputs) -> Carry:
        theta = (theta0[0], theta0[1])
        return Carry(
            theta=theta,
            opt_state=spec.factory(**inputs.hyper).init(theta),
            plateau=schedules.init_plateau(jnp.float32(jnp.inf)),
            first_bad=jnp.int32(-1),
        )

    def step(c: Carry, xs, inputs: RunInputs, sp, t) -> tuple[Carry, StepOutput]:
        xi, base_rate = xs
        f = functools.partial(surface_fn, p=sp)
        loss, g = jax.value_and_grad(f)(c.theta)
        squared_gradient = g[0] * g[0] + g[1] * g[1]
        grad_norm = jnp.sqrt(squared_gradient)
        x, y = c.theta
        # One float test instead of six predicates: v − v is 0 for a finite v and NaN otherwise, and a
        # comparison with NaN is false. ‖∇f‖² is finite exactly when ‖∇f‖ is (and needs no root).
        finite = (loss - loss) + (squared_gradient - squared_gradient) == 0
        reportable = finite & (jnp.maximum(jnp.abs(x), jnp.abs(y)) <= BOUND)
        first_bad = jnp.where((c.first_bad < 0) & ~reportable, t, c.first_bad)
        plateau, lr = c.plateau, base_rate
        if modified:
            # f(θ_t) is known before update t: count it first, so ε_t is reduced once p steps brought no new best.
            plateau = schedules.update_plateau(c.plateau, loss, inputs.schedule, active=jnp.isfinite(loss))
            lr = base_rate * plateau.scale
        hyper = {**inputs.hyper, "learning_rate": lr}
        point = c.theta
        if spec.lookahead:
            point = momentum_lookahead(c.theta, c.opt_state, hyper[spec.lookahead])
            g = jax.grad(f)(point)
        if modified:
            g = modifiers.clip((g[0] + xi[0], g[1] + xi[1]), inputs.clip)
        extra = {"hessian": jnp.array(jax.hessian(f)(point))} if spec.needs_hessian else {}
        delta, opt_state = spec.factory(**hyper).update(g, c.opt_state, c.theta, **extra)
        theta = (x + delta[0], y + delta[1])
        return Carry(theta, opt_state, plateau, first_bad), StepOutput(jnp.stack(c.theta), loss, grad_norm, lr)

    return init, step


def _batched_noise(noise: modifiers.NoiseArrays, t0: jax.Array, length: int) -> jax.Array:
    """(length, R, 2) noise σξ_t for every run."""
    per_run = jax.vmap(lambda n: modifiers.noise_sequence(n, t0, length, (2,)))(noise)
    return jnp.swapaxes(per_run, 0, 1)


def _batched_rates(inputs: RunInputs, t0: jax.Array, length: int) -> jax.Array:
    """(length, R) scheduled rates ε_t before any plateau reduction; constant runs skip the formulas."""
    lr0 = inputs.hyper["learning_rate"]

    def scheduled(_):
        t = t0 + jnp.arange(length)
        rate = jax.vmap(jax.vmap(schedules.scheduled_rate, in_axes=(None, 0, 0)), in_axes=(0, None, None))
        return rate(t, lr0, inputs.schedule)

    constant = jnp.all(inputs.schedule.kind == schedules.SCHEDULE_KINDS.index("constant"))
    return jax.lax.cond(constant, lambda _: jnp.broadcast_to(lr0, (length, lr0.shape[0])), scheduled, None)


def _is_plain(inputs: RunInputs) -> jax.Array:
    """Whether every run of the batch has a constant rate and no noise or clipping."""
    constant = schedules.SCHEDULE_KINDS.index("constant")
    return jnp.all(inputs.schedule.kind == constant) & jnp.all(inputs.noise.sigma == 0) & jnp.all(inputs.clip.mode == 0)


def compiled(optimizer: str, surface: str, length: int, lean: bool = False):
    """The cached :func:`_compiled` functions (one cache key however ``lean`` is passed)."""
    return _compiled(optimizer, surface, length, bool(lean))


@functools.cache
def _compiled(optimizer: str, surface: str, length: int, lean: bool):
    """Jitted ``(first, more)`` over a batch of runs: ``first(θ₀, inputs, sp)`` and ``more(carry, t0, inputs, sp)``.

    Both return ``(carry, StepOutput)`` for ``length`` steps. The scan runs over time with the whole
    batch in its carry, so outputs come out time-major without a transpose. Two loops are compiled
    into one function and a ``cond`` picks one per chunk: the plain loop (constant rate, no noise, no
    clipping) and the loop with schedules, noise and clipping — so a user toggling those never waits
    for a compilation, and the plain case pays nothing for them. ``lean`` records only θ_t and f(θ_t).
    """
    spec = OPTIMIZERS[optimizer]
    init, plain_step = _single_run_fns(spec, surface, modified=False)
    _, modified_step = _single_run_fns(spec, surface, modified=True)
    axes = StepOutput(1, 0, None if lean else 0, None if lean else 0)

    def record(out: StepOutput) -> StepOutput:
        return StepOutput(out.theta, out.loss, None, None) if lean else out

    def plain(carry, inputs, sp, t0):
        def step(c, run_inputs, t):
            c, out = plain_step(c, ((0.0, 0.0), run_inputs.hyper["learning_rate"]), run_inputs, sp, t)
            return c, record(out._replace(learning_rate=None))  # ε_t = ε₀: not recorded step by step

        batched = jax.vmap(step, in_axes=(0, 0, None), out_axes=(0, axes._replace(learning_rate=None)))
        carry, out = jax.lax.scan(lambda c, t: batched(c, inputs, t), carry, t0 + jnp.arange(length))
        lr0 = inputs.hyper["learning_rate"]
        return carry, out._replace(learning_rate=None if lean else jnp.broadcast_to(lr0, (length, lr0.shape[0])))

    def modified(carry, inputs, sp, t0):
        def step(c, xs, run_inputs, t):
            c, out = modified_step(c, xs, run_inputs, sp, t)
            return c, record(out)

        batched = jax.vmap(step, in_axes=(0, 0, 0, None), out_axes=(0, axes))
        xs = (_batched_noise(inputs.noise, t0, length), _batched_rates(inputs, t0, length), t0 + jnp.arange(length))
        return jax.lax.scan(lambda c, x: batched(c, x[:2], inputs, x[2]), carry, xs)

    def more(carry, t0, inputs, sp):
        return jax.lax.cond(_is_plain(inputs), plain, modified, carry, inputs, sp, t0)

    def first(theta0, inputs, sp):
        return more(jax.vmap(init)(theta0, inputs), jnp.int32(0), inputs, sp)

    return jax.jit(first, compiler_options=COMPILER_OPTIONS), jax.jit(more, compiler_options=COMPILER_OPTIONS)


def chunk_length(steps: int) -> int:
    return next((n for n in CHUNK_LENGTHS if n >= steps), CHUNK_LENGTHS[-1])

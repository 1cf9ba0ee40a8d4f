r"""The compiled batched loop behind :mod:`engine.surface.runner`: one jitted loop over time of a ``vmap`` over runs.

Each step, for one run:

.. math::
    \epsilon_t = \text{schedule}(t),\quad g = \nabla f(\theta_t \text{ or the Nesterov point}),\quad
    \tilde g = \text{clip}(g + \sigma\xi_t),\quad \theta_{t+1} = \theta_t + \text{rule}(\tilde g)

Every value a user can move enters as a float32/int32 array (no recompiles); what selects a compiled
function is static: optimizer kind, surface, scan length (one of :data:`CHUNK_LENGTHS`), the batch size,
``lean``, which inputs vary from run to run (``per_run``: everything for the page's runs; only the
swept hyperparameters for a sweep, the rest entering once for the whole batch) and ``plain`` (which
loop, or both: :func:`_compiled`).

A point θ_t that cannot be reported (non-finite point, loss or gradient, or :math:`|\theta_i| >`
:data:`BOUND`) is marked without a test or a flag of its own: the recorded loss is
:math:`f(\theta_t) + u_t` with

.. math:: u_t = 0\cdot f(\theta_t) + 0\cdot\lVert\nabla f(\theta_t)\rVert^2 +
    \begin{cases}0 & \max_i |\theta_{t,i}| \le \text{BOUND}\\ \text{NaN} & \text{otherwise}\end{cases}

(0 for a reportable point, NaN otherwise; ``0·∞`` is NaN), so it is non-finite exactly at the
unreportable points. :mod:`engine.surface.runner` cuts each run at its first one. Nothing is frozen: a run
carries on with whatever values it has.

Speed (4096 runs × 500 steps is a benchmark): XLA:CPU runs one kernel per fused group of the loop
body, and each value that leaves the body (a carry or an output) closes a group. So the step keeps
few such values: the point is an ``(x, y)`` pair of batched scalars (elementwise ops, no length-2
reductions), step counters and shared inputs are not batched (with ρ shared by a sweep, Adam's bias
correction is one scalar per step), divergence adds nothing to the carry (above), the plain case
(constant rate, no noise, no clipping) has its own loop, a large sweep records only points and losses,
and a large record is written into recycled buffers rather than freshly zero-filled ones
(:func:`_scan_into`, :mod:`engine.surface.record_pool`).
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine import modifiers, schedules
from engine.optimizers import OPTIMIZERS, OptimizerSpec
from engine.rules import momentum_lookahead
from engine.step_sizes import step_size
from engine.surface.surfaces import get_surface

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
    """What one run carries from step to step (batched over runs by ``vmap``, except step counters)."""

    theta: tuple[jax.Array, jax.Array]  # (x, y): every op of the batched step stays elementwise over runs
    opt_state: Any
    plateau: schedules.PlateauState


class StepOutput(NamedTuple):
    """Per step ``t``: the point θ_t, f(θ_t) (NaN where θ_t cannot be reported), ‖∇f(θ_t)‖, the rate
    ε_t of the update from θ_t and, for an adaptive rule, that update's per-coordinate step sizes
    (:mod:`engine.step_sizes`).

    Batched chunks are time-major and coordinate-major: ``theta`` and ``step_size`` are (length, 2, R),
    the others (length, R). A lean chunk has no ``grad_norm``, ``learning_rate`` and ``step_size``
    (``None``); nor has a rule without step sizes ``step_size``.
    """

    theta: jax.Array
    loss: jax.Array
    grad_norm: jax.Array | None
    learning_rate: jax.Array | None
    step_size: jax.Array | None = None


class Chunk(NamedTuple):
    """What a compiled call returns: the carry for the next chunk, the record of its steps, and per run
    the sum of its recorded losses, which is non-finite when any of them is (or when the sum overflows):
    the runner searches only those runs for their first non-finite loss."""

    carry: Carry
    output: StepOutput
    loss_total: jax.Array  # (R,)


def _single_run_fns(spec: OptimizerSpec, surface_name: str, modified: bool):
    """``init(theta0, inputs) -> Carry`` and ``step(carry, (ξ_t, ε_t), inputs, sp, t)`` for one run.

    Step ``t`` evaluates f and ∇f at θ_t (reported as point t) and then updates to θ_{t+1}. The
    recorded loss is NaN where θ_t cannot be reported (see the module docstring).
    ``modified=False`` builds the step without noise, clipping and the plateau schedule (fewer kernels
    in the loop); ``ξ`` and the plateau state are then ignored.
    """
    surface_fn = get_surface(surface_name).fn
    sizes = step_size(spec.id)

    def init(theta0, inputs: RunInputs) -> Carry:
        theta = (theta0[0], theta0[1])
        return Carry(
            theta=theta,
            opt_state=spec.factory(**inputs.hyper).init(theta),
            plateau=schedules.init_plateau(jnp.float32(jnp.inf)),
        )

    def step(c: Carry, xs, inputs: RunInputs, sp, t) -> tuple[Carry, StepOutput]:
        xi, base_rate = xs
        f = functools.partial(surface_fn, p=sp)
        loss, g = jax.value_and_grad(f)(c.theta)
        squared_gradient = g[0] * g[0] + g[1] * g[1]
        grad_norm = jnp.sqrt(squared_gradient)
        x, y = c.theta
        unreportable = _nan_unless_reportable(x, y, loss, squared_gradient)
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
        size = None if sizes is None else jnp.stack(sizes(c.opt_state, opt_state, hyper))
        output = StepOutput(jnp.stack(c.theta), loss + unreportable, grad_norm, lr, size)
        return Carry(theta, opt_state, plateau), output

    return init, step


def _nan_unless_reportable(x, y, loss, squared_gradient):
    """u_t of the module docstring: 0 if θ_t = (x, y) can be reported, NaN if it cannot.

    ``0·v`` is 0 for a finite ``v`` and NaN otherwise (XLA does not fold it away); ‖∇f‖² is finite
    exactly when ‖∇f‖ is. A NaN coordinate fails the bound test (a comparison with NaN is false).
    """
    inside = jnp.maximum(jnp.abs(x), jnp.abs(y)) <= BOUND
    return 0.0 * loss + 0.0 * squared_gradient + jnp.where(inside, 0.0, jnp.nan)


def _counter_axes(carry: Carry) -> Carry:
    """vmap axes of a batched carry: 0, except ``None`` for step counters (optax's ``count`` fields),
    which every run of a batch advances together. (Were a ``count`` ever to depend on a run's values,
    vmap would refuse to trace the step rather than compute something wrong.)"""
    return jax.tree_util.tree_map_with_path(lambda path, _: None if _is_counter(path) else 0, carry)


def _share_counters(carry: Carry) -> Carry:
    """A carry batched by ``vmap`` with its (equal) step counters reduced to one value."""
    return jax.tree_util.tree_map_with_path(lambda path, x: x[0] if _is_counter(path) else x, carry)


def _is_counter(path) -> bool:
    return isinstance(path[-1], jax.tree_util.GetAttrKey) and path[-1].name == "count"


def _input_axes(spec: OptimizerSpec, per_run: tuple[str, ...] | None) -> RunInputs | int:
    """vmap axes of the inputs: every input per run (``per_run is None``), or only the hyperparameters
    named in ``per_run``, everything else (other hyperparameters, schedule, clipping, noise) shared."""
    if per_run is None:
        return 0
    return RunInputs({h.name: 0 if h.name in per_run else None for h in spec.hyperparameters}, None, None, None)


def _noise(noise: modifiers.NoiseArrays, batched: bool, t0: jax.Array, length: int) -> jax.Array:
    """Noise σξ_t of a chunk: (length, R, 2) for per-run noise, (length, 2) for the batch's one noise."""
    if not batched:
        return modifiers.noise_sequence(noise, t0, length, (2,))
    per_run_noise = jax.vmap(lambda n: modifiers.noise_sequence(n, t0, length, (2,)))(noise)
    return jnp.swapaxes(per_run_noise, 0, 1)


def _rates(inputs: RunInputs, axes: RunInputs | int, t0: jax.Array, length: int) -> jax.Array:
    """Scheduled rates ε_t of a chunk before any plateau reduction: (length, R), or (length,) when the
    rate and the schedule are shared by the batch. Constant schedules skip the formulas."""
    lr0 = inputs.hyper["learning_rate"]
    lr_axis, schedule_axis = (0, 0) if isinstance(axes, int) else (axes.hyper["learning_rate"], axes.schedule)
    over_time = jax.vmap(schedules.scheduled_rate, in_axes=(0, None, None))
    if lr_axis is None and schedule_axis is None:
        rate = over_time
    else:
        rate = jax.vmap(over_time, in_axes=(None, lr_axis, schedule_axis), out_axes=1)
    t = t0 + jnp.arange(length)
    shape = jax.eval_shape(rate, t, lr0, inputs.schedule).shape
    constant = jnp.all(inputs.schedule.kind == schedules.SCHEDULE_KINDS.index("constant"))
    return jax.lax.cond(constant, lambda: jnp.broadcast_to(lr0, shape), lambda: rate(t, lr0, inputs.schedule))


def is_plain(inputs: RunInputs, xp=np):
    """Whether every run of a batch has a constant rate and no noise or clipping (``xp``: NumPy on the
    host, ``jax.numpy`` inside a compiled function)."""
    constant = schedules.SCHEDULE_KINDS.index("constant")
    return xp.all(inputs.schedule.kind == constant) & xp.all(inputs.noise.sigma == 0) & xp.all(inputs.clip.mode == 0)


def compiled(
    optimizer: str,
    surface: str,
    length: int,
    lean: bool = False,
    per_run: tuple[str, ...] | None = None,
    plain: bool | None = None,
):
    """The cached :func:`_compiled` functions (``per_run``: see :func:`_input_axes`; ``plain``: see
    :func:`_compiled`)."""
    per_run = None if per_run is None else tuple(sorted(per_run))
    return _compiled(optimizer, surface, length, bool(lean), per_run, None if plain is None else bool(plain))


@functools.cache
def _compiled(
    optimizer: str, surface: str, length: int, lean: bool, per_run: tuple[str, ...] | None, plain: bool | None
):
    """Jitted ``(first, more)`` over a batch of runs: ``first(θ₀, inputs, sp, into)`` and
    ``more(carry, t0, inputs, sp, into)``.

    Both return a :class:`Chunk` of ``length`` steps, recorded time-major into the donated buffers
    ``into`` (shapes: :func:`record_shapes`), or into new ones when ``into`` is ``None``. The loop runs
    over time with the whole batch in its carry. A plain batch (constant rates, no noise, no clipping:
    :func:`is_plain`) has a loop without those, which costs fewer kernels a step. ``plain=None``
    compiles both loops into one function and a ``cond`` picks one per chunk, so a user toggling those
    never waits for a compilation (``into`` must then be ``None``: XLA would copy donated buffers into
    both branches); ``plain=True`` or ``False`` compiles that loop alone (the runner warms the other
    one in the background). ``lean`` records only θ_t and f(θ_t). ``inputs`` holds per-run (R,) arrays where
    :func:`_input_axes` says so and single values elsewhere.
    """
    spec = OPTIMIZERS[optimizer]
    init, plain_step = _single_run_fns(spec, surface, modified=False)
    _, modified_step = _single_run_fns(spec, surface, modified=True)
    out_axes = StepOutput(1, 0, None if lean else 0, None if lean else 0, None if lean else 1)
    input_axes = _input_axes(spec, per_run)

    def record(out: StepOutput) -> StepOutput:
        return StepOutput(out.theta, out.loss, None, None, None) if lean else out

    def plain_steps(carry, inputs, sp, t0, into):
        def step(c, run_inputs, t):
            c, out = plain_step(c, ((0.0, 0.0), run_inputs.hyper["learning_rate"]), run_inputs, sp, t)
            return c, record(out)._replace(learning_rate=None)  # ε_t = ε₀: filled in after the loop

        carry_axes = _counter_axes(carry)
        step_axes = (carry_axes, out_axes._replace(learning_rate=None))
        batched = jax.vmap(step, in_axes=(carry_axes, input_axes, None), out_axes=step_axes)
        into_steps = None if into is None else into._replace(learning_rate=None)
        carry, out = _scan_into(into_steps, lambda c, i: batched(c, inputs, t0 + i), carry, length)
        if lean:
            return carry, out
        rate = jnp.broadcast_to(inputs.hyper["learning_rate"], out.loss.shape)
        if into is not None:
            rate = jax.lax.dynamic_update_slice(into.learning_rate, rate, (0, 0))
        return carry, out._replace(learning_rate=rate)

    def modified_steps(carry, inputs, sp, t0, into):
        def step(c, xs, run_inputs, t):
            c, out = modified_step(c, xs, run_inputs, sp, t)
            return c, record(out)

        noise = _noise(inputs.noise, per_run is None, t0, length)
        rates = _rates(inputs, input_axes, t0, length)
        xs_axes = (0 if noise.ndim == 3 else None, 0 if rates.ndim == 2 else None)  # per run, or one for the batch
        carry_axes = _counter_axes(carry)
        batched = jax.vmap(step, in_axes=(carry_axes, xs_axes, input_axes, None), out_axes=(carry_axes, out_axes))
        return _scan_into(into, lambda c, i: batched(c, (noise[i], rates[i]), inputs, t0 + i), carry, length)

    def either_steps(carry, inputs, sp, t0, into):
        return jax.lax.cond(is_plain(inputs, jnp), plain_steps, modified_steps, carry, inputs, sp, t0, into)

    steps = either_steps if plain is None else plain_steps if plain else modified_steps

    def more(carry, t0, inputs, sp, into):
        carry, out = steps(carry, inputs, sp, t0, into)
        return Chunk(carry, out, jnp.sum(out.loss, axis=0))

    def first(theta0, inputs, sp, into):
        carry = jax.vmap(init, in_axes=(0, input_axes))(theta0, inputs)
        return more(_share_counters(carry), jnp.int32(0), inputs, sp, into)

    jit = functools.partial(jax.jit, donate_argnames="into", compiler_options=COMPILER_OPTIONS)
    return jit(first), jit(more)


def _scan_into(into: StepOutput | None, body, carry, length: int):
    """``lax.scan(body, carry, jnp.arange(length))`` whose per-step outputs are written into ``into``
    (buffers with a leading time axis of ``length``, donated by the caller) instead of fresh ones, or
    into fresh ones when ``into`` is ``None``.

    A fresh output of XLA:CPU is zero-filled first, one more pass over the whole record (24 MB for a
    4096-run sweep of 512 steps); recycled buffers (:mod:`engine.surface.record_pool`) skip it.
    """
    if into is None:
        return jax.lax.scan(body, carry, jnp.arange(length))

    def step(i, state):
        c, record = state
        c, out = body(c, i)
        return c, jax.tree.map(lambda r, v: jax.lax.dynamic_update_index_in_dim(r, v, i, 0), record, out)

    return jax.lax.fori_loop(0, length, step, (carry, into))


def record_shapes(length: int, runs: int, lean: bool, optimizer: str | None = None) -> StepOutput:
    """Shapes of the buffers a chunk of ``optimizer`` records into (``into`` of :func:`compiled`'s
    functions); without ``optimizer``, those of a rule without step sizes."""
    per_step = None if lean else (length, runs)
    sizes = None if lean or optimizer is None or step_size(optimizer) is None else (length, 2, runs)
    return StepOutput((length, 2, runs), (length, runs), per_step, per_step, sizes)


def chunk_length(steps: int) -> int:
    return next((n for n in CHUNK_LENGTHS if n >= steps), CHUNK_LENGTHS[-1])

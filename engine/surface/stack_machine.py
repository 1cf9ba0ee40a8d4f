r"""A parsed expression (:mod:`engine.surface.expression`) evaluated in JAX by one compiled program.

The program enters as data — a float32 vector holding its length, :data:`MAX_OPS` opcodes and as many
constants (:func:`program_vector`) — so every expression of bounded length runs in the same compiled
function: typing a new expression compiles nothing. A loop over the program's ops keeps a stack of
:data:`~engine.surface.expression.STACK_SIZE` values; ``lax.switch`` on the opcode computes the op from the
top one or two values, and the result is written back outside the switch (so the loop updates the stack in
place instead of copying it in every branch).

Derivatives are carried along rather than taken through the loop: each stack entry is a *jet* — the
value (order 0), with its gradient (order 1), and with its Hessian (order 2) — propagated by the chain
rule op by op (forward mode, Griewank & Walther 2008, ch. 13):

.. math::
    \phi(a):\quad g = \phi'(a)\, g_a,\qquad H = \phi''(a)\, g_a g_a^\top + \phi'(a)\, H_a \\
    ab:\quad g = a\, g_b + b\, g_a,\qquad H = a H_b + b H_a + g_a g_b^\top + g_b g_a^\top

(``a / b`` is ``a · (1/b)``; ``a^b`` with an exponent that does not depend on x and y is
:math:`\phi(a) = a^b`, else :math:`e^{b \ln a}`; min and max take the jet of the side they pick). So the
loop only runs forward, for as many ops as the program has, and :func:`custom_surface` exposes the jets
to JAX's autodiff through two ``custom_jvp`` levels: ``jax.grad`` of the value uses the order-1 pass,
``jax.hessian`` the order-2 pass (one pass gives value and gradient together, as the runner asks for).
Third derivatives are not defined. The program vector itself is not differentiated.

Where the expression is undefined (log of a negative number, 0/0, overflow) the value or a derivative
is NaN or infinite, and the runner reports the run ``diverged`` there as on any surface.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from engine.surface.expression import ARITY, MAX_OPS, OPCODE, STACK_SIZE, Program

VECTOR_LENGTH = 1 + 2 * MAX_OPS


def program_vector(program: Program) -> np.ndarray:
    """``[n_ops, opcode₀ … opcode₁₂₇, constant₀ … constant₁₂₇]`` as float32 (opcodes are small integers,
    exact in float32; unused slots are 0)."""
    vec = np.zeros(VECTOR_LENGTH, np.float32)
    n = len(program.ops)
    vec[0] = n
    vec[1 : 1 + n] = program.ops
    vec[1 + MAX_OPS : 1 + MAX_OPS + n] = program.consts
    return vec


# --- jets: (v,), (v, gx, gy) or (v, gx, gy, hxx, hxy, hyy) -------------------------------------------


def _constant(value, like: tuple) -> tuple:
    zero = jnp.zeros_like(like[0])
    return (value + zero, *([zero] * (len(like) - 1)))


def _variable(value, which: int, like: tuple) -> tuple:
    zero = jnp.zeros_like(like[0])
    if len(like) == 1:
        return (value + zero,)
    one = zero + 1.0
    gradient = (one, zero) if which == 0 else (zero, one)
    return (value + zero, *gradient, *([zero] * (len(like) - 3)))


def _chain(a: tuple, f0, f1=None, f2=None) -> tuple:
    """φ(a) from φ(a), φ'(a), φ''(a) (the values at a's value)."""
    if len(a) == 1:
        return (f0,)
    _, ax, ay, *h = a
    out = (f0, f1 * ax, f1 * ay)
    if not h:
        return out
    hxx, hxy, hyy = h
    return (*out, f2 * ax * ax + f1 * hxx, f2 * ax * ay + f1 * hxy, f2 * ay * ay + f1 * hyy)


def _add(a, b):
    return tuple(p + q for p, q in zip(a, b, strict=True))


def _sub(a, b):
    return tuple(p - q for p, q in zip(a, b, strict=True))


def _neg(a):
    return tuple(-p for p in a)


def _mul(a, b):
    av, bv = a[0], b[0]
    if len(a) == 1:
        return (av * bv,)
    out = (av * bv, av * b[1] + bv * a[1], av * b[2] + bv * a[2])
    if len(a) == 3:
        return out
    (_, ax, ay, axx, axy, ayy), (_, bx, by, bxx, bxy, byy) = a, b
    return (
        *out,
        av * bxx + bv * axx + 2.0 * ax * bx,
        av * bxy + bv * axy + ax * by + ay * bx,
        av * byy + bv * ayy + 2.0 * ay * by,
    )


def _reciprocal(a):
    r = 1.0 / a[0]
    return _chain(a, r, -r * r, 2.0 * r * r * r)


def _div(a, b):
    return _mul(a, _reciprocal(b))


def _log(a):
    v = a[0]
    return _chain(a, jnp.log(v), 1.0 / v, -1.0 / (v * v))


def _exp(a):
    e = jnp.exp(a[0])
    return _chain(a, e, e, e)


def _pow(a, b):
    """a^b: a power function of a where b is constant in x and y (x², x^0.5 at x ≤ 0 as C's pow says),
    else exp(b ln a) (defined for a > 0 only)."""
    av, bv = a[0], b[0]
    if len(a) == 1:
        return (jnp.power(av, bv),)
    power = _chain(a, jnp.power(av, bv), bv * jnp.power(av, bv - 1.0), bv * (bv - 1.0) * jnp.power(av, bv - 2.0))
    general = _exp(_mul(b, _log(a)))
    constant_exponent = functools.reduce(jnp.logical_and, [d == 0 for d in b[1:]])
    return tuple(jnp.where(constant_exponent, p, q) for p, q in zip(power, general, strict=True))


def _pick(condition, a, b):
    return tuple(jnp.where(condition, p, q) for p, q in zip(a, b, strict=True))


def _unary(f0, f1, f2):
    """A branch for φ given φ, φ' and φ'' as functions of the value."""
    return lambda second, top, c, x, y: _chain(top, f0(top[0]), f1(top[0]), f2(top[0]))


def _tan_rule(v):
    t = jnp.tan(v)
    return t, 1.0 + t * t, 2.0 * t * (1.0 + t * t)


def _tanh_rule(v):
    t = jnp.tanh(v)
    return t, 1.0 - t * t, -2.0 * t * (1.0 - t * t)


def _sqrt_rule(v):
    s = jnp.sqrt(v)
    return s, 0.5 / s, -0.25 / (s * v)


def _with_rule(rule):
    def branch(second, top, c, x, y):
        return _chain(top, *rule(top[0]))

    return branch


_BRANCHES = {
    "nop": lambda second, top, c, x, y: top,
    "const": lambda second, top, c, x, y: _constant(c, top),
    "x": lambda second, top, c, x, y: _variable(x, 0, top),
    "y": lambda second, top, c, x, y: _variable(y, 1, top),
    "add": lambda second, top, c, x, y: _add(second, top),
    "sub": lambda second, top, c, x, y: _sub(second, top),
    "mul": lambda second, top, c, x, y: _mul(second, top),
    "div": lambda second, top, c, x, y: _div(second, top),
    "pow": lambda second, top, c, x, y: _pow(second, top),
    "min": lambda second, top, c, x, y: _pick(second[0] <= top[0], second, top),
    "max": lambda second, top, c, x, y: _pick(second[0] >= top[0], second, top),
    "neg": lambda second, top, c, x, y: _neg(top),
    "sin": _unary(jnp.sin, jnp.cos, lambda v: -jnp.sin(v)),
    "cos": _unary(jnp.cos, lambda v: -jnp.sin(v), lambda v: -jnp.cos(v)),
    "tan": _with_rule(_tan_rule),
    "exp": lambda second, top, c, x, y: _exp(top),
    "log": lambda second, top, c, x, y: _log(top),
    "sqrt": _with_rule(_sqrt_rule),
    "abs": _unary(jnp.abs, jnp.sign, jnp.zeros_like),
    "tanh": _with_rule(_tanh_rule),
    "sinh": _unary(jnp.sinh, jnp.cosh, jnp.sinh),
    "cosh": _unary(jnp.cosh, jnp.sinh, jnp.cosh),
}
BRANCHES = tuple(_BRANCHES[name] for name in OPCODE)
_ARITY = np.asarray(ARITY, np.int32)


def run(x, y, program, order: int) -> tuple:
    """The jet of the program's value at (x, y): ``order`` 0 → (v,), 1 → (v, gx, gy), 2 → + (hxx, hxy, hyy)."""
    program = jnp.asarray(program)
    dtype = jnp.result_type(x, y, jnp.float32)
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    n_ops = program[0].astype(jnp.int32)
    ops = program[1 : 1 + MAX_OPS].astype(jnp.int32)
    consts = program[1 + MAX_OPS :].astype(dtype)
    components = (1, 3, 6)[order]
    stack = tuple(jnp.zeros((STACK_SIZE, *jnp.shape(x)), dtype) for _ in range(components))
    arity = jnp.asarray(_ARITY)

    def step(i, state):
        stack, sp = state
        op = ops[i]
        top = tuple(jax.lax.dynamic_index_in_dim(s, jnp.maximum(sp - 1, 0), 0, keepdims=False) for s in stack)
        second = tuple(jax.lax.dynamic_index_in_dim(s, jnp.maximum(sp - 2, 0), 0, keepdims=False) for s in stack)
        result = jax.lax.switch(op, BRANCHES, second, top, consts[i], x, y)
        at = sp - arity[op]
        stack = tuple(
            jax.lax.dynamic_update_index_in_dim(s, r.astype(dtype), at, 0) for s, r in zip(stack, result, strict=True)
        )
        return stack, at + 1

    stack, _ = jax.lax.fori_loop(0, n_ops, step, (stack, jnp.int32(0)))
    return tuple(s[0] for s in stack)


def _batched_run(order: int):
    """:func:`run` of one order, batched by running it on the whole batch at once.

    Under ``vmap`` the stack of each run would become a (runs, stack) array whose every op reads and
    writes a strided column; run on a vector of points the stack is (stack, runs), and an op touches one
    contiguous row (4096 runs: ~5× faster). A batched program (several expressions at once) falls back to
    ``vmap``.
    """

    @jax.custom_batching.custom_vmap
    def batched(x, y, program):
        return run(x, y, program, order)

    @batched.def_vmap
    def _rule(axis_size, in_batched, x, y, program):
        x_batched, y_batched, program_batched = in_batched
        if program_batched:
            axes = (0 if x_batched else None, 0 if y_batched else None, 0)
            out = jax.vmap(lambda x, y, p: run(x, y, p, order), in_axes=axes)(x, y, program)
        else:
            shape = (axis_size, *jnp.shape(x)[1:]) if x_batched else (axis_size, *jnp.shape(y)[1:])
            out = run(jnp.broadcast_to(x, shape), jnp.broadcast_to(y, shape), program, order)
        return out, tuple(True for _ in out)

    return batched


_RUNS = tuple(_batched_run(order) for order in range(3))


@jax.custom_jvp
def value_and_gradient(x, y, program):
    """(f, ∂f/∂x, ∂f/∂y) in one order-1 pass; its derivative (the Hessian) comes from the order-2 pass."""
    return _RUNS[1](x, y, program)


@value_and_gradient.defjvp
def _value_and_gradient_jvp(primals, tangents):
    x, y, program = primals
    tx, ty, _ = tangents
    v, gx, gy, hxx, hxy, hyy = _RUNS[2](x, y, program)
    return (v, gx, gy), (gx * tx + gy * ty, hxx * tx + hxy * ty, hxy * tx + hyy * ty)


@jax.custom_jvp
def value(x, y, program):
    """f at (x, y) (an order-0 pass); ``jax.grad`` and ``jax.hessian`` work through it."""
    return _RUNS[0](x, y, program)[0]


@value.defjvp
def _value_jvp(primals, tangents):
    x, y, program = primals
    tx, ty, _ = tangents
    v, gx, gy = value_and_gradient(x, y, program)
    return v, gx * tx + gy * ty


def custom_surface(xy, p):
    """The surface signature of :mod:`engine.surface.surfaces`: ``p`` is a :func:`program_vector`."""
    return value(xy[0], xy[1], p)


@jax.jit
def value_and_gradient_at(point, program):
    """f and ∇f at one point (a validation check: is the expression defined at a start?)."""
    v, gx, gy = run(point[0], point[1], program, 1)
    return v, jnp.stack([gx, gy])

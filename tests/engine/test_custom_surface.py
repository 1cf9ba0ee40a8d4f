"""Custom expression surfaces: the stack machine against NumPy, its derivatives against finite differences,
Rosenbrock typed as an expression against the built-in one, and no compilation for a new expression."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS
from engine.surface import runner, stack_machine
from engine.surface.curvature import point_curvature
from engine.surface.runner import RunConfig, simulate, sweep
from engine.surface.surfaces import CUSTOM, custom_surface, get_surface
from engine.surface.sweep_summary import summarize_sweep
from tests.engine.compile_counter import CompileCounter

ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"

# (expression, the same function in NumPy, a box where it is defined and smooth)
CASES = [
    ("x + y", lambda x, y: x + y, (-2, 2)),
    ("x - y - 1", lambda x, y: x - y - 1, (-2, 2)),
    ("x*y/2", lambda x, y: x * y / 2, (-2, 2)),
    ("x/(1 + y^2)", lambda x, y: x / (1 + y**2), (-2, 2)),
    ("-x^2 + 3*y^3", lambda x, y: -(x**2) + 3 * y**3, (-2, 2)),
    ("2^x^2", lambda x, y: 2 ** (x**2), (-1.5, 1.5)),
    ("x^y", lambda x, y: x**y, (0.5, 2)),
    ("(x^2 + y^2)^0.5", lambda x, y: (x**2 + y**2) ** 0.5, (0.5, 2)),
    ("x^-2 + y^-1", lambda x, y: x**-2.0 + y**-1.0, (0.5, 2)),
    ("sin(x)*cos(y)", lambda x, y: np.sin(x) * np.cos(y), (-3, 3)),
    ("tan(x/2) + y", lambda x, y: np.tan(x / 2) + y, (-2, 2)),
    ("exp(-(x^2 + y^2))", lambda x, y: np.exp(-(x**2 + y**2)), (-2, 2)),
    ("log(1 + x^2 + y^2)", lambda x, y: np.log(1 + x**2 + y**2), (-2, 2)),
    ("sqrt(1 + x^2) * y", lambda x, y: np.sqrt(1 + x**2) * y, (-2, 2)),
    ("abs(x) + abs(y - 0.1)", lambda x, y: np.abs(x) + np.abs(y - 0.1), (0.2, 2)),
    ("tanh(x)*sinh(y) + cosh(x - y)", lambda x, y: np.tanh(x) * np.sinh(y) + np.cosh(x - y), (-2, 2)),
    ("min(x^2, y) + max(x, y^2)", lambda x, y: np.minimum(x**2, y) + np.maximum(x, y**2), (-2, 2)),
    ("pi*x + e*y", lambda x, y: np.pi * x + np.e * y, (-2, 2)),
    (ROSENBROCK, lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, (-2, 2)),
    (
        "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",  # Beale
        lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
        (-2, 2),
    ),
    (
        "20 + x^2 + y^2 - 10*(cos(2*pi*x) + cos(2*pi*y))",  # Rastrigin
        lambda x, y: 20 + x**2 + y**2 - 10 * (np.cos(2 * np.pi * x) + np.cos(2 * np.pi * y)),
        (-2, 2),
    ),
    ("--x * +y - -(x)", lambda x, y: x * y + x, (-2, 2)),
]


def _program(text):
    return jnp.asarray(get_surface(CUSTOM, {"expression": text}).param_vector())


def _points(box, rng, n=12):
    low, high = box
    points = rng.uniform(low, high, size=(n, 2))
    return points[np.all(np.abs(points[:, :1]) > 1e-3, axis=1)]  # away from kinks at 0 (abs, min, max)


_value = jax.jit(stack_machine.custom_surface)
_gradient = jax.jit(jax.grad(stack_machine.custom_surface))
_hessian = jax.jit(jax.hessian(stack_machine.custom_surface))


@pytest.mark.parametrize("text, reference, box", CASES, ids=[c[0] for c in CASES])
def test_values_gradients_and_hessians_match_numpy_and_finite_differences(text, reference, box):
    p = _program(text)
    rng = np.random.default_rng(len(text))
    h = 1e-4

    def fd_gradient(x, y):
        return np.array(
            [
                (reference(x + h, y) - reference(x - h, y)) / (2 * h),
                (reference(x, y + h) - reference(x, y - h)) / (2 * h),
            ]
        )

    for x, y in _points(box, rng):
        expected = reference(x, y)
        assert float(_value(jnp.array([x, y], jnp.float32), p)) == pytest.approx(expected, rel=2e-5, abs=1e-5)
        gradient = np.asarray(_gradient(jnp.array([x, y], jnp.float32), p))
        scale = max(1.0, np.max(np.abs(fd_gradient(x, y))))
        np.testing.assert_allclose(gradient, fd_gradient(x, y), rtol=1e-3, atol=1e-4 * scale, err_msg=text)
        hessian = np.asarray(_hessian(jnp.array([x, y], jnp.float32), p))
        fd_hessian = np.stack(
            [
                (fd_gradient(x + h, y) - fd_gradient(x - h, y)) / (2 * h),
                (fd_gradient(x, y + h) - fd_gradient(x, y - h)) / (2 * h),
            ]
        )
        scale = max(1.0, np.max(np.abs(fd_hessian)))
        np.testing.assert_allclose(hessian, fd_hessian, rtol=2e-3, atol=2e-3 * scale, err_msg=text)
        np.testing.assert_allclose(hessian, hessian.T, rtol=1e-6, atol=1e-6)


def test_batched_evaluation_equals_one_point_at_a_time():
    """The stack machine's batching rule (a vector of points) against evaluating each point alone."""
    p = _program("sin(x)*y^2 + min(x, y)")
    points = jnp.asarray(np.random.default_rng(0).uniform(-2, 2, size=(64, 2)), jnp.float32)
    batched = jax.jit(jax.vmap(jax.value_and_grad(stack_machine.custom_surface), in_axes=(0, None)))(points, p)
    for k in range(0, 64, 9):
        alone = jax.value_and_grad(stack_machine.custom_surface)(points[k], p)
        np.testing.assert_allclose(batched[0][k], alone[0], rtol=1e-6)
        np.testing.assert_allclose(batched[1][k], alone[1], rtol=1e-6)
    several = jnp.stack([_program("x + y"), _program("x * y")])
    both = jax.vmap(stack_machine.custom_surface, in_axes=(None, 0))(jnp.array([2.0, 3.0]), several)
    np.testing.assert_allclose(both, [5.0, 6.0])


@pytest.mark.parametrize(
    "optimizer, hp",
    [
        ("sgd", {"learning_rate": 1e-3}),
        ("momentum", {"learning_rate": 1e-3, "momentum": 0.9}),
        ("adam", {"learning_rate": 0.05}),
        ("newton", {"learning_rate": 1.0}),
    ],
)
def test_rosenbrock_typed_as_an_expression_runs_like_the_built_in_one(optimizer, hp):
    start, steps = (-1.5, 2.0), 300
    hp = {**OPTIMIZERS[optimizer].defaults, **hp}
    params = {"expression": ROSENBROCK, "domain": ((-2.0, 2.0), (-1.0, 3.0))}
    (typed,) = simulate(CUSTOM, params, start, [RunConfig(optimizer, hp)], steps)
    (built_in,) = simulate("rosenbrock", None, start, [RunConfig(optimizer, hp)], steps)
    assert typed.status == built_in.status == "ok"
    # Newton's first steps leap across the valley, where its near-singular Hessian amplifies float32 rounding
    # (the two Hessians are the same function computed in a different order): looser there.
    rtol, atol = (2e-3, 1e-3) if optimizer == "newton" else (1e-4, 1e-5)
    np.testing.assert_allclose(typed.points, built_in.points, rtol=rtol, atol=1e-5)
    np.testing.assert_allclose(typed.loss, built_in.loss, rtol=10 * rtol, atol=1e-6)
    np.testing.assert_allclose(typed.grad_norm, built_in.grad_norm, rtol=10 * rtol, atol=atol)


def test_curvature_of_the_typed_rosenbrock_is_the_built_in_ones():
    for point in ((-1.5, 2.0), (1.0, 1.0), (0.3, -0.4)):
        typed = point_curvature(CUSTOM, {"expression": ROSENBROCK}, point, 1e-3)
        built_in = point_curvature("rosenbrock", None, point, 1e-3)
        np.testing.assert_allclose(typed.hessian, built_in.hessian, rtol=1e-5)
        np.testing.assert_allclose(typed.gradient, built_in.gradient, rtol=1e-5, atol=1e-5)
        assert typed.kind == built_in.kind


def test_an_undefined_value_on_the_path_is_a_divergence():
    """log(x) + y²: descent walks x towards 0 and past it, where log is NaN: the run diverges there."""
    (run,) = simulate(
        CUSTOM, {"expression": "log(x) + y^2"}, (0.5, 0.5), [RunConfig("sgd", {"learning_rate": 0.1})], 50
    )
    assert run.status == "diverged" and 0 < run.diverged_at < 50
    assert "NaN or infinite" in run.reason
    assert np.all(np.isfinite(run.points)) and np.all(np.isfinite(run.loss)) and np.all(run.points[:, 0] > 0)


def test_custom_domains_and_default_start():
    s = custom_surface("x^2 + y^2", ((-1.0, 3.0), (0.0, 10.0)))
    assert s.domain == ((-1.0, 3.0), (0.0, 10.0)) and s.default_start == pytest.approx((-0.2, 8.0))
    assert get_surface(CUSTOM).default_start == pytest.approx((-1.2, 1.2))
    for bad in (((1.0, 1.0), (0.0, 1.0)), ((2.0, 1.0), (0.0, 1.0)), ((0.0, 1.0), (0.0, 2e4)), ((0.0, np.inf), (0, 1))):
        with pytest.raises(ValueError):
            custom_surface("x", bad)


EXPRESSIONS = [
    "x^2 + y^2",
    "x^2 + 10*y^2",
    ROSENBROCK,
    "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "x^2 - y^2",
    "x^3 - 3*x*y^2",
    "sin(x) + cos(y)",
    "exp(x/4) + y^2",
    "log(1 + x^2) + abs(y)",
    "sqrt(1 + x^2 + y^2)",
    "tanh(x)^2 + sinh(y/2)^2",
    "cosh(x/2) + y^4",
    "min(x^2, 1) + max(y, -1)^2",
    "(x - pi)^2 + (y - e)^2",
    "x*y + x^2/3 + y^2/5",
    "20 + x^2 + y^2 - 10*(cos(2*pi*x) + cos(2*pi*y))",
    "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2",
    "0.1*x^2 + 0.5*y^2 + 10/(1 + exp(20*(x + 1)))",
    "abs(x)^1.5 + y^2 - x",
    "((x + 1)*(x - 1))^2 + y^2",
]


def test_twenty_new_expressions_compile_nothing():
    """The program is data: after one expression has run, others of any shape reuse every compiled function
    (trajectories, a sweep, the grid's surface function, curvature, the start check)."""
    assert len(set(EXPRESSIONS)) == 20
    start = np.array([-1.2, 1.2], np.float32)
    configs = [
        RunConfig("momentum", {"learning_rate": 1e-3, "momentum": 0.9}),
        RunConfig("adam", {**OPTIMIZERS["adam"].defaults, "learning_rate": 0.01}),
    ]
    grid_fn = jax.jit(jax.vmap(stack_machine.custom_surface, in_axes=(0, None)))
    points = np.random.default_rng(1).uniform(-2, 2, size=(100, 2)).astype(np.float32)
    starts = np.repeat(start[None], 16, axis=0)
    rates = {"learning_rate": np.geomspace(1e-4, 1e-2, 16)}

    def everything(text):
        params = {"expression": text}
        simulate(CUSTOM, params, start, configs, 100)
        summarize_sweep(CUSTOM, params, starts, configs[0], rates, 100, 1e-3)
        sweep(CUSTOM, params, starts, configs[1], {"learning_rate": np.geomspace(1e-3, 1e-1, 16)}, 100)
        jax.block_until_ready(grid_fn(points, _program(text)))
        point_curvature(CUSTOM, params, (0.5, 0.5), 0.01)
        stack_machine.value_and_gradient_at(start, _program(text))

    everything("x + y")
    runner.wait_for_warm_ups()
    with CompileCounter() as counter:
        for text in EXPRESSIONS:
            everything(text)
    assert counter.count == 0

r"""Two-dimensional loss surfaces: each a JAX function with its formula, domain and known minima.

Every surface has the signature ``f(xy, p) -> scalar`` where ``xy`` is a point of the plane — a length-2
array, or an ``(x, y)`` pair of scalars as the runner passes it (every surface reads ``xy[0]`` and
``xy[1]``, so batched runs stay elementwise) — and ``p`` a
length-:data:`MAX_SURFACE_PARAMS` float32 vector of surface parameters (unused entries are ignored).
Surface parameters are traced values, so changing the condition number of the quadratic never
recompiles a runner.

Besides the built-in :data:`SURFACES` (the catalog) there is ``custom``: a formula typed by the user
(:mod:`engine.surface.expression`) over a domain of their choosing. Its parameter vector is the parsed
program (:func:`engine.surface.stack_machine.program_vector`) and its function the stack machine that
runs it, so every expression shares the compiled functions of the name ``custom``.
:func:`get_surface` finds either kind by name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from engine.surface import stack_machine
from engine.surface.expression import Program, parse_expression

MAX_SURFACE_PARAMS = 2

SurfaceFn = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]


@dataclass(frozen=True)
class SurfaceParam:
    """One slider of a surface (e.g. the quadratic's condition number)."""

    name: str
    title: str
    default: float
    min: float
    max: float
    scale: str = "linear"


@dataclass(frozen=True)
class Surface:
    """A loss surface as the catalog and the runner see it."""

    name: str
    title: str
    latex: str
    fn: SurfaceFn
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[tuple[float, float], ...]
    default_start: tuple[float, float]
    description: str
    params: tuple[SurfaceParam, ...] = field(default_factory=tuple)
    log_levels: bool = True

    def param_vector(self, values: dict[str, float] | None = None) -> np.ndarray:
        """Surface parameters as the fixed-length float32 vector the JAX function takes."""
        values = values or {}
        vec = np.zeros(MAX_SURFACE_PARAMS, np.float32)
        for i, p in enumerate(self.params):
            vec[i] = values.get(p.name, p.default)
        return vec


def _quadratic(xy, p):
    r"""Rotated ill-conditioned quadratic.

    .. math:: f = \tfrac12 (u^2 + \kappa v^2),\quad
        \begin{pmatrix}u\\v\end{pmatrix} = R(\theta)^\top \begin{pmatrix}x\\y\end{pmatrix}

    The Hessian has eigenvalues 1 and κ, so κ is its condition number.
    """
    kappa, theta = p[0], p[1]
    c, s = jnp.cos(theta), jnp.sin(theta)
    u = c * xy[0] + s * xy[1]
    v = -s * xy[0] + c * xy[1]
    return 0.5 * (u**2 + kappa * v**2)


def _rosenbrock(xy, p):
    return (1.0 - xy[0]) ** 2 + 100.0 * (xy[1] - xy[0] ** 2) ** 2


def _beale(xy, p):
    x, y = xy[0], xy[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(xy, p):
    x, y = xy[0], xy[1]
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def _saddle(xy, p):
    return xy[0] ** 2 - xy[1] ** 2


def _monkey_saddle(xy, p):
    return xy[0] ** 3 - 3.0 * xy[0] * xy[1] ** 2


def _rastrigin(xy, p):
    x, y = xy[0], xy[1]
    return 20.0 + x**2 + y**2 - 10.0 * (jnp.cos(2.0 * jnp.pi * x) + jnp.cos(2.0 * jnp.pi * y))


def _sigmoid(z):
    # jax.nn.sigmoid, not 1/(1+exp(-z)): the naive form's gradient is inf/inf = NaN once exp(-z) overflows
    # (z < -88 in float32), e.g. on the cliff for x > 3.4 after an unclipped step.
    return jax.nn.sigmoid(z)


def _cliff(xy, p):
    r"""A gentle bowl whose upper terrace ends in a cliff of height 10 at x = −1.

    .. math:: f = 0.1x^2 + 0.5y^2 + 10\,\sigma(-20(x+1))

    On the cliff face the gradient reaches 50: one unclipped step of size 0.1 flings the point
    about five units past the minimum; clipping the gradient norm keeps it on the ground.
    """
    x, y = xy[0], xy[1]
    return 0.1 * x**2 + 0.5 * y**2 + 10.0 * _sigmoid(-20.0 * (x + 1.0))


def _plateau(xy, p):
    r"""A hill between an asymptote and a deep basin (Goodfellow et al., §8.2.7).

    .. math:: f = \sigma(2x)\,\big((x-3)^2 - 2\big) + 0.5y^2

    Left of the hill the loss falls monotonically towards the asymptote 0 as x → −∞ (no minimum
    there); the global minimum, f ≈ −2, lies in the basin near x = 3 on the other side of the hill.
    """
    x, y = xy[0], xy[1]
    return _sigmoid(2.0 * x) * ((x - 3.0) ** 2 - 2.0) + 0.5 * y**2


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            name="quadratic",
            title="Ill-conditioned quadratic",
            latex=r"f(x,y)=\tfrac{1}{2}\left(u^{2}+\kappa v^{2}\right),\;"
            r"(u,v)=R(\theta)^{\top}(x,y)",
            fn=_quadratic,
            domain=((-2.0, 2.0), (-2.0, 2.0)),
            minima=((0.0, 0.0),),
            default_start=(-1.6, 1.2),
            description="A long narrow valley: the condition number κ is the ratio of its curvatures.",
            params=(
                SurfaceParam("kappa", "condition number κ", 10.0, 1.0, 100.0, "log"),
                SurfaceParam("theta", "rotation θ (rad)", 0.0, 0.0, float(np.pi)),
            ),
        ),
        Surface(
            name="rosenbrock",
            title="Rosenbrock",
            latex=r"f(x,y)=(1-x)^{2}+100\left(y-x^{2}\right)^{2}",
            fn=_rosenbrock,
            domain=((-2.0, 2.0), (-1.0, 3.0)),
            minima=((1.0, 1.0),),
            default_start=(-1.5, 2.0),
            description="A curved banana valley: easy to reach, slow to follow to the minimum at (1, 1).",
        ),
        Surface(
            name="beale",
            title="Beale",
            latex=r"f(x,y)=(1.5-x+xy)^{2}+(2.25-x+xy^{2})^{2}+(2.625-x+xy^{3})^{2}",
            fn=_beale,
            domain=((-4.5, 4.5), (-4.5, 4.5)),
            minima=((3.0, 0.5),),
            default_start=(1.0, 1.5),
            description="Flat plateaus and sharp ridges around one minimum at (3, 0.5).",
        ),
        Surface(
            name="himmelblau",
            title="Himmelblau",
            latex=r"f(x,y)=(x^{2}+y-11)^{2}+(x+y^{2}-7)^{2}",
            fn=_himmelblau,
            domain=((-5.0, 5.0), (-5.0, 5.0)),
            minima=((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
            default_start=(-0.3, -0.9),
            description="Four equally deep minima: where you start decides where you end.",
        ),
        Surface(
            name="saddle",
            title="Saddle",
            latex=r"f(x,y)=x^{2}-y^{2}",
            fn=_saddle,
            domain=((-2.0, 2.0), (-2.0, 2.0)),
            minima=(),
            default_start=(-1.8, 0.01),
            description="A saddle point at the origin; the loss is unbounded below along y.",
            log_levels=False,
        ),
        Surface(
            name="monkey_saddle",
            title="Monkey saddle",
            latex=r"f(x,y)=x^{3}-3xy^{2}",
            fn=_monkey_saddle,
            domain=((-1.5, 1.5), (-1.5, 1.5)),
            minima=(),
            default_start=(1.2, 0.05),
            description="A degenerate saddle (zero Hessian at the origin) with three valleys going down.",
            log_levels=False,
        ),
        Surface(
            name="rastrigin",
            title="Rastrigin",
            latex=r"f(x,y)=20+\sum_{i\in\{x,y\}}\left(i^{2}-10\cos 2\pi i\right)",
            fn=_rastrigin,
            domain=((-5.12, 5.12), (-5.12, 5.12)),
            minima=((0.0, 0.0),),
            default_start=(3.2, 2.4),
            description="A bowl covered in local minima: plain descent stops in the nearest dimple.",
        ),
        Surface(
            name="cliff",
            title="Cliff",
            latex=r"f(x,y)=0.1x^{2}+0.5y^{2}+10\,\sigma\!\left(-20(x+1)\right)",
            fn=_cliff,
            domain=((-4.0, 6.0), (-2.0, 2.0)),
            minima=((0.0, 0.0),),
            default_start=(-1.0, 1.2),  # on the cliff face, where the gradient is 50
            description="A gentle terrace ending in a cliff: an unclipped step on the cliff face is flung "
            "far away; gradient clipping keeps it close.",
        ),
        Surface(
            name="plateau",
            title="Asymptote and hill",
            latex=r"f(x,y)=\sigma(2x)\left((x-3)^{2}-2\right)+0.5y^{2}",
            fn=_plateau,
            domain=((-4.0, 6.0), (-2.0, 2.0)),
            minima=((3.004897, 0.0),),
            default_start=(-0.6, 1.0),
            description="Descent from the left slides forever towards an asymptote; the deep basin lies over the hill.",
            log_levels=False,
        ),
    )
}

CUSTOM = "custom"
DEFAULT_EXPRESSION = "(1 - x)^2 + 100*(y - x^2)^2"
DEFAULT_DOMAIN = ((-2.0, 2.0), (-2.0, 2.0))
MAX_DOMAIN = 1e4  # |bound| of a custom domain (a start is within ±1e4 too)


@dataclass(frozen=True)
class CustomSurface(Surface):
    """A typed formula over a chosen domain; its parameter vector is its program."""

    program: Program | None = None

    def param_vector(self, values: dict | None = None) -> np.ndarray:
        return stack_machine.program_vector(self.program)


def custom_start(domain) -> tuple[float, float]:
    """A custom surface's default start: a fifth of the way in from the domain's upper-left corner (not its
    centre, where a symmetric bowl has its minimum)."""
    (x0, x1), (y0, y1) = domain
    return (x0 + 0.2 * (x1 - x0), y1 - 0.2 * (y1 - y0))


@functools.lru_cache(maxsize=256)
def custom_surface(expression: str, domain=DEFAULT_DOMAIN) -> CustomSurface:
    """The surface of ``expression`` over ``domain`` ((x_low, x_high), (y_low, y_high)); raises
    :class:`~engine.surface.expression.ExpressionError` for an expression outside the grammar and
    ``ValueError`` for a domain that is empty, reversed or beyond ±:data:`MAX_DOMAIN`."""
    domain = tuple((float(low), float(high)) for low, high in domain)
    if len(domain) != 2 or any(
        not (np.isfinite(low) and np.isfinite(high) and -MAX_DOMAIN <= low < high <= MAX_DOMAIN) for low, high in domain
    ):
        raise ValueError(f"a domain is [[x_low, x_high], [y_low, y_high]] with low < high within ±{MAX_DOMAIN:g}")
    program = parse_expression(expression)
    return CustomSurface(
        name=CUSTOM,
        title=f"f(x, y) = {expression}",
        latex=f"f(x,y)={expression}",
        fn=stack_machine.custom_surface,
        domain=domain,
        minima=(),
        default_start=custom_start(domain),
        description="A formula typed by the user.",
        log_levels=False,
        program=program,
    )


def get_surface(name: str, params: dict | None = None) -> Surface:
    """The built-in surface ``name``, or for ``custom`` the surface of ``params["expression"]`` over
    ``params["domain"]`` (the default Rosenbrock formula over :data:`DEFAULT_DOMAIN` when absent: its
    function and compiled programs are those of every custom expression)."""
    if name == CUSTOM:
        params = params or {}
        return custom_surface(params.get("expression", DEFAULT_EXPRESSION), _domain_key(params.get("domain")))
    return SURFACES[name]


def _domain_key(domain) -> tuple:
    return DEFAULT_DOMAIN if domain is None else tuple(tuple(float(v) for v in axis) for axis in domain)

r"""Activation functions for the network lab.

Every activation is a pure function ``apply(x, params) -> y`` where ``params`` maps parameter names
(e.g. ``"alpha"``) to scalar arrays. Parameters are *traced* values, so changing them inside a jitted
training step never triggers a recompilation; only the activation *name* is static.

Each :class:`ActivationSpec` also carries:

* ``latex`` / ``derivative_latex`` -- the formula and its derivative, for display;
* ``hist_range`` -- the natural range used for fixed activation-histogram edges. For bounded
  activations (sigmoid, tanh) it is the exact output range; for unbounded ones it is a convention
  and values outside are clipped into the edge bins (see :func:`engine.network.stats.histogram_fixed`);
* ``bounded`` / ``nonnegative`` -- whether the output range is finite / lies in :math:`[0, \infty)`;
* ``is_relu_family`` -- whether the unit can *die* (output stuck in its flat zero region for every
  input), which is what the dead-unit fraction statistic measures.

References:
  Glorot, Bordes & Bengio, *Deep Sparse Rectifier Neural Networks*, AISTATS 2011 (ReLU).
  Maas, Hannun & Ng, *Rectifier Nonlinearities Improve Neural Network Acoustic Models*, 2013 (leaky ReLU).
  Clevert, Unterthiner & Hochreiter, *Fast and Accurate Deep Network Learning by ELUs*, ICLR 2016.
  Klambauer et al., *Self-Normalizing Neural Networks*, NeurIPS 2017 (SELU).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array
ActivationFn = Callable[[Array, Mapping[str, Array]], Array]

SELU_ALPHA = 1.6732632423543772
SELU_LAMBDA = 1.0507009873554805


@dataclass(frozen=True)
class ParamSpec:
    """A tunable scalar parameter: default value and the allowed [min, max] interval."""

    default: float
    min: float
    max: float
    description: str = ""


@dataclass(frozen=True)
class ActivationSpec:
    """Registry entry describing one activation function."""

    name: str
    title: str
    latex: str
    derivative_latex: str
    apply: ActivationFn
    hist_range: tuple[float, float]
    bounded: bool
    nonnegative: bool
    is_relu_family: bool
    params: dict[str, ParamSpec] = field(default_factory=dict)


def sigmoid(x: Array, params: Mapping[str, Array] | None = None) -> Array:
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, output in :math:`(0, 1)`."""
    del params
    return jax.nn.sigmoid(x)


def tanh(x: Array, params: Mapping[str, Array] | None = None) -> Array:
    r"""Hyperbolic tangent :math:`\tanh(x) = 2\sigma(2x) - 1`, output in :math:`(-1, 1)`."""
    del params
    return jnp.tanh(x)


def relu(x: Array, params: Mapping[str, Array] | None = None) -> Array:
    r"""Rectified linear unit :math:`\max(0, x)`."""
    del params
    return jax.nn.relu(x)


def leaky_relu(x: Array, params: Mapping[str, Array] | None = None) -> Array:
    r"""Leaky ReLU :math:`\max(\alpha x, x)` for :math:`0 \le \alpha < 1` (default :math:`\alpha = 0.01`)."""
    alpha = _param(params, "alpha", 0.01)
    return jnp.where(x >= 0, x, alpha * x)


def elu(x: Array, params: Mapping[str, Array] | None = None) -> Array:
    r"""Exponential linear unit.

    .. math::
      \mathrm{ELU}(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}

    Output in :math:`(-\alpha, \infty)`; default :math:`\alpha = 1`.
    """
    alpha = _param(params, "alpha", 1.0)
    return jax.nn.elu(x, alpha)


def selu(x: Array, params: Mapping[str, Array] | None = None) -> Array:
    r"""Scaled ELU with the fixed self-normalising constants of Klambauer et al. (2017).

    .. math::
      \mathrm{SELU}(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases},
      \quad \lambda \approx 1.0507,\ \alpha \approx 1.6733
    """
    del params
    return jax.nn.selu(x)


def linear(x: Array, params: Mapping[str, Array] | None = None) -> Array:
    r"""Identity :math:`f(x) = x` (a deep linear network is still a linear map)."""
    del params
    return x


def _param(params: Mapping[str, Array] | None, name: str, default: float) -> Array:
    if params is None or name not in params:
        return jnp.asarray(default, jnp.float32)
    return jnp.asarray(params[name], jnp.float32)


ACTIVATIONS: dict[str, ActivationSpec] = {
    "sigmoid": ActivationSpec(
        name="sigmoid",
        title="Sigmoid",
        latex=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        derivative_latex=r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x)) \le \tfrac{1}{4}",
        apply=sigmoid,
        hist_range=(0.0, 1.0),
        bounded=True,
        nonnegative=True,
        is_relu_family=False,
    ),
    "tanh": ActivationSpec(
        name="tanh",
        title="Tanh",
        latex=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        derivative_latex=r"\tanh'(x) = 1 - \tanh^2(x)",
        apply=tanh,
        hist_range=(-1.0, 1.0),
        bounded=True,
        nonnegative=False,
        is_relu_family=False,
    ),
    "relu": ActivationSpec(
        name="relu",
        title="ReLU",
        latex=r"\mathrm{ReLU}(x) = \max(0, x)",
        derivative_latex=r"\mathrm{ReLU}'(x) = \mathbb{1}[x > 0]",
        apply=relu,
        hist_range=(0.0, 4.0),
        bounded=False,
        nonnegative=True,
        is_relu_family=True,
    ),
    "leaky_relu": ActivationSpec(
        name="leaky_relu",
        title="Leaky ReLU",
        latex=r"\mathrm{LeakyReLU}(x) = \max(\alpha x, x)",
        derivative_latex=r"\begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}",
        apply=leaky_relu,
        hist_range=(-1.0, 4.0),
        bounded=False,
        nonnegative=False,
        is_relu_family=True,
        params={"alpha": ParamSpec(0.01, 0.0, 0.5, "slope for x < 0")},
    ),
    "elu": ActivationSpec(
        name="elu",
        title="ELU",
        latex=r"\mathrm{ELU}(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
        derivative_latex=r"\begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
        apply=elu,
        hist_range=(-2.0, 4.0),
        bounded=False,
        nonnegative=False,
        is_relu_family=False,
        params={"alpha": ParamSpec(1.0, 0.01, 3.0, "saturation value -alpha for x -> -inf")},
    ),
    "selu": ActivationSpec(
        name="selu",
        title="SELU",
        latex=(
            r"\mathrm{SELU}(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 "
            r"\end{cases},\ \lambda \approx 1.0507,\ \alpha \approx 1.6733"
        ),
        derivative_latex=r"\lambda \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
        apply=selu,
        hist_range=(-2.0, 4.0),
        bounded=False,
        nonnegative=False,
        is_relu_family=False,
    ),
    "linear": ActivationSpec(
        name="linear",
        title="Linear (identity)",
        latex=r"f(x) = x",
        derivative_latex=r"f'(x) = 1",
        apply=linear,
        hist_range=(-4.0, 4.0),
        bounded=False,
        nonnegative=False,
        is_relu_family=False,
    ),
}


def get_activation(name: str) -> ActivationSpec:
    """Look up an activation by name; raises ``KeyError`` listing the valid names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise KeyError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}") from None


def resolve_params(name: str, overrides: Mapping[str, float | Array] | None = None) -> dict[str, Array]:
    """Defaults of ``name``'s parameters, updated by ``overrides``, as float32 scalars (:func:`as_float32`).

    Unknown override keys raise ``KeyError``. Values are not clipped (they may be tracers).
    """
    spec = get_activation(name)
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(spec.params)
    if unknown:
        raise KeyError(f"activation {name!r} has no parameter(s) {sorted(unknown)}")
    return {key: as_float32(overrides.get(key, p.default)) for key, p in spec.params.items()}


def as_float32(value: float | Array) -> Array:
    """A float32 scalar: a NumPy one for a number (converting it with ``jnp`` would run, and the first
    time compile, a device op), a JAX one for an array or a tracer."""
    return jnp.asarray(value, jnp.float32) if isinstance(value, jax.Array) else np.float32(value)


def apply_activation(name: str, x: Array, params: Mapping[str, Array] | None = None) -> Array:
    """Apply the activation ``name`` (static) with traced ``params`` to ``x``."""
    return get_activation(name).apply(x, params or {})

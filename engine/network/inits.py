r"""Weight initialisers for dense layers.

Every initialiser has the signature ``init(key, fan_in, fan_out, params) -> W`` with ``W`` of shape
``(fan_in, fan_out)`` (the layer computes :math:`z = x W + b`). ``fan_in``/``fan_out`` are static Python
ints; ``params`` maps names to scalar arrays that may be traced, so moving a slider never recompiles.

The variance-scaling family keeps the variance of activations (forward) or gradients (backward)
roughly constant from layer to layer:

.. math::
  \mathrm{Var}[z_j] = n_\text{in}\,\mathrm{Var}[W_{ij}]\,\mathbb{E}[x_i^2]

* Xavier / Glorot (Glorot & Bengio, 2010): :math:`\mathrm{Var}[W] = 2 / (n_\text{in} + n_\text{out})`,
  a compromise between the forward (:math:`1/n_\text{in}`) and backward (:math:`1/n_\text{out}`)
  conditions for a linear / tanh network around 0.
* He / Kaiming (He et al., 2015): :math:`\mathrm{Var}[W] = 2 / n_\text{in}`; the factor 2 compensates
  ReLU zeroing half of its inputs (:math:`\mathbb{E}[\mathrm{relu}(z)^2] = \mathrm{Var}[z]/2`).
* LeCun (LeCun et al., 1998): :math:`\mathrm{Var}[W] = 1 / n_\text{in}`.

Note that ``jax.nn.initializers.{glorot,he,lecun}_normal`` draw from a *truncated* normal; here the
``*_normal`` initialisers are plain normals with exactly the stated standard deviation
(``variance_scaling(..., "normal")``). The uniform variants are ``jax.nn.initializers`` as is.

References:
  Glorot & Bengio, *Understanding the difficulty of training deep feedforward neural networks*,
  AISTATS 2010.
  He, Zhang, Ren & Sun, *Delving Deep into Rectifiers*, ICCV 2015.
  LeCun, Bottou, Orr & Mueller, *Efficient BackProp*, 1998.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from engine.network.activations import ParamSpec, as_float32

Array = jax.Array
# (fan_in, fan_out, params) -> (a, b, c) of W = a N + b U + c
Coefficients = Callable[[Array, Array, Mapping[str, Array]], tuple]

_DTYPE = jnp.float32


@dataclass(frozen=True)
class InitSpec:
    """Registry entry describing one initialiser: ``coefficients`` gives its :math:`(a, b, c)`."""

    name: str
    title: str
    latex: str
    coefficients: Coefficients
    params: dict[str, ParamSpec] = field(default_factory=dict)
    reference: str = ""


def _normal(std):
    r""":math:`\mathcal{N}(0, \sigma^2) = \sigma N`."""
    return std, 0.0, 0.0


def _uniform(limit):
    r"""Symmetric :math:`\mathcal{U}[-r, r] = 2r\,U - r`."""
    return 0.0, 2.0 * limit, -limit


_GLOROT = "Glorot & Bengio, AISTATS 2010"
_HE = "He et al., ICCV 2015"

INITS: dict[str, InitSpec] = {
    "zeros": InitSpec(
        "zeros",
        "Zeros",
        r"W_{ij} = 0",
        lambda fi, fo, p: (0.0, 0.0, 0.0),  # every unit computes the same function: symmetry never breaks
    ),
    "constant": InitSpec(
        "constant",
        "Constant",
        r"W_{ij} = c",
        lambda fi, fo, p: (0.0, 0.0, p["value"]),  # like zeros, all units stay identical
        {"value": ParamSpec(0.1, -1.0, 1.0, "the constant c")},
    ),
    "normal": InitSpec(
        "normal",
        "Normal",
        r"W_{ij} \sim \mathcal{N}(0, \sigma^2)",
        lambda fi, fo, p: _normal(p["std"]),
        {"std": ParamSpec(0.01, 0.0, 3.0, "standard deviation sigma")},
    ),
    "uniform": InitSpec(
        "uniform",
        "Uniform",
        r"W_{ij} \sim \mathcal{U}[a, b]",
        lambda fi, fo, p: (0.0, p["high"] - p["low"], p["low"]),
        {
            "low": ParamSpec(-0.05, -3.0, 3.0, "lower bound a"),
            "high": ParamSpec(0.05, -3.0, 3.0, "upper bound b"),
        },
    ),
    "xavier_normal": InitSpec(
        "xavier_normal",
        "Xavier / Glorot normal",
        r"W_{ij} \sim \mathcal{N}\!\left(0, \frac{2}{n_\text{in} + n_\text{out}}\right)",
        lambda fi, fo, p: _normal(np.sqrt(2.0 / (fi + fo))),
        reference=_GLOROT,
    ),
    "xavier_uniform": InitSpec(
        "xavier_uniform",
        "Xavier / Glorot uniform",
        r"W_{ij} \sim \mathcal{U}\!\left[-\sqrt{\frac{6}{n_\text{in} + n_\text{out}}},"
        r" \sqrt{\frac{6}{n_\text{in} + n_\text{out}}}\right]",
        lambda fi, fo, p: _uniform(np.sqrt(6.0 / (fi + fo))),
        reference=_GLOROT,
    ),
    "he_normal": InitSpec(
        "he_normal",
        "He / Kaiming normal",
        r"W_{ij} \sim \mathcal{N}\!\left(0, \frac{2}{n_\text{in}}\right)",
        lambda fi, fo, p: _normal(np.sqrt(2.0 / fi)),
        reference=_HE,
    ),
    "he_uniform": InitSpec(
        "he_uniform",
        "He / Kaiming uniform",
        r"W_{ij} \sim \mathcal{U}\!\left[-\sqrt{\frac{6}{n_\text{in}}}, \sqrt{\frac{6}{n_\text{in}}}\right]",
        lambda fi, fo, p: _uniform(np.sqrt(6.0 / fi)),
        reference=_HE,
    ),
    "lecun_normal": InitSpec(
        "lecun_normal",
        "LeCun normal",
        r"W_{ij} \sim \mathcal{N}\!\left(0, \frac{1}{n_\text{in}}\right)",
        lambda fi, fo, p: _normal(np.sqrt(1.0 / fi)),
        reference="LeCun et al., Efficient BackProp, 1998",
    ),
}


def get_init(name: str) -> InitSpec:
    """Look up an initialiser by name; raises ``KeyError`` listing the valid names."""
    try:
        return INITS[name]
    except KeyError:
        raise KeyError(f"unknown initializer {name!r}; expected one of {sorted(INITS)}") from None


def resolve_params(name: str, overrides: Mapping[str, float | Array] | None = None) -> dict[str, Array]:
    """Defaults of ``name``'s parameters, updated by ``overrides``, as float32 scalars
    (:func:`~engine.network.activations.as_float32`)."""
    spec = get_init(name)
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(spec.params)
    if unknown:
        raise KeyError(f"initializer {name!r} has no parameter(s) {sorted(unknown)}")
    return {key: as_float32(overrides.get(key, p.default)) for key, p in spec.params.items()}


def init_coefficients(
    name: str, fan_in, fan_out, params: Mapping[str, float | Array] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Every initialiser draws :math:`W = a\,N + b\,U + c` elementwise, with :math:`N \sim \mathcal{N}(0, 1)`
    and :math:`U \sim \mathcal{U}[0, 1)`; this returns :math:`(a, b, c)` for ``name`` and the fans
    (NumPy, computed on the host: one compiled program then initialises every layer of a padded network
    with any initialiser, :mod:`engine.network.mlp`)."""
    p = {k: np.float32(v) for k, v in resolve_params(name, params).items()}
    fan_in, fan_out = np.asarray(fan_in, np.float32), np.asarray(fan_out, np.float32)
    a, b, c = get_init(name).coefficients(fan_in, fan_out, p)
    return tuple(np.broadcast_to(np.asarray(v, np.float32), fan_in.shape).copy() for v in (a, b, c))


def draw(key: Array, shape: tuple[int, ...], coefficients) -> Array:
    """:math:`a N + b U + c` of ``shape``; the two draws use ``split(key)`` (see :func:`init_coefficients`)."""
    a, b, c = coefficients
    k_normal, k_uniform = jax.random.split(key)
    return a * jax.random.normal(k_normal, shape, _DTYPE) + b * jax.random.uniform(k_uniform, shape, _DTYPE) + c


def init_weights(name: str, key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    """Draw a ``(fan_in, fan_out)`` weight matrix with initialiser ``name``."""
    return draw(key, (fan_in, fan_out), init_coefficients(name, fan_in, fan_out, params))

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

from engine.network.activations import ParamSpec

Array = jax.Array
InitFn = Callable[[Array, int, int, Mapping[str, Array]], Array]

_DTYPE = jnp.float32


@dataclass(frozen=True)
class InitSpec:
    """Registry entry describing one initialiser."""

    name: str
    title: str
    latex: str
    init: InitFn
    params: dict[str, ParamSpec] = field(default_factory=dict)
    reference: str = ""


def zeros(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r""":math:`W = 0`. Every unit computes the same function: symmetry is never broken."""
    del key, params
    return jax.nn.initializers.zeros(None, (fan_in, fan_out), _DTYPE)


def constant(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r""":math:`W_{ij} = c` (param ``value``). Like zeros, all units stay identical."""
    del key
    value = _param(params, "value", 0.1)
    return jnp.full((fan_in, fan_out), value, _DTYPE)


def normal(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r""":math:`W_{ij} \sim \mathcal{N}(0, \sigma^2)` with :math:`\sigma` = param ``std``."""
    std = _param(params, "std", 0.01)
    return jax.random.normal(key, (fan_in, fan_out), _DTYPE) * std


def uniform(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r""":math:`W_{ij} \sim \mathcal{U}[a, b]` with :math:`a, b` = params ``low``, ``high``."""
    low = _param(params, "low", -0.05)
    high = _param(params, "high", 0.05)
    return jax.random.uniform(key, (fan_in, fan_out), _DTYPE, minval=low, maxval=high)


def xavier_normal(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r"""Glorot & Bengio (2010): :math:`W \sim \mathcal{N}(0, 2 / (n_\text{in} + n_\text{out}))`."""
    del params
    return jax.nn.initializers.variance_scaling(1.0, "fan_avg", "normal")(key, (fan_in, fan_out), _DTYPE)


def xavier_uniform(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r"""Glorot & Bengio (2010): :math:`W \sim \mathcal{U}[-r, r]`.

    .. math::
      r = \sqrt{6 / (n_\text{in} + n_\text{out})}

    Same as ``jax.nn.initializers.glorot_uniform``.
    """
    del params
    return jax.nn.initializers.glorot_uniform()(key, (fan_in, fan_out), _DTYPE)


def he_normal(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r"""He et al. (2015): :math:`W \sim \mathcal{N}(0, 2 / n_\text{in})`."""
    del params
    return jax.nn.initializers.variance_scaling(2.0, "fan_in", "normal")(key, (fan_in, fan_out), _DTYPE)


def he_uniform(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r"""He et al. (2015): :math:`W \sim \mathcal{U}[-r, r]`, :math:`r = \sqrt{6 / n_\text{in}}`."""
    del params
    return jax.nn.initializers.he_uniform()(key, (fan_in, fan_out), _DTYPE)


def lecun_normal(key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    r"""LeCun et al. (1998): :math:`W \sim \mathcal{N}(0, 1 / n_\text{in})`."""
    del params
    return jax.nn.initializers.variance_scaling(1.0, "fan_in", "normal")(key, (fan_in, fan_out), _DTYPE)


def _param(params: Mapping[str, Array] | None, name: str, default: float) -> Array:
    if params is None or name not in params:
        return jnp.asarray(default, _DTYPE)
    return jnp.asarray(params[name], _DTYPE)


_GLOROT = "Glorot & Bengio, AISTATS 2010"
_HE = "He et al., ICCV 2015"

INITS: dict[str, InitSpec] = {
    "zeros": InitSpec("zeros", "Zeros", r"W_{ij} = 0", zeros),
    "constant": InitSpec(
        "constant",
        "Constant",
        r"W_{ij} = c",
        constant,
        {"value": ParamSpec(0.1, -1.0, 1.0, "the constant c")},
    ),
    "normal": InitSpec(
        "normal",
        "Normal",
        r"W_{ij} \sim \mathcal{N}(0, \sigma^2)",
        normal,
        {"std": ParamSpec(0.01, 0.0, 3.0, "standard deviation sigma")},
    ),
    "uniform": InitSpec(
        "uniform",
        "Uniform",
        r"W_{ij} \sim \mathcal{U}[a, b]",
        uniform,
        {
            "low": ParamSpec(-0.05, -3.0, 3.0, "lower bound a"),
            "high": ParamSpec(0.05, -3.0, 3.0, "upper bound b"),
        },
    ),
    "xavier_normal": InitSpec(
        "xavier_normal",
        "Xavier / Glorot normal",
        r"W_{ij} \sim \mathcal{N}\!\left(0, \frac{2}{n_\text{in} + n_\text{out}}\right)",
        xavier_normal,
        reference=_GLOROT,
    ),
    "xavier_uniform": InitSpec(
        "xavier_uniform",
        "Xavier / Glorot uniform",
        r"W_{ij} \sim \mathcal{U}\!\left[-\sqrt{\frac{6}{n_\text{in} + n_\text{out}}},"
        r" \sqrt{\frac{6}{n_\text{in} + n_\text{out}}}\right]",
        xavier_uniform,
        reference=_GLOROT,
    ),
    "he_normal": InitSpec(
        "he_normal",
        "He / Kaiming normal",
        r"W_{ij} \sim \mathcal{N}\!\left(0, \frac{2}{n_\text{in}}\right)",
        he_normal,
        reference=_HE,
    ),
    "he_uniform": InitSpec(
        "he_uniform",
        "He / Kaiming uniform",
        r"W_{ij} \sim \mathcal{U}\!\left[-\sqrt{\frac{6}{n_\text{in}}}, \sqrt{\frac{6}{n_\text{in}}}\right]",
        he_uniform,
        reference=_HE,
    ),
    "lecun_normal": InitSpec(
        "lecun_normal",
        "LeCun normal",
        r"W_{ij} \sim \mathcal{N}\!\left(0, \frac{1}{n_\text{in}}\right)",
        lecun_normal,
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
    """Defaults of ``name``'s parameters, updated by ``overrides``, as float32 scalar arrays."""
    spec = get_init(name)
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(spec.params)
    if unknown:
        raise KeyError(f"initializer {name!r} has no parameter(s) {sorted(unknown)}")
    return {key: jnp.asarray(overrides.get(key, p.default), jnp.float32) for key, p in spec.params.items()}


def init_weights(name: str, key: Array, fan_in: int, fan_out: int, params: Mapping[str, Array] | None = None) -> Array:
    """Draw a ``(fan_in, fan_out)`` weight matrix with initialiser ``name`` (static)."""
    return get_init(name).init(key, fan_in, fan_out, params or {})

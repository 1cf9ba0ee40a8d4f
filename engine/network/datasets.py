r"""Seeded 2D toy classification datasets for the network lab.

All generators are plain NumPy, deterministic given ``seed`` (``numpy.random.default_rng``), and return
``X`` as ``float32`` of shape ``(n, 2)`` and ``y`` as ``int32`` of shape ``(n,)`` with labels
``0 .. K-1``. Samples are shuffled. ``noise`` is always the standard deviation of isotropic Gaussian
noise added to the coordinates (after the labels are fixed), so large noise makes classes overlap.

:func:`circles` and :func:`moons` follow scikit-learn's ``make_circles`` / ``make_moons`` construction
(same geometry and label convention; the random stream differs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.network.activations import ParamSpec

Dataset = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class DatasetSpec:
    """Registry entry: ``function(n=..., seed=..., **params) -> (X, y)``."""

    name: str
    title: str
    params: dict[str, ParamSpec]
    function: Callable[..., Dataset]
    description: str = ""

    def num_classes(self, params: dict[str, float] | None = None) -> int:
        """Number of classes the dataset has for the given parameters."""
        if "classes" in self.params:
            return int((params or {}).get("classes", self.params["classes"].default))
        return 2


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator) -> Dataset:
    """Shuffle, add Gaussian noise of std ``noise``, cast to (float32, int32)."""
    perm = rng.permutation(len(y))
    X, y = X[perm], y[perm]
    if noise > 0:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X.astype(np.float32), y.astype(np.int32)


def circles(n: int = 200, noise: float = 0.1, factor: float = 0.8, seed: int = 0) -> Dataset:
    r"""Two concentric circles (scikit-learn ``make_circles``).

    ``n // 2`` points at equally spaced angles :math:`\theta_k = 2\pi k / m` (no endpoint) on the outer
    unit circle get label 0; the remaining ``n - n // 2`` points on the inner circle of radius
    ``factor`` (:math:`0 < f < 1`) get label 1:

    .. math::
      x = (\cos\theta, \sin\theta) \ (\text{label } 0), \qquad
      x = f\,(\cos\theta, \sin\theta) \ (\text{label } 1), \qquad x \leftarrow x + \mathcal{N}(0, \sigma^2 I)

    Not linearly separable: a linear model is at chance, one hidden layer solves it.
    """
    if not 0.0 <= factor < 1.0:
        raise ValueError("factor must be in [0, 1)")
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, 2.0 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2.0 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    X = np.concatenate([outer, inner])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng)


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    r"""Two interleaving half circles (scikit-learn ``make_moons``).

    With :math:`\theta` evenly spaced in :math:`[0, \pi]` (endpoints included), ``n // 2`` points of
    label 0 lie on the upper half circle :math:`(\cos\theta, \sin\theta)` and the remaining points of
    label 1 on the shifted lower one :math:`(1 - \cos\theta,\ 1 - \sin\theta - 0.5)`. Gaussian noise of
    std ``noise`` is added. The data span about :math:`[-1, 2] \times [-0.5, 1]`.
    """
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5], axis=1)
    X = np.concatenate([outer, inner])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng)


def xor(n: int = 200, noise: float = 0.0, seed: int = 0) -> Dataset:
    r"""XOR / checkerboard quadrants.

    :math:`x \sim \mathcal{U}([-1, 1]^2)`, label :math:`y = \mathbb{1}[x_1 x_2 > 0]` (first and third
    quadrant are class 1), computed on the clean points; then Gaussian noise of std ``noise`` is
    added, which blurs the quadrant borders. The classic problem a single perceptron cannot solve.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int32)
    return _finish(X, y, noise, rng)


def blobs(n: int = 200, classes: int = 3, noise: float = 0.25, seed: int = 0) -> Dataset:
    r"""Isotropic Gaussian blobs whose ``classes`` (2..6) centres sit evenly on the unit circle.

    Class :math:`k` has centre :math:`c_k = (\cos\frac{2\pi k}{K}, \sin\frac{2\pi k}{K})` and points
    :math:`c_k + \mathcal{N}(0, \sigma^2 I)` with :math:`\sigma` = ``noise``; the ``n`` points are split as
    evenly as possible (the first ``n mod K`` classes get one extra point).
    """
    classes = int(classes)
    if not 2 <= classes <= 6:
        raise ValueError("classes must be in 2..6")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    angles = 2.0 * np.pi * y / classes
    X = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return _finish(X, y, noise, rng)


def spirals(n: int = 200, noise: float = 0.05, seed: int = 0) -> Dataset:
    r"""Two interleaved Archimedean spirals.

    For class :math:`c \in \{0, 1\}` and :math:`t` evenly spaced in :math:`[0, 1]`:

    .. math::
      r = t, \qquad \theta = 3.5\pi\,t + c\pi, \qquad
      x = r\,(\cos\theta, \sin\theta) + \mathcal{N}(0, \sigma^2 I)

    i.e. 1.75 turns each, the second spiral rotated by :math:`\pi`; radius at most 1. Hard for shallow
    or narrow networks: it needs a strongly non-linear boundary.
    """
    rng = np.random.default_rng(seed)
    n0 = n // 2
    n1 = n - n0
    parts, labels = [], []
    for c, m in ((0, n0), (1, n1)):
        t = np.linspace(0.0, 1.0, m)
        theta = 3.5 * np.pi * t + c * np.pi
        parts.append(np.stack([t * np.cos(theta), t * np.sin(theta)], axis=1))
        labels.append(np.full(m, c))
    return _finish(np.concatenate(parts), np.concatenate(labels), noise, rng)


def split(X: np.ndarray, y: np.ndarray, validation_split: float, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Random train/validation split.

    Returns ``(X_train, y_train, X_val, y_val)``; the validation part has ``round(n * validation_split)``
    samples (``0 <= validation_split < 1``), at least one training sample is always kept.
    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError("validation_split must be in [0, 1)")
    n = len(y)
    n_val = min(int(round(n * validation_split)), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    val, train = perm[:n_val], perm[n_val:]
    return X[train], y[train], X[val], y[val]


_N = ParamSpec(200, 20, 2000, "number of samples")
_SEED = ParamSpec(0, 0, 2**31 - 1, "random seed")


def _noise(default: float, maximum: float = 1.0) -> ParamSpec:
    return ParamSpec(default, 0.0, maximum, "std of Gaussian noise added to the points")


DATASETS: dict[str, DatasetSpec] = {
    "circles": DatasetSpec(
        "circles",
        "Circles",
        {
            "n": _N,
            "noise": _noise(0.1),
            "factor": ParamSpec(0.8, 0.05, 0.95, "inner radius relative to the outer circle (as make_circles)"),
            "seed": _SEED,
        },
        circles,
        "Inner circle (class 1) inside an outer circle (class 0).",
    ),
    "moons": DatasetSpec(
        "moons",
        "Moons",
        {"n": _N, "noise": _noise(0.1), "seed": _SEED},
        moons,
        "Two interleaving half circles.",
    ),
    "xor": DatasetSpec(
        "xor",
        "XOR",
        {"n": _N, "noise": _noise(0.0), "seed": _SEED},
        xor,
        "Class 1 where x*y > 0 (first and third quadrant).",
    ),
    "blobs": DatasetSpec(
        "blobs",
        "Blobs",
        {"n": _N, "classes": ParamSpec(3, 2, 6, "number of classes"), "noise": _noise(0.25), "seed": _SEED},
        blobs,
        "K Gaussian blobs with centres on the unit circle.",
    ),
    "spirals": DatasetSpec(
        "spirals",
        "Spirals",
        {"n": _N, "noise": _noise(0.05, 0.5), "seed": _SEED},
        spirals,
        "Two interleaved spirals.",
    ),
}


def make_dataset(name: str, **params: Any) -> Dataset:
    """Generate dataset ``name`` with registry defaults updated by ``params`` (checked against min/max)."""
    try:
        spec = DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}") from None
    unknown = set(params) - set(spec.params)
    if unknown:
        raise KeyError(f"dataset {name!r} has no parameter(s) {sorted(unknown)}")
    kwargs = {k: params.get(k, p.default) for k, p in spec.params.items()}
    for k, v in kwargs.items():
        p = spec.params[k]
        if not p.min <= v <= p.max:
            raise ValueError(f"{name}.{k}={v} outside [{p.min}, {p.max}]")
    for k in ("n", "seed", "classes"):
        if k in kwargs:
            kwargs[k] = int(kwargs[k])
    return spec.function(**kwargs)

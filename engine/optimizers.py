r"""The optimizer catalog: public ids, hyperparameters with ranges, the rule as LaTeX, and its factory.

Where the textbook rule (Goodfellow et al., ch. 8) and optax's agree, the factory *is* optax
(``sgd``, ``rmsprop``, ``adadelta``, and the two rules the book does not have, ``adamw`` and ``lion``);
``adam`` and ``nadam`` are optax's rule and state spelled without ``pow`` (:func:`engine.rules.adam`),
and ``adam_uncorrected`` is the same rule without the bias correction, to show what the correction does;
the others are the textbook rules of :mod:`engine.rules`. ``tests/engine/test_optimizers.py`` checks
every iterate against a hand-written NumPy version of the displayed formula, and
``tests/engine/test_optax_equivalence.py`` the rules against optax where the two coincide.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import optax

from engine import rules


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter of an update rule and the range a slider may take."""

    name: str
    symbol: str
    title: str
    default: float
    min: float
    max: float
    scale: str = "linear"  # "log" for learning rates and epsilons


@dataclass(frozen=True)
class OptimizerSpec:
    """An update rule as the catalog, the runner and the page see it.

    ``factory(**hyperparameters)`` builds the transformation for one step; ``lookahead`` names the
    hyperparameter of the Nesterov interim point θ + αv (the gradient is taken there);
    ``needs_hessian`` passes the exact Hessian as an extra argument; ``velocity`` names the decay α of a
    velocity ``v ← αv − …``, whose steps grow up to 1/(1−α) times under a constant gradient
    (:func:`engine.surface.rates.terminal_velocity_factor`).
    """

    id: str
    name: str
    formula: tuple[str, ...]
    hyperparameters: tuple[HyperParam, ...]
    factory: Callable[..., optax.GradientTransformation]
    reference: str
    lookahead: str | None = None
    needs_hessian: bool = False
    supports_schedule: bool = True
    full_batch_only: bool = False
    velocity: str | None = None

    @property
    def defaults(self) -> dict[str, float]:
        return {h.name: h.default for h in self.hyperparameters}


def _lr(default: float, low: float = 1e-5, high: float = 10.0) -> HyperParam:
    return HyperParam("learning_rate", r"\epsilon", "learning rate ε", default, low, high, "log")


def _eps(default: float) -> HyperParam:
    return HyperParam("eps", r"\delta", "stabilizer δ", default, 1e-10, 1.0, "log")


def _momentum(default: float = 0.9) -> HyperParam:
    return HyperParam("momentum", r"\alpha", "momentum α", default, 0.0, 0.999)


def _decay(name: str) -> HyperParam:
    return HyperParam(name, r"\rho", "decay ρ", 0.9, 0.0, 0.9999)


def _weight_decay(default: float) -> HyperParam:
    return HyperParam("weight_decay", r"\lambda", "weight decay λ", default, 0.0, 1.0)


_B1 = HyperParam("b1", r"\rho_1", "first-moment decay ρ₁", 0.9, 0.0, 0.999)
_B2 = HyperParam("b2", r"\rho_2", "second-moment decay ρ₂", 0.999, 0.0, 0.99999)
_ADAM_MOMENTS = r"s \leftarrow \rho_1 s + (1-\rho_1)\,g,\quad r \leftarrow \rho_2 r + (1-\rho_2)\,g\odot g"
_ADAM_FORMULA = (
    _ADAM_MOMENTS,
    r"\hat s = \frac{s}{1-\rho_1^{t}},\quad \hat r = \frac{r}{1-\rho_2^{t}}",
)

OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.id: spec
    for spec in (
        OptimizerSpec(
            id="sgd",
            name="SGD",
            formula=(r"\theta \leftarrow \theta - \epsilon g",),
            hyperparameters=(_lr(0.01),),
            factory=lambda learning_rate: optax.sgd(learning_rate),
            reference="Goodfellow et al. 2016, Alg. 8.1",
        ),
        OptimizerSpec(
            id="momentum",
            name="Momentum",
            formula=(r"v \leftarrow \alpha v - \epsilon g", r"\theta \leftarrow \theta + v"),
            hyperparameters=(_lr(0.01), _momentum()),
            factory=rules.textbook_momentum,
            reference="Polyak 1964; Goodfellow et al. 2016, Alg. 8.2",
            velocity="momentum",
        ),
        OptimizerSpec(
            id="nesterov",
            name="Nesterov momentum",
            formula=(
                r"g = \nabla f(\theta + \alpha v)",
                r"v \leftarrow \alpha v - \epsilon g",
                r"\theta \leftarrow \theta + v",
            ),
            hyperparameters=(_lr(0.01), _momentum()),
            factory=rules.textbook_nesterov,
            reference="Sutskever et al. 2013; Goodfellow et al. 2016, Alg. 8.3",
            lookahead="momentum",
            velocity="momentum",
        ),
        OptimizerSpec(
            id="adagrad",
            name="AdaGrad",
            formula=(
                r"r \leftarrow r + g \odot g",
                r"\theta \leftarrow \theta - \frac{\epsilon}{\delta + \sqrt{r}} \odot g",
            ),
            hyperparameters=(_lr(0.1), _eps(1e-7)),
            factory=rules.textbook_adagrad,
            reference="Duchi et al. 2011; Goodfellow et al. 2016, Alg. 8.4",
        ),
        OptimizerSpec(
            id="rmsprop",
            name="RMSProp",
            formula=(
                r"r \leftarrow \rho r + (1-\rho)\, g \odot g",
                r"\theta \leftarrow \theta - \frac{\epsilon}{\sqrt{\delta + r}} \odot g",
            ),
            hyperparameters=(_lr(0.01), _decay("decay"), _eps(1e-6)),
            factory=lambda learning_rate, decay, eps: optax.rmsprop(learning_rate, decay=decay, eps=eps),
            reference="Hinton 2012; Goodfellow et al. 2016, Alg. 8.5",
        ),
        OptimizerSpec(
            id="rmsprop_nesterov",
            name="RMSProp + Nesterov",
            formula=(
                r"g = \nabla f(\theta + \alpha v)",
                r"r \leftarrow \rho r + (1-\rho)\, g \odot g",
                r"v \leftarrow \alpha v - \frac{\epsilon}{\sqrt{\delta + r}} \odot g,\quad "
                r"\theta \leftarrow \theta + v",
            ),
            hyperparameters=(_lr(0.001), _decay("decay"), _momentum(), _eps(1e-6)),
            factory=rules.textbook_rmsprop_nesterov,
            reference="Goodfellow et al. 2016, Alg. 8.6",
            lookahead="momentum",
            velocity="momentum",
        ),
        OptimizerSpec(
            id="adadelta",
            name="AdaDelta",
            formula=(
                r"r \leftarrow \rho r + (1-\rho)\, g \odot g",
                r"\Delta \leftarrow -\frac{\sqrt{u + \delta}}{\sqrt{r + \delta}} \odot g,\quad "
                r"u \leftarrow \rho u + (1-\rho)\, \Delta \odot \Delta",
                r"\theta \leftarrow \theta + \epsilon \Delta",
            ),
            hyperparameters=(_lr(1.0, high=50.0), _decay("rho"), _eps(1e-6)),
            factory=lambda learning_rate, rho, eps: optax.adadelta(learning_rate, rho=rho, eps=eps),
            reference="Zeiler 2012",
        ),
        OptimizerSpec(
            id="adam",
            name="Adam",
            formula=(
                *_ADAM_FORMULA,
                r"\theta \leftarrow \theta - \epsilon \frac{\hat s}{\sqrt{\hat r} + \delta}",
            ),
            hyperparameters=(_lr(0.01), _B1, _B2, _eps(1e-8)),
            factory=rules.adam,
            reference="Kingma & Ba 2015; Goodfellow et al. 2016, Alg. 8.7",
        ),
        OptimizerSpec(
            id="adam_uncorrected",
            name="Adam (no bias correction)",
            formula=(
                _ADAM_MOMENTS,
                r"\theta \leftarrow \theta - \epsilon \frac{s}{\sqrt{r} + \delta}",
            ),
            hyperparameters=(_lr(0.01), _B1, _B2, _eps(1e-8)),
            factory=functools.partial(rules.adam, bias_correction=False),
            reference="Kingma & Ba 2015, §3 (without the correction)",
        ),
        OptimizerSpec(
            id="nadam",
            name="Nadam",
            formula=(
                *_ADAM_FORMULA,
                r"\theta \leftarrow \theta - \epsilon \frac{\rho_1 \hat s_{+} + (1-\rho_1)\, g / (1-\rho_1^{t})}"
                r"{\sqrt{\hat r} + \delta},\quad \hat s_{+} = \frac{s}{1-\rho_1^{t+1}}",
            ),
            hyperparameters=(_lr(0.01), _B1, _B2, _eps(1e-8)),
            factory=functools.partial(rules.adam, nesterov=True),
            reference="Dozat 2016 (as optax.nadam)",
        ),
        OptimizerSpec(
            id="adamw",
            name="AdamW",
            formula=(
                *_ADAM_FORMULA,
                r"\theta \leftarrow \theta - \epsilon \left(\frac{\hat s}{\sqrt{\hat r} + \delta}"
                r" + \lambda \theta\right)",
            ),
            hyperparameters=(_lr(0.01), _B1, _B2, _eps(1e-8), _weight_decay(0.01)),
            factory=lambda learning_rate, b1, b2, eps, weight_decay: optax.adamw(
                learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay
            ),
            reference="Loshchilov & Hutter 2019 (decoupled weight decay, as optax.adamw: λ scaled by ε)",
        ),
        OptimizerSpec(
            id="lion",
            name="Lion",
            formula=(
                r"c = \beta_1 m + (1-\beta_1)\, g",
                r"\theta \leftarrow \theta - \epsilon \left(\operatorname{sign}(c) + \lambda \theta\right)",
                r"m \leftarrow \beta_2 m + (1-\beta_2)\, g",
            ),
            hyperparameters=(
                _lr(0.01),
                HyperParam("b1", r"\beta_1", "interpolation β₁", 0.9, 0.0, 0.999),
                HyperParam("b2", r"\beta_2", "momentum decay β₂", 0.99, 0.0, 0.9999),
                _weight_decay(0.01),
            ),
            factory=lambda learning_rate, b1, b2, weight_decay: optax.lion(
                learning_rate, b1=b1, b2=b2, weight_decay=weight_decay
            ),
            reference="Chen et al. 2023, Symbolic Discovery of Optimization Algorithms (as optax.lion)",
        ),
        OptimizerSpec(
            id="delta_bar_delta",
            name="Delta-bar-delta",
            formula=(
                r"\epsilon_i \leftarrow \epsilon_i + \kappa \;\text{if}\; \bar\delta_i g_i > 0,"
                r"\quad \epsilon_i \leftarrow (1-\phi)\,\epsilon_i \;\text{if}\; \bar\delta_i g_i < 0",
                r"\theta \leftarrow \theta - \epsilon \odot g,\quad "
                r"\bar\delta \leftarrow (1-\theta)\, g + \theta \bar\delta",
            ),
            hyperparameters=(
                _lr(0.001),
                HyperParam("kappa", r"\kappa", "rate increment κ", 0.0001, 0.0, 0.1),
                HyperParam("phi", r"\phi", "rate decrease φ", 0.1, 0.0, 1.0),
                HyperParam("theta", r"\theta", "averaging θ", 0.7, 0.0, 0.999),
            ),
            factory=rules.delta_bar_delta,
            reference="Jacobs 1988",
            supports_schedule=False,
            full_batch_only=True,
        ),
        OptimizerSpec(
            id="newton",
            name="Newton's method",
            formula=(r"\theta \leftarrow \theta - \epsilon H^{+} g",),
            hyperparameters=(_lr(1.0, high=2.0),),
            factory=rules.newton,
            reference="Goodfellow et al. 2016, §8.6.1 (H⁺: pseudo-inverse when H is singular)",
            needs_hessian=True,
        ),
    )
}

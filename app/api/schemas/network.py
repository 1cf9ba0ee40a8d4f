"""Request and response models of the network lab, generated from the engine's registries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, create_model, model_validator

from app.api.schemas.common import Integer, Number, StrictModel, camel, tagged_union
from app.api.schemas.surface import optimizer_model
from engine.network.activations import ACTIVATIONS
from engine.network.datasets import DATASETS
from engine.network.inits import INITS
from engine.network.training_config import NetworkConfig
from engine.network.work import training_work, weights
from engine.optimizers import OPTIMIZERS


def _init_model(name: str) -> type[BaseModel]:
    spec = INITS[name]
    fields = {p: (Number(s.min, s.max, description=s.description), s.default) for p, s in spec.params.items()}
    model = create_model(f"{camel(name)}Init", __base__=StrictModel, name=(Literal[name], ...), **fields)
    if name == "uniform":

        def ordered(self):
            if self.low >= self.high:
                raise ValueError("uniform init needs low < high")
            return self

        model = create_model(
            "UniformInit",
            __base__=model,
            __validators__={"_ordered": model_validator(mode="after")(ordered)},
        )
    return model


InitSpec = tagged_union([_init_model(n) for n in INITS], "name")
ActivationName = Literal[tuple(ACTIVATIONS)]


class ActivationParams(StrictModel):
    """Slope of the negative part: Leaky ReLU's α (default 0.01) or ELU's α (default 1)."""

    alpha: Number(0.0, 3.0) | None = None


def check_alpha(activation: str, params: ActivationParams) -> None:
    if params.alpha is not None and "alpha" not in ACTIVATIONS[activation].params:
        raise ValueError(f"activation {activation} takes no alpha (only leaky_relu and elu do)")


class InitExperimentCreate(StrictModel):
    """Seed 001's experiment: N(0, 1) data of shape samples × width through a deep stack, forward only."""

    layers: Integer(1, 20) = 10
    width: Integer(2, 1000) = 500
    activation: ActivationName = "tanh"
    activation_params: ActivationParams = Field(default_factory=ActivationParams)
    init: InitSpec = Field(default_factory=lambda: INIT_DEFAULT)
    samples: Integer(1, 5000) = 1000
    bins: Integer(5, 100) = 30
    seed: Integer(0, 2**31 - 1) = 0

    @model_validator(mode="after")
    def _alpha_only_where_used(self) -> InitExperimentCreate:
        check_alpha(self.activation, self.activation_params)
        return self


class Histogram(BaseModel):
    edges: list[float]
    counts: list[int]


class LayerStatsPublic(BaseModel):
    index: int
    mean: float
    std: float
    histogram: Histogram


class InitExperimentPublic(BaseModel):
    activation: str
    init: dict
    layers: list[LayerStatsPublic]


INIT_DEFAULT = _init_model("normal")(name="normal", std=0.01)


# --- training ---------------------------------------------------------------------------------

INTEGER_DATASET_PARAMS = ("n", "seed", "classes")
MAX_TRAIN_STEPS = 20_000
# Multiply-adds one POST /train may cost (engine.network.work: steps × batch × weights × 3, the update, and
# the statistics every 50 steps). The engine does 8–36 G of them a second on this 2-core machine
# (bench/training_work.py; the widest, deepest networks the fastest), so the limit is 15–60 s of work, the
# time budget (TRAIN_TIME_BUDGET) cutting the slowest. A count of steps alone let 20 × 256 on full batches
# ask for hours.
MAX_TRAIN_WORK = 5e11


def _dataset_model(name: str) -> type[BaseModel]:
    spec = DATASETS[name]
    fields = {
        p: (
            (Integer if p in INTEGER_DATASET_PARAMS else Number)(s.min, s.max, description=s.description),
            s.default,
        )
        for p, s in spec.params.items()
    }
    return create_model(
        f"{camel(name)}Dataset",
        __base__=StrictModel,
        name=(Literal[name], ...),
        validation_split=(Number(0.0, 0.9, description="fraction held out for validation"), 0.5),
        **fields,
    )


DatasetSpec = tagged_union([_dataset_model(n) for n in DATASETS], "name")
TrainableOptimizer = tagged_union(
    [optimizer_model(s, tag="name", suffix="Optimizer") for s in OPTIMIZERS.values() if not s.needs_hessian], "name"
)


class ModelSpec(StrictModel):
    """The MLP: hidden widths, activation, initialization and regularization."""

    hidden: list[Integer(2, 256)] = Field(default=[8, 8], min_length=1, max_length=20)
    activation: ActivationName = "relu"
    activation_params: ActivationParams = Field(default_factory=ActivationParams)
    init: InitSpec = Field(default_factory=lambda: _init_model("he_normal")(name="he_normal"))
    batch_norm: bool = False
    bn_momentum: Number(0.0, 0.999) = 0.9
    dropout: Number(0.0, 0.9) = 0.0
    l1: Number(0.0, 1.0) = 0.0
    l2: Number(0.0, 1.0) = 0.0
    max_norm: Number(0.01, 100.0) | None = None
    residual: bool = False

    @model_validator(mode="after")
    def _alpha_only_where_used(self) -> ModelSpec:
        check_alpha(self.activation, self.activation_params)
        return self


def training_samples(dataset: BaseModel) -> int:
    """How many samples engine.network.datasets.split keeps for training."""
    n = dataset.n
    return n - min(int(round(n * dataset.validation_split)), n - 1)


def check_batch(optimizer: str, batch_size: int, n_train: int) -> None:
    if batch_size > n_train:
        raise ValueError(f"batch_size {batch_size} exceeds the {n_train} training samples")
    if OPTIMIZERS[optimizer].full_batch_only and batch_size != n_train:
        raise ValueError(f"{optimizer} needs full-batch gradients: batch_size must be {n_train}")


class McDropoutSpec(StrictModel):
    """Monte-Carlo dropout after training: dropout kept on at inference, ``samples`` masks per point."""

    samples: Integer(2, 500) = 50


class TrainCreate(StrictModel):
    """Bounded one-shot training: at most 20,000 steps (epochs × batches per epoch) and 5 × 10¹¹
    multiply-adds (steps × batch × weights × 3; see engine.network.work)."""

    dataset: DatasetSpec = Field(default_factory=lambda: _dataset_model("circles")(name="circles"))
    model: ModelSpec = Field(default_factory=ModelSpec)
    optimizer: TrainableOptimizer = Field(
        default_factory=lambda: optimizer_model(OPTIMIZERS["adam"], tag="name", suffix="Optimizer")(name="adam")
    )
    batch_size: Integer(1, 2000) = 32
    epochs: Integer(1, 10_000) = 100
    seed: Integer(0, 2**31 - 1) = 0
    mc_dropout: McDropoutSpec | None = Field(
        default=None, description="also return the predictive mean and spread over the grid (needs dropout > 0)"
    )

    @property
    def n_train(self) -> int:
        return training_samples(self.dataset)

    @model_validator(mode="after")
    def _bounded(self) -> TrainCreate:
        n_train = self.n_train
        check_batch(self.optimizer.name, self.batch_size, n_train)
        steps = self.epochs * (n_train // self.batch_size)
        if steps > MAX_TRAIN_STEPS:
            raise ValueError(
                f"{self.epochs} epochs of {n_train // self.batch_size} batches is {steps} steps; the limit is "
                f"{MAX_TRAIN_STEPS} (fewer epochs or a larger batch)"
            )
        check_work(self, steps)
        return self


def check_work(spec: TrainCreate, steps: int) -> None:
    """Refuse a training whose multiply-adds exceed :data:`MAX_TRAIN_WORK`, saying what would fit."""
    classes = getattr(spec.dataset, "classes", 2)
    config = NetworkConfig(hidden=tuple(spec.model.hidden), num_classes=classes, batch_size=spec.batch_size)
    work = training_work(config, steps, spec.dataset.n)
    if work <= MAX_TRAIN_WORK:
        return
    per_epoch = steps // spec.epochs
    fit = int(spec.epochs * MAX_TRAIN_WORK / work)  # >= 1: one epoch of the largest network fits
    while training_work(config, fit * per_epoch, spec.dataset.n) > MAX_TRAIN_WORK:  # the last chunk rounds up
        fit -= 1
    raise ValueError(
        f"this training is about {_sci(work)} multiply-adds ({steps} steps of batch {spec.batch_size} through "
        f"{weights(config.hidden, classes)} weights); the limit is {_sci(MAX_TRAIN_WORK)}: at most {fit} epochs "
        "of this network and batch"
    )


def _sci(x: float) -> str:
    return f"{x:.1e}".replace("e+", "e")


class TrainHistory(BaseModel):
    epoch: list[float]
    step: list[int]
    train_loss: list[float]
    val_loss: list[float]
    train_accuracy: list[float]
    val_accuracy: list[float]
    grad_mean_abs: list[list[float]]


class TrainFinal(BaseModel):
    train_loss: float
    val_loss: float
    train_accuracy: float
    val_accuracy: float


class McDropoutPublic(BaseModel):
    samples: int
    grid_x: list[float]
    grid_y: list[float]
    mean: list[list[float]]  # [i][j] at (grid_x[j], grid_y[i]): P(class 1), or the top class's probability
    std: list[list[float]]


class TrainPublic(BaseModel):
    steps: int
    requested_steps: int
    time_budget_reached: bool
    status: Literal["ok", "diverged"]
    diverged_at: int | None
    reason: str
    history: TrainHistory
    final: TrainFinal
    mc_dropout: McDropoutPublic | None = None


# --- live sessions ----------------------------------------------------------------------------


class NetworkRunSpec(StrictModel):
    """One network of a live session."""

    model: ModelSpec = Field(default_factory=ModelSpec)
    optimizer: TrainableOptimizer = Field(
        default_factory=lambda: optimizer_model(OPTIMIZERS["adam"], tag="name", suffix="Optimizer")(name="adam")
    )
    batch_size: Integer(1, 2000) = 32


class NetworkSessionSpec(StrictModel):
    """One or two networks trained in lockstep on the same data with the same seed."""

    dataset: DatasetSpec = Field(default_factory=lambda: _dataset_model("circles")(name="circles"))
    networks: list[NetworkRunSpec] = Field(default_factory=lambda: [NetworkRunSpec()], min_length=1, max_length=2)
    seed: Integer(0, 2**31 - 1) = 0
    steps_per_chunk: Integer(1, 200) = 10

    @model_validator(mode="after")
    def _batches_fit(self) -> NetworkSessionSpec:
        n_train = training_samples(self.dataset)
        for net in self.networks:
            check_batch(net.optimizer.name, net.batch_size, n_train)
        return self

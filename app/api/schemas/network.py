"""Request and response models of the network lab, generated from the engine's registries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, create_model, model_validator

from app.api.schemas.common import Integer, Number, StrictModel, camel, tagged_union
from engine.activations import ACTIVATIONS
from engine.inits import INITS


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
        if self.activation_params.alpha is not None and "alpha" not in ACTIVATIONS[self.activation].params:
            raise ValueError(f"activation {self.activation} takes no alpha (only leaky_relu and elu do)")
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

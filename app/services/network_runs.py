"""Between the network-lab API models and the engine."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from app.api.schemas.network import (
    Histogram,
    InitExperimentCreate,
    InitExperimentPublic,
    LayerStatsPublic,
    McDropoutPublic,
    ModelSpec,
    TrainCreate,
    TrainFinal,
    TrainHistory,
    TrainPublic,
)
from app.settings import settings
from engine.network.datasets import make_dataset, split
from engine.network.init_experiment import run_init_experiment, to_rows
from engine.network.mc_dropout import predictive_grid
from engine.network.one_shot import train
from engine.network.training_config import NetworkConfig, TrainValues, make_data, make_values


def init_experiment(spec: InitExperimentCreate) -> InitExperimentPublic:
    """Run seed 001's forward-only experiment (blocking; call it from a worker thread)."""
    init = spec.init.model_dump()
    alpha = spec.activation_params.alpha
    result = run_init_experiment(
        init["name"],
        {k: v for k, v in init.items() if k != "name"},
        spec.activation,
        {"alpha": alpha} if alpha is not None else None,
        layers=spec.layers,
        width=spec.width,
        samples=spec.samples,
        bins=spec.bins,
        seed=spec.seed,
    )
    return InitExperimentPublic(
        activation=spec.activation,
        init=init,
        layers=[
            LayerStatsPublic(
                index=row["layer"],
                mean=row["mean"],
                std=row["std"],
                histogram=Histogram(edges=row["edges"], counts=row["counts"]),
            )
            for row in to_rows(result)
        ],
    )


@dataclass(frozen=True)
class Dataset:
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    num_classes: int


def dataset(spec: dict) -> Dataset:
    """Generate and split the dataset of a validated ``DatasetSpec`` dump."""
    params = {k: v for k, v in spec.items() if k not in ("name", "validation_split")}
    X, y = make_dataset(spec["name"], **params)
    X_train, y_train, X_val, y_val = split(X, y, spec["validation_split"], seed=params.get("seed", 0))
    return Dataset(X_train, y_train, X_val, y_val, int(params.get("classes", 2)))


def network_config(model: ModelSpec, optimizer: str, batch_size: int, num_classes: int, **extra) -> NetworkConfig:
    init = model.init.model_dump()
    return NetworkConfig(
        hidden=tuple(model.hidden),
        activation=model.activation,
        residual=model.residual,
        batch_norm=model.batch_norm,
        num_classes=num_classes,
        optimizer=optimizer,
        batch_size=batch_size,
        init=init.pop("name"),
        init_params=tuple(init.items()),
        **extra,
    )


def train_values(config: NetworkConfig, model: ModelSpec, optimizer: dict, seed: int) -> TrainValues:
    alpha = model.activation_params.alpha
    return make_values(
        config,
        optimizer["hyperparameters"],
        schedule=optimizer.get("schedule"),
        clip=optimizer.get("clip"),
        dropout=model.dropout,
        l1=model.l1,
        l2=model.l2,
        max_norm=model.max_norm,
        activation_params={"alpha": alpha} if alpha is not None else None,
        bn_momentum=model.bn_momentum,
        seed=seed,
    )


def train_once(spec: TrainCreate, stop: threading.Event | None = None) -> TrainPublic:
    """Bounded one-shot training (blocking; call it from a worker thread); ``stop`` ends it after a chunk."""
    data = dataset(spec.dataset.model_dump())
    optimizer = spec.optimizer.model_dump()
    config = network_config(spec.model, optimizer["name"], spec.batch_size, data.num_classes)
    values = train_values(config, spec.model, optimizer, spec.seed)
    history = train(
        config,
        values,
        data.X_train,
        data.y_train,
        data.X_val,
        data.y_val,
        epochs=spec.epochs,
        seed=spec.seed,
        time_budget=settings.TRAIN_TIME_BUDGET,
        should_stop=stop.is_set if stop is not None else None,
    )
    requested = spec.epochs * (spec.n_train // spec.batch_size)
    records = history.records()
    column = {k: [r[k] for r in records] for k in records[0]}
    last = records[-1]
    return TrainPublic(
        steps=int(history.step[-1]),
        requested_steps=requested,
        time_budget_reached=history.diverged_at is None and int(history.step[-1]) < requested,
        status="ok" if history.diverged_at is None else "diverged",
        diverged_at=history.diverged_at,
        reason=history.reason if history.diverged_at is not None else "",
        history=TrainHistory(**column),
        final=TrainFinal(**{k: last[k] for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")}),
        mc_dropout=mc_dropout(config, values, history.state, data, spec) if spec.mc_dropout else None,
    )


def mc_dropout(config: NetworkConfig, values: TrainValues, state, data: Dataset, spec: TrainCreate) -> McDropoutPublic:
    """Predictive mean and spread over the decision-boundary grid with dropout on (Gal & Ghahramani 2016)."""
    grid = make_data(config, data.X_train, data.y_train, data.X_val, data.y_val)
    samples = spec.mc_dropout.samples
    out = predictive_grid(config, state.params, state.bn_state, values, grid, samples, spec.seed)
    return McDropoutPublic(
        samples=samples,
        grid_x=np.asarray(grid.grid_x).tolist(),
        grid_y=np.asarray(grid.grid_y).tolist(),
        mean=np.asarray(out.mean).tolist(),
        std=np.asarray(out.std).tolist(),
    )

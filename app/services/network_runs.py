"""Between the network-lab API models and the engine."""

from __future__ import annotations

from app.api.schemas.network import Histogram, InitExperimentCreate, InitExperimentPublic, LayerStatsPublic
from engine.init_experiment import run_init_experiment, to_rows


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

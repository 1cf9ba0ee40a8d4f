"""CSV exports of the REST answers: pure functions from a public model to CSV text.

Every table is tidy (one observation per row, a header row first) and carries exactly the numbers of
the JSON answer: floats are written as Python's ``repr`` (the shortest text that reads back as the
same float64, as in the JSON), so parsing a cell gives the JSON's number. Rows end in CRLF (RFC 4180).
Layers are numbered from 1 (the first dense layer) to L (the output layer).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence

from app.api.schemas.network import InitExperimentPublic, TrainPublic
from app.api.schemas.surface import TrajectoriesPublic

MEDIA_TYPE = "text/csv; charset=utf-8"


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([repr(v) if isinstance(v, float) else v for v in row] for row in rows)
    return out.getvalue()


def trajectories_csv(answer: TrajectoriesPublic) -> str:
    """One row per reported point of every run: steps 0..last recorded (a diverged run stops before
    ``diverged_at``), or with ``every`` the steps it reported."""
    return to_csv(
        ("run", "optimizer", "step", "x", "y", "loss", "grad_norm", "status"),
        (
            (i, run.optimizer, step, x, y, loss, grad_norm, run.status)
            for i, run in enumerate(answer.runs)
            for step, (x, y), loss, grad_norm in zip(
                run.step or range(len(run.points)), run.points, run.loss, run.grad_norm, strict=True
            )
        ),
    )


HISTORY_COLUMNS = ("step", "epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy")


def train_history_csv(answer: TrainPublic) -> str:
    """One row per chunk of the history."""
    history = answer.history
    return to_csv(HISTORY_COLUMNS, zip(*(getattr(history, c) for c in HISTORY_COLUMNS), strict=True))


def train_layers_csv(answer: TrainPublic) -> str:
    """Per-layer statistics in long form: one row per chunk, layer and statistic."""
    history = answer.history
    return to_csv(
        ("step", "layer", "statistic", "value"),
        (
            (step, layer, "grad_mean_abs", value)
            for step, per_layer in zip(history.step, history.grad_mean_abs, strict=True)
            for layer, value in enumerate(per_layer, start=1)
        ),
    )


def init_layers_csv(answer: InitExperimentPublic) -> str:
    """Per-layer activation statistics in long form: one row per layer and statistic."""
    return to_csv(
        ("layer", "statistic", "value"),
        ((layer.index, name, getattr(layer, name)) for layer in answer.layers for name in ("mean", "std")),
    )


def init_histograms_csv(answer: InitExperimentPublic) -> str:
    """One row per bin of each layer's activation histogram (values beyond the edges count in the end bins)."""
    return to_csv(
        ("layer", "bin_low", "bin_high", "count"),
        (
            (layer.index, low, high, count)
            for layer in answer.layers
            for low, high, count in zip(
                layer.histogram.edges[:-1], layer.histogram.edges[1:], layer.histogram.counts, strict=True
            )
        ),
    )


TRAIN_TABLES: dict[str, Callable[[TrainPublic], str]] = {"history": train_history_csv, "layers": train_layers_csv}
INIT_TABLES: dict[str, Callable[[InitExperimentPublic], str]] = {
    "layers": init_layers_csv,
    "histograms": init_histograms_csv,
}

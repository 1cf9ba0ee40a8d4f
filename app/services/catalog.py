"""The catalog the page builds its controls from: one source of truth, straight from the engine."""

from __future__ import annotations

import functools
from dataclasses import asdict

from latex2mathml.converter import convert

from engine.modifiers import CLIP_MODES
from engine.network.activations import ACTIVATIONS
from engine.network.datasets import DATASETS
from engine.network.inits import INITS
from engine.optimizers import OPTIMIZERS
from engine.schedules import SCHEDULES
from engine.surface import expression
from engine.surface.surfaces import DEFAULT_DOMAIN, DEFAULT_EXPRESSION, MAX_DOMAIN, SURFACES


def mathml(latex: str) -> str:
    """LaTeX as MathML, which browsers render natively (no script, nothing fetched)."""
    return convert(latex, display="block")


def _surface(s) -> dict:
    return {
        "name": s.name,
        "title": s.title,
        "description": s.description,
        "formula": {"latex": s.latex, "mathml": mathml(s.latex)},
        "domain": s.domain,
        "minima": s.minima,
        "default_start": s.default_start,
        "log_levels": s.log_levels,
        "params": [asdict(p) for p in s.params],
    }


TERMINAL_VELOCITY = r"\frac{1}{1-\alpha}"


def _terminal_velocity(o) -> dict | None:
    """Which slider's α sets the most momentum multiplies a step by, 1/(1−α) (seed 004 §4.2.2)."""
    if o.velocity is None:
        return None
    return {"hyperparameter": o.velocity, "latex": TERMINAL_VELOCITY, "mathml": mathml(TERMINAL_VELOCITY)}


def _custom_surface() -> dict:
    """What the page needs to offer a typed formula: the grammar's words and limits, and a first formula."""
    return {
        "name": "custom",
        "default_expression": DEFAULT_EXPRESSION,
        "default_domain": DEFAULT_DOMAIN,
        "max_domain": MAX_DOMAIN,
        "max_length": expression.MAX_LENGTH,
        "max_depth": expression.MAX_DEPTH,
        "max_operations": expression.MAX_OPS,
        "variables": list(expression.VARIABLES),
        "constants": list(expression.CONSTANTS),
        "functions": list(expression.FUNCTIONS),
        "binary_functions": list(expression.BINARY_FUNCTIONS),
        "operators": ["+", "-", "*", "/", "^"],
    }


def _optimizer(o) -> dict:
    return {
        "id": o.id,
        "name": o.name,
        "reference": o.reference,
        "formula": [{"latex": line, "mathml": mathml(line)} for line in o.formula],
        "hyperparameters": [asdict(h) for h in o.hyperparameters],
        "supports_schedule": o.supports_schedule,
        "full_batch_only": o.full_batch_only,
        "terminal_velocity": _terminal_velocity(o),
    }


def _schedule(s) -> dict:
    return {
        "name": s.name,
        "title": s.title,
        "formula": {"latex": s.latex, "mathml": mathml(s.latex)},
        "params": [asdict(p) for p in s.params],
    }


def _params(params: dict) -> list[dict]:
    return [{"name": name, **asdict(p)} for name, p in params.items()]


def _activation(a) -> dict:
    return {
        "name": a.name,
        "title": a.title,
        "formula": {"latex": a.latex, "mathml": mathml(a.latex)},
        "relu_family": a.is_relu_family,
        "params": _params(a.params),
    }


def _init(i) -> dict:
    return {
        "name": i.name,
        "title": i.title,
        "reference": i.reference,
        "formula": {"latex": i.latex, "mathml": mathml(i.latex)},
        "params": _params(i.params),
    }


def _dataset(d) -> dict:
    return {"name": d.name, "title": d.title, "description": d.description, "params": _params(d.params)}


@functools.cache
def catalog() -> dict:
    return {
        "surfaces": [_surface(s) for s in SURFACES.values()],
        "custom_surface": _custom_surface(),
        "optimizers": [_optimizer(o) for o in OPTIMIZERS.values()],
        "schedules": [_schedule(s) for s in SCHEDULES.values()],
        "clip_modes": list(CLIP_MODES[1:]),
        "activations": [_activation(a) for a in ACTIVATIONS.values()],
        "inits": [_init(i) for i in INITS.values()],
        "datasets": [_dataset(d) for d in DATASETS.values()],
    }

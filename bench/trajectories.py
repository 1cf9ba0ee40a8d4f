"""Batched trajectories: R runs × 500 Adam steps on Rosenbrock, engine vs NumPy vs PyTorch (CPU).

Same work on each side, with the same results: every run's points θ_0 … θ_500 and its loss at each of
them, coordinate-major like the engine's record ((steps + 1, 2, R) and (steps + 1, R)), and each run's
divergence step: its first point that cannot be reported (a non-finite loss or gradient, or
|θ_i| > 1e6), −1 if none. :func:`check_same_work` holds the three to each other, divergence included.

The NumPy and PyTorch versions are written as one would write them by hand for speed: x and y as two
contiguous arrays (no length-2 axis to reduce over), the analytic gradient sharing y − x² with the loss,
Adam (Alg. 8.7) with its bias corrections folded into two scalars a step. Both run through the same
function, :func:`adam_on_rosenbrock`, written against the handful of array functions the two libraries
share.

For reference the benchmark also times NumPy without the divergence bookkeeping (``numpy_unchecked``):
less work than the engine does, so not the goal's comparison, but it shows what the bookkeeping costs.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from bench.common import side_by_side
from engine.optimizers import OPTIMIZERS
from engine.surface.batched_loop import BOUND
from engine.surface.runner import RunConfig, sweep, wait_for_warm_ups

LR, B1, B2, EPS = 0.01, 0.9, 0.999, 1e-8
DIVERGING_LR = 3e5  # steps of ~3e5 leave |θ| ≤ 1e6 within a few steps: check_same_work's divergence case


def starts(runs: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-2, 2, (runs, 2)).astype(np.float32)


def engine_run(start: np.ndarray, steps: int, learning_rate: float = LR):
    """(points (steps + 1, 2, R), loss (steps + 1, R), diverged_at (R,)) from the engine's sweep."""
    config = RunConfig("adam", {**OPTIMIZERS["adam"].defaults, "learning_rate": learning_rate})
    result = sweep("rosenbrock", {}, start, config, None, steps)
    return result.output.theta, result.output.loss, result.diverged_at


def adam_on_rosenbrock(xp: SimpleNamespace, x, y, steps: int, learning_rate: float, track_divergence: bool = True):
    """Adam on (1 − x)² + 100(y − x²)² for a batch of runs with array library ``xp``.

    Per point θ_t = (x, y): with d = y − x², f = (1 − x)² + 100d², ∇f = (−2(1 − x) − 400xd, 200d); the
    point is reportable when f and ‖∇f‖² are finite and max(|x|, |y|) ≤ BOUND (not checked when
    ``track_divergence`` is false: every run is then reported as not diverged). Then
    m ← ρ₁m + (1 − ρ₁)g, v ← ρ₂v + (1 − ρ₂)g², θ ← θ − ε/(1 − ρ₁ᵗ) · m/(√(v/(1 − ρ₂ᵗ)) + δ).
    """
    runs = x.shape[0]
    mx, my, vx, vy = (xp.zeros_like(x) for _ in range(4))
    points = xp.empty((steps + 1, 2, runs), dtype=xp.float32)
    loss = xp.empty((steps + 1, runs), dtype=xp.float32)
    diverged_at = xp.full((runs,), -1, dtype=xp.int64)
    for t in range(steps + 1):
        d = y - x * x
        gx, gy = -2 * (1 - x) - 400 * x * d, 200 * d
        f = (1 - x) ** 2 + 100 * d * d
        points[t, 0], points[t, 1], loss[t] = x, y, f
        if track_divergence:
            ok = xp.isfinite(f) & xp.isfinite(gx * gx + gy * gy) & (xp.maximum(xp.abs(x), xp.abs(y)) <= BOUND)
            if not ok.all():
                diverged_at[~ok & (diverged_at < 0)] = t
        if t == steps:
            break
        mx, my = B1 * mx + (1 - B1) * gx, B1 * my + (1 - B1) * gy
        vx, vy = B2 * vx + (1 - B2) * gx * gx, B2 * vy + (1 - B2) * gy * gy
        rate, scale = learning_rate / (1 - B1 ** (t + 1)), 1 / (1 - B2 ** (t + 1))
        x, y = x - rate * mx / (xp.sqrt(vx * scale) + EPS), y - rate * my / (xp.sqrt(vy * scale) + EPS)
    return points, loss, diverged_at


def array_library(module) -> SimpleNamespace:
    """The array functions :func:`adam_on_rosenbrock` uses, taken from ``numpy`` or ``torch`` (same names)."""
    names = ("zeros_like", "empty", "full", "isfinite", "maximum", "abs", "sqrt", "float32", "int64")
    return SimpleNamespace(**{name: getattr(module, name) for name in names})


NUMPY = array_library(np)


def numpy_run(start: np.ndarray, steps: int, learning_rate: float = LR, track_divergence: bool = True):
    x, y = (np.ascontiguousarray(start[:, i]) for i in (0, 1))
    return adam_on_rosenbrock(NUMPY, x, y, steps, learning_rate, track_divergence)


def torch_run(start: np.ndarray, steps: int, learning_rate: float = LR):
    import torch

    with torch.no_grad():
        x, y = (torch.from_numpy(np.ascontiguousarray(start[:, i])) for i in (0, 1))
        return tuple(a.numpy() for a in adam_on_rosenbrock(array_library(torch), x, y, steps, learning_rate))


def check_same_work(contenders: dict, runs: int = 64, steps: int = 50) -> dict[str, float]:
    """Per contender, the largest relative difference of its points from the engine's; raises if its
    divergence steps differ from the engine's in a run with a learning rate that makes runs diverge."""
    start = starts(runs)
    ours = engine_run(start, steps)[0]
    diffs = {}
    for name, run in contenders.items():
        theirs = run(start, steps)[0]
        diffs[name] = float(np.max(np.abs(ours - theirs) / (np.abs(theirs) + 1e-3)))
        engine_steps, their_steps = engine_run(start, steps, DIVERGING_LR)[2], run(start, steps, DIVERGING_LR)[2]
        if not (engine_steps >= 0).any() or not np.array_equal(engine_steps, their_steps):
            raise AssertionError(f"{name} does not find the engine's divergence steps: {their_steps} vs {engine_steps}")
    return diffs


def main(runs: int = 4096, steps: int = 500) -> dict:
    start = starts(runs)
    baselines = {"numpy": numpy_run}
    try:
        import torch

        torch.set_num_threads(2)
        baselines["torch"] = torch_run
    except ImportError:
        print("PyTorch is not installed: skipping the PyTorch column (pip install torch==2.13.0)")
    result = {"runs": runs, "steps": steps}
    result.update({f"max_rel_diff_vs_{k}": v for k, v in check_same_work(baselines).items()})
    engine_run(start, steps)  # compiles this batch's loop; the runner then compiles the other one in a thread,
    wait_for_warm_ups()  # which would otherwise share the machine with the first timed calls
    contenders = {"engine": lambda: engine_run(start, steps)}
    contenders.update({name: (lambda run=run: run(start, steps)) for name, run in baselines.items()})
    contenders["numpy_unchecked"] = lambda: numpy_run(start, steps, track_divergence=False)
    medians = side_by_side(contenders)
    result.update({f"{name}_ms": 1e3 * seconds for name, seconds in medians.items()})
    for name in [*baselines, "numpy_unchecked"]:
        result[f"speedup_vs_{name}"] = result[f"{name}_ms"] / result["engine_ms"]
    return result


if __name__ == "__main__":
    print(main())

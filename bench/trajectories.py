"""Batched trajectories: R runs × 500 Adam steps on Rosenbrock, engine vs NumPy vs PyTorch (CPU).

Same work on each side: every run's point and loss at every step, Adam (Alg. 8.7) with the analytic
Rosenbrock gradient for NumPy/PyTorch (the engine differentiates with JAX and also checks for
divergence, which only adds to its side).
"""

from __future__ import annotations

import numpy as np

from bench.common import side_by_side
from engine.optimizers import OPTIMIZERS
from engine.runner import RunConfig, sweep

LR, B1, B2, EPS = 0.01, 0.9, 0.999, 1e-8


def starts(runs: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-2, 2, (runs, 2)).astype(np.float32)


def engine_run(start: np.ndarray, steps: int):
    config = RunConfig("adam", {**OPTIMIZERS["adam"].defaults, "learning_rate": LR})
    return sweep("rosenbrock", {}, start, config, None, steps)


def numpy_run(start: np.ndarray, steps: int):
    theta = start.copy()
    s = np.zeros_like(theta)
    r = np.zeros_like(theta)
    points = np.empty((steps, *theta.shape), np.float32)
    loss = np.empty((steps, theta.shape[0]), np.float32)
    for t in range(1, steps + 1):
        x, y = theta[:, 0], theta[:, 1]
        g = np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)
        s = B1 * s + (1 - B1) * g
        r = B2 * r + (1 - B2) * g * g
        theta = theta - LR * (s / (1 - B1**t)) / (np.sqrt(r / (1 - B2**t)) + EPS)
        points[t - 1] = theta
        loss[t - 1] = (1 - theta[:, 0]) ** 2 + 100 * (theta[:, 1] - theta[:, 0] ** 2) ** 2
    return points, loss


def torch_run(start: np.ndarray, steps: int):
    import torch

    with torch.no_grad():
        theta = torch.from_numpy(start.copy())
        s = torch.zeros_like(theta)
        r = torch.zeros_like(theta)
        points = torch.empty((steps, *theta.shape))
        loss = torch.empty((steps, theta.shape[0]))
        for t in range(1, steps + 1):
            x, y = theta[:, 0], theta[:, 1]
            g = torch.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], dim=1)
            s = B1 * s + (1 - B1) * g
            r = B2 * r + (1 - B2) * g * g
            theta = theta - LR * (s / (1 - B1**t)) / (torch.sqrt(r / (1 - B2**t)) + EPS)
            points[t - 1] = theta
            loss[t - 1] = (1 - theta[:, 0]) ** 2 + 100 * (theta[:, 1] - theta[:, 0] ** 2) ** 2
    return points.numpy(), loss.numpy()


def check_same_work(runs: int = 64, steps: int = 50) -> float:
    """Largest relative difference between the engine's and NumPy's final points."""
    start = starts(runs)
    ours = engine_run(start, steps).output.theta[-1].T
    theirs = numpy_run(start, steps)[0][-1]
    return float(np.max(np.abs(ours - theirs) / (np.abs(theirs) + 1e-3)))


def main(runs: int = 4096, steps: int = 500) -> dict:
    start = starts(runs)
    result = {"runs": runs, "steps": steps, "max_rel_diff_vs_numpy": check_same_work()}
    contenders = {"engine": lambda: engine_run(start, steps), "numpy": lambda: numpy_run(start, steps)}
    try:
        import torch

        torch.set_num_threads(2)
        contenders["torch"] = lambda: torch_run(start, steps)
    except ImportError:
        print("PyTorch is not installed: skipping the PyTorch column (pip install torch==2.13.0)")
    medians = side_by_side(contenders)
    result.update({f"{name}_ms": 1e3 * seconds for name, seconds in medians.items()})
    result["speedup_vs_numpy"] = result["numpy_ms"] / result["engine_ms"]
    if "torch_ms" in result:
        result["speedup_vs_torch"] = result["torch_ms"] / result["engine_ms"]
    return result


if __name__ == "__main__":
    print(main())

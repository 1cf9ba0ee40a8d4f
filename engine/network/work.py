r"""How much arithmetic training a network takes, in multiply-adds: what the server's cost limits count.

A dense layer with ``fan_in × fan_out`` weights costs ``fan_in · fan_out`` multiply-adds per sample
forward and about twice that backward (the gradients of its input and of its weights), so with

    W = Σ_l fan_in_l · fan_out_l          (every dense layer, the output layer included)

one training step on a batch of B samples costs about ``3 · B · W``, and the optimizer's update a few
more per weight (``UPDATE_PER_WEIGHT``). A chunk's statistics pass every training and validation
sample and the G × G decision-boundary grid forward once: ``(n + G²) · W``. Activations, batch norm
and histograms are small beside these. The counts use the network's real widths (the engine pads them
to a bucket, which a user does not choose).
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.network.mlp import IN_DIM
from engine.network.training_config import NetworkConfig

UPDATE_PER_WEIGHT = 4


def weights(hidden: Sequence[int], num_classes: int) -> int:
    """``W``: the weights of the MLP's dense layers (2 → hidden… → 1 logit, or one per class)."""
    widths = (IN_DIM, *hidden, 1 if num_classes == 2 else num_classes)
    return sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))


def step_work(config: NetworkConfig) -> float:
    """Multiply-adds of one training step: forward and backward through the batch, and the update."""
    return float((3 * config.batch_size + UPDATE_PER_WEIGHT) * weights(config.hidden, config.num_classes))


def statistics_work(config: NetworkConfig, samples: int) -> float:
    """Multiply-adds of one chunk's statistics: ``samples`` points and the boundary grid, forward."""
    return float((samples + config.grid_size**2) * weights(config.hidden, config.num_classes))


def training_work(config: NetworkConfig, steps: int, samples: int) -> float:
    """Multiply-adds of ``steps`` training steps of ``config`` and the statistics after every
    ``config.steps_per_chunk`` of them (``samples`` training and validation points and the boundary grid)."""
    chunks = -(-steps // config.steps_per_chunk)
    return steps * step_work(config) + chunks * statistics_work(config, samples)

r"""Shape buckets: a few compiled programs serve every network the lab allows.

A network of ``H`` hidden layers of widths :math:`w_1 \dots w_H` (each 2..256, ``H`` 1..20) is run
in a program compiled for its **width bucket** :math:`W = \min\{b \in` :data:`WIDTHS` :math:`: b \ge
\max_\ell w_\ell\}`: every hidden layer is a :math:`W \times W` block (the first :math:`2 \times W`),
the real units a mask, the depth a traced count (:mod:`engine.network.mlp`). Minibatches are padded
to a **batch bucket** (:data:`BATCHES`), training/validation sets to a **sample bucket**
(:data:`SAMPLES`) with a mask; the output layer always has :data:`MAX_CLASSES` logits, the unused
ones masked. So a program is selected by (width bucket, batch bucket) for training steps and (width
bucket, sample bucket) for the statistics, never by the exact architecture, and masks make sure that
padding changes no number a user sees.
"""

from __future__ import annotations

import bisect

MAX_DEPTH = 20  # hidden layers
MAX_WIDTH = 256
MAX_CLASSES = 6  # logits of the padded output layer
MAX_SAMPLES = 2048  # the largest training (or validation) set, padded: the minibatch pool

WIDTHS = (8, 16, 32, 64, 128, 256)
BATCHES = (16, 64, 256, 1024, 2048)
SAMPLES = (128, 512, 2048)


def bucket(value: int, sizes: tuple[int, ...]) -> int:
    """The smallest size in ``sizes`` holding ``value``; ``ValueError`` beyond the largest."""
    i = bisect.bisect_left(sizes, value)
    if value < 1 or i == len(sizes):
        raise ValueError(f"{value} is outside 1..{sizes[-1]}")
    return sizes[i]


def width_bucket(hidden: tuple[int, ...]) -> int:
    if not 1 <= len(hidden) <= MAX_DEPTH:
        raise ValueError(f"a network has 1..{MAX_DEPTH} hidden layers, got {len(hidden)}")
    return bucket(max(hidden), WIDTHS)


def batch_bucket(batch_size: int) -> int:
    return bucket(batch_size, BATCHES)


def sample_bucket(n: int) -> int:
    return bucket(max(n, 1), SAMPLES)

"""Recycled record buffers: the large arrays the batched loop writes every step of its runs into.

A compiled chunk (:mod:`engine.surface.batched_loop`) records into buffers it is given and may overwrite
(donated). A fresh buffer of XLA:CPU is zero-filled first (there is no uninitialised allocation on
CPU), one more pass over the whole record: for a 4096-run sweep of 512 steps that is 24 MB, ~15 % of
the call. So the runner hands a record to its caller as NumPy views of the buffer, and once the last
view is gone the buffer goes back into a small pool, to be overwritten by the next chunk of the same
shape: the same memory, already mapped, and no fill.

Donation is safe here: a buffer is only pooled when nothing refers to it any more, and should a view
still hold it when it is donated (a thread racing its release), JAX copies instead of overwriting.
"""

from __future__ import annotations

import functools
import math
import threading
import weakref

import jax
import jax.numpy as jnp
import numpy as np

KEEP_PER_SHAPE = 2
MIN_BYTES = 1 << 20


class RecordPool:
    """Free float32 buffers by shape, at most ``keep_per_shape`` of each (the rest are freed).

    Records under ``min_bytes`` in all are not worth it (:meth:`worth`): filling a small buffer costs
    less than lending and taking it back, so XLA allocates those inside the call.
    """

    def __init__(self, keep_per_shape: int = KEEP_PER_SHAPE, min_bytes: int = MIN_BYTES):
        self._free: dict[tuple[int, ...], list[jax.Array]] = {}
        self._keep = keep_per_shape
        self._min_bytes = min_bytes
        self._lock = threading.Lock()

    def worth(self, shapes) -> bool:
        """Whether a record with buffers of these shapes (``None`` skipped) is recycled."""
        return 4 * sum(math.prod(shape) for shape in shapes if shape is not None) >= self._min_bytes

    def take(self, shapes: tuple[tuple[int, ...] | None, ...]) -> tuple[jax.Array | None, ...]:
        """Buffers of these shapes (``None`` stays ``None``) for a compiled chunk to overwrite: returned
        ones where there are, the others new (zero-filled, in one call)."""
        with self._lock:
            taken = [None if s is None or not self._free.get(s) else self._free[s].pop() for s in shapes]
        missing = tuple(s for s, b in zip(shapes, taken, strict=True) if s is not None and b is None)
        if missing:
            fresh = iter(_zeros(missing))
            taken = [next(fresh) if s is not None and b is None else b for s, b in zip(shapes, taken, strict=True)]
        return tuple(taken)

    def lend(self, buffer: jax.Array | np.ndarray) -> np.ndarray:
        """``buffer`` as a read-only NumPy array (a view, no copy); the buffer is taken back once that array
        and every view of it are gone. NumPy input is passed through."""
        array = np.asarray(buffer)
        if isinstance(buffer, jax.Array):
            weakref.finalize(array, self._take_back, buffer).atexit = False
        return array

    def give_back(self, buffer: jax.Array) -> None:
        """Take back a buffer that nothing reads any more (a record reduced on the device, never lent)."""
        self._take_back(buffer)

    def free_count(self, shape: tuple[int, ...]) -> int:
        with self._lock:
            return len(self._free.get(shape, ()))

    def _take_back(self, buffer: jax.Array) -> None:
        with self._lock:
            free = self._free.setdefault(buffer.shape, [])
            if len(free) < self._keep and not buffer.is_deleted():
                free.append(buffer)


@functools.partial(jax.jit, static_argnums=0)
def _zeros(shapes: tuple[tuple[int, ...], ...]) -> tuple[jax.Array, ...]:
    return tuple(jnp.zeros(shape, jnp.float32) for shape in shapes)


RECORDS = RecordPool()

"""Compiled programs: the optional persistent XLA cache, and a bound on the ones a process holds.

Each compiled XLA:CPU executable holds memory and memory maps of its own: a network-lab bucket (its
steps, statistics and initialisation programs) about 0.3 GB and 1300–2500 maps, an optimizer × surface
loop about 100 maps. Linux refuses a process more than ``vm.max_map_count`` maps (65530 by default),
and XLA aborts the process when its next compilation is refused one; and every bucket of the three
warmed optimizers (90) would fill 25 GB. :func:`room` says how much of either bound a process uses
(the memory budget is the server's, :func:`set_memory_budget`), :func:`release_compiled_programs` drops
every compiled program (later calls load them from the persistent cache or compile again).
"""

from __future__ import annotations

import gc
import logging
import os
from typing import NamedTuple

import jax

log = logging.getLogger("descentlab.cache")

MAPS = "/proc/self/maps"
MAP_LIMIT = "/proc/sys/vm/max_map_count"
STATM = "/proc/self/statm"
MEMINFO = "/proc/meminfo"
CGROUP_MEMORY_MAX = "/sys/fs/cgroup/memory.max"
_memory_budget = 0  # bytes; 0: none


def enable_compilation_cache(directory: str) -> None:
    """Cache every compiled function under ``directory`` (per machine; empty string: off)."""
    if not directory:
        return
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)


def map_use() -> tuple[int, int] | None:
    """``(memory maps this process holds, the kernel's limit)``, or ``None`` without ``/proc``."""
    if not (os.path.exists(MAPS) and os.path.exists(MAP_LIMIT)):
        return None
    with open(MAPS, "rb") as maps:
        used = sum(1 for _ in maps)
    with open(MAP_LIMIT) as limit:
        return used, int(limit.read())


def set_memory_budget(nbytes: int) -> None:
    """The memory (bytes) this process may fill, above all with compiled programs (0: no budget)."""
    global _memory_budget
    _memory_budget = int(nbytes)


def resident_bytes() -> int | None:
    """The process's resident memory, or ``None`` without ``/proc``."""
    if not os.path.exists(STATM):
        return None
    with open(STATM) as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def host_memory_bytes() -> int | None:
    """The memory this process's machine or container has: ``MemTotal``, or the cgroup's ``memory.max`` where
    that is lower (a container's limit); ``None`` without ``/proc``."""
    if not os.path.exists(MEMINFO):
        return None
    with open(MEMINFO) as meminfo:
        total = next((int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemTotal:")), None)
    if total is not None and os.path.exists(CGROUP_MEMORY_MAX):
        with open(CGROUP_MEMORY_MAX) as limit:
            text = limit.read().strip()
        if text.isdigit():  # "max": no limit
            total = min(total, int(text))
    return total


class Room(NamedTuple):
    """How much of its bounds the process uses: ``share`` of the tighter one, which is ``limit`` ("memory"
    or "maps"), and ``detail`` in words."""

    share: float
    limit: str
    detail: str


def room() -> Room:
    shares = [Room(0.0, "maps", "no /proc")]
    maps = map_use()
    if maps is not None:
        shares.append(Room(maps[0] / maps[1], "maps", f"{maps[0]} memory maps of vm.max_map_count = {maps[1]}"))
    resident = resident_bytes()
    if resident is not None and _memory_budget:
        detail = f"{resident / 1e9:.1f} GB of its {_memory_budget / 1e9:g} GB memory budget"
        shares.append(Room(resident / _memory_budget, "memory", detail))
    return max(shares, key=lambda r: r.share)


def near_limit(share: float) -> bool:
    """The process uses more than ``share`` of its memory budget or of ``vm.max_map_count`` maps."""
    return room().share > share


def release_compiled_programs() -> None:
    """Drop every compiled program this process holds (their memory and memory maps)."""
    held = room().detail
    jax.clear_caches()
    gc.collect()
    log.warning("released every compiled program: the process held %s", held)

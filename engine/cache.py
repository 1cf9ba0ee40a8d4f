"""Compiled programs: the optional persistent XLA cache, and a bound on the ones a process holds.

Each compiled XLA:CPU executable holds memory maps of its own (a steps program of the padded network
about 1600, an optimizer × surface loop about 100). Linux refuses a process more than
``vm.max_map_count`` maps (65530 by default), and XLA aborts the process when its next compilation is
refused one. :func:`near_map_limit` says when a process gets close, :func:`release_compiled_programs`
drops every compiled program (later calls load them from the persistent cache or compile again).
"""

from __future__ import annotations

import gc
import logging
import os

import jax

log = logging.getLogger("descentlab.cache")

MAPS = "/proc/self/maps"
MAP_LIMIT = "/proc/sys/vm/max_map_count"


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


def near_map_limit(share: float) -> bool:
    """The process holds more than ``share`` of ``vm.max_map_count`` memory maps."""
    use = map_use()
    return use is not None and use[0] > share * use[1]


def release_compiled_programs() -> None:
    """Drop every compiled program this process holds (and the memory maps they hold)."""
    use = map_use()
    jax.clear_caches()
    gc.collect()
    log.warning(
        "released every compiled program: the process held %s of vm.max_map_count %s memory maps", *(use or ("?", "?"))
    )

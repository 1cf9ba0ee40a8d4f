"""Optional persistent XLA compilation cache, so a restarted server skips recompiling."""

from __future__ import annotations

import jax


def enable_compilation_cache(directory: str) -> None:
    """Cache every compiled function under ``directory`` (per machine; empty string: off)."""
    if not directory:
        return
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)

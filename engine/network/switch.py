r"""A ``lax.switch`` on a traced index whose backward pass recomputes only the branch taken.

The network lab's traced choices (activation, batch norm, dropout: :mod:`engine.network.mlp`) are
switches inside the differentiated loss. :func:`switch_recomputed` keeps the compiled program one for
every choice without paying, in every layer and step, for the branches not taken.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp

Array = jax.Array


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def switch_recomputed(branches: tuple[Callable, ...], index: Array, *operands):
    """``lax.switch(index, branches, *operands)`` whose backward pass recomputes the branch taken.

    Differentiating a plain ``lax.switch`` (or ``lax.cond``) saves the residuals of *every* branch, and
    the branches not taken fill theirs with zeros: a traced activation (ten branches), batch norm or
    dropout switched off would cost batch-sized buffers of zeros in every layer and step, several times
    the matrix products of a small network. Here only the operands are kept, and the backward pass
    is the VJP of the one branch ``index`` selects (a second evaluation of a cheap elementwise branch).
    Operands that are not floating point (a PRNG key, a mask of bools) get no cotangent.
    """
    return jax.lax.switch(index, branches, *operands)


def _switch_recomputed_fwd(branches, index, *operands):
    return switch_recomputed(branches, index, *operands), (index, operands)


def _differentiable(x) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.floating)


def _switch_recomputed_bwd(branches, residuals, cotangent):
    index, operands = residuals
    leaves, treedef = jax.tree.flatten(operands)
    floats = [i for i, x in enumerate(leaves) if _differentiable(x)]

    def pullback(branch):
        def of_floats(*values):
            merged = list(leaves)
            for i, v in zip(floats, values, strict=True):
                merged[i] = v
            return branch(*jax.tree.unflatten(treedef, merged))

        return lambda: jax.vjp(of_floats, *(leaves[i] for i in floats))[1](cotangent)

    grads = jax.lax.switch(index, [pullback(b) for b in branches])
    out: list = [None] * len(leaves)
    for i, g in zip(floats, grads, strict=True):
        out[i] = g
    return (None, *jax.tree.unflatten(treedef, out))


switch_recomputed.defvjp(_switch_recomputed_fwd, _switch_recomputed_bwd)

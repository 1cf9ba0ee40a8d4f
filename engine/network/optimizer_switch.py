r"""Every network optimizer in one compiled program: the rule is a traced index, the state one shape.

The catalog's rules (:mod:`engine.optimizers`) keep different optax states, but each is at most a
step count and two parameter-shaped trees:

=====================  =====  ==================================================
rule                   count  trees
=====================  =====  ==================================================
SGD                    –      –
momentum, Nesterov     –      velocity :math:`v`
AdaGrad, RMSProp       –      accumulated :math:`r`
RMSProp + Nesterov     –      :math:`r`, :math:`v`
AdaDelta               –      :math:`E[g^2]`, :math:`E[\Delta\theta^2]`
delta-bar-delta        –      per-weight rates, :math:`\bar\delta`
Adam, Nadam, AdamW     t      :math:`s`, :math:`r`
Lion                   t      :math:`m`
=====================  =====  ==================================================

So a training state holds :class:`Slots` (a count and two trees, unused ones zero) for every rule,
and the update is ``lax.switch(index, rules)``: each branch turns the slots into its rule's optax
state (:func:`unpack`), runs the catalog's factory with its own hyperparameters, and packs the new
state (:func:`pack`). On CPU a switch on a traced index runs one branch, so a step costs what the
chosen rule costs, and one compiled program serves every optimizer: choosing another never compiles.
The numbers are the catalog's rules themselves (``tests/engine/test_optimizer_switch.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine.optimizers import OPTIMIZERS, OptimizerSpec
from engine.rules import momentum_lookahead

Array = jax.Array

NETWORK_OPTIMIZERS = tuple(k for k, s in OPTIMIZERS.items() if not s.needs_hessian)
"""The rules a network can train with (Newton needs a Hessian), in catalog order: the switch's index."""


def _hyperparameter_defaults() -> dict[str, float]:
    """Every hyperparameter name of :data:`NETWORK_OPTIMIZERS`, with the first rule's default for it."""
    names: dict[str, float] = {}
    for optimizer in NETWORK_OPTIMIZERS:
        for name, default in OPTIMIZERS[optimizer].defaults.items():
            names.setdefault(name, default)
    return dict(sorted(names.items()))


HYPERPARAMETER_DEFAULTS = _hyperparameter_defaults()
"""The traced hyperparameters every program takes (a rule reads its own; the others are ignored)."""


class Slots(NamedTuple):
    """Any rule's state: a step count and two parameter-shaped trees (zeros where the rule has fewer)."""

    count: Array  # int32
    first: optax.Params
    second: optax.Params


def optimizer_index(optimizer: str) -> np.int32:
    """The traced index that selects ``optimizer`` (``ValueError`` for a rule networks cannot use)."""
    if optimizer not in NETWORK_OPTIMIZERS:
        usable = sorted(NETWORK_OPTIMIZERS)
        raise ValueError(f"optimizer {optimizer!r} cannot train a network; expected one of {usable}")
    return np.int32(NETWORK_OPTIMIZERS.index(optimizer))


def hyperparameter_values(optimizer: str, chosen: dict[str, float]) -> dict[str, np.float32]:
    """All of :data:`HYPERPARAMETER_DEFAULTS` as float32, ``optimizer``'s own from its defaults and ``chosen``."""
    values = {**HYPERPARAMETER_DEFAULTS, **OPTIMIZERS[optimizer].defaults, **chosen}
    return {k: np.float32(v) for k, v in values.items()}


def _transformation(spec: OptimizerSpec, hyperparameters: dict[str, Array]) -> optax.GradientTransformation:
    return spec.factory(**{name: hyperparameters[name] for name in spec.defaults})


def _split(leaves: list, params: optax.Params) -> tuple[list, list[list]]:
    """A rule's state leaves as ``([count] or [], [leaves of each parameter tree])``: the layout of every
    catalog rule (a leading scalar step count where it keeps one)."""
    count, rest = (leaves[:1], leaves[1:]) if leaves and jnp.ndim(leaves[0]) == 0 else ([], leaves)
    size = max(jax.tree.structure(params).num_leaves, 1)
    return count, [rest[i : i + size] for i in range(0, len(rest), size)]


def pack(state, params: optax.Params) -> Slots:
    """A rule's optax state as :class:`Slots`: its scalar count (if any), then its parameter trees in order."""
    count, trees = _split(jax.tree.leaves(state), params)
    if len(trees) > 2:
        raise ValueError(f"a state of {len(trees)} parameter trees does not fit the two slots")
    treedef = jax.tree.structure(params)
    zeros = jax.tree.map(jnp.zeros_like, params)
    first, second = [jax.tree.unflatten(treedef, t) for t in trees] + [zeros] * (2 - len(trees))
    return Slots(jnp.asarray(count[0], jnp.int32) if count else jnp.zeros((), jnp.int32), first, second)


def unpack(spec: OptimizerSpec, slots: Slots, params: optax.Params):
    """``spec``'s optax state held in ``slots`` (the inverse of :func:`pack`)."""
    shape = jax.eval_shape(_transformation(spec, {k: jnp.float32(v) for k, v in spec.defaults.items()}).init, params)
    count, trees = _split(jax.tree.leaves(shape), params)
    values = [slots.count.astype(c.dtype) for c in count]
    values += [leaf for tree in (slots.first, slots.second)[: len(trees)] for leaf in jax.tree.leaves(tree)]
    return jax.tree.unflatten(jax.tree.structure(shape), values)


def _specs() -> list[OptimizerSpec]:
    return [OPTIMIZERS[k] for k in NETWORK_OPTIMIZERS]


def init(index: Array, hyperparameters: dict[str, Array], params: optax.Params) -> Slots:
    """The chosen rule's state at step 0 (not always zeros: delta-bar-delta starts every rate at ε)."""
    branches = [lambda p, spec=spec: pack(_transformation(spec, hyperparameters).init(p), p) for spec in _specs()]
    return jax.lax.switch(index, branches, params)


def gradient_point(index: Array, hyperparameters: dict[str, Array], slots: Slots, params: optax.Params):
    r"""Where the gradient is taken: :math:`\theta` or, for the Nesterov rules, :math:`\theta + \alpha v`."""

    def branch(spec: OptimizerSpec):
        if not spec.lookahead:
            return lambda p, s: p
        return lambda p, s: momentum_lookahead(p, unpack(spec, s, p), hyperparameters[spec.lookahead])

    return jax.lax.switch(index, [branch(spec) for spec in _specs()], params, slots)


def update(index: Array, hyperparameters: dict[str, Array], grads, slots: Slots, params: optax.Params):
    """The chosen rule's ``(updates, new slots)`` for ``grads`` (optax's ``update``, one branch run)."""

    def branch(spec: OptimizerSpec):
        def run(g, s, p):
            updates, state = _transformation(spec, hyperparameters).update(g, unpack(spec, s, p), p)
            return updates, pack(state, p)

        return run

    return jax.lax.switch(index, [branch(spec) for spec in _specs()], grads, slots, params)

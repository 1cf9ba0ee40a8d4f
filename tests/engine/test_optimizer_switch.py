"""The network lab's optimizer switch: every rule through one compiled step equals the catalog's rule."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.network import optimizer_switch as S
from engine.optimizers import OPTIMIZERS
from engine.rules import momentum_lookahead

PARAMS = {"W": jnp.asarray([[0.5, -1.0], [2.0, 0.25]]), "b": jnp.asarray([0.1, -0.3])}


def _gradient(params):
    """The gradient of a small non-quadratic loss, so that every rule moves differently each step."""
    return jax.grad(lambda p: jnp.sum(jnp.sin(p["W"]) ** 2) + jnp.sum(jnp.cosh(p["b"])))(params)


@jax.jit
def _switched_steps(index, hyperparameters, params):
    slots = S.init(index, hyperparameters, params)

    def step(carry, _):
        params, slots = carry
        grads = _gradient(S.gradient_point(index, hyperparameters, slots, params))
        updates, slots = S.update(index, hyperparameters, grads, slots, params)
        params = jax.tree.map(jnp.add, params, updates)
        return (params, slots), params

    return jax.lax.scan(step, (params, slots), None, length=6)[1]


def _catalog_steps(optimizer, chosen, params):
    spec = OPTIMIZERS[optimizer]
    rule = spec.factory(**{k: jnp.float32(v) for k, v in {**spec.defaults, **chosen}.items()})
    state = rule.init(params)
    path = []
    for _ in range(6):
        point = momentum_lookahead(params, state, chosen[spec.lookahead]) if spec.lookahead else params
        updates, state = rule.update(_gradient(point), state, params)
        params = jax.tree.map(jnp.add, params, updates)
        path.append(params)
    return jax.tree.map(lambda *p: jnp.stack(p), *path)


@pytest.mark.parametrize("optimizer", S.NETWORK_OPTIMIZERS)
def test_every_rule_through_the_switch_is_the_catalogs_rule(optimizer):
    # a non-default value for each of the rule's hyperparameters, inside its slider range
    spec = OPTIMIZERS[optimizer]
    top = {h.name: min(h.max, 10 * h.default if h.default else 1.0) for h in spec.hyperparameters}
    chosen = {h.name: float(h.min + 0.37 * (top[h.name] - h.min)) for h in spec.hyperparameters}
    expected = _catalog_steps(optimizer, chosen, PARAMS)
    got = _switched_steps(S.optimizer_index(optimizer), S.hyperparameter_values(optimizer, chosen), PARAMS)
    for name in PARAMS:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-6, err_msg=optimizer)
    assert not np.allclose(got["W"][-1], PARAMS["W"]), f"{optimizer} did not move"


def test_one_compiled_program_serves_every_rule():
    _switched_steps(S.optimizer_index("sgd"), S.hyperparameter_values("sgd", {}), PARAMS)
    before = _switched_steps._cache_size()
    for optimizer in S.NETWORK_OPTIMIZERS:
        _switched_steps(S.optimizer_index(optimizer), S.hyperparameter_values(optimizer, {}), PARAMS)
    assert _switched_steps._cache_size() == before


def test_a_rule_with_a_hessian_cannot_train_a_network():
    assert "newton" in OPTIMIZERS and "newton" not in S.NETWORK_OPTIMIZERS
    with pytest.raises(ValueError, match="cannot train a network"):
        S.optimizer_index("newton")


def test_pack_and_unpack_round_trip_every_rules_state():
    for optimizer in S.NETWORK_OPTIMIZERS:
        spec = OPTIMIZERS[optimizer]
        state = spec.factory(**spec.defaults).init(PARAMS)
        distinct = lambda leaf: leaf + 3 if jnp.ndim(leaf) == 0 else leaf + jnp.arange(leaf.size).reshape(leaf.shape)  # noqa: E731
        state = jax.tree.map(distinct, state)
        back = S.unpack(spec, S.pack(state, PARAMS), PARAMS)
        assert jax.tree.structure(back) == jax.tree.structure(state), optimizer
        for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(state), strict=True):
            np.testing.assert_array_equal(a, b)

"""The textbook MLP (``reference_mlp``: exactly-shaped layers, the reference ``test_padding`` holds the
bucketed engine to), initialisers and activations; and what padding must keep: padded weights stay 0."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.network import activations, inits
from engine.network import training as T
from engine.network.datasets import make_dataset
from tests.engine import reference_mlp as mlp

KEY = jax.random.key(0)


def _x(n=64, d=2, seed=1):
    return jax.random.normal(jax.random.key(seed), (n, d))


def test_init_shapes_with_and_without_batch_norm():
    params = mlp.init_mlp(KEY, 2, (8, 8, 4), 1, "xavier_normal")
    assert [p["W"].shape for p in params] == [(2, 8), (8, 8), (8, 4), (4, 1)]
    assert all(set(p) == {"W", "b"} for p in params)
    bn_params = mlp.init_mlp(KEY, 2, (8, 4), 3, "he_normal", batch_norm=True)
    assert set(bn_params[0]) == {"W", "b", "gamma", "beta"} and set(bn_params[-1]) == {"W", "b"}
    assert mlp.hidden_widths(bn_params) == (8, 4)
    state = mlp.init_bn_state((8, 4))
    assert [s["mean"].shape for s in state] == [(8,), (4,)]
    assert mlp.output_dim(2) == 1 and mlp.output_dim(5) == 5


def test_all_initializers_have_requested_shape_and_scale():
    fan_in, fan_out = 400, 200
    expected_std = {
        "xavier_normal": np.sqrt(2 / (fan_in + fan_out)),
        "xavier_uniform": np.sqrt(2 / (fan_in + fan_out)),
        "he_normal": np.sqrt(2 / fan_in),
        "he_uniform": np.sqrt(2 / fan_in),
        "lecun_normal": np.sqrt(1 / fan_in),
        "normal": 0.01,
        "uniform": 0.1 / np.sqrt(12),  # U[-0.05, 0.05]
    }
    for name, spec in inits.INITS.items():
        w = inits.init_weights(name, KEY, fan_in, fan_out, inits.resolve_params(name))
        assert w.shape == (fan_in, fan_out) and w.dtype == jnp.float32
        if name in expected_std:
            assert abs(float(jnp.std(w)) / expected_std[name] - 1.0) < 0.02, name
        for p in spec.params.values():
            assert p.min <= p.default <= p.max
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert float(jnp.abs(inits.init_weights("xavier_uniform", KEY, fan_in, fan_out)).max()) <= limit
    assert float(jnp.abs(inits.init_weights("zeros", KEY, 3, 3)).max()) == 0.0
    np.testing.assert_allclose(np.asarray(inits.init_weights("constant", KEY, 2, 2, {"value": 0.3})), 0.3)
    drawn = np.asarray(inits.init_weights("uniform", KEY, 50, 50, {"low": 0.0, "high": 1.0}))
    assert 0.0 <= drawn.min() < 0.01 and 0.99 < drawn.max() < 1.0


def test_activation_registry():
    x = jnp.linspace(-3.0, 3.0, 101)
    for name, spec in activations.ACTIVATIONS.items():
        y = activations.apply_activation(name, x, activations.resolve_params(name))
        assert y.shape == x.shape
        lo, hi = spec.hist_range
        assert lo < hi and spec.latex
        if spec.bounded:
            assert float(y.min()) >= lo and float(y.max()) <= hi
    leaky = activations.apply_activation("leaky_relu", jnp.array([-2.0]), {"alpha": jnp.array(0.1)})
    assert abs(float(leaky[0]) + 0.2) < 1e-6
    assert activations.ACTIVATIONS["relu"].is_relu_family and not activations.ACTIVATIONS["tanh"].is_relu_family


def test_forward_shapes_binary_and_multiclass():
    x = _x()
    for out_dim in (1, 4):
        params = mlp.init_mlp(KEY, 2, (16, 8), out_dim)
        logits, state, trace = mlp.forward(params, None, x, activation="tanh")
        assert logits.shape == (64, out_dim)
        assert len(state) == 2 and len(trace) == 2
        assert trace[0]["pre"].shape == trace[0]["act"].shape == (64, 16)
        probs = mlp.probabilities(logits)
        assert probs.shape == (64, max(out_dim, 2))
        np.testing.assert_allclose(np.asarray(probs.sum(axis=1)), 1.0, rtol=1e-5)


def test_residual_adds_input_when_widths_match():
    x = _x()
    params = mlp.init_mlp(KEY, 2, (8, 8, 8), 1, "he_normal")
    plain, _, _ = mlp.forward(params, None, x, activation="relu")
    res, _, _ = mlp.forward(params, None, x, activation="relu", residual=True)
    assert res.shape == plain.shape and not np.allclose(res, plain)
    # zero middle layers: with residuals the signal passes through unchanged (relu(0) = 0)
    zeroed = [params[0]] + [{"W": jnp.zeros_like(p["W"]), "b": p["b"]} for p in params[1:3]] + [params[3]]
    res0, _, trace = mlp.forward(zeroed, None, x, activation="relu", residual=True)
    h1 = trace[0]["act"]
    np.testing.assert_allclose(np.asarray(res0), np.asarray(h1 @ params[3]["W"] + params[3]["b"]), atol=1e-6)


def test_batch_norm_train_normalises_and_updates_running_stats():
    x = 3.0 * _x(256) + 2.0
    params = mlp.init_mlp(KEY, 2, (32, 16), 1, "normal", {"std": jnp.array(1.0)}, batch_norm=True)
    params[0]["b"] = params[0]["b"] + 5.0
    state = mlp.init_bn_state((32, 16))
    _, new_state, trace = mlp.forward(
        params, state, x, activation="relu", batch_norm=True, train=True, key=KEY, bn_momentum=jnp.array(0.9)
    )
    pre = np.asarray(trace[0]["pre"])
    np.testing.assert_allclose(pre.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(pre.std(axis=0), 1.0, atol=1e-3)
    z = np.asarray(x @ params[0]["W"] + params[0]["b"])
    np.testing.assert_allclose(np.asarray(new_state[0]["mean"]), 0.1 * z.mean(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(new_state[0]["var"]), 0.9 + 0.1 * z.var(axis=0), rtol=1e-4)
    # eval mode uses (and keeps) the running statistics
    _, eval_state, eval_trace = mlp.forward(params, new_state, x, activation="relu", batch_norm=True)
    np.testing.assert_array_equal(np.asarray(eval_state[0]["mean"]), np.asarray(new_state[0]["mean"]))
    assert np.abs(np.asarray(eval_trace[0]["pre"]).mean(axis=0)).max() > 0.5


def test_dropout_function():
    x = jnp.ones((1000, 100))
    np.testing.assert_array_equal(np.asarray(mlp.dropout(x, 0.0, KEY)), np.asarray(x))
    y = np.asarray(mlp.dropout(x, jnp.array(0.5), KEY))
    zero_fraction = (y == 0).mean()
    assert 0.48 < zero_fraction < 0.52
    np.testing.assert_allclose(y[y != 0], 2.0)  # inverted dropout keeps the expectation
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_in_forward_train_vs_eval():
    x = _x()
    params = mlp.init_mlp(KEY, 2, (64, 64), 1)
    kw = {"activation": "relu"}
    eval_logits, _, _ = mlp.forward(params, None, x, dropout_rate=0.5, **kw)
    no_drop, _, _ = mlp.forward(params, None, x, dropout_rate=0.0, **kw)
    train0, _, _ = mlp.forward(params, None, x, dropout_rate=0.0, train=True, key=KEY, **kw)
    train5, _, _ = mlp.forward(params, None, x, dropout_rate=0.5, train=True, key=KEY, **kw)
    np.testing.assert_array_equal(np.asarray(eval_logits), np.asarray(no_drop))  # none dropped at eval
    np.testing.assert_allclose(np.asarray(train0), np.asarray(no_drop), rtol=1e-6)  # rate 0 = identity
    assert not np.allclose(np.asarray(train5), np.asarray(no_drop))
    mc1, _, _ = mlp.forward(params, None, x, dropout_rate=0.5, mc_dropout=True, key=jax.random.key(1), **kw)
    mc2, _, _ = mlp.forward(params, None, x, dropout_rate=0.5, mc_dropout=True, key=jax.random.key(2), **kw)
    assert not np.allclose(np.asarray(mc1), np.asarray(mc2))
    with pytest.raises(ValueError):
        mlp.forward(params, None, x, dropout_rate=0.5, train=True, **kw)


def test_penalty_and_max_norm():
    params = [{"W": jnp.array([[3.0, 0.1], [4.0, 0.1]]), "b": jnp.ones(2)}]
    penalty = mlp.weight_penalty(params, 0.1, 0.2)
    assert abs(float(penalty) - (0.1 * 7.2 + 0.1 * 25.02)) < 1e-5
    clipped = mlp.max_norm(params, jnp.array(1.0))
    w = np.asarray(clipped[0]["W"])
    np.testing.assert_allclose(w[:, 0], [0.6, 0.8], rtol=1e-6)  # norm 5 -> 1
    np.testing.assert_allclose(w[:, 1], [0.1, 0.1])  # already inside the ball
    np.testing.assert_array_equal(np.asarray(clipped[0]["b"]), 1.0)
    unchanged = mlp.max_norm(params, jnp.inf)
    np.testing.assert_array_equal(np.asarray(unchanged[0]["W"]), np.asarray(params[0]["W"]))


def test_traced_hyperparameters_do_not_recompile():
    x, y = _x(), (_x()[:, 0] > 0).astype(jnp.int32)
    params = mlp.init_mlp(KEY, 2, (8, 8), 1, batch_norm=True)
    state = mlp.init_bn_state((8, 8))

    @jax.jit
    def value(params, state, rate, l1, l2, alpha, momentum):
        loss, _ = mlp.loss_fn(
            params,
            state,
            x,
            y,
            activation="elu",
            activation_params={"alpha": alpha},
            batch_norm=True,
            residual=True,
            dropout_rate=rate,
            train=True,
            key=KEY,
            bn_momentum=momentum,
            l1=l1,
            l2=l2,
        )
        return loss

    a = value(params, state, 0.0, 0.0, 0.0, 1.0, 0.9)
    b = value(params, state, 0.3, 1e-3, 1e-2, 0.5, 0.99)
    assert float(b) != float(a)
    assert value._cache_size() == 1


def _train(name, num_classes, hidden, steps, lr, **data):
    X, y = make_dataset(name, n=200, noise=0.05, seed=0, **data)
    x, y = jnp.asarray(X), jnp.asarray(y)
    params = mlp.init_mlp(KEY, 2, hidden, mlp.output_dim(num_classes), "xavier_normal")
    grad_fn = jax.jit(
        jax.value_and_grad(lambda p: mlp.loss_fn(p, None, x, y, activation="tanh", train=False, l2=1e-4), has_aux=True)
    )
    losses, accs = [], []
    for _ in range(steps):
        (loss, aux), grads = grad_fn(params)
        params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
        losses.append(float(loss))
        accs.append(float(aux["accuracy"]))
    return losses, accs


def test_loss_decreases_on_circles_with_plain_gradient_descent():
    losses, accs = _train("circles", 2, (16, 16), steps=400, lr=0.5, factor=0.5)  # well-separated rings
    assert losses[-1] < 0.5 * losses[0]
    assert accs[-1] > 0.9


def test_softmax_path_trains_on_blobs():
    losses, accs = _train("blobs", 3, (16,), steps=100, lr=0.5)
    assert losses[-1] < losses[0]
    assert accs[-1] > 0.9


# one of each kind of optimizer state: none, velocity, accumulated squares, two accumulators, moments, sign
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adagrad", "adadelta", "adam", "lion"])
def test_padded_weights_units_and_layers_stay_exactly_zero(optimizer):
    config = T.NetworkConfig(
        hidden=(5, 3, 7), activation="sigmoid", optimizer=optimizer, batch_size=9, steps_per_chunk=24, bins=12
    )  # the programs of test_padding (batch bucket 16, 24 steps, 12 bins) where the optimizer is the same
    X, y = make_dataset("moons", n=60, noise=0.2, seed=2)
    values = T.make_values(config, l1=1e-3, l2=1e-3, clip={"mode": "norm", "threshold": 1.0})
    data = T.make_data(config, X, y)
    state = T.init_training(config, values, data, KEY)
    state, stats = T.train_chunk(config)(state, values, data)
    assert stats.step == 24 and not stats.diverged
    p = jax.device_get(state.params)
    real = np.zeros_like(p["W_hid"])
    real[0, :5, :3] = real[1, :3, :7] = 1.0
    assert np.all(p["W_hid"][real == 0] == 0.0) and np.any(p["W_hid"][real == 1] != 0.0)
    assert np.all(p["W_in"][:, 5:] == 0.0) and np.all(p["b_hid"][2:] == 0.0) and np.all(p["b_in"][5:] == 0.0)
    assert np.all(p["W_out"][7:] == 0.0) and np.all(p["W_out"][:, [0, 2, 3, 4, 5]] == 0.0)  # binary: column 1
    assert np.all(p["b_out"][[0, 2, 3, 4, 5]] == 0.0)

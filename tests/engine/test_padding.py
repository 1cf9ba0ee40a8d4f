"""The bucketed engine (padded widths, depth, batch, samples, classes) against a plain per-layer reference.

The reference (``reference_mlp``: the network as a list of exactly-shaped layers, binary networks
with one sigmoid logit) trains from the same initial weights on the same minibatches, and its
statistics are computed here with NumPy on exactly the real units, weights and samples. Padding
must change no number a user sees.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.network import training as T
from engine.network.datasets import make_dataset, split
from engine.network.optimizer_switch import NETWORK_OPTIMIZERS
from engine.network.training import _epoch_order
from engine.network.training_config import prng_key
from engine.network.training_stats import GRAD_EXP_RANGE, PREACT_RANGE
from engine.optimizers import OPTIMIZERS
from engine.rules import momentum_lookahead
from tests.engine import reference_mlp as R
from tests.engine.compile_counter import CompileCounter

ARCHITECTURES = [
    # hidden, activation, batch_norm, residual, classes, batch size, optimizer
    ((5, 5), "tanh", False, False, 2, 10, "momentum"),
    ((3, 7, 2), "relu", False, False, 2, 100, "adam"),  # full batch, mixed widths
    ((8, 8, 8, 8), "relu", True, False, 2, 16, "momentum"),  # batch norm (not Adam: see the bias below)
    ((4, 4, 4), "sigmoid", False, True, 2, 25, "momentum"),  # residual connections
    ((2, 9), "leaky_relu", False, True, 2, 7, "adam"),  # residual on the input (width 2)
    ((6, 3), "elu", True, False, 4, 13, "nesterov"),  # softmax over 4 classes, batch norm
    ((12,), "selu", False, False, 3, 100, "sgd"),
]
BINS = 12
STEPS = 24


def _data(classes):
    if classes == 2:
        X, y = make_dataset("moons", n=200, noise=0.2, seed=3)
    else:
        X, y = make_dataset("blobs", n=200, classes=classes, seed=3)
    return split(X, y, 0.5, seed=3)


def _unpad(params, hidden, classes):
    """The exactly-shaped layers of padded parameters (binary: the output layer's column 1)."""
    widths = (2, *hidden)
    layers = []
    for i, w in enumerate(hidden):
        W = params["W_in"] if i == 0 else params["W_hid"][i - 1]
        b = params["b_in"] if i == 0 else params["b_hid"][i - 1]
        layers.append(
            {"W": W[: widths[i], :w], "b": b[:w], "gamma": params["gamma"][i, :w], "beta": params["beta"][i, :w]}
        )
    cols = [1] if classes == 2 else list(range(classes))
    layers.append({"W": params["W_out"][: hidden[-1], cols], "b": params["b_out"][cols]})
    return jax.tree.map(jnp.asarray, layers)


def _reference_run(config, values, params, data, steps):
    """Plain training: per-layer network, the engine's epoch orders, the catalog's optimizer."""
    Xt, yt = np.asarray(data.pool_X)[: data.n_train], np.asarray(data.pool_y)[: data.n_train]
    n, bs = len(yt), config.batch_size
    spec = OPTIMIZERS[config.optimizer]
    hyper = {k: jnp.asarray(values.hyperparameters[k]) for k in spec.defaults}
    optimizer = spec.factory(**hyper)
    opt_state = optimizer.init(params)
    bn = R.init_bn_state(config.hidden)
    arch = {"activation": config.activation, "residual": config.residual, "batch_norm": config.batch_norm}
    order = np.arange(n)
    grad_means = []
    loss = functools.partial(R.loss_fn, **arch, train=True, key=jax.random.key(0), bn_momentum=values.bn_momentum)
    step = jax.jit(jax.value_and_grad(loss, has_aux=True))
    for t in range(steps):
        nb = n // bs
        epoch, b = divmod(t, nb)
        if b == 0 and bs < n:
            order = np.asarray(_epoch_order(jax.random.fold_in(prng_key(values.seed), 2 * epoch), n))[:n]
        idx = order[b * bs : (b + 1) * bs]
        point = momentum_lookahead(params, opt_state, hyper[spec.lookahead]) if spec.lookahead else params
        (_, aux), grads = step(point, bn, Xt[idx], yt[idx])
        grad_means.append([float(jnp.mean(jnp.abs(g["W"]))) for g in grads])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = jax.tree.map(lambda p, u: p + u, params, updates)
        bn = aux["bn_state"]
    return params, bn, np.mean(grad_means, axis=0)


def _reference_stats(config, params, bn, data):
    """What the view shows, computed plainly on the real training and validation samples."""
    n, n_val = int(data.n_train), int(data.val_mask.sum())
    Xt, yt = np.asarray(data.X_train)[:n], np.asarray(data.y_train)[:n]
    Xv, yv = np.asarray(data.X_val)[:n_val], np.asarray(data.y_val)[:n_val]
    arch = {"activation": config.activation, "residual": config.residual, "batch_norm": config.batch_norm}
    (_, aux), grads = jax.value_and_grad(R.loss_fn, has_aux=True)(params, bn, Xt, yt, **arch, train=False)
    val_logits, _, _ = R.forward(params, bn, Xv, **arch)
    from engine.network.activations import ACTIVATIONS

    lo, hi = ACTIVATIONS[config.activation].hist_range

    def hist(v, lo, hi):
        pos = np.clip(np.floor((np.asarray(v, np.float64) - lo) / (hi - lo) * BINS), 0, BINS - 1)
        return np.bincount(pos.astype(int).ravel(), minlength=BINS)

    def log_hist(g):
        with np.errstate(divide="ignore"):
            e = np.log10(np.abs(np.asarray(g, np.float64)))
        pos = np.nan_to_num((e - GRAD_EXP_RANGE[0]) / (GRAD_EXP_RANGE[1] - GRAD_EXP_RANGE[0]) * BINS, neginf=0.0)
        return np.bincount(np.clip(np.floor(pos), 0, BINS - 1).astype(int).ravel(), minlength=BINS)

    trace = aux["trace"]
    relu_family = ACTIVATIONS[config.activation].is_relu_family
    return {
        "train_loss": float(aux["data_loss"]),
        "train_accuracy": float(aux["accuracy"]),
        "val_loss": float(R.cross_entropy(val_logits, yv)),
        "val_accuracy": float(R.accuracy(val_logits, yv)),
        "act_mean": [float(np.mean(t["act"])) for t in trace],
        "act_std": [float(np.std(t["act"])) for t in trace],
        "act_hist": [hist(t["act"], lo, hi) for t in trace],
        "preact_hist": [hist(t["pre"], *PREACT_RANGE) for t in trace],
        "dead_fraction": [
            float(np.mean(np.all(np.asarray(t["pre"]) <= 0, axis=0))) if relu_family else 0.0 for t in trace
        ],
        "weight_std": [float(np.std(p["W"])) for p in params],
        "weight_absmax": [float(np.max(np.abs(p["W"]))) for p in params],
        "grad_hist": [log_hist(g["W"]) for g in grads],
    }


def _close_counts(a, b, total):
    """Histogram counts equal up to a value or two on a bin edge (float32 rounding), same total."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.sum() == b.sum() == total
    assert np.abs(a - b).sum() <= max(4, total // 500), (a, b)


@pytest.mark.parametrize("case", ARCHITECTURES, ids=lambda c: "x".join(map(str, c[0])) + "-" + c[1])
def test_bucketed_engine_equals_the_plain_reference(case):
    hidden, activation, batch_norm, residual, classes, batch_size, optimizer = case
    config = T.NetworkConfig(
        hidden=hidden, activation=activation, batch_norm=batch_norm, residual=residual, num_classes=classes,
        optimizer=optimizer, batch_size=batch_size, steps_per_chunk=STEPS, bins=BINS, init="xavier_normal",
    )  # fmt: skip
    Xt, yt, Xv, yv = _data(classes)
    values = T.make_values(config, {"learning_rate": 0.05}, seed=4)
    data = T.make_data(config, Xt, yt, Xv, yv)
    state = T.init_training(config, values, data, jax.random.key(1))
    params0 = _unpad(jax.device_get(state.params), hidden, classes)

    state, chunk = T.train_chunk(config)(state, values, data)
    params, bn, grad_means = _reference_run(config, values, params0, data, STEPS)
    ref = _reference_stats(config, params, bn, data)

    trained = _unpad(jax.device_get(state.params), hidden, classes)
    for i, (ours, theirs) in enumerate(zip(trained, params, strict=True)):
        for name in ours:
            if batch_norm and name == "b" and i < len(hidden):
                continue  # batch norm cancels a hidden bias: its gradient is rounding noise, which Adam amplifies
            np.testing.assert_allclose(ours[name], theirs[name], rtol=2e-4, atol=2e-5, err_msg=f"layer {i} {name}")
    for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(getattr(chunk, name), ref[name], rtol=1e-4, atol=1e-5, err_msg=name)
    layers = chunk.layers
    for name in ("act_mean", "act_std", "dead_fraction", "weight_std", "weight_absmax"):
        np.testing.assert_allclose(getattr(layers, name), ref[name], rtol=1e-3, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(layers.grad_abs_mean, grad_means, rtol=1e-3, atol=1e-7)
    n = len(yt)
    for i, w in enumerate(hidden):
        _close_counts(layers.act_hist[i], ref["act_hist"][i], n * w)
        _close_counts(layers.preact_hist[i], ref["preact_hist"][i], n * w)
    for i, p in enumerate(params):
        _close_counts(layers.grad_hist[i], ref["grad_hist"][i], p["W"].size)
        assert layers.weight_hist[i].sum() == p["W"].size


def test_twenty_architectures_after_warm_up_compile_nothing():
    """Depth, widths (within a width bucket), activation, batch norm, residual, initializer, classes,
    optimizer, batch size (within a batch bucket), dataset size (within a sample bucket), steps per
    chunk: all traced."""
    X, y = make_dataset("blobs", n=300, classes=3, seed=0)

    def chunk(hidden, activation, bn, res, init, classes, batch, n, steps=5, optimizer="adam"):
        config = T.NetworkConfig(
            hidden=hidden, activation=activation, batch_norm=bn, residual=res, init=init, num_classes=classes,
            optimizer=optimizer, batch_size=batch, steps_per_chunk=steps,
        )  # fmt: skip
        labels = y[:n] % classes
        values = T.make_values(config, seed=n)
        data = T.make_data(config, X[:n], labels, X[n : n + 50], y[n : n + 50] % classes)
        state = T.init_training(config, values, data, jax.random.key(n))
        state, stats = T.evaluate(config)(state, values, data)
        state, stats = T.train_chunk(config)(state, values, data)
        assert stats.layers.act_hist.shape == (len(hidden), config.bins)
        assert stats.step == steps and stats.batch_loss.shape == (steps,)

    chunk((9, 9), "relu", False, False, "he_normal", 2, 20, 100)  # warm-up: width 16, batch 64, samples 128
    rng = np.random.default_rng(0)
    activations = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "linear"]
    inits = ["he_normal", "xavier_uniform", "normal", "uniform", "lecun_normal", "zeros"]
    optimizers = [o for o in NETWORK_OPTIMIZERS if not OPTIMIZERS[o].full_batch_only]
    with CompileCounter() as counter:
        for i in range(20):
            depth = int(rng.integers(1, 21))
            hidden = tuple(int(w) for w in rng.integers(9, 17, size=depth))
            chunk(
                hidden, activations[i % 7], bool(i % 2), bool(i % 3 == 0), inits[i % 6], 2 + i % 2,
                int(rng.integers(17, 65)), int(rng.integers(65, 129)), steps=int(rng.integers(1, 13)),
                optimizer=optimizers[i % len(optimizers)],
            )  # fmt: skip
    assert counter.count == 0


def test_a_recomputed_switch_has_the_gradients_of_the_branch_it_takes():
    """``switch_recomputed`` (the traced depth, activation, batch norm and dropout) differentiates like
    the branch taken, and a PRNG-key operand gets no cotangent."""
    from engine.network import mlp
    from engine.network.switch import switch_recomputed

    z = jax.random.normal(jax.random.key(0), (6, 4))
    for index, name in enumerate(mlp.ACTIVATION_NAMES):
        switched = jax.grad(lambda z, a, i=index: jnp.sum(mlp.activate(z, jnp.int32(i), a) ** 2), argnums=(0, 1))
        plain = jax.grad(lambda z, a, i=index: jnp.sum(mlp._ACTIVATION_BRANCHES[i](z, a) ** 2), argnums=(0, 1))
        for got, want in zip(switched(z, jnp.float32(0.2)), plain(z, jnp.float32(0.2)), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7, err_msg=name)
    key = jax.random.key(3)
    dropped = jax.grad(lambda z: jnp.sum(mlp.dropout(z, 0.5, key) ** 2))(z)
    np.testing.assert_allclose(dropped, jax.grad(lambda z: jnp.sum(mlp._dropped(z, jnp.float32(0.5), key) ** 2))(z))
    np.testing.assert_allclose(jax.grad(lambda z: jnp.sum(mlp.dropout(z, 0.0, key) ** 2))(z), 2 * z)
    mask = jnp.ones((6,))
    for on in (False, True):
        got = jax.grad(
            lambda z, on=on: jnp.sum(jnp.sin(switch_recomputed(mlp._BN_TRAIN, jnp.int32(on), z, 1.5, 0.1, mask)))
        )(z)
        want = jax.grad(lambda z, on=on: jnp.sum(jnp.sin(mlp.normalize_batch(z, 1.5, 0.1, mask) if on else z)))(z)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

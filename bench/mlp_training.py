"""MLP training throughput: 10 × 32 tanh, full batch of 1000, SGD, every per-layer statistic.

Engine: chunks of 100 jitted steps, then the per-layer statistics (activation, pre-activation,
gradient and weight histograms, means, stds, dead fraction, update ratios, losses, accuracies,
decision boundary), the network padded to its shape bucket (one program for every architecture).
The floor: a bare JAX ``lax.scan`` of the same SGD steps at the exact shapes, no statistics, no
guards, no padding. PyTorch (CPU): the same steps, and the same statistics once per 100 steps
(histograms with torch.histc, a 40×40 boundary grid). The padding cost: bucketed engine steps (no
statistics) vs the bare exact scan for several architectures.
"""

from __future__ import annotations

import numpy as np

from bench.common import side_by_side
from engine.network.datasets import make_dataset, split
from engine.network.training import init_training, make_data, make_values, train_chunk
from engine.network.training_config import NetworkConfig

HIDDEN, STEPS, LR, BINS, GRID = (32,) * 10, 100, 0.1, 30, 40


def data():
    X, y = make_dataset("circles", n=2000, noise=0.1, seed=0)
    return split(X, y, 0.5, seed=0)


def engine_chunk(X_train, y_train, X_val, y_val):
    """One engine chunk of STEPS steps plus statistics, as a callable."""
    import jax

    config = NetworkConfig(
        hidden=HIDDEN,
        activation="tanh",
        optimizer="sgd",
        batch_size=len(y_train),
        steps_per_chunk=STEPS,
        bins=BINS,
        grid_size=GRID,
        init="xavier_normal",
    )
    values = make_values(config, {"learning_rate": LR})
    train_data = make_data(config, X_train, y_train, X_val, y_val)
    state = init_training(config, values, train_data, jax.random.key(0))
    run = train_chunk(config)
    holder = {"state": state}

    def chunk():
        holder["state"], stats = run(holder["state"], values, train_data)
        jax.block_until_ready(stats)

    chunk()  # compile
    return chunk


def floor_chunk(X_train, y_train, hidden=HIDDEN, steps=STEPS):
    """The bare exact-shape training scan: what this CPU can do for these steps (the floor)."""
    import jax
    import jax.numpy as jnp
    import optax

    widths = (2, *hidden, 1)
    keys = jax.random.split(jax.random.key(0), len(widths) - 1)
    params = [
        (jax.random.normal(k, (a, b)) * np.sqrt(2 / (a + b)), jnp.zeros(b))
        for k, a, b in zip(keys, widths[:-1], widths[1:], strict=True)
    ]
    x, y = jnp.asarray(X_train), jnp.asarray(y_train, jnp.float32)

    def loss(params):
        h = x
        for w, b in params[:-1]:
            h = jnp.tanh(h @ w + b)
        w, b = params[-1]
        return jnp.mean(optax.sigmoid_binary_cross_entropy((h @ w + b)[:, 0], y))

    @jax.jit
    def run(params):
        def step(p, _):
            return jax.tree.map(lambda a, g: a - LR * g, p, jax.grad(loss)(p)), None

        return jax.lax.scan(step, params, length=steps)[0]

    holder = {"params": params}

    def chunk():
        holder["params"] = jax.block_until_ready(run(holder["params"]))

    chunk()
    return chunk


def engine_steps_only(X_train, y_train, hidden, steps=STEPS):
    """The bucketed engine's training steps alone (its statistics program not run)."""
    import jax

    from engine.network import training as T

    config = NetworkConfig(
        hidden=hidden, activation="tanh", optimizer="sgd", batch_size=len(y_train), init="xavier_normal"
    )
    values = make_values(config, {"learning_rate": LR})
    data = make_data(config, X_train, y_train)
    state = init_training(config, values, data, jax.random.key(0))
    key = T.program_key(config)
    run = T._steps_program(key.batch)
    arch = T.arch(config)
    pool = (data.pool_X, data.pool_y, data.n_train)
    holder = {"state": state}

    def chunk():
        holder["state"], trace = run(holder["state"], arch, values, pool, np.int32(steps))
        jax.block_until_ready(trace)

    chunk()
    return chunk


PADDING_CASES = ((5,) * 5, (32,) * 10, (100,) * 4, (64,) * 20)


def padding_cost(X_train, y_train) -> dict:
    """Steps/s of the bucketed engine (steps only) and the bare exact scan, per architecture."""
    out = {}
    for hidden in PADDING_CASES:
        medians = side_by_side(
            {"bucketed": engine_steps_only(X_train, y_train, hidden), "exact": floor_chunk(X_train, y_train, hidden)},
            rounds=3,
            block=3,
        )
        name = f"{len(hidden)} x {hidden[0]}"
        out[name] = {k: STEPS / v for k, v in medians.items()}
    return out


def torch_chunk(X_train, y_train, X_val, y_val):
    """The same chunk in PyTorch (CPU, two threads), as a callable."""
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    widths = (2, *HIDDEN)
    layers = [torch.nn.Linear(a, b) for a, b in zip(widths, widths[1:], strict=False)]
    for layer in layers:
        torch.nn.init.xavier_normal_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    head = torch.nn.Linear(HIDDEN[-1], 1)
    params = [p for layer in (*layers, head) for p in layer.parameters()]
    optimizer = torch.optim.SGD(params, lr=LR)
    x, y = torch.from_numpy(X_train), torch.from_numpy(y_train.astype(np.float32))
    xv, yv = torch.from_numpy(X_val), torch.from_numpy(y_val.astype(np.float32))
    gx, gy = torch.meshgrid(torch.linspace(-1.5, 1.5, GRID), torch.linspace(-1.5, 1.5, GRID), indexing="xy")
    grid = torch.stack([gx.ravel(), gy.ravel()], 1)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def forward(inputs, keep=None):
        h = inputs
        for layer in layers:
            z = layer(h)
            h = torch.tanh(z)
            if keep is not None:
                keep.append((z, h))
        return head(h).squeeze(-1)

    def statistics():
        trace = []
        loss = loss_fn(forward(x, trace), y)
        grads = torch.autograd.grad(loss, [layer.weight for layer in (*layers, head)])
        with torch.no_grad():
            out = []
            for (z, h), layer, g in zip(trace, layers, grads, strict=False):
                out += [torch.histc(h, BINS, -1, 1), torch.histc(z.clamp(-4, 4), BINS, -4, 4), h.mean(), h.std()]
                out += [torch.histc(torch.log10(g.abs() + 1e-30).clamp(-8, 0), BINS, -8, 0), g.abs().mean()]
                w = layer.weight
                out += [
                    torch.histc(w, BINS, float(-w.abs().max()), float(w.abs().max())),
                    (h <= 0).all(0).float().mean(),
                ]
            val = forward(xv)
            out += [loss_fn(val, yv), ((val > 0).float() == yv).float().mean(), torch.sigmoid(forward(grid))]
        return out

    def chunk():
        for _ in range(STEPS):
            optimizer.zero_grad()
            loss_fn(forward(x), y).backward()
            optimizer.step()
        statistics()

    return chunk


def main() -> dict:
    arrays = data()
    contenders = {"engine": engine_chunk(*arrays), "floor": floor_chunk(arrays[0], arrays[1])}
    try:
        contenders["torch"] = torch_chunk(*arrays)
    except ImportError:
        print("PyTorch is not installed: skipping the comparison (pip install torch==2.13.0)")
    medians = side_by_side(contenders, rounds=3, block=3)
    result = {"network": "10 x 32 tanh, full batch 1000"}
    result.update({f"{name}_steps_per_s": STEPS / seconds for name, seconds in medians.items()})
    if "torch_steps_per_s" in result:
        result["speedup_vs_torch"] = result["engine_steps_per_s"] / result["torch_steps_per_s"]
    result["share_of_floor"] = result["engine_steps_per_s"] / result["floor_steps_per_s"]
    result["padding"] = padding_cost(arrays[0], arrays[1])
    return result


if __name__ == "__main__":
    print(main())

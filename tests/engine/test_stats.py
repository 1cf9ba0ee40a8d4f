import jax
import jax.numpy as jnp
import numpy as np

from engine.network import stats
from engine.network.mlp import init_mlp, loss_fn


def test_histogram_fixed_matches_numpy_inside_range():
    values = np.random.default_rng(0).uniform(-0.99, 0.99, size=5000).astype(np.float32)
    counts = stats.histogram_fixed(jnp.asarray(values), -1.0, 1.0, 40)
    expected, _ = np.histogram(values, bins=40, range=(-1.0, 1.0))
    np.testing.assert_array_equal(np.asarray(counts), expected)
    assert counts.dtype == jnp.int32


def test_histogram_fixed_clips_into_edge_bins_and_sums():
    values = jnp.array([-100.0, -1.0, 0.0, 0.999, 1.0, 7.0, jnp.inf, -jnp.inf, jnp.nan])
    counts = np.asarray(stats.histogram_fixed(values, -1.0, 1.0, 4))
    assert counts.sum() == values.size
    assert counts.tolist() == [3, 0, 2, 4]  # nan is counted as 0 (bin 2), inf clipped to bin 3


def test_histogram_fixed_multidim_and_traced_range():
    values = jax.random.normal(jax.random.key(0), (64, 32))

    @jax.jit
    def hist(v, lo, hi):
        return stats.histogram_fixed(v, lo, hi, 16)

    c1 = hist(values, -2.0, 2.0)
    c2 = hist(values, -0.5, 0.5)
    assert int(c1.sum()) == int(c2.sum()) == 64 * 32
    assert int(c2[0]) > int(c1[0])  # narrower range -> more mass clipped into the edge bin
    assert hist._cache_size() == 1


def test_edges():
    e = stats.edges(-1.0, 1.0, 4)
    np.testing.assert_allclose(np.asarray(e), [-1.0, -0.5, 0.0, 0.5, 1.0])
    le = stats.log_edges(-3.0, 0.0, 3)
    np.testing.assert_allclose(np.asarray(le), [1e-3, 1e-2, 1e-1, 1.0], rtol=1e-5)


def test_log_histogram_abs():
    rng = np.random.default_rng(1)
    magnitudes = 10.0 ** rng.uniform(-5.9, -0.1, size=2000)
    values = magnitudes * rng.choice([-1.0, 1.0], size=2000)
    counts = np.asarray(stats.log_histogram_abs(jnp.asarray(values, jnp.float32), -6.0, 0.0, 12))
    expected, _ = np.histogram(np.log10(magnitudes), bins=12, range=(-6.0, 0.0))
    assert counts.sum() == 2000
    assert np.abs(counts - expected).max() <= 2  # float32 rounding at the edges
    special = np.asarray(stats.log_histogram_abs(jnp.array([0.0, 1e-20, 5.0, jnp.nan]), -6.0, 0.0, 12))
    assert special.sum() == 4 and special[0] == 3 and special[-1] == 1


def test_dead_fraction_and_update_ratio():
    pre = jnp.array([[-1.0, 2.0, 0.0, -3.0], [-2.0, -1.0, 0.0, 0.5]])
    assert float(stats.dead_fraction(pre)) == 0.5
    w = jnp.ones((3, 4))
    assert abs(float(stats.update_ratio(0.01 * w, w)) - 0.01) < 1e-6


def test_layer_stats_inside_jit():
    x = jax.random.normal(jax.random.key(0), (128, 2))
    y = (x[:, 0] > 0).astype(jnp.int32)
    params = init_mlp(jax.random.key(1), 2, (16, 8), 1, "he_normal")

    @jax.jit
    def step(params):
        (_, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, None, x, y, activation="relu", train=False)
        updates = jax.tree_util.tree_map(lambda g: -0.1 * g, grads)
        return stats.layer_stats(
            aux["trace"], params, grads, updates, act_range=(0.0, 4.0), bins=20, is_relu_family=True
        )

    out = step(params)
    assert len(out) == 3
    for entry in out[:2]:
        assert int(entry["act_hist"].sum()) == int(entry["preact_hist"].sum())
        assert entry["act_hist"].shape == (20,)
        assert 0.0 <= float(entry["dead_fraction"]) <= 1.0
        assert float(entry["act_mean"]) > 0.0 and float(entry["act_std"]) > 0.0
    assert int(out[0]["act_hist"].sum()) == 128 * 16
    assert "act_hist" not in out[2]
    for entry, layer in zip(out, params, strict=True):
        assert int(entry["weight_hist"].sum()) == layer["W"].size
        assert int(entry["grad_hist"].sum()) == layer["W"].size
        assert float(entry["grad_abs_mean"]) > 0.0
        assert 0.0 < float(entry["update_ratio"]) < 1.0

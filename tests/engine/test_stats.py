import jax
import jax.numpy as jnp
import numpy as np

from engine.network import stats


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


def test_weighted_histograms_count_only_the_real_entries():
    rng = np.random.default_rng(2)
    values = rng.normal(size=(50, 16)).astype(np.float32)
    mask = np.zeros((50, 16), np.float32)
    mask[:30, :11] = 1.0  # 30 real samples x 11 real units; the rest is padding
    values[mask == 0] = 123.0  # padding that would land in the last bin
    counts = np.asarray(stats.histogram_fixed(jnp.asarray(values), -3.0, 3.0, 12, jnp.asarray(mask)))
    expected, _ = np.histogram(np.clip(values[:30, :11], -3.0, 2.999), bins=12, range=(-3.0, 3.0))
    np.testing.assert_array_equal(counts, expected)
    log_counts = np.asarray(stats.log_histogram_abs(jnp.asarray(values), -6.0, 0.0, 6, jnp.asarray(mask)))
    assert log_counts.sum() == 30 * 11

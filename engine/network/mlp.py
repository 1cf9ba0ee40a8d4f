r"""The network lab's MLP, padded to a width bucket so that one compiled program runs every architecture.

A network with hidden widths :math:`w_1 \dots w_H` lives in a bucket of width :math:`W \ge \max w_\ell`
(:mod:`engine.network.buckets`) and depth :data:`~engine.network.buckets.MAX_DEPTH` = D::

    {"W_in": (2, W), "b_in": (W,),                 hidden layer 1
     "W_hid": (D - 1, W, W), "b_hid": (D - 1, W),  hidden layers 2..D, stacked
     "gamma": (D, W), "beta": (D, W),              batch norm of each hidden layer
     "W_out": (W, K), "b_out": (K,)}               output layer, K = MAX_CLASSES logits

Only the real block of each matrix is ever non-zero: padded rows, columns, units and layers start at 0
and their gradients are masked to 0, so every optimizer leaves them at 0. Hidden layer :math:`\ell`
computes

.. math::
  z = h W_\ell + b_\ell, \quad z \leftarrow \gamma \odot \mathrm{BN}(z) + \beta \ \text{(optional)}, \quad
  a = f(z) \odot m_\ell, \quad h' = [h +]\ \mathrm{dropout}(a)

with :math:`m_\ell` the mask of its real units; a layer beyond the network's depth is skipped and
passes :math:`h` on. The layers are unrolled (a Python loop, not ``lax.scan``): XLA:CPU then runs a
small network about twice as fast. The residual :math:`h +` is added where the layer's input and
output widths match. Depth, activation, batch norm and dropout are traced switches
(:func:`~engine.network.switch.switch_recomputed`, whose backward pass recomputes the branch taken:
a plain ``lax.cond`` would fill the residuals of every branch not taken with zeros, which cost a
small network more than its matrix products), residual connections a traced select
(:class:`Arch`): only the width bucket, the batch shape and ``train`` are static.

The output: :math:`K > 2` classes use logits :math:`0 \dots K-1` (softmax cross-entropy). Two classes
use the single logit :math:`s` of a sigmoid as the pair :math:`(0, s)`: :math:`\mathrm{softmax}(0, s)_1
= \sigma(s)`, so softmax cross-entropy on the pair *is* binary cross-entropy on :math:`s`. Unused logits
are masked out. Padded samples of a batch have mask 0 in the loss and in batch-norm statistics.

References:
  Ioffe & Szegedy, *Batch Normalization*, ICML 2015.
  Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, *Dropout: A Simple Way to Prevent Neural
  Networks from Overfitting*, JMLR 2014 (inverted dropout, max-norm constraint).
  He, Zhang, Ren & Sun, *Deep Residual Learning for Image Recognition*, CVPR 2016.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from engine.network import inits
from engine.network.activations import ACTIVATIONS, get_activation
from engine.network.buckets import MAX_CLASSES, MAX_DEPTH, width_bucket
from engine.network.switch import switch_recomputed

Array = jax.Array
Params = dict[str, Array]
BNState = dict[str, Array]  # {"mean": (D, W), "var": (D, W)}

BN_EPS = 1e-5
IN_DIM = 2
MASKED_LOGIT = -1e9
ACTIVATION_NAMES = tuple(ACTIVATIONS)


class Arch(NamedTuple):
    """A network's architecture as traced arrays (build with :func:`make_arch`): changing it never
    recompiles within a width bucket."""

    depth: Array  # int32: hidden layers H
    units: Array  # (D, W) float32: 1 for a real unit of hidden layer l
    residual: Array  # (D,) bool: hidden layer l adds its input
    batch_norm: Array  # bool
    activation: Array  # int32: index into ACTIVATION_NAMES
    out_columns: Array  # (K,) float32: trainable output columns (binary: column 1 only)
    logits: Array  # (K,) bool: logits that take part in the softmax
    binary: Array  # bool


def make_arch(hidden: Sequence[int], activation: str, residual: bool, batch_norm: bool, num_classes: int) -> Arch:
    """The traced description of a network (NumPy, on the host)."""
    hidden = tuple(int(w) for w in hidden)
    width = width_bucket(hidden)
    get_activation(activation)
    if num_classes < 2 or num_classes > MAX_CLASSES:
        raise ValueError(f"need 2..{MAX_CLASSES} classes")
    units = np.zeros((MAX_DEPTH, width), np.float32)
    for layer, w in enumerate(hidden):
        units[layer, :w] = 1.0
    inputs = (IN_DIM, *hidden[:-1])
    res = np.zeros((MAX_DEPTH,), np.bool_)
    res[: len(hidden)] = [residual and a == b for a, b in zip(inputs, hidden, strict=True)]
    binary = num_classes == 2
    columns = np.zeros((MAX_CLASSES,), np.float32)
    columns[[1] if binary else slice(0, num_classes)] = 1.0
    return Arch(
        depth=np.int32(len(hidden)),
        units=units,
        residual=res,
        batch_norm=np.bool_(batch_norm),
        activation=np.int32(ACTIVATION_NAMES.index(activation)),
        out_columns=columns,
        logits=np.arange(MAX_CLASSES) < num_classes,
        binary=np.bool_(binary),
    )


def fans(hidden: Sequence[int], num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Real ``(fan_in, fan_out)`` of the D + 1 dense-layer slots (1 for an unused slot, whose weights are
    masked: any finite scale will do)."""
    fan_in, fan_out = np.ones(MAX_DEPTH + 1, np.float32), np.ones(MAX_DEPTH + 1, np.float32)
    widths = (IN_DIM, *hidden)
    fan_in[: len(hidden)], fan_out[: len(hidden)] = widths[:-1], widths[1:]
    fan_in[-1], fan_out[-1] = hidden[-1], 1 if num_classes == 2 else num_classes
    return fan_in, fan_out


def weight_masks(arch: Arch) -> dict[str, Array]:
    """1 on the real block of each weight matrix: W_in (2, W), W_hid (D - 1, W, W), W_out (W, K)."""
    units = jnp.asarray(arch.units)
    last = jnp.take(units, arch.depth - 1, axis=0)
    return {
        "W_in": jnp.ones((IN_DIM, 1)) * units[0][None, :],
        "W_hid": units[:-1, :, None] * units[1:, None, :],
        "W_out": last[:, None] * arch.out_columns[None, :],
    }


def param_masks(arch: Arch) -> Params:
    """Masks of every parameter: gradients are multiplied by them, so padding stays exactly 0."""
    units = jnp.asarray(arch.units)
    return {
        **weight_masks(arch),
        "b_in": units[0],
        "b_hid": units[1:],
        "gamma": units,
        "beta": units,
        "b_out": arch.out_columns,
    }


def init_params(key: Array, width: int, coefficients: tuple[Array, Array, Array], arch: Arch) -> Params:
    """Weights :math:`a N + b U + c` per dense-layer slot (``coefficients``: three ``(D + 1,)`` arrays from
    :func:`engine.network.inits.init_coefficients`), masked to the real blocks; zero biases, ``γ = 1``,
    ``β = 0`` on real units."""
    keys = jax.random.split(key, MAX_DEPTH + 1)
    coef = [jnp.asarray(c, jnp.float32) for c in coefficients]

    def weight(k, shape, i):
        return inits.draw(k, shape, (coef[0][i], coef[1][i], coef[2][i]))

    hid = jax.vmap(lambda k, i: weight(k, (width, width), i))(keys[1:MAX_DEPTH], jnp.arange(1, MAX_DEPTH))
    masks = weight_masks(arch)
    units = jnp.asarray(arch.units)
    return {
        "W_in": weight(keys[0], (IN_DIM, width), 0) * masks["W_in"],
        "b_in": jnp.zeros((width,)),
        "W_hid": hid * masks["W_hid"],
        "b_hid": jnp.zeros((MAX_DEPTH - 1, width)),
        "gamma": units,
        "beta": jnp.zeros((MAX_DEPTH, width)),
        "W_out": _out_weight(weight(keys[MAX_DEPTH], (width, MAX_CLASSES), MAX_DEPTH), arch) * masks["W_out"],
        "b_out": jnp.zeros((MAX_CLASSES,)),
    }


def _out_weight(draw: Array, arch: Arch) -> Array:
    """A binary network's single logit is column 1 (its draw is column 0's, as a one-column layer's)."""
    return jnp.where(arch.binary, jnp.roll(draw, 1, axis=1), draw)


def init_bn_state(width: int) -> BNState:
    """Running statistics of every hidden layer: mean 0, variance 1."""
    return {"mean": jnp.zeros((MAX_DEPTH, width)), "var": jnp.ones((MAX_DEPTH, width))}


def masked_moments(z: Array, mask: Array) -> tuple[Array, Array]:
    """Mean and (biased) variance over axis 0 of the rows where ``mask`` (``(n,)``) is 1."""
    count = jnp.maximum(jnp.sum(mask), 1.0)
    mean = jnp.sum(z * mask[:, None], axis=0) / count
    var = jnp.sum(jnp.square(z - mean) * mask[:, None], axis=0) / count
    return mean, var


def normalize(z: Array, gamma: Array, beta: Array, mean: Array, var: Array, eps: float = BN_EPS) -> Array:
    r"""Batch normalisation (Ioffe & Szegedy, 2015) of ``z`` ``(batch, units)`` with statistics ``mean``, ``var``.

    .. math::
      \hat z = \frac{z - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \odot \hat z + \beta

    In training :math:`\mu, \sigma^2` are the (biased) mean and variance over the batch's real samples
    (:func:`normalize_batch`), at evaluation the running statistics (:func:`updated_running`).
    """
    return gamma * (z - mean) * jax.lax.rsqrt(var + eps) + beta


def normalize_batch(z: Array, gamma: Array, beta: Array, sample_mask: Array) -> Array:
    """:func:`normalize` with the moments of the batch's real samples (training mode)."""
    return normalize(z, gamma, beta, *masked_moments(z, sample_mask))


def updated_running(z: Array, running: BNState, sample_mask: Array, momentum: Array) -> BNState:
    r"""The running statistics after a training batch: :math:`r \leftarrow m\,r + (1 - m)\,s_B` (momentum
    ``m`` weighs the *old* value, as in Keras/Flax)."""
    mean, var = masked_moments(z, sample_mask)
    return {
        "mean": momentum * running["mean"] + (1.0 - momentum) * mean,
        "var": momentum * running["var"] + (1.0 - momentum) * var,
    }


_BN_TRAIN = (lambda z, gamma, beta, mask: z, normalize_batch)
_BN_EVAL = (lambda z, gamma, beta, mean, var: z, normalize)


def _dropped(x: Array, keep: Array, key: Array) -> Array:
    return jnp.where(jax.random.bernoulli(key, keep, x.shape), x / jnp.maximum(keep, 1e-6), 0.0)


_DROPOUT_BRANCHES = (lambda x, keep, key: x, _dropped)


def dropout(x: Array, rate: Array | float, key: Array) -> Array:
    r"""Inverted dropout (Srivastava et al., 2014): keep each unit with probability :math:`p = 1 - r`.

    .. math::
      \tilde x = \frac{m \odot x}{p}, \qquad m_i \sim \mathrm{Bernoulli}(p)

    so :math:`\mathbb{E}[\tilde x] = x`. ``rate = 0`` is the identity and draws no random numbers.
    """
    keep = 1.0 - jnp.asarray(rate, jnp.float32)
    return switch_recomputed(_DROPOUT_BRANCHES, (keep < 1.0).astype(jnp.int32), x, keep, key)


_ACTIVATION_BRANCHES = tuple(lambda z, a, f=ACTIVATIONS[n].apply: f(z, {"alpha": a}) for n in ACTIVATION_NAMES)


def activate(z: Array, index: Array, alpha: Array) -> Array:
    """The activation ``ACTIVATION_NAMES[index]`` (traced) with parameter ``alpha``."""
    return switch_recomputed(_ACTIVATION_BRANCHES, index, z, alpha)


def forward(
    params: Params,
    bn_state: BNState,
    x: Array,
    sample_mask: Array,
    arch: Arch,
    alpha: Array,
    *,
    train: bool = False,
    dropout_rate: Array | float = 0.0,
    key: Array | None = None,
    bn_momentum: Array | float = 0.9,
    mc_dropout: bool = False,
    with_trace: bool = True,
) -> tuple[Array, BNState, dict[str, Array]]:
    """Run the network on ``x`` ``(batch, 2)``; ``sample_mask`` ``(batch,)`` marks the real samples.

    Returns ``(logits (batch, K), new_bn_state, trace)`` with ``trace["pre"]``, ``trace["act"]`` of
    shape ``(D, batch, W)``: ``z`` after batch norm and ``f(z)`` before dropout and residual (0 for
    padded units and unused layers; ``{}`` unless ``with_trace``). Dropout is on when ``train`` or
    ``mc_dropout`` (then ``key``).
    """
    use_dropout = train or mc_dropout
    if use_dropout and key is None:
        raise ValueError("a PRNG key is required when dropout is active (train=True or mc_dropout=True)")
    width = params["W_in"].shape[1]
    arch = jax.tree.map(jnp.asarray, arch)
    units = arch.units

    bn_branch = arch.batch_norm.astype(jnp.int32)

    def layer(index, h, z, gamma, beta, running):
        if train:
            running = jax.lax.cond(
                arch.batch_norm, updated_running, lambda z, r, *_: r, jax.lax.stop_gradient(z), running,
                sample_mask, jnp.asarray(bn_momentum, jnp.float32),
            )  # fmt: skip
            z = switch_recomputed(_BN_TRAIN, bn_branch, z, gamma, beta, sample_mask)
        else:
            z = switch_recomputed(_BN_EVAL, bn_branch, z, gamma, beta, running["mean"], running["var"])
        a = activate(z, arch.activation, alpha) * units[index]
        out = dropout(a, dropout_rate, jax.random.fold_in(key, index)) if use_dropout else a
        h = jnp.where(arch.residual[index], h + out, out)
        return h, ({"pre": z, "act": a} if with_trace else {}), running

    def running_at(i):
        return {"mean": bn_state["mean"][i], "var": bn_state["var"][i]}

    x_wide = jnp.pad(x, ((0, 0), (0, width - IN_DIM)))
    z0 = x @ params["W_in"] + params["b_in"]
    h, first, first_running = layer(0, x_wide, z0, params["gamma"][0], params["beta"][0], running_at(0))

    traces, runnings = [first], [first_running]
    for index in range(1, MAX_DEPTH):
        slot = (params["W_hid"][index - 1], params["b_hid"][index - 1], params["gamma"][index], params["beta"][index])

        def active(h, w, b, gamma, beta, running, index=index):
            return layer(index, h, h @ w + b, gamma, beta, running)

        def skipped(h, w, b, gamma, beta, running):
            zero = jnp.zeros_like(h)
            return h, ({"pre": zero, "act": zero} if with_trace else {}), running

        used = (index < arch.depth).astype(jnp.int32)
        h, trace, running = switch_recomputed((skipped, active), used, h, *slot, running_at(index))
        traces.append(trace)
        runnings.append(running)
    trace = jax.tree.map(lambda *a: jnp.stack(a), *traces) if with_trace else {}
    new_state = jax.tree.map(lambda *a: jnp.stack(a), *runnings)
    logits = h @ params["W_out"] + params["b_out"]
    return jnp.where(arch.logits, logits, MASKED_LOGIT), new_state, trace


def cross_entropy(logits: Array, y: Array, sample_mask: Array) -> Array:
    r"""Mean softmax cross-entropy over the real samples (binary cross-entropy for two classes, see above).

    .. math::
      \mathcal{L} = -\frac{1}{n}\textstyle\sum_{i} m_i \log \mathrm{softmax}(s_i)_{y_i}, \quad n = \sum_i m_i
    """
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return jnp.sum(losses * sample_mask) / jnp.maximum(jnp.sum(sample_mask), 1.0)


def probabilities(logits: Array) -> Array:
    """Class probabilities ``(batch, K)`` (two classes: columns 0 and 1)."""
    return jax.nn.softmax(logits, axis=-1)


def predict(logits: Array) -> Array:
    """Predicted class labels (int32)."""
    return jnp.argmax(logits, axis=-1).astype(jnp.int32)


def accuracy(logits: Array, y: Array, sample_mask: Array) -> Array:
    """Fraction of the real samples classified correctly."""
    hits = (predict(logits) == y).astype(jnp.float32) * sample_mask
    return jnp.sum(hits) / jnp.maximum(jnp.sum(sample_mask), 1.0)


def weights(params: Params) -> list[Array]:
    """The weight matrices (penalised, histogrammed, max-normed); biases, γ and β are not."""
    return [params["W_in"], params["W_hid"], params["W_out"]]


def weight_penalty(params: Params, l1: Array | float, l2: Array | float) -> Array:
    r"""Elastic-net penalty on the weight matrices (not biases, not :math:`\gamma, \beta`).

    .. math::
      R(W) = \lambda_1 \sum_\ell \|W_\ell\|_1 + \frac{\lambda_2}{2} \sum_\ell \|W_\ell\|_F^2

    The :math:`\tfrac12` makes the L2 gradient :math:`\lambda_2 W`, i.e. classic SGD weight decay.
    Padded entries are 0 and add nothing.
    """
    abs_sum = sum(jnp.sum(jnp.abs(w)) for w in weights(params))
    sq_sum = sum(jnp.sum(jnp.square(w)) for w in weights(params))
    return jnp.asarray(l1, jnp.float32) * abs_sum + 0.5 * jnp.asarray(l2, jnp.float32) * sq_sum


def max_norm(params: Params, c: Array | float, eps: float = 1e-12) -> Params:
    r"""Max-norm constraint (Srivastava et al., 2014), applied after each update to every layer.

    Each unit's incoming weight vector (a column :math:`w_j` of :math:`W`) is projected onto the ball
    of radius :math:`c`: :math:`w_j \leftarrow w_j \cdot \min(1, c / \|w_j\|_2)`. ``c = inf`` is off.
    """
    c = jnp.asarray(c, jnp.float32)

    def project(w):
        norms = jnp.linalg.norm(w, axis=-2, keepdims=True)
        return w * jnp.minimum(1.0, c / jnp.maximum(norms, eps))

    return {**params, **{k: project(params[k]) for k in ("W_in", "W_hid", "W_out")}}


def dense_stack(tree: Params, width: int) -> Array:
    """The D + 1 weight matrices of ``tree`` as one ``(D + 1, W, W)`` stack (W_in and W_out zero-padded)."""
    first = jnp.pad(tree["W_in"], ((0, width - IN_DIM), (0, 0)))
    last = jnp.pad(tree["W_out"], ((0, 0), (0, width - MAX_CLASSES)))
    return jnp.concatenate([first[None], tree["W_hid"], last[None]])


def loss_fn(params, bn_state, x, y, sample_mask, arch, alpha, *, l1=0.0, l2=0.0, **forward_kwargs):
    """Regularised loss ``cross_entropy + weight_penalty`` for ``jax.value_and_grad(..., has_aux=True)``;
    ``aux`` holds ``data_loss``, ``reg_loss``, ``accuracy``, ``logits``, ``bn_state`` and ``trace``."""
    logits, new_state, trace = forward(params, bn_state, x, sample_mask, arch, alpha, **forward_kwargs)
    data_loss = cross_entropy(logits, y, sample_mask)
    reg_loss = weight_penalty(params, l1, l2)
    aux: dict[str, Any] = {
        "data_loss": data_loss,
        "reg_loss": reg_loss,
        "accuracy": accuracy(logits, y, sample_mask),
        "logits": logits,
        "bn_state": new_state,
        "trace": trace,
    }
    return data_loss + reg_loss, aux

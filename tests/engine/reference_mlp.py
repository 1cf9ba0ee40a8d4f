r"""A small multi-layer perceptron as a plain pytree, with batch norm, dropout and residuals.

Parameters are a list with one dict per dense layer (hidden layers first, output layer last)::

    [{"W": (d_in, d_1), "b": (d_1,), ["gamma": (d_1,), "beta": (d_1,)]},
     ...,
     {"W": (d_L, d_out), "b": (d_out,)}]

``gamma``/``beta`` exist on hidden layers only when batch norm is on. Batch-norm running statistics
live in a separate ``bn_state`` pytree (one ``{"mean", "var"}`` dict per hidden layer, present whether
or not batch norm is used, so its structure never depends on that flag).

Hidden layer :math:`\ell` computes

.. math::
  z = h W + b, \quad z \leftarrow \gamma \odot \mathrm{BN}(z) + \beta \ \text{(optional)}, \quad
  a = f(z), \quad h' = [h +]\ \mathrm{dropout}(a)

where the residual :math:`h +` is added only when the layer's input and output widths match. The
output layer is affine: one logit for two classes (sigmoid + binary cross-entropy) and :math:`K`
logits for :math:`K > 2` classes (softmax cross-entropy).

Static vs traced: the activation name, ``residual``, ``batch_norm``, ``train``, layer widths and the
number of classes (``W.shape``) are Python values, changing them recompiles; dropout rate, ``l1``,
``l2``, activation parameters and the batch-norm momentum are arrays, changing them does not.

References:
  Ioffe & Szegedy, *Batch Normalization*, ICML 2015.
  Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, *Dropout: A Simple Way to Prevent Neural
  Networks from Overfitting*, JMLR 2014 (inverted dropout, max-norm constraint).
  He, Zhang, Ren & Sun, *Deep Residual Learning for Image Recognition*, CVPR 2016.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from engine.network.activations import get_activation
from engine.network.inits import init_weights

Array = jax.Array
Params = list[dict[str, Array]]
BNState = list[dict[str, Array]]
Trace = list[dict[str, Array]]

BN_EPS = 1e-5


def output_dim(num_classes: int) -> int:
    """Number of output logits: 1 for binary classification, ``num_classes`` otherwise."""
    if num_classes < 2:
        raise ValueError("need at least two classes")
    return 1 if num_classes == 2 else num_classes


def init_mlp(
    key: Array,
    in_dim: int,
    hidden: tuple[int, ...],
    out_dim: int,
    init_name: str = "he_normal",
    init_params: Mapping[str, Array] | None = None,
    batch_norm: bool = False,
) -> Params:
    """Initialise parameters: weights from initialiser ``init_name``, zero biases, ``gamma=1``, ``beta=0``."""
    widths = (in_dim, *hidden, out_dim)
    keys = jax.random.split(key, len(widths) - 1)
    params: Params = []
    for i, (k, fan_in, fan_out) in enumerate(zip(keys, widths[:-1], widths[1:], strict=True)):
        layer = {
            "W": init_weights(init_name, k, fan_in, fan_out, init_params),
            "b": jnp.zeros((fan_out,), jnp.float32),
        }
        if batch_norm and i < len(hidden):
            layer["gamma"] = jnp.ones((fan_out,), jnp.float32)
            layer["beta"] = jnp.zeros((fan_out,), jnp.float32)
        params.append(layer)
    return params


def init_bn_state(hidden: Sequence[int]) -> BNState:
    """Running statistics for each hidden layer: mean 0, variance 1."""
    return [{"mean": jnp.zeros((w,), jnp.float32), "var": jnp.ones((w,), jnp.float32)} for w in hidden]


def hidden_widths(params: Params) -> tuple[int, ...]:
    """Widths of the hidden layers of ``params`` (static shape information)."""
    return tuple(int(layer["W"].shape[1]) for layer in params[:-1])


def batch_normalize(
    z: Array,
    gamma: Array,
    beta: Array,
    running: Mapping[str, Array],
    *,
    train: bool,
    momentum: Array | float = 0.9,
    eps: float = BN_EPS,
) -> tuple[Array, dict[str, Array]]:
    r"""Batch normalisation (Ioffe & Szegedy, 2015) of ``z`` with shape ``(batch, units)``.

    .. math::
      \hat z = \frac{z - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \odot \hat z + \beta

    In training :math:`\mu_B, \sigma_B^2` are the (biased) batch mean and variance per unit, and the
    running statistics are updated as :math:`r \leftarrow m\,r + (1 - m)\,s_B` (momentum ``m`` is the
    weight of the *old* value, as in Keras/Flax). At evaluation the running statistics are used.
    """
    if train:
        mean = jnp.mean(z, axis=0)
        var = jnp.var(z, axis=0)
        m = jnp.asarray(momentum, jnp.float32)
        new_running = {
            "mean": m * running["mean"] + (1.0 - m) * jax.lax.stop_gradient(mean),
            "var": m * running["var"] + (1.0 - m) * jax.lax.stop_gradient(var),
        }
    else:
        mean, var = running["mean"], running["var"]
        new_running = dict(running)
    z_hat = (z - mean) * jax.lax.rsqrt(var + eps)
    return gamma * z_hat + beta, new_running


def dropout(x: Array, rate: Array | float, key: Array) -> Array:
    r"""Inverted dropout (Srivastava et al., 2014): keep each unit with probability :math:`p = 1 - r`.

    .. math::
      \tilde x = \frac{m \odot x}{p}, \qquad m_i \sim \mathrm{Bernoulli}(p)

    so :math:`\mathbb{E}[\tilde x] = x` and no rescaling is needed at test time. ``rate = 0`` is the
    identity and draws no random numbers at all (a real branch: masks cost more than the layer itself).
    """
    keep = 1.0 - jnp.asarray(rate, jnp.float32)

    def masked(x):
        mask = jax.random.bernoulli(key, keep, x.shape)
        return jnp.where(mask, x / jnp.maximum(keep, 1e-6), 0.0)

    return jax.lax.cond(keep < 1.0, masked, lambda x: x, x)


def forward(
    params: Params,
    bn_state: BNState | None,
    x: Array,
    *,
    activation: str,
    activation_params: Mapping[str, Array] | None = None,
    residual: bool = False,
    batch_norm: bool = False,
    dropout_rate: Array | float = 0.0,
    train: bool = False,
    key: Array | None = None,
    bn_momentum: Array | float = 0.9,
    mc_dropout: bool = False,
) -> tuple[Array, BNState, Trace]:
    """Run the network on ``x`` of shape ``(batch, in_dim)``.

    Returns ``(logits, new_bn_state, trace)`` where ``logits`` has shape ``(batch, out_dim)`` and
    ``trace[l] = {"pre": z, "act": f(z)}`` for hidden layer ``l`` (``z`` after batch norm, ``f(z)`` before
    dropout and residual), so layer statistics can be computed in the same jitted step.

    Batch norm uses batch statistics (and updates the running ones) when ``train``, else the running
    statistics. Dropout is active when ``train`` or ``mc_dropout`` (Monte-Carlo dropout at inference,
    Gal & Ghahramani 2016); then ``key`` is required. ``bn_state=None`` means fresh running statistics.
    """
    act_fn = get_activation(activation).apply
    act_params = activation_params or {}
    use_dropout = train or mc_dropout
    if use_dropout and key is None:
        raise ValueError("a PRNG key is required when dropout is active (train=True or mc_dropout=True)")
    if bn_state is None:
        bn_state = init_bn_state(hidden_widths(params))

    h = x
    new_state: BNState = []
    trace: Trace = []
    for i, layer in enumerate(params[:-1]):
        z = h @ layer["W"] + layer["b"]
        state = dict(bn_state[i])
        if batch_norm:
            z, state = batch_normalize(z, layer["gamma"], layer["beta"], state, train=train, momentum=bn_momentum)
        a = act_fn(z, act_params)
        trace.append({"pre": z, "act": a})
        out = dropout(a, dropout_rate, jax.random.fold_in(key, i)) if use_dropout else a
        h = h + out if residual and h.shape[-1] == out.shape[-1] else out
        new_state.append(state)
    logits = h @ params[-1]["W"] + params[-1]["b"]
    return logits, new_state, trace


def cross_entropy(logits: Array, y: Array) -> Array:
    r"""Mean cross-entropy; binary (one logit) or softmax (K logits) decided by ``logits.shape[-1]``.

    .. math::
      \mathcal{L}_\text{bin} = -\tfrac{1}{n}\textstyle\sum_i \big[y_i \log\sigma(s_i)
        + (1 - y_i)\log(1 - \sigma(s_i))\big],
      \qquad \mathcal{L}_K = -\tfrac{1}{n}\sum_i \log \mathrm{softmax}(s_i)_{y_i}
    """
    if logits.shape[-1] == 1:
        return jnp.mean(optax.sigmoid_binary_cross_entropy(logits[:, 0], y.astype(jnp.float32)))
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))


def probabilities(logits: Array) -> Array:
    """Class probabilities of shape ``(batch, K)`` (``K = 2`` for a single logit)."""
    if logits.shape[-1] == 1:
        p = jax.nn.sigmoid(logits[:, 0])
        return jnp.stack([1.0 - p, p], axis=-1)
    return jax.nn.softmax(logits, axis=-1)


def predict(logits: Array) -> Array:
    """Predicted class labels (int32)."""
    if logits.shape[-1] == 1:
        return (logits[:, 0] > 0).astype(jnp.int32)
    return jnp.argmax(logits, axis=-1).astype(jnp.int32)


def accuracy(logits: Array, y: Array) -> Array:
    """Fraction of correctly classified samples."""
    return jnp.mean(predict(logits) == y)


def weight_penalty(params: Params, l1: Array | float, l2: Array | float) -> Array:
    r"""Elastic-net penalty on the weight matrices (not biases, not :math:`\gamma, \beta`).

    .. math::
      R(W) = \lambda_1 \sum_\ell \|W_\ell\|_1 + \frac{\lambda_2}{2} \sum_\ell \|W_\ell\|_F^2

    The :math:`\tfrac12` makes the L2 gradient :math:`\lambda_2 W`, i.e. classic SGD weight decay.
    """
    abs_sum = sum(jnp.sum(jnp.abs(layer["W"])) for layer in params)
    sq_sum = sum(jnp.sum(jnp.square(layer["W"])) for layer in params)
    return jnp.asarray(l1, jnp.float32) * abs_sum + 0.5 * jnp.asarray(l2, jnp.float32) * sq_sum


def loss_fn(
    params: Params,
    bn_state: BNState | None,
    x: Array,
    y: Array,
    *,
    activation: str,
    activation_params: Mapping[str, Array] | None = None,
    residual: bool = False,
    batch_norm: bool = False,
    dropout_rate: Array | float = 0.0,
    train: bool = True,
    key: Array | None = None,
    bn_momentum: Array | float = 0.9,
    l1: Array | float = 0.0,
    l2: Array | float = 0.0,
) -> tuple[Array, dict[str, Any]]:
    """Regularised loss ``cross_entropy + weight_penalty`` for ``jax.value_and_grad(..., has_aux=True)``.

    ``aux`` holds ``data_loss``, ``reg_loss``, ``accuracy``, ``logits``, the new ``bn_state`` and the
    forward ``trace``.
    """
    logits, new_state, trace = forward(
        params,
        bn_state,
        x,
        activation=activation,
        activation_params=activation_params,
        residual=residual,
        batch_norm=batch_norm,
        dropout_rate=dropout_rate,
        train=train,
        key=key,
        bn_momentum=bn_momentum,
    )
    data_loss = cross_entropy(logits, y)
    reg_loss = weight_penalty(params, l1, l2)
    aux = {
        "data_loss": data_loss,
        "reg_loss": reg_loss,
        "accuracy": accuracy(logits, y),
        "logits": logits,
        "bn_state": new_state,
        "trace": trace,
    }
    return data_loss + reg_loss, aux


def max_norm(params: Params, c: Array | float, eps: float = 1e-12) -> Params:
    r"""Max-norm constraint (Srivastava et al., 2014), applied after each update to every layer.

    Each unit's incoming weight vector (a column :math:`w_j` of :math:`W`) is projected onto the ball
    of radius :math:`c`:

    .. math::
      w_j \leftarrow w_j \cdot \min\!\left(1, \frac{c}{\|w_j\|_2}\right)

    ``c = inf`` leaves the weights unchanged.
    """
    c = jnp.asarray(c, jnp.float32)
    out: Params = []
    for layer in params:
        w = layer["W"]
        norms = jnp.linalg.norm(w, axis=0, keepdims=True)
        scale = jnp.minimum(1.0, c / jnp.maximum(norms, eps))
        out.append({**layer, "W": w * scale})
    return out

"""Weighted ensembles of quantile models (Fakoor, Kim, Mueller, Smola & Tibshirani, JMLR 2023).

Base predictions Z[i, j, k] = g_j(x_i; tau_k) for p models and m levels are combined as

* coarse:  q(x; tau_k) = sum_j w_j Z[., j, k],                      sum_j w_j = 1;
* medium:  q(x; tau_k) = sum_j w_jk Z[., j, k],                     sum_j w_jk = 1 for each k;
* fine:    q(x; tau_k) = sum_{j, l} w_{k, j l} Z[., j, l],          sum_{j, l} w_{k, j l} = 1 for each k

with the simplex enforced by a softmax over logits. *Global* weights are free parameters;
*local* weights are an MLP of the features x (DQA = local-fine). Fits minimise the mean
pinball loss (plus an optional crossing penalty) with Adam and a cosine schedule, full batch
or in minibatches, with optional validation-based selection of the best step. Coarse and
medium global fits have an exact LP reference in :mod:`theorylab.estimators.quantile.lp`.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.quantile import _checks
from theorylab.estimators.quantile.monotone import check_margin, crossing_penalty
from theorylab.estimators.quantile.scores import _pinball
from theorylab.numerics.adam import Adam
from theorylab.numerics.mlp import mlp_apply, mlp_init
from theorylab.validation import (
    as_float_array,
    check_choice,
    check_finite,
    check_integer,
    check_key,
    check_positive,
)

__all__ = [
    "AggregatorConfig",
    "AggregatorFit",
    "init_aggregator",
    "aggregator_weights",
    "apply_aggregator",
    "aggregator_loss",
    "fit_aggregator",
]

GRANULARITIES = ("coarse", "medium", "fine")
ACTIVATIONS = {"elu": jax.nn.elu, "relu": jax.nn.relu, "tanh": jnp.tanh, "gelu": jax.nn.gelu}
FINE_OFF_LEVEL_MASS = 0.05  # initial share of a fine output level taken by the other input levels


class AggregatorConfig(eqx.Module):
    """Which aggregator: ``granularity`` in {coarse, medium, fine}; ``local`` makes the weights an
    MLP of x with ``hidden`` layer widths and ``activation``. Frozen, with static fields (a static
    argument of the compiled fit)."""

    granularity: str = eqx.field(static=True)
    local: bool = eqx.field(static=True)
    hidden: tuple[int, ...] = eqx.field(static=True)
    activation: str = eqx.field(static=True)

    def __init__(self, granularity: str = "coarse", local: bool = False, hidden=(64, 64), activation: str = "elu"):
        self.granularity = check_choice(granularity, "granularity", GRANULARITIES)
        self.activation = check_choice(activation, "activation", tuple(ACTIVATIONS))
        if not isinstance(local, bool):
            raise TypeError(f"`local` must be a bool, got {local!r}")
        self.local = local
        self.hidden = tuple(check_integer(h, "hidden", minimum=1) for h in hidden)


def _logit_shape(cfg: AggregatorConfig, p: int, m: int) -> tuple[int, ...]:
    return {"coarse": (p,), "medium": (p, m), "fine": (m, p, m)}[cfg.granularity]


def _initial_logits(cfg: AggregatorConfig, p: int, m: int):
    """Equal weights over models; for fine, each output level starts mostly on its own input level."""
    if cfg.granularity != "fine":
        return jnp.zeros(_logit_shape(cfg, p, m))
    if m == 1:
        return jnp.zeros((1, p, 1))
    off = np.log(FINE_OFF_LEVEL_MASS / (1 - FINE_OFF_LEVEL_MASS) / (m - 1))
    same_level = np.eye(m, dtype=bool)[:, None, :]
    return jnp.asarray(np.where(same_level, 0.0, off) * np.ones((m, p, m)))


def init_aggregator(key, cfg: AggregatorConfig, n_models: int, n_levels: int, n_features: int | None = None):
    """Parameters of an aggregator (a pytree). Global: ``{"logits"}``; local: an MLP whose last layer
    starts at zero with bias equal to the global initial logits, so every aggregator starts from
    equal weights over models."""
    p = check_integer(n_models, "n_models", minimum=1)
    m = check_integer(n_levels, "n_levels", minimum=1)
    base = _initial_logits(cfg, p, m)
    if not cfg.local:
        return {"logits": base}
    d = check_integer(n_features, "n_features (a local aggregator needs the feature count)", minimum=1)
    widths = (d, *cfg.hidden)
    layers = mlp_init(key, widths) if cfg.hidden else []
    head = {"w": jnp.zeros((widths[-1], base.size)), "b": base.ravel()}
    return {"layers": layers, "head": head}


def _logits(params, cfg: AggregatorConfig, p: int, m: int, x):
    if not cfg.local:
        return params["logits"]
    h = mlp_apply(params["layers"], x, activation=ACTIVATIONS[cfg.activation], final=False)
    out = h @ params["head"]["w"] + params["head"]["b"]
    return out.reshape(x.shape[:-1] + _logit_shape(cfg, p, m))


def _softmax_weights(logits, cfg: AggregatorConfig):
    if cfg.granularity == "coarse":
        return jax.nn.softmax(logits, axis=-1)
    if cfg.granularity == "medium":
        return jax.nn.softmax(logits, axis=-2)
    flat = logits.reshape(logits.shape[:-2] + (-1,))  # (.., m_out, p * m_in)
    return jax.nn.softmax(flat, axis=-1).reshape(logits.shape)


def aggregator_weights(params, cfg: AggregatorConfig, n_models: int, n_levels: int, x=None):
    """Simplex weights: coarse ``(p,)``, medium ``(p, m)``, fine ``(m_out, p, m_in)``; local
    aggregators prepend the sample axis of ``x``."""
    if cfg.local:
        x = _features(x, None)
    return _softmax_weights(_logits(params, cfg, n_models, n_levels, x), cfg)


def _features(x, n):
    if x is None:
        raise ValueError("a local aggregator needs the features `x` (n, d)")
    x = as_float_array(x, "x", ndim=2)
    check_finite(x, "x")
    if n is not None and x.shape[0] != n:
        raise ValueError(f"`x` has {x.shape[0]} rows but the predictions `Z` have {n}")
    return x


def _combine(Z, w, cfg: AggregatorConfig):
    if cfg.granularity == "coarse":
        return jnp.einsum("...pm,...p->...m", Z, w)
    if cfg.granularity == "medium":
        return jnp.einsum("...pm,...pm->...m", Z, w)
    return jnp.einsum("...pl,...kpl->...k", Z, w)


def _predictions(Z, name: str = "Z"):
    Z = as_float_array(Z, name, ndim=3)
    check_finite(Z, name)
    return Z


def _aggregate(params, cfg: AggregatorConfig, Z, x):
    n, p, m = Z.shape
    return _combine(Z, _softmax_weights(_logits(params, cfg, p, m, x), cfg), cfg)


def apply_aggregator(params, cfg: AggregatorConfig, Z, x=None):
    """Aggregated quantiles ``(n, m)`` from base predictions ``Z (n, p, m)`` (and ``x`` if local)."""
    Z = _predictions(Z)
    if cfg.local:
        x = _features(x, Z.shape[0])
    return _aggregate(params, cfg, Z, x)


def aggregator_loss(params, cfg: AggregatorConfig, Z, y, taus, x=None, *, crossing_weight=0.0, margin=0.0):
    """Mean pinball loss of the aggregate, plus ``crossing_weight * crossing_penalty`` (jit-able)."""
    q = _aggregate(params, cfg, Z, x)
    m = q.shape[-1]
    loss = jnp.mean(_pinball(y[:, None] - q, taus))
    if m > 1:
        loss = loss + crossing_weight * crossing_penalty(q, margin)
    return loss


class AggregatorFit(NamedTuple):
    """Outcome of :func:`fit_aggregator`.

    ``params`` are those of ``best_step`` (the last step, or the step with the lowest validation
    loss when validation data were given); ``train_loss`` is the per-step training objective
    (of the minibatch when ``batch_size`` is set) and ``valid_loss`` the per-step validation
    pinball loss (``None`` without validation data); ``final_loss`` is the full training
    objective at ``params``.
    """

    params: Any
    config: AggregatorConfig
    n_models: int
    n_levels: int
    train_loss: jax.Array
    valid_loss: jax.Array | None
    best_step: int
    final_loss: float

    def predict(self, Z, x=None):
        """Aggregated quantiles of base predictions ``Z (n, p, m)`` (and features ``x`` when local)."""
        return apply_aggregator(self.params, self.config, Z, x)

    def weights(self, x=None):
        """The fitted simplex weights (see :func:`aggregator_weights`)."""
        return aggregator_weights(self.params, self.config, self.n_models, self.n_levels, x)


def fit_aggregator(key, Z, y, taus, cfg: AggregatorConfig | None = None, *, x=None, steps: int = 3000,
                   learning_rate: float = 5e-2, weight_decay: float = 0.0, batch_size: int | None = None,
                   crossing_weight: float = 0.0, margin=0.0, valid=None) -> AggregatorFit:
    """Fit aggregator weights by minimising the mean pinball loss with Adam (cosine decay to 0).

    Parameters
    ----------
    key:
        PRNG key for the MLP initialisation and minibatches (a global full-batch fit draws nothing).
    Z, y, taus:
        Out-of-fold base predictions ``(n, p, m)``, targets ``(n,)``, levels ``(m,)``.
    cfg:
        :class:`AggregatorConfig` (default: global coarse).
    x:
        Features ``(n, d)``; required by local aggregators.
    batch_size:
        ``None`` for full-batch steps, else minibatches drawn with replacement.
    crossing_weight, margin:
        Weight and margin of :func:`~theorylab.estimators.quantile.monotone.crossing_penalty` in the loss.
    valid:
        ``(Z_valid, y_valid)`` or ``(Z_valid, y_valid, x_valid)``: the returned parameters are
        those of the step with the lowest validation pinball loss.
    """
    key = check_key(key)
    cfg = AggregatorConfig() if cfg is None else cfg
    if not isinstance(cfg, AggregatorConfig):
        raise TypeError(f"`cfg` must be an AggregatorConfig, got {type(cfg).__name__}")
    taus = _checks.levels(taus)
    Z = _predictions(Z)
    n, p, m = Z.shape
    if m != taus.shape[0]:
        raise ValueError(f"`Z` has {m} levels on its last axis but `taus` has {taus.shape[0]}")
    y = _checks.observations(y)
    if y.shape != (n,):
        raise ValueError(f"`y` must have shape ({n},) to match `Z`, got {tuple(y.shape)}")
    steps = check_integer(steps, "steps", minimum=1)
    check_positive(crossing_weight, "crossing_weight", strict=False)
    if cfg.local:
        x = _features(x, n)
    elif x is not None:
        raise ValueError("`x` was given but the aggregator is global (set local=True to use features)")
    if batch_size is not None:
        batch_size = check_integer(batch_size, "batch_size", minimum=1)
    valid_data = _valid_data(valid, cfg, p, m)
    optimizer = Adam(learning_rate=learning_rate, total_steps=steps, weight_decay=weight_decay).validate()
    margin = check_margin(margin, m)
    train_loss, valid_loss, best_params, best_step, final = _fit(
        key, optimizer, cfg, Z, y, taus, x, valid_data, steps, batch_size, crossing_weight, margin,
    )
    final = float(final)
    return AggregatorFit(best_params, cfg, p, m, train_loss, valid_loss if valid_data is not None else None,
                         int(best_step), final)


def _valid_data(valid, cfg, p, m):
    if valid is None:
        return None
    if not isinstance(valid, (tuple, list)) or len(valid) not in (2, 3):
        raise ValueError("`valid` must be (Z_valid, y_valid) or (Z_valid, y_valid, x_valid)")
    Zv = _predictions(valid[0], "valid[0]")
    if Zv.shape[1:] != (p, m):
        raise ValueError(f"`valid[0]` must have shape (n_valid, {p}, {m}), got {tuple(Zv.shape)}")
    yv = _checks.observations(valid[1], "valid[1]")
    if yv.shape != (Zv.shape[0],):
        raise ValueError(f"`valid[1]` must have shape ({Zv.shape[0]},), got {tuple(yv.shape)}")
    xv = None
    if cfg.local:
        if len(valid) != 3:
            raise ValueError("a local aggregator needs validation features: valid=(Z_valid, y_valid, x_valid)")
        xv = _features(valid[2], Zv.shape[0])
    return Zv, yv, xv


# One compiled program per fit: initialisation, training and the final loss (run eagerly, the
# initialisation and the loss were two dozen small operations, each compiled in every new process).
# The optimizer is a pytree argument (its rates are traced); steps fixes the loss trace's length.
@functools.partial(jax.jit, static_argnames=("cfg", "steps", "batch_size"))
def _fit(key, optimizer, cfg, Z, y, taus, x, valid, steps, batch_size, crossing_weight, margin):
    init_key, batch_key = jax.random.split(key)
    params = init_aggregator(init_key, cfg, Z.shape[1], Z.shape[2], None if x is None else x.shape[1])
    losses, vlosses, best, best_step = _run(params, optimizer, cfg, Z, y, taus, x, valid, batch_key, steps,
                                            batch_size, crossing_weight, margin)
    final = aggregator_loss(best, cfg, Z, y, taus, x, crossing_weight=crossing_weight, margin=margin)
    return losses, vlosses, best, best_step, final


def _run(params, optimizer, cfg, Z, y, taus, x, valid, key, steps, batch_size, crossing_weight, margin):
    n = Z.shape[0]
    value_and_grad = jax.value_and_grad(aggregator_loss)

    def valid_loss_of(params):
        if valid is None:
            return jnp.nan
        Zv, yv, xv = valid
        return aggregator_loss(params, cfg, Zv, yv, taus, xv)

    def step(carry, k):
        params, state, best, best_loss, best_step = carry
        if batch_size is None:
            Zb, yb, xb = Z, y, x
        else:
            rows = jax.random.randint(k, (batch_size,), 0, n)
            Zb, yb, xb = Z[rows], y[rows], None if x is None else x[rows]
        loss, grads = value_and_grad(params, cfg, Zb, yb, taus, xb, crossing_weight=crossing_weight, margin=margin)
        params, state = optimizer.update(state, params, grads)
        vloss = valid_loss_of(params)
        better = vloss < best_loss if valid is not None else jnp.asarray(True)
        best = jax.tree.map(lambda new, old: jnp.where(better, new, old), params, best)
        best_loss = jnp.where(better, vloss, best_loss)
        best_step = jnp.where(better, state.step, best_step)  # state.step counts the updates done
        return (params, state, best, best_loss, best_step), (loss, vloss)

    carry = (params, optimizer.init(params), params, jnp.inf, 0)
    (_, _, best, _, best_step), (losses, vlosses) = jax.lax.scan(step, carry, jax.random.split(key, steps))
    return losses, vlosses, best, best_step

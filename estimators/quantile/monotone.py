"""Non-crossing fixes for quantile predictions: sort, isotonic projection, min-max sweep, penalty.

* ``"sort"`` rearranges each row (Chernozhukov, Fernandez-Val & Galichon 2010). For equal level
  weights it never increases sum_tau psi_tau, pointwise in (x, y) (rearrangement inequality;
  proofs_checks/quantile.py).
* ``"isotonic"`` is the L2 projection onto non-decreasing vectors, computed exactly by pool
  adjacent violators vectorised over rows, or (``differentiable=True``) by the max-min formula
  iso_i = max_{j <= i} min_{k >= i} mean(v_j, ..., v_k)  (Barlow et al. 1972, Thm 1.4).
* ``"minmax"`` is the median-anchored sweep of Fakoor et al.'s code: running max upward from the
  middle level, running min downward. It carries no guarantee (counterexample in the claims).

All functions are jit-able; sort, min-max and the max-min isotonic path are differentiable
almost everywhere.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.validation import (
    as_float_array,
    check_choice,
    check_finite,
    check_integer,
    is_traced,
)

__all__ = ["monotonize", "isotonic_projection", "minmax_sweep", "crossing_penalty", "adaptive_margin"]

METHODS = ("sort", "isotonic", "minmax")


def _isotonic_row(v):
    """Exact L2 isotonic (non-decreasing) regression of one vector by the max-min formula."""
    m = v.shape[0]
    s = jnp.concatenate([jnp.zeros(1, v.dtype), jnp.cumsum(v)])
    j = jnp.arange(m)[:, None]
    k = jnp.arange(m)[None, :]
    block_mean = (s[1:][None, :] - s[:-1][:, None]) / jnp.maximum(k - j + 1, 1)  # mean(v_j..v_k), j <= k
    block_mean = jnp.where(k >= j, block_mean, jnp.inf)
    suffix_min = jax.lax.cummin(block_mean, axis=1, reverse=True)  # [j, i] = min_{k >= i} mean(v_j..v_k)
    return jnp.max(jnp.where(j <= k, suffix_min, -jnp.inf), axis=0)  # max over j <= i


@functools.partial(jax.jit, static_argnames=("batch_size",))
def _isotonic_rows_maxmin(rows, batch_size: int):
    if rows.shape[0] <= batch_size:
        return jax.vmap(_isotonic_row)(rows)
    return jax.lax.map(_isotonic_row, rows, batch_size=batch_size)


@jax.jit
def _isotonic_rows_pava(rows):
    """Pool adjacent violators on all rows at once: one pass over the levels, each row keeping a
    stack of blocks (mean, size) laid out level-major so the per-row scatters are contiguous."""
    n, m = rows.shape
    idx = jnp.arange(n)

    def violated(means, top):
        prev = jnp.maximum(top - 1, 0)
        return (top > 0) & (means[prev, idx] > means[top, idx])

    def merge(carry):
        means, sizes, top, active = carry
        prev = jnp.maximum(top - 1, 0)
        w_prev, w_top = sizes[prev, idx], sizes[top, idx]
        pooled = (w_prev * means[prev, idx] + w_top * means[top, idx]) / (w_prev + w_top)
        means = means.at[prev, idx].set(jnp.where(active, pooled, means[prev, idx]))
        sizes = sizes.at[prev, idx].set(jnp.where(active, w_prev + w_top, w_prev))
        top = jnp.where(active, top - 1, top)
        return means, sizes, top, violated(means, top)

    def push(carry, column):
        means, sizes, top = carry
        top = top + 1
        means = means.at[top, idx].set(column)
        sizes = sizes.at[top, idx].set(1.0)
        means, sizes, top, _ = jax.lax.while_loop(
            lambda c: jnp.any(c[3]), merge, (means, sizes, top, violated(means, top))
        )
        return (means, sizes, top), None

    init = (jnp.zeros((m, n), rows.dtype), jnp.zeros((m, n), rows.dtype), jnp.full(n, -1))
    (means, sizes, top), _ = jax.lax.scan(push, init, rows.T)
    sizes = jnp.where(jnp.arange(m)[:, None] <= top[None, :], sizes, 0.0)
    ends = jnp.cumsum(sizes, axis=0).astype(jnp.int32)  # block sizes are small exact integers
    starts = jnp.zeros((m + 1, n), jnp.int32).at[ends, idx[None, :]].add(1)[:m]
    block = jnp.cumsum(starts, axis=0)  # block index of every level
    return jnp.take_along_axis(means, block, axis=0).T


def isotonic_projection(q, *, axis: int = -1, differentiable: bool = False, batch_size: int = 512):
    """Euclidean projection of every 1-D slice along ``axis`` onto non-decreasing vectors (exact).

    The default is pool adjacent violators vectorised over rows (O(m) amortised per row; forward
    mode only, since it loops). ``differentiable=True`` uses the max-min formula instead, which
    reverse-mode autodiff can go through (O(m^2) per row, ``batch_size`` rows at a time). Both
    preserve each slice's sum and leave monotone slices unchanged.
    """
    q = _values(q)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    moved = jnp.moveaxis(q, axis, -1)
    m = moved.shape[-1]
    rows = moved.reshape(-1, m)
    out = _isotonic_rows_maxmin(rows, batch_size) if differentiable else _isotonic_rows_pava(rows)
    return jnp.moveaxis(out.reshape(moved.shape), -1, axis)


def minmax_sweep(q, *, axis: int = -1):
    """Median-anchored sweep: running max upward from level m // 2, running min downward."""
    q = jnp.moveaxis(_values(q), axis, -1)
    c = q.shape[-1] // 2
    upper = jax.lax.cummax(q[..., c:], axis=q.ndim - 1)
    lower = jax.lax.cummin(q[..., : c + 1], axis=q.ndim - 1, reverse=True)
    return jnp.moveaxis(jnp.concatenate([lower[..., :c], upper], axis=-1), -1, axis)


def _values(q):
    q = as_float_array(q, "q")
    if q.ndim < 1:
        raise ValueError(f"`q` must have at least one dimension (..., m), got shape {tuple(q.shape)}")
    check_finite(q, "q")
    return q


def monotonize(q, method: str = "sort", *, axis: int = -1):
    """Make every slice of ``q`` along ``axis`` non-decreasing.

    method: ``"sort"`` (default; never increases the summed pinball loss), ``"isotonic"``
    (L2 projection; never increases it either, see the claims), or ``"minmax"`` (no guarantee).
    """
    check_choice(method, "method", METHODS)
    values = _values(q)
    ndim = values.ndim
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -ndim <= int(axis) < ndim:
        raise ValueError(f"`axis` must be an integer in [{-ndim}, {ndim - 1}] for a {ndim}-d `q`, got {axis!r}")
    if method == "sort":
        return jnp.sort(values, axis=axis)
    if method == "isotonic":
        return isotonic_projection(q, axis=axis)
    return minmax_sweep(q, axis=axis)


def check_margin(margin, m: int):
    """The crossing margin: a scalar or an ``(m, m)`` array, finite and ``>= 0`` (values checked when
    concrete). Returns it as a float array."""
    delta = as_float_array(margin, "margin")
    if delta.ndim not in (0, 2) or (delta.ndim == 2 and delta.shape != (m, m)):
        raise ValueError(f"`margin` must be a scalar or an ({m}, {m}) array, got shape {tuple(delta.shape)}")
    if not is_traced(delta):
        check_finite(delta, "margin")
        if np.any(np.asarray(delta) < 0):
            raise ValueError("`margin` must be >= 0")
    return delta


def crossing_penalty(q, margin=0.0):
    """Mean over rows and level pairs l < k of (q_l - q_k + delta_lk)_+ (Fakoor et al., margin loss).

    ``margin`` is a scalar delta >= 0 or an ``(m, m)`` array whose upper triangle holds delta_lk
    (see :func:`adaptive_margin`). Zero iff every row is increasing with gaps >= delta.
    """
    q = as_float_array(q, "q")
    if q.ndim < 1 or q.shape[-1] < 2:
        raise ValueError(f"`q` must have shape (..., m) with m >= 2 levels, got {tuple(q.shape)}")
    m = q.shape[-1]
    delta = check_margin(margin, m)
    upper = np.triu(np.ones((m, m), bool), k=1)
    gaps = q[..., :, None] - q[..., None, :] + delta  # [l, k] = q_l - q_k + delta_lk
    violation = jnp.where(upper, jnp.maximum(gaps, 0.0), 0.0)
    return jnp.sum(violation, axis=(-2, -1)).mean() / (m * (m - 1) / 2)


def adaptive_margin(residuals, taus, *, scale: float = 1.0):
    """delta_lk = scale * (Q_k(R) - Q_l(R))_+ from residuals ``R`` (Fakoor et al., "adapt" margin)."""
    r = as_float_array(residuals, "residuals").ravel()
    check_finite(r, "residuals")
    taus = as_float_array(taus, "taus")
    qr = jnp.quantile(r, taus)
    return scale * jnp.maximum(qr[None, :] - qr[:, None], 0.0)

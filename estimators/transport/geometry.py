"""Ground costs between point clouds (the *geometry* of an OT problem, OTT-JAX style).

A cost is an ``(n, m)`` array ``C[i, j] = c(x_i, y_j)``. The solvers take the matrix itself, so any
user cost works; this module builds the usual ones without Python loops.
"""

from __future__ import annotations

import jax.numpy as jnp

from theorylab.validation import as_float_array, check_choice, check_finite

__all__ = ["cost_matrix", "COSTS"]

COSTS = ("sqeuclidean", "euclidean", "l1", "lp")


def cost_matrix(x, y=None, *, cost: str = "sqeuclidean", p: float = 2.0):
    r"""Pairwise cost matrix between the rows of ``x`` (n, d) and ``y`` (m, d).

    * ``"sqeuclidean"``: :math:`C_{ij} = \lVert x_i - y_j\rVert_2^2` (expanded form, clipped at 0
      only against the rounding of the expansion, never of real data);
    * ``"euclidean"``: :math:`\lVert x_i - y_j\rVert_2`;
    * ``"l1"``: :math:`\sum_k |x_{ik} - y_{jk}|`;
    * ``"lp"``: :math:`\lVert x_i - y_j\rVert_p^p` for ``p >= 1``.

    ``y=None`` uses ``y = x``. One-dimensional inputs are read as ``d = 1``.
    """
    check_choice(cost, "cost", COSTS)
    x = as_float_array(x, "x")
    y = x if y is None else as_float_array(y, "y")
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim == 1:
        y = y[:, None]
    for arr, name in ((x, "x"), (y, "y")):
        if arr.ndim != 2 or arr.shape[0] == 0:
            raise ValueError(f"`{name}` must be a non-empty (points, dimension) array, got shape {arr.shape}")
        check_finite(arr, name)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"`x` and `y` must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
    if cost == "sqeuclidean":
        sq = jnp.sum(x**2, 1)[:, None] + jnp.sum(y**2, 1)[None, :] - 2.0 * x @ y.T
        return jnp.maximum(sq, 0.0)
    diff = jnp.abs(x[:, None, :] - y[None, :, :])
    if cost == "euclidean":
        return jnp.sqrt(jnp.sum(diff**2, -1))
    if cost == "l1":
        return jnp.sum(diff, -1)
    if not p >= 1.0:
        raise ValueError(f"`p` must be >= 1 for the 'lp' cost, got {p}")
    return jnp.sum(diff**p, -1)

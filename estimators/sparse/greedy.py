r"""Orthogonal matching pursuit and exhaustive best subset (the l0 references).

* :func:`omp`: OMP (Pati, Rezaiifar & Krishnaprasad 1993): k times, add the column most correlated
  with the residual, then refit least squares on the selected columns. Columns are scored by
  :math:`|x_j^\top r|/\lVert x_j\rVert` (scale invariant); ``sklearn.linear_model.OrthogonalMatchingPursuit``
  scores the raw :math:`|x_j^\top r|`, so the two select the same columns when the columns have equal norms.
* :func:`best_subset`: :math:`\min_{|S| = k} \lVert y - X_S w_S\rVert^2` by enumeration. Subsets are
  unranked in colexicographic order chunk by chunk (no list of all C(d, k) subsets is stored) and
  scored with batched Cholesky factors of :math:`X_S^\top X_S`:
  :math:`\mathrm{RSS}(S) = \lVert y\rVert^2 - \lVert L_S^{-1} X_S^\top y\rVert^2`. The winner is refit with
  ``lstsq``. Subsets whose Gram matrix is numerically singular score +inf (an exactly collinear
  subset fits no better than a smaller subset contained in some other candidate).
* :func:`oracle_least_squares`: least squares on a known support.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.sparse import _checks
from theorylab.validation import check_integer

__all__ = ["SubsetFit", "omp", "best_subset", "oracle_least_squares", "least_squares"]


class SubsetFit(NamedTuple):
    """A fit on a selected support: ``coef`` (d,), ``fitted`` (N,), ``support`` (sorted, k) and the
    residual sum of squares ``rss``."""

    coef: jax.Array
    fitted: jax.Array
    support: jax.Array
    rss: jax.Array


def _refit(X, y, support):
    A = X[:, support]
    w_s = jnp.linalg.lstsq(A, y)[0]
    coef = jnp.zeros(X.shape[1], X.dtype).at[support].set(w_s)
    fitted = A @ w_s
    r = y - fitted
    return SubsetFit(coef, fitted, support, r @ r)


@functools.partial(jax.jit, static_argnames=("k",))
def _omp(X, y, k):
    n, d = X.shape
    norms = jnp.linalg.norm(X, axis=0)
    inv = jnp.where(norms > 0, 1.0 / jnp.where(norms > 0, norms, 1.0), 0.0)

    def step(state, i):
        sel, taken, r = state
        score = jnp.where(taken, -jnp.inf, jnp.abs(X.T @ r) * inv)
        j = jnp.argmax(score).astype(jnp.int32)
        sel = sel.at[i].set(j)
        taken = taken.at[j].set(True)
        A = X[:, sel] * (jnp.arange(k) <= i)[None, :]
        coef = jnp.linalg.lstsq(A, y)[0]
        return (sel, taken, y - A @ coef), None

    init = (jnp.zeros(k, jnp.int32), jnp.zeros(d, bool), y)
    (sel, _, _), _ = jax.lax.scan(step, init, jnp.arange(k))
    return _refit(X, y, jnp.sort(sel))


def omp(X, y, k: int) -> SubsetFit:
    """Orthogonal matching pursuit with k steps. k >= N is capped at N - 1 with a warning."""
    X, y = _checks.problem(X, y)
    n, d = X.shape
    k = _checks.clip_sparsity(_checks.sparsity(k, d), n, "omp")
    return _omp(X, y, k)


def least_squares(X, y) -> jax.Array:
    """Ordinary (minimum-norm) least squares coefficients."""
    X, y = _checks.problem(X, y)
    return jnp.linalg.lstsq(X, y)[0]


def oracle_least_squares(X, y, support) -> SubsetFit:
    """Least squares restricted to the true ``support`` (the oracle of (S2) in docs/theory/sparse.md)."""
    X, y = _checks.problem(X, y)
    support = jnp.sort(jnp.asarray(support, jnp.int32))
    s = np.asarray(support)
    if support.ndim != 1 or s.size == 0 or s.min() < 0 or s.max() >= X.shape[1] or np.unique(s).size != s.size:
        raise ValueError(f"`support` must hold distinct column indices in [0, {X.shape[1]}), got {s[:10].tolist()}")
    return _refit(X, y, support)


def _binomial_table(d, k):
    """table[p - 1, c] = C(c, p) for p = 1..k, c = 0..d (exact integers, int64)."""
    return np.array([[math.comb(c, p) for c in range(d + 1)] for p in range(1, k + 1)], dtype=np.int64)


def _unrank(ranks, table, k):
    """Colexicographic unranking: the subset {c_k > ... > c_1} with sum_p C(c_p, p) = rank."""
    out = []
    r = ranks
    for p in range(k, 0, -1):
        c = jnp.searchsorted(table[p - 1], r, side="right") - 1
        out.append(c)
        r = r - table[p - 1][c]
    return jnp.stack(out[::-1], axis=-1).astype(jnp.int32)


@functools.partial(jax.jit, static_argnames=("k", "chunk", "n_chunks"))
def _best_rank(gram, xty, yy, table, total, k, chunk, n_chunks):
    def score(subset):
        g = gram[subset[:, None], subset[None, :]]
        chol = jnp.linalg.cholesky(g)
        z = jax.scipy.linalg.solve_triangular(chol, xty[subset], lower=True)
        rss = yy - z @ z
        return jnp.where(jnp.isfinite(rss), rss, jnp.inf)

    def body(best, c):
        ranks = c * chunk + jnp.arange(chunk, dtype=jnp.int64)
        valid = ranks < total
        subsets = _unrank(jnp.where(valid, ranks, 0), table, k)
        rss = jnp.where(valid, jax.vmap(score)(subsets), jnp.inf)
        i = jnp.argmin(rss)
        better = rss[i] < best[0]
        return (jnp.where(better, rss[i], best[0]), jnp.where(better, ranks[i], best[1])), None

    init = (jnp.asarray(jnp.inf, gram.dtype), jnp.asarray(0, jnp.int64))
    (rss, rank), _ = jax.lax.scan(body, init, jnp.arange(n_chunks, dtype=jnp.int64))
    return rss, rank


def best_subset(X, y, k: int, *, max_subsets: int = 2_000_000, chunk: int = 4096) -> SubsetFit:
    """Exhaustive l0-constrained least squares over all C(d, k) supports of size k.

    Raises when C(d, k) exceeds ``max_subsets`` (use :func:`omp` or the Lasso instead). k >= N is
    capped at N - 1 with a warning (larger supports interpolate).
    """
    X, y = _checks.problem(X, y)
    n, d = X.shape
    k = _checks.clip_sparsity(_checks.sparsity(k, d), n, "best_subset")
    chunk = check_integer(chunk, "chunk", minimum=1)
    total = math.comb(d, k)
    if total > check_integer(max_subsets, "max_subsets", minimum=1):
        raise ValueError(f"best_subset: C({d}, {k}) = {total:,} subsets exceeds max_subsets = {max_subsets:,}; "
                         "raise max_subsets, or use omp / lasso_cv / preconditioned_lasso for problems this size")
    chunk = min(chunk, total)
    n_chunks = -(-total // chunk)
    table = jnp.asarray(_binomial_table(d, k))
    _, rank = _best_rank(X.T @ X, X.T @ y, y @ y, table, total, k, chunk, n_chunks)
    support = jnp.sort(_unrank(rank[None], table, k)[0])
    return _refit(X, y, support)

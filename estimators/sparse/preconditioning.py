r"""Preconditioned Lasso and a data-driven preconditioner search ((S5) of docs/theory/sparse.md).

The preconditioned Lasso (Kelner, Koehler, Meka & Rohatgi 2021) picks an invertible S, normalises the
columns of XS to norm :math:`\sqrt N`, solves the Lasso for v and returns :math:`\hat w = S\hat v`. For any X,
if :math:`\alpha \ge \lVert (XS)^\top\xi\rVert_\infty/N`,

.. math::  \tfrac1N\lVert X(\hat w - w^*)\rVert^2 \le 4\alpha\,\lVert S^{-1}w^*\rVert_1 ,

so a good S is one in which the signals we expect have a small l1 norm *in prediction units*.

**Why the plain Lasso struggles.** A near-dependency among a few columns, :math:`Xu \approx 0` with u
sparse, lets a signal :math:`w^* = u/\delta` have :math:`\lVert Xw^*\rVert/\sqrt N = O(1)` but
:math:`\lVert w^*\rVert_1 = O(1/\delta)`. A random support that hits two columns of one such dependency
can carry that contrast, and the bound (and in practice the error) grows by 1/delta.

**The search (``method="dependencies"``; our design, the paper's Phase 1 could not be read).** Visit the
columns in order. Keep a set R of *representatives*. For column j, run orthogonal matching pursuit of
:math:`x_j` on the representatives so far with at most ``max_terms`` atoms; if some t <= max_terms atoms
leave a relative residual :math:`\lVert x_j - X_R\beta_j\rVert/\lVert x_j\rVert <` ``threshold``, column j is
*dependent* with the sparse coefficients :math:`\beta_j` (the fewest atoms that reach the threshold);
otherwise j joins R. The new basis keeps :math:`e_r` for r in R and replaces each dependent column by
:math:`e_j - \beta_j`, whose image :math:`X(e_j-\beta_j)` is the small residual. Then

* S is unit upper triangular after ordering R first, so it is always invertible (det S = 1) and
  :math:`S^{-1} = I + B` exactly (B holds the :math:`\beta_j`; :math:`B^2 = 0` since representatives
  are never dependent): no inverse is computed, whatever cond(X) is;
* a contrast :math:`(e_a - e_b)/\delta` between two dependents of one representative becomes
  :math:`(u_a - u_b)/\delta + (\beta_a - \beta_b)/\delta` with :math:`\beta_a \approx \beta_b`; after the
  columns of XS are normalised (their norms are :math:`O(\delta\sqrt N)`) its l1 norm is O(1), not O(1/delta);
* a coefficient on a single column j stays O(1): :math:`e_j = u_j + \beta_j`;
* it costs O(max_terms N d^2) and needs nothing about the clusters. The sparsity cap keeps it from
  "explaining" a column by many unrelated ones when d > N (any column is a dense combination of N
  others then). Exactly dependent columns (relative residual < 1e-10) give X s = 0: they are
  marked ``null`` and left out of the Lasso (they do not change any prediction).

This is a sparse, pivoted analogue of a Cholesky factorisation of the Gram matrix and a data-driven
version of the feature adaptation of Kelner et al. (2023) for 2- and 3-sparse dependencies. What it
cannot do is just as clear: dependencies that are not ``max_terms``-sparse in the representatives
stay in the design, and a worst-case signal may place its mass where the basis does not help
(the claims measure random against adversarial supports).

Baselines: ``"pairwise"`` (one atom, the most correlated earlier representative, when
:math:`|\mathrm{corr}| \ge` ``corr_threshold``); ``"clusters"`` (oracle labels: differences to the first
column of each cluster, the oracle basis of docs/theory/sparse.md); ``"identity"``; and :func:`augment_dictionary`, which
appends normalised pairwise differences instead of changing the basis (an overcomplete dictionary).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.sparse import _checks
from theorylab.estimators.sparse.lasso_solvers import LassoCVResult, LassoResult, lasso, lasso_cv
from theorylab.validation import check_choice, check_in_range, check_integer

__all__ = ["Preconditioner", "DictionaryFit", "find_preconditioner", "preconditioned_lasso", "augment_dictionary",
           "METHODS"]

METHODS = ("dependencies", "pairwise", "clusters", "identity", "paper")
NULL_RESIDUAL = 1e-10


class Preconditioner(NamedTuple):
    """A change of basis ``w = matrix @ v`` with its exact ``inverse``.

    ``representative[j]``: column j kept as itself; otherwise column j of ``matrix`` is
    ``e_j - beta_j`` with ``beta_j`` supported on representatives. ``null[j]``: X @ matrix[:, j] is zero
    to 1e-10 (relative) and the Lasso leaves that direction out. ``residual[j]``: the relative norm
    ``|X matrix[:, j]| / |x_j|``.
    """

    matrix: jax.Array
    inverse: jax.Array
    representative: jax.Array
    null: jax.Array
    residual: jax.Array


class DictionaryFit(NamedTuple):
    """A Lasso run in another dictionary ``A = X M D`` (D normalises the columns to norm sqrt(N)).

    ``coef`` (d,) is in the original coordinates, ``v`` the Lasso solution in the normalised dictionary,
    ``scaled`` = M D (so ``coef = scaled @ v``), ``lasso`` the underlying :class:`LassoResult` or
    :class:`LassoCVResult`.
    """

    coef: jax.Array
    fitted: jax.Array
    v: jax.Array
    scaled: jax.Array
    lasso: LassoResult | LassoCVResult

    @property
    def converged(self):
        """Whether the underlying Lasso converged."""
        return self.lasso.converged


@functools.partial(jax.jit, static_argnames=("max_terms",))
def _dependency_scan(X, threshold, max_terms):
    n, d = X.shape
    norms = jnp.linalg.norm(X, axis=0)
    Xn = X / jnp.where(norms > 0, norms, 1.0)
    q = max_terms

    def column(rep, j):
        x = Xn[:, j]

        def atom(state, t):
            sel, taken, r = state
            score = jnp.where(rep & ~taken, jnp.abs(Xn.T @ r), -jnp.inf)
            a = jnp.argmax(score).astype(jnp.int32)
            ok = jnp.isfinite(score[a])
            sel = sel.at[t].set(jnp.where(ok, a, -1))
            taken = taken.at[a].set(taken[a] | ok)
            use = (jnp.arange(q) <= t) & (sel >= 0)
            A = Xn[:, jnp.maximum(sel, 0)] * use[None, :]
            c = jnp.linalg.lstsq(A, x)[0] * use
            r = x - A @ c
            return (sel, taken, r), (jnp.linalg.norm(r), c)

        init = (jnp.full(q, -1, jnp.int32), jnp.zeros(d, bool), x)
        (sel, _, _), (res, coefs) = jax.lax.scan(atom, init, jnp.arange(q))
        hit = res < threshold
        first = jnp.argmax(hit)
        dependent = jnp.any(hit) & (norms[j] > 0)
        best = jnp.where(dependent, res[first], 1.0)
        coef = jnp.where(dependent, coefs[first], 0.0)
        rep = rep.at[j].set(~dependent)
        return rep, (dependent, sel, coef, best)

    rep0 = jnp.zeros(d, bool)
    _, (dependent, sel, coef, res) = jax.lax.scan(column, rep0, jnp.arange(d))
    # beta_j in original units: x_j ~ sum_t coef_t xn_{a_t} |x_j| = sum_t (coef_t |x_j| / |x_a|) x_a
    safe = jnp.maximum(sel, 0)
    beta = coef * norms[:, None] / jnp.where(norms[safe] > 0, norms[safe], 1.0)
    beta = jnp.where((sel >= 0) & dependent[:, None], beta, 0.0)
    B = jnp.zeros((d, d), X.dtype).at[safe, jnp.arange(d)[:, None]].add(beta)
    return B, ~dependent, res


def _from_coefficients(B, representative, residual):
    eye = jnp.eye(B.shape[0], dtype=B.dtype)
    return Preconditioner(eye - B, eye + B, representative, residual < NULL_RESIDUAL, residual)


def find_preconditioner(X, method: str = "dependencies", *, threshold: float = 0.25, max_terms: int = 2,
                        corr_threshold: float = 0.9, clusters=None) -> Preconditioner:
    """Search a change of basis for the preconditioned Lasso (see the module docstring).

    ``method="dependencies"`` (default): sparse dependencies of at most ``max_terms`` representatives with
    relative residual below ``threshold``. ``"pairwise"``: one representative with
    ``|corr| >= corr_threshold``. ``"clusters"``: oracle ``clusters`` labels (d,). ``"identity"``: S = I.
    ``"paper"``: the seed paper's Phase 1, whose text could not be read; raises NotImplementedError.
    """
    X = _checks.design(X)
    n, d = X.shape
    check_choice(method, "method", METHODS)
    if method == "paper":
        raise NotImplementedError(
            "the Phase-1 preconditioner search of Chandrasekaran, Meka & Stavropoulos (arXiv 2511.06211, section 4) "
            "could not be read (docs/theory/sparse.md); use method='dependencies', our data-driven search")
    if method == "identity":
        return _from_coefficients(jnp.zeros((d, d)), jnp.ones(d, bool), jnp.ones(d))
    if method == "clusters":
        if clusters is None:
            raise ValueError("method='clusters' needs `clusters`, the cluster label of each column (d,)")
        lab = np.asarray(clusters)
        if lab.shape != (d,):
            raise ValueError(f"`clusters` must have one label per column ({d},), got shape {lab.shape}")
        first = {}
        B = np.zeros((d, d))
        rep = np.zeros(d, bool)
        for j, c in enumerate(lab.tolist()):
            if c in first:
                B[first[c], j] = 1.0
            else:
                first[c] = j
                rep[j] = True
        B = jnp.asarray(B)
        res = jnp.linalg.norm(X @ (jnp.eye(d) - B), axis=0) / jnp.maximum(jnp.linalg.norm(X, axis=0), 1e-300)
        return _from_coefficients(B, jnp.asarray(rep), res)
    if method == "pairwise":
        check_in_range(corr_threshold, "corr_threshold", 0.0, 1.0, closed=(False, False))
        thr, terms = float(np.sqrt(1.0 - corr_threshold**2)), 1
    else:
        check_in_range(threshold, "threshold", 0.0, 1.0, closed=(False, False))
        thr, terms = float(threshold), check_integer(max_terms, "max_terms", minimum=1, maximum=d)
    _checks.column_norms(X, drop_zero=False)
    B, rep, res = _dependency_scan(X, thr, terms)
    res = jnp.where(rep, 1.0, res)
    return _from_coefficients(B, rep, res)


def augment_dictionary(X, corr_threshold: float = 0.9):
    """Append the differences x_i - sign(c_ij) x_j of every column pair with ``|corr| > corr_threshold``.

    Returns the (d, d + p) map M with w = M u, for :func:`preconditioned_lasso` (the prototypes' augmented dictionary,
    ``aug`` in P4 of docs/theory/sparse.md; a crude form of Kelner et al.'s feature adaptation).
    """
    X = _checks.design(X)
    check_in_range(corr_threshold, "corr_threshold", 0.0, 1.0, closed=(False, False))
    Xn = X / _checks.column_norms(X, drop_zero=False)
    C = np.asarray(Xn.T @ Xn)
    ii, jj = np.nonzero(np.triu(np.abs(C), 1) > corr_threshold)
    d = X.shape[1]
    M = np.zeros((d, d + ii.size))
    M[:, :d] = np.eye(d)
    cols = np.arange(ii.size) + d
    M[ii, cols] = 1.0
    M[jj, cols] = -np.sign(C[ii, jj])
    return jnp.asarray(M)


def preconditioned_lasso(X, y, S, alpha=None, *, folds=5, n_alphas: int = 30, solver: str = "cd",
                         tol: float = 1e-6, max_steps: int = 500, throw: bool = False) -> DictionaryFit:
    """Lasso on ``X @ S`` with columns normalised to norm sqrt(N); returns w = S v in the original basis.

    ``S`` is a :class:`Preconditioner` or any (d, p) matrix (an invertible change of basis, or an
    overcomplete dictionary from :func:`augment_dictionary`). ``alpha=None`` picks alpha by K-fold
    cross-validation (:func:`~theorylab.estimators.sparse.lasso_solvers.lasso_cv`); a number runs one Lasso at that alpha
    (in the normalised dictionary's sklearn scaling). ``folds`` is passed to ``lasso_cv``; ``throw``
    raises when the Lasso did not converge.
    """
    X, y = _checks.problem(X, y)
    n, d = X.shape
    null = None
    if isinstance(S, Preconditioner):
        null = S.null
        S = S.matrix
    S = jnp.asarray(_checks.design(S, "S"))
    if S.shape[0] != d or S.shape[1] < d:
        raise ValueError(f"`S` must be (d, p) with d = {d} rows and p >= d columns, got shape {tuple(S.shape)}")
    if S.shape[1] == d and null is None:
        _check_invertible(S)
    A = X @ S
    norms = jnp.linalg.norm(A, axis=0)
    dead = norms <= NULL_RESIDUAL * jnp.max(norms)
    if null is not None:
        dead = dead | null
    scale = jnp.where(dead, 0.0, jnp.sqrt(n) / jnp.where(dead, 1.0, norms))
    A = A * scale[None, :]
    if alpha is None:
        fit = lasso_cv(A, y, folds=folds, n_alphas=n_alphas, solver=solver, tol=tol, max_steps=max_steps, throw=throw)
    else:
        fit = lasso(A, y, alpha, solver=solver, tol=tol, max_steps=max_steps, throw=throw)
    scaled = S * scale[None, :]
    return DictionaryFit(scaled @ fit.coef, fit.fitted, fit.coef, scaled, fit)


def _check_invertible(S):
    s = np.linalg.svd(np.asarray(S), compute_uv=False)
    if s[-1] <= s[0] * S.shape[0] * np.finfo(float).eps:
        raise ValueError(f"`S` is singular to working precision (smallest / largest singular value {s[-1] / s[0]:.2e}); "
                         "a preconditioner must be invertible")

r"""The Lasso in scikit-learn's scaling, its path and K-fold cross-validation.

Objective (no intercept; centre the data first if you want one)

.. math::

    P(w) = \frac{1}{2N}\lVert y - Xw\rVert_2^2 + \alpha \lVert w\rVert_1 ,

which is ``sklearn.linear_model.Lasso(alpha, fit_intercept=False)``. Both solvers stop on the
duality gap, with the dual point :math:`\theta = s\,r/N`, :math:`s = \min(1, \alpha N/\lVert X^\top r\rVert_\infty)`:

.. math::

    D(\theta) = \frac{1}{2N}\bigl(\lVert y\rVert^2 - \lVert y - N\theta\rVert^2\bigr), \qquad
    P(w) - D(\theta) \le \mathrm{tol}\cdot \lVert y\rVert^2 / N

(scikit-learn's stopping rule, so ``tol`` means the same thing in both libraries).

* ``solver="cd"``: cyclic coordinate descent on a working set (the strong-set idea of glmnet,
  Friedman, Hastie & Tibshirani 2010, with the exact KKT check instead of a screening rule): the
  support plus every coordinate with :math:`|x_j^\top r|/N > \alpha`; sweeps over it until the
  updates settle, then one product :math:`X^\top r` for the gap and the next working set. A coordinate
  left out would stay at zero if visited, so this is ordinary coordinate descent in another order;
  a sweep costs O(N) per working-set coordinate instead of O(Nd) per sweep.
* ``solver="fista"``: accelerated proximal gradient (Beck & Teboulle 2009) with step 1/L,
  :math:`L = \sigma_{\max}(X)^2/N`, and O'Donoghue & Candes' gradient restart. Its iteration count
  grows like :math:`\sqrt{\kappa}`: prefer ``"cd"`` on ill-conditioned designs.

Everything below the public wrappers is a pure function of arrays, so it runs under ``jit`` and
``vmap`` (the CV routine maps the warm-started path over folds inside one program).
"""

from __future__ import annotations

import functools
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.sparse import _checks
from theorylab.numerics.solution import ConvergenceError, Status, describe_status, status_result
from theorylab.validation import check_choice, check_in_range, check_integer, check_key, check_positive, is_traced

__all__ = [
    "LassoResult", "LassoPath", "LassoCVResult",
    "lasso", "lasso_path", "lasso_cv", "alpha_max", "alpha_grid", "lasso_objective", "duality_gap",
    "soft_threshold", "contiguous_folds", "random_folds",
]

SOLVERS = ("cd", "fista")


@status_result
class LassoResult(NamedTuple):
    """A Lasso fit. ``status`` is a :class:`~theorylab.numerics.Status` code (0 = converged),
    ``num_steps`` the coordinate sweeps or gradient steps taken, ``dual_gap`` the final gap."""

    coef: jax.Array
    fitted: jax.Array
    alpha: jax.Array
    dual_gap: jax.Array
    num_steps: jax.Array
    status: jax.Array


@status_result
class LassoPath(NamedTuple):
    """Warm-started fits along a decreasing grid: ``coefs[i]`` solves the problem at ``alphas[i]``
    (``dual_gaps``, ``num_steps`` and ``status`` per grid point)."""

    alphas: jax.Array
    coefs: jax.Array
    dual_gaps: jax.Array
    num_steps: jax.Array
    status: jax.Array


@status_result
class LassoCVResult(NamedTuple):
    """K-fold cross-validated Lasso. ``mse_path[i, f]`` is fold f's held-out mean squared error at
    ``alphas[i]``; ``alpha`` minimises the fold mean; ``alpha_1se`` is the largest alpha within one
    standard error of that minimum (Hastie, Tibshirani & Friedman, ESL section 7.10). ``fit`` is the
    refit on all rows at ``alpha``; ``fold_status[f]`` is the first failure on fold f's path (or
    SUCCESS); ``status`` is the refit's failure, else the first fold's, else SUCCESS."""

    coef: jax.Array
    fitted: jax.Array
    alpha: jax.Array
    alpha_1se: jax.Array
    alphas: jax.Array
    mse_path: jax.Array
    fit: LassoResult
    fold_status: jax.Array
    status: jax.Array

    @property
    def num_steps(self):
        """Steps of the refit on all rows."""
        return self.fit.num_steps

    @property
    def message(self) -> str:
        """What failed, specifically: the refit or a fold's path (outside ``jit``)."""
        if int(self.fit.status) != int(Status.SUCCESS):
            return f"the refit at the chosen alpha: {self.fit.message}"
        folds = np.asarray(self.fold_status)
        bad = np.flatnonzero(folds != int(Status.SUCCESS))
        if bad.size:
            return f"fold {int(bad[0])}'s path: {describe_status(folds[bad[0]])} ({bad.size} of {folds.size} folds failed)"
        return "converged"


def _first_failure(status):
    """The first non-SUCCESS code in ``status`` (any shape), or SUCCESS."""
    flat = jnp.ravel(status)
    bad = flat != int(Status.SUCCESS)
    return jnp.where(jnp.any(bad), flat[jnp.argmax(bad)], int(Status.SUCCESS))


def soft_threshold(z, t):
    r""":math:`\operatorname{sign}(z)\max(|z| - t, 0)`, the minimiser of :math:`\tfrac12(z-w)^2 + t|w|`."""
    return jnp.sign(z) * jnp.maximum(jnp.abs(z) - t, 0.0)


def lasso_objective(X, y, coef, alpha):
    """``P(w) = |y - Xw|^2 / (2N) + alpha |w|_1``."""
    r = y - X @ coef
    return r @ r / (2 * X.shape[0]) + alpha * jnp.sum(jnp.abs(coef))


def _gap(Xt, y, r, w, alpha, n):
    xtr = Xt @ r / n
    dual_norm = jnp.max(jnp.abs(xtr))
    s = jnp.where(dual_norm > alpha, alpha / jnp.where(dual_norm > 0, dual_norm, 1.0), 1.0)
    primal = r @ r / (2 * n) + alpha * jnp.sum(jnp.abs(w))
    res = s * r - y
    dual = (y @ y - res @ res) / (2 * n)
    return primal - dual


def duality_gap(X, y, coef, alpha):
    """The duality gap P(w) - D(theta) at ``coef`` (>= 0; zero exactly at a minimiser)."""
    X, y = _checks.problem(X, y)
    return _gap(X.T, y, y - X @ coef, coef, alpha, X.shape[0])


def _status(gap, tol_abs, iters, max_steps):
    return jnp.where(~jnp.isfinite(gap), int(Status.NONFINITE),
                     jnp.where(gap <= tol_abs, int(Status.SUCCESS),
                               jnp.where(iters >= max_steps, int(Status.MAX_STEPS), int(Status.FAILED))))


# ------------------------------------------------------------------ coordinate descent
def _sweep(Xt, col_sq, n, alpha, idx, count, w, r):
    def body(t, carry):
        w, r, dmax = carry
        j = idx[t]
        xj = Xt[j]
        cj = col_sq[j]
        wj = w[j]
        z = xj @ r / n + cj * wj
        new = jnp.where(cj > 0, soft_threshold(z, alpha) / jnp.where(cj > 0, cj, 1.0), 0.0)
        delta = new - wj
        return w.at[j].set(new), r - delta * xj, jnp.maximum(dmax, jnp.abs(delta) * jnp.sqrt(cj))

    return jax.lax.fori_loop(0, count, body, (w, r, jnp.zeros((), w.dtype)))


def _polish(Xt, y, n, alpha, w, size, max_steps=None):
    """Active-set iterations (Osborne, Presnell & Turlach 2000) from ``w``, on a support padded to ``size``.

    With signs s on the active set A, the Lasso solution solves
    (X_A^T X_A / N) w_A = X_A^T y / N - alpha s_A. A step towards that point stops where the first
    coordinate reaches zero (it leaves A); a sign-consistent point takes in the worst KKT violator.
    No violator left means the point is exact. Every iterate is a valid primal point; the caller keeps
    it only if its duality gap is smaller.
    """
    d = Xt.shape[0]
    c = Xt @ y / n
    dtype = Xt.dtype
    max_steps = min(4 * size, 32) if max_steps is None else max_steps
    limit = jnp.minimum(size, jnp.floor(n)).astype(jnp.int32)

    def target(signs):
        active = signs != 0
        count = jnp.sum(active)
        idx = jnp.nonzero(active, size=size, fill_value=0)[0]
        valid = jnp.arange(size) < count
        A = Xt[idx] * valid[:, None]
        gram = A @ A.T / n + jnp.diag((~valid).astype(dtype))
        z = jax.scipy.linalg.solve(gram, (c[idx] - alpha * signs[idx]) * valid, assume_a="pos") * valid
        return jnp.zeros(d, dtype).at[idx].add(z), count <= limit

    def cond(state):
        _, _, it, done, ok = state
        return ~done & ok & (it < max_steps)

    def body(state):
        w, signs, it, _, _ = state
        z, fits = target(signs)
        flip = (signs != 0) & (z * signs <= 0)
        gamma_j = jnp.where(flip, w / jnp.where(flip, w - z, 1.0), jnp.inf)
        gamma_j = jnp.where(flip & (w * signs <= 0), 0.0, gamma_j)
        leave = jnp.argmin(gamma_j)
        gamma = jnp.clip(gamma_j[leave], 0.0, 1.0)
        any_flip = jnp.any(flip)
        stepped = (w + gamma * (z - w)).at[leave].set(0.0)
        w_new = jnp.where(any_flip, stepped, z)
        signs_new = jnp.where(any_flip, signs.at[leave].set(0.0), signs)
        corr = c - Xt @ (Xt.T @ w_new) / n
        viol = jnp.where(signs_new == 0, jnp.abs(corr) - alpha, -jnp.inf)
        j = jnp.argmax(viol)
        add = ~any_flip & (viol[j] > 1e-12 * jnp.maximum(alpha, 1.0))
        signs_new = jnp.where(add, signs_new.at[j].set(jnp.sign(corr[j])), signs_new)
        done = (~any_flip & ~add) | ~fits  # a support larger than the rows can hold: stop where we are
        w_new = jnp.where(fits, w_new, w)
        return w_new, signs_new, it + 1, done, jnp.all(jnp.isfinite(w_new))

    # an iterate with more nonzeros than fit (``size``, and N rows: masked CV rows count as absent)
    # starts from its ``limit - 1`` largest entries
    magnitude = -jnp.sort(-jnp.abs(w))
    keep = jnp.abs(w) >= magnitude[jnp.maximum(limit - 2, 0)]
    start = jnp.where(jnp.sum(w != 0) > limit, jnp.where(keep, w, 0.0), w)
    w_out, _, _, _, ok = jax.lax.while_loop(cond, body, (start, jnp.sign(start), 0, False, True))
    return jnp.where(ok, w_out, w)


def _polish_sizes(n, d):
    top = min(n, d)
    sizes = [b for b in (8, 16, 32, 64, 128, 256) if b < top]
    return tuple(sizes + [top]) if top <= 256 else tuple(sizes)


def _cd(Xt, y, n, alpha, w0, tol_abs, max_steps, polish=True):
    d = Xt.shape[0]
    col_sq = jnp.sum(Xt * Xt, axis=1) / n
    sizes = _polish_sizes(Xt.shape[1], d) if polish else ()

    def outer_cond(state):
        _, _, gap, it = state
        return (gap > tol_abs) & (it < max_steps) & jnp.isfinite(gap)

    def outer(state):
        w, r, gap, it = state
        # working set: the support and every KKT violator |x_j^T r|/N > alpha (the others would stay 0)
        work = (w != 0) | (jnp.abs(Xt @ r) / n > alpha)
        idx = jnp.nonzero(work, size=d, fill_value=0)[0].astype(jnp.int32)
        count = jnp.sum(work).astype(jnp.int32)
        settle = jnp.maximum(tol_abs, 1e-2 * gap) if sizes else tol_abs

        def inner_cond(s):
            _, _, dmax, it = s
            return (dmax * dmax > settle) & (it < max_steps)

        def inner(s):
            w, r, _, it = s
            w, r, dmax = _sweep(Xt, col_sq, n, alpha, idx, count, w, r)
            return w, r, dmax, it + 1

        w, r, _, it = jax.lax.while_loop(inner_cond, inner, (w, r, jnp.asarray(jnp.inf, w.dtype), it))
        r = y - Xt.T @ w  # refresh the residual (no drift from the rank-one updates)
        gap = _gap(Xt, y, r, w, alpha, n)
        if sizes:  # try the exact sign-fixed solve; keep it only if its duality gap is smaller
            nnz = jnp.sum(w != 0)
            branch = jnp.searchsorted(jnp.asarray(sizes), nnz)
            fns = [functools.partial(_polish, Xt, y, n, alpha, size=b) for b in sizes]
            cand = jax.lax.switch(jnp.minimum(branch, len(sizes) - 1), fns, w)
            r_c = y - Xt.T @ cand
            gap_c = _gap(Xt, y, r_c, cand, alpha, n)
            better = jnp.isfinite(gap_c) & (gap_c < gap)
            w, r, gap = jnp.where(better, cand, w), jnp.where(better, r_c, r), jnp.where(better, gap_c, gap)
        return w, r, gap, it

    r0 = y - Xt.T @ w0
    init = (w0, r0, _gap(Xt, y, r0, w0, alpha, n), jnp.zeros((), jnp.int32))
    return jax.lax.while_loop(outer_cond, outer, init)


# ------------------------------------------------------------------ FISTA
def _fista(Xt, y, n, alpha, w0, tol_abs, max_steps, lipschitz, check_every=10):
    step = 1.0 / lipschitz

    def one(_, s):
        w, z, t = s
        grad = -(Xt @ (y - Xt.T @ z)) / n
        w_new = soft_threshold(z - step * grad, alpha * step)
        restart = (z - w_new) @ (w_new - w) > 0
        t = jnp.where(restart, 1.0, t)
        t_new = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * t * t))
        z = w_new + ((t - 1.0) / t_new) * (w_new - w)
        return w_new, z, t_new

    def cond(state):
        _, _, _, gap, it = state
        return (gap > tol_abs) & (it < max_steps) & jnp.isfinite(gap)

    def body(state):
        w, z, t, _, it = state
        w, z, t = jax.lax.fori_loop(0, check_every, one, (w, z, t))
        r = y - Xt.T @ w
        return w, z, t, _gap(Xt, y, r, w, alpha, n), it + check_every

    r0 = y - Xt.T @ w0
    init = (w0, w0, jnp.ones((), w0.dtype), _gap(Xt, y, r0, w0, alpha, n), jnp.zeros((), jnp.int32))
    w, _, _, gap, it = jax.lax.while_loop(cond, body, init)
    return w, y - Xt.T @ w, gap, it


def _lipschitz(Xt, n):
    return jnp.linalg.norm(Xt, ord=2) ** 2 / n


def _solve(Xt, y, n, alpha, w0, tol_abs, solver, max_steps, lipschitz=None):
    if solver == "cd":
        w, r, gap, it = _cd(Xt, y, n, alpha, w0, tol_abs, max_steps)
    else:
        lip = _lipschitz(Xt, n) if lipschitz is None else lipschitz
        w, r, gap, it = _fista(Xt, y, n, alpha, w0, tol_abs, max_steps, lip)
    return w, r, gap, it, _status(gap, tol_abs, it, max_steps)


@functools.partial(jax.jit, static_argnames=("solver",))
def _lasso_impl(X, y, alpha, w0, tol, solver, max_steps):
    n = X.shape[0]
    tol_abs = tol * (y @ y) / n
    w, r, gap, it, status = _solve(X.T, y, n, alpha, w0, tol_abs, solver, max_steps)
    return LassoResult(w, y - r, jnp.asarray(alpha, X.dtype), gap, it, status)


def _common(X, y, solver, tol, max_steps):
    X, y = _checks.problem(X, y)
    check_choice(solver, "solver", SOLVERS)
    check_positive(tol, "tol")
    max_steps = check_integer(max_steps, "max_steps", minimum=1)
    # a traced loop bound: changing only max_steps (or tol) compiles nothing new
    return X, y, jnp.asarray(max_steps, jnp.int32)


def _throw(result, what):
    if not bool(np.all(np.asarray(result.converged))):
        raise ConvergenceError(f"{what} did not converge: {result.message}; raise max_steps, loosen tol, or "
                               "precondition the design")
    return result


def lasso(X, y, alpha, *, solver: str = "cd", tol: float = 1e-8, max_steps: int = 10_000, w0=None,
          throw: bool = False) -> LassoResult:
    """Solve the Lasso at one ``alpha`` (scikit-learn scaling, no intercept).

    ``tol`` is scikit-learn's: stop when the duality gap is at most ``tol * |y|^2 / N``. ``max_steps``
    counts coordinate sweeps (``"cd"``) or gradient steps (``"fista"``). A run that stops early has
    ``status != 0`` and ``converged`` False; ``throw=True`` raises instead.
    ``alpha = 0`` returns the (minimum-norm) least-squares fit, with a warning when N < d.
    """
    X, y, max_steps = _common(X, y, solver, tol, max_steps)
    alpha = _checks.alpha(alpha)
    if alpha.ndim != 0:
        raise ValueError(f"`alpha` must be a scalar (use lasso_path for a grid), got shape {tuple(alpha.shape)}")
    n, d = X.shape
    if not is_traced(alpha) and float(alpha) == 0.0:
        if n < d:
            warnings.warn(f"alpha = 0 with N = {n} < d = {d}: the least-squares problem is underdetermined; "
                          "returning the minimum-norm solution", UserWarning, stacklevel=2)
        coef = jnp.linalg.lstsq(X, y)[0]
        r = y - X @ coef
        gap = r @ r / (2 * n) - (y @ y - (r - y) @ (r - y)) / (2 * n) if n >= d else jnp.asarray(0.0)
        gap = jnp.abs(gap)
        finite = jnp.isfinite(gap) & jnp.all(jnp.isfinite(coef))  # |y|^2 can overflow: never report junk as converged
        status = jnp.where(finite, int(Status.SUCCESS), int(Status.NONFINITE))
        out = LassoResult(coef, X @ coef, alpha, gap, jnp.asarray(0), status)
        return _throw(out, "lasso") if throw else out
    w0 = jnp.zeros(d) if w0 is None else _checks.response(w0, d, "w0", per="column")
    out = _lasso_impl(X, y, alpha, w0, jnp.asarray(tol, X.dtype), solver, max_steps)
    return _throw(out, "lasso") if throw else out


def alpha_max(X, y):
    """The smallest alpha with an all-zero solution, ``|X^T y|_inf / N``."""
    X, y = _checks.problem(X, y)
    return jnp.max(jnp.abs(X.T @ y)) / X.shape[0]


def alpha_grid(X, y, n_alphas: int = 30, eps: float = 1e-3):
    """``n_alphas`` values from ``alpha_max`` down to ``eps * alpha_max``, log-spaced (scikit-learn's grid)."""
    n_alphas = check_integer(n_alphas, "n_alphas", minimum=1)
    check_in_range(eps, "eps", 0.0, 1.0, closed=(False, False))
    top = alpha_max(X, y)
    return jnp.geomspace(top, top * eps, n_alphas) if n_alphas > 1 else top[None]


def _path(Xt, y, n, alphas, tol_abs, solver, max_steps):
    lip = _lipschitz(Xt, n) if solver == "fista" else None

    def step(w, alpha):
        w, _, gap, it, status = _solve(Xt, y, n, alpha, w, tol_abs, solver, max_steps, lip)
        return w, (w, gap, it, status)

    _, out = jax.lax.scan(step, jnp.zeros(Xt.shape[0], Xt.dtype), alphas)
    return out


@functools.partial(jax.jit, static_argnames=("solver",))
def _path_impl(X, y, alphas, tol, solver, max_steps):
    n = X.shape[0]
    coefs, gaps, iters, status = _path(X.T, y, n, alphas, tol * (y @ y) / n, solver, max_steps)
    return LassoPath(alphas, coefs, gaps, iters, status)


def _alphas(X, y, alphas, n_alphas, eps):
    if alphas is None:
        return alpha_grid(X, y, n_alphas, eps)
    a = _checks.alpha(alphas, "alphas")
    if a.ndim != 1 or a.shape[0] == 0:
        raise ValueError(f"`alphas` must be a non-empty 1-D grid, got shape {tuple(a.shape)}")
    if not is_traced(alphas) and (np.asarray(a) <= 0).any():
        raise ValueError("`alphas` must be > 0 on a path (use lasso(alpha=0) for least squares)")
    return -jnp.sort(-a)


def lasso_path(X, y, alphas=None, *, n_alphas: int = 30, eps: float = 1e-3, solver: str = "cd",
               tol: float = 1e-8, max_steps: int = 10_000, throw: bool = False) -> LassoPath:
    """Warm-started Lasso fits on a decreasing grid (``alphas`` is sorted in decreasing order).

    Each grid point has its own ``status``; ``throw=True`` raises if any point did not converge.
    """
    X, y, max_steps = _common(X, y, solver, tol, max_steps)
    grid = _alphas(X, y, alphas, n_alphas, eps)
    out = _path_impl(X, y, grid, jnp.asarray(tol, X.dtype), solver, max_steps)
    return _throw(out, "lasso_path") if throw else out


def contiguous_folds(n: int, n_folds: int):
    """Fold labels 0..K-1 for N rows in contiguous blocks, as ``sklearn.model_selection.KFold``
    (no shuffling): the first N mod K folds are one row longer."""
    n = check_integer(n, "n", minimum=2)
    n_folds = check_integer(n_folds, "n_folds", minimum=2, maximum=n)
    sizes = np.full(n_folds, n // n_folds)
    sizes[: n % n_folds] += 1
    return jnp.asarray(np.repeat(np.arange(n_folds), sizes), jnp.int32)


def random_folds(key, n: int, n_folds: int):
    """The labels of :func:`contiguous_folds` in a random order drawn from ``key`` (shuffled K-fold)."""
    key = check_key(key)
    return jax.random.permutation(key, contiguous_folds(n, n_folds))


@functools.partial(jax.jit, static_argnames=("n_folds", "solver"))
def _cv_impl(X, y, alphas, folds, tol, n_folds, solver, max_steps):
    def one_fold(f):
        train = (folds != f).astype(X.dtype)
        Xt = X.T * train[None, :]
        yt = y * train
        n = jnp.sum(train)
        coefs, _, _, status = _path(Xt, yt, n, alphas, tol * (yt @ yt) / n, solver, max_steps)
        test = 1.0 - train
        resid = (y[None, :] - coefs @ X.T) * test[None, :]
        return jnp.sum(resid * resid, axis=1) / jnp.sum(test), _first_failure(status)

    # lax.map, not vmap: batched while loops would run every fold until the slowest converged, and
    # every size branch of the active-set switch would execute
    mse, fold_status = jax.lax.map(one_fold, jnp.arange(n_folds))
    mse = mse.T
    mean = jnp.mean(mse, axis=1)
    se = jnp.std(mse, axis=1, ddof=1) / jnp.sqrt(n_folds)
    best = jnp.argmin(mean)
    within = mean <= mean[best] + se[best]
    alpha_1se = jnp.max(jnp.where(within, alphas, -jnp.inf))
    n = X.shape[0]
    w, r, gap, it, status = _solve(X.T, y, n, alphas[best], jnp.zeros(X.shape[1], X.dtype), tol * (y @ y) / n,
                                   solver, max_steps)
    fit = LassoResult(w, y - r, alphas[best], gap, it, status)
    combined = jnp.where(status != int(Status.SUCCESS), status, _first_failure(fold_status))
    return LassoCVResult(w, y - r, alphas[best], alpha_1se, alphas, mse, fit, fold_status, combined)


def lasso_cv(X, y, *, folds=5, alphas=None, n_alphas: int = 30, eps: float = 1e-3,
             solver: str = "cd", tol: float = 1e-6, max_steps: int = 500, throw: bool = False) -> LassoCVResult:
    """K-fold cross-validated Lasso: the folds' warm-started paths run in one compiled program.

    The grid is computed once on all rows (as scikit-learn's ``LassoCV`` does). ``folds`` is a number
    K of contiguous blocks (:func:`contiguous_folds`, ``KFold(shuffle=False)``) or explicit labels
    0..K-1 per row (shuffled folds: ``folds=random_folds(key, N, K)``). The chosen alpha minimises
    the mean held-out MSE; the model is refit on all rows there.
    """
    X, y, max_steps = _common(X, y, solver, tol, max_steps)
    n = X.shape[0]
    if np.ndim(folds) == 0:
        n_folds = check_integer(folds, "folds", minimum=2, maximum=n)
        folds = contiguous_folds(n, n_folds)
    else:
        folds = jnp.asarray(folds)
        labels = np.unique(np.asarray(folds))
        if folds.shape != (n,) or labels.tolist() != list(range(labels.size)) or labels.size < 2:
            raise ValueError(f"`folds` must label each of the {n} rows with 0..K-1 (K >= 2), got labels "
                             f"{labels[:10].tolist()} and shape {tuple(folds.shape)}")
        n_folds = int(labels.size)
    grid = _alphas(X, y, alphas, n_alphas, eps)
    out = _cv_impl(X, y, grid, folds.astype(jnp.int32), jnp.asarray(tol, X.dtype), n_folds, solver, max_steps)
    return _throw(out, "lasso_cv") if throw else out

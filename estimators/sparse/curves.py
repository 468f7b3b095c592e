r"""Prediction error against N, sample complexity N*(eps) and its growth in d (docs/theory/sparse.md).

:func:`error_curves` draws, for each N on a grid, ``trials`` independent (design, support, coefficients,
noise) problems and fits every requested method to each; the trials run through ``lax.map`` inside one
compiled program per (method, N, d). (``vmap`` over trials was slower on CPU: batched while loops run
every trial until the slowest has converged, and the active-set branches of the Lasso all execute.) :func:`sample_complexity` reads N*(eps), the smallest N
whose *median* error is at most eps (log-linear interpolation between grid points; +inf when the grid
never gets there). :func:`fit_slopes` regresses log N* on log d (a power law N* ~ d^b; b near 0 for
growth like log d, b = 1 for growth like d) and N* on log d.

Methods (all fits without intercept, prediction error :math:`\tfrac1N\lVert X(\hat w - w^*)\rVert^2`):
``"oracle"`` least squares on the true support; ``"lasso_cv"`` 5-fold CV on 30 alphas; ``"lasso_theory"``
the Lasso at :func:`~theorylab.estimators.sparse.theory.alpha_theory` on normalised columns; ``"omp"`` with the
true k; ``"preconditioned"`` our dependency search + CV; ``"preconditioned_theory"`` the same at the
theory alpha (the regime of the slow-rate bound); ``"pairwise"`` and ``"clusters"`` (oracle
labels) preconditioners + CV.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.sparse import designs as D
from theorylab.estimators.sparse.greedy import _omp, _refit
from theorylab.estimators.sparse.lasso_solvers import lasso, lasso_cv
from theorylab.estimators.sparse.preconditioning import find_preconditioner, preconditioned_lasso
from theorylab.estimators.sparse.theory import alpha_theory, prediction_error
from theorylab.numerics.curves import n_star_from_curve
from theorylab.numerics.estimate import Estimate
from theorylab.numerics.fits import fit_line, fit_power_law
from theorylab.validation import check_choice, check_integer, check_key, check_positive, raw_key_data

__all__ = ["METHOD_NAMES", "ErrorCurves", "error_curves", "sample_complexity", "fit_slopes"]

METHOD_NAMES = ("oracle", "lasso_cv", "lasso_theory", "omp", "preconditioned", "preconditioned_theory", "pairwise",
                "clusters")


@dataclasses.dataclass(frozen=True)
class _Setting:
    kind: str
    n: int
    d: int
    k: int
    sigma: float
    m: int | None
    delta: float | None
    rho: float | None
    values: str
    support: str
    methods: tuple


def _fit(method, X, y, problem, setting):
    n = X.shape[0]
    if method == "oracle":
        return _refit(X, y, problem.support).coef
    if method == "omp":
        return _omp(X, y, min(setting.k, n - 1)).coef
    if method == "lasso_cv":
        return lasso_cv(X, y).coef
    if method == "lasso_theory":
        scale = jnp.sqrt(n) / jnp.linalg.norm(X, axis=0)
        fit = lasso(X * scale, y, alpha_theory(setting.sigma, n, setting.d))
        return fit.coef * scale
    if method == "preconditioned":
        return preconditioned_lasso(X, y, find_preconditioner(X)).coef
    if method == "preconditioned_theory":
        return preconditioned_lasso(X, y, find_preconditioner(X), alpha=alpha_theory(setting.sigma, n, setting.d)).coef
    if method == "pairwise":
        return preconditioned_lasso(X, y, find_preconditioner(X, "pairwise")).coef
    labels = np.arange(setting.d) // (setting.d // setting.m)  # static: the design's clusters
    return preconditioned_lasso(X, y, find_preconditioner(X, "clusters", clusters=labels)).coef


def _problem(key, s: _Setting):
    k_design, k_support, k_values, k_noise = jax.random.split(key, 4)
    design = D.make_design(k_design, s.kind, s.n, s.d, m=s.m, delta=s.delta, rho=s.rho)
    T = (D.sample_support(k_support, s.d, s.k) if s.support == "random"
         else D.within_cluster_pairs(k_support, s.d, s.m, s.k))
    w = (D.random_sign_values(k_values, T, s.d, design.covariance) if s.values == "random"
         else D.contrast_values(k_values, T, design.clusters, s.delta, design.covariance))
    xi = s.sigma * jax.random.normal(k_noise, (s.n,))
    return D.SLRProblem(design.X, design.X @ w + xi, w, T, xi, design.covariance, design.clusters)


@functools.partial(jax.jit, static_argnames=("setting", "method"))
def _errors(keys, setting, method):
    def one(key):
        p = _problem(key, setting)
        return prediction_error(p.X, _fit(method, p.X, p.y, p, setting), p.coef)

    return jax.lax.map(one, keys)


class ErrorCurves(NamedTuple):
    """``errors[method]`` is an (len(ns), trials) array of prediction errors; ``ns`` the grid."""

    ns: np.ndarray
    errors: dict
    setting: dict

    def median(self, method):
        """Median prediction error of ``method`` over the trials, per sample size."""
        return np.median(self.errors[method], axis=1)


def error_curves(key, ns, *, kind: str = "equicorrelated_clusters", d: int = 100, k: int = 6, sigma: float = 0.5,
                 trials: int = 20, m: int | None = 10, delta: float | None = 0.05, rho: float | None = None,
                 values: str = "contrast", support: str = "random", methods=METHOD_NAMES,
                 progress: bool = False, executor=None, checkpoint=None) -> ErrorCurves:
    """Prediction errors of ``methods`` on ``trials`` fresh problems at each N in ``ns``.

    The same trial keys are used for every method (paired comparisons). ``values="contrast"`` and
    ``support="pairs"`` need a cluster design. ``progress=True`` prints one line per (N, method).

    The (N, method) pairs are the points of a :func:`theorylab.sweeps.sweep` (``batch="host"``: each
    N has its own shapes): ``executor`` runs them on any :class:`concurrent.futures.Executor` (a Dask
    client's), ``checkpoint=DIR`` keeps finished pairs so that a rerun computes only the others. The
    errors do not depend on where a pair ran (the trial keys are fixed up front).
    """
    key = check_key(key)
    check_choice(kind, "kind", D.KINDS)
    check_choice(values, "values", ("random", "contrast"))
    check_choice(support, "support", ("random", "pairs"))
    trials = check_integer(trials, "trials", minimum=1)
    check_positive(sigma, "sigma")
    methods = tuple(methods)
    for mth in methods:
        check_choice(mth, "methods", METHOD_NAMES)
    clustered = kind in ("equicorrelated_clusters", "near_duplicate_pairs")
    if kind == "near_duplicate_pairs":
        m = d // 2
    if (values == "contrast" or support == "pairs" or "clusters" in methods) and not clustered:
        raise ValueError(f"values='contrast', support='pairs' and method 'clusters' need a cluster design, got {kind!r}")
    ns = np.asarray([check_integer(n, "ns", minimum=2) for n in np.atleast_1d(ns)])
    keys = jax.random.split(key, trials)
    D._shape_params(kind, d, m, delta, rho)
    check_integer(k, "k", minimum=1, maximum=d)
    settings = tuple(_Setting(kind, int(n), d, k, float(sigma), m if clustered else None,
                              delta if clustered else None, rho, values, support, methods) for n in ns)
    errors = {mth: np.zeros((ns.size, trials)) for mth in methods}
    if executor is None and checkpoint is None:
        for i, n in enumerate(ns):
            for mth in methods:
                errors[mth][i] = np.asarray(_errors(keys, settings[i], mth))
                if progress:
                    print(f"  N = {n:5d}  {mth:15s} median error {np.median(errors[mth][i]):.4f}", flush=True)
    else:
        from theorylab.sweeps import sweep

        pairs = [(i, j) for i in range(ns.size) for j in range(len(methods))]
        typed = jax.dtypes.issubdtype(keys.dtype, jax.dtypes.prng_key)
        task = functools.partial(_curve_point, raw_key_data(keys), typed, settings)
        grid = {"n_index": np.array([p[0] for p in pairs]), "method": np.array([p[1] for p in pairs])}
        out = sweep(task, grid, chunk_size=1, executor=executor, checkpoint=checkpoint, batch="host",
                    progress=progress)
        for (i, j), row in zip(pairs, out):
            errors[methods[j]][i] = row
    setting = dict(kind=kind, d=d, k=k, sigma=sigma, trials=trials, m=m, delta=delta, rho=rho, values=values,
                   support=support)
    return ErrorCurves(ns, errors, setting)


def _curve_point(key_data, typed, settings, point):
    """One (N, method) pair of :func:`error_curves` (a picklable sweep task): the trials' errors, with
    the trial keys in the form the caller gave them (typed or raw)."""
    setting = settings[int(point["n_index"])]
    keys = jax.random.wrap_key_data(jnp.asarray(key_data)) if typed else jnp.asarray(key_data)
    return np.asarray(_errors(keys, setting, setting.methods[int(point["method"])]))


def sample_complexity(curves: ErrorCurves, eps: float) -> dict:
    """N*(eps) per method: where the median error curve first reaches ``eps``, by the package's one rule
    (:func:`theorylab.numerics.n_star_from_curve`: power-law interpolation between the last grid point
    above eps and the first at or below it; +inf if none is; ``ns[0]`` if the first is)."""
    check_positive(eps, "eps")
    return {mth: n_star_from_curve(curves.ns, curves.median(mth), eps) for mth in curves.errors}


def fit_slopes(ds, n_star) -> dict:
    """Per method, ``{"power": b, "per_log_d": s}``: the power-law exponent b of N* ~ d^b (OLS of log N*
    on log d) and the slope s of N* on log d, each an :class:`~theorylab.numerics.Estimate` with its
    standard error (``nan`` from two points); methods with an infinite N* at some d are reported as None."""
    ds = np.asarray(ds, float)
    out = {}
    for mth, values in n_star.items():
        v = np.asarray(values, float)
        if not np.all(np.isfinite(v)) or v.size < 2:
            out[mth] = None
            continue
        if v.size == 2:  # two points: the slopes, with no standard error
            dlog = math.log(ds[1] / ds[0])
            out[mth] = dict(power=Estimate(math.log(v[1] / v[0]) / dlog, math.nan, 0),
                            per_log_d=Estimate((v[1] - v[0]) / dlog, math.nan, 0))
            continue
        power = fit_power_law(ds, v)
        lin = fit_line(np.log(ds), v)
        out[mth] = dict(power=power.slope, per_log_d=lin.slope)
    return out

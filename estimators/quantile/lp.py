"""Exact linear-programming fits of global coarse and medium aggregators (quantgen semantics).

min_{w, b} sum_i sum_k psi_{tau_k}(y_i - b_k - sum_j w_jk Z_ijk)
  subject to  w >= 0 (``nonneg``),  sum_j w_jk = 1 (``unit_sum``),

with w_jk = w_j shared over levels for ``"coarse"`` (and one intercept b) and one column of weights
(and intercept) per level for ``"medium"`` (Tibshirani's ``quantgen::quantile_ensemble``). Written as
an LP with u = u+ - u- (Koenker & Bassett 1978) and solved by scipy's HiGHS. This is the reference
the gradient fits of :mod:`theorylab.estimators.quantile.aggregation` are checked against; with
``unit_sum=False, nonneg=False, intercept=True`` a medium fit on "models" x is ordinary linear
quantile regression.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theorylab.estimators.quantile import _checks
from theorylab.numerics.solution import Status, status_result
from theorylab.validation import check_choice

__all__ = ["LPAggregatorFit", "fit_aggregator_lp"]


@status_result
class LPAggregatorFit(NamedTuple):
    """Outcome of :func:`fit_aggregator_lp`.

    ``weights``: ``(p,)`` (coarse) or ``(p, m)`` (medium); ``intercept``: scalar, ``(m,)`` or
    ``None``; ``objective``: the optimal mean pinball loss over samples and levels; ``status``:
    ``SUCCESS`` when HiGHS reported an optimum for every LP, else ``FAILED``; ``num_steps``: the
    simplex/IPM iterations summed over the LPs; ``solver_messages``: HiGHS's message per LP.
    """

    granularity: str
    weights: np.ndarray
    intercept: np.ndarray | float | None
    objective: float
    status: int
    num_steps: int
    solver_messages: tuple[str, ...]

    @property
    def message(self) -> str:
        """``"converged"``, or the first HiGHS message that did not report an optimum."""
        if self.status == Status.SUCCESS:
            return "converged"
        bad = next((m for m in self.solver_messages if "optimal" not in m.lower()), self.solver_messages[0])
        return f"HiGHS did not reach an optimum: {bad}"

    def predict(self, Z):
        """Aggregated quantiles ``(n, m)`` of base predictions ``Z (n, p, m)``."""
        Z = np.asarray(Z, dtype=float)
        if self.granularity == "coarse":
            q = np.einsum("npm,p->nm", Z, self.weights)
        else:
            q = np.einsum("npm,pm->nm", Z, self.weights)
        return q if self.intercept is None else q + self.intercept


def _solve(Zs, y_rep, tau_rep, intercept, nonneg, unit_sum, p):
    """One LP over stacked rows: Zs (N, p), targets y_rep (N,), levels tau_rep (N,)."""
    N = Zs.shape[0]
    n_b = 1 if intercept else 0
    import scipy.sparse as sp  # imported on use: scipy.optimize costs ~0.4 s at import
    from scipy.optimize import linprog

    blocks = [sp.csr_matrix(Zs)]
    if intercept:
        blocks.append(sp.csr_matrix(np.ones((N, 1))))
    blocks += [sp.eye(N, format="csr"), -sp.eye(N, format="csr")]
    A_eq = sp.hstack(blocks, format="csr")
    b_eq = y_rep
    if unit_sum:
        row = np.concatenate([np.ones(p), np.zeros(n_b + 2 * N)])
        A_eq = sp.vstack([A_eq, sp.csr_matrix(row)], format="csr")
        b_eq = np.concatenate([b_eq, [1.0]])
    c = np.concatenate([np.zeros(p + n_b), tau_rep, 1.0 - tau_rep])
    bounds = [(0.0 if nonneg else None, None)] * p + [(None, None)] * n_b + [(0.0, None)] * (2 * N)
    res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    x = res.x if res.x is not None else np.full(p + n_b + 2 * N, np.nan)
    return x[:p], (x[p] if intercept else None), float(res.fun) if res.fun is not None else np.nan, res


def fit_aggregator_lp(Z, y, taus, granularity: str = "coarse", *, intercept: bool = False, nonneg: bool = True,
                      unit_sum: bool = True, throw: bool = False) -> LPAggregatorFit:
    """Exact minimiser of the summed pinball loss of a global coarse or medium aggregator (HiGHS).

    ``Z (n, p, m)`` base predictions, ``y (n,)``, ``taus (m,)``. The result's ``status`` says
    whether HiGHS reported an optimum; ``throw=True`` raises
    :class:`~theorylab.numerics.ConvergenceError` when it did not.
    """
    check_choice(granularity, "granularity", ("coarse", "medium"))
    taus = np.asarray(_checks.levels(taus))
    Z = np.asarray(_checks.quantiles(Z, taus, "Z"))
    if Z.ndim != 3:
        raise ValueError(f"`Z` must have shape (n, p, m), got {Z.shape}")
    y = np.asarray(_checks.observations(y))
    n, p, m = Z.shape
    if y.shape != (n,):
        raise ValueError(f"`y` must have shape ({n},) to match `Z`, got {y.shape}")
    if granularity == "coarse":
        Zs = Z.transpose(0, 2, 1).reshape(n * m, p)  # row i * m + k
        w, b, total, res = _solve(Zs, np.repeat(y, m), np.tile(taus, n), intercept, nonneg, unit_sum, p)
        results = [res]
        weights, icpt = w, b
    else:
        weights = np.zeros((p, m))
        icpt = np.zeros(m) if intercept else None
        total, results = 0.0, []
        for k in range(m):
            w, b, obj, res = _solve(Z[:, :, k], y, np.full(n, taus[k]), intercept, nonneg, unit_sum, p)
            weights[:, k] = w
            if intercept:
                icpt[k] = b
            total += obj
            results.append(res)
    status = int(Status.SUCCESS) if all(r.status == 0 for r in results) else int(Status.FAILED)
    fit = LPAggregatorFit(granularity, weights, icpt, total / (n * m), status,
                          int(sum(getattr(r, "nit", 0) or 0 for r in results)), tuple(r.message for r in results))
    return fit.raise_if_failed("fit_aggregator_lp") if throw else fit

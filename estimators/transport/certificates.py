r"""Optimality certificates for entropic OT solutions (independent of the solver that produced them).

For potentials ``(f, g)`` (the OTT-JAX convention, :math:`P = e^{(f_i + g_j - C_{ij})/\varepsilon}`)
the optimality conditions are: the plan has Gibbs form (KKT stationarity) and the right marginals
(feasibility). The certificate reports

* the L1 errors of both marginals;
* the KKT residual: the largest entry of the double-centred :math:`L = \log P + C/\varepsilon`,
  :math:`L_{ij} - \bar L_{i\cdot} - \bar L_{\cdot j} + \bar L`, zero exactly when ``P`` is of the
  form :math:`e^{(u_i + v_j - C_{ij})/\varepsilon}`;
* the duality gap :math:`\mathrm{primal}(P) - \Phi(f, g)`, which obeys the exact identity
  :math:`\Phi - \mathrm{primal} = \langle x, a - P1\rangle + \langle y, b - P^\top 1\rangle`
  (paper variables ``x = f + eps/2``), hence
  :math:`|\mathrm{gap}| \le (\lVert x\rVert_\infty + \lVert y\rVert_\infty)\,\lVert\text{marginal error}\rVert_1`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from theorylab.estimators.transport._checks import validate_problem
from theorylab.estimators.transport.potential import dual_value_from_mass, log_plan, primal_value

__all__ = ["Certificate", "certificate", "plan_certificate", "kkt_residual"]


class Certificate(NamedTuple):
    row_error: float
    col_error: float
    kkt_residual: float
    kkt_scale: float  # max|C| / eps, the natural unit of the KKT residual
    duality_gap: float
    gap_bound: float
    identity_residual: float

    @property
    def marginal_error(self) -> float:
        return self.row_error + self.col_error

    def holds(self, tol: float = 1e-8) -> bool:
        """Marginal error <= ``tol``, KKT residual <= ``tol * max|C|/eps`` and the gap inside its bound."""
        return bool(self.marginal_error <= tol and self.kkt_residual <= tol * self.kkt_scale
                    and abs(self.duality_gap) <= self.gap_bound + 1e-12 * (1.0 + abs(self.duality_gap)))


def kkt_residual(log_p, cost, eps):
    """Max-abs double-centred residual of ``log P + C / eps`` (zero iff P is a Gibbs plan)."""
    L = log_p + cost / eps
    r = L - L.mean(1, keepdims=True) - L.mean(0, keepdims=True) + L.mean()
    return jnp.max(jnp.abs(r))


def certificate(solution, cost, a=None, b=None, eps=None) -> Certificate:
    """Certificate of potentials ``solution.f, solution.g`` (any object with them, e.g. an
    :class:`~theorylab.estimators.transport.EntropicOTResult` or an OTT-JAX output). ``eps`` defaults to
    ``solution.eps`` / ``solution.geom.epsilon``."""
    if eps is None:
        eps = getattr(solution, "eps", None)
        if eps is None and hasattr(solution, "geom"):
            eps = solution.geom.epsilon
        if eps is None:
            raise ValueError("`eps` is required when `solution` does not carry it")
    cost, a, b, eps = validate_problem(cost, a, b, eps)
    f = jnp.asarray(solution.f, cost.dtype)
    g = jnp.asarray(solution.g, cost.dtype)
    if f.shape != a.shape or g.shape != b.shape:
        raise ValueError(f"`solution.f`, `solution.g` must have shapes {a.shape} and {b.shape}, got "
                         f"{f.shape} and {g.shape}")
    lp = log_plan(f, g, cost, eps)
    p = jnp.exp(lp)
    rows, cols = p.sum(1), p.sum(0)
    primal = primal_value(p, cost, eps)
    dual = dual_value_from_mass(f, g, a, b, eps, rows.sum())
    x, y = f + 0.5 * eps, g + 0.5 * eps  # the paper gauge: x + y = f + g + eps
    row_err = jnp.abs(rows - a).sum()
    col_err = jnp.abs(cols - b).sum()
    identity = (dual - primal) - (jnp.dot(x, a - rows) + jnp.dot(y, b - cols))
    return Certificate(
        row_error=float(row_err), col_error=float(col_err),
        kkt_residual=float(kkt_residual(lp, cost, eps)), kkt_scale=float(jnp.max(jnp.abs(cost)) / eps),
        duality_gap=float(primal - dual),
        gap_bound=float((jnp.max(jnp.abs(x)) + jnp.max(jnp.abs(y))) * (row_err + col_err)),
        identity_residual=float(identity),
    )


def plan_certificate(plan, cost, a=None, b=None, eps=None) -> Certificate:
    """Certificate of a plan matrix alone (e.g. a peer's output without potentials).

    Needs a strictly positive plan (the KKT residual uses ``log P``): at small ``eps`` entries
    underflow to 0, and then the potentials must be certified instead (:func:`certificate`).
    Potentials are recovered from the double-centred ``log P + C/eps``.
    """
    cost, a, b, eps = validate_problem(cost, a, b, eps)
    p = np.asarray(plan, dtype=float)
    if p.shape != cost.shape:
        raise ValueError(f"`plan` must have the cost's shape {tuple(cost.shape)}, got {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise ValueError(f"`plan` must be finite and strictly positive to certify it from log P "
                         f"({int(np.sum(~(p > 0)))} entries are not); certify its potentials instead")
    L = np.log(p) + np.asarray(cost) / float(eps)
    u = L.mean(1) - 0.5 * L.mean()
    v = L.mean(0) - 0.5 * L.mean()

    class _Potentials(NamedTuple):
        f: np.ndarray
        g: np.ndarray

    cert = certificate(_Potentials(float(eps) * u, float(eps) * v), cost, a, b, eps)
    rows, cols = p.sum(1), p.sum(0)
    return cert._replace(row_error=float(np.abs(rows - np.asarray(a)).sum()),
                         col_error=float(np.abs(cols - np.asarray(b)).sum()),
                         kkt_residual=float(kkt_residual(jnp.log(jnp.asarray(p)), cost, eps)))

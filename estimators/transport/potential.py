r"""The concave dual (Lyapunov) potential of entropic OT and its derivatives.

Convention (one for the whole package): the regularised primal is

.. math:: \min_{P \ge 0,\ P1 = a,\ P^\top 1 = b}\ \langle C, P\rangle + \varepsilon \sum_{ij} P_{ij}\log P_{ij},

with :math:`\varepsilon = 1/\eta` (Tang et al. 2024 write :math:`\eta`). Potentials ``(f, g)`` give
the plan :math:`P_{ij} = \exp((f_i + g_j - C_{ij})/\varepsilon)` (OTT-JAX's convention); the paper's
variables are :math:`x = f + \varepsilon/2,\ y = g + \varepsilon/2`, for which
:math:`P = \exp(\eta(x_i + y_j - C_{ij}) - 1)`. The dual potential is

.. math:: \Phi(f, g) = \langle a, f\rangle + \langle b, g\rangle - \varepsilon\sum_{ij} P_{ij} + \varepsilon \sum_i a_i,

concave, with gradient :math:`(a - P1,\ b - P^\top 1)` (so :math:`\lVert\nabla\Phi\rVert_1` is the
marginal error) and Hessian :math:`-\varepsilon^{-1}\begin{pmatrix}\mathrm{diag}(P1) & P\\ P^\top &
\mathrm{diag}(P^\top 1)\end{pmatrix}`, whose null vector is :math:`(1_n, -1_m)` (the gauge
``f + t, g - t``). Every identity here is checked symbolically in :mod:`theorylab.proofs_checks.transport`.
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = [
    "log_plan",
    "plan",
    "marginals",
    "dual_value",
    "dual_value_from_mass",
    "dual_gradient",
    "hessian_matvec",
    "primal_value",
]


def log_plan(f, g, cost, eps):
    """``log P_ij = (f_i + g_j - C_ij) / eps``."""
    return (f[..., :, None] + g[..., None, :] - cost) / eps


def plan(f, g, cost, eps):
    """The Gibbs plan ``P = exp((f_i + g_j - C_ij) / eps)``."""
    return jnp.exp(log_plan(f, g, cost, eps))


def marginals(f, g, cost, eps):
    """Row and column sums ``(P 1, P^T 1)`` of the plan."""
    p = plan(f, g, cost, eps)
    return p.sum(-1), p.sum(-2)


def dual_value(f, g, cost, a, b, eps):
    r"""The Lyapunov potential :math:`\Phi(f, g)` above (equal to the primal optimum at the solution)."""
    return dual_value_from_mass(f, g, a, b, eps, plan(f, g, cost, eps).sum())


def dual_value_from_mass(f, g, a, b, eps, mass):
    r""":math:`\Phi(f, g)` given the plan's total mass :math:`\sum_{ij} P_{ij}` (saves a pass when the plan is at hand)."""
    return jnp.dot(a, f) + jnp.dot(b, g) - eps * mass + eps * a.sum()


def dual_gradient(f, g, cost, a, b, eps):
    r""":math:`\nabla\Phi = (a - P1,\ b - P^\top 1)`."""
    rows, cols = marginals(f, g, cost, eps)
    return a - rows, b - cols


def hessian_matvec(f, g, cost, eps, u, v):
    r"""Dense Hessian-vector product :math:`\nabla^2\Phi\,(u, v)` (negative semidefinite)."""
    p = plan(f, g, cost, eps)
    hu = -(p.sum(-1) * u + p @ v) / eps
    hv = -(p.T @ u + p.sum(-2) * v) / eps
    return hu, hv


def primal_value(p, cost, eps):
    r""":math:`\langle C, P\rangle + \varepsilon\sum P\log P` (with :math:`0\log 0 = 0`)."""
    ent = jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0)
    return jnp.sum(p * cost) + eps * jnp.sum(ent)

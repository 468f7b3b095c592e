r"""The KL risk of the MLE toward the information projection, to order :math:`n^{-2}`.

With :math:`\theta^*` the information projection of the truth and :math:`\hat\theta` the MLE from
``n`` iid observations,

.. math:: R_n = \mathbb{E}\,D(g_{\theta^*}\,\|\,g_{\hat\theta}) = \frac{C_1}{n} + \frac{C_2}{n^2} + O(n^{-3}),

.. math::

    C_1 = \tfrac12\operatorname{tr}(G^{-1}\Sigma), \qquad
    C_2 = -\tfrac13 A + \tfrac38(-B + C + 2D),

with :math:`G = \nabla^2\psi(\theta^*)`, :math:`\Sigma` and :math:`\kappa` the truth covariance
and third cumulant of :math:`t`, :math:`S = G^{-1}\Sigma G^{-1}`,
:math:`T = \kappa\times_1 G^{-1}\times_2 G^{-1}\times_3 G^{-1}` and

.. math::

    A = \psi_{abc}T^{abc},\quad B = \psi_{abcd}S^{ab}S^{cd},\quad
    C = \psi_{abe}G^{ef}\psi_{fcd}S^{ab}S^{cd},\quad D = \psi_{ace}G^{ef}\psi_{fbd}S^{ab}S^{cd}.

**Provenance.** The paper (Sheena 2021, arXiv:2105.08947) expands :math:`R_n` to order
:math:`n^{-2}`, but its printed expression could not be read. This :math:`C_2` is derived from first
principles (Taylor expansion of the Bregman divergence in mean coordinates,
(N2)-(N5) of ``docs/theory/pn_criterion.md``) and confirmed against the exact finite-``n`` risks of the
exponential-Gamma, normal-normal and multivariate-normal cases (``proofs_checks/pn.py``) and by
Monte Carlo. It is invariant under affine reparametrisation of ``t``.

Two evaluation modes: ``"full"`` forms the derivative tensors of :math:`\psi` up to order 4
(:math:`p^4` memory); ``"matrix_free"`` never forms the fourth-order tensor: with
:math:`f(\theta) = \operatorname{tr}(S\nabla^2\psi(\theta))`, :math:`B = \operatorname{tr}(S\nabla^2 f)`,
:math:`C = \nabla f^\top G^{-1}\nabla f` and :math:`D = \sum_r \lambda_r\operatorname{tr}(S M_r S M_r)`
with :math:`M_r` the derivative of the Hessian along the eigenvectors of :math:`G^{-1}`.
"""

from __future__ import annotations

import functools
import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import digamma

from theorylab.infogeo.core import (
    TruthCumulants,
    _validate_truth,
    fisher_information,
    information_projection,
    kl_divergence,
    mean_statistic,
    mle,
)
from theorylab.infogeo.families import ExpFamily
from theorylab.numerics.estimate import Interval, t_interval
from theorylab.numerics.solution import ConvergenceError, Status
from theorylab.validation import (
    as_float_array,
    check_choice,
    check_integer,
    check_key,
    check_positive,
    is_traced,
    require_x64,
    step_bound,
)

__all__ = [
    "RiskCoefficients",
    "risk_coefficients",
    "risk_expansion",
    "MonteCarloRisk",
    "risk_monte_carlo",
    "exact_risk_exponential_gamma",
    "exact_risk_normal",
    "exact_risk_mvn",
]


class RiskCoefficients(NamedTuple):
    """``C1``, ``C2`` and their parts ``A, B, C, D``; the projection ``theta_star``, the Fisher
    information ``G`` there and the sandwich covariance ``S = G^-1 Sigma G^-1`` of the MLE."""

    C1: jnp.ndarray
    C2: jnp.ndarray
    A: jnp.ndarray
    B: jnp.ndarray
    C: jnp.ndarray
    D: jnp.ndarray
    theta_star: jnp.ndarray
    G: jnp.ndarray
    S: jnp.ndarray


def risk_coefficients(family: ExpFamily, truth: TruthCumulants, theta_star=None, *, mode: str = "auto",
                      max_condition: float = 1e12) -> RiskCoefficients:
    """The risk-expansion coefficients for ``family`` under a truth with cumulants ``truth``.

    Parameters
    ----------
    family:
        The model.
    truth:
        :class:`~theorylab.infogeo.TruthCumulants` of ``t`` under the truth (mean, covariance,
        third cumulant or centred samples).
    theta_star:
        The information projection; computed by :func:`~theorylab.infogeo.mle` when omitted
        (raises :class:`~theorylab.numerics.ConvergenceError` if it does not exist).
    mode:
        ``"full"`` (derivative tensors up to order 4), ``"matrix_free"`` (no fourth-order tensor)
        or ``"auto"`` (full for ``p <= 20``).
    max_condition:
        Raise ``ValueError`` when the Fisher information is worse conditioned than this (a
        non-minimal statistic, e.g. duplicated features).
    """
    require_x64("risk_coefficients (fourth derivatives of the log-partition)")
    check_choice(mode, "mode", ("auto", "full", "matrix_free"))
    truth = _validate_truth(truth, family.dim)
    if mode == "auto":
        mode = "full" if family.dim <= 20 else "matrix_free"
    if mode == "matrix_free" and truth.k3 is None and truth.residuals is None:
        raise ValueError("the truth needs either `k3` or `residuals` for the third-order term")
    if mode == "full" and truth.k3 is None:
        raise ValueError("mode='full' needs the third cumulant `truth.k3` (use truth_from_samples with third_order_tensor=True)")
    if theta_star is None:
        sol = information_projection(family, truth.mean)
        if not is_traced(sol.status) and int(sol.status) != Status.SUCCESS:
            raise ConvergenceError(
                f"the information projection onto {family.name} does not exist or was not found "
                f"({Status(int(sol.status)).message}); is E t on the boundary of the mean space?")
        theta_star = sol.value
    theta_star = as_float_array(theta_star, "theta_star", ndim=1)
    G = fisher_information(family, theta_star)
    if not is_traced(G):
        cond = float(np.linalg.cond(np.asarray(G)))
        if not np.isfinite(cond) or cond > max_condition:
            raise ValueError(
                f"the Fisher information of {family.name} at theta* is singular or ill-conditioned "
                f"(condition number {cond:.3g} > {max_condition:g}): is the sufficient statistic minimal?")
    fn = _coefficients_full if mode == "full" else _coefficients_matrix_free
    # the (p, p, p) third cumulant is cheap next to the p^4 tensor that matrix-free avoids: use it when
    # given; otherwise the third-order term is a sample mean over the centred statistics
    use_k3 = truth.k3 is not None
    return fn(family, theta_star, truth.cov, truth.k3 if use_k3 else None, None if use_k3 else truth.residuals)


def _common(family, theta, sigma, k3, residuals, psi3):
    """C1, A and the matrices shared by both modes."""
    G = jax.hessian(family.log_partition)(theta)
    G_inv = jnp.linalg.inv(G)
    G_inv = 0.5 * (G_inv + G_inv.T)
    S = G_inv @ sigma @ G_inv
    C1 = 0.5 * jnp.trace(G_inv @ sigma)
    if k3 is not None:
        T = jnp.einsum("abc,ai,bj,ck->ijk", k3, G_inv, G_inv, G_inv)
        A = jnp.einsum("abc,abc->", psi3(), T)
    else:  # A = mean over samples of psi'''[u, u, u] with u = G^-1 r
        d1 = lambda th, u: jax.jvp(family.log_partition, (th,), (u,))[1]
        d2 = lambda th, u: jax.jvp(lambda s: d1(s, u), (th,), (u,))[1]
        d3 = lambda u: jax.jvp(lambda s: d2(s, u), (theta,), (u,))[1]
        A = jnp.mean(jax.lax.map(d3, residuals @ G_inv, batch_size=256))
    return G, G_inv, S, C1, A


@jax.jit
def _coefficients_full(family, theta, sigma, k3, residuals):
    hess = jax.hessian(family.log_partition)
    d3 = jax.jacfwd(hess)
    K3 = d3(theta)
    K4 = jax.jacfwd(d3)(theta)
    G, G_inv, S, C1, A = _common(family, theta, sigma, k3, residuals, lambda: K3)
    B = jnp.einsum("abcd,ab,cd->", K4, S, S)
    C = jnp.einsum("abe,ef,fcd,ab,cd->", K3, G_inv, K3, S, S)
    D = jnp.einsum("ace,ef,fbd,ab,cd->", K3, G_inv, K3, S, S)
    C2 = -A / 3 + 3.0 / 8.0 * (-B + C + 2 * D)
    return RiskCoefficients(C1, C2, A, B, C, D, theta, G, S)


@jax.jit
def _coefficients_matrix_free(family, theta, sigma, k3, residuals):
    hess = jax.hessian(family.log_partition)
    G, G_inv, S, C1, A = _common(family, theta, sigma, k3, residuals, lambda: jax.jacfwd(hess)(theta))
    f = lambda th: jnp.sum(S * hess(th))
    a = jax.grad(f)(theta)
    C = a @ G_inv @ a
    B = jnp.sum(S * jax.hessian(f)(theta))
    lam, V = jnp.linalg.eigh(G_inv)
    M = jax.lax.map(lambda v: jax.jvp(hess, (theta,), (v,))[1], V.T)  # M_r = d/dtheta hess . v_r
    D = jnp.sum(lam * jax.vmap(lambda m: jnp.trace(S @ m @ S @ m))(M))
    C2 = -A / 3 + 3.0 / 8.0 * (-B + C + 2 * D)
    return RiskCoefficients(C1, C2, A, B, C, D, theta, G, S)


def risk_expansion(coefficients: RiskCoefficients, n, *, order: int = 2):
    """``C1/n`` (order 1) or ``C1/n + C2/n^2`` (order 2), vectorised over ``n``."""
    check_choice(order, "order", (1, 2))
    n = as_float_array(n, "n")
    check_positive(n, "n")
    out = coefficients.C1 / n
    return out + coefficients.C2 / n**2 if order == 2 else out


class MonteCarloRisk(NamedTuple):
    """Monte Carlo estimate of ``R_n``: ``value`` with its ``standard_error``, the number of
    replications ``num_seeds`` and ``num_failed`` (replications whose MLE does not exist; then the
    true risk is infinite and ``value`` is ``inf``, while ``value_given_exists`` averages the others).
    ``confidence_interval(level)`` is the normal interval around ``value``."""

    value: float
    standard_error: float
    num_seeds: int
    num_failed: int
    value_given_exists: float
    control_variate: bool

    def confidence_interval(self, level: float = 0.95) -> Interval:
        """Normal interval ``value -/+ z * standard_error`` (infinite when an MLE failed to exist)."""
        if self.num_failed:
            return Interval(float("inf"), float("inf"))
        return t_interval(self.value, self.standard_error, math.inf, level)

    def __float__(self) -> float:
        return float(self.value)


def risk_monte_carlo(key, family: ExpFamily, sampler: Callable, n: int, num_seeds: int, *,
                     truth: TruthCumulants | None = None, theta_star=None, batch: int = 20000,
                     vectorize: bool | None = None) -> MonteCarloRisk:
    r"""Monte Carlo reference for :math:`R_n`: ``num_seeds`` samples of size ``n``, a vmapped Newton MLE each.

    ``sampler(key, shape)`` draws observations of the given batch shape (``shape + event_shape``).
    If ``truth`` (exact truth cumulants) is given, the quadratic term
    :math:`Q = \tfrac12(\bar t-\mu)^\top G^{-1}(\bar t-\mu)`, whose mean is exactly :math:`C_1/n`, is
    used as a control variate: the estimate is :math:`\overline{D - Q} + C_1/n`, with a much smaller
    standard error because :math:`D - Q = O_p(n^{-3/2})`.

    ``vectorize`` chooses how the per-replicate Newton solves run: ``vmap`` (fast for small ``p``)
    or a sequential ``lax.map``. The default vectorizes for ``p <= 20``: for the 77-parameter MVN,
    vmapped Newton loops stalled at run time on CPU once a batch held 40 or more replicates (cause
    inside XLA not isolated), while sequential solves take about 3 ms each.
    """
    require_x64("risk_monte_carlo")
    key = check_key(key)
    if not isinstance(family, ExpFamily):
        raise TypeError(f"`family` must be an ExpFamily (e.g. theorylab.infogeo.normal()), got {type(family).__name__}")
    if not callable(sampler):
        raise TypeError(f"`sampler` must be a function sampler(key, shape), got {type(sampler).__name__}")
    n = check_integer(n, "n", minimum=1)
    reps = check_integer(num_seeds, "num_seeds", minimum=2)
    batch = check_integer(batch, "batch", minimum=1)
    if vectorize is None:
        vectorize = family.dim <= 20
    if theta_star is None:
        if truth is None:
            raise ValueError("give `theta_star` or the `truth` cumulants (to compute the projection)")
        theta_star = information_projection(family, truth.mean, throw=False).raise_if_failed("information projection").value
    theta_star = jnp.asarray(theta_star, dtype=float)
    G_inv = jnp.linalg.inv(fisher_information(family, theta_star))
    mu = mean_statistic(family, theta_star)
    C1 = None if truth is None else 0.5 * jnp.trace(G_inv @ jnp.asarray(truth.cov))
    values, quads, failed = [], [], 0
    n_batches = -(-reps // batch)
    # Few distinct programs: every batch has the same number of replicates (the last one's surplus
    # is dropped) and the sample size is padded to the next power of two, with the sufficient
    # statistics averaged over the first n draws only (n is traced). A sweep over n compiles one
    # program per octave of n instead of one per n.
    m = min(batch, reps)
    padded = step_bound(n, minimum=8)
    done = 0
    for i in range(n_batches):
        k = jax.random.fold_in(key, i)  # one program for any number of batches (a split would not be)
        take = min(m, reps - done)
        d, q, ok = _mc_batch(family, sampler, k, m, padded, jnp.asarray(n), theta_star, G_inv, mu, bool(vectorize))
        d, q, ok = np.asarray(d)[:take], np.asarray(q)[:take], np.asarray(ok)[:take]
        values.append(d[ok])
        quads.append(q[ok])
        failed += int((~ok).sum())
        done += take
    d, q = np.concatenate(values), np.concatenate(quads)
    if C1 is not None:
        y = d - q
        est, se = float(y.mean() + float(C1) / n), float(y.std(ddof=1) / np.sqrt(y.size))
    else:
        est, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))
    return MonteCarloRisk(est if failed == 0 else float("inf"), se, reps, failed, est, C1 is not None)


@functools.partial(jax.jit, static_argnums=(1, 3, 4, 9))
def _mc_batch(family, sampler, key, m, padded, n, theta_star, G_inv, mu, vectorize):
    x = sampler(key, (m, padded))
    t = family.stats(x)
    used = (jnp.arange(padded) < n).reshape((1, padded) + (1,) * (t.ndim - 2))
    tbar = jnp.sum(jnp.where(used, t, 0.0), axis=1) / n
    over = jax.vmap if vectorize else (lambda f: (lambda xs: jax.lax.map(f, xs)))
    sols = over(lambda tb: mle(family, tb, theta_star))(tbar)
    kl = over(lambda th: kl_divergence(family, theta_star, th))(sols.value)
    delta = tbar - mu
    quad = 0.5 * jnp.einsum("ra,ab,rb->r", delta, G_inv, delta)
    return kl, quad, sols.converged & jnp.isfinite(kl)


# ---------------------------------------------------------------- exact risks (test oracles)


def exact_risk_exponential_gamma(n, k):
    r"""Exact :math:`R_n` of the exponential model under a Gamma(k) truth: :math:`\psi(nk) - \log(nk) + 1/(nk-1)` (``nk > 1``)."""
    nk = jnp.asarray(n, dtype=float) * jnp.asarray(k, dtype=float)
    return digamma(nk) - jnp.log(nk) + 1.0 / (nk - 1.0)


def exact_risk_normal(n):
    r"""Exact :math:`R_n` of the normal model under a normal truth: :math:`\tfrac12[\psi(\tfrac{n-1}2) - \log\tfrac n2] + 2/(n-3)` (``n > 3``)."""
    return exact_risk_mvn(n, 1)


def exact_risk_mvn(n, d: int):
    r"""Exact :math:`R_n` of the ``d``-variate normal model, correctly specified (Wishart moments):
    :math:`\tfrac12[d(d+3)/(n-d-2) + \sum_{i=1}^d \psi(\tfrac{n-i}{2}) - d\log\tfrac n2]` (``n > d + 2``)."""
    n = jnp.asarray(n, dtype=float)
    i = jnp.arange(1, d + 1)
    return 0.5 * (d * (d + 3) / (n - d - 2) + jnp.sum(digamma((n[..., None] - i) / 2), axis=-1) - d * jnp.log(n / 2))

r"""Closed forms for sparse regression risk ((S2)-(S6) of docs/theory/sparse.md).

* oracle least squares on the true support T: :math:`E\,\tfrac1N\lVert X(\hat w_T - w^*)\rVert^2 = \sigma^2\operatorname{rank}(X_T)/N`
  (the trace of a projection);
* ordinary least squares with N >= d: :math:`\sigma^2 d/N`;
* soft thresholding of :math:`z\sim N(\theta, 1)` at t (Donoho & Johnstone 1994; sympy-checked):
  :math:`R(\theta,t) = 1 + t^2 + (\theta^2 - t^2 - 1)[\Phi(t-\theta) - \Phi(-t-\theta)] - (t-\theta)\varphi(t+\theta) - (t+\theta)\varphi(t-\theta)`;
* the Lasso on an orthogonal design (:math:`X^\top X = N I`) is soft thresholding of :math:`X^\top y/N`, so its
  prediction error is :math:`\sum_j s^2 R(w_j/s, \alpha/s)`, :math:`s = \sigma/\sqrt N`;
* the theory penalty (sklearn scaling): with Gaussian noise and columns of norm :math:`\sqrt N`,
  :math:`P(\lVert X^\top\xi\rVert_\infty/N > \sigma\sqrt{2\log(2d/\delta)/N}) \le \delta` (Gaussian tail and a
  union bound);
* the slow-rate inequality, for any X: if :math:`\alpha \ge \lVert X^\top\xi\rVert_\infty/N` then
  :math:`\tfrac1N\lVert X(\hat w - w^*)\rVert^2 \le 4\alpha\lVert w^*\rVert_1`; for the preconditioned Lasso
  (``w = S v`` with the columns of XS normalised) the same holds with :math:`\lVert S^{-1}w^*\rVert_1` and
  :math:`\alpha' \ge \lVert (XS)^\top\xi\rVert_\infty/N`. It only uses :math:`P(\hat w) \le P(w^*)`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.stats import norm

from theorylab.validation import check_in_range, check_positive

__all__ = [
    "oracle_risk", "ols_risk", "soft_threshold_risk", "orthogonal_lasso_risk", "alpha_theory",
    "SlowRate", "slow_rate_bound", "prediction_error", "excess_risk",
]


def oracle_risk(sigma, k, n):
    """sigma^2 k / N: expected in-sample error of least squares on a full-rank true support of size k."""
    check_positive(sigma, "sigma")
    check_positive(n, "n")
    return sigma**2 * k / n


def ols_risk(sigma, d, n):
    """sigma^2 d / N: expected in-sample error of OLS with N >= d and X of full column rank."""
    check_positive(sigma, "sigma")
    if not isinstance(n, jax.core.Tracer) and not isinstance(d, jax.core.Tracer) and n < d:
        raise ValueError(f"ols_risk needs N >= d (full column rank), got N = {n}, d = {d}")
    return sigma**2 * d / n


def soft_threshold_risk(theta, t):
    """E (soft(z, t) - theta)^2 for z ~ N(theta, 1) (closed form above)."""
    theta = jnp.asarray(theta, jnp.float64)
    t = jnp.asarray(t, jnp.float64)
    band = norm.cdf(t - theta) - norm.cdf(-t - theta)
    return (1.0 + t * t + (theta * theta - t * t - 1.0) * band
            - (t - theta) * norm.pdf(t + theta) - (t + theta) * norm.pdf(t - theta))


def orthogonal_lasso_risk(coef, sigma, n, alpha):
    """Expected prediction error of the Lasso at ``alpha`` on a design with X^T X = N I."""
    check_positive(sigma, "sigma")
    s = sigma / jnp.sqrt(n)
    return jnp.sum(s * s * soft_threshold_risk(jnp.asarray(coef) / s, alpha / s))


def alpha_theory(sigma, n, d, delta=0.1):
    """sigma sqrt(2 log(2d/delta) / N): the smallest alpha whose noise event has probability >= 1 - delta."""
    check_positive(sigma, "sigma")
    check_in_range(delta, "delta", 0.0, 1.0, closed=(False, False))
    return sigma * jnp.sqrt(2.0 * jnp.log(2.0 * d / delta) / n)


class SlowRate(NamedTuple):
    """``event``: ``alpha >= |(XS)^T xi|_inf / N``; ``bound``: ``4 alpha |S^{-1} w*|_1`` (S = I for the plain Lasso)."""

    event: jax.Array
    bound: jax.Array
    alpha_needed: jax.Array


def slow_rate_bound(X, noise, coef, alpha, S=None) -> SlowRate:
    """The deterministic slow-rate bound for the (preconditioned) Lasso.

    With ``S`` (d, d) invertible, the Lasso runs on ``X @ S`` and the bound uses ``solve(S, coef)``; pass
    the S whose columns make X S the design actually solved (for example ``Preconditioner.scaled``).
    """
    A = X if S is None else X @ S
    v = coef if S is None else jnp.linalg.solve(S, coef)
    needed = jnp.max(jnp.abs(A.T @ noise)) / X.shape[0]
    return SlowRate(alpha >= needed, 4.0 * alpha * jnp.sum(jnp.abs(v)), needed)


def prediction_error(X, coef_hat, coef_star):
    """``(1/N) |X (w_hat - w*)|^2``: in-sample (fixed-design) prediction error."""
    r = X @ (coef_hat - coef_star)
    return r @ r / X.shape[0]


def excess_risk(covariance, coef_hat, coef_star):
    """(w_hat - w*)^T Sigma (w_hat - w*): out-of-sample excess risk for rows ~ N(0, Sigma)."""
    e = coef_hat - coef_star
    return e @ covariance @ e

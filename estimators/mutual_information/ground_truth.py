r"""Exact mutual information of the models used as ground truth (float64, no sampling).

All functions return nats unless ``units="bits"`` (division by :math:`\ln 2`).

* Gaussian (Cover & Thomas, eq. 8.56 applied to the joint and the marginals):
  :math:`I = \tfrac12[\log\det\Sigma_{xx} + \log\det\Sigma_{yy} - \log\det\Sigma]
  = -\tfrac12\sum_i \log(1-\rho_i^2)`, :math:`\rho_i` the canonical correlations.
* Multivariate Student-t with dispersion :math:`\Sigma` and ``df`` :math:`\nu` (Arellano-Valle,
  Contreras-Reyes & Genton 2013; the form used by bmi, Czyz et al. 2023):
  :math:`I = I_\text{Gauss}(\Sigma) + h_m + h_n - h_{m+n}` with
  :math:`h_k = \log\Gamma(\nu/2) - \log\Gamma(\tfrac{\nu+k}2) + \tfrac k2\log(\nu\pi)
  + \tfrac{\nu+k}2[\psi(\tfrac{\nu+k}2) - \psi(\tfrac\nu2)]` (checked with sympy in
  ``proofs_checks/mi.py``).
* Additive uniform channel, :math:`X\sim U(0,1)`, :math:`Y = X + U(-\epsilon,\epsilon)`:
  :math:`I = \epsilon - \log 2\epsilon` for :math:`\epsilon\le\tfrac12`, :math:`1/(4\epsilon)` above
  (derived with sympy; continuous at 1/2).
* Gaussian channel :math:`Y = AX + N`: :math:`I = \tfrac12[\log\det(A\Sigma_xA^\top+\Sigma_n) - \log\det\Sigma_n]`.
* Exact bias of the Gaussian plug-in estimator (sample covariance with n = N - 1 degrees of
  freedom; the expectation of :math:`\log\det` of a Wishart matrix):
  :math:`E\hat I - I = \tfrac12[S(d_x) + S(d_y) - S(d_x+d_y)]`,
  :math:`S(p) = \sum_{i=1}^p \psi(\tfrac{n-i+1}2)`, which does not depend on :math:`\Sigma`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import digamma, gammaln

from theorylab.estimators.mutual_information import _checks
from theorylab.validation import as_float_array, check_finite, check_integer, check_positive, is_traced

__all__ = [
    "mi_gaussian",
    "canonical_correlations",
    "mi_gaussian_canonical",
    "mi_student_t",
    "student_t_correction",
    "mi_additive_uniform",
    "mi_gaussian_channel",
    "mi_latent_gaussian",
    "gaussian_plugin_bias",
]


def _logdet_spd(a):
    return 2.0 * jnp.sum(jnp.log(jnp.diagonal(jnp.linalg.cholesky(a))))


def mi_gaussian(cov, dim_x: int, *, units: str = "nats"):
    r"""MI between the first ``dim_x`` and the remaining coordinates of :math:`N(\mu, \Sigma)`.

    :math:`I = \tfrac12[\log\det\Sigma_{xx} + \log\det\Sigma_{yy} - \log\det\Sigma]`, by Cholesky
    log-determinants. ``cov`` must be symmetric positive definite.
    """
    c = _checks.covariance(cov, "cov")
    dx = _checks.split_dimension(dim_x, c.shape[0])
    f = _checks.unit_factor(units)
    return f * 0.5 * (_logdet_spd(c[:dx, :dx]) + _logdet_spd(c[dx:, dx:]) - _logdet_spd(c))


def canonical_correlations(cov, dim_x: int):
    r"""Canonical correlations :math:`\rho_1\ge\rho_2\ge\dots` of a joint covariance.

    Singular values of :math:`L_x^{-1}\Sigma_{xy}L_y^{-\top}` (:math:`L` Cholesky factors), by
    triangular solves, never explicit inverses.
    """
    c = _checks.covariance(cov, "cov")
    dx = _checks.split_dimension(dim_x, c.shape[0])
    lx = jnp.linalg.cholesky(c[:dx, :dx])
    ly = jnp.linalg.cholesky(c[dx:, dx:])
    m = jax.scipy.linalg.solve_triangular(lx, c[:dx, dx:], lower=True)
    m = jax.scipy.linalg.solve_triangular(ly, m.T, lower=True).T
    return jnp.linalg.svd(m, compute_uv=False)


def mi_gaussian_canonical(rho, *, units: str = "nats"):
    r""":math:`-\tfrac12\sum_i\log(1-\rho_i^2)` for canonical correlations ``rho`` (:math:`|\rho_i| < 1`).

    A correlation of modulus 1 makes the MI infinite: that raises ``ValueError`` rather than
    returning ``inf``.
    """
    r = as_float_array(rho, "rho")
    if not is_traced(rho):
        a = np.asarray(r, dtype=float)
        check_finite(a, "rho")
        if np.any(np.abs(a) >= 1.0):
            raise ValueError(
                f"`rho` must lie in (-1, 1); got max |rho| = {np.max(np.abs(a))!r} (the MI is infinite at |rho| = 1)"
            )
    return _checks.unit_factor(units) * -0.5 * jnp.sum(jnp.log1p(-(r**2)))


def student_t_correction(dim_x: int, dim_y: int, df, *, units: str = "nats"):
    r"""The non-Gaussian part :math:`c(\nu, m, n) = h_m + h_n - h_{m+n}` of the Student-t MI (>= 0)."""
    check_positive(df, "df")
    m = check_integer(dim_x, "dim_x", minimum=1)
    n = check_integer(dim_y, "dim_y", minimum=1)
    nu = jnp.asarray(df, dtype=float)

    def h(k):
        a = 0.5 * (nu + k)
        return gammaln(nu / 2) - gammaln(a) + 0.5 * k * jnp.log(nu * jnp.pi) + a * (digamma(a) - digamma(nu / 2))

    return _checks.unit_factor(units) * (h(m) + h(n) - h(m + n))


def mi_student_t(dispersion, dim_x: int, df, *, units: str = "nats"):
    r"""MI of a multivariate Student-t with ``dispersion`` (scale) matrix and ``df`` degrees of freedom.

    :math:`I = I_\text{Gauss}(\Sigma) + c(\nu, d_x, d_y)`; e.g. identity 1x1, :math:`\nu = 1`:
    :math:`\log 8\pi - 3`.
    """
    c = _checks.covariance(dispersion, "dispersion")
    dx = _checks.split_dimension(dim_x, c.shape[0])
    return mi_gaussian(c, dx, units=units) + student_t_correction(dx, c.shape[0] - dx, df, units=units)


def mi_additive_uniform(eps, *, units: str = "nats"):
    r"""MI of :math:`X\sim U(0,1)` and :math:`Y = X + N`, :math:`N\sim U(-\epsilon, \epsilon)`.

    :math:`\epsilon - \log(2\epsilon)` for :math:`\epsilon \le 1/2`, :math:`1/(4\epsilon)` otherwise.
    """
    check_positive(eps, "eps")
    e = jnp.asarray(eps, dtype=float)
    value = jnp.where(e <= 0.5, e - jnp.log(2.0 * e), 0.25 / e)
    return _checks.unit_factor(units) * value


def mi_gaussian_channel(A, cov_x, cov_noise, *, units: str = "nats"):
    r"""MI of :math:`X\sim N(0,\Sigma_x)` and :math:`Y = AX + N`, :math:`N\sim N(0,\Sigma_n)` independent.

    :math:`\tfrac12[\log\det(A\Sigma_xA^\top + \Sigma_n) - \log\det\Sigma_n]`.
    """
    a = as_float_array(A, "A", ndim=2)
    cx = _checks.covariance(cov_x, "cov_x")
    cn = _checks.covariance(cov_noise, "cov_noise")
    if a.shape != (cn.shape[0], cx.shape[0]):
        raise ValueError(
            f"`A` must have shape (dim_y, dim_x) = ({cn.shape[0]}, {cx.shape[0]}) to match `cov_noise` and "
            f"`cov_x`, got {tuple(a.shape)}"
        )
    check_finite(a, "A")
    cy = a @ cx @ a.T + cn
    return _checks.unit_factor(units) * 0.5 * (_logdet_spd(0.5 * (cy + cy.T)) - _logdet_spd(cn))


def mi_latent_gaussian(rho, noise, *, units: str = "nats"):
    r"""MI of the latent model :math:`x = Az_x + \sigma\epsilon_x`, :math:`y = Bz_y + \sigma\epsilon_y`.

    With orthonormal embeddings :math:`A, B` and latent canonical correlations :math:`\rho_i`, the
    observed canonical correlations are :math:`\rho_i/(1+\sigma^2)`, so
    :math:`I = -\tfrac12\sum_i\log(1 - \rho_i^2/(1+\sigma^2)^2)` ((M2) of docs/theory/mutual_information.md: 0.9478877506 for
    :math:`\rho = (0.9, 0.8, 0.7, 0.6)`, :math:`\sigma = 0.5`).
    """
    check_positive(noise, "noise", strict=False)
    r = as_float_array(rho, "rho")
    return mi_gaussian_canonical(r / (1.0 + jnp.asarray(noise, dtype=float) ** 2), units=units)


def gaussian_plugin_bias(dim_x: int, dim_y: int, n_samples: int, *, units: str = "nats"):
    r"""Exact bias :math:`E[\hat I_\text{plug-in}] - I` of the Gaussian log-det estimator.

    ``n_samples`` is N (the covariance uses N - 1 degrees of freedom). Needs
    ``dim_x + dim_y < n_samples - 1``. About :math:`d_xd_y/(2(N-1))` for large N.
    """
    dx = check_integer(dim_x, "dim_x", minimum=1)
    dy = check_integer(dim_y, "dim_y", minimum=1)
    big_n = check_integer(n_samples, "n_samples", minimum=2)
    if dx + dy >= big_n - 1:
        raise ValueError(
            f"the plug-in estimator needs dim_x + dim_y < n_samples - 1; got {dx} + {dy} with n_samples = {big_n}"
        )
    n = big_n - 1

    def s(p):
        i = jnp.arange(1, p + 1, dtype=float)
        return jnp.sum(digamma((n - i + 1) / 2))

    return _checks.unit_factor(units) * 0.5 * (s(dx) + s(dy) - s(dx + dy))



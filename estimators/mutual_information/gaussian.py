r"""Gaussian (log-det) plug-in estimator with its exact bias correction and a delta-method error.

:math:`\hat I = \tfrac12[\log\det S_{xx} + \log\det S_{yy} - \log\det S]` with the sample covariance
:math:`S` (N - 1 degrees of freedom). For Gaussian data its bias is known exactly and does not
depend on the covariance (:func:`~theorylab.estimators.mutual_information.gaussian_plugin_bias`), so the
corrected estimate :math:`\hat I - b(d_x, d_y, N)` is unbiased; the same correction is used by
GCMI (Ince et al., Hum. Brain Mapp. 2017). The standard error is the delta-method value
:math:`\sqrt{\sum_i\hat\rho_i^2/N}` (:math:`\hat\rho_i` the sample canonical correlations), from
:math:`\mathrm{Var}\,\hat I \approx \sum_i\rho_i^2/N` for :math:`I = -\tfrac12\sum\log(1-\rho_i^2)`.

For non-Gaussian data it estimates the MI of the Gaussian with the same covariance, a lower bound
on the true MI when the marginals are Gaussian (and a poor guide otherwise).
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.mutual_information import _checks
from theorylab.estimators.mutual_information.estimator import register_estimator
from theorylab.estimators.mutual_information.ground_truth import gaussian_plugin_bias
from theorylab.estimators.mutual_information.result import MIEstimate

__all__ = ["gaussian_mi", "gaussian_statistic", "GaussianMI"]


@functools.partial(jax.jit, static_argnames=("dim_x",))
def _plugin(z, dim_x: int):
    s = jnp.cov(z, rowvar=False)
    s = jnp.atleast_2d(s)
    lx = jnp.linalg.cholesky(s[:dim_x, :dim_x])
    ly = jnp.linalg.cholesky(s[dim_x:, dim_x:])
    lz = jnp.linalg.cholesky(s)
    logdet = lambda low: 2.0 * jnp.sum(jnp.log(jnp.diagonal(low)))
    value = 0.5 * (logdet(lx) + logdet(ly) - logdet(lz))
    m = jax.scipy.linalg.solve_triangular(lx, s[:dim_x, dim_x:], lower=True)
    m = jax.scipy.linalg.solve_triangular(ly, m.T, lower=True).T
    rho = jnp.linalg.svd(m, compute_uv=False)
    return value, rho


def gaussian_statistic(x, y):
    """Plug-in value (nats, uncorrected) and sample canonical correlations; pure, ``vmap``-able."""
    return _plugin(jnp.concatenate([x, y], axis=1), dim_x=x.shape[1])


def _check_rank(z, dx, dy):
    n = z.shape[0]
    if dx + dy >= n - 1:
        raise ValueError(
            f"the Gaussian estimator needs dim_x + dim_y < N - 1 for a nonsingular covariance; got "
            f"{dx} + {dy} dimensions and N = {n} samples"
        )
    zc = np.asarray(z) - np.asarray(z).mean(axis=0)
    sv = np.linalg.svd(zc, compute_uv=False)
    tol = sv[0] * max(zc.shape) * np.finfo(float).eps
    rank = int(np.sum(sv > tol))
    if rank < dx + dy:
        raise ValueError(
            f"the sample covariance of (x, y) is singular: rank {rank} < {dx + dy} (a constant or "
            "linearly dependent column); drop the redundant columns"
        )


@functools.partial(jax.jit, static_argnames=("bias_correct",))
def _gaussian_mi_jit(x, y, *, bias_correct):
    # one compiled program for the whole estimate (op-by-op eager arithmetic would compile each op)
    n = x.shape[0]
    value, rho = gaussian_statistic(x, y)
    bias = gaussian_plugin_bias(x.shape[1], y.shape[1], n) if bias_correct else jnp.zeros_like(value)
    return value, rho, bias, jnp.sqrt(jnp.sum(rho**2) / n)


def gaussian_mi(x, y, *, bias_correct: bool = True, units: str = "nats") -> MIEstimate:
    """Gaussian MI estimate with the exact bias correction and the delta-method standard error.

    ``diagnostics`` holds the uncorrected value (``plugin``), the subtracted ``bias`` and the
    sample canonical correlations.
    """
    xa, ya = _checks.paired(x, y)
    unit = _checks.unit_factor(units)
    n, dx, dy = xa.shape[0], xa.shape[1], ya.shape[1]
    _check_rank(np.concatenate([np.asarray(xa), np.asarray(ya)], axis=1), dx, dy)
    value, rho, bias, se = (np.asarray(v) for v in _gaussian_mi_jit(xa, ya, bias_correct=bool(bias_correct)))
    value, bias, se = float(value), float(bias), float(se)
    return MIEstimate(
        value=(float(value) - bias) * unit,
        standard_error=se * unit,
        units=units,
        method="gaussian" + ("" if bias_correct else " (uncorrected)"),
        n_samples=n,
        diagnostics={"plugin": float(value) * unit, "bias": bias * unit, "canonical_correlations": np.asarray(rho)},
    )


class GaussianMI(eqx.Module):
    """The Gaussian estimator as an object for the protocol (bias-corrected by default; an
    :class:`~theorylab.estimators.mutual_information.MIEstimator`)."""

    bias_correct: bool = eqx.field(static=True)

    uses_neighbours = False
    min_reliable_samples = 50

    def __init__(self, bias_correct: bool = True):
        self.bias_correct = bool(bias_correct)

    @property
    def name(self) -> str:
        """``"gaussian"`` (or ``"gaussian (uncorrected)"``)."""
        return "gaussian" + ("" if self.bias_correct else " (uncorrected)")

    def min_samples(self, dim_x: int = 1, dim_y: int = 1) -> int:
        """Smallest chunk with a nonsingular covariance: dim_x + dim_y < N - 1."""
        return dim_x + dim_y + 2

    def statistic(self, key, x, y):
        """The (bias-corrected) Gaussian estimate in nats (pure; ``key`` is unused)."""
        del key
        value, _ = gaussian_statistic(x, y)
        if self.bias_correct:
            n, dx, dy = x.shape[0], x.shape[1], y.shape[1]
            value = value - gaussian_plugin_bias(dx, dy, n)
        return value


register_estimator("gaussian", GaussianMI)

"""Joint laws of (X, Y) with known MI, as NumPyro distributions (data generators for the checks).

Every distribution draws joint samples ``z`` of shape ``(..., dim_x + dim_y)``; :meth:`split`
cuts them into ``x`` and ``y`` and :meth:`sample_xy` does both. ``mutual_information(units)`` is the
exact value from :mod:`~theorylab.estimators.mutual_information.ground_truth`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpyro.distributions as npd
from numpyro.distributions import constraints

from theorylab.estimators.mutual_information import _checks
from theorylab.estimators.mutual_information import ground_truth as gt
from theorylab.validation import as_float_array, check_integer, check_key, check_positive

__all__ = ["JointGaussian", "JointStudentT", "AdditiveUniform", "latent_gaussian", "dense_covariance",
           "sparse_covariance", "correlated_pair"]


class _Split:
    dim_x: int

    def split(self, z):
        """``(x, y)`` from joint samples ``z`` (..., dim_x + dim_y)."""
        return z[..., : self.dim_x], z[..., self.dim_x:]

    def sample_xy(self, key, n: int):
        """``n`` joint samples as ``x`` (n, dim_x) and ``y`` (n, dim_y)."""
        n = check_integer(n, "n", minimum=1)
        return self.split(self.sample(key, (n,)))


class JointGaussian(_Split, npd.MultivariateNormal):
    """:math:`N(\\mu, \\Sigma)` on (x, y) with ``x`` the first ``dim_x`` coordinates."""

    pytree_aux_fields = ("dim_x",)

    def __init__(self, covariance_matrix, dim_x: int, loc=0.0, *, validate_args=None):
        cov = _checks.covariance(covariance_matrix, "covariance_matrix")
        self.dim_x = _checks.split_dimension(dim_x, cov.shape[0])
        super().__init__(loc=loc, covariance_matrix=cov, validate_args=validate_args)

    def mutual_information(self, units: str = "nats"):
        """The exact MI between the ``x`` and ``y`` blocks (:func:`mi_gaussian`)."""
        return gt.mi_gaussian(self.covariance_matrix, self.dim_x, units=units)


class JointStudentT(_Split, npd.MultivariateStudentT):
    """Multivariate Student-t on (x, y) with ``dispersion`` (scale) matrix and ``df`` degrees of freedom."""

    pytree_aux_fields = ("dim_x",)

    def __init__(self, dispersion, dim_x: int, df, loc=0.0, *, validate_args=None):
        disp = _checks.covariance(dispersion, "dispersion")
        check_positive(df, "df")
        self.dim_x = _checks.split_dimension(dim_x, disp.shape[0])
        super().__init__(df=jnp.asarray(df, dtype=float), loc=loc, scale_tril=jnp.linalg.cholesky(disp),
                         validate_args=validate_args)

    def mutual_information(self, units: str = "nats"):
        """The exact MI between the ``x`` and ``y`` blocks (:func:`mi_student_t`)."""
        disp = self.scale_tril @ jnp.swapaxes(self.scale_tril, -1, -2)
        return gt.mi_student_t(disp, self.dim_x, self.df, units=units)


class AdditiveUniform(_Split, npd.Distribution):
    """:math:`X\\sim U(0,1)`, :math:`Y = X + N`, :math:`N\\sim U(-\\epsilon,\\epsilon)` (bmi's additive-uniform task)."""

    arg_constraints = {"eps": constraints.positive}
    support = constraints.real_vector
    reparametrized_params = ["eps"]
    pytree_data_fields = ("eps",)
    dim_x = 1

    def __init__(self, eps, *, validate_args=None):
        check_positive(eps, "eps")
        self.eps = jnp.asarray(eps, dtype=float)
        super().__init__(batch_shape=jnp.shape(self.eps), event_shape=(2,), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        key = check_key(key)
        kx, kn = jax.random.split(key)
        shape = tuple(sample_shape) + self.batch_shape
        x = jax.random.uniform(kx, shape)
        noise = jax.random.uniform(kn, shape, minval=-1.0, maxval=1.0) * self.eps
        return jnp.stack([x, x + noise], axis=-1)

    def log_prob(self, value):
        x, y = value[..., 0], value[..., 1]
        inside = (x >= 0) & (x <= 1) & (jnp.abs(y - x) <= self.eps)
        return jnp.where(inside, -jnp.log(2.0 * self.eps), -jnp.inf)

    def mutual_information(self, units: str = "nats"):
        """The exact MI of ``X`` and ``Y = X + N`` (:func:`mi_additive_uniform`)."""
        return gt.mi_additive_uniform(self.eps, units=units)


def correlated_pair(rho) -> JointGaussian:
    """Standard bivariate normal with correlation ``rho`` (bmi's ``1v1-normal`` task at 0.75)."""
    r = float(rho)
    if not -1.0 < r < 1.0:
        raise ValueError(f"`rho` must lie in (-1, 1), got {rho!r}")
    return JointGaussian(jnp.array([[1.0, r], [r, 1.0]]), 1)


def dense_covariance(dim_x: int, dim_y: int, off_diagonal: float = 0.5):
    """bmi's dense multinormal: unit variances, every off-diagonal entry ``off_diagonal``."""
    dx = check_integer(dim_x, "dim_x", minimum=1)
    dy = check_integer(dim_y, "dim_y", minimum=1)
    d = dx + dy
    if not -1.0 / (d - 1) < off_diagonal < 1.0:
        raise ValueError(f"`off_diagonal` must lie in (-1/(d-1), 1) = ({-1 / (d - 1):.4g}, 1) for d = {d}")
    return (1.0 - off_diagonal) * jnp.eye(d) + off_diagonal * jnp.ones((d, d))


def sparse_covariance(dim_x: int, dim_y: int, n_interacting: int = 2, strength: float = 2.0,
                      noise: float = 1.0, nuisance: float = 2.0):
    """bmi's sparse multinormal: ``x_i = strength z_i + noise e_i`` and ``y_i = strength z_i + noise f_i``
    for the first ``n_interacting`` coordinates, independent nuisance for the rest (MI 1.0217 nats for
    the defaults)."""
    dx = check_integer(dim_x, "dim_x", minimum=1)
    dy = check_integer(dim_y, "dim_y", minimum=1)
    p = check_integer(n_interacting, "n_interacting", minimum=0, maximum=min(dx, dy))
    for name, v in (("strength", strength), ("noise", noise), ("nuisance", nuisance)):
        check_positive(v, name)
    var_in, var_out = strength**2 + noise**2, noise**2 + nuisance**2
    diag = jnp.concatenate([jnp.where(jnp.arange(dx) < p, var_in, var_out), jnp.where(jnp.arange(dy) < p, var_in, var_out)])
    cov = jnp.diag(diag)
    idx = jnp.arange(p)
    cov = cov.at[idx, dx + idx].set(strength**2).at[dx + idx, idx].set(strength**2)
    return cov


def latent_gaussian(key, dim: int, rho, noise: float) -> JointGaussian:
    """High-dimensional observations of a low-dimensional correlated latent ((M2) of docs/theory/mutual_information.md).

    ``x = A z_x + noise e_x``, ``y = B z_y + noise e_y`` with ``A``, ``B`` random orthonormal
    ``(dim, len(rho))`` embeddings drawn from ``key``, ``z`` standard with canonical correlations
    ``rho``. Its MI is :func:`~theorylab.estimators.mutual_information.mi_latent_gaussian` ``(rho, noise)``.
    """
    key = check_key(key)
    dim = check_integer(dim, "dim", minimum=1)
    r = as_float_array(rho, "rho", ndim=1)
    kz = r.shape[0]
    if kz > dim:
        raise ValueError(f"`rho` has {kz} latent dimensions, more than the observed `dim` = {dim}")
    check_positive(noise, "noise")
    ka, kb = jax.random.split(key)
    a = jnp.linalg.qr(jax.random.normal(ka, (dim, kz)))[0]
    b = jnp.linalg.qr(jax.random.normal(kb, (dim, kz)))[0]
    eye = noise**2 * jnp.eye(dim)
    sxy = a @ jnp.diag(r) @ b.T
    cov = jnp.block([[a @ a.T + eye, sxy], [sxy.T, b @ b.T + eye]])
    return JointGaussian(0.5 * (cov + cov.T), dim)

r"""Exponential families :math:`g(x;\theta) = h(x)\exp(\theta\cdot t(x) - \psi(\theta))` as pytrees.

An :class:`ExpFamily` holds the sufficient statistic :math:`t`, the log-partition :math:`\psi`
(closed form, or :math:`\psi(\theta) = \log\sum_q w_q h(x_q) e^{\theta\cdot t(x_q)}` by quadrature
for families without a closed normaliser), the log base measure and a natural-parameter domain
check. Everything downstream (cumulants, MLE, risk expansion) is autodiff of :math:`\psi`.

Constructors (cached: the same arguments return the same object, so compiled functions taking a
family are reused across calls): :func:`normal`, :func:`exponential`, :func:`gamma`, :func:`poisson`,
:func:`bernoulli`, :func:`mvn`, :func:`polynomial_on_interval`, :func:`from_quadrature`; and
:func:`reparametrize` for an affine change :math:`t \to A t + b` of the statistic.
"""

from __future__ import annotations

import functools
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from theorylab.validation import as_float_array, check_finite, check_integer

__all__ = [
    "ExpFamily",
    "normal",
    "exponential",
    "gamma",
    "poisson",
    "bernoulli",
    "mvn",
    "polynomial_on_interval",
    "from_quadrature",
    "reparametrize",
]


def _always(theta):
    return jnp.asarray(True)


def _zero(x):
    return jnp.zeros(())


class ExpFamily(eqx.Module):
    """An exponential family with a ``p``-dimensional sufficient statistic.

    Attributes
    ----------
    name:
        Human-readable name.
    dim:
        ``p``, the dimension of the statistic and of the natural parameter.
    event_shape:
        Shape of one observation (``()`` for scalars, ``(d,)`` for vectors).
    suff_stat:
        ``t(x)`` for one observation, returning shape ``(p,)``.
    closed_log_partition:
        ``psi(theta)`` in closed form, or ``None`` for a quadrature family.
    in_domain:
        ``theta -> bool``: is ``theta`` in the natural parameter space?
    log_base:
        ``log h(x)`` for one observation.
    theta_init:
        A point of the natural parameter space where Newton starts.
    quad_stats, quad_log_weights:
        For quadrature families: ``t`` at the nodes ``(Q, p)`` and ``log(w_q h(x_q))`` ``(Q,)``.
    support, support_description:
        ``x -> bool array`` (NumPy, one flag per observation): is ``x`` a possible observation? ``None``
        for every real value; the description names the support in error messages.
    """

    name: str = eqx.field(static=True)
    dim: int = eqx.field(static=True)
    event_shape: tuple = eqx.field(static=True)
    suff_stat: Callable = eqx.field(static=True)
    closed_log_partition: Callable | None = eqx.field(static=True)
    in_domain: Callable = eqx.field(static=True)
    log_base: Callable = eqx.field(static=True)
    theta_init: jnp.ndarray
    quad_stats: jnp.ndarray | None = None
    quad_log_weights: jnp.ndarray | None = None
    support: Callable | None = eqx.field(default=None, static=True)
    support_description: str = eqx.field(default="every real value", static=True)

    def check_support(self, x, name: str = "x") -> None:
        """Raise ``ValueError`` naming ``name`` when a (concrete) observation lies outside the support."""
        if self.support is None:
            return
        arr = np.asarray(x)
        ok = np.asarray(self.support(arr), dtype=bool)
        if not np.all(ok):
            bad = arr[~ok] if ok.shape == arr.shape else arr.reshape(ok.shape + (-1,))[~ok]
            raise ValueError(
                f"`{name}` has {int(np.sum(~ok))} observation(s) outside the support of the {self.name} family "
                f"({self.support_description}), e.g. {np.ravel(bad)[0].item()!r}"
            )

    def log_partition(self, theta):
        """:math:`\\psi(\\theta)`: closed form, or ``logsumexp(T_q theta + log w_q)`` by quadrature."""
        if self.closed_log_partition is not None:
            return self.closed_log_partition(theta)
        return jax.scipy.special.logsumexp(self.quad_stats @ theta + self.quad_log_weights)

    def stats(self, x):
        """``t(x)`` for a batch of observations: shape ``batch + (p,)``."""
        x = jnp.asarray(x)
        nd = len(self.event_shape)
        batch = x.shape[: x.ndim - nd]
        flat = x.reshape((-1,) + tuple(self.event_shape))
        return jax.vmap(self.suff_stat)(flat).reshape(batch + (self.dim,))

    def log_density(self, x, theta):
        """:math:`\\log g(x;\\theta)` for a batch of observations."""
        x = jnp.asarray(x)
        nd = len(self.event_shape)
        flat = x.reshape((-1,) + tuple(self.event_shape))
        out = jax.vmap(self.log_base)(flat) + jax.vmap(self.suff_stat)(flat) @ theta - self.log_partition(theta)
        return out.reshape(x.shape[: x.ndim - nd])


@functools.lru_cache(maxsize=None)
def normal() -> ExpFamily:
    r"""Normal, :math:`t = (x, x^2)`, :math:`\psi = -\theta_1^2/(4\theta_2) + \tfrac12\log(\pi/(-\theta_2))`, :math:`\theta_2 < 0`."""
    return ExpFamily(
        name="normal",
        dim=2,
        event_shape=(),
        suff_stat=lambda x: jnp.stack([x, x * x]),
        closed_log_partition=lambda th: -th[0] ** 2 / (4 * th[1]) + 0.5 * jnp.log(jnp.pi / (-th[1])),
        in_domain=lambda th: th[1] < 0,
        log_base=_zero,
        theta_init=jnp.array([0.0, -0.5]),
    )


@functools.lru_cache(maxsize=None)
def exponential() -> ExpFamily:
    r"""Exponential, :math:`t = x` on :math:`x > 0`, :math:`\psi = -\log(-\theta)`, :math:`\theta < 0`."""
    return ExpFamily(
        name="exponential",
        dim=1,
        event_shape=(),
        suff_stat=lambda x: jnp.atleast_1d(x),
        closed_log_partition=lambda th: -jnp.log(-th[0]),
        in_domain=lambda th: th[0] < 0,
        log_base=_zero,
        theta_init=jnp.array([-1.0]),
        support=lambda x: x > 0,
        support_description="x > 0",
    )


@functools.lru_cache(maxsize=None)
def gamma() -> ExpFamily:
    r"""Gamma, :math:`t = (\log x, x)`, :math:`\psi = \log\Gamma(\theta_1+1) - (\theta_1+1)\log(-\theta_2)`."""
    return ExpFamily(
        name="gamma",
        dim=2,
        event_shape=(),
        suff_stat=lambda x: jnp.stack([jnp.log(x), x]),
        closed_log_partition=lambda th: gammaln(th[0] + 1) - (th[0] + 1) * jnp.log(-th[1]),
        in_domain=lambda th: (th[0] > -1) & (th[1] < 0),
        log_base=_zero,
        theta_init=jnp.array([0.0, -1.0]),
        support=lambda x: x > 0,
        support_description="x > 0",
    )


@functools.lru_cache(maxsize=None)
def poisson() -> ExpFamily:
    r"""Poisson, :math:`t = x`, :math:`h = 1/x!`, :math:`\psi = e^\theta`."""
    return ExpFamily(
        name="poisson",
        dim=1,
        event_shape=(),
        suff_stat=lambda x: jnp.atleast_1d(x).astype(float),
        closed_log_partition=lambda th: jnp.exp(th[0]),
        in_domain=_always,
        log_base=lambda x: -gammaln(x + 1.0),
        theta_init=jnp.array([0.0]),
        support=lambda x: (x >= 0) & (x == np.floor(x)),
        support_description="counts 0, 1, 2, ...",
    )


@functools.lru_cache(maxsize=None)
def bernoulli() -> ExpFamily:
    r"""Bernoulli, :math:`t = x \in \{0, 1\}`, :math:`\psi = \log(1 + e^\theta)`."""
    return ExpFamily(
        name="bernoulli",
        dim=1,
        event_shape=(),
        suff_stat=lambda x: jnp.atleast_1d(x).astype(float),
        closed_log_partition=lambda th: jax.nn.softplus(th[0]),
        in_domain=_always,
        log_base=_zero,
        theta_init=jnp.array([0.0]),
        support=lambda x: (x == 0) | (x == 1),
        support_description="x in {0, 1}",
    )


@functools.lru_cache(maxsize=None)
def mvn(d: int) -> ExpFamily:
    r"""Multivariate normal in ``d`` dimensions, ``p = d (d + 3) / 2``.

    Natural parameter :math:`\theta = (\eta, \operatorname{vech}\Lambda)` with precision
    :math:`\Lambda` (upper triangle, row-major) and density
    :math:`\propto \exp(\eta\cdot x - \tfrac12 x^\top\Lambda x)`; so
    :math:`t(x) = (x, -\tfrac12 x_i^2, -x_i x_j\ (i<j))` and
    :math:`\psi = \tfrac12\eta^\top\Lambda^{-1}\eta - \tfrac12\log\det\Lambda + \tfrac d2\log 2\pi`.
    """
    d = check_integer(d, "d", minimum=1)
    iu = np.triu_indices(d)
    diag = iu[0] == iu[1]
    scale = np.where(diag, -0.5, -1.0)

    def precision(th):
        lam = jnp.zeros((d, d)).at[iu].set(th[d:])
        return lam + lam.T - jnp.diag(jnp.diag(lam))

    def psi(th):
        lam = precision(th)
        chol = jnp.linalg.cholesky(lam)
        eta = th[:d]
        w = jax.scipy.linalg.solve_triangular(chol, eta, lower=True)
        return 0.5 * w @ w - jnp.sum(jnp.log(jnp.diag(chol))) + 0.5 * d * jnp.log(2 * jnp.pi)

    def in_domain(th):
        return jnp.all(jnp.isfinite(jnp.linalg.cholesky(precision(th))))

    init = np.zeros(d + len(iu[0]))
    init[d:][diag] = 1.0
    return ExpFamily(
        name=f"mvn(d={d})",
        dim=d + len(iu[0]),
        event_shape=(d,),
        suff_stat=lambda x: jnp.concatenate([x, scale * jnp.outer(x, x)[iu]]),
        closed_log_partition=psi,
        in_domain=in_domain,
        log_base=_zero,
        theta_init=jnp.asarray(init),
    )


def from_quadrature(suff_stat: Callable, nodes, log_weights, *, name: str = "quadrature family",
                    log_base: Callable | None = None) -> ExpFamily:
    r"""A family whose normaliser is a finite sum :math:`\psi(\theta) = \log\sum_q e^{\theta\cdot t(x_q) + \log w_q}`.

    ``log_weights`` should include the base measure at the nodes. For a discrete family on a
    finite support the nodes are the support points and ``log_weights = log h(x_q)``; for a
    continuous family on an interval they are quadrature nodes and ``log(w_q h(x_q))``.
    """
    nodes = as_float_array(nodes, "nodes")
    check_finite(nodes, "nodes")
    log_weights = as_float_array(log_weights, "log_weights", ndim=1)
    if log_weights.shape[0] != nodes.shape[0]:
        raise ValueError(f"`log_weights` must have one entry per node ({nodes.shape[0]}), got {log_weights.shape[0]}")
    stats = jax.vmap(suff_stat)(nodes)
    if stats.ndim != 2:
        raise ValueError(f"`suff_stat` must map one observation to a vector, got shape {stats.shape[1:]}")
    p = stats.shape[1]
    return ExpFamily(
        name=name,
        dim=p,
        event_shape=tuple(nodes.shape[1:]),
        suff_stat=suff_stat,
        closed_log_partition=None,
        in_domain=_always,
        log_base=log_base or _zero,
        theta_init=jnp.zeros(p),
        quad_stats=stats,
        quad_log_weights=log_weights,
    )


@functools.lru_cache(maxsize=None)
def polynomial_on_interval(degree: int, lower: float = 0.0, upper: float = 1.0, *, n_nodes: int = 96) -> ExpFamily:
    r"""The family :math:`g(x;\theta) \propto \exp(\sum_{k=1}^{K}\theta_k x^k)` on ``[lower, upper]``.

    It has no closed-form normaliser: :math:`\psi` is computed by ``n_nodes``-point Gauss-Legendre
    quadrature, and its autodiff derivatives are the exact cumulants of the discretised measure.
    """
    degree = check_integer(degree, "degree", minimum=1)
    n_nodes = check_integer(n_nodes, "n_nodes", minimum=4)
    if not float(lower) < float(upper):
        raise ValueError(f"`lower` must be < `upper`, got [{lower}, {upper}]")
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    half = 0.5 * (upper - lower)
    nodes = half * x + 0.5 * (upper + lower)
    powers = jnp.arange(1, degree + 1)
    fam = from_quadrature(lambda v: v ** powers, jnp.asarray(nodes), jnp.log(half * jnp.asarray(w)),
                          name=f"polynomial(degree={degree}) on [{lower:g}, {upper:g}]")
    return fam


def reparametrize(family: ExpFamily, A, b=None) -> ExpFamily:
    r"""The same family with statistic :math:`t' = A t + b` (``A`` invertible).

    Then :math:`\theta = A^\top\theta'` and :math:`\psi'(\theta') = \psi(A^\top\theta') + \theta'\cdot b`.
    Risk coefficients are invariant under this change (a check of their implementation).
    """
    A = as_float_array(A, "A", ndim=2)
    p = family.dim
    if A.shape != (p, p):
        raise ValueError(f"`A` must have shape ({p}, {p}), got {tuple(A.shape)}")
    if np.linalg.cond(np.asarray(A)) > 1e12:
        raise ValueError("`A` must be invertible (its condition number exceeds 1e12)")
    b = jnp.zeros(p) if b is None else as_float_array(b, "b", ndim=1)
    A_inv = jnp.linalg.inv(A)
    base_psi = family.log_partition
    return ExpFamily(
        name=f"{family.name} (reparametrized)",
        dim=p,
        event_shape=family.event_shape,
        suff_stat=lambda x: A @ family.suff_stat(x) + b,
        closed_log_partition=lambda th: base_psi(A.T @ th) + th @ b,
        in_domain=lambda th: family.in_domain(A.T @ th),
        log_base=family.log_base,
        theta_init=A_inv.T @ family.theta_init,
    )

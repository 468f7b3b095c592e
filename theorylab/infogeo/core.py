r"""Cumulants, the MLE, the information projection and KL divergence for an :class:`ExpFamily`.

* Cumulants of :math:`t` under :math:`g(\cdot;\theta)` are derivatives of :math:`\psi`:
  :math:`\nabla\psi` (mean), :math:`\nabla^2\psi = G` (Fisher information), and so on.
* The MLE solves :math:`\nabla\psi(\hat\theta) = \bar t`: :func:`mle` minimises the convex
  :math:`\psi(\theta) - \theta\cdot\bar t` by Newton's method with a backtracking line search that
  stays inside the natural parameter space, and reports a status. When :math:`\bar t` is on the
  boundary of the mean space (all-zero Poisson data, constant normal data) the MLE does not exist:
  the iterates run off to infinity and the status is not ``SUCCESS``.
* The information projection of a truth :math:`g` is the moment-matching
  :math:`\theta^* : \nabla\psi(\theta^*) = \mathbb{E}_g t` (Csiszar 1975).
* :math:`D(g_{\theta_p}\,\|\,g_{\theta_q}) = \psi(\theta_q) - \psi(\theta_p) - (\theta_q-\theta_p)\cdot\nabla\psi(\theta_p)`
  (Bregman form).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.infogeo.families import ExpFamily
from theorylab.numerics.solution import Solution, Status, maybe_throw
from theorylab.validation import as_float_array, check_finite, check_integer, check_positive, is_traced, require_x64

__all__ = [
    "cumulant",
    "mean_statistic",
    "fisher_information",
    "mle",
    "information_projection",
    "kl_divergence",
    "TruthCumulants",
    "truth_from_samples",
    "truth_from_model",
    "truth_from_raw_moments",
]


def cumulant(family: ExpFamily, theta, order: int):
    """The ``order``-th cumulant tensor of ``t`` at ``theta``: the ``order``-th derivative of psi (shape ``(p,)*order``)."""
    order = check_integer(order, "order", minimum=1)
    return _cumulant(family, jnp.asarray(theta, dtype=float), order)


@functools.partial(jax.jit, static_argnums=(2,))
def _cumulant(family, theta, order):
    f = jax.grad(family.log_partition)
    for _ in range(order - 1):
        f = jax.jacfwd(f)
    return f(theta)


def mean_statistic(family: ExpFamily, theta):
    """``E_theta t = grad psi(theta)``."""
    return _mean_statistic(family, jnp.asarray(theta, dtype=float))


def fisher_information(family: ExpFamily, theta):
    """``G(theta) = hess psi(theta)`` (the covariance of ``t``)."""
    return _fisher_information(family, jnp.asarray(theta, dtype=float))


# compiled once per family and shape: run eagerly, the derivatives of a log-partition are dozens of
# small operations, each compiled again in every new process
@jax.jit
def _mean_statistic(family, theta):
    return jax.grad(family.log_partition)(theta)


@jax.jit
def _fisher_information(family, theta):
    return jax.hessian(family.log_partition)(theta)


def check_family(family, name: str = "family") -> ExpFamily:
    """``family`` must be an :class:`ExpFamily` (e.g. ``theorylab.infogeo.normal()``)."""
    if not isinstance(family, ExpFamily):
        raise TypeError(f"`{name}` must be a theorylab.infogeo ExpFamily (e.g. theorylab.infogeo.normal()), "
                        f"got {type(family).__name__}")
    return family


def _check_theta(family: ExpFamily, theta, name: str):
    check_family(family)
    theta = as_float_array(theta, name, ndim=1)
    if theta.shape != (family.dim,):
        raise ValueError(f"`{name}` must have shape ({family.dim},) for {family.name}, got {tuple(theta.shape)}")
    check_finite(theta, name)
    if not is_traced(theta):
        with jax.ensure_compile_time_eval():  # a constant inside someone's jit: still check it eagerly
            if not bool(family.in_domain(theta)):
                raise ValueError(f"`{name}` = {np.asarray(theta)} is outside the natural parameter space of {family.name}")
    return theta


def mle(family: ExpFamily, tbar, theta0=None, *, tol: float = 1e-10, max_steps: int = 100, throw: bool = False) -> Solution:
    r"""Maximum-likelihood natural parameter for the mean statistic ``tbar``: solve :math:`\nabla\psi(\theta) = \bar t`.

    Newton's method on the convex :math:`f(\theta) = \psi(\theta) - \theta\cdot\bar t` with Armijo
    backtracking (steps that leave the natural parameter space are halved). Converged when
    :math:`\max|\nabla\psi(\theta) - \bar t| \le \text{tol}\,(1 + \max|\bar t|)` *and* the next
    Newton step is below ``1e-6 (1 + max|theta|)`` (near a boundary the gradient vanishes while the
    step does not, so an MLE that does not exist is never reported as found). ``jit``/``vmap``-able
    over ``tbar``. Returns a :class:`~theorylab.numerics.Solution`; ``residual`` is that max-norm.
    """
    require_x64("mle")
    check_family(family)
    tbar = as_float_array(tbar, "tbar", ndim=1)
    if tbar.shape != (family.dim,):
        raise ValueError(f"`tbar` must have shape ({family.dim},) for {family.name}, got {tuple(tbar.shape)}")
    check_finite(tbar, "tbar")
    theta0 = family.theta_init if theta0 is None else _check_theta(family, theta0, "theta0")
    max_steps = check_integer(max_steps, "max_steps", minimum=1)
    check_positive(tol, "tol")
    return maybe_throw(_mle(family, tbar, theta0, float(tol), max_steps), throw, f"mle({family.name})")


@functools.partial(jax.jit, static_argnums=(3, 4))
def _mle(family, tbar, theta0, tol, max_steps):
    psi = family.log_partition
    objective = lambda th: psi(th) - th @ tbar
    grad = jax.grad(objective)
    hess = jax.hessian(objective)
    scale = tol * (1.0 + jnp.max(jnp.abs(tbar)))

    def acceptable(th, f0, slope, step):
        f1 = objective(th)
        # Armijo sufficient decrease, with a rounding allowance: near the optimum f changes by less
        # than its own rounding error and a strict test would reject every step.
        slack = 64 * jnp.finfo(f0.dtype).eps * (1.0 + jnp.abs(f0))
        return family.in_domain(th) & jnp.isfinite(f1) & (f1 <= f0 + 1e-4 * step * slope + slack)

    def body(c):
        th, _, it, _ = c
        g = grad(th)
        d = -jnp.linalg.solve(hess(th), g)
        f0 = objective(th)
        slope = g @ d

        def cond_ls(s):
            step, k = s
            return (~acceptable(th + step * d, f0, slope, step)) & (k < 60)

        step, k = jax.lax.while_loop(cond_ls, lambda s: (0.5 * s[0], s[1] + 1), (jnp.asarray(1.0), 0))
        ok_step = (k < 60) & jnp.all(jnp.isfinite(d))
        th_new = jnp.where(ok_step, th + step * d, th)
        res = jnp.max(jnp.abs(grad(th_new)))
        status = jnp.where(
            ~ok_step,
            jnp.where(jnp.all(jnp.isfinite(d)), int(Status.DIVERGED), int(Status.SINGULAR)),
            jnp.where(converged(th_new, res), int(Status.SUCCESS), -1),
        )
        return th_new, res, it + 1, status

    def converged(th, res):
        # A small gradient alone is not enough: when tbar is on the boundary of the mean space the
        # objective keeps decreasing towards an infimum that is never attained (all-zero Poisson
        # data: grad = e^theta -> 0 as theta -> -inf) while the Newton step stays O(1).
        next_step = jnp.linalg.solve(hess(th), grad(th))
        return (res <= scale) & (jnp.max(jnp.abs(next_step)) <= 1e-6 * (1.0 + jnp.max(jnp.abs(th))))

    res0 = jnp.max(jnp.abs(grad(theta0)))
    status0 = jnp.where(converged(theta0, res0), int(Status.SUCCESS), -1)
    th, res, it, status = jax.lax.while_loop(
        lambda c: (c[3] < 0) & (c[2] < max_steps), body, (theta0, res0, jnp.asarray(0), status0)
    )
    status = jnp.where(status < 0, int(Status.MAX_STEPS), status)
    # Polish: Newton converges quadratically, so one more full step after the stopping test takes
    # theta from ~tol to machine precision (higher cumulants at theta* amplify its error).
    th_p = th - jnp.linalg.solve(hess(th), grad(th))
    res_p = jnp.max(jnp.abs(grad(th_p)))
    better = (status == int(Status.SUCCESS)) & family.in_domain(th_p) & jnp.all(jnp.isfinite(th_p)) & (res_p <= res)
    th, res = jnp.where(better, th_p, th), jnp.where(better, res_p, res)
    status = jnp.where((status == int(Status.SUCCESS)) & ~jnp.all(jnp.isfinite(th)), int(Status.NONFINITE), status)
    return Solution(th, status, res, it)


def information_projection(family: ExpFamily, truth_mean, theta0=None, *, tol: float = 1e-10, max_steps: int = 100,
                           throw: bool = False) -> Solution:
    r"""The information projection :math:`\theta^*` of a truth with :math:`\mathbb{E}_g t` = ``truth_mean``
    (the same Newton solve as :func:`mle`, with the truth's mean statistic)."""
    return mle(family, truth_mean, theta0, tol=tol, max_steps=max_steps, throw=throw)


def kl_divergence(family: ExpFamily, theta_p, theta_q):
    r""":math:`D(g_{\theta_p}\,\|\,g_{\theta_q})` in Bregman form; ``+inf`` if :math:`\theta_q` is outside the domain."""
    check_family(family)
    for name, th in (("theta_p", theta_p), ("theta_q", theta_q)):  # outside the domain is +inf; NaN is an error
        if not is_traced(th):
            arr = as_float_array(th, name, ndim=1)
            if arr.shape != (family.dim,):
                raise ValueError(f"`{name}` must have shape ({family.dim},) for {family.name}, got {tuple(arr.shape)}")
            check_finite(arr, name)
    theta_p = jnp.asarray(theta_p, dtype=float)
    theta_q = jnp.asarray(theta_q, dtype=float)
    psi = family.log_partition
    safe_q = jnp.where(family.in_domain(theta_q), theta_q, theta_p)
    value = psi(safe_q) - psi(theta_p) - (safe_q - theta_p) @ jax.grad(psi)(theta_p)
    ok = family.in_domain(theta_q) & family.in_domain(theta_p) & jnp.all(jnp.isfinite(theta_q))
    out = jnp.where(ok, value, jnp.inf)
    if not is_traced(out) and (bool(jnp.isnan(out)) or (bool(jnp.isinf(out)) and bool(family.in_domain(theta_q)))):
        raise ValueError(f"the KL divergence overflows float64 at `theta_p` = {np.asarray(theta_p)} and `theta_q` = "
                         f"{np.asarray(theta_q)} (the log-partition or its gradient is not finite there)")
    return out


class TruthCumulants(NamedTuple):
    """Cumulants of the sufficient statistic under the true distribution.

    ``mean`` (p,), ``cov`` (p, p), ``k3`` (p, p, p) third cumulant or ``None``, and optionally the
    centred sample ``residuals`` (N, p) for matrix-free third-order contractions.
    """

    mean: jnp.ndarray
    cov: jnp.ndarray
    k3: jnp.ndarray | None = None
    residuals: jnp.ndarray | None = None


def _validate_truth(truth: TruthCumulants, p: int) -> TruthCumulants:
    mean = as_float_array(truth.mean, "truth.mean", ndim=1)
    cov = as_float_array(truth.cov, "truth.cov", ndim=2)
    if mean.shape != (p,) or cov.shape != (p, p):
        raise ValueError(f"truth cumulants must have mean shape ({p},) and cov shape ({p}, {p}); got {mean.shape}, {cov.shape}")
    check_finite(mean, "truth.mean")
    check_finite(cov, "truth.cov")
    if not is_traced(cov):
        c = np.asarray(cov)
        if not np.allclose(c, c.T, atol=1e-10 * max(1.0, np.abs(c).max())):
            raise ValueError("`truth.cov` must be symmetric")
        if np.linalg.eigvalsh(c).min() < -1e-10 * max(1.0, np.abs(c).max()):
            raise ValueError("`truth.cov` must be positive semi-definite")
    k3 = truth.k3
    if k3 is not None:
        k3 = as_float_array(k3, "truth.k3", ndim=3)
        if k3.shape != (p, p, p):
            raise ValueError(f"`truth.k3` must have shape ({p}, {p}, {p}), got {k3.shape}")
        check_finite(k3, "truth.k3")
    return TruthCumulants(mean, cov, k3, truth.residuals)


def truth_from_samples(family: ExpFamily, x, *, third_order_tensor: bool | None = None) -> TruthCumulants:
    """Plug-in truth cumulants of ``t`` from data ``x`` (``N`` observations; population normalisation 1/N).

    The third-cumulant tensor is formed when ``p <= 30`` (or ``third_order_tensor=True``); the
    centred statistics are kept for the matrix-free path either way.
    """
    check_family(family)
    x = as_float_array(x, "x")
    check_finite(x, "x")
    nd = len(family.event_shape)
    if x.ndim != nd + 1 or tuple(x.shape[1:]) != tuple(family.event_shape):
        raise ValueError(f"`x` must have shape (N,) + {family.event_shape} for {family.name}, got {tuple(x.shape)}")
    if not is_traced(x):
        family.check_support(x, "x")
    if x.shape[0] < 2:
        raise ValueError(f"`x` must hold at least 2 observations, got {x.shape[0]}")
    t = family.stats(x)
    mean = t.mean(axis=0)
    r = t - mean
    cov = r.T @ r / t.shape[0]
    if third_order_tensor is None:
        third_order_tensor = family.dim <= 30
    k3 = jnp.einsum("na,nb,nc->abc", r, r, r) / t.shape[0] if third_order_tensor else None
    return TruthCumulants(mean, cov, k3, r)


def truth_from_model(family: ExpFamily, theta) -> TruthCumulants:
    """Cumulants of ``t`` when the truth is the model member ``theta`` (correct specification)."""
    theta = _check_theta(family, theta, "theta")
    return TruthCumulants(mean_statistic(family, theta), fisher_information(family, theta), cumulant(family, theta, 3))


def truth_from_raw_moments(raw_moments, degrees) -> TruthCumulants:
    r"""Cumulants of the polynomial statistic :math:`t = (x^{d_1}, \dots, x^{d_p})` from raw moments of a scalar truth.

    ``raw_moments[k]`` must be :math:`\mathbb{E}x^k` for ``k = 0 .. 3 max(degrees)``. The map from
    raw moments to cumulants cancels heavily (moments up to order 9 for a cubic statistic), so pass
    exact values: ``scipy.stats`` computes some moments numerically to only ~1e-12, which moves the
    cubic-family ``C2`` by ~1e-5.
    """
    m = np.asarray(raw_moments, dtype=float)
    deg = np.asarray(degrees, dtype=int)
    need = 3 * deg.max()
    if m.ndim != 1 or m.shape[0] <= need:
        raise ValueError(f"`raw_moments` must list E x^k for k = 0..{need}, got {m.shape[0]} values")
    if not np.all(np.isfinite(m[: need + 1])):
        raise ValueError("`raw_moments` must be finite (the truth needs moments up to order 3 max(degrees))")
    mean = m[deg]
    second = m[deg[:, None] + deg[None, :]]
    third = m[deg[:, None, None] + deg[None, :, None] + deg[None, None, :]]
    cov = second - np.outer(mean, mean)
    k3 = (third - np.einsum("ab,c->abc", second, mean) - np.einsum("ac,b->abc", second, mean)
          - np.einsum("bc,a->abc", second, mean) + 2 * np.einsum("a,b,c->abc", mean, mean, mean))
    return TruthCumulants(jnp.asarray(mean), jnp.asarray(cov), jnp.asarray(k3))

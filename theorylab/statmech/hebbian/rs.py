r"""Replica-symmetric theory of the supervised dense Hebbian network at finite temperature.

For even :math:`P \ge 4` and load :math:`\alpha = K/N^{P-1}` the RS free entropy ((H4) of
``docs/theory/hebbian.md``, derived by Guerra interpolation; checked by sympy in ``proofs_checks/hebbian.py``) is

.. math::

    A_{RS}(n, q) = \mathbb{E}_{y,z}\ln 2\cosh h - b(P-1)n^P
      + \tfrac12\left[\xi(1) - \xi(q) - (1-q)\xi'(q)\right],
    \qquad h = bP n^{P-1} y + z\sqrt{\xi'(q)},

with :math:`b = \beta\kappa`, :math:`\xi(q) = b^2\alpha\varphi(q)` (see
:class:`~theorylab.statmech.hebbian.model.DenseHebbian`). Its stationary points solve

.. math:: n = \mathbb{E}[y\tanh h], \qquad q = \mathbb{E}\tanh^2 h, \qquad m = \mathbb{E}\tanh h,

where ``n`` is the overlap with the (normalised) class means and ``m`` the Mattis overlap with the
archetype. **P = 2** dispatches to the AGS equations with the supervised site variable,
:math:`h = \beta'(n y + \sqrt{\alpha r} z)`, :math:`r = q/(1-\beta'(1-q))^2` (:math:`\beta' = 2\beta\kappa`),
whose free entropy is :math:`-\beta' f_{AGS}` (Amit, Gutfreund & Sompolinsky 1987, eq. 4.7). Setting
``P = 2`` in the dense equations would *not* give AGS (it misses the reaction term).

Gaussian averages: for the CLT site law :math:`h` is Gaussian and every average is one 1-D
kink-aware Gauss-Legendre integral (:math:`\mathbb{E}[y g(h)]` by the regression of :math:`y` on
:math:`h`); for the exact law each of the ``M + 1`` atoms gets its own kink-aware rule. The panels
break at the zero of ``h``, so the averages stay accurate at low temperature, where a fixed
Gauss-Hermite rule converges to a wrong value.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.numerics.fixed_point import fixed_point
from theorylab.numerics.quadrature import kinked_gaussian_rule
from theorylab.numerics.root import newton
from theorylab.numerics.solution import Status, maybe_throw, status_result
from theorylab.statmech.ags import _validate_load_temperature
from theorylab.statmech.hebbian.model import (
    DatasetParams,
    DenseHebbian,
    SiteLaw,
    check_model_and_data,
)
from theorylab.validation import (
    as_float_array,
    check_finite,
    check_in_range,
    check_integer,
    check_positive,
    is_traced,
    require_x64,
    step_bound,
)

__all__ = [
    "RSState",
    "site_averages",
    "rs_map",
    "rs_residual",
    "rs_free_entropy",
    "mattis_overlap",
    "rs_solve",
    "paramagnet_free_entropy",
]

_TINY = 1e-100


@status_result
class RSState(NamedTuple):
    """A replica-symmetric stationary point.

    Attributes
    ----------
    n, m, q:
        Overlap with the class means, Mattis overlap with the archetype, spin-glass overlap.
    noise_std:
        Standard deviation of the Gaussian (pattern-noise) part of the local field :math:`h`.
    free_entropy:
        :math:`A_{RS}` at this point (per spin, natural log).
    stable:
        Whether the point is linearly stable under the self-consistency map (every eigenvalue of its
        Jacobian has modulus below one). On the retrieval branch this is lost at the fold.
    status, residual, num_steps:
        Solver status (0 = converged, see :class:`~theorylab.numerics.Status`), ``max|F|`` and the
        Newton steps taken.
    """

    n: jnp.ndarray
    m: jnp.ndarray
    q: jnp.ndarray
    noise_std: jnp.ndarray
    free_entropy: jnp.ndarray
    stable: jnp.ndarray
    status: jnp.ndarray
    residual: jnp.ndarray
    num_steps: jnp.ndarray


# --------------------------------------------------------------------------- Gaussian averages


def site_averages(a, s, law: SiteLaw, *, order: int = 32):
    r"""Averages over :math:`h = a y + s z` (:math:`y \sim` ``law``, :math:`z \sim N(0,1)`).

    Returns :math:`(\mathbb{E}[y\tanh h], \mathbb{E}\tanh^2 h, \mathbb{E}\tanh h, \mathbb{E}\ln 2\cosh h)`.
    Kink positions and panel widths are held constant under differentiation (the rule is accurate
    for any placement near the kink), so Jacobians are the averages of the derivatives.
    """
    if law.is_gaussian:
        mu_h = a * law.mean
        var_h = (a * law.std) ** 2 + s * s
        sd_h = jnp.sqrt(var_h + _TINY)
        sd_floor = jax.lax.stop_gradient(jnp.maximum(sd_h, _TINY))
        rule = kinked_gaussian_rule(
            jax.lax.stop_gradient(-mu_h / sd_floor), jax.lax.stop_gradient(20.0 / sd_floor), order=order
        )
        w, wt = rule.nodes, rule.weights
        h = mu_h + sd_h * w
        t = jnp.tanh(h)
        e_t = wt @ t
        corr = a * law.std / sd_h  # regression of lambda on the standardised h
        e_yt = law.mean * e_t + law.std * corr * (wt @ (w * t))
        return e_yt, wt @ (t * t), e_t, wt @ jnp.logaddexp(h, -h)

    y, p = law.atoms, law.weights
    s_floor = jax.lax.stop_gradient(jnp.maximum(jnp.abs(s), _TINY))
    kinks = jax.lax.stop_gradient(-a * y / s_floor)

    def per_atom(kink):
        return kinked_gaussian_rule(kink, jax.lax.stop_gradient(20.0 / s_floor), order=order)

    rules = jax.vmap(per_atom)(kinks)
    h = a * y[:, None] + s * rules.nodes
    t = jnp.tanh(h)
    wt = rules.weights
    e_t_atom = jnp.sum(wt * t, axis=1)
    return (
        p @ (y * e_t_atom),
        p @ jnp.sum(wt * t * t, axis=1),
        p @ e_t_atom,
        p @ jnp.sum(wt * jnp.logaddexp(h, -h), axis=1),
    )


# --------------------------------------------------------------------------- the equations


def _field(model: DenseHebbian, x, alpha, beta):
    """(a, s) of h = a y + s z, for the unknowns x (dense: (n, q); P = 2: (n, q, log r))."""
    if model.P == 2:
        bp = model.reduced_beta(beta)
        return bp * x[0], bp * jnp.sqrt(alpha) * jnp.exp(0.5 * x[2])
    b = beta * model.scale
    P = model.P
    phi_p = jnp.maximum(model.noise_covariance_prime(x[1]), _TINY)
    return b * P * x[0] ** (P - 1), b * jnp.sqrt(alpha) * jnp.sqrt(phi_p)


def rs_map(x, alpha, beta, model: DenseHebbian, law: SiteLaw, *, order: int = 32):
    """One application of the self-consistency map to ``x`` (``(n, q)``, or ``(n, q, log r)`` for P = 2)."""
    a, s = _field(model, x, alpha, beta)
    e_yt, e_t2, _, _ = site_averages(a, s, law, order=order)
    if model.P == 2:
        bp = model.reduced_beta(beta)
        log_r = jnp.log(e_t2) - 2.0 * jnp.log(jnp.abs(1.0 - bp * (1.0 - e_t2)))
        return jnp.stack([e_yt, e_t2, log_r])
    return jnp.stack([e_yt, e_t2])


def rs_residual(x, alpha, beta, model: DenseHebbian, law: SiteLaw, *, order: int = 32):
    """``rs_map(x) - x``: zero at an RS stationary point."""
    return rs_map(x, alpha, beta, model, law, order=order) - x


def rs_free_entropy(x, alpha, beta, model: DenseHebbian, law: SiteLaw, *, order: int = 32):
    r""":math:`A_{RS}` at ``x`` (any point, not only stationary ones); see the module docstring.

    For ``P = 2`` this is :math:`-\beta' f_{AGS}` with the supervised site variable:
    :math:`-\beta' f = -\beta'[\alpha/2 + n^2/2] - \tfrac{\alpha}{2}[\ln(1-\beta'(1-q)) - \beta' q/(1-\beta'(1-q))]
    - \tfrac{\alpha\beta'^2}{2} r(1-q) + \mathbb{E}\ln 2\cosh h`.
    """
    a, s = _field(model, x, alpha, beta)
    _, _, _, e_lc = site_averages(a, s, law, order=order)
    return _free_entropy_from(x, e_lc, alpha, beta, model)


def _free_entropy_from(x, e_lc, alpha, beta, model):
    """A_RS at ``x`` given its average ``E ln 2cosh h``."""
    n, q = x[0], x[1]
    if model.P == 2:
        bp = model.reduced_beta(beta)
        r = jnp.exp(x[2])
        d = 1.0 - bp * (1.0 - q)
        return (
            -bp * (0.5 * alpha + 0.5 * n * n)
            - 0.5 * alpha * (jnp.log(d) - bp * q / d)
            - 0.5 * alpha * bp * bp * r * (1.0 - q)
            + e_lc
        )
    b = beta * model.scale
    xi = lambda u: b * b * alpha * model.noise_covariance(u)
    xi_p = b * b * alpha * model.noise_covariance_prime(q)
    return e_lc - b * (model.P - 1) * n**model.P + 0.5 * (xi(1.0) - xi(q) - (1.0 - q) * xi_p)


def mattis_overlap(x, alpha, beta, model: DenseHebbian, law: SiteLaw, *, order: int = 32):
    r"""Overlap with the archetype at ``x``: :math:`m = \mathbb{E}\tanh h`."""
    a, s = _field(model, x, alpha, beta)
    return site_averages(a, s, law, order=order)[2]


def paramagnet_free_entropy(alpha, beta, model: DenseHebbian):
    r"""Free entropy of the paramagnet ``n = q = 0``: :math:`\ln 2 + \xi(1)/2` (``P >= 4``).

    For ``P = 2`` (AGS, ``m = q = 0``, ``r = 0``): :math:`\ln 2 - \beta'\alpha/2 - \tfrac{\alpha}{2}\ln(1-\beta')`
    (valid for :math:`\beta' < 1`; above it the paramagnet is replaced by the spin glass).
    """
    if model.P == 2:
        bp = model.reduced_beta(beta)
        return jnp.log(2.0) - 0.5 * bp * alpha - 0.5 * alpha * jnp.log(1.0 - bp)
    b = beta * model.scale
    return jnp.log(2.0) + 0.5 * b * b * alpha * model.noise_covariance(1.0)


# --------------------------------------------------------------------------- solving


def _validate(model, data, alpha, beta):
    check_model_and_data(model, data)
    return _validate_load_temperature(alpha, beta, scalar=True)


def _default_init(model, branch):
    if branch == "retrieval":
        return (1.0, 1.0, 0.0) if model.P == 2 else (1.0, 1.0)
    return (0.0, 1.0, 0.0) if model.P == 2 else (0.0, 1.0)


def rs_solve(
    model: DenseHebbian,
    data: DatasetParams,
    alpha,
    beta,
    init=None,
    *,
    warmup: int = 30,
    order: int = 32,
    tol: float = 1e-11,
    max_steps: int = 60,
    throw: bool = False,
) -> RSState:
    """Solve the RS equations at load ``alpha >= 0`` and inverse temperature ``beta > 0``.

    ``warmup`` undamped iterations of the self-consistency map (which is attracted by the stable
    branch through ``init``) are followed by Newton (optimistix, autodiff Jacobian) to ``tol``.
    ``init`` defaults to the retrieval branch, ``(n, q) = (1, 1)`` (``(n, q, log r) = (1, 1, 0)``
    for ``P = 2``); ``n = 0`` starts the spin-glass branch. ``alpha`` and ``beta`` may be traced
    (``vmap`` this function over grids). ``throw=True`` raises when the solve did not converge.
    """
    require_x64("rs_solve")
    alpha, beta = _validate(model, data, alpha, beta)
    init = _default_init(model, "retrieval") if init is None else init
    x0 = as_float_array(init, "init", ndim=1)
    size = 3 if model.P == 2 else 2
    if x0.shape != (size,):
        raise ValueError(
            f"`init` must have {size} entries ({'(n, q, log r)' if size == 3 else '(n, q)'}), got shape {tuple(x0.shape)}"
        )
    check_finite(x0, "init")
    check_in_range(x0[1] if is_traced(x0) else np.asarray(x0)[1], "init[1] (q)", 0.0, 1.0)  # host-side check
    warmup = check_integer(warmup, "warmup", minimum=0)
    order = check_integer(order, "order", minimum=2)
    max_steps = check_integer(max_steps, "max_steps", minimum=1)
    check_positive(tol, "tol")
    # tol, warmup and max_steps are traced (changing them compiles nothing new); the Newton loop's
    # static bound is the next power of two above max_steps
    out = _solve(model, data.site_law(), alpha, beta, x0, jnp.asarray(warmup), order, jnp.asarray(float(tol)),
                 jnp.asarray(max_steps), step_bound(max_steps))
    return maybe_throw(out, throw, "rs_solve", field="n")


@functools.partial(jax.jit, static_argnums=(0, 6, 9))
def _solve(model, law, alpha, beta, x0, warmup, order, tol, max_steps, max_steps_bound):
    return solve_state(model, law, alpha, beta, x0, warmup=warmup, order=order, tol=tol, max_steps=max_steps,
                       max_steps_bound=max_steps_bound)


def solve_state(model, law, alpha, beta, x0, *, warmup=30, order=32, tol=1e-11, max_steps=60,
                max_steps_bound=None) -> RSState:
    """Unvalidated, traceable core of :func:`rs_solve` (``law`` a :class:`SiteLaw`). ``warmup`` and
    ``max_steps`` may be traced (then ``max_steps_bound`` is the static bound of the Newton loop)."""
    G = lambda x, _: rs_map(x, alpha, beta, model, law, order=order)
    if is_traced(warmup) or warmup:
        x0 = fixed_point(G, x0, None, method="picard", damping=0.0, max_steps=warmup, tol=tol).value
    F = lambda x, _: rs_residual(x, alpha, beta, model, law, order=order)
    sol = newton(F, x0, None, tol=tol, max_steps=max_steps, max_steps_bound=max_steps_bound,
                 residual_tol=1e3 * tol)
    return describe_point(model, law, alpha, beta, sol.value, sol.status, sol.residual, sol.num_steps, order=order)


def describe_point(model, law, alpha, beta, x, status, residual, num_steps=0, *, order=32) -> RSState:
    """Overlaps, free entropy and stability at ``x``."""
    a, s = _field(model, x, alpha, beta)
    _, _, e_t, e_lc = site_averages(a, s, law, order=order)
    A = _free_entropy_from(x, e_lc, alpha, beta, model)
    J = jax.jacfwd(lambda u: rs_map(u, alpha, beta, model, law, order=order))(x)
    stable = jnp.max(jnp.abs(jnp.linalg.eigvals(J))) < 1.0
    return RSState(x[0], e_t, x[1], s, A, stable, status, residual, jnp.asarray(num_steps))


def rs_solve_grid(model, data, alphas, betas, init=None, *, throw: bool = False, **kwargs) -> RSState:
    """:func:`rs_solve` on the grid ``alphas x betas`` (``vmap``; fields of shape ``(len(alphas), len(betas))``).

    ``throw=True`` raises if any grid point did not converge."""
    alphas = np.asarray(alphas, dtype=float)
    betas = np.asarray(betas, dtype=float)
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    solve = jax.vmap(lambda a, b: rs_solve(model, data, a, b, init, **kwargs))
    out = solve(jnp.asarray(A.ravel()), jnp.asarray(B.ravel()))
    return maybe_throw(RSState(*(f.reshape(A.shape) for f in out)), throw, "rs_solve_grid", field="n")

r"""Zero-temperature limits of the RS equations, in closed erf form (no quadrature).

**Dense, P >= 4** ((H9)-(H10) of ``docs/theory/hebbian.md``; :math:`\kappa` drops out). As :math:`\beta\to\infty`,
:math:`q \to 1` and :math:`\tanh h \to \operatorname{sign} h`, so with
:math:`u = n^{P-1}/\sqrt{2\alpha\nu}` (:math:`\nu` = :attr:`~theorylab.statmech.hebbian.model.DenseHebbian.noise_factor`)

.. math:: n = \mathbb{E}_y[y\operatorname{erf}(u y)], \qquad m = \mathbb{E}_y\operatorname{erf}(u y).

At :math:`\alpha = 0` (low load): :math:`n = \mathbb{E}|y|`, :math:`m = \mathbb{E}\operatorname{sign}y`.
For the CLT law :math:`y = \mu + \sigma\lambda` the averages are closed forms,
:math:`\mathbb{E}\operatorname{erf}(c + d\lambda) = \operatorname{erf}(c/\sqrt{1+2d^2})` and
:math:`\mathbb{E}[\lambda\operatorname{erf}(c+d\lambda)] = \tfrac{2d}{\sqrt\pi}e^{-c^2/(1+2d^2)}/\sqrt{1+2d^2}`
(both checked by sympy); for the exact law they are finite sums. At :math:`\rho = 0` the branch
ends at :math:`\alpha_c = a_c/\nu`, :math:`a_c = \max_u \operatorname{erf}(u)^{2(P-1)}/(2u^2)`.

**P = 2** (AGS with the supervised site variable). Unknowns :math:`(n, C)`, with
:math:`r = (1-C)^{-2}`, :math:`s = \sqrt{2\alpha r}`:

.. math:: n = \mathbb{E}_y[y\operatorname{erf}(ny/s)], \qquad
          C = \sqrt{2/(\pi\alpha r)}\;\mathbb{E}_y e^{-n^2y^2/(2\alpha r)} .

The ground-state energies per spin (in units of :math:`\kappa`, i.e. :math:`-\lim A_{RS}/(\beta\kappa)`):
dense retrieval :math:`(P-1)n^P - \mathbb{E}|Pn^{P-1}y + \sqrt{\alpha\varphi'(1)}z|`, dense spin glass
:math:`-\sqrt{2\alpha\varphi'(1)/\pi}`; for ``P = 2``, with :math:`\kappa = 1/2`,
:math:`e = \alpha/2 + n^2/2 + \tfrac{\alpha}{2}(2C-1)/(1-C)^2 - \mathbb{E}|ny + \sqrt{\alpha r}z|`
(AGS 1987, the :math:`\beta\to\infty` limit of eq. 4.7), reported in AGS units.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf

from theorylab.numerics.continuation import locate_fold
from theorylab.numerics.root import newton
from theorylab.numerics.solution import Status, maybe_throw, status_result
from theorylab.statmech.hebbian.model import (
    DatasetParams,
    DenseHebbian,
    SiteLaw,
    check_model_and_data,
    site_law_clt,
)
from theorylab.validation import (
    as_float_array,
    check_finite,
    check_integer,
    check_positive,
    step_bound,
)

__all__ = [
    "T0State",
    "CriticalPoint",
    "t0_averages",
    "t0_solve",
    "t0_energy",
    "spin_glass_energy_t0",
    "capacity_constant",
    "critical_load_t0",
    "critical_load_t0_vs_rho",
]

_SQRT_PI = float(np.sqrt(np.pi))
_TINY = 1e-300


@status_result
class T0State(NamedTuple):
    """Zero-temperature retrieval state: ``n``, ``m``, ``C`` (P = 2; NaN for P >= 4), ``energy``,
    and the Newton solve's status, residual and steps."""

    n: jnp.ndarray
    m: jnp.ndarray
    C: jnp.ndarray
    energy: jnp.ndarray
    status: jnp.ndarray
    residual: jnp.ndarray
    num_steps: jnp.ndarray


@status_result
class CriticalPoint(NamedTuple):
    """End of the retrieval branch (a fold): the critical load, the state there (``C`` for P = 2,
    NaN for P >= 4) and the fold solve's status, residual and steps."""

    alpha_c: jnp.ndarray
    n: jnp.ndarray
    m: jnp.ndarray
    C: jnp.ndarray
    status: jnp.ndarray
    residual: jnp.ndarray
    num_steps: jnp.ndarray


# --------------------------------------------------------------------------- closed-form averages


def t0_averages(u, law: SiteLaw):
    r""":math:`(\mathbb{E}[y\operatorname{erf}(uy)], \mathbb{E}\operatorname{erf}(uy))`; ``u = inf`` gives the sign limits."""
    if law.is_gaussian:
        mu, sd = law.mean, law.std
        # d = u sd; as u -> inf use the sign limit: erf(mu / (sd sqrt 2)), E|y|
        inf = jnp.isinf(u)
        u_f = jnp.where(inf, 1.0, u)
        d2 = jnp.where(inf, sd * sd, (u_f * sd) ** 2)
        c = jnp.where(inf, mu, u_f * mu)
        base = jnp.where(inf, 2.0 * d2, 1.0 + 2.0 * d2)
        root = jnp.sqrt(jnp.maximum(base, _TINY))
        e_erf = erf(c / root)
        slope = jnp.where(inf, sd, u_f * sd)  # d/dlambda of the argument, in the sign limit sd / sd
        e_lam = jnp.where(base > 0, 2.0 * slope / _SQRT_PI * jnp.exp(-c * c / jnp.maximum(base, _TINY)) / root, 0.0)
        e_lam = jnp.where(inf, jnp.where(sd > 0, np.sqrt(2.0 / np.pi) * jnp.exp(-mu * mu / jnp.maximum(2 * sd * sd, _TINY)), 0.0), e_lam)
        return mu * e_erf + sd * e_lam, e_erf
    y, p = law.atoms, law.weights
    e = jnp.where(jnp.isinf(u), jnp.sign(y), erf(jnp.where(jnp.isinf(u), 0.0, u) * y))
    return p @ (y * e), p @ e


def _gauss_abs(mean, sd):
    r""":math:`\mathbb{E}|mean + sd\,z|`."""
    sd = jnp.maximum(sd, _TINY)
    return mean * erf(mean / (sd * np.sqrt(2.0))) + sd * np.sqrt(2.0 / np.pi) * jnp.exp(-0.5 * (mean / sd) ** 2)


def _expect_abs(a, s, law: SiteLaw):
    r""":math:`\mathbb{E}|a y + s z|`."""
    if law.is_gaussian:
        return _gauss_abs(a * law.mean, jnp.sqrt((a * law.std) ** 2 + s * s))
    return law.weights @ _gauss_abs(a * law.atoms, s)


def _expect_gauss_exp(k, law: SiteLaw):
    r""":math:`\mathbb{E}e^{-k y^2}`."""
    if law.is_gaussian:
        d = 1.0 + 2.0 * k * law.std**2
        return jnp.exp(-k * law.mean**2 / d) / jnp.sqrt(d)
    return law.weights @ jnp.exp(-k * law.atoms**2)


# --------------------------------------------------------------------------- equations


def _residual(x, log_alpha, model: DenseHebbian, law: SiteLaw):
    """T = 0 residual; x = (n,) for P >= 4 and (n, C) for P = 2; parameter log(alpha)."""
    alpha = jnp.exp(log_alpha)
    if model.P == 2:
        n, C = x[0], x[1]
        r = 1.0 / (1.0 - C) ** 2
        e_yerf, _ = t0_averages(n / jnp.sqrt(2.0 * alpha * r), law)
        c_new = jnp.sqrt(2.0 / (np.pi * alpha * r)) * _expect_gauss_exp(n * n / (2.0 * alpha * r), law)
        return jnp.stack([e_yerf - n, c_new - C])
    n = x[0]
    u = n ** (model.P - 1) / jnp.sqrt(2.0 * alpha * model.noise_factor)
    e_yerf, _ = t0_averages(u, law)
    return jnp.stack([e_yerf - n])


def _state(model, law, alpha, x, status, residual, steps):
    if model.P == 2:
        n, C = x[0], x[1]
        r = 1.0 / (1.0 - C) ** 2
        _, m = t0_averages(n / jnp.sqrt(2.0 * alpha * r), law)
        return T0State(n, m, C, t0_energy(model, law, alpha, n, C), status, residual, steps)
    n = x[0]
    u = jnp.where(alpha > 0, n ** (model.P - 1) / jnp.sqrt(2.0 * jnp.maximum(alpha, _TINY) * model.noise_factor), jnp.inf)
    _, m = t0_averages(u, law)
    return T0State(n, m, jnp.asarray(jnp.nan), t0_energy(model, law, alpha, n), status, residual, steps)


def t0_energy(model: DenseHebbian, law: SiteLaw, alpha, n, C=None):
    r"""Ground-state energy per spin of the retrieval state (see the module docstring for units)."""
    if model.P == 2:
        r = 1.0 / (1.0 - C) ** 2
        return (
            0.5 * alpha + 0.5 * n * n + 0.5 * alpha * (2.0 * C - 1.0) / (1.0 - C) ** 2
            - _expect_abs(n, jnp.sqrt(alpha * r), law)
        )
    P = model.P
    noise = jnp.sqrt(alpha * model.noise_covariance_prime(1.0))
    return (P - 1) * n**P - _expect_abs(P * n ** (P - 1), noise, law)


def spin_glass_energy_t0(model: DenseHebbian, alpha):
    r"""Ground-state energy of the RS spin glass (``n = 0``): :math:`-\sqrt{2\alpha\varphi'(1)/\pi}` for
    ``P >= 4``; for ``P = 2`` the AGS value with :math:`C = k/(1+k)`, :math:`k = \sqrt{2/(\pi\alpha)}`."""
    alpha = jnp.asarray(alpha, dtype=float)
    if model.P == 2:
        k = jnp.sqrt(2.0 / (np.pi * alpha))
        C = k / (1.0 + k)
        law = site_law_clt(0.0)
        return t0_energy(model, law, alpha, jnp.asarray(0.0), C)
    return -jnp.sqrt(2.0 * alpha * model.noise_covariance_prime(1.0) / np.pi)


def t0_solve(model: DenseHebbian, data: DatasetParams, alpha, init=None, *, tol: float = 1e-13,
             max_steps: int = 100, throw: bool = False) -> T0State:
    """Solve the zero-temperature retrieval equations at load ``alpha >= 0`` (Newton from ``init``,
    at most ``max_steps`` steps; ``throw=True`` raises when it did not converge).

    ``init`` defaults to ``n = 1`` (and ``C = 0.05`` for ``P = 2``). At ``alpha = 0`` the closed
    low-load values are returned (``n = E|y|``, ``m = E sign y``; for ``P = 2`` use ``alpha > 0``).
    """
    check_model_and_data(model, data)
    alpha = as_float_array(alpha, "alpha")
    check_finite(alpha, "alpha")
    check_positive(alpha, "alpha", strict=model.P == 2)
    x0 = jnp.asarray((1.0, 0.05) if model.P == 2 else (1.0,), dtype=float) if init is None else as_float_array(init, "init", ndim=1)
    size = 2 if model.P == 2 else 1
    if x0.shape != (size,):
        raise ValueError(f"`init` must have {size} entr{'ies (n, C)' if size == 2 else 'y (n,)'}, got shape {tuple(x0.shape)}")
    check_finite(x0, "init")
    check_positive(tol, "tol")
    max_steps = check_integer(max_steps, "max_steps", minimum=1)
    # tol and max_steps are traced (changing them compiles nothing new; Newton's static bound is the
    # next power of two)
    out = _t0_solve(model, data.site_law(), alpha, x0, jnp.asarray(float(tol)), jnp.asarray(max_steps),
                    step_bound(max_steps))
    return maybe_throw(out, throw, "t0_solve", field="n")


@functools.partial(jax.jit, static_argnums=(0, 6))
def _t0_solve(model, law, alpha, x0, tol, max_steps, max_steps_bound):
    if model.P != 2:
        e_abs, e_sign = t0_averages(jnp.inf, law)
        low = T0State(e_abs, e_sign, jnp.asarray(jnp.nan), t0_energy(model, law, 0.0, e_abs), jnp.asarray(0),
                      jnp.asarray(0.0), jnp.asarray(0))
    la = jnp.log(jnp.maximum(alpha, _TINY))
    sol = newton(lambda x, _: _residual(x, la, model, law), x0, tol=tol, max_steps=max_steps,
                 max_steps_bound=max_steps_bound, residual_tol=1e-10)
    out = _state(model, law, alpha, sol.value, sol.status, sol.residual, sol.num_steps)
    if model.P != 2:
        out = jax.tree_util.tree_map(lambda lo, hi: jnp.where(alpha > 0, hi, lo), low, out)
    return out


# --------------------------------------------------------------------------- critical loads


def capacity_constant(P: int, *, u0: float = 1.5):
    r""":math:`a_c = \max_u \operatorname{erf}(u)^{2(P-1)}/(2u^2)` and its maximiser, for ``P >= 3``.

    The maximum solves :math:`(P-1)\,u\,\operatorname{erf}'(u) = \operatorname{erf}(u)` (Newton).
    :math:`\alpha_c(\rho=0, T=0) = a_c/\nu`, with :math:`m_c = \operatorname{erf}(u^*)`.
    """
    P = check_integer(P, "P", minimum=3)
    g = lambda u: (P - 1) * u * 2.0 / _SQRT_PI * jnp.exp(-u * u) - erf(u)
    sol = newton(lambda u, _: g(u), jnp.asarray(float(u0)), tol=1e-15, max_steps=100)
    u = sol.value
    return erf(u) ** (2 * (P - 1)) / (2.0 * u * u), u, sol.status


def _fold_residual(model):
    def fn(x, log_alpha, law):
        return _residual(x, log_alpha, model, law)

    return fn


def critical_load_t0(model: DenseHebbian, data: DatasetParams, *, x0=None, alpha0: float | None = None,
                     throw: bool = False) -> CriticalPoint:
    r"""Zero-temperature critical load :math:`\alpha_c`: the fold of the T = 0 equations in :math:`\log\alpha`.

    Newton on :math:`F = 0,\ \det F_x = 0` (:func:`~theorylab.numerics.locate_fold`, ``method="det"``).
    Without ``x0``/``alpha0`` the start is found by continuation: the CLT fold is continued in
    :math:`\rho` from the noiseless closed form (:func:`critical_load_t0_vs_rho`; a cold start fails
    for ``P = 2`` at :math:`\rho \gtrsim 0.2`), and for the exact law that CLT fold at the same
    :math:`\rho` starts the exact solve. ``throw=True`` raises when the fold solve failed.
    """
    check_model_and_data(model, data)
    law = data.site_law()
    if x0 is None and alpha0 is None:
        clt = critical_load_t0_vs_rho(model, [data.rho])
        if data.law == "clt":
            return maybe_throw(CriticalPoint(*(f[0] for f in clt)), throw, "critical_load_t0", field="alpha_c")
        x0 = jnp.stack([clt.n[0], clt.C[0]]) if model.P == 2 else jnp.stack([clt.n[0]])
        alpha0 = float(clt.alpha_c[0])
    x_start, la_start = _noiseless_fold_start(model)
    x0 = x_start if x0 is None else as_float_array(x0, "x0", ndim=1)
    la0 = la_start if alpha0 is None else jnp.log(float(alpha0))
    return maybe_throw(_critical_t0(model, law, x0, la0), throw, "critical_load_t0", field="alpha_c")


def _noiseless_fold_start(model):
    if model.P == 2:
        return jnp.asarray([0.9674, 0.1796]), jnp.log(0.1379)
    a_c, u, _ = capacity_constant(model.P)
    alpha_c = a_c / model.noise_factor
    return jnp.stack([erf(u)]), jnp.log(alpha_c)


@functools.partial(jax.jit, static_argnums=(0,))
def _critical_t0(model, law, x0, la0):
    sol = locate_fold(_fold_residual(model), x0, la0, law, method="det")
    return _critical_point(model, law, sol)


def _critical_point(model, law, sol):
    alpha = jnp.exp(sol.value.lam)
    st = _state(model, law, alpha, sol.value.x, sol.status, sol.residual, sol.num_steps)
    return CriticalPoint(alpha, st.n, st.m, st.C, sol.status, sol.residual, sol.num_steps)


def critical_load_t0_vs_rho(model: DenseHebbian, rhos, *, max_rho_step: float = 0.025,
                            throw: bool = False) -> CriticalPoint:
    r""":math:`\alpha_c(\rho)` at T = 0 for the CLT law, by continuation in :math:`\rho` from :math:`\rho = 0`.

    The folds are solved along a ladder of :math:`\rho` values (steps at most ``max_rho_step``),
    each warm-started from the previous one, in one compiled ``lax.scan``. Cold starts fail for
    ``P = 2`` at :math:`\rho \ge 0.2`. ``throw=True`` raises if any fold solve failed.
    """
    if not isinstance(model, DenseHebbian):
        raise TypeError(f"`model` must be a DenseHebbian, got {type(model).__name__}")
    rhos = np.atleast_1d(np.asarray(rhos, dtype=float))
    if rhos.ndim != 1:
        raise ValueError(f"`rhos` must be a scalar or a 1-D array, got shape {rhos.shape}")
    check_finite(rhos, "rhos")
    check_positive(rhos, "rhos", strict=False)
    check_positive(max_rho_step, "max_rho_step")
    ladder = np.union1d(np.arange(0.0, rhos.max(), max_rho_step), rhos)
    x0, la0 = _noiseless_fold_start(model)
    out = _trace_t0(model, jnp.asarray(ladder), x0, la0)
    index = np.searchsorted(ladder, rhos)
    out = CriticalPoint(*(jnp.asarray(np.asarray(f)[index]) for f in out))
    return maybe_throw(out, throw, "critical_load_t0_vs_rho", field="alpha_c")


@functools.partial(jax.jit, static_argnums=(0,))
def _trace_t0(model, ladder, x0, la0):
    fn = _fold_residual(model)

    def step(carry, rho):
        x, la = carry
        law = site_law_clt(rho)
        sol = locate_fold(fn, x, la, law, method="det")
        ok = sol.converged
        cp = _critical_point(model, law, sol)
        return (jnp.where(ok, sol.value.x, x), jnp.where(ok, sol.value.lam, la)), cp

    _, out = jax.lax.scan(step, (x0, la0), ladder)
    return out

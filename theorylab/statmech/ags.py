r"""Replica-symmetric theory of the Hopfield model near saturation (Amit, Gutfreund & Sompolinsky).

Model: :math:`H = -\frac{1}{2N}\sum_{\mu=1}^{K}\sum_{i\ne j}\xi_i^\mu\xi_j^\mu s_i s_j` with
:math:`K = \alpha N` random patterns, one of them condensed. The RS saddle point
(Amit, Gutfreund & Sompolinsky, Ann. Phys. 173 (1987) 30, eqs. 4.9-4.11) is

.. math::

    m = \mathbb{E}_z \tanh\beta(m + \sqrt{\alpha r}\,z), \qquad
    q = \mathbb{E}_z \tanh^2\beta(m + \sqrt{\alpha r}\,z), \qquad
    r = \frac{q}{(1 - \beta(1-q))^2} .

At :math:`T = 0`, with :math:`y = m/\sqrt{2\alpha r}`, the system reduces to
:math:`G(y;\alpha) = \operatorname{erf} y - y\,(\sqrt{2\alpha} + \tfrac{2}{\sqrt\pi}e^{-y^2}) = 0`,
i.e. :math:`\alpha(y) = \tfrac12(\operatorname{erf}(y)/y - \tfrac{2}{\sqrt\pi}e^{-y^2})^2`; the
retrieval branch ends at the fold :math:`\alpha_c = \max_y \alpha(y) \approx 0.138` with
:math:`m_c = \operatorname{erf} y^* \approx 0.967`. For :math:`T > 0` the critical load
:math:`\alpha_c(T)` (the retrieval line :math:`T_M`) is the fold of the three equations in
:math:`\alpha`, located with :func:`theorylab.numerics.locate_fold`.

Gaussian averages use :func:`theorylab.numerics.kinked_gaussian_rule` with the kink of
:math:`\tanh\beta(m + s z)` at :math:`z_0 = -m/s`, which stays accurate at low temperature.
The unknowns are parametrised as :math:`(m, q, \log r)` so that :math:`r > 0` throughout.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf

from theorylab.numerics.continuation import locate_fold
from theorylab.numerics.fixed_point import fixed_point
from theorylab.numerics.quadrature import kinked_gaussian_rule
from theorylab.numerics.root import newton
from theorylab.numerics.solution import Status, maybe_throw, status_result
from theorylab.validation import (
    as_float_array,
    check_axis,
    check_choice,
    check_finite,
    check_in_range,
    check_integer,
    check_positive,
    require_x64,
    step_bound,
)

__all__ = [
    "AGSState",
    "CriticalLoad",
    "ags_alpha_of_y",
    "ags_t0_equation",
    "ags_residual",
    "ags_map",
    "ags_solve",
    "ags_grid",
    "ags_critical_load_t0",
    "ags_critical_load",
]

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)
_TINY = 1e-100  # floor for s = sqrt(alpha r): keeps 1/s^2 finite in derivatives at alpha = 0


@status_result
class AGSState(NamedTuple):
    """A solution of the AGS equations: overlaps ``m``, ``q``, the noise parameter ``r``, the
    solver ``status`` (0 = converged), the final ``residual`` and the steps taken."""

    m: jnp.ndarray
    q: jnp.ndarray
    r: jnp.ndarray
    status: jnp.ndarray
    residual: jnp.ndarray
    num_steps: jnp.ndarray


@status_result
class CriticalLoad(NamedTuple):
    """The end of the retrieval branch: ``alpha_c`` and the state ``(m, q, r)`` there, per
    temperature, with each fold solve's status, residual and steps."""

    temperature: jnp.ndarray
    alpha_c: jnp.ndarray
    m: jnp.ndarray
    q: jnp.ndarray
    r: jnp.ndarray
    status: jnp.ndarray
    residual: jnp.ndarray
    num_steps: jnp.ndarray


# --------------------------------------------------------------------------- T = 0


def ags_alpha_of_y(y):
    r"""Load on the :math:`T=0` retrieval branch as a function of :math:`y = m/\sqrt{2\alpha r}`."""
    return 0.5 * (erf(y) / y - _TWO_OVER_SQRT_PI * jnp.exp(-y * y)) ** 2


def ags_t0_equation(y, alpha):
    r""":math:`G(y;\alpha) = \operatorname{erf} y - y(\sqrt{2\alpha} + \tfrac{2}{\sqrt\pi}e^{-y^2})`; zero on the T = 0 branch."""
    return erf(y) - y * (jnp.sqrt(2.0 * alpha) + _TWO_OVER_SQRT_PI * jnp.exp(-y * y))


def _t0_fold_residual(x, alpha, _):
    return ags_t0_equation(x, alpha)


def ags_critical_load_t0(*, y0: float = 1.5, alpha0: float = 0.137, throw: bool = False) -> CriticalLoad:
    r"""Zero-temperature critical load: the fold of :math:`G(y;\alpha) = 0` in :math:`\alpha`.

    Solved with :func:`~theorylab.numerics.locate_fold` (Moore-Spence system) from ``(y0, alpha0)``.
    Returns ``alpha_c``, ``m = erf(y*)``, ``q = 1`` and ``r = m^2 / (2 alpha_c y*^2)``;
    ``throw=True`` raises when the fold solve failed.
    """
    sol = locate_fold(_t0_fold_residual, jnp.array([y0]), alpha0, throw=throw)
    y = sol.value.x[0]
    alpha_c = sol.value.lam
    m = erf(y)
    r = m**2 / (2.0 * alpha_c * y**2)
    return CriticalLoad(jnp.asarray(0.0), alpha_c, m, jnp.asarray(1.0), r, sol.status, sol.residual, sol.num_steps)


# --------------------------------------------------------------------------- T > 0


def _moments(m, r, alpha, beta, order):
    """E tanh(h) and E tanh^2(h) with h = beta (m + sqrt(alpha r) z), kink-aware quadrature."""
    s = jnp.sqrt(alpha) * jnp.sqrt(r)  # factored: d s / d r stays finite at alpha = 0
    s_safe = jnp.maximum(s, _TINY)
    rule = kinked_gaussian_rule(-m / s_safe, 20.0 / (beta * s_safe), order=order)
    t = jnp.tanh(beta * (m + s * rule.nodes))
    return rule.weights @ t, rule.weights @ (t * t)


def ags_map(state, alpha, beta, *, order: int = 64):
    """One application of the AGS fixed-point map ``(m, q, r) -> (E tanh, E tanh^2, q'/(1-beta(1-q'))^2)``."""
    m, q, r = state
    m_new, q_new = _moments(m, r, alpha, beta, order)
    return jnp.stack([m_new, q_new, q_new / (1.0 - beta * (1.0 - q_new)) ** 2])


def ags_residual(x, alpha, beta, *, order: int = 64):
    r"""Residual of the AGS equations in the unknowns ``x = (m, q, log r)``.

    Components: :math:`\mathbb{E}\tanh h - m`, :math:`\mathbb{E}\tanh^2 h - q`,
    :math:`\log q' - 2\log|1-\beta(1-q')| - \log r` with :math:`q' = \mathbb{E}\tanh^2 h`.
    """
    m, q, log_r = x[0], x[1], x[2]
    m_new, q_new = _moments(m, jnp.exp(log_r), alpha, beta, order)
    log_r_new = jnp.log(q_new) - 2.0 * jnp.log(jnp.abs(1.0 - beta * (1.0 - q_new)))
    return jnp.stack([m_new - m, q_new - q, log_r_new - log_r])


def _validate_load_temperature(alpha, beta, *, scalar: bool = False):
    alpha = as_float_array(alpha, "alpha")
    beta = as_float_array(beta, "beta")
    if scalar:
        for name, v in (("alpha", alpha), ("beta", beta)):
            if v.ndim != 0:
                raise ValueError(f"`{name}` must be a scalar (one point; use ags_grid for sweeps)"
                                 f", got shape {tuple(v.shape)}")
    check_finite(alpha, "alpha")
    check_positive(alpha, "alpha", strict=False)
    check_finite(beta, "beta")
    check_positive(beta, "beta")
    return alpha, beta


def ags_solve(
    alpha,
    beta,
    init=(1.0, 1.0, 1.0),
    *,
    solver: str = "newton",
    damping: float = 0.5,
    order: int = 64,
    tol: float = 1e-11,
    max_steps: int | None = None,
    throw: bool = False,
) -> AGSState:
    r"""Solve the AGS equations at load ``alpha >= 0`` and inverse temperature ``beta > 0``.

    Above the spin-glass temperature, :math:`\beta(1 + \sqrt\alpha) < 1` (:math:`T > T_g`), the
    paramagnet :math:`m = q = r = 0` is the only solution (retrieval needs :math:`T < T_M < 1 \le
    T_g`); it is returned exactly (``num_steps`` 0) instead of iterating towards :math:`\log r =
    -\infty`, where Newton's Jacobian is singular.

    Parameters
    ----------
    alpha, beta:
        Scalars (``vmap`` this function to sweep grids).
    init:
        Starting ``(m, q, r)``; the default ``(1, 1, 1)`` follows the retrieval branch, ``m = 0``
        the paramagnetic / spin-glass branch.
    solver:
        ``"newton"`` (optimistix), ``"anderson"`` or ``"picard"`` (damped fixed point).
    damping:
        Damping for the fixed-point solvers, in ``[0, 1)``.
    order:
        Legendre nodes per panel of the kink-aware Gaussian rule.
    tol:
        Tolerance (Newton: step/residual; fixed point: ``max|g(x) - x|``).
    max_steps:
        Step budget; ``None`` means 100 for Newton and 5000 for the fixed-point solvers.
    throw:
        Raise :class:`~theorylab.numerics.ConvergenceError` when the solve did not converge.
    """
    require_x64("ags_solve")
    alpha, beta = _validate_load_temperature(alpha, beta, scalar=True)
    init, damping, tol, max_steps, order = _check_solver_options(init, solver, damping, order, tol, max_steps)
    # damping, tol and max_steps are traced (changing them compiles nothing new); Newton's loop has
    # the static bound of the next power of two above max_steps (the fixed-point while_loop needs none)
    out = _ags_solve(alpha, beta, init, solver, jnp.asarray(damping), order, jnp.asarray(tol),
                     jnp.asarray(max_steps), step_bound(max_steps) if solver == "newton" else None)
    return maybe_throw(out, throw, "ags_solve", field="m")


def _check_solver_options(init, solver, damping, order, tol, max_steps):
    check_choice(solver, "solver", ("newton", "anderson", "picard"))
    order = check_integer(order, "order", minimum=2)
    init = as_float_array(init, "init", ndim=1)
    if init.shape != (3,):
        raise ValueError(f"`init` must be (m, q, r), a sequence of 3 numbers; got shape {tuple(init.shape)}")
    check_finite(init, "init")
    check_in_range(init[1], "init[1] (q)", 0.0, 1.0)
    check_positive(init[2], "init[2] (r)")
    check_in_range(damping, "damping", 0.0, 1.0, closed=(True, False))
    check_positive(tol, "tol")
    if max_steps is None:
        max_steps = 100 if solver == "newton" else 5000
    max_steps = check_integer(max_steps, "max_steps", minimum=1)
    return init, float(damping), float(tol), max_steps, order


def ags_grid(alphas, betas, init=(1.0, 1.0, 1.0), *, solver: str = "newton", damping: float = 0.5,
             order: int = 64, tol: float = 1e-11, max_steps: int | None = None, executor=None, devices=None,
             checkpoint=None, chunk_size: int | None = None, progress=False, throw: bool = False) -> AGSState:
    """:func:`ags_solve` at every point of ``alphas x betas`` from the same ``init``: an
    :class:`AGSState` whose fields have shape ``(len(alphas), len(betas))``, each point with its own
    status (``throw=True`` raises if any point failed).

    The grid runs through :func:`theorylab.sweeps.sweep`: one compiled program in this process by
    default; ``executor`` (any :class:`concurrent.futures.Executor`, e.g. a Dask client's),
    ``devices`` (local JAX devices), ``checkpoint`` (a directory; a rerun computes only unfinished
    chunks) and ``chunk_size`` as there. ``damping``, ``tol`` and ``max_steps`` travel with the points
    (traced: changing them compiles nothing new). Solver options as in :func:`ags_solve`.
    """
    require_x64("ags_grid")
    alphas = check_axis(alphas, "alphas", strict=False)
    betas = check_axis(betas, "betas")
    init, damping, tol, max_steps, order = _check_solver_options(init, solver, damping, order, tol, max_steps)
    from theorylab.sweeps import product_grid, sweep

    grid = product_grid(alpha=alphas, beta=betas)
    n = alphas.size * betas.size
    points = dict(grid.points, damping=np.full(n, damping), tol=np.full(n, tol), max_steps=np.full(n, max_steps),
                  init=np.broadcast_to(np.asarray(init), (n, 3)))
    bound = step_bound(max_steps) if solver == "newton" else None
    out = sweep(functools.partial(_ags_point, solver, order, bound), points, chunk_size=chunk_size,
                executor=executor, devices=devices, checkpoint=checkpoint, progress=progress)
    return maybe_throw(AGSState(*grid.reshape(tuple(out))), throw, "ags_grid", field="m")


def _ags_point(solver, order, bound, point):
    """One grid point of :func:`ags_grid` (module level: picklable for a cluster)."""
    return tuple(_ags_solve(point["alpha"], point["beta"], point["init"], solver, point["damping"], order,
                            point["tol"], point["max_steps"], bound))


@functools.partial(jax.jit, static_argnums=(3, 5, 8))
def _ags_solve(alpha, beta, init, solver, damping, order, tol, max_steps, max_steps_bound):
    if solver == "newton":
        x0 = jnp.stack([init[0], init[1], jnp.log(init[2])])
        sol = newton(
            lambda x, a: ags_residual(x, a[0], a[1], order=order), x0, (alpha, beta),
            tol=tol, max_steps=max_steps, max_steps_bound=max_steps_bound, residual_tol=1e3 * tol,
        )
        m, q, r = sol.value[0], sol.value[1], jnp.exp(sol.value[2])
    else:
        sol = fixed_point(
            lambda s, a: ags_map(s, a[0], a[1], order=order), init, (alpha, beta),
            method=solver, damping=damping, tol=tol, max_steps=max_steps,
        )
        m, q, r = sol.value[0], sol.value[1], sol.value[2]
    # above T_g the paramagnet is the unique solution: return it exactly (its residual is measured)
    para = beta * (1.0 + jnp.sqrt(alpha)) < 1.0
    zero = jnp.zeros((), m.dtype)
    para_residual = jnp.max(jnp.abs(ags_map(jnp.stack([zero, zero, zero]), alpha, beta, order=order)))
    pick = lambda p, v: jnp.where(para, p, v)  # noqa: E731
    return AGSState(pick(zero, m), pick(zero, q), pick(zero, r), pick(int(Status.SUCCESS), sol.status),
                    pick(para_residual, sol.residual), pick(0, sol.num_steps))


@functools.lru_cache(maxsize=8)
def _fold_residual(order: int):
    """F(x, log alpha; beta) for the fold solve; cached so jit sees one function per order."""

    def residual(x, log_alpha, beta):
        return ags_residual(x, jnp.exp(log_alpha), beta, order=order)

    return residual


def ags_critical_load(temperatures, *, order: int = 64, max_temperature_step: float = 0.05,
                      throw: bool = False) -> CriticalLoad:
    r"""Critical load :math:`\alpha_c(T)` of the retrieval phase (the AGS line :math:`T_M(\alpha)`).

    For each temperature the fold of the AGS equations in :math:`\log\alpha` is located by
    Newton on the Moore-Spence system (:func:`~theorylab.numerics.locate_fold`). Solves are
    warm-started along a temperature ladder that starts from the closed-form :math:`T = 0`
    fold at :math:`T = 0.02` and never steps more than ``max_temperature_step``. ``T = 0``
    entries use :func:`ags_critical_load_t0`.

    The ladder depends on the values of ``temperatures``, so this function takes concrete
    numbers (it is not itself ``jit``-traceable); the fold solves inside are compiled once per
    call as one ``lax.scan``.

    Parameters
    ----------
    temperatures:
        Scalar or 1-D array of temperatures ``T >= 0`` (below ``T = 1``, where the line ends).
    throw:
        Raise :class:`~theorylab.numerics.ConvergenceError` if any fold solve failed.
    """
    T = as_float_array(temperatures, "temperatures")
    scalar = T.ndim == 0
    T = jnp.atleast_1d(T)
    if T.ndim != 1:
        raise ValueError(f"`temperatures` must be a scalar or a 1-D array, got shape {tuple(T.shape)}")
    check_finite(T, "temperatures")
    check_in_range(T, "temperatures", 0.0, 1.0, closed=(True, False))
    order = check_integer(order, "order", minimum=2)
    check_positive(max_temperature_step, "max_temperature_step")

    t0 = ags_critical_load_t0()
    T_np = np.asarray(T)
    zero = T_np == 0
    fields = ([np.full(T_np.shape, np.nan) for _ in range(4)] + [np.zeros(T_np.shape, int)]
              + [np.full(T_np.shape, np.nan), np.zeros(T_np.shape, int)])
    if not zero.all():
        # warm-start ladder: 0.02, 0.07, ... below the largest T, plus every requested T (sorted)
        positive = np.unique(T_np[~zero])
        ladder = np.union1d(np.arange(0.02, positive.max(), max_temperature_step), positive)
        x0 = jnp.stack([t0.m, 1.0 - 0.8 * ladder[0], jnp.log(t0.r)])  # 1 - q ~ C T with C < 1
        traced = _trace_fold(jnp.asarray(ladder), x0, jnp.log(t0.alpha_c), order)
        index = np.searchsorted(ladder, T_np[~zero])
        for field, values in zip(fields, traced):
            field[~zero] = np.asarray(values)[index]
    for field, value in zip(fields, (t0.alpha_c, t0.m, t0.q, t0.r, t0.status, t0.residual, t0.num_steps)):
        field[zero] = np.asarray(value)
    out = CriticalLoad(T, *(jnp.asarray(f) for f in fields))
    if scalar:
        out = CriticalLoad(*(a[0] for a in out))
    return maybe_throw(out, throw, "ags_critical_load", field="alpha_c")


@functools.partial(jax.jit, static_argnums=(3,))
def _trace_fold(ladder, x0, log_alpha0, order):
    residual = _fold_residual(order)

    def step(carry, T):
        x, la = carry
        sol = locate_fold(residual, x, la, 1.0 / T)
        ok = sol.converged
        new = (jnp.where(ok, sol.value.x, x), jnp.where(ok, sol.value.lam, la))
        xs = sol.value.x
        return new, (jnp.exp(sol.value.lam), xs[0], xs[1], jnp.exp(xs[2]), sol.status, sol.residual, sol.num_steps)

    _, out = jax.lax.scan(step, (x0, log_alpha0), ladder)
    return out

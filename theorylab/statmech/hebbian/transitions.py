r"""Transition lines of the RS theory at finite temperature, located as folds to machine precision.

* :func:`critical_load` -- the retrieval line :math:`\alpha_c(\beta)`: the fold of the RS equations
  in :math:`\log\alpha` (Newton on :math:`F = 0,\ \det F_x = 0`), warm-started along a ladder of
  temperatures from the zero-temperature fold. Damped iteration with bisection on existence
  misplaces this line (P6 of ``docs/theory/hebbian.md``: 0.156 instead of 0.1375 for AGS at
  :math:`\beta = 20`); the fold solve does not.
* :func:`spinodal_low_load` -- at :math:`\alpha = 0` (sub-extensive load, the "ultra-detection"
  reading) the retrieval branch of a dense network (``P >= 4``) ends at a fold in :math:`\log\beta`.
* :func:`retrieval_transition_low_load` -- the first-order transition at :math:`\alpha = 0`, where
  the retrieval free entropy equals the paramagnet's :math:`\ln 2`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.numerics.continuation import locate_fold
from theorylab.numerics.root import newton
from theorylab.numerics.solution import Status, maybe_throw, status_result
from theorylab.statmech.hebbian.model import (
    DatasetParams,
    DenseHebbian,
    check_model_and_data,
)
from theorylab.statmech.hebbian.rs import (
    mattis_overlap,
    rs_free_entropy,
    rs_residual,
    solve_state,
)
from theorylab.statmech.hebbian.zero_temperature import critical_load_t0
from theorylab.validation import (
    check_finite,
    check_integer,
    check_positive,
)

__all__ = ["CriticalLine", "LowLoadTransition", "critical_load", "spinodal_low_load", "retrieval_transition_low_load"]


@status_result
class CriticalLine(NamedTuple):
    """The retrieval line: per inverse temperature ``beta``, the critical load and the state there,
    with each fold solve's status, residual and steps."""

    beta: jnp.ndarray
    alpha_c: jnp.ndarray
    n: jnp.ndarray
    m: jnp.ndarray
    q: jnp.ndarray
    status: jnp.ndarray
    residual: jnp.ndarray
    num_steps: jnp.ndarray


@status_result
class LowLoadTransition(NamedTuple):
    """A transition at zero load: inverse temperature ``beta`` (and ``reduced_beta`` = 2 beta kappa),
    the state, and the solve's status, residual and steps."""

    beta: jnp.ndarray
    reduced_beta: jnp.ndarray
    n: jnp.ndarray
    m: jnp.ndarray
    status: jnp.ndarray
    residual: jnp.ndarray
    num_steps: jnp.ndarray


@functools.lru_cache(maxsize=32)
def _load_fold_fn(model, order):
    def fn(x, log_alpha, args):
        beta, law = args
        return rs_residual(x, jnp.exp(log_alpha), beta, model, law, order=order)

    return fn


def critical_load(
    model: DenseHebbian,
    data: DatasetParams,
    betas,
    *,
    order: int = 32,
    max_temperature_step: float = 0.02,
    throw: bool = False,
) -> CriticalLine:
    r"""Critical load :math:`\alpha_c(\beta)` of the retrieval branch at each inverse temperature.

    The ladder runs in the reduced temperature :math:`T' = 1/(2\beta\kappa)` from :math:`T' = 0.02`
    (started from the T = 0 fold with :math:`q = 1 - T'`) up to the largest requested one, in
    steps of at most ``max_temperature_step``; every fold solve is warm-started from the previous
    one, all in one compiled ``lax.scan``. Takes concrete ``betas`` (the ladder depends on them).
    Entries whose solve failed have ``status != 0``; beyond the end of the line (where retrieval no
    longer exists at any load) the solves fail and say so; ``throw=True`` raises instead.
    """
    check_model_and_data(model, data)
    betas = np.atleast_1d(np.asarray(betas, dtype=float))
    if betas.ndim != 1:
        raise ValueError(f"`betas` must be a scalar or a 1-D array, got shape {betas.shape}")
    check_finite(betas, "betas")
    check_positive(betas, "betas")
    order = check_integer(order, "order", minimum=2)
    check_positive(max_temperature_step, "max_temperature_step")
    t_req = 1.0 / np.asarray(model.reduced_beta(betas))
    start = min(0.02, float(t_req.min()))
    ladder = np.union1d(np.arange(start, t_req.max(), max_temperature_step), t_req)
    t0 = critical_load_t0(model, data)
    if not bool(t0.converged):
        raise RuntimeError(f"the zero-temperature fold did not converge (status {int(t0.status)})")
    q0 = 1.0 - ladder[0]
    if model.P == 2:  # r = 1/(1 - C)^2 at T = 0
        x0 = jnp.asarray([float(t0.n), q0, -2.0 * np.log1p(-float(t0.C))])
    else:
        x0 = jnp.asarray([float(t0.n), q0])
    ladder_betas = 1.0 / (ladder * 2.0 * model.scale)
    out = _trace(model, order, data.site_law(), jnp.asarray(ladder_betas), x0, jnp.log(t0.alpha_c))
    index = np.searchsorted(ladder, t_req)
    fields = [jnp.asarray(np.asarray(f)[index]) for f in out]
    return maybe_throw(CriticalLine(jnp.asarray(betas), *fields), throw, "critical_load", field="alpha_c")


@functools.partial(jax.jit, static_argnums=(0, 1))
def _trace(model, order, law, ladder_betas, x0, la0):
    fn = _load_fold_fn(model, order)

    def step(carry, beta):
        x, la = carry
        sol = locate_fold(fn, x, la, (beta, law), method="det")
        ok = sol.converged
        x_f = sol.value.x
        m = mattis_overlap(x_f, jnp.exp(sol.value.lam), beta, model, law, order=order)
        new = (jnp.where(ok, x_f, x), jnp.where(ok, sol.value.lam, la))
        return new, (jnp.exp(sol.value.lam), x_f[0], m, x_f[1], sol.status, sol.residual, sol.num_steps)

    _, out = jax.lax.scan(step, (x0, la0), ladder_betas)
    return out


def _low_load_checks(model, data):
    check_model_and_data(model, data)
    if model.P == 2:
        raise ValueError(
            "`model.P` = 2 has no low-load fold: at alpha = 0 the Hopfield model is Curie-Weiss, whose "
            "retrieval state vanishes continuously at beta' = 1"
        )


def spinodal_low_load(model: DenseHebbian, data: DatasetParams, *, beta0: float | None = None, order: int = 64,
                      throw: bool = False) -> LowLoadTransition:
    r"""Lowest inverse temperature at which the retrieval branch exists at zero load (``P >= 4``).

    The fold of :math:`n = \mathbb{E}[y\tanh(bPn^{P-1}y)]` in :math:`\log\beta`. ``beta0`` is the
    starting guess (default: :math:`\beta' = 1`).
    """
    _low_load_checks(model, data)
    order = check_integer(order, "order", minimum=2)
    beta0 = 1.0 / (2.0 * model.scale) if beta0 is None else float(check_positive(beta0, "beta0"))
    return maybe_throw(_spinodal(model, order, data.site_law(), jnp.log(beta0)), throw, "spinodal_low_load",
                       field="beta")


@functools.partial(jax.jit, static_argnums=(0, 1))
def _spinodal(model, order, law, lb0):
    def fn(x, log_beta, law):
        return rs_residual(x, 0.0, jnp.exp(log_beta), model, law, order=order)

    sol = locate_fold(fn, jnp.asarray([0.9, 0.9]), lb0, law, method="det")
    beta = jnp.exp(sol.value.lam)
    m = mattis_overlap(sol.value.x, 0.0, beta, model, law, order=order)
    return LowLoadTransition(beta, model.reduced_beta(beta), sol.value.x[0], m, sol.status, sol.residual, sol.num_steps)


def retrieval_transition_low_load(model: DenseHebbian, data: DatasetParams, *, order: int = 64,
                                  throw: bool = False) -> LowLoadTransition:
    r"""First-order transition at zero load: :math:`A_{RS}(\text{retrieval}) = \ln 2` (``P >= 4``).

    Newton on :math:`[F(n, q; \beta) = 0,\ A_{RS}(n, q; \beta) - \ln 2 = 0]` in :math:`(n, q, \log\beta)`,
    started above the spinodal.
    """
    _low_load_checks(model, data)
    order = check_integer(order, "order", minimum=2)
    sp = spinodal_low_load(model, data, order=order)
    if not bool(sp.converged):
        raise RuntimeError(f"the low-load spinodal solve failed (status {int(sp.status)})")
    return maybe_throw(_coexistence(model, order, data.site_law(), jnp.log(sp.beta) + 0.3), throw,
                       "retrieval_transition_low_load", field="beta")


@functools.partial(jax.jit, static_argnums=(0, 1))
def _coexistence(model, order, law, lb0):
    start = solve_state(model, law, 0.0, jnp.exp(lb0), jnp.asarray([1.0, 1.0]), order=order)

    def H(z, _):
        x, beta = z[:2], jnp.exp(z[2])
        A = rs_free_entropy(x, 0.0, beta, model, law, order=order)
        return jnp.concatenate([rs_residual(x, 0.0, beta, model, law, order=order), (A - jnp.log(2.0))[None]])

    z0 = jnp.stack([start.n, start.q, lb0])
    sol = newton(H, z0, tol=1e-13, max_steps=100, residual_tol=1e-10)
    beta = jnp.exp(sol.value[2])
    m = mattis_overlap(sol.value[:2], 0.0, beta, model, law, order=order)
    return LowLoadTransition(beta, model.reduced_beta(beta), sol.value[0], m, sol.status, sol.residual, sol.num_steps)

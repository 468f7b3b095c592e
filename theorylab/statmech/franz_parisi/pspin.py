"""The Franz-Parisi potential of the spherical p-spin model (replica symmetric).

Franz & Parisi (J. Phys. I 5, 1401, 1995): the free energy of a system at temperature ``T``
constrained to overlap ``q`` with an equilibrium reference configuration (paramagnetic, at
temperature ``T_ref``; ``T_ref = T`` by default). For the spherical p-spin model with
``E[H(s) H(t)] = (N/2)(s.t/N)^p`` the RS potential relative to ``q = 0`` is ((F1)-(F2) of
``docs/theory/franz_parisi.md``; checked in ``proofs_checks/franz_parisi.py``)

``-beta dV(q) = extr_qt [ beta beta' q^p / 2 - beta^2 qt^p / 4 + ln(1 - qt)/2 + (qt - q^2) / (2 (1 - qt)) ]``

with ``qt`` the overlap of the constrained replicas. Its stationarity condition is
``beta^2 p qt^(p-1) / 2 = (qt - q^2) / (1 - qt)^2``, solved here by bisection on ``[q^2, 1)``
(the residual times ``(1 - qt)^2`` changes sign there) with implicit differentiation, so ``dV``
is differentiable in ``q`` and ``T`` (``dV/dq`` equals the envelope formula). Where the equation
has several roots (low temperature) the smallest is taken: the branch continuous from ``q = 0``.
On that branch the RS potential at ``T = 0.6`` (p = 3) has, besides the textbook barrier at
``q = 0.4`` and minimum at ``q = 0.6`` (both with ``qt = q``), a further maximum near ``q = 0.27``
and minimum near ``q = 0.33`` with ``qt != q``, where the RS ansatz of the constrained replicas is
doubtful (the theory note's "Open" paragraph; documented, not corrected).

At ``qt = q`` (and ``T_ref = T``) the stationary points satisfy ``T^2 = (p/2) q^(p-2) (1 - q)``:
a secondary minimum exists below ``T_d^2 = p (p-2)^(p-2) / (2 (p-1)^(p-1))`` (at
``q_d = (p-2)/(p-1)``), and its height is the complexity ``Sigma = beta dV =
-[q^2 / (2p(1-q)) + q/2 + ln(1-q)/2]``, which vanishes at the Kauzmann temperature ``T_K``.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.numerics import Status
from theorylab.numerics.root import status_from_optimistix
from theorylab.numerics.solution import ConvergenceError, maybe_throw, status_result
from theorylab.validation import (
    as_float_array,
    check_finite,
    check_in_range,
    check_integer,
    check_positive,
    is_traced,
    require_x64,
)

__all__ = [
    "FPValue",
    "potential",
    "constrained_overlap",
    "stationary_points",
    "StationaryPoints",
    "complexity",
    "Transitions",
    "transitions",
    "dynamical_temperature",
    "kauzmann_temperature",
    "has_secondary_minimum",
]


def _check_p(p) -> int:
    p = check_integer(p, "p", minimum=2)
    if p < 3:
        raise ValueError("`p` must be >= 3: for p = 2 the spherical model has no dynamical transition (T_d "
                         "coincides with the critical temperature and there is no secondary minimum)")
    return p


MIN_TEMPERATURE = 1e-100  #: below it beta = 1/T overflows the inner bisection's bracket (float64)
MAX_TEMPERATURE = 1e100  #: above it the inner bracket underflows (measured: 1e150 works, 1e200 does not)


def _check_temperature(T, name="T"):
    T = as_float_array(T, name)
    check_finite(T, name)
    check_positive(T, name)
    if not is_traced(T) and np.any((np.asarray(T) < MIN_TEMPERATURE) | (np.asarray(T) > MAX_TEMPERATURE)):
        raise ValueError(f"`{name}` must lie in [{MIN_TEMPERATURE:g}, {MAX_TEMPERATURE:g}] (outside it the inner solve "
                         f"over- or underflows float64), got {np.asarray(T).ravel()[0].item()!r}"
                         + ("" if np.ndim(T) == 0 else " among others"))
    return T


@status_result
class FPValue(NamedTuple):
    """Result of :func:`potential` (batched like its inputs)."""

    dV: jax.Array  #: V(q) - V(0)
    q_tilde: jax.Array  #: overlap of the constrained replicas at the saddle
    status: jax.Array  #: Status code of the inner solve
    num_steps: jax.Array  #: bisection steps of the inner solve


def _inner_residual(qt, args):
    q, beta, p = args
    return (qt - q**2) - 0.5 * beta**2 * p * qt ** (p - 1) * (1.0 - qt) ** 2


def _phi(qt, q, beta, beta_ref, p):
    """The RS exponent ``-beta dV`` before extremisation over ``qt``."""
    return (0.5 * beta * beta_ref * q**p - 0.25 * beta**2 * qt**p + 0.5 * jnp.log1p(-qt)
            + 0.5 * (qt - q**2) / (1.0 - qt))


_SCAN = 1024  #: grid points used to bracket the smallest root of the inner equation


def _solve_qt(q, beta, p):
    """The smallest root of the inner equation on ``[q^2, 1)``: the branch continuous from
    ``qt = q^2`` at ``q = 0`` (the prototype's continuation). At low temperature (below about
    T = 0.52 for p = 3) the equation can have three roots; a sign scan on ``_SCAN`` points brackets
    the first sign change, then bisection (optimistix, implicit gradients) refines it."""
    # below q = 1e-100 the bracket [q^2, 1) underflows; there qt = q^2 to far below float64 resolution
    tiny = q < 1e-100
    q_safe = jnp.where(tiny, 0.5, q)
    lo0 = q_safe**2
    scan_q, scan_b = jax.lax.stop_gradient(q_safe), jax.lax.stop_gradient(beta)
    grid = lo0 + (1.0 - lo0) * jnp.linspace(0.0, 1.0, _SCAN + 1)[1:]  # the last point is 1: residual 1 - q^2 > 0
    positive = _inner_residual(jax.lax.stop_gradient(grid), (scan_q, scan_b, p)) >= 0.0
    first = jnp.argmax(positive)
    lower = jnp.where(first == 0, jax.lax.stop_gradient(lo0), grid[jnp.maximum(first - 1, 0)])
    upper = grid[first]
    import optimistix as optx  # imported on use (~0.5 s at import)

    sol = optx.root_find(_inner_residual, optx.Bisection(rtol=1e-14, atol=1e-14), 0.5 * (lower + upper),
                         args=(q_safe, beta, p), options=dict(lower=lower, upper=upper), max_steps=256, throw=False)
    qt = jnp.where(tiny, q**2, sol.value)
    status = jnp.where(tiny, int(Status.SUCCESS), status_from_optimistix(sol.result))
    return qt, status, jnp.where(tiny, 0, sol.stats["num_steps"])


def constrained_overlap(q, T, p: int = 3):
    """``qt(q, T)``: the constrained replicas' overlap at the saddle (bisection), with its status."""
    p = _check_p(p)
    q = as_float_array(q, "q")
    _check_q(q)
    T = _check_temperature(T)
    return _solve_qt(q, 1.0 / T, p)[:2]


def _check_q(q):
    check_finite(q, "q")
    check_in_range(q, "q", 0.0, 1.0, closed=(True, False))


def potential(q, T, p: int = 3, T_ref=None, *, throw: bool = False) -> FPValue:
    """``dV(q) = V(q) - V(0)`` of the spherical p-spin FP potential at temperature ``T``, the
    reference equilibrated at ``T_ref`` (default ``T``). ``q`` in ``[0, 1)``; broadcasts, ``jit``-s
    and ``vmap``-s; differentiable in ``q``, ``T`` and ``T_ref`` (implicit gradients through the
    bisection). ``throw=True`` raises when an inner solve failed."""
    require_x64("potential")
    p = _check_p(p)
    q = as_float_array(q, "q")
    _check_q(q)
    T = _check_temperature(T)
    T_ref = T if T_ref is None else _check_temperature(T_ref, "T_ref")
    try:
        np.broadcast_shapes(q.shape, T.shape, T_ref.shape)
    except ValueError:
        raise ValueError(f"`q`, `T` and `T_ref` must broadcast together, got shapes {tuple(q.shape)}, "
                         f"{tuple(T.shape)} and {tuple(T_ref.shape)}") from None
    q, T, T_ref = jnp.broadcast_arrays(q, T, T_ref)
    return maybe_throw(_potential(q, T, T_ref, p), throw, "potential", field="dV")


@functools.partial(jax.jit, static_argnums=3)
def _potential(q, T, T_ref, p):
    if q.ndim == 0:
        return _potential_one(q, T, T_ref, p)
    out = jax.vmap(lambda a, b, c: _potential_one(a, b, c, p))(q.ravel(), T.ravel(), T_ref.ravel())
    return FPValue(*(x.reshape(q.shape) for x in out))


def _potential_one(q, T, T_ref, p):
    beta, beta_ref = 1.0 / T, 1.0 / T_ref
    qt, status, steps = _solve_qt(q, beta, p)  # differentiable: implicit function theorem (optimistix)
    return FPValue(-T * _phi(qt, q, beta, beta_ref, p), qt, status, steps)


class StationaryPoints(NamedTuple):
    q_max: float  #: the barrier (local maximum of dV), nan above T_d
    q_min: float  #: the metastable state (secondary minimum), nan above T_d
    dV_max: float
    dV_min: float


def _stationary_temperature_sq(q, p):
    return 0.5 * p * q ** (p - 2) * (1.0 - q)


def stationary_points(T: float, p: int = 3) -> StationaryPoints:
    """Interior stationary points of ``dV`` at ``T``: the roots of ``T^2 = (p/2) q^(p-2) (1-q)``
    on either side of ``q_d`` (brentq, float64), with their ``dV`` (nan for ``T > T_d``)."""
    from scipy import optimize  # imported on use (~0.3 s at import)

    p = _check_p(p)
    T = float(_check_temperature(T))
    q_d = (p - 2) / (p - 1)
    f = lambda q: _stationary_temperature_sq(q, p) - T**2  # noqa: E731
    if f(q_d) < 0:
        return StationaryPoints(math.nan, math.nan, math.nan, math.nan)
    lo = optimize.brentq(f, 1e-300, q_d, xtol=1e-16, rtol=1e-15) if f(q_d) > 0 else q_d
    hi = optimize.brentq(f, q_d, 1.0 - 1e-16, xtol=1e-16, rtol=1e-15) if f(q_d) > 0 else q_d
    return StationaryPoints(lo, hi, _dV_stationary(lo, T, p), _dV_stationary(hi, T, p))


def _dV_stationary(q, T, p):
    beta = 1.0 / T
    return -T * (0.25 * beta**2 * q**p + 0.5 * math.log1p(-q) + 0.5 * q)


def complexity(T: float, p: int = 3) -> float:
    """``Sigma(T) = beta dV(q_min)`` on the metastable branch, ``-[q^2/(2p(1-q)) + q/2 +
    ln(1-q)/2]`` at ``q = q_min(T)``; nan above ``T_d``."""
    q = stationary_points(T, p).q_min
    return math.nan if math.isnan(q) else _complexity_of_q(q, p)


def _complexity_of_q(q, p):
    return -(q**2 / (2 * p * (1 - q)) + 0.5 * q + 0.5 * math.log1p(-q))


class Transitions(NamedTuple):
    T_d: float  #: dynamical temperature (the secondary minimum appears)
    q_d: float
    sigma_d: float  #: complexity at T_d
    T_K: float  #: Kauzmann temperature (the complexity vanishes)
    q_K: float


def dynamical_temperature(p: int = 3) -> tuple[float, float]:
    """``(T_d, q_d)``: ``T_d^2 = p (p-2)^(p-2) / (2 (p-1)^(p-1))``, ``q_d = (p-2)/(p-1)``."""
    p = _check_p(p)
    return math.sqrt(p * (p - 2) ** (p - 2) / (2 * (p - 1) ** (p - 1))), (p - 2) / (p - 1)


def kauzmann_temperature(p: int = 3) -> tuple[float, float]:
    """``(T_K, q_K)``: ``Sigma(q_K) = 0`` on the metastable branch (brentq on ``(q_d, 1)``), then
    ``T_K^2 = (p/2) q_K^(p-2) (1 - q_K)``."""
    from scipy import optimize

    p = _check_p(p)
    q_d = (p - 2) / (p - 1)
    q_K = optimize.brentq(lambda q: _complexity_of_q(q, p), q_d, 1.0 - 1e-12, xtol=1e-16, rtol=1e-15)
    return math.sqrt(_stationary_temperature_sq(q_K, p)), q_K


def transitions(p: int = 3) -> Transitions:
    """``T_d``, ``q_d``, ``Sigma_d = ln(p-1)/2 - (p-2)/p``, ``T_K``, ``q_K``."""
    T_d, q_d = dynamical_temperature(p)
    T_K, q_K = kauzmann_temperature(p)
    return Transitions(T_d, q_d, 0.5 * math.log(p - 1) - (p - 2) / p, T_K, q_K)


def has_secondary_minimum(T, p: int = 3, *, points: int = 20_000) -> bool:
    """Whether ``dV`` evaluated on ``points`` values of ``q`` in ``(0, 1)`` has an interior local
    minimum (a numerical test, independent of the closed-form ``T_d``)."""
    p = _check_p(p)
    T = float(_check_temperature(as_float_array(T, "T", ndim=0)))
    q = jnp.linspace(0.0, 0.999, check_integer(points, "points", minimum=3))
    out = _potential(q, jnp.full_like(q, T), jnp.full_like(q, T), p)
    failed = int(np.sum(np.asarray(out.status) != int(Status.SUCCESS)))
    if failed:  # a NaN or unconverged value would silently hide (or fake) a minimum
        raise ConvergenceError(f"has_secondary_minimum: the potential's inner solve failed at {failed} of {q.size} "
                               f"points at T = {T!r}; the answer would not be reliable")
    v = np.asarray(out.dV)
    interior = (v[1:-1] < v[:-2]) & (v[1:-1] < v[2:])
    return bool(np.any(interior[1:]))  # index 0 (q = 0) is the paramagnet itself


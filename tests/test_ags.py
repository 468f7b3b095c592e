"""AGS replica-symmetric theory against independent computations (scipy, closed forms)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, special

from theorylab.numerics import ConvergenceError
from theorylab.statmech.ags import (
    ags_alpha_of_y,
    ags_critical_load,
    ags_critical_load_t0,
    ags_residual,
    ags_solve,
    ags_t0_equation,
)


def scipy_ags_iteration(alpha, beta, m0=1.0, steps=40000, nodes=150):
    """Independent reference: plain AGS iteration with scipy's probabilists' Hermite rule."""
    z, w = special.roots_hermitenorm(nodes)
    w = w / w.sum()
    m, q, r = m0, 1.0, 1.0
    for _ in range(steps):
        t = np.tanh(beta * (m + np.sqrt(alpha * r) * z))
        m_new, q_new = w @ t, w @ t**2
        r_new = q_new / (1 - beta * (1 - q_new)) ** 2
        done = max(abs(m_new - m), abs(q_new - q), abs(r_new - r)) < 1e-13
        m, q, r = m_new, q_new, r_new
        if done:
            break
    return m, q, r


def test_t0_critical_load_matches_scipy_maximisation():
    res = optimize.minimize_scalar(lambda y: -0.5 * (special.erf(y) / y - 2 / np.sqrt(np.pi) * np.exp(-y * y)) ** 2,
                                   bounds=(1.0, 2.0), method="bounded", options={"xatol": 1e-12})
    crit = ags_critical_load_t0()
    assert bool(crit.converged)
    assert float(crit.alpha_c) == pytest.approx(-res.fun, abs=1e-12)
    assert float(crit.m) == pytest.approx(special.erf(res.x), abs=1e-6)  # y* only to ~1e-6 from a flat maximum
    assert float(crit.alpha_c) == pytest.approx(0.137905566, abs=1e-9)  # sympy nsolve ((H8) of docs/theory/hebbian.md; proofs_checks/ags.py)


def retrieval_exists(alpha, beta, nodes=200):
    """Independent existence test by a 1-D reduction (scipy only).

    For a noise scale s = sqrt(alpha r), let m(s) be the largest root of m = E tanh(beta (m + s z))
    and q(s) = E tanh^2; the AGS equations then close on s = sqrt(alpha q) / |1 - beta (1 - q)|.
    A retrieval state exists iff Phi(s) = sqrt(alpha q)/|1 - beta(1 - q)| - s changes sign along
    the retrieval branch, i.e. from small s up to the first s where no root m > 0 is left.
    """
    z, w = special.roots_hermitenorm(nodes)
    w = w / w.sum()
    m_grid = np.linspace(1.0, 0.0, 401)
    phis = []
    for s in np.linspace(1e-3, 1.5, 600):
        f = np.array([w @ np.tanh(beta * (m + s * z)) - m for m in m_grid[:-1]])  # m > 0 only
        positive = np.nonzero(f > 0)[0]
        if positive.size == 0:
            break  # the retrieval branch of the first equation has ended
        k = positive[0]
        m = optimize.brentq(lambda mm: w @ np.tanh(beta * (mm + s * z)) - mm, m_grid[k], m_grid[k - 1], xtol=1e-14)
        q = w @ np.tanh(beta * (m + s * z)) ** 2
        phis.append(np.sqrt(alpha * q) / abs(1 - beta * (1 - q)) - s)
    phis = np.array(phis)
    return bool(np.any(phis[:-1] * phis[1:] < 0))


@pytest.mark.parametrize("T", [0.2, 0.5])
def test_finite_temperature_critical_load_brackets_independent_existence(T):
    beta = 1.0 / T
    alpha_c = float(ags_critical_load(T).alpha_c)
    assert retrieval_exists(alpha_c - 5e-4, beta)  # retrieval state exists just below alpha_c ...
    assert not retrieval_exists(alpha_c + 5e-4, beta)  # ... and is gone just above it


def test_retrieval_state_matches_independent_iteration():
    alpha, beta = 0.05, 5.0
    m, q, r = scipy_ags_iteration(alpha, beta)
    for solver in ("newton", "anderson", "picard"):
        state = ags_solve(alpha, beta, solver=solver)
        assert bool(state.converged), solver
        np.testing.assert_allclose([float(state.m), float(state.q), float(state.r)], [m, q, r], atol=1e-9)


def test_low_temperature_matches_zero_temperature_closed_form():
    alpha = 0.1
    y = optimize.brentq(lambda yy: special.erf(yy) - yy * (np.sqrt(2 * alpha) + 2 / np.sqrt(np.pi) * np.exp(-yy * yy)), 1.52, 5.0)
    state = ags_solve(alpha, 1e4)
    assert bool(state.converged)
    assert float(state.m) == pytest.approx(special.erf(y), abs=1e-6)


def test_curie_weiss_limit():
    for beta in (1.5, 2.0, 5.0):
        exact = optimize.brentq(lambda m: m - np.tanh(beta * m), 0.1, 1.0)
        assert float(ags_solve(0.0, beta).m) == pytest.approx(exact, abs=1e-12)


@given(st.floats(0.0, 0.1), st.floats(2.0, 60.0))
def test_bounds_and_gauge_symmetry(alpha, beta):
    up = ags_solve(alpha, beta, (1.0, 1.0, 1.0))
    down = ags_solve(alpha, beta, (-1.0, 1.0, 1.0))
    if not (bool(up.converged) and bool(down.converged)):
        return  # a reported failure is allowed; silent junk is not (checked below)
    m, q = float(up.m), float(up.q)
    eps = 1e-12  # quadrature weights sum to one only up to rounding
    assert abs(m) <= 1.0 + eps and -eps <= q <= 1.0 + eps and m * m <= q + eps
    assert float(down.m) == pytest.approx(-m, abs=1e-10)
    assert float(down.q) == pytest.approx(q, abs=1e-10)
    assert np.max(np.abs(np.asarray(ags_residual(jnp.array([m, q, np.log(float(up.r))]), alpha, beta)))) < 1e-8


def test_critical_line_is_decreasing_and_converged():
    T = jnp.array([0.0, 0.1, 0.3, 0.6, 0.8])
    line = ags_critical_load(T)
    assert np.all(np.asarray(line.converged))
    assert np.all(np.diff(np.asarray(line.alpha_c)) < 0)
    # the fold satisfies the AGS equations at its own alpha
    for t, a, m, q, r in zip(*(np.asarray(v) for v in (line.temperature, line.alpha_c, line.m, line.q, line.r))):
        if t > 0:
            assert np.max(np.abs(np.asarray(ags_residual(jnp.array([m, q, np.log(r)]), a, 1 / t)))) < 1e-9


def test_critical_load_zero_and_very_low_temperature():
    zero = ags_critical_load(0.0)
    # sympy nsolve of alpha'(y) = 0: (H8) of docs/theory/hebbian.md, proofs_checks/ags.py
    assert float(zero.alpha_c) == pytest.approx(0.137905566, abs=1e-9) and bool(zero.converged)
    both = ags_critical_load([0.01, 0.0])  # below the ladder start, unsorted
    assert np.all(np.asarray(both.converged))
    assert float(both.alpha_c[1]) == float(zero.alpha_c)
    # RS re-entrance: alpha_c(T = 0.01) is slightly above alpha_c(0) (P1 of docs/theory/hebbian.md: 0.13810)
    assert float(both.alpha_c[0]) == pytest.approx(0.13810, abs=3e-5)


def test_t0_equation_vanishes_on_branch():
    y = jnp.linspace(0.5, 3.0, 7)
    np.testing.assert_allclose(np.asarray(ags_t0_equation(y, ags_alpha_of_y(y))), 0.0, atol=1e-14)


def test_solve_is_vmappable_over_a_grid():
    alphas = jnp.linspace(0.01, 0.1, 4)
    states = jax.vmap(lambda a: ags_solve(a, 10.0))(alphas)
    assert np.all(np.asarray(states.converged))
    assert np.all(np.diff(np.asarray(states.m)) < 0)


@pytest.mark.parametrize(
    "args,kwargs,exc,match",
    [
        ((-0.1, 2.0), {}, ValueError, r"`alpha` must be >= 0"),
        ((0.1, 0.0), {}, ValueError, r"`beta` must be > 0"),
        ((np.nan, 2.0), {}, ValueError, r"`alpha` must be finite"),
        ((0.1, np.inf), {}, ValueError, r"`beta` must be finite"),
        ((0.1, 2.0), {"solver": "bisection"}, ValueError, r"`solver` must be one of"),
        ((0.1, 2.0, (1.0, 1.0)), {}, ValueError, r"`init` must be \(m, q, r\)"),
        ((0.1, 2.0, (1.0, 1.5, 1.0)), {}, ValueError, r"`init\[1\] \(q\)` must lie in"),
        (("0.1", 2.0), {}, TypeError, r"`alpha` must be a real number"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ags_solve(*args, **kwargs)


def test_critical_load_bad_input():
    with pytest.raises(ValueError, match=r"`temperatures` must lie in \[0.0, 1.0\)"):
        ags_critical_load(1.2)
    with pytest.raises(ValueError, match=r"`temperatures` must be finite"):
        ags_critical_load([0.1, np.nan])


def test_paramagnet_above_t_g_is_returned_exactly():
    """Regression: above T_g = 1 + sqrt(alpha) Newton went to log r = -inf and returned NaN with
    SINGULAR. The independent value is the closed form: at q = 0 the equations read
    m = E tanh(beta m) (only m = 0 when beta < 1), q = E tanh^2(0) = 0 and r = q / (1 - beta)^2 = 0."""
    for alpha, beta in [(0.05, 0.5), (0.0, 0.9), (0.3, 0.6)]:
        assert beta * (1 + math.sqrt(alpha)) < 1  # above T_g
        for solver in ("newton", "picard"):
            st = ags_solve(alpha, beta, solver=solver)
            assert bool(st.converged), st.message
            assert float(st.m) == 0.0 and float(st.q) == 0.0 and float(st.r) == 0.0
            assert float(st.residual) == 0.0


def test_ags_solve_checks_its_limits():
    with pytest.raises(ValueError, match="`max_steps`"):
        ags_solve(0.05, 2.0, max_steps=0)
    with pytest.raises(ValueError, match="`tol`"):
        ags_solve(0.05, 2.0, tol=-1.0)
    st = ags_solve(0.05, 10.0, max_steps=1, tol=1e-14)
    assert not bool(st.converged) and "MAX_STEPS" in st.message
    with pytest.raises(ConvergenceError, match="ags_solve did not converge"):
        ags_solve(0.05, 10.0, max_steps=1, tol=1e-14, throw=True)

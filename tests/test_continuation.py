"""Continuation and fold location against closed-form folds."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theorylab.numerics import Status, find_folds, locate_fold, pseudo_arclength


def curie_weiss(x, h, beta):
    """m = tanh(beta (m + h)): folds at m* = +-sqrt(1 - 1/beta), h* = -+(atanh(m*)/beta - m*)."""
    return x - jnp.tanh(beta * (x + h))


def cw_fold(beta):
    m = np.sqrt(1 - 1 / beta)
    return m, np.arctanh(m) / beta - m


def cubic(x, lam, _):
    """x^3 - x + lam = 0, i.e. lam = x - x^3: folds at x = +-1/sqrt(3), lam = +-2/(3 sqrt 3)."""
    return x**3 - x + lam


@pytest.mark.parametrize("method", ["det", "null_vector"])
def test_locate_fold_curie_weiss_to_1e_8(method):
    beta = 2.0
    m_star, h_star = cw_fold(beta)
    sol = locate_fold(curie_weiss, jnp.array([0.6]), -0.2, beta, method=method)
    assert bool(sol.converged)
    assert abs(float(sol.value.x[0]) - m_star) < 1e-8
    assert abs(float(sol.value.lam) - h_star) < 1e-8
    assert abs(abs(float(sol.value.null_vector[0])) - 1.0) < 1e-12


def test_arclength_passes_both_folds_of_the_cubic_and_locates_them():
    br = pseudo_arclength(cubic, jnp.array([-1.5]), 1.875, None, step=0.05, max_points=400,
                          direction=-1, lam_bounds=(-2.0, 2.0))
    assert int(br.status) == Status.SUCCESS
    n = int(br.num_points)
    x, lam = np.asarray(br.x[:n, 0]), np.asarray(br.lam[:n])
    # every accepted point is on the curve, and the branch went from x = -1.5 to x > 1
    np.testing.assert_allclose(x**3 - x + lam, 0.0, atol=1e-9)
    assert x[0] < -1.4 and x[-1] > 1.0
    folds = find_folds(br, cubic)
    assert len(folds) == 2
    found = sorted((float(f.value.x[0]), float(f.value.lam)) for f in folds)
    r = 1 / np.sqrt(3)
    np.testing.assert_allclose(found, [(-r, -2 * r / 3), (r, 2 * r / 3)], atol=1e-10)


def test_arclength_goes_around_a_circle():
    # x^2 + lam^2 = 1: two folds in lam (at lam = +-1); following it from (1, 0) upward returns near the start
    circle = lambda x, lam, _: x**2 + lam**2 - 1.0
    br = pseudo_arclength(circle, jnp.array([1.0]), 0.0, None, step=0.05, max_step=0.1, max_points=80)
    n = int(br.num_points)
    x, lam = np.asarray(br.x[:n, 0]), np.asarray(br.lam[:n])
    np.testing.assert_allclose(np.hypot(x, lam), 1.0, atol=1e-9)
    angle = np.unwrap(np.arctan2(lam, x))
    assert angle[-1] - angle[0] > 2 * np.pi * 0.9
    assert len(br.fold_brackets()) >= 2


def test_two_dimensional_system_fold():
    # y follows x; the fold in lam is the Curie-Weiss one for x
    beta = 3.0

    def F(v, h, b):
        return jnp.stack([v[0] - jnp.tanh(b * (v[0] + h)), v[1] - 0.5 * v[0] ** 2])

    br = pseudo_arclength(F, jnp.array([0.99, 0.49]), 0.5, beta, step=0.05, direction=-1, max_points=150,
                          lam_bounds=(-1.0, 1.0))
    folds = find_folds(br, F, beta)
    m_star, h_star = cw_fold(beta)
    fold = min(folds, key=lambda f: float(f.value.lam))
    assert abs(float(fold.value.lam) - (-h_star if h_star > 0 else h_star)) < 1e-8
    assert abs(abs(float(fold.value.x[0])) - m_star) < 1e-8
    assert float(fold.value.x[1]) == pytest.approx(0.5 * m_star**2, abs=1e-8)


@given(st.floats(1.2, 8.0))
def test_fold_location_property_over_beta(beta):
    m_star, h_star = cw_fold(beta)
    sol = locate_fold(curie_weiss, jnp.array([m_star + 0.05]), h_star + 0.01, beta)
    assert bool(sol.converged)
    assert abs(float(sol.value.lam) - h_star) < 1e-8


def test_locate_fold_vmaps_over_parameters():
    betas = jnp.array([1.5, 2.0, 4.0])
    m_star, h_star = (np.array(v) for v in zip(*[cw_fold(b) for b in np.asarray(betas)]))
    x0 = jnp.asarray(m_star[:, None] + 0.03)
    lam0 = jnp.asarray(h_star + 0.02)

    def solve(x, lam, b):
        return locate_fold(curie_weiss, x, lam, b)

    sols = jax.vmap(solve)(x0, lam0, betas)
    assert np.all(np.asarray(sols.converged))
    np.testing.assert_allclose(np.asarray(sols.value.lam), h_star, atol=1e-9)
    np.testing.assert_allclose(np.asarray(sols.value.x[:, 0]), m_star, atol=1e-9)


def test_continuation_reports_an_uncorrectable_start():
    br = pseudo_arclength(lambda x, lam, _: x**2 + 1.0 + 0 * lam, jnp.array([0.3]), 0.0)
    assert int(br.status) == Status.NONFINITE
    assert int(br.num_points) == 1


def test_bad_input():
    with pytest.raises(ValueError, match=r"must return a residual of shape \(2,\)"):
        pseudo_arclength(lambda x, lam, _: x[:1], jnp.zeros(2), 0.0)
    with pytest.raises(ValueError, match=r"`x0` must have 1 dimension"):
        locate_fold(cubic, jnp.array(0.5), 0.0)
    with pytest.raises(ValueError, match=r"`method` must be one of"):
        locate_fold(cubic, jnp.array([0.5]), 0.0, method="bisection")
    with pytest.raises(ValueError, match=r"`direction` must be \+1 or -1"):
        pseudo_arclength(cubic, jnp.array([0.5]), 0.0, direction=0.5)
    with pytest.raises(ValueError, match=r"`lam0` must be finite"):
        pseudo_arclength(cubic, jnp.array([0.5]), np.nan)

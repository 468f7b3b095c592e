"""Quadrature against independent truth: sympy integrals, scipy.integrate.quad, closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special

from theorylab.numerics import gauss_hermite, gauss_legendre, gaussian_expectation, kinked_gaussian_rule

Z = sp.symbols("z", real=True)
PHI = sp.exp(-Z**2 / 2) / sp.sqrt(2 * sp.pi)


@pytest.mark.parametrize("order", [2, 5, 12])
def test_gauss_hermite_exact_on_random_polynomials(order):
    rng = np.random.default_rng(order)
    coeffs = rng.normal(size=2 * order)  # degree 2n - 1
    poly = sum(sp.Float(c) * Z**k for k, c in enumerate(coeffs))
    exact = float(sp.integrate(poly * PHI, (Z, -sp.oo, sp.oo)))
    got = float(gauss_hermite(order).expect(lambda z: jnp.polyval(jnp.asarray(coeffs[::-1]), z)))
    scale = float(sp.integrate(sum(abs(sp.Float(c)) * sp.Abs(Z) ** k for k, c in enumerate(coeffs)) * PHI, (Z, -sp.oo, sp.oo)))
    assert abs(got - exact) <= 1e-13 * scale


@pytest.mark.parametrize("order,lower,upper", [(3, -1.0, 1.0), (6, 0.25, 3.5), (10, -7.0, -2.0)])
def test_gauss_legendre_exact_on_polynomials(order, lower, upper):
    x = sp.symbols("x", real=True)
    rng = np.random.default_rng(7)
    coeffs = rng.normal(size=2 * order)
    poly = sum(sp.Float(c) * x**k for k, c in enumerate(coeffs))
    exact = float(sp.integrate(poly, (x, lower, upper)))
    got = float(gauss_legendre(order, lower, upper).expect(lambda t: jnp.polyval(jnp.asarray(coeffs[::-1]), t)))
    assert got == pytest.approx(exact, rel=1e-12, abs=1e-12)


@given(st.integers(2, 40), st.randoms(use_true_random=False))
def test_rule_invariant_under_node_order(order, rnd):
    rule = gauss_hermite(order)
    perm = np.array(rnd.sample(range(order), order))
    f = lambda z: jnp.cos(1.3 * z) + z**3
    shuffled = type(rule)(rule.nodes[perm], rule.weights[perm])
    assert float(shuffled.expect(f)) == pytest.approx(float(rule.expect(f)), abs=1e-14)


@given(st.floats(-3, 3), st.floats(-3, 3))
def test_expectation_is_linear(a, b):
    rule = gauss_hermite(30)
    f, g = (lambda z: jnp.sin(z) ** 2), (lambda z: jnp.exp(0.3 * z))
    lhs = rule.expect(lambda z: a * f(z) + b * g(z))
    rhs = a * rule.expect(f) + b * rule.expect(g)
    assert float(lhs) == pytest.approx(float(rhs), abs=1e-13)


def test_gauss_hermite_weights_sum_to_one_and_symmetric():
    rule = gauss_hermite(51)
    assert float(rule.weights.sum()) == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(np.sort(np.asarray(rule.nodes)), -np.sort(np.asarray(rule.nodes))[::-1], atol=1e-13)


def test_expect_handles_vector_valued_integrands():
    rule = gauss_hermite(10)
    out = rule.expect(lambda z: jnp.stack([z**2, z**4], axis=-1))
    np.testing.assert_allclose(np.asarray(out), [1.0, 3.0], rtol=1e-13)


@pytest.mark.parametrize("beta", [3.0, 40.0, 1e4])
def test_kinked_rule_matches_scipy_quad_on_tanh(beta):
    m, s = 0.8, 0.55
    f = lambda z: np.tanh(beta * (m + s * z)) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    z0 = -m / s
    pts = [z0 - 1e-2, z0, z0 + 1e-2]
    ref = integrate.quad(f, -40, 40, points=pts, limit=500, epsabs=1e-13, epsrel=1e-13)[0]
    rule = kinked_gaussian_rule(z0, 20.0 / (beta * s), order=64)
    got = float(rule.expect(lambda z: jnp.tanh(beta * (m + s * z))))
    assert got == pytest.approx(ref, abs=1e-11)


def test_kinked_rule_recovers_zero_temperature_limit_where_hermite_fails():
    # E sign(m + s z) = erf(m / (s sqrt 2)); 81-node GH is off by ~1e-2 (P6 of docs/theory/hebbian.md)
    m, s, beta = 1.0, 1.0, 1e6
    exact = special.erf(m / (s * np.sqrt(2)))
    kink = kinked_gaussian_rule(-m / s, 20 / (beta * s)).expect(lambda z: jnp.tanh(beta * (m + s * z)))
    gh = gauss_hermite(81).expect(lambda z: jnp.tanh(beta * (m + s * z)))
    assert float(kink) == pytest.approx(exact, abs=1e-12)
    assert abs(float(gh) - exact) > 1e-3


def test_kinked_rule_is_jit_and_vmap_compatible():
    def mean_tanh(m):
        rule = kinked_gaussian_rule(-m, 20.0 / 50.0, order=32)  # the documented width 20/(beta s)
        return rule.expect(lambda z: jnp.tanh(50.0 * (m + z)))

    ms = jnp.linspace(-1, 1, 5)
    got = jax.jit(jax.vmap(mean_tanh))(ms)
    ref = [integrate.quad(lambda z: np.tanh(50 * (mm + z)) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi), -30, 30,
                          points=[-mm], limit=400, epsabs=1e-13)[0] for mm in np.asarray(ms)]
    np.testing.assert_allclose(np.asarray(got), ref, atol=1e-11)
    # antisymmetry m -> -m of an odd integrand
    assert float(got[0]) == pytest.approx(-float(got[-1]), abs=1e-14)


def test_kinked_rule_far_outside_cutoff_is_still_a_probability_rule():
    rule = kinked_gaussian_rule(1e6, 1.0)
    assert float(rule.weights.sum()) == pytest.approx(1.0, abs=1e-14)


def test_gaussian_expectation_with_mean_and_std():
    got = gaussian_expectation(lambda x: x**2, mean=1.5, std=0.4, order=8)
    assert float(got) == pytest.approx(1.5**2 + 0.4**2, rel=1e-14)
    got_kink = gaussian_expectation(lambda x: jnp.abs(x), mean=0.3, std=2.0, kink=0.0, width=0.5)
    # E|X| for X ~ N(mu, s^2): s sqrt(2/pi) e^{-mu^2/2s^2} + mu (1 - 2 Phi(-mu/s))
    mu, sd = 0.3, 2.0
    exact = sd * np.sqrt(2 / np.pi) * np.exp(-mu**2 / (2 * sd**2)) + mu * (1 - 2 * special.ndtr(-mu / sd))
    assert float(got_kink) == pytest.approx(exact, abs=1e-13)


def test_bad_input():
    with pytest.raises(ValueError, match=r"`order` must be >= 2"):
        gauss_hermite(1)
    with pytest.raises(TypeError, match=r"`order` must be an integer"):
        gauss_legendre(3.5)
    with pytest.raises(ValueError, match=r"`width` must be given"):
        gaussian_expectation(jnp.sin, kink=0.0)
    with pytest.raises(ValueError, match=r"`cutoff` must be > 0"):
        kinked_gaussian_rule(0.0, 1.0, cutoff=-1.0)


@pytest.mark.parametrize("order", [370, 371, 388, 400])
def test_gauss_hermite_stays_finite_for_every_allowed_order(order):
    """Regression: NumPy's hermegauss overflowed above order ~370 (all-NaN weights). Independent
    values: the N(0, 1) moments E z^2 = 1, E z^4 = 3 and E cos z = exp(-1/2)."""
    rule = gauss_hermite(order)
    w, x = np.asarray(rule.weights), np.asarray(rule.nodes)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(x)) and np.all(w >= 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert (w * x**2).sum() == pytest.approx(1.0, abs=1e-13)
    assert (w * x**4).sum() == pytest.approx(3.0, abs=1e-12)
    assert (w * np.cos(x)).sum() == pytest.approx(np.exp(-0.5), abs=1e-14)

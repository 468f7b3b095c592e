"""Gaussian moments and the exactness degree of the quadrature rules, checked with sympy."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check

z = sp.symbols("z", real=True)
_PHI = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)


def gaussian_moment(k: int) -> sp.Expr:
    """E[z^k] for z ~ N(0, 1), by symbolic integration."""
    return sp.integrate(z**k * _PHI, (z, -sp.oo, sp.oo))


def absolute_moment(k: int) -> sp.Expr:
    """E|z|^k, the natural scale of the rounding error in a quadrature sum of z^k."""
    return 2 * sp.integrate(z**k * _PHI, (z, 0, sp.oo))


@symbolic_check
def check_gaussian_moments_are_double_factorials() -> CheckResult:
    """E z^k = (k-1)!! for even k and 0 for odd k (k <= 12)."""
    bad = [k for k in range(13) if sp.simplify(gaussian_moment(k) - (sp.factorial2(k - 1) if k % 2 == 0 else 0)) != 0]
    return CheckResult("gaussian moments", not bad, f"mismatch at k = {bad}" if bad else "k = 0..12 agree")


@symbolic_check
def check_gauss_hermite_exactness_degree() -> CheckResult:
    """The n-node probabilists' rule integrates z^k exactly (relative to E|z|^k) for k <= 2n-1, and not z^{2n}."""
    from theorylab.numerics import gauss_hermite

    worst, fails_at_2n = 0.0, True
    for n in (2, 3, 5, 8):
        rule = gauss_hermite(n)
        for k in range(2 * n):
            exact = float(gaussian_moment(k))  # odd k: exactly 0, so measure error against E|z|^k
            worst = max(worst, abs(float(rule.expect(lambda x: x**k)) - exact) / float(absolute_moment(k)))
        exact_2n = float(gaussian_moment(2 * n))
        fails_at_2n &= abs(float(rule.expect(lambda x: x ** (2 * n))) - exact_2n) > 1e-6 * exact_2n
    ok = worst < 1e-12 and fails_at_2n
    return CheckResult("Gauss-Hermite degree", ok, f"max relative error up to degree 2n-1: {worst:.1e}; degree 2n inexact: {fails_at_2n}")


@symbolic_check
def check_gauss_legendre_exactness_degree() -> CheckResult:
    """The n-node Legendre rule on [a, b] integrates x^k exactly for k <= 2n-1."""
    from theorylab.numerics import gauss_legendre

    x = sp.symbols("x", real=True)
    a, b = sp.Rational(-3, 10), sp.Rational(17, 10)
    worst = 0.0
    for n in (2, 4, 7):
        rule = gauss_legendre(n, float(a), float(b))
        for k in range(2 * n):
            exact = float(sp.integrate(x**k, (x, a, b)))
            worst = max(worst, abs(float(rule.expect(lambda t: t**k)) - exact) / max(1.0, abs(exact)))
    return CheckResult("Gauss-Legendre degree", worst < 1e-12, f"max relative error {worst:.1e}")


@symbolic_check
def check_kinked_rule_on_a_step() -> CheckResult:
    """E sign(m + s z) = erf(m / (s sqrt 2)); the kink-aware rule reproduces it, plain GH does not."""
    from theorylab.numerics import gauss_hermite, kinked_gaussian_rule

    m, s = 0.7, 1.3
    exact = float(sp.erf(sp.Rational(7, 10) / (sp.Rational(13, 10) * sp.sqrt(2))))
    kink = kinked_gaussian_rule(-m / s, 1e-3, order=32).expect(lambda t: np.sign(m + s * t))
    gh = gauss_hermite(81).expect(lambda t: np.sign(m + s * t))
    err_kink, err_gh = abs(float(kink) - exact), abs(float(gh) - exact)
    return CheckResult("kink-aware rule", err_kink < 1e-12 and err_gh > 1e-3,
                       f"kink-aware error {err_kink:.1e}, 81-node Gauss-Hermite error {err_gh:.1e}")

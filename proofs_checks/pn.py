"""The p-n criterion's risk expansion (theorylab.infogeo), derived and checked with sympy.

* The Bregman remainder D = phi(mu) - phi(mu + d) + d phi'(mu + d) has Taylor coefficients (k-1)/k!.
* Series of the exact finite-n risks in 1/n give C1 and C2 independently of the autodiff formula:
  exponential <- Gamma(k), normal <- normal, and the correctly specified MVN for d = 2, 3.
* The normal-model C2 in terms of skewness, kurtosis and sixth moment follows from the
  mean-coordinate formula C2 = 1/3 phi_ijk kappa_ijk + 3/8 phi_ijkl Sigma_ij Sigma_kl.
"""

from __future__ import annotations

import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check

h = sp.symbols("h", positive=True)  # h = 1/n


def bregman_taylor_coefficients(kmax: int = 6) -> dict[int, sp.Expr]:
    """Coefficient of phi^(k)(mu) d^k in the expansion of the Bregman remainder (1-D)."""
    mu, d = sp.symbols("mu d")
    derivs = sp.symbols(f"f2:{kmax + 2}")  # f2 .. f_{kmax+1}: phi^(k)(mu)
    phi = sum(derivs[k - 2] * (sp.Symbol("x") - mu) ** k / sp.factorial(k) for k in range(2, kmax + 2))
    x = sp.Symbol("x")
    remainder = phi.subs(x, mu) - phi.subs(x, mu + d) + d * sp.diff(phi, x).subs(x, mu + d)
    poly = sp.Poly(sp.expand(remainder), d)
    return {k: sp.simplify(poly.coeff_monomial(d**k).coeff(derivs[k - 2])) for k in range(2, kmax + 1)}


@symbolic_check
def check_bregman_taylor_coefficients() -> CheckResult:
    """(k-1)/k! = 1/2, 1/3, 1/8, 1/30, 1/144 for k = 2..6."""
    coeffs = bregman_taylor_coefficients()
    ok = all(sp.simplify(c - sp.Rational(k - 1, 1) / sp.factorial(k)) == 0 for k, c in coeffs.items())
    return CheckResult("Bregman Taylor coefficients", ok, ", ".join(f"k={k}: {c}" for k, c in coeffs.items()))


def series_coefficients(exact_risk: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(C1, C2) from the series of an exact risk written in h = 1/n."""
    s = sp.series(exact_risk, h, 0, 3).removeO()
    return sp.simplify(s.coeff(h, 1)), sp.simplify(s.coeff(h, 2))


def exponential_gamma_coefficients():
    k = sp.symbols("k", positive=True)
    nk = k / h
    return k, series_coefficients(sp.digamma(nk) - sp.log(nk) + 1 / (nk - 1))


def mvn_coefficients(d: int):
    n = 1 / h
    exact = sp.Rational(1, 2) * (sp.Rational(d * (d + 3)) / (n - d - 2)
                                 + sum(sp.digamma((n - i) / 2) for i in range(1, d + 1)) - d * sp.log(n / 2))
    return series_coefficients(exact)


@symbolic_check
def check_exponential_gamma() -> CheckResult:
    """Exact risk psi(nk) - log(nk) + 1/(nk-1) gives C1 = 1/(2k), C2 = 11/(12k^2); autodiff agrees to 1e-12."""
    import numpy as np

    from theorylab.infogeo import exponential, risk_coefficients, truth_from_raw_moments

    k, (c1, c2) = exponential_gamma_coefficients()
    symbolic_ok = sp.simplify(c1 - 1 / (2 * k)) == 0 and sp.simplify(c2 - sp.Rational(11, 12) / k**2) == 0
    worst = 0.0
    for kv in (0.5, 2.0, 7.0):
        moments = [float(sp.gamma(kv + j) / sp.gamma(kv)) for j in range(4)]  # Gamma(k, rate 1): E x^j
        co = risk_coefficients(exponential(), truth_from_raw_moments(moments, [1]))
        worst = max(worst, abs(float(co.C1) - float(c1.subs(k, kv))), abs(float(co.C2) - float(c2.subs(k, kv))))
    return CheckResult("exponential <- Gamma(k)", symbolic_ok and worst < 1e-12 and np.isfinite(worst),
                       f"series: C1 = {c1}, C2 = {c2}; autodiff off by {worst:.1e}")


@symbolic_check
def check_normal_and_mvn() -> CheckResult:
    """Correctly specified (M)VN: series give C1 = p/2 and C2 = 61/12, 203/12, 38 (d = 1, 2, 3); autodiff agrees to 1e-10."""
    from theorylab.infogeo import mvn, normal, risk_coefficients, truth_from_model

    details, ok = [], True
    for d in (1, 2, 3):
        c1, c2 = mvn_coefficients(d)
        fam = normal() if d == 1 else mvn(d)
        co = risk_coefficients(fam, truth_from_model(fam, fam.theta_init))
        err = max(abs(float(co.C1) - float(c1)), abs(float(co.C2) - float(c2)))
        ok &= err < 1e-10 and sp.simplify(c1 - sp.Rational(d * (d + 3), 4)) == 0
        details.append(f"d={d}: C1 = {c1}, C2 = {c2} (autodiff off by {err:.1e})")
    return CheckResult("normal / MVN series", ok, "; ".join(details))


def normal_model_c2_formula():
    """C2 of the normal model for a standardised truth with E x^3 = g1, E x^4 = b2, E x^6 = m6 (mean coordinates)."""
    e1, e2 = sp.symbols("e1 e2", real=True)
    g1, b2, m5, m6 = sp.symbols("gamma1 beta2 mu5 mu6", real=True)
    # phi = negative entropy of N(e1, e2 - e1^2), up to a constant
    phi = -sp.Rational(1, 2) * sp.log(e2 - e1**2)
    at = {e1: 0, e2: 1}
    raw = {0: 1, 1: 0, 2: 1, 3: g1, 4: b2, 5: m5, 6: m6}
    deg = [1, 2]
    mean = [raw[a] for a in deg]
    cov = [[raw[a + b] - raw[a] * raw[b] for b in deg] for a in deg]
    k3 = [[[raw[a + b + c] - raw[a + b] * raw[c] - raw[a + c] * raw[b] - raw[b + c] * raw[a] + 2 * raw[a] * raw[b] * raw[c]
            for c in deg] for b in deg] for a in deg]
    del mean
    v = [e1, e2]
    d3 = lambda i, j, k: sp.diff(phi, v[i], v[j], v[k]).subs(at)
    d4 = lambda i, j, k, l: sp.diff(phi, v[i], v[j], v[k], v[l]).subs(at)
    r = range(2)
    c2 = (sp.Rational(1, 3) * sum(d3(i, j, k) * k3[i][j][k] for i in r for j in r for k in r)
          + sp.Rational(3, 8) * sum(d4(i, j, k, l) * cov[i][j] * cov[k][l] for i in r for j in r for k in r for l in r))
    return sp.expand(c2), (g1, b2, m6)


@symbolic_check
def check_normal_model_moment_formula() -> CheckResult:
    """C2 = 9 b2^2/8 - 3 b2/4 + 3 g1^2 - m6/3 + 53/24, with no fifth moment; = 61/12 for a Gaussian truth."""
    c2, (g1, b2, m6) = normal_model_c2_formula()
    target = sp.Rational(9, 8) * b2**2 - sp.Rational(3, 4) * b2 + 3 * g1**2 - m6 / 3 + sp.Rational(53, 24)
    ok = sp.simplify(c2 - target) == 0 and sp.simplify(c2.subs({g1: 0, b2: 3, m6: 15}) - sp.Rational(61, 12)) == 0
    return CheckResult("normal-model C2 in moments", ok, f"C2 = {c2}")

"""The dense Hebbian formulas used by :mod:`theorylab.statmech.hebbian`, derived with sympy.

Each check derives a formula symbolically and compares it with the numeric code: the example-noise
moments, the Hermite identity behind the two index conventions, the stationarity of the RS free
entropy (which gives the self-consistency equations), the closed erf forms of the zero-temperature
limit, Newton's identity for the distinct-index energy, and the dense capacity equation.
"""

from __future__ import annotations

import math

import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check

r, M, p = sp.symbols("r M p", positive=True)
x, c, d, lam = sp.symbols("x c d lambda", real=True)


@symbolic_check
def check_example_noise_moments() -> CheckResult:
    """chi_bar = (2B - M)/M, B ~ Bin(M, (1+r)/2): E = r, Var = (1-r^2)/M, E chi_bar^2 = r^2 (1 + rho)."""
    from theorylab.statmech.hebbian import DatasetParams

    mean_B, var_B = M * p, M * p * (1 - p)  # binomial moments
    sub = {p: (1 + r) / 2}
    mean = sp.simplify(((2 * mean_B - M) / M).subs(sub))
    var = sp.simplify((4 * var_B / M**2).subs(sub))
    rho = (1 - r**2) / (M * r**2)
    second = sp.simplify(var + mean**2 - r**2 * (1 + rho))
    chi_hat_var = sp.simplify(var / r**2 - rho)
    ok = mean == r and sp.simplify(var - (1 - r**2) / M) == 0 and second == 0 and chi_hat_var == 0
    worst = 0.0
    for rv, Mv in ((0.5, 3), (0.3, 10), (0.9, 1)):
        data = DatasetParams(rv, Mv, "exact")
        worst = max(worst, abs(data.second_moment - float((r**2 * (1 + rho)).subs({r: rv, M: Mv}))))
        worst = max(worst, abs(data.rho - float(rho.subs({r: rv, M: Mv}))))
    return CheckResult("hebbian example-noise moments", bool(ok) and worst < 1e-14,
                       f"E chi_bar = {mean}, Var = {var}; code's rho and R off by {worst:.1e}")


def hermite_coefficients(P: int) -> list:
    """c_k with x^P = sum_k c_k He_k(x), by sympy (probabilists' Hermite He_k)."""
    He = [sp.Integer(1), x]
    for k in range(1, P):
        He.append(sp.expand(x * He[k] - k * He[k - 1]))
    rest = sp.expand(x**P)
    coeffs = [sp.Integer(0)] * (P + 1)
    for k in range(P, -1, -1):
        ck = sp.Poly(rest, x).coeff_monomial(x**k) if rest != 0 else 0
        coeffs[k] = ck
        rest = sp.expand(rest - ck * He[k])
    assert rest == 0
    return coeffs


@symbolic_check
def check_hermite_identity() -> CheckResult:
    """sum_k k c_k^2 k! = P^2 (2P-3)!! for P = 2..8; the code's all-index phi'(1) equals it."""
    from theorylab.statmech.hebbian import DenseHebbian

    lines, ok = [], True
    for P in range(2, 9):
        cs = hermite_coefficients(P)
        total = sum(k * cs[k] ** 2 * sp.factorial(k) for k in range(1, P + 1))
        target = P**2 * sp.factorial2(2 * P - 3)
        ok &= sp.simplify(total - target) == 0
        if P >= 4 and P % 2 == 0:
            ok &= abs(DenseHebbian(P, "all").noise_covariance_prime(1.0) - float(total)) < 1e-9 * float(total)
        lines.append(f"P={P}: {total}")
    return CheckResult("hebbian Hermite identity", bool(ok), "; ".join(lines))


@symbolic_check
def check_free_entropy_stationarity() -> CheckResult:
    r"""dA/dn = bP(P-1)n^{P-2}(E[y tanh h] - n) and dA/dq = xi''(q)/2 (q - E tanh^2 h).

    Symbolic part: with h = bPn^{P-1}y + z sqrt(xi'(q)), differentiate A under the expectation; the
    z-term is turned into E[1 - tanh^2 h] by Stein's lemma E[z g(z)] = E[g'(z)], itself checked by
    sympy for g = z^3 and g = e^{tz}. Numeric part: the code's autodiff gradient of ``rs_free_entropy``
    equals these expressions at random points (P = 4, both conventions, CLT and exact laws).
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    from theorylab.statmech.hebbian import (
        DatasetParams,
        DenseHebbian,
        rs_free_entropy,
        site_averages,
    )

    z, t = sp.symbols("z t", real=True)
    phi = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    stein_ok = all(
        sp.simplify(sp.integrate(z * g * phi, (z, -sp.oo, sp.oo)) - sp.integrate(sp.diff(g, z) * phi, (z, -sp.oo, sp.oo))) == 0
        for g in (z**3, sp.exp(t * z))
    )
    # the deterministic part of dA/dq
    q = sp.symbols("q", positive=True)
    xi = sp.Function("xi")
    det = sp.Rational(1, 2) * (xi(1) - xi(q) - (1 - q) * sp.diff(xi(q), q))
    det_ok = sp.simplify(sp.diff(det, q) + sp.Rational(1, 2) * (1 - q) * sp.diff(xi(q), q, 2)) == 0

    worst = 0.0
    rng = np.random.default_rng(0)
    for model, data in ((DenseHebbian(4), DatasetParams.from_rho(0.3)), (DenseHebbian(4, "all"), DatasetParams(0.6, 5, "exact"))):
        law = data.site_law()
        for _ in range(3):
            n, qq, alpha, beta = rng.uniform(0.3, 0.95), rng.uniform(0.3, 0.95), rng.uniform(0.001, 0.02), rng.uniform(8, 40)
            g = jax.grad(lambda u: rs_free_entropy(u, alpha, beta, model, law, order=64))(jnp.array([n, qq]))
            b = beta * model.scale
            P = model.P
            a = b * P * n ** (P - 1)
            s = b * np.sqrt(alpha * model.noise_covariance_prime(qq))
            e_yt, e_t2, _, _ = site_averages(a, s, law, order=64)
            phi2 = sum(w * k * (k - 1) * qq ** (k - 2) for k, w in zip(*model._coefficients()))
            dn = b * P * (P - 1) * n ** (P - 2) * (float(e_yt) - n)
            dq = 0.5 * b * b * alpha * phi2 * (qq - float(e_t2))
            worst = max(worst, abs(float(g[0]) - dn), abs(float(g[1]) - dq))
    return CheckResult("hebbian RS stationarity", bool(stein_ok and det_ok) and worst < 1e-9,
                       f"Stein's lemma and d/dq of the xi-bracket verified; autodiff vs formula: {worst:.1e}")


@symbolic_check
def check_zero_temperature_closed_forms() -> CheckResult:
    """E erf(c + d lam) = erf(c / sqrt(1 + 2 d^2)), E[lam erf(c + d lam)] = 2d e^{-c^2/(1+2d^2)} / sqrt(pi (1+2d^2)).

    Both sides vanish at c = 0 (odd in c) and have equal c-derivatives (a Gaussian integral sympy
    evaluates); the second follows from the first by Stein's lemma. The code's ``t0_averages`` agrees.
    """
    import jax.numpy as jnp

    from theorylab.statmech.hebbian import site_law_clt, t0_averages

    dd = sp.symbols("dd", positive=True)
    phi = sp.exp(-lam**2 / 2) / sp.sqrt(2 * sp.pi)
    lhs_dc = sp.integrate(sp.diff(sp.erf(c + dd * lam), c) * phi, (lam, -sp.oo, sp.oo))
    rhs = sp.erf(c / sp.sqrt(1 + 2 * dd**2))
    ok1 = sp.simplify(lhs_dc - sp.diff(rhs, c)) == 0
    stein = sp.integrate(sp.diff(sp.erf(c + dd * lam), lam) * phi, (lam, -sp.oo, sp.oo))
    target = 2 * dd * sp.exp(-c**2 / (1 + 2 * dd**2)) / sp.sqrt(sp.pi * (1 + 2 * dd**2))
    ok2 = sp.simplify(stein - target) == 0
    # compare with the code (CLT law: y = mu + sd lam)
    worst = 0.0
    for rho, u in ((0.2, 0.8), (1.0, 2.5), (0.05, 5.0)):
        mu, sd = 1 / math.sqrt(1 + rho), math.sqrt(rho / (1 + rho))
        e_erf = float(rhs.subs({c: u * mu, dd: u * sd}))
        e_yerf = mu * e_erf + sd * float(target.subs({c: u * mu, dd: u * sd}))
        got = t0_averages(jnp.asarray(u), site_law_clt(rho))
        worst = max(worst, abs(float(got[0]) - e_yerf), abs(float(got[1]) - e_erf))
    return CheckResult("hebbian T=0 erf forms", bool(ok1 and ok2) and worst < 1e-14,
                       f"symbolic identities hold; code off by {worst:.1e}")


@symbolic_check
def check_tanh_to_erf_limit() -> CheckResult:
    """E_z sign(a + s z) = erf(a / (s sqrt 2)): the beta -> infinity limit of E tanh(beta (a + s z))."""
    a, s, z = sp.symbols("a s z", positive=True)
    phi = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    e_sign = sp.integrate(phi, (z, -a / s, sp.oo)) - sp.integrate(phi, (z, -sp.oo, -a / s))
    e_sign = sp.simplify(e_sign.rewrite(sp.erf))
    ok = sp.simplify(e_sign - sp.erf(a / (s * sp.sqrt(2)))) == 0
    return CheckResult("hebbian tanh -> erf limit", bool(ok), f"E sign(a + s z) = {e_sign}")


@symbolic_check
def check_newton_identity_e4() -> CheckResult:
    """24 e_4 = p1^4 - 6 p1^2 p2 + 8 p1 p3 + 3 p2^2 - 6 p4 (5 variables); the MC energy uses it."""
    import numpy as np

    from theorylab.statmech.hebbian.montecarlo import _elementary

    v = sp.symbols("v0:5")
    e4 = sum(sp.Mul(*comb) for comb in __import__("itertools").combinations(v, 4))
    pk = [sum(vi**k for vi in v) for k in range(1, 5)]
    formula = (pk[0] ** 4 - 6 * pk[0] ** 2 * pk[1] + 8 * pk[0] * pk[2] + 3 * pk[1] ** 2 - 6 * pk[3]) / 24
    ok = sp.expand(formula - e4) == 0
    vals = np.random.default_rng(1).normal(size=(5,))
    p_num = np.array([[np.sum(vals**k)] for k in range(1, 5)])
    e4_num = float(e4.subs(dict(zip(v, vals))))
    err = abs(float(_elementary(p_num, 4)[0]) - e4_num)
    return CheckResult("hebbian Newton identity e_4", bool(ok) and err < 1e-12, f"code's e_4 off by {err:.1e}")


@symbolic_check
def check_dense_capacity_equation() -> CheckResult:
    """At rho = 0, T = 0: m = erf(m^{P-1}/sqrt(2 a)); a(u) = erf(u)^{2(P-1)}/(2u^2) is maximal where (P-1) u erf'(u) = erf(u)."""
    from theorylab.statmech.hebbian import capacity_constant

    u = sp.symbols("u", positive=True)
    worst, lines = 0.0, []
    for P in (4, 6, 8):
        a_u = sp.erf(u) ** (2 * (P - 1)) / (2 * u**2)
        stationarity = sp.simplify(sp.diff(a_u, u) * u**3 / sp.erf(u) ** (2 * P - 3))
        target = sp.simplify((P - 1) * u * sp.diff(sp.erf(u), u) - sp.erf(u))
        ok = sp.simplify(stationarity - target) == 0
        ustar = sp.nsolve(target, u, 1.3, prec=30)
        a_c = float(a_u.subs(u, ustar))
        got, _, _ = capacity_constant(P)
        worst = max(worst, abs(float(got) - a_c) if ok else math.inf)
        lines.append(f"P={P}: a_c={a_c:.10f}, alpha_c={a_c / math.factorial(P - 1):.8f}")
    return CheckResult("hebbian dense capacity", worst < 1e-12, "; ".join(lines) + f"; code off by {worst:.1e}")

"""Franz-Parisi potentials (theorylab.statmech.franz_parisi), derived and checked with sympy ((F1)-(F10) of docs/theory/franz_parisi.md).

* The inner saddle of the spherical p-spin potential: d/dqt of the RS exponent is
  ``(qt - q^2)/(2(1-qt)^2) - beta^2 p qt^(p-1)/4``; the reference temperature does not enter it.
* At ``qt = q`` the inner and outer conditions coincide and give ``T^2 = (p/2) q^(p-2) (1-q)``; its
  maximum gives ``q_d = (p-2)/(p-1)`` and ``T_d``; ``Sigma = beta dV`` on the branch and
  ``Sigma_d = ln(p-1)/2 - (p-2)/p``; ``T_K`` by ``nsolve``; all against the code.
* The small-q series ``dV = T q^2/2 - q^3/(2T) + O(q^4)`` (p = 3) against the code.
* The stationary values at T = 0.6: ``dV(0.4) = 0.6 (ln(5/3)/2 - 11/45)``, ``dV(0.6) = 0.6 (ln(5/2)/2 - 0.45)``.
* Saddle-point equations as stationarity: for the Gaussian-prior surrogate of ``G_S``
  (``m`` real with weight ``e^{-m^2/2}``), ``q = -2 dG/dqh``, ``r = dG/drh``, ``q* = dG/dqh*`` equal
  ``E<m>^2, E<m>, E<m^2>`` computed directly.
* The Gaussian smoothing identity ``E_x H(a + b x) = H(a / sqrt(1 + b^2))`` (which makes ``G_E`` at
  ``beta = 1`` independent of ``q*``), against the energetic term's quadrature.
"""

from __future__ import annotations

import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check


def _exponent(qt, q, beta, beta_ref, p):
    return beta * beta_ref * q**p / 2 - beta**2 * qt**p / 4 + sp.log(1 - qt) / 2 + (qt - q**2) / (2 * (1 - qt))


@symbolic_check
def check_pspin_inner_saddle() -> CheckResult:
    """d(exponent)/dqt = (qt - q^2)/(2(1-qt)^2) - beta^2 p qt^(p-1)/4, free of beta_ref; the code's qt
    solves it."""
    qt, q, beta, beta_ref = sp.symbols("qt q beta beta_ref", positive=True)
    p = sp.Integer(3)
    d = sp.diff(_exponent(qt, q, beta, beta_ref, p), qt)
    expected = (qt - q**2) / (2 * (1 - qt) ** 2) - beta**2 * p * qt ** (p - 1) / 4
    same = sp.simplify(d - expected) == 0 and beta_ref not in d.free_symbols
    from theorylab.statmech.franz_parisi import constrained_overlap

    worst = 0.0
    for qv, T in ((0.3, 0.6), (0.55, 0.7), (0.8, 0.5)):
        qt_num, _ = constrained_overlap(qv, T)
        worst = max(worst, abs(float(expected.subs({qt: float(qt_num), q: qv, beta: 1 / T}))))
    ok = bool(same) and worst < 1e-10
    return CheckResult("franz_parisi.pspin_inner_saddle", ok, f"d/dqt = {sp.simplify(d)}; code's qt satisfies it to {worst:.1e}")


@symbolic_check
def check_pspin_transitions() -> CheckResult:
    """q_d, T_d, Sigma_d in closed form for general p; T_K by nsolve for p = 3, 4, 5; against the code."""
    q, p, T = sp.symbols("q p T", positive=True)
    t2 = p / 2 * q ** (p - 2) * (1 - q)  # T^2 on the stationary branch
    q_d = sp.solve(sp.diff(sp.log(t2), q), q)[0]
    T_d = sp.sqrt(sp.simplify(t2.subs(q, q_d)))
    sigma = -(q**2 / (2 * p * (1 - q)) + q / 2 + sp.log(1 - q) / 2)
    sigma_d = sp.simplify(sigma.subs(q, q_d))
    from theorylab.statmech.franz_parisi import transitions

    worst = 0.0
    lines = []
    for pv in (3, 4, 5):
        tr = transitions(pv)
        qk = sp.nsolve(sigma.subs(p, pv), q, ((pv - 2) / (pv - 1) + 1e-6, 0.999999), solver="bisect", prec=30)
        tk = sp.sqrt(t2.subs({p: pv, q: qk}))
        vals = (float(q_d.subs(p, pv)), float(T_d.subs(p, pv)), float(sigma_d.subs(p, pv)), float(tk))
        worst = max(worst, *(abs(a - b) for a, b in zip(vals, (tr.q_d, tr.T_d, tr.sigma_d, tr.T_K))))
        lines.append(f"p={pv}: T_d={vals[1]:.10f} T_K={vals[3]:.7f}")
    ok = worst < 1e-12 and sp.simplify(sigma_d.subs(p, 3) - (sp.log(2) / 2 - sp.Rational(1, 3))) == 0
    return CheckResult("franz_parisi.pspin_transitions", ok, f"q_d = {q_d}, T_d^2 = {sp.simplify(T_d**2)}, Sigma_d = "
                       f"{sigma_d}; " + "; ".join(lines) + f"; code agrees to {worst:.1e}")


@symbolic_check
def check_pspin_small_q_series() -> CheckResult:
    """p = 3: qt = q^2 + O(q^4), dV = T q^2/2 - q^3/(2T) + O(q^4); against the code at q = 1e-2."""
    q, beta = sp.symbols("q beta", positive=True)
    qt_series = q**2 + sp.Rational(3, 2) * beta**2 * q**4  # inner root to O(q^6): qt - q^2 = (3/2) b^2 qt^2 (1-qt)^2
    dv = -(1 / beta) * _exponent(qt_series, q, beta, beta, 3)
    series = sp.series(dv, q, 0, 4).removeO()
    expected = q**2 / (2 * beta) - beta * q**3 / 2
    same = sp.simplify(series - expected) == 0
    from theorylab.statmech.franz_parisi import potential

    T, qv = 0.8, 1e-2
    num = float(potential(qv, T).dV)
    approx = T * qv**2 / 2 - qv**3 / (2 * T)
    ok = bool(same) and abs(num - approx) < 5 * qv**4
    return CheckResult("franz_parisi.pspin_small_q_series", ok, f"dV = {series} + O(q^4); code at q = 0.01, T = 0.8: "
                       f"{num:.10e} vs {approx:.10e}")


@symbolic_check
def check_pspin_stationary_values() -> CheckResult:
    """At T = 0.6 (p = 3) the stationary points are q = 2/5 and 3/5 with the closed-form heights."""
    q = sp.symbols("q", positive=True)
    T = sp.Rational(3, 5)
    roots = sorted(sp.solve(sp.Eq(T**2, sp.Rational(3, 2) * q * (1 - q)), q))
    beta = 1 / T
    heights = [sp.nsimplify(-T * (beta**2 * r**3 / 4 + sp.log(1 - r) / 2 + r / 2)) for r in roots]
    expected = [T * (sp.log(sp.Rational(5, 3)) / 2 - sp.Rational(11, 45)), T * (sp.log(sp.Rational(5, 2)) / 2 - sp.Rational(9, 20))]
    same = roots == [sp.Rational(2, 5), sp.Rational(3, 5)] and all(sp.simplify(sp.expand_log(a - b, force=True)) == 0
                                                                    for a, b in zip(heights, expected))
    from theorylab.statmech.franz_parisi import potential

    worst = max(abs(float(potential(float(r), 0.6).dV) - float(h)) for r, h in zip(roots, expected))
    ok = bool(same) and worst < 1e-12
    return CheckResult("franz_parisi.pspin_stationary_values", ok, f"roots {roots}, dV = {[float(h) for h in expected]}; "
                       f"code differs by {worst:.1e}")


@symbolic_check
def check_gaussian_surrogate_saddle() -> CheckResult:
    """G = E_z ln int dm exp(-m^2/2 + (qs - qh/2) m^2 + (sqrt(qh) z + rh) m) for real m: -2 dG/dqh,
    dG/drh, dG/dqs equal E<m>^2, E<m>, E<m^2> (the order-parameter equations are stationarity)."""
    qh, rh, qs = sp.symbols("qh rh qs", positive=True)
    z = sp.symbols("z", real=True)
    a = sp.Rational(1, 2) + qh / 2 - qs  # the local measure is exp(-a m^2 + h m) (a > 0)
    h = sp.sqrt(qh) * z + rh
    log_z = h**2 / (4 * a) + sp.log(sp.sqrt(sp.pi / a))  # ln int exp(-a m^2 + h m) dm
    mean, second = h / (2 * a), 1 / (2 * a) + (h / (2 * a)) ** 2  # <m>, <m^2> = variance + mean^2

    def E(f):
        return sp.integrate(sp.expand(f) * sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi), (z, -sp.oo, sp.oo))

    G = E(log_z)
    checks = [sp.simplify(-2 * sp.diff(G, qh) - E(mean**2)), sp.simplify(sp.diff(G, rh) - E(mean)),
              sp.simplify(sp.diff(G, qs) - E(second))]
    ok = all(c == 0 for c in checks)
    return CheckResult("franz_parisi.gaussian_surrogate_saddle", ok, f"residuals {checks}")


@symbolic_check
def check_gaussian_smoothing_identity() -> CheckResult:
    """E_x H(a + b x) = H(a/sqrt(1+b^2)) (differentiate in a: both sides have derivative
    -phi(a/sqrt(1+b^2))/sqrt(1+b^2)); hence at beta = 1 the energetic term does not depend on q*."""
    a, b = sp.symbols("a b", real=True)
    x = sp.symbols("x", real=True)
    phi = lambda t: sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)  # noqa: E731
    lhs_da = sp.integrate(-phi(a + b * x) * phi(x), (x, -sp.oo, sp.oo), conds="none")
    rhs_da = -phi(a / sp.sqrt(1 + b**2)) / sp.sqrt(1 + b**2)
    # both sides vanish as a -> +inf, so equal derivatives give equal functions; compare at sample points
    points = ((sp.Rational(3, 10), sp.Rational(7, 10)), (sp.Rational(-6, 5), sp.Rational(5, 2)), (2, sp.Rational(-2, 5)))
    gaps = [abs(sp.N((lhs_da - rhs_da).subs({a: av, b: bv}), 40)) for av, bv in points]
    same = max(gaps) < 1e-25
    from theorylab.statmech.franz_parisi import energetic_term

    q, r = 0.6, 0.4
    values = [float(energetic_term(q, r, qs, 1.0)) for qs in (0.65, 0.8, 0.95)]
    spread = max(values) - min(values)
    ok = bool(same) and spread < 1e-8
    return CheckResult("franz_parisi.gaussian_smoothing_identity", ok, f"d/da agrees: {same}; G_E(beta = 1) over q* in "
                       f"{{0.65, 0.8, 0.95}} spreads by {spread:.1e} ({values[0]:.10f})")




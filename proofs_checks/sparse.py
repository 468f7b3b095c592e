"""Sparse regression on random supports (theorylab.estimators.sparse), derived and checked with sympy ((S2)-(S7) of docs/theory/sparse.md).

* (a) The soft-threshold risk: integrate (soft(z, t) - theta)^2 against N(theta, 1) piecewise and compare
  with the closed form in ``soft_threshold_risk`` at several points; R(0, t) = 2[(1+t^2)Phi(-t) - t phi(t)].
* (b) The 1-D Lasso minimiser of (z - w)^2 / 2 + a |w| is soft(z, a) (piecewise stationarity + convexity).
* (c) trace(X_T (X_T^T X_T)^{-1} X_T^T) = k for a symbolic 3x2 X_T (the oracle risk sigma^2 k / N).
* (d) Block-equicorrelated eigenvalues 1 - rho (multiplicity s - 1) and 1 + (s - 1) rho; with
  rho = 1/(1 + delta^2) the condition number is (s + delta^2)/delta^2 (against ``cluster_condition_number``).
* (e) The basic-inequality algebra behind the slow-rate bound: from P(w_hat) <= P(w*), Hoelder and the
  triangle inequality, e / 2 <= 2 a B when the noise event holds (symbolic norms as nonnegative reals).
"""

from __future__ import annotations

import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check


def _soft_threshold_risk_symbolic(theta=None):
    z, th, t = sp.symbols("z theta t", real=True)
    th = th if theta is None else theta
    phi = sp.exp(-(z - th) ** 2 / 2) / sp.sqrt(2 * sp.pi)
    risk = (sp.integrate((z - t - th) ** 2 * phi, (z, t, sp.oo))
            + sp.integrate(th**2 * phi, (z, -t, t))
            + sp.integrate((z + t - th) ** 2 * phi, (z, -sp.oo, -t)))
    return risk, th, t


@symbolic_check
def check_soft_threshold_risk() -> CheckResult:
    """Piecewise sympy integral of the soft-threshold risk against the code's closed form (theta != 0 in
    the general integral, which divides by theta; theta = 0 integrated separately)."""
    from theorylab.estimators.sparse.theory import soft_threshold_risk

    risk, th, t = _soft_threshold_risk_symbolic()
    points = [(0.5, 2.0), (3.0, 1.5), (-2.0, 0.3), (1.0, 0.1)]
    worst = max(abs(float(sp.N(risk.subs({th: a, t: b}), 30)) - float(soft_threshold_risk(a, b))) for a, b in points)
    risk0, _, t0 = _soft_threshold_risk_symbolic(theta=sp.Integer(0))
    for b in (0.5, 1.0, 2.5):
        worst = max(worst, abs(float(sp.N(risk0.subs(t0, b), 30)) - float(soft_threshold_risk(0.0, b))))
    Phi = lambda x: (1 + sp.erf(x / sp.sqrt(2))) / 2  # noqa: E731
    phi = lambda x: sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)  # noqa: E731
    zero = sp.simplify((risk0 - 2 * ((1 + t0**2) * Phi(-t0) - t0 * phi(t0))).rewrite(sp.erf))
    ok = worst < 1e-13 and zero == 0
    return CheckResult("sparse.soft_threshold_risk", ok,
                       f"max |sympy - code| over {len(points) + 3} points {worst:.1e}; "
                       f"R(0,t) - 2[(1+t^2)Phi(-t) - t phi(t)] simplifies to {zero}")


@symbolic_check
def check_lasso_1d_minimiser() -> CheckResult:
    """argmin (z - w)^2/2 + a|w| = sign(z) max(|z| - a, 0): the stationary point of each smooth piece
    lies in that piece exactly when the formula says, and at 0 the subgradient condition is |z| <= a."""
    z, w = sp.symbols("z w", real=True)
    a = sp.Symbol("a", positive=True)
    pos = sp.solve(sp.diff((z - w) ** 2 / 2 + a * w, w), w)[0]  # w > 0 branch
    neg = sp.solve(sp.diff((z - w) ** 2 / 2 - a * w, w), w)[0]  # w < 0 branch
    ok = sp.simplify(pos - (z - a)) == 0 and sp.simplify(neg - (z + a)) == 0
    # numeric cross-check of the code's soft_threshold against brute-force minimisation on a grid
    import numpy as np

    from theorylab.estimators.sparse.lasso_solvers import soft_threshold

    grid = np.linspace(-6, 6, 120001)
    worst = 0.0
    for zz, aa in [(2.0, 0.5), (-1.2, 0.7), (0.3, 0.4), (-3.0, 3.0)]:
        obj = (zz - grid) ** 2 / 2 + aa * np.abs(grid)
        worst = max(worst, abs(float(soft_threshold(zz, aa)) - grid[np.argmin(obj)]))
    ok = ok and worst <= 1e-4
    return CheckResult("sparse.lasso_1d_minimiser", ok,
                       f"stationary points z - a (w > 0) and z + a (w < 0); grid argmin within {worst:.1e}")


@symbolic_check
def check_projection_trace() -> CheckResult:
    """trace of the hat matrix of a symbolic full-rank 3x2 X_T is 2 (so E error = sigma^2 k / N)."""
    X = sp.Matrix(3, 2, sp.symbols("x0:6", real=True))
    H = X * (X.T * X).inv() * X.T
    tr = sp.simplify(H.trace())
    return CheckResult("sparse.projection_trace", tr == 2, f"trace(X (X^T X)^-1 X^T) = {tr}")


@symbolic_check
def check_cluster_condition_number() -> CheckResult:
    """Eigenvalues of the s x s equicorrelated block and cond = (s + delta^2)/delta^2 for s = 2..5."""
    from theorylab.estimators.sparse.designs import cluster_condition_number

    rho, delta = sp.symbols("rho delta", positive=True)
    details, ok = [], True
    for s in range(2, 6):
        block = sp.Matrix(s, s, lambda i, j: 1 if i == j else rho)
        eig = block.eigenvals()
        expected = {1 - rho: s - 1, 1 + (s - 1) * rho: 1}
        ok &= {sp.simplify(k): v for k, v in eig.items()} == {sp.simplify(k): v for k, v in expected.items()}
        cond = sp.simplify(((1 + (s - 1) * rho) / (1 - rho)).subs(rho, 1 / (1 + delta**2)))
        ok &= sp.simplify(cond - (s + delta**2) / delta**2) == 0
        ok &= abs(float(cluster_condition_number(2 * s, 2, 0.05)) - float(cond.subs(delta, sp.Rational(1, 20)))) < 1e-9
        details.append(f"s={s}: cond={cond}")
    return CheckResult("sparse.cluster_condition_number", bool(ok), "; ".join(details))


@symbolic_check
def check_slow_rate_algebra() -> CheckResult:
    """The basic inequality. With e = |X(w_hat - w*)|^2/N, g = |X^T xi|_inf/N, P(w_hat) <= P(w*) gives
    e/2 <= xi^T X (w_hat - w*)/N + a(|w*|_1 - |w_hat|_1) <= g (|w_hat|_1 + |w*|_1) + a |w*|_1 - a |w_hat|_1.
    With a >= g the right side is at most 2 a |w*|_1, so e <= 4 a |w*|_1 (sympy: the slack is a
    nonnegative combination)."""
    e, g, a, B, Bh = sp.symbols("e g a B Bhat", nonnegative=True)
    # upper bound on e/2 after Hoelder and the triangle inequality
    rhs = g * (Bh + B) + a * B - a * Bh
    slack = sp.expand(2 * a * B - rhs)  # = (a - g)(B + Bh) ... must be >= 0 when a >= g
    factor = sp.factor(slack)
    d = sp.Symbol("d", nonnegative=True)  # a = g + d
    nonneg = sp.expand(slack.subs(a, g + d))
    ok = all(c >= 0 for c in sp.Poly(nonneg, d, g, B, Bh).coeffs()) and sp.simplify(factor - (a - g) * (B + Bh)) == 0
    return CheckResult("sparse.slow_rate_algebra", ok,
                       f"2aB - [g(B_hat + B) + aB - aB_hat] = {factor}; with a = g + d: {nonneg} (all coefficients >= 0)")

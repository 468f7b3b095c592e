"""Quantile scores, rearrangement and pooling (theorylab.estimators.quantile), checked with sympy (equations (Q1)-(Q9) of docs/theory/quantile.md).

* psi_tau(v) = tau v + (-v)_+ for tau in (0, 1);
* alpha IS_alpha(l, u; y) = 2 [psi_{alpha/2}(y - l) + psi_{1-alpha/2}(y - u)] on the three regions;
* rearrangement: swapping two crossed quantiles changes sum_k psi_{tau_k} by -(tau_2 - tau_1)(q_a - q_b),
  so sorting never increases the equally weighted sum (Fakoor et al., Prop. 2);
* exact counterexamples: the min-max sweep (0.425 -> 0.45) and unequal level weights (+20.43);
* d/dq E psi_tau(Y - q) = F(q) - tau; for Exp(lambda), q* = -log(1 - tau) / lambda;
* Vincent average of location-scale members = (sum w mu) + (sum w sigma) z; linear-pool variance
  minus Vincent variance = sum w sigma^2 - (sum w sigma)^2 + Var_w(mu) >= 0;
* CRPS(N(0, 1), y) = y (2 Phi(y) - 1) + 2 phi(y) - 1/sqrt(pi) has CRPS' = 2 Phi - 1 and CRPS'' = 2 phi
  (the derivatives of int (F - 1{y <= z})^2 dz), and equals 2 int_0^1 psi_tau(y - Phi^-1(tau)) dtau
  by quadrature.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check

_b = sp.Symbol("b", positive=True)
TAU = _b / (1 + _b)  # any tau in (0, 1)


def _psi(tau, v):
    return sp.Max(tau * v, (tau - 1) * v)


@symbolic_check
def check_pinball_decomposition() -> CheckResult:
    v = sp.Symbol("v", positive=True)
    pos = sp.simplify(_psi(TAU, v) - (TAU * v + sp.Max(-v, 0)))
    neg = sp.simplify(_psi(TAU, -v) - (TAU * (-v) + sp.Max(v, 0)))
    ok = pos == 0 and neg == 0
    return CheckResult("quantile.pinball_decomposition", bool(ok), f"v > 0: {pos}; v < 0: {neg}")


@symbolic_check
def check_interval_score_identity() -> CheckResult:
    """alpha IS = 2 (psi_{alpha/2}(y - l) + psi_{1 - alpha/2}(y - u)) below, inside and above [l, u];
    then the code's interval_score and pinball_loss agree with it at random points."""
    lo = sp.Symbol("l", real=True)
    w, d, s, c = sp.symbols("w d s c", positive=True)
    up = lo + w
    alpha = c / (1 + c)

    def residual(y):
        IS = (up - lo) + 2 / alpha * sp.Max(lo - y, 0) + 2 / alpha * sp.Max(y - up, 0)
        return sp.simplify(alpha * IS - 2 * (_psi(alpha / 2, y - lo) + _psi(1 - alpha / 2, y - up)))

    regions = {"below": residual(lo - d), "inside": residual(lo + w * s / (1 + s)), "above": residual(up + d)}
    ok = all(r == 0 for r in regions.values())

    from theorylab.estimators.quantile import interval_score, pinball_loss

    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(50):
        a = rng.uniform(0.01, 0.99)
        lo = rng.normal(size=20)
        hi = lo + rng.exponential(size=20)
        y = rng.normal(scale=2, size=20)
        lhs = a * np.asarray(interval_score(y, lo, hi, a, reduction="none"))
        psi = np.asarray(pinball_loss(y, np.column_stack([lo, hi]), [a / 2, 1 - a / 2], reduction="none"))
        worst = max(worst, float(np.max(np.abs(lhs - 2 * psi.sum(1)))))
    ok = ok and worst < 1e-12
    return CheckResult("quantile.interval_score_identity", bool(ok), f"residuals {regions}; code agrees to {worst:.1e}")


@symbolic_check
def check_sort_never_increases_pinball() -> CheckResult:
    """For tau_1 < tau_2: [psi_1(y - q_a) + psi_2(y - q_b)] - [psi_1(y - q_b) + psi_2(y - q_a)] = (tau_2 - tau_1)(q_a - q_b),
    which is <= 0 when q_a <= q_b: the sorted assignment is never worse, and by repeated swaps
    (bubble sort) sorting a whole row never increases sum_k psi_{tau_k}."""
    y, qa, qb = sp.symbols("y q_a q_b", real=True)
    t1, gap = sp.symbols("t1 g", positive=True)
    t2 = t1 + gap

    def psi(tau, v):  # decomposition form, valid for tau in (0, 1)
        return tau * v + sp.Max(-v, 0)

    sorted_sum = psi(t1, y - qa) + psi(t2, y - qb)
    crossed_sum = psi(t1, y - qb) + psi(t2, y - qa)
    diff = sp.simplify(sorted_sum - crossed_sum - (t2 - t1) * (qa - qb))
    return CheckResult("quantile.sort_never_increases_pinball", diff == 0,
                       f"sorted - crossed - (tau2 - tau1)(q_a - q_b) = {diff}")


def _sum_psi(taus, q, y, weights=None):
    weights = weights or [1] * len(taus)
    return sum(wk * _psi(t, y - qk) for wk, t, qk in zip(weights, taus, q))


@symbolic_check
def check_minmax_counterexample() -> CheckResult:
    """tau = (1/4, 1/2, 3/4), q = (0, 1, 1/2), y = 3/5 (exact): raw 17/40, min-max 9/20 (worse),
    sort 3/10, isotonic 21/80; the code's fixes give the same outputs."""
    R = sp.Rational
    taus, q, y = [R(1, 4), R(1, 2), R(3, 4)], [R(0), R(1), R(1, 2)], R(3, 5)
    outputs = {"raw": q, "minmax": [0, 1, 1], "sort": sorted(q), "isotonic": [0, R(3, 4), R(3, 4)]}
    sums = {k: sp.nsimplify(_sum_psi(taus, v, y)) for k, v in outputs.items()}
    expected = {"raw": R(17, 40), "minmax": R(9, 20), "sort": R(3, 10), "isotonic": R(21, 80)}
    ok = sums == expected

    from theorylab.estimators.quantile import monotonize

    qn = np.array([0.0, 1.0, 0.5])
    for method in ("minmax", "sort", "isotonic"):
        ok = ok and np.allclose(np.asarray(monotonize(qn, method)), np.array(outputs[method], float), atol=1e-15)
    return CheckResult("quantile.minmax_counterexample", bool(ok), f"sums {sums}")


@symbolic_check
def check_unequal_weights_counterexample() -> CheckResult:
    """With level weights (2.748, 2.606, 0.248), sorting q = (1.268, 1.39, -11.728) at tau = (.643, .661, .841),
    y = 4.761 raises the weighted pinball sum by about 20.43 (exact decimals: 20.4376): Prop. 2 needs equal weights."""
    R = sp.Rational
    taus = [R("0.643"), R("0.661"), R("0.841")]
    q = [R("1.268"), R("1.39"), R("-11.728")]
    y, wts = R("4.761"), [R("2.748"), R("2.606"), R("0.248")]
    increase = _sum_psi(taus, sorted(q), y, wts) - _sum_psi(taus, q, y, wts)
    ok = abs(float(increase) - 20.43) < 0.01  # P2 of the theory note quotes 20.43 from rounded inputs
    return CheckResult("quantile.unequal_weights_counterexample", bool(ok), f"increase after sorting = {float(increase):.6f}")


@symbolic_check
def check_expected_pinball_minimiser() -> CheckResult:
    """E psi_tau(Y - q) for Y ~ Exp(lambda) in closed form; its derivative is F(q) - tau and the root
    is q* = -log(1 - tau) / lambda."""
    yv, q, lam = sp.symbols("y q lambda", positive=True)
    tau = TAU
    dens = lam * sp.exp(-lam * yv)
    risk = sp.integrate((tau - 1) * (yv - q) * dens, (yv, 0, q)) + sp.integrate(tau * (yv - q) * dens, (yv, q, sp.oo))
    deriv = sp.simplify(sp.diff(risk, q) - ((1 - sp.exp(-lam * q)) - tau))
    root = sp.solve(sp.Eq(sp.diff(risk, q), 0), q)
    ok = deriv == 0 and len(root) == 1 and sp.simplify(root[0] - (-sp.log(1 - tau) / lam)) == 0
    return CheckResult("quantile.expected_pinball_minimiser", bool(ok), f"dR/dq - (F - tau) = {deriv}; q* = {root}")


@symbolic_check
def check_vincentization_location_scale() -> CheckResult:
    """sum_j w_j (mu_j + sigma_j z) = (sum w mu) + (sum w sigma) z, and the code's vincentize of two
    normals' quantiles equals the quantiles of N(sum w mu, (sum w sigma)^2)."""
    z = sp.Symbol("z", real=True)
    w1 = sp.Symbol("w1", positive=True)
    mu1, mu2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    avg = w1 * (mu1 + s1 * z) + (1 - w1) * (mu2 + s2 * z)
    target = (w1 * mu1 + (1 - w1) * mu2) + (w1 * s1 + (1 - w1) * s2) * z
    ok = sp.expand(avg - target) == 0

    from scipy.stats import norm

    from theorylab.estimators.quantile import vincentize

    taus = np.array([0.025, 0.25, 0.5, 0.75, 0.975])
    q = np.stack([norm.ppf(taus, 0, 1), norm.ppf(taus, 2, 3)])
    err = float(np.max(np.abs(np.asarray(vincentize(q, [0.5, 0.5], axis=0)) - norm.ppf(taus, 1, 2))))
    ok = ok and err < 1e-12
    return CheckResult("quantile.vincentization_location_scale", bool(ok), f"algebra ok; code vs N(1, 2^2): {err:.1e}")


@symbolic_check
def check_linear_pool_variance_excess() -> CheckResult:
    """Var(mixture) - Var(Vincent) = sum w sigma^2 - (sum w sigma)^2 + Var_w(mu) >= 0 (two members)."""
    w1 = sp.Symbol("w1", positive=True)
    mu1, mu2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    w2 = 1 - w1
    mean = w1 * mu1 + w2 * mu2
    var_pool = w1 * (s1**2 + mu1**2) + w2 * (s2**2 + mu2**2) - mean**2
    var_vincent = (w1 * s1 + w2 * s2) ** 2
    var_w_mu = w1 * (mu1 - mean) ** 2 + w2 * (mu2 - mean) ** 2
    excess = var_pool - var_vincent
    ok = sp.simplify(excess - (w1 * s1**2 + w2 * s2**2 - (w1 * s1 + w2 * s2) ** 2 + var_w_mu)) == 0
    # sum w sigma^2 - (sum w sigma)^2 = w1 w2 (sigma1 - sigma2)^2 >= 0
    ok = ok and sp.simplify(w1 * s1**2 + w2 * s2**2 - (w1 * s1 + w2 * s2) ** 2 - w1 * w2 * (s1 - s2) ** 2) == 0
    example = excess.subs({w1: sp.Rational(1, 2), mu1: 0, mu2: 2, s1: 1, s2: 3})
    ok = ok and example == 2  # variances 6 vs 4 (P7 of the theory note)
    return CheckResult("quantile.linear_pool_variance_excess", bool(ok), f"excess = w1 w2 (s1 - s2)^2 + Var_w(mu); example {example}")


@symbolic_check
def check_crps_normal_closed_form() -> CheckResult:
    """CRPS(N(0,1), y) closed form: first derivative 2 Phi - 1, second 2 phi (sympy); equals
    2 int_0^1 psi_tau(y - Phi^-1(tau)) dtau at y = 0.3 by adaptive quadrature (1e-12)."""
    y = sp.Symbol("y", real=True)
    phi = sp.exp(-(y**2) / 2) / sp.sqrt(2 * sp.pi)
    Phi = (1 + sp.erf(y / sp.sqrt(2))) / 2
    crps = y * (2 * Phi - 1) + 2 * phi - 1 / sp.sqrt(sp.pi)
    d1 = sp.simplify(sp.diff(crps, y) - (2 * Phi - 1))
    d2 = sp.simplify(sp.diff(crps, y, 2) - 2 * phi)
    from scipy.integrate import quad
    from scipy.stats import norm

    yv = 0.3
    integral = 2 * quad(lambda t: max(t * (yv - norm.ppf(t)), (t - 1) * (yv - norm.ppf(t))), 0, 1,
                        points=[norm.cdf(yv)], epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    closed = float(crps.subs(y, sp.Rational(3, 10)))
    ok = d1 == 0 and d2 == 0 and abs(integral - closed) < 1e-12 and abs(closed - 0.2693329006866635) < 1e-15
    return CheckResult("quantile.crps_normal_closed_form", bool(ok),
                       f"closed {closed:.16f}, quadrature {integral:.16f}; derivative residuals {d1}, {d2}")

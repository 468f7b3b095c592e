"""Weighted tallying bandits (theorylab.bandits), derived and checked with sympy ((B1)-(B8) of docs/theory/bandits.md).

* The elimination radius inverts the union bound 2 K T log2(T) exp(-N r^2 / (2 s^2)) = delta.
* On the threshold instance a history-blind policy that settles on the best constant arm has
  CPR / T -> min_{a != a*} f_a - f*(W).
* A loss linear in the tally is a convex combination of its values at w_0 and W, so REO for
  linear losses reduces to the endpoint checks.
* Sum over arms of the tallies: sum_a tau_t(a) = sum_{j < min(t, m)} w_j.
* Always playing a* costs T f*(W) + (-s / W) sum_j j w_j for a linear learning curve of slope s,
  which is the O(m) slack in T f* <= OPT_T <= T f* + O(m); the exact DP is compared with it.
"""

from __future__ import annotations

import itertools

import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check


@symbolic_check
def check_confidence_radius_inversion() -> CheckResult:
    """Solve the union bound for r and compare with ``theorylab.bandits.confidence_radius``."""
    K, T, N, u, s, delta = sp.symbols("K T N u s delta", positive=True)  # u = r^2
    bound = 2 * K * T * sp.log(T, 2) * sp.exp(-N * u / (2 * s**2))
    solutions = sp.solve(sp.Eq(bound, delta), u)
    if len(solutions) != 1:
        return CheckResult("wtb.confidence_radius_inversion", False, f"expected one root in r^2, got {solutions}")
    radius = sp.sqrt(solutions[0])
    expected = s * sp.sqrt(2 * sp.log(2 * K * T * sp.log(T, 2) / delta) / N)
    same = sp.simplify(sp.expand_log(radius**2 - expected**2, force=True)) == 0

    from theorylab.bandits import confidence_radius

    worst = 0.0
    for k_, t_, n_, d_, s_ in [(4, 64000, 300, 1 / 64000, 0.5), (2, 1000, 7, 0.05, 1.0), (32, 10**5, 10**4, 1e-3, 0.5)]:
        sym = float(radius.subs({K: k_, T: t_, N: n_, delta: d_, s: s_}))
        num = float(confidence_radius(n_, num_arms=k_, horizon=t_, delta=d_, scale=s_))
        worst = max(worst, abs(sym - num) / sym)
    ok = bool(same) and worst < 1e-12
    return CheckResult("wtb.confidence_radius_inversion", ok, f"r = {radius}; matches the code to {worst:.1e} (relative)")


@symbolic_check
def check_threshold_linear_cpr_limit() -> CheckResult:
    """CPR / T of a policy that plays a* only in isolated rounds (fraction rho) and otherwise the best
    constant arm b tends to f_b - f*(W) as rho -> 0, and equals 0.35 on the threshold instance (P1 of docs/theory/bandits.md)."""
    rho, f_b, f_star, f_partial = sp.symbols("rho f_b f_star f_partial", nonnegative=True)
    per_round = (1 - rho) * (f_b - f_star) + rho * (f_partial - f_star)
    limit = sp.limit(per_round, rho, 0)
    ok = sp.simplify(limit - (f_b - f_star)) == 0
    value = limit.subs({f_b: sp.Rational(45, 100), f_star: sp.Rational(1, 10)})
    ok = ok and value == sp.Rational(35, 100)
    return CheckResult("wtb.threshold_linear_cpr_limit", bool(ok), f"CPR/T -> {limit}; threshold instance: {value}")


@symbolic_check
def check_linear_reo_endpoints() -> CheckResult:
    """For f(tau) = c + s tau / W and w_0 <= tau <= W, f(tau) = lam f(w_0) + (1 - lam) f(W) with
    lam = (W - tau) / (W - w_0) in [0, 1]: the extremes over feasible tallies sit at the endpoints."""
    c, s_, tau, w0, W = sp.symbols("c s tau w0 W", real=True)
    f = lambda x: c + s_ * x / W  # noqa: E731
    lam = (W - tau) / (W - w0)
    identity = sp.simplify(f(tau) - (lam * f(w0) + (1 - lam) * f(W))) == 0

    import numpy as np

    from theorylab.bandits import LinearLoss, TallyingBandit, check_reo

    rng = np.random.default_rng(0)
    agree = holds = 0
    trials = 40
    for _ in range(trials):
        weights = np.sort(rng.uniform(0.05, 1.0, size=4))[::-1]
        intercept = rng.uniform(0.0, 1.0, 3)
        slope = rng.uniform(-0.5, 0.5, 3) * np.minimum(intercept, 1 - intercept)
        env = TallyingBandit(weights, LinearLoss(intercept, slope))
        W_, w_0 = weights.sum(), weights[0]
        ends = np.stack([intercept + slope * w_0 / W_, intercept + slope])  # (2, K)
        best = int(np.argmin(ends[1]))
        others = np.delete(ends.ravel(), ends.shape[1] + best)  # drop (full exposure, best arm)
        endpoint_reo = bool(np.all(others >= ends[1, best] - 1e-12))
        agree += endpoint_reo == check_reo(env).holds
        holds += endpoint_reo
    ok = identity and agree == trials and 0 < holds < trials
    return CheckResult(
        "wtb.linear_reo_endpoints", bool(ok),
        f"convex-combination identity {'holds' if identity else 'FAILS'}; endpoint REO test agrees with the "
        f"exhaustive check_reo on {agree}/{trials} random linear instances ({holds} with REO)",
    )


@symbolic_check
def check_tally_sum_identity() -> CheckResult:
    """sum_a tau_t(a) = sum_{j < min(t, m)} w_j, for symbolic weights and every history (K = 3, m = 4)."""
    K, m = 3, 4
    w = sp.symbols(f"w0:{m}", nonnegative=True)
    ok = True
    for t in range(1, m + 2):
        window = min(t, m)
        for hist in itertools.product(range(K), repeat=window):  # hist[j] = a_{t-j}
            total = sum(sum(w[j] for j in range(window) if hist[j] == a) for a in range(K))
            ok &= sp.expand(total - sum(w[:window])) == 0
    return CheckResult("wtb.tally_sum_identity", bool(ok), f"checked all histories for K = {K}, m = {m}, t <= {m + 1}")


@symbolic_check
def check_reo_slack_linear_curve() -> CheckResult:
    """Always playing a learning-curve arm f = c + s tau / W (s < 0) costs T f(W) + (-s / W) sum_j j w_j:
    the prefix tallies miss W by sum_{t=1}^{m-1} (W - P_t) = sum_j j w_j. On the REO instance of
    P5 in docs/theory/bandits.md (w = (1, .5, .25), s = -0.7) that is 0.4, and the exact DP finds OPT_200 - 200 f* = 0.4."""
    m = 4
    w = sp.symbols(f"w0:{m}", positive=True)
    W = sum(w)
    prefix = [sum(w[: t + 1]) for t in range(m)]
    shortfall = sum(W - prefix[t] for t in range(m - 1))
    ok = sp.expand(shortfall - sum(j * w[j] for j in range(m))) == 0

    import numpy as np

    from theorylab.bandits import LinearLoss, TallyingBandit, constant_policy_costs, optimal_costs

    weights = [1.0, 0.5, 0.25]
    slack = sp.Rational(7, 10) / sp.Rational(7, 4) * (1 * sp.Rational(1, 2) + 2 * sp.Rational(1, 4))
    env = TallyingBandit(weights, LinearLoss([0.9, 0.45], [-0.7, 0.0]))
    f_star = 0.2
    constant = float(constant_policy_costs(env, 200)[0]) - 200 * f_star
    dp = float(np.asarray(optimal_costs(env, 200))[-1]) - 200 * f_star
    ok = ok and slack == sp.Rational(2, 5) and abs(constant - 0.4) < 1e-12 and abs(dp - 0.4) < 1e-12
    return CheckResult(
        "wtb.reo_slack_linear_curve", bool(ok),
        f"sum_t (W - P_t) = sum_j j w_j; slack {slack}; constant policy {constant:.12f}, exact DP {dp:.12f}",
    )

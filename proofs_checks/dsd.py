"""DSD sample-complexity tasks (theorylab.learning.dsd), derived and checked with sympy ((D2)-(D6) of docs/theory/dsd.md).

* The sampler's moments for k = 2, d = 1 by summing over (y, i*) and integrating the noise,
  against ``moments`` (both noise placements).
* The linear floor: ``<x, sum_i mu_i> = y + sigma sqrt(k) z``, so P(error) = Phi(-1/(sigma sqrt k)),
  by integrating the Gaussian density; 0.04779 at sigma sqrt(k) = 0.6; against ``linear_floor``.
* The Gaussian mean-shift KL, ||Delta||^2 / (2 sigma^2), by integration (per coordinate).
* Fano's bound P_err >= 1 - (N kappa + log 2) / log M solved for N, with log M = c d and the
  per-sample KL kappa = 1 / (2 k sigma^2): N >= sigma^2 k d (2 c (1 - P_err)) - ..., i.e.
  N = Omega(sigma^2 k d) (the standard argument, not the paper's; (D6) of the theory note).
* The elasticities d log N / d log k and d log N / d log d of the four rates (D5), by sympy
  differentiation, against ``theory_exponent`` (both noise scalings).
"""

from __future__ import annotations

import itertools

import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check


@symbolic_check
def check_sampler_moments_k2_d1() -> CheckResult:
    """E[x], E[y x], E[x x^T] for k = 2, d = 1 (w* = 1) by exact enumeration of (y, i*) and Gaussian
    noise moments; compared with ``moments`` for sigma = 3/10 under both noise placements."""
    sigma = sp.symbols("sigma", positive=True)
    z1, z2 = sp.symbols("z1 z2", real=True)
    gauss = sp.exp(-(z1**2 + z2**2) / 2) / (2 * sp.pi)

    def expect(f):
        return sp.integrate(f * gauss, (z1, -sp.oo, sp.oo), (z2, -sp.oo, sp.oo))

    import numpy as np

    from theorylab.learning.dsd import DSD, moments

    worst, details = 0.0, []
    for placement in ("all", "background"):
        mean = sp.zeros(2, 1)
        corr = sp.zeros(2, 1)
        second = sp.zeros(2, 2)
        for y, pos in itertools.product((-1, 1), (0, 1)):
            noise = [sigma * z1, sigma * z2]
            if placement == "background":
                noise[pos] = 0
            x = sp.Matrix([noise[0] + (y if pos == 0 else 0), noise[1] + (y if pos == 1 else 0)])
            weight = sp.Rational(1, 4)
            mean += weight * x.applyfunc(expect)
            corr += weight * (y * x).applyfunc(expect)
            second += weight * (x * x.T).applyfunc(expect)
        mom = moments(DSD(2, 1, 0.3, noise=placement))
        subs = {sigma: sp.Rational(3, 10)}
        for sym, num in ((mean, mom.mean), (corr, mom.label_correlation), (second, mom.second_moment)):
            worst = max(worst, float(np.max(np.abs(np.array(sym.subs(subs), dtype=float).reshape(np.shape(num)) - num))))
        details.append(f"{placement}: E[xx^T] = {sp.simplify(second).tolist()}")
    ok = worst < 1e-14
    return CheckResult("dsd.sampler_moments_k2_d1", ok, "; ".join(details) + f"; code differs by {worst:.1e}")


@symbolic_check
def check_linear_floor() -> CheckResult:
    """P(y + s z < 0 | y = 1) = Phi(-1/s) with s = sigma sqrt(k), by integrating the normal density;
    0.04779 at s = 0.6; compared with ``linear_floor`` (both placements: s = sigma sqrt(k - 1) for
    'background')."""
    s = sp.symbols("s", positive=True)
    z = sp.symbols("z", real=True)
    density = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    error = sp.integrate(density, (z, -sp.oo, -1 / s))
    closed = (1 + sp.erf(-1 / (s * sp.sqrt(2)))) / 2
    same = sp.simplify(error - closed) == 0
    value = float(error.subs(s, sp.Rational(6, 10)))

    from theorylab.learning.dsd import DSD, linear_floor

    k = 9
    code_all = linear_floor(DSD(k, 4, 0.2))  # sigma sqrt(k) = 0.6
    code_bg = linear_floor(DSD(k, 4, 0.2, noise="background"))  # sigma sqrt(k - 1)
    exp_bg = float(error.subs(s, sp.Rational(2, 10) * sp.sqrt(k - 1)))
    ok = bool(same) and abs(value - 0.04779) < 5e-6 and abs(code_all - value) < 1e-14 and abs(code_bg - exp_bg) < 1e-14
    return CheckResult("dsd.linear_floor", ok, f"P(error) = {sp.simplify(error)}; at sigma sqrt(k) = 0.6: {value:.6f} "
                       f"(code {code_all:.6f}); background, k = 9: {exp_bg:.6f} (code {code_bg:.6f})")


@symbolic_check
def check_gaussian_mean_shift_kl() -> CheckResult:
    """KL(N(m1, s^2) || N(m2, s^2)) = (m1 - m2)^2 / (2 s^2) per coordinate, by integration."""
    m1, m2 = sp.symbols("m1 m2", real=True)
    s = sp.symbols("s", positive=True)
    x = sp.symbols("x", real=True)
    p = sp.exp(-(x - m1) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    log_ratio = (-(x - m1) ** 2 + (x - m2) ** 2) / (2 * s**2)
    kl = sp.integrate(sp.expand(p * log_ratio), (x, -sp.oo, sp.oo))
    ok = sp.simplify(kl - (m1 - m2) ** 2 / (2 * s**2)) == 0
    return CheckResult("dsd.gaussian_mean_shift_kl", bool(ok), f"KL = {sp.simplify(kl)}")


@symbolic_check
def check_fano_sample_bound() -> CheckResult:
    """Fano: P_err >= 1 - (N kappa + log 2) / log M. With log M = c d (a packing of the sphere in
    R^d) and kappa = 1/(2 k sigma^2) (the signal lands in a given patch with probability 1/k and
    shifts its mean by at most 1), P_err <= p needs N >= 2 k sigma^2 ((1 - p) c d - log 2):
    N = Omega(sigma^2 k d), whose exponents in k and d are both 1."""
    N, kappa, M, p = sp.symbols("N kappa M p", positive=True)
    c, d, k, sigma = sp.symbols("c d k sigma", positive=True)
    fano = sp.Eq(p, 1 - (N * kappa + sp.log(2)) / sp.log(M))
    n_min = sp.solve(fano, N)[0]
    n_min = sp.simplify(n_min.subs({kappa: 1 / (2 * k * sigma**2), M: sp.exp(c * d)}))
    expected = 2 * k * sigma**2 * ((1 - p) * c * d - sp.log(2))
    same = sp.simplify(n_min - expected) == 0
    q = sp.symbols("q", positive=True)  # 1 - p, the success probability
    leading = sp.limit((n_min / (sigma**2 * k * d)).subs(p, 1 - q), d, sp.oo)
    ok = bool(same) and sp.simplify(leading - 2 * c * q) == 0
    return CheckResult("dsd.fano_sample_bound", ok, f"N >= {n_min}; N / (sigma^2 k d) -> {leading} as d -> inf "
                       f"(q = 1 - p)")


@symbolic_check
def check_rate_elasticities() -> CheckResult:
    """d log N / d log x of the four rates (constants 1), sigma fixed or sigma = c / sqrt(k), by sympy;
    compared with ``theory_exponent`` at several (k, d); e.g. the CNN k-elasticity at fixed sigma is
    k/(k+d) + 1/ln(kd), and with sigma = c/sqrt(k) it is -d/(k+d) + 1/ln(kd) ((D5) of docs/theory/dsd.md)."""
    k, d, c = sp.symbols("k d c", positive=True)
    from theorylab.learning.dsd import theory_exponent

    worst = 0.0
    formulas = {}
    for scaling in ("fixed", "inverse_sqrt_k"):
        s2 = c**2 / k if scaling == "inverse_sqrt_k" else c**2
        rates = {
            "cnn_upper": s2 * (k + d) * sp.log(k * d),
            "lcn_upper": s2 * k * (k + d) * sp.log(k * d),
            "lcn_lower": s2 * k * d,
            "fcn_lower": s2 * k**2 * d,
        }
        for name, rate in rates.items():
            for var, over in ((k, "k"), (d, "d")):
                elasticity = sp.simplify(var * sp.diff(sp.log(rate), var))
                formulas[(scaling, name, over)] = elasticity
                for kv, dv in ((4, 32), (16, 16), (8, 128)):
                    sym = float(elasticity.subs({k: kv, d: dv}))
                    num = theory_exponent(name, over, kv, dv, sigma_scaling=scaling)
                    worst = max(worst, abs(sym - num))
    cnn_k = formulas[("inverse_sqrt_k", "cnn_upper", "k")]
    expected = -d / (k + d) + 1 / sp.log(k * d)
    ok = worst < 1e-12 and sp.simplify(sp.expand_log(cnn_k - expected, force=True)) == 0
    return CheckResult("dsd.rate_elasticities", bool(ok), f"CNN k-elasticity (sigma = c/sqrt k): {cnn_k}; code agrees "
                       f"to {worst:.1e}")

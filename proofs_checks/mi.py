"""Mutual-information ground truths (theorylab.estimators.mutual_information), derived and checked with sympy.

* Student-t: the entropy of a k-variate t with identity dispersion is
  h_k = lnG(nu/2) - lnG((nu+k)/2) + k/2 ln(nu pi) + (nu+k)/2 [psi((nu+k)/2) - psi(nu/2)];
  for k = 1, nu = 1 it equals the Cauchy entropy ln(4 pi) (30-digit quadrature), and
  c = h_m + h_n - h_{m+n} gives the closed forms listed under (M3) in docs/theory/mutual_information.md (ln(8 pi) - 3, ...).
* Additive uniform channel: I = h(Y) - ln(2 eps) with the trapezoid density of Y, integrated
  symbolically on both sides of eps = 1/2.
* Gaussian plug-in bias 1/2 [S(dx) + S(dy) - S(dx+dy)], S(p) = sum_{i<=p} psi((n-i+1)/2): its large-n
  series is dx dy / (2n) + O(n^-2), with the exact second terms listed under (M5) in the theory note.
* The 2x2 Gaussian log-det identity 1/2 ln(s_x^2 s_y^2 / det S) = -1/2 ln(1 - rho^2).
* The optimal critic f* = ln p(x,y)/(p(x)p(y)) of a standard bivariate normal, in the form the claims
  use, satisfies E_{p(x)p(y)} exp f* = 1 (which makes NWJ(f* + 1) unbiased).

Each symbolic result is also compared with the numeric code.
"""

from __future__ import annotations

import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check

STUDENT_CASES = {(1, 1): sp.log(8 * sp.pi) - 3, (2, 1): sp.log(3) - sp.Rational(2, 3), (2, 2): sp.log(2) - sp.Rational(1, 2),
                 (3, 2): 6 - sp.log(96 * sp.pi), (3, 3): sp.log(3360 * sp.pi) - sp.Rational(318, 35),
                 (5, 2): sp.Rational(233, 30) - sp.log(480 * sp.pi),
                 (5, 3): sp.log(147840 * sp.pi) - sp.Rational(44179, 3465)}  # (dim of x = dim of y, df): (M3) of the theory note


def _h(k, nu):
    a = sp.Rational(nu + k, 2)
    nu = sp.Integer(nu)
    return sp.loggamma(nu / 2) - sp.loggamma(a) + sp.Rational(k, 2) * sp.log(nu * sp.pi) + a * (sp.digamma(a) - sp.digamma(nu / 2))


def student_t_correction_exact(dim: int, df: int):
    """c(nu, d, d) = h_d + h_d - h_{2d} as an exact sympy expression."""
    return sp.simplify(sp.expand_func(2 * _h(dim, df) - _h(2 * dim, df)))


def student_t_exact_values() -> dict:
    """Exact Student-t MI (identity dispersion) for the theory note's seven cases, as floats."""
    return {case: float(sp.N(student_t_correction_exact(*case), 30)) for case in STUDENT_CASES}


@symbolic_check
def check_student_t_closed_forms() -> CheckResult:
    # Cauchy entropy -int p ln p, p = 1/(pi (1 + x^2)); with x = tan t, p dx = dt / pi and
    # ln p = -ln pi + 2 ln cos t. sympy leaves the ln cos integral unevaluated, so it is evaluated
    # to 30 digits (mpmath quadrature) and compared with ln(4 pi) and with h_1 at nu = 1.
    t = sp.symbols("t", real=True)
    h_cauchy = -sp.Integral((-sp.log(sp.pi) + 2 * sp.log(sp.cos(t))) / sp.pi, (t, -sp.pi / 2, sp.pi / 2))
    gap = max(abs(sp.N(h_cauchy - sp.log(4 * sp.pi), 30)), abs(sp.N(h_cauchy - sp.expand_func(_h(1, 1)), 30)))
    entropy_ok = gap < sp.Float("1e-25")
    bad = [case for case, form in STUDENT_CASES.items()
           if abs(sp.N(student_t_correction_exact(*case) - form, 30)) > sp.Float("1e-25")]

    import numpy as np

    from theorylab.estimators.mutual_information import mi_student_t

    worst = max(abs(float(mi_student_t(np.eye(2 * d), d, df)) - float(sp.N(form, 20)))
                for (d, df), form in STUDENT_CASES.items())
    ok = bool(entropy_ok) and not bad and worst < 1e-12
    return CheckResult("mi.student_t_closed_forms", ok,
                       f"Cauchy entropy by quadrature = ln(4 pi) = h_1(nu=1) to {float(gap):.0e}; closed forms that "
                       f"differ: {bad}; numeric code max error {worst:.1e}")


def additive_uniform_exact():
    """``eps -> I`` from the symbolic entropy of Y = X + U(-eps, eps), X ~ U(0, 1) (a float function)."""
    t = sp.symbols("t", positive=True)
    e = sp.symbols("epsilon", positive=True)
    # eps <= 1/2: two ramps of width 2 eps rising to density 1, a flat part of density 1 (entropy 0)
    h_small = 2 * -sp.integrate((t / (2 * e)) * sp.log(t / (2 * e)), (t, 0, 2 * e))
    # eps > 1/2: two ramps of width 1 rising to 1/(2 eps), a flat part of width 2 eps - 1 at 1/(2 eps)
    h_large = 2 * -sp.integrate((t / (2 * e)) * sp.log(t / (2 * e)), (t, 0, 1)) - (2 * e - 1) / (2 * e) * sp.log(1 / (2 * e))
    small = sp.simplify(h_small - sp.log(2 * e))
    large = sp.simplify(h_large - sp.log(2 * e))
    f_small, f_large = sp.lambdify(e, small, "math"), sp.lambdify(e, large, "math")
    fn = lambda eps: f_small(eps) if eps <= 0.5 else f_large(eps)
    fn.expressions = (small, large)
    return fn


@symbolic_check
def check_additive_uniform_integral() -> CheckResult:
    fn = additive_uniform_exact()
    small, large = fn.expressions
    e = sp.symbols("epsilon", positive=True)
    forms_ok = sp.simplify(small - (e - sp.log(2 * e))) == 0 and sp.simplify(large - 1 / (4 * e)) == 0
    continuous = sp.simplify(small.subs(e, sp.Rational(1, 2)) - large.subs(e, sp.Rational(1, 2))) == 0

    from theorylab.estimators.mutual_information import mi_additive_uniform

    worst = max(abs(float(mi_additive_uniform(v)) - fn(v)) for v in (0.01, 0.1, 0.3, 0.5, 0.75, 3.0))
    ok = bool(forms_ok) and bool(continuous) and worst < 1e-13
    return CheckResult("mi.additive_uniform_integral", ok,
                       f"eps - ln(2 eps) and 1/(4 eps): {bool(forms_ok)}; continuous at 1/2: {bool(continuous)}; "
                       f"numeric code max error {worst:.1e}")


def plugin_bias_exact(dx: int, dy: int):
    n = sp.symbols("n", positive=True)

    def s(p):
        return sum(sp.digamma((n - i + 1) / 2) for i in range(1, p + 1))

    return n, sp.Rational(1, 2) * (s(dx) + s(dy) - s(dx + dy))


@symbolic_check
def check_plugin_bias_series() -> CheckResult:
    expected = {(1, 1): lambda n: (2 * n + 3) / (4 * n**2), (2, 3): lambda n: 3 * (n + 3) / n**2,
                (5, 5): lambda n: 25 * (2 * n + 11) / (4 * n**2)}
    bad = []
    for (dx, dy), form in expected.items():
        n, b = plugin_bias_exact(dx, dy)
        series = sp.series(b.rewrite(sp.polygamma), n, sp.oo, 3).removeO()
        if sp.simplify(series - form(n)) != 0:
            bad.append((dx, dy, series))
        lead = sp.limit(n * b, n, sp.oo)
        if sp.simplify(lead - sp.Rational(dx * dy, 2)) != 0:
            bad.append((dx, dy, "leading term", lead))

    from theorylab.estimators.mutual_information import gaussian_plugin_bias

    worst = 0.0
    for dx, dy, big_n in ((5, 5, 500), (1, 1, 500), (25, 25, 1000), (2, 3, 40)):
        n, b = plugin_bias_exact(dx, dy)
        worst = max(worst, abs(float(gaussian_plugin_bias(dx, dy, big_n)) - float(sp.N(b.subs(n, big_n - 1), 20))))
    ok = not bad and worst < 1e-13
    return CheckResult("mi.plugin_bias_series", ok,
                       f"series mismatches {bad}; numeric code vs sympy digamma sums max error {worst:.1e}")


@symbolic_check
def check_gaussian_2x2_logdet() -> CheckResult:
    sx, sy = sp.symbols("sigma_x sigma_y", positive=True)
    rho = sp.symbols("rho", real=True)
    cov = sp.Matrix([[sx**2, rho * sx * sy], [rho * sx * sy, sy**2]])
    mi = sp.Rational(1, 2) * sp.log(sx**2 * sy**2 / cov.det())
    ok = sp.simplify(sp.expand_log(mi + sp.log(1 - rho**2) / 2, force=True)) == 0

    import numpy as np

    from theorylab.estimators.mutual_information import mi_gaussian

    num = float(mi_gaussian(np.array([[4.0, 0.3 * 2 * 5], [0.3 * 2 * 5, 25.0]]), 1))
    err = abs(num + 0.5 * np.log(1 - 0.09))
    return CheckResult("mi.gaussian_2x2_logdet", bool(ok) and err < 1e-14,
                       f"1/2 ln(sx^2 sy^2 / det) = -1/2 ln(1 - rho^2): {bool(ok)}; numeric error {err:.1e}")


@symbolic_check
def check_optimal_critic_normalisation() -> CheckResult:
    x, y = sp.symbols("x y", real=True)
    r = sp.Rational(9, 10)
    f_star = -sp.log(1 - r**2) / 2 - (r**2 * x**2 - 2 * r * x * y + r**2 * y**2) / (2 * (1 - r**2))
    phi = lambda t: sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)
    joint = sp.exp(-(x**2 - 2 * r * x * y + y**2) / (2 * (1 - r**2))) / (2 * sp.pi * sp.sqrt(1 - r**2))
    ratio_ok = sp.simplify(sp.exp(f_star) * phi(x) * phi(y) - joint) == 0
    total = sp.integrate(sp.integrate(sp.exp(f_star) * phi(x) * phi(y), (y, -sp.oo, sp.oo)), (x, -sp.oo, sp.oo))
    ok = bool(ratio_ok) and sp.simplify(total - 1) == 0
    return CheckResult("mi.optimal_critic_normalisation", ok,
                       f"exp(f*) p(x) p(y) = p(x, y): {bool(ratio_ok)}; E_(p x p) exp f* = {sp.simplify(total)}")

"""The AGS (P = 2 Hopfield) formulas used by :mod:`theorylab.statmech.ags`, derived with sympy."""

from __future__ import annotations

import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check

y, alpha, beta, q, r, m, h = sp.symbols("y alpha beta q r m h", positive=True)


def t0_alpha_of_y() -> sp.Expr:
    r"""alpha(y) on the T = 0 retrieval branch.

    At T = 0: m = erf(y) with y = m / sqrt(2 alpha r), and C = beta (1 - q) -> sqrt(2/(pi alpha r)) e^{-y^2}
    (Stein's lemma on the tanh derivative), r = 1/(1 - C)^2. Eliminating r: m (1 - C) = y sqrt(2 alpha)
    with C = (2/sqrt(pi)) (y/m) e^{-y^2}.
    """
    mm = sp.erf(y)
    C = 2 / sp.sqrt(sp.pi) * y / mm * sp.exp(-y**2)
    return sp.simplify((mm * (1 - C) / y) ** 2 / 2)


@symbolic_check
def check_t0_closed_form_matches_code() -> CheckResult:
    """The derived alpha(y) equals ``ags_alpha_of_y`` at sample points."""
    import jax.numpy as jnp

    from theorylab.statmech.ags import ags_alpha_of_y

    expr = t0_alpha_of_y()
    worst = max(abs(float(expr.subs(y, v)) - float(ags_alpha_of_y(jnp.asarray(v)))) for v in (0.6, 1.0, 1.51, 2.3, 3.7))
    return CheckResult("AGS alpha(y)", worst < 1e-14, f"max difference {worst:.1e}")


def t0_critical_point(prec: int = 30):
    """(y*, alpha_c, m_c) from alpha'(y) = 0, by sympy nsolve at ``prec`` digits."""
    expr = t0_alpha_of_y()
    ystar = sp.nsolve(sp.diff(expr, y), y, 1.5, prec=prec)
    return ystar, expr.subs(y, ystar).evalf(prec), sp.erf(ystar).evalf(prec)


@symbolic_check
def check_t0_critical_load() -> CheckResult:
    """nsolve gives alpha_c = 0.1379055..., m_c = 0.96741...; the fold solver agrees to 1e-10."""
    from theorylab.statmech.ags import ags_critical_load_t0

    ystar, a_c, m_c = t0_critical_point()
    crit = ags_critical_load_t0()
    err = max(abs(float(crit.alpha_c) - float(a_c)), abs(float(crit.m) - float(m_c)))
    return CheckResult("AGS alpha_c(T=0)", err < 1e-10,
                       f"sympy: alpha_c = {float(a_c):.12f}, m_c = {float(m_c):.12f}, y* = {float(ystar):.9f}; fold solver off by {err:.1e}")


@symbolic_check
def check_spin_glass_temperature() -> CheckResult:
    """Linearising q = E tanh^2(beta sqrt(alpha r) z), r = q / (1 - beta(1-q))^2 at q -> 0 gives T_g = 1 + sqrt(alpha)."""
    z = sp.symbols("z", real=True)
    s = sp.symbols("s", positive=True)
    phi = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    # E tanh^2(s z) = s^2 + O(s^4): second-order Taylor coefficient, integrated exactly
    series = sp.series(sp.tanh(s * z) ** 2, s, 0, 4).removeO()
    coeff = sp.integrate(sp.expand(series) * phi, (z, -sp.oo, sp.oo))
    first_order_ok = sp.simplify(coeff - s**2) == 0
    # q = beta^2 alpha r and r = q/(1-beta)^2 at leading order: nonzero q needs beta^2 alpha = (1-beta)^2
    roots = sp.solve(sp.Eq(beta**2 * alpha, (1 - beta) ** 2), beta)
    temps = {sp.simplify(1 / b) for b in roots}
    ok = first_order_ok and any(sp.simplify(t - (1 + sp.sqrt(alpha))) == 0 for t in temps)
    return CheckResult("AGS T_g", ok, f"E tanh^2(sz) = s^2 + O(s^4): {first_order_ok}; 1/beta roots: {sorted(map(str, temps))}")


@symbolic_check
def check_curie_weiss_fold() -> CheckResult:
    """m = tanh(beta (m + h)) folds where beta (1 - m^2) = 1: m* = sqrt(1 - 1/beta), h* = atanh(m*)/beta - m*.

    Used as the continuation test problem; the fold solver must agree to 1e-10 at beta = 2.
    """
    import jax.numpy as jnp

    from theorylab.numerics import locate_fold

    F = m - sp.tanh(beta * (m + h))
    m_star = sp.sqrt(1 - 1 / beta)
    h_star = sp.atanh(m_star) / beta - m_star
    # the pair solves F = 0 and dF/dm = 0 symbolically
    residuals = [sp.simplify(F.subs(h, h_star).subs(m, m_star)),
                 sp.simplify(sp.diff(F, m).subs(h, h_star).subs(m, m_star))]
    symbolic_ok = all(sp.simplify(sp.expand_trig(rr.rewrite(sp.exp))) == 0 for rr in residuals)
    b = 2.0
    sol = locate_fold(lambda x, lam, bb: x - jnp.tanh(bb * (x + lam)), jnp.array([0.6]), -0.2, b)
    err = max(abs(float(sol.value.x[0]) - float(m_star.subs(beta, b))), abs(float(sol.value.lam) - float(h_star.subs(beta, b))))
    return CheckResult("Curie-Weiss fold", symbolic_ok and err < 1e-10,
                       f"symbolic residuals vanish: {symbolic_ok}; fold solver off by {err:.1e}")

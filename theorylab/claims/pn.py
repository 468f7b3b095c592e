"""Claims of Sheena (2021), the p-n criterion: the MLE's KL risk toward the information projection.

The paper's body could not be read (see the theory note, ``docs/theory/pn_criterion.md``): its printed
n^-2 term, Bayes-error inequality and data-set verdicts are unknown. The claims below therefore
check the expansion that theorylab derives from first principles against independent truth:
exact finite-n risks and their sympy series, mpmath values recorded in the theory note (P1-P4), closed-form
moment formulas, statsmodels' TIC, and Monte Carlo with stated standard errors.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from math import factorial

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.claims._figures import pyplot
from theorylab.claims.base import AtLeast, AtMost, claim, Close, Measurement
from theorylab.infogeo import (
    TruthCumulants,
    exact_risk_exponential_gamma,
    exact_risk_mvn,
    exact_risk_normal,
    exponential,
    from_quadrature,
    kl_divergence,
    mle,
    mvn,
    normal,
    polynomial_on_interval,
    reparametrize,
    risk_coefficients,
    risk_expansion,
    risk_monte_carlo,
    tic_penalty,
    truth_from_model,
    truth_from_raw_moments,
)

# ----------------------------------------------------------------- exact truths (raw moments)


def _gamma_moments(k: int, order: int):
    """E x^j of Gamma(k, rate 1) for integer k: (k + j - 1)! / (k - 1)!."""
    return [float(Fraction(factorial(k + j - 1), factorial(k - 1))) for j in range(order + 1)]


def _symmetric_moments(even_moment, order: int):
    return [0.0 if j % 2 else float(even_moment(j)) for j in range(order + 1)]


def _beta_moments(a: int, b: int, order: int):
    out, r = [], Fraction(1)
    for j in range(order + 1):
        out.append(float(r))
        r *= Fraction(a + j, a + b + j)
    return out


NU = 10
NORMAL_TRUTHS = {
    # name: (raw moments E x^0..6, numpyro sampler)
    "gaussian": (_symmetric_moments(lambda j: Fraction(factorial(j), 2 ** (j // 2) * factorial(j // 2)), 6), "normal"),
    "laplace": (_symmetric_moments(lambda j: factorial(j), 6), "laplace"),
    "student_t10": (_symmetric_moments(
        lambda j: {0: 1, 2: Fraction(NU, NU - 2), 4: Fraction(3 * NU**2, (NU - 2) * (NU - 4)),
                   6: Fraction(15 * NU**3, (NU - 2) * (NU - 4) * (NU - 6))}[j], 6), "student_t10"),
    "gamma3": (_gamma_moments(3, 6), "gamma3"),
    "uniform": (_symmetric_moments(lambda j: Fraction(1, j + 1), 6), "uniform"),
}


@functools.lru_cache(maxsize=None)
def _sampler(name):
    """``sampler(key, shape)`` for a named truth; cached, so compiled Monte Carlo batches are reused."""
    import numpyro.distributions as dist

    d = {"normal": dist.Normal(0.0, 1.0), "laplace": dist.Laplace(0.0, 1.0), "student_t10": dist.StudentT(float(NU)),
         "gamma3": dist.Gamma(3.0, 1.0), "uniform": dist.Uniform(-1.0, 1.0), "gamma2": dist.Gamma(2.0, 1.0),
         "beta25": dist.Beta(2.0, 5.0)}[name]
    return lambda key, shape: d.sample(key, shape)


def normal_c2_closed_form(raw):
    """(C1, C2) = ((b2+1)/4, 9 b2^2/8 - 3 b2/4 + 3 g1^2 - m6/3 + 53/24) from raw moments E x^0..6 (proofs_checks/pn.py)."""
    m1 = raw[1]
    central = [sum(factorial(k) // (factorial(i) * factorial(k - i)) * raw[i] * (-m1) ** (k - i) for i in range(k + 1))
               for k in range(7)]
    var = central[2]
    g1, b2, m6 = central[3] / var**1.5, central[4] / var**2, central[6] / var**3
    return (b2 + 1) / 4, 9 * b2**2 / 8 - 3 * b2 / 4 + 3 * g1**2 - m6 / 3 + 53 / 24


# ----------------------------------------------------------------- measurements


@claim(
    "pn.bregman_coefficients",
    statement="The KL risk expands through the Taylor series of the Bregman remainder, whose k-th "
    "coefficient is (k-1)/k!: 1/2, 1/3, 1/8, 1/30, 1/144.",
    expected={f"k={k}": Close((k - 1) / factorial(k), 1e-15) for k in range(2, 7)},
    sizes={"quick": {}, "full": {}},
    source="(N2) of docs/theory/pn_criterion.md (sympy, proofs_checks/pn.py); values are (k-1)/k!",
)
def measure_bregman(key):
    del key
    from theorylab.proofs_checks.pn import bregman_taylor_coefficients

    coeffs = bregman_taylor_coefficients(6)
    return Measurement({f"k={k}": float(c) for k, c in coeffs.items()},
                       notes="sympy expansion of phi(mu) - phi(mu+d) + d phi'(mu+d) in d")


@claim(
    "pn.exponential_gamma",
    statement="Exponential model, Gamma(k) truth: R_n = 1/(2kn) + 11/(12 k^2 n^2) + O(n^-3); at k = 2 the "
    "exact risk R_10 = 0.0274232976355 matches Monte Carlo.",
    expected={"C1": Close(0.25, 1e-12), "C2": Close(11 / 48, 1e-12), "exact R_10": Close(0.0274232976355, 1e-12),
              "|MC - exact| / SE": AtMost(3.0)},
    sizes={"quick": {"reps": 20000}, "full": {"reps": 200000}},
    source="series of the exact risk psi(nk) - log(nk) + 1/(nk-1) (sympy, proofs_checks/pn.py); mpmath value "
    "P1 of docs/theory/pn_criterion.md (exact risk (N6))",
)
def measure_exponential_gamma(key, *, reps: int):
    k = 2
    truth = truth_from_raw_moments(_gamma_moments(k, 3), [1])
    co = risk_coefficients(exponential(), truth)
    n = 10
    mc = risk_monte_carlo(key, exponential(), _sampler("gamma2"), n, reps, truth=truth)
    exact = float(exact_risk_exponential_gamma(n, k))
    return Measurement(
        {"C1": float(co.C1), "C2": float(co.C2), "exact R_10": exact, "|MC - exact| / SE": abs(mc.value - exact) / mc.standard_error},
        notes=f"MC R_10 = {mc.value:.6g} ± {mc.standard_error:.2g} ({reps} replications, control variate)")


@claim(
    "pn.normal_gaussian",
    statement="Normal model, Gaussian truth: C1 = 1 and C2 = 61/12; the exact risk is 0.753246801612 (n = 5), "
    "0.175430792677 (n = 10), 0.0284650889899 (n = 40), and Monte Carlo agrees.",
    expected={"C1": Close(1.0, 1e-12), "C2": Close(61 / 12, 1e-12), "exact R_5": Close(0.753246801612, 1e-11),
              "exact R_10": Close(0.175430792677, 1e-11), "exact R_40": Close(0.0284650889899, 1e-12),
              "|MC - exact| / SE": AtMost(3.0)},
    sizes={"quick": {"reps": 20000}, "full": {"reps": 200000}},
    source="Wishart-moment exact risk and its sympy series; mpmath values P2 of docs/theory/pn_criterion.md (exact risk (N8))",
)
def measure_normal_gaussian(key, *, reps: int):
    truth = truth_from_raw_moments(NORMAL_TRUTHS["gaussian"][0], [1, 2])
    co = risk_coefficients(normal(), truth)
    n = 10
    mc = risk_monte_carlo(key, normal(), _sampler("normal"), n, reps, truth=truth)
    exact = float(exact_risk_normal(n))
    return Measurement(
        {"C1": float(co.C1), "C2": float(co.C2), "exact R_5": float(exact_risk_normal(5)), "exact R_10": exact,
         "exact R_40": float(exact_risk_normal(40)), "|MC - exact| / SE": abs(mc.value - exact) / mc.standard_error},
        notes=f"MC R_10 = {mc.value:.6g} ± {mc.standard_error:.2g} ({reps} replications)")


@claim(
    "pn.normal_other_truths",
    statement="Normal model, non-Gaussian truths: C1 = (beta2+1)/4 and C2 = 9 beta2^2/8 - 3 beta2/4 + 3 gamma1^2 "
    "- mu6/3 + 53/24 (Laplace 7/4, 197/24; Student-t(10) 5/4, 31/8; Uniform 7/10, 6757/2100; Gamma(3) 3/2).",
    expected={"C1 laplace": Close(7 / 4, 1e-9), "C2 laplace": Close(197 / 24, 1e-9),
              "C1 student_t10": Close(5 / 4, 1e-9), "C2 student_t10": Close(31 / 8, 1e-9),
              "C1 uniform": Close(7 / 10, 1e-9), "C2 uniform": Close(6757 / 2100, 1e-9),
              "C1 gamma3": Close(3 / 2, 1e-9), "C2 gamma3 - closed form": Close(0.0, 1e-9),
              "C2 laplace - closed form": Close(0.0, 1e-9), "C2 student_t10 - closed form": Close(0.0, 1e-9),
              "C2 uniform - closed form": Close(0.0, 1e-9)},
    sizes={"quick": {}, "full": {}},
    source="closed forms (N7) of docs/theory/pn_criterion.md, re-derived by sympy in proofs_checks/pn.py",
)
def measure_normal_other_truths(key):
    del key
    out = {}
    for name in ("laplace", "student_t10", "uniform", "gamma3"):
        co = risk_coefficients(normal(), truth_from_raw_moments(NORMAL_TRUTHS[name][0], [1, 2]))
        c1_formula, c2_formula = normal_c2_closed_form(NORMAL_TRUTHS[name][0])
        out[f"C1 {name}"] = float(co.C1)
        out[f"C2 {name}"] = float(co.C2)
        out[f"C2 {name} - closed form"] = float(co.C2) - c2_formula
    return Measurement(out, notes="autodiff C1, C2 with exact truth moments; closed form (beta2+1)/4 and the "
                                   "skewness/kurtosis/sixth-moment formula")


@claim(
    "pn.mvn_correct",
    statement="Correctly specified multivariate normal: C1 = d(d+3)/4 and C2 = 203/12 (d = 2), 38 (d = 3); "
    "exact risks (d, n) = (2, 20) 0.179104584185, (2, 50) 0.0574208235750, (3, 20) 0.355357446478, "
    "(3, 50) 0.107073736399.",
    expected={"C1 d=2": Close(2.5, 1e-10), "C2 d=2": Close(203 / 12, 1e-10), "C1 d=3": Close(4.5, 1e-10),
              "C2 d=3": Close(38.0, 1e-10), "exact R(d=2, n=20)": Close(0.179104584185, 1e-11),
              "exact R(d=2, n=50)": Close(0.0574208235750, 1e-12), "exact R(d=3, n=20)": Close(0.355357446478, 1e-11),
              "exact R(d=3, n=50)": Close(0.107073736399, 1e-11)},
    sizes={"quick": {}, "full": {}},
    source="series of the Wishart exact risk (sympy); mpmath values P3 of docs/theory/pn_criterion.md (exact risk (N9))",
)
def measure_mvn(key):
    del key
    out = {}
    for d in (2, 3):
        fam = mvn(d)
        co = risk_coefficients(fam, truth_from_model(fam, fam.theta_init), mode="matrix_free")
        out[f"C1 d={d}"], out[f"C2 d={d}"] = float(co.C1), float(co.C2)
    for d, n in ((2, 20), (2, 50), (3, 20), (3, 50)):
        out[f"exact R(d={d}, n={n})"] = float(exact_risk_mvn(n, d))
    return Measurement(out, notes="matrix-free coefficients; exact risks from the Wishart-moment formula")


def draw_second_order(data):
    """Relative error of the first- and second-order expansions against Monte Carlo, per truth and n."""
    plt = pyplot()
    ns, errs1, errs2, names = data["n"], data["first_order"], data["second_order"], data["truths"]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for j, name in enumerate(names):
        ax.plot(ns, [100 * errs1[(name, n)] for n in ns], "o--", color=f"C{j}", label=f"{name}: C1/n")
        ax.plot(ns, [100 * errs2[(name, n)] for n in ns], "s-", color=f"C{j}", label=f"{name}: + C2/n²")
    ax.axhline(0, color="k", lw=0.7)
    ax.set_xlabel("n")
    ax.set_ylabel("relative error vs Monte Carlo (%)")
    ax.set_title("Normal model: first vs second order")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


@claim(
    "pn.second_order_improves",
    statement="The n^-2 term improves the approximation: for the normal model under Gaussian, Laplace, "
    "Student-t(10), Gamma(3) and uniform truths, |error of C1/n + C2/n^2| < |error of C1/n| at n = 20, 40, "
    "and the second-order error is within 3% at n = 40.",
    expected={"min (|err1| - |err2|)": AtLeast(0.0), "max |err2| at n=40": AtMost(0.03)},
    sizes={"quick": {"reps": 100000}, "full": {"reps": 400000}},
    source="Monte Carlo with a control variate (SE quoted in the notes); the expansion is (N3)-(N5) of "
    "docs/theory/pn_criterion.md",
    figure=draw_second_order,
)
def measure_second_order(key, *, reps: int, ns=(20, 40)):
    rows, errs1, errs2 = {}, {}, {}
    keys = jax.random.split(key, len(NORMAL_TRUTHS) * len(ns))
    i = 0
    for name, (raw, sampler) in NORMAL_TRUTHS.items():
        truth = truth_from_raw_moments(raw, [1, 2])
        co = risk_coefficients(normal(), truth)
        for n in ns:
            mc = risk_monte_carlo(keys[i], normal(), _sampler(sampler), n, reps, truth=truth)
            i += 1
            e1 = float(risk_expansion(co, n, order=1)) / mc.value - 1
            e2 = float(risk_expansion(co, n, order=2)) / mc.value - 1
            errs1[(name, n)], errs2[(name, n)] = e1, e2
            rows[(name, n)] = mc
    margin = min(abs(errs1[key_]) - abs(errs2[key_]) for key_ in errs1)
    worst40 = max(abs(errs2[(name, 40)]) for name in NORMAL_TRUTHS)
    table = "; ".join(f"{nm} n={n}: {100 * errs1[(nm, n)]:+.1f}% / {100 * errs2[(nm, n)]:+.2f}% "
                      f"(MC SE {100 * rows[(nm, n)].standard_error / rows[(nm, n)].value:.2f}%)" for (nm, n) in errs1)
    return Measurement({"min (|err1| - |err2|)": margin, "max |err2| at n=40": worst40},
                       data={"n": ns, "first_order": errs1, "second_order": errs2, "truths": list(NORMAL_TRUTHS)},
                       notes=f"{reps} replications per cell, control variate; first / second order: {table}")


@claim(
    "pn.no_closed_normaliser",
    statement="The expansion works without a closed-form normaliser: the cubic family on [0, 1] under a "
    "Beta(2, 5) truth has theta* = (10.3348955454, -24.6442573464, 9.33295134572), C1 = 1.22092372981, "
    "C2 = 11.5118963895.",
    expected={"theta*_1": Close(10.3348955454, 1e-8), "theta*_2": Close(-24.6442573464, 1e-8),
              "theta*_3": Close(9.33295134572, 1e-8), "C1": Close(1.22092372981, 1e-8), "C2": Close(11.5118963895, 1e-8)},
    sizes={"quick": {}, "full": {}},
    source="mpmath computation independent of JAX, P4 of docs/theory/pn_criterion.md",
)
def measure_cubic(key):
    del key
    fam = polynomial_on_interval(3)
    co = risk_coefficients(fam, truth_from_raw_moments(_beta_moments(2, 5, 9), [1, 2, 3]))
    th = np.asarray(co.theta_star)
    return Measurement({"theta*_1": th[0], "theta*_2": th[1], "theta*_3": th[2], "C1": float(co.C1), "C2": float(co.C2)},
                       notes="96-node Gauss-Legendre log-partition; exact Beta(2,5) moments")


@claim(
    "pn.invariances",
    statement="C1 and C2 are invariant under affine reparametrisation of the statistic and under location-scale "
    "changes of the data; the total KL risk splits exactly (Pythagoras) into approximation error plus R_n.",
    expected={"|dC1| affine": AtMost(1e-10), "|dC2| affine": AtMost(1e-9), "|dC1| location-scale": AtMost(1e-10),
              "|dC2| location-scale": AtMost(1e-9), "Pythagoras violation": AtMost(1e-13)},
    sizes={"quick": {}, "full": {}},
    source="exact identities (affine invariance of (N4)-(N5) and the Pythagorean identity, docs/theory/pn_criterion.md; P8)",
)
def measure_invariances(key):
    truth = truth_from_raw_moments(NORMAL_TRUTHS["laplace"][0], [1, 2])
    base = risk_coefficients(normal(), truth)
    A = jnp.array([[2.0, 0.5], [-0.3, 1.5]])
    b = jnp.array([0.7, -1.1])
    fam2 = reparametrize(normal(), A, b)
    truth2 = TruthCumulants(A @ truth.mean + b, A @ truth.cov @ A.T, jnp.einsum("abc,ia,jb,kc->ijk", truth.k3, A, A, A))
    moved = risk_coefficients(fam2, truth2)
    # location-scale change of the data: x -> 3 x - 2 leaves C1, C2 of the normal model unchanged
    raw = NORMAL_TRUTHS["laplace"][0]
    scaled = [sum(Fraction(factorial(j), factorial(i) * factorial(j - i)) * Fraction(raw[i]) * 3**i * (-2) ** (j - i)
                  for i in range(j + 1)) for j in range(7)]
    loc_scale = risk_coefficients(normal(), truth_from_raw_moments([float(v) for v in scaled], [1, 2]))
    # Pythagorean identity on random discrete truths (support 0..5, quadratic family)
    support = jnp.arange(6.0)
    fam = from_quadrature(lambda x: jnp.stack([x, x * x]), support, jnp.zeros(6), name="quadratic on {0..5}")
    worst = 0.0
    for kk in jax.random.split(key, 50):
        ka, kb = jax.random.split(kk)
        g = jax.random.dirichlet(ka, jnp.ones(6))
        theta_star = mle(fam, fam.stats(support).T @ g).raise_if_failed().value
        theta_hat = theta_star + 0.5 * jax.random.normal(kb, (2,))
        kl_truth = lambda th: jnp.sum(g * (jnp.log(g) - fam.log_density(support, th)))
        lhs = kl_truth(theta_hat)
        rhs = kl_truth(theta_star) + kl_divergence(fam, theta_star, theta_hat)
        worst = max(worst, abs(float(lhs - rhs)))
    return Measurement({
        "|dC1| affine": abs(float(moved.C1 - base.C1)), "|dC2| affine": abs(float(moved.C2 - base.C2)),
        "|dC1| location-scale": abs(float(loc_scale.C1 - base.C1)), "|dC2| location-scale": abs(float(loc_scale.C2 - base.C2)),
        "Pythagoras violation": worst,
    }, notes="affine t -> A t + b with covariant truth cumulants; data x -> 3x - 2; 50 random discrete truths")


@claim(
    "pn.tic_statsmodels",
    statement="The first-order coefficient is Takeuchi's penalty: 4 C1_hat equals statsmodels' TIC penalty "
    "2 tr(J^-1 I) for an intercept-only Poisson model.",
    expected={"|4 C1_hat - statsmodels TIC penalty|": AtMost(1e-8)},
    sizes={"quick": {}, "full": {}},
    source="statsmodels DiscreteResults.info_criteria('tic'), run in the same process",
)
def measure_tic(key):
    try:
        import statsmodels.api as sm
    except ImportError as err:  # the peer is an optional extra
        raise RuntimeError("this claim compares with statsmodels: install theorylab[verify] (make verify does)") from err
    from theorylab.infogeo import poisson

    rng = np.random.default_rng(int(jax.random.randint(key, (), 0, 2**31 - 1)))
    y = rng.negative_binomial(5, 5 / 9, size=2000)
    res = sm.Poisson(y, np.ones((y.size, 1))).fit(disp=0)
    statsmodels_penalty = res.info_criteria("tic") + 2 * res.llf
    ours = tic_penalty(poisson(), y.astype(float))
    return Measurement({"|4 C1_hat - statsmodels TIC penalty|": abs(ours - statsmodels_penalty)},
                       notes=f"intercept-only Poisson on negative-binomial data (n = 2000): statsmodels "
                             f"{statsmodels_penalty:.10f}, theorylab {ours:.10f}")


def _tv_normals(m1, s1, m2, s2, nodes=4001):
    lo = jnp.minimum(m1 - 12 * s1, m2 - 12 * s2)
    hi = jnp.maximum(m1 + 12 * s1, m2 + 12 * s2)
    x = jnp.linspace(0.0, 1.0, nodes)[:, None] * (hi - lo) + lo
    p = jnp.exp(-0.5 * ((x - m1) / s1) ** 2) / (s1 * jnp.sqrt(2 * jnp.pi))
    q = jnp.exp(-0.5 * ((x - m2) / s2) ** 2) / (s2 * jnp.sqrt(2 * jnp.pi))
    return 0.5 * jax.scipy.integrate.trapezoid(jnp.abs(p - q), x, axis=0)


@claim(
    "pn.bayes_error_bound",
    statement="Risk below 8 eps^2 keeps the fitted density within Bayes error 1/2 - eps of the projection: "
    "E[BE] >= 1/2 - sqrt(R_n/8), with no per-sample Pinsker violation (normal model, Laplace data, n = 20, 80).",
    expected={"E[BE] - (1/2 - sqrt(R/8)), n=20": AtLeast(0.0), "E[BE] - (1/2 - sqrt(R/8)), n=80": AtLeast(0.0),
              "Pinsker violations, n=20": AtMost(0.0), "Pinsker violations, n=80": AtMost(0.0)},
    sizes={"quick": {"reps": 4000}, "full": {"reps": 40000}},
    source="Pinsker's inequality and Jensen (theorylab's instantiation of the paper's unread bound, "
    "(N10) of docs/theory/pn_criterion.md; prototype P6)",
)
def measure_bayes_error(key, *, reps: int):
    fam = normal()
    truth = truth_from_raw_moments(NORMAL_TRUTHS["laplace"][0], [1, 2])
    theta_star = mle(fam, truth.mean).raise_if_failed().value
    out = {}
    for n, k in zip((20, 80), jax.random.split(key, 2)):
        x = _sampler("laplace")(k, (reps, n))
        tbar = fam.stats(x).mean(axis=1)
        sols = jax.vmap(lambda tb: mle(fam, tb, theta_star))(tbar)
        ok = np.asarray(sols.converged)
        th = sols.value[ok]
        kl = jax.vmap(lambda t: kl_divergence(fam, theta_star, t))(th)
        to_ms = lambda t: (-t[..., 0] / (2 * t[..., 1]), jnp.sqrt(-1 / (2 * t[..., 1])))
        m0, s0 = to_ms(theta_star)
        mh, sh = to_ms(th)
        tv = _tv_normals(m0, s0, mh, sh)
        be = 0.5 * (1 - tv)
        risk = float(jnp.mean(kl))
        out[f"E[BE] - (1/2 - sqrt(R/8)), n={n}"] = float(jnp.mean(be)) - (0.5 - np.sqrt(risk / 8))
        out[f"Pinsker violations, n={n}"] = float(jnp.sum(tv > jnp.sqrt(kl / 2) + 1e-9))
    return Measurement(out, notes=f"normal model on Laplace data, {reps} samples per n; TV by quadrature")


@claim(
    "pn.mvn_d11",
    statement="At p = 77 (11-variate normal, correctly specified) C1 = 38.5 and C2 = 839.667; Monte Carlo at "
    "n = 400 matches the exact risk, and the second-order expansion is closer to it than the first.",
    expected={"C1": Close(38.5, 1e-8), "C2": Close(839.0 + 2.0 / 3.0, 1e-6), "|MC - exact| / SE": AtMost(3.0),
              "|err1| - |err2|": AtLeast(0.0)},
    sizes={"quick": {"reps": 1000, "n": 400}, "full": {"reps": 20000, "n": 400}},
    source="exact C2 = [d(d+2)(d+3) - d(d+1)(2d+1)/12 - d(d+1)/2 - d/3]/2 and the Wishart exact risk "
    "((N9) of docs/theory/pn_criterion.md)",
    full_only=True,
)
def measure_mvn_d11(key, *, reps: int, n: int):
    d = 11
    fam = mvn(d)
    truth = truth_from_model(fam, fam.theta_init)  # standard normal truth: correctly specified
    co = risk_coefficients(fam, truth, fam.theta_init, mode="matrix_free")

    def sampler(k, shape):
        return jax.random.normal(k, shape + (d,))

    mc = risk_monte_carlo(key, fam, sampler, n, reps, truth=truth, theta_star=fam.theta_init, batch=2000)
    exact = float(exact_risk_mvn(n, d))
    err1 = abs(float(risk_expansion(co, n, order=1)) / exact - 1)
    err2 = abs(float(risk_expansion(co, n, order=2)) / exact - 1)
    return Measurement({"C1": float(co.C1), "C2": float(co.C2), "|MC - exact| / SE": abs(mc.value - exact) / mc.standard_error,
                        "|err1| - |err2|": err1 - err2},
                       notes=f"p = {fam.dim}; n = {n}: exact R = {exact:.6g}, MC {mc.value:.6g} ± {mc.standard_error:.2g} ({reps} "
                             f"replications, {mc.num_failed} without an MLE); relative error of the expansion: first "
                             f"order {err1:.3%}, second order {err2:.3%}")


@claim(
    "pn.polynomial_degree5",
    statement="Without a closed normaliser at p = 5 (degree-5 family on [0, 1], Beta(2, 5) truth, n = 200, "
    "inside the regime |C2|/(n C1) < 0.5) the second-order expansion matches Monte Carlo within 3% and "
    "beats the first order.",
    expected={"|err1| - |err2|": AtLeast(0.0), "|err2|": AtMost(0.03), "|C2| / (n C1)": AtMost(0.5)},
    sizes={"quick": {"reps": 100000, "n": 200}, "full": {"reps": 1000000, "n": 200}},
    source="Monte Carlo with vmapped Newton MLEs ((N3)-(N5) of docs/theory/pn_criterion.md); the 3% bound is the "
    "one claim pn.second_order_improves sets for the normal models",
    full_only=True,
)
def measure_polynomial_degree5(key, *, reps: int, n: int):
    degree = 5
    fam = polynomial_on_interval(degree)
    truth = truth_from_raw_moments(_beta_moments(2, 5, 3 * degree), list(range(1, degree + 1)))
    co = risk_coefficients(fam, truth)
    mc = risk_monte_carlo(key, fam, _sampler("beta25"), n, reps, truth=truth, batch=50000)
    err1 = abs(float(risk_expansion(co, n, order=1)) / mc.value - 1)
    err2 = abs(float(risk_expansion(co, n, order=2)) / mc.value - 1)
    return Measurement({"|err1| - |err2|": err1 - err2, "|err2|": err2, "|C2| / (n C1)": abs(float(co.C2)) / (n * float(co.C1))},
                       notes=f"C1 = {float(co.C1):.6g}, C2 = {float(co.C2):.6g}; MC R_{n} = {mc.value:.6g} ± {mc.standard_error:.2g} "
                             f"({reps} replications, {mc.num_failed} without an MLE); relative error first order "
                             f"{err1:.2%}, second order {err2:.2%}")

"""Claims for sparse linear regression on random supports.

Seed paper: Chandrasekaran, Meka & Stavropoulos (2025). Only its abstract and table of contents could be
read (see the theory note, ``docs/theory/sparse.md``), and it has no experiments, so the claims check the
note's equations against independent sources: closed-form risks (S2)-(S4) against Monte Carlo, the
deterministic slow-rate inequality (S5, zero violations), the noise event (S6), exhaustive best subset
against enumeration, the cluster condition number (S7), and the headline made empirical: the
preconditioned Lasso against LassoCV and OMP on ill-conditioned designs with random and worst-case
supports, and N*(eps) as d grows. The last two take minutes on a CPU and run
only with ``--full``; where they do not reproduce, the verdict says so with the measured figures.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

import theorylab.estimators.sparse as S
from theorylab.estimators.sparse.greedy import _refit
from theorylab.claims._figures import pyplot
from theorylab.claims.base import AtLeast, AtMost, claim, Close, Measurement

C5_EXACT = 0.419945  # (S3)-(S4) of the theory note, P2: sum_j s^2 R(w_j/s, alpha/s), N = 64, d = 16, sigma = 1, alpha = 0.3


@claim(
    "sparse.oracle_risk",
    statement="Least squares on the true support has expected in-sample error sigma^2 k / N "
              "(C1: Gaussian N = 50, d = 200, k = 5, sigma = 0.5 gives 0.025).",
    expected={"mean error": Close(0.025, 0.025 * 0.05)},
    sizes={"quick": {"draws": 2000}, "full": {"draws": 20000}},
    source="closed form: the trace of a rank-k projection (sympy check in proofs_checks/sparse.py)",
)
def measure_oracle_risk(key, *, draws: int):
    n, d, k, sigma = 50, 200, 5, 0.5
    kx, kn = jax.random.split(key)
    X = jax.random.normal(kx, (n, d))
    w = jnp.zeros(d).at[:k].set(1.0)
    support = jnp.arange(k, dtype=jnp.int32)
    xi = sigma * jax.random.normal(kn, (draws, n))
    errs = jax.lax.map(lambda e: S.prediction_error(X, _refit(X, X @ w + e, support).coef, w), xi)
    errs = np.asarray(errs)
    return Measurement({"mean error": float(errs.mean())},
                       notes=f"Gaussian N = {n}, d = {d}, k = {k}, sigma = {sigma}; {draws} noise draws; "
                             f"Monte Carlo SE {errs.std(ddof=1) / math.sqrt(draws):.5f}; closed form sigma^2 k/N = 0.025")


@claim(
    "sparse.ols_risk",
    statement="The polynomial-time N = O(d) baseline: OLS with N >= d has error sigma^2 d / N (C2: 0.125 at "
              "N = 400, d = 200, sigma = 0.5).",
    expected={"mean error": Close(0.125, 0.125 * 0.05)},
    sizes={"quick": {"draws": 500}, "full": {"draws": 5000}},
    source="closed form sigma^2 d / N",
)
def measure_ols_risk(key, *, draws: int):
    n, d, sigma = 400, 200, 0.5
    kx, kn = jax.random.split(key)
    X = jax.random.normal(kx, (n, d))
    w = jnp.zeros(d).at[:5].set(1.0)
    xi = sigma * jax.random.normal(kn, (draws, n))
    q, _ = jnp.linalg.qr(X)
    errs = np.asarray(jax.lax.map(lambda e: S.prediction_error(X, jnp.linalg.lstsq(X, X @ w + e)[0], w), xi))
    hat = float(jnp.sum(q * q))
    return Measurement({"mean error": float(errs.mean())},
                       notes=f"N = {n}, d = {d}, sigma = {sigma}; {draws} draws, SE {errs.std(ddof=1) / math.sqrt(draws):.5f}; "
                             f"trace of the hat matrix {hat:.10f}")


def _normalise(X):
    return X * (math.sqrt(X.shape[0]) / jnp.linalg.norm(X, axis=0))


@claim(
    "sparse.slow_rate",
    statement="For any X, if alpha >= |X^T xi|_inf / N the Lasso's error is <= 4 alpha |w*|_1, and the "
              "preconditioned Lasso's <= 4 alpha' |S^-1 w*|_1 ((S5): zero violations); on cluster contrasts a "
              "good preconditioner shrinks the l1 norm (the prototype's oracle basis, P1 of the theory note: 13.4x).",
    expected={"violations": AtMost(0), "median |w*|_1 / |S^-1 w*|_1 (clusters)": AtLeast(5.0)},
    sizes={"quick": {"instances": 20}, "full": {"instances": 120}},
    source="algebra (basic inequality; proofs_checks/sparse.py); prototype P1 of docs/theory/sparse.md: 0 violations in 90",
)
def measure_slow_rate(key, *, instances: int):
    n, d, k, sigma, m, delta = 40, 100, 6, 0.5, 10, 0.05
    violations, ratios, shrink, err_plain, err_pre, ratios_pre = 0, {"gaussian": [], "clusters": []}, [], [], [], []
    for i, kk in enumerate(jax.random.split(key, instances)):
        kd, kp = jax.random.split(kk)
        kind = "gaussian" if i % 2 == 0 else "clusters"
        if kind == "gaussian":
            design = S.make_design(kd, "gaussian", n, d)
            p = S.make_problem(kp, design, k, sigma)
        else:
            design = S.make_design(kd, "equicorrelated_clusters", n, d, m=m, delta=delta)
            p = S.make_problem(kp, design, k, sigma, values="contrast", delta=delta)
        X = _normalise(p.X)
        y = X @ p.coef + p.noise
        alpha = float(S.slow_rate_bound(X, p.noise, p.coef, 0.0).alpha_needed) * 1.0001
        fit = S.lasso(X, y, alpha, tol=1e-12)
        sr = S.slow_rate_bound(X, p.noise, p.coef, alpha)
        err = float(S.prediction_error(X, fit.coef, p.coef))
        violations += int(bool(sr.event) and err > float(sr.bound) * (1 + 1e-9))
        ratios[kind].append(err / float(sr.bound))
        if kind == "clusters":
            pre = S.find_preconditioner(X)
            scaled = S.preconditioned_lasso(X, y, pre, alpha=0.1).scaled
            a2 = float(S.slow_rate_bound(X, p.noise, p.coef, 0.0, S=scaled).alpha_needed) * 1.0001
            fit2 = S.preconditioned_lasso(X, y, pre, alpha=a2, tol=1e-12)
            sr2 = S.slow_rate_bound(X, p.noise, p.coef, a2, S=scaled)
            e2 = float(S.prediction_error(X, fit2.coef, p.coef))
            violations += int(bool(sr2.event) and e2 > float(sr2.bound) * (1 + 1e-9))
            ratios_pre.append(e2 / float(sr2.bound))
            shrink.append(float(jnp.sum(jnp.abs(p.coef))) / float(jnp.sum(jnp.abs(jnp.linalg.solve(scaled, p.coef)))))
            a_th = float(S.alpha_theory(sigma, n, d))
            err_plain.append(float(S.prediction_error(X, S.lasso(X, y, a_th).coef, p.coef)))
            err_pre.append(float(S.prediction_error(X, S.preconditioned_lasso(X, y, pre, alpha=a_th).coef, p.coef)))
    return Measurement(
        {"violations": violations, "median |w*|_1 / |S^-1 w*|_1 (clusters)": float(np.median(shrink))},
        notes=f"{instances} instances (N = {n}, d = {d}, k = {k}) + {len(shrink)} preconditioned; error/bound medians: "
              f"Gaussian {np.median(ratios['gaussian']):.3f}, clusters {np.median(ratios['clusters']):.3f}, "
              f"preconditioned {np.median(ratios_pre):.3f}; at the theory alpha the median error on clusters is "
              f"{np.median(err_plain):.3f} plain vs {np.median(err_pre):.3f} preconditioned (our dependency search)",
    )


@claim(
    "sparse.noise_event",
    statement="P(|X^T xi|_inf / N > sigma sqrt(2 log(2d/delta)/N)) <= delta for Gaussian noise and columns "
              "of norm sqrt(N) ((S6), delta = 0.1).",
    expected={"P(event fails)": AtMost(0.1 + 3 * math.sqrt(0.09 / 5000))},
    sizes={"quick": {"draws": 5000}, "full": {"draws": 50000}},
    source="Gaussian tail + union bound; the bound is the quick size's delta + 3 SE",
)
def measure_noise_event(key, *, draws: int):
    n, d, sigma, delta = 50, 200, 0.5, 0.1
    kx, kn = jax.random.split(key)
    X = _normalise(jax.random.normal(kx, (n, d)))
    xi = sigma * jax.random.normal(kn, (draws, n))
    rate = float(jnp.mean(jnp.max(jnp.abs(xi @ X), axis=1) / n > S.alpha_theory(sigma, n, d, delta)))
    se = math.sqrt(delta * (1 - delta) / draws)
    return Measurement({"P(event fails)": rate},
                       notes=f"N = {n}, d = {d}, delta = {delta}, {draws} draws (delta + 3 SE = {delta + 3 * se:.4f}); "
                             "the union bound is loose, so the rate is well below delta")


@claim(
    "sparse.orthogonal_lasso",
    statement="On an orthogonal design the Lasso is soft thresholding; its error is sum_j s^2 R(w_j/s, alpha/s), "
              "exactly 0.419945 for N = 64, d = 16, w = (3, -2, 1, 0.5, 0, ...), sigma = 1, alpha = 0.3 ((S3)-(S4)).",
    expected={"closed form": Close(C5_EXACT, 1e-6), "|Monte Carlo - exact| / SE": AtMost(4.0),
              "max |lasso - soft threshold|": AtMost(1e-8)},
    sizes={"quick": {"draws": 4000}, "full": {"draws": 40000}},
    source="(S3)-(S4) of docs/theory/sparse.md (sympy soft-threshold risk); prototype P2 Monte Carlo 0.41895 ± 0.00238",
)
def measure_orthogonal_lasso(key, *, draws: int):
    n, d, sigma, alpha = 64, 16, 1.0, 0.3
    kq, kn = jax.random.split(key)
    X = jnp.linalg.qr(jax.random.normal(kq, (n, d)))[0] * math.sqrt(n)
    w = jnp.zeros(d).at[:4].set(jnp.array([3.0, -2.0, 1.0, 0.5]))
    exact = float(S.orthogonal_lasso_risk(w, sigma, n, alpha))
    xi = sigma * jax.random.normal(kn, (draws, n))
    z = (X.T @ (X @ w[:, None] + xi.T)).T / n
    soft = S.soft_threshold(z, alpha)
    errs = np.asarray(jnp.sum((soft - w) ** 2, axis=1))  # X^T X = N I: (1/N)|X e|^2 = |e|^2
    coef_gap = max(float(jnp.max(jnp.abs(S.lasso(X, X @ w + xi[i], alpha, tol=1e-14).coef - soft[i]))) for i in range(5))
    mc, se = float(errs.mean()), float(errs.std(ddof=1) / math.sqrt(draws))
    return Measurement({"closed form": exact, "|Monte Carlo - exact| / SE": abs(mc - exact) / se,
                        "max |lasso - soft threshold|": coef_gap},
                       notes=f"Monte Carlo {mc:.5f} ± {se:.5f} over {draws} draws; lasso coefficients on 5 draws")


@claim(
    "sparse.best_subset",
    statement="Exhaustive best subset attains the enumeration minimum, and with sigma = 0, N >= 2k it "
              "returns the true support with zero error.",
    expected={"max relative |RSS - enumeration|": AtMost(1e-10), "noiseless RSS / |y|^2": AtMost(1e-20),
              "wrong supports (noiseless)": AtMost(0)},
    sizes={"quick": {"trials": 3}, "full": {"trials": 20}},
    source="numpy lstsq over itertools.combinations in the same run",
)
def measure_best_subset(key, *, trials: int):
    worst_obj, worst_noiseless, wrong = 0.0, 0.0, 0
    for kk in jax.random.split(key, trials):
        kx, kw, kn = jax.random.split(kk, 3)
        X = np.asarray(jax.random.normal(kx, (30, 20)))
        T = np.sort(np.asarray(jax.random.choice(kw, 20, (3,), replace=False)))
        w = np.zeros(20)
        w[T] = [1.0, -1.5, 0.7]
        y = X @ w + np.asarray(jax.random.normal(kn, (30,)))
        enum = min(float(np.sum((y - X[:, list(s)] @ np.linalg.lstsq(X[:, list(s)], y, rcond=None)[0]) ** 2))
                   for s in itertools.combinations(range(20), 3))
        worst_obj = max(worst_obj, abs(float(S.best_subset(X, y, 3).rss) - enum) / enum)
        clean = S.best_subset(X[:6], X[:6] @ w, 3)  # sigma = 0, N = 2k
        worst_noiseless = max(worst_noiseless, float(clean.rss) / float(np.sum((X[:6] @ w) ** 2)))
        wrong += int(np.asarray(clean.support).tolist() != T.tolist())
    return Measurement({"max relative |RSS - enumeration|": worst_obj, "noiseless RSS / |y|^2": worst_noiseless,
                        "wrong supports (noiseless)": wrong},
                       notes=f"{trials} problems, d = 20, k = 3 (1140 subsets each); noiseless with N = 6 = 2k")


@claim(
    "sparse.condition_number",
    statement="The equicorrelated cluster design has cond(Sigma) = (s + delta^2)/delta^2: 4001 for s = 10 "
              "and 1201 for s = 3 at delta = 0.05 ((S7)).",
    expected={"cond, s = 10 (eigvalsh)": Close(4001.0, 1e-6), "cond, s = 3 (eigvalsh)": Close(1201.0, 1e-6)},
    source="exact eigenvalues 1 - rho and 1 + (s-1) rho (sympy in proofs_checks/sparse.py)",
)
def measure_condition_number(key):
    del key
    out = {}
    for s in (10, 3):
        ev = np.linalg.eigvalsh(np.asarray(S.cluster_covariance(4 * s, 4, 0.05)))
        out[f"cond, s = {s} (eigvalsh)"] = float(ev[-1] / ev[0])
    return Measurement(out, notes="block-equicorrelated Sigma, delta = 0.05, four clusters")


def _median_table(curves):
    return {m: float(curves.median(m)[0]) for m in curves.errors}


@claim(
    "sparse.random_vs_worst_case",
    statement="On ill-conditioned designs with random supports the preconditioned Lasso's median error at "
              "N << d is at most half of LassoCV's and far below OMP's; OMP fails on contrasts; LassoCV is "
              "within 2x of the oracle on random +-1 values (P4 of the theory note, and the paper's headline).",
    expected={"precond / LassoCV (worst-case pairs)": AtMost(0.5),
              "precond / LassoCV (random support)": AtMost(0.5),
              "OMP(k) median (random support)": AtLeast(0.5),
              "LassoCV / oracle (random signs)": AtMost(2.0),
              "precond / Lasso, both at alpha_theory (random support)": AtMost(0.5)},
    sizes={"quick": {"trials": 20, "n": 50}, "full": {"trials": 20, "n": 50}},
    source="prototype P4 of docs/theory/sparse.md (4-trial medians with sklearn LassoCV, tol 1e-3, max_iter 3000: .146 vs .447); "
           "ours: 20 paired trials, converged LassoCV",
    full_only=True,
)
def measure_random_vs_worst(key, *, trials: int, n: int):
    methods = ("oracle", "lasso_cv", "omp", "preconditioned", "clusters", "lasso_theory", "preconditioned_theory")
    runs = {}
    for name, support, values in [("random/contrast", "random", "contrast"), ("pairs/contrast", "pairs", "contrast"),
                                  ("random/signs", "random", "random")]:
        runs[name] = _median_table(S.error_curves(key, [n], trials=trials, support=support, values=values,
                                                  methods=methods))
        jax.clear_caches()  # one program per (method, N, d): release them (XLA:CPU mappings, see tests/conftest.py)
    v = {
        "precond / LassoCV (worst-case pairs)": runs["pairs/contrast"]["preconditioned"] / runs["pairs/contrast"]["lasso_cv"],
        "precond / LassoCV (random support)": runs["random/contrast"]["preconditioned"] / runs["random/contrast"]["lasso_cv"],
        "OMP(k) median (random support)": runs["random/contrast"]["omp"],
        "LassoCV / oracle (random signs)": runs["random/signs"]["lasso_cv"] / runs["random/signs"]["oracle"],
        "precond / Lasso, both at alpha_theory (random support)":
            runs["random/contrast"]["preconditioned_theory"] / runs["random/contrast"]["lasso_theory"],
    }
    notes = "; ".join(f"{k}: " + ", ".join(f"{m} {e:.3f}" for m, e in r.items()) for k, r in runs.items())
    return Measurement(v, notes=f"d = 100, k = 6, m = 10, delta = 0.05, sigma = 0.5, N = {n}, {trials} trials; "
                                f"median errors: {notes}")


def draw_sample_complexity(data):
    """Median error curves at the largest d, and N*(eps) against d, per method."""
    plt = pyplot()
    ns, ds, eps, medians, n_star = data["ns"], data["ds"], data["eps"], data["medians"], data["n_star"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for m in medians:
        axes[0].plot(ns, medians[m], "o-", label=m)
        if all(np.isfinite(n_star[m])):
            axes[1].plot(ds, n_star[m], "o-", label=m)
    axes[0].axhline(eps, color="k", lw=0.5)
    axes[0].set(xscale="log", yscale="log", xlabel="N", ylabel="median prediction error", title=f"d = {ds[-1]}")
    axes[1].set(xscale="log", yscale="log", xlabel="d", ylabel=f"N*(eps = {eps})")
    axes[0].legend()
    fig.tight_layout()
    return fig


@claim(
    "sparse.sample_complexity",
    statement="On random supports the method's N*(eps) grows like log d (poly(k, log d, 1/eps)): its exponent "
              "in d is near 0, not 1.",
    expected={"precond: exponent of N* in d": AtMost(0.5)},
    sizes={"quick": {"ds": (50, 100, 200), "ns": (25, 50, 100, 200), "trials": 10, "eps": 0.1},
           "full": {"ds": (50, 100, 200, 400), "ns": (25, 50, 100, 200), "trials": 10, "eps": 0.1}},
    source="the paper's abstract (no exponents could be read); our curves",
    full_only=True,
    figure=draw_sample_complexity,
)
def measure_sample_complexity(key, *, ds, ns, trials: int, eps: float):
    methods = ("oracle", "lasso_cv", "omp", "preconditioned", "preconditioned_theory")
    n_star = {m: [] for m in methods}
    curves = {}
    for d in ds:
        c = S.error_curves(jax.random.fold_in(key, d), ns, d=d, m=d // 10, trials=trials, methods=methods)
        curves[d] = c
        jax.clear_caches()
        for m, v in S.sample_complexity(c, eps).items():
            n_star[m].append(v)
    slopes = S.fit_slopes(ds, n_star)

    def get(m, key_):
        return slopes[m][key_].value if slopes[m] is not None else math.inf

    return Measurement({"precond: exponent of N* in d": get("preconditioned", "power"),
                        "LassoCV: exponent of N* in d": get("lasso_cv", "power")},
                       data={"ns": ns, "ds": ds, "eps": eps, "n_star": n_star,
                             "medians": {m: curves[ds[-1]].median(m) for m in methods}},
                       notes="N*: " + "; ".join(f"{m} {np.round(v, 1).tolist()}" for m, v in n_star.items())
                             + f" at d = {list(ds)}; clusters of 10, random supports, contrasts, k = 6, {trials} trials")

"""Claims of Fakoor, Kim, Mueller, Smola & Tibshirani (JMLR 2023), quantile aggregation.

Only the paper's opening could be read (the quantile theory note, docs/theory/quantile.md), so the claims are the abstract's
statements and the propositions as reported by a secondary reading [S], each made measurable
with an independent ground truth: exact rational counterexamples, closed forms (normal CRPS,
Vincentization), the exact LP optimum computed in the same run, statsmodels' published Engel
table, and the finite-sample CQR coverage bounds of Romano et al. (2019). The data sets ship
offline (scikit-learn diabetes, statsmodels Engel). Equations (Q1)-(Q9) and prototype figures P1-P8
are those of the theory note.
"""

from __future__ import annotations

import functools
import time
import warnings

import jax
import numpy as np
from scipy.integrate import quad
from scipy.stats import norm

from theorylab.estimators.quantile import (
    AggregatorConfig,
    GaussianLinearModel,
    MultiLevelModel,
    NearestNeighbourModel,
    PerLevelModel,
    conformalize,
    cqr_offsets,
    crps_from_quantiles,
    fit_aggregator,
    fit_aggregator_lp,
    fit_predict,
    interval_score,
    linear_pool_quantiles,
    monotonize,
    out_of_fold_predictions,
    pinball_loss,
    vincentize,
    weighted_interval_score,
)
from theorylab.estimators.quantile.datasets import load_diabetes, load_engel
from theorylab.claims._figures import pyplot
from theorylab.claims.base import AtLeast, AtMost, Between, claim, Close, Measurement

TAUS = np.round(np.arange(0.05, 0.951, 0.05), 2)  # 19 levels, symmetric, with the median
SPLIT_SEED = 0  # the train / pool split of the diabetes data (the prototypes' setup, theory note P4-P8)


def _psi_sum(y, q, taus):
    return np.asarray(pinball_loss(y, q, taus, reduction="none")).sum(-1)


# ----------------------------------------------------------------------------- the diabetes stack
def _base_models(taus):
    from quantile_forest import RandomForestQuantileRegressor
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import QuantileRegressor

    return {
        "linQR": PerLevelModel(lambda t: QuantileRegressor(quantile=t, alpha=0.0, solver="highs"), taus),
        "GBM": PerLevelModel(lambda t: GradientBoostingRegressor(loss="quantile", alpha=t, n_estimators=100, max_depth=2,
                                                                 subsample=0.8, random_state=0), taus),
        "QRF": MultiLevelModel(RandomForestQuantileRegressor(n_estimators=100, min_samples_leaf=5, random_state=0), taus),
        "Gauss": GaussianLinearModel(taus),
        "kNN": NearestNeighbourModel(taus, k=30),
    }


@functools.lru_cache(maxsize=2)
def diabetes_stack(split_seed: int = SPLIT_SEED):
    """Five base models on scikit-learn's diabetes data (y standardised): 5-fold out-of-fold
    predictions on 221 training rows and predictions on the 221-row pool. Returns a dict."""
    X, y, _ = load_diabetes()
    y = (y - y.mean()) / y.std()
    perm = np.random.default_rng(split_seed).permutation(len(y))
    train, pool = perm[:221], perm[221:]
    models = _base_models(TAUS)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Z_oof = out_of_fold_predictions(jax.random.key(split_seed), models, X[train], y[train], len(TAUS), n_splits=5)
        Z_pool = fit_predict(models, X[train], y[train], X[pool], len(TAUS))
    return {"names": list(models), "Z_oof": Z_oof, "y_train": y[train], "Z_pool": Z_pool, "y_pool": y[pool],
            "seconds": time.perf_counter() - t0}


# ----------------------------------------------------------------------------- 1-3: monotone fixes
@claim(
    "quantile.sort_pava_never_worse",
    statement="Post-sorting or post-isotonic regression of quantile predictions can only improve the summed "
    "pinball loss (hence WIS), pointwise in (x, y); the min-max sweep has no such guarantee.",
    expected={
        "worst increase, sort (random)": AtMost(1e-12),
        "worst increase, isotonic (random)": AtMost(1e-12),
        "worst WIS increase, sort (diabetes)": AtMost(1e-12),
        "worst WIS increase, isotonic (diabetes)": AtMost(1e-12),
        "points where min-max raised WIS (diabetes)": AtLeast(1.0),
    },
    sizes={"quick": {"cases": 20000}, "full": {"cases": 200000}},
    source="paper abstract and Prop. 2 [S]; proof by rearrangement, (Q7) of docs/theory/quantile.md and proofs_checks/quantile.py",
)
def measure_sort_pava_never_worse(key, *, cases: int):
    rng = np.random.default_rng(int(jax.random.randint(key, (), 0, 2**31 - 1)))
    m = rng.integers(2, 12, size=cases)
    worst = {"sort": -np.inf, "isotonic": -np.inf}
    for size in np.unique(m):
        k = int(np.sum(m == size))
        taus = np.sort(rng.uniform(0.01, 0.99, size=(k, size)), axis=1)
        q = rng.normal(scale=rng.exponential(size=(k, 1)), size=(k, size))
        y = rng.normal(scale=2.0, size=k)
        for method in worst:
            out = np.asarray(monotonize(q, method))
            # the pinball sums written out in numpy, independent of theorylab.estimators.quantile.scores
            u0, u1 = y[:, None] - q, y[:, None] - out
            before = np.maximum(taus * u0, (taus - 1) * u0).sum(1)
            after = np.maximum(taus * u1, (taus - 1) * u1).sum(1)
            worst[method] = max(worst[method], float(np.max(after - before)))
    stack = diabetes_stack()
    yp, Zp = stack["y_pool"], stack["Z_pool"]
    worse = {}
    real = {"sort": -np.inf, "isotonic": -np.inf}
    for j, name in enumerate(stack["names"]):
        q = Zp[:, j]
        w0 = np.asarray(weighted_interval_score(yp, q, TAUS, reduction="none"))
        for method in real:
            real[method] = max(real[method], float(np.max(np.asarray(
                weighted_interval_score(yp, monotonize(q, method), TAUS, reduction="none")) - w0)))
        worse[name] = int(np.sum(np.asarray(weighted_interval_score(yp, monotonize(q, "minmax"), TAUS,
                                                                    reduction="none")) - w0 > 1e-12))
    return Measurement(
        {"worst increase, sort (random)": worst["sort"], "worst increase, isotonic (random)": worst["isotonic"],
         "worst WIS increase, sort (diabetes)": real["sort"], "worst WIS increase, isotonic (diabetes)": real["isotonic"],
         "points where min-max raised WIS (diabetes)": float(sum(worse.values()))},
        notes=f"{cases} random cases (m in 2..11, random increasing levels, scales and y); diabetes: the five base "
        f"models' pool predictions (221 points each); min-max made WIS worse on {worse}",
    )


@claim(
    "quantile.minmax_counterexample",
    statement="The median-anchored min-max fix can make the pinball loss worse.",
    expected={"sum psi, raw": Close(0.425, 1e-12), "sum psi, minmax": Close(0.45, 1e-12),
              "sum psi, sort": Close(0.3, 1e-12), "sum psi, isotonic": Close(0.2625, 1e-12)},
    source="exact rationals 17/40, 9/20, 3/10, 21/80 (proofs_checks/quantile.py); P1 of docs/theory/quantile.md",
)
def measure_minmax_counterexample(key):
    taus, q, y = np.array([0.25, 0.5, 0.75]), np.array([0.0, 1.0, 0.5]), 0.6
    values = {"raw": _psi_sum(y, q, taus)}
    for method in ("minmax", "sort", "isotonic"):
        values[method] = _psi_sum(y, monotonize(q, method), taus)
    return Measurement({f"sum psi, {k}": float(v) for k, v in values.items()},
                       notes="tau = (.25, .5, .75), q = (0, 1, 0.5), y = 0.6; exact values in proofs_checks/quantile.py")


@claim(
    "quantile.weighted_levels_counterexample",
    statement="The sorting guarantee needs equal per-level weights: with unequal weights sorting can increase "
    "the weighted pinball sum.",
    expected={"increase after sorting": Close(20.4376, 1e-3)},
    source="exact decimal arithmetic in proofs_checks/quantile.py (20.437622); P2 of docs/theory/quantile.md quotes 20.43",
)
def measure_weighted_levels(key):
    taus, q = np.array([0.643, 0.661, 0.841]), np.array([1.268, 1.39, -11.728])
    y, w = 4.761, np.array([2.748, 2.606, 0.248])
    before = float(np.sum(w * np.asarray(pinball_loss(y, q, taus, reduction="none"))))
    after = float(np.sum(w * np.asarray(pinball_loss(y, monotonize(q, "sort"), taus, reduction="none"))))
    return Measurement({"increase after sorting": after - before},
                       notes=f"level weights {w.tolist()}: weighted sum {before:.4f} -> {after:.4f}")


# ----------------------------------------------------------------------------- 4-6: identities and pooling
@claim(
    "quantile.score_identities",
    statement="alpha IS_alpha = 2 (psi_{alpha/2} + psi_{1-alpha/2}), so for symmetric levels with the median the "
    "WIS of Bracher et al. equals twice the mean pinball loss.",
    expected={"max |alpha IS - 2 (psi_lo + psi_hi)|": AtMost(1e-12),
              "max |WIS (Bracher) - 2 mean psi|": AtMost(1e-12)},
    source="sympy identity on three regions (proofs_checks/quantile.py); (Q2)-(Q3) of docs/theory/quantile.md",
)
def measure_score_identities(key):
    stack = diabetes_stack()
    yp = stack["y_pool"]
    q = np.sort(stack["Z_pool"].mean(1), axis=1)
    m = len(TAUS)
    worst_is = 0.0
    total = np.zeros(len(yp))
    for k in range(m // 2):
        a = 2 * TAUS[k]
        IS = np.asarray(interval_score(yp, q[:, k], q[:, m - 1 - k], a, reduction="none"))
        psi = np.asarray(pinball_loss(yp, q[:, [k, m - 1 - k]], TAUS[[k, m - 1 - k]], reduction="none")).sum(1)
        worst_is = max(worst_is, float(np.max(np.abs(a * IS - 2 * psi))))
        total += a / 2 * IS
    bracher = (total + 0.5 * np.abs(yp - q[:, m // 2])) / (m // 2 + 0.5)
    wis = 2 * np.asarray(pinball_loss(yp, q, TAUS, reduction="none")).mean(1)
    return Measurement({"max |alpha IS - 2 (psi_lo + psi_hi)|": worst_is,
                        "max |WIS (Bracher) - 2 mean psi|": float(np.max(np.abs(bracher - wis)))},
                       notes="diabetes pool, sorted average of the five base models, 9 central intervals + median")


def draw_crps(data):
    """Error of the m-level CRPS approximation against the closed form."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.loglog(data["levels"], data["error"], "o-", label="2 mean psi - CRPS")
    ax.set_xlabel("number of equally spaced levels m")
    ax.set_ylabel("error")
    ax.set_title("CRPS of N(0, 1) at y = 0.3 from quantiles")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@claim(
    "quantile.crps_from_quantiles",
    statement="CRPS = 2 int_0^1 psi_tau(y - F^-1(tau)) dtau; the mean over equally spaced levels approximates it.",
    expected={"2 int psi (quadrature)": Close(0.2693329006866635, 1e-10),
              "2 mean psi, m = 3": Close(0.324830, 1e-6), "2 mean psi, m = 19": Close(0.281763, 1e-6),
              "2 mean psi, m = 99": Close(0.271952, 1e-6), "2 mean psi, m = 999": Close(0.269601, 1e-6)},
    sizes={"quick": {"levels": (3, 19, 99, 999)}, "full": {"levels": (3, 19, 99, 999)}},
    source="closed-form normal CRPS (Gneiting & Raftery 2007) for the integral; the m-level values are "
    "independent prototype figures (P3 of docs/theory/quantile.md)",
    figure=draw_crps,
)
def measure_crps(key, *, levels):
    y = 0.3
    closed = y * (2 * norm.cdf(y) - 1) + 2 * norm.pdf(y) - 1 / np.sqrt(np.pi)
    integrand = lambda t: max(t * (y - norm.ppf(t)), (t - 1) * (y - norm.ppf(t)))  # noqa: E731
    integral = 2 * quad(integrand, 0, 1, points=[norm.cdf(y)], epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    values = {"2 int psi (quadrature)": integral}
    approx = []
    for m in levels:
        taus = np.arange(1, m + 1) / (m + 1)
        approx.append(float(crps_from_quantiles(y, norm.ppf(taus), taus)))
        values[f"2 mean psi, m = {m}"] = approx[-1]
    return Measurement(values, data={"levels": levels, "error": np.asarray(approx) - closed}, notes=f"closed form y(2 Phi(y) - 1) + 2 phi(y) - 1/sqrt(pi) = {closed:.16f}")


@claim(
    "quantile.vincentization",
    statement="Quantile averaging preserves a location-scale family (Prop. 3 [S]); it has the same mean as the "
    "linear pool and is sharper in every even central moment (Prop. 4 [S]).",
    expected={"Vincent q(.975)": Close(4.919928, 1e-6), "max |Vincent - N(1, 2^2) quantiles|": AtMost(1e-9),
              "linear pool q(.975)": Close(6.934561, 1e-6), "linear pool q(.025)": Close(-2.977347, 1e-6),
              "Vincent variance": Close(4.0, 1e-9), "linear pool variance": Close(6.0, 1e-9),
              "Vincent 4th central moment": Close(48.0, 1e-8), "linear pool 4th central moment": Close(154.0, 1e-7)},
    source="closed forms: N(1, 2^2) quantiles, mixture moments 6 and (10 + 298)/2 = 154; (Q8) and P7 of docs/theory/quantile.md",
)
def measure_vincentization(key):
    import numpyro.distributions as dist

    taus = np.array([0.025, 0.25, 0.5, 0.75, 0.975])
    members = [(0.0, 1.0), (2.0, 3.0)]
    vq = np.asarray(vincentize(np.stack([norm.ppf(taus, mu, s) for mu, s in members]), axis=0))
    pool = np.asarray(linear_pool_quantiles([dist.Normal(mu, s) for mu, s in members], taus))
    # moments: the Vincent average is linear in z = Phi^-1(tau); the pool's from its density by quadrature
    z, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    vz = vincentize(np.stack([mu + s * z for mu, s in members]), axis=0)
    v_mean = float(np.sum(w * vz))
    v_var = float(np.sum(w * (vz - v_mean) ** 2))
    v_m4 = float(np.sum(w * (vz - v_mean) ** 4))
    dens = lambda x: 0.5 * norm.pdf(x) + 0.5 * norm.pdf(x, 2, 3)  # noqa: E731
    p_mean = quad(lambda x: x * dens(x), -60, 60, limit=200)[0]
    p_var = quad(lambda x: (x - p_mean) ** 2 * dens(x), -60, 60, limit=200)[0]
    p_m4 = quad(lambda x: (x - p_mean) ** 4 * dens(x), -60, 60, limit=200)[0]
    return Measurement(
        {"Vincent q(.975)": vq[-1], "max |Vincent - N(1, 2^2) quantiles|": float(np.max(np.abs(vq - norm.ppf(taus, 1, 2)))),
         "linear pool q(.975)": pool[-1], "linear pool q(.025)": pool[0], "Vincent variance": v_var,
         "linear pool variance": p_var, "Vincent 4th central moment": v_m4, "linear pool 4th central moment": p_m4},
        notes=f"members N(0, 1), N(2, 3^2), weights 1/2; pool quantiles {np.round(pool, 6).tolist()}; means "
        f"{v_mean:.6f} (Vincent), {p_mean:.6f} (pool)",
    )


# ----------------------------------------------------------------------------- 7-10: fits, CQR, Engel, gain
def draw_adam_vs_lp(data):
    """Adam's training loss minus the exact LP optimum, per granularity."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for name, (trace, opt) in data.items():
        ax.semilogy(np.arange(1, len(trace) + 1), trace - opt + 1e-9, label=f"{name}: loss - LP optimum")
    ax.set_xlabel("Adam step (full batch, cosine decay)")
    ax.set_ylabel("mean pinball gap")
    ax.set_title("Softmax aggregator fit vs exact LP (diabetes OOF)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@claim(
    "quantile.adam_matches_lp",
    statement="Aggregators can be fit with deep-learning tooling: a softmax-parametrised global coarse or medium "
    "aggregator trained by Adam reaches the exact LP optimum.",
    expected={"relative gap, coarse": Between(-1e-9, 1e-4), "relative gap, medium": Between(-1e-9, 1e-4)},
    sizes={"quick": {"steps": 3000}, "full": {"steps": 6000}},
    source="paper abstract; LP optimum (scipy HiGHS) in the same run; tolerance 1e-4 is the issue's target "
    "(prototype gaps 6e-6 and 1.2e-5, P4 of docs/theory/quantile.md)",
    figure=draw_adam_vs_lp,
)
def measure_adam_vs_lp(key, *, steps: int):
    stack = diabetes_stack()
    Z, y = stack["Z_oof"], stack["y_train"]
    values, curves, notes = {}, {}, []
    for granularity in ("coarse", "medium"):
        t0 = time.perf_counter()
        lp = fit_aggregator_lp(Z, y, TAUS, granularity)
        t_lp = time.perf_counter() - t0
        t0 = time.perf_counter()
        fit = fit_aggregator(jax.random.key(0), Z, y, TAUS, AggregatorConfig(granularity), steps=steps, learning_rate=0.05)
        t_adam = time.perf_counter() - t0
        values[f"relative gap, {granularity}"] = (fit.final_loss - lp.objective) / lp.objective
        curves[granularity] = (np.asarray(fit.train_loss), lp.objective)
        notes.append(f"{granularity}: LP {lp.objective:.6f} ({t_lp:.2f} s), Adam {fit.final_loss:.6f} ({t_adam:.2f} s)")
    return Measurement(values, data=curves, notes=f"{Z.shape[1]} models x {len(TAUS)} levels, n = {len(y)}; " + "; ".join(notes))


def draw_cqr_coverage(data):
    """Average test coverage before and after conformal calibration, against nominal and the upper bound."""
    plt = pyplot()
    nominal, n_cal = data["nominal"], data["n_cal"]
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(nominal, data["raw"], "s", label="raw Global-Medium + sort")
    ax.plot(nominal, data["calibrated"], "o", label="after CQR")
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.plot(nominal, nominal + 1 / (n_cal + 1), "k_", ms=12, label="upper bound 1 - a + 1/(n+1)")
    ax.set_xlabel("nominal coverage")
    ax.set_ylabel("average test coverage")
    ax.set_title(f"CQR on diabetes, {data['partitions']} calibration/test splits")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@claim(
    "quantile.cqr_coverage",
    statement="Conformal calibration of the aggregate gives marginal coverage 1 - alpha <= P <= 1 - alpha + "
    "1/(n+1) without changing the base models.",
    expected={f"excess outside bounds, {c} (SE)": AtMost(3.0) for c in ("0.90", "0.50", "0.20", "0.10")},
    sizes={"quick": {"partitions": 200}, "full": {"partitions": 1000}},
    source="Romano, Patterson & Candes (2019), Thm 1; Monte Carlo over calibration/test partitions, 3 standard "
    "errors",
    figure=draw_cqr_coverage,
)
def measure_cqr_coverage(key, *, partitions: int):
    stack = diabetes_stack()
    lp = fit_aggregator_lp(stack["Z_oof"], stack["y_train"], TAUS, "medium")
    q = np.asarray(monotonize(lp.predict(stack["Z_pool"]), "sort"))
    y = stack["y_pool"]
    n = len(y)
    n_cal = n // 2
    m = len(TAUS)
    pairs = [(k, m - 1 - k, 2 * TAUS[k]) for k in (0, 4, 7, 8)]  # nominal .90, .50, .20, .10
    raw = np.zeros((partitions, len(pairs)))
    cal = np.zeros((partitions, len(pairs)))
    for r, k in enumerate(jax.random.split(key, partitions)):
        perm = np.asarray(jax.random.permutation(k, n))
        c, t = perm[:n_cal], perm[n_cal:]
        adj = np.asarray(conformalize(q[t], cqr_offsets(y[c], q[c], TAUS), TAUS))
        for i, (lo, hi, _) in enumerate(pairs):
            raw[r, i] = np.mean((y[t] >= q[t, lo]) & (y[t] <= q[t, hi]))
            cal[r, i] = np.mean((y[t] >= adj[:, lo]) & (y[t] <= adj[:, hi]))
    values, lines = {}, []
    for i, (_, _, a) in enumerate(pairs):
        mean, se = cal[:, i].mean(), cal[:, i].std(ddof=1) / np.sqrt(partitions)
        lower, upper = 1 - a, 1 - a + 1 / (n_cal + 1)
        # standardised distance outside [lower, upper]: 0 inside, in standard errors outside
        values[f"excess outside bounds, {1 - a:.2f} (SE)"] = max(lower - mean, mean - upper, 0.0) / se
        lines.append(f"{1 - a:.2f}: raw {raw[:, i].mean():.3f}, CQR {mean:.3f} ± {se:.3f}, bounds [{lower:.3f}, {upper:.3f}]")
    data = {"nominal": np.array([1 - a for *_, a in pairs]), "raw": raw.mean(0), "calibrated": cal.mean(0),
            "n_cal": n_cal, "partitions": partitions}
    return Measurement(values, data=data, notes=f"n_cal = {n_cal}, n_test = {n - n_cal}; " + "; ".join(lines))


@claim(
    "quantile.engel_lp",
    statement="Linear quantile regression is the degenerate aggregator (models = [1, income], no simplex): the "
    "LP reproduces the published Engel fits.",
    expected={"intercept, tau = 0.5": Close(81.48233, 1e-4), "slope, tau = 0.5": Close(0.5601805, 1e-6),
              "min sum psi, tau = 0.5": Close(17559.93 / 2, 0.01),
              "intercept, tau = 0.75": Close(62.3966, 1e-3), "slope, tau = 0.75": Close(0.644014, 1e-5),
              "min sum psi, tau = 0.75": Close(13058.50 / 2, 0.01)},
    source="statsmodels regression/tests/results/results_quantile_regression.py (tau = .5 coefficients; sum_adev "
    "= 2 x min sum psi) and P5 of docs/theory/quantile.md for tau = .75",
)
def measure_engel(key):
    X, y, _ = load_engel()
    values = {}
    for tau in (0.5, 0.75):
        fit = fit_aggregator_lp(X[:, :, None], y, [tau], "medium", intercept=True, nonneg=False, unit_sum=False)
        values[f"intercept, tau = {tau}"] = float(fit.intercept[0])
        values[f"slope, tau = {tau}"] = float(fit.weights[0, 0])
        values[f"min sum psi, tau = {tau}"] = fit.objective * len(y)
    return Measurement(values, notes="Engel food expenditure on income (n = 235) as a one-model aggregator with an "
                       "intercept, no simplex constraint: linear quantile regression by the LP")


def draw_aggregation_gain(data):
    """Holdout WIS of every base model and every aggregate."""
    plt = pyplot()
    base, agg = data["base"], data["aggregates"]
    fig, ax = plt.subplots(figsize=(6, 3.4))
    names = list(base) + list(agg)
    vals = [base[k] for k in base] + [agg[k] for k in agg]
    ax.bar(names, vals, color=["0.6"] * len(base) + ["tab:blue"] * len(agg))
    ax.axhline(min(base.values()), color="k", ls=":", lw=1)
    ax.set_ylim(min(vals) * 0.95, max(vals) * 1.02)
    ax.set_ylabel("holdout WIS (Bracher), sorted")
    ax.set_title("Diabetes: base models (grey) and aggregates (blue)")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


@claim(
    "quantile.aggregation_gain",
    statement="Aggregating quantile models beats the best single model in WIS (a sanity check on small data, "
    "not the paper's 34-dataset study).",
    expected={"WIS ratio Average / best base": AtMost(1.0), "WIS ratio LP-medium / best base": AtMost(1.0)},
    source="paper abstract; prototype P6 of docs/theory/quantile.md (Average .4137, LP-Medium .4187 vs best "
    "base .4247)",
    figure=draw_aggregation_gain,
)
def measure_aggregation_gain(key):
    stack = diabetes_stack()
    Z, y, Zp, yp = stack["Z_oof"], stack["y_train"], stack["Z_pool"], stack["y_pool"]

    def wis(q):
        return float(weighted_interval_score(yp, monotonize(q, "sort"), TAUS))

    base = {name: wis(Zp[:, j]) for j, name in enumerate(stack["names"])}
    best_name = min(base, key=base.get)
    agg = {"Average": wis(Zp.mean(1)), "Median": wis(np.median(Zp, axis=1))}
    for g in ("coarse", "medium"):
        agg[f"LP-{g}"] = wis(fit_aggregator_lp(Z, y, TAUS, g).predict(Zp))
    return Measurement(
        {f"WIS ratio {k} / best base": v / base[best_name] for k, v in agg.items()},
        data={"base": base, "aggregates": agg},
        notes="holdout WIS " + ", ".join(f"{k} {v:.4f}" for k, v in {**base, **agg}.items()) + f"; best base {best_name}; "
        f"base-model fits took {stack['seconds']:.1f} s",
    )

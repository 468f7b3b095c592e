"""Quantile aggregation: same-run ratios against numpy, scikit-learn, scipy HiGHS and MAPIE.

1. scoring (pinball / WIS) at n x m = 1e5 x 99: theorylab (jit) vs numpy vs scikit-learn's
   ``mean_pinball_loss`` called per level;
2. monotone fixes at 1e5 x 99: sort vs ``np.sort``; isotonic projection vs scikit-learn's
   ``IsotonicRegression`` per row (timed on 2000 rows and scaled to 1e5: the per-row cost is flat)
   and vs a pure-Python PAVA (same);
3. aggregator fits: Adam on softmax weights vs the exact HiGHS LP, time and objective gap;
4. CQR: bounds vs MAPIE's ``ConformalizedQuantileRegressor`` (must be identical) and time.

Run: ``python benchmarks/quantile_bench.py`` (needs the bench extra).
"""

import os
import sys
import functools
import warnings

import jax
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_of  # noqa: E402

import theorylab  # noqa: E402,F401
from theorylab.estimators.quantile import (  # noqa: E402
    AggregatorConfig,
    cqr_offset,
    fit_aggregator,
    fit_aggregator_lp,
    monotonize,
    pinball_loss,
    weighted_interval_score,
)

print = functools.partial(print, flush=True)  # progress shows while the long peers run
N, M = 100_000, 99
TAUS = np.arange(1, M + 1) / (M + 1)


def python_pava(v):
    vals, cnts = [], []
    for x in v:
        vals.append(float(x))
        cnts.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            c = cnts[-2] + cnts[-1]
            vals[-2] = (cnts[-2] * vals[-2] + cnts[-1] * vals[-1]) / c
            cnts[-2] = c
            vals.pop()
            cnts.pop()
    return np.repeat(vals, cnts)


def block(title):
    print(f"\n-- {title}")


def main():
    rng = np.random.default_rng(0)
    y = rng.normal(size=N)
    q = np.sort(rng.normal(size=(N, M)), axis=1) + 0.3 * rng.normal(size=(N, M))  # crossed like a GBM's output

    block(f"scoring, n = {N}, m = {M}")
    ours = jax.jit(lambda y, q: pinball_loss(y, q, TAUS))
    jax.block_until_ready(ours(y, q))
    t_ours, v_ours = best_of(lambda: jax.block_until_ready(ours(y, q)))
    t_np, v_np = best_of(lambda: np.mean(np.maximum(TAUS * (y[:, None] - q), (TAUS - 1) * (y[:, None] - q))))
    from sklearn.metrics import mean_pinball_loss

    t_sk, v_sk = best_of(lambda: np.mean([mean_pinball_loss(y, q[:, k], alpha=t) for k, t in enumerate(TAUS)]), 2)
    print(f"pinball  theorylab {t_ours * 1e3:8.1f} ms | numpy {t_np * 1e3:8.1f} ms ({t_np / t_ours:5.1f}x) | "
          f"sklearn per level {t_sk * 1e3:8.1f} ms ({t_sk / t_ours:5.1f}x) | values agree to "
          f"{max(abs(v_ours - v_np), abs(v_ours - v_sk)):.1e}")
    wis = jax.jit(lambda y, q: weighted_interval_score(y, q, TAUS))
    jax.block_until_ready(wis(y, q))
    t_wis, _ = best_of(lambda: jax.block_until_ready(wis(y, q)))
    print(f"WIS      theorylab {t_wis * 1e3:8.1f} ms | numpy pinball {t_np * 1e3:8.1f} ms ({t_np / t_wis:5.1f}x)")

    block(f"monotone fixes, n = {N}, m = {M}")
    srt = jax.jit(lambda q: monotonize(q, "sort"))
    jax.block_until_ready(srt(q))
    t_sort, _ = best_of(lambda: jax.block_until_ready(srt(q)), 3)
    t_npsort, _ = best_of(lambda: np.sort(q, axis=1), 3)
    iso = lambda q: jax.block_until_ready(monotonize(q, "isotonic"))  # noqa: E731
    iso(q)
    t_iso, out = best_of(lambda: iso(q), 3)
    from sklearn.isotonic import IsotonicRegression

    rows = 2000
    x = np.arange(M)
    t_sk_rows, ref = best_of(lambda: np.stack([IsotonicRegression().fit_transform(x, r) for r in q[:rows]]), 2)
    t_py_rows, ref_py = best_of(lambda: np.stack([python_pava(r) for r in q[:rows]]), 2)
    t_sk_iso, t_py = t_sk_rows * N / rows, t_py_rows * N / rows
    err = max(np.abs(np.asarray(out[:rows]) - ref).max(), np.abs(ref_py - ref).max())
    print(f"sort     theorylab {t_sort * 1e3:8.1f} ms | np.sort {t_npsort * 1e3:8.1f} ms ({t_npsort / t_sort:5.2f}x)")
    print(f"isotonic theorylab {t_iso:8.2f} s  | sklearn per row {t_sk_iso:8.1f} s ({t_sk_iso / t_iso:5.1f}x) | "
          f"python PAVA {t_py:8.1f} s ({t_py / t_iso:5.1f}x) | max diff {err:.1e}")
    print(f"sort vs sklearn per-row isotonic: {t_sk_iso / t_sort:7.0f}x (target >= 10x); "
          f"scoring + isotonic vs sklearn scoring + isotonic: {(t_sk + t_sk_iso) / (t_ours + t_iso):5.1f}x")

    block("aggregator fit: Adam (softmax weights, 3000 full-batch steps) vs exact LP (HiGHS)")
    for n, p, m in [(221, 5, 19), (1000, 6, 19), (500, 6, 99)]:
        taus = np.arange(1, m + 1) / (m + 1)
        truth = rng.normal(size=n)
        Z = truth[:, None, None] + rng.normal(size=(n, p, 1)) * rng.uniform(0.3, 1.2, (1, p, 1)) \
            + np.sort(rng.normal(size=(1, p, m)), axis=2) * rng.uniform(0.7, 1.3, (1, p, 1))
        yy = truth + 0.8 * rng.normal(size=n)
        for g in ("coarse", "medium"):
            t_lp, lp = best_of(lambda: fit_aggregator_lp(Z, yy, taus, g), 1)  # noqa: B023 (called at once)
            fit_aggregator(jax.random.key(0), Z, yy, taus, AggregatorConfig(g), steps=3000)  # compile
            t_adam, fit = best_of(lambda: fit_aggregator(jax.random.key(0), Z, yy, taus, AggregatorConfig(g), steps=3000), 1)  # noqa: B023
            gap = (fit.final_loss - lp.objective) / lp.objective
            print(f"n={n:5d} p={p} m={m:3d} {g:6s}: LP {t_lp:6.2f} s | Adam {t_adam:6.2f} s (LP/Adam {t_lp / t_adam:5.2f}x) "
                  f"| relative gap {gap:.1e}")

    block("CQR vs MAPIE ConformalizedQuantileRegressor (prefit, 3 linear quantile regressions)")
    from mapie.regression import ConformalizedQuantileRegressor
    from sklearn.linear_model import QuantileRegressor

    X = rng.normal(size=(20_000, 3))
    yy = X[:, 0] + (1 + np.abs(X[:, 1])) * rng.normal(size=len(X))
    Xtr, ytr, Xc, yc, Xt = X[:2000], yy[:2000], X[2000:12000], yy[2000:12000], X[12000:]
    alpha = 0.1
    ests = [QuantileRegressor(quantile=t, alpha=0.0, solver="highs").fit(Xtr, ytr) for t in (alpha / 2, 1 - alpha / 2, 0.5)]
    lo_c, hi_c, lo_t, hi_t = ests[0].predict(Xc), ests[1].predict(Xc), ests[0].predict(Xt), ests[1].predict(Xt)
    for symmetric in (True, False):
        def run_mapie():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg = ConformalizedQuantileRegressor(ests, confidence_level=1 - alpha, prefit=True)
                reg.conformalize(Xc, yc)
                return reg.predict_interval(Xt, symmetric_correction=symmetric)[1]  # noqa: B023

        def run_ours():
            lo, hi = cqr_offset(yc, lo_c, hi_c, alpha, correction="symmetric" if symmetric else "asymmetric")  # noqa: B023
            return np.stack([lo_t - float(lo), hi_t + float(hi)], axis=1)

        t_m, bounds = best_of(run_mapie, 3)
        t_o, mine = best_of(run_ours, 3)
        diff = np.abs(bounds[:, :, 0] - mine).max()
        print(f"{'symmetric ' if symmetric else 'asymmetric'}: max |bound difference| = {diff:.1e} | MAPIE {t_m * 1e3:6.1f} ms "
              f"(incl. its 3 model predictions) | theorylab {t_o * 1e3:6.1f} ms (offsets + shift)")


if __name__ == "__main__":
    main()

"""Sparse regression: theorylab against scikit-learn, skglm and abess in the same process, same data.

1. Lasso at the theory alpha (sklearn scaling, no intercept, the same ``tol`` meaning: duality gap
   <= tol |y|^2 / N): theorylab's working-set CD with active-set finish vs ``sklearn.linear_model.Lasso``
   and ``skglm.Lasso``; Gaussian designs N = 200, d = 200 / 1000 / 2000 and equicorrelated clusters
   (delta = 0.05, clusters of 10) N = 100, d = 200 / 1000. Reports time ratios and max |coef difference|.
2. LassoCV (5 contiguous folds, 30 alphas, eps 1e-3): ``lasso_cv`` vs ``sklearn.linear_model.LassoCV``
   (tol 1e-4, max_iter 3000, as the prototype of docs/theory/sparse.md P4) on the same designs with worst-case contrast
   supports; time and prediction error over the oracle's.
3. OMP with k steps vs ``OrthogonalMatchingPursuit``; abess (support size k) when installed.
4. Exhaustive best subset throughput (subsets / s), d = 40, k = 3 and 4.

Timings exclude JAX compilation (reported separately); best of 3. Ratios > 1 mean theorylab is faster.
"""

import functools
import math
import os
import sys
import time
import warnings

import jax
import numpy as np

import theorylab.estimators.sparse as S

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_of  # noqa: E402

print = functools.partial(print, flush=True)
warnings.filterwarnings("ignore")

from sklearn.linear_model import Lasso, LassoCV, OrthogonalMatchingPursuit  # noqa: E402

try:
    import skglm
except ImportError:  # pragma: no cover
    skglm = None
try:
    from abess import LinearRegression as Abess
except ImportError:  # pragma: no cover
    Abess = None


def problem(kind, n, d, seed, support="random"):
    kd, kp = jax.random.split(jax.random.key(seed))
    if kind == "gaussian":
        design = S.make_design(kd, "gaussian", n, d)
        p = S.make_problem(kp, design, 10, 0.5)
    else:
        design = S.make_design(kd, "equicorrelated_clusters", n, d, m=d // 10, delta=0.05)
        p = S.make_problem(kp, design, 6, 0.5, values="contrast", support=support, delta=0.05)
    return np.asarray(p.X), np.asarray(p.y), np.asarray(p.coef), np.asarray(p.support)


def err(X, w_hat, w):
    r = X @ (w_hat - w)
    return float(r @ r / X.shape[0])


print("1. Lasso at alpha_theory, tol 1e-6 (sklearn's meaning)")
print(f"{'design':>10} {'N':>5} {'d':>5} {'ours ms':>9} {'sklearn':>9} {'ratio':>6} {'skglm':>9} {'ratio':>6} "
      f"{'|dcoef| sk':>10} {'compile s':>9}")
for kind, n, d in [("gaussian", 200, 200), ("gaussian", 200, 1000), ("gaussian", 200, 2000),
                   ("clusters", 100, 200), ("clusters", 100, 1000)]:
    X, y, w, _ = problem(kind, n, d, 0)
    alpha = float(S.alpha_theory(0.5, n, d))
    t0 = time.perf_counter()
    S.lasso(X, y, alpha, tol=1e-6).coef.block_until_ready()
    compile_s = time.perf_counter() - t0
    t_ours, ours = best_of(lambda: S.lasso(X, y, alpha, tol=1e-6).coef.block_until_ready(), 3)
    t_sk, sk = best_of(lambda: Lasso(alpha=alpha, fit_intercept=False, tol=1e-6, max_iter=100_000).fit(X, y).coef_, 3)
    if skglm is not None:
        t_gl, _ = best_of(lambda: skglm.Lasso(alpha=alpha, fit_intercept=False, tol=1e-6).fit(X, y).coef_, 3)
    else:
        t_gl = math.nan
    print(f"{kind:>10} {n:5d} {d:5d} {t_ours * 1e3:9.2f} {t_sk * 1e3:9.2f} {t_sk / t_ours:6.2f} {t_gl * 1e3:9.2f} "
          f"{t_gl / t_ours:6.2f} {np.max(np.abs(np.asarray(ours) - sk)):10.1e} {compile_s:9.2f}")

print("\n2. LassoCV, 5 folds, 30 alphas (clusters: worst-case within-cluster contrast pairs)")
print(f"{'design':>10} {'N':>5} {'d':>5} {'ours s':>8} {'sklearn s':>9} {'ratio':>6} {'err/oracle ours':>15} "
      f"{'sklearn':>8} {'converged':>9}")
for kind, n, d in [("gaussian", 200, 1000), ("clusters", 50, 100), ("clusters", 100, 200)]:
    X, y, w, T = problem(kind, n, d, 1, support="pairs" if kind == "clusters" else "random")
    oracle = err(X, np.asarray(S.oracle_least_squares(X, y, T).coef), w)
    S.lasso_cv(X, y).coef.block_until_ready()
    t_ours, ours = best_of(lambda: jax.block_until_ready(S.lasso_cv(X, y)), 3)
    t_sk, sk = best_of(lambda: LassoCV(cv=5, alphas=30, fit_intercept=False, tol=1e-4, max_iter=3000).fit(X, y).coef_, 1)
    print(f"{kind:>10} {n:5d} {d:5d} {t_ours:8.3f} {t_sk:9.3f} {t_sk / t_ours:6.1f} "
          f"{err(X, np.asarray(ours.coef), w) / oracle:15.2f} {err(X, sk, w) / oracle:8.2f} {bool(ours.converged)!s:>9}")

print("\n3. OMP (k = true k) and abess (support size k)")
for kind, n, d in [("gaussian", 200, 1000), ("clusters", 100, 200)]:
    X, y, w, T = problem(kind, n, d, 2)
    k = T.size
    S.omp(X, y, k).coef.block_until_ready()
    t_ours, ours = best_of(lambda: S.omp(X, y, k).coef.block_until_ready(), 3)
    t_sk, sk = best_of(lambda: OrthogonalMatchingPursuit(n_nonzero_coefs=k, fit_intercept=False).fit(X, y).coef_, 3)
    line = (f"{kind:>10} N={n} d={d} (columns not normalised; sklearn scores raw |x_j^T r|): OMP ours {t_ours * 1e3:.2f} ms, sklearn {t_sk * 1e3:.2f} ms (ratio "
            f"{t_sk / t_ours:.2f}), |dcoef| {np.max(np.abs(np.asarray(ours) - sk)):.1e}, err {err(X, np.asarray(ours), w):.3f}")
    if Abess is not None:
        t_ab, ab = best_of(lambda: Abess(support_size=[k], fit_intercept=False).fit(X, y).coef_, 3)
        line += f"; abess {t_ab * 1e3:.2f} ms, err {err(X, ab, w):.3f}"
    else:
        line += "; abess not installed"
    print(line)

print("\n4. Exhaustive best subset, N = 60, d = 40")
for k in (3, 4):
    X, y, w, _ = problem("gaussian", 60, 40, 3)
    S.best_subset(X, y, k).coef.block_until_ready()
    t, _ = best_of(lambda: S.best_subset(X, y, k).coef.block_until_ready(), 3)
    print(f"k = {k}: {math.comb(40, k):,} subsets in {t:.3f} s = {math.comb(40, k) / t:,.0f} subsets/s")

"""Mutual information: theorylab against peers in the same process, on the same data.

1. KSG, 1-D pairs, N = 1e3, 5e3, 2e4: theorylab's exact brute-force JAX search vs scikit-learn's
   ``mutual_info_regression`` (KD-tree; it adds 1e-10 noise, so values agree to ~1e-10 or better).
2. KSG, d = 5 and 25 per side: vs a scipy cKDTree implementation (the NPEET / Holmes-Nemenman
   design: tree queries with the max-norm), the same counts.
3. Gaussian MI, 25 x 25, N = 5000: bias-corrected log-det vs scikit-learn CCA (canonical
   correlations by NIPALS, then -1/2 sum log(1 - rho^2)).
4. The 55-fit protocol (gamma = 1..10) with KSG at N = 2000: ``estimate_with_ci`` vs a loop of the
   cKDTree implementation over the same chunks.

Timings exclude JAX compilation (reported separately); best of 3.
"""

import functools
import os
import sys
import time

import jax
import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

import theorylab.estimators.mutual_information as M

KEY = jax.random.key(0)

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_of  # noqa: E402

print = functools.partial(print, flush=True)


def ksg_tree(x, y, k=5):
    """KSG variant 1 with scipy cKDTree (max-norm), the peer design."""
    n = len(x)
    z = np.hstack([x, y])
    d, _ = cKDTree(z).query(z, k=k + 1, p=np.inf)
    eps = np.nextafter(d[:, -1], 0)
    nx = cKDTree(x).query_ball_point(x, eps, p=np.inf, return_length=True) - 1
    ny = cKDTree(y).query_ball_point(y, eps, p=np.inf, return_length=True) - 1
    return digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1))


def timed_first(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main():
    from sklearn.cross_decomposition import CCA
    from sklearn.feature_selection import mutual_info_regression

    print("1. KSG, 1-D, k = 3 (rho = 0.75)")
    for n in (1000, 5000, 20000):
        x, y = (np.asarray(a) for a in M.correlated_pair(0.75).sample_xy(jax.random.key(n), n))
        first, _ = timed_first(lambda: M.ksg(KEY, x, y, k=3, standard_error=False).value)
        ours_t, ours = best_of(lambda: M.ksg(KEY, x, y, k=3, standard_error=False).value, 3)
        sk_t, sk = best_of(lambda: mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0], 3)
        print(f"   N = {n:6d}: theorylab {ours_t * 1e3:8.1f} ms (first call {first:.1f} s), sklearn {sk_t * 1e3:8.1f} ms, "
              f"ratio sklearn/theorylab {sk_t / ours_t:5.2f}x, |diff| {abs(ours - sk):.1e}")

    print("2. KSG, d x d, k = 5 (dense Gaussian, off-diagonal 0.5)")
    for d, n in ((5, 2000), (25, 5000)):
        dist = M.JointGaussian(M.dense_covariance(d, d), d)
        x, y = (np.asarray(a) for a in dist.sample_xy(jax.random.key(d), n))
        xs, ys = x / x.std(0), y / y.std(0)
        first, _ = timed_first(lambda: M.ksg(KEY, x, y, k=5, standard_error=False).value)
        ours_t, ours = best_of(lambda: M.ksg(KEY, x, y, k=5, standard_error=False).value, 3)
        tree_t, tree = best_of(lambda: ksg_tree(xs, ys, 5), 3)
        print(f"   {d}x{d}, N = {n}: theorylab {ours_t:.3f} s (first call {first:.1f} s), cKDTree {tree_t:.3f} s, "
              f"ratio {tree_t / ours_t:5.2f}x, |diff| {abs(ours - tree):.1e}, true I {float(dist.mutual_information()):.4f}")

    print("3. Gaussian MI, 25 x 25, N = 5000")
    dist = M.JointGaussian(M.dense_covariance(25, 25), 25)
    x, y = (np.asarray(a) for a in dist.sample_xy(jax.random.key(3), 5000))
    first, _ = timed_first(lambda: M.gaussian_mi(x, y).value)
    ours_t, ours = best_of(lambda: M.gaussian_mi(x, y).value, 3)

    def cca_mi():
        cca = CCA(n_components=25, max_iter=2000).fit(x, y)
        u, v = cca.transform(x, y)
        rho = np.array([np.corrcoef(u[:, i], v[:, i])[0, 1] for i in range(25)])
        return -0.5 * np.sum(np.log1p(-rho**2))

    cca_t, cca = best_of(cca_mi, 3)
    print(f"   theorylab {ours_t * 1e3:.1f} ms (first call {first:.1f} s; bias-corrected {ours:.4f}), sklearn CCA "
          f"{cca_t * 1e3:.1f} ms (uncorrected {cca:.4f}), ratio {cca_t / ours_t:.0f}x; true I "
          f"{float(dist.mutual_information()):.4f}")

    print("4. protocol, 55 KSG fits (gamma = 1..10), N = 2000, 1-D")
    x, y = (np.asarray(a) for a in M.correlated_pair(0.75).sample_xy(jax.random.key(4), 2000))
    first, _ = timed_first(lambda: M.estimate_with_ci(jax.random.key(5), x, y, k=5))
    ours_t, res = best_of(lambda: M.estimate_with_ci(jax.random.key(5), x, y, k=5), 3)
    perm = np.random.default_rng(0).permutation(2000)
    xs, ys = x / x.std(), y / y.std()

    def loop():
        out = []
        for g in range(1, 11):
            m = 2000 // g
            out.append([ksg_tree(xs[perm[i * m:(i + 1) * m]], ys[perm[i * m:(i + 1) * m]], 5) for i in range(g)])
        return out

    tree_t, _ = best_of(loop, 3)
    print(f"   theorylab {ours_t:.3f} s (first call {first:.1f} s), cKDTree loop {tree_t:.3f} s, ratio "
          f"{tree_t / ours_t:.2f}x; {res.summary()}")

    print("5. neural estimator, separable InfoNCE critic (hidden 64x64, batch 128), N = 2000, 1-D")
    x, y = M.correlated_pair(0.9).sample_xy(jax.random.key(6), 2000)
    est = M.NeuralMI(epochs=50)
    first, _ = timed_first(lambda: est.fit(jax.random.key(7), x, y))
    t, fit = best_of(lambda: est.fit(jax.random.key(7), x, y), 3)
    steps = 50 * (est.split_sizes(2000)[0] // 128)
    print(f"   {steps} Adam steps + 50 evaluations in {t:.2f} s ({steps / t:.0f} steps/s; first call {first:.1f} s); "
          f"estimate {fit.value:.4f}, true {float(M.mi_gaussian_canonical(0.9)):.4f}")


if __name__ == "__main__":
    main()

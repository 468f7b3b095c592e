"""Dense Hebbian network: phase-diagram throughput and Monte Carlo flip rate against NumPy/scipy baselines.

1. RS phase diagram, P = 4, clean data: theorylab's vmapped grid (retrieval + spin-glass solves,
   free entropies, labels, one compile) against a ``scipy.optimize.fsolve`` loop over the same
   retrieval equations with the same composite kink-aware quadrature in NumPy (timed on a subset of
   the grid; points per second compared).
2. Glauber Monte Carlo, P = 4, distinct indices: theorylab (power sums, ``lax.scan``) against the
   same power-sum algorithm as a NumPy loop, and against a NumPy field from the explicit 4-tensor
   (N = 40 only: the tensor needs N^4 floats). Proposed flips per second.

Prints ratios; nothing here is a test. CPU figures vary up to 2x on the shared 2-core machine.
"""

import functools
import os
import sys
import time

import jax
import numpy as np
from scipy import optimize

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_of  # noqa: E402

import theorylab  # noqa: E402,F401
from theorylab.statmech import hebbian as H  # noqa: E402

print = functools.partial(print, flush=True)
ORDER = 32
_X, _W = np.polynomial.legendre.leggauss(ORDER)


def numpy_rule(kink, width, c=12.0):
    z0 = float(np.clip(kink, -c, c))
    inner = sorted([np.clip(z0 - width, -c, c), z0, np.clip(z0 + width, -c, c), 0.0])
    edges = [-c, *inner, c]
    z = np.concatenate([0.5 * (b - a) * _X + 0.5 * (a + b) for a, b in zip(edges[:-1], edges[1:])])
    w = np.concatenate([0.5 * (b - a) * _W for a, b in zip(edges[:-1], edges[1:])])
    return z, w * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def numpy_residual(x, alpha, beta):
    n, q = x
    b = beta / 24.0
    a = b * 4 * n**3
    s = b * np.sqrt(alpha * 96.0 * max(q, 1e-300) ** 3)
    sd = max(np.hypot(a * 0.0, s), 1e-300)  # clean data: h = a + s z
    z, w = numpy_rule(-a / sd, 20.0 / sd)
    t = np.tanh(a + s * z)
    return [w @ t - n, w @ (t * t) - q]


def scipy_grid(alphas, betas):
    out = []
    for a in alphas:
        for bt in betas:
            x, info, ier, _ = optimize.fsolve(numpy_residual, [1.0, 1.0], args=(a, bt), full_output=True, xtol=1e-11)
            out.append((x, ier))
    return out


def bench_phase_diagram():
    model, data = H.DenseHebbian(4), H.DatasetParams()
    print("-- RS phase diagram, P = 4 (points per second)")
    for points in (64, 100):
        alphas = np.linspace(0, 0.05, points)
        betas = 1 / (2 * model.scale * np.linspace(0.01, 1.2, points))
        t0 = time.perf_counter()
        H.phase_diagram(model, data, alphas, betas)
        first = time.perf_counter() - t0
        t, _ = best_of(lambda: H.phase_diagram(model, data, alphas, betas), repeats=3)
        # scipy on a 10 x 10 subset of the same grid (retrieval solves only)
        sub_a, sub_b = alphas[:: points // 10][:10], betas[:: points // 10][:10]
        ts, _ = best_of(lambda: scipy_grid(sub_a, sub_b), repeats=1)
        jax_rate, scipy_rate = points**2 / t, len(sub_a) * len(sub_b) / ts
        print(f"{points}x{points}: theorylab {t:.2f} s ({jax_rate:,.0f} pts/s; first call with compile {first:.1f} s) | "
              f"scipy fsolve loop {scipy_rate:,.0f} pts/s (retrieval only) | ratio {jax_rate / scipy_rate:.1f}x")
    t, line = best_of(lambda: H.critical_load(model, data, betas), repeats=2)
    print(f"fold line at {points} temperatures: {t:.2f} s; max residual {float(np.max(np.asarray(line.residual)[np.asarray(line.converged)])):.1e}")


def numpy_power_sum_glauber(rng, sigma, eta, beta, sweeps):
    K, N = eta.shape
    P = 4
    x = eta * sigma
    p = np.stack([np.sum(x**k, axis=1) for k in range(1, P + 1)])

    def e4(p):
        return (p[0] ** 4 - 6 * p[0] ** 2 * p[1] + 8 * p[0] * p[2] + 3 * p[1] ** 2 - 6 * p[3]) / 24

    scale = N ** (1 - P)  # kappa P! = 1
    for _ in range(sweeps):
        for i in rng.permutation(N):
            col = eta[:, i]
            dp = np.zeros_like(p)
            dp[0] = -2 * sigma[i] * col
            dp[2] = -2 * sigma[i] * col**3
            dE = -scale * (e4(p + dp).sum() - e4(p).sum())
            if rng.random() < 1 / (1 + np.exp(beta * dE)):
                sigma[i] = -sigma[i]
                p = p + dp
    return sigma


def numpy_tensor_field_rate(N, K, reps=3):
    rng = np.random.default_rng(0)
    eta = rng.choice([-1.0, 1.0], size=(K, N))
    J = np.einsum("ma,mb,mc,md->abcd", eta, eta, eta, eta, optimize=True)
    sigma = rng.choice([-1.0, 1.0], size=N)
    t0 = time.perf_counter()
    for _ in range(reps):
        np.einsum("abcd,b,c,d->a", J, sigma, sigma, sigma, optimize=True)
    return reps / (time.perf_counter() - t0)


def bench_monte_carlo():
    print("-- Glauber Monte Carlo, P = 4 distinct (proposed flips per second)")
    model = H.DenseHebbian(4)
    for N, K, sweeps in ((400, 1, 50), (40, 640, 20), (50, 2500, 5)):
        ds = H.sample_dataset(jax.random.PRNGKey(0), N, K, H.DatasetParams())
        run = lambda: H.glauber(jax.random.PRNGKey(1), ds.archetypes[0], ds.patterns, 50.0, sweeps, model).m.block_until_ready()
        run()
        t, _ = best_of(run, repeats=3)
        jax_rate = N * sweeps / t
        eta = np.asarray(ds.patterns)
        np_sweeps = max(1, sweeps // 10)
        tn, _ = best_of(lambda: numpy_power_sum_glauber(np.random.default_rng(0), np.asarray(ds.archetypes[0]).copy(), eta, 50.0, np_sweeps), repeats=1)
        np_rate = N * np_sweeps / tn
        line = f"N={N} K={K}: theorylab {jax_rate:,.0f} | NumPy power sums {np_rate:,.0f} | ratio {jax_rate / np_rate:.1f}x"
        if N == 40:
            field_rate = numpy_tensor_field_rate(N, K)
            line += f" | NumPy explicit 4-tensor: {field_rate:,.0f} field evaluations/s ({N ** 4 * 8 / 1e6:.0f} MB) -> ratio {jax_rate / field_rate:.0f}x"
        print(line)
    # vmapped chains
    N, K, chains, sweeps = 40, 640, 16, 20
    ds = H.sample_dataset(jax.random.PRNGKey(0), N, K, H.DatasetParams())
    run = jax.jit(jax.vmap(lambda k: H.glauber(k, ds.archetypes[0], ds.patterns, 50.0, sweeps, model).m))
    keys = jax.random.split(jax.random.PRNGKey(2), chains)
    run(keys).block_until_ready()
    t, _ = best_of(lambda: run(keys).block_until_ready(), repeats=3)
    print(f"N={N} K={K}, {chains} vmapped chains: {chains * N * sweeps / t:,.0f} proposed flips/s in total")


if __name__ == "__main__":
    bench_phase_diagram()
    bench_monte_carlo()

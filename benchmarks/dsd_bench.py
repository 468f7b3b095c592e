"""DSD sample-complexity curves: (seed x sample size) points per second, three implementations.

All three compute the same thing: the two-step learner (CNN or LCN, b = 0.4) trained on the first
N samples of one pool per seed, for every N of a 24-point grid up to 4096, and its test error
from 2^15 projection draws (docs/theory/dsd.md, "Measuring N*"):

1. theorylab: ``error_curves``, one ``jit`` with seeds and grid points ``vmap``-ed over nested
   masks of one pool;
2. a jit-per-N loop: the same JAX learner called on ``x[:N]`` for each seed and N (a new shape,
   so one compilation per grid size, the design of the first prototype);
3. a NumPy loop: the learner and the projection test error in NumPy, one (seed, N) at a time.

Compilation is reported separately (theorylab: first call minus second). Every implementation
draws its own training pools inside its timing; the N* each one reads off its mean curve is printed
as a cross-check (they differ by seed noise only). ``--sweep`` also times
the exponent sweeps of the claims ``dsd.separation`` and ``dsd.exponents``.

usage: python benchmarks/dsd_bench.py [--sweep] [--seeds S]
"""

import functools
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.learning import dsd
from theorylab.numerics import n_star_from_curve

print = functools.partial(print, flush=True)  # noqa: A001

B, C = 0.4, 0.6
TEST = 2**15


def grid():
    return np.unique(np.round(np.geomspace(2, 4096, 24)).astype(int))


def numpy_learner(arch, x, y):
    def unit(v):  # a zero filter stays zero, as in theorylab
        norm = np.linalg.norm(v, axis=-1, keepdims=True)
        return np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)

    if arch == "cnn":
        w1 = unit(np.einsum("n,nkd->d", y, x))
        gate = (np.abs(x @ w1) >= B) * y[:, None]
        return unit(np.einsum("nk,nkd->d", gate, x))
    w1 = unit(np.einsum("n,nkd->kd", y, x))
    gate = (np.abs(np.einsum("nkd,kd->nk", x, w1)) >= B) * y[:, None]
    return unit(np.einsum("nk,nkd->kd", gate, x))


def numpy_test_error(arch, w, k, sigma, z):
    w_star = np.zeros(w.shape[-1])
    w_star[0] = 1.0
    filters = np.broadcast_to(w, (k, w.shape[-1]))
    a, s = filters @ w_star, sigma * np.linalg.norm(filters, axis=-1)
    u = z * s + np.where(np.eye(k, dtype=bool)[:, None, :], a, 0.0)
    out = (np.maximum(u - B, 0) - np.maximum(-u - B, 0)).sum(-1)
    return float(np.mean(out <= 0))


def run(arch, k, d, seeds):
    dist = dsd.DSD(k, d, C / np.sqrt(k), dtype=jnp.float32)
    learner = dsd.TwoStep(arch, B)
    g = grid()
    key = jax.random.PRNGKey(0)
    points = seeds * g.size

    t0 = time.perf_counter()
    dsd.error_curves(key, dist, learner, g, num_seeds=seeds, test_samples=TEST)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    errs = dsd.error_curves(key, dist, learner, g, num_seeds=seeds, test_samples=TEST)
    ours = time.perf_counter() - t0

    # jit per N: the same learner on x[:N] (a new shape per N), the same test error
    fit_test = jax.jit(lambda kt, x, y: dsd.test_error(kt, arch, learner.fit(kt, x, y, jnp.ones(x.shape[0], x.dtype)),
                                                       dist, samples=TEST))
    t0 = time.perf_counter()  # every implementation draws its own pools inside the timing
    pools = [dist.sample_labeled(kk, int(g[-1])) for kk in jax.random.split(key, seeds)]
    loop = [[float(fit_test(key, p.x[:n], p.y[:n])) for n in g] for p in pools]
    per_n = time.perf_counter() - t0

    # NumPy loop (float32 pools like theorylab's, one generator)
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    np_errs = []
    for _ in range(seeds):
        n_max = int(g[-1])
        y = rng.choice(np.array([-1.0, 1.0], np.float32), n_max)
        pos = rng.integers(0, k, n_max)
        x = float(dist.sigma) * rng.standard_normal((n_max, k, d), dtype=np.float32)
        x[np.arange(n_max), pos, 0] += y
        z = rng.standard_normal((k, -(-TEST // k), k), dtype=np.float32)
        np_errs.append([numpy_test_error(arch, numpy_learner(arch, x[:n], y[:n]), k, float(dist.sigma), z) for n in g])
    numpy_s = time.perf_counter() - t0
    target = dsd.oracle_error(dist, B) + 0.03  # each implementation's N* (own pools: agree up to seed noise)
    n_stars = [n_star_from_curve(g, np.mean(e, 0), target) for e in (errs, loop, np_errs)]
    print(f"{arch} k={k:2d} d={d} | theorylab {points / ours:9.1f} pts/s ({ours:6.2f} s, compile {first - ours:5.1f} s) | "
          f"jit per N {points / per_n:8.1f} pts/s ({per_n:6.1f} s incl. {g.size} compiles) | numpy {points / numpy_s:7.1f} "
          f"pts/s ({numpy_s:6.1f} s) | vs jit-per-N {per_n / ours:6.1f}x, vs numpy {numpy_s / ours:6.1f}x | "
          "N* (target oracle + 0.03): " + " / ".join(f"{v:.1f}" for v in n_stars))


def sweep_times(seeds):
    from theorylab.claims import dsd as claims

    for name, fn, kw in [("separation (k = 4..32, d = 32, CNN + LCN)", claims.measure_separation,
                          {"ks": (4, 8, 16, 32), "d": 32, "seeds": seeds, "n_max": 4096}),
                         ("exponents (d-sweep at k = 4 + LCN k-sweep)", claims.measure_exponents,
                          {"seeds": seeds, "n_max": 8192, "gap": 0.005})]:
        t0 = time.perf_counter()
        m = fn(jax.random.PRNGKey(0), **kw)
        print(f"sweep {name}: {time.perf_counter() - t0:.1f} s (compilation included); "
              + ", ".join(f"{k} = {v:.3g}" for k, v in m.values.items()))


def main():
    seeds = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 8
    print(f"device: {jax.devices()[0].device_kind}; {seeds} seeds x {grid().size} sample sizes; test error from "
          f"{TEST} projection draws; points = (seed, N) pairs")
    for arch in ("cnn", "lcn"):
        for k in (16, 32):
            run(arch, k, 32, seeds)
    if "--sweep" in sys.argv:
        sweep_times(seeds)


if __name__ == "__main__":
    main()

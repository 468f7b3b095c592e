"""Franz-Parisi: task-1 alpha sweeps per second, theorylab against a scipy fsolve loop (same equations).

Both sides solve the task-1 saddle point of the continual-learning perceptron (beta = 20) on the
same alpha grid, with the same quadrature: the residual g(x) - x is theorylab's jitted map, so the
comparison is between solver drivers.

1. theorylab continuation: ``task1_sweep`` (one ``lax.scan``, Newton from a secant prediction);
2. theorylab independent solves: ``task1`` ``vmap``-ed over alpha from the branch start (no tracking);
3. scipy: ``scipy.optimize.fsolve`` on the jitted residual (Jacobian by finite differences, as a
   scipy user would), warm-started from the previous alpha, in a Python loop.

Plus the spherical p-spin potential on 10^4 (q, T) pairs (vmapped scan + bisection) against a
``scipy.optimize.brentq`` loop on the same inner equation (the same smallest-root bracket).

usage: python benchmarks/franz_parisi_bench.py
"""

import functools
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

from theorylab.statmech import franz_parisi as FP

print = functools.partial(print, flush=True)  # noqa: A001


def sweeps(points=40):
    model = FP.ContinualPerceptron()
    alphas = np.linspace(0.5, 1.5, points)
    t0 = time.perf_counter()
    model.task1_sweep(alphas, "low").q.block_until_ready()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = model.task1_sweep(alphas, "low")
    res.q.block_until_ready()
    cont = time.perf_counter() - t0

    solve = jax.jit(jax.vmap(lambda a: FP.perceptron._task1_jit.__wrapped__(model, a, jnp.array([0.3, 0.2, 0.5]), 80,
                                                                             0.3, 40)))
    solve(jnp.asarray(alphas)).q.block_until_ready()
    t0 = time.perf_counter()
    ind = solve(jnp.asarray(alphas))
    ind.q.block_until_ready()
    vm = time.perf_counter() - t0

    g = jax.jit(lambda x, a: model.task1_map(x, a) - x)
    x = np.array([0.3, 0.2, 0.5])
    for _ in range(80):  # the same warm start
        x = x + 0.3 * np.asarray(g(x, alphas[0]))
    g(x, alphas[1]).block_until_ready()
    t0 = time.perf_counter()
    out = []
    for a in alphas:
        x, info, ier, _ = optimize.fsolve(lambda y: np.asarray(g(y, a)), x, full_output=True, xtol=1e-12)
        out.append(x.copy())
    sp = time.perf_counter() - t0
    gap = float(np.max(np.abs(np.array(out)[:, 1] - np.asarray(res.r))))
    gap_ind = float(np.max(np.abs(np.asarray(ind.r) - np.asarray(res.r))))
    print(f"task 1, {points} alphas in [0.5, 1.5] (low branch), beta = 20:")
    print(f"  theorylab continuation  {points / cont:7.2f} alphas/s ({cont:.2f} s; first call {first:.1f} s)")
    print(f"  theorylab vmapped solves {points / vm:6.2f} alphas/s ({vm:.2f} s), max |r - r_cont| = {gap_ind:.1e}")
    print(f"  scipy fsolve loop       {points / sp:7.2f} alphas/s ({sp:.2f} s), max |r - r_cont| = {gap:.1e}")
    print(f"  ratio continuation / fsolve: {sp / cont:.1f}x; vmapped / fsolve: {sp / vm:.1f}x")


def pspin(n=10_000):
    rng = np.random.default_rng(0)
    q = rng.uniform(0.0, 0.95, n)
    T = rng.uniform(0.5, 1.0, n)
    f = jax.jit(lambda q, T: FP.potential(q, T).dV)
    f(q, T).block_until_ready()
    t0 = time.perf_counter()
    ours = np.asarray(f(q, T))
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = []
    for qi, Ti in zip(q[:2000], T[:2000]):
        b = 1 / Ti
        f = lambda x: (x - qi**2) - 1.5 * b**2 * x**2 * (1 - x) ** 2  # noqa: E731
        grid = qi**2 + (1 - qi**2) * np.linspace(0, 1, 1025)[1:]  # the smallest root, as theorylab takes
        k = int(np.argmax(f(grid) >= 0))
        qt = optimize.brentq(f, qi**2 if k == 0 else grid[k - 1], grid[k], xtol=1e-15)
        ref.append(-Ti * (b**2 * qi**3 / 2 - b**2 * qt**3 / 4 + 0.5 * math.log1p(-qt) + 0.5 * (qt - qi**2) / (1 - qt)))
    t_sp = (time.perf_counter() - t0) * n / 2000
    print(f"p-spin potential, {n} (q, T) pairs: theorylab {n / t_ours:,.0f} pairs/s, scipy brentq loop "
          f"{n / t_sp:,.0f} pairs/s (timed on 2000, scaled): {t_sp / t_ours:.0f}x; max |diff| "
          f"{np.max(np.abs(ours[:2000] - np.array(ref))):.1e}")


if __name__ == "__main__":
    print(f"device: {jax.devices()[0].device_kind}")
    pspin()
    sweeps()

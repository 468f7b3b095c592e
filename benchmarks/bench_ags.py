"""AGS replica-symmetric solves: theorylab (JAX, jit/vmap) against a scipy.optimize.root loop.

Both sides solve the same three equations in (m, q, log r) with the same kink-aware quadrature
nodes, so the comparison is of solver machinery, not of discretisation.
"""

import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_of  # noqa: E402

import theorylab  # noqa: E402,F401
from theorylab.numerics import kinked_gaussian_rule  # noqa: E402
from theorylab.statmech.ags import ags_solve  # noqa: E402

ORDER = 64


_X, _W = np.polynomial.legendre.leggauss(ORDER)


def numpy_kinked_rule(kink, width, cutoff=12.0):
    """The same composite rule as theorylab.numerics.kinked_gaussian_rule, in plain numpy."""
    z0 = np.clip(kink, -cutoff, cutoff)
    edges = [-cutoff, np.clip(z0 - width, -cutoff, cutoff), z0, np.clip(z0 + width, -cutoff, cutoff), cutoff]
    z = np.concatenate([0.5 * (b - a) * _X + 0.5 * (a + b) for a, b in zip(edges[:-1], edges[1:])])
    w = np.concatenate([0.5 * (b - a) * _W for a, b in zip(edges[:-1], edges[1:])])
    return z, w * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def scipy_residual(x, alpha, beta):
    m, q, log_r = x
    s = np.sqrt(alpha * np.exp(log_r))
    z, w = numpy_kinked_rule(-m / max(s, 1e-100), 20.0 / (beta * max(s, 1e-100)))
    t = np.tanh(beta * (m + s * z))
    m_new, q_new = w @ t, w @ (t * t)
    return [m_new - m, q_new - q, np.log(q_new) - 2 * np.log(abs(1 - beta * (1 - q_new))) - log_r]


def scipy_solve(alpha, beta):
    sol = optimize.root(scipy_residual, [1.0, 1.0, 0.0], args=(alpha, beta), method="hybr", tol=1e-12)
    return sol.x, sol.success


def main():
    print(f"jax {jax.__version__} on {jax.default_backend()}; quadrature: 4 x {ORDER} Legendre nodes")
    alpha, beta = 0.1, 10.0
    zj, wj = kinked_gaussian_rule(-0.9, 0.3, order=ORDER)
    zn, wn = numpy_kinked_rule(-0.9, 0.3)
    assert np.allclose(zj, zn, atol=1e-14) and np.allclose(wj, wn, atol=1e-14)  # identical discretisation
    t0 = time.perf_counter()
    ags_solve(alpha, beta).m.block_until_ready()
    compile_s = time.perf_counter() - t0
    t_tl, st = best_of(lambda: jax.block_until_ready(ags_solve(alpha, beta)), repeats=20)
    t_sp, (x, ok) = best_of(lambda: scipy_solve(alpha, beta), repeats=5)
    assert bool(st.converged) and ok and abs(float(st.m) - x[0]) < 1e-9
    print(f"one point (alpha={alpha}, beta={beta}): theorylab Newton {t_tl * 1e3:.2f} ms "
          f"(compile {compile_s:.1f} s), scipy root {t_sp * 1e3:.2f} ms, ratio scipy/theorylab = {t_sp / t_tl:.1f}x")

    n = 32
    alphas, betas = np.linspace(0.01, 0.12, n), np.linspace(5.0, 50.0, n)
    A, B = (jnp.asarray(g.ravel()) for g in np.meshgrid(alphas, betas))
    grid = jax.jit(jax.vmap(lambda a, b: ags_solve(a, b)))
    t0 = time.perf_counter()
    jax.block_until_ready(grid(A, B))
    compile_s = time.perf_counter() - t0
    t_tl, states = best_of(lambda: jax.block_until_ready(grid(A, B)), repeats=3)
    sub = np.arange(0, n * n, 16)  # scipy on a subsample, scaled to the full grid
    t0 = time.perf_counter()
    ref = [scipy_solve(float(A[i]), float(B[i])) for i in sub]
    t_sp = (time.perf_counter() - t0) * (n * n) / sub.size
    both = [i for i, (x, ok) in zip(sub, ref) if ok and bool(states.converged[i])]
    agree = max(abs(float(states.m[i]) - x[0]) for i, (x, ok) in zip(sub, ref) if i in both)
    print(f"{n}x{n} grid: theorylab vmapped {t_tl:.3f} s (compile {compile_s:.1f} s, "
          f"{int(states.converged.sum())}/{n * n} converged), scipy loop ~{t_sp:.2f} s "
          f"(extrapolated from {sub.size} points), ratio = {t_sp / t_tl:.1f}x; max |dm| on common points {agree:.1e}")


if __name__ == "__main__":
    main()

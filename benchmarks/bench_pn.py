"""p-n criterion: risk coefficients full-tensor vs matrix-free, and Monte Carlo risk vs a scipy loop.

(i) C1/C2 for the correctly specified multivariate normal (d = 3, 5, 10): time after compilation,
    full derivative tensors vs matrix-free, and agreement with the exact C2.
(ii) Monte Carlo risk of the normal model on Laplace data (n = 40): vmapped Newton MLEs against a
    scipy.optimize loop (trust-exact, analytic gradient and Hessian) on the same samples.
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
from theorylab.infogeo import kl_divergence, mle, mvn, normal, risk_coefficients, truth_from_model  # noqa: E402


def exact_mvn_c2(d):
    return 0.5 * (d * (d + 2) * (d + 3) - d * (d + 1) * (2 * d + 1) / 12 - d * (d + 1) / 2 - d / 3)


def coefficients_timing():
    print("(i) C1/C2, correctly specified MVN (exact C1 = p/2, exact C2 from the Wishart series)")
    for d in (3, 5, 10):
        fam = mvn(d)
        truth = truth_from_model(fam, fam.theta_init)
        for mode in ("full", "matrix_free"):
            t0 = time.perf_counter()
            co = jax.block_until_ready(risk_coefficients(fam, truth, fam.theta_init, mode=mode))
            first = time.perf_counter() - t0
            t, co = best_of(lambda: jax.block_until_ready(risk_coefficients(fam, truth, fam.theta_init, mode=mode)), 3)
            print(f"  d = {d:2d} (p = {fam.dim:2d}) {mode:11s}: {t:7.3f} s after compilation (first call {first:5.1f} s); "
                  f"C1 = {float(co.C1):.6f} (exact {fam.dim / 2}), C2 = {float(co.C2):.6f} (exact {exact_mvn_c2(d):.6f})")


def mc_timing(reps=2000, n=40):
    print(f"(ii) Monte Carlo risk, normal model, Laplace data, n = {n}, {reps} replications")
    fam = normal()
    theta_star = jnp.array([0.0, -0.25])
    x = np.random.default_rng(0).laplace(size=(reps, n))

    @jax.jit
    def ours(xs):
        tbar = fam.stats(xs).mean(axis=1)
        sols = jax.vmap(lambda tb: mle(fam, tb, theta_star))(tbar)
        return jnp.mean(jax.vmap(lambda th: kl_divergence(fam, theta_star, th))(sols.value))

    jax.block_until_ready(ours(jnp.asarray(x)))
    t_ours, r_ours = best_of(lambda: float(ours(jnp.asarray(x))), 5)

    def psi(th):
        return -th[0] ** 2 / (4 * th[1]) + 0.5 * np.log(np.pi / (-th[1]))

    def grad_psi(th):  # E t = (mu, mu^2 + s^2) with mu = -th0 / (2 th1), s^2 = -1 / (2 th1)
        mu, s2 = -th[0] / (2 * th[1]), -1 / (2 * th[1])
        return np.array([mu, mu**2 + s2])

    def hess_psi(th):
        mu, s2 = -th[0] / (2 * th[1]), -1 / (2 * th[1])
        return np.array([[s2, 2 * mu * s2], [2 * mu * s2, 2 * s2**2 + 4 * mu**2 * s2]])

    star = np.asarray(theta_star)

    def kl_at(th):
        return psi(th) - psi(star) - (th - star) @ grad_psi(star)

    def scipy_loop():
        kls, ok = [], []
        for row in x:
            tbar = np.array([row.mean(), (row**2).mean()])
            res = optimize.minimize(lambda th: psi(th) - th @ tbar, x0=star, jac=lambda th: grad_psi(th) - tbar,
                                    hess=lambda th: hess_psi(th), method="trust-exact", options={"gtol": 1e-10})
            kls.append(kl_at(res.x))
            ok.append(res.success)
        return np.array(kls), np.array(ok)

    # closed-form MLE of the normal model (sample mean and variance) as the correctness reference
    m, v = x.mean(axis=1), x.var(axis=1)
    exact = np.array([kl_at(np.array([mi / vi, -0.5 / vi])) for mi, vi in zip(m, v)])
    with np.errstate(all="ignore"):
        t_sp, (kl_sp, ok_sp) = best_of(scipy_loop, 1)
    wrong = int(np.sum(~np.isclose(kl_sp, exact, rtol=1e-6, atol=1e-10)))
    print(f"  theorylab vmapped Newton: {t_ours * 1e3:.1f} ms, risk {r_ours:.6f} (closed-form MLE: {exact.mean():.6f})")
    print(f"  scipy trust-exact loop (Newton, analytic derivatives): {t_sp:.2f} s, risk {np.nanmean(kl_sp):.6f}; "
          f"{wrong}/{reps} replicates off the closed-form MLE ({int((~ok_sp).sum())} reported failures)")
    print(f"  ratio scipy / theorylab = {t_sp / t_ours:.0f}x")


if __name__ == "__main__":
    print(f"jax {jax.__version__} on {jax.default_backend()}")
    coefficients_timing()
    mc_timing()

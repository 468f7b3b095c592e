"""Entropic OT and Sinkhorn-Newton-Sparse (theorylab.estimators.transport), derived and checked with sympy.

* Gradient of the dual potential Phi(f, g) = <a,f> + <b,g> - eps sum P + eps sum a with
  P = exp((f_i + g_j - C_ij)/eps): (a - P1, b - P^T 1); the gradient-sum identity.
* Hessian: -(1/eps) [[diag(P1), P], [P^T, diag(P^T 1)]] (minus sign included), null vector (1, -1).
* The Sinkhorn row update zeroes the f-gradient exactly.
* Duality identity Phi - primal(P) = <x, a - P1> + <y, b - P^T 1> with x = f + eps/2, y = g + eps/2.
* The 2x2 closed form: P11 P22 / (P12 P21) = exp(-(C11 + C22 - C12 - C21)/eps).
* The Schur-complement solve used by SNS equals the block solve.

Each symbolic result is also compared with the numeric code at a random point.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theorylab.proofs_checks import CheckResult, symbolic_check

_N, _M = 2, 3


def _symbols():
    eps = sp.symbols("epsilon", positive=True)
    f = sp.symbols(f"f0:{_N}", real=True)
    g = sp.symbols(f"g0:{_M}", real=True)
    a = sp.symbols(f"a0:{_N}", positive=True)
    b = sp.symbols(f"b0:{_M}", positive=True)
    C = sp.Matrix(_N, _M, lambda i, j: sp.Symbol(f"C{i}{j}", real=True))
    P = sp.Matrix(_N, _M, lambda i, j: sp.exp((f[i] + g[j] - C[i, j]) / eps))
    phi = sum(a[i] * f[i] for i in range(_N)) + sum(b[j] * g[j] for j in range(_M)) - eps * sum(P) + eps * sum(a)
    return eps, f, g, a, b, C, P, phi


def _numeric_point(seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.random(_N) + 0.2, rng.random(_M) + 0.2
    b = b / b.sum() * a.sum()
    return dict(eps=0.3, f=rng.normal(size=_N) * 0.2, g=rng.normal(size=_M) * 0.2, a=a, b=b, C=rng.random((_N, _M)))


def _subs(sym, num):
    eps, f, g, a, b, C, *_ = sym
    d = {eps: num["eps"]}
    d.update({f[i]: num["f"][i] for i in range(_N)})
    d.update({g[j]: num["g"][j] for j in range(_M)})
    d.update({a[i]: num["a"][i] for i in range(_N)})
    d.update({b[j]: num["b"][j] for j in range(_M)})
    d.update({C[i, j]: num["C"][i, j] for i in range(_N) for j in range(_M)})
    return d


@symbolic_check
def check_gradient_of_dual_potential() -> CheckResult:
    sym = _symbols()
    eps, f, g, a, b, C, P, phi = sym
    grad_f = [sp.diff(phi, v) for v in f]
    grad_g = [sp.diff(phi, v) for v in g]
    ok_f = all(sp.simplify(grad_f[i] - (a[i] - sum(P[i, :]))) == 0 for i in range(_N))
    ok_g = all(sp.simplify(grad_g[j] - (b[j] - sum(P[:, j]))) == 0 for j in range(_M))
    # sum identity: sum grad_f - sum grad_g = sum a - sum b (= 0 for balanced problems)
    ok_sum = sp.simplify(sum(grad_f) - sum(grad_g) - (sum(a) - sum(b))) == 0

    import jax.numpy as jnp

    from theorylab.estimators.transport import dual_gradient

    num = _numeric_point()
    gf, gg = dual_gradient(jnp.asarray(num["f"]), jnp.asarray(num["g"]), jnp.asarray(num["C"]), jnp.asarray(num["a"]),
                           jnp.asarray(num["b"]), num["eps"])
    d = _subs(sym, num)
    err = max(abs(float(grad_f[i].subs(d)) - float(gf[i])) for i in range(_N))
    err = max(err, max(abs(float(grad_g[j].subs(d)) - float(gg[j])) for j in range(_M)))
    ok = ok_f and ok_g and ok_sum and err < 1e-13
    return CheckResult("transport.gradient", ok, f"grad = (a - P1, b - P^T 1); sum identity {ok_sum}; code agrees to {err:.1e}")


@symbolic_check
def check_hessian_sign_and_null_vector() -> CheckResult:
    sym = _symbols()
    eps, f, g, a, b, C, P, phi = sym
    z = list(f) + list(g)
    H = sp.hessian(phi, z)
    M = sp.zeros(_N + _M, _N + _M)
    for i in range(_N):
        M[i, i] = sum(P[i, :])
        for j in range(_M):
            M[i, _N + j] = P[i, j]
            M[_N + j, i] = P[i, j]
    for j in range(_M):
        M[_N + j, _N + j] = sum(P[:, j])
    ok_form = sp.simplify(H + M / eps) == sp.zeros(_N + _M, _N + _M)
    null = sp.Matrix([1] * _N + [-1] * _M)
    ok_null = sp.simplify(H * null) == sp.zeros(_N + _M, 1)

    import jax.numpy as jnp

    from theorylab.estimators.transport import hessian_matvec

    num = _numeric_point(1)
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=_N), rng.normal(size=_M)
    hu, hv = hessian_matvec(jnp.asarray(num["f"]), jnp.asarray(num["g"]), jnp.asarray(num["C"]), num["eps"],
                            jnp.asarray(u), jnp.asarray(v))
    Hn = np.array(H.subs(_subs(sym, num)), dtype=float)
    err = float(np.max(np.abs(Hn @ np.concatenate([u, v]) - np.concatenate([np.asarray(hu), np.asarray(hv)]))))
    ok = bool(ok_form and ok_null and err < 1e-12)
    return CheckResult("transport.hessian", ok, f"H = -M/eps (minus sign) {ok_form}; (1,-1) null {ok_null}; code agrees to {err:.1e}")


@symbolic_check
def check_sinkhorn_update_zeroes_row_gradient() -> CheckResult:
    sym = _symbols()
    eps, f, g, a, b, C, P, phi = sym
    update = {f[i]: eps * sp.log(a[i]) - eps * sp.log(sum(sp.exp((g[j] - C[i, j]) / eps) for j in range(_M)))
              for i in range(_N)}
    grads = [sp.simplify(sp.diff(phi, f[i]).subs(update)) for i in range(_N)]
    ok = all(gr == 0 for gr in grads)
    return CheckResult("transport.sinkhorn_update", ok, f"grad_f after the row update: {grads}")


@symbolic_check
def check_duality_identity() -> CheckResult:
    """Phi - primal(P(f, g)) = <x, a - P1> + <y, b - P^T 1>, x = f + eps/2, y = g + eps/2, any (f, g), balanced."""
    sym = _symbols()
    eps, f, g, a, b, C, P, phi = sym
    primal = sum(C[i, j] * P[i, j] + eps * P[i, j] * sp.log(P[i, j]) for i in range(_N) for j in range(_M))
    primal = sp.expand(sp.expand_log(primal, force=True))
    rhs = sum((f[i] + eps / 2) * (a[i] - sum(P[i, :])) for i in range(_N)) + \
        sum((g[j] + eps / 2) * (b[j] - sum(P[:, j])) for j in range(_M))
    diff = sp.simplify(sp.expand(phi - primal - rhs).subs(b[_M - 1], sum(a) - sum(b[: _M - 1])))
    return CheckResult("transport.duality_identity", diff == 0, f"Phi - primal - <x, grad> = {diff}")


@symbolic_check
def check_two_by_two_closed_form() -> CheckResult:
    """Gibbs plans satisfy P11 P22 / (P12 P21) = exp(-(C11 + C22 - C12 - C21)/eps); the feasible root of
    the resulting quadratic is the plan, compared with SNS."""
    eps = sp.symbols("epsilon", positive=True)
    f = sp.symbols("f0:2", real=True)
    g = sp.symbols("g0:2", real=True)
    C = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"C{i}{j}", real=True))
    P = sp.Matrix(2, 2, lambda i, j: sp.exp((f[i] + g[j] - C[i, j]) / eps))
    ratio = sp.simplify(P[0, 0] * P[1, 1] / (P[0, 1] * P[1, 0]))
    ok_ratio = sp.simplify(ratio - sp.exp(-(C[0, 0] + C[1, 1] - C[0, 1] - C[1, 0]) / eps)) == 0

    a1, b1, e = sp.Rational(3, 10), sp.Rational(3, 5), sp.Rational(1, 10)
    Cn = sp.Matrix([[0, 1], [sp.Rational(1, 2), 0]])
    K = sp.exp(-(Cn[0, 0] + Cn[1, 1] - Cn[0, 1] - Cn[1, 0]) / e)
    p = sp.symbols("p", positive=True)
    roots = sp.solve(sp.Eq(p * (1 - a1 - b1 + p), K * (a1 - p) * (b1 - p)), p)
    feasible = [r for r in roots if 0 < float(r) < min(a1, b1)]
    p11 = float(feasible[0])

    from theorylab.estimators.transport import sns

    r = sns(np.array([[0.0, 1.0], [0.5, 0.0]]), np.array([0.3, 0.7]), np.array([0.6, 0.4]), eps=0.1, tol=1e-13)
    err = abs(float(r.plan[0, 0]) - p11)
    ok = bool(ok_ratio and len(feasible) == 1 and err < 1e-12)
    return CheckResult("transport.two_by_two", ok, f"cross ratio = K {ok_ratio}; P11 = {p11:.15f}, SNS error {err:.1e}")


@symbolic_check
def check_schur_complement_solve() -> CheckResult:
    """Eliminating the row block: (D2 - P^T D1^-1 P) dy = ry - P^T D1^-1 rx, dx = D1^-1 (rx - P dy)."""
    P = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"p{i}{j}", positive=True))
    d1 = sp.symbols("d1_0:2", positive=True)
    d2 = sp.symbols("d2_0:2", positive=True)
    rx = sp.Matrix(sp.symbols("rx0:2"))
    ry = sp.Matrix(sp.symbols("ry0:2"))
    D1, D2 = sp.diag(*d1), sp.diag(*d2)
    full = sp.BlockMatrix([[D1, P], [P.T, D2]]).as_explicit()
    sol = full.LUsolve(sp.Matrix.vstack(rx, ry))
    S = D2 - P.T * D1.inv() * P
    dy = S.LUsolve(ry - P.T * D1.inv() * rx)
    dx = D1.inv() * (rx - P * dy)
    ok = sp.simplify(sol - sp.Matrix.vstack(dx, dy)) == sp.zeros(4, 1)
    return CheckResult("transport.schur", ok, "block solve = Schur-complement solve")

"""theorylab.estimators.transport: Sinkhorn, Sinkhorn-Newton-Sparse, certificates, exact references.

Ground truths: the 2x2 closed form (a quadratic), POT (``ot.sinkhorn``, ``ot.emd2``) run in the
same test, scipy (``cdist``, ``wasserstein_distance``, ``linear_sum_assignment``), JAX autodiff of
the dual potential, and exact invariances of entropic OT.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import ot as pot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

import theorylab  # noqa: F401
from theorylab.estimators import transport as T
from theorylab.numerics import Status


def _problem(seed, n, m, scale=1.0):
    rng = np.random.default_rng(seed)
    C = scale * rng.random((n, m))
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    return C, a / a.sum(), b / b.sum()


def _marg_err(P, a, b):
    P = np.asarray(P)
    return np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum()


# ----------------------------------------------------------------------------------------- geometry
@pytest.mark.parametrize("cost,metric,kw", [("sqeuclidean", "sqeuclidean", {}), ("euclidean", "euclidean", {}),
                                            ("l1", "cityblock", {}), ("lp", "minkowski", {"p": 3.0})])
def test_cost_matrix_matches_scipy(cost, metric, kw):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    ref = cdist(x, y, metric, **kw)
    if cost == "lp":
        ref = ref**3
    np.testing.assert_allclose(T.cost_matrix(x, y, cost=cost, **kw), ref, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ closed forms, peers
def _two_by_two(a1, b1, C, eps):
    """p(1 - a1 - b1 + p) = K (a1 - p)(b1 - p), K = exp(-(C11 + C22 - C12 - C21)/eps): the feasible root."""
    K = np.exp(-(C[0, 0] + C[1, 1] - C[0, 1] - C[1, 0]) / eps)
    # (1 - K) p^2 + (1 - a1 - b1 + K (a1 + b1)) p - K a1 b1 = 0
    qa, qb, qc = 1.0 - K, 1.0 - a1 - b1 + K * (a1 + b1), -K * a1 * b1
    roots = np.roots([qa, qb, qc]) if abs(qa) > 1e-14 else np.array([-qc / qb])
    lo, hi = max(0.0, a1 + b1 - 1.0), min(a1, b1)
    p = [r.real for r in np.atleast_1d(roots) if abs(r.imag) < 1e-14 and lo < r.real < hi][0]
    return np.array([[p, a1 - p], [b1 - p, 1 - a1 - b1 + p]])


@pytest.mark.parametrize("solver", ["sinkhorn", "sns"])
@pytest.mark.parametrize("eps", [0.5, 0.1, 0.05])
def test_two_by_two_closed_form(solver, eps):
    C = np.array([[0.0, 1.0], [0.5, 0.0]])
    a, b = np.array([0.3, 0.7]), np.array([0.6, 0.4])
    fn = T.sinkhorn if solver == "sinkhorn" else T.sns
    r = fn(C, a, b, eps=eps, tol=1e-12)
    assert bool(r.converged)
    np.testing.assert_allclose(r.plan, _two_by_two(0.3, 0.6, C, eps), atol=1e-11)


@pytest.mark.parametrize("seed", [0, 1])
def test_sinkhorn_and_sns_match_pot(seed):
    C, a, b = _problem(seed, 30, 20)
    eps = 0.05
    ref = pot.sinkhorn(a, b, C, eps, method="sinkhorn_log", stopThr=1e-13, numItermax=100_000)
    for r in (T.sinkhorn(C, a, b, eps=eps, tol=1e-11), T.sns(C, a, b, eps=eps, tol=1e-11),
              T.sinkhorn(C, a, b, eps=eps, tol=1e-11, momentum="adaptive"),
              T.sns(C, a, b, eps=eps, tol=1e-11, sparsify="topk", density=0.2, shift=None)):
        assert bool(r.converged), r.message
        np.testing.assert_allclose(r.plan, ref, atol=1e-10)


def test_emd_paths_agree_with_pot():
    rng = np.random.default_rng(3)
    C = rng.random((40, 40))
    u = np.full(40, 1 / 40)
    e = T.emd(C)
    assert e.method == "assignment"
    assert e.cost == pytest.approx(pot.emd2(u, u, C), rel=1e-12)
    C2, a, b = _problem(4, 25, 15)
    e2 = T.emd(C2, a, b)
    assert e2.method == "highs"
    assert e2.cost == pytest.approx(pot.emd2(a, b, C2), rel=1e-9)
    assert _marg_err(e2.plan, a, b) < 1e-9


def test_wasserstein_1d_against_scipy_and_lp():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=12), rng.normal(1.0, 2.0, size=9)
    a, b = rng.random(12), rng.random(9)
    a, b = a / a.sum(), b / b.sum()
    assert T.wasserstein_1d(x, a, y, b, p=1) == pytest.approx(wasserstein_distance(x, y, a, b), rel=1e-12)
    C2 = (x[:, None] - y[None, :]) ** 2
    assert T.wasserstein_1d(x, a, y, b, p=2) ** 2 == pytest.approx(pot.emd2(a, b, C2), rel=1e-9)  # POT: W_2^2


@settings(max_examples=10)
@given(st.integers(0, 10_000), st.integers(2, 12), st.integers(2, 12), st.floats(0.05, 1.0))
def test_entropic_bias_bound(seed, n, m, eps):
    C, a, b = _problem(seed, n, m)
    r = T.sinkhorn(C, a, b, eps=eps, tol=1e-11, max_steps=50_000)
    assert bool(r.converged)
    exact = pot.emd2(a, b, C)
    cost = float(r.transport_cost)
    assert exact - 1e-9 <= cost <= exact + T.entropic_bias_bound(a, b, eps) + 1e-9


# ------------------------------------------------------------------------- potential, derivatives
def test_gradient_and_hessian_match_autodiff():
    C, a, b = _problem(7, 6, 5)
    eps = 0.3
    rng = np.random.default_rng(8)
    f, g = jnp.asarray(rng.normal(size=6) * 0.1), jnp.asarray(rng.normal(size=5) * 0.1)
    gf, gg = jax.grad(T.dual_value, argnums=(0, 1))(f, g, C, a, b, eps)
    ref_f, ref_g = T.dual_gradient(f, g, C, a, b, eps)
    np.testing.assert_allclose(gf, ref_f, atol=1e-13)
    np.testing.assert_allclose(gg, ref_g, atol=1e-13)
    u, v = jnp.asarray(rng.normal(size=6)), jnp.asarray(rng.normal(size=5))
    _, (hu, hv) = jax.jvp(lambda f, g: jax.grad(T.dual_value, argnums=(0, 1))(f, g, C, a, b, eps), (f, g), (u, v))
    mu, mv = T.hessian_matvec(f, g, C, eps, u, v)
    np.testing.assert_allclose(mu, hu, atol=1e-12)
    np.testing.assert_allclose(mv, hv, atol=1e-12)
    zu, zv = T.hessian_matvec(f, g, C, eps, jnp.ones(6), -jnp.ones(5))  # the gauge null vector
    assert float(jnp.max(jnp.abs(zu))) < 1e-13 and float(jnp.max(jnp.abs(zv))) < 1e-13


def test_strong_duality_at_solution():
    C, a, b = _problem(9, 15, 10)
    r = T.sns(C, a, b, eps=0.1, tol=1e-12)
    assert float(r.primal_value) == pytest.approx(float(r.dual_value), abs=1e-12)
    cert = T.certificate(r, C, a, b)
    assert cert.holds(1e-11)
    assert abs(cert.identity_residual) < 1e-14


def test_certificate_of_a_peer_plan():
    C, a, b = _problem(10, 12, 8)
    P = pot.sinkhorn(a, b, C, 0.2, method="sinkhorn_log", stopThr=1e-13, numItermax=100_000)
    cert = T.plan_certificate(P, C, a, b, 0.2)
    assert cert.marginal_error < 1e-11 and cert.kkt_residual < 1e-9
    noisy = P * (1 + 1e-3 * np.random.default_rng(0).random(P.shape))
    assert T.plan_certificate(noisy, C, a, b, 0.2).kkt_residual > 1e-5  # not a Gibbs plan


# ------------------------------------------------------------------------------- sparsification
def test_sparsified_operator_properties():
    C, a, b = _problem(11, 20, 14)
    eps = 0.05
    r = T.sinkhorn(C, a, b, eps=eps, tol=1e-3)
    lp = T.log_plan(r.f, r.g, jnp.asarray(C), eps)
    P = np.exp(np.asarray(lp))
    n, m = C.shape

    def dense(sys, shift=0.0):
        cols = [np.concatenate(T.full_matvec(sys, shift, *np.split(e, [n]))) for e in np.eye(n + m)]
        return np.array(cols).T

    full = T.sparsify(lp, rule="mass", delta=0.0, capacity=m)
    M = dense(full)
    exact = np.block([[np.diag(P.sum(1)), P], [P.T, np.diag(P.sum(0))]])
    np.testing.assert_allclose(M, exact, atol=1e-15)
    delta = 0.05 * P.sum(1).min()
    sp = T.sparsify(lp, rule="mass", delta=delta, capacity=m)
    Ms = dense(sp)
    np.testing.assert_allclose(Ms, Ms.T, atol=1e-16)
    assert np.linalg.eigvalsh(Ms).min() > -1e-14  # -H_sparse is PSD
    assert int(sp.nnz) < int(full.nnz)
    assert np.all(np.asarray(sp.dropped_rows) <= delta * (1 + 1e-5))  # budget judged in float32
    np.testing.assert_allclose(np.diag(Ms), np.diag(exact), atol=1e-15)  # diagonals exact
    cap = T.sparsify(lp, rule="mass", delta=0.0, capacity=3)
    assert int(cap.overflow) == n and int(jnp.max(jnp.sum(cap.values > 0, 1))) == 3
    top = T.sparsify(lp, rule="topk", density=0.1, capacity=m)
    assert abs(int(top.nnz) - np.ceil(0.1 * n * m)) <= 2
    kept = np.sort(P.ravel())[::-1][: int(top.nnz)]
    assert np.asarray(top.values).sum() == pytest.approx(kept.sum(), rel=1e-12)  # the largest entries


# -------------------------------------------------------------------------------- properties (B5)
_small = st.tuples(st.integers(0, 10_000), st.integers(1, 12), st.integers(1, 12), st.floats(0.05, 1.0))


@settings(max_examples=12)
@given(_small, st.sampled_from(["sinkhorn", "sns"]))
def test_marginals_and_converged_flag_are_honest(problem, solver):
    seed, n, m, eps = problem
    C, a, b = _problem(seed, n, m)
    fn = T.sinkhorn if solver == "sinkhorn" else T.sns
    r = fn(C, a, b, eps=eps, tol=1e-9)
    P = np.asarray(r.plan)
    assert np.all(P >= 0) and P.sum() == pytest.approx(1.0, abs=1e-8)
    assert bool(r.converged) and _marg_err(P, a, b) <= 1e-9
    tiny = fn(C, a, b, eps=eps / 10, tol=1e-13, **({"max_steps": 3} if solver == "sinkhorn" else {"max_newton_steps": 1, "sinkhorn_steps": 1}))
    if bool(tiny.converged):
        assert _marg_err(tiny.plan, a, b) <= 1e-13
    else:
        assert int(tiny.status) != int(Status.SUCCESS)


@settings(max_examples=10)
@given(_small)
def test_invariances(problem):
    seed, n, m, eps = problem
    C, a, b = _problem(seed, n, m)
    rng = np.random.default_rng(seed + 1)
    base = np.asarray(T.sns(C, a, b, eps=eps, tol=1e-12).plan)
    shifted = C + rng.normal(size=(n, 1)) + rng.normal(size=(1, m)) + 3.0
    np.testing.assert_allclose(T.sns(shifted, a, b, eps=eps, tol=1e-12).plan, base, atol=1e-10)
    np.testing.assert_allclose(T.sinkhorn(2.5 * C, a, b, eps=2.5 * eps, tol=1e-12).plan, base, atol=1e-10)
    pi, pj = rng.permutation(n), rng.permutation(m)
    perm = T.sns(C[pi][:, pj], a[pi], b[pj], eps=eps, tol=1e-12).plan
    np.testing.assert_allclose(perm, base[pi][:, pj], atol=1e-10)
    np.testing.assert_allclose(T.sns(C.T, b, a, eps=eps, tol=1e-12).plan, base.T, atol=1e-10)
    sep = rng.random((n, 1)) + rng.random((1, m))
    np.testing.assert_allclose(T.sns(sep, a, b, eps=eps, tol=1e-12).plan, np.outer(a, b), atol=1e-12)


@settings(max_examples=8)
@given(st.integers(0, 10_000), st.integers(2, 10), st.integers(2, 10))
def test_transport_cost_monotone_in_eps(seed, n, m):
    C, a, b = _problem(seed, n, m)
    costs = [float(T.sns(C, a, b, eps=e, tol=1e-12).transport_cost) for e in (0.05, 0.1, 0.2, 0.4, 0.8)]
    assert np.all(np.diff(costs) >= -1e-11)


def test_dual_value_never_decreases():
    C, a, b = _problem(12, 40, 30)
    eps = 0.02
    phis = [float(T.sinkhorn(C, a, b, eps=eps, max_steps=k, tol=1e-13).dual_value) for k in range(1, 8)]
    assert np.all(np.diff(phis) >= -1e-15)
    newton = [float(T.sns(C, a, b, eps=eps, sinkhorn_steps=2, max_newton_steps=k, tol=1e-13).dual_value) for k in range(1, 8)]
    assert np.all(np.diff(newton) >= -1e-15)
    grad_f, grad_g = T.dual_gradient(jnp.zeros(40), jnp.zeros(30), jnp.asarray(C), a, b, eps)
    assert float(grad_f.sum()) == pytest.approx(float(grad_g.sum()), abs=1e-14)  # gradient-sum identity


def test_vmap_and_jit_match_loop():
    problems = [_problem(s, 10, 8) for s in range(3)]
    Cs = jnp.stack([p[0] for p in problems])
    batched = jax.jit(jax.vmap(lambda C: T.sns(C, eps=0.1, tol=1e-10).plan))(Cs)
    for k, (C, _, _) in enumerate(problems):
        np.testing.assert_allclose(batched[k], T.sns(C, eps=0.1, tol=1e-10).plan, atol=1e-13)
    sk = jax.vmap(lambda C: T.sinkhorn(C, eps=0.1, tol=1e-10).converged)(Cs)
    assert bool(jnp.all(sk))


def test_float32_agrees_with_float64():
    C, a, b = _problem(13, 15, 12)
    r64 = T.sns(C, a, b, eps=0.1, tol=1e-9)
    r32 = T.sinkhorn(C.astype(np.float32), a.astype(np.float32), b.astype(np.float32), eps=np.float32(0.1), tol=1e-5)
    assert r32.plan.dtype == jnp.float32 and bool(r32.converged)
    np.testing.assert_allclose(r32.plan, r64.plan, atol=1e-4 / 12)


# ------------------------------------------------------------------------------ safety / the paper
def test_digits_l1_without_shift_reports_failure_and_shift_converges():
    inst = T.datasets.digits_pair()
    bare = T.sns(inst.cost, inst.a, inst.b, eps=1 / 1200, shift=None, max_newton_steps=50)
    assert not bool(bare.converged) and int(bare.status) == int(Status.LINE_SEARCH_FAILED)
    assert float(bare.marginal_error) > 1e-8
    safe = T.sns(inst.cost, inst.a, inst.b, eps=1 / 1200, max_newton_steps=300)
    assert bool(safe.converged) and float(safe.marginal_error) <= 1e-8
    assert float(safe.transport_cost) == pytest.approx(T.emd(inst.cost, inst.a, inst.b).cost, abs=2e-3)


def test_assignment_newton_needs_few_steps_and_matches_pot():
    inst = T.datasets.random_assignment(jax.random.key(2), 150)
    eps = 1 / 300
    r = T.sns(inst.cost, eps=eps)
    assert bool(r.converged) and int(r.newton_steps) <= 15
    ref = pot.sinkhorn(inst.a, inst.b, inst.cost, eps, method="sinkhorn_log", stopThr=1e-12, numItermax=200_000)
    assert float(r.transport_cost) == pytest.approx(float(np.sum(ref * inst.cost)), rel=1e-7)


def test_max_steps_gives_status_not_junk():
    C, a, b = _problem(14, 30, 30)
    r = T.sinkhorn(C, a, b, eps=1e-3, max_steps=5)
    assert not bool(r.converged) and int(r.status) == int(Status.MAX_STEPS)
    assert int(np.sum(~np.isnan(np.asarray(r.errors)))) == 5 and int(r.num_steps) == 5
    assert "Sinkhorn budget ran out after 5 sweeps" in r.message and "against tol 1.000e-08" in r.message
    with pytest.raises(theorylab.numerics.ConvergenceError, match="did not converge: the Sinkhorn budget"):
        r.raise_if_failed()
    with pytest.raises(theorylab.numerics.ConvergenceError, match="sinkhorn did not converge"):
        T.sinkhorn(C, a, b, eps=1e-3, max_steps=5, throw=True)
    s = T.sns(C, a, b, eps=1e-3, sinkhorn_steps=2, max_newton_steps=1, tol=1e-14)
    assert not bool(s.converged) and "Newton budget ran out after 1 steps" in s.message


# ----------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,match", [
    (dict(cost=np.ones(3)), "2-D"),
    (dict(a=np.ones(4) / 4), r"`a` must have shape \(3,\)"),
    (dict(b=np.ones(2) / 2), r"`b` must have shape \(4,\)"),
    (dict(cost=np.array([[0.0, np.nan, 1, 1]] * 3)), "NaN"),
    (dict(cost=np.array([[0.0, np.inf, 1, 1]] * 3)), "infinite"),
    (dict(a=np.array([0.5, 0.6, -0.1])), "strictly positive"),
    (dict(a=np.array([0.5, 0.5, 0.0])), "strictly positive"),
    (dict(a=np.array([0.5, 0.5, 0.5])), "equal total mass"),
    (dict(eps=0.0), "eps"),
    (dict(eps=np.nan), "eps"),
])
def test_bad_input_is_named(kwargs, match):
    args = dict(cost=np.ones((3, 4)), a=None, b=None, eps=0.1)
    args.update(kwargs)
    for fn in (T.sinkhorn, T.sns):
        with pytest.raises(ValueError, match=match):
            fn(args["cost"], args["a"], args["b"], eps=args["eps"])


def test_bad_options():
    C = np.ones((3, 3))
    with pytest.raises(ValueError, match="density"):
        T.sns(C, eps=0.1, sparsify="topk")
    with pytest.raises(ValueError, match="sparsify"):
        T.sns(C, eps=0.1, sparsify="random")
    with pytest.raises(ValueError, match="momentum"):
        T.sinkhorn(C, eps=0.1, momentum=2.5)
    with pytest.raises(ValueError, match="init"):
        T.sinkhorn(C, eps=0.1, init=(np.zeros(2), np.zeros(3)))
    with pytest.raises(ValueError, match="tol"):
        T.sinkhorn(C, eps=0.1, tol=-1.0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        T.sinkhorn(C.astype(np.float32), eps=np.float32(0.1), tol=1e-8, max_steps=3)
    assert any("float32" in str(x.message) for x in w)
    with pytest.raises(ValueError, match="strictly positive"):
        T.plan_certificate(np.zeros((3, 3)), C, eps=0.1)


def test_sns_runs_in_float32():
    """Regression: any float32 cost crashed SNS with JAX's while_loop carry-type error (a float64
    step table and marginals leaked into the float32 carry). Independent value: the float64 solve."""
    x = np.linspace(0.0, 1.0, 30)
    C = (x[:, None] - x[None, :]) ** 2
    r32 = T.sns(C.astype(np.float32), eps=np.float32(0.05), tol=1e-5)
    r64 = T.sns(C, eps=0.05, tol=1e-5)
    assert bool(r32.converged) and r32.f.dtype == np.float32 and r32.plan.dtype == np.float32
    assert float(r32.transport_cost) == pytest.approx(float(r64.transport_cost), rel=1e-5)

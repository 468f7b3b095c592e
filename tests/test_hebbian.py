"""Dense Hebbian RS theory and Monte Carlo against independent computations.

References used here: closed forms (binomial arithmetic, Curie-Weiss-type scalar roots), scipy
(brentq, minimize_scalar, quad, Gauss-Hermite product rules), the separately written AGS module, and
exact enumeration of tiny networks (brute-force P-body tensors and Boltzmann sums).
"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special

from theorylab.statmech import hebbian as H
from theorylab.statmech.ags import ags_critical_load, ags_critical_load_t0, ags_solve

M4 = H.DenseHebbian(4)
M4_ALL = H.DenseHebbian(4, "all")
M2 = H.DenseHebbian(2)
CLEAN = H.DatasetParams.from_rho(0.0)


# --------------------------------------------------------------------------- model and data


@pytest.mark.parametrize("P", [2, 4, 6, 8])
def test_noise_factor_matches_hermite_identity(P):
    # sum_k k c_k^2 k! = P^2 (2P-3)!!  (all indices);  P! P / P^2 = (P-1)!  (distinct)
    all_ = H.DenseHebbian(P, "all")
    if P > 2:
        assert all_.noise_covariance_prime(1.0) == pytest.approx(P * P * H.double_factorial(2 * P - 3), rel=1e-12)
    assert H.DenseHebbian(P).noise_covariance_prime(1.0) / P**2 == pytest.approx(math.factorial(P - 1))


def test_hermite_coefficients_reconstruct_the_power():
    x = np.linspace(-3, 3, 7)
    for P in range(2, 9):
        c = H.hermite_coefficients_of_power(P)
        herm = sum(c[k] * special.eval_hermitenorm(k, x) for k in range(P + 1))
        np.testing.assert_allclose(herm, x**P, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("r, M", [(0.5, 3), (0.3, 10), (0.9, 1), (1.0, 4)])
def test_exact_site_law_moments(r, M):
    data = H.DatasetParams(r, M, "exact")
    law = data.site_law()
    R = data.second_moment
    chi = np.asarray(law.atoms) * np.sqrt(R)
    w = np.asarray(law.weights)
    assert w.sum() == pytest.approx(1.0)
    assert w @ chi == pytest.approx(r, abs=1e-12)
    assert w @ chi**2 - r**2 == pytest.approx((1 - r * r) / M, abs=1e-12)
    assert w @ np.asarray(law.atoms) ** 2 == pytest.approx(1.0, abs=1e-12)
    assert data.rho == pytest.approx((1 - r * r) / (M * r * r))


def test_sampled_class_means_follow_the_exact_law():
    data = H.DatasetParams(0.4, 5, "exact")
    ds = H.sample_dataset(jax.random.PRNGKey(0), 4000, 25, data)
    chi_bar = np.asarray(ds.patterns * ds.archetypes) * np.sqrt(data.second_moment)
    n = chi_bar.size
    assert abs(chi_bar.mean() - 0.4) < 4 * np.sqrt((1 - 0.16) / 5 / n)
    assert chi_bar.var() == pytest.approx((1 - 0.16) / 5, rel=0.02)
    # the explicit examples have the same class-mean law
    ex = H.sample_examples(jax.random.PRNGKey(1), ds.archetypes[:5], 0.4, 5)
    means = np.asarray(ex.mean(axis=1) * ds.archetypes[:5])
    assert means.var() == pytest.approx((1 - 0.16) / 5, rel=0.05)


# --------------------------------------------------------------------------- RS equations


def test_p2_dispatch_equals_the_ags_module():
    for alpha, beta in [(0.05, 5.0), (0.1, 10.0), (0.02, 1.5)]:
        s = H.rs_solve(M2, CLEAN, alpha, beta)
        g = ags_solve(alpha, beta)
        assert bool(s.converged) and bool(g.converged)
        assert float(s.m) == pytest.approx(float(g.m), abs=1e-10)
        assert float(s.q) == pytest.approx(float(g.q), abs=1e-10)


@pytest.mark.parametrize("beta", [13.0, 20.0, 40.0])
def test_low_load_clean_data_is_a_scalar_equation(beta):
    b = beta / 24
    root = optimize.brentq(lambda n: n - np.tanh(4 * b * n**3), 0.8, 1.0, xtol=1e-15)
    s = H.rs_solve(M4, CLEAN, 0.0, beta)
    assert float(s.n) == pytest.approx(root, abs=1e-12)
    assert float(s.m) == pytest.approx(root, abs=1e-12)


def test_exact_law_zero_temperature_binomial_arithmetic():
    # r = 0.5, M = 3: chi_bar in {1, 1/3, -1/3, -1} with P = 27/64, 27/64, 9/64, 1/64
    data = H.DatasetParams(0.5, 3, "exact")
    m_exact = (27 + 27 - 9 - 1) / 64
    n_exact = (27 * 1 + 27 / 3 + 9 / 3 + 1) / 64 / np.sqrt(data.second_moment)
    s = H.rs_solve(M4, data, 0.0, 1e6)
    t0 = H.t0_solve(M4, data, 0.0)
    for state in (s, t0):
        assert float(state.m) == pytest.approx(m_exact, abs=1e-10)
        assert float(state.n) == pytest.approx(n_exact, abs=1e-10)


def _brute_force_map(n, q, alpha, beta, rho, P=4, nodes=120):
    """Reference: product Gauss-Hermite over (lambda, z) with y = (1 + sqrt(rho) lambda)/sqrt(1+rho)."""
    x, w = special.roots_hermitenorm(nodes)
    w = w / w.sum()
    y = (1 + np.sqrt(rho) * x) / np.sqrt(1 + rho)
    b = beta / math.factorial(P)
    s = b * np.sqrt(alpha * math.factorial(P) * P * q ** (P - 1))
    h = b * P * n ** (P - 1) * y[:, None] + s * x[None, :]
    W = w[:, None] * w[None, :]
    t = np.tanh(h)
    return (W * y[:, None] * t).sum(), (W * t * t).sum(), (W * t).sum(), (W * np.logaddexp(h, -h)).sum()


@pytest.mark.parametrize("n, q, alpha, beta, rho", [(0.9, 0.8, 0.02, 10.0, 0.3), (0.7, 0.95, 0.01, 6.0, 1.0), (0.95, 0.5, 0.03, 4.0, 0.0)])
def test_clt_averages_match_a_two_dimensional_product_rule(n, q, alpha, beta, rho):
    law = H.site_law_clt(rho)
    b = beta / 24
    a = b * 4 * n**3
    s = b * np.sqrt(alpha * 24 * 4 * q**3)
    got = [float(v) for v in H.site_averages(a, s, law)]
    ref = _brute_force_map(n, q, alpha, beta, rho)
    np.testing.assert_allclose(got, ref, atol=1e-10)


def test_free_entropy_is_stationary_at_solutions():
    for model, data, alpha, beta in [(M4, H.DatasetParams.from_rho(0.2), 0.01, 30.0), (M4_ALL, H.DatasetParams(0.6, 4, "exact"), 0.002, 60.0), (M2, H.DatasetParams.from_rho(0.1), 0.03, 8.0)]:
        s = H.rs_solve(model, data, alpha, beta)
        assert bool(s.converged)
        x = jnp.stack([s.n, s.q] + ([jnp.log((s.noise_std / model.reduced_beta(beta)) ** 2 / alpha)] if model.P == 2 else []))
        g = jax.grad(lambda u: H.rs_free_entropy(u, alpha, beta, model, data.site_law()))(x)
        assert float(jnp.max(jnp.abs(g))) < 1e-8


def test_t0_closed_forms_match_scipy_quadrature():
    rho, alpha = 0.5, 0.01
    law = H.site_law_clt(rho)
    mu, sd = 1 / np.sqrt(1 + rho), np.sqrt(rho / (1 + rho))
    u = 2.3
    pdf = lambda lam: np.exp(-lam * lam / 2) / np.sqrt(2 * np.pi)
    e_yerf = integrate.quad(lambda v: (mu + sd * v) * special.erf(u * (mu + sd * v)) * pdf(v), -12, 12, points=[-mu / sd])[0]
    e_erf = integrate.quad(lambda v: special.erf(u * (mu + sd * v)) * pdf(v), -12, 12, points=[-mu / sd])[0]
    got = H.t0_averages(jnp.asarray(u), law)
    assert float(got[0]) == pytest.approx(e_yerf, abs=1e-12)
    assert float(got[1]) == pytest.approx(e_erf, abs=1e-12)
    # finite temperature approaches the closed form
    t0 = H.t0_solve(M4, H.DatasetParams.from_rho(rho), alpha)
    cold = H.rs_solve(M4, H.DatasetParams.from_rho(rho), alpha, 2e4)
    assert float(cold.m) == pytest.approx(float(t0.m), abs=2e-3)


@pytest.mark.parametrize("P", [4, 6, 8])
def test_capacity_constant_matches_scipy(P):
    res = optimize.minimize_scalar(lambda u: -special.erf(u) ** (2 * (P - 1)) / (2 * u * u), bounds=(0.5, 3.0), method="bounded", options={"xatol": 1e-12})
    a_c, u, status = H.capacity_constant(P)
    assert int(status) == 0
    assert float(a_c) == pytest.approx(-res.fun, rel=1e-10)
    crit = H.critical_load_t0(H.DenseHebbian(P), CLEAN)
    assert float(crit.alpha_c) == pytest.approx(-res.fun / math.factorial(P - 1), rel=1e-9)


def test_p2_zero_temperature_fold_equals_ags():
    crit = H.critical_load_t0(M2, CLEAN)
    assert float(crit.alpha_c) == pytest.approx(float(ags_critical_load_t0().alpha_c), abs=1e-10)
    assert float(crit.alpha_c) == pytest.approx(0.137905566, abs=1e-9)  # sympy nsolve (proofs_checks/ags.py)


def test_finite_temperature_line_for_p2_equals_the_ags_module():
    T = np.array([0.1, 0.3, 0.6])
    line = H.critical_load(M2, CLEAN, 1 / T)
    ref = ags_critical_load(T)
    assert np.all(np.asarray(line.converged))
    np.testing.assert_allclose(np.asarray(line.alpha_c), np.asarray(ref.alpha_c), atol=1e-9)


def test_noisy_p2_line_starts_from_the_rho_continuation():
    # a cold T = 0 start fails for P = 2 at rho = 0.5; the line must still be found, and approach the T = 0 fold
    data = H.DatasetParams.from_rho(0.5)
    t0 = H.critical_load_t0_vs_rho(M2, [0.5])
    line = H.critical_load(M2, data, 1 / np.array([0.02, 0.2]))
    assert np.all(np.asarray(line.converged))
    assert float(line.alpha_c[0]) == pytest.approx(float(t0.alpha_c[0]), rel=0.05)
    assert float(line.alpha_c[1]) < float(line.alpha_c[0])


def test_fold_is_a_fold():
    beta = 1 / (0.3 * 2 / 24)
    line = H.critical_load(M4, CLEAN, [beta])
    a_c = float(line.alpha_c[0])
    x = jnp.stack([line.n[0], line.q[0]])
    law = CLEAN.site_law()
    F = H.rs_residual(x, a_c, beta, M4, law)
    J = jax.jacfwd(lambda u: H.rs_residual(u, a_c, beta, M4, law))(x)
    assert float(jnp.max(jnp.abs(F))) < 1e-10
    assert abs(float(jnp.linalg.det(J))) < 1e-8
    # retrieval exists just below and not just above (slow plain iteration decides existence)
    below = H.rs_solve(M4, CLEAN, a_c * (1 - 1e-4), beta, warmup=3000)
    above = H.rs_solve(M4, CLEAN, a_c * (1 + 1e-4), beta, warmup=3000)
    assert bool(below.converged) and float(below.n) > 0.5 and bool(below.stable)
    assert not (bool(above.converged) and float(above.n) > 0.5 and bool(above.stable))


def test_low_load_spinodal_and_transition_from_scalar_equations():
    # n = tanh(u), u = 4 b n^3  =>  b = u / (4 tanh^3 u);  beta' = 2b;  spinodal: min over u
    res = optimize.minimize_scalar(lambda u: u / (2 * np.tanh(u) ** 3), bounds=(0.5, 5), method="bounded", options={"xatol": 1e-12})
    sp = H.spinodal_low_load(M4, CLEAN)
    assert float(sp.reduced_beta) == pytest.approx(res.fun, rel=1e-9)

    def gap(bp):
        b, n = bp / 2, 1.0
        for _ in range(5000):  # plain iteration from n = 1 converges to the largest (retrieval) root
            n = np.tanh(4 * b * n**3)
        return np.log(np.cosh(4 * b * n**3)) - 3 * b * n**4

    ref = optimize.brentq(gap, 1.1, 3.0, xtol=1e-14)
    tr = H.retrieval_transition_low_load(M4, CLEAN)
    assert float(tr.reduced_beta) == pytest.approx(ref, rel=1e-9)


def test_alpha_c_decreases_with_rho_and_p2_faster():
    rhos = [0.0, 0.1, 0.5, 1.0]
    a4 = np.asarray(H.critical_load_t0_vs_rho(M4, rhos).alpha_c)
    a2 = np.asarray(H.critical_load_t0_vs_rho(M2, rhos).alpha_c)
    assert np.all(np.diff(a4) < 0) and np.all(np.diff(a2) < 0)
    assert a4[0] / a4[-1] < 5 < 50 < a2[0] / a2[-1]


def test_phase_diagram_boundary_follows_the_fold_line():
    alphas = np.linspace(0.0, 0.05, 26)
    Tp = np.array([0.1, 0.4, 0.7])
    betas = 1 / (Tp * 2 / 24)
    pd = H.phase_diagram(M4, CLEAN, alphas, betas)
    line = H.critical_load(M4, CLEAN, betas)
    step = alphas[1] - alphas[0]
    for j in range(len(betas)):
        exists = pd.labels[:, j] >= H.RETRIEVAL_METASTABLE
        edge = alphas[exists].max()
        assert float(line.alpha_c[j]) - step <= edge <= float(line.alpha_c[j])
    # at zero load and low temperature retrieval is the global phase; far above the line it is not
    assert pd.labels[0, 0] == H.RETRIEVAL
    assert pd.labels[-1, -1] in (H.PARAMAGNET, H.SPIN_GLASS)


# --------------------------------------------------------------------------- properties


@settings(max_examples=15)
@given(alpha=st.floats(0.0, 0.03), tp=st.floats(0.05, 0.9), rho=st.floats(0.0, 1.0))
def test_rs_solution_bounds_symmetry_and_residual(alpha, tp, rho):
    beta = 1 / (tp * 2 / 24)
    data = H.DatasetParams.from_rho(rho)
    s = H.rs_solve(M4, data, alpha, beta)
    if not bool(s.converged):
        return
    law = data.site_law()
    x = jnp.stack([s.n, s.q])
    assert float(jnp.max(jnp.abs(H.rs_residual(x, alpha, beta, M4, law)))) < 1e-9
    n, m, q = float(s.n), float(s.m), float(s.q)
    assert abs(m) <= 1 + 1e-12 and -1e-12 <= q <= 1 + 1e-12
    assert m * m <= q + 1e-10 and n * n <= q + 1e-10
    flipped = H.rs_solve(M4, data, alpha, beta, init=(-n, min(q, 1.0)), warmup=0)
    assert float(flipped.n) == pytest.approx(-n, abs=1e-9)
    assert float(flipped.m) == pytest.approx(-m, abs=1e-9)


def test_m_increases_with_beta_along_the_retrieval_branch_for_clean_data():
    betas = jnp.asarray(np.linspace(1 / (0.7 * 2 / 24), 1 / (0.05 * 2 / 24), 25))
    solve = lambda rho: jax.vmap(lambda b: H.rs_solve(M4, H.DatasetParams.from_rho(rho), 0.005, b))(betas)
    clean = solve(0.0)
    assert np.all(np.asarray(clean.converged))
    assert np.all(np.diff(np.asarray(clean.m)) >= -1e-12)
    # with noisy examples the cold network follows the noisy class mean: m is not monotone in beta
    noisy = solve(0.3)
    t0 = H.t0_solve(M4, H.DatasetParams.from_rho(0.3), 0.005)
    assert float(jnp.max(noisy.m)) > float(t0.m) + 1e-6


@settings(max_examples=10)
@given(M=st.integers(1, 8).map(lambda k: 50 * k))
def test_exact_and_clt_laws_agree_for_large_m(M):
    rho = 0.4
    r = 1 / np.sqrt(1 + rho * M)  # (1 - r^2) / (M r^2) = rho
    beta = 1 / (0.4 * 2 / 24)
    exact = H.rs_solve(M4, H.DatasetParams(r, M, "exact"), 0.01, beta)
    clt = H.rs_solve(M4, H.DatasetParams.from_rho(rho), 0.01, beta)
    assert abs(float(exact.m) - float(clt.m)) < 2.0 / np.sqrt(M)


# --------------------------------------------------------------------------- Monte Carlo


def _tensor_energy(sigma, patterns, P, kappa, convention):
    K, N = patterns.shape
    total = 0.0
    for idx in itertools.product(range(N), repeat=P):
        if convention == "distinct" and len(set(idx)) < P:
            continue
        J = sum(np.prod([patterns[mu, i] for i in idx]) for mu in range(K))
        total += J * np.prod([sigma[i] for i in idx])
    return -kappa * N ** (1 - P) * total


@pytest.mark.parametrize("convention", ["distinct", "all"])
def test_power_sum_energy_equals_brute_force_tensor(convention):
    rng = np.random.default_rng(0)
    N, K = 6, 3
    patterns = rng.normal(size=(K, N))
    sigma = rng.choice([-1.0, 1.0], size=N)
    model = H.DenseHebbian(4, convention)
    ref = _tensor_energy(sigma, patterns, 4, model.scale, convention)
    assert float(H.energy(sigma, patterns, model)) == pytest.approx(ref, rel=1e-10)
    costs = np.asarray(H.flip_costs(sigma, patterns, model))
    for i in range(N):
        s2 = sigma.copy()
        s2[i] *= -1
        assert costs[i] == pytest.approx(_tensor_energy(s2, patterns, 4, model.scale, convention) - ref, rel=1e-9, abs=1e-12)


def test_glauber_samples_the_boltzmann_distribution():
    N, K, beta = 6, 2, 40.0
    rng = np.random.default_rng(1)
    patterns = jnp.asarray(rng.choice([-1.0, 1.0], size=(K, N)))
    model = H.DenseHebbian(4, "distinct")
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=N)))
    E = np.array([float(H.energy(s, patterns, model)) for s in states])
    w = np.exp(-beta * (E - E.min()))
    mean_E = (w * E).sum() / w.sum()
    chains = 256
    run = jax.vmap(lambda k: H.glauber(k, jnp.ones(N), patterns, beta, 400, model).energy[100:].mean())
    samples = np.asarray(run(jax.random.split(jax.random.PRNGKey(0), chains)))
    assert abs(samples.mean() - mean_E) < 5 * samples.std(ddof=1) / np.sqrt(chains) + 1e-12


def test_energy_invariant_to_pattern_order_and_global_flip():
    rng = np.random.default_rng(2)
    patterns = rng.normal(size=(5, 12))
    sigma = rng.choice([-1.0, 1.0], size=12)
    for model in (M4, M4_ALL):
        e = float(H.energy(sigma, patterns, model))
        assert float(H.energy(sigma, patterns[::-1], model)) == pytest.approx(e, rel=1e-12)
        assert float(H.energy(-sigma, patterns, model)) == pytest.approx(e, rel=1e-12)


def test_zero_temperature_dynamics_aligns_with_the_class_mean_at_low_load():
    data = H.DatasetParams(0.5, 3, "exact")
    ds = H.sample_dataset(jax.random.PRNGKey(4), 300, 1, data)
    tr = H.glauber(jax.random.PRNGKey(5), ds.archetypes[0], ds.patterns, jnp.inf, 5, M4_ALL, reference=ds.archetypes[0])
    y = np.asarray(ds.patterns[0] * ds.archetypes[0])
    assert float(tr.m[-1]) == pytest.approx(np.mean(np.sign(y)), abs=1e-12)


def test_mc_matches_same_sample_mean_field_at_low_load():
    data = H.DatasetParams(0.3, 10, "exact")
    beta = 40.0

    def one(k):
        kd, kc = jax.random.split(k)
        ds = H.sample_dataset(kd, 400, 1, data)
        tr = H.glauber(kc, ds.archetypes[0], ds.patterns, beta, 200, M4_ALL, reference=ds.archetypes[0])
        mf = H.mean_field_sample(ds.patterns[0] * ds.archetypes[0], beta, M4_ALL)
        return tr.m[50:].mean() - mf.m

    d = np.asarray(jax.vmap(one)(jax.random.split(jax.random.PRNGKey(6), 4)))
    assert abs(d.mean()) < 3e-3


# --------------------------------------------------------------------------- bad input


def test_bad_input_is_refused_with_clear_errors():
    with pytest.raises(ValueError, match="even"):
        H.DenseHebbian(3)
    with pytest.raises(ValueError, match="convention"):
        H.DenseHebbian(4, "pairs")
    with pytest.raises(ValueError, match="`r`"):
        H.DatasetParams(1.5, 3, "exact")
    with pytest.raises(ValueError, match="`r`"):
        H.DatasetParams(0.0, 3, "exact")
    with pytest.raises(ValueError, match="`M`"):
        H.DatasetParams(0.5, 0.5, "clt")
    with pytest.raises(ValueError, match="`M`"):
        H.DatasetParams(0.5, 2.5, "exact")
    with pytest.raises(ValueError, match="law"):
        H.DatasetParams(0.5, 3, "poisson")
    with pytest.raises(ValueError, match="rho"):
        H.DatasetParams.from_rho(-0.1)
    with pytest.raises(ValueError, match="alpha"):
        H.rs_solve(M4, CLEAN, -0.01, 10.0)
    with pytest.raises(ValueError, match="beta"):
        H.rs_solve(M4, CLEAN, 0.01, 0.0)
    with pytest.raises(ValueError, match="finite"):
        H.rs_solve(M4, CLEAN, np.nan, 10.0)
    with pytest.raises(ValueError, match="init"):
        H.rs_solve(M4, CLEAN, 0.01, 10.0, init=(1.0, 1.0, 0.0))
    with pytest.raises(ValueError, match="order"):
        H.rs_solve(M4, CLEAN, 0.01, 10.0, order=1)
    with pytest.raises(ValueError, match="P` = 2"):
        H.spinodal_low_load(M2, CLEAN)
    with pytest.raises(ValueError, match="N >= P"):
        H.energy(np.ones(3), np.ones((2, 3)), M4)
    with pytest.raises(ValueError, match="dimension"):
        H.energy(np.ones(6), np.ones(6), M4)
    with pytest.raises(ValueError, match="sigma"):
        H.energy(np.array([1, 0, 1, 1, 1, 1.0]), np.ones((2, 6)), M4)
    with pytest.raises(ValueError, match="sigma0"):
        H.glauber(jax.random.PRNGKey(0), np.ones(5), np.ones((2, 6)), 1.0, 3, M4)
    with pytest.raises(ValueError, match="beta"):
        H.glauber(jax.random.PRNGKey(0), np.ones(6), np.ones((2, 6)), -1.0, 3, M4)
    with pytest.raises(TypeError, match="DenseHebbian"):
        H.rs_solve("P4", CLEAN, 0.01, 10.0)


def test_solver_reports_failure_instead_of_junk():
    # far above the line: the retrieval start must not come back as a converged retrieval state
    s = H.rs_solve(M4, CLEAN, 0.2, 1 / (0.3 * 2 / 24), warmup=0, max_steps=3)
    assert not (bool(s.converged) and float(s.n) > 0.5)

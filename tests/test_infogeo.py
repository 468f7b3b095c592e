"""Exponential families, MLE, KL and the risk expansion against independent truth."""

from math import factorial

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpyro.distributions.kl import kl_divergence as numpyro_kl
from scipy import integrate, special, stats

from theorylab.infogeo import (
    TruthCumulants,
    bayes_error_threshold,
    bernoulli,
    cumulant,
    exact_risk_exponential_gamma,
    exact_risk_mvn,
    exact_risk_normal,
    exponential,
    fisher_information,
    from_quadrature,
    gamma,
    kl_divergence,
    mean_statistic,
    mle,
    mvn,
    n_required,
    normal,
    pn_criterion,
    pn_select,
    poisson,
    polynomial_on_interval,
    reparametrize,
    risk_coefficients,
    risk_expansion,
    risk_monte_carlo,
    tic_penalty,
    truth_from_model,
    truth_from_raw_moments,
    truth_from_samples,
)
from theorylab.numerics import ConvergenceError, Status

LAPLACE = [0.0 if j % 2 else float(factorial(j)) for j in range(7)]


def normal_theta(mu, sigma):
    return jnp.array([mu / sigma**2, -0.5 / sigma**2])


def test_normal_cumulants_match_closed_form():
    mu, sigma = 0.7, 1.3
    th = normal_theta(mu, sigma)
    np.testing.assert_allclose(np.asarray(mean_statistic(normal(), th)), [mu, mu**2 + sigma**2], rtol=1e-13)
    # Cov(x, x^2) for a normal: [[s^2, 2 mu s^2], [2 mu s^2, 2 s^4 + 4 mu^2 s^2]]
    s2 = sigma**2
    np.testing.assert_allclose(np.asarray(fisher_information(normal(), th)),
                               [[s2, 2 * mu * s2], [2 * mu * s2, 2 * s2**2 + 4 * mu**2 * s2]], rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_poisson_cumulants_all_equal_lambda(order):
    lam = 2.7
    k = cumulant(poisson(), jnp.array([np.log(lam)]), order)
    assert float(k.reshape(-1)[0]) == pytest.approx(lam, rel=1e-12)


def test_gamma_mean_of_log_x():
    k, b = 2.5, 1.7
    th = jnp.array([k - 1, -b])
    got = np.asarray(mean_statistic(gamma(), th))
    np.testing.assert_allclose(got, [special.digamma(k) - np.log(b), k / b], rtol=1e-12)


def test_polynomial_family_log_partition_matches_scipy_quad():
    fam = polynomial_on_interval(3, -1.0, 2.0)
    th = jnp.array([0.3, -1.2, 0.4])
    ref = np.log(integrate.quad(lambda x: np.exp(0.3 * x - 1.2 * x**2 + 0.4 * x**3), -1, 2, epsabs=1e-14, epsrel=1e-14)[0])
    assert float(fam.log_partition(th)) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize(
    "fam,theta_p,theta_q,p,q",
    [
        (normal(), normal_theta(0.2, 1.1), normal_theta(-0.5, 0.7), dist.Normal(0.2, 1.1), dist.Normal(-0.5, 0.7)),
        (gamma(), jnp.array([1.5, -2.0]), jnp.array([0.3, -0.8]), dist.Gamma(2.5, 2.0), dist.Gamma(1.3, 0.8)),
    ],
)
def test_bregman_kl_matches_numpyro(fam, theta_p, theta_q, p, q):
    assert float(kl_divergence(fam, theta_p, theta_q)) == pytest.approx(float(numpyro_kl(p, q)), rel=1e-12)


@given(st.floats(-2, 2), st.floats(0.3, 3), st.floats(-2, 2), st.floats(0.3, 3))
def test_kl_nonnegative_and_zero_only_at_equality(m1, s1, m2, s2):
    a, b = normal_theta(m1, s1), normal_theta(m2, s2)
    val = float(kl_divergence(normal(), a, b))
    assert val >= -1e-12
    assert float(kl_divergence(normal(), a, a)) == pytest.approx(0.0, abs=1e-12)
    if abs(m1 - m2) > 1e-3 or abs(s1 - s2) > 1e-3:
        assert val > 0


def test_kl_outside_domain_is_infinite():
    assert float(kl_divergence(normal(), normal_theta(0, 1), jnp.array([0.0, 0.5]))) == np.inf


def test_mle_matches_closed_forms_and_scipy():
    x = np.random.default_rng(0).normal(1.5, 2.0, size=500)
    sol = mle(normal(), normal().stats(x).mean(axis=0))
    assert bool(sol.converged)
    np.testing.assert_allclose(np.asarray(sol.value), normal_theta(x.mean(), x.std()), rtol=1e-10)
    y = np.random.default_rng(1).gamma(3.0, 0.5, size=400)
    sol = mle(gamma(), gamma().stats(y).mean(axis=0))
    a, _, scale = stats.gamma.fit(y, floc=0, method="MLE")
    np.testing.assert_allclose(np.asarray(sol.value), [a - 1, -1 / scale], rtol=1e-6)  # scipy's optimizer tolerance
    z = np.random.default_rng(2).multivariate_normal([1.0, -1.0], [[2.0, 0.5], [0.5, 1.0]], size=300)
    sol = mle(mvn(2), mvn(2).stats(z).mean(axis=0))
    prec = np.linalg.inv(np.cov(z.T, bias=True))
    expected = np.concatenate([prec @ z.mean(0), [prec[0, 0], prec[0, 1], prec[1, 1]]])
    np.testing.assert_allclose(np.asarray(sol.value), expected, rtol=1e-9)


@pytest.mark.parametrize(
    "fam,tbar,name",
    [(poisson(), [0.0], "all-zero Poisson"), (bernoulli(), [1.0], "all-one Bernoulli"), (normal(), [1.0, 1.0], "constant normal data")],
)
def test_mle_that_does_not_exist_is_reported(fam, tbar, name):
    sol = mle(fam, jnp.asarray(tbar))
    assert int(sol.status) != Status.SUCCESS, name
    with pytest.raises(ConvergenceError):
        sol.raise_if_failed(name)


def test_mle_vmaps():
    tbars = jnp.array([[0.0, 1.0], [1.0, 2.0], [-0.5, 0.5]])
    sols = jax.vmap(lambda t: mle(normal(), t))(tbars)
    assert np.all(np.asarray(sols.converged))
    var = tbars[:, 1] - tbars[:, 0] ** 2
    np.testing.assert_allclose(np.asarray(sols.value[:, 1]), -0.5 / var, rtol=1e-12)


def test_truth_from_samples_matches_numpy_and_scipy():
    x = np.random.default_rng(3).exponential(size=1000)
    tr = truth_from_samples(normal(), x)
    t = np.stack([x, x**2], 1)
    np.testing.assert_allclose(np.asarray(tr.cov), np.cov(t.T, bias=True), rtol=1e-12)
    assert float(tr.k3[0, 0, 0]) == pytest.approx(stats.moment(x, 3), rel=1e-12)
    assert float(tr.k3[1, 1, 1]) == pytest.approx(stats.moment(x**2, 3), rel=1e-12)


def test_exponential_gamma_coefficients_closed_form():
    for k in (0.5, 2.0, 7.0):
        raw = [float(special.gamma(k + j) / special.gamma(k)) for j in range(4)]
        co = risk_coefficients(exponential(), truth_from_raw_moments(raw, [1]))
        assert float(co.C1) == pytest.approx(1 / (2 * k), abs=1e-12)
        assert float(co.C2) == pytest.approx(11 / (12 * k * k), abs=1e-11)


def test_full_and_matrix_free_agree():
    tr = truth_from_raw_moments(LAPLACE, [1, 2])
    full = risk_coefficients(normal(), tr, mode="full")
    free = risk_coefficients(normal(), tr, mode="matrix_free")
    for a, b in zip(full[:6], free[:6]):
        assert float(a) == pytest.approx(float(b), rel=1e-11, abs=1e-12)
    # residual-based third-order term (matrix-free without the k3 tensor)
    x = np.random.default_rng(4).laplace(size=3000)
    tr_s = truth_from_samples(normal(), x)
    a = risk_coefficients(normal(), tr_s, mode="full")
    b = risk_coefficients(normal(), tr_s._replace(k3=None), mode="matrix_free")
    assert float(a.C2) == pytest.approx(float(b.C2), rel=1e-10)


@given(st.floats(-1.5, 1.5), st.floats(0.5, 2.0), st.floats(0.2, 3.0))
def test_correct_specification_gives_half_p(mu, sigma, shape):
    for fam, th in ((normal(), normal_theta(mu, sigma)), (gamma(), jnp.array([shape - 1.0, -1.0 / sigma]))):
        co = risk_coefficients(fam, truth_from_model(fam, th))
        assert float(co.C1) == pytest.approx(fam.dim / 2, abs=1e-10)


@given(st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4), st.floats(-2, 2), st.floats(-2, 2))
def test_affine_reparametrisation_invariance(entries, b1, b2):
    A = jnp.eye(2) * 1.5 + 0.5 * jnp.asarray(entries).reshape(2, 2)
    if abs(float(jnp.linalg.det(A))) < 0.2:
        return
    b = jnp.array([b1, b2])
    tr = truth_from_raw_moments(LAPLACE, [1, 2])
    base = risk_coefficients(normal(), tr)
    moved = risk_coefficients(reparametrize(normal(), A, b),
                              TruthCumulants(A @ tr.mean + b, A @ tr.cov @ A.T, jnp.einsum("abc,ia,jb,kc->ijk", tr.k3, A, A, A)))
    assert float(moved.C1) == pytest.approx(float(base.C1), abs=1e-10)
    assert float(moved.C2) == pytest.approx(float(base.C2), abs=1e-8)


def test_exact_risks_match_reference_values_and_decrease():
    """The closed forms (N6) and (N8) of docs/theory/pn_criterion.md, evaluated here in mpmath at 30
    digits (independent of JAX), and the prototype's recorded values (P1, P2 there) to their digits."""
    import mpmath as mp

    mp.mp.dps = 30
    ns = [5, 10, 40]
    gamma_ref = [float(mp.digamma(2 * n) - mp.log(2 * n) + 1 / mp.mpf(2 * n - 1)) for n in ns]  # (N6), k = 2
    normal_ref = [float((mp.digamma(mp.mpf(n - 1) / 2) - mp.log(mp.mpf(n) / 2)) / 2 + mp.mpf(2) / (n - 3))
                  for n in ns]  # (N8)
    np.testing.assert_allclose(gamma_ref, [0.0602786071838, 0.0274232976355, 0.00639520721820], atol=1e-12)  # P1
    np.testing.assert_allclose(normal_ref, [0.753246801612, 0.175430792677, 0.0284650889899], atol=1e-11)  # P2
    np.testing.assert_allclose(np.asarray(exact_risk_exponential_gamma(jnp.array([5.0, 10.0, 40.0]), 2.0)),
                               gamma_ref, rtol=0, atol=1e-14)  # psi(nk) - log(nk) cancels: absolute, not relative
    np.testing.assert_allclose(np.asarray(exact_risk_normal(jnp.array([5.0, 10.0, 40.0]))), normal_ref, rtol=0, atol=1e-14)
    ns = jnp.arange(6.0, 200.0)
    assert np.all(np.diff(np.asarray(exact_risk_normal(ns))) < 0)
    assert np.all(np.diff(np.asarray(exact_risk_mvn(ns, 3))) < 0)


def test_monte_carlo_matches_exact_risk():
    fam = normal()
    tr = truth_from_model(fam, normal_theta(0.0, 1.0))
    sampler = lambda key, shape: dist.Normal(0.0, 1.0).sample(key, shape)
    mc = risk_monte_carlo(jax.random.key(1), fam, sampler, 10, 20000, truth=tr)
    exact = float(exact_risk_normal(10))
    assert mc.num_failed == 0
    assert abs(mc.value - exact) < 4 * mc.standard_error  # Monte Carlo tolerance: 4 standard errors


def test_monte_carlo_reports_nonexistent_mle():
    sampler = lambda key, shape: dist.Poisson(0.05).sample(key, shape).astype(float)
    mc = risk_monte_carlo(jax.random.key(0), poisson(), sampler, 5, 2000, theta_star=jnp.array([np.log(0.05)]))
    assert mc.num_failed > 0 and mc.value == np.inf and np.isfinite(mc.value_given_exists)


def test_thresholds_and_n_required():
    assert bayes_error_threshold(0.05) == pytest.approx(0.02)
    assert bayes_error_threshold(0.05, "bretagnolle_huber") == pytest.approx(-np.log(1 - 0.01))
    tr = truth_from_raw_moments(LAPLACE, [1, 2])
    co = risk_coefficients(normal(), tr)
    r = 0.02
    n1, n2 = n_required(co, r, order=1), n_required(co, r)
    c1, c2 = 7 / 4, 197 / 24  # Laplace truth under the normal model, (N7) of docs/theory/pn_criterion.md
    assert n1 == pytest.approx(c1 / r)  # (N11), first order: 87.5 (P7)
    assert n2 == pytest.approx((c1 + np.sqrt(c1**2 + 4 * r * c2)) / (2 * r), rel=1e-10)  # (N11): 91.96 (P7)
    assert float(risk_expansion(co, n2)) == pytest.approx(r, rel=1e-12)


def test_n_required_takes_plain_coefficients():
    """A (C1, C2) pair works like RiskCoefficients (it raised AttributeError before). Independent
    value: the positive root of r n^2 - C1 n - C2 = 0, by numpy's polynomial roots."""
    c1, c2, r = 1.75, 2.3, 0.02
    expected = max(np.roots([r, -c1, -c2]).real)
    assert n_required((c1, c2), r) == pytest.approx(expected, rel=1e-12)
    assert n_required((c1, c2), r, order=1) == pytest.approx(c1 / r, rel=1e-15)
    with pytest.raises(TypeError, match="`coefficients`"):
        n_required(1.75, r)
    with pytest.raises(ValueError, match="C1"):
        n_required((-1.0, 0.0), r)


def test_pn_criterion_and_selection():
    x = np.random.default_rng(5).normal(size=400)
    res = pn_criterion(normal(), x, eps=0.05)
    assert res.accept and res.regime_ok and res.p == 2 and res.n == 400
    assert res.n_required == pytest.approx(50.0, rel=0.25)  # Gaussian truth: (N11) with C1 = 1, C2 = 61/12 gives 54.7 at eps = 0.05 (P7 of docs/theory/pn_criterion.md)
    small = pn_criterion(normal(), x[:20], eps=0.05)
    assert not small.accept
    y = np.random.default_rng(6).beta(2, 5, size=3000)
    best, results = pn_select([polynomial_on_interval(k) for k in (1, 2, 3)], y, eps=0.05)
    assert [r.p for r in results] == [1, 2, 3]
    assert best is not None and best.p == max(r.p for r in results if r.accept and r.regime_ok)
    few = pn_select([polynomial_on_interval(k) for k in (1, 2, 3)], y[:15], eps=0.02)[1]
    assert not any(r.accept for r in few)  # 15 points cannot support any of them at eps = 0.02
    with pytest.raises(ConvergenceError, match="does not exist"):
        pn_criterion(poisson(), np.zeros(50), eps=0.05)


def test_tic_penalty_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    y = np.random.default_rng(3).negative_binomial(5, 5 / 9, size=2000)
    res = sm.Poisson(y, np.ones((y.size, 1))).fit(disp=0)
    assert tic_penalty(poisson(), y.astype(float)) == pytest.approx(res.info_criteria("tic") + 2 * res.llf, abs=1e-8)


def test_bad_input():
    with pytest.raises(ValueError, match=r"`eps` must lie in \(0.0, 0.5\)"):
        bayes_error_threshold(0.5)
    with pytest.raises(ValueError, match=r"`tbar` must have shape \(2,\)"):
        mle(normal(), jnp.zeros(3))
    with pytest.raises(ValueError, match=r"outside the natural parameter space"):
        mle(normal(), jnp.zeros(2), theta0=jnp.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"`tbar` must be finite"):
        mle(normal(), jnp.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"`n` must be > 0"):
        risk_expansion(risk_coefficients(exponential(), truth_from_raw_moments([1, 1, 2, 6], [1])), 0)
    with pytest.raises(ValueError, match=r"`x` must have shape"):
        truth_from_samples(mvn(2), np.zeros(10))
    with pytest.raises(ValueError, match=r"`truth.cov` must be symmetric"):
        risk_coefficients(normal(), TruthCumulants(jnp.zeros(2), jnp.array([[1.0, 0.5], [0.0, 1.0]]), jnp.zeros((2, 2, 2))))
    # a non-minimal statistic (x twice): singular Fisher information named as such
    fam = from_quadrature(lambda v: jnp.stack([v, v]), jnp.linspace(0, 1, 20), jnp.zeros(20))
    with pytest.raises(ValueError, match=r"condition number"):
        risk_coefficients(fam, TruthCumulants(jnp.array([0.4, 0.4]), jnp.full((2, 2), 0.05), jnp.zeros((2, 2, 2))),
                          theta_star=jnp.zeros(2))
    with pytest.raises(ValueError, match=r"`raw_moments` must list"):
        truth_from_raw_moments([1.0, 0.0, 1.0], [1, 2])


@given(st.floats(-3, 3), st.floats(0.2, 5))
def test_location_scale_invariance_of_the_normal_model(loc, scale):
    # data x -> scale * x + loc: raw moments transform binomially; C1, C2 of the normal model are unchanged
    raw = LAPLACE
    moved = [sum(factorial(j) // (factorial(i) * factorial(j - i)) * raw[i] * scale**i * loc ** (j - i) for i in range(j + 1))
             for j in range(7)]
    a = risk_coefficients(normal(), truth_from_raw_moments(raw, [1, 2]))
    b = risk_coefficients(normal(), truth_from_raw_moments(moved, [1, 2]))
    assert float(b.C1) == pytest.approx(float(a.C1), rel=1e-8)
    assert float(b.C2) == pytest.approx(float(a.C2), rel=1e-6)  # moments up to order 6 of a shifted variable lose digits


def test_float32_mode_is_refused():
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(RuntimeError, match="needs float64"):
            mle(normal(), np.array([0.0, 1.0]))
        with pytest.raises(RuntimeError, match="needs float64"):
            risk_coefficients(normal(), truth_from_raw_moments(LAPLACE, [1, 2]))
    finally:
        jax.config.update("jax_enable_x64", True)


def test_sequential_and_vectorized_monte_carlo_agree():
    tr = truth_from_raw_moments(LAPLACE, [1, 2])
    sampler = lambda key, shape: dist.Laplace(0.0, 1.0).sample(key, shape)
    a = risk_monte_carlo(jax.random.key(3), normal(), sampler, 20, 500, truth=tr, vectorize=True)
    b = risk_monte_carlo(jax.random.key(3), normal(), sampler, 20, 500, truth=tr, vectorize=False)
    assert a.value == pytest.approx(b.value, rel=1e-10) and a.num_failed == b.num_failed == 0

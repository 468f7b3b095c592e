"""DSD sample-complexity tasks: every expected value from a closed form, scipy quadrature, an
independent NumPy re-implementation or a Monte Carlo with a stated tolerance."""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import theorylab  # noqa: F401  (x64)
from theorylab.learning import dsd
from theorylab.numerics import n_star_from_curve

KEY = jax.random.PRNGKey(0)


# ------------------------------------------------------------------------------ the distribution


def test_sampler_shapes_labels_and_determinism():
    dist = dsd.DSD(5, 3, 0.2, dtype=jnp.float32)
    s = dist.sample_labeled(KEY, 64)
    assert s.x.shape == (64, 5, 3) and s.x.dtype == jnp.float32
    assert dsd.DSD(5, 3, 0.2).sample_labeled(KEY, 4).x.dtype == jnp.float64  # the float policy: float64 unless asked
    assert set(np.unique(np.asarray(s.y))) <= {-1.0, 1.0}
    assert np.all((np.asarray(s.position) >= 0) & (np.asarray(s.position) < 5))
    again = dist.sample_labeled(KEY, 64)
    np.testing.assert_array_equal(np.asarray(s.x), np.asarray(again.x))
    assert dist.sample(KEY, (2, 3)).shape == (2, 3, 5, 3)


@settings(deadline=None, max_examples=20)
@given(k=st.integers(1, 6), d=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_noiseless_samples_have_one_signed_signal_patch(k, d, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    dist = dsd.DSD(k, d, 0.0, w, normalize=True)
    s = dist.sample_labeled(jax.random.PRNGKey(seed), 20)
    x, y, pos = np.asarray(s.x), np.asarray(s.y), np.asarray(s.position)
    w_unit = w / np.linalg.norm(w)
    for n in range(20):
        nonzero = np.flatnonzero(np.abs(x[n]).sum(-1) > 0)
        assert list(nonzero) == [pos[n]]
        np.testing.assert_allclose(x[n, pos[n]], y[n] * w_unit, atol=1e-6)


def test_background_noise_leaves_the_signal_patch_exact():
    dist = dsd.DSD(4, 3, 0.5, noise="background")
    s = dist.sample_labeled(KEY, 200)
    x, y, pos = np.asarray(s.x), np.asarray(s.y), np.asarray(s.position)
    np.testing.assert_allclose(x[np.arange(200), pos], y[:, None] * np.array([1.0, 0, 0]), atol=0)
    other = x[np.arange(200), (pos + 1) % 4]
    assert other.std() == pytest.approx(0.5, rel=0.1)


def test_log_prob_and_posterior_match_an_explicit_gaussian_mixture():
    k, d, sigma = 3, 2, 0.7
    w = np.array([0.6, 0.8])
    dist = dsd.DSD(k, d, sigma, w, dtype=jnp.float64)
    x = np.asarray(dist.sample(KEY, (5,)))
    means = []
    for yy in (1, -1):
        for i in range(k):
            mu = np.zeros((k, d))
            mu[i] = yy * w
            means.append(mu.ravel())
    comps = np.array([[stats.multivariate_normal(m, sigma**2 * np.eye(k * d)).pdf(xi.ravel()) for m in means] for xi in x])
    np.testing.assert_allclose(np.asarray(dist.log_prob(x)), np.log(comps.mean(1)), rtol=1e-12)
    log_odds = np.log(comps[:, :k].sum(1)) - np.log(comps[:, k:].sum(1))
    np.testing.assert_allclose(np.asarray(dist.posterior_log_odds(x)), log_odds, rtol=1e-10, atol=1e-12)
    with pytest.raises(NotImplementedError, match="singular"):
        dsd.DSD(k, d, sigma, w, noise="background").log_prob(x)


def test_linear_floor_closed_form_and_monte_carlo():
    for k, sigma, noise, dof in [(16, 0.15, "all", 16), (5, 0.4, "background", 4)]:
        dist = dsd.DSD(k, 3, sigma, noise=noise)
        expected = stats.norm.cdf(-1.0 / (sigma * math.sqrt(dof)))
        assert dsd.linear_floor(dist) == pytest.approx(expected, rel=1e-14)
        n = 200_000
        s = dist.sample_labeled(KEY, n)
        err = float(jnp.mean(jnp.sign(s.x[:, :, 0].sum(1)) != s.y))  # <x, sum mu_i> with w* = e_1
        assert abs(err - expected) < 5 * math.sqrt(expected * (1 - expected) / n)


def _lsa(u, b):
    return np.maximum(u - b, 0) - np.maximum(-u - b, 0)


def _two_unit_error_by_quadrature(a1, s1, a2, s2, b):
    """P(phi(u1) + phi(u2) <= 0) by scipy quadrature over u1 of the closed-form conditional CDF."""

    def cdf_phi2(t):  # P(phi(u2) <= t)
        if t < 0:
            return stats.norm.cdf((t - b - a2) / s2)
        return stats.norm.cdf((t + b - a2) / s2)

    f = lambda u: stats.norm.pdf(u, a1, s1) * cdf_phi2(-_lsa(u, b))  # noqa: E731
    pts = [a1 - 12 * s1, -b, b, a1 + 12 * s1]
    pts = sorted(p for p in pts if a1 - 12 * s1 <= p <= a1 + 12 * s1)
    return sum(integrate.quad(f, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=200)[0] for lo, hi in zip(pts, pts[1:]))


@pytest.mark.parametrize("a1,s1,a2,s2,b", [(1.0, 0.3, 0.0, 0.3, 0.4), (0.7, 0.5, 0.2, 0.8, 0.1), (1.0, 0.2, 0.0, 0.2, 0.0)])
def test_unit_error_matches_quadrature(a1, s1, a2, s2, b):
    got = dsd.unit_error([a1, a2], [s1, s2], b)
    assert got == pytest.approx(_two_unit_error_by_quadrature(a1, s1, a2, s2, b), abs=2e-8)


def test_unit_error_with_a_constant_unit():
    # a noiseless unit is the constant phi_b(a): P(phi(u) <= -phi_b(1)) in closed form for one random unit
    b, s = 0.3, 0.5
    c = 1.0 - b
    expected = stats.norm.cdf((-c - b) / s)
    assert dsd.unit_error([1.0, 0.0], [0.0, s], b) == pytest.approx(expected, abs=1e-8)


def test_oracle_error_agrees_with_an_independent_monte_carlo():
    rng = np.random.default_rng(3)
    k, n, b = 4, 1_000_000, 0.4
    s = 0.6 / math.sqrt(k)
    u = s * rng.standard_normal((n, k))
    u[:, 0] += 1.0
    mc = np.mean(_lsa(u, b).sum(1) <= 0)
    got = dsd.oracle_error(dsd.DSD(k, 7, s), b)
    assert abs(got - mc) < 5 * math.sqrt(mc * (1 - mc) / n)
    # d does not enter
    assert dsd.oracle_error(dsd.DSD(k, 200, s), b) == got


def test_bayes_error_is_below_the_oracle_and_the_linear_floor_and_matches_the_bayes_classifier():
    dist = dsd.DSD(4, 3, 0.3, dtype=jnp.float64)
    bayes = dsd.bayes_error(KEY, dist, samples=400_000)
    assert bayes.value + 5 * bayes.standard_error < dsd.oracle_error(dist, 0.4)
    assert bayes.value < dsd.linear_floor(dist)
    s = dist.sample_labeled(jax.random.PRNGKey(9), 400_000)
    err = float(jnp.mean(jnp.sign(dist.posterior_log_odds(s.x)) != s.y))
    assert abs(err - bayes.value) < 5 * math.sqrt(bayes.value / 400_000) + 5 * bayes.standard_error
    assert dsd.bayes_error(KEY, dsd.DSD(4, 3, 0.3, noise="background")).value == 0.0


# ------------------------------------------------------------------------------ networks


@given(u=st.floats(-5, 5), v=st.floats(-5, 5), b=st.floats(0, 2))
def test_lsa_is_odd_lipschitz_and_dead_inside_the_threshold(u, v, b):
    f = lambda t: float(dsd.lsa(jnp.asarray(t), b))  # noqa: E731
    assert f(-u) == -f(u)
    assert abs(f(u) - f(v)) <= abs(u - v) + 1e-12
    if abs(u) <= b:
        assert f(u) == 0.0


def _random_params(arch, k, d, seed=0):
    return dsd.init_params(jax.random.PRNGKey(seed), arch, k, d, scale=1.0, b=0.3, dtype=jnp.float64)


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 1000))
def test_patch_permutations_and_sign_symmetry(seed):
    k, d = 5, 3
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.normal(size=(7, k, d)))
    perm = rng.permutation(k)
    cnn = _random_params("cnn", k, d, seed)
    np.testing.assert_allclose(dsd.apply("cnn", cnn, x[:, perm]), dsd.apply("cnn", cnn, x), rtol=1e-12)
    lcn = _random_params("lcn", k, d, seed)
    np.testing.assert_allclose(dsd.apply("lcn", dsd.Params(lcn.w[perm], lcn.b), x[:, perm]), dsd.apply("lcn", lcn, x),
                               rtol=1e-12)
    for arch in ("cnn", "lcn", "fcn"):
        p = _random_params(arch, k, d, seed)
        np.testing.assert_allclose(dsd.apply(arch, p, -x), -dsd.apply(arch, p, x), rtol=1e-12)


def test_lcn_and_fcn_contain_the_cnn():
    k, d = 4, 3
    x = jnp.asarray(np.random.default_rng(1).normal(size=(9, k, d)))
    cnn = _random_params("cnn", k, d)
    lcn = dsd.Params(jnp.tile(cnn.w, (k, 1)), cnn.b)
    fcn_w = jnp.zeros((k, k, d)).at[jnp.arange(k), jnp.arange(k)].set(cnn.w)  # neuron j = w in patch j
    ref = dsd.apply("cnn", cnn, x)
    np.testing.assert_allclose(dsd.apply("lcn", lcn, x), ref, rtol=1e-12)
    np.testing.assert_allclose(dsd.apply("fcn", dsd.Params(fcn_w, cnn.b), x), ref, rtol=1e-12)


# ------------------------------------------------------------------------------ learners


def _unit(v, axis=-1):
    return v / np.linalg.norm(v, axis=axis, keepdims=True)


def test_two_step_equals_an_independent_numpy_version():
    dist = dsd.DSD(6, 5, 0.3, dtype=jnp.float64)
    s = dist.sample_labeled(KEY, 300)
    x, y = np.asarray(s.x), np.asarray(s.y)
    m = (np.arange(300) < 200).astype(float)
    b = 0.4
    # CNN: correlation summed over patches, then the thresholded correlation
    w1 = _unit(np.einsum("n,nkd->d", m * y, x))
    gate = (np.abs(x @ w1) >= b) * (m * y)[:, None]
    w2 = _unit(np.einsum("nk,nkd->d", gate, x))
    got = dsd.TwoStep("cnn", b).fit(KEY, s.x, s.y, jnp.asarray(m))
    np.testing.assert_allclose(np.asarray(got.w), w2, rtol=1e-10)
    # LCN: the same per patch
    W1 = _unit(np.einsum("n,nkd->kd", m * y, x))
    gate = (np.abs(np.einsum("nkd,kd->nk", x, W1)) >= b) * (m * y)[:, None]
    W2 = _unit(np.einsum("nk,nkd->kd", gate, x))
    got = dsd.TwoStep("lcn", b).fit(KEY, s.x, s.y, jnp.asarray(m))
    np.testing.assert_allclose(np.asarray(got.w), W2, rtol=1e-10)


def test_correlation_gradient_is_the_gradient_of_the_correlation():
    dist = dsd.DSD(3, 4, 0.5, dtype=jnp.float64)
    s = dist.sample_labeled(KEY, 50)
    mask = jnp.asarray((np.arange(50) < 40).astype(float))
    for arch in ("cnn", "lcn", "fcn"):
        p = _random_params(arch, 3, 4)
        corr = lambda w: jnp.sum(mask * s.y * dsd.apply(arch, dsd.Params(w, p.b), s.x)) / jnp.sum(mask)  # noqa: E731
        np.testing.assert_allclose(dsd.correlation_gradient(arch, p.w, p.b, s.x, s.y, mask), jax.grad(corr)(p.w),
                                   rtol=1e-10, atol=1e-12)


def test_two_step_cnn_is_rotation_equivariant():
    k, d = 4, 5
    rng = np.random.default_rng(2)
    U, _ = np.linalg.qr(rng.normal(size=(d, d)))
    dist = dsd.DSD(k, d, 0.3, dtype=jnp.float64)
    s = dist.sample_labeled(KEY, 100)
    mask = jnp.ones(100)
    learner = dsd.TwoStep("cnn", 0.2)
    w = learner.fit(KEY, s.x, s.y, mask).w
    w_rot = learner.fit(KEY, s.x @ U.T, s.y, mask).w
    assert float(jnp.linalg.norm(w_rot - U @ w)) < 1e-10


def test_projection_and_sampled_test_errors_agree():
    dist = dsd.DSD(5, 6, 0.35, dtype=jnp.float32)
    for arch in ("cnn", "lcn"):
        p = dsd.init_params(jax.random.PRNGKey(4), arch, 5, 6, scale=1.0, b=0.2)
        w = dsd.normalize_filters(arch, p.w + 0.8 * jnp.asarray(dist.w_star, jnp.float32))
        p = dsd.Params(w, p.b)
        proj = float(dsd.test_error(KEY, arch, p, dist, samples=2**18, method="projections"))
        samp = float(dsd.test_error(jax.random.PRNGKey(1), arch, p, dist, samples=2**18, method="sample"))
        se = math.sqrt(proj * (1 - proj) / 2**18)
        assert abs(proj - samp) < 6 * se, (arch, proj, samp)


def test_gradient_descent_learns_a_threshold_and_beats_the_linear_floor():
    # squared loss: b > 0 and the CNN's error falls well below the linear floor (the logistic loss
    # keeps b = 0 and stops at the floor: documented in training.py)
    dist = dsd.DSD(8, 16, 0.6 / math.sqrt(8), dtype=jnp.float32)
    data = dist.sample_labeled(KEY, 2048)
    mask = jnp.ones(2048, jnp.float32)
    gd = dsd.GradientDescent("cnn", steps=200, lrs=(0.1,), bias_lrs=(0.1,))
    p = gd.fit(KEY, data.x, data.y, mask)
    err = float(dsd.test_error(jax.random.PRNGKey(1), "cnn", p, dist, samples=2**16))
    assert float(p.b) > 0.1
    assert err < 0.5 * dsd.linear_floor(dist)
    logistic = dsd.GradientDescent("cnn", steps=200, lrs=(0.1,), bias_lrs=(0.1,), loss="logistic")
    assert float(logistic.fit(KEY, data.x, data.y, mask).b) < 1e-3


# ------------------------------------------------------------------------------ N* and exponents


def test_n_star_from_curve_interpolates_as_a_power_law():
    """Expected values from the rule written out by hand: between (20, 0.3) and (40, 0.1), log n is
    linear in log e; where e reaches 0, linear in e."""
    grid = [10, 20, 40]
    frac = math.log(0.3 / 0.2) / math.log(0.3 / 0.1)
    assert n_star_from_curve(grid, [0.5, 0.3, 0.1], 0.2) == pytest.approx(20 * 2**frac, rel=1e-14)
    assert n_star_from_curve(grid, [0.5, 0.3, 0.0], 0.2) == pytest.approx(20 * 2 ** (1 / 3), rel=1e-14)
    assert n_star_from_curve(grid, [0.1, 0.05, 0.0], 0.2) == 10
    assert n_star_from_curve(grid, [0.5, 0.4, 0.3], 0.2) == math.inf
    # an exact power law e = n^-1/2 is recovered between grid points
    assert n_star_from_curve(grid, np.asarray(grid, float) ** -0.5, 30.0**-0.5) == pytest.approx(30.0, rel=1e-12)


@given(errors=st.lists(st.floats(0, 1), min_size=3, max_size=8), t1=st.floats(0.01, 0.99), t2=st.floats(0.01, 0.99))
@settings(deadline=None)
def test_n_star_rises_as_the_target_falls(errors, t1, t2):
    errors = np.sort(errors)[::-1]  # a decreasing curve
    grid = 2 ** np.arange(len(errors))
    lo, hi = min(t1, t2), max(t1, t2)
    assert n_star_from_curve(grid, errors, lo) >= n_star_from_curve(grid, errors, hi)


def test_sample_complexity_is_deterministic_and_separates_cnn_from_lcn():
    dist = dsd.DSD(8, 16, 0.6 / math.sqrt(8), dtype=jnp.float32)
    grid = np.unique(np.round(np.geomspace(2, 1024, 14)).astype(int))
    a = dsd.sample_complexity(KEY, dist, dsd.TwoStep("cnn"), grid, num_seeds=4, bootstrap=200)
    b = dsd.sample_complexity(KEY, dist, dsd.TwoStep("cnn"), grid, num_seeds=4, bootstrap=200)
    np.testing.assert_array_equal(a.errors, b.errors)
    assert a.n_star == b.n_star
    lo, hi = a.confidence_interval()
    assert lo <= a.n_star <= hi
    lcn = dsd.sample_complexity(KEY, dist, dsd.TwoStep("lcn"), grid, num_seeds=4, bootstrap=200)
    assert lcn.n_star > 3 * a.n_star
    assert a.target == pytest.approx(dsd.oracle_error(dist, 0.4) + 0.03)


def _synthetic(over, xs, exponent, noise=0.02, boots=400, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for x in xs:
        n = 3.0 * x**exponent
        k, d = (x, 10) if over == "k" else (10, x)
        boot = n * np.exp(noise * rng.standard_normal(boots))
        out.append(dsd.SampleComplexity(n, 0.1, np.array([1]), np.zeros((2, 1)), boot, "cnn", k, d, 0.1, 0.0, 0.0, "x"))
    return out


def test_fit_exponent_recovers_a_power_law():
    res = _synthetic("k", [4, 8, 16, 32], 1.5)
    fit = dsd.fit_exponent(res, over="k")
    assert fit.value == pytest.approx(1.5, abs=1e-12) and float(fit) == fit.value
    low, high = fit.confidence_interval()
    assert low < 1.5 < high and high - low < 0.1
    bayes = dsd.fit_exponent_bayes(KEY, res, over="k", num_samples=600)
    assert bayes.value == pytest.approx(1.5, abs=0.1)
    with pytest.raises(ValueError, match="infinite"):
        dsd.fit_exponent(res[:-1] + [res[-1]._replace(n_star=math.inf)], over="k")


def test_theory_exponents_by_finite_differences():
    for rate in dsd.RATES:
        for over in ("k", "d"):
            for scaling in ("fixed", "inverse_sqrt_k"):
                k, d, h = 8.0, 24.0, 1e-6

                def log_rate(kk, dd):
                    s = 1 / math.sqrt(kk) if scaling == "inverse_sqrt_k" else 1.0
                    return math.log(float(dsd.RATES[rate](kk, dd, s)))

                if over == "k":
                    fd = (log_rate(k * math.exp(h), d) - log_rate(k * math.exp(-h), d)) / (2 * h)
                else:
                    fd = (log_rate(k, d * math.exp(h)) - log_rate(k, d * math.exp(-h))) / (2 * h)
                assert dsd.theory_exponent(rate, over, k, d, sigma_scaling=scaling) == pytest.approx(fd, abs=1e-6)


# ------------------------------------------------------------------------------ bad input


def test_bad_input_is_rejected_with_clear_errors():
    with pytest.raises(ValueError, match="`k`"):
        dsd.DSD(0, 3, 0.1)
    with pytest.raises(ValueError, match="`d`"):
        dsd.DSD(3, 0, 0.1)
    with pytest.raises(TypeError, match="`k`"):
        dsd.DSD(2.5, 3, 0.1)
    with pytest.raises(ValueError, match="`sigma`"):
        dsd.DSD(3, 3, -0.1)
    with pytest.raises(ValueError, match="`sigma`"):
        dsd.DSD(3, 3, float("nan"))
    with pytest.raises(ValueError, match="`w_star` must have shape"):
        dsd.DSD(3, 3, 0.1, [1.0, 0.0])
    with pytest.raises(ValueError, match="zero vector"):
        dsd.DSD(3, 2, 0.1, [0.0, 0.0])
    with pytest.raises(ValueError, match="unit vector"):
        dsd.DSD(3, 2, 0.1, [1.0, 1.0])
    assert float(jnp.linalg.norm(dsd.DSD(3, 2, 0.1, [1.0, 1.0], normalize=True).w_star)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="`noise`"):
        dsd.DSD(3, 2, 0.1, noise="signal")
    with pytest.raises(ValueError, match="`b`"):
        dsd.TwoStep("cnn", -0.1)
    with pytest.raises(ValueError, match="`arch`"):
        dsd.TwoStep("rnn")
    dist = dsd.DSD(4, 4, 0.3)
    with pytest.raises(ValueError, match="strictly increasing"):
        dsd.sample_complexity(KEY, dist, dsd.TwoStep("cnn"), [4, 4, 8])
    with pytest.raises(ValueError, match="non-empty"):
        dsd.sample_complexity(KEY, dist, dsd.TwoStep("cnn"), [])
    with pytest.raises(TypeError, match="integer"):
        dsd.sample_complexity(KEY, dist, dsd.TwoStep("cnn"), [2.5, 4.0])
    with pytest.raises(ValueError, match="Bayes"):
        dsd.sample_complexity(KEY, dist, dsd.TwoStep("cnn"), [2, 4], target=1e-6)
    with pytest.warns(UserWarning, match="oracle"):  # Bayes 0.0219 < target < oracle 0.0324
        dsd.sample_complexity(KEY, dist, dsd.TwoStep("cnn"), [2, 4], target=0.027, num_seeds=1, bootstrap=10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dsd.sample_complexity(KEY, dsd.DSD(4, 4, 0.8), dsd.TwoStep("cnn"), [2, 4], num_seeds=1, bootstrap=10)
    assert any("outside the regime" in str(w.message) for w in caught)

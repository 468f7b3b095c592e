"""Sparse regression on random supports: peers run in the same test (scikit-learn), closed forms,
Monte Carlo with stated tolerances, and hypothesis invariants (rotation of rows, column scaling, ...)."""

import itertools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import theorylab.estimators.sparse as S
from theorylab.estimators.sparse.curves import ErrorCurves

sklm = pytest.importorskip("sklearn.linear_model")


def gaussian_problem(seed, n=60, d=120, k=5, sigma=0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = np.zeros(d)
    w[rng.choice(d, k, replace=False)] = rng.choice([-1.0, 1.0], k)
    return X, X @ w + sigma * rng.standard_normal(n), w


def cluster_problem(seed, n=50, d=100, m=10, delta=0.05, support="random"):
    kd, kp = jax.random.split(jax.random.key(seed))
    design = S.make_design(kd, "equicorrelated_clusters", n, d, m=m, delta=delta)
    return S.make_problem(kp, design, 6, 0.5, values="contrast", support=support, delta=delta)


# ----------------------------------------------------------------------------- Lasso against sklearn
@pytest.mark.parametrize("solver", ["cd", "fista"])
def test_lasso_matches_sklearn(solver):
    X, y, _ = gaussian_problem(0)
    alpha = 0.1
    ours = S.lasso(X, y, alpha, solver=solver, tol=1e-12, max_steps=100_000)
    ref = sklm.Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=1_000_000).fit(X, y)
    assert bool(ours.converged)
    np.testing.assert_allclose(np.asarray(ours.coef), ref.coef_, atol=1e-6)
    assert float(ours.dual_gap) <= 1e-12 * float(y @ y) / len(y)


def test_lasso_ill_conditioned_matches_sklearn():
    p = cluster_problem(3, support="pairs")
    X, y = np.asarray(p.X), np.asarray(p.y)
    alpha = 0.02
    ours = S.lasso(X, y, alpha, tol=1e-12)
    ref = sklm.Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=2_000_000).fit(X, y)
    assert bool(ours.converged)
    # fitted values are unique even where coefficients are nearly not (docs/theory/sparse.md, conventions)
    np.testing.assert_allclose(np.asarray(ours.fitted), X @ ref.coef_, atol=1e-6)
    obj = lambda w: float(S.lasso_objective(X, y, jnp.asarray(w), alpha))  # noqa: E731
    assert obj(ours.coef) <= obj(ref.coef_) + 1e-12


def test_lasso_path_and_cv_match_sklearn():
    X, y, _ = gaussian_problem(1, n=50, d=40)
    alphas = np.geomspace(0.5, 0.005, 12)
    path = S.lasso_path(X, y, alphas, tol=1e-12)
    assert bool(np.all(path.converged))
    for a, coef in zip(np.asarray(path.alphas), np.asarray(path.coefs)):
        ref = sklm.Lasso(alpha=a, fit_intercept=False, tol=1e-12, max_iter=1_000_000).fit(X, y).coef_
        np.testing.assert_allclose(coef, ref, atol=1e-6)
    cv = S.lasso_cv(X, y, alphas=alphas, folds=5, tol=1e-12)
    ref = sklm.LassoCV(alphas=alphas, cv=5, fit_intercept=False, tol=1e-12, max_iter=1_000_000).fit(X, y)
    # sklearn's KFold(shuffle=False) folds are our contiguous folds; its mse_path_ rows follow its alphas_
    order = np.argsort(-ref.alphas_)
    np.testing.assert_allclose(np.asarray(cv.mse_path), ref.mse_path_[order], rtol=1e-6)
    assert float(cv.alpha) == pytest.approx(ref.alpha_, rel=1e-12)
    np.testing.assert_allclose(np.asarray(cv.coef), ref.coef_, atol=1e-6)


def test_alpha_zero_is_least_squares_and_warns_when_underdetermined():
    X, y, _ = gaussian_problem(2, n=30, d=10)
    fit = S.lasso(X, y, 0.0)
    np.testing.assert_allclose(np.asarray(fit.coef), np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-10)
    X, y, _ = gaussian_problem(2, n=10, d=30)
    with pytest.warns(UserWarning, match="minimum-norm"):
        fit = S.lasso(X, y, 0.0)
    np.testing.assert_allclose(np.asarray(fit.coef), np.linalg.pinv(X) @ y, atol=1e-10)


def test_max_steps_reports_status_not_junk():
    p = cluster_problem(4)
    out = S.lasso(p.X, p.y, 1e-4, max_steps=1, tol=1e-14)
    assert not bool(out.converged) and int(out.status) == 1 and float(out.dual_gap) > 0
    with pytest.raises(Exception, match="MAX_STEPS.*duality gap"):
        S.lasso(p.X, p.y, 1e-4, max_steps=1, tol=1e-14, throw=True)


def test_orthogonal_design_lasso_is_soft_thresholding():
    """The identity behind (S3) of docs/theory/sparse.md: X^T X = N I makes the sklearn Lasso soft thresholding of X^T y / N."""
    rng = np.random.default_rng(5)
    n, d = 64, 16
    X = np.linalg.qr(rng.standard_normal((n, d)))[0] * np.sqrt(n)
    w = np.zeros(d)
    w[:4] = [3.0, -2.0, 1.0, 0.5]
    y = X @ w + rng.standard_normal(n)
    soft = np.sign(X.T @ y / n) * np.maximum(np.abs(X.T @ y / n) - 0.3, 0)
    np.testing.assert_allclose(np.asarray(S.lasso(X, y, 0.3, tol=1e-14).coef), soft, atol=1e-10)
    ref = sklm.Lasso(alpha=0.3, fit_intercept=False, tol=1e-14).fit(X, y).coef_
    np.testing.assert_allclose(soft, ref, atol=1e-8)


def test_soft_threshold_risk_monte_carlo():
    rng = np.random.default_rng(6)
    for theta, t in [(0.0, 1.0), (1.0, 1.0), (3.0, 2.0)]:
        z = theta + rng.standard_normal(400_000)
        loss = (np.sign(z) * np.maximum(np.abs(z) - t, 0) - theta) ** 2
        se = loss.std() / math.sqrt(loss.size)
        assert abs(loss.mean() - float(S.soft_threshold_risk(theta, t))) < 4 * se


# ----------------------------------------------------------------------------- OMP, best subset, oracle
def test_omp_matches_sklearn():
    X, y, _ = gaussian_problem(7, n=50, d=80)
    X = X / np.linalg.norm(X, axis=0)  # sklearn scores raw inner products: equal norms make them agree
    ours = S.omp(X, y, 7)
    ref = sklm.OrthogonalMatchingPursuit(n_nonzero_coefs=7, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(np.asarray(ours.coef), ref.coef_, atol=1e-10)


def test_best_subset_equals_enumeration():
    X, y, _ = gaussian_problem(8, n=25, d=12, k=3, sigma=1.0)
    rss = {s: float(np.sum((y - X[:, list(s)] @ np.linalg.lstsq(X[:, list(s)], y, rcond=None)[0]) ** 2))
           for s in itertools.combinations(range(12), 3)}
    best = min(rss, key=rss.get)
    fit = S.best_subset(X, y, 3, chunk=37)  # a chunk that does not divide C(12, 3) = 220
    assert np.asarray(fit.support).tolist() == list(best)
    assert float(fit.rss) == pytest.approx(rss[best], rel=1e-12)


def test_best_subset_noiseless_recovers_support():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((12, 20))
    w = np.zeros(20)
    w[[2, 11, 17]] = [1.0, -2.0, 0.5]
    y = X @ w
    fit = S.best_subset(X, y, 3)
    assert np.asarray(fit.support).tolist() == [2, 11, 17]
    assert float(fit.rss) <= 1e-20 * float(y @ y)


def test_best_subset_refuses_large_problems_and_caps_k():
    X, y, _ = gaussian_problem(10, n=30, d=60)
    with pytest.raises(ValueError, match="max_subsets"):
        S.best_subset(X, y, 5, max_subsets=1000)
    X, y, _ = gaussian_problem(10, n=5, d=8)
    with pytest.warns(UserWarning, match="k = 6 >= N = 5"):
        S.omp(X, y, 6)


def test_oracle_risk_monte_carlo():
    """E (1/N)|X(w_T - w*)|^2 = sigma^2 k / N (trace of a projection), 400 noise draws."""
    rng = np.random.default_rng(11)
    n, d, k, sigma = 50, 80, 5, 0.5
    X = rng.standard_normal((n, d))
    w = np.zeros(d)
    w[:k] = 1.0
    errs = []
    for _ in range(400):
        y = X @ w + sigma * rng.standard_normal(n)
        errs.append(float(S.prediction_error(X, S.oracle_least_squares(X, y, np.arange(k)).coef, w)))
    errs = np.asarray(errs)
    assert abs(errs.mean() - S.oracle_risk(sigma, k, n)) < 4 * errs.std() / math.sqrt(errs.size)


# ----------------------------------------------------------------------------- designs
def test_cluster_design_covariance_and_condition_number():
    design = S.make_design(jax.random.key(0), "equicorrelated_clusters", 20_000, 12, m=4, delta=0.5)
    emp = np.cov(np.asarray(design.X), rowvar=False, bias=True)
    # each entry's Monte Carlo sd is at most sqrt(2/N)
    assert np.max(np.abs(emp - np.asarray(design.covariance))) < 5 * math.sqrt(2 / 20_000)
    for s, delta in [(10, 0.05), (3, 0.05), (5, 0.3)]:
        ev = np.linalg.eigvalsh(np.asarray(S.cluster_covariance(2 * s, 2, delta)))
        assert ev[-1] / ev[0] == pytest.approx(float(S.cluster_condition_number(2 * s, 2, delta)), rel=1e-9)
    assert float(S.cluster_condition_number(20, 2, 0.05)) == pytest.approx(4001.0)  # (10 + 0.0025) / 0.0025
    assert float(S.cluster_condition_number(6, 2, 0.05)) == pytest.approx(1201.0)  # (3 + 0.0025) / 0.0025
    with pytest.raises(ValueError, match="divide"):
        S.cluster_condition_number(7, 2, 0.05)


def test_toeplitz_design_covariance():
    design = S.make_design(jax.random.key(1), "toeplitz", 20_000, 6, rho=0.8)
    emp = np.cov(np.asarray(design.X), rowvar=False, bias=True)
    ref = 0.8 ** np.abs(np.subtract.outer(np.arange(6), np.arange(6)))
    assert np.max(np.abs(emp - ref)) < 5 * math.sqrt(2 / 20_000)


def test_support_sampler_is_uniform():
    """Invariant 12: k distinct indices, inclusion probability k/d (chi-square over 4000 draws)."""
    d, k, draws = 10, 3, 4000
    supports = np.asarray(jax.vmap(lambda key: S.sample_support(key, d, k))(jax.random.split(jax.random.key(2), draws)))
    assert all(len(set(row)) == k for row in supports)
    counts = np.bincount(supports.ravel(), minlength=d)
    assert stats.chisquare(counts, np.full(d, draws * k / d)).pvalue > 1e-3


def test_contrast_values_are_sum_zero_and_unit_signal():
    p = cluster_problem(12, support="pairs")
    w = np.asarray(p.coef)
    labels = np.asarray(p.clusters)
    for c in np.unique(labels[np.asarray(p.support)]):
        assert abs(w[labels == c].sum()) < 1e-12 * np.abs(w).max()
    assert float(w @ np.asarray(p.covariance) @ w) == pytest.approx(1.0, rel=1e-12)


# ----------------------------------------------------------------------------- preconditioning
def test_dependency_search_finds_clusters_and_inverse_is_exact():
    p = cluster_problem(13)
    pre = S.find_preconditioner(p.X)
    rep = np.asarray(pre.representative)
    labels = np.asarray(p.clusters)
    # one representative per cluster, found without the labels
    assert sorted(labels[rep].tolist()) == list(range(10))
    np.testing.assert_allclose(np.asarray(pre.matrix @ pre.inverse), np.eye(100), atol=1e-12)
    assert np.linalg.det(np.asarray(pre.matrix)) == pytest.approx(1.0)
    # every dependent column's basis vector leaves a residual at the delta scale
    assert np.max(np.asarray(pre.residual)[~rep]) < 0.25


def test_preconditioner_shrinks_l1_norm_of_contrasts():
    """The slow-rate bound's quantity |S_n^{-1} w*|_1 (S_n: columns of XS normalised) drops by >= 5x."""
    ratios = []
    for seed in range(5):
        p = cluster_problem(20 + seed)
        X = np.asarray(p.X)
        plain = np.abs(np.linalg.norm(X, axis=0) / math.sqrt(50) * np.asarray(p.coef)).sum()
        fit = S.preconditioned_lasso(X, np.asarray(p.y), S.find_preconditioner(X), alpha=0.05)
        v = np.linalg.solve(np.asarray(fit.scaled), np.asarray(p.coef))
        ratios.append(plain / np.abs(v).sum())
    assert np.median(ratios) > 5


def test_identity_and_signed_permutation_preconditioners_equal_plain_lasso():
    """Invariant 8."""
    X, y, _ = gaussian_problem(14, n=40, d=30)
    Xn = X * (math.sqrt(40) / np.linalg.norm(X, axis=0))
    plain = S.lasso(Xn, y, 0.05, tol=1e-14)
    ident = S.preconditioned_lasso(X, y, S.find_preconditioner(X, "identity"), alpha=0.05, tol=1e-14)
    np.testing.assert_allclose(np.asarray(ident.fitted), np.asarray(plain.fitted), atol=1e-10)
    rng = np.random.default_rng(0)
    P = np.eye(30)[rng.permutation(30)] * rng.choice([-1.0, 1.0], 30)
    signed = S.preconditioned_lasso(X, y, P, alpha=0.05, tol=1e-14)
    np.testing.assert_allclose(np.asarray(signed.fitted), np.asarray(plain.fitted), atol=1e-10)


def test_augmented_dictionary_maps_back():
    p = cluster_problem(15)
    M = S.augment_dictionary(p.X)
    assert M.shape[0] == 100 and M.shape[1] > 100
    fit = S.preconditioned_lasso(p.X, p.y, M, alpha=0.05)
    np.testing.assert_allclose(np.asarray(p.X @ fit.coef), np.asarray(fit.fitted), atol=1e-10)


def test_paper_method_is_not_pretended():
    with pytest.raises(NotImplementedError, match="could not be read"):
        S.find_preconditioner(np.eye(3), "paper")


# ----------------------------------------------------------------------------- theory
def test_slow_rate_bound_never_violated():
    """(S5) of docs/theory/sparse.md in miniature: at alpha = |X^T xi|_inf / N the error is <= 4 alpha |w*|_1 (plain and
    preconditioned), over Gaussian and cluster designs."""
    for seed in range(6):
        p = cluster_problem(30 + seed) if seed % 2 else None
        if p is None:
            X, _, w = gaussian_problem(30 + seed, n=40, d=100, k=6)
            xi = 0.5 * np.random.default_rng(seed).standard_normal(40)
        else:
            X, w, xi = np.asarray(p.X), np.asarray(p.coef), np.asarray(p.noise)
        X = X * (math.sqrt(40 if p is None else 50) / np.linalg.norm(X, axis=0))
        y = X @ w + xi
        alpha = float(S.slow_rate_bound(X, xi, w, 0.0).alpha_needed) * 1.0001
        fit = S.lasso(X, y, alpha, tol=1e-12)
        sr = S.slow_rate_bound(X, xi, w, alpha)
        assert bool(sr.event) and float(S.prediction_error(X, fit.coef, w)) <= float(sr.bound)
        pre = S.find_preconditioner(X)
        scaled = np.asarray(S.preconditioned_lasso(X, y, pre, alpha=0.1).scaled)
        a2 = float(S.slow_rate_bound(X, xi, w, 0.0, S=scaled).alpha_needed) * 1.0001
        fit2 = S.preconditioned_lasso(X, y, pre, alpha=a2, tol=1e-12)
        assert float(S.prediction_error(X, fit2.coef, w)) <= float(S.slow_rate_bound(X, xi, w, a2, S=scaled).bound)


def test_alpha_theory_noise_event():
    """(S6) of docs/theory/sparse.md in miniature: P(|X^T xi|_inf / N > alpha_theory) <= delta (+3 SE), 2000 draws."""
    rng = np.random.default_rng(40)
    n, d, sigma, delta = 40, 50, 0.5, 0.1
    X = rng.standard_normal((n, d))
    X *= math.sqrt(n) / np.linalg.norm(X, axis=0)
    xi = sigma * rng.standard_normal((2000, n))
    rate = np.mean(np.max(np.abs(xi @ X), axis=1) / n > float(S.alpha_theory(sigma, n, d, delta)))
    assert rate <= delta + 3 * math.sqrt(delta * (1 - delta) / 2000)


# ----------------------------------------------------------------------------- curves
def test_sample_complexity_interpolates_and_slopes_recover_power_law():
    ns = np.array([10, 20, 40, 80])
    curves = ErrorCurves(ns, {"a": np.array([[0.8], [0.4], [0.2], [0.1]]), "b": np.full((4, 1), 0.9)}, {})
    n_star = S.sample_complexity(curves, 0.3)
    assert n_star["a"] == pytest.approx(20 * 2 ** (math.log(0.4 / 0.3) / math.log(2)))
    assert n_star["b"] == math.inf
    ds = np.array([50, 100, 200, 400])
    slopes = S.fit_slopes(ds, {"a": 3.0 * ds**0.5, "b": [1, 2, math.inf, 4]})
    assert slopes["a"]["power"].value == pytest.approx(0.5) and slopes["b"] is None
    assert slopes["a"]["power"].standard_error == pytest.approx(0.0, abs=1e-12)  # an exact power law


def test_error_curves_small_run():
    curves = S.error_curves(jax.random.key(3), [30], d=20, k=2, m=4, trials=3, methods=("oracle", "omp"))
    assert curves.errors["oracle"].shape == (1, 3) and np.all(curves.errors["oracle"] >= 0)


# ----------------------------------------------------------------------------- hypothesis invariants
small = st.integers(min_value=0, max_value=2**31 - 1)


@given(seed=small)
def test_invariant_rotation_permutation_scaling(seed):
    """Invariants 1-3: rows rotated, columns permuted, y scaled with alpha."""
    X, y, _ = gaussian_problem(seed, n=20, d=12, k=3)
    rng = np.random.default_rng(seed)
    base = np.asarray(S.lasso(X, y, 0.1, tol=1e-14).coef)
    Q = np.linalg.qr(rng.standard_normal((20, 20)))[0]
    np.testing.assert_allclose(np.asarray(S.lasso(Q @ X, Q @ y, 0.1, tol=1e-14).coef), base, atol=1e-7)
    perm = rng.permutation(12)
    np.testing.assert_allclose(np.asarray(S.lasso(X[:, perm], y, 0.1, tol=1e-14).coef), base[perm], atol=1e-7)
    c = -2.5
    np.testing.assert_allclose(np.asarray(S.lasso(X, c * y, abs(c) * 0.1, tol=1e-14).coef), c * base, atol=1e-6)
    om = np.asarray(S.omp(X, y, 3).coef)
    np.testing.assert_allclose(np.asarray(S.omp(Q @ X, Q @ y, 3).coef), om, atol=1e-8)


@given(seed=small, alpha=st.floats(0.01, 1.0))
def test_invariant_kkt(seed, alpha):
    """Invariant 5: |x_j^T r|/N <= alpha, with equality and sign(w_j) on the support."""
    X, y, _ = gaussian_problem(seed, n=25, d=15, k=3)
    fit = S.lasso(X, y, alpha, tol=1e-14)
    w = np.asarray(fit.coef)
    g = X.T @ (y - X @ w) / 25
    assert np.all(np.abs(g) <= alpha * (1 + 1e-6) + 1e-9)
    on = w != 0
    np.testing.assert_allclose(g[on], alpha * np.sign(w[on]), atol=1e-6)


@given(seed=small)
def test_invariant_monotone_in_alpha(seed):
    """Invariant 6: along the path the training residual does not decrease and |w|_1 does not increase
    as alpha grows."""
    X, y, _ = gaussian_problem(seed, n=25, d=30, k=3)
    path = S.lasso_path(X, y, np.geomspace(1.0, 0.01, 8), tol=1e-14)
    coefs = np.asarray(path.coefs)  # alphas decreasing
    rss = np.sum((y[None, :] - coefs @ X.T) ** 2, axis=1)
    l1 = np.abs(coefs).sum(axis=1)
    assert np.all(np.diff(rss) <= 1e-8 * rss[0]) and np.all(np.diff(l1) >= -1e-8)


@given(seed=small)
def test_invariant_duplicate_columns_same_fit(seed):
    """Invariant 7: a duplicated column leaves the fitted values unchanged, for both solvers."""
    X, y, _ = gaussian_problem(seed, n=25, d=10, k=3)
    Xd = np.hstack([X, X[:, :1]])
    base = np.asarray(S.lasso(X, y, 0.1, tol=1e-14).fitted)
    for solver in ("cd", "fista"):
        out = S.lasso(Xd, y, 0.1, solver=solver, tol=1e-14, max_steps=200_000)
        np.testing.assert_allclose(np.asarray(out.fitted), base, atol=1e-6)


@given(seed=small)
def test_invariant_best_subset_dominates(seed):
    """Invariants 4 and 10: best subset's RSS <= OMP's at the same k, does not increase with k, and is
    unchanged (fitted values) by column rescaling."""
    X, y, _ = gaussian_problem(seed, n=15, d=9, k=2, sigma=1.0)
    rss = [float(S.best_subset(X, y, k).rss) for k in (1, 2, 3)]
    assert rss[0] >= rss[1] - 1e-10 and rss[1] >= rss[2] - 1e-10
    assert rss[1] <= float(S.omp(X, y, 2).rss) + 1e-10
    scale = np.random.default_rng(seed).uniform(0.1, 10, 9)
    np.testing.assert_allclose(np.asarray(S.best_subset(X * scale, y, 2).fitted),
                               np.asarray(S.best_subset(X, y, 2).fitted), atol=1e-9)


@given(seed=small)
def test_invariant_noiseless_ols(seed):
    """Invariant 11: noiseless, N >= d, full rank: OLS error 0."""
    X, _, w = gaussian_problem(seed, n=20, d=8, k=3)
    assert float(S.prediction_error(X, S.least_squares(X, X @ w), w)) < 1e-24


# ----------------------------------------------------------------------------- bad input
def test_bad_input():
    X, y, _ = gaussian_problem(50, n=10, d=5)
    with pytest.raises(ValueError, match="2-D"):
        S.lasso(X[0], y, 0.1)
    with pytest.raises(ValueError, match="one entry per row"):
        S.lasso(X, y[:-1], 0.1)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        S.lasso(Xn, y, 0.1)
    with pytest.raises(ValueError, match="alpha"):
        S.lasso(X, y, -1.0)
    with pytest.raises(ValueError, match="k"):
        S.omp(X, y, 0)
    with pytest.raises(ValueError, match="m` must divide"):
        S.make_design(jax.random.key(0), "equicorrelated_clusters", 10, 10, m=3, delta=0.1)
    with pytest.raises(ValueError, match="delta"):
        S.make_design(jax.random.key(0), "equicorrelated_clusters", 10, 10, m=5, delta=0.0)
    with pytest.raises(ValueError, match="sigma"):
        S.make_problem(jax.random.key(0), S.make_design(jax.random.key(0), "gaussian", 10, 5), 2, 0.0)
    with pytest.raises(ValueError, match="singular"):
        S.preconditioned_lasso(X, y, np.ones((5, 5)), alpha=0.1)
    with pytest.raises(ValueError, match="zero-norm"):
        S.find_preconditioner(np.hstack([X, np.zeros((10, 1))]))
    with warnings.catch_warnings():  # the float policy: float32 is promoted silently, with the same result
        warnings.simplefilter("error")
        f32 = S.lasso(X.astype(np.float32), y, 0.1, tol=1e-12)
    f64 = S.lasso(X.astype(np.float32).astype(np.float64), y, 0.1, tol=1e-12)
    assert f32.coef.dtype == jnp.float64 and np.array_equal(np.asarray(f32.coef), np.asarray(f64.coef))
    with pytest.raises(ValueError, match="clusters"):
        S.find_preconditioner(X, "clusters")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S.lasso(X, y, 0.1)  # clean input: no warnings


def test_lasso_vmaps_over_problems():
    rng = np.random.default_rng(60)
    Xs = jnp.asarray(rng.standard_normal((4, 30, 20)))
    ys = jnp.asarray(rng.standard_normal((4, 30)))
    out = jax.vmap(lambda X, y: S.lasso(X, y, 0.1, tol=1e-12))(Xs, ys)
    assert np.all(np.asarray(out.converged))
    for i in range(4):
        np.testing.assert_allclose(np.asarray(out.coef[i]), np.asarray(S.lasso(Xs[i], ys[i], 0.1, tol=1e-12).coef),
                                   atol=1e-12)


def test_least_squares_limit_flags_an_overflow():
    """Regression: lasso(alpha=0) reported converged=True with dual_gap=NaN when |y|^2 overflowed.
    Independent value: |y|^2 = inf in float64 for entries of 1e200, so no finite gap exists."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 5)), rng.normal(size=20)
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.sum((1e200 * y) ** 2))
    bad = S.lasso(X, 1e200 * y, 0.0)
    assert not bool(bad.converged) and int(bad.status) == 2 and "NONFINITE" in bad.message
    good = S.lasso(X, y, 0.0)
    assert bool(good.converged) and float(good.dual_gap) < 1e-12

"""theorylab.estimators.quantile: scores, monotone fixes, aggregators, LP, CQR, pooling, stacking.

Ground truths: scikit-learn (mean_pinball_loss, IsotonicRegression), MAPIE (CQR bounds),
statsmodels (QuantReg on Engel) and its published table, scipy (HiGHS LP, brentq), closed forms
(Bracher's WIS formula, normal quantiles), and Monte Carlo with stated tolerances.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import brentq
from scipy.stats import norm

import theorylab  # noqa: F401
from theorylab.estimators.quantile import (
    conformal_quantile,
    QuantileModel,
    AggregatorConfig,
    GaussianLinearModel,
    NearestNeighbourModel,
    PerLevelModel,
    adaptive_margin,
    aggregator_weights,
    apply_aggregator,
    conformal_rank,
    conformalize,
    coverage,
    cqr_offset,
    cqr_offsets,
    crossing_penalty,
    crossing_rate,
    crps_from_quantiles,
    fit_aggregator,
    fit_aggregator_lp,
    init_aggregator,
    interval_score,
    isotonic_projection,
    linear_pool_quantiles,
    monotonize,
    out_of_fold_predictions,
    pinball_loss,
    vincentize,
    weighted_interval_score,
)

TAUS19 = np.round(np.arange(0.05, 0.951, 0.05), 2)


def _pinball_sum(y, q, taus):
    return np.asarray(pinball_loss(y, q, taus, reduction="none")).sum(-1)


# ----------------------------------------------------------------------------- scores
def test_pinball_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    q = rng.normal(size=(500, 5))
    taus = np.array([0.1, 0.3, 0.5, 0.7, 0.95])
    ours = np.asarray(pinball_loss(y, q, taus, reduction="none")).mean(0)
    ref = [metrics.mean_pinball_loss(y, q[:, k], alpha=t) for k, t in enumerate(taus)]
    np.testing.assert_allclose(ours, ref, rtol=1e-13)
    assert float(pinball_loss(y, q, taus)) == pytest.approx(np.mean(ref), rel=1e-13)


def _bracher(y, q, taus):
    """Bracher et al. (2021) eq. 3 written directly from interval scores."""
    m = len(taus)
    K = m // 2
    total = np.zeros(len(y))
    for k in range(K):
        a = 2 * taus[k]
        lo, hi = q[:, k], q[:, m - 1 - k]
        total += a / 2 * ((hi - lo) + 2 / a * np.maximum(lo - y, 0) + 2 / a * np.maximum(y - hi, 0))
    if m % 2:
        return (total + 0.5 * np.abs(y - q[:, K])) / (K + 0.5)
    return total / K


@pytest.mark.parametrize("taus", [TAUS19, np.array([0.1, 0.25, 0.75, 0.9])])
def test_wis_normalizations(taus):
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    q = np.sort(rng.normal(size=(300, len(taus))), axis=1)
    wis = np.asarray(weighted_interval_score(y, q, taus, reduction="none"))
    np.testing.assert_allclose(wis, _bracher(y, q, taus), rtol=1e-12, atol=1e-14)
    total = np.asarray(weighted_interval_score(y, q, taus, normalization="sum", reduction="none"))
    mean_pb = np.asarray(weighted_interval_score(y, q, taus, normalization="mean_pinball", reduction="none"))
    np.testing.assert_allclose(total, wis * len(taus), rtol=1e-12)
    np.testing.assert_allclose(mean_pb, wis / 2, rtol=1e-12)


def test_scoringrules_bug_case_is_correct():
    # by hand from Bracher's WIS (docs/theory/quantile.md, before (Q3)): y = 1, median 0, interval [-1, 1.5] at alpha = .2 gives
    # (0.5 |1 - 0| + 0.1 * IS_0.2) / 1.5 = (0.5 + 0.1 * 2.5) / 1.5 = 0.5 (scoringrules' numpy path gave 0.1667)
    wis = weighted_interval_score(1.0, np.array([-1.0, 0.0, 1.5]), [0.1, 0.5, 0.9])
    direct = (0.5 * abs(1 - 0) + 0.1 * (2.5 + 0)) / 1.5
    assert float(wis) == pytest.approx(direct, abs=1e-15)
    assert direct == pytest.approx(0.5)


def test_interval_score_coverage_and_crossing():
    y = np.array([0.0, 2.0, -3.0])
    lo, hi = np.array([-1.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0])
    np.testing.assert_allclose(interval_score(y, lo, hi, 0.5, reduction="none"), [2.0, 2.0 + 4.0, 2.0 + 8.0])
    assert float(coverage(y, lo, hi)) == pytest.approx(1 / 3)
    with pytest.warns(RuntimeWarning, match="lower > upper"):
        interval_score(y, hi, lo, 0.5)
    q = np.array([[0.0, 1.0, 2.0], [0.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
    assert float(crossing_rate(q)) == pytest.approx(1 / 3)


def test_crps_from_quantiles_converges_to_closed_form():
    y = 0.3
    closed = y * (2 * norm.cdf(y) - 1) + 2 * norm.pdf(y) - 1 / np.sqrt(np.pi)
    # 2 * mean pinball at tau_k = k/(m+1): P3 of docs/theory/quantile.md (independent prototype figures)
    table = {3: 0.324830, 19: 0.281763, 99: 0.271952, 999: 0.269601}
    errors = []
    for m, value in table.items():
        taus = np.arange(1, m + 1) / (m + 1)
        got = float(crps_from_quantiles(y, norm.ppf(taus), taus))
        assert got == pytest.approx(value, abs=1e-6)
        errors.append(got - closed)
    assert all(e > 0 for e in errors) and errors == sorted(errors, reverse=True)
    assert errors[-1] < 3e-4


# ----------------------------------------------------------------------------- monotone fixes
@pytest.mark.parametrize("differentiable", [False, True])
def test_isotonic_matches_sklearn(differentiable):
    isotonic = pytest.importorskip("sklearn.isotonic")
    rng = np.random.default_rng(2)
    q = rng.normal(size=(200, 19)).cumsum(1) * 0.2 + rng.normal(size=(200, 19))
    x = np.arange(19)
    ref = np.stack([isotonic.IsotonicRegression().fit_transform(x, r) for r in q])
    got = np.asarray(isotonic_projection(q, differentiable=differentiable, batch_size=64))
    np.testing.assert_allclose(got, ref, atol=1e-12)


def test_isotonic_other_axis_and_gradient():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(7, 11, 5))
    a = np.asarray(isotonic_projection(q, axis=1))
    b = np.moveaxis(np.asarray(isotonic_projection(np.moveaxis(q, 1, -1))), -1, 1)
    np.testing.assert_allclose(a, b, atol=1e-14)
    # the max-min path is reverse-differentiable: d(sum of iso)/dq = 1 everywhere (sum preserved)
    g = jax.grad(lambda v: jnp.sum(isotonic_projection(v, differentiable=True)))(jnp.asarray(q[0]))
    np.testing.assert_allclose(g, 1.0, atol=1e-12)


def test_crossing_penalty():
    q = jnp.array([[0.0, 1.0, 2.0], [0.0, 2.0, 1.0]])
    # row 2 has one violated pair (l=1, k=2) of size 1; mean over 2 rows and 3 pairs
    assert float(crossing_penalty(q)) == pytest.approx(1.0 / 2 / 3)
    assert float(crossing_penalty(q[:1], margin=0.5)) == 0.0
    assert float(crossing_penalty(q[:1], margin=1.5)) == pytest.approx((0.5 + 0.5 + 0.0) / 3)
    g = jax.grad(lambda v: crossing_penalty(v))(q)
    assert np.all(np.isfinite(g))
    r = np.random.default_rng(11).standard_t(3, size=500)
    taus = np.array([0.1, 0.5, 0.9])
    qr = np.quantile(r, taus)
    np.testing.assert_allclose(np.asarray(adaptive_margin(r, taus, scale=2.0)),
                               2.0 * np.maximum(qr[None, :] - qr[:, None], 0.0), atol=1e-12)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def quantile_case(draw):
    m = draw(st.integers(1, 9))
    taus = np.sort(draw(hnp.arrays(float, m, elements=st.floats(0.01, 0.99), unique=True)))
    q = draw(hnp.arrays(float, (draw(st.integers(1, 6)), m), elements=finite))
    y = draw(hnp.arrays(float, q.shape[0], elements=finite))
    return taus, q, y


@settings(deadline=None, max_examples=60)
@given(quantile_case(), st.sampled_from(["sort", "isotonic"]))
def test_monotone_fix_properties(case, method):
    taus, q, y = case
    out = np.asarray(monotonize(q, method))
    assert np.all(np.diff(out, axis=1) >= -1e-9 * (1 + np.abs(out[:, 1:])))
    again = np.asarray(monotonize(out, method))
    np.testing.assert_allclose(again, out, atol=1e-9 * (1 + np.abs(out).max()))
    scale = 1 + np.abs(q).max() + np.abs(y).max()
    assert np.all(_pinball_sum(y, out, taus) <= _pinball_sum(y, q, taus) + 1e-9 * scale)
    if method == "isotonic":
        np.testing.assert_allclose(out.sum(1), q.sum(1), atol=1e-9 * scale * q.shape[1])
    else:
        np.testing.assert_array_equal(np.sort(out, axis=1), np.sort(q, axis=1))


@settings(deadline=None, max_examples=40)
@given(hnp.arrays(float, (3, 6), elements=finite), st.sampled_from(["sort", "isotonic", "minmax"]))
def test_monotone_input_unchanged(q, method):
    q = np.sort(q, axis=1)
    np.testing.assert_allclose(np.asarray(monotonize(q, method)), q, atol=1e-9 * (1 + np.abs(q).max()))


@settings(deadline=None, max_examples=60)
@given(quantile_case(), st.floats(0.0, 100.0), st.floats(-100.0, 100.0))
def test_pinball_homogeneity_and_wis_translation(case, c, shift):
    taus, q, y = case
    base = np.asarray(pinball_loss(y, q, taus, reduction="none"))
    assert np.all(base >= 0)
    np.testing.assert_allclose(np.asarray(pinball_loss(c * y, c * q, taus, reduction="none")), c * base,
                               rtol=1e-9, atol=1e-9 * (1 + c) * (1 + np.abs(q).max() + np.abs(y).max()))
    low = np.unique(np.round(taus[taus < 0.5], 6))  # distinct lower levels: 1 - low stays strictly increasing
    sym = np.concatenate([low, 1 - low[::-1]])
    if sym.size:
        qs = np.sort(np.resize(q, (q.shape[0], sym.size)), axis=1)
        w0 = np.asarray(weighted_interval_score(y, qs, sym, reduction="none"))
        w1 = np.asarray(weighted_interval_score(y + shift, qs + shift, sym, reduction="none"))
        np.testing.assert_allclose(w1, w0, atol=1e-8 * (1 + np.abs(qs).max() + abs(shift) + np.abs(y).max()))


# ----------------------------------------------------------------------------- aggregators
def _synthetic_stack(n=221, p=5, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    spread = np.linspace(-1.5, 1.5, len(TAUS19))
    noise = np.array([0.3, 0.5, 0.8, 1.0, 1.2])[:p]
    tilt = np.array([1.0, 0.7, 1.3, 1.0, 0.9])[:p]
    Z = truth[:, None, None] + rng.normal(size=(n, p, 1)) * noise[None, :, None] + spread * tilt[None, :, None]
    y = truth + 0.8 * rng.normal(size=n)
    return Z, y


@pytest.mark.parametrize("granularity", ["coarse", "medium"])
def test_adam_fit_reaches_lp_optimum(granularity):
    Z, y = _synthetic_stack()
    lp = fit_aggregator_lp(Z, y, TAUS19, granularity)
    assert lp.converged
    fit = fit_aggregator(jax.random.key(0), Z, y, TAUS19, AggregatorConfig(granularity), steps=3000)
    # the LP is optimal: the gradient fit can only be above it, and must be within 1e-4 relative (issue target)
    assert fit.final_loss >= lp.objective - 1e-12
    assert (fit.final_loss - lp.objective) / lp.objective < 1e-4
    np.testing.assert_allclose(float(pinball_loss(y, lp.predict(Z), TAUS19)), lp.objective, rtol=1e-9)


def test_engel_lp_matches_statsmodels_and_published_table():
    sm = pytest.importorskip("statsmodels.api")
    from theorylab.estimators.quantile.datasets import load_engel

    X, y, _ = load_engel()
    taus = np.array([0.25, 0.5, 0.75])
    Z = np.repeat(X[:, :, None], 3, axis=2)
    fit = fit_aggregator_lp(Z, y, taus, "medium", intercept=True, nonneg=False, unit_sum=False)
    for k, t in enumerate(taus):
        ref = sm.QuantReg(y, sm.add_constant(X)).fit(q=t)
        np.testing.assert_allclose([fit.intercept[k], fit.weights[0, k]], ref.params, rtol=1e-4)
    # statsmodels' test table (regression/tests/results/results_quantile_regression.py), tau = .5
    assert fit.intercept[1] == pytest.approx(81.48233, abs=1e-4)
    assert fit.weights[0, 1] == pytest.approx(0.5601805, abs=1e-6)


def test_fine_and_local_fits_improve_on_equal_weights():
    Z, y = _synthetic_stack(seed=4)
    equal = float(pinball_loss(y, Z.mean(1), TAUS19))
    fine = fit_aggregator(jax.random.key(0), Z, y, TAUS19, AggregatorConfig("fine"), steps=800)
    assert fine.final_loss < equal
    w = np.asarray(fine.weights())
    assert w.shape == (19, 5, 19)
    np.testing.assert_allclose(w.sum(axis=(1, 2)), 1.0, atol=1e-12)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(Z.shape[0], 3))
    cfg = AggregatorConfig("medium", local=True, hidden=(8,))
    init = init_aggregator(jax.random.key(0), cfg, 5, 19, 3)
    # a local aggregator starts at equal weights
    np.testing.assert_allclose(np.asarray(apply_aggregator(init, cfg, Z, x)), Z.mean(1), atol=1e-12)
    local = fit_aggregator(jax.random.key(1), Z, y, TAUS19, cfg, x=x, steps=300, batch_size=64,
                           valid=(Z[:50], y[:50], x[:50]))
    assert local.final_loss < equal
    assert 1 <= local.best_step <= 300
    dqa = AggregatorConfig("fine", local=True, hidden=(8, 8))  # DQA = local-fine
    params = init_aggregator(jax.random.key(2), dqa, 5, 19, 3)
    w = np.asarray(aggregator_weights(params, dqa, 5, 19, x[:4]))
    assert w.shape == (4, 19, 5, 19)
    np.testing.assert_allclose(w.sum(axis=(2, 3)), 1.0, atol=1e-12)
    # at initialisation each output level puts 95% of its mass on its own input level
    np.testing.assert_allclose(np.einsum("nkpk->nk", w), 0.95, atol=1e-12)
    assert float(local.valid_loss[local.best_step - 1]) == pytest.approx(float(np.min(local.valid_loss)))


def test_crossing_penalty_in_training_reduces_crossings():
    Z, y = _synthetic_stack(seed=9)
    Z = Z + 0.4 * np.random.default_rng(10).normal(size=Z.shape)  # members that cross
    cfg = AggregatorConfig("fine")
    plain = fit_aggregator(jax.random.key(0), Z, y, TAUS19, cfg, steps=600)
    penalised = fit_aggregator(jax.random.key(0), Z, y, TAUS19, cfg, steps=600, crossing_weight=10.0, margin=1e-3)
    before = float(crossing_penalty(plain.predict(Z)))
    after = float(crossing_penalty(penalised.predict(Z)))
    assert before > 0 and after < 0.5 * before


@settings(deadline=None, max_examples=30)
@given(st.integers(0, 10_000), st.sampled_from(["coarse", "medium"]))
def test_simplex_aggregator_properties(seed, granularity):
    rng = np.random.default_rng(seed)
    n, p, m = 6, 4, 5
    Z = np.sort(rng.normal(size=(n, p, m)), axis=2)
    cfg = AggregatorConfig(granularity)
    params = {"logits": jnp.asarray(rng.normal(size=(p,) if granularity == "coarse" else (p, m)))}
    q = np.asarray(apply_aggregator(params, cfg, Z))
    assert np.all(q >= Z.min(1) - 1e-12) and np.all(q <= Z.max(1) + 1e-12)
    perm = rng.permutation(p)
    permuted = {"logits": params["logits"][perm]}
    np.testing.assert_allclose(np.asarray(apply_aggregator(permuted, cfg, Z[:, perm])), q, atol=1e-12)
    same = np.repeat(Z[:, :1], p, axis=1)
    np.testing.assert_allclose(np.asarray(apply_aggregator(params, cfg, same)), Z[:, 0], atol=1e-12)
    if granularity == "coarse":
        assert np.all(np.diff(q, axis=1) >= -1e-12)


# ----------------------------------------------------------------------------- conformal
def test_cqr_bounds_identical_to_mapie():
    mapie = pytest.importorskip("mapie.regression")
    linear = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(6)
    X = rng.normal(size=(600, 2))
    y = X[:, 0] + rng.normal(size=600) * (1 + np.abs(X[:, 1]))
    Xtr, ytr, Xc, yc, Xt = X[:200], y[:200], X[200:400], y[200:400], X[400:]
    for alpha in (0.1, 0.2, 0.37):
        ests = [linear.QuantileRegressor(quantile=t, alpha=0.0, solver="highs").fit(Xtr, ytr)
                for t in (alpha / 2, 1 - alpha / 2, 0.5)]
        for symmetric in (True, False):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg = mapie.ConformalizedQuantileRegressor(ests, confidence_level=1 - alpha, prefit=True)
                reg.conformalize(Xc, yc)
                _, bounds = reg.predict_interval(Xt, symmetric_correction=symmetric)
            lo, hi = cqr_offset(yc, ests[0].predict(Xc), ests[1].predict(Xc), alpha,
                                correction="symmetric" if symmetric else "asymmetric")
            np.testing.assert_array_equal(ests[0].predict(Xt) - float(lo), bounds[:, 0, 0])
            np.testing.assert_array_equal(ests[1].predict(Xt) + float(hi), bounds[:, 1, 0])


def test_conformal_rank_and_infinite_offset():
    assert conformal_rank(9, 0.1) == 9  # (1 - 0.1) * 10 = 9 exactly, not 9 + 1 ulp
    assert conformal_rank(10, 0.1) == 10
    assert conformal_rank(8, 0.1) == 9  # > n
    y = np.zeros(8)
    lo, hi = cqr_offset(y, -np.ones(8), np.ones(8), 0.1)
    assert np.isinf(float(lo)) and np.isinf(float(hi))


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 60), st.floats(0.02, 0.98), st.floats(-50, 50), st.integers(0, 10_000))
def test_cqr_offset_is_order_statistic_and_translation_equivariant(n, alpha, shift, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    lo, hi = -np.abs(rng.normal(size=n)), np.abs(rng.normal(size=n))
    off, _ = cqr_offset(y, lo, hi, alpha)
    r = int(np.ceil((1 - alpha) * (n + 1) - 1e-9))
    scores = np.sort(np.maximum(lo - y, y - hi))
    expected = scores[r - 1] if r <= n else np.inf
    assert float(off) == expected
    off2, _ = cqr_offset(y + shift, lo + shift, hi + shift, alpha)
    if np.isfinite(expected):
        assert float(off2) == pytest.approx(expected, abs=1e-9 * (1 + abs(shift)))


def test_cqr_marginal_coverage_monte_carlo():
    """Exchangeable heteroscedastic data, a deliberately mis-scaled quantile model: average coverage
    over 2000 calibration/test draws lies in [1 - a - 4 SE, 1 - a + 1/(n+1) + 4 SE]."""
    rng = np.random.default_rng(7)
    n_cal, n_test, reps = 50, 200, 2000
    taus = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    covs = {0.1: [], 0.5: []}
    for _ in range(reps):
        x = rng.uniform(-1, 1, size=n_cal + n_test)
        y = x + (0.5 + np.abs(x)) * rng.standard_t(5, size=x.size)
        q = x[:, None] + 0.6 * norm.ppf(taus)[None, :]  # too narrow and blind to the heteroscedasticity
        off = cqr_offsets(y[:n_cal], q[:n_cal], taus)
        adj = np.asarray(conformalize(q[n_cal:], off, taus))
        covs[0.1].append(np.mean((y[n_cal:] >= adj[:, 0]) & (y[n_cal:] <= adj[:, 4])))
        covs[0.5].append(np.mean((y[n_cal:] >= adj[:, 1]) & (y[n_cal:] <= adj[:, 3])))
    for alpha, c in covs.items():
        c = np.asarray(c)
        se = c.std(ddof=1) / np.sqrt(reps)
        assert 1 - alpha - 4 * se <= c.mean() <= 1 - alpha + 1 / (n_cal + 1) + 4 * se


# ----------------------------------------------------------------------------- pooling
def test_vincentize_and_linear_pool():
    numpyro_dist = pytest.importorskip("numpyro.distributions")
    taus = np.array([0.025, 0.25, 0.5, 0.75, 0.975])
    q = np.stack([norm.ppf(taus, 0, 1), norm.ppf(taus, 2, 3)], axis=0)
    np.testing.assert_allclose(np.asarray(vincentize(q, axis=0)), norm.ppf(taus, 1, 2), atol=1e-12)
    pool = np.asarray(linear_pool_quantiles([numpyro_dist.Normal(0.0, 1.0), numpyro_dist.Normal(2.0, 3.0)], taus))
    ref = [brentq(lambda z, t=t: 0.5 * norm.cdf(z) + 0.5 * norm.cdf(z, 2, 3) - t, -20, 20, xtol=1e-14) for t in taus]
    np.testing.assert_allclose(pool, ref, atol=1e-10)
    np.testing.assert_allclose(pool, [-2.977347, -0.524499, 0.5, 2.126006, 6.934561], atol=1e-6)  # P7 of docs/theory/quantile.md: roots of the mixture CDF by an independent prototype


def test_conformal_quantile_takes_the_miscoverage():
    """alpha is the miscoverage everywhere in the conformal code. Independent value: the split
    conformal rule (Lei et al. 2018) takes the ceil((1 - alpha)(n + 1))-th smallest of n scores:
    with scores 1..19 and alpha = 0.1 that is the 18th."""
    scores = np.arange(1.0, 20.0)[::-1]
    assert float(conformal_quantile(scores, 0.1)) == 18.0
    assert float(conformal_quantile(scores, 0.5)) == 10.0


# ----------------------------------------------------------------------------- stacking
def test_out_of_fold_predictions_and_models():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(120, 2))
    y = X @ np.array([1.0, -2.0]) + rng.normal(size=120)
    taus = np.array([0.1, 0.5, 0.9])
    g = GaussianLinearModel(taus).fit(X, y)
    np.testing.assert_allclose(g.coef, np.linalg.lstsq(np.column_stack([np.ones(120), X]), y, rcond=None)[0])
    Z = out_of_fold_predictions(jax.random.key(0), {"gauss": GaussianLinearModel(taus),
                                                     "knn": NearestNeighbourModel(taus, k=10)}, X, y, 3, n_splits=4)
    assert Z.shape == (120, 2, 3) and np.all(np.isfinite(Z))
    # row 0's out-of-fold prediction comes from a model trained without it
    folds = np.array_split(np.asarray(jax.random.permutation(jax.random.key(0), 120)), 4)
    held = next(f for f in folds if 0 in f)
    train = np.setdiff1d(np.arange(120), held)
    np.testing.assert_allclose(Z[0, 0], GaussianLinearModel(taus).fit(X[train], y[train]).predict(X[:1])[0])
    linear = pytest.importorskip("sklearn.linear_model")
    unfitted = PerLevelModel(lambda t: linear.QuantileRegressor(quantile=t, alpha=0.0, solver="highs"), taus)
    qr = unfitted.fit(X, y)
    assert qr.predict(X[:5]).shape == (5, 3)
    with pytest.raises(ValueError, match="not fitted"):
        unfitted.predict(X[:5])  # fit returns a fitted copy; the configuration stays as it was
    for model in (unfitted, g, NearestNeighbourModel(taus)):
        assert isinstance(model, QuantileModel)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: pinball_loss([0.0], [[0.0, 1.0]], [0.5, 0.4]), "strictly increasing"),
        (lambda: pinball_loss([0.0], [[0.0, 1.0]], [0.0, 0.4]), r"inside \(0, 1\)"),
        (lambda: pinball_loss([0.0], [[0.0, 1.0, 2.0]], [0.2, 0.4]), "3 quantiles"),
        (lambda: pinball_loss([np.nan], [[0.0, 1.0]], [0.2, 0.4]), "must be finite"),
        (lambda: pinball_loss([0.0, 1.0, 2.0], [[0.0, 1.0]] * 2, [0.2, 0.4]), "does not match"),
        (lambda: weighted_interval_score([0.0], [[0.0, 1.0]], [0.2, 0.7]), "symmetric"),
        (lambda: interval_score([0.0], [0.0], [1.0], 1.5), "alpha"),
        (lambda: cqr_offset([], [], [], 0.1), "empty"),
        (lambda: monotonize([[0.0, 1.0]], "median"), "method"),
        (lambda: fit_aggregator(jax.random.key(0), np.zeros((4, 2, 2)), np.zeros(4), [0.2, 0.8], AggregatorConfig(local=True)),
         "needs the features"),
        (lambda: vincentize(np.zeros((2, 3)), [0.7, 0.7], axis=0), "sum to 1"),
        (lambda: AggregatorConfig("ultra"), "granularity"),
        (lambda: fit_aggregator_lp(np.zeros((4, 2, 3)), np.zeros(4), [0.2, 0.8]), "2 levels"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_nan_policy_propagate():
    out = pinball_loss([np.nan], [[0.0, 1.0]], [0.2, 0.4], nan_policy="propagate")
    assert np.isnan(float(out))

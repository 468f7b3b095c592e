"""Weighted tallying bandits: environment, policies, REO, exact OPT, complete policy regret.

Expected values come from independent sources: plain-Python re-implementations of the tally and
of the policies written from their definitions, brute-force enumeration of action sequences,
closed forms (constant-policy costs, the REO bounds), the numbers of P5 in docs/theory/bandits.md (computed by
a separate prototype), and Monte Carlo with stated tolerances.
"""

from __future__ import annotations

import itertools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import theorylab.bandits as wtb
from theorylab.numerics import fit_line, fit_power_law

W5 = [1.0, 0.8, 0.6, 0.4, 0.2]


def threshold_env(**kw):
    return wtb.TallyingBandit(W5, wtb.ThresholdLoss([1.0, 0.45, 0.5, 0.55], [0.1, 0.45, 0.5, 0.55]), **kw)


def python_tally(actions, weights):
    """tau_t(a_t) = sum_j w_j 1[a_{t-j} = a_t], plays before t = 1 count as none."""
    out = []
    for t, a in enumerate(actions):
        out.append(sum(w for j, w in enumerate(weights) if t - j >= 0 and actions[t - j] == a))
    return np.array(out)


# ------------------------------------------------------------------------------ environment


def test_tallies_and_losses_match_a_python_reference():
    rng = np.random.default_rng(1)
    actions = rng.integers(0, 3, size=60)
    weights = [1.0, 0.7, 0.3, 0.1]
    env = wtb.TallyingBandit(weights, wtb.LinearLoss([0.2, 0.5, 0.9], [0.6, -0.3, -0.8]), noise="none")
    traj = wtb.simulate(jax.random.PRNGKey(0), env, wtb.FixedSequence(3, actions), 60)
    ref_tally = python_tally(list(actions), weights)
    np.testing.assert_array_equal(np.asarray(traj.actions), actions)
    np.testing.assert_allclose(np.asarray(traj.tallies), ref_tally, rtol=0, atol=1e-14)
    c = np.array([0.2, 0.5, 0.9])
    s = np.array([0.6, -0.3, -0.8])
    np.testing.assert_allclose(np.asarray(traj.mean_losses), c[actions] + s[actions] * ref_tally / sum(weights), atol=1e-14)
    np.testing.assert_array_equal(np.asarray(traj.losses), np.asarray(traj.mean_losses))  # noise = none


@given(
    weights=st.lists(st.floats(0.0, 2.0), min_size=1, max_size=6).filter(lambda w: sum(w) > 0.01),
    actions=st.lists(st.integers(0, 2), min_size=1, max_size=25),
)
def test_tally_bounds_and_sum_identity(weights, actions):
    """0 <= tau <= W, the played arm's tally >= w_0, and sum over arms of the would-be tallies
    equals K w_0 + sum_{1 <= j < min(t, m)} w_j at every step."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # increasing weights are allowed
        env = wtb.TallyingBandit(weights, wtb.LinearLoss([0.5, 0.5, 0.5], [0.0, 0.0, 0.0]), noise="none")
    W = sum(weights)
    state = env.init()
    for t, a in enumerate(actions):
        all_tallies = np.asarray(env.all_tallies(state.history))
        expected_sum = 3 * weights[0] + sum(weights[1 : min(t + 1, len(weights))])
        assert abs(all_tallies.sum() - expected_sum) <= 1e-12 * max(1.0, W)
        state, out = env.step(jax.random.PRNGKey(t), state, a)
        tau = float(out.tally)
        assert weights[0] - 1e-12 <= tau <= W + 1e-12
        assert abs(tau - all_tallies[a]) <= 1e-12
    assert int(state.t) == len(actions)


def test_bernoulli_and_gaussian_noise_have_the_right_moments():
    n = 20000
    for noise, var in (("bernoulli", 0.1 * 0.9), ("gaussian", 0.3**2)):
        env = wtb.TallyingBandit([1.0], wtb.LinearLoss([0.0], [0.1]), noise=noise, noise_scale=0.3)  # f = 0.1 always
        traj = wtb.simulate(jax.random.PRNGKey(3), env, wtb.FixedSequence(1, [0]), n)
        obs = np.asarray(traj.losses)
        assert abs(obs.mean() - 0.1) < 5 * math.sqrt(var / n)
        assert abs(obs.var() - var) < 0.05 * var


def test_loss_models():
    tab = wtb.TabulatedLoss([0.0, 0.5, 1.0], [[1.0, 0.5, 0.0], [0.2, 0.2, 0.8]])
    np.testing.assert_allclose(np.asarray(tab(jnp.array([0, 0, 1, 1]), jnp.array([0.25, 1.0, 0.75, 0.1]))),
                               [0.75, 0.0, 0.5, 0.2], atol=1e-15)
    thr = wtb.ThresholdLoss([1.0, 0.3], [0.1, 0.3], threshold=[1.0, 0.5])
    np.testing.assert_allclose(np.asarray(thr(jnp.array([0, 0, 1]), jnp.array([1.0 - 1e-13, 0.99, 0.6]))), [0.1, 1.0, 0.3])
    fn = wtb.CallableLoss(lambda a, x: 0.5 + 0.1 * a - 0.2 * x, 3)
    env = wtb.TallyingBandit([1.0, 1.0], fn)
    assert env.num_arms == 3
    np.testing.assert_allclose(float(env.mean_loss(2, 1.0)), 0.5 + 0.2 - 0.1)


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "weights, match",
    [([], "at least one"), ([1.0, -0.1], ">= 0"), ([1.0, float("nan")], "finite"), ([0.0, 0.0], "all be zero"),
     ([[1.0]], "1 dimension")],
)
def test_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        wtb.TallyingBandit(weights, wtb.LinearLoss([0.5], [0.0]))


def test_other_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 1\] under Bernoulli"):
        wtb.TallyingBandit([1.0, 0.5], wtb.LinearLoss([0.9, 0.5], [0.3, 0.0]))
    wtb.TallyingBandit([1.0, 0.5], wtb.LinearLoss([0.9, 0.5], [0.3, 0.0]), noise="gaussian")  # fine
    with pytest.warns(UserWarning, match="increase with the lag"):
        wtb.TallyingBandit([0.5, 1.0], wtb.LinearLoss([0.5], [0.0]))
    with pytest.raises(ValueError, match="noise"):
        wtb.TallyingBandit([1.0], wtb.LinearLoss([0.5], [0.0]), noise="poisson")
    with pytest.raises(TypeError, match="LossModel"):
        wtb.TallyingBandit([1.0], lambda a, x: x)
    with pytest.raises(ValueError, match="at least one arm"):
        wtb.LinearLoss([], [])
    with pytest.raises(ValueError, match="num_arms"):
        wtb.UCB1(0)
    with pytest.raises(ValueError, match=r"warmup \(M\)"):
        wtb.se_wtb(4, 1000, 0)
    with pytest.raises(ValueError, match="horizon"):
        wtb.EXP3(4, 0)
    env = threshold_env()
    with pytest.raises(ValueError, match="built for 3 arms"):
        wtb.simulate(jax.random.PRNGKey(0), env, wtb.UCB1(3), 10)
    with pytest.raises(ValueError, match="horizon"):
        wtb.simulate(jax.random.PRNGKey(0), env, wtb.UCB1(4), 0)
    with pytest.warns(UserWarning, match="M < m"):
        wtb.simulate(jax.random.PRNGKey(0), env, wtb.se_wtb(4, 100, 3), 100)
    boredom = wtb.TallyingBandit([1.0, 0.5, 0.25], wtb.LinearLoss([0.2, 0.3], [0.6, 0.5]))
    with pytest.warns(UserWarning, match="repeated exposure optimality fails"):
        wtb.simulate(jax.random.PRNGKey(0), boredom, wtb.se_wtb(2, 100, 3), 100)
    with pytest.raises(ValueError, match="max_states"):
        wtb.optimal_costs(wtb.TallyingBandit(np.ones(12), wtb.LinearLoss([0.5] * 4, [0.0] * 4)), 5)
    with pytest.raises(ValueError, match="max_count"):
        wtb.check_reo(wtb.TallyingBandit(np.ones(30), wtb.LinearLoss([0.5, 0.4], [0.0, 0.0])))
    with pytest.raises(ValueError, match="repeated exposure optimality"):
        wtb.complete_policy_regret(jnp.ones(5), boredom, benchmark="reo")
    with pytest.raises(ValueError, match="`actions` must lie"):
        wtb.FixedSequence(2, [0, 2])


# ------------------------------------------------------------------------------ REO and OPT


def test_reo_on_the_spec_instances():
    reo = wtb.check_reo(threshold_env())
    assert reo.holds and reo.best_arm == 0 and reo.f_star == pytest.approx(0.1) and reo.margin == pytest.approx(0.35)
    boredom = wtb.TallyingBandit([1.0, 0.5, 0.25], wtb.LinearLoss([0.2, 0.3], [0.6, 0.5]))
    res = wtb.check_reo(boredom)
    # f_0(w_0) = 0.2 + 0.6 / 1.75 = 0.542857 undercuts f*(W) = 0.8 by 0.257143
    assert not res.holds and res.f_star == pytest.approx(0.8) and res.margin == pytest.approx(0.2 + 0.6 / 1.75 - 0.8)


def test_exact_opt_matches_spec_numbers_and_brute_force():
    """P5 of docs/theory/bandits.md (independent prototype): OPT_6, OPT_10, OPT_12 = 1.6, 2.4, 2.8 on the REO
    instance; OPT_10 = 6.257143 and OPT_200 / 200 = 0.642 on the boredom instance."""
    w = [1.0, 0.5, 0.25]
    reo = wtb.TallyingBandit(w, wtb.LinearLoss([0.9, 0.45], [-0.7, 0.0]))
    bor = wtb.TallyingBandit(w, wtb.LinearLoss([0.2, 0.3], [0.6, 0.5]))
    opt_reo = np.asarray(wtb.optimal_costs(reo, 200))
    opt_bor = np.asarray(wtb.optimal_costs(bor, 200))
    np.testing.assert_allclose(opt_reo[[5, 9, 11]], [1.6, 2.4, 2.8], atol=1e-12)
    assert opt_bor[9] == pytest.approx(6.257143, abs=5e-7)
    assert opt_bor[-1] / 200 == pytest.approx(0.642, abs=5e-4)
    assert opt_reo[-1] - 200 * 0.2 == pytest.approx(0.4, abs=1e-12)
    for T in (6, 10, 12):
        assert opt_bor[T - 1] == pytest.approx(wtb.optimal_cost_brute_force(bor, T), abs=1e-12)


@st.composite
def small_instances(draw, max_arms=3, max_memory=3):
    K = draw(st.integers(1, max_arms))
    m = draw(st.integers(1, max_memory))
    weights = draw(st.lists(st.floats(0.05, 1.0), min_size=m, max_size=m))
    c = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=K, max_size=K)))
    s = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=K, max_size=K))) * np.minimum(c, 1 - c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return wtb.TallyingBandit(weights, wtb.LinearLoss(c, s))


@given(env=small_instances(), T=st.integers(1, 7))
def test_dp_equals_brute_force(env, T):
    opt = np.asarray(wtb.optimal_costs(env, T))
    for t in range(1, T + 1):
        assert opt[t - 1] == pytest.approx(wtb.optimal_cost_brute_force(env, t), abs=1e-12)


@given(env=small_instances(max_arms=3, max_memory=4))
def test_opt_bounds_and_monotonicity(env):
    T = 30
    opt = np.asarray(wtb.optimal_costs(env, T))
    assert np.all(np.diff(opt) >= -1e-12)  # losses are >= 0
    const = np.asarray(wtb.constant_policy_costs(env, T))
    assert opt[-1] <= const.min() + 1e-12  # OPT beats every constant policy
    taus = wtb.feasible_tallies(np.asarray(env.weights))
    values = np.asarray(env.mean_loss(jnp.repeat(jnp.arange(env.num_arms), taus.size), jnp.tile(jnp.asarray(taus), env.num_arms)))
    assert opt[-1] >= T * values.min() - 1e-12
    reo = wtb.check_reo(env)
    if reo.holds:
        t = np.arange(1, T + 1)
        assert np.all(opt >= t * reo.f_star - 1e-12)
        assert np.all(opt <= t * reo.f_star + (env.memory - 1) * values.max() + 1e-12)


def test_constant_policy_costs_closed_form():
    env = wtb.TallyingBandit([1.0, 0.5, 0.25], wtb.LinearLoss([0.9, 0.45], [-0.7, 0.0]))
    W = 1.75
    f0 = lambda tau: 0.9 - 0.7 * tau / W  # noqa: E731
    expected0 = f0(1.0) + f0(1.5) + f0(1.75) * 8
    np.testing.assert_allclose(np.asarray(wtb.constant_policy_costs(env, 10)), [expected0, 4.5], atol=1e-12)
    traj = wtb.simulate(jax.random.PRNGKey(0), env, wtb.FixedSequence(2, [0]), 10)
    assert float(traj.mean_losses.sum()) == pytest.approx(expected0, abs=1e-12)


def test_relabelling_arms_leaves_opt_unchanged():
    w = [1.0, 0.6, 0.3]
    c, s = np.array([0.9, 0.45, 0.3]), np.array([-0.7, 0.0, 0.4])
    perm = np.array([2, 0, 1])
    a = wtb.optimal_costs(wtb.TallyingBandit(w, wtb.LinearLoss(c, s)), 40)
    b = wtb.optimal_costs(wtb.TallyingBandit(w, wtb.LinearLoss(c[perm], s[perm])), 40)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-12)


# ------------------------------------------------------------------------------ regret


def test_cpr_equals_pseudo_regret_without_memory():
    """With m = 1 the loss does not react, OPT_T = T min_a f_a and CPR is the pseudo-regret."""
    env = wtb.TallyingBandit([1.0], wtb.LinearLoss([0.3, 0.5, 0.6], [0.0, 0.0, 0.0]))
    traj = wtb.simulate(jax.random.PRNGKey(5), env, wtb.UCB1(3), 3000)
    counts = np.bincount(np.asarray(traj.actions), minlength=3)
    pseudo = counts @ np.array([0.0, 0.2, 0.3])
    for bench in ("exact", "reo"):
        cpr = float(wtb.complete_policy_regret(traj.mean_losses, env, benchmark=bench, cumulative=False))
        assert cpr == pytest.approx(pseudo, abs=1e-9)


@given(env=small_instances(max_arms=3, max_memory=3), seed=st.integers(0, 2**16))
def test_cpr_against_exact_opt_is_nonnegative(env, seed):
    traj = wtb.simulate(jax.random.PRNGKey(seed), env, wtb.EpsilonGreedy(env.num_arms, epsilon=0.3), 60)
    curve = np.asarray(wtb.complete_policy_regret(traj.mean_losses, env, benchmark="exact"))
    assert np.all(curve >= -1e-12)


def test_reo_benchmark_overstates_exact_regret_by_at_most_o_m():
    env = threshold_env()
    traj = wtb.simulate(jax.random.PRNGKey(0), env, wtb.UCB1(4), 400)
    exact = np.asarray(wtb.complete_policy_regret(traj.mean_losses, env, benchmark="exact"))
    reo = np.asarray(wtb.complete_policy_regret(traj.mean_losses, env, benchmark="reo"))
    gap = exact - reo  # = t f* - OPT_t + ... = t f* ... in [-(m-1) max f, 0]
    assert np.all(gap <= 1e-12) and np.all(gap >= -(env.memory - 1) * 1.0 - 1e-12)


# ------------------------------------------------------------------------------ policies vs references


def python_ucb1(means_fn, K, T):
    """UCB1 on losses from its definition, noiseless: returns the actions."""
    sums, counts, hist, acts = np.zeros(K), np.zeros(K), [], []
    for t in range(T):
        if np.any(counts == 0):
            a = int(np.argmax(counts == 0))
        else:
            a = int(np.argmin(sums / counts - np.sqrt(2 * np.log(t) / counts)))
        loss = means_fn(hist, a)
        sums[a] += loss
        counts[a] += 1
        hist.append(a)
        acts.append(a)
    return np.array(acts)


def python_se_wtb(means_fn, K, T, M, delta, s=0.5):
    """The documented SE-WTB schedule, noiseless, as a plain loop over blocks."""
    level = math.log(2 * K * T * max(math.log2(T), 1.0) / delta)
    active, sums, counts, hist, phase = list(range(K)), np.zeros(K), np.zeros(K), [], 0
    while len(hist) < T:
        for a in list(active):
            for pos in range(M + 2**phase):
                if len(hist) == T:
                    break
                loss = means_fn(hist, a)
                if pos >= M:
                    sums[a] += loss
                    counts[a] += 1
                hist.append(a)
        mean = sums / np.maximum(counts, 1)
        rad = np.where(counts > 0, s * np.sqrt(2 * level / np.maximum(counts, 1)), np.inf)
        best_upper = min(mean[b] + rad[b] for b in active)
        active = [a for a in active if not mean[a] - rad[a] > best_upper]
        phase += 1
    return np.array(hist[:T])


def _means(weights, c, s):
    W = sum(weights)

    def f(hist, a):
        tau = weights[0] + sum(w for j, w in enumerate(weights[1:], start=1) if len(hist) >= j and hist[-j] == a)
        return c[a] + s[a] * tau / W

    return f


def test_ucb1_and_se_wtb_match_python_references_noiseless():
    weights, c, s = [1.0, 0.6, 0.3], [0.8, 0.5, 0.45], [-0.6, 0.0, 0.1]
    env = wtb.TallyingBandit(weights, wtb.LinearLoss(c, s), noise="none")
    T = 400
    got = np.asarray(wtb.simulate(jax.random.PRNGKey(0), env, wtb.UCB1(3), T).actions)
    np.testing.assert_array_equal(got, python_ucb1(_means(weights, c, s), 3, T))
    for M in (3, 5):
        got = np.asarray(wtb.simulate(jax.random.PRNGKey(0), env, wtb.se_wtb(3, T, M, delta=0.05), T).actions)
        np.testing.assert_array_equal(got, python_se_wtb(_means(weights, c, s), 3, T, M, 0.05))


def test_exp3_probabilities_follow_the_exponential_weights_formula():
    pol = wtb.EXP3(3, 1000)
    eta = math.sqrt(2 * math.log(3) / 3000)
    state = pol.init()
    L = np.zeros(3)
    for arm, loss in [(0, 1.0), (2, 0.0), (1, 1.0), (0, 1.0)]:
        p = np.exp(-eta * L) / np.exp(-eta * L).sum()
        np.testing.assert_allclose(np.asarray(pol.probabilities(state)), p, rtol=1e-13)
        L[arm] += loss / p[arm]
        state = pol.update(state, arm, loss)
    draws = jax.vmap(lambda k: pol.select(k, state))(jax.random.split(jax.random.PRNGKey(0), 20000))
    freq = np.bincount(np.asarray(draws), minlength=3) / 20000
    p = np.exp(-eta * L) / np.exp(-eta * L).sum()
    np.testing.assert_allclose(freq, p, atol=5 * np.sqrt(0.25 / 20000))


def test_epsilon_greedy_extremes():
    env = wtb.TallyingBandit([1.0], wtb.LinearLoss([0.2, 0.5, 0.7], [0.0] * 3), noise="none")
    greedy = np.asarray(wtb.simulate(jax.random.PRNGKey(0), env, wtb.EpsilonGreedy(3, epsilon=0.0), 50).actions)
    np.testing.assert_array_equal(greedy, [0, 1, 2] + [0] * 47)
    uniform = np.asarray(wtb.simulate(jax.random.PRNGKey(0), env, wtb.EpsilonGreedy(3, epsilon=1.0), 6000).actions)
    np.testing.assert_allclose(np.bincount(uniform, minlength=3) / 6000, [1 / 3] * 3, atol=5 * math.sqrt(2 / 9 / 6000))


def run_kernels(key, env, policy, horizon):
    """The init/step kernels composed by hand; returns the final policy state."""

    def step(carry, t):
        env_state, pol_state = carry
        k_pol, k_env = jax.random.split(jax.random.fold_in(key, t))
        arm = policy.select(k_pol, pol_state)
        env_state, out = env.step(k_env, env_state, arm)
        return (env_state, policy.update(pol_state, arm, out.loss)), None

    (_, pol_state), _ = jax.lax.scan(step, (env.init(), policy.init()), jnp.arange(horizon))
    return pol_state


@given(env=small_instances(max_arms=3, max_memory=3), extra=st.integers(0, 3))
def test_se_wtb_never_eliminates_the_best_arm_noiseless(env, extra):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        noiseless = wtb.TallyingBandit(env.weights, env.loss, noise="none")
    T = 600
    state = jax.jit(run_kernels, static_argnums=3)(jax.random.PRNGKey(0), noiseless, wtb.se_wtb(env.num_arms, T, env.memory + extra), T)
    f_full = np.asarray(env.mean_loss(jnp.arange(env.num_arms), jnp.full(env.num_arms, env.total_weight)))
    best = np.flatnonzero(f_full <= f_full.min() + 1e-12)
    assert wtb.check_reo(env).best_arm in best
    assert np.all(np.asarray(state.active)[best])
    assert int(state.phase) >= 1  # at least one elimination round happened


def test_relabelling_arms_keeps_the_regret_distribution():
    w = [1.0, 0.5, 0.25]
    partial, full = np.array([1.0, 0.4, 0.5]), np.array([0.1, 0.4, 0.5])
    perm = np.array([1, 2, 0])
    env_a = wtb.TallyingBandit(w, wtb.ThresholdLoss(partial, full))
    env_b = wtb.TallyingBandit(w, wtb.ThresholdLoss(partial[perm], full[perm]))
    T, seeds = 3000, 48
    key = jax.random.PRNGKey(11)
    out = []
    for env in (env_a, env_b):
        tot = wtb.simulate_seeds(key, env, wtb.se_wtb(3, T, 4), T, seeds, trace=False)
        out.append(np.asarray(tot.total_mean_loss) - T * 0.1)
    a, b = out
    se = math.sqrt(a.var(ddof=1) / seeds + b.var(ddof=1) / seeds)
    assert abs(a.mean() - b.mean()) < 4 * se + 1e-9
    # Noiseless, the elimination decisions do not depend on the labels, but the blocks run in index
    # order, so which arm opens a pass (and pays a fresh warm-up of m - 1 rounds) does: the totals may
    # differ by at most (m - 1)(max f - min f) per pass, and there are at most log2(T) + 1 passes.
    tot = [float(wtb.simulate(key, wtb.TallyingBandit(w, e.loss, noise="none"), wtb.se_wtb(3, T, 4), T,
                              trace=False).total_mean_loss) for e in (env_a, env_b)]
    assert abs(tot[0] - tot[1]) <= (math.log2(T) + 1) * (len(w) - 1) * (1.0 - 0.1)


# ------------------------------------------------------------------------------ JAX behaviour


def test_simulate_vmaps_over_instances_and_traces_match_totals():
    envs = [wtb.TallyingBandit(W5, wtb.LinearLoss([0.9, 0.5], [-0.7, s])) for s in (0.0, 0.3)]
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *envs)
    pol = wtb.UCB1(2)
    key = jax.random.PRNGKey(4)
    batched = jax.vmap(lambda e: wtb.simulate(key, e, pol, 500))(stacked)
    for i, env in enumerate(envs):
        single = wtb.simulate(key, env, pol, 500)
        np.testing.assert_array_equal(np.asarray(batched.actions[i]), np.asarray(single.actions))
        totals = wtb.simulate(key, env, pol, 500, trace=False)
        assert float(totals.total_mean_loss) == pytest.approx(float(single.mean_losses.sum()), rel=1e-12)
        np.testing.assert_array_equal(np.asarray(totals.plays), np.bincount(np.asarray(single.actions), minlength=2))


def test_threshold_instance_separates_ucb1_from_se_wtb():
    """P1 of docs/theory/bandits.md in miniature: UCB1's CPR/T approaches 0.45 - 0.1 = 0.35 (closed form,
    theorylab.proofs_checks.wtb), SE-WTB's falls well below it."""
    env = threshold_env()
    T = 16000
    key = jax.random.PRNGKey(1)
    ucb = np.asarray(wtb.simulate_seeds(key, env, wtb.UCB1(4), T, 4, trace=False).total_mean_loss) / T - 0.1
    se = np.asarray(wtb.simulate_seeds(key, env, wtb.se_wtb(4, T, 10), T, 4, trace=False).total_mean_loss) / T - 0.1
    assert 0.33 <= ucb.mean() <= 0.40
    assert se.mean() < 0.1


# ------------------------------------------------------------------------------ fits


def test_line_fit_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 3, 40)
    y = 1.5 - 0.7 * x + rng.normal(0, 0.3, 40)
    fit = fit_line(x, y)
    ref = sm.OLS(y, sm.add_constant(x)).fit()
    np.testing.assert_allclose([fit.intercept.value, fit.slope.value], ref.params, rtol=1e-12)
    np.testing.assert_allclose([fit.intercept.standard_error, fit.slope.standard_error], ref.bse, rtol=1e-10)
    assert fit.r_squared == pytest.approx(ref.rsquared, rel=1e-12)
    np.testing.assert_allclose(fit.slope.confidence_interval(0.9), ref.conf_int(0.1)[1], rtol=1e-10)
    np.testing.assert_allclose(fit.intercept.confidence_interval(0.9), ref.conf_int(0.1)[0], rtol=1e-10)
    assert float(fit.slope) == fit.slope.value
    pl = fit_power_law(np.exp(x), np.exp(y))
    assert pl.slope.value == pytest.approx(fit.slope.value, rel=1e-12)
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1, 2, 3], [1, -1, 2])
    with pytest.raises(ValueError, match="at least 3"):
        fit_line([1, 2], [1, 2])
    with pytest.raises(ValueError, match="distinct"):
        fit_line([1, 1, 1], [1, 2, 3])


def test_feasible_tallies_enumerates_subset_sums():
    w = [1.0, 0.5, 0.25]
    expected = sorted({1.0 + sum(c) for r in range(3) for c in itertools.combinations(w[1:], r)})
    np.testing.assert_allclose(wtb.feasible_tallies(w), expected)


# ------------------------------------------------------------------------------ the batched kernel

_POLICIES = {
    "UCB1": lambda K, T: wtb.UCB1(K),
    "EXP3": lambda K, T: wtb.EXP3(K, T),
    "epsilon-greedy": lambda K, T: wtb.EpsilonGreedy(K, epsilon=0.3),
    "SE-WTB": lambda K, T: wtb.se_wtb(K, T, 5),
    "SE": lambda K, T: wtb.successive_elimination(K, T),
    "fixed": lambda K, T: wtb.FixedSequence(K, [0, 0, 1, 2, 2, 2]),
}


@pytest.mark.parametrize("name", sorted(_POLICIES))
@pytest.mark.parametrize("noise", ["bernoulli", "gaussian"])
def test_batched_seeds_equal_single_runs_with_the_same_randomness(name, noise):
    # simulate_seeds advances all seeds in one kernel (arms on axis 0, seeds last); seed s must be the
    # single run with key split(key, n)[s]: same arms exactly, same losses to rounding (the tally's
    # masked sum may be reduced in another order).
    K, T, n = 5, 2500, 3  # 2500 = two full randomness blocks and a partial one
    env = wtb.TallyingBandit(W5, wtb.LinearLoss([0.9, 0.55, 0.5, 0.6, 0.45], [-0.7, 0.0, 0.05, -0.1, 0.1]),
                             noise=noise)
    policy = _POLICIES[name](K, T)
    key = jax.random.PRNGKey(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # REO fails here for SE: irrelevant to the layout
        batch = wtb.simulate_seeds(key, env, policy, T, n)
        totals = wtb.simulate_seeds(key, env, policy, T, n, trace=False)
        for s, k in enumerate(jax.random.split(key, n)):
            one = wtb.simulate(k, env, policy, T)
            np.testing.assert_array_equal(np.asarray(batch.actions[s]), np.asarray(one.actions))
            np.testing.assert_allclose(np.asarray(batch.mean_losses[s]), np.asarray(one.mean_losses), rtol=0, atol=1e-14)
            np.testing.assert_allclose(np.asarray(batch.losses[s]), np.asarray(one.losses), rtol=0, atol=1e-14)
            np.testing.assert_array_equal(np.asarray(totals.plays[s]), np.bincount(np.asarray(one.actions), minlength=K))
            assert float(totals.total_mean_loss[s]) == pytest.approx(float(np.sum(one.mean_losses)), rel=1e-12)
    assert batch.actions.shape == (n, T) and totals.plays.shape == (n, K)


def test_batched_kernels_step_by_step_match_the_single_kernel():
    # one select/update on a (K, seeds) state equals the single-run kernel on each column
    from theorylab.bandits.policies import EXP3State

    K, n = 4, 6
    pol = wtb.EXP3(K, 100)
    rng = np.random.default_rng(0)
    state = EXP3State(jnp.asarray(rng.random((K, n)) * 50))
    u, losses = jnp.asarray(rng.random((1, n))), jnp.asarray(rng.random(n))
    arms = pol.select_with_noise(state, u)
    new = pol.update(state, arms, losses)
    for s in range(n):
        one = EXP3State(state.estimated_loss[:, s])
        assert int(pol.select_with_noise(one, u[:, s])) == int(arms[s])
        ref = pol.update(one, arms[s], losses[s])
        np.testing.assert_allclose(np.asarray(new.estimated_loss[:, s]), np.asarray(ref.estimated_loss), rtol=1e-13)


def test_float32_runs_agree_with_float64_within_monte_carlo_error():
    # float32 draws other uniforms, so runs differ; their mean loss per round must agree with the
    # float64 one within sampling error (4 standard errors of the difference of two means)
    env = wtb.TallyingBandit(W5, wtb.LinearLoss([0.9, 0.55, 0.5], [-0.7, 0.0, 0.05]))
    T, n = 4000, 32
    out = {}
    for dtype in (None, "float32"):
        tot = wtb.simulate_seeds(jax.random.PRNGKey(1 if dtype else 2), env, wtb.UCB1(3), T, n, trace=False, dtype=dtype)
        out[dtype] = np.asarray(tot.total_mean_loss) / T
        assert tot.total_mean_loss.dtype == jnp.float64  # totals always accumulate in float64
    a, b = out[None], out["float32"]
    assert abs(a.mean() - b.mean()) < 4 * math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)


def test_float32_threshold_loss_reaches_full_exposure():
    # with weights whose float32 sum is inexact, m consecutive plays must still count as full exposure
    w = [0.7, 0.1, 0.1, 0.1]
    env = wtb.TallyingBandit(w, wtb.ThresholdLoss([1.0, 0.9], [0.0, 0.9]), noise="none")
    traj = wtb.simulate(jax.random.PRNGKey(0), env, wtb.FixedSequence(2, [0]), 10, dtype="float32")
    np.testing.assert_array_equal(np.asarray(traj.mean_losses), [1.0, 1.0, 1.0] + [0.0] * 7)
    assert traj.tallies.dtype == jnp.float32


def test_dtype_errors():
    env = wtb.TallyingBandit(W5, wtb.LinearLoss([0.9, 0.5], [-0.7, 0.0]))
    with pytest.raises(ValueError, match="dtype"):
        wtb.simulate(jax.random.PRNGKey(0), env, wtb.UCB1(2), 10, dtype="int32")
    with pytest.raises(ValueError, match="2\\^24"):
        wtb.simulate_seeds(jax.random.PRNGKey(0), env, wtb.UCB1(2), 2**24 + 1, 2, dtype="float32")


def test_tally_accepts_a_list_history():
    """Regression: a Python list compared with an int gave tally w_0 alone (1.0 here).

    Expected by the definition tau = sum_j w_j 1[a_{t-j} = a] with the current play at lag 0:
    history [0, 0, 1, 0] holds lags 1..4, so arm 0 collects w_0 + w_1 + w_2 + w_4 = 1 + 0.8 + 0.6 + 0.2.
    """
    env = wtb.TallyingBandit([1.0, 0.8, 0.6, 0.4, 0.2], wtb.LinearLoss([0.5, 0.5], [0.0, 0.0]))
    assert float(env.tally([0, 0, 1, 0], 0)) == pytest.approx(2.6, abs=1e-12)
    assert float(env.tally([0, 0, 1, 0], 1)) == pytest.approx(1.0 + 0.4, abs=1e-12)
    assert float(env.tally(np.array([0, 0, 1, 0]), 0)) == pytest.approx(2.6, abs=1e-12)


def test_policies_and_losses_satisfy_their_protocols():
    for pol in (wtb.UCB1(3), wtb.EXP3(3, 100), wtb.EpsilonGreedy(3), wtb.se_wtb(3, 100, 2), wtb.FixedSequence(3, [0, 1])):
        assert isinstance(pol, wtb.Policy)
    assert isinstance(wtb.LinearLoss([0.5], [0.1]), wtb.LossModel)
    assert not isinstance(object(), wtb.Policy)

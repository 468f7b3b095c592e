"""The areas' sweeping functions on a real 2-worker Dask cluster (started here) and with checkpoints:
bandit seeds, DSD and sparse N* curves, the AGS grid and the Franz-Parisi task-1 grid give the same
numbers as the in-process run, and a rerun from a checkpoint computes only what is missing.

Every expected value is the same library's in-process result (bit for bit where the documentation
promises it) or the single-point solver called on that point alone."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import theorylab  # noqa: F401

distributed = pytest.importorskip("distributed")


class Interrupt(Exception):
    pass


def _stop_after(count):
    def report(event):
        if event.kind == "computed" and event.done >= count:
            raise Interrupt
    return report


@pytest.fixture(scope="module")
def executor():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client.get_executor()


def _equal(a, b):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(la) == len(lb) and all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(la, lb))


def test_bandit_seeds_on_a_cluster_are_the_same_seeds(executor, tmp_path):
    from theorylab import bandits as wtb

    env = wtb.TallyingBandit([0.4, 0.3, 0.2, 0.1], wtb.LinearLoss([0.9, 0.55, 0.5], [-0.7, 0.0, 0.05]),
                             noise="bernoulli")
    key, horizon = jax.random.key(3), 1500
    ref = wtb.simulate_seeds(key, env, wtb.UCB1(3), horizon, 10)
    remote = wtb.simulate_seeds(key, env, wtb.UCB1(3), horizon, 10, chunk_size=3, executor=executor)
    assert type(remote).__name__ == "Trajectory" and _equal(tuple(ref), tuple(remote))  # seed s = split(key, 10)[s]
    with pytest.raises(Interrupt):
        wtb.simulate_seeds(key, env, wtb.UCB1(3), horizon, 10, chunk_size=3, trace=False, checkpoint=tmp_path,
                           progress=_stop_after(2))
    events = []
    resumed = wtb.simulate_seeds(key, env, wtb.UCB1(3), horizon, 10, chunk_size=3, trace=False,
                                 checkpoint=tmp_path, progress=events.append)
    assert [e.kind for e in events].count("computed") == 4 - 2  # ceil(10 / 3) chunks, two on disk
    totals = wtb.simulate_seeds(key, env, wtb.UCB1(3), horizon, 10, trace=False)
    assert _equal(tuple(totals), tuple(resumed))


def test_bandit_policy_sweep_over_m_on_a_cluster(executor):
    from theorylab import bandits as wtb

    env = wtb.TallyingBandit([0.5, 0.3, 0.2], wtb.LinearLoss([0.9, 0.6, 0.7], [-0.7, 0.0, 0.0]), noise="bernoulli")
    horizon, seeds, key = 1200, 3, jax.random.key(8)
    policies = [wtb.se_wtb(3, horizon, m) for m in (3, 5, 8)]  # the warm-up bound M: the M sweep
    local = wtb.simulate_policies(key, env, policies, horizon, seeds, chunk_size=2)
    remote = wtb.simulate_policies(key, env, policies, horizon, seeds, chunk_size=2, executor=executor)
    assert local.total_mean_loss.shape == (3, seeds) and _equal(tuple(local), tuple(remote))
    for i, policy in enumerate(policies):  # each policy alone, the same seeds
        alone = wtb.simulate_seeds(key, env, policy, horizon, seeds, trace=False)
        np.testing.assert_array_equal(local.plays[i], alone.plays)  # integer counts: exactly
        np.testing.assert_allclose(local.total_mean_loss[i], alone.total_mean_loss, rtol=1e-12)
    with pytest.raises(ValueError, match="one class"):
        wtb.simulate_policies(key, env, [wtb.UCB1(3), wtb.se_wtb(3, horizon, 3)], horizon, seeds)


def test_dsd_sweep_on_a_cluster_equals_in_process(executor, tmp_path):
    from theorylab.learning import dsd

    def make(k, d):  # a closure: Dask's cloudpickle ships it
        return dsd.DSD(k, d, 0.6 / np.sqrt(k), dtype=jnp.float32)

    learners = {"cnn": dsd.TwoStep("cnn", 0.4), "lcn": dsd.TwoStep("lcn", 0.4)}
    key, grid, points = jax.random.key(0), np.array([8, 16, 32, 64, 128, 256]), [(4, 16), (8, 16)]
    kw = dict(num_seeds=3, test_samples=2048, bootstrap=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # targets near the oracle: irrelevant here
        ref = dsd.sweep(key, make, learners, points, grid, **kw)
        remote = dsd.sweep(key, make, learners, points, grid, executor=executor, **kw)
        with pytest.raises(Interrupt):
            dsd.sweep(key, make, learners, points, grid, checkpoint=tmp_path, progress=_stop_after(3), **kw)
        events = []
        resumed = dsd.sweep(key, make, learners, points, grid, checkpoint=tmp_path, progress=events.append, **kw)
        alone = dsd.sample_complexity(jax.random.fold_in(key, 1000 * 8 + 16), make(8, 16), learners["lcn"], grid, **kw)
    assert [e.kind for e in events].count("computed") == 4 - 3  # 2 learners x 2 points, three on disk
    assert set(ref) == set(remote) == {(n, k, d) for n in learners for (k, d) in points}
    for name in ref:
        for r in (remote[name], resumed[name]):
            assert r.n_star == ref[name].n_star and np.array_equal(r.errors, ref[name].errors)
            assert np.array_equal(r.bootstrap, ref[name].bootstrap) and r.arch == ref[name].arch
    assert ref[("lcn", 8, 16)].n_star == alone.n_star and np.array_equal(ref[("lcn", 8, 16)].errors, alone.errors)


def test_sparse_error_curves_on_a_cluster_and_resumed(executor, tmp_path):
    from theorylab.estimators.sparse import curves

    key = jax.random.key(1)
    kw = dict(d=20, k=3, trials=4, methods=("oracle", "lasso_theory", "omp"))
    ref = curves.error_curves(key, [20, 40], **kw)
    remote = curves.error_curves(key, [20, 40], executor=executor, **kw)
    with pytest.raises(Interrupt):
        curves.error_curves(key, [20, 40], checkpoint=tmp_path, progress=_stop_after(4), **kw)
    events = []
    resumed = curves.error_curves(key, [20, 40], checkpoint=tmp_path, progress=events.append, **kw)
    assert [e.kind for e in events].count("computed") == 6 - 4  # 2 sizes x 3 methods, four on disk
    for m in kw["methods"]:
        np.testing.assert_array_equal(remote.errors[m], ref.errors[m])
        np.testing.assert_array_equal(resumed.errors[m], ref.errors[m])


def test_ags_grid_on_a_cluster_and_point_by_point(executor):
    from theorylab.statmech.ags import ags_grid, ags_solve

    alphas, betas = np.linspace(0.0, 0.15, 6), np.array([2.0, 5.0, 20.0])
    local = ags_grid(alphas, betas, chunk_size=4)
    remote = ags_grid(alphas, betas, chunk_size=4, executor=executor)
    assert local.m.shape == (6, 3) and _equal(tuple(local), tuple(remote))
    for i, j in ((0, 0), (2, 1), (5, 2), (4, 2)):  # the solver on that point alone
        s = ags_solve(alphas[i], betas[j])
        assert int(s.status) == int(local.status[i, j])
        assert float(s.m) == pytest.approx(float(local.m[i, j]), abs=1e-12)
    with pytest.raises(ValueError, match="`alphas`"):
        ags_grid([0.1, -0.1], betas)
    with pytest.raises(ValueError, match="`betas`"):
        ags_grid(alphas, [1.0, 0.0])


def test_franz_parisi_task1_grid_on_a_cluster_and_point_by_point(executor):
    from theorylab.statmech import franz_parisi as FP

    model = FP.ContinualPerceptron()
    alphas = np.array([0.5, 1.0, 1.6])
    local = model.task1_grid(alphas, "low", chunk_size=2)
    remote = model.task1_grid(alphas, "low", chunk_size=2, executor=executor)
    assert _equal(tuple(local), tuple(remote))
    for i, a in enumerate(alphas):  # independent cold starts: task1 at that load alone
        one = model.task1(a, "low")
        assert int(one.status) == int(local.status[i]) == 0
        assert float(one.q) == pytest.approx(float(local.q[i]), abs=1e-12)
        assert float(one.eps) == pytest.approx(float(local.eps[i]), abs=1e-12)

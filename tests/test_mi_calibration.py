"""MI benchmark tasks as data and the calibration study.

Expected values: the tasks' exact MI against closed forms written out here (bivariate normal,
additive uniform) and against an independent Monte Carlo estimate of E[log p(x, y) / p(x) p(y)]
from scipy's densities (tolerance from the measured standard error); the study against the
protocol called point by point with the documented keys, and a process pool against in-process.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import pickle

import jax
import numpy as np
import pytest
from scipy import stats

import theorylab.estimators.mutual_information as M
from theorylab.estimators.mutual_information import tasks as T


def test_suite_tasks_sample_and_pickle():
    names = set()
    for task in T.task_suite("full"):
        assert task.name not in names
        names.add(task.name)
        x, y = task.sample(jax.random.key(0), 64)
        assert x.shape == (64, task.dim_x) and y.shape == (64, task.dim_y)
        assert np.all(np.isfinite(np.asarray(x))) and np.all(np.isfinite(np.asarray(y)))
        assert pickle.loads(pickle.dumps(task)) == task  # plain data: ships to a cluster
        if task.transform is None:  # the stored MI is the distribution's own exact value
            assert task.mutual_information == pytest.approx(float(task.distribution().mutual_information()), rel=1e-12)
    assert {t.family for t in T.task_suite("full")} == set(T.FAMILIES)
    assert {t.transform for t in T.task_suite("full")} - {None} == set(T.TRANSFORMS)


def test_closed_forms():
    # bivariate normal: -1/2 log(1 - rho^2); additive uniform, eps <= 1/2: eps - log(2 eps); eps > 1/2: 1/(4 eps)
    assert T.normal_task(1, 1, "pair").mutual_information == pytest.approx(-0.5 * math.log(1 - 0.75**2), rel=1e-14)
    assert T.additive_uniform_task(0.1).mutual_information == pytest.approx(0.1 - math.log(0.2), rel=1e-14)
    assert T.additive_uniform_task(0.75).mutual_information == pytest.approx(1 / 3, rel=1e-14)
    # a map of X and Y changes the samples, never the MI
    plain, mapped = T.normal_task(1, 1, "pair"), T.normal_task(1, 1, "pair", transform="wiggly")
    assert mapped.mutual_information == plain.mutual_information and mapped.name == "wiggly(1v1-normal-0.75)"


@pytest.mark.parametrize("task", [T.normal_task(2, 2, "dense"), T.normal_task(2, 2, "sparse"),
                                  T.student_t_task(1, 1, 2.0)], ids=lambda t: t.name)
def test_mi_against_monte_carlo_of_the_density_ratio(task):
    """MI = E log p(x, y) / (p(x) p(y)), averaged over 200 000 draws with scipy's densities."""
    n = 200_000
    x, y = (np.asarray(v) for v in task.sample(jax.random.key(3), n))
    z = np.concatenate([x, y], axis=1)
    d = task.dim_x + task.dim_y
    if task.family == "student_t":
        df = dict(task.params)["df"]
        joint = stats.multivariate_t(np.zeros(d), np.eye(d), df=df)
        px = stats.multivariate_t(np.zeros(task.dim_x), np.eye(task.dim_x), df=df)
        py = stats.multivariate_t(np.zeros(task.dim_y), np.eye(task.dim_y), df=df)
    else:
        cov = np.asarray(task.distribution().covariance_matrix)
        joint = stats.multivariate_normal(np.zeros(d), cov)
        px = stats.multivariate_normal(np.zeros(task.dim_x), cov[:task.dim_x, :task.dim_x])
        py = stats.multivariate_normal(np.zeros(task.dim_y), cov[task.dim_x:, task.dim_x:])
    ratio = joint.logpdf(z) - px.logpdf(x) - py.logpdf(y)
    se = ratio.std(ddof=1) / math.sqrt(n)
    assert abs(ratio.mean() - task.mutual_information) < 5 * se


def test_bad_tasks_are_named():
    with pytest.raises(ValueError, match="`interactions`"):
        T.normal_task(2, 2, "banded")
    with pytest.raises(ValueError, match="spiral"):
        T.normal_task(1, 1, "pair", transform="spiral")
    with pytest.raises(ValueError, match="`transform`"):
        T.student_t_task(1, 1, 2.0, transform="cube")
    with pytest.raises(ValueError, match="`size`"):
        T.task_suite("huge")
    with pytest.raises(TypeError, match="`tasks`"):
        M.calibration_study(jax.random.key(0), ["1v1-normal-0.75"])


TASKS = (T.normal_task(1, 1, "pair"), T.student_t_task(1, 1, 1.0))
ESTIMATORS = (("Gaussian", "gaussian", {}), ("KSG k=3", "ksg", {"k": 3}))


def test_study_is_the_protocol_point_by_point_and_summarises_it(tmp_path):
    key = jax.random.key(4)
    study = M.calibration_study(key, TASKS, ESTIMATORS, sample_sizes=(400,), num_seeds=3, checkpoint=tmp_path)
    assert study.value.shape == (2, 2, 1, 3) and study.reliable.dtype == bool
    # the documented keys: data from fold_in(key, task, N, seed), the protocol from fold_in(data key, 1)
    for i, j, s in ((0, 1, 2), (1, 0, 0)):
        data_key = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(key, i), 400), s)
        x, y = TASKS[i].sample(data_key, 400)
        _, name, kw = ESTIMATORS[j]
        ref = M.estimate_with_ci(jax.random.fold_in(data_key, 1), x, y, name, **kw)
        assert study.value[i, j, 0, s] == ref.value and study.lower[i, j, 0, s] == ref.ci.low
        assert bool(study.reliable[i, j, 0, s]) == ref.reliable
    # the summary's arithmetic, by hand for one row
    row = [r for r in study.summary() if r.task == TASKS[1].name and r.estimator == "KSG k=3"][0]
    v, lo, hi, rel = (a[1, 1, 0] for a in (study.value, study.lower, study.upper, study.reliable))
    truth = TASKS[1].mutual_information
    assert row.bias == pytest.approx(v.mean() - truth, abs=1e-15)
    assert row.coverage == np.mean((lo <= truth) & (truth <= hi)) and row.reliable_fraction == rel.mean()
    held_out = study.summary(seed_subset=slice(1, None))
    assert all(r.runs == 2 for r in held_out)
    assert "| task |" in study.table()
    again = M.calibration_study(key, TASKS, ESTIMATORS, sample_sizes=(400,), num_seeds=3, checkpoint=tmp_path)
    assert np.array_equal(again.value, study.value)  # every point loaded from the checkpoint


def test_study_on_a_process_pool_equals_in_process():
    key = jax.random.key(5)
    ref = M.calibration_study(key, TASKS[:1], ESTIMATORS[:1], sample_sizes=(300,), num_seeds=4)
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        out = M.calibration_study(key, TASKS[:1], ESTIMATORS[:1], sample_sizes=(300,), num_seeds=4, executor=pool)
    for field in ("value", "lower", "upper", "reliable"):
        assert np.array_equal(getattr(ref, field), getattr(out, field))


def test_suite_targets_and_their_figure_on_a_hand_made_study():
    """The claim mi.suite_calibration's three numbers, on a study small enough to count by hand."""
    from theorylab.claims.mi import draw_suite_calibration, suite_targets

    names = ("1v1-normal-0.75", "multinormal-dense-5-5", "student-identity-1-1-df1")
    truth = np.array([0.4, 0.6, 0.2])
    # [task, estimator, size, seed]: one estimator, sizes (1000, 5000), four seeds
    value = np.broadcast_to(truth[:, None, None, None], (3, 1, 2, 4)).copy()
    value[2, 0, :, 3] = 0.4  # the Student-t task: one run off by 100% ...
    reliable = np.ones((3, 1, 2, 4), bool)
    reliable[1, 0, 1, 2:] = False  # dense 5x5 at N = 5000: half the runs refused
    lower, upper = value - 0.01, value + 0.01  # ... and its interval misses
    study = M.CalibrationStudy(tasks=names, estimators=("KSG k=5",), sample_sizes=np.array([1000, 5000]),
                               truth=truth, value=value, lower=lower, upper=upper, reliable=reliable, level=0.95)
    got = suite_targets(study, slice(2, 4))  # held-out seeds 2 and 3
    assert got["worst coverage of reliable intervals"] == 0.5  # the Student-t task: 1 of 2 reliable runs covers
    assert got["rows with reliable coverage observed below 0.9"] == 2.0  # that task at both sizes
    # ... but 1 covered of 2 is not significantly below 0.9: P(X <= 1 | n = 2, p = 0.9) = 1 - 0.9**2 = 0.19
    row = [r for r in study.summary(slice(2, 4)) if r.task == names[2]][0]
    assert (row.reliable_runs, row.reliable_covered) == (2, 1)
    assert row.coverage_p_value(0.9) == pytest.approx(1 - 0.9**2, rel=1e-12)
    assert got["rows with reliable coverage significantly below 0.9"] == 0.0
    assert got["reliable results off by > 25%"] == 2.0  # seed 3 of the Student-t task, at both sizes
    assert got["min reliable fraction, Gaussian 1x1 and 5x5 at the largest N"] == 0.0
    # dense 5x5 at N = 5000: 0 reliable of 2, P(X <= 0 | 2, 0.7) = 0.3**2 = 0.09: not significant
    assert got["Gaussian 1x1 and 5x5 rows at the largest N reliable significantly less than 70%"] == 0.0
    everything = suite_targets(study)  # all four seeds: 2 of 4, P(X <= 2 | 4, 0.7) = 0.3483 (by hand)
    row5 = [r for r in study.summary() if r.task == names[1] and r.n_samples == 5000][0]
    assert row5.reliable_fraction_p_value(0.7) == pytest.approx(0.3**4 + 4 * 0.7 * 0.3**3 + 6 * 0.7**2 * 0.3**2)
    assert everything["min reliable fraction, Gaussian 1x1 and 5x5 at the largest N"] == 0.5
    # both held-out Student-t runs miss: P(X <= 0 | 2, 0.9) = 0.1**2 = 0.01 < 0.05 at each size
    study.value[2, 0, :, 2] = 0.4
    study.lower[2, 0, :, 2], study.upper[2, 0, :, 2] = 0.39, 0.41
    assert suite_targets(study, slice(2, 4))["rows with reliable coverage significantly below 0.9"] == 2.0
    fig = draw_suite_calibration({"study": study, "seeds": slice(2, 4)})
    assert len(fig.axes) == 1

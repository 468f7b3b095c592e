"""Calibration studies: how often do the intervals cover the truth, and is ``reliable`` earned?

:func:`calibration_study` runs :func:`~theorylab.estimators.mutual_information.estimate_with_ci`
for every (task, estimator, sample size, seed) of a grid of benchmark tasks with known MI
(:mod:`~theorylab.estimators.mutual_information.tasks`) and keeps the estimate, the interval and
the verdict. Each (task, sample size, seed) draws one dataset that every estimator sees (paired
comparisons); its key is ``fold_in`` of the study key by task, sample size and seed, never by where
or in which order the point ran. The grid goes through :func:`theorylab.sweeps.sweep` (host mode:
each point runs the protocol's own compiled programs), so ``executor=`` sends the points to a
process pool or a Dask cluster and ``checkpoint=`` keeps finished points across a crash.

:class:`CalibrationStudy` summarises per task and estimator: bias, coverage of all intervals,
coverage of the intervals labelled reliable, the fraction labelled reliable, the worst relative
error among reliable results; ``seed_subset=`` restricts every figure to a subset of the seeds (hold out
half of them to judge a verdict tuned on the other half).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import numpy as np

from theorylab.estimators.mutual_information.tasks import MITask
from theorylab.validation import check_integer, check_key, raw_key_data

__all__ = ["calibration_study", "CalibrationStudy", "CalibrationRow"]


class CalibrationRow(NamedTuple):
    """Summary of one (task, estimator, sample size) over the selected seeds."""

    task: str
    estimator: str
    n_samples: int
    truth: float
    runs: int
    bias: float  #: mean estimate minus truth
    coverage: float  #: share of all intervals that contain the truth
    reliable_fraction: float  #: share of runs labelled reliable
    reliable_coverage: float  #: share of reliable runs whose interval contains the truth (nan: none reliable)
    worst_reliable_relative_error: float  #: largest ``abs(estimate - truth) / truth`` over reliable runs (nan: none)
    reliable_runs: int  #: number of runs labelled reliable
    reliable_covered: int  #: how many of them have an interval that contains the truth

    def coverage_p_value(self, target: float = 0.9) -> float:
        """One-sided exact binomial p-value of ``reliable_covered`` out of ``reliable_runs`` against a
        coverage of ``target``: small when the reliable intervals cover less often than ``target``
        beyond Monte Carlo noise (1.0 when no run is reliable)."""
        return _binomial_lower_tail(self.reliable_covered, self.reliable_runs, target)

    def reliable_fraction_p_value(self, target: float = 0.7) -> float:
        """The same test for ``reliable_runs`` out of ``runs`` against a reliable fraction of ``target``."""
        return _binomial_lower_tail(self.reliable_runs, self.runs, target)


def _binomial_lower_tail(successes: int, runs: int, rate: float) -> float:
    """P(X <= successes) for X ~ Binomial(runs, rate) (1.0 without runs)."""
    from scipy import stats

    return float(stats.binom.cdf(successes, runs, rate)) if runs else 1.0


class CalibrationStudy(NamedTuple):
    """Raw results of :func:`calibration_study`: arrays indexed ``[task, estimator, size, seed]``."""

    tasks: tuple
    estimators: tuple  #: estimator labels
    sample_sizes: np.ndarray
    truth: np.ndarray  #: exact MI per task (nats)
    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    reliable: np.ndarray
    level: float

    @property
    def covered(self) -> np.ndarray:
        """Whether each interval contains the truth."""
        t = self.truth[:, None, None, None]
        return (self.lower <= t) & (t <= self.upper)

    def summary(self, seed_subset=None) -> list[CalibrationRow]:
        """One :class:`CalibrationRow` per (task, estimator, sample size); ``seed_subset`` (indices or
        a slice) restricts the seeds used, e.g. the held-out half."""
        pick = slice(None) if seed_subset is None else seed_subset
        rows = []
        for i, task in enumerate(self.tasks):
            for j, est in enumerate(self.estimators):
                for k, n in enumerate(self.sample_sizes):
                    v, cov, rel = (np.asarray(a[i, j, k])[pick] for a in (self.value, self.covered, self.reliable))
                    truth = float(self.truth[i])
                    rel_err = np.abs(v[rel] - truth) / truth if truth > 0 else np.abs(v[rel] - truth)
                    rows.append(CalibrationRow(
                        task=task, estimator=est, n_samples=int(n), truth=truth, runs=int(v.size),
                        bias=float(np.mean(v) - truth), coverage=float(np.mean(cov)),
                        reliable_fraction=float(np.mean(rel)),
                        reliable_coverage=float(np.mean(cov[rel])) if rel.any() else float("nan"),
                        worst_reliable_relative_error=float(rel_err.max()) if rel.any() else float("nan"),
                        reliable_runs=int(rel.sum()), reliable_covered=int(cov[rel].sum())))
        return rows

    def table(self, seed_subset=None) -> str:
        """The summary as a Markdown table."""
        lines = ["| task | estimator | N | truth | bias | coverage | reliable | coverage if reliable | worst reliable rel. error |",
                 "|---|---|---|---|---|---|---|---|---|"]
        for r in self.summary(seed_subset):
            lines.append(f"| {r.task} | {r.estimator} | {r.n_samples} | {r.truth:.4f} | {r.bias:+.4f} | "
                         f"{r.coverage:.2f} | {r.reliable_fraction:.2f} | {r.reliable_coverage:.2f} "
                         f"({r.reliable_covered}/{r.reliable_runs}) | "
                         f"{r.worst_reliable_relative_error:.3f} |")
        return "\n".join(lines)

    def plot(self, *, ax=None, n_samples=None, seed_subset=None):
        """Coverage of all intervals and of reliable ones per task (one panel's worth of markers per
        estimator) at one sample size (default the largest); the nominal level as a line."""
        import matplotlib.pyplot as plt

        n = int(self.sample_sizes[-1] if n_samples is None else n_samples)
        rows = [r for r in self.summary(seed_subset) if r.n_samples == n]
        if ax is None:
            _, ax = plt.subplots(figsize=(7.5, 3.4))
        x = np.arange(len(self.tasks))
        for j, est in enumerate(self.estimators):
            mine = [r for r in rows if r.estimator == est]
            shift = 0.15 * (j - (len(self.estimators) - 1) / 2)
            ax.scatter(x + shift, [r.coverage for r in mine], marker="o", s=16, label=f"{est}: all")
            ax.scatter(x + shift, [r.reliable_coverage for r in mine], marker="x", s=22, label=f"{est}: reliable")
        ax.axhline(self.level, color="k", lw=0.8, ls=":")
        ax.set_xticks(x, self.tasks, rotation=60, ha="right", fontsize=6)
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel(f"coverage of {self.level:.0%} intervals (N = {n})")
        ax.legend(fontsize=6, ncol=2)
        return ax


def _study_point(key_data, tasks, estimators, level, point):
    """One (task, estimator, N, seed) of :func:`calibration_study` (a picklable sweep task)."""
    from theorylab.estimators.mutual_information.estimator import resolve_estimator
    from theorylab.estimators.mutual_information.protocol import estimate_with_ci

    task = tasks[int(point["task"])]
    _, name, kwargs = estimators[int(point["estimator"])]
    n, seed = int(point["n"]), int(point["seed"])
    base = jax.random.wrap_key_data(jax.numpy.asarray(key_data))
    data_key = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(base, int(point["task"])), n), seed)
    x, y = task.sample(data_key, n)
    res = estimate_with_ci(jax.random.fold_in(data_key, 1), x, y, resolve_estimator(name, **dict(kwargs)), level=level)
    return {"value": res.value, "lower": res.ci.low, "upper": res.ci.high, "reliable": bool(res.reliable)}


def calibration_study(key, tasks: Sequence[MITask], estimators=(("KSG k=5", "ksg", {}),), sample_sizes=(1000, 5000),
                      num_seeds: int = 20, *, level: float = 0.95, executor=None, checkpoint=None,
                      progress=False) -> CalibrationStudy:
    """Run the protocol over ``tasks x estimators x sample_sizes x num_seeds`` seeds.

    ``estimators`` is a sequence of ``(label, name, kwargs)`` as accepted by
    :func:`~theorylab.estimators.mutual_information.estimate_with_ci` (e.g. ``("KSG k=3", "ksg",
    {"k": 3})``, ``("Gaussian", "gaussian", {})``). ``executor`` / ``checkpoint`` / ``progress`` as in
    :func:`theorylab.sweeps.sweep`; the results do not depend on them.
    """
    key = check_key(key)
    tasks = tuple(tasks)
    if not tasks or not all(isinstance(t, MITask) for t in tasks):
        raise TypeError("`tasks` must be a non-empty sequence of MITask (see tasks.task_suite())")
    specs = tuple((str(label), str(name), tuple(sorted(dict(kw).items()))) for label, name, kw in estimators)
    if not specs:
        raise ValueError("`estimators` must name at least one estimator")
    sizes = np.asarray([check_integer(n, "sample_sizes", minimum=2) for n in sample_sizes])
    seeds = check_integer(num_seeds, "num_seeds", minimum=1)
    from theorylab.estimators.mutual_information import _checks
    from theorylab.sweeps import product_grid, sweep

    level = _checks.level(level)
    grid = product_grid(task=np.arange(len(tasks)), estimator=np.arange(len(specs)), n=sizes, seed=np.arange(seeds))
    task_fn = functools.partial(_study_point, raw_key_data(key), tasks, specs, level)
    out = grid.reshape(sweep(task_fn, grid.points, chunk_size=1, executor=executor, checkpoint=checkpoint,
                             batch="host", progress=progress))
    return CalibrationStudy(
        tasks=tuple(t.name for t in tasks), estimators=tuple(s[0] for s in specs), sample_sizes=sizes,
        truth=np.array([t.mutual_information for t in tasks]), value=out["value"], lower=out["lower"],
        upper=out["upper"], reliable=out["reliable"].astype(bool), level=level)

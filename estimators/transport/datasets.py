"""Benchmark instances for entropic OT, and the benchmark suite as data.

Instances: random assignment (Tang et al. 2024, section 5), point clouds, digit images, 1-D
densities, random rectangular costs with random marginals, and marginals with very small but
positive entries. The random ones are drawn from a JAX ``key`` (float64); all have uniform weights
unless noted. :func:`benchmark_suite` lists the (instance, eps) cases that ``benchmarks/ot_bench.py``
and the ``sns.default_robust`` claim run, at a quick and a full size.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.transport.geometry import cost_matrix
from theorylab.validation import check_choice, check_integer, check_key, raw_key_data

__all__ = ["OTInstance", "OTCase", "random_assignment", "point_clouds", "digits_pair", "densities_1d", "random_costs",
           "skewed_marginals", "benchmark_suite", "SuiteResult", "solve_suite"]


class OTInstance(NamedTuple):
    """A benchmark problem: cost matrix, marginals and a descriptive name."""

    cost: np.ndarray
    a: np.ndarray
    b: np.ndarray
    name: str


def random_assignment(key, n: int = 500) -> OTInstance:
    """``C ~ U[0, 1]^{n x n}`` drawn from ``key``, uniform marginals (the paper's case)."""
    key = check_key(key)
    n = check_integer(n, "n", minimum=1)
    C = np.asarray(jax.random.uniform(key, (n, n), jnp.float64))
    w = np.full(n, 1.0 / n)
    return OTInstance(C, w, w.copy(), f"assignment n={n}")


def point_clouds(key, n: int = 500, d: int = 2, cost: str = "sqeuclidean") -> OTInstance:
    """Two clouds of ``n`` uniform points in ``[0, 1]^d`` (``x`` and ``y`` from the two halves of ``key``)."""
    key = check_key(key)
    n = check_integer(n, "n", minimum=1)
    d = check_integer(d, "d", minimum=1)
    kx, ky = jax.random.split(key)
    x = np.asarray(jax.random.uniform(kx, (n, d), jnp.float64))
    y = np.asarray(jax.random.uniform(ky, (n, d), jnp.float64))
    C = np.asarray(cost_matrix(x, y, cost=cost))
    w = np.full(n, 1.0 / n)
    return OTInstance(C, w, w.copy(), f"point clouds n={n} d={d} {cost}")


def digits_pair(i: int = 0, j: int = 1, cost: str = "l1", floor: float = 1e-3) -> OTInstance:
    """Two of scikit-learn's bundled 8x8 digit images as histograms on the grid scaled to [0, 1]^2.

    A ``floor`` is added to every pixel so all weights are positive (a stand-in for the paper's
    MNIST pairs; needs scikit-learn, a test/verify extra).
    """
    check_choice(cost, "cost", ("l1", "sqeuclidean"))
    from sklearn.datasets import load_digits

    images = load_digits().images.astype(np.float64)
    grid = np.stack(np.meshgrid(np.arange(8), np.arange(8), indexing="ij"), -1).reshape(-1, 2) / 7.0
    a = images[i].reshape(-1) + floor
    b = images[j].reshape(-1) + floor
    C = np.asarray(cost_matrix(grid, grid, cost=cost))
    return OTInstance(C, a / a.sum(), b / b.sum(), f"digits {i}->{j} {cost}")


def densities_1d(n: int = 200, p: float = 2.0) -> OTInstance:
    """A Gaussian bump against a two-bump mixture on ``n`` grid points of [0, 1], cost ``|x - y|^p``."""
    n = check_integer(n, "n", minimum=2)
    x = np.linspace(0.0, 1.0, n)
    a = np.exp(-((x - 0.3) ** 2) / (2 * 0.1**2))
    b = 0.5 * np.exp(-((x - 0.6) ** 2) / (2 * 0.05**2)) + 0.5 * np.exp(-((x - 0.8) ** 2) / (2 * 0.05**2))
    C = np.abs(x[:, None] - x[None, :]) ** p
    return OTInstance(C, a / a.sum(), b / b.sum(), f"1-D densities n={n} p={p:g}")


def random_costs(key, n: int = 400, m: int = 300) -> OTInstance:
    """A rectangular ``C ~ U[0, 1]^{n x m}`` with random marginals (each ``U[0.5, 1.5]`` weights,
    normalised): a generic dense problem without geometry."""
    key = check_key(key)
    n = check_integer(n, "n", minimum=1)
    m = check_integer(m, "m", minimum=1)
    kc, ka, kb = jax.random.split(key, 3)
    C = np.asarray(jax.random.uniform(kc, (n, m), jnp.float64))
    a = np.asarray(jax.random.uniform(ka, (n,), jnp.float64, 0.5, 1.5))
    b = np.asarray(jax.random.uniform(kb, (m,), jnp.float64, 0.5, 1.5))
    return OTInstance(C, a / a.sum(), b / b.sum(), f"random costs {n}x{m}")


def skewed_marginals(key, n: int = 500, floor: float = 1e-8) -> OTInstance:
    """2-D point clouds (squared Euclidean cost) whose marginals look unbalanced: weights that decay
    as ``exp(-30 |x - c|^2)`` away from a corner ``c`` plus ``floor``, so most entries are tiny but
    positive (their potentials are large and slow to settle)."""
    key = check_key(key)
    n = check_integer(n, "n", minimum=1)
    floor = float(floor)
    if not np.isfinite(floor) or floor <= 0.0:
        raise ValueError(f"`floor` must be a positive weight (every marginal entry stays > 0), got {floor!r}")
    kx, ky = jax.random.split(key)
    x = np.asarray(jax.random.uniform(kx, (n, 2), jnp.float64))
    y = np.asarray(jax.random.uniform(ky, (n, 2), jnp.float64))
    a = np.exp(-30.0 * np.sum(x**2, axis=1)) + floor
    b = np.exp(-30.0 * np.sum((y - 1.0) ** 2, axis=1)) + floor
    C = np.asarray(cost_matrix(x, y, cost="sqeuclidean"))
    return OTInstance(C, a / a.sum(), b / b.sum(), f"skewed marginals n={n} floor={floor:g}")


class OTCase(NamedTuple):
    """One benchmark case: the instance, its regularisation ``eps`` (``eta = 1/eps``), a ``family``
    label and whether it is one of the hard cases (small ``eps`` relative to the cost scale)."""

    instance: OTInstance
    eps: float
    family: str
    hard: bool

    @property
    def name(self) -> str:
        reg = f"eta={1.0 / self.eps:.0f}" if self.family in ("assignment", "digits") else f"eps={self.eps:g}"
        return f"{self.instance.name} {reg}"


def benchmark_suite(size: str = "quick", key=None) -> list[OTCase]:
    """The entropic-OT benchmark suite as data: a list of :class:`OTCase`.

    ``"quick"`` (n <= 1000; minutes for every solver on a laptop CPU):

    * assignment n = 500 at eta = 100, 1200, 5000;
    * 2-D point clouds (squared Euclidean) n = 500 and 1000 at eps = 1e-3, n = 1000 at eps = 1e-2 and 3e-3;
    * 1-D densities n = 200 with W1 (``|x - y|``) and W2 (``|x - y|^2``) costs, eps = 1e-3;
    * the digits 0 -> 1 pair with L1 and squared L2 ground costs, eta = 1200 (needs scikit-learn);
    * random rectangular costs 400 x 300 with random marginals, eps = 1e-2;
    * skewed marginals (entries down to 1e-8) on point clouds n = 500, eps = 1e-2.

    ``"full"`` adds point clouds n = 2000 (eps 1e-2, 3e-3, 1e-3) and n = 5000 (eps 1e-3), and 1-D
    densities n = 2000 (W1, W2). ``key`` (default ``key(0)``) draws the random instances.
    """
    if size not in ("quick", "full"):
        raise ValueError(f"`size` must be 'quick' or 'full', got {size!r}")
    key = jax.random.key(0) if key is None else check_key(key)
    cases = [OTCase(random_assignment(key, 500), 1.0 / eta, "assignment", eta >= 1200) for eta in (100, 1200, 5000)]
    cases += [OTCase(point_clouds(key, n), 1e-3, "points", n >= 1000) for n in (500, 1000)]
    cases += [OTCase(point_clouds(key, 1000), eps, "points", False) for eps in (1e-2, 3e-3)]
    cases += [OTCase(densities_1d(200, p), 1e-3, "densities", False) for p in (1.0, 2.0)]
    cases += [OTCase(digits_pair(0, 1, cost), 1.0 / 1200, "digits", False) for cost in ("l1", "sqeuclidean")]
    cases += [OTCase(random_costs(key, 400, 300), 1e-2, "random costs", False),
              OTCase(skewed_marginals(key, 500), 1e-2, "skewed marginals", False)]
    if size == "full":
        cases += [OTCase(point_clouds(key, 2000), eps, "points", eps <= 1e-3) for eps in (1e-2, 3e-3, 1e-3)]
        cases += [OTCase(point_clouds(key, 5000), 1e-3, "points", True)]
        cases += [OTCase(densities_1d(2000, p), 1e-3, "densities", False) for p in (1.0, 2.0)]
    return cases


class SuiteResult(NamedTuple):
    """What :func:`solve_suite` returns, one entry per case: ``names``, ``converged`` (the solver's
    flag), ``marginal_error`` (the L1 error of both marginals of the returned plan),
    ``sinkhorn_steps``, ``newton_steps`` and ``status`` codes."""

    names: tuple
    converged: np.ndarray
    marginal_error: np.ndarray
    sinkhorn_steps: np.ndarray
    newton_steps: np.ndarray
    status: np.ndarray


@functools.lru_cache(maxsize=2)
def _suite_cached(size: str, key_data: bytes):
    return tuple(benchmark_suite(size, jax.random.wrap_key_data(jnp.asarray(np.frombuffer(key_data, np.uint32)))))


def _solve_case(cases, solver, kwargs, point):
    """One case of :func:`solve_suite` (a picklable sweep task). ``cases`` is a tuple of
    :class:`OTCase` or ``(size, key bytes)``: the suite is then rebuilt (once per process) where
    the task runs, rather than shipped with every task."""
    from theorylab.estimators import transport as T

    if isinstance(cases[0], str):
        cases = _suite_cached(*cases)
    case = cases[int(point["case"])]
    inst = case.instance
    r = getattr(T, solver)(inst.cost, inst.a, inst.b, eps=case.eps, **dict(kwargs))
    return {"converged": bool(r.converged), "marginal_error": float(r.marginal_error),
            "sinkhorn_steps": int(r.sinkhorn_steps), "newton_steps": int(r.newton_steps), "status": int(r.status)}


def solve_suite(cases="quick", solver: str = "sns", *, key=None, executor=None, checkpoint=None, progress=False,
                **solver_kwargs) -> SuiteResult:
    """Solve every case of the benchmark suite (``"quick"`` or ``"full"``, drawn from ``key`` as in
    :func:`benchmark_suite`; or a sequence of :class:`OTCase`) with ``solver`` (``"sns"`` or
    ``"sinkhorn"``, keyword arguments passed on), through :func:`theorylab.sweeps.sweep` (host
    mode: each case has its own shapes). ``executor`` spreads the cases over a process pool or a Dask
    cluster (a named suite is rebuilt on each worker instead of being shipped; a sequence of cases
    travels with every task), ``checkpoint=DIR`` keeps finished cases across a crash. Wall times
    are not recorded: they mean little on shared workers, and ``benchmarks/ot_bench.py`` times the
    solvers in one process."""
    check_choice(solver, "solver", ("sns", "sinkhorn"))
    if isinstance(cases, str):
        check_choice(cases, "cases", ("quick", "full"))
        key = jax.random.key(0) if key is None else check_key(key)
        suite = (cases, raw_key_data(key).astype(np.uint32).tobytes())
        names = tuple(c.name for c in _suite_cached(*suite))
    else:
        suite = tuple(cases)
        if not suite or not all(isinstance(c, OTCase) for c in suite):
            raise TypeError("`cases` must be 'quick', 'full' or a non-empty sequence of OTCase (see benchmark_suite())")
        names = tuple(c.name for c in suite)
    from theorylab.sweeps import sweep

    task = functools.partial(_solve_case, suite, solver, tuple(sorted(solver_kwargs.items())))
    out = sweep(task, {"case": np.arange(len(names))}, chunk_size=1, executor=executor, checkpoint=checkpoint,
                batch="host", progress=progress)
    return SuiteResult(names, out["converged"].astype(bool), out["marginal_error"], out["sinkhorn_steps"],
                       out["newton_steps"], out["status"])

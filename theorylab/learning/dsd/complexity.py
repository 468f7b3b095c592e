"""Sample complexity on DSD: test errors, error curves over nested subsets, N*, scaling exponents.

``N*(target)`` is the smallest training-set size at which the learner's mean test error (over
seeds) reaches the target. One pool of ``max(n_grid)`` samples is drawn per seed and every grid
size trains on its first ``n`` samples through a mask, so one compilation serves the whole grid
and the curves are nested (``docs/theory/dsd.md``, "Measuring N*"). N* is read off the seed-averaged curve by log-linear
interpolation between the two grid points that bracket the target; its confidence interval comes
from resampling the seeds (percentile bootstrap). Exponents are log-log slopes of N* against
``k`` or ``d``, with an interval from the same bootstrap (or a NumPyro regression).

Test errors of the CNN and LCN are computed **from projections**: given the filters, the
pre-activation of unit ``j`` is ``y <w_j, w*> 1[j = i*] + sigma ||w_j|| z_j`` with independent
``z_j`` (the patches are disjoint), so the 0-1 error is a ``k``-dimensional Gaussian expectation
whatever ``d`` is, estimated with stratified signal positions and the same draws for every grid
point (common random numbers). The FCN's units overlap, so its error uses a sampled test set.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.learning.dsd.distribution import DSD, _check_dsd, bayes_error, lsa, oracle_error
from theorylab.learning.dsd.networks import Params, apply, check_architecture, filter_shape
from theorylab.learning.dsd.training import GradientDescent, TwoStep
from theorylab.numerics import Interval, fit_line, n_star_from_curve
from theorylab.validation import (as_float_array, check_finite, check_in_range, check_integer, check_key, check_positive,
                                  raw_key_data)

__all__ = [
    "test_error",
    "error_curves",
    "SampleComplexity",
    "sample_complexity",
    "sweep",
    "ExponentFit",
    "fit_exponent",
    "fit_exponent_bayes",
    "theory_rates",
    "theory_exponent",
    "RATES",
]


# ---------------------------------------------------------------------------------------------
# test error


def _unit_statistics(arch: str, params: Params, dist: DSD):
    """Per-unit alignment ``<w_j, w*>`` and noise sd ``sigma ||w_j||`` (CNN: the shared filter for
    every patch)."""
    w_star = dist.w_star.astype(params.w.dtype)
    if arch == "cnn":
        a = jnp.full((dist.k,), params.w @ w_star)
        s = jnp.full((dist.k,), jnp.linalg.norm(params.w))
    else:
        a = params.w @ w_star
        s = jnp.linalg.norm(params.w, axis=-1)
    return a, dist.sigma.astype(params.w.dtype) * s


def test_error(key, arch: str, params: Params, dist: DSD, *, samples: int = 2**15, method: str = "auto"):
    """0-1 test error (an output of exactly 0 counts as an error).

    ``method="projections"`` (CNN, LCN; the default for them): a Monte Carlo over the ``k`` unit
    pre-activations, exact in distribution and independent of ``d`` (signal positions stratified,
    ``y = +1`` by the symmetry ``phi_b(-u) = -phi_b(u)``); ``"sample"``: a freshly sampled test
    set of ``samples`` inputs (the FCN's only option).
    """
    key = check_key(key)
    arch = check_architecture(arch)
    _check_dsd(dist)
    if not isinstance(params, Params):
        raise TypeError(f"`params` must be a theorylab.learning.dsd.Params, got {type(params).__name__}")
    expected = filter_shape(arch, dist.k, dist.d, params.w.shape[0] if arch == "fcn" and params.w.ndim == 3 else None)
    if tuple(params.w.shape) != expected:
        raise ValueError(f"`params` do not fit arch={arch!r} on this DSD: filters of shape {tuple(params.w.shape)}, "
                         f"expected {expected} (k = {dist.k}, d = {dist.d}); were they trained for another architecture?")
    samples = check_integer(samples, "samples", minimum=1)
    if method == "auto":
        method = "sample" if arch == "fcn" else "projections"
    if method == "sample":
        data = dist.sample_labeled(key, samples)
        out = apply(arch, Params(params.w.astype(dist.dtype), params.b.astype(dist.dtype)), data.x)
        return jnp.mean(jnp.sign(out) != data.y)
    if method != "projections":
        raise ValueError(f"`method` must be 'auto', 'projections' or 'sample', got {method!r}")
    if arch == "fcn":
        raise ValueError("the FCN's units overlap, so its error has no per-unit projection form; use method='sample'")
    k = dist.k
    per = -(-samples // k)  # samples per signal position
    a, s = _unit_statistics(arch, params, dist)
    z = jax.random.normal(key, (k, per, k), params.w.dtype)  # (signal position, draw, unit)
    signal = jnp.eye(k, dtype=bool)[:, None, :]  # unit == signal position
    noise_sd = jnp.where(signal, 0.0, s) if dist.noise == "background" else jnp.broadcast_to(s, signal.shape)
    u = z * noise_sd + jnp.where(signal, a, 0.0)
    out = jnp.sum(lsa(u, params.b), axis=-1)
    return jnp.mean(out <= 0)


# ---------------------------------------------------------------------------------------------
# curves and N*


def _fit(learner, key, x, y, mask, valid):
    if isinstance(learner, GradientDescent):
        return learner.fit_grid(key, x, y, mask, *valid).params
    return learner.fit(key, x, y, mask)


def error_curves(key, dist: DSD, learner, n_grid, *, num_seeds: int = 8, test_samples: int = 2**15,
                 validation_samples: int = 1000, test_method: str = "auto"):
    """``(num_seeds, len(n_grid))`` test errors of ``learner`` trained on the first ``n`` samples of one
    pool per seed. One compiled function (cached across calls with the same sizes): seeds and
    grid points are ``vmap``-ed. Each seed splits its key into the training pool, the test draws
    (shared by the grid points), the learner's initialisation and, for :class:`GradientDescent`,
    a validation pool of ``validation_samples``."""
    key = check_key(key)
    _check_dsd(dist)
    grid = _check_grid(n_grid)
    seeds = check_integer(num_seeds, "num_seeds", minimum=1)
    test_samples = check_integer(test_samples, "test_samples", minimum=1)
    validation_samples = check_integer(validation_samples, "validation_samples", minimum=1)
    # the grid's sizes are traced (masks over one pool); only its length and largest size are shapes
    return np.asarray(_curves(key, dist.sigma, dist.w_star, learner, jnp.asarray(grid), k=dist.k, d=dist.d,
                              noise=dist.noise, dtype=dist.dtype.name, n_max=int(grid[-1]), seeds=seeds,
                              test_samples=test_samples, validation_samples=validation_samples,
                              test_method=test_method))


@functools.partial(jax.jit, static_argnames=("k", "d", "noise", "dtype", "n_max", "seeds", "test_samples",
                                             "validation_samples", "test_method"))
def _curves(key, sigma, w_star, learner, grid, *, k, d, noise, dtype, n_max, seeds, test_samples,
            validation_samples, test_method):
    dist = DSD(k, d, sigma, w_star, noise=noise, dtype=dtype)

    def one_seed(k_seed):
        k_train, k_test, k_init, k_valid = jax.random.split(k_seed, 4)
        data = dist.sample_labeled(k_train, n_max)
        valid = ()
        if isinstance(learner, GradientDescent):
            vd = dist.sample_labeled(k_valid, validation_samples)
            valid = (vd.x, vd.y)
        index = jnp.arange(n_max)

        def at_n(n):
            params = _fit(learner, k_init, data.x, data.y, (index < n).astype(data.x.dtype), valid)
            return test_error(k_test, learner.arch, params, dist, samples=test_samples, method=test_method)

        return jax.vmap(at_n)(grid)

    return jax.vmap(one_seed)(jax.random.split(key, seeds))


def _check_grid(n_grid) -> np.ndarray:
    grid = np.asarray(n_grid)
    if grid.ndim != 1 or grid.size < 1:
        raise ValueError(f"`n_grid` must be a non-empty 1-D sequence of sample sizes, got shape {grid.shape}")
    if not np.issubdtype(grid.dtype, np.integer):
        if not np.all(np.equal(np.mod(grid, 1), 0)):
            raise TypeError(f"`n_grid` must hold integer sample sizes, got {grid.dtype} values such as {grid[0]!r}")
        grid = grid.astype(int)
    if np.any(grid < 1):
        raise ValueError(f"`n_grid` sample sizes must be >= 1, got minimum {int(grid.min())}")
    if np.any(np.diff(grid) <= 0):
        raise ValueError("`n_grid` must be strictly increasing")
    return grid.astype(int)


class SampleComplexity(NamedTuple):
    """N* of one learner on one DSD instance, with its bootstrap over seeds.

    ``value`` (= ``n_star``), ``standard_error`` (the bootstrap standard deviation of N*, ``inf`` when
    some resample never reaches the target) and ``confidence_interval(level)`` (percentile
    bootstrap) follow the package's estimate convention; ``float(result)`` is N*.
    """

    n_star: float  #: N* of the seed-averaged error curve (inf: the target is never reached)
    target: float  #: the error target
    n_grid: np.ndarray  #: grid of training-set sizes
    errors: np.ndarray  #: (seeds, grid) test errors
    bootstrap: np.ndarray  #: N* of resampled-seed curves
    arch: str
    k: int
    d: int
    sigma: float
    oracle_error: float  #: oracle LSA error at the reference threshold
    bayes_error: float  #: Bayes risk (Monte Carlo)
    learner: str

    @property
    def value(self) -> float:
        """N* (the same as ``n_star``)."""
        return self.n_star

    @property
    def standard_error(self) -> float:
        """Bootstrap standard deviation of N* (``inf`` when some resample never reaches the target)."""
        b = self.bootstrap
        return float(np.std(b, ddof=1)) if np.all(np.isfinite(b)) else math.inf

    def __float__(self) -> float:
        return float(self.n_star)

    @property
    def mean_errors(self) -> np.ndarray:
        """Seed-averaged test error at each grid size."""
        return self.errors.mean(axis=0)

    @property
    def per_seed_n_star(self) -> np.ndarray:
        """N* of each seed's own curve."""
        return np.array([n_star_from_curve(self.n_grid, e, self.target) for e in self.errors])

    def confidence_interval(self, level: float = 0.95) -> Interval:
        """Percentile bootstrap interval of N* (seeds resampled); ``inf`` ends mean the target was
        not reached in that share of the resamples."""
        check_in_range(level, "level", 0.0, 1.0, closed=(False, False))
        lo, hi = np.quantile(self.bootstrap, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
        return Interval(float(lo), float(hi))

    @property
    def log_stderr(self) -> float:
        """Standard deviation of log N* over the bootstrap (inf when some resample never reaches
        the target)."""
        b = self.bootstrap
        return float(np.std(np.log(b), ddof=1)) if np.all(np.isfinite(b)) else math.inf


def _reference_threshold(learner, reference_threshold):
    if reference_threshold is not None:
        return float(reference_threshold)
    if isinstance(learner, TwoStep):
        return float(learner.b)
    return 0.4


def sample_complexity(key, dist: DSD, learner, n_grid, *, target: float | None = None, gap: float = 0.03,
                      reference_threshold: float | None = None, num_seeds: int = 8, test_samples: int = 2**15,
                      bootstrap: int = 1000, validation_samples: int = 1000) -> SampleComplexity:
    """``N*`` at ``target`` (default: the oracle LSA error at the learner's threshold plus ``gap``;
    the authors' rule, as the theory note records it, is ``gap = 0.03``).

    Raises ``ValueError`` when the target is at or below the Bayes risk (its Monte Carlo estimate
    plus three standard errors: no learner can reach it);
    warns when it is at or below the oracle error of a fixed-threshold learner (N* is then
    almost surely inf) and when ``sigma sqrt(k) > 1`` (outside the theory's regime).
    """
    key = check_key(key)
    _check_dsd(dist)
    grid = _check_grid(n_grid)
    b_ref = _reference_threshold(learner, reference_threshold)
    oracle = oracle_error(dist, b_ref)
    bayes = bayes_error(jax.random.fold_in(key, 7), dist, samples=200_000)
    if target is None:
        gap = float(gap)
        if not math.isfinite(gap) or gap <= 0.0:
            raise ValueError(f"`gap` must be a positive error margin above the oracle, got {gap!r}")
        target = oracle + gap
    target = float(target)
    if not math.isfinite(target) or target >= 1.0:
        raise ValueError(f"`target` must be a finite error rate below 1, got {target!r}")
    floor = bayes.value + 3.0 * bayes.standard_error
    if target <= floor:
        raise ValueError(
            f"`target` = {target:.4g} is at or below the Bayes risk {bayes.value:.4g} (+- {bayes.standard_error:.1g}) of "
            f"this DSD instance: no learner reaches it; choose a target above the Bayes floor")
    if isinstance(learner, TwoStep) and target <= oracle:
        warnings.warn(f"`target` = {target:.4g} is at or below the oracle LSA error {oracle:.4g} at threshold "
                      f"{b_ref}: the learner's N* is almost surely infinite", UserWarning, stacklevel=2)
    if float(dist.sigma) * math.sqrt(dist.k) > 1.0:
        warnings.warn(f"sigma sqrt(k) = {float(dist.sigma) * math.sqrt(dist.k):.3g} > 1: outside the regime "
                      f"sigma = O(1/sqrt(k)) the theory assumes", UserWarning, stacklevel=2)
    errors = error_curves(key, dist, learner, grid, num_seeds=num_seeds, test_samples=test_samples,
                          validation_samples=validation_samples)
    n_star = n_star_from_curve(grid, errors.mean(0), target)
    rng = np.random.default_rng(int(jax.random.randint(jax.random.fold_in(key, 11), (), 0, 2**31 - 1)))
    picks = rng.integers(0, errors.shape[0], size=(check_integer(bootstrap, "bootstrap", minimum=1), errors.shape[0]))
    boot = np.array([n_star_from_curve(grid, errors[p].mean(0), target) for p in picks])
    return SampleComplexity(
        n_star=n_star, target=target, n_grid=grid, errors=errors, bootstrap=boot, arch=learner.arch, k=dist.k,
        d=dist.d, sigma=float(dist.sigma), oracle_error=oracle, bayes_error=bayes.value, learner=type(learner).__name__,
    )


def sweep(key, make_dist: Callable[[int, int], DSD], learners: dict, points: Sequence[tuple[int, int]], n_grid,
          *, progress=False, executor=None, checkpoint=None, chunk_size: int | None = None, **kwargs) -> dict:
    """``{(name, k, d): SampleComplexity}`` for every learner (a dict ``name -> learner``) and
    every ``(k, d)`` point; ``make_dist(k, d)`` builds the instance (e.g. with ``sigma = c/sqrt(k)``).
    Each (learner, point) pair compiles once; keys are ``fold_in``-ed per point, shared by learners
    (the same training pools for every architecture).

    The (learner, point) pairs are the points of a :func:`theorylab.sweeps.sweep` (``batch="host"``:
    every pair has its own shapes): ``executor`` runs them on any
    :class:`concurrent.futures.Executor` (a Dask client's; ``make_dist`` and the learners must then
    pickle: a module-level function or a ``functools.partial``, or any callable on Dask, which uses
    cloudpickle), ``checkpoint=DIR`` keeps finished pairs so that a rerun computes only the others,
    ``chunk_size`` pairs go to one task (default one). The result does not depend on where a pair ran.
    ``progress=True`` shows a text bar; a callable receives a :class:`theorylab.sweeps.SweepEvent` per
    finished chunk.
    """
    key = check_key(key)
    sizes = _check_grid(n_grid)
    from theorylab.sweeps import sweep as _sweep

    names = list(learners)
    jobs = [(i, k, d) for (k, d) in points for i in range(len(names))]
    if not jobs:
        raise ValueError("`points` must hold at least one (k, d) pair and `learners` at least one learner")
    grid = {"learner": np.array([j[0] for j in jobs]), "k": np.array([j[1] for j in jobs]),
            "d": np.array([j[2] for j in jobs])}
    task = functools.partial(_sweep_point, raw_key_data(key), make_dist,
                             tuple(learners[n] for n in names), tuple(int(n) for n in sizes),
                             tuple(sorted(kwargs.items())))
    report = progress if callable(progress) else None
    if progress is True:
        from tqdm.std import tqdm  # plain text bar

        bar = tqdm(total=len(jobs), desc="DSD sweep", unit="point", leave=False)

        def report(event):
            bar.n = min(len(jobs), event.done * (chunk_size or 1))
            bar.refresh()
            if event.done == event.total:
                bar.close()

    res = _sweep(task, grid, chunk_size=chunk_size or 1, executor=executor, checkpoint=checkpoint, batch="host",
                 progress=report)
    out = {}
    for j, (i, k, d) in enumerate(jobs):
        learner = learners[names[i]]
        out[(names[i], k, d)] = SampleComplexity(
            n_star=float(res["n_star"][j]), target=float(res["target"][j]), n_grid=sizes,
            errors=res["errors"][j], bootstrap=res["bootstrap"][j], arch=learner.arch, k=int(k), d=int(d),
            sigma=float(res["sigma"][j]), oracle_error=float(res["oracle_error"][j]),
            bayes_error=float(res["bayes_error"][j]), learner=type(learner).__name__)
    return out


def _sweep_point(key_data, make_dist, learners, n_grid, kwargs, point):
    """One (learner, k, d) pair of :func:`sweep`: the numeric fields of its :class:`SampleComplexity`."""
    k, d = int(point["k"]), int(point["d"])
    point_key = jax.random.fold_in(jax.random.wrap_key_data(jnp.asarray(key_data)), 1000 * k + d)
    res = sample_complexity(point_key, make_dist(k, d), learners[int(point["learner"])], np.asarray(n_grid),
                            **dict(kwargs))
    return {"n_star": res.n_star, "target": res.target, "errors": res.errors, "bootstrap": res.bootstrap,
            "sigma": res.sigma, "oracle_error": res.oracle_error, "bayes_error": res.bayes_error}


# ---------------------------------------------------------------------------------------------
# exponents


class ExponentFit(NamedTuple):
    """Log-log slope of N* against ``k`` or ``d``: ``log N* = intercept + value * log x``.

    ``value`` is the slope (OLS on the point estimates for the bootstrap fit, the posterior mean for
    the Bayesian one), ``standard_error`` the standard deviation of ``draws`` (bootstrap slopes or
    posterior draws), and ``confidence_interval(level)`` their central percentile interval.
    """

    value: float
    intercept: float
    standard_error: float
    draws: np.ndarray  #: bootstrap slopes or posterior draws of the slope
    method: str  #: "bootstrap" or "numpyro"
    x: np.ndarray  #: the k or d values
    n_star: np.ndarray  #: the N* values fitted
    ols_standard_error: float  #: OLS standard error of the slope (residual scatter only)

    def confidence_interval(self, level: float = 0.95) -> Interval:
        """Central percentile interval of ``draws`` at ``level``."""
        check_in_range(level, "level", 0.0, 1.0, closed=(False, False))
        lo, hi = np.quantile(self.draws, [(1 - level) / 2, (1 + level) / 2])
        return Interval(float(lo), float(hi))

    def __float__(self) -> float:
        return float(self.value)


def _exponent_points(results, over):
    if over not in ("k", "d"):
        raise ValueError(f"`over` must be 'k' or 'd', got {over!r}")
    results = list(results)
    if not all(isinstance(r, SampleComplexity) for r in results):
        raise TypeError("`results` must be SampleComplexity results (from sample_complexity or sweep)")
    if len(results) < 3:
        raise ValueError(f"an exponent fit needs at least 3 points, got {len(results)}")
    x = np.array([getattr(r, over) for r in results], dtype=float)
    n = np.array([r.n_star for r in results], dtype=float)
    if not np.all(np.isfinite(n)):
        bad = [int(xi) for xi, ni in zip(x, n) if not np.isfinite(ni)]
        raise ValueError(f"N* is infinite at {over} = {bad}: extend `n_grid` or relax the target before fitting")
    return results, x, n


def fit_exponent(results: Sequence[SampleComplexity], over: str = "k") -> ExponentFit:
    """Fit ``log N* = c + slope log x`` (``x`` = ``k`` or ``d``) over the given results.

    OLS on the point estimates; the draws are the slopes of the seed-bootstrap replicates (each
    point resampled independently, replicates that miss the target anywhere left out, with a
    warning when that is more than 10%). Every N* must be finite. For a Bayesian fit that weighs
    the points by their bootstrap scatter, see :func:`fit_exponent_bayes`.
    """
    results, x, n = _exponent_points(results, over)
    ols = fit_line(np.log(x), np.log(n))
    boots = np.stack([r.bootstrap for r in results])  # (points, B)
    usable = np.all(np.isfinite(boots), axis=0)
    if usable.mean() < 0.9:
        warnings.warn(f"only {usable.mean():.0%} of the bootstrap replicates reach the target at every point; "
                      f"the interval covers those", UserWarning, stacklevel=2)
    lx = np.log(x) - np.log(x).mean()
    slopes = (lx @ np.log(boots[:, usable])) / (lx @ lx)
    return ExponentFit(ols.slope.value, ols.intercept.value, float(np.std(slopes, ddof=1)), slopes, "bootstrap",
                       x, n, ols.slope.standard_error)


def fit_exponent_bayes(key, results: Sequence[SampleComplexity], over: str = "k", *,
                       num_samples: int = 2000) -> ExponentFit:
    """A Bayesian regression ``log N*_j ~ N(c + slope log x_j, tau^2 + s_j^2)`` with ``s_j`` the
    bootstrap sd of ``log N*_j``, priors ``c ~ N(0, 10^2)``, ``slope ~ N(0, 3^2)``,
    ``tau ~ HalfNormal(1)``, sampled by NUTS (NumPyro) from ``key``; the draws are the posterior
    draws of the slope."""
    import numpyro
    import numpyro.distributions as dist_
    from numpyro.infer import MCMC, NUTS

    key = check_key(key)
    num_samples = check_integer(num_samples, "num_samples", minimum=10)
    results, x, n = _exponent_points(results, over)
    ols = fit_line(np.log(x), np.log(n))
    s = np.array([r.log_stderr for r in results])
    s = np.where(np.isfinite(s), s, 1.0)
    lx, ly = jnp.asarray(np.log(x) - np.log(x).mean()), jnp.asarray(np.log(n))

    def model(lx, s, ly=None):
        c = numpyro.sample("c", dist_.Normal(0.0, 10.0))
        slope = numpyro.sample("slope", dist_.Normal(0.0, 3.0))
        tau = numpyro.sample("tau", dist_.HalfNormal(1.0))
        numpyro.sample("obs", dist_.Normal(c + slope * lx, jnp.sqrt(tau**2 + s**2)), obs=ly)

    mcmc = MCMC(NUTS(model), num_warmup=num_samples // 2, num_samples=num_samples, progress_bar=False)
    mcmc.run(key, lx, jnp.asarray(s), ly)
    draws = np.asarray(mcmc.get_samples()["slope"])
    c = float(np.mean(np.asarray(mcmc.get_samples()["c"])) - np.mean(draws) * np.log(x).mean())
    return ExponentFit(float(np.mean(draws)), c, float(np.std(draws, ddof=1)), draws, "numpyro", x, n,
                       ols.slope.standard_error)


# ---------------------------------------------------------------------------------------------
# theory

#: The four rates (D5) of docs/theory/dsd.md with constants 1 (sigma-explicit forms from secondary sources).
RATES = {
    "cnn_upper": lambda k, d, s: s**2 * (k + d) * jnp.log(k * d),
    "lcn_upper": lambda k, d, s: s**2 * k * (k + d) * jnp.log(k * d),
    "lcn_lower": lambda k, d, s: s**2 * k * d,
    "fcn_lower": lambda k, d, s: s**2 * k**2 * d,
}


def theory_rates(k, d, sigma) -> dict:
    """The bounds (D5) of ``docs/theory/dsd.md`` with every constant set to 1: CNN ``O(s^2 (k+d) ln kd)``, LCN
    ``O(s^2 k (k+d) ln kd)`` and ``Omega(s^2 k d)``, FCN ``Omega(s^2 k^2 d)``."""
    k = check_integer(k, "k", minimum=1)
    d = check_integer(d, "d", minimum=1)
    s = as_float_array(sigma, "sigma", ndim=0)
    check_finite(s, "sigma")
    check_positive(s, "sigma")
    args = (jnp.asarray(float(k)), jnp.asarray(float(d)), jnp.asarray(float(s)))  # overflow gives inf, not an exception
    out = {name: float(rate(*args)) for name, rate in RATES.items()}
    if not all(np.isfinite(v) for v in out.values()):
        raise ValueError(f"the rates overflow float64 at k = {k}, d = {d}, `sigma` = {float(s)!r}: use smaller values")
    return out


def theory_exponent(rate: str, over: str, k: float, d: float, *, sigma_scaling: str = "fixed") -> float:
    """Local elasticity ``d log N / d log x`` of a rate at ``(k, d)``; with
    ``sigma_scaling="inverse_sqrt_k"`` the noise is ``sigma = c / sqrt(k)`` (so ``sigma^2`` adds
    -1 to every k-exponent). Computed by automatic differentiation."""
    if rate not in RATES:
        raise ValueError(f"`rate` must be one of {sorted(RATES)}, got {rate!r}")
    if over not in ("k", "d"):
        raise ValueError(f"`over` must be 'k' or 'd', got {over!r}")
    if sigma_scaling not in ("fixed", "inverse_sqrt_k"):
        raise ValueError(f"`sigma_scaling` must be 'fixed' or 'inverse_sqrt_k', got {sigma_scaling!r}")

    def log_rate(log_k, log_d):
        kk, dd = jnp.exp(log_k), jnp.exp(log_d)
        s = 1.0 / jnp.sqrt(kk) if sigma_scaling == "inverse_sqrt_k" else 1.0
        return jnp.log(RATES[rate](kk, dd, s))

    grad = jax.grad(log_rate, argnums=0 if over == "k" else 1)
    return float(grad(jnp.log(float(k)), jnp.log(float(d))))

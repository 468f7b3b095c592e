r"""Subsample-and-extrapolate protocol: error bars and reliability checks for any MI estimator.

1. **Disjoint subsamples** (Holmes & Nemenman, PRE 100, 022404, 2019; the protocol of
   Abdelaleem, Martini & Nemenman 2025 as implemented in NeuralMI): for each :math:`\gamma = 1..10`
   a random permutation of the N samples of its own is cut into :math:`\gamma` disjoint chunks of
   :math:`\lfloor N/\gamma\rfloor` points (the :math:`N \bmod \gamma` points at the end are left out
   at that :math:`\gamma`; equal chunks let one compiled estimator run over all chunks with
   ``vmap``). Points are never repeated: resampling with replacement puts duplicated points at
   distance 0 and biases kNN estimators by about +0.27 nats (P6 of the theory note), so
   :func:`bootstrap` refuses kNN estimators.
2. **Holmes-Nemenman variance** of the full-N estimate, using Var ∝ 1/N:
   :math:`\hat\sigma_N^2 = \sum_\gamma(\gamma-1)\frac{m_\gamma}{N}\mathrm{Var}_\gamma \big/ \sum_\gamma(\gamma-1)`
   with :math:`\mathrm{Var}_\gamma` the sample variance of the :math:`\gamma` chunk estimates and
   :math:`m_\gamma = \lfloor N/\gamma\rfloor` the chunk size (:math:`m_\gamma/N = 1/\gamma` when
   :math:`\gamma` divides N, which is Holmes and Nemenman's :math:`(\gamma-1)/\gamma` weighting);
   its interval uses Student's t with the Satterthwaite degrees of freedom of
   :func:`~theorylab.estimators.mutual_information.hn_effective_dof` ((M16): about 44, where one
   permutation shared by all levels, as in NeuralMI, would give 8.9).
3. **Extrapolation** :math:`\hat I(N/\gamma) \approx I_\infty + a\gamma/N`: weighted least squares
   of every chunk estimate on :math:`\gamma` with weights :math:`1/\gamma` (each :math:`\gamma`
   level carries equal total weight), after a search for the linear region (a quadratic WLS fit;
   the largest :math:`\gamma` is dropped while its curvature is both large, :math:`|a_2/a_1|\ge\delta`,
   and significant, :math:`|a_2| > 2\,\mathrm{se}(a_2)`). The intercept at :math:`\gamma = 0` and its
   t interval (dof = points - 2) are reported.
4. **Consistency checks** (:func:`consistency`): drift of the estimate with :math:`\gamma`
   (WLS slope t-statistic beyond 2), no linear region with at least ``min_points`` levels, a
   shift of the intercept when :math:`\gamma = 1` is left out (beyond 20% and beyond twice its
   standard error), the InfoNCE ceiling :math:`\hat I > 0.85\log B`, chunks smaller than the
   estimator's reliable minimum, and non-finite chunk estimates. :func:`estimate_with_ci` turns them
   into ``reliable`` with these changes ((M12)-(M17) of the theory note): the interval is widened
   towards power-law limits of the chunk estimates (the slowest bias law the estimator allows, always;
   the best fit under a drift), and a drift fails the result only when the bias it implies under every
   allowed law exceeds 10%; the estimate must not move when the marginals are replaced by their normal
   scores; a model-based estimator must agree with a model-free one and pass the test of its model
   ((M17)); and the interval at 99.9% must promise the value to within 25% of the truth.

Deviations from NeuralMI: each level has its own permutation, so that the variance has the degrees of
freedom its interval uses ((M16)); and, to keep unbiased estimators from being flagged by noise, the
curvature and leave-out rules also ask for statistical significance (NeuralMI's ratio tests divide
by a slope that is 0 for an unbiased estimator), and the default level is 0.95 (NeuralMI: 0.68).
The equations are (M9)-(M11) of ``docs/theory/mutual_information.md``. Measured coverage (claims
``mi.hn_coverage`` and ``mi.wls_undercovers``, ``theorylab verify``): the Holmes-Nemenman interval is close to
nominal when the estimator's bias is small against its noise; the extrapolated interval undercovers
(about 0.77 at 95% for KSG) because every gamma level is cut from the same points, which correlates the
levels.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import numpy as np

from theorylab.estimators.mutual_information import _checks
from theorylab.estimators.mutual_information.estimator import resolve_estimator
from theorylab.estimators.mutual_information.result import MIEstimate, MIResult, _widened
from theorylab.estimators.mutual_information.subsampling import (
    DEFAULT_GAMMAS,
    Subsamples,
    _gammas,
    hn_variance,
    subsample,
)
from theorylab.numerics.estimate import Interval, t_interval
from theorylab.validation import check_in_range, check_integer, check_key, check_positive

__all__ = [
    "Extrapolation",
    "extrapolate",
    "consistency",
    "estimate_with_ci",
    "power_law_limit",
    "slowest_bias_exponent",
    "bootstrap",
]


class Extrapolation(NamedTuple):
    """WLS extrapolation to gamma = 0 (infinite N): the intercept ``value`` with its
    ``standard_error`` (Student-t, ``dof`` = points - 2), the slope in gamma with its standard
    error, the gammas of the linear region and the intercept without gamma = 1."""

    value: float
    standard_error: float
    dof: int
    slope: float
    slope_standard_error: float
    gammas_used: tuple[int, ...]
    linear_region_found: bool
    loo_gamma1_value: float

    def confidence_interval(self, level: float = 0.95) -> Interval:
        """Student-t interval of the intercept."""
        return t_interval(self.value, self.standard_error, self.dof, level)

    def __float__(self) -> float:
        return float(self.value)


_DRIFT_T = 2.0  #: |t| of the WLS slope in gamma beyond which the estimate drifts with the chunk size
_BIAS_FLOOR = 0.1  #: nats: below this the relative-shift rule compares with 0.1 nats instead of the estimate


def _design(gammas, values_by_gamma, degree):
    g = np.concatenate([[gm] * len(v) for gm, v in zip(gammas, values_by_gamma)]).astype(float)
    yv = np.concatenate([np.asarray(v, float) for v in values_by_gamma])
    w = 1.0 / g
    X = np.vander(g, degree + 1, increasing=True)
    return X, yv, w


def _wls(X, yv, w):
    xtw = X.T * w
    gram = xtw @ X
    beta = np.linalg.solve(gram, xtw @ yv)
    resid = yv - X @ beta
    dof = len(yv) - X.shape[1]
    s2 = float(np.sum(w * resid**2) / dof) if dof > 0 else float("nan")
    cov = s2 * np.linalg.inv(gram)
    return beta, np.sqrt(np.diag(cov)), dof


def extrapolate(sub: Subsamples, *, delta: float = 0.1, min_points: int = 5) -> Extrapolation:
    """WLS extrapolation of the chunk estimates to gamma = 0, over the linear region of gamma."""
    check_positive(delta, "delta")
    min_points = check_integer(min_points, "min_points", minimum=3)
    gammas, values = list(sub.gammas), list(sub.estimates)
    found = False
    while len(gammas) >= min_points:
        beta, se, _ = _wls(*_design(gammas, values, 2))
        curved = abs(beta[2]) > 2.0 * se[2] and (beta[1] == 0 or abs(beta[2] / beta[1]) >= delta)
        if not curved:
            found = True
            break
        gammas, values = gammas[:-1], values[:-1]
    if not found:
        gammas, values = list(sub.gammas), list(sub.estimates)
    beta, se, dof = _wls(*_design(gammas, values, 1))
    keep = [i for i, gm in enumerate(gammas) if gm != 1]
    loo = float("nan")
    if len(keep) >= 2 and len(keep) < len(gammas):
        loo = float(_wls(*_design([gammas[i] for i in keep], [values[i] for i in keep], 1))[0][0])
    return Extrapolation(
        value=float(beta[0]), standard_error=float(se[0]), dof=int(dof), slope=float(beta[1]),
        slope_standard_error=float(se[1]),
        gammas_used=tuple(gammas), linear_region_found=found, loo_gamma1_value=loo,
    )


def _finite(sub: Subsamples) -> bool:
    return all(np.all(np.isfinite(v)) for v in sub.estimates)


def _drift_t(sub: Subsamples) -> float:
    """t-statistic of the WLS slope of the chunk estimates in gamma ((M11)); nan when an estimate is not
    finite, 0 when the slope has no spread."""
    if not _finite(sub):
        return float("nan")
    beta, se, _ = _wls(*_design(list(sub.gammas), list(sub.estimates), 1))
    return float(beta[1] / se[1]) if se[1] > 0 else 0.0


def consistency(sub: Subsamples, extrapolation: Extrapolation | None = None, *, estimator=None,
                drift_t: float = _DRIFT_T, loo_tolerance: float = 0.2) -> dict:
    """The reliability checks; returns ``{"reliable": bool, "reasons": [...], <figures>}``."""
    ex = extrapolation if extrapolation is not None else extrapolate(sub)
    reasons = []
    finite = _finite(sub)
    if not finite:
        reasons.append("non-finite chunk estimates")
    t_drift = _drift_t(sub)
    if finite and abs(t_drift) > drift_t:
        reasons.append(f"the estimate drifts with gamma (slope t = {t_drift:+.2f}): the estimator is biased at this N")
    if not ex.linear_region_found:
        reasons.append("no linear region in gamma with enough levels (curvature of the estimate vs 1/N)")
    shift = abs(ex.value - ex.loo_gamma1_value) if math.isfinite(ex.loo_gamma1_value) else 0.0
    if shift > loo_tolerance * abs(ex.value) and shift > 2.0 * ex.standard_error:
        reasons.append(f"leaving out gamma = 1 moves the extrapolation by {shift:.3g} (> {loo_tolerance:.0%})")
    ceiling = float("nan")
    if estimator is not None and getattr(estimator, "bound", None) == "infonce":
        ceiling = 0.85 * math.log(estimator.eval_batch(min(sub.chunk_sizes)))
        if sub.full > ceiling:
            reasons.append(f"InfoNCE estimate {sub.full:.3g} is above 0.85 log B = {ceiling:.3g}: it saturates")
    minimum = getattr(estimator, "min_reliable_samples", 0) if estimator is not None else 0
    if min(sub.chunk_sizes) < minimum:
        reasons.append(f"the smallest chunk has {min(sub.chunk_sizes)} samples, below the {minimum} "
                       f"that {sub.method} needs for a reliable estimate")
    return {"reliable": not reasons, "reasons": reasons, "drift_t": t_drift, "loo_gamma1_shift": shift,
            "infonce_ceiling": ceiling, "linear_region": ex.gammas_used}


#: the slowest bias law assumed for an estimator that does not declare one (``bias_exponent_floor``)
_DEFAULT_EXPONENT_FLOOR = 0.25


def slowest_bias_exponent(estimator, dim_x: int, dim_y: int) -> float:
    r"""The smallest exponent :math:`a` of the bias law :math:`I(N) - I_\infty \propto N^{-a}` that the
    protocol allows for ``estimator`` on ``dim_x + dim_y`` joint dimensions ((M13) of the theory note).

    Estimators declare it with an optional ``bias_exponent_floor(dim_x, dim_y)`` method: KSG
    :math:`\min(1/4, 2/d)` (the kNN bias rate in :math:`d` joint dimensions, floored at 1/4 for densities
    with edges), the bias-corrected Gaussian estimator 1 (its remaining bias is :math:`O(1/N)`); an
    estimator without one gets 1/4.
    """
    floor = getattr(estimator, "bias_exponent_floor", None)
    a = float(floor(int(dim_x), int(dim_y))) if floor is not None else _DEFAULT_EXPONENT_FLOOR
    if not 0.0 < a <= 1.0:
        raise ValueError(f"{getattr(estimator, 'name', estimator)!r}.bias_exponent_floor gave {a}; expected an "
                         "exponent in (0, 1]")
    return a


def _exponent_grid(floor: float) -> tuple[float, ...]:
    """The exponents tried by :func:`power_law_limit`: ``floor``, then the multiples of 0.05 above it, up to 1."""
    return (float(floor),) + tuple(a for a in np.round(np.arange(0.05, 1.0001, 0.05), 2) if a > floor + 1e-9)


def power_law_limit(sub: Subsamples, *, exponents=None) -> tuple[float, float]:
    r"""The large-N limit of the chunk estimates under a power law in the chunk size.

    Fits the level means :math:`\bar I_\gamma` (each has variance about :math:`\sigma_N^2`, the same for
    every :math:`\gamma`, since a level averages :math:`\gamma` chunks of size :math:`N/\gamma`) by least
    squares to :math:`I_\infty + c\,\gamma^a` for each exponent :math:`a` in ``exponents`` (default 0.25,
    0.30, ..., 1) and keeps the best fit: :math:`a = 1` is the 1/N bias of the linear extrapolation;
    smaller :math:`a` is the slower approach of kNN estimators in several dimensions. With one exponent it
    is the limit under that law. Returns :math:`(I_\infty, a)` ((M13) of
    ``docs/theory/mutual_information.md``).
    """
    exps = _exponent_grid(_DEFAULT_EXPONENT_FLOOR) if exponents is None else tuple(float(a) for a in exponents)
    if not exps or not all(0.0 < a <= 2.0 for a in exps):
        raise ValueError(f"`exponents` must be a non-empty sequence of exponents in (0, 2], got {exponents!r}")
    g = np.asarray(sub.gammas, float)
    means = np.array([float(np.mean(v)) for v in sub.estimates])
    best = (float("inf"), float(means[int(np.argmin(g))]), 1.0)
    for a in exps:
        X = np.stack([np.ones_like(g), g**a], axis=1)
        coef, *_ = np.linalg.lstsq(X, means, rcond=None)
        sse = float(np.sum((X @ coef - means) ** 2))
        if sse < best[0]:
            best = (sse, float(coef[0]), float(a))
    return best[1], best[2]


def _bias_shifts(sub: Subsamples, floor: float, drift_t: float):
    """``(drifting, exponent, shift, slow_shift)`` of (M13): whether the drift statistic ``drift_t`` is
    significant, the best-fitting power law's exponent and the shift of its limit from the full-sample
    estimate (only under a drift; else nan and 0), and the shift to the limit under the slowest law
    ``floor``."""
    full = sub.full
    drifting = math.isfinite(drift_t) and abs(drift_t) > _DRIFT_T
    limit, exponent = power_law_limit(sub, exponents=_exponent_grid(floor)) if drifting else (full, float("nan"))
    shift = limit - full if math.isfinite(limit) else 0.0
    # the bias a drift below significance could hide, under the slowest law the estimator allows
    slow_limit = power_law_limit(sub, exponents=(floor,))[0]
    slow_shift = slow_limit - full if math.isfinite(slow_limit) else 0.0
    return drifting, exponent, shift, slow_shift


def _reference_interval(key, x, y, ref, gammas, level):
    """The bias-aware interval ((M13), without the marginal check) of the model-free estimator ``ref`` on the
    same chunks ((M15) of the theory note)."""
    sub = subsample(key, x, y, ref, gammas)  # same key: same chunks
    var, dof = hn_variance(sub, return_dof=True)
    *_, shift, slow_shift = _bias_shifts(sub, slowest_bias_exponent(ref, x.shape[1], y.shape[1]), _drift_t(sub))
    return _widened(*t_interval(sub.full, math.sqrt(var), dof, level), shift, slow_shift)


def _marginal_sensitivity(key, x, y, est, gammas, sub: Subsamples):
    """The estimator on the normal scores of every coordinate, on the same chunks as ``sub``; returns the
    full-sample difference raw - scores and its Holmes-Nemenman standard error ((M12) of the theory note).
    ``x`` and ``y`` are already checked (``_checks.paired``)."""
    from theorylab.estimators.mutual_information.transforms import normal_scores

    scored = subsample(key, normal_scores(x), normal_scores(y), est, gammas)  # same key: same chunks
    paired = Subsamples(sub.gammas, tuple(a - b for a, b in zip(sub.estimates, scored.estimates)),
                        sub.chunk_sizes, sub.n_samples, sub.method)
    return sub.full - scored.full, math.sqrt(hn_variance(paired)), scored.full


def estimate_with_ci(key, x, y, estimator="ksg", *, level: float = 0.95, gammas=DEFAULT_GAMMAS,
                     units: str = "nats", delta: float = 0.1, min_points: int = 5, marginal_check: bool = True,
                     max_relative_bias: float = 0.1, marginal_z: float = 3.0, max_relative_error: float = 0.25,
                     promise_level: float = 0.999, reference_check: bool = True, model_check: bool = True,
                     model_significance: float = 0.001, **estimator_kwargs) -> MIResult:
    r"""Estimate, confidence intervals and reliability verdict in one call.

    ``estimator`` is ``"ksg"`` (default, k = 5), ``"ksg2"``, ``"gaussian"``, ``"neural"`` or an
    estimator object (``KSG(k=3)``, ``GaussianMI()``, ``NeuralMI(...)``); extra keyword arguments
    configure a named estimator. Returns an :class:`MIResult` holding the full-sample estimate with
    its bias-aware interval ``ci``, its Holmes-Nemenman interval and the extrapolated estimate with its
    WLS interval.

    **The interval** ((M13) of ``docs/theory/mutual_information.md``): the union of the
    Holmes-Nemenman interval and its copies shifted by

    * :math:`\hat b_{\rm slow} = \hat I_\infty(a_{\min}) - \hat I_N`, always: the large-N limit of the chunk
      estimates under the slowest bias law :math:`\gamma^{a_{\min}}` the estimator allows
      (:func:`slowest_bias_exponent`; KSG :math:`\min(1/4, 2/d)` in :math:`d` joint dimensions, Gaussian 1):
      a bias that the chunk sizes :math:`N/10 \dots N` show only as a drift below significance;
    * :math:`\hat b = \hat I_\infty - \hat I_N` when the estimate drifts with the chunk size (WLS slope
      :math:`|t| > 2`): the limit of the best-fitting power law (:func:`power_law_limit`, exponents from
      :math:`a_{\min}` to 1);
    * with the marginal check on, the difference to the normal-scores estimate (the same interval centred
      on that estimate).

    **The verdict** (``reliable``; ``reasons`` says what failed), in addition to the checks of
    :func:`consistency` other than the drift (which widens the interval instead):

    * the bias left at N is large under every allowed law: with a significant drift, the change of the
      estimate from the first split level :math:`g` (2 by default) to the full sample, divided by
      :math:`g - 1`, exceeds ``max_relative_bias`` (0.1) of the estimate (or of 0.1 nats). Under a bias
      :math:`c\,\gamma^a` with :math:`a \le 1` that change is at most :math:`(g - 1)` times the bias at
      N, so this is a lower bound on the bias, not a fit (``diagnostics["least_bias_shift"]``);
    * ``marginal_check`` (default on): the estimate moves when every coordinate is replaced by its
      normal scores, a map that leaves MI unchanged: :math:`|\hat I_N - \hat I_N^{\,\text{scores}}|`
      exceeds ``marginal_z`` (3) Holmes-Nemenman standard errors of the paired difference **and** the
      half-width of the interval: the value depends on the marginals (heavy tails, strong maps), so
      neither number can be trusted. It runs the protocol a second time;
    * ``model_check`` (default on) for an estimator with a ``model_test`` (the Gaussian estimator's is
      :func:`~theorylab.estimators.mutual_information.gaussian_copula_test`, (M17)): its p-value on the
      whole sample is below ``model_significance`` (0.001): the data break the estimator's model;
    * ``reference_check`` (default on) for an estimator that names a ``reference_estimator`` (the
      Gaussian estimator names KSG): the estimator's interval and the reference's bias-aware interval, on
      the same chunks, do not meet, so the data break the estimator's model ((M15); it runs the reference's
      protocol once more);
    * the estimate cannot be promised to within ``max_relative_error`` (:math:`r` = 0.25) of the truth:
      the bias-aware interval at ``promise_level`` (99.9%, so that a promise broken by noise is rare
      across hundreds of results) holds a value :math:`t` with :math:`|\hat I_N - t| > r\,t`, i.e. it
      reaches below :math:`\hat I_N - \frac{r}{1+r}m` or above :math:`\hat I_N + \frac{r}{1-r}m`, with
      :math:`m = \max(|\hat I_N|, 0.1\ \text{nats})`.
    """
    key = check_key(key)
    lv = _checks.level(level)
    unit = _checks.unit_factor(units)
    check_positive(max_relative_bias, "max_relative_bias")
    check_positive(marginal_z, "marginal_z")
    check_in_range(max_relative_error, "max_relative_error", 0.0, 1.0, closed=(False, False))
    promise = _checks.level(promise_level, "promise_level")
    check_in_range(model_significance, "model_significance", 0.0, 1.0, closed=(False, False))
    if 1 not in _gammas(gammas):
        raise ValueError("`gammas` must include 1 (the full-sample estimate)")
    est = resolve_estimator(estimator, **estimator_kwargs)
    x, y = _checks.paired(x, y)
    sub = subsample(key, x, y, est, gammas)
    var, dof = hn_variance(sub, return_dof=True)
    ex = extrapolate(sub, delta=delta, min_points=min_points)
    checks = consistency(sub, ex, estimator=est, drift_t=math.inf)  # a drift widens the interval instead
    full, se = sub.full, math.sqrt(var)
    lo, hi = t_interval(full, se, dof, lv)
    elo, ehi = ex.confidence_interval(lv)
    floor = slowest_bias_exponent(est, x.shape[1], y.shape[1])
    drifting, exponent, shift, slow_shift = _bias_shifts(sub, floor, checks["drift_t"])
    reasons = list(checks["reasons"])
    # a lower bound on the bias left at N under every allowed law c * gamma^a (a <= 1): the change from the
    # first split level g to the full sample is c (1 - g^a), at most (g - 1) times the bias c at N
    first = min(g for g in sub.gammas if g > 1)
    step = full - float(np.mean(sub.estimates[sub.gammas.index(first)]))
    least_bias = step / (first - 1) if math.isfinite(step) else 0.0
    if drifting and abs(least_bias) > max_relative_bias * max(abs(full), _BIAS_FLOOR):
        reasons.append(f"the estimate moves by {step * unit:+.3g} {units} from chunks of N/{first} to N: under any "
                       f"bias law N^-a with a <= 1 at least {abs(least_bias) * unit:.3g} {units} of bias remains "
                       f"(> {max_relative_bias:.0%} of the estimate); the estimator is far from its large-N limit")
    diff = float("nan")
    marginal = {"marginal_shift": diff, "marginal_shift_se": diff, "normal_scores_value": diff}
    finite = _finite(sub)
    if marginal_check and finite:
        diff, diff_se, scored = _marginal_sensitivity(key, x, y, est, gammas, sub)
        marginal = {"marginal_shift": diff * unit, "marginal_shift_se": diff_se * unit,
                    "normal_scores_value": scored * unit}
        if abs(diff) > marginal_z * diff_se and abs(diff) > (hi - lo) / 2:
            reasons.append(f"the estimate moves by {diff * unit:+.3g} {units} ({abs(diff) / diff_se:.1f} standard "
                           f"errors) when the marginals are replaced by their normal scores, which leaves MI "
                           f"unchanged: it depends on the marginals")
    reference = {"reference_method": None, "reference_ci": None}
    ref = getattr(est, "reference_estimator", None) if reference_check else None
    if ref is not None and finite:
        rlo, rhi = _reference_interval(key, x, y, ref, gammas, lv)
        reference = {"reference_method": ref.name, "reference_ci": Interval(rlo * unit, rhi * unit)}
        if hi < rlo or lo > rhi:
            reasons.append(f"{est.name} and the model-free {ref.name} disagree: their {lv:.0%} intervals "
                           f"[{lo * unit:.3g}, {hi * unit:.3g}] and [{rlo * unit:.3g}, {rhi * unit:.3g}] {units} "
                           f"do not meet, so the data break the estimator's model")
    model = {"model_test_statistic": float("nan"), "model_test_p_value": float("nan")}
    model_test = getattr(est, "model_test", None) if model_check else None
    if model_test is not None and finite:
        test = model_test(x, y)
        model = {"model_test_statistic": float(test.statistic), "model_test_p_value": float(test.p_value)}
        if test.p_value < model_significance:
            reasons.append(f"the data break {est.name}'s model: its test ({type(test).__name__}) gives p = "
                           f"{test.p_value:.2g} < {model_significance:g}")
    # the normal-scores estimate is as valid an estimate of the same MI: the interval covers it too
    shifts = (shift, slow_shift, -diff)
    blo, bhi = _widened(lo, hi, *shifts)
    plo, phi = _widened(*t_interval(full, se, dof, promise), *shifts)
    scale, r = max(abs(full), _BIAS_FLOOR), max_relative_error
    if not (plo >= full - r / (1 + r) * scale and phi <= full + r / (1 - r) * scale):
        reasons.append(f"the {promise:.1%} interval [{plo * unit:.3g}, {phi * unit:.3g}] {units} holds values from "
                       f"which the estimate is more than {r:.0%} away: too wide to promise the value to within {r:.0%}")
    return MIResult(
        value=full * unit, standard_error=se * unit, dof=dof,
        extrapolated=ex.value * unit, extrapolated_standard_error=ex.standard_error * unit, extrapolated_dof=ex.dof,
        level=lv, ci=Interval(blo * unit, bhi * unit), extrapolated_ci=Interval(elo * unit, ehi * unit),
        reliable=not reasons, reasons=tuple(reasons), units=units, method=est.name,
        n_samples=sub.n_samples, gammas=sub.gammas,
        subsample_estimates=tuple(tuple(float(v) * unit for v in vals) for vals in sub.estimates),
        diagnostics={"drift_t": checks["drift_t"], "loo_gamma1_shift": checks["loo_gamma1_shift"] * unit,
                     "linear_region": checks["linear_region"], "slope": ex.slope * unit,
                     "infonce_ceiling": checks["infonce_ceiling"] * unit, "chunk_sizes": sub.chunk_sizes,
                     "bias_shift": shift * unit, "bias_exponent": exponent, "least_bias_shift": least_bias * unit,
                     "slow_bias_shift": slow_shift * unit, "slowest_bias_exponent": floor,
                     "hn_ci": Interval(lo * unit, hi * unit), **marginal, **reference, **model},
    )


def bootstrap(key, x, y, estimator="gaussian", *, n_resamples: int = 200, units: str = "nats",
              **estimator_kwargs) -> MIEstimate:
    """Bootstrap standard error (resampling pairs with replacement), for estimators that allow it.

    kNN estimators are refused: a resample repeats points, which sit at distance 0 from their copies in
    both marginals and inflate the estimate (+0.27 nats for KSG at I = 0.41, P6 of the MI theory note). Use
    :func:`estimate_with_ci`, which subsamples without replacement.
    """
    key = check_key(key)
    est = resolve_estimator(estimator, **estimator_kwargs)
    if est.uses_neighbours:
        raise ValueError(
            f"{est.name} is a nearest-neighbour estimator: resampling with replacement duplicates points and "
            "biases it upward (about +0.27 nats on a Gaussian test case). Use estimate_with_ci, which "
            "uses disjoint subsamples"
        )
    n_resamples = check_integer(n_resamples, "n_resamples", minimum=2)
    xa, ya = _checks.paired(x, y)
    unit = _checks.unit_factor(units)
    n = xa.shape[0]
    kfull, kres = jax.random.split(key)
    full = float(est.statistic(kfull, xa, ya))

    def one(k):
        ki, ks = jax.random.split(k)
        idx = jax.random.randint(ki, (n,), 0, n)
        return est.statistic(ks, xa[idx], ya[idx])

    values = np.asarray(jax.lax.map(one, jax.random.split(kres, n_resamples)))
    return MIEstimate(value=full * unit, standard_error=float(np.std(values, ddof=1)) * unit, units=units,
                      method=f"{est.name} (bootstrap)", n_samples=n,
                      diagnostics={"bootstrap_values": values * unit})

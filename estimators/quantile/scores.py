"""Proper scores for quantile forecasts: pinball loss, interval score, WIS, coverage, CRPS.

Conventions (docs/conventions.md, "Quantile aggregation"):

* pinball loss psi_tau(u) = max(tau u, (tau - 1) u) with u = y - q (Koenker & Bassett 1978);
* interval score IS_alpha(l, u; y) = (u - l) + (2/alpha)(l - y)_+ + (2/alpha)(y - u)_+
  (Gneiting & Raftery 2007, eq. 43);
* weighted interval score, default normalisation ``"bracher"`` (Bracher et al. 2021, eq. 3):
  WIS = (1 / (K + 1/2)) (abs(y - median) / 2 + sum_k (alpha_k / 2) IS_alpha_k), which for symmetric
  levels equals 2 * mean_tau psi_tau (proofs_checks/quantile.py); ``"sum"`` = 2 sum_tau psi_tau (the
  unnormalised form in Fakoor et al. 2023), ``"mean_pinball"`` = mean_tau psi_tau;
* CRPS from quantiles = 2 * mean_tau psi_tau: the Riemann sum of CRPS = 2 int_0^1 psi_tau dtau
  (Laio & Tamea 2007), exact in the limit of equally spaced levels tau_k = k / (m + 1).

Shapes: ``y`` is ``(...)`` and ``q`` is ``(..., m)`` with ``m = len(taus)``. Crossed quantiles are
scored as given (the pinball loss needs no order).
"""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np

from theorylab.estimators.quantile import _checks
from theorylab.validation import check_choice, check_in_range, is_traced

__all__ = [
    "pinball_loss",
    "interval_score",
    "weighted_interval_score",
    "coverage",
    "crossing_rate",
    "crps_from_quantiles",
]

REDUCTIONS = ("mean", "sum", "none")
WIS_NORMALIZATIONS = ("bracher", "sum", "mean_pinball")


def _reduce(x, reduction: str):
    check_choice(reduction, "reduction", REDUCTIONS)
    if reduction == "mean":
        return jnp.mean(x)
    if reduction == "sum":
        return jnp.sum(x)
    return x


def _pinball(u, taus):
    return jnp.maximum(taus * u, (taus - 1.0) * u)


def _pinball_terms(y, q, taus, nan_policy: str):
    """Checked ``psi_tau(y - q)`` of shape ``(..., m)``: the common core of the pinball-based scores."""
    levels = _checks.levels(taus)
    q = _checks.quantiles(q, levels, nan_policy=nan_policy)
    y = _checks.observations(y, nan_policy=nan_policy)
    _check_broadcast(y, q)
    return _pinball(y[..., None] - q, levels)


def pinball_loss(y, q, taus, *, reduction: str = "mean", nan_policy: str = "raise"):
    """Pinball (check) loss psi_tau(y - q_tau).

    ``reduction="none"`` returns the ``(..., m)`` array of losses; ``"mean"`` averages over samples
    and levels (for one level this is scikit-learn's ``mean_pinball_loss``); ``"sum"`` sums.
    ``nan_policy="propagate"`` lets non-finite inputs through instead of raising.
    """
    return _reduce(_pinball_terms(y, q, taus, nan_policy), reduction)


def _check_broadcast(y, q):
    try:
        np.broadcast_shapes(tuple(y.shape) + (1,), tuple(q.shape))
    except ValueError:
        raise ValueError(
            f"`y` of shape {tuple(y.shape)} does not match `q` of shape {tuple(q.shape)}: "
            "expected y (...) and q (..., m) with the same leading shape"
        ) from None


def _warn_crossed(lower, upper, what: str):
    if is_traced(lower) or is_traced(upper):
        return
    n_bad = int(np.sum(np.asarray(lower) > np.asarray(upper)))
    if n_bad:
        warnings.warn(f"{what}: {n_bad} interval(s) have lower > upper; scored as given", RuntimeWarning,
                      stacklevel=3)


def _check_same_shape(y, lower, upper):
    if not (y.shape == lower.shape == upper.shape):
        raise ValueError(f"`y`, `lower` and `upper` must have one shape (one interval per observation), got "
                         f"{tuple(y.shape)}, {tuple(lower.shape)} and {tuple(upper.shape)}")


def interval_score(y, lower, upper, alpha, *, reduction: str = "mean", nan_policy: str = "raise"):
    """Interval score of the central (1 - alpha) interval [lower, upper] (Gneiting & Raftery 2007).

    IS = (upper - lower) + (2 / alpha) (lower - y)_+ + (2 / alpha) (y - upper)_+. Warns when
    ``lower > upper`` somewhere (the score is still computed).
    """
    check_in_range(alpha, "alpha", 0.0, 1.0, closed=(False, False))
    if not is_traced(alpha) and not np.all(np.isfinite(2.0 / np.asarray(alpha, dtype=float))):
        raise ValueError(f"`alpha` = {alpha!r} is so small that the penalty 2 / alpha overflows float64")
    y = _checks.observations(y, nan_policy=nan_policy)
    lower = _checks.observations(lower, "lower", nan_policy=nan_policy)
    upper = _checks.observations(upper, "upper", nan_policy=nan_policy)
    _check_same_shape(y, lower, upper)
    _warn_crossed(lower, upper, "interval_score")
    s = (upper - lower) + (2.0 / alpha) * (jnp.maximum(lower - y, 0.0) + jnp.maximum(y - upper, 0.0))
    return _reduce(s, reduction)


def weighted_interval_score(y, q, taus, *, normalization: str = "bracher", reduction: str = "mean",
                            nan_policy: str = "raise"):
    """Weighted interval score of quantiles at levels symmetric about 1/2.

    ``normalization``:

    * ``"bracher"`` (default): (1 / (K + 1/2)) (abs(y - median) / 2 + sum_k alpha_k / 2 IS_alpha_k),
      or (1 / K) sum_k alpha_k / 2 IS_alpha_k without a median level; equal to 2 * mean pinball;
    * ``"sum"``: sum_k alpha_k IS_alpha_k + abs(y - median) = 2 * sum pinball (Fakoor et al.);
    * ``"mean_pinball"``: the mean pinball loss over levels.

    Raises unless ``taus`` is symmetric (tau_k + tau_(m-1-k) = 1; not checked when ``taus`` itself
    is traced). Per-sample values with ``reduction="none"``.
    """
    check_choice(normalization, "normalization", WIS_NORMALIZATIONS)
    psi = _pinball_terms(y, q, taus, nan_policy)
    if not is_traced(taus):  # traced levels cannot be checked; the formula itself needs no pairing
        _checks.symmetric_pairs(taus)
    if normalization == "bracher":
        per_sample = 2.0 * jnp.mean(psi, axis=-1)
    elif normalization == "sum":
        per_sample = 2.0 * jnp.sum(psi, axis=-1)
    else:
        per_sample = jnp.mean(psi, axis=-1)
    return _reduce(per_sample, reduction)


def coverage(y, lower, upper, *, reduction: str = "mean", nan_policy: str = "raise"):
    """Fraction of observations inside the closed interval [lower, upper] (``"none"``: the indicators)."""
    y = _checks.observations(y, nan_policy=nan_policy)
    lower = _checks.observations(lower, "lower", nan_policy=nan_policy)
    upper = _checks.observations(upper, "upper", nan_policy=nan_policy)
    _check_same_shape(y, lower, upper)
    _warn_crossed(lower, upper, "coverage")
    inside = ((y >= lower) & (y <= upper)).astype(y.dtype)
    return _reduce(inside, reduction)


def crossing_rate(q, *, reduction: str = "mean"):
    """Fraction of rows of ``q (..., m)`` with some adjacent pair q_(k+1) < q_k (``"none"``: per row)."""
    q = _checks.observations(q, "q")
    if q.ndim < 1 or q.shape[-1] < 1:
        raise ValueError(f"`q` must have shape (..., m) with m >= 1, got {tuple(q.shape)}")
    crossed = jnp.any(jnp.diff(q, axis=-1) < 0.0, axis=-1).astype(q.dtype)
    return _reduce(crossed, reduction)


def crps_from_quantiles(y, q, taus, *, reduction: str = "mean", nan_policy: str = "raise"):
    """CRPS approximated from quantiles: 2 * mean_tau psi_tau(y - q_tau).

    CRPS(F, y) = int (F(z) - 1{y <= z})^2 dz = 2 int_0^1 psi_tau(y - F^-1(tau)) dtau; the
    average over equally spaced levels tau_k = k / (m + 1) converges to it as m grows (see the
    ``quantile.crps_from_quantiles`` claim for a normal forecast).
    """
    return _reduce(2.0 * jnp.mean(_pinball_terms(y, q, taus, nan_policy), axis=-1), reduction)

"""Conformalized quantile regression (Romano, Patterson & Candes, NeurIPS 2019), split version.

For a central (1 - alpha) interval [l(x), u(x)] and n calibration pairs:

* symmetric correction: scores E_i = max(l(x_i) - y_i, y_i - u(x_i)); the offset is the
  r-th smallest score with r = ceil((1 - alpha)(n + 1)); the interval becomes [l - Q, u + Q];
* asymmetric correction: lower offset = r'-th smallest of l(x_i) - y_i, upper offset = r'-th
  smallest of y_i - u(x_i), r' = ceil((1 - alpha / 2)(n + 1)) (Romano et al., Thm 2 / Kivaranovic).

If the rank exceeds n the offset is +inf (the guarantee needs an unbounded interval); it is never
clamped. Coverage on exchangeable data: 1 - alpha <= P(Y in C(X)) <= 1 - alpha + 1/(n + 1) for the
symmetric correction with continuous scores (Romano et al., Thm 1). For a full set of levels
symmetric about 1/2, :func:`cqr_offsets` calibrates each pair (tau, 1 - tau) as the interval with
alpha = 2 tau; :func:`conformalize` applies the offsets and leaves the median alone.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from theorylab.estimators.quantile import _checks
from theorylab.validation import check_choice, check_in_range, check_integer

__all__ = ["conformal_rank", "conformal_quantile", "cqr_offset", "ConformalOffsets", "cqr_offsets", "conformalize"]

CORRECTIONS = ("symmetric", "asymmetric")


def conformal_rank(n_cal: int, alpha: float) -> int:
    """r = ceil((1 - alpha)(n + 1)), the order statistic giving coverage >= 1 - ``alpha`` (may exceed n).

    ``alpha`` is the miscoverage, as everywhere in the conformal code. The product is rounded to 12
    significant digits first, so 0.9 * 10 counts as 9 (not 9 + 1 ulp).
    """
    n_cal = check_integer(n_cal, "n_cal", minimum=1)
    check_in_range(alpha, "alpha", 0.0, 1.0, closed=(False, False))
    return int(math.ceil(float(f"{(1.0 - alpha) * (n_cal + 1):.12g}")))


def conformal_quantile(scores, alpha: float):
    """The ``conformal_rank(n, alpha)``-th smallest score (coverage >= 1 - ``alpha``), or +inf when
    that rank exceeds n."""
    s = _checks.observations(scores, "scores")
    if s.ndim != 1:
        raise ValueError(f"`scores` must be 1-D, got shape {tuple(s.shape)}")
    n = s.shape[0]
    if n == 0:
        raise ValueError("`scores` is empty: conformal calibration needs n_cal >= 1")
    r = conformal_rank(n, alpha)
    return jnp.sort(s)[r - 1] if r <= n else jnp.asarray(jnp.inf, s.dtype)


def cqr_offset(y, lower, upper, alpha: float, *, correction: str = "symmetric"):
    """``(lower_offset, upper_offset)`` for one central (1 - alpha) interval; widen by them."""
    check_choice(correction, "correction", CORRECTIONS)
    check_in_range(alpha, "alpha", 0.0, 1.0, closed=(False, False))
    y = _checks.observations(y)
    lower = _checks.observations(lower, "lower")
    upper = _checks.observations(upper, "upper")
    if y.ndim != 1 or lower.shape != y.shape or upper.shape != y.shape:
        raise ValueError(
            f"`lower`, `upper` and `y` must be 1-D of one length, got {tuple(lower.shape)}, "
            f"{tuple(upper.shape)}, {tuple(y.shape)}"
        )
    if y.shape[0] == 0:
        raise ValueError("the calibration set is empty: CQR needs n_cal >= 1")
    if correction == "symmetric":
        off = conformal_quantile(jnp.maximum(lower - y, y - upper), alpha)
        return off, off
    return (conformal_quantile(lower - y, alpha / 2), conformal_quantile(y - upper, alpha / 2))


class ConformalOffsets(NamedTuple):
    """Per-interval CQR offsets for symmetric levels (pairs ordered from the widest interval)."""

    lower: jnp.ndarray  #: (K,) subtracted from the lower quantile of each pair
    upper: jnp.ndarray  #: (K,) added to the upper quantile
    alphas: np.ndarray  #: (K,) miscoverage of each central interval, alpha_k = 2 tau_k
    n_cal: int
    correction: str


def cqr_offsets(y_cal, q_cal, taus, *, correction: str = "symmetric") -> ConformalOffsets:
    """Calibrate every central interval (tau_k, 1 - tau_k) of ``q_cal (n, m)`` on ``y_cal (n,)``
    (observations first, as in every score)."""
    levels = _checks.levels(taus)
    lo_idx, hi_idx, alphas = _checks.symmetric_pairs(taus)
    if lo_idx.size == 0:
        raise ValueError("`taus` has no central interval (a single median level): nothing to conformalize")
    q = _checks.quantiles(q_cal, levels, "q_cal")
    y = _checks.observations(y_cal, "y_cal")
    if q.ndim != 2 or y.shape != (q.shape[0],):
        raise ValueError(f"`q_cal` must be (n, m) and `y_cal` (n,), got {tuple(q.shape)} and {tuple(y.shape)}")
    pairs = [cqr_offset(y, q[:, a], q[:, b], float(al), correction=correction) for a, b, al in zip(lo_idx, hi_idx, alphas)]
    lower = jnp.stack([p[0] for p in pairs])
    upper = jnp.stack([p[1] for p in pairs])
    return ConformalOffsets(lower, upper, alphas, int(y.shape[0]), correction)


def conformalize(q, offsets: ConformalOffsets, taus):
    """Apply :func:`cqr_offsets` to predictions ``q (..., m)``: lower levels minus, upper plus.

    Offsets can be negative (the raw intervals over-cover), so intervals may shrink; the result can
    cross between pairs, so sort it afterwards if a monotone set of quantiles is needed.
    """
    levels = _checks.levels(taus)
    lo_idx, hi_idx, _ = _checks.symmetric_pairs(taus)
    q = _checks.quantiles(q, levels)
    if offsets.lower.shape != (lo_idx.size,):
        raise ValueError(f"`offsets` holds {offsets.lower.shape[0]} intervals but `taus` forms {lo_idx.size}")
    q = q.at[..., lo_idx].add(-offsets.lower)
    return q.at[..., hi_idx].add(offsets.upper)

"""Least-squares line and power-law fits with standard errors and confidence intervals.

Used to report scaling exponents (regret against horizon, sample complexity against size) with
their uncertainty. Ordinary least squares, ``y = intercept + slope x + e`` with i.i.d. errors:
the slope's standard error is ``s / sqrt(sum (x - xbar)^2)``, ``s^2 = RSS / (n - 2)``; intervals use Student's t with
``n - 2`` degrees of freedom.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from theorylab.numerics.estimate import Estimate

__all__ = ["LinearFit", "fit_line", "fit_power_law"]


class LinearFit(NamedTuple):
    """An OLS line fit: the ``slope`` and ``intercept`` as :class:`~theorylab.numerics.Estimate`
    results (each with ``standard_error`` and ``confidence_interval(level)``, Student-t with
    ``n - 2`` degrees of freedom), ``r_squared`` and the number of points."""

    slope: Estimate
    intercept: Estimate
    r_squared: float
    num_points: int

    @property
    def dof(self) -> int:
        """Residual degrees of freedom, ``n - 2``."""
        return self.num_points - 2


def fit_line(x, y) -> LinearFit:
    """OLS fit of ``y`` on ``x`` (1-D, same length, at least 3 points, ``x`` not constant)."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"`x` and `y` must have the same number of points, got {x.size} and {y.size}")
    if x.size < 3:
        raise ValueError(f"a line fit with standard errors needs at least 3 points, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("`x` and `y` must be finite")
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx == 0.0:
        raise ValueError("`x` must take at least two distinct values")
    slope = float(xc @ (y - y.mean()) / sxx)
    intercept = float(y.mean() - slope * x.mean())
    resid = y - intercept - slope * x
    rss = float(resid @ resid)
    s2 = rss / (x.size - 2)
    tss = float(((y - y.mean()) ** 2).sum())
    dof = x.size - 2
    return LinearFit(
        slope=Estimate(slope, float(np.sqrt(s2 / sxx)), dof),
        intercept=Estimate(intercept, float(np.sqrt(s2 * (1.0 / x.size + x.mean() ** 2 / sxx))), dof),
        r_squared=1.0 - rss / tss if tss > 0 else 1.0,
        num_points=int(x.size),
    )


def fit_power_law(x, y) -> LinearFit:
    """Fit ``y = C x^slope`` by OLS of ``log y`` on ``log x`` (``intercept = log C``); needs x, y > 0."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("a power-law fit needs positive `x` and `y` (it fits log y against log x)")
    return fit_line(np.log(x), np.log(y))

r"""Reading a sample complexity off an error curve.

:func:`n_star_from_curve` is the one rule the package uses (DSD and sparse regression alike): given
errors :math:`e_j` at increasing sample sizes :math:`n_j` and a target :math:`\varepsilon`, take the
first grid point :math:`j` with :math:`e_j \le \varepsilon` and interpolate between it and the
previous point as a power law, linear in :math:`(\log e, \log n)`:

.. math:: \log N^* = \log n_{j-1} + \frac{\log e_{j-1} - \log\varepsilon}{\log e_{j-1} - \log e_j}
          (\log n_j - \log n_{j-1}).

Where :math:`e_j = 0` (a classifier with no test error) the logarithm is undefined, and the
interpolation is linear in :math:`(e, \log n)` instead. :math:`N^* = n_0` when the first point
already meets the target, and :math:`+\infty` when no point does.
"""

from __future__ import annotations

import math

import numpy as np

from theorylab.validation import check_finite

__all__ = ["n_star_from_curve"]


def n_star_from_curve(n_grid, errors, target: float) -> float:
    """The sample size at which the error curve ``errors`` (one value per ``n_grid`` point) first
    reaches ``target`` (see the module docstring for the interpolation); ``inf`` if it never does."""
    grid = np.asarray(n_grid, dtype=float)
    errors = np.asarray(errors, dtype=float)
    if grid.ndim != 1 or errors.shape != grid.shape or grid.size < 1:
        raise ValueError(
            f"`n_grid` and `errors` must be 1-D and of equal length, got shapes {grid.shape} and {errors.shape}"
        )
    check_finite(grid, "n_grid")
    if np.any(grid <= 0) or np.any(np.diff(grid) <= 0):
        raise ValueError("`n_grid` must be positive and strictly increasing")
    if np.any(np.isnan(errors)) or np.any(errors < 0):
        raise ValueError("`errors` must be non-negative numbers (no NaN)")
    target = float(target)
    if not (math.isfinite(target) and target > 0):
        raise ValueError(f"`target` must be a positive finite error, got {target!r}")
    hit = np.flatnonzero(errors <= target)
    if hit.size == 0:
        return math.inf
    j = int(hit[0])
    if j == 0:
        return float(grid[0])
    e0, e1 = errors[j - 1], errors[j]
    if e1 > 0:
        frac = (math.log(e0) - math.log(target)) / (math.log(e0) - math.log(e1))
    else:
        frac = (e0 - target) / (e0 - e1)
    return float(math.exp(math.log(grid[j - 1]) + frac * (math.log(grid[j]) - math.log(grid[j - 1]))))

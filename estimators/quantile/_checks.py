"""Argument checks shared by the quantile modules (eager: skipped on traced values)."""

from __future__ import annotations

import numpy as np

from theorylab.validation import as_float_array, check_choice, check_finite, is_traced

NAN_POLICIES = ("raise", "propagate")
SYMMETRY_ATOL = 1e-9


def levels(taus, name: str = "taus"):
    """Quantile levels as a 1-D float array, strictly increasing inside (0, 1).

    The checks run on the argument as given, so they also run on NumPy constants closed over by
    a jitted function; traced levels are converted without checks.
    """
    t = as_float_array(taus, name)
    if t.ndim != 1 or t.shape[0] == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D array of quantile levels, got shape {tuple(t.shape)}")
    if not is_traced(taus):
        a = np.asarray(taus, dtype=float)
        check_finite(a, name)
        if np.any(a <= 0.0) or np.any(a >= 1.0):
            raise ValueError(f"`{name}` must lie strictly inside (0, 1), got min {a.min()!r} and max {a.max()!r}")
        if np.any(np.diff(a) <= 0.0):
            k = int(np.argmax(np.diff(a) <= 0.0))
            raise ValueError(
                f"`{name}` must be strictly increasing; entries {k} and {k + 1} are {a[k]!r} and {a[k + 1]!r}"
            )
    return t


def quantiles(q, taus, name: str = "q", *, nan_policy: str = "raise"):
    """Predicted quantiles ``(..., m)`` matching ``taus`` on the last axis."""
    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    arr = as_float_array(q, name)
    if arr.ndim < 1:
        raise ValueError(f"`{name}` must have shape (..., m), got a scalar")
    if arr.shape[-1] != taus.shape[0]:
        raise ValueError(
            f"`{name}` has {arr.shape[-1]} quantiles on its last axis but `taus` has {taus.shape[0]} levels"
        )
    if nan_policy == "raise":
        check_finite(arr, name)
    return arr


def observations(y, name: str = "y", *, nan_policy: str = "raise"):
    arr = as_float_array(y, name)
    if nan_policy == "raise":
        check_finite(arr, name)
    return arr


def symmetric_pairs(taus, name: str = "taus"):
    """For levels symmetric about 1/2, ``(lower_index, upper_index, alpha)`` of each central interval.

    Raises unless tau_k + tau_{m-1-k} = 1 for every k; the median (if present) is not an interval.
    Callers check the levels themselves with :func:`levels` first.
    """
    if is_traced(taus):
        raise TypeError(f"`{name}` must be concrete (not traced) to pair the levels into intervals")
    a = np.asarray(taus, dtype=float)
    m = a.shape[0]
    if not np.allclose(a + a[::-1], 1.0, rtol=0.0, atol=SYMMETRY_ATOL):
        worst = float(np.max(np.abs(a + a[::-1] - 1.0)))
        raise ValueError(
            f"`{name}` must be symmetric about 1/2 (tau_k + tau_(m-1-k) = 1) to form central intervals; "
            f"the worst pair is off by {worst:.3g}"
        )
    n_pairs = m // 2
    lower = np.arange(n_pairs)
    upper = m - 1 - lower
    return lower, upper, 2.0 * a[lower]

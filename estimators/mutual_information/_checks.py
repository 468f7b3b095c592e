"""Argument checks shared by the mutual-information modules (eager; skipped on traced values)."""

from __future__ import annotations

import math

import numpy as np

from theorylab.validation import as_float_array, check_choice, check_finite, check_in_range, is_traced

UNITS = ("nats", "bits")


def unit_factor(units: str) -> float:
    """Multiplier taking nats to ``units`` (1 for nats, 1/ln 2 for bits)."""
    check_choice(units, "units", UNITS)
    return 1.0 if units == "nats" else 1.0 / math.log(2.0)


def level(value, name: str = "level") -> float:
    """A confidence level strictly inside (0, 1)."""
    check_in_range(value, name, 0.0, 1.0, closed=(False, False))
    return float(value)


def samples(a, name: str):
    """One sample array as ``(N, d)``: 1-D input is read as ``(N, 1)``; empty, 0-D or >2-D raise."""
    arr = as_float_array(a, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"`{name}` must be (N,) or (N, d) samples, got shape {tuple(arr.shape)}; "
            "flatten images to (N, d) first"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"`{name}` is empty: shape {tuple(arr.shape)}")
    check_finite(arr, name)
    return arr


def paired(x, y):
    """``x`` and ``y`` as ``(N, dx)`` and ``(N, dy)`` with the same N."""
    xa, ya = samples(x, "x"), samples(y, "y")
    if xa.shape[0] != ya.shape[0]:
        raise ValueError(
            f"`x` and `y` must hold the same number of samples, got {xa.shape[0]} and {ya.shape[0]}"
        )
    return xa, ya


def covariance(cov, name: str = "cov"):
    """A symmetric positive-definite matrix (checked with a Cholesky factorisation)."""
    arr = as_float_array(cov, name)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"`{name}` must be a square matrix, got shape {tuple(arr.shape)}")
    if not is_traced(cov):
        a = np.asarray(arr, dtype=float)
        check_finite(a, name)
        asym = float(np.max(np.abs(a - a.T))) if a.size else 0.0
        if asym > 1e-10 * max(1.0, float(np.max(np.abs(a)))):
            raise ValueError(f"`{name}` must be symmetric; max |{name} - {name}.T| = {asym:.3e}")
        try:
            np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            w = np.linalg.eigvalsh(a)
            raise ValueError(
                f"`{name}` must be positive definite; its smallest eigenvalue is {w[0]:.3e}"
            ) from None
    return arr


def split_dimension(dim_x, total: int, name: str = "dim_x") -> int:
    from theorylab.validation import check_integer

    d = check_integer(dim_x, name, minimum=1)
    if d >= total:
        raise ValueError(f"`{name}` must be between 1 and {total - 1} (the joint dimension is {total}), got {d}")
    return d

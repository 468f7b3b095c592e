"""Eager validation of entropic OT problems: shapes, weights, balance, eps (the conventions page, entropic OT)."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np

from theorylab.validation import as_float_array, is_traced

__all__ = ["validate_problem", "check_tolerance"]


def validate_problem(cost, a, b, eps):
    """Return ``(cost, a, b, eps)`` as float arrays after checking them.

    Weights default to uniform. Zero weights are rejected (drop empty bins before calling: their
    potentials are -inf and they would zero the diagonal of the Newton system). Unbalanced masses
    raise; nothing is renormalised silently. Value checks are skipped on traced arguments.
    """
    raw_cost, raw_a, raw_b, raw_eps = cost, a, b, eps
    cost = as_float_array(cost, "cost")
    if cost.ndim != 2 or cost.shape[0] == 0 or cost.shape[1] == 0:
        raise ValueError(f"`cost` must be a non-empty 2-D (n, m) array, got shape {tuple(cost.shape)}")
    n, m = cost.shape
    a = jnp.full((n,), 1.0 / n, cost.dtype) if a is None else as_float_array(a, "a")
    b = jnp.full((m,), 1.0 / m, cost.dtype) if b is None else as_float_array(b, "b")
    if a.shape != (n,):
        raise ValueError(f"`a` must have shape ({n},) to match cost of shape {(n, m)}, got {tuple(a.shape)}")
    if b.shape != (m,):
        raise ValueError(f"`b` must have shape ({m},) to match cost of shape {(n, m)}, got {tuple(b.shape)}")
    eps = as_float_array(eps, "eps")
    if eps.ndim != 0:
        raise ValueError(f"`eps` must be a scalar, got shape {tuple(eps.shape)}")
    if not is_traced(raw_cost):
        c = np.asarray(raw_cost, dtype=float)
        if np.isnan(c).any():
            raise ValueError(f"`cost` contains {int(np.isnan(c).sum())} NaN entries; expected finite costs")
        if not np.isfinite(c).all():
            raise ValueError("`cost` contains infinite entries; expected finite costs "
                             "(forbid a pair with a large finite cost instead)")
    for raw, name in ((raw_a, "a"), (raw_b, "b")):
        if raw is None or is_traced(raw):
            continue
        w = np.asarray(raw, dtype=float)
        if not np.isfinite(w).all():
            raise ValueError(f"`{name}` must be finite, got {int((~np.isfinite(w)).sum())} non-finite entries")
        if (w <= 0).any():
            raise ValueError(f"`{name}` must be strictly positive, got {int((w <= 0).sum())} entries <= 0 "
                             f"(min {w.min():.3g}); drop zero-mass bins before solving")
    if not (is_traced(raw_a) or is_traced(raw_b)) and not (raw_a is None and raw_b is None):
        sa = 1.0 if raw_a is None else float(np.sum(np.asarray(raw_a, dtype=float)))
        sb = 1.0 if raw_b is None else float(np.sum(np.asarray(raw_b, dtype=float)))
        if abs(sa - sb) > 1e-8 * max(sa, sb):
            raise ValueError(f"`a` and `b` must have equal total mass (balanced OT), got sums {sa!r} and "
                             f"{sb!r}; rescale them yourself if that is what you mean")
    if not is_traced(raw_eps):
        e = float(np.asarray(raw_eps, dtype=float))
        if not (np.isfinite(e) and e > 0):
            raise ValueError(f"`eps` must be a finite positive number, got {e!r}")
    return cost, a, b, eps


def check_tolerance(tol, dtype):
    """Warn when ``tol`` is below what ``dtype`` can resolve in an L1 marginal error."""
    tol = float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"`tol` must be a finite positive number, got {tol!r}")
    floor = 20 * float(jnp.finfo(dtype).eps)
    if tol < floor:
        warnings.warn(f"tol={tol:g} is below what {jnp.dtype(dtype).name} can reach (about {floor:.1e}); "
                      "the solve will probably stop at max_iter with converged=False", stacklevel=3)
    return tol

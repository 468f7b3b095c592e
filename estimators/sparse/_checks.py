"""Argument checks shared by the sparse-regression modules (eager, skipped when traced; the rules are those of docs/conventions.md)."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np

from theorylab.validation import as_float_array, check_finite, check_integer, host_real_array, is_traced, require_x64


def _numeric(x, name):
    """``x`` as a finite float64 NumPy array (checked on the host: no device round trip) or a traced value."""
    if is_traced(x):
        return x
    a = host_real_array(x, name).astype(np.float64, copy=False)  # the float policy: duality gaps need float64
    check_finite(a, name)
    return a


def design(X, name: str = "X"):
    """A finite, non-empty 2-D float64 design (float32 input is promoted: the duality gaps need float64)."""
    require_x64("the sparse solvers")
    a = _numeric(X, name)
    if a.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D (N, d) design matrix, got shape {tuple(a.shape)}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"`{name}` is empty: shape {tuple(a.shape)}")
    return jnp.asarray(a, jnp.float64)


def response(y, n: int, name: str = "y", per: str = "row"):
    """A finite 1-D float64 vector of length ``n`` (one entry per ``per`` of X)."""
    a = _numeric(y, name)
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"`{name}` must be 1-D with one entry per {per} of X ({n}), got shape {tuple(a.shape)}")
    return jnp.asarray(a, jnp.float64)


def problem(X, y):
    Xa = design(X)
    return Xa, response(y, Xa.shape[0])


def sparsity(k, d: int, name: str = "k") -> int:
    return check_integer(k, name, minimum=1, maximum=d)


def alpha(value, name: str = "alpha"):
    """A non-negative penalty level (scalar or 1-D grid)."""
    arr = as_float_array(value, name, dtype=jnp.float64)
    if not is_traced(value):
        a = np.asarray(arr)
        if np.isnan(a).any() or np.isinf(a).any() or (a < 0).any():
            raise ValueError(f"`{name}` must be finite and >= 0, got {a if a.size < 8 else a[:8]}")
    return arr


def clip_sparsity(k: int, n: int, what: str) -> int:
    """``k`` capped at ``n - 1`` with a warning (scikit-learn PR #34193's proposal; conventions of docs/theory/sparse.md)."""
    if k >= n:
        warnings.warn(f"{what}: k = {k} >= N = {n} leaves no residual degrees of freedom; using k = {n - 1}",
                      UserWarning, stacklevel=3)
        return max(n - 1, 1)
    return k


def column_norms(X, name: str = "X", *, drop_zero: bool):
    """Column norms; zero columns raise, or (``drop_zero``) warn and get a norm of inf (coefficient 0)."""
    norms = jnp.linalg.norm(X, axis=0)
    if not is_traced(X):
        zero = np.asarray(norms) <= 1e-300
        if zero.any():
            idx = np.flatnonzero(zero)
            msg = f"`{name}` has {idx.size} zero-norm column(s) (first: {idx[:5].tolist()})"
            if not drop_zero:
                raise ValueError(msg + "; remove them before normalising")
            warnings.warn(msg + "; they are dropped (coefficient 0)", UserWarning, stacklevel=3)
    return jnp.where(norms <= 1e-300, jnp.inf, norms)

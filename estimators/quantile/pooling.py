"""Combining predictive distributions: quantile averaging (Vincentization) and the linear pool.

* Vincentization: Q(tau) = sum_j w_j Q_j(tau) (Vincent 1912; Ratcliff 1979). For members of one
  location-scale family it returns the member with location sum w mu and scale sum w sigma
  (proofs_checks/quantile.py).
* Linear pool: F(z) = sum_j w_j F_j(z) (Stone 1961); its quantiles are found by bisection on the
  mixture CDF inside [min_j Q_j(tau), max_j Q_j(tau)], which always brackets them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.quantile import _checks
from theorylab.validation import (
    as_float_array,
    check_finite,
    check_integer,
    check_simplex,
)

__all__ = ["vincentize", "linear_pool_quantiles"]


def _weights(weights, p: int):
    if weights is None:
        return jnp.full(p, 1.0 / p)
    w = as_float_array(weights, "weights", ndim=1)
    if w.shape[0] != p:
        raise ValueError(f"`weights` has {w.shape[0]} entries but there are {p} members")
    check_simplex(w, "weights")
    return w


def vincentize(q, weights=None, *, axis: int = -2):
    """Quantile average sum_j w_j q_j along the member ``axis`` of ``q`` (default ``(..., p, m)``).

    ``weights`` default to equal; they must lie on the simplex.
    """
    q = as_float_array(q, "q")
    check_finite(q, "q")
    if q.ndim < 2:
        raise ValueError(f"`q` must have a member axis and a level axis, got shape {tuple(q.shape)}")
    moved = jnp.moveaxis(q, axis, -1)
    return moved @ _weights(weights, moved.shape[-1])


def linear_pool_quantiles(distributions, taus, weights=None, *, num_bisections: int = 200):
    """Quantiles of the mixture sum_j w_j F_j at ``taus``.

    ``distributions`` is a sequence of objects with ``cdf`` and ``icdf`` methods (NumPyro
    distributions, e.g. ``numpyro.distributions.Normal(0., 1.)``). Bisection on the mixture CDF
    for ``num_bisections`` halvings of the bracket [min_j Q_j, max_j Q_j] (200 reaches float64
    resolution).
    """
    taus = _checks.levels(taus)
    num_bisections = check_integer(num_bisections, "num_bisections", minimum=1)
    dists = list(distributions)
    if not dists:
        raise ValueError("`distributions` is empty")
    for j, d in enumerate(dists):
        if not (hasattr(d, "cdf") and hasattr(d, "icdf")):
            raise TypeError(f"`distributions[{j}]` must have cdf and icdf methods, got {type(d).__name__}")
    w = _weights(weights, len(dists))
    member_q = jnp.stack([jnp.asarray(d.icdf(taus)) for d in dists])  # (p, m)
    if not np.all(np.isfinite(np.asarray(member_q))):
        raise ValueError("a member quantile is infinite at one of `taus`; choose levels inside the supports")

    def mixture_cdf(z):
        return sum(w[j] * dists[j].cdf(z) for j in range(len(dists)))

    def halve(_, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        below = mixture_cdf(mid) < taus
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

    lo, hi = jax.lax.fori_loop(0, num_bisections, halve, (member_q.min(axis=0), member_q.max(axis=0)))
    return 0.5 * (lo + hi)

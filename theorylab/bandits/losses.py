"""Per-arm mean-loss functions of the exposure, for weighted tallying bandits.

In a weighted tallying bandit (Malik, Igoe, Li & Singh, ICML 2023) the mean loss of arm ``a`` at
time ``t`` is ``f_a(tau_t(a))``, a function of the arm's weighted tally ``tau`` (see
:mod:`theorylab.bandits.environment`). theorylab writes every loss model as a function of the
**exposure** ``x = tau / W`` in ``(0, 1]``, where ``W = sum_j w_j`` is the full tally (the arm was
played in each of the last ``m`` rounds), so one model serves any memory and weights:

``f_a(tau) = g_a(tau / W)``.

Every model is an :class:`equinox.Module` whose parameters are arrays, so environments built on it
are pytrees that ``jit`` and ``vmap`` (over a batch of instances) accept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from theorylab.validation import as_float_array, check_finite, check_in_range, check_integer

__all__ = [
    "LossModel",
    "LinearLoss",
    "ThresholdLoss",
    "TabulatedLoss",
    "CallableLoss",
    "FULL_EXPOSURE_TOL",
]

#: Relative tolerance with which :class:`ThresholdLoss` treats a tally as full: the tally is a
#: floating-point sum of weights, so ``tau / W`` can miss 1 by a few ulps. In float32 the
#: tolerance is ``256 eps = 3.1e-5`` instead (a tally reaches the threshold within that).
FULL_EXPOSURE_TOL = 1e-9


@runtime_checkable
class LossModel(Protocol):
    """The plug-in point for mean losses: ``model(arm, exposure)`` is ``g_arm(exposure)``.

    Any object with a ``num_arms`` attribute and this ``__call__`` qualifies (structural typing);
    ``arm`` is an integer array and ``exposure`` a float array, broadcast against each other (any
    shapes). Write new models as :class:`equinox.Module` subclasses with array parameters, as the
    built-in ones are, so that environments stay pytrees that ``jit`` and ``vmap`` accept.
    """

    @property
    def num_arms(self) -> int:  # pragma: no cover - protocol
        """Number of arms."""
        ...

    def __call__(self, arm, exposure):  # pragma: no cover - protocol
        """Mean loss of ``arm`` at ``exposure = tau / W``."""
        ...


def _vector(x, name: str, num_arms: int | None = None):
    arr = as_float_array(x, name, ndim=1)
    check_finite(arr, name)
    if arr.shape[0] < 1:
        raise ValueError(f"`{name}` must have one entry per arm (at least one arm), got an empty array")
    if num_arms is not None and arr.shape[0] != num_arms:
        raise ValueError(f"`{name}` must have one entry per arm ({num_arms}), got {arr.shape[0]}")
    return arr


class LinearLoss(eqx.Module):
    """``g_a(x) = intercept_a + slope_a * x``: a learning curve (slope < 0) or boredom (slope > 0).

    The loss at full exposure is ``intercept + slope``; at the smallest exposure ``w_0 / W`` it is
    ``intercept + slope * w_0 / W``.
    """

    intercept: jax.Array
    slope: jax.Array

    def __init__(self, intercept, slope):
        self.intercept = _vector(intercept, "intercept")
        self.slope = _vector(slope, "slope", self.intercept.shape[0])

    @property
    def num_arms(self) -> int:
        return int(self.intercept.shape[0])

    def __call__(self, arm, exposure):
        return self.intercept[arm] + self.slope[arm] * exposure


class ThresholdLoss(eqx.Module):
    """All-or-nothing exposure: ``g_a(x) = full_a`` if ``x >= threshold_a`` else ``partial_a``.

    With ``threshold = 1`` an arm pays off only after ``m`` consecutive plays, which is the
    instance on which history-blind bandit algorithms have linear complete policy regret. A tally
    counts as reaching the threshold when ``x >= threshold * (1 - FULL_EXPOSURE_TOL)``.
    """

    partial: jax.Array
    full: jax.Array
    threshold: jax.Array

    def __init__(self, partial, full, threshold=1.0):
        self.partial = _vector(partial, "partial")
        self.full = _vector(full, "full", self.partial.shape[0])
        thr = as_float_array(threshold, "threshold")
        thr = jnp.broadcast_to(thr, self.partial.shape)
        check_in_range(thr, "threshold", 0.0, 1.0, closed=(False, True))
        self.threshold = thr

    @property
    def num_arms(self) -> int:
        return int(self.partial.shape[0])

    def __call__(self, arm, exposure):
        exposure = jnp.asarray(exposure)
        tol = max(FULL_EXPOSURE_TOL, 256 * float(jnp.finfo(jnp.result_type(exposure, self.threshold)).eps))
        reached = exposure >= self.threshold[arm] * (1.0 - tol)
        return jnp.where(reached, self.full[arm], self.partial[arm])


class TabulatedLoss(eqx.Module):
    """Piecewise-linear ``g_a`` through ``(exposures[i], values[a, i])`` (constant beyond the ends)."""

    exposures: jax.Array
    values: jax.Array

    def __init__(self, exposures, values):
        xs = as_float_array(exposures, "exposures", ndim=1)
        check_finite(xs, "exposures")
        if xs.shape[0] < 2 or not bool(np.all(np.diff(np.asarray(xs)) > 0)):
            raise ValueError("`exposures` must hold at least two strictly increasing values")
        check_in_range(xs, "exposures", 0.0, 1.0)
        vals = as_float_array(values, "values", ndim=2)
        check_finite(vals, "values")
        if vals.shape[1] != xs.shape[0] or vals.shape[0] < 1:
            raise ValueError(
                f"`values` must have shape (num_arms, {xs.shape[0]}) (one row per arm, one column per "
                f"exposure), got {tuple(vals.shape)}"
            )
        self.exposures = xs
        self.values = vals

    @property
    def num_arms(self) -> int:
        return int(self.values.shape[0])

    def __call__(self, arm, exposure):
        def one(a, x):
            return jnp.interp(x, self.exposures, self.values[a])

        arm, exposure = jnp.broadcast_arrays(jnp.asarray(arm), jnp.asarray(exposure, self.values.dtype))
        flat = jax.vmap(one)(arm.reshape(-1), exposure.reshape(-1))
        return flat.reshape(arm.shape)


class CallableLoss(eqx.Module):
    """Wrap a user function ``fn(arm, exposure) -> mean loss`` written with ``jax.numpy``.

    ``fn`` must accept integer ``arm`` and float ``exposure`` arrays and broadcast them. It is
    a static part of the environment, so two environments built on different functions compile
    separately and cannot be stacked for ``vmap`` (use the array-parametrised models for that).
    """

    fn: Callable = eqx.field(static=True)
    arms: int = eqx.field(static=True)

    def __init__(self, fn: Callable, num_arms: int):
        if not callable(fn):
            raise TypeError(f"`fn` must be callable (arm, exposure) -> mean loss, got {type(fn).__name__}")
        self.fn = fn
        self.arms = check_integer(num_arms, "num_arms", minimum=1)

    @property
    def num_arms(self) -> int:
        return self.arms

    def __call__(self, arm, exposure):
        return jnp.asarray(self.fn(arm, exposure))

"""Estimates with an error, in one shape across the package (the ``scipy.stats`` result idiom).

Every estimate that carries an uncertainty exposes ``value``, ``standard_error``,
``confidence_interval(level=0.95)`` returning an :class:`Interval` ``(low, high)``, and
``float(result)``. :class:`Estimate` is the plain case: a value with a standard error and the
degrees of freedom of its Student-t interval (``inf``: normal quantiles),

.. math:: \\hat\\theta \\mp t_{\\nu,\\,(1+\\text{level})/2}\\; \\mathrm{se}.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from theorylab.validation import check_in_range

__all__ = ["Interval", "Estimate", "t_interval"]


class Interval(NamedTuple):
    """A two-sided confidence interval."""

    low: float
    high: float


def t_interval(value: float, standard_error: float, dof: float, level: float = 0.95) -> Interval:
    """``value -/+ q * standard_error`` with ``q`` the Student-t (``dof``) or normal (``dof = inf``)
    quantile at ``(1 + level) / 2``.

    Raises ``ValueError`` if ``level`` is outside ``(0, 1)`` or the standard error is not finite.
    """
    check_in_range(level, "level", 0.0, 1.0, closed=(False, False))
    if not math.isfinite(float(standard_error)):
        raise ValueError(
            f"this estimate has no finite standard error (got {float(standard_error)!r}), so it has no interval"
        )
    from scipy import stats  # lazy: scipy.stats costs a quarter of a second at import

    q = stats.norm.ppf(0.5 + level / 2) if math.isinf(dof) else stats.t.ppf(0.5 + level / 2, dof)
    return Interval(float(value - q * standard_error), float(value + q * standard_error))


class Estimate(NamedTuple):
    """A value with a standard error.

    Attributes
    ----------
    value:
        The point estimate.
    standard_error:
        Its standard error (``nan`` when none is available).
    dof:
        Degrees of freedom of the Student-t interval (``inf``: normal quantiles).
    """

    value: float
    standard_error: float
    dof: float = math.inf

    def confidence_interval(self, level: float = 0.95) -> Interval:
        """Two-sided interval ``value -/+ q * standard_error`` (see :func:`t_interval`)."""
        return t_interval(self.value, self.standard_error, self.dof, level)

    def __float__(self) -> float:
        return float(self.value)

"""Result objects of the MI estimators, in the style of ``scipy.stats`` results.

:class:`MIEstimate` is one estimate with a standard error and ``confidence_interval(level)``;
:class:`MIResult` is the output of the subsample-and-extrapolate protocol: the full-sample estimate
with its Holmes-Nemenman interval, the extrapolated estimate with its regression interval, and the
reliability verdict with its reasons.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from theorylab.estimators.mutual_information import _checks
from theorylab.numerics.estimate import Interval, t_interval

__all__ = ["MIEstimate", "MIResult"]

_NO_DIAGNOSTICS: Mapping[str, Any] = MappingProxyType({})


def _interval(value: float, standard_error: float, dof: float, level: float) -> Interval:
    level = _checks.level(level)
    if not math.isfinite(standard_error):
        raise ValueError(
            "this estimate has no standard error; call ksg with standard_error=True (split-sample "
            "standard error) or use estimate_with_ci"
        )
    return t_interval(value, standard_error, dof, level)


def _widened(low: float, high: float, *shifts: float) -> Interval:
    """``[low, high]`` together with its copies shifted by each finite ``shift``: the bias-aware interval
    ((M13) of ``docs/theory/mutual_information.md``)."""
    finite = [s for s in shifts if math.isfinite(s)]
    return Interval(min([low] + [low + s for s in finite]), max([high] + [high + s for s in finite]))


class MIEstimate(NamedTuple):
    """One mutual-information estimate.

    Attributes
    ----------
    value:
        The estimate, in ``units``.
    standard_error:
        Its standard error (``nan`` when the estimator has none).
    units:
        ``"nats"`` or ``"bits"``.
    method:
        Which estimator produced it (e.g. ``"ksg1(k=5)"``, ``"gaussian"``, ``"neural(infonce)"``).
    n_samples:
        Number of samples used.
    dof:
        Degrees of freedom of the Student-t interval (``inf``: normal quantiles).
    diagnostics:
        Estimator-specific figures (bias correction, canonical correlations, tie counts, the
        training curve of a neural estimator, ...).
    """

    value: float
    standard_error: float
    units: str
    method: str
    n_samples: int
    dof: float = math.inf
    diagnostics: Mapping[str, Any] = _NO_DIAGNOSTICS

    def confidence_interval(self, level: float = 0.95) -> Interval:
        """Two-sided interval ``value -/+ q * standard_error`` (normal or Student-t quantile ``q``)."""
        return _interval(self.value, self.standard_error, self.dof, level)

    def to(self, units: str) -> MIEstimate:
        """The same estimate in other units."""
        f = _checks.unit_factor(units) / _checks.unit_factor(self.units)
        return self._replace(value=self.value * f, standard_error=self.standard_error * f, units=units)

    def __float__(self) -> float:
        return float(self.value)


class MIResult(NamedTuple):
    """Output of :func:`~theorylab.estimators.mutual_information.estimate_with_ci`.

    Two estimates are reported, never just one number:

    * ``value``: the estimator on all N samples, with the Holmes-Nemenman standard error from
      the disjoint subsamples (``standard_error``, Student-t with the ``dof`` of
      :func:`~theorylab.estimators.mutual_information.hn_effective_dof`);
    * ``extrapolated``: the weighted-least-squares intercept at gamma = 0 (infinite N) over the
      linear region of gamma, with its regression standard error (``extrapolated_standard_error``,
      ``extrapolated_dof``).

    ``ci`` is the bias-aware interval ((M13) of ``docs/theory/mutual_information.md``): the
    Holmes-Nemenman interval, widened towards the power-law limit of the chunk estimates when the
    estimate drifts with the chunk size (``diagnostics["bias_shift"]``), towards their limit under the
    slowest bias law the estimator allows (``diagnostics["slow_bias_shift"]``, always) and towards the
    estimate on the normal scores of the data (``diagnostics["marginal_shift"]``); the plain interval is
    ``diagnostics["hn_ci"]``. ``reliable`` is
    False when any check fires; ``reasons`` says which. ``level`` is the level of the intervals stored
    in ``ci`` and ``extrapolated_ci``.
    """

    value: float
    standard_error: float
    dof: float
    extrapolated: float
    extrapolated_standard_error: float
    extrapolated_dof: float
    level: float
    ci: Interval
    extrapolated_ci: Interval
    reliable: bool
    reasons: tuple[str, ...]
    units: str
    method: str
    n_samples: int
    gammas: tuple[int, ...]
    subsample_estimates: tuple[tuple[float, ...], ...]
    diagnostics: Mapping[str, Any] = _NO_DIAGNOSTICS

    def __float__(self) -> float:
        return float(self.value)

    def confidence_interval(self, level: float = 0.95, *, kind: str = "bias_aware") -> Interval:
        """Interval at ``level`` (``ci`` holds the one at the level the protocol ran with).

        ``kind="bias_aware"`` (default, as ``ci``): the Holmes-Nemenman interval widened by the measured
        shifts (towards the power-law limits and the normal-scores estimate); ``kind="full"``: the
        full-sample estimate with the Holmes-Nemenman standard error alone (it ignores the estimator's bias);
        ``kind="extrapolated"``: the WLS intercept interval (it corrects a 1/N bias but undercovers
        when the subsample estimates are correlated; see the docs' conventions).
        """
        lv = _checks.level(level)
        if kind == "bias_aware":
            diag = self.diagnostics or {}
            # towards the power-law limits, and onto the normal-scores estimate with the same half-width
            return _widened(*_interval(self.value, self.standard_error, self.dof, lv),
                            float(diag.get("bias_shift", 0.0)), float(diag.get("slow_bias_shift", 0.0)),
                            -float(diag.get("marginal_shift", float("nan"))))
        if kind == "full":
            return _interval(self.value, self.standard_error, self.dof, lv)
        if kind == "extrapolated":
            return _interval(self.extrapolated, self.extrapolated_standard_error, self.extrapolated_dof, lv)
        raise ValueError(f"`kind` must be 'bias_aware', 'full' or 'extrapolated', got {kind!r}")

    def summary(self) -> str:
        """One paragraph: both estimates with their intervals and the reliability verdict."""
        lo, hi = self.ci
        elo, ehi = self.extrapolated_ci
        flag = "reliable" if self.reliable else "UNRELIABLE: " + "; ".join(self.reasons)
        return (
            f"{self.method}, N = {self.n_samples}: I = {self.value:.4f} {self.units} "
            f"[{lo:.4f}, {hi:.4f}] ({self.level:.0%}, Holmes-Nemenman, bias-aware); extrapolated "
            f"{self.extrapolated:.4f} [{elo:.4f}, {ehi:.4f}]; {flag}"
        )

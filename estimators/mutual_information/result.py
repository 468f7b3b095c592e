"""Result objects of the MI estimators, in the style of ``scipy.stats`` results.

:class:`MIEstimate` is one estimate with a standard error and ``confidence_interval(level)``;
:class:`MIResult` is the output of the subsample-and-extrapolate protocol: the full-sample estimate
with its Holmes-Nemenman interval, the extrapolated estimate with its regression interval, and the
reliability verdict with its reasons.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from scipy import stats

from theorylab.estimators.mutual_information import _checks

__all__ = ["MIEstimate", "MIResult"]


def _interval(value: float, stderr: float, dof: float, level: float) -> tuple[float, float]:
    level = _checks.level(level)
    if not math.isfinite(stderr):
        raise ValueError(
            "this estimate has no standard error; for kNN estimators pass `key=` (split-sample "
            "standard error) or use estimate_with_ci"
        )
    q = stats.norm.ppf(0.5 + level / 2) if math.isinf(dof) else stats.t.ppf(0.5 + level / 2, dof)
    return (value - q * stderr, value + q * stderr)


@dataclasses.dataclass(frozen=True)
class MIEstimate:
    """One mutual-information estimate.

    Attributes
    ----------
    value:
        The estimate, in ``units``.
    stderr:
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
    stderr: float
    units: str
    method: str
    n_samples: int
    dof: float = math.inf
    diagnostics: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def confidence_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided interval ``value -/+ q * stderr`` (normal or Student-t quantile ``q``)."""
        return _interval(self.value, self.stderr, self.dof, level)

    def to(self, units: str) -> MIEstimate:
        """The same estimate in other units."""
        f = _checks.unit_factor(units) / _checks.unit_factor(self.units)
        return dataclasses.replace(self, value=self.value * f, stderr=self.stderr * f, units=units)

    def __float__(self) -> float:
        return float(self.value)


@dataclasses.dataclass(frozen=True)
class MIResult:
    """Output of :func:`~theorylab.estimators.mutual_information.estimate_with_ci`.

    Two estimates are reported, never just one number:

    * ``estimate``: the estimator on all N samples, with the Holmes-Nemenman standard error from
      the disjoint subsamples (``stderr``, Student-t with ``dof`` = sum over gamma of (gamma - 1));
    * ``extrapolated``: the weighted-least-squares intercept at gamma = 0 (infinite N) over the
      linear region of gamma, with its regression standard error (``extrapolated_stderr``,
      ``extrapolated_dof``).

    ``reliable`` is False when any consistency check fires; ``reasons`` says which.
    ``level`` is the level of the intervals stored in ``ci`` and ``extrapolated_ci``.
    """

    estimate: float
    stderr: float
    dof: float
    extrapolated: float
    extrapolated_stderr: float
    extrapolated_dof: float
    level: float
    ci: tuple[float, float]
    extrapolated_ci: tuple[float, float]
    reliable: bool
    reasons: tuple[str, ...]
    units: str
    method: str
    n_samples: int
    gammas: tuple[int, ...]
    subsample_estimates: tuple[tuple[float, ...], ...]
    diagnostics: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def confidence_interval(self, level: float | None = None, *, kind: str = "full") -> tuple[float, float]:
        """Interval at ``level`` (default: the level the protocol ran with).

        ``kind="full"``: the full-sample estimate with the Holmes-Nemenman standard error (it
        ignores the estimator's bias); ``kind="extrapolated"``: the WLS intercept interval (it
        corrects a 1/N bias but undercovers when the subsample estimates are correlated; see the
        docs' conventions).
        """
        _checks.level(self.level if level is None else level)
        lv = self.level if level is None else level
        if kind == "full":
            return _interval(self.estimate, self.stderr, self.dof, lv)
        if kind == "extrapolated":
            return _interval(self.extrapolated, self.extrapolated_stderr, self.extrapolated_dof, lv)
        raise ValueError(f"`kind` must be 'full' or 'extrapolated', got {kind!r}")

    def summary(self) -> str:
        lo, hi = self.ci
        elo, ehi = self.extrapolated_ci
        flag = "reliable" if self.reliable else "UNRELIABLE: " + "; ".join(self.reasons)
        return (
            f"{self.method}, N = {self.n_samples}: I = {self.estimate:.4f} {self.units} "
            f"[{lo:.4f}, {hi:.4f}] ({self.level:.0%}, Holmes-Nemenman); extrapolated "
            f"{self.extrapolated:.4f} [{elo:.4f}, {ehi:.4f}]; {flag}"
        )

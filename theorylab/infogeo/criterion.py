r"""The p-n criterion: is ``n`` large enough for a ``p``-parameter exponential family?

**Threshold.** With equal priors the Bayes error between two densities is
:math:`BE(p,q) = \tfrac12(1 - TV(p,q))`. Pinsker's inequality :math:`TV \le \sqrt{D/2}` and Jensen
give :math:`\mathbb{E}\,BE(g_{\theta^*}, g_{\hat\theta}) \ge \tfrac12 - \sqrt{R_n/8}`, so
:math:`R_n \le r(\varepsilon) = 8\varepsilon^2` guarantees that the fitted density is on average
within Bayes error :math:`\tfrac12 - \varepsilon` of the projection (nearly indistinguishable).
The Bretagnolle-Huber bound :math:`TV \le \sqrt{1 - e^{-D}}` gives
:math:`r(\varepsilon) = -\log(1 - 4\varepsilon^2)` instead.

**Decision.** Accept ``(p, n)`` iff :math:`C_1/n + C_2/n^2 \le r(\varepsilon)`; the sample size
needed is :math:`n^* = [C_1 + \sqrt{C_1^2 + 4 r C_2}]/(2r)` (first order: :math:`C_1/r`).

**Provenance.** The paper (Sheena 2021) states that it combines the risk expansion with a
sufficient condition from a Bayes-error target, but its exact inequality could not be read. The
Pinsker-Jensen threshold above is theorylab's instantiation ((N10)-(N11) of
``docs/theory/pn_criterion.md``); the ``bound`` argument keeps the choice explicit. ``regime_ok`` flags when the expansion can
be trusted: :math:`|C_2|/(n C_1) < 0.5` and a positive second-order risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from theorylab.infogeo.core import fisher_information, mle, truth_from_samples
from theorylab.infogeo.families import ExpFamily
from theorylab.infogeo.risk import RiskCoefficients, risk_coefficients, risk_expansion
from theorylab.numerics.solution import ConvergenceError, Status
from theorylab.validation import check_choice, check_finite, check_in_range, check_positive

__all__ = ["bayes_error_threshold", "n_required", "PNResult", "pn_criterion", "pn_select", "tic_penalty"]


def bayes_error_threshold(eps: float, bound: str = "pinsker") -> float:
    """Largest risk ``r(eps)`` that keeps the expected Bayes error above ``1/2 - eps``."""
    check_in_range(eps, "eps", 0.0, 0.5, closed=(False, False))
    check_choice(bound, "bound", ("pinsker", "bretagnolle_huber"))
    return 8.0 * eps**2 if bound == "pinsker" else float(-np.log1p(-4.0 * eps**2))


def n_required(coefficients: RiskCoefficients | tuple[float, float], r: float, *, order: int = 2) -> float:
    """Smallest ``n`` with expanded risk ``<= r``: ``C1/r`` (order 1) or ``[C1 + sqrt(C1^2 + 4 r C2)]/(2 r)``.

    ``coefficients`` is a :class:`RiskCoefficients` (from :func:`risk_coefficients`) or a plain
    ``(C1, C2)`` pair of numbers.
    """
    check_positive(r, "r")
    check_choice(order, "order", (1, 2))
    if isinstance(coefficients, RiskCoefficients):
        c1, c2 = float(coefficients.C1), float(coefficients.C2)
    elif isinstance(coefficients, (tuple, list)) and len(coefficients) == 2:
        c1, c2 = (float(c) for c in coefficients)
    else:
        raise TypeError(
            f"`coefficients` must be a RiskCoefficients or a (C1, C2) pair of numbers, got {type(coefficients).__name__}"
        )
    check_positive(c1, "coefficients C1")
    check_finite(c2, "coefficients C2")
    if order == 1:
        return c1 / r
    disc = c1 * c1 + 4.0 * r * c2
    return (c1 + np.sqrt(disc)) / (2.0 * r) if disc >= 0 else c1 / (2.0 * r)  # C2 very negative: the quadratic has no root


class PNResult(NamedTuple):
    """Outcome of :func:`pn_criterion` for one family and data set."""

    family: str
    p: int
    n: int
    accept: bool
    risk: float
    threshold: float
    n_required: float
    C1: float
    C2: float
    regime_ok: bool
    eps: float
    bound: str
    order: int
    theta_hat: np.ndarray

    def __str__(self) -> str:
        verdict = "accept" if self.accept else "reject"
        trust = "" if self.regime_ok else " (expansion outside its regime: |C2|/(n C1) >= 0.5)"
        return (f"{self.family}: p = {self.p}, n = {self.n}: {verdict}; risk {self.risk:.4g} vs threshold "
                f"{self.threshold:.4g} (eps = {self.eps}, {self.bound}); n required {self.n_required:.1f}{trust}")


def pn_criterion(family: ExpFamily, x, eps: float = 0.05, *, order: int = 2, bound: str = "pinsker") -> PNResult:
    """Decide whether the sample ``x`` is large enough for ``family`` at Bayes-error margin ``eps``.

    The coefficients are plug-in estimates: truth cumulants from the sample, and the MLE as the
    information projection. Raises :class:`~theorylab.numerics.ConvergenceError` if the MLE does not
    exist (e.g. all-zero Poisson counts).
    """
    threshold = bayes_error_threshold(eps, bound)
    check_choice(order, "order", (1, 2))
    truth = truth_from_samples(family, x)
    n = int(np.shape(x)[0])
    sol = mle(family, truth.mean)
    if int(sol.status) != Status.SUCCESS:
        raise ConvergenceError(
            f"the MLE of {family.name} does not exist for this sample ({Status(int(sol.status)).message}); "
            "the mean statistic is on the boundary of the mean space")
    coeffs = risk_coefficients(family, truth, sol.value)
    risk = float(risk_expansion(coeffs, n, order=order))
    c1, c2 = float(coeffs.C1), float(coeffs.C2)
    regime_ok = bool(abs(c2) / (n * c1) < 0.5 and c1 / n + c2 / n**2 > 0)
    if n <= family.dim:
        regime_ok = False
    return PNResult(family.name, family.dim, n, bool(risk <= threshold), risk, threshold,
                    n_required(coeffs, threshold, order=order), c1, c2, regime_ok, float(eps), bound, order,
                    np.asarray(sol.value))


def pn_select(families: Sequence[ExpFamily], x, eps: float = 0.05, **kwargs):
    """Among (nested) families, the largest ``p`` the sample supports: ``(best or None, all results)``."""
    results = [pn_criterion(f, x, eps, **kwargs) for f in families]
    accepted = [r for r in results if r.accept and r.regime_ok]
    best = max(accepted, key=lambda r: r.p) if accepted else None
    return best, results


def tic_penalty(family: ExpFamily, x) -> float:
    """Takeuchi's penalty ``2 tr(J^-1 I)`` at the MLE, which for an exponential family equals ``4 C1_hat``."""
    truth = truth_from_samples(family, x, third_order_tensor=False)
    sol = mle(family, truth.mean).raise_if_failed(f"mle({family.name})")
    G = fisher_information(family, sol.value)
    return float(2.0 * jnp.trace(jnp.linalg.solve(G, truth.cov)))

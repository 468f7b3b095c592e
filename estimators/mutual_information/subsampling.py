r"""Disjoint subsampling: the estimator on ``gamma`` disjoint chunks of a random permutation of the data,
for each split count ``gamma``, and the Holmes-Nemenman variance of the full-sample estimate.

Each ``gamma`` draws its own permutation and cuts it into ``gamma`` chunks of ``floor(N / gamma)``
points (the at most ``gamma - 1`` points left over are unused at that ``gamma``). The chunk values of
one ``gamma`` are independent estimates on ``N / gamma`` points, so their spread measures the
estimator's variance at that size (Holmes & Nemenman, Phys. Rev. E 100, 022404 (2019)):

.. math:: \widehat{\mathrm{Var}}_N = \frac{\sum_{\gamma \ge 2} (\gamma - 1)\, s^2_\gamma\, m_\gamma / N}
                                    {\sum_{\gamma \ge 2} (\gamma - 1)},

with :math:`s^2_\gamma` the sample variance of the :math:`\gamma` chunk values and :math:`m_\gamma`
the chunk size (variance scales as 1/size). A permutation per ``gamma`` rather than one shared by all
(nested chunks) is what gives this variance its :math:`\sum_\gamma(\gamma - 1)` degrees of freedom: cut
from one permutation, the levels' spreads are strongly correlated and the degrees of freedom fall to
about 9 for ``gamma = 1..10`` (:func:`hn_effective_dof`; (M16) of ``docs/theory/mutual_information.md``).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import numpy as np

from theorylab.estimators.mutual_information import _checks
from theorylab.estimators.mutual_information.estimator import resolve_estimator
from theorylab.validation import check_integer, check_key

__all__ = ["DEFAULT_GAMMAS", "Subsamples", "subsample", "subsample_statistics", "hn_variance", "hn_effective_dof"]

DEFAULT_GAMMAS = tuple(range(1, 11))


class Subsamples(NamedTuple):
    """Chunk estimates (nats) of one protocol run: ``estimates[i]`` has ``gammas[i]`` values."""

    gammas: tuple[int, ...]
    estimates: tuple[np.ndarray, ...]
    chunk_sizes: tuple[int, ...]
    n_samples: int
    method: str

    @property
    def full(self) -> float:
        """The estimate on the largest chunk (all N samples when gamma = 1 is included)."""
        return float(self.estimates[int(np.argmin(self.gammas))][0])


def _gammas(gammas) -> tuple[int, ...]:
    g = tuple(check_integer(v, "gammas", minimum=1) for v in gammas)
    if len(set(g)) != len(g) or len(g) < 3:
        raise ValueError(f"`gammas` must hold at least 3 distinct split counts, got {g}")
    return tuple(sorted(g))


@functools.partial(jax.jit, static_argnames=("estimator", "gammas"))
def _subsample_jit(key, x, y, estimator, gammas):
    n = x.shape[0]
    kperm, kfit = jax.random.split(key)
    out = []
    for gamma, kp, kg in zip(gammas, jax.random.split(kperm, len(gammas)), jax.random.split(kfit, len(gammas))):
        m = n // gamma
        # a permutation per gamma: independent partitions make the levels' spreads nearly independent
        idx = jax.random.permutation(kp, n)[: gamma * m].reshape(gamma, m)
        args = (jax.random.split(kg, gamma), x[idx], y[idx])
        if getattr(estimator, "chunk_batching", "vmap") == "map":
            out.append(jax.lax.map(lambda a: estimator.statistic(*a), args))
        else:
            out.append(jax.vmap(estimator.statistic)(*args))
    return tuple(out)


def subsample_statistics(key, x, y, estimator, gammas=DEFAULT_GAMMAS):
    """Pure core of :func:`subsample`: a tuple with one ``(gamma,)`` array of chunk values per gamma.

    ``estimator`` is an estimator object (its pure ``statistic(key, x, y)`` is vmapped over the
    chunks of each gamma); it is a static argument, so equal configurations share one compiled
    program. ``jit``-compiled; ``vmap`` it over datasets for coverage studies. No argument checks.
    """
    key = check_key(key)
    return _subsample_jit(key, x, y, estimator, tuple(gammas))


def subsample(key, x, y, estimator="ksg", gammas=DEFAULT_GAMMAS, **estimator_kwargs) -> Subsamples:
    """Estimates on disjoint chunks of a random permutation, for each split count in ``gammas``."""
    key = check_key(key)
    est = resolve_estimator(estimator, **estimator_kwargs)
    xa, ya = _checks.paired(x, y)
    g = _gammas(gammas)
    n = xa.shape[0]
    smallest = n // max(g)
    need = est.min_samples(xa.shape[1], ya.shape[1])
    if smallest < need:
        raise ValueError(
            f"at gamma = {max(g)} the chunks hold {smallest} samples, fewer than the {need} that {est.name} "
            f"needs; use fewer splits (`gammas`) or more data (N = {n})"
        )
    values = subsample_statistics(key, xa, ya, est, g)
    return Subsamples(
        gammas=g,
        estimates=tuple(np.asarray(v, dtype=float) for v in values),
        chunk_sizes=tuple(n // v for v in g),
        n_samples=n,
        method=est.name,
    )


def hn_effective_dof(gammas, n_samples: int, *, nested: bool = False) -> float:
    r"""Satterthwaite degrees of freedom :math:`2\,(\mathrm E\,\hat V)^2/\mathrm{Var}\,\hat V` of the
    Holmes-Nemenman variance :math:`\hat V` of a statistic that is a mean over points.

    Such a statistic makes :math:`\hat V = \psi^\top A\,\psi` a quadratic form in the per-point values,
    :math:`A = \sum_\gamma w_\gamma Q_\gamma` with :math:`Q_\gamma` the sample variance of the chunk means of
    level :math:`\gamma`, and for Gaussian :math:`\psi` the degrees of freedom are
    :math:`(\operatorname{tr}A)^2/\operatorname{tr}A^2`. With a permutation per level (what
    :func:`subsample` does) the cross terms average to
    :math:`\operatorname{tr}Q_\gamma\operatorname{tr}Q_\delta/(N - 1)` and the result is a little below
    :math:`\sum_\gamma(\gamma - 1)` (45 for ``gamma = 1..10``; 43.3 at N = 1000, 44.7 at N = 5000). ``nested=True`` gives the value for chunks
    cut from one shared permutation (chunk :math:`c` of level :math:`\gamma` holding positions
    :math:`[c\,m_\gamma, (c + 1)\,m_\gamma)`): about 8.9 for ``gamma = 1..10`` at any :math:`N`, which is
    why the levels get their own permutations ((M16) of ``docs/theory/mutual_information.md``).
    """
    n = check_integer(n_samples, "n_samples", minimum=2)
    levels = sorted({check_integer(g, "gammas", minimum=1) for g in gammas} - {1})
    if not levels:
        raise ValueError("the Holmes-Nemenman variance needs at least one gamma >= 2")
    if n < 2 * max(levels):
        raise ValueError(f"`n_samples` = {n} leaves chunks of fewer than 2 points at gamma = {max(levels)}")
    sizes = [n // g for g in levels]
    total = float(sum(g - 1 for g in levels))
    weights = [(g - 1) * m / n / total for g, m in zip(levels, sizes)]
    trace = sum(w / m for w, m in zip(weights, sizes))  # tr Q_g = 1 / m_g
    trace_sq = 0.0
    for i, (g, m, w) in enumerate(zip(levels, sizes, weights)):
        for j, (h, k, v) in enumerate(zip(levels, sizes, weights)):
            if i == j:
                cross = 1.0 / (m * m * (g - 1))  # tr Q_g^2
            elif nested:  # tr(C_g O C_h O') / ((g - 1)(h - 1)), O the chunk overlaps / (m k)
                a, b = np.arange(g)[:, None] * m, np.arange(h)[None, :] * k
                o = np.maximum(0, np.minimum(a + m, b + k) - np.maximum(a, b)) / (m * k)
                cg, ch = np.eye(g) - 1.0 / g, np.eye(h) - 1.0 / h
                cross = float(np.trace(cg @ o @ ch @ o.T)) / ((g - 1) * (h - 1))
            else:  # independent uniform permutations: E tr(Q_g P Q_h P') = tr Q_g tr Q_h / (N - 1)
                cross = 1.0 / (m * k * (n - 1))
            trace_sq += w * v * cross
    return float(trace**2 / trace_sq)


def hn_variance(sub: Subsamples, *, return_dof: bool = False):
    r"""Holmes-Nemenman variance of the full-N estimate (and its degrees of freedom,
    :func:`hn_effective_dof`, a little below :math:`\sum_\gamma(\gamma - 1)`)."""
    num = den = 0.0
    for gamma, values, m in zip(sub.gammas, sub.estimates, sub.chunk_sizes):
        if gamma < 2:
            continue
        # Var of an m-point estimate times m/N is the N-point variance (m = N/gamma up to the floor)
        num += (gamma - 1) * float(np.var(values, ddof=1)) * m / sub.n_samples
        den += gamma - 1
    if den == 0:
        raise ValueError("the Holmes-Nemenman variance needs at least one gamma >= 2")
    var = num / den
    return (var, hn_effective_dof(sub.gammas, sub.n_samples)) if return_dof else var

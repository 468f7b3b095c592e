r"""Disjoint subsampling: the estimator on ``gamma`` disjoint chunks of one random permutation,
for each split count ``gamma``, and the Holmes-Nemenman variance of the full-sample estimate.

The chunks of one ``gamma`` hold ``floor(N / gamma)`` points each; the at most ``gamma - 1`` points
left over are unused at that ``gamma``. The chunk values of one ``gamma`` are independent
estimates on ``N / gamma`` points, so their spread measures the estimator's variance at that size
(Holmes & Nemenman, Phys. Rev. E 100, 022404 (2019)):

.. math:: \widehat{\mathrm{Var}}_N = \frac{\sum_{\gamma \ge 2} (\gamma - 1)\, s^2_\gamma\, m_\gamma / N}
                                    {\sum_{\gamma \ge 2} (\gamma - 1)},

with :math:`s^2_\gamma` the sample variance of the :math:`\gamma` chunk values and :math:`m_\gamma`
the chunk size (variance scales as 1/size).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import numpy as np

from theorylab.estimators.mutual_information import _checks
from theorylab.estimators.mutual_information.estimator import resolve_estimator
from theorylab.validation import check_integer, check_key

__all__ = ["DEFAULT_GAMMAS", "Subsamples", "subsample", "subsample_statistics", "hn_variance"]

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
    perm = jax.random.permutation(kperm, n)
    out = []
    for gamma, kg in zip(gammas, jax.random.split(kfit, len(gammas))):
        m = n // gamma
        idx = perm[: gamma * m].reshape(gamma, m)
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


def hn_variance(sub: Subsamples, *, return_dof: bool = False):
    """Holmes-Nemenman variance of the full-N estimate (and its degrees of freedom sum(gamma - 1))."""
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
    return (var, float(den)) if return_dof else var

r"""Kraskov-Stoegbauer-Grassberger (KSG) kNN estimators, exact brute-force neighbour search in JAX.

Kraskov, Stoegbauer & Grassberger, Phys. Rev. E 69, 066138 (2004), with the max-norm in the joint
space :math:`\lVert(x,y)\rVert = \max(\lVert x\rVert_\infty, \lVert y\rVert_\infty)`:

* variant 1 (their eq. 8): :math:`\epsilon_i` is the distance to the k-th neighbour of point i in
  the joint space, :math:`n_x(i) = \#\{j\ne i: \lVert x_j - x_i\rVert < \epsilon_i\}` (strict),
  :math:`\hat I = \psi(k) + \psi(N) - \langle\psi(n_x+1) + \psi(n_y+1)\rangle`;
* variant 2 (their eq. 9): :math:`\epsilon_x(i)`, :math:`\epsilon_y(i)` are the largest x- and
  y-distances among the k joint neighbours, :math:`n_x(i) = \#\{j\ne i: \lVert x_j - x_i\rVert\le
  \epsilon_x(i)\}`, :math:`\hat I = \psi(k) - 1/k + \psi(N) - \langle\psi(n_x) + \psi(n_y)\rangle`.

The neighbour search is exact: all pairwise distances, one block of query rows at a time
(``O(N^2 (d_x + d_y))`` work, ``O(block N)`` memory), jit-compiled and ``vmap``-able. Trees
(scikit-learn, NPEET) are faster in 1-3 dimensions; brute force wins as the dimension grows and
is what a GPU wants (``benchmarks/mi_bench.py`` has the figures).

KSG is not scale invariant, so columns are scaled to population sd 1 by default (as
scikit-learn does). It also must never see duplicated points: a point at distance 0 from its k-th
neighbour makes the estimate meaningless, so that raises unless ``jitter`` is set, and resampling
with replacement (the bootstrap) is refused by the protocol.
"""

from __future__ import annotations

import functools
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import digamma

from theorylab.estimators.mutual_information import _checks
from theorylab.estimators.mutual_information.estimator import register_estimator
from theorylab.estimators.mutual_information.result import MIEstimate
from theorylab.estimators.mutual_information.subsampling import hn_variance, subsample
from theorylab.validation import check_choice, check_integer, check_key, check_positive

__all__ = ["ksg", "ksg_statistic", "KSG"]

_BLOCK_ELEMENTS = 1 << 22  # query rows per block * N * dims kept under this


def _block_size(n: int, dim: int) -> int:
    return int(max(1, min(n, _BLOCK_ELEMENTS // max(1, n * dim))))


def _inverse_scale(a, standardize: bool):
    # Scale only, like scikit-learn (with_mean=False): KSG is translation invariant. The scale is
    # applied to raw differences, |x_i - x_j| / sd, never to the points themselves: LLVM contracts
    # x_i / sd - x_j / sd into a fused multiply-add, which left exact duplicates 1e-17 apart
    # (seen on a 400-point sample) and hid them from the duplicate check.
    # the sd of columns scaled by their largest |value| first: a sample at 1e160 would overflow the squares
    if not standardize:
        return jnp.ones(a.shape[1], a.dtype)
    big = jnp.max(jnp.abs(a), axis=0)
    big = jnp.where(big > 0, big, 1.0)
    return 1.0 / (big * jnp.std(a / big, axis=0))


def _kth_smallest(d, k: int):
    """k-th smallest entry of each row (ties counted with multiplicity) by k masked-min passes.

    XLA:CPU's ``top_k`` and ``sort`` are ~20x slower than k fused min-reductions for small k.
    """

    def body(_, carry):
        below, count, kth = carry
        m = jnp.min(jnp.where(d > below[:, None], d, jnp.inf), axis=1)
        new_count = count + jnp.sum(d == m[:, None], axis=1, dtype=jnp.int32)
        kth = jnp.where((count < k) & (new_count >= k), m, kth)
        return m, new_count, kth

    init = (jnp.full(d.shape[0], -jnp.inf, d.dtype), jnp.zeros(d.shape[0], jnp.int32), jnp.zeros(d.shape[0], d.dtype))
    return jax.lax.fori_loop(0, k, body, init)[2]


@functools.partial(jax.jit, static_argnames=("k", "variant", "standardize", "block"))
def _ksg_kernel(x, y, k: int, variant: int, standardize: bool, block: int):
    n = x.shape[0]
    sx, sy = _inverse_scale(x, standardize), _inverse_scale(y, standardize)
    pad = (-n) % block
    rows = jnp.arange(n + pad).reshape(-1, block)
    cols = jnp.arange(n)

    def one_block(idx):
        valid = idx < n
        i = jnp.minimum(idx, n - 1)
        dx = jnp.max(jnp.abs(x[i][:, None, :] - x[None, :, :]) * sx, axis=-1)
        dy = jnp.max(jnp.abs(y[i][:, None, :] - y[None, :, :]) * sy, axis=-1)
        self_ = i[:, None] == cols[None, :]
        dz = jnp.where(self_, jnp.inf, jnp.maximum(dx, dy))
        eps = _kth_smallest(dz, k)
        if variant == 1:
            nx = jnp.sum((dx < eps[:, None]) & ~self_, axis=1)
            ny = jnp.sum((dy < eps[:, None]) & ~self_, axis=1)
            terms = digamma(nx + 1.0) + digamma(ny + 1.0)
        else:
            near = dz <= eps[:, None]
            ex = jnp.max(jnp.where(near, dx, -jnp.inf), axis=1)
            ey = jnp.max(jnp.where(near, dy, -jnp.inf), axis=1)
            nx = jnp.sum((dx <= ex[:, None]) & ~self_, axis=1)
            ny = jnp.sum((dy <= ey[:, None]) & ~self_, axis=1)
            terms = digamma(nx * 1.0) + digamma(ny * 1.0)
        return jnp.where(valid, terms, 0.0), jnp.sum(valid & (eps == 0.0))

    terms, zero = jax.lax.map(one_block, rows)
    mean_terms = jnp.sum(terms) / n
    base = digamma(float(k)) + digamma(float(n)) - (1.0 / k if variant == 2 else 0.0)
    return base - mean_terms, jnp.sum(zero)


def ksg_statistic(x, y, *, k: int = 5, variant: int = 1, standardize: bool = True):
    """The KSG estimate in nats as a JAX scalar, and the number of points whose k-th neighbour sits at
    distance 0 (a pure function of ``(N, dx)``, ``(N, dy)`` arrays: ``jit``/``vmap`` it freely).

    No argument checks: :func:`ksg` is the checked entry point.
    """
    n = x.shape[0]
    block = _block_size(n, max(x.shape[1], y.shape[1]))
    return _ksg_kernel(x, y, k=int(k), variant=int(variant), standardize=bool(standardize), block=block)


def _check_ksg_args(x, y, k, variant, jitter):
    xa, ya = _checks.paired(x, y)
    n = xa.shape[0]
    k = check_integer(k, "k", minimum=1)
    if k >= n:
        raise ValueError(f"`k` must be smaller than the number of samples N = {n}, got k = {k}")
    check_choice(variant, "variant", (1, 2))
    if jitter is not None:
        check_positive(jitter, "jitter")
    return xa, ya, k


def _tie_fraction(a) -> float:
    arr = np.asarray(a)
    return max(1.0 - np.unique(arr[:, j]).size / arr.shape[0] for j in range(arr.shape[1]))


def _add_jitter(key, xa, ya, jitter):
    kx, ky = jax.random.split(key)
    sx = jnp.maximum(jnp.std(xa, axis=0), 1e-300)
    sy = jnp.maximum(jnp.std(ya, axis=0), 1e-300)
    xa = xa + jitter * sx * jax.random.normal(kx, xa.shape, xa.dtype)
    ya = ya + jitter * sy * jax.random.normal(ky, ya.shape, ya.dtype)
    return xa, ya


def ksg(key, x, y, *, k: int = 5, variant: int = 1, standardize: bool = True, jitter: float | None = None,
        standard_error: bool = True, units: str = "nats") -> MIEstimate:
    """KSG mutual information of samples ``x`` (N, dx) and ``y`` (N, dy), as an :class:`MIEstimate`.

    Parameters
    ----------
    key:
        PRNG key: the permutation of the split-sample standard error and the ``jitter`` noise are
        drawn from it (the point estimate itself is deterministic).
    k:
        Number of neighbours (1 <= k < N). 3-10 is usual; larger k trades variance for bias.
    variant:
        1 or 2 (Kraskov et al. eqs. 8 and 9).
    standardize:
        Divide each column by its population standard deviation first (no centring is needed: KSG is translation invariant).
    jitter:
        Relative noise (times each column's sd) added to break exact ties, as scikit-learn does
        with 1e-10. Without it, duplicated points that sit at distance 0 from their k-th
        neighbour raise ``ValueError``.
    standard_error:
        Compute the Holmes-Nemenman split-sample standard error (disjoint subsamples of N/2 ...
        N/10 points, or fewer splits when chunks would hold under 2k + 2 points; see
        :func:`hn_variance`). ``False`` skips that work and leaves ``standard_error`` as ``nan`` (no
        interval); so does a sample below 4 (2k + 2) points, with the reason in ``diagnostics``.
    units:
        ``"nats"`` or ``"bits"``.
    """
    key = check_key(key)
    xa, ya, k = _check_ksg_args(x, y, k, variant, jitter)
    unit = _checks.unit_factor(units)
    if standardize:
        both = np.concatenate([np.asarray(xa), np.asarray(ya)], axis=1)
        big = np.max(np.abs(both), axis=0)
        sd = np.std(both / np.where(big > 0, big, 1.0), axis=0)  # scaled first: no overflow or underflow
        if np.any(sd == 0.0):
            raise ValueError("`x` or `y` has a constant column: KSG needs every column to vary")
    ties = _tie_fraction(np.concatenate([np.asarray(xa), np.asarray(ya)], axis=1))
    if jitter is not None:
        key, sub = jax.random.split(key)
        xa, ya = _add_jitter(sub, xa, ya, jitter)
    elif ties > 0.10:
        warnings.warn(
            f"{ties:.0%} of the values in some column are repeated; KSG assumes continuous data "
            "(pass jitter=1e-10 to break ties)",
            RuntimeWarning,
            stacklevel=2,
        )
    value, zero = ksg_statistic(xa, ya, k=k, variant=variant, standardize=standardize)
    if int(zero) > 0:
        raise ValueError(
            f"{int(zero)} point(s) have their {k}-th neighbour at distance 0 (duplicated samples); the "
            "KSG estimate is meaningless there. Remove duplicates, raise k, or pass jitter=1e-10 with a key"
        )
    se, dof = float("nan"), float("inf")
    diagnostics = {"tie_fraction": ties, "k": k, "variant": variant}
    if standard_error:
        # gamma = 1 is the estimate above; hn_variance uses only the split levels, up to ten-way
        # splits and never into chunks smaller than 2k + 2 points
        top = min(10, int(xa.shape[0]) // (2 * k + 2))
        if top >= 4:
            sub = subsample(key, xa, ya, KSG(k=k, variant=variant, standardize=standardize), gammas=range(2, top + 1))
            var, dof = hn_variance(sub, return_dof=True)
            se = float(np.sqrt(var))
        else:
            diagnostics["standard_error"] = (f"not computed: N = {int(xa.shape[0])} is below 4 (2k + 2) = "
                                             f"{8 * k + 8}, the smallest sample the split-sample error can use")
    return MIEstimate(
        value=float(value) * unit,
        standard_error=se * unit,
        units=units,
        method=f"ksg{variant}(k={k})",
        n_samples=int(xa.shape[0]),
        dof=dof,
        diagnostics=diagnostics,
    )


class KSG(eqx.Module):
    """The KSG estimator as an object for the protocol: ``KSG(k=5, variant=1)`` (an
    :class:`~theorylab.estimators.mutual_information.MIEstimator`).

    ``statistic(key, x, y)`` is a pure function (nats) that :func:`subsample` vmaps over the
    disjoint chunks of one gamma. Frozen, with static fields: equal configurations hash alike, so
    compiled protocol kernels are reused across calls.
    """

    k: int = eqx.field(static=True)
    variant: int = eqx.field(static=True)
    standardize: bool = eqx.field(static=True)

    uses_neighbours = True
    #: smallest chunk for which the protocol trusts the estimate (below it: a reliability flag), so
    #: that the default ten-way split needs N >= 500
    min_reliable_samples = 50

    def __init__(self, k: int = 5, variant: int = 1, standardize: bool = True):
        self.k = check_integer(k, "k", minimum=1)
        self.variant = check_choice(variant, "variant", (1, 2))
        self.standardize = bool(standardize)

    @property
    def name(self) -> str:
        """``"ksg<variant>(k=<k>)"``."""
        return f"ksg{self.variant}(k={self.k})"

    def min_samples(self, dim_x: int = 1, dim_y: int = 1) -> int:
        """Smallest chunk the estimator accepts (2k + 2)."""
        return 2 * self.k + 2

    def bias_exponent_floor(self, dim_x: int = 1, dim_y: int = 1) -> float:
        r"""The slowest bias law the protocol allows, :math:`N^{-a}` with :math:`a = \min(1/4, 2/d)` in
        :math:`d = d_x + d_y` joint dimensions: kNN estimators of smooth densities approach their limit
        as :math:`N^{-2/d}` (Berrett, Samworth & Yuan, Ann. Statist. 47, 2019; Delattre & Fournier,
        J. Stat. Plan. Inference 185, 2017), and more slowly where the density has edges ((M13) of the
        MI theory note)."""
        return min(0.25, 2.0 / (int(dim_x) + int(dim_y)))

    def statistic(self, key, x, y):
        """The KSG estimate in nats (pure; ``key`` is unused)."""
        del key
        value, _ = ksg_statistic(x, y, k=self.k, variant=self.variant, standardize=self.standardize)
        return value


register_estimator("ksg", KSG)
register_estimator("ksg1", lambda **kw: KSG(variant=1, **kw))
register_estimator("ksg2", lambda **kw: KSG(variant=2, **kw))

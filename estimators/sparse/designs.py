r"""Designs with known covariance, random supports, coefficient models and noisy problems (docs/theory/sparse.md, "Designs").

Rows of every design are i.i.d. :math:`N(0, \Sigma)` with unit diagonal:

* ``"gaussian"``: :math:`\Sigma = I`;
* ``"equicorrelated_clusters"`` (m, delta): m clusters of s = d/m columns,
  :math:`x_j = (z_{c(j)} + \delta g_j)/\sqrt{1+\delta^2}`, so :math:`\Sigma` is block-equicorrelated with
  :math:`\rho = 1/(1+\delta^2)` and :math:`\operatorname{cond}\Sigma = (s+\delta^2)/\delta^2`
  (eigenvalues :math:`1-\rho` and :math:`1+(s-1)\rho`; sympy check in ``proofs_checks/sparse.py``);
* ``"near_duplicate_pairs"`` (delta): the same with clusters of two;
* ``"toeplitz"`` (rho): :math:`\Sigma_{ij} = \rho^{|i-j|}` (AR(1) columns).

Coefficients (``make_problem``): ``"random"`` puts :math:`\pm 1` on the support; ``"contrast"`` puts, in
every cluster the support hits at least twice, a unit sum-zero vector scaled by :math:`1/\delta` (a
signal that lives in the small :math:`\delta g` directions) and :math:`\pm` ``singleton_scale`` on
clusters hit once. Both are scaled so that :math:`w^\top\Sigma w = 1`, so a null fit has prediction
error about 1 and the signal-to-noise ratio is :math:`1/\sigma^2`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.validation import check_choice, check_in_range, check_integer, check_key, check_positive

__all__ = [
    "Design", "SLRProblem", "KINDS",
    "make_design", "design_covariance", "cluster_labels", "cluster_covariance", "cluster_condition_number",
    "sample_support", "within_cluster_pairs", "contrast_values", "random_sign_values", "make_problem",
]

KINDS = ("gaussian", "equicorrelated_clusters", "near_duplicate_pairs", "toeplitz")


class Design(NamedTuple):
    """A sampled design: ``X`` (N, d), its population ``covariance`` (d, d) and the cluster label of each
    column (``clusters``; every column is its own cluster for designs without clusters)."""

    X: jax.Array
    covariance: jax.Array
    clusters: jax.Array


class SLRProblem(NamedTuple):
    """``y = X coef + noise`` with ``noise ~ N(0, sigma^2 I)``; ``support`` holds the k nonzero indices."""

    X: jax.Array
    y: jax.Array
    coef: jax.Array
    support: jax.Array
    noise: jax.Array
    covariance: jax.Array
    clusters: jax.Array


def _shape_params(kind, d, m, delta, rho):
    check_choice(kind, "kind", KINDS)
    d = check_integer(d, "d", minimum=1)
    if kind == "near_duplicate_pairs":
        if d % 2:
            raise ValueError(f"`d` must be even for near_duplicate_pairs (columns come in pairs), got {d}")
        m = d // 2
    if kind in ("equicorrelated_clusters", "near_duplicate_pairs"):
        m = check_integer(m, "m", minimum=1)
        if d % m:
            raise ValueError(f"`m` must divide d: got d = {d}, m = {m} (clusters of equal size d/m)")
        check_positive(delta, "delta")
    if kind == "toeplitz":
        check_in_range(rho, "rho", -1.0, 1.0, closed=(False, False))
    return d, m


def cluster_labels(d: int, m: int):
    """Column j belongs to cluster ``j // (d/m)``."""
    return jnp.arange(d, dtype=jnp.int32) // (d // m)


def cluster_covariance(d: int, m: int, delta: float):
    """Block-equicorrelated covariance: 1 on the diagonal, ``1/(1+delta^2)`` inside a cluster, 0 across."""
    labels = cluster_labels(d, m)
    rho = 1.0 / (1.0 + delta**2)
    same = labels[:, None] == labels[None, :]
    return jnp.where(same, rho, 0.0) + (1.0 - rho) * jnp.eye(d)


def cluster_condition_number(d: int, m: int, delta):
    """cond(Sigma) = (s + delta^2) / delta^2 of :func:`cluster_covariance` ``(d, m, delta)``: ``m``
    clusters of size ``s = d / m >= 2`` (the block's eigenvalues are ``s + delta^2`` and ``delta^2``)."""
    d = check_integer(d, "d", minimum=2)
    m = check_integer(m, "m", minimum=1)
    if d % m or d // m < 2:
        raise ValueError(f"`m` = {m} must divide `d` = {d} into clusters of at least 2 columns")
    s = d // m
    return (s + delta**2) / delta**2


def design_covariance(kind: str, d: int, *, m: int | None = None, delta: float | None = None,
                      rho: float | None = None):
    """The population covariance of ``kind`` (see the module docstring)."""
    d, m = _shape_params(kind, d, m, delta, rho)
    if kind == "gaussian":
        return jnp.eye(d)
    if kind == "toeplitz":
        i = jnp.arange(d)
        return jnp.asarray(rho, jnp.float64) ** jnp.abs(i[:, None] - i[None, :])
    return cluster_covariance(d, m, delta)


@functools.partial(jax.jit, static_argnames=("kind", "n", "d", "m"))
def _sample(key, kind, n, d, m, delta, rho):
    if kind == "gaussian":
        return jax.random.normal(key, (n, d))
    if kind == "toeplitz":  # AR(1) recursion: x_1 = e_1, x_j = rho x_{j-1} + sqrt(1-rho^2) e_j
        e = jax.random.normal(key, (d, n))

        def step(prev, ej):
            cur = rho * prev + jnp.sqrt(1.0 - rho**2) * ej
            return cur, cur

        _, cols = jax.lax.scan(step, e[0], e[1:])
        return jnp.concatenate([e[:1], cols]).T
    kz, kg = jax.random.split(key)
    z = jax.random.normal(kz, (n, m))
    g = jax.random.normal(kg, (n, d))
    return (jnp.repeat(z, d // m, axis=1) + delta * g) / jnp.sqrt(1.0 + delta**2)


def make_design(key, kind: str, n: int, d: int, *, m: int | None = None, delta: float | None = None,
                rho: float | None = None) -> Design:
    """Sample an (n, d) design of ``kind`` (``"gaussian"``, ``"equicorrelated_clusters"`` with ``m`` and
    ``delta``, ``"near_duplicate_pairs"`` with ``delta``, ``"toeplitz"`` with ``rho``)."""
    key = check_key(key)
    d, m = _shape_params(kind, d, m, delta, rho)
    n = check_integer(n, "n", minimum=1)
    X = _sample(key, kind, n, d, m if m is not None else 1, 0.0 if delta is None else delta,
                0.0 if rho is None else rho)
    labels = cluster_labels(d, m) if kind in ("equicorrelated_clusters", "near_duplicate_pairs") else jnp.arange(
        d, dtype=jnp.int32)
    return Design(X, design_covariance(kind, d, m=m, delta=delta, rho=rho), labels)


def sample_support(key, d: int, k: int):
    """A uniformly random k-subset of {0..d-1}, sorted (int32)."""
    key = check_key(key)
    d = check_integer(d, "d", minimum=1)
    k = check_integer(k, "k", minimum=1, maximum=d)
    return jnp.sort(jax.random.choice(key, d, (k,), replace=False)).astype(jnp.int32)


def within_cluster_pairs(key, d: int, m: int, k: int):
    """A worst-case-style support: k/2 distinct clusters, two random columns in each (k even)."""
    key = check_key(key)
    d = check_integer(d, "d", minimum=2)
    m = check_integer(m, "m", minimum=1)
    k = check_integer(k, "k", minimum=2)
    if k % 2 or k // 2 > m or d % m or d // m < 2:
        raise ValueError(f"within_cluster_pairs needs an even k <= 2m and clusters of size >= 2 "
                         f"(got d = {d}, m = {m}, k = {k})")
    s = d // m
    kc, kp = jax.random.split(key)
    chosen = jax.random.choice(kc, m, (k // 2,), replace=False)
    pairs = jax.vmap(lambda kk: jax.random.choice(kk, s, (2,), replace=False))(jax.random.split(kp, k // 2))
    return jnp.sort((chosen[:, None] * s + pairs).reshape(-1)).astype(jnp.int32)


def _unit_signal(w, covariance):
    return w / jnp.sqrt(w @ covariance @ w)


def random_sign_values(key, support, d: int, covariance):
    """+-1 on ``support``, scaled to w^T Sigma w = 1."""
    key = check_key(key)
    signs = jax.random.rademacher(key, (support.shape[0],), dtype=jnp.float64)
    return _unit_signal(jnp.zeros(d).at[support].set(signs), covariance)


def contrast_values(key, support, clusters, delta, covariance, singleton_scale: float = 0.1):
    """Adversarial within-cluster contrasts (docs/theory/sparse.md, "Designs"), scaled to w^T Sigma w = 1.

    In each cluster hit at least twice: a Gaussian vector centred and normalised over the cluster's
    support members, divided by ``delta``; on clusters hit once: ``+-singleton_scale``.
    """
    key = check_key(key)
    k = support.shape[0]
    d = clusters.shape[0]
    ku, ks = jax.random.split(key)
    lab = clusters[support]
    same = (lab[:, None] == lab[None, :]).astype(jnp.float64)
    count = jnp.sum(same, axis=1)
    u = jax.random.normal(ku, (k,))
    u = u - same @ u / count
    u = u / jnp.sqrt(same @ (u * u))
    single = singleton_scale * jax.random.rademacher(ks, (k,), dtype=jnp.float64)
    vals = jnp.where(count >= 2, u / delta, single)
    return _unit_signal(jnp.zeros(d).at[support].set(vals), covariance)


def make_problem(key, design: Design, k: int, sigma: float, *, values: str = "random", support: str = "random",
                 delta: float | None = None, singleton_scale: float = 0.1) -> SLRProblem:
    """Draw a support (``"random"`` or ``"pairs"``: k/2 within-cluster pairs), coefficients (``"random"``
    signs or ``"contrast"``, which needs the design's ``delta``) and Gaussian noise of sd ``sigma``."""
    key = check_key(key)
    if not isinstance(design, Design):
        raise TypeError(f"`design` must be a Design from theorylab.estimators.sparse.make_design, got {type(design).__name__}")
    X = design.X
    n, d = X.shape
    k = check_integer(k, "k", minimum=1, maximum=d)
    check_positive(sigma, "sigma")
    check_choice(values, "values", ("random", "contrast"))
    check_choice(support, "support", ("random", "pairs"))
    k_supp, k_val, k_noise = jax.random.split(key, 3)
    if support == "random":
        T = sample_support(k_supp, d, k)
    else:
        m = int(np.asarray(design.clusters).max()) + 1
        T = within_cluster_pairs(k_supp, d, m, k)
    if values == "random":
        w = random_sign_values(k_val, T, d, design.covariance)
    else:
        if delta is None:
            raise ValueError("values='contrast' needs the design's `delta` (the contrasts are scaled by 1/delta)")
        check_positive(delta, "delta")
        w = contrast_values(k_val, T, design.clusters, delta, design.covariance, singleton_scale)
    xi = sigma * jax.random.normal(k_noise, (n,))
    return SLRProblem(X, X @ w + xi, w, T, xi, design.covariance, design.clusters)

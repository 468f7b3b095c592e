"""Benchmark instances from Tang et al. (2024) and the spec: random assignment, point clouds, digits, 1-D densities.

The random ones are drawn from a JAX ``key`` (float64); all have uniform weights unless noted.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.transport.geometry import cost_matrix
from theorylab.validation import check_choice, check_integer, check_key

__all__ = ["OTInstance", "random_assignment", "point_clouds", "digits_pair", "densities_1d"]


class OTInstance(NamedTuple):
    """A benchmark problem: cost matrix, marginals and a descriptive name."""

    cost: np.ndarray
    a: np.ndarray
    b: np.ndarray
    name: str


def random_assignment(key, n: int = 500) -> OTInstance:
    """``C ~ U[0, 1]^{n x n}`` drawn from ``key``, uniform marginals (the paper's case)."""
    key = check_key(key)
    n = check_integer(n, "n", minimum=1)
    C = np.asarray(jax.random.uniform(key, (n, n), jnp.float64))
    w = np.full(n, 1.0 / n)
    return OTInstance(C, w, w.copy(), f"assignment n={n}")


def point_clouds(key, n: int = 500, d: int = 2, cost: str = "sqeuclidean") -> OTInstance:
    """Two clouds of ``n`` uniform points in ``[0, 1]^d`` (``x`` and ``y`` from the two halves of ``key``)."""
    key = check_key(key)
    n = check_integer(n, "n", minimum=1)
    d = check_integer(d, "d", minimum=1)
    kx, ky = jax.random.split(key)
    x = np.asarray(jax.random.uniform(kx, (n, d), jnp.float64))
    y = np.asarray(jax.random.uniform(ky, (n, d), jnp.float64))
    C = np.asarray(cost_matrix(x, y, cost=cost))
    w = np.full(n, 1.0 / n)
    return OTInstance(C, w, w.copy(), f"point clouds n={n} d={d} {cost}")


def digits_pair(i: int = 0, j: int = 1, cost: str = "l1", floor: float = 1e-3) -> OTInstance:
    """Two of scikit-learn's bundled 8x8 digit images as histograms on the grid scaled to [0, 1]^2.

    A ``floor`` is added to every pixel so all weights are positive (a stand-in for the paper's
    MNIST pairs; needs scikit-learn, a test/verify extra).
    """
    check_choice(cost, "cost", ("l1", "sqeuclidean"))
    from sklearn.datasets import load_digits

    images = load_digits().images.astype(np.float64)
    grid = np.stack(np.meshgrid(np.arange(8), np.arange(8), indexing="ij"), -1).reshape(-1, 2) / 7.0
    a = images[i].reshape(-1) + floor
    b = images[j].reshape(-1) + floor
    C = np.asarray(cost_matrix(grid, grid, cost=cost))
    return OTInstance(C, a / a.sum(), b / b.sum(), f"digits {i}->{j} {cost}")


def densities_1d(n: int = 200, p: float = 2.0) -> OTInstance:
    """A Gaussian bump against a two-bump mixture on ``n`` grid points of [0, 1], cost ``|x - y|^p``."""
    n = check_integer(n, "n", minimum=2)
    x = np.linspace(0.0, 1.0, n)
    a = np.exp(-((x - 0.3) ** 2) / (2 * 0.1**2))
    b = 0.5 * np.exp(-((x - 0.6) ** 2) / (2 * 0.05**2)) + 0.5 * np.exp(-((x - 0.8) ** 2) / (2 * 0.05**2))
    C = np.abs(x[:, None] - x[None, :]) ** p
    return OTInstance(C, a / a.sum(), b / b.sum(), f"1-D densities n={n} p={p:g}")

r"""Quadrature rules for Gaussian averages, including integrands with a kink.

The replica computations of theorylab are averages over a standard normal variable,

.. math:: \mathbb{E}_z f(z) = \int f(z)\, \varphi(z)\, dz, \qquad \varphi(z) = e^{-z^2/2}/\sqrt{2\pi}.

* :func:`gauss_hermite` gives the probabilists' Gauss-Hermite rule (weight :math:`e^{-z^2/2}`,
  normalised so the weights sum to one): exact for polynomials of degree :math:`\le 2n-1`
  (Golub & Welsch 1969; nodes from :func:`numpy.polynomial.hermite_e.hermegauss`).
* :func:`gauss_legendre` gives Gauss-Legendre on ``[lower, upper]`` (exact to degree ``2n-1``);
  the interval may be traced, so rules built from it ``jit`` and ``vmap``.
* :func:`kinked_gaussian_rule` is a composite Gauss-Legendre rule for :math:`\mathbb{E}_z f(z)`
  whose panels break at a kink :math:`z_0` and at :math:`z_0 \pm w`. At low temperature
  :math:`f(z) = \tanh\beta(m + s z)` is a smoothed step at :math:`z_0 = -m/s` of width
  :math:`\sim 1/(\beta s)`; a fixed Gauss-Hermite rule then converges to a wrong value (the
  prototype P6 of ``docs/theory/hebbian.md`` measured :math:`m = 0.618` against the exact ``erf(1/sqrt 2) = 0.683`` at
  :math:`\beta = 10^4`), while panels that break at the kink keep full accuracy.

A :class:`QuadratureRule` is a pytree of ``nodes`` and ``weights``; :meth:`QuadratureRule.expect`
contracts the weights with ``f(nodes)``.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax.numpy as jnp
import numpy as np

from theorylab.validation import as_float_array, check_finite, check_integer, check_positive, is_traced

__all__ = [
    "QuadratureRule",
    "gauss_hermite",
    "gauss_legendre",
    "kinked_gaussian_rule",
    "composite_gaussian_rule",
    "gaussian_expectation",
]

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


class QuadratureRule(NamedTuple):
    """Nodes and weights: ``sum_k weights[k] * f(nodes[k])`` approximates the integral."""

    nodes: jnp.ndarray
    weights: jnp.ndarray

    def expect(self, f: Callable):
        """Apply the rule to ``f``: ``tensordot(weights, f(nodes))`` over the node axis.

        ``f`` is called once on the whole node vector and must return an array whose leading
        axis runs over the nodes (elementwise functions do).
        """
        values = f(self.nodes)
        return jnp.tensordot(self.weights, values, axes=1)


@functools.lru_cache(maxsize=64)
def _hermite_numpy(order: int):
    with np.errstate(all="ignore"):
        nodes, weights = np.polynomial.hermite_e.hermegauss(order)
        weights = weights / weights.sum()  # sum = sqrt(2 pi) analytically; renormalise exactly
    if not (np.all(np.isfinite(nodes)) and np.all(np.isfinite(weights))):
        # NumPy's three-term evaluation overflows above order ~370: Golub-Welsch instead (the
        # eigenvalues of the Jacobi matrix of He_k, off-diagonal sqrt(k), are the nodes and the
        # squared first eigenvector components the weights of the N(0, 1) measure)
        from scipy.linalg import eigh_tridiagonal

        nodes, vectors = eigh_tridiagonal(np.zeros(order), np.sqrt(np.arange(1.0, order)))
        weights = vectors[0] ** 2
        weights = weights / weights.sum()  # 1 analytically
    return nodes, weights


@functools.lru_cache(maxsize=64)
def _legendre_numpy(order: int):
    return np.polynomial.legendre.leggauss(order)


def gauss_hermite(order: int) -> QuadratureRule:
    r"""Probabilists' Gauss-Hermite rule for :math:`\mathbb{E}_{z\sim N(0,1)} f(z)`.

    Exact for polynomials of degree ``<= 2 * order - 1``. Weights sum to one.
    """
    order = check_integer(order, "order", minimum=2, maximum=400)
    nodes, weights = _hermite_numpy(order)
    return QuadratureRule(jnp.asarray(nodes), jnp.asarray(weights))


def _check_finite_if_concrete(**arguments) -> None:
    """The rules accept traced locations; concrete ones must be finite (a NaN would give NaN nodes)."""
    for name, value in arguments.items():
        if not is_traced(value):
            check_finite(as_float_array(value, name), name)


def gauss_legendre(order: int, lower=-1.0, upper=1.0) -> QuadratureRule:
    r"""Gauss-Legendre rule for :math:`\int_{lower}^{upper} f(x)\,dx` (exact to degree ``2*order-1``).

    ``lower`` and ``upper`` may be JAX tracers: the rule is an affine image of fixed nodes (concrete
    ones must be finite).
    """
    order = check_integer(order, "order", minimum=2, maximum=2000)
    _check_finite_if_concrete(lower=lower, upper=upper)
    x, w = _legendre_numpy(order)
    lower = jnp.asarray(lower, dtype=float)
    upper = jnp.asarray(upper, dtype=float)
    half = 0.5 * (upper - lower)
    return QuadratureRule(half * jnp.asarray(x) + 0.5 * (upper + lower), half * jnp.asarray(w))


def kinked_gaussian_rule(kink, width, *, order: int = 64, cutoff: float = 12.0) -> QuadratureRule:
    r"""Composite Gauss-Legendre rule for :math:`\mathbb{E}_z f(z)` with panels broken at a kink.

    The real line is truncated to ``[-cutoff, cutoff]`` (the neglected Gaussian mass is
    :math:`2\Phi(-\text{cutoff})`, about ``3.6e-33`` at the default) and split into five panels
    at the sorted breaks ``-c, z0-w, z0, z0+w, 0, c``, each carrying ``order`` Legendre nodes (the
    fixed break at 0 keeps the Gaussian bulk accurate when the kink window is far away or wider
    than the range, e.g. ``1e-13`` relative at ``order = 32``);
    the weights include the normal density. ``kink`` and ``width`` may be traced, so the rule can
    follow the kink of the integrand inside ``jit``/``vmap``. Panels that fall outside the cut-off
    collapse to zero length and contribute nothing.

    For :math:`\tanh\beta(m+sz)` use ``kink = -m/s`` and ``width ~ 20/(beta s)``.
    """
    order = check_integer(order, "order", minimum=2, maximum=2000)
    _check_finite_if_concrete(kink=kink, width=width)
    z0 = jnp.asarray(kink, dtype=float)
    w = jnp.abs(jnp.asarray(width, dtype=float))
    # the fixed break at 0 keeps every panel within half the range
    return composite_gaussian_rule(jnp.stack([z0 - w, z0, z0 + w, jnp.zeros_like(z0)]), order=order, cutoff=cutoff)


def composite_gaussian_rule(breaks, *, order: int = 48, cutoff: float = 12.0) -> QuadratureRule:
    r"""Composite Gauss-Legendre rule for :math:`\mathbb{E}_z f(z)` with panels between the given
    break points.

    The breaks (a 1-D array, may be traced: their number is static) are clipped to
    ``[-cutoff, cutoff]`` and sorted; together with the two ends they delimit ``len(breaks) + 1``
    panels of ``order`` Legendre nodes each, weighted by the normal density. Breaks outside the
    range, or coinciding, give zero-length panels that contribute nothing. Use it when an
    integrand has several steep regions whose positions depend on the unknowns (e.g. the panels
    ``z0 + {0, +-1, +-3, +-10, +-40} / sqrt(qhat)`` of a perceptron's entropic term).
    """
    order = check_integer(order, "order", minimum=2, maximum=2000)
    check_positive(cutoff, "cutoff")
    _check_finite_if_concrete(breaks=breaks)
    c = float(cutoff)
    inner = jnp.sort(jnp.clip(jnp.atleast_1d(jnp.asarray(breaks, dtype=float)), -c, c))
    edges = jnp.concatenate([jnp.asarray([-c]), inner, jnp.asarray([c])])
    x, wts = _legendre_numpy(order)
    a, b = edges[:-1, None], edges[1:, None]
    half = 0.5 * (b - a)
    z = half * jnp.asarray(x)[None, :] + 0.5 * (a + b)
    weights = half * jnp.asarray(wts)[None, :] * jnp.exp(-0.5 * z * z) / _SQRT_2PI
    return QuadratureRule(z.ravel(), weights.ravel())


def gaussian_expectation(f: Callable, *, order: int = 64, kink=None, width=None, mean=0.0, std=1.0):
    r"""Compute :math:`\mathbb{E}_{x \sim N(\text{mean}, \text{std}^2)} f(x)`.

    Without ``kink``: Gauss-Hermite with ``order`` nodes. With ``kink`` (a location ``x0`` in the
    units of ``x``) and ``width``: the kink-aware composite rule of :func:`kinked_gaussian_rule`.
    """
    _check_finite_if_concrete(mean=mean, std=std)
    if not is_traced(std):
        check_positive(std, "std")
    mean = jnp.asarray(mean, dtype=float)
    std = jnp.asarray(std, dtype=float)
    if kink is None:
        rule = gauss_hermite(order)
    else:
        if width is None:
            raise ValueError("`width` must be given together with `kink` (the half-width of the refined window)")
        rule = kinked_gaussian_rule((jnp.asarray(kink) - mean) / std, jnp.asarray(width) / std, order=order)
    return rule.expect(lambda z: f(mean + std * z))

"""Invertible maps that leave mutual information unchanged (the bmi transformed tasks, Czyz et al. 2023).

MI is invariant under separate smooth invertible maps of X and Y, so applying these to samples with
known MI gives non-Gaussian test problems with the same ground truth. Each map has ``__call__`` and
``inverse`` (used by the tests to check invertibility).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.scipy.stats import norm

from theorylab.validation import as_float_array, check_positive

__all__ = ["InvertibleMap", "normal_cdf", "half_cube", "asinh", "wiggly", "spiral", "normal_scores"]


@dataclasses.dataclass(frozen=True)
class InvertibleMap:
    """A named invertible map of samples ``(N, d)`` (or ``(N,)``)."""

    name: str
    forward: Callable
    backward: Callable

    def __call__(self, a):
        return self.forward(as_float_array(a, "a"))

    def inverse(self, b):
        return self.backward(as_float_array(b, "b"))


normal_cdf = InvertibleMap("normal_cdf", norm.cdf, norm.ppf)
"""Elementwise standard normal CDF (to (0, 1)); in float64 it rounds to 1 beyond x of about 8.3, where
it stops being invertible."""

half_cube = InvertibleMap("half_cube", lambda a: a * jnp.sqrt(jnp.abs(a)),
                          lambda b: jnp.sign(b) * jnp.abs(b) ** (2.0 / 3.0))
"""Elementwise ``x |x|^{1/2}``."""

asinh = InvertibleMap("asinh", jnp.arcsinh, jnp.sinh)
"""Elementwise inverse hyperbolic sine (shortens heavy tails)."""


def wiggly(amplitudes=(0.4, 0.2), frequencies=(1.0, 1.6)) -> InvertibleMap:
    """Elementwise ``x + sum_i a_i sin(f_i x)``, strictly increasing when ``sum |a_i f_i| < 1``.

    The inverse is found by bisection on ``[y - sum|a|, y + sum|a|]`` (60 halvings: float64 exact).
    """
    a = jnp.asarray(amplitudes, dtype=float)
    f = jnp.asarray(frequencies, dtype=float)
    if a.shape != f.shape or a.ndim != 1:
        raise ValueError("`amplitudes` and `frequencies` must be 1-D sequences of the same length")
    slope = float(jnp.sum(jnp.abs(a * f)))
    if slope >= 1.0:
        raise ValueError(f"wiggly needs sum |a_i f_i| < 1 to stay invertible, got {slope:.4g}")

    def fwd(x):
        return x + jnp.sum(a * jnp.sin(f * x[..., None]), axis=-1)

    def inv(y):
        width = float(jnp.sum(jnp.abs(a)))

        def body(_, lohi):
            lo, hi = lohi
            mid = 0.5 * (lo + hi)
            up = fwd(mid) < y
            return jnp.where(up, mid, lo), jnp.where(up, hi, mid)

        lo, hi = jax.lax.fori_loop(0, 60, body, (y - width, y + width))
        return 0.5 * (lo + hi)

    return InvertibleMap("wiggly", fwd, inv)


def spiral(speed: float = 1.0) -> InvertibleMap:
    """Rotate the first two coordinates by the angle ``speed * |x|^2`` (norm preserving, so the
    inverse rotates back by ``-speed * |y|^2``). Needs at least two columns."""
    check_positive(speed, "speed")

    def rotate(v, sign):
        if v.ndim != 2 or v.shape[1] < 2:
            raise ValueError(f"spiral needs samples of shape (N, d) with d >= 2, got {tuple(v.shape)}")
        theta = sign * speed * jnp.sum(v**2, axis=1)
        c, s = jnp.cos(theta), jnp.sin(theta)
        first = c * v[:, 0] - s * v[:, 1]
        second = s * v[:, 0] + c * v[:, 1]
        return v.at[:, 0].set(first).at[:, 1].set(second)

    return InvertibleMap("spiral", lambda v: rotate(v, 1.0), lambda v: rotate(v, -1.0))


def normal_scores(a):
    r"""Each column replaced by its normal scores :math:`\Phi^{-1}(\mathrm{rank}/(N + 1))`.

    A strictly increasing map of each coordinate (on the sample: ranks 1..N, ties broken by order), so
    it leaves mutual information unchanged while giving every marginal a Gaussian shape: an estimator
    whose value moves under it depends on the marginals, which MI does not ((M12) of
    ``docs/theory/mutual_information.md``). ``a`` is ``(N,)`` or ``(N, d)``; the result has its shape.
    """
    arr = as_float_array(a, "a")
    if arr.ndim not in (1, 2) or arr.shape[0] < 2:
        raise ValueError(f"`a` must have shape (N,) or (N, d) with N >= 2, got {arr.shape}")
    n = arr.shape[0]
    ranks = jnp.argsort(jnp.argsort(arr, axis=0), axis=0) + 1
    return norm.ppf(ranks / (n + 1.0)).astype(arr.dtype)

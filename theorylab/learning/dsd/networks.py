"""One-hidden-layer LSA networks on patch inputs: CNN, LCN and FCN.

Every network sums LSA units, ``f(x) = sum_j phi_b(<x, w_j>)`` (``phi_b`` = :func:`lsa`), and
classifies by ``sign(f)`` (an output of exactly 0 is an error):

* **CNN**: one filter ``w in R^d`` shared by the ``k`` patches, unit ``j`` sees patch ``j``;
* **LCN**: one filter ``W_i in R^d`` per patch (locally connected, no sharing);
* **FCN**: ``width`` filters ``W_j in R^{k x d}`` that see the whole input (``width = k`` in the
  paper).

Parameters are :class:`Params` pytrees ``(w, b)`` with filters of shape ``(d,)``, ``(k, d)`` or
``(width, k, d)``; the architecture name is static, so every function here ``jit``-s and
``vmap``-s over seeds, sample sizes and hyper-parameters.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from theorylab.learning.dsd.distribution import lsa
from theorylab.validation import check_choice, check_integer, check_key

__all__ = ["ARCHITECTURES", "Params", "init_params", "preactivations", "apply", "unit_derivative", "normalize_filters"]

ARCHITECTURES = ("cnn", "lcn", "fcn")


class Params(NamedTuple):
    w: jax.Array  #: filters: (d,) CNN, (k, d) LCN, (width, k, d) FCN
    b: jax.Array  #: the LSA threshold (>= 0), a scalar


def check_architecture(arch: str) -> str:
    return check_choice(arch, "arch", ARCHITECTURES)


def filter_shape(arch: str, k: int, d: int, width: int | None = None) -> tuple[int, ...]:
    arch = check_architecture(arch)
    if arch == "cnn":
        return (d,)
    if arch == "lcn":
        return (k, d)
    width = k if width is None else check_integer(width, "width", minimum=1)
    return (width, k, d)


def init_params(key, arch: str, k: int, d: int, *, width: int | None = None, scale: float = 0.0, b: float = 0.0,
                dtype=None) -> Params:
    """Filters drawn i.i.d. ``N(0, scale^2)`` (``scale = 0``: all zeros) and threshold ``b``."""
    key = check_key(key)
    k = check_integer(k, "k", minimum=1)
    d = check_integer(d, "d", minimum=1)
    shape = filter_shape(arch, k, d, width)
    w = scale * jax.random.normal(key, shape, dtype) if scale else jnp.zeros(shape, dtype)
    return Params(w, jnp.asarray(b, dtype))


def preactivations(arch: str, w, x):
    """``(..., units)`` pre-activations ``<x, w_j>`` of inputs ``x`` of shape ``(..., k, d)``."""
    if arch == "cnn":
        return jnp.einsum("...kd,d->...k", x, w)
    if arch == "lcn":
        return jnp.einsum("...kd,kd->...k", x, w)
    if arch == "fcn":
        return jnp.einsum("...kd,jkd->...j", x, w)
    raise ValueError(f"`arch` must be one of {ARCHITECTURES}, got {arch!r}")


def apply(arch: str, params: Params, x):
    """Network outputs ``f(x) = sum_j phi_b(<x, w_j>)``, shape ``x.shape[:-2]``."""
    return jnp.sum(lsa(preactivations(arch, params.w, x), params.b), axis=-1)


def unit_derivative(u, b):
    """``phi_b'(u) = 1[|u| >= b]``. At ``b = 0`` this is 1 everywhere, the linear regime in which
    the first step from ``w = 0`` is taken (``>=`` rather than ``>`` only matters there)."""
    return (jnp.abs(u) >= b).astype(u.dtype)


def normalize_filters(arch: str, w, *, mode: str = "sphere", radius: float = 1.0):
    """Project every filter onto the sphere (``mode="sphere"``) or ball (``"ball"``) of the given
    radius: CNN the one vector, LCN each patch filter, FCN each neuron's ``(k, d)`` filter. A zero
    filter stays zero."""
    axes = {"cnn": (-1,), "lcn": (-1,), "fcn": (-2, -1)}[arch]
    norm = jnp.sqrt(jnp.sum(w**2, axis=axes, keepdims=True))
    if mode == "sphere":
        scale = jnp.where(norm > 0, radius / jnp.where(norm > 0, norm, 1.0), 0.0)
    else:
        scale = jnp.where(norm > radius, radius / jnp.where(norm > 0, norm, 1.0), 1.0)
    return w * scale

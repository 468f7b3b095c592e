"""A plain multilayer perceptron as a pytree of ``(weight, bias)`` pairs.

The one MLP of the package (the neural MI critics and the local quantile aggregators use it).
:func:`mlp_init` draws He-normal weights, :math:`W_{ab} \\sim N(0, 2 / \\text{fan-in})` (He et al.,
ICCV 2015), and zero biases; :func:`mlp_apply` applies ``activation`` after every layer but the
last, optionally dividing each hidden weight matrix by its largest singular value (spectral
normalisation, Miyato et al., ICLR 2018, computed exactly by SVD).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from theorylab.validation import check_integer, check_key

__all__ = ["mlp_init", "mlp_apply"]


def mlp_init(key, sizes: Sequence[int]) -> list[tuple[jax.Array, jax.Array]]:
    """He-normal weights and zero biases for layer widths ``sizes`` (input first, output last).

    One key per layer, ``jax.random.split(key, len(sizes) - 1)``.
    """
    key = check_key(key)
    sizes = [check_integer(s, "sizes", minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"`sizes` must list at least an input and an output width, got {sizes}")
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        (jax.random.normal(k, (a, b)) * jnp.sqrt(2.0 / a), jnp.zeros(b))
        for k, a, b in zip(keys, sizes[:-1], sizes[1:])
    ]


def mlp_apply(params, x, *, activation: Callable = jax.nn.relu, spectral: bool = False, final: bool = True):
    """Apply the MLP to ``x`` (``(..., sizes[0])``).

    ``final=False`` applies ``activation`` after the last layer too (a feature extractor whose head
    is separate).
    """
    layers = list(params)
    for i, (w, b) in enumerate(layers):
        last = final and i == len(layers) - 1
        if spectral and not last:
            w = w / jnp.linalg.norm(w, ord=2)
        x = x @ w + b
        if not last:
            x = activation(x)
    return x

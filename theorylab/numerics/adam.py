"""Adam with a cosine learning-rate schedule, as a pure ``init``/``update`` pair.

Kingma & Ba (2015), "Adam: a method for stochastic optimization", Algorithm 1:

    m_t = b1 m_{t-1} + (1 - b1) g_t,     v_t = b2 v_{t-1} + (1 - b2) g_t^2,
    x_t = x_{t-1} - lr_t * mhat_t / (sqrt(vhat_t) + eps),   mhat_t = m_t / (1 - b1^t), vhat_t = v_t / (1 - b2^t),

with decoupled weight decay ``x_t -= lr_t * wd * x_{t-1}`` (Loshchilov & Hutter, AdamW) and the
cosine schedule lr_t = lr_end + (lr - lr_end) (1 + cos(pi t / T)) / 2 (Loshchilov & Hutter,
SGDR). Parameters are any pytree of float arrays; the state is a pytree, so whole training
runs are one ``lax.scan`` and ``vmap`` over seeds.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp

from theorylab.validation import check_in_range, check_integer, check_positive, python_scalar

__all__ = ["AdamState", "Adam", "cosine_schedule"]


class AdamState(NamedTuple):
    step: jax.Array  #: number of updates done
    mean: Any  #: first-moment estimate (pytree like the parameters)
    second: Any  #: second-moment estimate


def cosine_schedule(step, *, learning_rate: float, total_steps: int, final_fraction: float = 0.0):
    """Learning rate at ``step`` of a cosine decay from ``learning_rate`` to ``final_fraction * learning_rate``."""
    frac = jnp.clip(step / total_steps, 0.0, 1.0)
    end = final_fraction * learning_rate
    return end + (learning_rate - end) * 0.5 * (1.0 + jnp.cos(jnp.pi * frac))


class Adam(eqx.Module):
    """Adam(W) optimizer with cosine decay over ``total_steps`` (``None``: constant rate).

    ``init(params) -> AdamState``; ``update(state, params, grads) -> (params, state)``. A frozen
    configuration (a pytree): the rates are data, so a compiled loop that takes the optimizer as an
    argument does not compile again for a new learning rate; ``total_steps`` is static (it is the
    schedule's length, and ``None`` switches the decay off). Still hashable, so it can also be a
    static argument.
    """

    learning_rate: float = eqx.field(default=1e-3, converter=python_scalar)
    total_steps: int | None = eqx.field(default=None, static=True, converter=python_scalar)
    b1: float = eqx.field(default=0.9, converter=python_scalar)
    b2: float = eqx.field(default=0.999, converter=python_scalar)
    eps: float = eqx.field(default=1e-8, converter=python_scalar)
    weight_decay: float = eqx.field(default=0.0, converter=python_scalar)
    final_fraction: float = eqx.field(default=0.0, converter=python_scalar)

    def validate(self) -> Adam:
        """Check every hyper-parameter's range; returns ``self``."""
        check_positive(self.learning_rate, "learning_rate")
        if self.total_steps is not None:
            check_integer(self.total_steps, "total_steps", minimum=1)
        check_in_range(self.b1, "b1", 0.0, 1.0, closed=(True, False))
        check_in_range(self.b2, "b2", 0.0, 1.0, closed=(True, False))
        check_positive(self.eps, "eps")
        check_positive(self.weight_decay, "weight_decay", strict=False)
        check_in_range(self.final_fraction, "final_fraction", 0.0, 1.0)
        return self

    def rate(self, step):
        """Learning rate at ``step`` (cosine decay when ``total_steps`` is set)."""
        if self.total_steps is None:
            return jnp.asarray(self.learning_rate)
        return cosine_schedule(step, learning_rate=self.learning_rate, total_steps=self.total_steps,
                               final_fraction=self.final_fraction)

    def init(self, params) -> AdamState:
        """Zero moments shaped like ``params``."""
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdamState(jnp.asarray(0), zeros, jax.tree.map(jnp.zeros_like, params))

    def update(self, state: AdamState, params, grads):
        """One AdamW step: returns ``(new_params, new_state)``."""
        t = state.step + 1
        mean = jax.tree.map(lambda m, g: self.b1 * m + (1 - self.b1) * g, state.mean, grads)
        second = jax.tree.map(lambda v, g: self.b2 * v + (1 - self.b2) * g * g, state.second, grads)
        lr = self.rate(state.step)
        c1 = 1 - self.b1**t
        c2 = 1 - self.b2**t

        def move(x, m, v):
            return x - lr * ((m / c1) / (jnp.sqrt(v / c2) + self.eps) + self.weight_decay * x)

        return jax.tree.map(move, params, mean, second), AdamState(t, mean, second)

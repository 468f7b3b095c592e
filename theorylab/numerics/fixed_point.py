r"""Fixed-point iteration :math:`x = g(x)`: damped Picard and Anderson acceleration.

* **Damped Picard**: :math:`x_{k+1} = (1-\delta)\, g(x_k) + \delta\, x_k` with damping
  :math:`\delta \in [0, 1)` (``damping=0`` is plain iteration). Damping really damps: the map is
  applied exactly as written (compare FixedPointAcceleration.jl issue 13, where it did not).
* **Anderson** (type II, Walker & Ni, SIAM J. Numer. Anal. 49 (2011) 1715): with residuals
  :math:`f_i = g(x_i) - x_i` over the last ``memory`` iterates, choose coefficients
  :math:`\alpha` minimising :math:`\|\sum_i \alpha_i f_i\|_2` subject to :math:`\sum_i \alpha_i = 1`
  (a Tikhonov-regularised KKT solve), then
  :math:`x_{k+1} = (1-\delta)\sum_i \alpha_i g(x_i) + \delta \sum_i \alpha_i x_i`.

Both run in one ``lax.while_loop`` and stop when
:math:`\|g(x_k) - x_k\|_\infty \le \text{tol}\,(1 + \|x_k\|_\infty)`, or when a non-finite
value appears (status ``NONFINITE``), or after ``max_steps`` (status ``MAX_STEPS``). The returned
value is the last iterate ``x_k`` whose residual was measured. Works on any pytree of arrays.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from theorylab.numerics.solution import Solution, Status, maybe_throw
from theorylab.validation import (
    check_choice,
    check_finite_start,
    check_in_range,
    check_integer,
    check_positive,
    check_step_limit,
)

__all__ = ["fixed_point"]


def fixed_point(
    fn: Callable[[Any, Any], Any],
    x0: Any,
    args: Any = None,
    *,
    method: str = "anderson",
    damping: float = 0.0,
    memory: int = 5,
    regularization: float = 1e-12,
    tol: float = 1e-10,
    max_steps: int = 1000,
    throw: bool = False,
) -> Solution:
    """Solve ``x = fn(x, args)`` by damped Picard or Anderson-accelerated iteration.

    Parameters
    ----------
    fn:
        The map ``g``; called as ``fn(x, args)`` and returning a pytree shaped like ``x``.
    x0:
        Initial guess (any pytree of float arrays).
    method:
        ``"picard"`` or ``"anderson"``.
    damping:
        ``delta`` in ``[0, 1)``; the weight kept on the previous iterate.
    memory:
        Anderson history length ``m >= 1``.
    regularization:
        Relative Tikhonov term added to the Anderson Gram matrix.
    tol:
        Stop when ``max|g(x) - x| <= tol * (1 + max|x|)`` (absolute near 0, relative for large ``x``).
    max_steps:
        Maximum number of evaluations of ``g``: a Python ``int`` or a traced integer scalar (the
        loop is a ``while_loop``, so changing it compiles nothing new).
    throw:
        Raise (also inside ``jit``) if the iteration does not converge.

    Returns
    -------
    Solution
        ``value`` is the final iterate, ``residual`` the max-norm of ``g(x) - x`` there.
    """
    check_choice(method, "method", ("picard", "anderson"))
    check_in_range(damping, "damping", 0.0, 1.0, closed=(True, False))
    memory = check_integer(memory, "memory", minimum=1)
    max_steps = check_step_limit(max_steps, "max_steps")
    check_positive(tol, "tol", strict=False)
    check_positive(regularization, "regularization", strict=False)

    check_finite_start(x0)
    flat0, unravel = ravel_pytree(x0)
    flat0 = jnp.asarray(flat0, dtype=jnp.result_type(flat0.dtype, float))

    def g(x):
        return ravel_pytree(fn(unravel(x), args))[0].astype(flat0.dtype)

    def measure(x, gx):
        res = jnp.max(jnp.abs(gx - x))
        finite = jnp.all(jnp.isfinite(gx)) & jnp.isfinite(res)
        done = res <= tol * (1.0 + jnp.max(jnp.abs(x)))
        return res, finite, done

    if method == "picard":
        new_x = lambda x, gx, hist: ((1.0 - damping) * gx + damping * x, hist)
        hist0 = ()
    else:
        n = flat0.shape[0]
        hist0 = (
            jnp.zeros((memory, n), flat0.dtype),  # iterates x_i
            jnp.zeros((memory, n), flat0.dtype),  # images g(x_i)
            jnp.zeros((memory,), bool),  # slot filled
            jnp.asarray(0),  # next slot
        )

        def new_x(x, gx, hist):
            xs, gs, valid, slot = hist
            xs = xs.at[slot].set(x)
            gs = gs.at[slot].set(gx)
            valid = valid.at[slot].set(True)
            slot = (slot + 1) % memory
            f = jnp.where(valid[:, None], gs - xs, 0.0)
            gram = f @ f.T
            scale = jnp.maximum(jnp.trace(gram), jnp.finfo(flat0.dtype).tiny)
            gram = gram + regularization * scale * jnp.eye(memory)
            # Empty slots: identity rows/cols and no constraint entry force alpha_i = 0.
            gram = jnp.where(valid[:, None] & valid[None, :], gram, jnp.eye(memory))
            v = valid.astype(flat0.dtype)
            kkt = jnp.block([[jnp.zeros((1, 1), flat0.dtype), v[None, :]], [v[:, None], gram]])
            rhs = jnp.zeros(memory + 1, flat0.dtype).at[0].set(1.0)
            alpha = jnp.linalg.solve(kkt, rhs)[1:]
            x_next = (1.0 - damping) * (alpha @ gs) + damping * (alpha @ xs)
            return x_next, (xs, gs, valid, slot)

    def cond(carry):
        _, _, _, _, step, status = carry
        return (status < 0) & (step < max_steps)

    def body(carry):
        x, gx, _, hist, step, _ = carry
        x_next, hist = new_x(x, gx, hist)
        gx_next = g(x_next)
        res, finite, done = measure(x_next, gx_next)
        status = jnp.where(~finite, int(Status.NONFINITE), jnp.where(done, int(Status.SUCCESS), -1))
        return x_next, gx_next, res, hist, step + 1, status

    gx0 = g(flat0)
    res0, finite0, done0 = measure(flat0, gx0)
    status0 = jnp.where(~finite0, int(Status.NONFINITE), jnp.where(done0, int(Status.SUCCESS), -1))
    x, _, res, _, steps, status = jax.lax.while_loop(
        cond, body, (flat0, gx0, res0, hist0, jnp.asarray(1), status0)
    )
    status = jnp.where(status < 0, int(Status.MAX_STEPS), status)
    sol = Solution(unravel(x), status, res, steps)
    return maybe_throw(sol, throw, "fixed_point")

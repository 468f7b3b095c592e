r"""Newton root finding :math:`F(x) = 0` through :mod:`optimistix`, with a theorylab status.

:func:`newton` wraps ``optimistix.root_find(..., optimistix.Newton(rtol=tol, atol=tol), throw=False)``
(Jacobians by forward-mode autodiff, dense LU solves) and converts its result into a
:class:`~theorylab.numerics.solution.Solution`: the optimistix result code is mapped onto
:class:`~theorylab.numerics.solution.Status`, and the max-norm residual :math:`\|F(x)\|_\infty` is
evaluated at the returned point. A solve is reported converged only if optimistix says so *and*
that residual is finite and at most ``residual_tol`` (default: no extra condition beyond
finiteness), so a stalled Newton iteration cannot come back as a success.

The step limit may be a traced integer: optimistix needs a Python ``int`` to bound its loop, so
the loop gets a static bound (:func:`~theorylab.validation.step_bound`, the next power of two) and
the solver stops at the traced limit itself, reporting ``MAX_STEPS`` exactly as optimistix would.
Changing ``max_steps`` therefore compiles nothing new within one octave (or at all, when the
caller passes ``max_steps_bound``).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from theorylab.numerics.solution import Solution, Status, maybe_throw
from theorylab.validation import check_finite_start, check_positive, check_step_limit, is_traced, step_bound

__all__ = ["newton", "status_from_optimistix"]


def status_from_optimistix(result) -> jnp.ndarray:
    """Map an ``optimistix.RESULTS`` item onto an integer :class:`Status` code."""
    import optimistix as optx  # imported on use (~0.5 s at import)

    R = optx.RESULTS
    table = [
        (R.successful, Status.SUCCESS),
        (R.max_steps_reached, Status.MAX_STEPS),
        (R.nonlinear_max_steps_reached, Status.MAX_STEPS),
        (R.singular, Status.SINGULAR),
        (R.nonfinite, Status.NONFINITE),
        (R.nonfinite_input, Status.NONFINITE),
        (R.nonlinear_divergence, Status.DIVERGED),
    ]
    status = jnp.asarray(int(Status.FAILED))
    for item, code in reversed(table):
        status = jnp.where(result == item, int(code), status)
    return status


@functools.cache
def _limited_newton():
    """optimistix's Newton that also stops after a traced number of steps (``step_limit``); built on
    first use so that importing theorylab does not import optimistix."""
    import optimistix as optx

    class LimitedNewton(optx.Newton):
        step_limit: Any = None

        def terminate(self, fn, y, args, options, state, tags):
            done, result = super().terminate(fn, y, args, options, state, tags)
            out_of_steps = jnp.logical_not(done) & (state.step >= self.step_limit)
            result = optx.RESULTS.where(out_of_steps, optx.RESULTS.nonlinear_max_steps_reached, result)
            return done | out_of_steps, result

    return LimitedNewton


def newton(
    fn: Callable[[Any, Any], Any],
    x0: Any,
    args: Any = None,
    *,
    tol: float = 1e-10,
    max_steps: int = 100,
    max_steps_bound: int | None = None,
    residual_tol: float | None = None,
    accept_residual: float | None = None,
    throw: bool = False,
) -> Solution:
    """Solve ``fn(x, args) = 0`` by Newton's method (optimistix), returning a status.

    Parameters
    ----------
    fn:
        Residual function ``F(x, args)`` returning a pytree shaped like ``x``.
    x0:
        Initial guess (pytree of float arrays).
    tol:
        Optimistix Newton tolerance, used as both its relative and absolute tolerance (on the step
        and on ``F``).
    max_steps:
        Maximum number of Newton steps: a Python ``int`` or a traced integer scalar.
    max_steps_bound:
        Static upper bound on ``max_steps`` (required when ``max_steps`` is traced; default: the
        next power of two ``>= max_steps``).
    residual_tol:
        If given, also require ``max|F(x)| <= residual_tol`` for success.
    accept_residual:
        If given, a solve that ran out of steps (optimistix's step test never passed) is reported
        converged when ``max|F(x)| <= accept_residual``: for problems where a saturating coordinate
        keeps the steps large while the residual is already at rounding level. ``num_steps`` then
        equals ``max_steps``, so the stall stays visible.
    throw:
        Raise (also inside ``jit``) when the solve fails.
    """
    max_steps = check_step_limit(max_steps, "max_steps")
    if max_steps_bound is None:
        if is_traced(max_steps):
            raise TypeError("a traced `max_steps` needs a static `max_steps_bound`")
        max_steps_bound = step_bound(max_steps)
    elif not is_traced(max_steps) and max_steps > max_steps_bound:
        raise ValueError(f"`max_steps` = {max_steps} exceeds `max_steps_bound` = {max_steps_bound}, the static bound of "
                         "the loop")
    check_positive(tol, "tol")
    check_finite_start(x0)
    if residual_tol is not None:
        check_positive(residual_tol, "residual_tol")
    if accept_residual is not None:
        check_positive(accept_residual, "accept_residual")
    import optimistix as optx

    solver = _limited_newton()(rtol=tol, atol=tol, step_limit=jnp.asarray(max_steps))
    sol = optx.root_find(fn, solver, x0, args=args, max_steps=int(max_steps_bound), throw=False)
    residual = jnp.max(jnp.abs(ravel_pytree(fn(sol.value, args))[0]))
    status = status_from_optimistix(sol.result)
    bad = ~jnp.isfinite(residual)
    status = jnp.where((status == int(Status.SUCCESS)) & bad, int(Status.NONFINITE), status)
    if residual_tol is not None:
        status = jnp.where(
            (status == int(Status.SUCCESS)) & (residual > residual_tol), int(Status.FAILED), status
        )
    if accept_residual is not None:
        stalled = (status == int(Status.MAX_STEPS)) & (residual <= accept_residual)
        status = jnp.where(stalled, int(Status.SUCCESS), status)
    out = Solution(sol.value, status, residual, sol.stats["num_steps"])
    return maybe_throw(out, throw, "newton")

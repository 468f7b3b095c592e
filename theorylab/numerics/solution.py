"""Solver outcomes with an explicit status (the Optimistix ``Solution`` convention).

Every iterative routine in :mod:`theorylab.numerics` returns a :class:`Solution`: the value
reached, an integer :class:`Status` code, the final residual and the number of steps. Nothing
fails silently: inside ``jit``/``vmap`` inspect ``status``/``converged``; outside, call
:meth:`Solution.raise_if_failed` or pass ``throw=True`` to the solver.
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np

__all__ = ["Status", "Solution", "ConvergenceError", "maybe_throw"]


class Status(enum.IntEnum):
    """Why an iterative solve stopped. ``SUCCESS`` is the only converged state."""

    SUCCESS = 0
    MAX_STEPS = 1  #: the step budget ran out before the tolerance was met
    NONFINITE = 2  #: a NaN or infinity appeared in the iterate or the residual
    SINGULAR = 3  #: a linear system (Jacobian) was singular
    DIVERGED = 4  #: the iteration moved away from any root
    STEP_TOO_SMALL = 5  #: continuation could not advance with the smallest allowed step
    FAILED = 6  #: any other failure reported by an underlying solver
    LINE_SEARCH_FAILED = 7  #: no trial step of a line search improved the objective

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    Status.SUCCESS: "converged",
    Status.MAX_STEPS: "the maximum number of steps was reached before the tolerance was met",
    Status.NONFINITE: "a NaN or infinite value appeared during the iteration",
    Status.SINGULAR: "a singular Jacobian was met",
    Status.DIVERGED: "the iteration diverged",
    Status.STEP_TOO_SMALL: "the continuation step fell below its minimum",
    Status.FAILED: "the solver failed",
    Status.LINE_SEARCH_FAILED: "the line search found no step that improves the objective",
}


class ConvergenceError(RuntimeError):
    """Raised by ``throw=True`` solvers and :meth:`Solution.raise_if_failed`."""


class Solution(NamedTuple):
    """Outcome of an iterative solve (a pytree: it passes through ``jit`` and ``vmap``).

    Attributes
    ----------
    value:
        The final iterate (same pytree structure as the initial guess).
    status:
        Integer :class:`Status` code (an array; batched under ``vmap``).
    residual:
        Max-norm of the final residual (``|F(x)|`` for roots, ``|g(x) - x|`` for fixed points).
    num_steps:
        Iterations taken.
    """

    value: Any
    status: Any
    residual: Any
    num_steps: Any

    @property
    def converged(self):
        """Boolean array: ``status == Status.SUCCESS``."""
        return jnp.asarray(self.status) == int(Status.SUCCESS)

    def raise_if_failed(self, what: str = "solve") -> "Solution":
        """Raise :class:`ConvergenceError` if any (batched) entry did not converge.

        Only valid outside ``jit`` (the status must be concrete). Returns ``self`` otherwise,
        so it chains: ``x = fixed_point(...).raise_if_failed("AGS").value``.
        """
        status = np.atleast_1d(np.asarray(self.status))
        bad = status != int(Status.SUCCESS)
        if bad.any():
            first = Status(int(status[bad][0]))
            raise ConvergenceError(
                f"{what} did not converge in {int(bad.sum())} of {status.size} case(s): "
                f"{first.message} (status {first.name}); final residual "
                f"{np.max(np.atleast_1d(np.asarray(self.residual))[bad]):.3e}"
            )
        return self


def maybe_throw(solution: Solution, throw: bool, what: str) -> Solution:
    """Attach a runtime error to ``solution.value`` when ``throw`` and the solve failed.

    Uses :func:`equinox.error_if`, so it works inside ``jit`` as well.
    """
    if not throw:
        return solution
    value = eqx.error_if(
        solution.value,
        jnp.any(~solution.converged),
        f"{what} did not converge; call with throw=False and inspect `status` for the reason",
    )
    return solution._replace(value=value)

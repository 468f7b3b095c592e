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
import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Status", "Solution", "ConvergenceError", "maybe_throw", "status_result", "describe_status"]


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


_MEASURES = {"residual": "residual", "error": "error", "dual_gap": "duality gap", "dual_gaps": "duality gap"}


def _residual_of(result) -> tuple[Any, str]:
    for name, label in _MEASURES.items():
        if name in getattr(type(result), "_fields", ()):
            return getattr(result, name), label
    return None, "residual"


def describe_status(status, residual=None, tol=None, *, quantity: str = "residual") -> str:
    """A specific, human-readable account of a (possibly batched) status array.

    ``"converged"`` when every entry succeeded; otherwise how many cases failed, the first
    failure's :class:`Status` with its meaning, and the worst residual among the failures (with the
    tolerance it was held to, when given).
    """
    status = np.atleast_1d(np.asarray(status))
    bad = status != int(Status.SUCCESS)
    if not bad.any():
        return "converged"
    first = Status(int(status[bad][0]))
    text = f"{first.message} (status {first.name})"
    if status.size > 1:
        text = f"{int(bad.sum())} of {status.size} cases did not converge; first: {text}"
    if residual is not None:
        res = np.atleast_1d(np.asarray(residual, dtype=float))
        picked = res[bad.reshape(res.shape)] if res.shape == bad.shape else res
        worst = np.nanmax(picked) if np.any(~np.isnan(picked)) else np.nan
        text += f"; final {quantity} {worst:.3e}"
        if tol is not None:
            text += f" against tol {float(tol):.3e}"
    return text


def _converged(self):
    """Boolean array: ``status == Status.SUCCESS``."""
    return jnp.asarray(self.status) == int(Status.SUCCESS)


def _message(self) -> str:
    """What happened, specifically (outside ``jit``: the status must be concrete)."""
    value, label = _residual_of(self)
    return describe_status(self.status, value, quantity=label)


def _raise_if_failed(self, what: str | None = None):
    """Raise :class:`ConvergenceError` if any (batched) entry did not converge; else return ``self``.

    Only valid outside ``jit`` (the status must be concrete). It chains:
    ``x = solve(...).raise_if_failed().value``.
    """
    if not bool(np.all(np.asarray(self.status) == int(Status.SUCCESS))):
        raise ConvergenceError(f"{what or type(self).__name__} did not converge: {self.message}")
    return self


def status_result(cls):
    """Class decorator giving a status-bearing ``NamedTuple`` result the shared members.

    Adds ``converged`` (property), ``message`` (property) and ``raise_if_failed()`` unless the class
    defines its own. The class must have a ``status`` field and a ``num_steps`` field or property.
    """
    if "status" not in cls._fields:
        raise TypeError(f"{cls.__name__} has no `status` field")
    for name, member in (("converged", property(_converged)), ("message", property(_message)),
                         ("raise_if_failed", _raise_if_failed)):
        if name not in vars(cls):
            setattr(cls, name, member)
    if not hasattr(cls, "num_steps"):
        raise TypeError(f"{cls.__name__} needs a `num_steps` field or property")
    return cls


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

    converged = property(_converged)
    message = property(_message)

    def raise_if_failed(self, what: str = "solve") -> "Solution":
        """Raise :class:`ConvergenceError` if any (batched) entry did not converge.

        Only valid outside ``jit`` (the status must be concrete). Returns ``self`` otherwise,
        so it chains: ``x = fixed_point(...).raise_if_failed("AGS").value``.
        """
        return _raise_if_failed(self, what)


def maybe_throw(solution, throw: bool, what: str, field: str = "value"):
    """Raise when ``throw`` and the solve failed: :class:`ConvergenceError` with the specific message
    when the status is concrete, else a runtime error attached to ``solution.<field>``
    (:func:`equinox.error_if`, so it works inside ``jit`` as well).
    """
    if not throw:
        return solution
    if not isinstance(solution.status, jax.core.Tracer):
        return _raise_if_failed(solution, what)
    value = eqx.error_if(
        getattr(solution, field),
        jnp.any(jnp.asarray(solution.status) != int(Status.SUCCESS)),
        f"{what} did not converge; call with throw=False and inspect `status` and `message` for the reason",
    )
    return solution._replace(**{field: value})

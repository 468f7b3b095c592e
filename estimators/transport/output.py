"""The output of every entropic OT solver: potentials, plan, status and certificate figures."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from theorylab.estimators.transport.potential import dual_value_from_mass, log_plan, primal_value
from theorylab.numerics.solution import ConvergenceError, Status

__all__ = ["EntropicOTResult", "finalize"]


class EntropicOTResult(NamedTuple):
    r"""Solution of an entropic OT problem (a pytree: it passes through ``jit`` and ``vmap``).

    Attributes
    ----------
    f, g:
        Dual potentials, :math:`P_{ij} = \exp((f_i + g_j - C_{ij})/\varepsilon)`. Gauge: the
        solution is unique up to ``(f + t, g - t)``; the output is shifted so that
        :math:`\langle a, f\rangle = \langle b, g\rangle`.
    plan:
        The dense plan ``P`` (n, m).
    converged:
        True only when the final plan's L1 marginal error (both marginals) is at most ``tol`` and
        every number is finite. Never set on a solve that stopped for any other reason.
    status:
        :class:`theorylab.numerics.Status` code (``SUCCESS``, ``MAX_STEPS``, ``NONFINITE``,
        ``LINE_SEARCH_FAILED`` when the Newton line search could not make progress).
    sinkhorn_steps, newton_steps:
        Sinkhorn sweeps and Newton steps taken (``newton_steps`` is 0 for plain Sinkhorn);
        ``num_steps`` is their sum (the paper's iteration count).
    cg_iterations:
        Conjugate-gradient iterations per Newton step (zeros for plain Sinkhorn / unused slots; SNS's
        record is the next power of two above ``max_newton_steps`` long).
    errors:
        L1 marginal error (both marginals) after each iteration, Sinkhorn sweeps first and then
        Newton steps, NaN after the last one. The buffer is the next power of two above the step
        budget (at least 64 slots; for SNS the sum of the stage budgets), so that changing a budget
        does not recompile.
    marginal_error:
        :math:`\lVert P1 - a\rVert_1 + \lVert P^\top 1 - b\rVert_1` of the returned plan.
    transport_cost:
        :math:`\langle C, P\rangle`.
    primal_value, dual_value:
        :math:`\langle C,P\rangle + \varepsilon\sum P\log P` and the Lyapunov potential
        :math:`\Phi(f, g)`; they agree at the solution (strong duality).
    eps:
        The regularisation (:math:`\eta = 1/\varepsilon`).
    tol:
        The marginal-error tolerance the solve was held to.
    last_stage:
        The stage that ran last: 1 Sinkhorn, 2 Newton (SNS's switching rule can return from Newton
        to Sinkhorn, so the counts alone do not say which budget ran out).
    """

    f: Any
    g: Any
    plan: Any
    converged: Any
    status: Any
    sinkhorn_steps: Any
    newton_steps: Any
    cg_iterations: Any
    errors: Any
    marginal_error: Any
    transport_cost: Any
    primal_value: Any
    dual_value: Any
    eps: Any
    tol: Any
    last_stage: Any = None

    @property
    def x(self):
        """Tang et al.'s dual variable ``x = f + eps/2`` (with ``P = exp(eta (x + y - C) - 1)``)."""
        return self.f + 0.5 * self.eps[..., None]

    @property
    def y(self):
        """Tang et al.'s dual variable ``y = g + eps/2``."""
        return self.g + 0.5 * self.eps[..., None]

    @property
    def num_steps(self):
        """Total iterations, Sinkhorn sweeps plus Newton steps (the paper's count)."""
        return self.sinkhorn_steps + self.newton_steps

    @property
    def duality_gap(self):
        """``primal_value - dual_value`` (tends to 0 with the marginal error)."""
        return self.primal_value - self.dual_value

    @property
    def message(self) -> str:
        """What happened, specifically: the stage whose budget ran out, or the recomputed error
        against the tolerance (first failing case of a batch; outside ``jit``)."""
        status = np.atleast_1d(np.asarray(self.status))
        bad = np.flatnonzero(status != int(Status.SUCCESS))
        if not bad.size:
            return "converged"
        i = int(bad[0])
        pick = lambda v: float(np.atleast_1d(np.asarray(v)).reshape(-1)[min(i, np.size(v) - 1)])  # noqa: E731
        code, err, tol = Status(int(status[i])), pick(self.marginal_error), pick(self.tol)
        sweeps, newton = int(pick(self.sinkhorn_steps)), int(pick(self.newton_steps))
        prefix = f"{bad.size} of {status.size} solves failed; first: " if status.size > 1 else ""
        last = None if self.last_stage is None else int(pick(self.last_stage))
        if code == Status.MAX_STEPS:
            if last == 1 and newton:
                stage = (f"the Sinkhorn budget ran out after {sweeps} sweeps in all (Newton took {newton} steps, made "
                         f"less progress than Sinkhorn and handed back)")
            elif newton:
                stage = f"the Newton budget ran out after {newton} steps (following {sweeps} Sinkhorn sweeps)"
            else:
                stage = f"the Sinkhorn budget ran out after {sweeps} sweeps"
            text = f"{stage}; L1 marginal error {err:.3e} against tol {tol:.3e}"
        elif code == Status.FAILED:
            text = (f"the iteration met its stopping test, but the recomputed L1 marginal error of the returned plan "
                    f"is {err:.3e}, above tol {tol:.3e} (rounding in the final dense pass; a slightly looser tol "
                    f"or float64 inputs avoid it)")
        else:
            text = f"{code.message} (status {code.name}) after {sweeps} sweeps and {newton} Newton steps; " \
                   f"L1 marginal error {err:.3e} against tol {tol:.3e}"
        return prefix + text

    def raise_if_failed(self, what: str = "entropic OT solve") -> "EntropicOTResult":
        """Raise :class:`~theorylab.numerics.ConvergenceError` unless every (batched) solve converged."""
        if not bool(np.all(np.asarray(self.converged))):
            raise ConvergenceError(f"{what} did not converge: {self.message}")
        return self


def finalize(f, g, cost, a, b, eps, tol, status, n_sinkhorn, n_newton, cg_iterations, errors, stage=None):
    """Build the result from final potentials: one dense pass for the plan and its figures.

    ``status`` is the loop's verdict; it is overridden to ``NONFINITE`` when the plan is not
    finite, and ``converged`` additionally requires the recomputed marginal error <= ``tol``.
    """
    shift = 0.5 * (jnp.dot(b, g) - jnp.dot(a, f)) / a.sum()
    f = f + shift
    g = g - shift
    p = jnp.exp(log_plan(f, g, cost, eps))
    err = jnp.abs(p.sum(1) - a).sum() + jnp.abs(p.sum(0) - b).sum()
    finite = jnp.isfinite(err) & jnp.all(jnp.isfinite(f)) & jnp.all(jnp.isfinite(g))
    status = jnp.where(finite, status, int(Status.NONFINITE))
    ok = finite & (err <= tol)
    status = jnp.where(ok, int(Status.SUCCESS), jnp.where(status == int(Status.SUCCESS), int(Status.FAILED), status))
    return EntropicOTResult(
        f=f, g=g, plan=p, converged=ok, status=status.astype(jnp.int32),
        sinkhorn_steps=jnp.asarray(n_sinkhorn, jnp.int32), newton_steps=jnp.asarray(n_newton, jnp.int32),
        cg_iterations=cg_iterations, errors=errors, marginal_error=err,
        transport_cost=jnp.sum(p * cost), primal_value=primal_value(p, cost, eps),
        dual_value=dual_value_from_mass(f, g, a, b, eps, p.sum()), eps=jnp.asarray(eps, cost.dtype),
        tol=jnp.asarray(tol, cost.dtype),
        last_stage=jnp.asarray(jnp.where(jnp.asarray(n_newton) > 0, 2, 1) if stage is None else stage, jnp.int32),
    )



r"""Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024) with the safeguards of SSNS (Tang & Qiu, 2024).

Equation numbers (T1)-(T14) refer to the transport theory note (``docs/theory/transport.md``).

**The default: a switching rule that reads the problem.** Stage 1 runs log-domain Sinkhorn with
adaptive over-relaxation (Lehmann et al. 2021: :math:`\omega = 2/(1 + \sqrt{1 - r})` from the
measured linear rate :math:`r`, set once from sweep 20 on, as soon as the rates of the last two
windows of ten sweeps agree, so that a plateau followed by a sudden collapse of the error is not
over-relaxed). After every sweep it asks whether Newton would pay, (T12)-(T13): the L1 marginal
error :math:`e` is at most ``basin`` (Newton's basin, 0.1), and the sweeps the measured rate still
needs, :math:`\log(\mathrm{tol}/e)/\log r`, exceed ``newton_cost`` (20) sweeps for each of the
Newton steps expected from :math:`e`, :math:`\max(1, 1.2\log_{10}(e/\mathrm{tol}) - 1.4)`. Where
the plan is spread out Sinkhorn finishes alone; where its rate is slow Newton starts as soon as the
error is in the basin (sweep 21 on assignment and point-cloud problems at small ``eps``). If Newton
then converges only linearly, (T14) (a truncated sparse Hessian: no acceleration over ten steps),
no faster per unit of work than Sinkhorn's mean rate over stage 1 and slower than halving the error
per step, it hands back to Sinkhorn for the rest of the ``max_sinkhorn_steps`` budget. Both
constants were measured on the benchmark suite
(:func:`~theorylab.estimators.transport.datasets.benchmark_suite`): a Newton step costs 12-25
sweeps there, and from :math:`e` it needs the steps the formula gives, within a factor of two.
``sinkhorn_steps=N1`` instead runs the paper's fixed ``N1`` plain sweeps; if the linear rate of the
last ten sweeps projects convergence within the ``sinkhorn_extend`` sweeps allowed beyond ``N1``,
Sinkhorn simply continues (``sinkhorn_extend=0``: the paper's algorithm).

Stage 2 takes Newton steps on the concave dual potential
:math:`\Phi(f, g)`:

1. sparsify the Newton matrix :math:`M = -\varepsilon\nabla^2\Phi` (exact diagonals,
   :mod:`~theorylab.estimators.transport.sparse_newton`);
2. solve :math:`(M_s + \varepsilon\mu\lVert\nabla\Phi\rVert_2 I)\,d = \varepsilon\nabla\Phi` by
   Jacobi-preconditioned conjugate gradient on the Schur complement of the row block. The null
   direction :math:`(1_n, -1_m)` of the exact matrix needs no special treatment: the right-hand
   side is orthogonal to it (the gradient-sum identity), and any dropped mass or shift makes the
   Schur complement positive definite. ``pin=True`` instead fixes the last column potential
   (``d_g[m-1] = 0``, reduced coordinates as in RegOT). Measured: pinning stalls on point clouds
   (a column whose mass is lost is only seen through curvature that the sparsified matrix
   overstates; L1 error stuck at 2/n for 300 steps at n = 500), so it is off by default;
3. line search over ``alpha`` in {1, 1/2, 1/4, 1/10, ...} (Armijo on :math:`\Phi`; near
   convergence, where increments of :math:`\Phi` fall below float64 resolution, a step is also
   accepted when it lowers the marginal error without measurably lowering :math:`\Phi`);
4. adapt the shift from the ratio :math:`\rho` of actual to predicted increase at ``alpha = 1``:
   :math:`\rho < 1/4 \Rightarrow \mu \leftarrow 4\mu`, :math:`\rho > 3/4 \Rightarrow \mu \leftarrow
   \max(\mu/2, 10^{-3})` (SSNS); a step that finds no ascent is rejected and the shift grows.

``shift=None`` gives the paper's plain SNS (no shift; a failed line search ends the solve with
``status=LINE_SEARCH_FAILED``, never a silent answer). Every loop is a ``lax.while_loop`` with static
bounds, so the solver ``jit``-s and ``vmap``-s over batches of problems.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from theorylab.estimators.transport._checks import check_tolerance, validate_problem
from theorylab.estimators.transport.output import EntropicOTResult, finalize
from theorylab.estimators.transport.potential import dual_value_from_mass, log_plan
from theorylab.estimators.transport.sinkhorn_solver import MAX_RECORDED_STEPS, _initial, sinkhorn_sweeps
from theorylab.estimators.transport.sparse_newton import (
    offdiag_matvec,
    offdiag_rmatvec,
    schur_diagonal,
    schur_matvec,
    sparsify,
)
from theorylab.numerics.solution import Status, maybe_throw
from theorylab.validation import check_choice, check_in_range, check_integer, step_bound

__all__ = ["sns", "NewtonState"]

_STEPS = (1.0, 0.5, 0.25, 0.1, 0.03, 0.01)


class NewtonState(NamedTuple):
    f: jax.Array
    g: jax.Array
    phi: jax.Array
    gx: jax.Array
    gy: jax.Array
    error: jax.Array
    mu: jax.Array
    iteration: jax.Array
    rejected: jax.Array  # consecutive rejected steps
    status: jax.Array
    cg_iterations: jax.Array
    errors: jax.Array
    overflow: jax.Array


def _evaluate(f, g, cost, a, b, eps):
    """Potential, gradient and L1 marginal error in one pass over the plan."""
    p = jnp.exp(log_plan(f, g, cost, eps))
    rows, cols = p.sum(1), p.sum(0)
    phi = dual_value_from_mass(f, g, a, b, eps, rows.sum())
    gx, gy = a - rows, b - cols
    return phi, gx, gy, jnp.abs(gx).sum() + jnp.abs(gy).sum()


def _pcg(matvec, rhs, diag, mask, rtol, maxiter):
    """Jacobi-preconditioned CG on the pinned system (entries with ``mask == 0`` stay 0)."""
    inv = jnp.where(mask > 0, 1.0 / diag, 0.0)
    x = jnp.zeros_like(rhs)
    r = rhs * mask
    z = inv * r
    p = z
    rz = jnp.dot(r, z)
    target = (rtol * jnp.linalg.norm(r)) ** 2

    def cond(s):
        _, r, _, _, rz, k = s
        return (jnp.dot(r, r) > target) & (k < maxiter) & (rz > 0)

    def body(s):
        x, r, z, p, rz, k = s
        q = matvec(p) * mask
        alpha = rz / jnp.dot(p, q)
        x = x + alpha * p
        r = r - alpha * q
        z = inv * r
        rz_new = jnp.dot(r, z)
        p = z + (rz_new / rz) * p
        return x, r, z, p, rz_new, k + 1

    x, *_, k = jax.lax.while_loop(cond, body, (x, r, z, p, rz, jnp.asarray(0)))
    return x, k


def newton_steps(f, g, cost, a, b, eps, *, tol, max_newton, rule, mass_tol, density, capacity,
                 shift, pin, cg_tol, cg_maxiter, errors, offset, max_rejected=8, newton_length=None,
                 stall_rate=None):
    """Stage 2 of SNS from ``(f, g)`` (jit-able core; no validation). Returns a :class:`NewtonState`.

    ``stall_rate`` (optional, possibly traced): from the tenth step on, stop once Newton converges
    only linearly (the mean contraction per step over the last five steps is at least 0.8 times that
    over the five before: no superlinear phase in sight, as when the sparsified Hessian is
    truncated) and that contraction is no better than ``stall_rate``, the Sinkhorn rate per Newton
    step's worth of sweeps, nor than halving the error per step: Newton then makes less progress per
    unit of work than the sweeps it replaced, and the switching rule returns to Sinkhorn.

    ``max_newton`` may be traced; ``newton_length`` (static, default ``max_newton``) is then the
    length of the per-step CG record. ``shift`` is ``None`` (no shift) or a possibly traced number."""
    n, m = cost.shape
    phi, gx, gy, err = _evaluate(f, g, cost, a, b, eps)
    mask = jnp.ones(m, cost.dtype)
    if pin:  # reduced coordinates: the last column potential stays fixed
        mask = mask.at[m - 1].set(0.0)
    mu0 = 0.0 if shift is None else shift
    record = max_newton if newton_length is None else newton_length
    state = NewtonState(f, g, phi, gx, gy, err, jnp.asarray(mu0, cost.dtype), jnp.asarray(0), jnp.asarray(0),
                        jnp.asarray(int(Status.MAX_STEPS)), jnp.zeros(record, jnp.int32), errors,
                        jnp.asarray(0))

    def stalled(s):
        if stall_rate is None:
            return jnp.asarray(False)
        k = s.iteration
        at = lambda back: s.errors[jnp.clip(offset + k - 1 - back, 0, s.errors.shape[0] - 1)]  # noqa: E731
        recent = (at(0) / at(5)) ** 0.2  # mean contraction per step, last five steps
        previous = (at(5) / at(10)) ** 0.2  # and the five before
        linear = recent >= 0.8 * previous  # not accelerating: an inexact (truncated) Newton
        # a Newton that still halves the error every step is kept whatever Sinkhorn did: near the
        # tolerance its last steps can look linear, and Sinkhorn rarely does better than 0.5 per
        # twenty sweeps where Newton was worth starting
        return (k >= 10) & linear & (recent > jnp.maximum(stall_rate, 0.5))

    def cond(s):
        return (s.error > tol) & (s.iteration < max_newton) & (s.status == int(Status.MAX_STEPS)) & ~stalled(s)

    def body(s):
        gnorm = jnp.sqrt(jnp.sum(s.gx**2) + jnp.sum(s.gy**2))
        lp = log_plan(s.f, s.g, cost, eps)
        system = sparsify(lp, rule=rule, delta=mass_tol * gnorm, density=density, capacity=capacity,
                          row_sums=a - s.gx, col_sums=b - s.gy)  # the marginals the last evaluation measured
        sh = eps * s.mu * gnorm
        rx, ry = eps * s.gx, eps * s.gy
        rhs = ry - offdiag_rmatvec(system, rx / (system.row_sums + sh), m)
        rtol = cg_tol if cg_tol is not None else jnp.clip(jnp.sqrt(s.error), 1e-12, 1e-2)
        dy, k = _pcg(lambda v: schur_matvec(system, sh, v), rhs, schur_diagonal(system, sh), mask, rtol, cg_maxiter)
        dx = (rx - offdiag_matvec(system, dy)) / (system.row_sums + sh)
        slope = jnp.dot(s.gx, dx) + jnp.dot(s.gy, dy)  # > 0 for an ascent direction

        def trial(alpha):
            return _evaluate(s.f + alpha * dx, s.g + alpha * dy, cost, a, b, eps)

        noise = 64 * jnp.finfo(cost.dtype).eps * (jnp.abs(s.phi) + eps * a.sum())

        def accept(phi_new, err_new, alpha):
            armijo = phi_new >= s.phi + 1e-4 * alpha * slope
            flat = (phi_new >= s.phi - noise) & (err_new < s.error)
            return jnp.isfinite(phi_new) & jnp.isfinite(err_new) & (slope > 0) & (armijo | flat)

        phi1, gx1, gy1, err1 = trial(1.0)
        predicted = 0.5 * slope
        rho = jnp.where(predicted > noise, (phi1 - s.phi) / jnp.where(predicted > 0, predicted, 1.0),
                        jnp.where(err1 < s.error, 1.0, 0.0))
        rho = jnp.where(jnp.isfinite(phi1), rho, -1.0)

        def ls_cond(c):
            j, ok, *_ = c
            return (~ok) & (j < len(_STEPS))

        def ls_body(c):
            j, _, *_ = c
            alpha = jnp.asarray(_STEPS, cost.dtype)[j]
            phi_t, gx_t, gy_t, err_t = trial(alpha)
            return j + 1, accept(phi_t, err_t, alpha), alpha, phi_t, gx_t, gy_t, err_t

        ok1 = accept(phi1, err1, 1.0)
        init = (jnp.asarray(1), ok1, jnp.asarray(1.0, cost.dtype), phi1, gx1, gy1, err1)
        _, ok, alpha, phi_n, gx_n, gy_n, err_n = jax.lax.while_loop(ls_cond, ls_body, init)

        if shift is None:
            mu = s.mu
        else:
            mu = jnp.where(rho < 0.25, 4.0 * s.mu, jnp.where(rho > 0.75, jnp.maximum(0.5 * s.mu, 1e-3), s.mu))
        rejected = jnp.where(ok, 0, s.rejected + 1)
        fail = (~ok) & ((shift is None) | (rejected >= max_rejected))
        status = jnp.where(fail, int(Status.LINE_SEARCH_FAILED), int(Status.MAX_STEPS))
        new_err = jnp.where(ok, err_n, s.error)
        errs = s.errors.at[offset + s.iteration].set(new_err, mode="drop")
        return NewtonState(
            f=jnp.where(ok, s.f + alpha * dx, s.f), g=jnp.where(ok, s.g + alpha * dy, s.g),
            phi=jnp.where(ok, phi_n, s.phi), gx=jnp.where(ok, gx_n, s.gx), gy=jnp.where(ok, gy_n, s.gy),
            error=new_err, mu=mu, iteration=s.iteration + 1, rejected=rejected, status=status,
            cg_iterations=s.cg_iterations.at[s.iteration].set(k, mode="drop"), errors=errs,
            overflow=jnp.maximum(s.overflow, system.overflow),
        )

    return jax.lax.while_loop(cond, body, state)


def sns(cost, a=None, b=None, *, eps, sinkhorn_steps: int | None = None, max_sinkhorn_steps: int = 5000,
        max_newton_steps: int = 500, tol: float = 1e-8, basin: float = 0.1, newton_cost: float = 20.0,
        sparsify: str = "mass", mass_tol: float = 0.01, density: float | None = None,
        max_row_nnz: int | None = None, shift: float | None = 1.0, pin: bool = False,
        sinkhorn_extend: int = 300, cg_tol: float | None = None,
        cg_max_steps: int = 1000, init=None, throw: bool = False) -> EntropicOTResult:
    r"""Solve entropic OT by Sinkhorn-Newton-Sparse (safe SSNS-style defaults).

    Parameters
    ----------
    cost, a, b, eps:
        The problem, as in :func:`~theorylab.estimators.transport.sinkhorn_solver` (:math:`\eta = 1/\varepsilon`).
    sinkhorn_steps:
        ``None`` (default): the switching rule. Stage 1 runs Sinkhorn with adaptive momentum (set
        from the measured linear rate once it has settled, from sweep 20 on) and hands over to
        Newton as soon as the measured progress says Newton will pay: the L1 marginal error is at
        most ``basin`` and the sweeps the measured rate still needs exceed ``newton_cost`` times
        the Newton steps expected from that error (see :func:`sinkhorn_sweeps`); otherwise Sinkhorn
        finishes alone, or hands over when ``max_sinkhorn_steps`` run out. An integer is the
        paper's fixed ``N1`` (plain Sinkhorn, then Newton; 0 starts Newton from ``init`` or zeros),
        with ``sinkhorn_extend``.
    max_sinkhorn_steps:
        Stage-1 budget of the switching rule.
    basin, newton_cost:
        The switching rule's error threshold (L1, both marginals) and its price of one Newton step
        in Sinkhorn sweeps (measured 12-25 on the benchmark suite on a CPU; see the module
        docstring).
    sinkhorn_extend:
        With an integer ``sinkhorn_steps``: continue Sinkhorn for up to this many extra sweeps while
        its measured rate projects convergence within them (needs ``sinkhorn_steps >= 11``); 0
        disables (the paper's algorithm).
    max_newton_steps:
        Newton-step budget (``N2``).
    tol:
        Stop when the L1 error of both marginals is at most ``tol``.
    sparsify:
        ``"mass"`` (default; drop at most ``mass_tol * ||grad||_2`` of each row's mass) or
        ``"topk"`` (keep the ``ceil(density n m)`` largest plan entries; the paper's rule).
    max_row_nnz:
        Static ELL capacity per row (default ``min(m, 128)``); rows that need more keep their
        largest entries.
    shift:
        Initial SSNS shift :math:`\mu_0` (adapted by the trust-region rule); ``None`` disables it
        (the paper's SNS).
    pin:
        Fix the last column potential in the Newton system (reduced coordinates) instead of
        solving the full system; see the module docstring for why the default is ``False``.
    cg_tol:
        Relative residual for CG; ``None`` (default) uses the forcing term
        ``clip(sqrt(marginal error), 1e-12, 1e-2)`` (inexact Newton, superlinear near the end).
    cg_max_steps:
        CG iteration cap per Newton step.
    init:
        Optional warm start ``(f, g)``.
    throw:
        Raise :class:`~theorylab.numerics.ConvergenceError` (with the specific reason) when the
        solve did not converge.

    Returns
    -------
    theorylab.estimators.transport.EntropicOTResult
        ``sinkhorn_steps`` and ``newton_steps`` count the two stages (``num_steps`` their sum), ``cg_iterations`` the CG work per
        Newton step, ``errors`` the marginal error after every sweep and step.
    """
    cost, a, b, eps = validate_problem(cost, a, b, eps)
    tol = check_tolerance(tol, cost.dtype)
    n, m = cost.shape
    cap = MAX_RECORDED_STEPS  # every sweep and step is recorded in the result's error trace
    auto = sinkhorn_steps is None
    if auto:
        n_sinkhorn = check_integer(max_sinkhorn_steps, "max_sinkhorn_steps", minimum=0, maximum=cap)
        sinkhorn_extend = 0
        basin = float(check_in_range(basin, "basin", 0.0, None, closed=(False, True)))
        newton_cost = float(check_in_range(newton_cost, "newton_cost", 0.0, None, closed=(False, True)))
    else:
        n_sinkhorn = check_integer(sinkhorn_steps, "sinkhorn_steps", minimum=0, maximum=cap)
        sinkhorn_extend = check_integer(sinkhorn_extend, "sinkhorn_extend", minimum=0, maximum=cap) if n_sinkhorn > 10 else 0
    max_newton = check_integer(max_newton_steps, "max_newton_steps", minimum=1, maximum=cap)
    check_choice(sparsify, "sparsify", ("mass", "topk"))
    if sparsify == "topk":
        if density is None:
            raise ValueError("`density` is required with sparsify='topk' (fraction of the n*m plan entries "
                             "kept; the paper uses e.g. 5/n)")
        check_in_range(density, "density", 0.0, 1.0, closed=(False, True))
        density = float(density)
    mass_tol = float(check_in_range(mass_tol, "mass_tol", 0.0, 1.0, closed=(False, True)))
    capacity = min(m, 128) if max_row_nnz is None else check_integer(max_row_nnz, "max_row_nnz", minimum=1)
    capacity = min(capacity, m)
    if shift is not None:
        shift = float(check_in_range(shift, "shift", 0.0, None, closed=(False, True)))
    if cg_tol is not None:
        cg_tol = float(check_in_range(cg_tol, "cg_tol", 0.0, 1.0, closed=(False, False)))
    cg_maxiter = check_integer(cg_max_steps, "cg_max_steps", minimum=1)
    a, b, eps = (jnp.asarray(v, cost.dtype) for v in (a, b, eps))  # one dtype in every loop carry (float32 too)
    f0, g0 = _initial(init, cost)
    # Every number is traced: tolerances, the stage budgets, mass_tol, density, shift, cg_tol and
    # cg_max_steps (changing them compiles nothing new). Static are the choices that change the
    # program (the rule, pinning, whether a stage or option is on) and the buffer lengths, the next
    # power of two above the budgets.
    dt = cost.dtype
    traced = lambda v: None if v is None else jnp.asarray(v, dt)  # noqa: E731
    out = _sns_jit(cost, a, b, eps, f0, g0, jnp.asarray(tol, dt), jnp.asarray(n_sinkhorn), jnp.asarray(max_newton),
                   jnp.asarray(sinkhorn_extend), jnp.asarray(mass_tol, dt), traced(density), traced(shift),
                   traced(cg_tol), jnp.asarray(cg_maxiter), traced(basin if auto else 0.0),
                   traced(newton_cost if auto else 0.0),
                   rule=sparsify, capacity=capacity, pin=bool(pin), sinkhorn_on=n_sinkhorn > 0, auto=auto,
                   extend_on=sinkhorn_extend > 0, errors_length=step_bound(n_sinkhorn + sinkhorn_extend + max_newton,
                                                                         minimum=64),
                   newton_length=step_bound(max_newton))
    return maybe_throw(out, throw, "sns", field="f")


#: The switching rule's first sweep with momentum (Lehmann et al.'s rate estimate needs a window of
#: linear convergence first; the rule also waits for the rate to settle).
AUTO_MOMENTUM_START = 20


@jax.jit(static_argnames=("rule", "capacity", "pin", "sinkhorn_on", "auto", "extend_on", "errors_length",
                          "newton_length"))
def _sns_jit(cost, a, b, eps, f0, g0, tol, n_sinkhorn, max_newton, extend, mass_tol, density, shift, cg_tol,
             cg_maxiter, basin, newton_cost, *, rule, capacity, pin, sinkhorn_on, auto, extend_on, errors_length,
             newton_length):
    length = errors_length
    if not extend_on:
        extend = 0
    stall_rate = None
    if sinkhorn_on and auto:
        s = sinkhorn_sweeps(f0, g0, cost, a, b, eps, tol=tol, max_steps=n_sinkhorn, errors_length=length,
                            momentum="adaptive", momentum_start=AUTO_MOMENTUM_START, settle=True,
                            switch=(basin, newton_cost))
        f, g, errors, n_sweeps = s.f, s.g, s.errors, s.iteration
        # Sinkhorn's mean rate over stage 1 (robust to the transients of the momentum's start), per
        # Newton step's worth of sweeps: a linearly converging Newton is abandoned if it does no
        # better (a rate >= 1, a Sinkhorn that did not progress, never abandons Newton)
        last = errors[jnp.clip(n_sweeps - 1, 0, length - 1)]
        stall_rate = jnp.where(n_sweeps > 10, (last / errors[0]) ** (newton_cost / jnp.maximum(n_sweeps - 1, 1)),
                               jnp.inf)
    elif sinkhorn_on:
        s = sinkhorn_sweeps(f0, g0, cost, a, b, eps, tol=tol, max_steps=n_sinkhorn, errors_length=length,
                            extend=extend)
        f, g, errors, n_sweeps = s.f, s.g, s.errors, s.iteration
    else:
        f, g, errors, n_sweeps = f0, g0, jnp.full((length,), jnp.nan, cost.dtype), jnp.asarray(0)

    def run_newton(_):
        return newton_steps(f, g, cost, a, b, eps, tol=tol, max_newton=max_newton, rule=rule, mass_tol=mass_tol,
                            density=density, capacity=capacity, shift=shift, pin=pin, cg_tol=cg_tol,
                            cg_maxiter=cg_maxiter, errors=errors, offset=n_sweeps, newton_length=newton_length,
                            stall_rate=stall_rate)

    if sinkhorn_on:  # a converged stage 1 skips Newton's setup pass over the plan
        def skip_newton(_):
            blank = jax.tree.map(lambda x: jnp.zeros(x.shape, x.dtype), jax.eval_shape(run_newton, None))
            return blank._replace(f=f, g=g, error=s.error.astype(blank.error.dtype), errors=errors,
                                  status=jnp.asarray(int(Status.MAX_STEPS), blank.status.dtype))

        t = jax.lax.cond(s.error > tol, run_newton, skip_newton, None)
    else:
        t = run_newton(None)
    f, g, errors, stage = t.f, t.g, t.errors, jnp.where(t.iteration > 0, 2, 1)
    error, status = t.error, t.status
    if sinkhorn_on and auto:  # Newton stalled: back to Sinkhorn for the rest of the sweep budget
        back = (t.error > tol) & (t.status == int(Status.MAX_STEPS)) & (t.iteration < max_newton) & (t.iteration > 0)

        def resume(_):
            s3 = sinkhorn_sweeps(f, g, cost, a, b, eps, tol=tol, max_steps=n_sinkhorn - n_sweeps, errors_length=length,
                                 offset=n_sweeps + t.iteration, errors=errors, momentum="adaptive", momentum_start=0,
                                 settle=True)
            return s3.f, s3.g, s3.errors, s3.iteration, s3.error.astype(error.dtype)

        f, g, errors, more, error = jax.lax.cond(back, resume, lambda _: (f, g, errors, jnp.asarray(0), error), None)
        n_sweeps = n_sweeps + more
        stage = jnp.where(back, 1, stage)
    status = jnp.where(error <= tol, int(Status.SUCCESS), status)
    status = jnp.where(jnp.isfinite(error), status, int(Status.NONFINITE))
    return finalize(f, g, cost, a, b, eps, tol, status, n_sweeps, t.iteration, t.cg_iterations, errors, stage=stage)

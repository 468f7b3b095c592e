r"""Log-domain Sinkhorn with optional (adaptive) over-relaxation: the baseline solver.

One sweep is exact block-coordinate ascent on the dual potential :math:`\Phi` (Cuturi 2013;
log-domain form as in Peyré & Cuturi 2019, Remark 4.23):

.. math::
   g_j \leftarrow \varepsilon\log b_j - \varepsilon\,\mathrm{LSE}_i\big((f_i - C_{ij})/\varepsilon\big),\qquad
   f_i \leftarrow \varepsilon\log a_i - \varepsilon\,\mathrm{LSE}_j\big((g_j - C_{ij})/\varepsilon\big).

With momentum :math:`\omega` each update is relaxed, ``f <- (1 - w) f + w f_new`` (Thibault et al.
2021); ``momentum="adaptive"`` sets :math:`\omega = 2/(1 + \sqrt{1 - \kappa})` once, after
``momentum_start`` sweeps, from the observed linear rate :math:`\kappa` of the marginal error
(Lehmann et al. 2021, eq. 5; the rule OTT-JAX's ``Momentum(start=...)`` uses).

Both marginal errors come for free every sweep: the log-sum-exps that the next updates need are
exactly the log row and column sums of the current plan, so the stop test is on the L1 error of
*both* marginals after every sweep, at no extra pass over the cost.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from theorylab.estimators.transport._checks import check_tolerance, validate_problem
from theorylab.estimators.transport.output import EntropicOTResult, finalize
from theorylab.numerics.solution import Status, maybe_throw
from theorylab.validation import as_float_array, check_finite, check_integer, is_traced

__all__ = ["sinkhorn", "sinkhorn_sweeps", "SinkhornState"]


class SinkhornState(NamedTuple):
    f: jax.Array
    g: jax.Array
    lse_cols: jax.Array  # LSE_i (f_i - C_ij) / eps for the current f
    error: jax.Array  # L1 error of both marginals of P(f, g)
    iteration: jax.Array
    omega: jax.Array
    errors: jax.Array
    momentum_at: jax.Array  # the sweep at which adaptive momentum was set (-1: not yet)


def _lse_over_rows(f, cost, eps):
    return jax.nn.logsumexp((f[:, None] - cost) / eps, axis=0)


def _lse_over_cols(g, cost, eps):
    return jax.nn.logsumexp((g[None, :] - cost) / eps, axis=1)


def _col_error(g, lse_cols, b, eps):
    return jnp.abs(jnp.exp(g / eps + lse_cols) - b).sum()


def sinkhorn_sweeps(f, g, cost, a, b, eps, *, tol, max_steps, momentum=None, momentum_start=100,
                    window=10, errors_length=None, offset=0, errors=None, extend=0, settle=False, switch=None):
    r"""Run up to ``max_steps`` sweeps from ``(f, g)`` (jit-able core; no validation).

    Returns the final :class:`SinkhornState`; ``errors`` has ``errors_length`` slots (default
    ``max_steps``) and sweep ``k`` writes slot ``offset + k`` (pass ``errors`` to continue a trace).
    With ``extend > 0`` sweeping continues past ``max_steps`` for up to ``extend`` more sweeps as
    long as the linear rate of the last ``window`` sweeps projects convergence within the sweeps
    left (re-checked every sweep).

    ``settle=True`` (with ``momentum="adaptive"``) sets the momentum at the first sweep from
    ``momentum_start`` on where the linear rate has settled: the rates of the last two windows agree
    to within half of the last one's logarithm (a plateau followed by a sudden collapse of the error,
    as on 1-D W1 problems, would otherwise be over-relaxed with the plateau's rate).

    ``switch = (basin, newton_cost)`` stops the sweeps early when Newton should take over (the
    switching rule of :func:`~theorylab.estimators.transport.sns`): the error is at most ``basin``,
    the last window ran at one relaxation, and the sweeps the measured rate still needs, :math:`\log(\mathrm{tol}/e)/\log r` (infinite when
    :math:`r \ge 1`), exceed ``newton_cost`` sweeps per Newton step times the Newton steps expected
    from ``e``, :math:`\max(1, 1.2 \log_{10}(e/\mathrm{tol}) - 1.4)`.
    """
    log_a, log_b = jnp.log(a), jnp.log(b)
    length = max_steps if errors_length is None else errors_length
    lse_cols = _lse_over_rows(f, cost, eps)
    rows0 = jnp.abs(jnp.exp(f / eps + _lse_over_cols(g, cost, eps)) - a).sum()
    err0 = _col_error(g, lse_cols, b, eps) + rows0
    fixed = 1.0 if momentum is None or momentum == "adaptive" else float(momentum)
    trace = jnp.full((length,), jnp.nan, cost.dtype) if errors is None else errors
    state = SinkhornState(f, g, lse_cols, err0, jnp.asarray(0), jnp.asarray(fixed, cost.dtype), trace,
                          jnp.asarray(-1))

    def error_at(s, back):
        """The error ``back`` sweeps before the last one."""
        return s.errors[jnp.clip(offset + s.iteration - 1 - back, 0, length - 1)]

    def window_rate(s):
        """Last error and the mean contraction per sweep over the last ``window`` sweeps."""
        last = error_at(s, 0)
        return last, (last / error_at(s, window)) ** (1.0 / window)

    def switch_now(s):
        basin, newton_cost = switch
        k = s.iteration
        last, rate = window_rate(s)
        steady = (k > 2 * window) & ((s.momentum_at < 0) | (k - s.momentum_at > window))
        decades = jnp.log10(jnp.maximum(last, tol) / tol)
        newton_steps = jnp.maximum(1.0, 1.2 * decades - 1.4)
        needed = jnp.where(rate < 1.0, jnp.log(tol / last) / jnp.log(jnp.where(rate < 1.0, rate, 0.5)), jnp.inf)
        return steady & (last <= basin) & (needed > newton_cost * newton_steps)

    def projected_ok(s):
        k = s.iteration
        last, rate = window_rate(s)
        needed = jnp.log(tol / last) / jnp.log(jnp.where(rate < 1.0, rate, 0.5))
        return (k > window) & (rate < 1.0) & (needed <= max_steps + extend - k)

    def cond(s):
        go = s.iteration < max_steps
        if is_traced(extend) or extend > 0:  # a traced extend may be 0: then projected_ok adds nothing
            go = go | ((s.iteration < max_steps + extend) & projected_ok(s))
        if switch is not None:
            go = go & ~switch_now(s)
        return (s.error > tol) & go & jnp.isfinite(s.error)

    def body(s):
        w = s.omega
        momentum_at = s.momentum_at
        if momentum == "adaptive":
            k = s.iteration
            raw = window_rate(s)[1]
            rate = jnp.minimum(raw, 0.99)
            if settle:  # from momentum_start on, the first sweep whose last two windows agree
                before = (error_at(s, window) / error_at(s, 2 * window)) ** (1.0 / window)
                agree = jnp.abs(jnp.log(raw) - jnp.log(before)) <= 0.5 * jnp.abs(jnp.log(raw))
                settled = (k > 2 * window) & (raw < 1.0) & agree
                set_now = (momentum_at < 0) & (k >= momentum_start) & settled
            else:
                set_now = (k == momentum_start) & (k > window)
            set_now = set_now & jnp.isfinite(rate)
            w = jnp.where(set_now, 2.0 / (1.0 + jnp.sqrt(1.0 - rate)), w)
            momentum_at = jnp.where(set_now, k, momentum_at)
        g_new = eps * (log_b - s.lse_cols)
        g_new = g_new if momentum is None else (1.0 - w) * s.g + w * g_new
        lse_rows = _lse_over_cols(g_new, cost, eps)
        f_new = eps * (log_a - lse_rows)
        f_new = f_new if momentum is None else (1.0 - w) * s.f + w * f_new
        lse_cols = _lse_over_rows(f_new, cost, eps)
        err = _col_error(g_new, lse_cols, b, eps)
        if momentum is not None:  # relaxed f leaves the rows inexact; their error is free too
            err = err + jnp.abs(jnp.exp(f_new / eps + lse_rows) - a).sum()
        errors = s.errors.at[offset + s.iteration].set(err, mode="drop")
        return SinkhornState(f_new, g_new, lse_cols, err, s.iteration + 1, w, errors, momentum_at)

    return jax.lax.while_loop(cond, body, state)


def sinkhorn(cost, a=None, b=None, *, eps, tol: float = 1e-8, max_steps: int = 10_000,
             momentum=None, momentum_start: int = 100, init=None, throw: bool = False) -> EntropicOTResult:
    r"""Solve entropic OT by log-domain Sinkhorn (float64 by default, jit/vmap-able core).

    Parameters
    ----------
    cost:
        ``(n, m)`` cost matrix (see :func:`~theorylab.estimators.transport.cost_matrix`).
    a, b:
        Strictly positive marginals with equal mass; uniform when omitted.
    eps:
        Regularisation :math:`\varepsilon > 0` (:math:`\eta = 1/\varepsilon`).
    tol:
        Stop when the L1 error of both marginals is at most ``tol``.
    max_steps:
        Sweep budget; reaching it gives ``converged=False``, ``status=MAX_STEPS``.
    momentum:
        ``None`` (plain), a constant in (0, 2), or ``"adaptive"`` (Lehmann et al. 2021 rule, set
        once after ``momentum_start`` sweeps).
    init:
        Optional warm start ``(f, g)``.
    throw:
        Raise :class:`~theorylab.numerics.ConvergenceError` (with the specific reason) when the
        solve did not converge, instead of returning the result with its status.

    Returns
    -------
    theorylab.estimators.transport.EntropicOTResult
    """
    cost, a, b, eps = validate_problem(cost, a, b, eps)
    tol = check_tolerance(tol, cost.dtype)
    # the error of every sweep is recorded: cap the budget so that record stays small (128 MiB)
    max_steps = check_integer(max_steps, "max_steps", minimum=1, maximum=MAX_RECORDED_STEPS)
    momentum_start = check_integer(momentum_start, "momentum_start", minimum=11)
    if momentum is not None and momentum != "adaptive":
        if isinstance(momentum, str) or not (0.0 < float(momentum) < 2.0):
            raise ValueError(f"`momentum` must be None, 'adaptive' or a number in (0, 2), got {momentum!r}")
        momentum = float(momentum)
    f0, g0 = _initial(init, cost)
    # tol and max_steps are traced: changing them compiles nothing new, except when max_steps
    # outgrows the error trace's buffer (a power of two, at least 64; slots past the last sweep are NaN)
    out = _sinkhorn_jit(cost, a, b, eps, f0, g0, jnp.asarray(tol, cost.dtype), jnp.asarray(max_steps, jnp.int32),
                        trace_length=_trace_length(max_steps), momentum=momentum, momentum_start=momentum_start)
    return maybe_throw(out, throw, "sinkhorn", field="f")


def _initial(init, cost):
    n, m = cost.shape
    if init is None:
        return jnp.zeros(n, cost.dtype), jnp.zeros(m, cost.dtype)
    if not isinstance(init, (tuple, list)) or len(init) != 2:
        raise TypeError(f"`init` must be a pair (f, g) of potentials, got {type(init).__name__}")
    def potential(v, name):
        if is_traced(v):
            return jnp.asarray(v, cost.dtype)
        return check_finite(as_float_array(v, name), name).astype(cost.dtype)

    f0, g0 = potential(init[0], "init[0] (f)"), potential(init[1], "init[1] (g)")
    if f0.shape != (n,) or g0.shape != (m,):
        raise ValueError(f"`init` must be a pair of arrays of shapes ({n},) and ({m},), got "
                         f"{tuple(f0.shape)} and {tuple(g0.shape)}")
    return f0, g0


MAX_RECORDED_STEPS = 2**24  #: largest step budget (every sweep's error is kept in the result)


def _trace_length(max_steps: int) -> int:
    """The static length of the error trace: the next power of two >= ``max_steps`` (at least 64)."""
    return max(64, 1 << (int(max_steps) - 1).bit_length())


@jax.jit(static_argnames=("trace_length", "momentum", "momentum_start"))
def _sinkhorn_jit(cost, a, b, eps, f0, g0, tol, max_steps, *, trace_length, momentum, momentum_start):
    s = sinkhorn_sweeps(f0, g0, cost, a, b, eps, tol=tol, max_steps=max_steps, momentum=momentum,
                        momentum_start=momentum_start, errors_length=trace_length)
    status = jnp.where(s.error <= tol, int(Status.SUCCESS),
                       jnp.where(jnp.isfinite(s.error), int(Status.MAX_STEPS), int(Status.NONFINITE)))
    return finalize(s.f, s.g, cost, a, b, eps, tol, status, s.iteration, 0,
                    jnp.zeros((0,), jnp.int32), s.errors)

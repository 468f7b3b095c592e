"""Repeated exposure optimality, the exact optimal cost and complete policy regret.

Complete policy regret (CPR) compares what a policy paid with the best *action sequence*, whose
own history shapes its tallies (eqs. (B3)-(B5) of ``docs/theory/bandits.md``):

``CPR_T = sum_t f_{a_t}(tau_t(a_t)) - OPT_T``,
``OPT_T = min_{a_1..a_T} sum_t f_{a_t}(tau_t(a_t))``.

``OPT_T`` is computed exactly by dynamic programming over the last ``m - 1`` actions
(:func:`optimal_costs`, ``(K+1)^(m-1)`` states). Under repeated exposure optimality (REO: some
arm ``a*`` played ``m`` times in a row beats every arm at every feasible tally,
``f_{a*}(W) <= f_a(tau)``) every round costs at least ``f* = f_{a*}(W)`` and always playing ``a*``
costs at most ``(m - 1) max f`` more, so

``T f* <= OPT_T <= T f* + (m - 1) max f``,

and the cheap "REO benchmark" ``T f*`` over-states OPT by at most ``O(m)``.
"""

from __future__ import annotations

import functools
import itertools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.bandits.environment import TallyingBandit, feasible_tallies
from theorylab.validation import as_float_array, check_choice, check_finite, check_integer, check_positive

__all__ = [
    "REOResult",
    "check_reo",
    "optimal_costs",
    "optimal_cost_brute_force",
    "constant_policy_costs",
    "complete_policy_regret",
]


class REOResult(NamedTuple):
    """Outcome of :func:`check_reo`."""

    holds: bool  #: REO holds (up to ``tol``)
    best_arm: int  #: a* = argmin_a f_a(W)
    f_star: float  #: f*(W) = f_{a*}(W)
    margin: float  #: min over every other (arm, feasible tally) of f_a(tau) - f*; REO iff >= -tol
    worst_pair: tuple[int, float]  #: the (arm, tally) attaining the margin


def check_reo(env: TallyingBandit, *, max_count: int = 2**20, tol: float = 1e-12) -> REOResult:
    """Check repeated exposure optimality by enumerating the ``2^(m-1)`` feasible tallies.

    Returns the best repeated arm ``a*``, ``f*(W)`` and the margin
    ``min_{(a, tau) != (a*, W)} f_a(tau) - f*(W)``; REO holds iff the margin is ``>= -tol``.
    """
    if not isinstance(env, TallyingBandit):
        raise TypeError(f"`env` must be a TallyingBandit, got {type(env).__name__}")
    tol = as_float_array(tol, "tol", ndim=0)
    check_finite(tol, "tol")
    check_positive(tol, "tol", strict=False)
    tol = float(tol)
    taus = feasible_tallies(np.asarray(env.weights), max_count=max_count)  # sorted: W is the last
    table = np.asarray(env.loss_table(taus), dtype=float)  # (K, n)
    best = int(np.argmin(table[:, -1]))
    f_star = float(table[best, -1])
    gaps = table - f_star
    gaps[best, -1] = np.inf  # the pair (a*, W) itself
    arm, col = np.unravel_index(int(np.argmin(gaps)), gaps.shape)
    margin = float(gaps[arm, col])
    if not np.isfinite(margin):  # one arm, memory one: nothing to compare with
        return REOResult(True, best, f_star, float("inf"), (best, float(taus[-1])))
    return REOResult(holds=bool(margin >= -tol), best_arm=best, f_star=f_star, margin=margin,
                     worst_pair=(int(arm), float(taus[col])))


def _dp_tables(env: TallyingBandit, max_states: int):
    """States: the last m-1 actions, most recent first, each in {-1 (none), 0..K-1}."""
    K, m = env.num_arms, env.memory
    n_states = (K + 1) ** (m - 1)
    if n_states > max_states:
        raise ValueError(
            f"the exact optimum needs (K+1)^(m-1) = {K + 1}^{m - 1} = {n_states} dynamic-programming states, "
            f"more than max_states = {max_states}; use benchmark='reo' (T f*(W), exact up to O(m) under REO) "
            f"or raise max_states"
        )
    digits = np.array(list(itertools.product(range(K + 1), repeat=m - 1)), dtype=np.int64).reshape(n_states, m - 1)
    powers = (K + 1) ** np.arange(m - 2, -1, -1, dtype=np.int64) if m > 1 else np.zeros(0, np.int64)
    history = jnp.asarray(digits - 1, jnp.int32)  # -1 = none
    arms = np.arange(K)
    tally = jax.vmap(env.all_tallies)(history)  # (S, K)
    if m > 1:
        shifted = np.concatenate([np.broadcast_to(arms[None, :, None] + 1, (n_states, K, 1)),
                                  np.broadcast_to(digits[:, None, :-1], (n_states, K, m - 2))], axis=2)
        next_state = shifted @ powers
    else:
        next_state = np.zeros((n_states, K), np.int64)
    cost = env.mean_loss(jnp.asarray(arms)[None, :], tally)
    start = int(np.zeros(m - 1, np.int64) @ powers) if m > 1 else 0
    return cost, jnp.asarray(next_state), start


@functools.partial(jax.jit, static_argnames=("horizon",))
def _bellman(cost, next_state, start, horizon: int):
    def backup(value, _):
        new = jnp.min(cost + value[next_state], axis=1)
        return new, new[start]

    _, opt = jax.lax.scan(backup, jnp.zeros(cost.shape[0], cost.dtype), None, length=horizon)
    return opt


def optimal_costs(env: TallyingBandit, horizon: int, *, max_states: int = 10**6):
    """``(OPT_1, ..., OPT_T)``: the exact minimum total mean loss over all action sequences of each
    length, by backward induction ``V_{n+1}(s) = min_a [f_a(tau(s, a)) + V_n(s')]`` over the
    ``(K+1)^(m-1)`` histories ``s`` (``V_n`` at the empty history is ``OPT_n``).

    Cost ``O(T K (K+1)^(m-1))``; raises ``ValueError`` above ``max_states`` states.
    """
    horizon = check_integer(horizon, "horizon", minimum=1)
    max_states = check_integer(max_states, "max_states", minimum=1)
    cost, next_state, start = _dp_tables(env, max_states)
    return _bellman(cost, next_state, start, horizon)


def optimal_cost_brute_force(env: TallyingBandit, horizon: int, *, max_sequences: int = 2**20) -> float:
    """``OPT_T`` by enumerating all ``K^T`` action sequences (a reference for tiny problems)."""
    horizon = check_integer(horizon, "horizon", minimum=1)
    K, m = env.num_arms, env.memory
    if K**horizon > max_sequences:
        raise ValueError(f"brute force enumerates K^T = {K}^{horizon} sequences, more than max_sequences = {max_sequences}")
    seqs = np.array(list(itertools.product(range(K), repeat=horizon)), dtype=np.int64)  # (N, T)
    w = np.asarray(env.weights, dtype=float)
    padded = np.concatenate([np.full((seqs.shape[0], m - 1), -1), seqs], axis=1)
    tallies = np.zeros(seqs.shape, float)
    for j in range(m):
        tallies += w[j] * (padded[:, m - 1 - j : m - 1 - j + horizon] == seqs)
    cost = np.asarray(env.mean_loss(jnp.asarray(seqs), jnp.asarray(tallies)), dtype=float)
    return float(cost.sum(axis=1).min())


def constant_policy_costs(env: TallyingBandit, horizon: int):
    """``(K,)`` total mean loss of always playing each arm: the tally grows through the prefix sums
    ``w_0 + ... + w_{t-1}`` for the first ``m`` rounds, then stays at ``W``."""
    horizon = check_integer(horizon, "horizon", minimum=1)
    prefix = jnp.cumsum(env.weights)[: min(horizon, env.memory)]
    arms = jnp.arange(env.num_arms)
    warm = env.mean_loss(arms[:, None], prefix[None, :]).sum(axis=1)
    steady = env.mean_loss(arms, jnp.broadcast_to(env.total_weight, arms.shape))
    return warm + max(horizon - env.memory, 0) * steady


def complete_policy_regret(mean_losses, env: TallyingBandit, *, benchmark: str = "reo", cumulative: bool = True,
                           max_states: int = 10**6):
    """Complete policy regret of the run(s) whose per-round mean losses are ``mean_losses``
    (``(..., T)``, e.g. ``Trajectory.mean_losses``).

    ``benchmark="exact"`` subtracts ``OPT_t`` from :func:`optimal_costs`; ``"reo"`` subtracts
    ``t f*(W)`` and requires REO (:func:`check_reo`), under which it overstates the regret by at
    most ``(m - 1) max f``. Returns the curve ``CPR_1..CPR_T`` (``cumulative=True``) or ``CPR_T``.
    """
    check_choice(benchmark, "benchmark", ("reo", "exact"))
    losses = jnp.asarray(mean_losses)
    if losses.ndim < 1 or losses.shape[-1] < 1:
        raise ValueError(f"`mean_losses` must have a trailing time axis of length >= 1, got shape {tuple(losses.shape)}")
    horizon = losses.shape[-1]
    if benchmark == "exact":
        bench = optimal_costs(env, horizon, max_states=max_states)
    else:
        reo = check_reo(env)
        if not reo.holds:
            raise ValueError(
                f"benchmark='reo' needs repeated exposure optimality, which fails: arm {reo.worst_pair[0]} at tally "
                f"{reo.worst_pair[1]:.6g} undercuts f*(W) = {reo.f_star:.6g} by {-reo.margin:.3g}; use benchmark='exact'"
            )
        bench = reo.f_star * jnp.arange(1, horizon + 1, dtype=losses.dtype)
    regret = jnp.cumsum(losses, axis=-1) - bench
    return regret if cumulative else regret[..., -1]

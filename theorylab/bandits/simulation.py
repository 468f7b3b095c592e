"""Run a policy against a tallying-bandit environment: one ``lax.scan`` per run.

``simulate(key, env, policy, horizon)`` is pure and ``jit``-compiled (the horizon is static), so
``jax.vmap`` over keys runs seeds in parallel and ``jax.vmap`` over stacked environments or
policies runs instances in parallel; :func:`simulate_seeds` does the first.
"""

from __future__ import annotations

import functools
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp

from theorylab.bandits.environment import TallyingBandit
from theorylab.bandits.regret import check_reo
from theorylab.validation import check_integer, is_traced

__all__ = ["Trajectory", "RunTotals", "simulate", "simulate_seeds"]


class Trajectory(NamedTuple):
    """Per-round record of one run (leading axes for batched runs)."""

    actions: jax.Array  #: (T,) arms played
    mean_losses: jax.Array  #: (T,) f_{a_t}(tau_t): what complete policy regret counts
    losses: jax.Array  #: (T,) observed (noisy) losses
    tallies: jax.Array  #: (T,) tau_t(a_t)


class RunTotals(NamedTuple):
    """Totals of one run, without the per-round record (``trace=False``)."""

    total_mean_loss: jax.Array
    total_loss: jax.Array
    plays: jax.Array  #: (K,) number of plays of each arm


def _check_pair(env: TallyingBandit, policy) -> None:
    if not isinstance(env, TallyingBandit):
        raise TypeError(f"`env` must be a TallyingBandit, got {type(env).__name__}")
    for attr in ("init", "select", "update", "num_arms"):
        if not hasattr(policy, attr):
            raise TypeError(f"`policy` must provide init/select/update and num_arms; {type(policy).__name__} lacks `{attr}`")
    if policy.num_arms != env.num_arms:
        raise ValueError(f"`policy` is built for {policy.num_arms} arms but `env` has {env.num_arms}")
    warmup = getattr(policy, "warmup", None)
    doubling = getattr(policy, "doubling", False)
    if doubling and warmup is not None and not is_traced(warmup) and int(warmup) < env.memory:
        warnings.warn(
            f"the policy discards the first M = {int(warmup)} losses of each block but the environment's "
            f"memory is m = {env.memory}: M < m voids the guarantee (kept samples see partial tallies) and "
            f"the complete policy regret can grow linearly",
            UserWarning,
            stacklevel=3,
        )
    if doubling and not is_traced(env.weights) and env.memory <= 17:
        reo = check_reo(env)
        if not reo.holds:
            warnings.warn(
                f"successive elimination converges to one arm, but repeated exposure optimality fails on this "
                f"environment (arm {reo.worst_pair[0]} at tally {reo.worst_pair[1]:.4g} undercuts f*(W) = "
                f"{reo.f_star:.4g}): its complete policy regret can grow linearly",
                UserWarning,
                stacklevel=3,
            )


#: Rounds per block of pre-drawn randomness (one vectorised draw per block instead of one per round).
CHUNK = 1024


@functools.partial(jax.jit, static_argnames=("horizon", "trace"))
def _run(key, env: TallyingBandit, policy, horizon: int, trace: bool):
    def step(carry, inputs):
        env_state, pol_state, plays, total_mean, total_obs = carry
        k_policy, noise = inputs
        arm = policy.select(pol_state, k_policy)
        env_state, out = env.step_with_noise(env_state, arm, noise)
        pol_state = policy.update(pol_state, arm, out.loss)
        plays = plays + (jnp.arange(env.num_arms) == arm)
        carry = (env_state, pol_state, plays, total_mean + out.mean_loss, total_obs + out.loss)
        return carry, ((arm, out.mean_loss, out.loss, out.tally) if trace else None)

    def block(carry, index, length):
        k_policy, k_env = jax.random.split(jax.random.fold_in(key, index))
        return jax.lax.scan(step, carry, (jax.random.split(k_policy, length), env.draw_noise(k_env, (length,))))

    dtype = env.weights.dtype
    carry = (env.init(), policy.init(), jnp.zeros((env.num_arms,), jnp.int32), jnp.zeros((), dtype), jnp.zeros((), dtype))
    full, rest = divmod(horizon, CHUNK)
    records = []
    if full:
        carry, rec = jax.lax.scan(lambda c, i: block(c, i, CHUNK), carry, jnp.arange(full))
        if trace:
            records.append(jax.tree.map(lambda x: x.reshape((full * CHUNK,) + x.shape[2:]), rec))
    if rest:
        carry, rec = block(carry, full, rest)
        if trace:
            records.append(rec)
    _, _, plays, total_mean, total_obs = carry
    if trace:
        return Trajectory(*(jnp.concatenate(parts) for parts in zip(*records)))
    return RunTotals(total_mean, total_obs, plays)


def simulate(key, env: TallyingBandit, policy, horizon: int, *, trace: bool = True):
    """Play ``policy`` for ``horizon`` rounds; a :class:`Trajectory` (or :class:`RunTotals` when
    ``trace=False``, which keeps memory flat for long batched runs).

    ``policy`` is any object with ``num_arms``, ``init()``, ``select(state, key)`` and
    ``update(state, arm, loss)`` whose states are pytrees (see :mod:`theorylab.bandits.policies`).
    Randomness is drawn in blocks of :data:`CHUNK` rounds: block ``b`` splits ``fold_in(key, b)``
    into one key for the policy (split again per round) and one for a vectorised draw of the
    observation noise (:meth:`TallyingBandit.draw_noise`).
    """
    _check_pair(env, policy)
    horizon = check_integer(horizon, "horizon", minimum=1)
    return _run(key, env, policy, horizon, bool(trace))


def simulate_seeds(key, env: TallyingBandit, policy, horizon: int, num_seeds: int, *, trace: bool = True):
    """:func:`simulate` for ``num_seeds`` independent seeds (``vmap`` over ``split(key, num_seeds)``);
    every field gains a leading axis of length ``num_seeds``."""
    _check_pair(env, policy)
    horizon = check_integer(horizon, "horizon", minimum=1)
    num_seeds = check_integer(num_seeds, "num_seeds", minimum=1)
    keys = jax.random.split(key, num_seeds)
    return jax.vmap(lambda k: _run(k, env, policy, horizon, bool(trace)))(keys)

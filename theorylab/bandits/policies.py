"""Bandit policies as pure kernels: ``init() -> state``, ``select(key, state) -> arm``,
``update(state, arm, loss) -> state`` (BlackJAX style: NamedTuple states, explicit keys).

Every policy minimises losses. Hyper-parameters that only scale numbers are arrays, so a batch of
policies (say over the warm-up length ``M``) can be stacked and ``vmap``-ed; the number of arms
and structural switches are static.

**Layout.** Per-arm state arrays have the arms on axis 0 and any batch axes after it:
``init(batch_shape)`` gives ``(K, *batch_shape)`` arrays and batch-shaped scalars, and
``select`` / ``update`` take and return batch-shaped arms. With ``batch_shape = ()`` this is the
ordinary single-run kernel (also under ``vmap``); with ``batch_shape = (seeds,)`` one kernel
advances every seed at once, so reductions over arms become elementwise operations across seeds
(what :func:`theorylab.bandits.simulate_seeds` uses: on a 2-core CPU it was 1.7x faster than a
``vmap`` of the single-run kernel at K = 32, 64 seeds). Randomised policies draw their randomness from
``num_uniforms`` uniforms per round (:meth:`select_with_noise`); ``select(key, state)`` draws
them from ``key``.

* :class:`SuccessiveElimination`: successive elimination with blocks of consecutive plays whose
  first ``warmup`` observations are discarded (:func:`se_wtb`, theorylab's reconstruction of the
  WTB algorithm), or the plain round-robin version (:func:`successive_elimination`).
* :class:`UCB1`, :class:`EXP3`, :class:`EpsilonGreedy`: history-blind baselines.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Protocol, runtime_checkable

import equinox as eqx
import jax
import jax.numpy as jnp

from theorylab.validation import as_float_array, check_batch_shape, check_in_range, check_integer, check_positive

__all__ = [
    "Policy",
    "EliminationState",
    "SuccessiveElimination",
    "se_wtb",
    "successive_elimination",
    "confidence_radius",
    "UCB1",
    "EXP3",
    "EpsilonGreedy",
    "MeanState",
    "EXP3State",
    "FixedSequence",
]


@runtime_checkable
class Policy(Protocol):
    """The plug-in point for bandit policies (structural typing: any object with these members).

    ``num_uniforms`` is how many uniforms one round of :meth:`select_with_noise` consumes (0 for
    deterministic policies); states follow the layout of the module docstring.
    """

    num_arms: int
    num_uniforms: int

    def init(self, batch_shape=()) -> Any:  # pragma: no cover - protocol
        """The state before the first round (``batch_shape`` independent runs in one state)."""
        ...

    def select(self, key, state) -> Any:  # pragma: no cover - protocol
        """The arm to play, its randomness drawn from ``key``."""
        ...

    def select_with_noise(self, state, noise) -> Any:  # pragma: no cover - protocol
        """The arm to play, from ``num_uniforms`` pre-drawn uniforms per run."""
        ...

    def update(self, state, arm, loss) -> Any:  # pragma: no cover - protocol
        """The state after observing ``loss`` for ``arm``."""
        ...


def arm_index(num_arms: int, batch_ndim: int):
    """``(K, 1, ..., 1)`` arm indices that broadcast against ``(K, *batch)`` state arrays."""
    return jnp.arange(num_arms, dtype=jnp.int32).reshape((num_arms,) + (1,) * batch_ndim)


def first_argmin(values):
    """Index of the first smallest entry along axis 0 (the arms), for every batch position.

    Written as two plain reductions, which XLA on CPU vectorises (its variadic arg-reduction is
    several times slower inside a scan)."""
    n = values.shape[0]
    smallest = jnp.min(values, axis=0, keepdims=True)
    return jnp.min(jnp.where(values == smallest, arm_index(n, values.ndim - 1), n), axis=0).astype(jnp.int32)


def played(values, arm):
    """``values[arm]`` along axis 0 for every batch position: a gather for a single run (also
    under ``vmap``), a one-hot masked sum across the arms for a batch (elementwise across seeds)."""
    if jnp.ndim(arm) == 0:
        return values[arm]
    return jnp.take_along_axis(values, arm[None], axis=0)[0]


def set_played(values, arm, new):
    """``values`` with entry ``arm`` (axis 0) replaced by ``new`` at every batch position."""
    if jnp.ndim(arm) == 0:
        return values.at[arm].set(new)  # in-place scalar update: cheap, also inside a vmapped scan
    return jnp.where(arm_index(values.shape[0], jnp.ndim(arm)) == arm, new, values)


def _arms(num_arms) -> int:
    return check_integer(num_arms, "num_arms", minimum=1)


def _horizon(horizon) -> int:
    return check_integer(horizon, "horizon", minimum=1)


# ---------------------------------------------------------------------------------------------
# successive elimination


def confidence_radius(count, *, num_arms, horizon, delta, scale):
    """Half-width of the elimination confidence interval after ``count`` kept samples.

    ``r = s sqrt(2 log(2 K T log2(T) / delta) / N)``: the Hoeffding bound
    ``P(|mean - mu| > r) <= 2 exp(-N r^2 / (2 s^2))`` for ``s``-sub-Gaussian samples, union-bounded
    over ``K`` arms, at most ``T`` sample counts and ``log2 T`` phases (eq. (B7) of
    ``docs/theory/bandits.md``; checked by ``proofs_checks/wtb.py``). ``s = 1/2`` for losses in
    [0, 1]. Infinite for ``N = 0``.
    """
    log2_t = jnp.maximum(jnp.log2(jnp.asarray(horizon, jnp.result_type(float))), 1.0)
    level = jnp.log(2.0 * num_arms * horizon * log2_t / delta)
    count = jnp.asarray(count)
    safe = jnp.maximum(count, 1)
    return jnp.where(count > 0, scale * jnp.sqrt(2.0 * level / safe), jnp.inf)


class EliminationState(NamedTuple):
    active: jax.Array  #: ``(K, *batch)`` arms still in play
    arm: jax.Array  #: ``(*batch)`` arm of the current block
    position: jax.Array  #: ``(*batch)`` rounds already played in the current block
    phase: jax.Array  #: ``(*batch)`` completed passes over the active set
    sums: jax.Array  #: ``(K, *batch)`` sum of kept losses
    counts: jax.Array  #: ``(K, *batch)`` number of kept losses
    means: jax.Array  #: ``(K, *batch)`` mean kept loss (0 before the first kept sample)
    radii: jax.Array  #: ``(K, *batch)`` confidence radius (+inf before the first kept sample)


class SuccessiveElimination(eqx.Module):
    """Successive elimination in blocks of consecutive plays.

    In phase ``l`` every active arm, in index order, is played for ``warmup + block * g^l``
    consecutive rounds (``g = 2`` when ``doubling``, else 1); the first ``warmup`` losses of each
    block are discarded, so with ``warmup >= m`` every kept loss was drawn at the full tally ``W``
    and is an unbiased sample of ``f_a(W)``. After a full pass, every arm whose lower confidence
    bound exceeds the smallest upper bound among active arms is eliminated
    (:func:`confidence_radius`). Once one arm is left it is played for ever. Blocks run in index
    order, so relabelling the arms can move the regret by at most ``(m - 1)(max f - min f)`` per
    pass (which arm opens a pass and pays a fresh warm-up), never the elimination decisions.

    This is theorylab's reconstruction of the algorithm of Malik et al. (ICML 2023), whose body we
    could not read (eqs. (B6)-(B8) of ``docs/theory/bandits.md``): the block schedule, the
    discarding rule and the radius are our choices, consistent with the abstract's additive
    ``O(sqrt(KT) + (m + M) K)`` bound.
    """

    num_arms: int = eqx.field(static=True)
    doubling: bool = eqx.field(static=True)
    horizon: jax.Array
    warmup: jax.Array
    block: jax.Array
    delta: jax.Array
    scale: jax.Array

    num_uniforms = 0

    def __init__(self, num_arms, horizon, *, warmup=0, block=1, doubling=True, delta=None, scale=0.5):
        self.num_arms = _arms(num_arms)
        horizon = _horizon(horizon)
        self.horizon = jnp.asarray(horizon, jnp.result_type(float))
        self.warmup = jnp.asarray(check_integer(warmup, "warmup", minimum=0))
        self.block = jnp.asarray(check_integer(block, "block", minimum=1))
        self.doubling = bool(doubling)
        if delta is None:
            delta = 1.0 / horizon
        delta = as_float_array(delta, "delta", ndim=0)
        check_in_range(delta, "delta", 0.0, 1.0, closed=(False, False))
        self.delta = delta
        scale = as_float_array(scale, "scale", ndim=0)
        check_positive(scale, "scale")
        self.scale = scale

    @property
    def name(self) -> str:
        return "SE-WTB" if self.doubling else "SE (round robin)"

    def init(self, batch_shape=()) -> EliminationState:
        """Every arm active, no observation yet; the first block plays arm 0."""
        batch = check_batch_shape(batch_shape)
        zeros = jnp.zeros((self.num_arms,) + batch, self.scale.dtype)
        scalar = jnp.zeros(batch, jnp.int32)
        return EliminationState(
            active=jnp.ones((self.num_arms,) + batch, bool),
            arm=scalar,
            position=scalar,
            phase=scalar,
            sums=zeros,
            counts=zeros,
            means=zeros,
            radii=jnp.full((self.num_arms,) + batch, jnp.inf, zeros.dtype),
        )

    def select_with_noise(self, state: EliminationState, noise=None):
        """The arm of the current block (deterministic: ``noise`` is ignored)."""
        del noise
        return state.arm

    def select(self, key, state: EliminationState):
        """The arm of the current block (deterministic: ``key`` is ignored)."""
        del key
        return state.arm

    def block_length(self, phase):
        """Plays per block in phase ``phase``: ``M + block * 2^phase`` (``M + block`` without doubling)."""
        growth = jnp.left_shift(jnp.ones((), jnp.int64), jnp.minimum(phase, 40).astype(jnp.int64)) if self.doubling else 1
        return self.warmup + self.block * growth

    def radius(self, counts):
        """Confidence radius after ``counts`` kept observations (see :func:`confidence_radius`)."""
        return confidence_radius(counts, num_arms=self.num_arms, horizon=self.horizon, delta=self.delta, scale=self.scale)

    def update(self, state: EliminationState, arm, loss) -> EliminationState:
        """Record ``loss`` (kept once the block is past its first ``M`` plays); at the end of a
        round over the active arms, eliminate every arm whose lower bound exceeds the best upper one."""
        keep = state.position >= self.warmup
        total = played(state.sums, arm) + jnp.where(keep, loss, 0.0)
        count = played(state.counts, arm) + jnp.where(keep, 1.0, 0.0)
        sums = set_played(state.sums, arm, total)  # only the played arm's statistics change
        counts = set_played(state.counts, arm, count)
        mean = set_played(state.means, arm, total / jnp.maximum(count, 1.0))
        rad = set_played(state.radii, arm, self.radius(count).astype(total.dtype))
        position = state.position + 1
        end_block = position >= self.block_length(state.phase)

        K = self.num_arms
        idx = arm_index(K, jnp.ndim(arm))
        later = jnp.min(jnp.where(state.active & (idx > arm), idx, K), axis=0)
        end_pass = end_block & (later >= K)

        best_upper = jnp.min(jnp.where(state.active, mean + rad, jnp.inf), axis=0)
        survivors = state.active & ~(mean - rad > best_upper)
        active = jnp.where(end_pass, survivors, state.active)
        first = jnp.min(jnp.where(active, idx, K), axis=0).astype(jnp.int32)
        next_arm = jnp.where(end_pass, first, later.astype(jnp.int32))
        return EliminationState(
            active=active,
            arm=jnp.where(end_block, next_arm, state.arm).astype(jnp.int32),
            position=jnp.where(end_block, 0, position).astype(jnp.int32),
            phase=(state.phase + end_pass).astype(jnp.int32),
            sums=sums,
            counts=counts,
            means=mean,
            radii=rad,
        )


def se_wtb(num_arms, horizon, warmup, *, block=1, delta=None, scale=0.5) -> SuccessiveElimination:
    """Successive elimination for weighted tallying bandits: doubling blocks, the first
    ``warmup = M`` losses of each block discarded. ``M`` must be an upper bound on the memory
    ``m`` (the simulation warns when it is not)."""
    return SuccessiveElimination(
        num_arms, horizon, warmup=check_integer(warmup, "warmup (M)", minimum=1), block=block,
        doubling=True, delta=delta, scale=scale,
    )


def successive_elimination(num_arms, horizon, *, delta=None, scale=0.5) -> SuccessiveElimination:
    """Plain successive elimination: one play per active arm per pass, nothing discarded."""
    return SuccessiveElimination(num_arms, horizon, warmup=0, block=1, doubling=False, delta=delta, scale=scale)


# ---------------------------------------------------------------------------------------------
# baselines


class MeanState(NamedTuple):
    counts: jax.Array  #: ``(K, *batch)`` plays
    means: jax.Array  #: ``(K, *batch)`` running mean loss, 0 for unplayed arms
    inv_sqrt_counts: jax.Array  #: ``(K, *batch)`` 1 / sqrt(counts), +inf for unplayed arms
    t: jax.Array  #: ``(*batch)`` rounds played


def _mean_init(num_arms, batch_shape, dtype) -> MeanState:
    batch = check_batch_shape(batch_shape)
    zeros = jnp.zeros((num_arms,) + batch, dtype)
    return MeanState(zeros, zeros, jnp.full((num_arms,) + batch, jnp.inf, dtype), jnp.zeros(batch, jnp.int32))


def _mean_update(state: MeanState, arm, loss) -> MeanState:
    """Only the played arm's statistics change: the running mean ``mu + (loss - mu) / n`` (no
    separate sum array: one read and one write fewer per round), one square root."""
    n = played(state.counts, arm) + 1.0
    mean = played(state.means, arm)
    return MeanState(
        counts=set_played(state.counts, arm, n),
        means=set_played(state.means, arm, mean + (loss - mean) / n),
        inv_sqrt_counts=set_played(state.inv_sqrt_counts, arm, jax.lax.rsqrt(n)),
        t=state.t + 1,
    )


class _Randomised(eqx.Module):
    """``select(state, key)`` for policies that consume ``num_uniforms`` uniforms per round."""

    def select(self, key, state):
        """One round of a single run, its uniforms drawn from ``key`` (batched kernels take
        pre-drawn uniforms through :meth:`select_with_noise`)."""
        dtype = jax.tree.leaves(self)[0].dtype
        return self.select_with_noise(state, jax.random.uniform(key, (self.num_uniforms,), dtype))


class UCB1(eqx.Module):
    """UCB1 on losses (Auer, Cesa-Bianchi & Fischer 2002): play each arm once, then
    ``argmin_a  mean_a - sqrt(c log t / n_a)`` with ``c = 2``."""

    num_arms: int = eqx.field(static=True)
    exploration: jax.Array

    num_uniforms = 0

    def __init__(self, num_arms, *, exploration=2.0):
        self.num_arms = _arms(num_arms)
        exploration = as_float_array(exploration, "exploration", ndim=0)
        check_positive(exploration, "exploration")
        self.exploration = exploration

    name = "UCB1"

    def init(self, batch_shape=()) -> MeanState:
        """No arm played yet."""
        return _mean_init(self.num_arms, batch_shape, self.exploration.dtype)

    def select_with_noise(self, state: MeanState, noise=None):
        """The arm of smallest lower confidence index (deterministic: ``noise`` is ignored)."""
        del noise
        # log(max(t, 2)) differs from log t only at t = 1, when every arm but the one played is
        # unplayed and comes first anyway; it keeps the bonus positive, so an unplayed arm's
        # 1/sqrt(n) = +inf gives it index -inf without a separate test
        t = jnp.maximum(state.t, 2).astype(state.means.dtype)
        bonus = jnp.sqrt(self.exploration * jnp.log(t))  # one scalar per round; 1/sqrt(n) is kept per arm
        return first_argmin(state.means - bonus * state.inv_sqrt_counts)

    def select(self, key, state: MeanState):
        """As :meth:`select_with_noise` (deterministic: ``key`` is ignored)."""
        del key
        return self.select_with_noise(state)

    update = staticmethod(_mean_update)


class EpsilonGreedy(_Randomised):
    """With probability ``epsilon`` a uniformly random arm, else the arm of smallest mean loss
    (unplayed arms first). Two uniforms per round: ``u_0 < epsilon`` explores, and the explored
    arm is ``floor(K u_1)``."""

    num_arms: int = eqx.field(static=True)
    epsilon: jax.Array

    num_uniforms = 2

    def __init__(self, num_arms, *, epsilon=0.1):
        self.num_arms = _arms(num_arms)
        epsilon = as_float_array(epsilon, "epsilon", ndim=0)
        check_in_range(epsilon, "epsilon", 0.0, 1.0)
        self.epsilon = epsilon

    name = "epsilon-greedy"

    def init(self, batch_shape=()) -> MeanState:
        """No arm played yet."""
        return _mean_init(self.num_arms, batch_shape, self.epsilon.dtype)

    def select_with_noise(self, state: MeanState, noise):
        """Explore when ``noise[0] < epsilon`` (arm ``floor(K noise[1])``), else the greedy arm."""
        greedy = first_argmin(jnp.where(state.counts > 0, state.means, -jnp.inf))
        uniform = jnp.minimum(jnp.floor(noise[1] * self.num_arms), self.num_arms - 1).astype(jnp.int32)
        return jnp.where(noise[0] < self.epsilon, uniform, greedy).astype(jnp.int32)

    update = staticmethod(_mean_update)


class EXP3State(NamedTuple):
    estimated_loss: jax.Array  #: ``(K, *batch)`` importance-weighted cumulative loss estimates


class EXP3(_Randomised):
    """EXP3 on losses (Auer et al. 2002, loss form): ``p_t = softmax(-eta * L_hat)``,
    ``L_hat_a += loss / p_a`` for the played arm; ``eta = sqrt(2 log K / (K T))`` by default.
    Assumes losses in [0, 1] (Bernoulli noise). The arm is drawn by inverting the cumulative
    distribution at one uniform per round."""

    num_arms: int = eqx.field(static=True)
    learning_rate: jax.Array

    num_uniforms = 1

    def __init__(self, num_arms, horizon, *, learning_rate=None):
        self.num_arms = _arms(num_arms)
        horizon = _horizon(horizon)
        if learning_rate is None:
            learning_rate = math.sqrt(2.0 * math.log(max(self.num_arms, 2)) / (self.num_arms * horizon))
        learning_rate = as_float_array(learning_rate, "learning_rate", ndim=0)
        check_positive(learning_rate, "learning_rate")
        self.learning_rate = learning_rate

    name = "EXP3"

    def init(self, batch_shape=()) -> EXP3State:
        """Zero loss estimates (uniform probabilities)."""
        return EXP3State(jnp.zeros((self.num_arms,) + check_batch_shape(batch_shape), self.learning_rate.dtype))

    def probabilities(self, state: EXP3State):
        """``(K, *batch)`` sampling probabilities."""
        shifted = state.estimated_loss - jnp.min(state.estimated_loss, axis=0)
        return jax.nn.softmax(-self.learning_rate * shifted, axis=0)

    def select_with_noise(self, state: EXP3State, noise):
        """Draw an arm by inverting the cumulative distribution at ``noise[0]``."""
        cdf = jnp.cumsum(self.probabilities(state), axis=0)
        below = jnp.sum(cdf <= noise[0] * cdf[-1], axis=0)  # the first arm whose cdf exceeds u
        return jnp.minimum(below, self.num_arms - 1).astype(jnp.int32)

    def update(self, state: EXP3State, arm, loss) -> EXP3State:
        """Add the importance-weighted loss ``loss / p_arm`` to the played arm's estimate."""
        p = played(self.probabilities(state), arm)
        return EXP3State(set_played(state.estimated_loss, arm, played(state.estimated_loss, arm) + loss / p))


class FixedSequence(eqx.Module):
    """Plays a given action sequence, cycling when the run is longer (evaluates any fixed
    sequence, e.g. a candidate optimum, through the same simulator)."""

    num_arms: int = eqx.field(static=True)
    actions: jax.Array

    num_uniforms = 0

    def __init__(self, num_arms, actions):
        self.num_arms = _arms(num_arms)
        actions = jnp.asarray(actions)
        if actions.ndim != 1 or actions.shape[0] < 1 or not jnp.issubdtype(actions.dtype, jnp.integer):
            raise ValueError(f"`actions` must be a non-empty 1-D integer array, got shape {tuple(actions.shape)} "
                             f"and dtype {actions.dtype}")
        if int(actions.min()) < 0 or int(actions.max()) >= self.num_arms:
            raise ValueError(f"`actions` must lie in [0, {self.num_arms - 1}], got range "
                             f"[{int(actions.min())}, {int(actions.max())}]")
        self.actions = actions.astype(jnp.int32)

    name = "fixed sequence"

    def init(self, batch_shape=()):
        """The state is the round counter."""
        return jnp.zeros(check_batch_shape(batch_shape), jnp.int32)

    def select_with_noise(self, state, noise=None):
        """The next action of the sequence (cycling)."""
        del noise
        return self.actions[state % self.actions.shape[0]]

    def select(self, key, state):
        """The next action of the sequence (``key`` is ignored)."""
        del key
        return self.select_with_noise(state)

    def update(self, state, arm, loss):
        """Advance the round counter."""
        return state + 1

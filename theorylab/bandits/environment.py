"""The weighted tallying bandit environment as a pure ``init`` / ``step`` kernel.

Model (Malik, Igoe, Li & Singh, ICML 2023, whose abstract only could be read, so the conventions
below are theorylab's documented choices; eqs. (B1)-(B2) of ``docs/theory/bandits.md``):

* ``K`` arms, memory ``m``, tally weights ``w_0, ..., w_{m-1} >= 0`` shared by all arms,
  ``W = sum_j w_j``;
* the weighted tally of arm ``a`` when it is played at time ``t`` counts the current play:
  ``tau_t(a) = sum_{j=0}^{m-1} w_j 1[a_{t-j} = a]``, and rounds before ``t = 1`` count as no play,
  so ``w_0 <= tau_t(a_t) <= W``;
* the mean loss is ``f_a(tau) = g_a(tau / W)`` (a :class:`~theorylab.bandits.losses.LossModel`),
  observed with Bernoulli noise (losses in {0, 1}, the default), Gaussian noise, or none.

The environment is an :class:`equinox.Module` (a pytree): ``env.init()`` returns an
:class:`EnvState` holding the last ``m - 1`` actions, ``env.step(key, state, arm)`` returns the new
state and a :class:`StepOutcome`. A whole run is one ``lax.scan`` (see
:func:`theorylab.bandits.simulate`), and ``vmap`` runs seeds or stacked instances in parallel.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from theorylab.bandits.losses import LossModel
from theorylab.validation import (
    as_float_array,
    check_batch_shape,
    check_choice,
    check_finite,
    check_key,
    check_positive,
    is_traced,
)

__all__ = ["TallyingBandit", "EnvState", "StepOutcome", "feasible_tallies"]

_NOISES = ("bernoulli", "gaussian", "none")


class EnvState(NamedTuple):
    """``history[i]`` is the action played ``i + 1`` rounds ago (``-1``: none yet), shape
    ``(m - 1, *batch)``; ``t`` rounds done (one count for the whole batch: rounds are synchronous)."""

    history: jax.Array
    t: jax.Array


class StepOutcome(NamedTuple):
    mean_loss: jax.Array  #: f_a(tau): what complete policy regret counts
    loss: jax.Array  #: the noisy observation the policy sees
    tally: jax.Array  #: tau_t(a_t), including the current play


def feasible_tallies(weights, *, max_count: int = 2**20) -> np.ndarray:
    """Every value the tally of the played arm can take: ``w_0 + sum_{j in S} w_j``, ``S`` any
    subset of ``{1, ..., m-1}`` (sorted, duplicates removed).

    Every subset is reachable (the other rounds of the window went to other arms, or predate
    ``t = 1``), so this is the exact feasible set once ``K >= 2``. Raises ``ValueError`` when
    ``2^(m-1) > max_count``.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size < 1:
        raise ValueError(f"`weights` must be a non-empty 1-D array, got shape {w.shape}")
    if 2.0 ** (w.size - 1) > max_count:
        raise ValueError(
            f"the tally takes up to 2^(m-1) = 2^{w.size - 1} values for memory m = {w.size}, more than "
            f"max_count = {max_count}; raise max_count or use a loss model whose extremes are known"
        )
    sums = np.array([w[0]])
    for wj in w[1:]:
        sums = np.concatenate([sums, sums + wj])
    return np.unique(sums)


class TallyingBandit(eqx.Module):
    """A weighted tallying bandit: weights ``w`` (memory ``m = len(w)``), a loss model, a noise model.

    Parameters
    ----------
    weights:
        ``(m,)`` non-negative tally weights, not all zero; ``weights[0]`` weighs the current play.
        Weights that increase with the lag are allowed (whether the paper requires them to
        decrease is unknown) but draw a warning.
    loss:
        A :class:`~theorylab.bandits.losses.LossModel` giving ``g_a(tau / W)``.
    noise:
        ``"bernoulli"`` (observed loss ~ Bernoulli(f), mean losses must lie in [0, 1]),
        ``"gaussian"`` (f + noise_scale * N(0, 1)) or ``"none"``.
    noise_scale:
        Standard deviation of the Gaussian noise (ignored otherwise).
    """

    weights: jax.Array
    loss: LossModel
    noise_scale: jax.Array
    noise: str = eqx.field(static=True)

    def __init__(self, weights, loss: LossModel, *, noise: str = "bernoulli", noise_scale=0.5):
        w = as_float_array(weights, "weights", ndim=1)
        if w.shape[0] < 1:
            raise ValueError("`weights` must hold at least one tally weight (memory m >= 1), got an empty array")
        check_finite(w, "weights")
        check_positive(w, "weights", strict=False)
        if not is_traced(w):
            if not np.any(np.asarray(w) > 0):
                raise ValueError("`weights` must not all be zero: the tally would carry no information")
            if np.any(np.diff(np.asarray(w)) > 0):
                warnings.warn(
                    "`weights` increase with the lag somewhere; this is allowed, but whether the WTB "
                    "paper requires non-increasing weights is unknown",
                    UserWarning,
                    stacklevel=2,
                )
        if not isinstance(loss, LossModel):
            raise TypeError(
                f"`loss` must be a theorylab.bandits LossModel (LinearLoss, ThresholdLoss, TabulatedLoss, "
                f"CallableLoss), got {type(loss).__name__}"
            )
        self.noise = check_choice(noise, "noise", _NOISES)
        scale = as_float_array(noise_scale, "noise_scale", ndim=0)
        check_positive(scale, "noise_scale")
        self.weights = w
        self.loss = loss
        self.noise_scale = scale
        if not is_traced(w):
            self._check_loss_range()

    # ------------------------------------------------------------------ sizes
    @property
    def memory(self) -> int:
        return int(self.weights.shape[-1])

    @property
    def num_arms(self) -> int:
        return self.loss.num_arms

    @property
    def total_weight(self):
        """``W = sum_j w_j``, the tally of an arm played in each of the last ``m`` rounds."""
        return jnp.sum(self.weights, axis=-1)

    # ------------------------------------------------------------------ the model
    def mean_loss(self, arm, tally):
        """``f_a(tau) = g_a(tau / W)``."""
        return self.loss(arm, tally / self.total_weight)

    def tally(self, history, arm):
        """Tally of ``arm`` if it is played now, given the last ``m - 1`` actions ``history``
        (``(m - 1, *batch)`` with a batch-shaped ``arm``; lists are accepted)."""
        history = jnp.asarray(history)
        arm = jnp.asarray(arm)
        lags = self.weights[1:].reshape((-1,) + (1,) * jnp.ndim(arm))
        return self.weights[0] + jnp.sum(jnp.where(history == arm, lags, 0.0), axis=0)

    def loss_table(self, tallies):
        """``(K, n)`` mean losses ``f_a(tau)`` of every arm at each of the ``n`` given tallies."""
        return self.mean_loss(jnp.arange(self.num_arms)[:, None], jnp.asarray(tallies)[None, :])

    def all_tallies(self, history):
        """``(K,)`` tallies each arm would have if played now."""
        arms = jnp.arange(self.num_arms)
        return self.weights[0] + (history[:, None] == arms[None, :]).astype(self.weights.dtype).T @ self.weights[1:]

    def init(self, batch_shape=()) -> EnvState:
        """No play yet; ``batch_shape`` runs that many independent copies in one state (the arms
        and lags on axis 0, the batch after, as in :mod:`theorylab.bandits.policies`)."""
        batch = check_batch_shape(batch_shape)
        return EnvState(history=-jnp.ones((self.memory - 1,) + batch, dtype=jnp.int32), t=jnp.zeros((), jnp.int32))

    def step(self, key, state: EnvState, arm) -> tuple[EnvState, StepOutcome]:
        """Play ``arm``: its tally, mean loss and noisy loss; the history shifts by one."""
        return self.step_with_noise(state, arm, self.draw_noise(key))

    def draw_noise(self, key, shape=()):
        """Standard draws that :meth:`step_with_noise` turns into observation noise: uniforms on
        [0, 1) for Bernoulli losses, standard normals for Gaussian ones (zeros for ``"none"``).
        Drawing a block of them at once is much cheaper than one key per round."""
        key = check_key(key)
        dtype = self.weights.dtype
        if self.noise == "bernoulli":
            return jax.random.uniform(key, shape, dtype)
        if self.noise == "gaussian":
            return jax.random.normal(key, shape, dtype)
        return jnp.zeros(shape, dtype)

    def step_with_noise(self, state: EnvState, arm, noise) -> tuple[EnvState, StepOutcome]:
        """:meth:`step` with a pre-drawn standard ``noise`` (see :meth:`draw_noise`): the Bernoulli
        loss is ``1[u < f]``, the Gaussian one ``f + noise_scale * z``."""
        arm = jnp.asarray(arm, jnp.int32)
        tau = self.tally(state.history, arm)
        mean = self.mean_loss(arm, tau)
        if self.noise == "bernoulli":
            observed = (noise < mean).astype(mean.dtype)
        elif self.noise == "gaussian":
            observed = mean + self.noise_scale * noise
        else:
            observed = mean
        history = jnp.concatenate([arm[None], state.history[:-1]], axis=0) if self.memory > 1 else state.history
        return EnvState(history, state.t + 1), StepOutcome(mean, observed, tau)

    # ------------------------------------------------------------------ checks
    def _check_loss_range(self) -> None:
        """Mean losses must be finite, and in [0, 1] under Bernoulli noise (checked on every
        feasible tally when ``m <= 17``, else on a grid of 4097 exposures)."""
        w = np.asarray(self.weights)
        if w.size - 1 <= 16:
            taus = feasible_tallies(w)
            where = "at a feasible tally"
        else:
            taus = np.linspace(w[0], w.sum(), 4097)
            where = "on the exposure grid"
        values = np.asarray(self.loss_table(taus))
        if not np.all(np.isfinite(values)):
            raise ValueError(f"`loss` returns a non-finite mean loss {where}")
        if self.noise == "bernoulli" and (values.min() < 0.0 or values.max() > 1.0):
            arm, bad = np.unravel_index(np.argmax((values < 0) | (values > 1)), values.shape)
            raise ValueError(
                f"`loss` must return mean losses in [0, 1] under Bernoulli noise; arm {int(arm)} has "
                f"f(tau = {float(taus[bad]):.6g}) = {float(values[arm, bad]):.6g} "
                f"(range over feasible tallies: [{values.min():.6g}, {values.max():.6g}]); use noise='gaussian' "
                f"for unbounded losses"
            )

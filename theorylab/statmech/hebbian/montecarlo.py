r"""Monte Carlo of the dense Hebbian network without the P-body tensor.

For Hebbian couplings the energy is a function of per-pattern *power sums*
:math:`p_k^\mu = \sum_i (\tilde\eta^\mu_i\sigma_i)^k` ((H11) of ``docs/theory/hebbian.md``):

* ``"all"`` (all index tuples): :math:`E = -\kappa N^{1-P}\sum_\mu (p_1^\mu)^P = -\kappa N\sum_\mu n_\mu^P`;
* ``"distinct"``: :math:`E = -\kappa N^{1-P} P!\sum_\mu e_P(x^\mu)`, with the elementary symmetric
  polynomial :math:`e_P` from Newton's identities :math:`k e_k = \sum_{j=1}^k (-1)^{j-1} e_{k-j} p_j`.

Even power sums do not depend on :math:`\sigma`; flipping spin ``i`` changes each odd one by
:math:`-2(\tilde\eta^\mu_i)^k\sigma_i`. A proposed flip therefore costs :math:`O(KP)` instead of the
:math:`O(N^{P-1}K)` of a tensor field, and no :math:`N^P` tensor is ever stored.

:func:`glauber` runs heat-bath (Glauber) single-spin updates, one random permutation of the sites
per sweep, ``jit``-compiled over sweeps (``lax.scan``) and ``vmap``-able over chains; ``beta = inf``
gives zero-temperature dynamics (ties flip with probability 1/2). Data come from
:func:`sample_dataset`, which draws the example sums from a NumPyro ``Binomial``.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.numerics.solution import maybe_throw
from theorylab.statmech.hebbian.model import (
    DatasetParams,
    DenseHebbian,
    SiteLaw,
    check_model_and_data,
)
from theorylab.statmech.hebbian.rs import RSState, solve_state
from theorylab.validation import (
    as_float_array,
    check_integer,
    check_key,
    check_positive,
    check_spins,
    is_traced,
)

__all__ = [
    "HebbianDataset",
    "GlauberTrace",
    "sample_dataset",
    "sample_examples",
    "power_sums",
    "energy",
    "flip_costs",
    "glauber",
    "mean_field_sample",
    "field_noise_variance",
]


class HebbianDataset(NamedTuple):
    """Archetypes :math:`\\xi` ``(K, N)`` and normalised class means :math:`\\tilde\\eta = \\bar\\eta/\\sqrt{\\mathcal R}` ``(K, N)``."""

    archetypes: jnp.ndarray
    patterns: jnp.ndarray


def _check_data(data):
    if not isinstance(data, DatasetParams):
        raise TypeError(f"`data` must be a DatasetParams, got {type(data).__name__}")
    if not math.isinf(data.M) and float(data.M) != int(data.M):
        raise ValueError(f"sampling needs an integer number of examples `M`, got {data.M!r}")


def sample_dataset(key, N: int, K: int, data: DatasetParams) -> HebbianDataset:
    r"""Draw ``K`` Rademacher archetypes of ``N`` spins and their supervised class means.

    :math:`\bar\chi = (2B - M)/M` with :math:`B \sim \mathrm{Binomial}(M, (1+r)/2)` per site (the
    exact law of the mean of ``M`` examples); ``M = inf`` gives the archetypes themselves.
    """
    key = check_key(key)
    _check_data(data)
    N = check_integer(N, "N", minimum=1)
    K = check_integer(K, "K", minimum=1)
    k_xi, k_chi = jax.random.split(key)
    xi = jax.random.rademacher(k_xi, (K, N)).astype(float)
    if math.isinf(data.M):
        return HebbianDataset(xi, xi)
    M = int(data.M)
    B = jax.random.binomial(k_chi, M, (1.0 + data.r) / 2.0, shape=(K, N))
    chi_bar = (2.0 * B - M) / M
    return HebbianDataset(xi, xi * chi_bar / math.sqrt(data.second_moment))


def sample_examples(key, archetypes, r: float, M: int):
    r"""The ``M`` noisy examples per archetype, :math:`\eta^{\mu,a}_i = \xi^\mu_i\chi^{\mu,a}_i`, shape ``(K, M, N)``."""
    key = check_key(key)
    archetypes = as_float_array(archetypes, "archetypes", ndim=2)
    check_spins(archetypes, "archetypes")
    M = check_integer(M, "M", minimum=1)
    K, N = archetypes.shape
    chi = jnp.where(jax.random.uniform(key, (K, M, N)) < (1.0 + r) / 2.0, 1.0, -1.0)
    return archetypes[:, None, :] * chi


def _check_patterns(patterns, model, N=None):
    patterns = as_float_array(patterns, "patterns", ndim=2)
    if N is not None and patterns.shape[1] != N:
        raise ValueError(f"`patterns` must have shape (K, N) = (K, {N}), got {tuple(patterns.shape)}")
    if model.convention == "distinct" and patterns.shape[1] < model.P:
        raise ValueError(
            f"the distinct-index convention needs N >= P = {model.P} spins, got N = {patterns.shape[1]}"
        )
    return patterns


def power_sums(sigma, patterns, P: int):
    r""":math:`p_k^\mu = \sum_i (\tilde\eta^\mu_i\sigma_i)^k` for ``k = 1..P``, shape ``(P, K)``."""
    x = patterns * sigma[None, :]
    return jnp.stack([jnp.sum(x**k, axis=1) for k in range(1, P + 1)])


def _elementary(p, P):
    """e_P from power sums p[0..P-1] (Newton's identities)."""
    e = [jnp.ones_like(p[0])]
    for k in range(1, P + 1):
        acc = sum((-1) ** (j - 1) * e[k - j] * p[j - 1] for j in range(1, k + 1))
        e.append(acc / k)
    return e[P]


def _energy_from_sums(p, N, model: DenseHebbian):
    P, kappa = model.P, model.scale
    if model.convention == "all":
        return -kappa * N ** (1 - P) * jnp.sum(p[0] ** P, axis=-1)
    return -kappa * N ** (1 - P) * math.factorial(P) * jnp.sum(_elementary(p, P), axis=-1)


def energy(sigma, patterns, model: DenseHebbian):
    """Energy :math:`H(\\sigma)` of the dense Hebbian network (see the module docstring)."""
    patterns = _check_patterns(patterns, model)
    sigma = as_float_array(sigma, "sigma", ndim=1)
    check_spins(sigma, "sigma")
    return _energy_from_sums(power_sums(sigma, patterns, model.P), patterns.shape[1], model)


def _odd_mask(P):
    return jnp.asarray([(k % 2) for k in range(1, P + 1)], dtype=float)


def _flip_delta(p, col, s_i, N, model):
    """Energy change and new power sums if the spin with pattern column ``col`` and value ``s_i`` flips."""
    ks = jnp.arange(1, model.P + 1, dtype=float)
    dp = -2.0 * s_i * _odd_mask(model.P)[:, None] * col[None, :] ** ks[:, None]
    p_new = p + dp
    return _energy_from_sums(p_new, N, model) - _energy_from_sums(p, N, model), p_new


def _flip_costs_from_sums(p, patterns, sigma, N, model):
    """Flip cost of every spin given the power sums ``p`` of ``patterns`` at ``sigma``."""
    return jax.vmap(lambda col, s: _flip_delta(p, col, s, N, model)[0], in_axes=(1, 0))(patterns, sigma)


def flip_costs(sigma, patterns, model: DenseHebbian):
    """:math:`\\Delta E_i = H(\\sigma^{(i)}) - H(\\sigma)` for flipping each spin ``i`` (vector of length ``N``)."""
    patterns = _check_patterns(patterns, model)
    sigma = as_float_array(sigma, "sigma", ndim=1)
    check_spins(sigma, "sigma")
    return _flip_costs_from_sums(power_sums(sigma, patterns, model.P), patterns, sigma, patterns.shape[1], model)


class GlauberTrace(NamedTuple):
    """Final spins and per-sweep traces: overlap ``m`` with the reference, ``n`` with ``patterns[0]``, energy."""

    sigma: jnp.ndarray
    m: jnp.ndarray
    n: jnp.ndarray
    energy: jnp.ndarray


def glauber(key, sigma0, patterns, beta, n_sweeps: int, model: DenseHebbian, *, reference=None) -> GlauberTrace:
    r"""Heat-bath dynamics: each proposed flip is accepted with probability :math:`1/(1 + e^{\beta\Delta E})`.

    Parameters
    ----------
    key:
        PRNG key (one chain; ``vmap`` over keys for several).
    sigma0:
        Initial spins ``(N,)`` in ``{-1, +1}``.
    patterns:
        ``(K, N)`` normalised class means (:attr:`HebbianDataset.patterns`).
    beta:
        Inverse temperature ``> 0``; ``inf`` for zero-temperature dynamics.
    n_sweeps:
        Number of sweeps (static: one random permutation of the ``N`` sites each).
    reference:
        Spins ``(N,)`` whose overlap is traced as ``m`` (default: the sign of ``patterns[0]``).
    """
    key = check_key(key)
    check_model_and_data(model)
    patterns = _check_patterns(patterns, model)
    N = patterns.shape[1]
    sigma0 = as_float_array(sigma0, "sigma0", ndim=1)
    if sigma0.shape != (N,):
        raise ValueError(f"`sigma0` must have shape ({N},) to match `patterns`, got {tuple(sigma0.shape)}")
    check_spins(sigma0, "sigma0")
    beta = as_float_array(beta, "beta", ndim=0)
    if not is_traced(beta):
        check_positive(beta, "beta", allow_inf=True)
    n_sweeps = check_integer(n_sweeps, "n_sweeps", minimum=1)
    reference = jnp.sign(patterns[0]) if reference is None else as_float_array(reference, "reference", ndim=1)
    return _glauber(key, sigma0, patterns, beta, reference, n_sweeps, model)


@functools.partial(jax.jit, static_argnums=(5, 6))
def _glauber(key, sigma0, patterns, beta, reference, n_sweeps, model):
    N = patterns.shape[1]
    zero_t = jnp.isinf(beta)
    beta_f = jnp.where(zero_t, 1.0, beta)

    def flip(carry, inp):
        sigma, p = carry
        i, u = inp
        dE, p_new = _flip_delta(p, patterns[:, i], sigma[i], N, model)
        prob = jnp.where(zero_t, jnp.where(dE < 0, 1.0, jnp.where(dE == 0, 0.5, 0.0)), jax.nn.sigmoid(-beta_f * dE))
        accept = u < prob
        sigma = sigma.at[i].set(jnp.where(accept, -sigma[i], sigma[i]))
        return (sigma, jnp.where(accept, p_new, p)), None

    def sweep(carry, k):
        k_perm, k_u = jax.random.split(k)
        order = jax.random.permutation(k_perm, N)
        carry, _ = jax.lax.scan(flip, carry, (order, jax.random.uniform(k_u, (N,))))
        sigma, p = carry
        return carry, (reference @ sigma / N, patterns[0] @ sigma / N, _energy_from_sums(p, N, model))

    p0 = power_sums(sigma0, patterns, model.P)
    (sigma, _), (m, n, e) = jax.lax.scan(sweep, (sigma0, p0), jax.random.split(key, n_sweeps))
    return GlauberTrace(sigma, m, n, e)


def mean_field_sample(site_values, beta, model: DenseHebbian, *, init=None, throw: bool = False) -> RSState:
    r"""Same-sample mean-field fixed point at zero load: :math:`n = N^{-1}\sum_i y_i\tanh(bPn^{P-1}y_i)`.

    ``site_values`` are one sample's :math:`y_i = \tilde\eta^1_i\xi^1_i`. This is first-order Plefka
    (naive mean field), exact as :math:`N\to\infty` at finite ``K``; MC of the same sample should
    agree with it up to :math:`O(N^{-1/2})` fluctuations. ``throw=True`` raises when the solve failed.
    """
    y = as_float_array(site_values, "site_values", ndim=1)
    law = SiteLaw(y, jnp.full(y.shape, 1.0 / y.shape[0]), jnp.mean(y), jnp.std(y))
    beta = as_float_array(beta, "beta", ndim=0)
    check_positive(beta, "beta")
    if init is None:
        init = (1.0, 1.0, 0.0) if model.P == 2 else (1.0, 1.0)
    x0 = as_float_array(init, "init", ndim=1)
    out = solve_state(model, law, 0.0, beta, x0, warmup=200, order=32)
    return maybe_throw(out, throw, "mean_field_sample", field="n")


def field_noise_variance(key, N: int, K: int, model: DenseHebbian, *, samples: int = 30):
    r"""Variance of the pattern-noise part of the flip cost at :math:`\sigma = \xi^1`, divided by :math:`\alpha P^2`.

    With :math:`\Delta E_i/(2\kappa)` split into the signal of pattern 1 and the rest, the rest has
    variance :math:`\to \alpha P^2\nu` (:math:`\nu = (P-1)!` distinct, :math:`(2P-3)!!` all) as
    :math:`N\to\infty`, with :math:`\alpha = K/N^{P-1}`. Returns (mean, standard error) over ``samples``
    independent Rademacher pattern sets.
    """
    key = check_key(key)
    N = check_integer(N, "N", minimum=model.P)
    K = check_integer(K, "K", minimum=2)
    samples = check_integer(samples, "samples", minimum=2)
    alpha = K / N ** (model.P - 1)

    def one(k):
        xi = jax.random.rademacher(k, (K, N)).astype(float)
        sigma = xi[0]
        p = power_sums(sigma, xi, model.P)
        full = _flip_costs_from_sums(p, xi, sigma, N, model)
        signal = _flip_costs_from_sums(p[:, :1], xi[:1], sigma, N, model)
        noise = (full - signal) / (2.0 * model.scale)
        return jnp.var(noise) / (alpha * model.P**2)

    v = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(key, samples)))
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(samples))

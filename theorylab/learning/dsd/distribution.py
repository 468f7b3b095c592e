"""The Dynamic Signal Distribution (DSD) and its closed-form quantities.

DSD (Lahoti, Karp, Winston, Singh & Li, ICLR 2024; reconstructed from the reviews, see
``docs/conventions``): an input has ``k`` patches of dimension ``d``, ``x in R^{k x d}``;

* ``y ~ Unif{-1, +1}``, the signal patch ``i* ~ Unif{0, ..., k-1}``;
* ``x = y mu_{i*} + sigma xi``, ``mu_i`` = the unit vector ``w*`` placed in patch ``i``,
  ``xi ~ N(0, I_{kd})`` (``noise="all"``, the default), or the signal patch replaced by exactly
  ``y w*`` with noise in the other patches only (``noise="background"``, the precursor code's
  choice).

Closed forms (``proofs_checks/dsd.py`` derives them with sympy):

* ``E[x] = 0``, each patch of ``E[y x]`` is ``w*/k``, ``E[x x^T] = (1/k) sum_i mu_i mu_i^T +
  sigma^2 I`` (``"all"``; ``"background"``: ``sigma^2 (1 - 1/k) I``);
* the linear classifier along ``sum_i mu_i`` errs with probability ``Phi(-1 / (sigma sqrt(k)))``
  (``"background"``: ``sqrt(k - 1)``), :func:`linear_floor`;
* the LSA network with every filter equal to ``w*`` and threshold ``b`` (the oracle of all three
  architectures) depends only on the 1-D projections ``<x_i, w*>``, so its error does not depend
  on ``d``; :func:`oracle_error` computes it by convolving the per-patch laws on a fine grid (no
  sampling, accurate to about 1e-8), :func:`bayes_error` the Bayes risk by a Rao-Blackwellised
  Monte Carlo.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as npd
from numpyro.distributions import constraints
from scipy import special

from theorylab.numerics.estimate import Estimate
from theorylab.validation import (
    as_float_array,
    check_choice,
    check_finite,
    check_integer,
    check_key,
    check_positive,
    float_dtype,
    is_traced,
)

__all__ = [
    "DSD",
    "DSDSample",
    "NOISE_PLACEMENTS",
    "lsa",
    "moments",
    "linear_floor",
    "oracle_error",
    "unit_error",
    "bayes_error",
    "Moments",
]

NOISE_PLACEMENTS = ("all", "background")


def lsa(u, b):
    """The local-signal-adaptivity activation ``phi_b(u) = relu(u - b) - relu(-u - b)``: odd,
    1-Lipschitz, zero on ``[-b, b]`` (Karp et al. 2021); ``b >= 0`` (checked when concrete)."""
    if not is_traced(b):
        check_finite(as_float_array(b, "b"), "b")
        check_positive(b, "b", strict=False)
    return jax.nn.relu(u - b) - jax.nn.relu(-u - b)


class DSDSample(NamedTuple):
    x: jax.Array  #: (n, k, d) inputs
    y: jax.Array  #: (n,) labels in {-1, +1}
    position: jax.Array  #: (n,) index of the signal patch


class DSD(npd.Distribution):
    """The Dynamic Signal Distribution as a NumPyro distribution over ``x in R^{k x d}``.

    ``sample(key, shape)`` returns inputs only (the marginal, a mixture of ``2k`` Gaussians);
    :meth:`sample_labeled` returns inputs, labels and signal positions. ``log_prob`` is the
    mixture density (``noise="all"``; the ``"background"`` law is singular and has none).

    Parameters
    ----------
    k, d:
        Number of patches and patch dimension (integers >= 1).
    sigma:
        Noise standard deviation (>= 0). ``sigma sqrt(k) > 1`` draws a warning from the
        sample-complexity tools: the theory assumes ``sigma = O(1/sqrt(k))``.
    w_star:
        The unit signal direction in ``R^d``; default ``e_1``. Any unit vector is equivalent for
        the orthogonally equivariant learners. A vector whose norm is not 1 is an error unless
        ``normalize=True``.
    noise:
        ``"all"`` (noise in every patch, the default) or ``"background"`` (the signal patch is
        exactly ``y w*``).
    dtype:
        Floating dtype of samples: ``None`` (default) is float64, the package's float policy;
        ``jnp.float32`` is enough for the learners and about twice as fast (the claims use it).
    """

    arg_constraints = {"sigma": constraints.nonnegative}
    support = constraints.real_vector
    reparametrized_params = []

    def __init__(self, k, d, sigma, w_star=None, *, noise: str = "all", normalize: bool = False,
                 dtype=None, validate_args=None):
        self.k = check_integer(k, "k", minimum=1)
        self.d = check_integer(d, "d", minimum=1)
        sigma = as_float_array(sigma, "sigma", ndim=0)
        check_finite(sigma, "sigma")
        check_positive(sigma, "sigma", strict=False)
        self.sigma = sigma
        self.noise = check_choice(noise, "noise", NOISE_PLACEMENTS)
        self.dtype = float_dtype(dtype)
        if w_star is None:
            w = jnp.zeros(self.d).at[0].set(1.0)
        else:
            w = as_float_array(w_star, "w_star", ndim=1)
            if w.shape[0] != self.d:
                raise ValueError(f"`w_star` must have shape ({self.d},) (the patch dimension d), got {tuple(w.shape)}")
            check_finite(w, "w_star")
            if not is_traced(w):
                norm = float(jnp.linalg.norm(w))
                if norm == 0.0:
                    raise ValueError("`w_star` must not be the zero vector: it is the signal direction")
                if abs(norm - 1.0) > 1e-6:
                    if not normalize:
                        raise ValueError(f"`w_star` must be a unit vector, got norm {norm:.6g}; pass "
                                         f"normalize=True to rescale it")
                    w = w / norm
        self.w_star = w
        super().__init__(batch_shape=(), event_shape=(self.k, self.d), validate_args=validate_args)

    # ------------------------------------------------------------------ sampling
    def sample_labeled(self, key, n: int) -> DSDSample:
        """``n`` labelled draws ``(x, y, position)``."""
        key = check_key(key)
        n = check_integer(n, "n", minimum=1)
        k_y, k_pos, k_noise = jax.random.split(key, 3)
        y = jax.random.rademacher(k_y, (n,), dtype=self.dtype)
        pos = jax.random.randint(k_pos, (n,), 0, self.k)
        noise = self.sigma.astype(self.dtype) * jax.random.normal(k_noise, (n, self.k, self.d), self.dtype)
        signal_patch = jnp.arange(self.k)[None, :] == pos[:, None]  # (n, k)
        if self.noise == "background":
            noise = jnp.where(signal_patch[:, :, None], 0.0, noise)
        signal = (y[:, None] * signal_patch.astype(self.dtype))[:, :, None] * self.w_star.astype(self.dtype)
        return DSDSample(signal + noise, y, pos)

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape)
        n = int(np.prod(shape)) if shape else 1
        x = self.sample_labeled(key, n).x
        return x.reshape(shape + (self.k, self.d))

    def log_prob(self, value):
        """``log p(x) = log (1/2k) sum_{y, i} N(x; y mu_i, sigma^2 I)`` (``noise="all"``, sigma > 0)."""
        if self.noise != "all":
            raise NotImplementedError("the noise='background' law is singular (the signal patch carries no noise): "
                                      "it has no density")
        if not is_traced(self.sigma) and float(self.sigma) == 0.0:
            raise ValueError("`sigma` = 0: the noise-free DSD is a law on 2k points and has no density; log_prob "
                             "needs sigma > 0")
        value = jnp.asarray(value)
        s2 = self.sigma**2
        proj = jnp.einsum("...kd,d->...k", value, self.w_star.astype(value.dtype))  # <x_i, w*>
        sq = jnp.sum(value**2, axis=(-2, -1))
        # ||x - y mu_i||^2 = ||x||^2 - 2 y <x_i, w*> + 1
        terms = jnp.concatenate([proj, -proj], axis=-1) / s2
        return (jax.nn.logsumexp(terms, axis=-1) - jnp.log(2.0 * self.k) - (sq + 1.0) / (2 * s2)
                - 0.5 * self.k * self.d * jnp.log(2 * jnp.pi * s2))

    def posterior_log_odds(self, x):
        """``log p(y=+1 | x) - log p(y=-1 | x) = LSE_i(<x_i, w*>/s^2) - LSE_i(-<x_i, w*>/s^2)``
        (``noise="all"``): the Bayes classifier is its sign."""
        proj = jnp.einsum("...kd,d->...k", jnp.asarray(x), self.w_star.astype(jnp.asarray(x).dtype)) / self.sigma**2
        return jax.nn.logsumexp(proj, axis=-1) - jax.nn.logsumexp(-proj, axis=-1)

    @property
    def mean(self):
        return jnp.zeros((self.k, self.d))


# ---------------------------------------------------------------------------------------------
# closed forms


class Moments(NamedTuple):
    mean: np.ndarray  #: (k d,) E[x]
    label_correlation: np.ndarray  #: (k d,) E[y x]
    second_moment: np.ndarray  #: (k d, k d) E[x x^T]


def moments(dist: DSD) -> Moments:
    """Exact first and second moments of the flattened input ``x in R^{kd}`` (patch-major)."""
    k, d = dist.k, dist.d
    w = np.asarray(dist.w_star, dtype=float)
    mus = np.zeros((k, k * d))
    for i in range(k):
        mus[i, i * d:(i + 1) * d] = w
    s2 = float(dist.sigma) ** 2
    noise_var = s2 if dist.noise == "all" else s2 * (1.0 - 1.0 / k)
    return Moments(np.zeros(k * d), mus.sum(0) / k, mus.T @ mus / k + noise_var * np.eye(k * d))


def _noise_scale_of_sum(dist: DSD) -> float:
    """Standard deviation of the noise in ``<x, sum_i mu_i>``."""
    k = dist.k if dist.noise == "all" else dist.k - 1
    return float(dist.sigma) * np.sqrt(k)


def linear_floor(dist: DSD) -> float:
    """Error of the linear classifier ``sign(<x, sum_i mu_i>)``: ``<x, sum_i mu_i> = y + noise``
    with noise sd ``sigma sqrt(k)`` (``"background"``: ``sigma sqrt(k - 1)``), so the error is
    ``Phi(-1 / (sigma sqrt k))`` (0 without noise)."""
    s = _noise_scale_of_sum(dist)
    return 0.0 if s == 0.0 else float(special.ndtr(-1.0 / s))


def _lsa_law(mean: float, sd: float, b: float, h: float, half: int):
    """Probability masses of ``phi_b(u)``, ``u ~ N(mean, sd^2)``, on the grid ``j h``,
    ``|j| <= half`` (each continuous part binned exactly by normal-CDF differences), and the atom
    of ``phi_b(u)`` at exactly 0, ``P(|u| <= b)``, which is included in the mass at ``j = 0``."""
    j = np.arange(-half, half + 1)
    lo, hi = (j - 0.5) * h, (j + 0.5) * h
    # phi = u - b for u > b (phi > 0), phi = u + b for u < -b (phi < 0)
    pos = special.ndtr((np.maximum(hi, 0.0) + b - mean) / sd) - special.ndtr((np.maximum(lo, 0.0) + b - mean) / sd)
    neg = special.ndtr((np.minimum(hi, 0.0) - b - mean) / sd) - special.ndtr((np.minimum(lo, 0.0) - b - mean) / sd)
    atom = special.ndtr((b - mean) / sd) - special.ndtr((-b - mean) / sd)
    pmf = pos + neg
    pmf[half] += atom
    return pmf, atom


def unit_error(alignments, noise_sds, b: float, *, h: float = 4e-4) -> float:
    """``P(sum_j phi_b(u_j) <= 0)`` for independent ``u_j ~ N(a_j, s_j^2)`` (ties count as errors):
    the error, given ``y = +1``, of a sum of LSA units whose pre-activations are independent.

    The per-unit laws are binned exactly on a grid of spacing ``h`` (normal-CDF differences) and
    convolved by FFT in float64; the atom of the sum at exactly 0 (every unit in its dead zone) is
    tracked separately. Binning a density that jumps at 0 biases the result by ``O(h)``, so the
    value is Richardson-extrapolated from grids ``h`` and ``h/2``: about 1e-8 at the default
    (measured against ``h`` down to 5e-5). A unit with ``s_j = 0`` is the constant ``phi_b(a_j)``.
    """
    a = np.atleast_1d(np.asarray(alignments, dtype=float))
    s = np.broadcast_to(np.asarray(noise_sds, dtype=float), a.shape)
    b = float(b)
    constant = float(sum(lsa(float(ai), b) for ai, si in zip(a, s) if si == 0.0))
    random = [(ai, si) for ai, si in zip(a, s) if si > 0.0]
    if not random:
        return 1.0 if constant <= 0.0 else 0.0
    if constant != 0.0:  # put -constant on the grid
        h = abs(constant) / max(1, round(abs(constant) / h))
    coarse = _unit_error_on_grid(random, constant, b, h)
    fine = _unit_error_on_grid(random, constant, b, h / 2)
    return float(min(1.0, max(0.0, 2.0 * fine - coarse)))


MAX_GRID_POINTS = 2**24  #: largest FFT grid of unit_error (its memory: a few hundred MiB)


def _unit_error_on_grid(random, constant: float, b: float, h: float) -> float:
    reach = [max(abs(ai - b), abs(ai + b)) + 9.0 * si for ai, si in random]
    with np.errstate(over="ignore"):
        points = len(random) * (2 * max(reach) / h + 1)
    if not np.isfinite(points) or points > MAX_GRID_POINTS:
        raise ValueError(f"the exact error would need a grid of {points:.3g} points (> {MAX_GRID_POINTS}): the threshold "
                         f"`b` = {b!r} or the noise is too large for the spacing `h` = {2 * h!r}; use a larger `h`")
    half = int(np.ceil(max(reach) / h)) + 1
    size = 1 << int(np.ceil(np.log2(len(random) * (2 * half + 1))))
    spectrum = np.ones(size // 2 + 1, dtype=complex)
    atom_all = 1.0
    for ai, si in random:
        pmf, atom = _lsa_law(ai, si, b, h, half)
        spectrum *= np.fft.rfft(pmf, size)
        atom_all *= atom
    total = np.fft.irfft(spectrum, size)[: len(random) * 2 * half + 1]
    zero = len(random) * half  # index of the value 0 of the sum of the random units
    threshold = zero - int(round(constant / h))  # an error iff sum <= -constant
    below = float(np.sum(total[:max(threshold, 0)]))
    at = float(total[threshold]) if 0 <= threshold < total.size else 0.0
    if constant == 0.0:  # the atom at exactly 0 is an error (a tie); split the continuous rest evenly
        return below + 0.5 * (at - atom_all) + atom_all
    return below + 0.5 * at


def _threshold(b) -> float:
    arr = as_float_array(b, "b", ndim=0)
    check_finite(arr, "b")
    check_positive(arr, "b", strict=False)
    return float(arr)


def oracle_error(dist: DSD, b: float, *, h: float = 4e-4) -> float:
    """0-1 error of the oracle LSA network (every filter ``w*``, threshold ``b``): the signal
    unit's pre-activation is ``N(1, sigma^2)`` (exactly 1 for ``noise="background"``), the others
    ``N(0, sigma^2)``; ties (output exactly 0) count as errors. Exact up to the grid
    (:func:`unit_error`); independent of ``d``."""
    _check_dsd(dist)
    b = _threshold(b)
    h = float(check_positive(as_float_array(h, "h", ndim=0), "h"))
    s = float(dist.sigma)
    signal_sd = s if dist.noise == "all" else 0.0
    return unit_error(np.r_[1.0, np.zeros(dist.k - 1)], np.r_[signal_sd, np.full(dist.k - 1, s)], b, h=h)


def _check_dsd(dist, name: str = "dist") -> None:
    if not isinstance(dist, DSD):
        raise TypeError(f"`{name}` must be a theorylab.learning.dsd.DSD, got {type(dist).__name__}")


def bayes_error(key, dist: DSD, *, samples: int = 1_000_000) -> Estimate:
    """Bayes risk ``E[min(p(+1|x), p(-1|x))] = E[sigmoid(-|LLR(x)|)]``.

    For ``noise="all"`` the log-odds depend only on the projections ``<x_i, w*>`` (given
    ``y = +1``: ``N(1, s^2)`` at the signal patch, ``N(0, s^2)`` elsewhere), so a Monte Carlo over
    ``k``-vectors estimates it with a standard error (averaging the posterior minimum rather than
    the 0/1 loss). For ``noise="background"`` (and ``sigma = 0``) the signal patch is identifiable
    almost surely, and the Bayes risk is exactly 0.
    """
    key = check_key(key)
    _check_dsd(dist)
    samples = check_integer(samples, "samples", minimum=2)
    s = float(dist.sigma)
    if dist.noise == "background" or s == 0.0:
        return Estimate(0.0, 0.0)
    u = s * jax.random.normal(key, (samples, dist.k), jnp.float64)
    u = u.at[:, 0].add(1.0)
    llr = jax.nn.logsumexp(u / s**2, axis=1) - jax.nn.logsumexp(-u / s**2, axis=1)
    loss = np.asarray(jax.nn.sigmoid(-jnp.abs(llr)))
    return Estimate(float(loss.mean()), float(loss.std(ddof=1) / np.sqrt(samples)))

r"""Neural MI estimators: a critic network trained to maximise a variational bound.

Critics (NeuralMI's ``models/critics.py``; Poole et al. 2019):

* ``"separable"``: :math:`f(x, y) = g(x)^\top h(y)`, so the :math:`B\times B` score matrix is one
  matrix product :math:`GH^\top`;
* ``"concat"``: :math:`f(x, y) = \mathrm{MLP}([x, y])` evaluated on all :math:`B^2` pairs;
* ``"hybrid"``: :math:`f(x, y) = \mathrm{head}([g(x), h(y)])`;
* variational (``beta`` set, a separable critic on stochastic embeddings, VSIB-style; Abdelaleem et
  al. 2025, NeuralMI's ``VariationalWrapper``): each encoder outputs a mean and a log-variance
  (clamped to [-10, 4]); training samples :math:`z = \mu + \sigma\epsilon` and minimises
  :math:`\mathrm{KL}(q(z_x|x)\Vert N(0, I)) + \mathrm{KL}(q(z_y|y)\Vert N(0, I)) - \beta\hat I`;
  evaluation uses the means.

Training: Adam (:class:`theorylab.numerics.Adam`), minibatches of ``batch`` pairs from a random
``1 - test_fraction`` training split, ``epochs`` passes. After every epoch the bound is evaluated
(deterministic embeddings) on the training and the test split in disjoint batches of
``min(split size, max_eval_batch)``. **Max-test selection** (NeuralMI's trainer): the test curve is
smoothed (median filter of width 5, then a Gaussian filter with sigma 1, both with reflected edges
as ``scipy.ndimage``), its argmax epoch is selected, and the reported value is the *training*
MI at that epoch. If every test value is <= 0 the estimate is 0 (``diagnostics["all_nonpositive"]``).

Everything is pure JAX: one ``lax.scan`` over epochs, deterministic given the key, ``vmap``-able
(the protocol trains the gamma chunks of one level in a single vmapped call).
"""

from __future__ import annotations

import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from theorylab.estimators.mutual_information import _checks
from theorylab.estimators.mutual_information.estimator import register_estimator
from theorylab.estimators.mutual_information.bounds import BOUNDS
from theorylab.estimators.mutual_information.result import MIEstimate
from theorylab.numerics.adam import Adam
from theorylab.numerics.mlp import mlp_apply, mlp_init
from theorylab.validation import check_choice, check_in_range, check_integer, check_key, check_positive

__all__ = ["NeuralMI", "neural_mi", "smooth_curve", "CRITICS"]

CRITICS = ("separable", "concat", "hybrid")
LOGVAR_RANGE = (-10.0, 4.0)


# ----------------------------------------------------------------------------------- networks
def _mlp(params, a, spectral: bool = False):
    return mlp_apply(params, a, spectral=spectral)


def _pairs(a, b):
    """All ``(a_i, b_j)`` concatenations, ``(B, B, da + db)``."""
    n = a.shape[0]
    return jnp.concatenate([jnp.broadcast_to(a[:, None, :], (n, n, a.shape[1])),
                            jnp.broadcast_to(b[None, :, :], (n, n, b.shape[1]))], axis=-1)


def _median5(a):
    p = jnp.pad(a, 2, mode="symmetric")
    windows = jnp.stack([p[i: i + a.shape[0]] for i in range(5)])
    return jnp.median(windows, axis=0)


def _gauss1(a, radius: int = 4):
    offsets = jnp.arange(-radius, radius + 1)
    w = jnp.exp(-0.5 * offsets**2.0)
    w = w / jnp.sum(w)
    p = jnp.pad(a, radius, mode="symmetric")
    return sum(w[i] * p[i: i + a.shape[0]] for i in range(2 * radius + 1))


def smooth_curve(values):
    """Median filter (width 5) then Gaussian filter (sigma 1, truncated at 4 sigma), reflected edges.

    Equals ``scipy.ndimage.gaussian_filter1d(median_filter(v, 5), 1)`` (checked in the tests).
    """
    return _gauss1(_median5(jnp.asarray(values)))


class NeuralMI(eqx.Module):
    """A neural MI estimator configuration; call :meth:`fit` (or :func:`neural_mi`) with a key.

    An :class:`~theorylab.estimators.mutual_information.MIEstimator`; frozen, with static fields,
    so equal configurations share compiled training programs.

    Parameters
    ----------
    critic:
        ``"separable"`` (default), ``"concat"`` or ``"hybrid"``.
    bound:
        ``"infonce"`` (default), ``"nwj"``, ``"tuba"``, ``"dv"``, ``"js"`` (trained with JS, valued
        with DV) or ``"smile"`` (``clip``).
    embed_dim, hidden:
        Embedding size of the separable / hybrid encoders and hidden layer widths.
    learning_rate, batch, epochs:
        Adam step size, minibatch size B (>= 2) and number of passes over the training split.
    test_fraction:
        Held-out fraction for max-test selection (0 < f < 1).
    beta:
        ``None``: deterministic critic. A positive number: variational encoders with KL weight 1 and
        bound weight ``beta`` (separable critic only).
    max_eval_batch:
        Largest batch for evaluating the bound (InfoNCE cannot exceed its log).
    standardize:
        Centre and scale each column by the training split's mean and sd.
    spectral_norm:
        Divide every hidden layer's weights by their largest singular value (Miyato et al. 2018;
        NeuralMI's default). Without it a critic on a few thousand 500-dimensional samples
        memorises the training split and its held-out bound goes negative.
    """

    critic: str = eqx.field(static=True)
    bound: str = eqx.field(static=True)
    embed_dim: int = eqx.field(static=True)
    hidden: tuple = eqx.field(static=True)
    learning_rate: float = eqx.field(static=True)
    batch: int = eqx.field(static=True)
    epochs: int = eqx.field(static=True)
    test_fraction: float = eqx.field(static=True)
    beta: float | None = eqx.field(static=True)
    clip: float = eqx.field(static=True)
    max_eval_batch: int = eqx.field(static=True)
    standardize: bool = eqx.field(static=True)
    spectral_norm: bool = eqx.field(static=True)

    uses_neighbours = False
    min_reliable_samples = 1000  # NeuralMI's warning threshold

    def __init__(self, critic: str = "separable", bound: str = "infonce", *, embed_dim: int = 64,
                 hidden=(64, 64), learning_rate: float = 5e-4, batch: int = 128, epochs: int = 50,
                 test_fraction: float = 0.1, beta: float | None = None, clip: float = 5.0,
                 max_eval_batch: int = 512, standardize: bool = True, spectral_norm: bool = True):
        self.critic = check_choice(critic, "critic", CRITICS)
        self.bound = check_choice(bound, "bound", tuple(BOUNDS))
        self.embed_dim = check_integer(embed_dim, "embed_dim", minimum=1)
        self.hidden = tuple(check_integer(h, "hidden", minimum=1) for h in hidden)
        check_positive(learning_rate, "learning_rate")
        self.learning_rate = float(learning_rate)
        self.batch = check_integer(batch, "batch", minimum=2)
        self.epochs = check_integer(epochs, "epochs", minimum=1)
        check_in_range(test_fraction, "test_fraction", 0.0, 1.0, closed=(False, False))
        self.test_fraction = float(test_fraction)
        if beta is not None:
            check_positive(beta, "beta")
            if self.critic != "separable":
                raise ValueError(f"the variational critic (beta set) is separable; got critic={critic!r}")
        self.beta = None if beta is None else float(beta)
        check_positive(clip, "clip")
        self.clip = float(clip)
        self.max_eval_batch = check_integer(max_eval_batch, "max_eval_batch", minimum=2)
        self.standardize = bool(standardize)
        self.spectral_norm = bool(spectral_norm)

    @property
    def name(self) -> str:
        """``"neural(<bound>, <critic>)"``."""
        kind = f"{self.critic}" + (f", variational beta={self.beta:g}" if self.beta is not None else "")
        return f"neural({self.bound}, {kind})"

    # ------------------------------------------------------------------ sizes
    def split_sizes(self, n: int) -> tuple[int, int]:
        """``(n_train, n_test)`` for ``n`` samples (at least 2 held out)."""
        n_test = max(2, int(round(self.test_fraction * n)))
        return n - n_test, n_test

    def eval_batch(self, n_chunk: int) -> int:
        """Evaluation batch for a chunk of ``n_chunk`` samples (the test split, capped)."""
        return max(2, min(self.split_sizes(n_chunk)[1], self.max_eval_batch))

    def min_samples(self, dim_x: int = 1, dim_y: int = 1) -> int:
        """Two batches (the training split must hold at least one)."""
        return 2 * self.batch

    # ------------------------------------------------------------------ critic
    def init(self, key, dim_x: int, dim_y: int):
        """Critic parameters (He-initialised MLPs) for inputs of ``dim_x`` and ``dim_y`` columns."""
        key = check_key(key)
        kg, kh, kf = jax.random.split(key, 3)
        out = self.embed_dim * (2 if self.beta is not None else 1)
        if self.critic == "concat":
            return {"f": mlp_init(kf, (dim_x + dim_y, *self.hidden, 1))}
        params = {"g": mlp_init(kg, (dim_x, *self.hidden, out)), "h": mlp_init(kh, (dim_y, *self.hidden, out))}
        if self.critic == "hybrid":
            params["head"] = mlp_init(kf, (2 * self.embed_dim, *self.hidden, 1))
        return params

    def _embed(self, p, a, key):
        e = _mlp(p, a, self.spectral_norm)
        if self.beta is None:
            return e, 0.0
        mu, logvar = e[:, : self.embed_dim], jnp.clip(e[:, self.embed_dim:], *LOGVAR_RANGE)
        kl = 0.5 * jnp.mean(jnp.sum(jnp.exp(logvar) + mu**2 - 1.0 - logvar, axis=1))
        if key is None:
            return mu, kl
        return mu + jnp.exp(0.5 * logvar) * jax.random.normal(key, mu.shape, mu.dtype), kl

    def scores(self, key, params, x, y):
        """Score matrix ``S[i, j] = f(x_i, y_j)`` and the KL penalty (0 for deterministic critics).

        ``key`` samples the variational embeddings (training); ``None`` uses their means (evaluation).
        """
        if key is not None:
            key = check_key(key)
        if self.critic == "concat":
            return _mlp(params["f"], _pairs(x, y), self.spectral_norm)[..., 0], 0.0
        kx, ky = (None, None) if key is None else jax.random.split(key)
        g, klx = self._embed(params["g"], x, kx)
        h, kly = self._embed(params["h"], y, ky)
        if self.critic == "separable":
            return g @ h.T, klx + kly
        return _mlp(params["head"], _pairs(g, h), self.spectral_norm)[..., 0], 0.0

    def _bound(self, which: int, s):
        fn = BOUNDS[self.bound][which]  # 0: value, 1: training objective
        return fn(s, self.clip) if self.bound == "smile" else fn(s)

    def _value(self, s):
        return self._bound(0, s)

    def _objective(self, s):
        return self._bound(1, s)

    def evaluate(self, params, x, y):
        """The bound (nats) averaged over disjoint batches of ``min(N, max_eval_batch)`` pairs."""
        n = x.shape[0]
        e = max(2, min(n, self.max_eval_batch))
        nb = n // e
        xb, yb = x[: nb * e].reshape(nb, e, -1), y[: nb * e].reshape(nb, e, -1)
        return jnp.mean(jax.lax.map(lambda ab: self._value(self.scores(None, params, ab[0], ab[1])[0]), (xb, yb)))

    # ------------------------------------------------------------------ training
    def train(self, key, x, y):
        """Train on ``x``, ``y`` (pure; ``vmap``-able). Returns ``(value, train_curve, test_curve, epoch)``."""
        key = check_key(key)
        n = x.shape[0]
        n_train, n_test = self.split_sizes(n)
        if n_train < self.batch:
            raise ValueError(f"the training split has {n_train} samples, fewer than batch = {self.batch}")
        kperm, kinit, kloop = jax.random.split(key, 3)
        perm = jax.random.permutation(kperm, n)
        xtr, ytr, xte, yte = x[perm[:n_train]], y[perm[:n_train]], x[perm[n_train:]], y[perm[n_train:]]
        if self.standardize:
            mx, sx = jnp.mean(xtr, 0), jnp.std(xtr, 0) + 1e-12
            my, sy = jnp.mean(ytr, 0), jnp.std(ytr, 0) + 1e-12
            xtr, xte, ytr, yte = (xtr - mx) / sx, (xte - mx) / sx, (ytr - my) / sy, (yte - my) / sy
        params = self.init(kinit, x.shape[1], y.shape[1])
        opt = Adam(learning_rate=self.learning_rate)
        state = opt.init(params)
        steps = n_train // self.batch
        beta = 1.0 if self.beta is None else self.beta

        def loss(p, xb, yb, k):
            s, kl = self.scores(k, p, xb, yb)  # deterministic critics ignore k; their kl is 0 and beta 1
            return kl - beta * self._objective(s)

        grad = jax.grad(loss)

        def epoch(carry, k):
            p, st = carry
            kp, ks = jax.random.split(k)
            order = jax.random.permutation(kp, n_train)[: steps * self.batch].reshape(steps, self.batch)

            def step(c, inp):
                p, st = c
                idx, kk = inp
                g = grad(p, xtr[idx], ytr[idx], kk)
                p, st = opt.update(st, p, g)
                return (p, st), None

            (p, st), _ = jax.lax.scan(step, (p, st), (order, jax.random.split(ks, steps)))
            return (p, st), (self.evaluate(p, xtr, ytr), self.evaluate(p, xte, yte))

        _, (train_curve, test_curve) = jax.lax.scan(epoch, (params, state), jax.random.split(kloop, self.epochs))
        best = jnp.argmax(smooth_curve(test_curve))
        value = jnp.where(jnp.all(test_curve <= 0.0), 0.0, train_curve[best])
        return value, train_curve, test_curve, best

    def statistic(self, key, x, y):
        """The selected MI value (nats): pure, for the protocol."""
        return self.train(key, x, y)[0]

    def fit(self, key, x, y, *, units: str = "nats") -> MIEstimate:
        """Train and return the max-test estimate with its curves in ``diagnostics``."""
        key = check_key(key)
        xa, ya = _checks.paired(x, y)
        unit = _checks.unit_factor(units)
        n = xa.shape[0]
        if n < self.min_samples():
            raise ValueError(f"{self.name} needs at least 2 * batch = {self.min_samples()} samples, got {n}")
        value, tr, te, best = _train_jit(self, key, xa, ya)
        te = np.asarray(te)
        ceiling = 0.85 * math.log(self.eval_batch(n)) if self.bound == "infonce" else math.inf
        diagnostics = {
            "train_curve": np.asarray(tr) * unit, "test_curve": te * unit, "selected_epoch": int(best),
            "test_value": float(te[int(best)]) * unit, "all_nonpositive": bool(np.all(te <= 0)),
            "saturated": bool(float(te[int(best)]) > ceiling),
        }
        return MIEstimate(value=float(value) * unit, standard_error=float("nan"), units=units, method=self.name,
                          n_samples=n, diagnostics=diagnostics)


register_estimator("neural", NeuralMI)


@functools.partial(jax.jit, static_argnums=(0,))
def _train_jit(est, key, x, y):
    return est.train(key, x, y)


def neural_mi(key, x, y, *, units: str = "nats", **config) -> MIEstimate:
    """Train a neural MI estimator (:class:`NeuralMI` ``(**config)``) and return its estimate."""
    return NeuralMI(**config).fit(key, x, y, units=units)

"""Gradient training of the continual-learning perceptron in field space (the theory's counterpart).

Variational continual learning as in the authors' code (``docs/theory/franz_parisi.md``): the student is the mean-field
distribution ``q_h(w) = prod_i e^{h_i w_i} / (2 cosh h_i)`` over binary weights, with means
``m = tanh h``. The loss of a data set is the sum of the variational energies

``E = -ln H(-y mu / sqrt(Sigma))``, ``mu = m . x``, ``Sigma = sum_i (1 - m_i^2)``

(the CLT for the pre-activation; the ``1/sqrt(N)`` scalings cancel), and task 2 adds
``gamma KL(q_h || q_h1)`` to the task-1 fields ``h1``, written in natural parameters,
``sum_i (h_i - h1_i) tanh h_i - ln cosh h_i + ln cosh h1_i`` (the form in means produced NaN in
float32 in a prototype run). Training is Adam with decoupled weight decay on ``h``
(:class:`theorylab.numerics.Adam`), minibatches reshuffled every epoch, ``lax.scan`` over steps and
``vmap`` over seeds. The error of a student is that of its clipped weights,
``arccos(sign(h) . w0 / N) / pi``, the quantity the theory's ``eps`` predicts.

The agreement with the theory depends on the training hyper-parameters (the authors tuned the
weight decay per load); it is a consistency check, not a derivation.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import log_ndtr

from theorylab.numerics import Adam
from theorylab.validation import check_in_range, check_integer, check_key, check_positive, float_dtype

__all__ = ["TeacherTask", "make_task", "related_teacher", "data_energy", "kl_fields", "train_fields",
           "student_error", "ContinualRun", "continual_learning"]


class TeacherTask(NamedTuple):
    teacher: jax.Array  #: (N,) teacher weights in {-1, +1}
    x: jax.Array  #: (P, N) inputs in {-1, +1}
    y: jax.Array  #: (P,) labels sign(teacher . x) (ties -> +1)


def _signs(key, shape, dtype):
    return jnp.where(jax.random.bernoulli(key, 0.5, shape), 1.0, -1.0).astype(dtype)


def make_task(key, n: int, alpha: float, teacher=None, *, dtype=None) -> TeacherTask:
    """``P = round(alpha N)`` examples of a teacher perceptron (a random one unless given), in
    ``dtype`` (``None``: float64, the package's policy; the +-1 data are exact in float32 too)."""
    key = check_key(key)
    n = check_integer(n, "n", minimum=1)
    check_positive(alpha, "alpha")
    dtype = float_dtype(dtype)
    k_t, k_x = jax.random.split(key)
    w0 = _signs(k_t, (n,), dtype) if teacher is None else jnp.asarray(teacher, dtype)
    x = _signs(k_x, (int(round(alpha * n)), n), dtype)
    return TeacherTask(w0, x, jnp.where(x @ w0 >= 0, 1.0, -1.0).astype(dtype))



def related_teacher(key, teacher, r0: float):
    """``w2_i = w0_i B_i`` with ``P(B_i = +-1) = (1 +- r0)/2``: overlap ``r0`` in expectation."""
    key = check_key(key)
    check_in_range(r0, "r0", -1.0, 1.0)
    flip = jax.random.bernoulli(key, 0.5 * (1 - r0), jnp.shape(teacher))
    return jnp.where(flip, -teacher, teacher)


def data_energy(h, x, y):
    """``sum_mu -ln H(-y_mu mu_mu / sqrt(Sigma))`` with ``m = tanh h``."""
    m = jnp.tanh(h)
    return -jnp.sum(log_ndtr(y * (x @ m) / jnp.sqrt(jnp.sum(1.0 - m**2))))


def _log_cosh(h):
    a = jnp.abs(h)
    return a + jnp.log1p(jnp.exp(-2.0 * a)) - jnp.log(2.0)


def kl_fields(h, h_ref):
    """``KL(q_h || q_h_ref) = sum_i (h_i - r_i) tanh h_i - ln cosh h_i + ln cosh r_i``."""
    return jnp.sum((h - h_ref) * jnp.tanh(h) - _log_cosh(h) + _log_cosh(h_ref))


def train_fields(key, task: TeacherTask, h_init, *, epochs: int, batch_size: int | None, optimizer: Adam,
                 h_ref=None, gamma: float = 0.0):
    """Minimise ``data_energy (+ gamma KL(h || h_ref))`` from ``h_init``; ``batch_size=None`` is
    full-batch (one step per epoch). Pure and ``vmap``-able over keys and initial fields."""
    key = check_key(key)
    epochs = check_integer(epochs, "epochs", minimum=1)
    P = task.x.shape[0]
    bs = P if batch_size is None else min(check_integer(batch_size, "batch_size", minimum=1), P)
    n_batches = P // bs
    ref = jnp.zeros_like(h_init) if h_ref is None else h_ref
    scale = bs / P  # the KL is added once per epoch in total: gamma * bs/P per minibatch

    def loss(h, xb, yb):
        out = data_energy(h, xb, yb)
        return out + gamma * scale * kl_fields(h, ref) if h_ref is not None else out

    grad = jax.grad(loss)

    def epoch(carry, k):
        h, st = carry
        order = jax.random.permutation(k, P)[: n_batches * bs].reshape(n_batches, bs)

        def step(c, idx):
            h, st = c
            h, st = optimizer.update(st, h, grad(h, task.x[idx], task.y[idx]))
            return (h, st), None

        (h, st), _ = jax.lax.scan(step, (h, st), order)
        return (h, st), None

    (h, _), _ = jax.lax.scan(epoch, (h_init, optimizer.init(h_init)), jax.random.split(key, epochs))
    return h


def student_error(h, teacher):
    """``(p, eps)``: the clipped student's overlap with the teacher and ``arccos(p)/pi``."""
    p = jnp.mean(jnp.sign(h) * teacher)
    return p, jnp.arccos(jnp.clip(p, -1.0, 1.0)) / jnp.pi


class ContinualRun(NamedTuple):
    p_task1: jax.Array  #: overlap with teacher 1 after task 1
    eps_task1: jax.Array  #: error on task 1 after task 1
    eps1: jax.Array  #: error on task 1 after task 2 (forgetting)
    eps2: jax.Array  #: error on task 2 after task 2
    q_star: jax.Array  #: mean tanh^2 h after task 1 (the theory's q*)


def continual_learning(key, n: int, alpha1: float, alpha2: float | None = None, r0: float = 0.0, gamma: float = 1.0, *,
                       task1=(None, 5000, Adam(1e-3, weight_decay=1e-3)),
                       task2=(None, 20000, Adam(5e-3, weight_decay=1e-3)), dtype=None) -> ContinualRun:
    """One seed of the two-task protocol (the authors' ``SecondTaskGD.py``, docs/theory/franz_parisi.md): fields ``N(0, 1)``, task 1
    without KL, then task 2 with ``gamma KL(h || h1)``. ``task1``/``task2`` are
    ``(batch_size, epochs, optimizer)``; ``alpha2=None`` stops after task 1. ``vmap`` over keys
    for seeds. ``dtype``: ``None`` (float64) or ``jnp.float32`` (the prototype's runs; about twice as fast)."""
    key = check_key(key)
    dtype = float_dtype(dtype)
    k1, k2, k3, k_init, k_t1, k_t2 = jax.random.split(key, 6)
    t1 = make_task(k1, n, alpha1, dtype=dtype)
    h0 = jax.random.normal(k_init, (n,), dtype)
    bs1, ep1, opt1 = task1
    h1 = train_fields(k_t1, t1, h0, epochs=ep1, batch_size=bs1, optimizer=opt1)
    p1, e1 = student_error(h1, t1.teacher)
    q_star = jnp.mean(jnp.tanh(h1) ** 2)
    if alpha2 is None:
        return ContinualRun(p1, e1, e1, jnp.nan, q_star)
    w2 = related_teacher(k3, t1.teacher, r0)
    t2 = make_task(k2, n, alpha2, teacher=w2)
    bs2, ep2, opt2 = task2
    h2 = train_fields(k_t2, t2, h1, epochs=ep2, batch_size=bs2, optimizer=opt2, h_ref=h1, gamma=gamma)
    return ContinualRun(p1, e1, student_error(h2, t1.teacher)[1], student_error(h2, w2)[1], q_star)

"""Continual learning of a binary perceptron as a Franz-Parisi computation (replica symmetric).

Li, Huang, Zou & Huang, Phys. Rev. E 108, 014309 (2023). The paper's text could not be read; the
free entropies below are reconstructed from the authors' public code (github Chan-Li/VCL; equations (F6)-(F10)
of ``docs/theory/franz_parisi.md``), whose hand-written derivatives equal ``jax.grad`` of these functions.

**Model.** Teacher ``w0 in {+-1}^N``, inputs ``x in {+-1}^N``, labels ``sign(w0 . x)``; the student
is a mean-field distribution over binary weights with means ``m_i in [-1, 1]``, and the Gibbs
measure over ``m`` at inverse temperature ``beta`` has energy ``sum_mu -ln H(-y mu / sqrt(Sigma))``
(``mu = m.x/sqrt N``, ``Sigma = 1 - q*``). Task 2 has teacher ``w0_i B_i`` with
``P(B_i = +-1) = (1 +- r0)/2`` and adds ``gamma KL(m || m1)``, ``m1`` an equilibrium sample of task 1:
the FP reference, which enters only through its single-site marginal ``P1(m1)``.

**Task 1** (order parameters ``q, r, q*``; conjugates ``qh, rh, qh*``):

``Phi1 = qh q/2 - rh r - qh* q* + G_S(qh, rh, qh*) + alpha G_E(q, r, q*)``,

``G_S = E_z ln int_{-1}^{1} dm exp[(qh* - qh/2) m^2 + (sqrt(qh) z + rh) m (+ beta S(m))]``,

``G_E = 2 int_{u>0} Du int Dw ln E_x H(-(sqrt(q) z + sqrt(q* - q) x) / sqrt(1 - q*))^beta``,
``z = rho u + sqrt(1 - rho^2) w``, ``rho = r / sqrt(q)`` (the teacher-aligned form of
``2 E_z H(r z / sqrt(q - r^2)) ln E_x H(...)^beta``: the teacher factor, a step as ``q -> r^2``,
becomes the half-line ``u > 0``). The saddle point is ``q = E<m>^2, r = E<m>, q* = E<m^2>``,
``qh = -2 alpha dG_E/dq``, ``rh = alpha dG_E/dr``, ``qh* = alpha dG_E/dq*``; the generalisation
error is ``arccos(p)/pi`` with ``p = E<sign m>``.

**Quadrature at low temperature** (the theory note, "Numerics"). At ``beta = 20`` the conjugates reach
10^2-10^3, ``<m>`` switches sign at ``z0 = -rh/sqrt(qh)`` over a width ``1/sqrt(qh)``, and fixed
Gauss-Hermite rules converge to wrong saddle points (GH-80 gave ``p = 0.656`` for the correct
``0.6307`` at ``alpha = 1``). The ``z``-average uses composite Gauss-Legendre panels broken at
``z0 + {0, +-1, +-3, +-10, +-40}/sqrt(qh)`` (:func:`~theorylab.numerics.composite_gaussian_rule`),
everything is in the log domain (``log_ndtr``, ``logsumexp``), and ``QuadratureSpec.refined()``
doubles every rule for convergence checks.

**Solver.** A damped fixed-point warm-up in ``(q, r, q*)`` (a convex combination of admissible
points stays admissible), then Newton (optimistix) on ``g(x) - x`` in unconstrained coordinates
``q* = sigmoid(a), q = q* sigmoid(b), r = sqrt(q) tanh(c)``, which keep ``r^2 < q < q* < 1``.
Newton converges where the damped iteration is unstable (the map's spectral radius reaches 1-3 on
the low branch; docs/theory/franz_parisi.md); every result carries its status, residual and spectral radius.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import log_ndtr, logsumexp

from theorylab.numerics import Status, composite_gaussian_rule, gauss_hermite, gauss_legendre, newton
from theorylab.numerics.solution import maybe_throw, status_result
from theorylab.validation import (
    as_float_array,
    check_finite,
    check_in_range,
    check_integer,
    check_positive,
    python_scalar,
    step_bound,
)

__all__ = [
    "QuadratureSpec",
    "ContinualPerceptron",
    "Task1Result",
    "Task2Result",
    "ReferenceMarginal",
    "Transition",
    "energetic_term",
    "entropic_term",
    "site_moments",
    "generalization_error",
    "branch_jumps",
]

_ENTROPIC_OFFSETS = (0.0, -1.0, 1.0, -3.0, 3.0, -10.0, 10.0, -40.0, 40.0)


class QuadratureSpec(eqx.Module):
    """Quadrature orders (static; every result is computed with one set of rules). A frozen configuration."""

    entropic_order: int = eqx.field(default=48, static=True)  #: Legendre nodes per panel of the z-average (10 panels)
    m_nodes: int = eqx.field(default=400, static=True)  #: Legendre nodes for m in [-1, 1] (task 1)
    u_nodes: int = eqx.field(default=80, static=True)  #: Legendre nodes for the teacher field u in [0, cutoff]
    w_nodes: int = eqx.field(default=30, static=True)  #: Gauss-Hermite nodes for the independent field w
    x_nodes: int = eqx.field(default=120, static=True)  #: Gauss-Hermite nodes for the replica field x of G_E
    task2_x_nodes: int = eqx.field(default=240, static=True)  #: Legendre nodes for the task-2 cavity field on [-9, 9]
    task2_m_nodes: int = eqx.field(default=160, static=True)  #: Legendre nodes for m and m1 in task 2
    cutoff: float = eqx.field(default=12.0, static=True)

    def refined(self) -> "QuadratureSpec":
        """Every rule doubled (for convergence checks)."""
        return QuadratureSpec(2 * self.entropic_order, 2 * self.m_nodes, 2 * self.u_nodes, 2 * self.w_nodes,
                              2 * self.x_nodes, 2 * self.task2_x_nodes, 2 * self.task2_m_nodes, self.cutoff)

    def validate(self) -> "QuadratureSpec":
        """Check every order (>= 8) and the cutoff; returns ``self``."""
        for name in ("entropic_order", "m_nodes", "u_nodes", "w_nodes", "x_nodes", "task2_x_nodes", "task2_m_nodes"):
            check_integer(getattr(self, name), name, minimum=8)
        check_positive(self.cutoff, "cutoff")
        return self


def log_H(t):
    """``ln H(t)``, ``H(t) = P(N(0,1) > t)``."""
    return log_ndtr(-t)


def binary_entropy(m):
    a, b = 0.5 * (1 + m), 0.5 * (1 - m)
    return -(a * jnp.log(a) + b * jnp.log(b))


# ---------------------------------------------------------------------------------------------
# the two terms of the free entropy


def energetic_term(q, r, q_star, beta, quad: QuadratureSpec = QuadratureSpec()):
    """``G_E(q, r, q*)`` in the teacher-aligned form (module docstring); needs ``r^2 < q < q* < 1``."""
    u = gauss_legendre(quad.u_nodes, 0.0, quad.cutoff)
    u_w = u.weights * jnp.exp(-0.5 * u.nodes**2) / math.sqrt(2 * math.pi)
    w = gauss_hermite(quad.w_nodes)
    x = gauss_hermite(quad.x_nodes)
    rho = r / jnp.sqrt(q)
    z = rho * u.nodes[:, None] + jnp.sqrt(1 - rho**2) * w.nodes[None, :]  # (U, W)
    field = -(jnp.sqrt(q) * z[..., None] + jnp.sqrt(q_star - q) * x.nodes) / jnp.sqrt(1 - q_star)  # (U, W, X)
    inner = logsumexp(beta * log_H(field) + jnp.log(x.weights), axis=-1)  # ln E_x H^beta
    return 2.0 * jnp.sum(u_w[:, None] * w.weights[None, :] * inner)


def _entropic_rule(q_hat, r_hat, quad):
    s = jnp.sqrt(q_hat)
    z0 = -r_hat / s
    return composite_gaussian_rule(z0 + jnp.asarray(_ENTROPIC_OFFSETS) / s, order=quad.entropic_order,
                                   cutoff=quad.cutoff)


def _local_exponent(q_hat, r_hat, q_star_hat, z, m, kappa):
    expo = (q_star_hat - 0.5 * q_hat) * m**2 + (jnp.sqrt(q_hat) * z[:, None] + r_hat) * m
    return expo + kappa * binary_entropy(m) if kappa is not None else expo


def _site(q_hat, r_hat, q_star_hat, quad, kappa):
    rule = _entropic_rule(q_hat, r_hat, quad)
    mg = gauss_legendre(quad.m_nodes)
    expo = _local_exponent(q_hat, r_hat, q_star_hat, rule.nodes, mg.nodes[None, :], kappa) + jnp.log(mg.weights)
    lz = logsumexp(expo, axis=1)
    post = jnp.exp(expo - lz[:, None])  # posterior weights of m at each z
    return rule, mg, lz, post


def entropic_term(q_hat, r_hat, q_star_hat, quad: QuadratureSpec = QuadratureSpec(), kappa=None):
    """``G_S(qh, rh, qh*)``; ``kappa`` adds ``kappa S(m)`` (the KL-to-uniform variant, ``kappa = beta``)."""
    rule, _, lz, _ = _site(q_hat, r_hat, q_star_hat, quad, kappa)
    return jnp.sum(rule.weights * lz)


def site_moments(q_hat, r_hat, q_star_hat, quad: QuadratureSpec = QuadratureSpec(), kappa=None):
    """``(E<m>^2, E<m>, E<m^2>, E<sign m>)`` under the task-1 local measure."""
    rule, mg, _, post = _site(q_hat, r_hat, q_star_hat, quad, kappa)
    m1 = post @ mg.nodes
    m2 = post @ mg.nodes**2
    sg = post @ jnp.sign(mg.nodes)
    return jnp.stack([rule.weights @ m1**2, rule.weights @ m1, rule.weights @ m2, rule.weights @ sg])


def generalization_error(p):
    """``arccos(p)/pi``: the error of the clipped student whose overlap with the teacher is ``p``."""
    return jnp.arccos(jnp.clip(p, -1.0, 1.0)) / jnp.pi


def _conjugates(x, alpha, beta, quad):
    dq, dr, dqs = jax.grad(energetic_term, argnums=(0, 1, 2))(x[0], x[1], x[2], beta, quad)
    return jnp.stack([-2.0 * alpha * dq, alpha * dr, alpha * dqs])


# ---------------------------------------------------------------------------------------------
# coordinates and the generic saddle-point solve


def _to_theta(x):
    q, r, qs = x[0], x[1], x[2]
    return jnp.stack([jnp.log(qs) - jnp.log1p(-qs), jnp.log(q / qs) - jnp.log1p(-q / qs), jnp.arctanh(r / jnp.sqrt(q))])


def _from_theta(theta):
    qs = jax.nn.sigmoid(theta[0])
    q = qs * jax.nn.sigmoid(theta[1])
    return jnp.stack([q, jnp.sqrt(q) * jnp.tanh(theta[2]), qs])


def _admissible(x):
    return (x[1] ** 2 < x[0]) & (x[0] < x[2]) & (x[2] < 1.0)


def _solve_map(g, x0, warm_steps, step_size, newton_steps, newton_bound=None):
    """Relaxed fixed point ``x <- x + step_size (g(x) - x)`` for ``warm_steps``, then Newton on
    ``g(x) - x`` in the unconstrained coordinates. Returns (x, status, residual, Newton steps).

    Near ``r = sqrt(q)`` the unconstrained coordinate saturates and Newton's step test can run out
    of steps at a residual already at rounding level; ``accept_residual=1e-12`` asks
    :func:`~theorylab.numerics.newton` to count such a stall as converged (documented there)."""
    x = jax.lax.fori_loop(0, warm_steps, lambda _, x: x + step_size * (g(x) - x), x0)
    sol = newton(lambda th, _: g(_from_theta(th)) - _from_theta(th), _to_theta(x), None, max_steps=newton_steps,
                 max_steps_bound=newton_bound, tol=1e-10, residual_tol=1e-10, accept_residual=1e-12)
    return _from_theta(sol.value), sol.status, sol.residual, sol.num_steps


# ---------------------------------------------------------------------------------------------
# results


@status_result
class Task1Result(NamedTuple):
    """Task-1 saddle point (batched along a sweep); ``num_steps`` counts the Newton steps."""

    alpha: jax.Array
    q: jax.Array
    r: jax.Array  #: overlap with the teacher
    q_star: jax.Array  #: self-overlap; 1 - q* is the mean weight variance
    q_hat: jax.Array
    r_hat: jax.Array
    q_star_hat: jax.Array
    p: jax.Array  #: overlap of the clipped weights with the teacher
    eps: jax.Array  #: generalisation error arccos(p)/pi
    phi: jax.Array  #: free entropy Phi1
    residual: jax.Array
    status: jax.Array
    spectral_radius: jax.Array  #: of the fixed-point map's Jacobian (> 1: damped iteration unstable)
    num_steps: jax.Array


class ReferenceMarginal(NamedTuple):
    """Single-site law of the task-1 means ``m1``: masses on Legendre nodes (sum to 1)."""

    nodes: jax.Array
    masses: jax.Array


@status_result
class Task2Result(NamedTuple):
    """Task-2 (Franz-Parisi) saddle point; ``num_steps`` counts the Newton steps."""

    alpha2: jax.Array
    r0: jax.Array
    gamma: jax.Array
    q: jax.Array
    r: jax.Array  #: overlap with teacher 2
    q_star: jax.Array
    q_hat: jax.Array
    r_hat: jax.Array
    q_star_hat: jax.Array
    R1: jax.Array  #: overlap with teacher 1
    p1: jax.Array
    p2: jax.Array
    eps1: jax.Array  #: error on task 1 after learning task 2
    eps2: jax.Array  #: error on task 2
    phi: jax.Array
    residual: jax.Array
    status: jax.Array
    num_steps: jax.Array


@status_result
class Transition(NamedTuple):
    """First-order transition of task 1: the alpha where both branches have equal free entropy."""

    alpha_c: float
    low: Task1Result
    high: Task1Result
    status: int
    residual: float
    num_steps: int


BRANCH_STARTS = {"low": ((0.3, 0.2, 0.5), 80, 0.3), "high": ((0.97, 0.97, 0.975), 10, 0.2)}


class ContinualPerceptron(eqx.Module):
    """The binary-perceptron continual-learning model at inverse temperature ``beta``.

    ``kl_to_uniform`` keeps the KL of task 1 to the uniform prior (the appendix variant: the
    entropic term gains ``beta S(m)``). A frozen configuration: ``beta`` is data (a traced leaf, so
    a new temperature compiles nothing new and ``beta`` can be ``vmap``-ed), the variant and the
    quadrature are static.
    """

    beta: float = eqx.field(default=20.0, converter=python_scalar)
    kl_to_uniform: bool = eqx.field(default=False, static=True)
    quad: QuadratureSpec = eqx.field(default=QuadratureSpec(), static=True)

    def validate(self) -> "ContinualPerceptron":
        """Check ``beta`` (finite, > 0) and the quadrature; returns ``self``."""
        b = as_float_array(self.beta, "beta", ndim=0)
        check_finite(b, "beta")
        check_positive(b, "beta")
        self.quad.validate()
        return self

    @property
    def _kappa(self):
        return self.beta if self.kl_to_uniform else None

    # -------------------------------------------------------------- task 1
    def task1_map(self, x, alpha):
        """``g(x)``: the order parameters implied by the conjugates of ``x = (q, r, q*)``."""
        return site_moments(*_conjugates(x, alpha, self.beta, self.quad), self.quad, self._kappa)[:3]

    def task1_free_entropy(self, x, conj, alpha):
        """``Phi1`` at order parameters ``x = (q, r, q*)`` and their conjugates ``conj``."""
        q, r, qs = x[0], x[1], x[2]
        qh, rh, qsh = conj[0], conj[1], conj[2]
        return (0.5 * qh * q - rh * r - qsh * qs + entropic_term(qh, rh, qsh, self.quad, self._kappa)
                + alpha * energetic_term(q, r, qs, self.beta, self.quad))

    def _task1_result(self, x, alpha, status, residual, steps):
        conj = _conjugates(x, alpha, self.beta, self.quad)
        mom = site_moments(*conj, self.quad, self._kappa)
        jac = jax.jacfwd(lambda y: self.task1_map(y, alpha))(x)
        radius = jnp.max(jnp.abs(jnp.linalg.eigvals(jac)))
        return Task1Result(alpha, x[0], x[1], x[2], conj[0], conj[1], conj[2], mom[3], generalization_error(mom[3]),
                           self.task1_free_entropy(x, conj, alpha), residual, status, radius, steps)

    def task1(self, alpha, branch: str = "low", *, init=None, warm_steps=None, step_size=None,
              max_newton_steps: int = 40, throw: bool = False) -> Task1Result:
        """Task-1 saddle point at load ``alpha`` on the ``"low"`` (poor generalisation) or
        ``"high"`` (near-perfect) branch, or from ``init = (q, r, q*)``: ``warm_steps`` relaxed
        fixed-point steps ``x <- x + step_size (g(x) - x)`` (branch defaults), then at most
        ``max_newton_steps`` Newton steps. ``throw=True`` raises when the solve failed."""
        alpha = _check_alpha(alpha, "alpha")
        x0, warm, eta = _start(branch, init, warm_steps, step_size)
        steps = check_integer(max_newton_steps, "max_newton_steps", minimum=1)
        out = _task1_jit(self.validate(), jnp.asarray(alpha, float), x0, *_traced_budget(warm, eta, steps))
        return maybe_throw(out, throw, "task1", field="q")

    def task1_sweep(self, alphas, branch: str = "low", *, init=None, max_newton_steps: int = 40,
                    throw: bool = False) -> Task1Result:
        """Continuation along ``alphas`` (in the given order): the first point is solved from the
        branch start, each next one by Newton from the previous solution (``lax.scan``, one
        compilation). A branch ends at its spinodal: there Newton fails (status) or jumps to the
        other branch (see :func:`branch_jumps`); ``throw=True`` raises if any point failed."""
        alphas = as_float_array(alphas, "alphas", ndim=1)
        _check_alpha(alphas, "alphas")
        x0, warm, eta = _start(branch, init, None, None)
        steps = check_integer(max_newton_steps, "max_newton_steps", minimum=1)
        out = _task1_sweep_jit(self.validate(), alphas, x0, *_traced_budget(warm, eta, steps))
        return maybe_throw(out, throw, "task1_sweep", field="q")

    def task1_grid(self, alphas, branch: str = "low", *, init=None, warm_steps=None, step_size=None,
                   max_newton_steps: int = 40, executor=None, devices=None, checkpoint=None,
                   chunk_size: int | None = None, progress=False, throw: bool = False) -> Task1Result:
        """:meth:`task1` at every load in ``alphas``, each solved independently from the same branch
        start (or ``init``), unlike the continuation of :meth:`task1_sweep`: the points are
        independent, so they run through :func:`theorylab.sweeps.sweep` (one compiled program in this
        process by default; ``executor``, ``devices``, ``checkpoint`` and ``chunk_size`` as there). A
        cold start can land on the other branch near a spinodal (:func:`branch_jumps` does not apply:
        compare ``r`` with the branch you expect). Failed points are reported in ``status``;
        ``throw=True`` raises if any point failed."""
        alphas = np.asarray(as_float_array(alphas, "alphas", ndim=1))
        _check_alpha(alphas, "alphas")
        x0, warm, eta = _start(branch, init, warm_steps, step_size)
        steps = check_integer(max_newton_steps, "max_newton_steps", minimum=1)
        n = alphas.size
        points = {"alpha": alphas, "x0": np.broadcast_to(np.asarray(x0), (n, 3)), "warm": np.full(n, warm),
                  "eta": np.full(n, eta), "steps": np.full(n, steps)}  # budgets traced: no new compilation
        from theorylab.sweeps import sweep

        out = sweep(functools.partial(_task1_point, self.validate(), step_bound(steps)), points, chunk_size=chunk_size,
                    executor=executor, devices=devices, checkpoint=checkpoint, progress=progress)
        return maybe_throw(Task1Result(*out), throw, "task1_grid", field="q")

    def task1_transition(self, low: Task1Result, high: Task1Result, *, max_newton_steps: int = 40,
                         throw: bool = False) -> Transition:
        """First-order transition from two converged sweeps on the same alpha grid: the grid point
        where ``phi_high - phi_low`` changes sign seeds a Newton solve of both saddle points and
        ``phi_high(alpha) = phi_low(alpha)`` in the 7 unknowns ``(x_low, x_high, alpha)``."""
        a = np.asarray(low.alpha)
        gap = np.asarray(high.phi) - np.asarray(low.phi)
        ok = np.asarray(low.converged) & np.asarray(high.converged) & ~branch_jumps(low) & ~branch_jumps(high)
        idx = [i for i in range(len(a) - 1) if ok[i] and ok[i + 1] and np.sign(gap[i]) != np.sign(gap[i + 1])]
        if not idx:
            raise ValueError("the two sweeps do not bracket a sign change of phi_high - phi_low on alphas where both "
                             "branches converged: widen the alpha grid")
        i = idx[0]
        frac = gap[i] / (gap[i] - gap[i + 1])
        a0 = a[i] + frac * (a[i + 1] - a[i])
        xl = np.array([low.q[i], low.r[i], low.q_star[i]])
        xh = np.array([high.q[i], high.r[i], high.q_star[i]])
        steps = check_integer(max_newton_steps, "max_newton_steps", minimum=1)
        out = _transition_jit(self.validate(), jnp.asarray(xl), jnp.asarray(xh), jnp.asarray(a0), jnp.asarray(steps),
                              step_bound(steps))
        return maybe_throw(out, throw, "task1_transition", field="alpha_c")

    # -------------------------------------------------------------- task 2
    def reference(self, task1: Task1Result) -> ReferenceMarginal:
        """``P1(m1)``: the single-site law of an equilibrium task-1 sample (the FP reference),
        ``E_z e^{g(m1, z)} / int e^{g}`` with the task-1 conjugates, on the task-2 ``m`` nodes."""
        return _reference_jit(self.validate(), task1.q_hat, task1.r_hat, task1.q_star_hat)

    def task2(self, reference: ReferenceMarginal, alpha2, r0, gamma=1.0, *, init=(0.05, 0.01, 0.06),
              warm_steps: int = 30, step_size: float = 0.5, max_newton_steps: int = 40,
              throw: bool = False) -> Task2Result:
        """Task-2 saddle point: load ``alpha2``, teacher overlap ``r0``, KL weight ``gamma``
        (coupling ``k = gamma beta``); relaxation and Newton as in :meth:`task1`."""
        alpha2 = _check_alpha(alpha2, "alpha2")
        r0 = as_float_array(r0, "r0", ndim=0)
        check_finite(r0, "r0")
        check_in_range(r0, "r0", -1.0, 1.0)
        gamma = as_float_array(gamma, "gamma", ndim=0)
        check_finite(gamma, "gamma")
        check_positive(gamma, "gamma", strict=False)
        x0 = _check_init(init)
        check_in_range(step_size, "step_size", 0.0, 1.0, closed=(False, True))
        steps = check_integer(max_newton_steps, "max_newton_steps", minimum=1)
        warm = check_integer(warm_steps, "warm_steps", minimum=0)
        out = _task2_jit(self.validate(), reference, jnp.asarray(alpha2, float), r0, gamma, x0,
                         *_traced_budget(warm, float(step_size), steps))
        return maybe_throw(out, throw, "task2", field="q")

    def task2_moments(self, conj, reference: ReferenceMarginal, r0, gamma):
        """Task-2 averages ``(q, r, q*, R1, p1, p2)`` and ``G_S2`` at conjugates ``conj``."""
        return _task2_moments(conj, reference, r0, gamma * self.beta, self.quad)


# ---------------------------------------------------------------------------------------------
# compiled kernels (the model is a pytree: beta traced, quadrature and variant static)


def _traced_budget(warm, eta, newton_steps):
    """Relaxation steps, step size and Newton limit as traced values, and the Newton loop's static
    bound: changing any of them compiles nothing new (within one power of two for the limit)."""
    return jnp.asarray(warm), jnp.asarray(eta, float), jnp.asarray(newton_steps), step_bound(newton_steps)


def _check_alpha(alpha, name):
    a = as_float_array(alpha, name)
    check_finite(a, name)
    check_positive(a, name, strict=False)
    return a


def _check_init(init):
    x = np.asarray(init, dtype=float)
    if x.shape != (3,):
        raise ValueError(f"`init` must be (q, r, q*), got shape {x.shape}")
    q, r, qs = x
    if not (r * r < q < qs < 1.0):
        raise ValueError(f"`init` must satisfy r^2 < q < q* < 1, got q = {q}, r = {r}, q* = {qs}")
    return jnp.asarray(x)


def _start(branch, init, warm_steps, step_size):
    if init is not None:
        x0, warm, eta = _check_init(init), 40, 0.3
    else:
        if branch not in BRANCH_STARTS:
            raise ValueError(f"`branch` must be 'low' or 'high' (or give `init`), got {branch!r}")
        start, warm, eta = BRANCH_STARTS[branch]
        x0 = jnp.asarray(start)
    warm = warm if warm_steps is None else check_integer(warm_steps, "warm_steps", minimum=0)
    eta = eta if step_size is None else float(step_size)
    check_in_range(eta, "step_size", 0.0, 1.0, closed=(False, True))
    return x0, int(warm), float(eta)


@functools.partial(jax.jit, static_argnums=(6,))
def _task1_jit(model, alpha, x0, warm, eta, newton_steps, newton_bound):
    x, status, residual, steps = _solve_map(lambda x: model.task1_map(x, alpha), x0, warm, eta, newton_steps,
                                            newton_bound)
    return model._task1_result(x, alpha, status, residual, steps)


def _task1_point(model, newton_bound, point):
    """One load of :meth:`ContinualPerceptron.task1_grid` (module level: picklable for a cluster)."""
    return tuple(_task1_jit(model, point["alpha"], point["x0"], point["warm"], point["eta"], point["steps"],
                            newton_bound))


@functools.partial(jax.jit, static_argnums=(6,))
def _task1_sweep_jit(model, alphas, x0, warm, eta, newton_steps, newton_bound):
    first = _solve_map(lambda x: model.task1_map(x, alphas[0]), x0, warm, eta, newton_steps, newton_bound)

    def step(carry, alpha):
        x_prev, slope, a_prev = carry
        guess = x_prev + slope * (alpha - a_prev)  # secant predictor
        guess = jnp.where(_admissible(guess), guess, x_prev)
        x, status, residual, steps = _solve_map(lambda x: model.task1_map(x, alpha), guess, 0, eta, newton_steps,
                                                newton_bound)
        ok = status == int(Status.SUCCESS)
        new_slope = jnp.where(ok, (x - x_prev) / (alpha - a_prev), jnp.zeros_like(slope))
        return (jnp.where(ok, x, x_prev), new_slope, jnp.where(ok, alpha, a_prev)), (x, status, residual, steps)

    x1, s1, res1, n1 = first
    _, (xs, ss, rs, ns) = jax.lax.scan(step, (x1, jnp.zeros_like(x1), alphas[0]), alphas[1:])
    xs = jnp.concatenate([x1[None], xs])
    ss = jnp.concatenate([jnp.asarray(s1)[None], ss])
    rs = jnp.concatenate([jnp.asarray(res1)[None], rs])
    ns = jnp.concatenate([jnp.asarray(n1)[None], ns])
    return jax.vmap(model._task1_result)(xs, alphas, ss, rs, ns)


def branch_jumps(result: Task1Result, threshold: float = 0.1) -> np.ndarray:
    """Flags points of a sweep whose teacher overlap ``r`` moved by more than ``threshold`` from
    the previous point: continuation past a spinodal lands on the other branch."""
    r = np.asarray(result.r)
    out = np.zeros(r.shape, bool)
    out[1:] = np.abs(np.diff(r)) > threshold
    return out



@functools.partial(jax.jit, static_argnums=(5,))
def _transition_jit(model, xl, xh, a0, newton_steps, newton_bound):
    def residual(u, _):
        tl, th, alpha = u[:3], u[3:6], u[6]
        xl_, xh_ = _from_theta(tl), _from_theta(th)
        fl = model.task1_map(xl_, alpha) - xl_
        fh = model.task1_map(xh_, alpha) - xh_
        phi = lambda x: model.task1_free_entropy(x, _conjugates(x, alpha, model.beta, model.quad), alpha)  # noqa: E731
        return jnp.concatenate([fl, fh, (phi(xh_) - phi(xl_))[None]])

    u0 = jnp.concatenate([_to_theta(xl), _to_theta(xh), a0[None]])
    sol = newton(residual, u0, None, max_steps=newton_steps, max_steps_bound=newton_bound, tol=1e-12,
                 residual_tol=1e-10)
    alpha = sol.value[6]
    low = model._task1_result(_from_theta(sol.value[:3]), alpha, sol.status, sol.residual, sol.num_steps)
    high = model._task1_result(_from_theta(sol.value[3:6]), alpha, sol.status, sol.residual, sol.num_steps)
    return Transition(alpha, low, high, sol.status, sol.residual, sol.num_steps)


@jax.jit
def _reference_jit(model, q_hat, r_hat, q_star_hat):
    quad = model.quad
    rule = _entropic_rule(q_hat, r_hat, quad)
    mg = gauss_legendre(quad.task2_m_nodes)
    expo = _local_exponent(q_hat, r_hat, q_star_hat, rule.nodes, mg.nodes[None, :], model._kappa) + jnp.log(mg.weights)
    post = jnp.exp(expo - logsumexp(expo, axis=1, keepdims=True))
    return ReferenceMarginal(mg.nodes, rule.weights @ post)


def _kl_bernoulli(m, m1):
    """``KL(q_m || q_m1)`` of two distributions on {-1, +1} with means ``m`` and ``m1``."""
    return 0.5 * (1 + m) * (jnp.log1p(m) - jnp.log1p(m1)) + 0.5 * (1 - m) * (jnp.log1p(-m) - jnp.log1p(-m1))


def _task2_x_rule(quad):
    x = gauss_legendre(quad.task2_x_nodes, -9.0, 9.0)
    w = x.weights * jnp.exp(-0.5 * x.nodes**2)
    return x.nodes, w / jnp.sum(w)


def _task2_moments(conj, reference, r0, k, quad):
    qh, rh, qsh = conj[0], conj[1], conj[2]
    xs, wx = _task2_x_rule(quad)
    m = gauss_legendre(quad.task2_m_nodes)
    log_wm = jnp.log(m.weights)

    def per_reference(m1):
        # axes (B, x, m): teacher-2 sign B, cavity field x, student mean m
        B = jnp.array([1.0, -1.0])[:, None, None]
        expo = ((qsh - 0.5 * qh) * m.nodes**2 + (jnp.sqrt(qh) * xs[:, None] + rh * B) * m.nodes
                - k * _kl_bernoulli(m.nodes, m1) + log_wm)
        lz = logsumexp(expo, axis=-1)
        post = jnp.exp(expo - lz[..., None])
        mean, second, sgn = post @ m.nodes, post @ m.nodes**2, post @ jnp.sign(m.nodes)
        return jnp.stack([mean**2, mean, second, sgn, lz])  # (5, B, X)

    stats = jax.lax.map(per_reference, reference.nodes, batch_size=16)  # (M1, 5, B, X)
    pB = jnp.array([0.5 * (1 + r0), 0.5 * (1 - r0)])
    avg = jnp.einsum("j,b,x,jsbx->sb", reference.masses, pB, wx, stats)  # (5, B)
    sign_B = jnp.array([1.0, -1.0])
    q, r = jnp.sum(avg[0]), jnp.sum(sign_B * avg[1])
    qs, R1 = jnp.sum(avg[2]), jnp.sum(avg[1])
    p1, p2 = jnp.sum(avg[3]), jnp.sum(sign_B * avg[3])
    return jnp.stack([q, r, qs, R1, p1, p2, jnp.sum(avg[4])])


@functools.partial(jax.jit, static_argnums=(9,))
def _task2_jit(model, reference, alpha2, r0, gamma, x0, warm, eta, newton_steps, newton_bound):
    k = gamma * model.beta

    def g(x):
        conj = _conjugates(x, alpha2, model.beta, model.quad)
        return _task2_moments(conj, reference, r0, k, model.quad)[:3]

    x, status, residual, steps = _solve_map(g, x0, warm, eta, newton_steps, newton_bound)
    conj = _conjugates(x, alpha2, model.beta, model.quad)
    mom = _task2_moments(conj, reference, r0, k, model.quad)
    phi = (0.5 * conj[0] * x[0] - conj[1] * x[1] - conj[2] * x[2] + mom[6]
           + alpha2 * energetic_term(x[0], x[1], x[2], model.beta, model.quad))
    return Task2Result(alpha2, r0, gamma, x[0], x[1], x[2], conj[0], conj[1], conj[2], mom[3], mom[4], mom[5],
                       generalization_error(mom[4]), generalization_error(mom[5]), phi, residual, status, steps)

r"""Pseudo-arclength continuation of :math:`F(x, \lambda) = 0` and precise location of folds.

**Continuation** (Keller 1977; Allgower & Georg, *Introduction to Numerical Continuation
Methods*, ch. 2). With :math:`u = (x, \lambda) \in \mathbb{R}^{n+1}` and unit tangent :math:`t`
spanning the null space of :math:`[F_x\;F_\lambda]`, each step predicts
:math:`\hat u = u + \Delta s\, t` and corrects with Newton on the bordered system

.. math:: F(x, \lambda) = 0, \qquad t \cdot (u - \hat u) = 0 .

The tangent at the new point solves :math:`[F_x\;F_\lambda;\ t_{\rm old}^\top]\, t = e_{n+1}`,
which keeps its orientation (:math:`t \cdot t_{\rm old} > 0`), so the branch is followed around
folds. A failed corrector halves the step; an easy one grows it. A **fold** (turning point in
:math:`\lambda`) lies between two points where :math:`d\lambda/ds` changes sign.

**Fold location** solves an augmented system with Newton (optimistix), to machine precision:

* ``method="det"``: :math:`F(x,\lambda) = 0,\ \det F_x(x,\lambda) = 0` (``n + 1`` unknowns);
* ``method="null_vector"`` (Moore & Spence 1980; better scaled for larger ``n``):
  :math:`F = 0,\ F_x v = 0,\ c\cdot v = 1` in :math:`(x, v, \lambda)`, where :math:`c` is the
  approximate null vector at the starting point.

``fn`` must map a 1-D array ``x`` of length ``n``, a scalar ``lam`` and ``args`` to a 1-D
residual of length ``n``. Everything is ``jit``-compiled and ``vmap``-able over ``args``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theorylab.numerics.root import newton
from theorylab.numerics.solution import Solution, Status, maybe_throw, status_result
from theorylab.validation import as_float_array, check_choice, check_finite, check_integer, check_positive

__all__ = ["Branch", "FoldPoint", "pseudo_arclength", "locate_fold", "find_folds"]


@status_result
class Branch(NamedTuple):
    """A solution branch traced by :func:`pseudo_arclength` (fixed-size buffers; a pytree).

    Attributes
    ----------
    x, lam:
        Points ``(max_points, n)`` and parameters ``(max_points,)``; rows past ``num_points``
        are padding (NaN).
    tangent:
        Unit tangents ``(max_points, n + 1)`` with the last entry ``d lam / ds``.
    num_points:
        Number of accepted points.
    status:
        ``SUCCESS`` when the branch ended normally (``max_points`` reached or ``lam`` left its
        bounds), ``STEP_TOO_SMALL`` if the corrector failed at the minimum step, ``MAX_STEPS``
        if the attempt budget ran out, ``NONFINITE`` if the starting point could not be corrected.
    """

    x: jnp.ndarray
    lam: jnp.ndarray
    tangent: jnp.ndarray
    num_points: jnp.ndarray
    status: jnp.ndarray

    @property
    def num_steps(self):
        """Continuation steps taken: the number of accepted points."""
        return self.num_points

    @property
    def valid(self):
        """Boolean mask of the accepted rows."""
        return jnp.arange(self.lam.shape[-1]) < jnp.asarray(self.num_points)[..., None]

    def fold_brackets(self) -> np.ndarray:
        """Indices ``k`` such that a fold lies between points ``k`` and ``k + 1``."""
        dlam = np.asarray(self.tangent[:, -1])
        n = int(self.num_points)
        sign = np.sign(dlam[:n])
        return np.nonzero(sign[:-1] * sign[1:] < 0)[0]


class FoldPoint(NamedTuple):
    """A fold (turning point): the state ``x``, the critical parameter ``lam`` and a null vector
    ``v`` of the Jacobian ``F_x`` there (unit norm)."""

    x: jnp.ndarray
    lam: jnp.ndarray
    null_vector: jnp.ndarray


def _check_problem(fn, x0, lam0, args):
    x0 = as_float_array(x0, "x0", ndim=1)
    check_finite(x0, "x0")
    lam0 = as_float_array(lam0, "lam0", ndim=0)
    check_finite(lam0, "lam0")
    out = jax.eval_shape(fn, x0, lam0, args)
    if getattr(out, "shape", None) != x0.shape:
        raise ValueError(
            f"`fn(x, lam, args)` must return a residual of shape {tuple(x0.shape)} (the shape of `x0`), "
            f"got {getattr(out, 'shape', type(out).__name__)}"
        )
    return x0, lam0


def _corrector(G, u0, tol, max_iter):
    """Plain Newton on a square system G(u) = 0 (used inside the continuation loop)."""
    jac = jax.jacfwd(G)

    def cond(c):
        _, it, res, _ = c
        return (res > tol) & (it < max_iter) & jnp.isfinite(res)

    def body(c):
        u, it, _, _ = c
        du = jnp.linalg.solve(jac(u), -G(u))
        u = u + du
        return u, it + 1, jnp.max(jnp.abs(G(u))), jnp.max(jnp.abs(du))

    res0 = jnp.max(jnp.abs(G(u0)))
    u, it, res, _ = jax.lax.while_loop(cond, body, (u0, jnp.asarray(0), res0, jnp.asarray(jnp.inf)))
    return u, (res <= tol) & jnp.all(jnp.isfinite(u)), it


def pseudo_arclength(
    fn: Callable,
    x0,
    lam0,
    args: Any = None,
    *,
    step: float = 1e-2,
    max_points: int = 200,
    min_step: float = 1e-10,
    max_step: float | None = None,
    lam_bounds: tuple[float, float] = (-np.inf, np.inf),
    direction: float = 1.0,
    tol: float = 1e-10,
    corrector_steps: int = 12,
    throw: bool = False,
) -> Branch:
    """Trace the branch of ``fn(x, lam, args) = 0`` through ``(x0, lam0)`` by pseudo-arclength.

    Parameters
    ----------
    fn:
        Residual ``F(x, lam, args)`` (1-D ``x`` of length ``n``, scalar ``lam``).
    x0, lam0:
        Starting guess; ``x0`` is first corrected at fixed ``lam0``.
    step, min_step, max_step:
        Initial, minimum and maximum arclength step (``max_step`` defaults to ``4 * step``).
    max_points:
        Number of points stored (including the start).
    lam_bounds:
        Stop once ``lam`` leaves this interval (the first point outside is kept).
    direction:
        Sign of ``d lam / ds`` at the start (``+1`` increases ``lam``).
    tol:
        Corrector tolerance on ``max|F|``.
    corrector_steps:
        Newton iterations allowed per corrector.
    throw:
        Raise :class:`~theorylab.numerics.ConvergenceError` if the branch did not end normally.
    """
    x0, lam0 = _check_problem(fn, x0, lam0, args)
    max_points = check_integer(max_points, "max_points", minimum=2)
    corrector_steps = check_integer(corrector_steps, "corrector_steps", minimum=1)
    for name, value in (("step", step), ("min_step", min_step), ("tol", tol)):
        check_positive(value, name)
    max_step = 4.0 * step if max_step is None else max_step
    check_positive(max_step, "max_step")
    if direction not in (1, -1, 1.0, -1.0):
        raise ValueError(f"`direction` must be +1 or -1, got {direction!r}")
    lo, hi = (float(b) for b in lam_bounds)
    if not lo < hi:
        raise ValueError(f"`lam_bounds` must be an increasing pair, got {lam_bounds!r}")
    branch = _pseudo_arclength(
        fn, x0, lam0, args, float(step), max_points, float(min_step), float(max_step),
        lo, hi, float(direction), float(tol), corrector_steps,
    )
    return maybe_throw(branch, throw, "pseudo_arclength", field="x")


@functools.partial(jax.jit, static_argnums=(0, *range(4, 13)))
def _pseudo_arclength(fn, x0, lam0, args, step, max_points, min_step, max_step, lo, hi, direction, tol, corrector_steps):
    n = x0.shape[0]
    dtype = x0.dtype

    def F(u):
        return fn(u[:n], u[n], args)

    jac_u = jax.jacfwd(F)
    e_last = jnp.zeros(n + 1, dtype).at[n].set(1.0)

    def tangent(u, t_prev):
        A = jnp.concatenate([jac_u(u), t_prev[None, :]], axis=0)
        t = jnp.linalg.solve(A, e_last)
        return t / jnp.linalg.norm(t)

    # Correct the starting point at fixed lam0.
    u_start = jnp.concatenate([x0, lam0[None]])
    u0, ok0, _ = _corrector(lambda u: jnp.concatenate([F(u), (u[n] - lam0)[None]]), u_start, tol, 4 * corrector_steps)
    t0 = tangent(u0, direction * e_last)

    X = jnp.full((max_points, n + 1), jnp.nan, dtype).at[0].set(u0)
    T = jnp.full((max_points, n + 1), jnp.nan, dtype).at[0].set(t0)
    max_attempts = 8 * max_points + 64
    status0 = jnp.where(ok0 & jnp.all(jnp.isfinite(t0)), -1, int(Status.NONFINITE))

    def cond(c):
        return c["status"] < 0

    def body(c):
        u, t, ds = c["u"], c["t"], c["ds"]
        u_pred = u + ds * t
        G = lambda v: jnp.concatenate([F(v), jnp.dot(t, v - u_pred)[None]])
        v, ok, iters = _corrector(G, u_pred, tol, corrector_steps)
        ok = ok & (jnp.linalg.norm(v - u) <= 2.0 * ds)  # refuse jumps to another branch
        t_new = tangent(v, t)
        ok = ok & jnp.all(jnp.isfinite(t_new))
        count = c["count"] + ok.astype(c["count"].dtype)
        X = jnp.where(ok, c["X"].at[c["count"]].set(v), c["X"])
        T = jnp.where(ok, c["T"].at[c["count"]].set(t_new), c["T"])
        grow = jnp.where(iters <= 3, 1.5, 1.0)
        ds_new = jnp.where(ok, jnp.minimum(ds * grow, max_step), 0.5 * ds)
        out_of_bounds = ok & ((v[n] < lo) | (v[n] > hi))
        attempts = c["attempts"] + 1
        status = jnp.where(
            ok & ((count >= max_points) | out_of_bounds),
            int(Status.SUCCESS),
            jnp.where(
                ~ok & (ds_new < min_step),
                int(Status.STEP_TOO_SMALL),
                jnp.where(attempts >= max_attempts, int(Status.MAX_STEPS), -1),
            ),
        )
        return dict(
            u=jnp.where(ok, v, u), t=jnp.where(ok, t_new, t), ds=ds_new, count=count,
            attempts=attempts, X=X, T=T, status=status,
        )

    carry = dict(
        u=u0, t=t0, ds=jnp.asarray(step, dtype), count=jnp.asarray(1), attempts=jnp.asarray(0),
        X=X, T=T, status=status0,
    )
    c = jax.lax.while_loop(cond, body, carry)
    return Branch(c["X"][:, :n], c["X"][:, n], c["T"], c["count"], c["status"])


def locate_fold(
    fn: Callable,
    x0,
    lam0,
    args: Any = None,
    *,
    method: str = "null_vector",
    tol: float = 1e-12,
    max_steps: int = 60,
    throw: bool = False,
) -> Solution:
    """Locate a fold of ``fn(x, lam, args) = 0`` near ``(x0, lam0)`` by Newton on an augmented system.

    Returns a :class:`~theorylab.numerics.solution.Solution` whose ``value`` is a
    :class:`FoldPoint`; ``residual`` is the max-norm of the augmented residual.
    """
    x0, lam0 = _check_problem(fn, x0, lam0, args)
    check_choice(method, "method", ("det", "null_vector"))
    max_steps = check_integer(max_steps, "max_steps", minimum=1)
    check_positive(tol, "tol")
    return _locate_fold(fn, x0, lam0, args, method, tol, max_steps, throw)


def _null_vector(J):
    _, _, vt = jnp.linalg.svd(J)
    return vt[-1]


@functools.partial(jax.jit, static_argnums=(0, 4, 5, 6, 7))
def _locate_fold(fn, x0, lam0, args, method, tol, max_steps, throw):
    n = x0.shape[0]
    Fx = lambda x, lam: jax.jacfwd(fn)(x, lam, args)
    if method == "det":

        def H(z, _):
            x, lam = z[:n], z[n]
            return jnp.concatenate([fn(x, lam, args), jnp.linalg.det(Fx(x, lam))[None]])

        z0 = jnp.concatenate([x0, lam0[None]])
        sol = newton(H, z0, tol=tol, max_steps=max_steps)
        x, lam = sol.value[:n], sol.value[n]
        v = _null_vector(Fx(x, lam))
    else:
        c = _null_vector(Fx(x0, lam0))

        def H(z, _):
            x, v, lam = z[:n], z[n : 2 * n], z[2 * n]
            Jv = jax.jvp(lambda xx: fn(xx, lam, args), (x,), (v,))[1]
            return jnp.concatenate([fn(x, lam, args), Jv, (jnp.dot(c, v) - 1.0)[None]])

        z0 = jnp.concatenate([x0, c, lam0[None]])
        sol = newton(H, z0, tol=tol, max_steps=max_steps)
        x, v, lam = sol.value[:n], sol.value[n : 2 * n], sol.value[2 * n]
        v = v / jnp.linalg.norm(v)
    out = Solution(FoldPoint(x, lam, v), sol.status, sol.residual, sol.num_steps)
    return maybe_throw(out, throw, "locate_fold")


def find_folds(branch: Branch, fn: Callable, args: Any = None, *, method: str = "null_vector",
               throw: bool = False) -> list[Solution]:
    """Locate every fold bracketed on a traced :class:`Branch` (one :func:`locate_fold` each).

    Each solve starts from the bracket point with the smaller ``|d lam / ds|``; ``throw=True``
    raises if any of them failed.
    """
    out = []
    dlam = np.abs(np.asarray(branch.tangent[:, -1]))
    for k in branch.fold_brackets():
        j = k if dlam[k] <= dlam[k + 1] else k + 1
        out.append(locate_fold(fn, branch.x[j], branch.lam[j], args, method=method, throw=throw))
    return out

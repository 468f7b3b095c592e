r"""Exact (unregularised) optimal transport references: assignment, LP, and the 1-D quantile formula.

These are the independent ground truths for tests, claims and docs. The entropic value obeys
:math:`\mathrm{EMD} \le \langle C, P_\varepsilon\rangle \le \mathrm{EMD} + \varepsilon\min(H(a), H(b))`
(:func:`entropic_bias_bound`; proof: :math:`P_\varepsilon` minimises :math:`\langle C,P\rangle - \varepsilon H(P)`,
:math:`H(P_\varepsilon) \le H(a) + H(b)` and :math:`H(P^\star) \ge \max(H(a), H(b))`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theorylab.estimators.transport._checks import validate_problem
from theorylab.validation import as_float_array, check_finite, check_positive

__all__ = ["ExactOT", "emd", "wasserstein_1d", "entropic_bias_bound", "entropy"]


class ExactOT(NamedTuple):
    cost: float  #: optimal <C, P>
    plan: np.ndarray
    method: str


def emd(cost, a=None, b=None) -> ExactOT:
    """Exact OT by the assignment algorithm (square, uniform weights) or the HiGHS LP otherwise.

    The LP has ``n m`` variables; keep ``n m`` below a few times 1e5.
    """
    from scipy import optimize, sparse  # imported on use (~0.3 s at import)

    cost, a, b, _ = validate_problem(cost, a, b, 1.0)
    C = np.asarray(cost)
    a, b = np.asarray(a), np.asarray(b)
    n, m = C.shape
    if n == m and np.allclose(a, a[0], rtol=1e-12, atol=0) and np.allclose(b, a[0], rtol=1e-12, atol=0):
        r, c = optimize.linear_sum_assignment(C)
        plan = np.zeros_like(C)
        plan[r, c] = a[0]
        return ExactOT(float(C[r, c].sum() * a[0]), plan, "assignment")
    rows = sparse.kron(sparse.eye(n), np.ones((1, m)))
    cols = sparse.kron(np.ones((1, n)), sparse.eye(m))
    A = sparse.vstack([rows, cols]).tocsr()
    res = optimize.linprog(C.ravel(), A_eq=A, b_eq=np.concatenate([a, b]), bounds=(0, None), method="highs",
                          options={"presolve": False})  # HiGHS presolve misreads the redundant row as infeasible
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the transport LP: {res.message}")
    return ExactOT(float(res.fun), res.x.reshape(n, m), "highs")


def wasserstein_1d(x, a=None, y=None, b=None, *, p: float = 1.0) -> float:
    r"""The Wasserstein distance :math:`W_p` between discrete measures on the line, from the
    quantile formula :math:`W_p^p = \int_0^1 |F^{-1}(t) - G^{-1}(t)|^p\,dt` (exact; Villani 2003,
    Thm 2.18).

    ``y=None`` uses the support ``x`` for both measures. Returns :math:`W_p` itself (the OT cost
    with ground cost :math:`|x - y|^p` is its ``p``-th power; POT's ``wasserstein_1d`` returns that
    power).
    """
    x = np.asarray(as_float_array(x, "x", ndim=1))
    y = x if y is None else np.asarray(as_float_array(y, "y", ndim=1))
    for name, s in (("x", x), ("y", y)):
        if s.size == 0:
            raise ValueError(f"`{name}` is empty: a measure needs at least one support point")
        check_finite(s, name)
    a = np.full(x.size, 1.0 / x.size) if a is None else np.asarray(as_float_array(a, "a", ndim=1))
    b = np.full(y.size, 1.0 / y.size) if b is None else np.asarray(as_float_array(b, "b", ndim=1))
    check_positive(p, "p")
    for w, name, s in ((a, "a", x), (b, "b", y)):
        if w.shape != s.shape:
            raise ValueError(f"`{name}` must match its support's shape {s.shape}, got {w.shape}")
        if np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError(f"`{name}` must be finite and non-negative")
    if abs(a.sum() - b.sum()) > 1e-8 * max(a.sum(), b.sum()):
        raise ValueError(f"`a` and `b` must have equal mass, got {a.sum()!r} and {b.sum()!r}")
    ia, ib = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
    xs, ws = x[ia], a[ia] / a.sum()
    ys, vs = y[ib], b[ib] / b.sum()
    Fa, Fb = np.cumsum(ws), np.cumsum(vs)
    t = np.unique(np.concatenate([[0.0], Fa, Fb, [1.0]]))
    t = t[(t >= 0) & (t <= 1)]
    mid = 0.5 * (t[1:] + t[:-1])
    qa = xs[np.minimum(np.searchsorted(Fa, mid), xs.size - 1)]
    qb = ys[np.minimum(np.searchsorted(Fb, mid), ys.size - 1)]
    return float((a.sum() * np.sum(np.diff(t) * np.abs(qa - qb) ** p)) ** (1.0 / p))


def entropy(w) -> float:
    """Shannon entropy (nats) of a weight vector, ``0 log 0 = 0``."""
    w = np.asarray(w, float)
    w = w[w > 0]
    return float(-np.sum(w * np.log(w)))


def entropic_bias_bound(a, b, eps) -> float:
    r""":math:`\varepsilon\min(H(a), H(b))`, the largest possible excess of :math:`\langle C, P_\varepsilon\rangle` over EMD."""
    return float(eps) * min(entropy(a), entropy(b))

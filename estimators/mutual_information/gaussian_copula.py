r"""A test of the Gaussian model behind the Gaussian MI estimator: are the normal scores jointly Gaussian?

The Gaussian estimator reads only the linear dependence of the data, so its value is the MI only when
the data, after each coordinate is mapped to its normal scores :math:`u = \Phi^{-1}(\mathrm{rank}/(N+1))`,
are jointly Gaussian (a Gaussian copula; the marginal check of the protocol covers the marginals).
Under that model the residual :math:`e` of the least-squares regression of the scores of :math:`y` on
those of :math:`x` is Gaussian and independent of :math:`x`; in particular its mean and its scale do not
change with the squared scores :math:`u_i^2`. Laws with a common scale (Student-t with identity
dispersion: uncorrelated, yet dependent) or a curved relation break exactly this.

**The statistic** ((M17) of ``docs/theory/mutual_information.md``). Whiten the residuals,
:math:`w = e\,L^{-\top}` with :math:`LL^\top` their sample covariance, and regress each :math:`w_j` and
each :math:`w_j^2` on :math:`(1, u_1^2, \dots, u_{d_x}^2)`. The Lagrange-multiplier statistic
:math:`T = N \sum R^2` over the :math:`2 d_y` regressions (Breusch & Pagan, Econometrica 47 (1979) 1287,
in the studentised form of Koenker, J. Econometrics 17 (1981) 107, for the squares; the same form for
the mean) is asymptotically :math:`\chi^2_{2 d_x d_y}` under the model: the whitened residuals are
independent standard normals, and :math:`w_j` and :math:`w_j^2` are uncorrelated.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from theorylab.estimators.mutual_information import _checks

__all__ = ["CopulaTest", "gaussian_copula_test", "gaussian_copula_statistic"]


class CopulaTest(NamedTuple):
    """Result of :func:`gaussian_copula_test`: the statistic, its chi-square degrees of freedom and the
    p-value (small: the normal scores are not jointly Gaussian)."""

    statistic: float
    dof: int
    p_value: float


def _r_squared(design, responses):
    coef, *_ = jnp.linalg.lstsq(design, responses)
    resid = responses - design @ coef
    centred = responses - jnp.mean(responses, axis=0)
    return 1.0 - jnp.sum(resid**2, axis=0) / jnp.sum(centred**2, axis=0)


@jax.jit
def _statistic_and_residual_share(x, y):
    from theorylab.estimators.mutual_information.transforms import normal_scores

    n = x.shape[0]
    u, v = normal_scores(x), normal_scores(y)
    ones = jnp.ones((n, 1), dtype=u.dtype)
    linear = jnp.concatenate([ones, u], axis=1)
    coef, *_ = jnp.linalg.lstsq(linear, v)
    e = v - linear @ coef
    # the smallest share of a column of v's variance left in its residual (0: an exact linear function)
    share = jnp.min(jnp.sum(e**2, axis=0) / jnp.sum((v - jnp.mean(v, axis=0)) ** 2, axis=0))
    chol = jnp.linalg.cholesky(e.T @ e / n)
    w = jax.scipy.linalg.solve_triangular(chol, e.T, lower=True).T  # whitened: w'w / N = I
    squares = jnp.concatenate([ones, u**2], axis=1)
    return n * jnp.sum(_r_squared(squares, jnp.concatenate([w, w**2], axis=1))), share


def gaussian_copula_statistic(x, y):
    """The statistic :math:`T` of :func:`gaussian_copula_test` (pure, ``jit``-compiled; ``(N, dx)``,
    ``(N, dy)`` arrays, normal scores taken inside; no argument checks)."""
    return _statistic_and_residual_share(x, y)[0]


def gaussian_copula_test(x, y) -> CopulaTest:
    r"""Test whether the normal scores of ``(x, y)`` are jointly Gaussian, in the directions that change
    the Gaussian estimator's answer: a mean or a scale of :math:`y` that moves with :math:`x^2`.

    ``x`` is ``(N,)`` or ``(N, dx)``, ``y`` ``(N,)`` or ``(N, dy)``, with ``N > dx + dy + 2``. Returns
    :class:`CopulaTest`; the p-value is from the :math:`\chi^2_{2 d_x d_y}` limit (its size is checked by
    Monte Carlo in the test suite). Raises ``ValueError`` when the residuals are degenerate (a coordinate
    of ``y`` is, in rank, an exact linear function of ``x``), where the test has nothing to say.
    """
    xa, ya = _checks.paired(x, y)
    n, dx, dy = xa.shape[0], xa.shape[1], ya.shape[1]
    if n <= dx + dy + 2:
        raise ValueError(f"the Gaussian-copula test needs N > dim_x + dim_y + 2 samples; got N = {n} with "
                         f"dim_x = {dx}, dim_y = {dy}")
    from scipy import stats

    statistic, share = (float(v) for v in _statistic_and_residual_share(xa, ya))
    if not (math.isfinite(statistic) and share > 1e-10):
        raise ValueError("the Gaussian-copula test has degenerate residuals: the normal scores of `y` are (to "
                         "rounding) a linear function of those of `x`")
    dof = 2 * dx * dy
    return CopulaTest(statistic, dof, float(stats.chi2.sf(statistic, dof)))

"""Shared numerics for the theory areas: quadrature, fixed points, Newton, continuation,
line and power-law fits, estimates with intervals, the Adam optimizer, one MLP and the N*-from-curve rule.

All routines are pure functions over JAX arrays, ``jit``/``vmap``-able, and return a
:class:`Solution` with an explicit :class:`Status` where they iterate.
"""

from theorylab.numerics.adam import Adam, AdamState, cosine_schedule
from theorylab.numerics.estimate import Estimate, Interval, t_interval
from theorylab.numerics.curves import n_star_from_curve
from theorylab.numerics.mlp import mlp_apply, mlp_init
from theorylab.numerics.continuation import Branch, FoldPoint, find_folds, locate_fold, pseudo_arclength
from theorylab.numerics.fits import LinearFit, fit_line, fit_power_law
from theorylab.numerics.fixed_point import fixed_point
from theorylab.numerics.quadrature import (
    QuadratureRule,
    composite_gaussian_rule,
    gauss_hermite,
    gauss_legendre,
    gaussian_expectation,
    kinked_gaussian_rule,
)
from theorylab.numerics.root import newton
from theorylab.numerics.solution import ConvergenceError, Solution, Status, describe_status, status_result

__all__ = [
    "Adam",
    "AdamState",
    "Branch",
    "ConvergenceError",
    "Estimate",
    "Interval",
    "FoldPoint",
    "LinearFit",
    "QuadratureRule",
    "Solution",
    "Status",
    "cosine_schedule",
    "describe_status",
    "status_result",
    "t_interval",
    "find_folds",
    "fit_line",
    "fit_power_law",
    "fixed_point",
    "gauss_hermite",
    "gauss_legendre",
    "gaussian_expectation",
    "kinked_gaussian_rule",
    "composite_gaussian_rule",
    "locate_fold",
    "mlp_apply",
    "mlp_init",
    "n_star_from_curve",
    "newton",
    "pseudo_arclength",
]

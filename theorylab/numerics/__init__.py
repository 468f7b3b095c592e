"""Shared numerics for the theory areas: quadrature, fixed points, Newton, continuation,
line and power-law fits, estimates with intervals, the Adam optimizer, one MLP and the N*-from-curve rule.

All routines are pure functions over JAX arrays, ``jit``/``vmap``-able, and return a
:class:`Solution` with an explicit :class:`Status` where they iterate.
"""

import importlib as _importlib

# eager: the function shares its submodule's name, and importing that submodule anywhere would
# otherwise bind the module, not the function, to ``theorylab.numerics.fixed_point``
from theorylab.numerics.fixed_point import fixed_point

# name -> submodule; submodules load on first use, so importing one numerics module (the status
# types, say) does not pull in SciPy, optimistix and the rest (import time)
_LAZY = {
    "Adam": "theorylab.numerics.adam",
    "AdamState": "theorylab.numerics.adam",
    "Branch": "theorylab.numerics.continuation",
    "ConvergenceError": "theorylab.numerics.solution",
    "Estimate": "theorylab.numerics.estimate",
    "FoldPoint": "theorylab.numerics.continuation",
    "Interval": "theorylab.numerics.estimate",
    "LinearFit": "theorylab.numerics.fits",
    "QuadratureRule": "theorylab.numerics.quadrature",
    "Solution": "theorylab.numerics.solution",
    "Status": "theorylab.numerics.solution",
    "composite_gaussian_rule": "theorylab.numerics.quadrature",
    "cosine_schedule": "theorylab.numerics.adam",
    "describe_status": "theorylab.numerics.solution",
    "find_folds": "theorylab.numerics.continuation",
    "fit_line": "theorylab.numerics.fits",
    "fit_power_law": "theorylab.numerics.fits",
    "gauss_hermite": "theorylab.numerics.quadrature",
    "gauss_legendre": "theorylab.numerics.quadrature",
    "gaussian_expectation": "theorylab.numerics.quadrature",
    "kinked_gaussian_rule": "theorylab.numerics.quadrature",
    "locate_fold": "theorylab.numerics.continuation",
    "mlp_apply": "theorylab.numerics.mlp",
    "mlp_init": "theorylab.numerics.mlp",
    "n_star_from_curve": "theorylab.numerics.curves",
    "newton": "theorylab.numerics.root",
    "pseudo_arclength": "theorylab.numerics.continuation",
    "status_result": "theorylab.numerics.solution",
    "t_interval": "theorylab.numerics.estimate",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


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

"""Sparse linear regression on random supports (Chandrasekaran, Meka & Stavropoulos 2025) and its toolbox.

* :mod:`~theorylab.estimators.sparse.designs`: Gaussian, equicorrelated-cluster, near-duplicate-pair and Toeplitz
  designs with known covariance; random and worst-case supports; random-sign and contrast coefficients;
* :mod:`~theorylab.estimators.sparse.lasso_solvers`: the Lasso in scikit-learn's scaling (working-set coordinate descent
  finished by active-set steps, or FISTA), both stopped on the duality gap; warm-started paths; K-fold CV;
* :mod:`~theorylab.estimators.sparse.greedy`: orthogonal matching pursuit, exhaustive best subset, oracle least squares;
* :mod:`~theorylab.estimators.sparse.preconditioning`: the preconditioned Lasso and a data-driven preconditioner
  search (sparse column dependencies), with pairwise / cluster / augmented-dictionary baselines;
* :mod:`~theorylab.estimators.sparse.theory`: oracle and OLS risks, the soft-threshold risk, the theory alpha, the
  slow-rate bound, prediction error and excess risk;
* :mod:`~theorylab.estimators.sparse.curves`: prediction error against N for several methods, N*(eps) and
  log-log slopes in d.

The seed paper's Phase-1 algorithm could not be read; the theory note (``docs/theory/sparse.md``) says
what is ours and what is the paper's, and gives the equations (S1)-(S7) the code cites.
"""

import theorylab  # noqa: F401  (float64 on)
from theorylab.estimators.sparse.curves import METHOD_NAMES, ErrorCurves, error_curves, fit_slopes, sample_complexity
from theorylab.estimators.sparse.designs import (
    KINDS,
    Design,
    SLRProblem,
    cluster_condition_number,
    cluster_covariance,
    cluster_labels,
    contrast_values,
    design_covariance,
    make_design,
    make_problem,
    random_sign_values,
    sample_support,
    within_cluster_pairs,
)
from theorylab.estimators.sparse.greedy import SubsetFit, best_subset, least_squares, omp, oracle_least_squares
from theorylab.estimators.sparse.lasso_solvers import (
    LassoCVResult,
    LassoPath,
    LassoResult,
    alpha_grid,
    alpha_max,
    duality_gap,
    contiguous_folds,
    random_folds,
    lasso,
    lasso_cv,
    lasso_objective,
    lasso_path,
    soft_threshold,
)
from theorylab.estimators.sparse.preconditioning import (
    DictionaryFit,
    Preconditioner,
    augment_dictionary,
    find_preconditioner,
    preconditioned_lasso,
)
from theorylab.estimators.sparse.theory import (
    SlowRate,
    alpha_theory,
    excess_risk,
    ols_risk,
    oracle_risk,
    orthogonal_lasso_risk,
    prediction_error,
    slow_rate_bound,
    soft_threshold_risk,
)

__all__ = [
    "ErrorCurves", "METHOD_NAMES", "error_curves", "fit_slopes", "sample_complexity",
    "KINDS", "Design", "SLRProblem", "cluster_condition_number", "cluster_covariance", "cluster_labels",
    "contrast_values", "design_covariance", "make_design", "make_problem", "random_sign_values", "sample_support",
    "within_cluster_pairs",
    "SubsetFit", "best_subset", "least_squares", "omp", "oracle_least_squares",
    "LassoCVResult", "LassoPath", "LassoResult", "alpha_grid", "alpha_max", "duality_gap", "contiguous_folds", "random_folds", "lasso",
    "lasso_cv", "lasso_objective", "lasso_path", "soft_threshold",
    "DictionaryFit", "Preconditioner", "augment_dictionary", "find_preconditioner", "preconditioned_lasso",
    "SlowRate", "alpha_theory", "excess_risk", "ols_risk", "oracle_risk", "orthogonal_lasso_risk",
    "prediction_error", "slow_rate_bound", "soft_threshold_risk",
]

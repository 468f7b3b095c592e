"""Mutual-information estimators with confidence intervals and reliability checks.

* :mod:`~theorylab.estimators.mutual_information.ground_truth`: exact MI of Gaussian, Student-t, additive
  uniform, Gaussian-channel and latent-Gaussian models; the exact Gaussian plug-in bias;
* :mod:`~theorylab.estimators.mutual_information.distributions`: those models as NumPyro distributions;
* :mod:`~theorylab.estimators.mutual_information.transforms`: MI-preserving invertible maps (bmi's tasks);
* :mod:`~theorylab.estimators.mutual_information.kraskov`: KSG variants 1 and 2, exact brute-force JAX search;
* :mod:`~theorylab.estimators.mutual_information.gaussian`: bias-corrected log-det estimator, delta-method error;
* :mod:`~theorylab.estimators.mutual_information.bounds`: InfoNCE, NWJ, TUBA, DV, JS, SMILE on a score matrix;
* :mod:`~theorylab.estimators.mutual_information.neural`: separable / concat / hybrid / variational critics;
* :mod:`~theorylab.estimators.mutual_information.estimator`: the :class:`MIEstimator` protocol and name registry;
* :mod:`~theorylab.estimators.mutual_information.subsampling`: disjoint subsampling, Holmes-Nemenman variance;
* :mod:`~theorylab.estimators.mutual_information.protocol`: extrapolation to infinite N, consistency checks,
  :func:`estimate_with_ci`, :func:`bootstrap`;
* :mod:`~theorylab.estimators.mutual_information.tasks`: benchmark tasks with known MI, as data;
* :mod:`~theorylab.estimators.mutual_information.calibration`: calibration studies of intervals and
  verdicts over the tasks (:func:`calibration_study`, on a cluster with ``executor=``).

Seed paper: Abdelaleem, Martini & Nemenman, "Accurate estimation of mutual information in high
dimensional data" (2025); the protocol follows its authors' library NeuralMI (see the docs'
conventions for what could and could not be checked against the paper).
"""

import theorylab  # noqa: F401  (float64 on)
from theorylab.estimators.mutual_information import bounds, transforms
from theorylab.estimators.mutual_information.bounds import dv, infonce, js, nwj, smile, smile_objective, tuba

# The data generators are NumPyro distributions; NumPyro costs ~0.5 s at import, so they load on
# first use (module __getattr__ below).
_LAZY = {
    name: "theorylab.estimators.mutual_information.distributions"
    for name in ("AdditiveUniform", "JointGaussian", "JointStudentT", "correlated_pair", "dense_covariance",
                 "latent_gaussian", "sparse_covariance")
}


def __getattr__(name):
    import importlib

    if name == "distributions":
        return importlib.import_module("theorylab.estimators.mutual_information.distributions")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from theorylab.estimators.mutual_information.gaussian import GaussianMI, gaussian_mi, gaussian_statistic
from theorylab.estimators.mutual_information.ground_truth import (
    canonical_correlations,
    gaussian_plugin_bias,
    mi_additive_uniform,
    mi_gaussian,
    mi_gaussian_canonical,
    mi_gaussian_channel,
    mi_latent_gaussian,
    mi_student_t,
    student_t_correction,
)
from theorylab.estimators.mutual_information.kraskov import KSG, ksg, ksg_statistic
from theorylab.estimators.mutual_information.neural import NeuralMI, neural_mi, smooth_curve
from theorylab.estimators.mutual_information.estimator import (
    MIEstimator,
    estimator_names,
    register_estimator,
    resolve_estimator,
)
from theorylab.estimators.mutual_information.protocol import (
    Extrapolation,
    bootstrap,
    consistency,
    estimate_with_ci,
    extrapolate,
)
from theorylab.estimators.mutual_information.subsampling import (
    DEFAULT_GAMMAS,
    Subsamples,
    hn_effective_dof,
    hn_variance,
    subsample,
    subsample_statistics,
)
from theorylab.estimators.mutual_information.gaussian_copula import CopulaTest, gaussian_copula_test
from theorylab.estimators.mutual_information.result import MIEstimate, MIResult
from theorylab.estimators.mutual_information import calibration, tasks
from theorylab.estimators.mutual_information.calibration import CalibrationRow, CalibrationStudy, calibration_study
from theorylab.estimators.mutual_information.tasks import MITask, task_suite

__all__ = [
    "bounds", "distributions", "transforms",
    "dv", "infonce", "js", "nwj", "smile", "smile_objective", "tuba",
    "AdditiveUniform", "JointGaussian", "JointStudentT", "correlated_pair", "dense_covariance", "latent_gaussian",
    "sparse_covariance",
    "GaussianMI", "gaussian_mi", "gaussian_statistic",
    "canonical_correlations", "gaussian_plugin_bias", "mi_additive_uniform", "mi_gaussian", "mi_gaussian_canonical",
    "mi_gaussian_channel", "mi_latent_gaussian", "mi_student_t", "student_t_correction",
    "KSG", "ksg", "ksg_statistic",
    "NeuralMI", "neural_mi", "smooth_curve",
    "MIEstimator", "estimator_names", "register_estimator", "resolve_estimator",
    "Extrapolation", "bootstrap", "consistency", "estimate_with_ci", "extrapolate",
    "DEFAULT_GAMMAS", "Subsamples", "hn_effective_dof", "hn_variance", "subsample", "subsample_statistics",
    "CopulaTest", "gaussian_copula_test",
    "MIEstimate", "MIResult",
    "calibration", "tasks", "CalibrationRow", "CalibrationStudy", "calibration_study", "MITask", "task_suite",
]

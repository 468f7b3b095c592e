"""DSD sample-complexity tasks: CNN vs LCN vs FCN on the Dynamic Signal Distribution.

Seed paper: A. Lahoti, S. Karp, E. Winston, A. Singh, Y. Li, "Role of locality and weight sharing
in image-based tasks: a sample complexity separation between CNNs, LCNs, and FCNs", ICLR 2024.
Only the abstract could be read; the distribution, the architectures and the two-step algorithm
are reconstructed from the public reviews (spec A1, ``docs/conventions``).

* :class:`DSD` (a NumPyro distribution) and its closed forms: :func:`moments`,
  :func:`linear_floor`, :func:`oracle_error` (exact convolution), :func:`bayes_error`;
* networks (:func:`init_params`, :func:`apply`, :func:`lsa`) and learners :class:`TwoStep`,
  :class:`GradientDescent`;
* :func:`test_error`, :func:`error_curves`, :func:`sample_complexity` (N* with a bootstrap
  interval), :func:`sweep`, :func:`fit_exponent`, :func:`theory_rates`, :func:`theory_exponent`;
* :func:`plot_sample_complexity`, :func:`plot_error_curves`.
"""

from theorylab.learning.dsd.complexity import (
    RATES,
    ExponentFit,
    SampleComplexity,
    error_curves,
    fit_exponent,
    n_star_from_curve,
    sample_complexity,
    sweep,
    test_error,
    theory_exponent,
    theory_rates,
)
from theorylab.learning.dsd.distribution import (
    DSD,
    NOISE_PLACEMENTS,
    DSDSample,
    MonteCarloValue,
    bayes_error,
    linear_floor,
    lsa,
    moments,
    oracle_error,
    unit_error,
)
from theorylab.learning.dsd.plotting import plot_error_curves, plot_sample_complexity
from theorylab.learning.dsd.networks import ARCHITECTURES, Params, apply, init_params, normalize_filters, preactivations
from theorylab.learning.dsd.training import GDResult, GradientDescent, TwoStep, correlation_gradient

__all__ = [
    "DSD",
    "DSDSample",
    "NOISE_PLACEMENTS",
    "MonteCarloValue",
    "moments",
    "linear_floor",
    "oracle_error",
    "unit_error",
    "bayes_error",
    "lsa",
    "ARCHITECTURES",
    "Params",
    "init_params",
    "apply",
    "preactivations",
    "normalize_filters",
    "TwoStep",
    "GradientDescent",
    "GDResult",
    "correlation_gradient",
    "test_error",
    "error_curves",
    "n_star_from_curve",
    "SampleComplexity",
    "sample_complexity",
    "sweep",
    "ExponentFit",
    "fit_exponent",
    "theory_rates",
    "theory_exponent",
    "RATES",
    "plot_error_curves",
    "plot_sample_complexity",
]

"""Information geometry of exponential families and the p-n criterion (Sheena 2021).

How large must a sample be for a ``p``-parameter exponential family? The KL risk of the MLE toward
the information projection is ``R_n = C1/n + C2/n^2 + O(n^-3)``; comparing it with a Bayes-error
threshold gives the p-n criterion.
"""

from theorylab.infogeo.core import (
    TruthCumulants,
    cumulant,
    fisher_information,
    information_projection,
    kl_divergence,
    mean_statistic,
    mle,
    truth_from_model,
    truth_from_raw_moments,
    truth_from_samples,
)
from theorylab.infogeo.criterion import PNResult, bayes_error_threshold, n_required, pn_criterion, pn_select, tic_penalty
from theorylab.infogeo.families import (
    ExpFamily,
    bernoulli,
    exponential,
    from_quadrature,
    gamma,
    mvn,
    normal,
    poisson,
    polynomial_on_interval,
    reparametrize,
)
from theorylab.infogeo.risk import (
    MonteCarloRisk,
    RiskCoefficients,
    exact_risk_exponential_gamma,
    exact_risk_mvn,
    exact_risk_normal,
    risk_coefficients,
    risk_expansion,
    risk_monte_carlo,
)

__all__ = [
    "ExpFamily", "MonteCarloRisk", "PNResult", "RiskCoefficients", "TruthCumulants",
    "bayes_error_threshold", "bernoulli", "cumulant", "exact_risk_exponential_gamma", "exact_risk_mvn",
    "exact_risk_normal", "exponential", "fisher_information", "from_quadrature", "gamma",
    "information_projection", "kl_divergence", "mean_statistic", "mle", "mvn", "n_required", "normal",
    "pn_criterion", "pn_select", "poisson", "polynomial_on_interval", "reparametrize", "risk_coefficients",
    "risk_expansion", "risk_monte_carlo", "tic_penalty", "truth_from_model", "truth_from_raw_moments",
    "truth_from_samples",
]

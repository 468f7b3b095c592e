"""Entropic optimal transport: log-domain Sinkhorn and Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024).

* :mod:`~estimators.transport.geometry`: cost matrices from point clouds;
* :mod:`~estimators.transport.potential`: the dual (Lyapunov) potential, gradient, Hessian products;
* :mod:`~estimators.transport.sinkhorn_solver`: log-domain Sinkhorn with optional adaptive momentum;
* :mod:`~estimators.transport.sns_solver`: Sinkhorn-Newton-Sparse with SSNS safeguards (mass rule, shift);
* :mod:`~estimators.transport.sparse_newton`: sparsified Newton systems (ELL storage, Schur complement);
* :mod:`~estimators.transport.certificates`: marginal errors, KKT residual, duality gap;
* :mod:`~estimators.transport.exact`: EMD (assignment / HiGHS), the 1-D quantile formula, the entropic bias bound;
* :mod:`~estimators.transport.datasets`: the benchmark instances.
"""

import theorylab  # noqa: F401  (float64 on)
from estimators.transport import datasets
from estimators.transport.certificates import (
    Certificate,
    certificate,
    kkt_residual,
    plan_certificate,
)
from estimators.transport.exact import (
    ExactOT,
    emd,
    entropic_bias_bound,
    entropy,
    wasserstein_1d,
)
from estimators.transport.geometry import cost_matrix
from estimators.transport.output import EntropicOTResult
from estimators.transport.potential import (
    dual_gradient,
    dual_value,
    hessian_matvec,
    log_plan,
    marginals,
    plan,
    primal_value,
)
from estimators.transport.sinkhorn_solver import sinkhorn
from estimators.transport.sns_solver import sns
from estimators.transport.sparse_newton import SparseNewtonSystem, full_matvec, sparsify

__all__ = [
    "datasets", "Certificate", "certificate", "kkt_residual", "plan_certificate", "ExactOT", "emd",
    "entropic_bias_bound", "entropy", "wasserstein_1d", "cost_matrix", "EntropicOTResult", "dual_gradient",
    "dual_value", "hessian_matvec", "log_plan", "marginals", "plan", "primal_value", "sinkhorn", "sns",
    "SparseNewtonSystem", "full_matvec", "sparsify",
]

"""Entropic optimal transport: log-domain Sinkhorn and Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024).

* :mod:`~theorylab.estimators.transport.geometry`: cost matrices from point clouds;
* :mod:`~theorylab.estimators.transport.potential`: the dual (Lyapunov) potential, gradient, Hessian products;
* :mod:`~theorylab.estimators.transport.sinkhorn_solver`: log-domain Sinkhorn with optional adaptive momentum;
* :mod:`~theorylab.estimators.transport.sns_solver`: Sinkhorn-Newton-Sparse with SSNS safeguards (mass rule, shift);
* :mod:`~theorylab.estimators.transport.sparse_newton`: sparsified Newton systems (ELL storage, Schur complement);
* :mod:`~theorylab.estimators.transport.certificates`: marginal errors, KKT residual, duality gap;
* :mod:`~theorylab.estimators.transport.exact`: EMD (assignment / HiGHS), the 1-D quantile formula, the entropic bias bound;
* :mod:`~theorylab.estimators.transport.datasets`: the benchmark instances.
"""

import theorylab  # noqa: F401  (float64 on)
from theorylab.estimators.transport import datasets
from theorylab.estimators.transport.certificates import (
    Certificate,
    certificate,
    kkt_residual,
    plan_certificate,
)
from theorylab.estimators.transport.exact import (
    ExactOT,
    emd,
    entropic_bias_bound,
    entropy,
    wasserstein_1d,
)
from theorylab.estimators.transport.geometry import cost_matrix
from theorylab.estimators.transport.output import EntropicOTResult
from theorylab.estimators.transport.potential import (
    dual_gradient,
    dual_value,
    hessian_matvec,
    log_plan,
    marginals,
    plan,
    primal_value,
)
from theorylab.estimators.transport.sinkhorn_solver import sinkhorn
from theorylab.estimators.transport.sns_solver import sns
from theorylab.estimators.transport.sparse_newton import SparseNewtonSystem, full_matvec, sparsify

__all__ = [
    "datasets", "Certificate", "certificate", "kkt_residual", "plan_certificate", "ExactOT", "emd",
    "entropic_bias_bound", "entropy", "wasserstein_1d", "cost_matrix", "EntropicOTResult", "dual_gradient",
    "dual_value", "hessian_matvec", "log_plan", "marginals", "plan", "primal_value", "sinkhorn", "sns",
    "SparseNewtonSystem", "full_matvec", "sparsify",
]

"""Quantile aggregation (Fakoor, Kim, Mueller, Smola & Tibshirani, JMLR 2023) and its toolbox.

* :mod:`~theorylab.estimators.quantile.scores`: pinball loss, interval score, WIS, coverage, crossing rate, CRPS;
* :mod:`~theorylab.estimators.quantile.monotone`: sort, exact isotonic projection, min-max sweep, crossing penalty;
* :mod:`~theorylab.estimators.quantile.aggregation`: global/local x coarse/medium/fine softmax aggregators fit with Adam;
* :mod:`~theorylab.estimators.quantile.lp`: the exact LP fit of global coarse/medium aggregators (HiGHS);
* :mod:`~theorylab.estimators.quantile.stacking`: base-model adapters and out-of-fold predictions;
* :mod:`~theorylab.estimators.quantile.conformal`: split conformalized quantile regression with the exact rank;
* :mod:`~theorylab.estimators.quantile.pooling`: Vincentization and linear-pool quantiles;
* :mod:`~theorylab.estimators.quantile.datasets`: offline datasets (diabetes, Engel, birthweight).
"""

import theorylab  # noqa: F401  (float64 on)
from theorylab.estimators.quantile.aggregation import (
    AggregatorConfig,
    AggregatorFit,
    aggregator_loss,
    aggregator_weights,
    apply_aggregator,
    fit_aggregator,
    init_aggregator,
)
from theorylab.estimators.quantile.conformal import (
    ConformalOffsets,
    conformal_quantile,
    conformal_rank,
    conformalize,
    cqr_offset,
    cqr_offsets,
)
from theorylab.estimators.quantile.lp import LPAggregatorFit, fit_aggregator_lp
from theorylab.estimators.quantile.monotone import (
    adaptive_margin,
    crossing_penalty,
    isotonic_projection,
    minmax_sweep,
    monotonize,
)
from theorylab.estimators.quantile.pooling import linear_pool_quantiles, vincentize
from theorylab.estimators.quantile.scores import (
    coverage,
    crossing_rate,
    crps_from_quantiles,
    interval_score,
    pinball_loss,
    weighted_interval_score,
)
from theorylab.estimators.quantile.stacking import (
    GaussianLinearModel,
    MultiLevelModel,
    NearestNeighbourModel,
    PerLevelModel,
    QuantileModel,
    fit_predict,
    out_of_fold_predictions,
)

__all__ = [
    "AggregatorConfig",
    "AggregatorFit",
    "ConformalOffsets",
    "GaussianLinearModel",
    "LPAggregatorFit",
    "MultiLevelModel",
    "NearestNeighbourModel",
    "PerLevelModel",
    "QuantileModel",
    "adaptive_margin",
    "aggregator_loss",
    "aggregator_weights",
    "apply_aggregator",
    "conformal_quantile",
    "conformal_rank",
    "conformalize",
    "coverage",
    "cqr_offset",
    "cqr_offsets",
    "crossing_penalty",
    "crossing_rate",
    "crps_from_quantiles",
    "fit_aggregator",
    "fit_aggregator_lp",
    "fit_predict",
    "init_aggregator",
    "interval_score",
    "isotonic_projection",
    "linear_pool_quantiles",
    "minmax_sweep",
    "monotonize",
    "out_of_fold_predictions",
    "pinball_loss",
    "vincentize",
    "weighted_interval_score",
]

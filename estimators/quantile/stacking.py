"""Base quantile models and out-of-fold stacking (the inputs of an aggregator).

A *quantile model* is any object with ``fit(X, y)`` and ``predict(X) -> (n, m)`` (one column per
level). scikit-learn and quantile-forest estimators become quantile models through
:class:`PerLevelModel` (one estimator per level, e.g. ``QuantileRegressor``) and
:class:`MultiLevelModel` (one estimator predicting every level, e.g.
``RandomForestQuantileRegressor``). Two small models need nothing beyond numpy:
:class:`GaussianLinearModel` and :class:`NearestNeighbourModel`.

:func:`out_of_fold_predictions` gives the K-fold out-of-fold predictions ``Z (n, p, m)`` an
aggregator is fit on (Fakoor et al. 2023, Sec. 5; Wolpert's stacking).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.stats import norm

from theorylab.estimators.quantile import _checks
from theorylab.validation import check_finite, check_integer

__all__ = [
    "PerLevelModel",
    "MultiLevelModel",
    "GaussianLinearModel",
    "NearestNeighbourModel",
    "fit_predict",
    "out_of_fold_predictions",
]


def _xy(X, y=None):
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"`X` must be (n, d), got shape {X.shape}")
    check_finite(X, "X")
    if y is None:
        return X
    y = np.asarray(y, dtype=float)
    if y.shape != (X.shape[0],):
        raise ValueError(f"`y` must have shape ({X.shape[0]},) to match `X`, got {y.shape}")
    check_finite(y, "y")
    return X, y


class PerLevelModel:
    """One estimator per level: ``make_estimator(tau)`` returns an unfitted scikit-learn-style regressor."""

    def __init__(self, make_estimator: Callable[[float], Any], taus):
        self.make_estimator = make_estimator
        self.taus = np.asarray(_checks.levels(taus))

    def fit(self, X, y):
        X, y = _xy(X, y)
        self.estimators_ = [self.make_estimator(float(t)).fit(X, y) for t in self.taus]
        return self

    def predict(self, X):
        X = _xy(X)
        return np.column_stack([e.predict(X) for e in self.estimators_])


class MultiLevelModel:
    """An estimator whose ``predict(X, **{keyword: taus})`` returns every level at once
    (quantile-forest: ``keyword="quantiles"``)."""

    def __init__(self, estimator, taus, keyword: str = "quantiles"):
        self.estimator = estimator
        self.taus = np.asarray(_checks.levels(taus))
        self.keyword = keyword

    def fit(self, X, y):
        X, y = _xy(X, y)
        self.estimator_ = copy.deepcopy(self.estimator).fit(X, y)
        return self

    def predict(self, X):
        out = np.asarray(self.estimator_.predict(_xy(X), **{self.keyword: list(self.taus)}), dtype=float)
        return out.reshape(out.shape[0], -1)


class GaussianLinearModel:
    """Least squares mean plus a constant Gaussian spread: q_tau(x) = x'b + s Phi^-1(tau), with s the
    residual standard deviation on n - d - 1 degrees of freedom."""

    def __init__(self, taus):
        self.taus = np.asarray(_checks.levels(taus))

    def fit(self, X, y):
        X, y = _xy(X, y)
        A = np.column_stack([np.ones(len(y)), X])
        if len(y) <= A.shape[1]:
            raise ValueError(f"GaussianLinearModel needs more rows than d + 1 = {A.shape[1]}, got {len(y)}")
        self.coef_, *_ = np.linalg.lstsq(A, y, rcond=None)
        resid = y - A @ self.coef_
        self.scale_ = float(np.sqrt(resid @ resid / (len(y) - A.shape[1])))
        return self

    def predict(self, X):
        X = _xy(X)
        mean = self.coef_[0] + X @ self.coef_[1:]
        return mean[:, None] + self.scale_ * norm.ppf(self.taus)[None, :]


class NearestNeighbourModel:
    """Empirical quantiles (numpy's linear interpolation) of the targets of the k nearest training
    points in Euclidean distance (brute force, ties broken by index)."""

    def __init__(self, taus, k: int = 30):
        self.taus = np.asarray(_checks.levels(taus))
        self.k = check_integer(k, "k", minimum=1)

    def fit(self, X, y):
        self.X_, self.y_ = _xy(X, y)
        if self.k > len(self.y_):
            raise ValueError(f"`k` = {self.k} exceeds the {len(self.y_)} training rows")
        return self

    def predict(self, X):
        X = _xy(X)
        d2 = ((X[:, None, :] - self.X_[None, :, :]) ** 2).sum(-1)
        idx = np.argsort(d2, axis=1, kind="stable")[:, : self.k]
        return np.quantile(self.y_[idx], self.taus, axis=1).T


def _fresh(model):
    return model() if callable(model) and not hasattr(model, "fit") else copy.deepcopy(model)


def _checked_prediction(pred, name, n, m):
    pred = np.asarray(pred, dtype=float)
    if pred.shape != (n, m):
        raise ValueError(f"model {name!r} predicted shape {pred.shape}; expected ({n}, {m}) (rows x levels)")
    if not np.all(np.isfinite(pred)):
        raise ValueError(f"model {name!r} predicted non-finite quantiles")
    return pred


def fit_predict(models: Mapping[str, Any], X, y, X_new, n_levels: int):
    """Fit every model on (X, y) and predict ``X_new``: ``Z (n_new, p, m)``.

    ``models`` maps names to quantile models (copied before fitting) or to zero-argument factories.
    """
    X, y = _xy(X, y)
    X_new = _xy(X_new)
    m = check_integer(n_levels, "n_levels", minimum=1)
    return np.stack(
        [_checked_prediction(_fresh(mod).fit(X, y).predict(X_new), name, len(X_new), m) for name, mod in models.items()],
        axis=1,
    )


def out_of_fold_predictions(models: Mapping[str, Any], X, y, n_levels: int, *, n_splits: int = 5, seed: int = 0):
    """K-fold out-of-fold predictions ``Z (n, p, m)``: row i is predicted by models not trained on it.

    Folds are a seeded random partition into ``n_splits`` near-equal parts.
    """
    X, y = _xy(X, y)
    n = len(y)
    n_splits = check_integer(n_splits, "n_splits", minimum=2, maximum=n)
    if not models:
        raise ValueError("`models` is empty")
    folds = np.array_split(np.random.default_rng(seed).permutation(n), n_splits)
    Z = np.empty((n, len(models), check_integer(n_levels, "n_levels", minimum=1)))
    for held in folds:
        train = np.setdiff1d(np.arange(n), held)
        Z[held] = fit_predict(models, X[train], y[train], X[held], n_levels)
    return Z

"""Base quantile models and out-of-fold stacking (the inputs of an aggregator).

A *quantile model* follows :class:`QuantileModel`: ``fit(X, y)`` returns the fitted model and
``predict(X) -> (n, m)`` gives one column per level. scikit-learn and quantile-forest estimators become quantile models through
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
from typing import Any, Protocol, runtime_checkable

import equinox as eqx
import jax
import numpy as np

from theorylab.estimators.quantile import _checks
from theorylab.validation import check_finite, check_integer, check_key

__all__ = [
    "QuantileModel",
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


@runtime_checkable
class QuantileModel(Protocol):
    """The plug-in point for base quantile models (structural typing).

    ``fit(X, y)`` returns the fitted model (the built-in models are frozen and return a new object;
    scikit-learn-style models that fit in place and return ``self`` qualify too: the stacking
    functions copy them before fitting), and ``predict(X)`` returns ``(n, m)`` quantiles.
    """

    def fit(self, X, y) -> "QuantileModel":  # pragma: no cover - protocol
        """Fit on ``X (n, d)``, ``y (n,)``; return the fitted model."""
        ...

    def predict(self, X) -> np.ndarray:  # pragma: no cover - protocol
        """Quantiles ``(n, m)``, one column per level."""
        ...


def _not_fitted(model) -> None:
    raise ValueError(f"this {type(model).__name__} is not fitted: use the model returned by fit(X, y)")


class PerLevelModel(eqx.Module):
    """One estimator per level: ``make_estimator(tau)`` returns an unfitted scikit-learn-style regressor."""

    make_estimator: Callable[[float], Any]
    taus: np.ndarray
    estimators: tuple | None

    def __init__(self, make_estimator: Callable[[float], Any], taus, *, estimators=None):
        if not callable(make_estimator):
            raise TypeError(f"`make_estimator` must be a function tau -> estimator, got {type(make_estimator).__name__}")
        self.make_estimator = make_estimator
        self.taus = np.asarray(_checks.levels(taus))
        self.estimators = estimators

    def fit(self, X, y) -> "PerLevelModel":
        """A fitted copy: one new estimator per level, fitted on ``(X, y)``."""
        X, y = _xy(X, y)
        return PerLevelModel(self.make_estimator, self.taus,
                             estimators=tuple(self.make_estimator(float(t)).fit(X, y) for t in self.taus))

    def predict(self, X):
        """``(n, m)``: each level's estimator's prediction."""
        if self.estimators is None:
            _not_fitted(self)
        X = _xy(X)
        return np.column_stack([e.predict(X) for e in self.estimators])


class MultiLevelModel(eqx.Module):
    """An estimator whose ``predict(X, **{keyword: taus})`` returns every level at once
    (quantile-forest: ``keyword="quantiles"``)."""

    estimator: Any
    taus: np.ndarray
    keyword: str
    fitted: Any

    def __init__(self, estimator, taus, keyword: str = "quantiles", *, fitted=None):
        self.estimator = estimator
        self.taus = np.asarray(_checks.levels(taus))
        self.keyword = keyword
        self.fitted = fitted

    def fit(self, X, y) -> "MultiLevelModel":
        """A fitted copy (the estimator is deep-copied before fitting)."""
        X, y = _xy(X, y)
        return MultiLevelModel(self.estimator, self.taus, self.keyword, fitted=copy.deepcopy(self.estimator).fit(X, y))

    def predict(self, X):
        """``(n, m)`` quantiles from the fitted estimator."""
        if self.fitted is None:
            _not_fitted(self)
        out = np.asarray(self.fitted.predict(_xy(X), **{self.keyword: list(self.taus)}), dtype=float)
        return out.reshape(out.shape[0], -1)


class GaussianLinearModel(eqx.Module):
    """Least squares mean plus a constant Gaussian spread: q_tau(x) = x'b + s Phi^-1(tau), with s the
    residual standard deviation on n - d - 1 degrees of freedom."""

    taus: np.ndarray
    coef: np.ndarray | None
    scale: float | None

    def __init__(self, taus, *, coef=None, scale=None):
        self.taus = np.asarray(_checks.levels(taus))
        self.coef = coef
        self.scale = scale

    def fit(self, X, y) -> "GaussianLinearModel":
        """A fitted copy: OLS coefficients and the residual standard deviation."""
        X, y = _xy(X, y)
        A = np.column_stack([np.ones(len(y)), X])
        if len(y) <= A.shape[1]:
            raise ValueError(f"GaussianLinearModel needs more rows than d + 1 = {A.shape[1]}, got {len(y)}")
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        resid = y - A @ coef
        return GaussianLinearModel(self.taus, coef=coef, scale=float(np.sqrt(resid @ resid / (len(y) - A.shape[1]))))

    def predict(self, X):
        """``(n, m)``: the fitted mean plus ``scale * Phi^-1(tau)``."""
        if self.coef is None:
            _not_fitted(self)
        X = _xy(X)
        mean = self.coef[0] + X @ self.coef[1:]
        from scipy.special import ndtri  # the normal quantile; scipy.stats would cost 0.7 s at import

        return mean[:, None] + self.scale * ndtri(np.asarray(self.taus, float))[None, :]


class NearestNeighbourModel(eqx.Module):
    """Empirical quantiles (numpy's linear interpolation) of the targets of the k nearest training
    points in Euclidean distance (brute force, ties broken by index)."""

    taus: np.ndarray
    k: int
    X_train: np.ndarray | None
    y_train: np.ndarray | None

    def __init__(self, taus, k: int = 30, *, X_train=None, y_train=None):
        self.taus = np.asarray(_checks.levels(taus))
        self.k = check_integer(k, "k", minimum=1)
        self.X_train = X_train
        self.y_train = y_train

    def fit(self, X, y) -> "NearestNeighbourModel":
        """A fitted copy that stores the training set."""
        X, y = _xy(X, y)
        if self.k > len(y):
            raise ValueError(f"`k` = {self.k} exceeds the {len(y)} training rows")
        return NearestNeighbourModel(self.taus, self.k, X_train=X, y_train=y)

    def predict(self, X):
        """``(n, m)``: quantiles of the k nearest training targets."""
        if self.X_train is None:
            _not_fitted(self)
        X = _xy(X)
        d2 = ((X[:, None, :] - self.X_train[None, :, :]) ** 2).sum(-1)
        idx = np.argsort(d2, axis=1, kind="stable")[:, : self.k]
        return np.quantile(self.y_train[idx], self.taus, axis=1).T


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


def out_of_fold_predictions(key, models: Mapping[str, Any], X, y, n_levels: int, *, n_splits: int = 5):
    """K-fold out-of-fold predictions ``Z (n, p, m)``: row i is predicted by models not trained on it.

    Folds are a random partition (a permutation drawn from ``key``) into ``n_splits`` near-equal parts.
    """
    key = check_key(key)
    X, y = _xy(X, y)
    n = len(y)
    n_splits = check_integer(n_splits, "n_splits", minimum=2, maximum=n)
    if not models:
        raise ValueError("`models` is empty")
    folds = np.array_split(np.asarray(jax.random.permutation(key, n)), n_splits)
    Z = np.empty((n, len(models), check_integer(n_levels, "n_levels", minimum=1)))
    for held in folds:
        train = np.setdiff1d(np.arange(n), held)
        Z[held] = fit_predict(models, X[train], y[train], X[held], n_levels)
    return Z

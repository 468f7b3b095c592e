"""Regression datasets that ship offline with scikit-learn and statsmodels (the theory note, docs/theory/quantile.md, uses them for P4-P8).

Each loader returns ``(X, y, description)`` with float64 numpy arrays. The peers are optional:
a missing one raises ``ImportError`` naming the extra to install (``pip install theorylab[verify]``).
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["load_diabetes", "load_engel", "load_birthweight"]


def _need(module: str, package: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise ImportError(f"this dataset ships with {package}; install it (pip install 'theorylab[verify]')") from None


def load_diabetes():
    """scikit-learn's diabetes data: 442 patients, 10 standardised baseline features, a disease
    progression score one year later (Efron et al. 2004)."""
    datasets = _need("sklearn.datasets", "scikit-learn")
    X, y = datasets.load_diabetes(return_X_y=True)
    return np.asarray(X, float), np.asarray(y, float), "diabetes (scikit-learn): 442 x 10, target = progression"


def load_engel():
    """Engel's 1857 food expenditure data (235 Belgian households): X = income, y = food expenditure
    (Koenker & Bassett 1982; statsmodels.datasets.engel)."""
    sm_datasets = _need("statsmodels.datasets", "statsmodels")
    d = sm_datasets.engel.load_pandas().data
    return d[["income"]].to_numpy(float), d["foodexp"].to_numpy(float), "Engel (statsmodels): 235 x 1"


def load_birthweight():
    """Cattaneo (2010) birthweight data, the copy in statsmodels' test folder (4642 births):
    y = birth weight in grams, X = the other numeric columns except ``lbweight`` (the indicator
    bweight < 2500, a function of y). Not statsmodels public API: pinned to the layout of
    statsmodels 0.14-0.15."""
    sm = _need("statsmodels", "statsmodels")
    path = os.path.join(os.path.dirname(sm.__file__), "treatment", "tests", "results", "cataneo2.csv")
    if not os.path.exists(path):
        raise FileNotFoundError(f"statsmodels {sm.__version__} does not ship {path}; use statsmodels 0.14 or 0.15")
    pd = _need("pandas", "pandas")
    d = pd.read_csv(path)
    y = d["bweight"].to_numpy(float)
    X = d.drop(columns=["bweight", "lbweight"]).select_dtypes("number").to_numpy(float)
    return X, y, f"birthweight (Cattaneo 2010, statsmodels test data): {X.shape[0]} x {X.shape[1]}"

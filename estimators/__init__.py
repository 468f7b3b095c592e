"""Estimators users point at data: mutual information, optimal transport, quantile aggregation and
sparse regression (installed as ``theorylab.estimators``)."""

import importlib as _importlib

__all__ = ['mutual_information', 'quantile', 'sparse', 'transport']


def __getattr__(name):  # lazy: importing the parent package does not import every area
    if name in __all__:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

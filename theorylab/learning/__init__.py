"""Learning theory: sample-complexity tasks (:mod:`theorylab.learning.dsd`)."""

import importlib as _importlib

__all__ = ['dsd']


def __getattr__(name):  # lazy: importing the parent package does not import every area
    if name in __all__:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

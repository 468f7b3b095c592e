"""Statistical mechanics: the AGS equations (:mod:`~theorylab.statmech.ags`), dense Hebbian networks
(:mod:`~theorylab.statmech.hebbian`) and Franz-Parisi potentials (:mod:`~theorylab.statmech.franz_parisi`)."""

import importlib as _importlib

__all__ = ['ags', 'franz_parisi', 'hebbian']


def __getattr__(name):  # lazy: importing the parent package does not import every area
    if name in __all__:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

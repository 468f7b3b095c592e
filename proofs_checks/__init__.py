"""Symbolic (sympy) derivations that theorylab's numeric code relies on, each one a check.

Every module exposes ``check_*()`` functions returning a :class:`CheckResult`; :func:`run_all`
runs them all. The checks may import the numeric code to compare against it; the numeric code
never imports this package.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import NamedTuple

__all__ = ["CheckResult", "all_checks", "run_all"]


class CheckResult(NamedTuple):
    name: str
    ok: bool
    detail: str

    def __bool__(self) -> bool:
        return bool(self.ok)


def all_checks():
    """Every ``check_*`` function of every module in this package, as ``(qualified name, fn)``."""
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for attr in sorted(dir(module)):
            if attr.startswith("check_") and callable(getattr(module, attr)):
                out.append((f"{info.name}.{attr}", getattr(module, attr)))
    return out


def run_all() -> list[CheckResult]:
    """Run every registered sympy check, in registry order."""
    return [fn() for _, fn in all_checks()]

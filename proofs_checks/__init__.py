"""Symbolic (sympy) derivations that theorylab's numeric code relies on, each one a check.

Every check is a function of a module here, registered by the :func:`symbolic_check` decorator
and returning a :class:`CheckResult`; :func:`all_checks` finds them through a
:class:`theorylab.registration.Registry`, the mechanism that also finds the paper claims of
:mod:`theorylab.claims`. The checks may import the numeric code to compare against it; the numeric
code never imports this package.
"""

from __future__ import annotations

from typing import NamedTuple

from theorylab.registration import Registry

__all__ = ["CheckResult", "CHECK_REGISTRY", "symbolic_check", "all_checks", "run_all"]


class CheckResult(NamedTuple):
    name: str
    ok: bool
    detail: str

    def __bool__(self) -> bool:
        return bool(self.ok)


#: Every check the modules of this package register with :func:`symbolic_check`.
CHECK_REGISTRY: Registry = Registry(__name__, "symbolic check")


def symbolic_check(fn):
    """Register ``fn`` (no arguments, returns a :class:`CheckResult`) as ``"<module>.<function name>"``."""
    module = fn.__module__
    CHECK_REGISTRY.add(f"{module.rsplit('.', 1)[-1]}.{fn.__name__}", fn, module)
    return fn


def all_checks():
    """Every registered check, as ``(qualified name, fn)``: modules by name, then definition order."""
    return CHECK_REGISTRY.collect()


def run_all() -> list[CheckResult]:
    """Run every registered sympy check, in registry order."""
    return [fn() for _, fn in all_checks()]

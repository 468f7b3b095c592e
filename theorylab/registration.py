"""One mechanism to find what the package registers: paper claims and symbolic checks.

A :class:`Registry` belongs to a package. Modules of that package register objects as they are
defined, with a decorator that sits on the function it describes (``@claim(...)`` on a claim's
``measure`` function, ``@symbolic_check`` on a sympy check), and :meth:`Registry.collect` imports
every public module of the package and returns what they registered: modules in name order, and
within a module in definition order. Nothing is listed twice and nothing is listed by hand, so a
claim or a check cannot be written and then forgotten in a table elsewhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Objects registered by the modules of one package, found by importing the package's modules.

    Parameters
    ----------
    package:
        Dotted name of the package whose modules register (``"theorylab.claims"``).
    kind:
        What is registered, in words, for error messages (``"claim"``).
    """

    def __init__(self, package: str, kind: str):
        self.package = package
        self.kind = kind
        self._entries: dict[str, tuple[str, T]] = {}

    def add(self, name: str, obj: T, module: str) -> T:
        """Register ``obj`` under ``name`` on behalf of ``module``; a name registered twice raises.

        Re-importing the same module (``importlib.reload``) replaces its own entries.
        """
        if not module.startswith(self.package + "."):
            raise ValueError(f"{self.kind} {name!r} is defined in {module}, outside {self.package}; "
                             f"only {self.package}.* modules register {self.kind}s")
        previous = self._entries.get(name)
        if previous is not None and previous[0] != module:
            raise ValueError(f"duplicate {self.kind} {name!r}: registered by {previous[0]} and by {module}")
        self._entries[name] = (module, obj)
        return obj

    def collect(self) -> list[tuple[str, T]]:
        """Import every public module of the package; every ``(name, object)`` registered, in order.

        Order: modules by name, then definition order within a module.
        """
        pkg = importlib.import_module(self.package)
        modules = sorted(i.name for i in pkgutil.iter_modules(pkg.__path__) if not i.name.startswith("_"))
        for name in modules:
            importlib.import_module(f"{self.package}.{name}")
        rank = {f"{self.package}.{name}": i for i, name in enumerate(modules)}
        # a stable sort by module keeps the definition (insertion) order within a module
        return [(name, obj) for name, (module, obj) in
                sorted(self._entries.items(), key=lambda kv: rank.get(kv[1][0], len(rank)))]

    def __repr__(self) -> str:
        return f"Registry({self.package!r}, {self.kind!r}, {len(self._entries)} registered)"

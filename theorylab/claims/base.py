"""What a claim is: a verifiable statement from a paper, its expected value(s) and how to measure it.

A :class:`Claim` names the statement, the expected value of each measured quantity as an
:class:`Expectation` (:class:`Close`, :class:`AtMost`, :class:`AtLeast`, :class:`Between`), two
problem sizes (``quick`` for the default suite and the tests, ``full`` for ``--full``), and a
``measure(key, **size)`` function that computes a :class:`Measurement` from a PRNG key. Judging is
separate from measuring: :meth:`Claim.judge` compares every measured value with its expectation,
and the outcome is a :class:`Verdict`. Drawing is separate too: a claim's ``figure`` function
draws from the arrays the measurement hands over in ``Measurement.data``, and only when a figure
is wanted (a report), so measuring code holds no plotting code.

A claim is registered where it is measured, with the :func:`claim` decorator on its ``measure``
function; :func:`theorylab.claims.all_claims` finds every registered claim by the same mechanism
(:class:`theorylab.registration.Registry`) that finds the sympy checks.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import equinox as eqx

from theorylab.registration import Registry

__all__ = [
    "Expectation",
    "Close",
    "AtMost",
    "AtLeast",
    "Between",
    "Measurement",
    "Claim",
    "claim",
    "CLAIM_REGISTRY",
    "Verdict",
    "ClaimResult",
]


def _fmt(x: float) -> str:
    return f"{x:.6g}"


class Expectation(eqx.Module):
    """Base class of the expected outcome of one measured quantity."""

    def judge(self, measured: float) -> bool:  # pragma: no cover - abstract
        """True when ``measured`` meets the expectation."""
        raise NotImplementedError

    def describe(self, name: str) -> str:  # pragma: no cover - abstract
        """The expectation in words, for quantity ``name``."""
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        """``{"kind": <class name>, <field>: <value>, ...}``."""
        return {"kind": type(self).__name__, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}}


class Close(Expectation):
    """``|measured - value| <= tol``."""

    value: float
    tol: float

    def __check_init__(self):
        if not (math.isfinite(self.value) and self.tol > 0):
            raise ValueError(f"Close needs a finite value and tol > 0, got {self.value!r} ± {self.tol!r}")

    def judge(self, measured: float) -> bool:
        """``|measured - value| <= tol`` (and finite)."""
        return math.isfinite(measured) and abs(measured - self.value) <= self.tol

    def describe(self, name: str) -> str:
        """``name = value ± tol``."""
        return f"{name} = {_fmt(self.value)} ± {self.tol:.1g}"


class AtMost(Expectation):
    """``measured <= bound``."""

    bound: float

    def judge(self, measured: float) -> bool:
        """``measured <= bound`` (and finite)."""
        return math.isfinite(measured) and measured <= self.bound

    def describe(self, name: str) -> str:
        """``name <= bound``."""
        return f"{name} <= {_fmt(self.bound)}"


class AtLeast(Expectation):
    """``measured >= bound``."""

    bound: float

    def judge(self, measured: float) -> bool:
        """``measured >= bound`` (and finite)."""
        return math.isfinite(measured) and measured >= self.bound

    def describe(self, name: str) -> str:
        """``name >= bound``."""
        return f"{name} >= {_fmt(self.bound)}"


class Between(Expectation):
    """``lower <= measured <= upper``."""

    lower: float
    upper: float

    def __check_init__(self):
        if not self.lower <= self.upper:
            raise ValueError(f"Between needs lower <= upper, got [{self.lower!r}, {self.upper!r}]")

    def judge(self, measured: float) -> bool:
        """``lower <= measured <= upper``."""
        return math.isfinite(measured) and self.lower <= measured <= self.upper

    def describe(self, name: str) -> str:
        """``name in [lower, upper]``."""
        return f"{name} in [{_fmt(self.lower)}, {_fmt(self.upper)}]"


class Measurement(NamedTuple):
    """What a claim's ``measure`` function returns.

    ``values`` maps each expected quantity's name to a float; ``data`` holds what the claim's
    ``figure`` function draws (arrays, numbers; ``None`` when the claim has no figure); ``notes`` is
    free text shown in the report (method, sizes, caveats).
    """

    values: Mapping[str, float]
    data: Any = None
    notes: str = ""


class Verdict(str, enum.Enum):
    """The outcome of a claim: reproduced, not reproduced (with the measured figure) or an error."""

    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not_reproduced"
    ERROR = "error"


_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")


class Claim(eqx.Module):
    """One verifiable statement from a paper.

    Attributes
    ----------
    id:
        ``"<paper>.<name>"``, e.g. ``"ags.alpha_c_t0"``.
    paper:
        Paper id (a key of :data:`theorylab.claims.registry.PAPERS`).
    statement:
        The claim in words, as the paper makes it.
    expected:
        Quantity name -> :class:`Expectation`.
    measure:
        ``measure(key, **size) -> Measurement``.
    sizes:
        ``{"quick": {...}, "full": {...}}`` keyword arguments for ``measure``.
    source:
        Where the expected numbers come from (equation, table, figure, or an independent
        computation when the paper gives only a plot).
    full_only:
        Run only at the full size (GPU-sized or long checks); the quick suite lists but skips it.
    figure:
        ``figure(data) -> matplotlib.figure.Figure`` drawing ``Measurement.data``, or ``None``.
    """

    id: str
    paper: str
    statement: str
    expected: Mapping[str, Expectation]
    measure: Callable[..., Measurement]
    sizes: Mapping[str, Mapping[str, Any]] = eqx.field(default_factory=lambda: {"quick": {}, "full": {}})
    source: str = ""
    full_only: bool = False  #: too heavy for the default run: only ``--full`` (and the slow tests) run it
    figure: Callable[[Any], Any] | None = None  #: draws ``Measurement.data``; never called while measuring

    def __check_init__(self):
        if not _ID.match(self.id) or not self.id.startswith(self.paper + "."):
            raise ValueError(f"claim id must look like '{self.paper}.<name>' (lowercase), got {self.id!r}")
        if not self.expected:
            raise ValueError(f"claim {self.id!r} must expect at least one quantity")
        for name, exp in self.expected.items():
            if not isinstance(exp, Expectation):
                raise TypeError(f"claim {self.id!r}: expected[{name!r}] must be an Expectation, got {exp!r}")
        missing = {"quick", "full"} - set(self.sizes)
        if missing:
            raise ValueError(f"claim {self.id!r}: sizes must define 'quick' and 'full' (missing {sorted(missing)})")

    def judge(self, measurement: Measurement) -> Verdict:
        """``REPRODUCED`` iff every expected quantity was measured and meets its expectation."""
        missing = set(self.expected) - set(measurement.values)
        if missing:
            raise KeyError(f"claim {self.id!r}: the measurement lacks {sorted(missing)}")
        ok = all(exp.judge(float(measurement.values[k])) for k, exp in self.expected.items())
        return Verdict.REPRODUCED if ok else Verdict.NOT_REPRODUCED

    def describe_expected(self) -> str:
        """Every expectation in words, separated by semicolons."""
        return "; ".join(e.describe(k) for k, e in self.expected.items())


class ClaimResult(NamedTuple):
    """The outcome of running one claim."""

    claim: Claim
    verdict: Verdict
    measured: dict[str, float]
    seconds: float
    size: str
    notes: str = ""
    error: str = ""
    figure: Any = None

    @property
    def id(self) -> str:
        return self.claim.id

    def describe_measured(self) -> str:
        """The measured values (or the error) in words."""
        if self.verdict is Verdict.ERROR:
            return f"error: {self.error}"
        return "; ".join(f"{k} = {_fmt(v)}" for k, v in self.measured.items())

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data (the report's ``results.json`` rows)."""
        return {
            "id": self.claim.id,
            "paper": self.claim.paper,
            "statement": self.claim.statement,
            "expected": {k: e.to_json() for k, e in self.claim.expected.items()},
            "expected_text": self.claim.describe_expected(),
            "measured": {k: float(v) for k, v in self.measured.items()},
            "measured_text": self.describe_measured(),
            "verdict": self.verdict.value,
            "seconds": round(self.seconds, 3),
            "size": self.size,
            "source": self.claim.source,
            "notes": self.notes,
            "error": self.error,
        }


#: Every claim the modules of :mod:`theorylab.claims` register with :func:`claim`.
CLAIM_REGISTRY: Registry[Claim] = Registry("theorylab.claims", "claim")


def claim(id: str, *, statement: str, expected: Mapping[str, Expectation],
          sizes: Mapping[str, Mapping[str, Any]] | None = None, source: str = "", full_only: bool = False,
          figure: Callable[[Any], Any] | None = None):
    """Register the decorated function as the ``measure`` of the claim ``id`` (``"<paper>.<name>"``).

    The arguments are those of :class:`Claim` (the paper is the part of ``id`` before the dot). The
    function is returned unchanged, so it can be called directly and can carry more than one claim
    (stack the decorators)::

        @claim("ags.alpha_c_t0", statement="...", expected={"alpha_c": Close(0.138, 5e-4)},
               sizes={"quick": {"curve_points": 200}, "full": {"curve_points": 2000}},
               source="AGS, PRL 55 (1985)", figure=draw_alpha_c_t0)
        def measure_alpha_c_t0(key, *, curve_points): ...
    """
    paper = id.split(".", 1)[0]
    extra = {} if sizes is None else {"sizes": sizes}

    def register(measure: Callable[..., Measurement]) -> Callable[..., Measurement]:
        built = Claim(id=id, paper=paper, statement=statement, expected=expected, measure=measure, source=source,
                      full_only=full_only, figure=figure, **extra)
        CLAIM_REGISTRY.add(id, built, measure.__module__)
        return measure

    return register

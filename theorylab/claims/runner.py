"""Running claims: one PRNG key per claim, timing, and errors captured as verdicts."""

from __future__ import annotations

import sys
import time
import traceback
import zlib
from collections.abc import Iterable

import jax
import numpy as np

from theorylab.claims.base import Claim, ClaimResult, Measurement, Verdict
from theorylab.validation import check_key

__all__ = ["claim_key", "run_claim", "run_claims"]


def claim_key(key, claim_id: str):
    """The key a claim measures with: ``key`` folded with the claim id (a CRC32), so it depends on
    the base key and the id only, never on which other claims ran or in what order.

    ``theorylab verify --seed S`` uses ``key = jax.random.key(S)``.
    """
    key = check_key(key)
    return jax.random.fold_in(key, zlib.crc32(claim_id.encode()) & 0x7FFFFFFF)


def run_claim(key, claim: Claim, *, size: str = "quick") -> ClaimResult:
    """Measure and judge one claim with the key :func:`claim_key` derives from ``key``.

    Exceptions become ``Verdict.ERROR`` with the message kept.
    """
    key = check_key(key)
    if size not in claim.sizes:
        raise ValueError(f"`size` must be one of {sorted(claim.sizes)}, got {size!r}")
    start = time.perf_counter()
    try:
        measurement = claim.measure(claim_key(key, claim.id), **claim.sizes[size])
        if not isinstance(measurement, Measurement):
            raise TypeError(f"measure() must return a Measurement, got {type(measurement).__name__}")
        values = {k: float(np.asarray(v)) for k, v in measurement.values.items()}
        verdict = claim.judge(Measurement(values))
        return ClaimResult(claim, verdict, values, time.perf_counter() - start, size,
                           notes=measurement.notes, figure=measurement.figure)
    except Exception as err:  # a claim that crashes is reported, not raised
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        return ClaimResult(claim, Verdict.ERROR, {}, time.perf_counter() - start, size,
                           error=detail, notes=traceback.format_exc(limit=6))


def run_claims(key, claims: Iterable[Claim], *, size: str = "quick", progress: bool = True) -> list[ClaimResult]:
    """Run claims in order (each with its :func:`claim_key`), showing progress on stderr.

    On a terminal the progress is a bar; otherwise (logs, CI) one line per finished claim.
    """
    from tqdm.std import tqdm  # plain text bar: no notebook-widget dependency

    key = check_key(key)

    claims = list(claims)
    interactive = progress and sys.stderr.isatty()
    bar = tqdm(total=len(claims), desc="claims", unit="claim", file=sys.stderr, disable=not interactive, leave=False)
    results = []
    for i, claim in enumerate(claims, 1):
        bar.set_postfix_str(claim.id)
        result = run_claim(key, claim, size=size)
        results.append(result)
        bar.update()
        if progress and not interactive:
            print(f"[{i}/{len(claims)}] {claim.id}: {result.verdict.value} ({result.seconds:.1f} s)", file=sys.stderr, flush=True)
    bar.close()
    return results

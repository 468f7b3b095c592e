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

__all__ = ["claim_key", "run_claim", "run_claims"]


def claim_key(claim_id: str, seed: int = 0):
    """A PRNG key that depends on the seed and the claim id only (not on run order)."""
    return jax.random.fold_in(jax.random.key(seed), zlib.crc32(claim_id.encode()) & 0x7FFFFFFF)


def run_claim(claim: Claim, *, size: str = "quick", seed: int = 0) -> ClaimResult:
    """Measure and judge one claim. Exceptions become ``Verdict.ERROR`` with the message kept."""
    if size not in claim.sizes:
        raise ValueError(f"`size` must be one of {sorted(claim.sizes)}, got {size!r}")
    start = time.perf_counter()
    try:
        measurement = claim.measure(claim_key(claim.id, seed), **claim.sizes[size])
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


def run_claims(claims: Iterable[Claim], *, size: str = "quick", seed: int = 0, progress: bool = True) -> list[ClaimResult]:
    """Run claims in order, showing progress on stderr.

    On a terminal the progress is a bar; otherwise (logs, CI) one line per finished claim.
    """
    from tqdm.std import tqdm  # plain text bar: no notebook-widget dependency

    claims = list(claims)
    interactive = progress and sys.stderr.isatty()
    bar = tqdm(total=len(claims), desc="claims", unit="claim", file=sys.stderr, disable=not interactive, leave=False)
    results = []
    for i, claim in enumerate(claims, 1):
        bar.set_postfix_str(claim.id)
        result = run_claim(claim, size=size, seed=seed)
        results.append(result)
        bar.update()
        if progress and not interactive:
            print(f"[{i}/{len(claims)}] {claim.id}: {result.verdict.value} ({result.seconds:.1f} s)", file=sys.stderr, flush=True)
    bar.close()
    return results

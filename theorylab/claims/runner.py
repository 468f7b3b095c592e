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
from theorylab.validation import check_key, raw_key_data

__all__ = ["claim_key", "run_claim", "run_claims"]


def claim_key(key, claim_id: str):
    """The key a claim measures with: ``key`` folded with the claim id (a CRC32), so it depends on
    the base key and the id only, never on which other claims ran or in what order.

    ``theorylab verify --seed S`` uses ``key = jax.random.key(S)``.
    """
    key = check_key(key)
    return jax.random.fold_in(key, zlib.crc32(claim_id.encode()) & 0x7FFFFFFF)


def run_claim(key, claim: Claim, *, size: str = "quick", figure: bool = True) -> ClaimResult:
    """Measure and judge one claim with the key :func:`claim_key` derives from ``key``.

    Exceptions while measuring or judging become ``Verdict.ERROR`` with the message kept. With
    ``figure=True`` the claim's ``figure`` function then draws the measurement's ``data``; the
    drawing never changes the verdict, and a drawing that fails is said in the result's notes.
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
        seconds = time.perf_counter() - start
    except Exception as err:  # a claim that crashes is reported, not raised
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        return ClaimResult(claim, Verdict.ERROR, {}, time.perf_counter() - start, size,
                           error=detail, notes=traceback.format_exc(limit=6))
    notes, drawn = measurement.notes, None
    if figure and claim.figure is not None:
        try:
            drawn = claim.figure(measurement.data)
        except Exception as err:  # the numbers stand; the missing picture is said
            detail = "".join(traceback.format_exception_only(type(err), err)).strip()
            notes = f"{notes}\n(figure failed: {detail})".strip()
    return ClaimResult(claim, verdict, values, seconds, size, notes=notes, figure=drawn)


def _run_claim_remote(key_data, claim_id: str, size: str, figure: bool) -> tuple:
    """Run one claim where an executor puts it (looked up by id there) and return its fields
    without the claim object (the caller puts its own back)."""
    from theorylab.claims.registry import get_claim

    result = run_claim(jax.random.wrap_key_data(np.asarray(key_data)), get_claim(claim_id), size=size, figure=figure)
    return tuple(result)[1:]


def run_claims(key, claims: Iterable[Claim], *, size: str = "quick", progress: bool = True,
               executor=None, figures: bool = True) -> list[ClaimResult]:
    """Run claims (each with its :func:`claim_key`), showing progress on stderr; results in the given order.

    On a terminal the progress is a bar; otherwise (logs, CI) one line per finished claim. With an
    ``executor`` (a :class:`concurrent.futures.Executor`, e.g. a Dask ``client.get_executor()``)
    every claim is a task, looked up by its id on the worker; results stream back as they finish
    and are identical to an in-process run (the key of a claim depends on its id only).
    ``figures=False`` skips drawing (see :func:`run_claim`).
    """
    from concurrent.futures import as_completed

    from tqdm.std import tqdm  # plain text bar: no notebook-widget dependency

    key = check_key(key)
    typed = key if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) else jax.random.wrap_key_data(key)

    claims = list(claims)
    interactive = progress and sys.stderr.isatty()
    bar = tqdm(total=len(claims), desc="claims", unit="claim", file=sys.stderr, disable=not interactive, leave=False)
    results: list[ClaimResult | None] = [None] * len(claims)
    done = 0

    def finished(index, result):
        nonlocal done
        done += 1
        results[index] = result
        bar.update()
        if progress and not interactive:
            print(f"[{done}/{len(claims)}] {result.claim.id}: {result.verdict.value} ({result.seconds:.1f} s)",
                  file=sys.stderr, flush=True)

    if executor is None:
        for i, claim in enumerate(claims):
            bar.set_postfix_str(claim.id)
            finished(i, run_claim(typed, claim, size=size, figure=figures))
    else:
        key_data = raw_key_data(key)
        futures = {executor.submit(_run_claim_remote, key_data, claim.id, size, figures): i for i, claim in enumerate(claims)}
        for fut in as_completed(futures):
            i = futures.pop(fut)
            try:
                fields = fut.result()
                result = ClaimResult(claims[i], *fields)
            except Exception as err:  # a lost task or an unpicklable result: reported like a crash
                detail = "".join(traceback.format_exception_only(type(err), err)).strip()
                result = ClaimResult(claims[i], Verdict.ERROR, {}, 0.0, size, error=f"on the executor: {detail}")
            del fut
            finished(i, result)
    bar.close()
    return results

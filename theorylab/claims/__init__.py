"""The claim registry: each paper's verifiable statements, measured and judged.

``theorylab verify`` runs them; from Python::

    import jax
    from theorylab.claims import select_claims, run_claims, format_table
    results = run_claims(jax.random.key(0), select_claims(papers=["ags"]))
    print(format_table(results))

Nothing outside this package imports it (it depends on every area, not the other way round).
"""

from theorylab.claims.base import (
    AtLeast,
    AtMost,
    Between,
    Claim,
    ClaimResult,
    Close,
    Expectation,
    Measurement,
    Verdict,
)
from theorylab.claims.registry import PAPERS, Paper, all_claims, get_claim, select_claims
from theorylab.claims.report import format_markdown_table, format_table, results_to_json, summary_line, write_report
from theorylab.claims.runner import claim_key, run_claim, run_claims

__all__ = [
    "AtLeast",
    "AtMost",
    "Between",
    "Claim",
    "ClaimResult",
    "Close",
    "Expectation",
    "Measurement",
    "PAPERS",
    "Paper",
    "Verdict",
    "all_claims",
    "claim_key",
    "format_markdown_table",
    "format_table",
    "get_claim",
    "results_to_json",
    "run_claim",
    "run_claims",
    "select_claims",
    "summary_line",
    "write_report",
]

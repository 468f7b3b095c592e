"""Presenting claim results: a terminal table, JSON, and a report folder (Markdown + PNG + JSON)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import textwrap
from collections import Counter
from collections.abc import Sequence

from theorylab.claims._figures import pyplot
from theorylab.claims.base import ClaimResult, Verdict
from theorylab.claims.registry import PAPERS

__all__ = ["format_table", "format_markdown_table", "results_to_json", "summary_line", "write_report"]

_VERDICT_TEXT = {
    Verdict.REPRODUCED: "reproduced",
    Verdict.NOT_REPRODUCED: "NOT reproduced",
    Verdict.ERROR: "ERROR",
}


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def format_table(results: Sequence[ClaimResult], *, width: int = 132) -> str:
    """A plain-text table: id, statement, expected, measured, verdict, seconds (cells wrap)."""
    headers = ["claim", "statement", "expected", "measured", "verdict", "s"]
    id_w = max([len(h) for h in headers[:1]] + [len(r.id) for r in results])
    verdict_w = max(len(v) for v in _VERDICT_TEXT.values())
    rest = max(width - id_w - verdict_w - 6 - 5 * 3, 45)
    stmt_w, exp_w, meas_w = int(rest * 0.4), int(rest * 0.3), rest - int(rest * 0.4) - int(rest * 0.3)
    widths = [id_w, stmt_w, exp_w, meas_w, verdict_w, 6]

    def row(cells):
        cols = [_wrap(c, w) for c, w in zip(cells, widths)]
        height = max(len(c) for c in cols)
        lines = []
        for i in range(height):
            parts = [(c[i] if i < len(c) else "").ljust(w) for c, w in zip(cols, widths)]
            lines.append(" | ".join(parts).rstrip())
        return lines

    out = row(headers)
    out.append("-+-".join("-" * w for w in widths))
    for r in results:
        out += row([r.id, r.claim.statement, r.claim.describe_expected(), r.describe_measured(),
                    _VERDICT_TEXT[r.verdict], f"{r.seconds:.1f}"])
    out.append("")
    out.append(summary_line(results))
    return "\n".join(out)


def summary_line(results: Sequence[ClaimResult]) -> str:
    """One line: how many claims were reproduced, not reproduced and errored, and the total time."""
    counts = Counter(r.verdict for r in results)
    total = sum(r.seconds for r in results)
    return (f"{len(results)} claims: {counts[Verdict.REPRODUCED]} reproduced, "
            f"{counts[Verdict.NOT_REPRODUCED]} not reproduced, {counts[Verdict.ERROR]} error "
            f"({total:.1f} s)")


def results_to_json(results: Sequence[ClaimResult]) -> str:
    """One JSON array, an object per claim (id, paper, statement, expected, measured, verdict, seconds, ...)."""
    return json.dumps([r.to_json() for r in results], indent=2)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown_table(results: Sequence[ClaimResult]) -> str:
    """The results as a Markdown table (claim, statement, expected, measured, verdict, seconds)."""
    lines = ["| claim | statement | expected | measured | verdict | s |", "|---|---|---|---|---|---:|"]
    for r in results:
        lines.append("| " + " | ".join(_md_cell(x) for x in [
            f"`{r.id}`", r.claim.statement, r.claim.describe_expected(), r.describe_measured(),
            _VERDICT_TEXT[r.verdict], f"{r.seconds:.1f}"]) + " |")
    return "\n".join(lines)


def write_report(results: Sequence[ClaimResult], directory: str | os.PathLike) -> str:
    """Write ``report.md``, ``results.json`` and ``figures/<claim>.png``; return the Markdown path."""
    plt = pyplot()
    directory = os.fspath(directory)
    fig_dir = os.path.join(directory, "figures")
    os.makedirs(fig_dir, exist_ok=True)
    figures = {}
    for r in results:
        if r.figure is not None:
            path = os.path.join(fig_dir, f"{r.id}.png")
            r.figure.savefig(path, dpi=120, bbox_inches="tight")
            plt.close(r.figure)
            figures[r.id] = os.path.relpath(path, directory)

    with open(os.path.join(directory, "results.json"), "w") as fh:
        fh.write(results_to_json(results))

    import jax

    from theorylab import __version__

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sizes = sorted({r.size for r in results})
    lines = [
        "# theorylab claim report",
        "",
        f"{now} · theorylab {__version__} · jax {jax.__version__} on {jax.default_backend()} · "
        f"Python {platform.python_version()} · size: {', '.join(sizes) or '-'}",
        "",
        f"**{summary_line(results)}**",
        "",
        format_markdown_table(results),
        "",
    ]
    for pid in dict.fromkeys(r.claim.paper for r in results):
        paper = PAPERS[pid]
        lines += [f"## {paper.short} (`{pid}`)", "", paper.citation, ""]
        for r in (r for r in results if r.claim.paper == pid):
            lines += [f"### `{r.id}` — {_VERDICT_TEXT[r.verdict]}", "", r.claim.statement, "",
                      f"- expected: {r.claim.describe_expected()}",
                      f"- measured: {r.describe_measured()}",
                      f"- source of the expected values: {r.claim.source or 'the paper'}",
                      f"- time: {r.seconds:.2f} s ({r.size} size)"]
            if r.notes and r.verdict is not Verdict.ERROR:
                lines.append(f"- notes: {r.notes}")
            if r.verdict is Verdict.ERROR:
                lines += ["", "```", r.notes.strip(), "```"]
            if r.id in figures:
                lines += ["", f"![{r.id}]({figures[r.id]})"]
            lines.append("")
    path = os.path.join(directory, "report.md")
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
    return path

"""Command line: ``theorylab verify`` and ``theorylab list``.

Exit codes of ``verify``: 0 when no claim errored (and, with ``--strict``, every claim was
reproduced); 1 otherwise; 2 for a usage error (unknown paper or claim id, bad arguments).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import warnings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="theorylab",
        description="Run and report the paper claims that theorylab checks numerically.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    verify = sub.add_parser("verify", help="run claims and print a table (and optionally write a report)")
    verify.add_argument("--paper", action="append", metavar="P",
                        help="only this paper's claims (repeatable), e.g. --paper ags")
    verify.add_argument("--claim", action="append", metavar="ID",
                        help="only this claim (repeatable), e.g. --claim ags.alpha_c_t0")
    verify.add_argument("--full", action="store_true", help="use the full problem sizes instead of the quick ones")
    verify.add_argument("--report", metavar="DIR", help="write report.md, results.json and figures/ to DIR")
    verify.add_argument("--json", action="store_true",
                        help="print one JSON array of results to stdout (the table goes to stderr)")
    verify.add_argument("--strict", action="store_true", help="exit non-zero if any claim is not reproduced")
    verify.add_argument("--seed", type=int, default=0, help="base PRNG seed (default 0)")
    verify.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    where = verify.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="run the claims as tasks on a local Dask cluster of N worker processes (needs dask[distributed])")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the claims as tasks on an existing Dask cluster (e.g. tcp://host:8786)")

    lst = sub.add_parser("list", help="list papers and their claims")
    lst.add_argument("--paper", action="append", metavar="P", help="only this paper (repeatable)")
    return parser


def _cmd_list(args) -> int:
    from theorylab.claims import PAPERS, select_claims

    papers = args.paper or list(PAPERS)
    claims = select_claims(papers=papers)
    for pid in papers:
        mine = [c for c in claims if c.paper == pid]
        print(f"{pid:13s} {PAPERS[pid].short}  [{len(mine)} claim{'s' if len(mine) != 1 else ''}]")
        for c in mine:
            print(f"  {c.id}{'  [--full only]' if c.full_only else ''}")
            print(f"      {c.statement}")
            print(f"      expected: {c.describe_expected()}")
    return 0


def _unwritable(directory: str) -> str:
    """Why ``directory`` cannot receive the report ("" when it can): it is created if missing and a
    probe file is written and removed."""
    import tempfile

    try:
        os.makedirs(directory, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".theorylab-probe-"):
            pass
    except OSError as err:
        return err.strerror or str(err)
    return ""


@contextlib.contextmanager
def _executor(args):
    """In-process (None), a local Dask cluster (--workers N) or an existing one (--scheduler ADDRESS)."""
    if args.workers is None and args.scheduler is None:
        yield None
        return
    try:
        import distributed
    except ImportError:
        raise SystemExit("theorylab verify: --workers/--scheduler need Dask: pip install 'dask[distributed]' "
                         "(or theorylab[cluster])") from None
    if args.scheduler is not None:
        with distributed.Client(args.scheduler) as client:
            yield client.get_executor()
        return
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client.get_executor()


def _cmd_verify(args) -> int:
    import jax

    from theorylab.claims import Verdict, format_table, results_to_json, run_claims, select_claims, write_report

    claims = select_claims(papers=args.paper, ids=args.claim)
    size = "full" if args.full else "quick"
    skipped = [c.id for c in claims if c.full_only and size == "quick"]
    claims = [c for c in claims if not (c.full_only and size == "quick")]
    if skipped:
        print(f"skipping {len(skipped)} claim(s) that run only with --full: {', '.join(skipped)}", file=sys.stderr)
    if not claims:
        print("theorylab verify: no claims match the selection", file=sys.stderr)
        return 2
    if args.report:
        problem = _unwritable(args.report)
        if problem:  # say so before running anything (the claims can take many minutes)
            print(f"theorylab verify: cannot write the report to {args.report!r}: {problem}", file=sys.stderr)
            return 2
    if args.workers is not None and args.workers < 1:
        print(f"theorylab verify: --workers must be >= 1, got {args.workers}", file=sys.stderr)
        return 2
    with _executor(args) as executor, warnings.catch_warnings():
        # the report keeps every claim's figure open until it saves them (and then closes them)
        warnings.filterwarnings("ignore", message="More than 20 figures have been opened")
        results = run_claims(jax.random.key(args.seed), claims, size=size, progress=not args.no_progress,
                             executor=executor, figures=bool(args.report))
    width = shutil.get_terminal_size((132, 24)).columns
    table = format_table(results, width=max(width, 100))
    if args.json:
        print(table, file=sys.stderr)
        print(results_to_json(results))
    else:
        print(table)
    if args.report:
        path = write_report(results, args.report)
        print(f"report written to {os.path.abspath(path)}", file=sys.stderr)
    failed = any(r.verdict is Verdict.ERROR for r in results)
    if args.strict:
        failed |= any(r.verdict is not Verdict.REPRODUCED for r in results)
    return 1 if failed else 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list(args)
        return _cmd_verify(args)
    except ValueError as err:  # unknown paper / claim ids
        print(f"theorylab {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

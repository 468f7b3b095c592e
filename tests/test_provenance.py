"""Every pointer in the repository resolves inside the repository.

The code cites its reasoning: a theory-note equation ("(M5) of docs/theory/mutual_information.md"),
a prototype figure of a note ("P7 of docs/theory/quantile.md"), a sympy check
(``proofs_checks/mi.py``, ``theorylab.proofs_checks.mi.check_plugin_bias_series``), a benchmark or a
test file, or a paper. This test reads the comments and string literals of every Python file and
the text of every Markdown file we ship, and fails on

* a reference to anything outside the repository (the research notes the project started from, a
  ``../`` path, a "spec" that a reader cannot open);
* a repository path that does not exist (``docs/theory/x.md``, ``proofs_checks/x.py``,
  ``benchmarks/x.py``, ``tests/x.py``);
* an equation or prototype label cited "of" a theory note that the note does not define;
* a dotted ``theorylab.proofs_checks.<module>.<check>`` that does not exist.
"""

from __future__ import annotations

import importlib
import io
import pathlib
import re
import tokenize

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PY_FOLDERS = ("theorylab", "estimators", "proofs_checks", "tests", "benchmarks", "docs")
MD_FILES = ["README.md", "CHANGELOG.md", "CONTRIBUTING.md", "benchmarks/README.md",
            *[str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").rglob("*.md")) if "_build" not in p.parts]]

#: Words and paths that point outside the repository.
OUTSIDE = re.compile(r"(?<![\w.\-])specs?(?![\w(\-])|\.\./shared|shared/specs|\bDESIGN\.md\b", re.IGNORECASE)
#: Repository paths worth resolving.
PATH = re.compile(r"(?<![\w/.-])((?:docs|proofs_checks|benchmarks|tests|estimators|theorylab)/[\w./-]*\w\.(?:md|py))\b")
#: "(M5) of docs/theory/mutual_information.md", "P7 of docs/theory/quantile.md", "(H8)-(H10) of ..."
LABEL_OF = re.compile(r"((?:\(?[A-Z]\d+\)?(?:\s*-\s*\(?[A-Z]?\d+\)?)?(?:,\s*|\s+and\s+)?)+)\s+(?:of|in|there|from)\s+"
                      r"``?(docs/theory/\w+\.md)")
CHECK = re.compile(r"\btheorylab\.proofs_checks\.(\w+)\.(check_\w+)")

SKIP = {"tests/test_provenance.py"}  # this file names the patterns it forbids


def _python_texts(path: pathlib.Path):
    """(line, text) of every comment and string literal of a Python file."""
    source = path.read_text()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.STRING) or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            yield tok.start[0], tok.string


def _markdown_texts(path: pathlib.Path):
    for i, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("kernelspec:"):
            continue
        yield i, line


def _sources():
    for folder in PY_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if "_build" in path.parts or "jupyter_execute" in path.parts or rel in SKIP:
                continue
            yield rel, list(_python_texts(path))
    for rel in MD_FILES:
        path = ROOT / rel
        if path.exists():
            yield rel, list(_markdown_texts(path))


SOURCES = list(_sources())


def _labels(note: str) -> set[str]:
    text = (ROOT / note).read_text()
    tags = set(re.findall(r"\\tag\{([A-Z]\d+)\}", text))
    rows = set(re.findall(r"^\|\s*(P\d+)\s*\|", text, flags=re.M))
    return tags | rows


def _expand(labels: str) -> list[str]:
    """'(M9)-(M11)' -> M9, M10, M11; 'P1-P4' -> P1..P4; '(Q2), (Q3)' -> Q2, Q3."""
    out = []
    for a, b in re.findall(r"\(?([A-Z]\d+)\)?(?:\s*-\s*\(?([A-Z]?\d+)\)?)?", labels):
        out.append(a)
        if b:
            letter, start = a[0], int(a[1:])
            end = int(b[1:] if b[0].isalpha() else b)
            out.extend(f"{letter}{i}" for i in range(start + 1, end + 1))
    return out


def test_the_scan_sees_the_code_and_the_docs():
    names = {rel for rel, _ in SOURCES}
    assert {"theorylab/claims/mi.py", "estimators/mutual_information/protocol.py", "proofs_checks/pn.py",
            "docs/theory/transport.md", "README.md"} <= names
    assert sum(len(texts) for _, texts in SOURCES) > 5000


def test_no_pointer_leaves_the_repository():
    found = [f"{rel}:{line}: {match.group(0)!r} in {text.strip()[:100]!r}"
             for rel, texts in SOURCES for line, text in texts for match in OUTSIDE.finditer(text)]
    assert not found, "pointers a reader of the repository cannot open:\n" + "\n".join(found)


def test_repository_paths_exist():
    missing = sorted({f"{rel}:{line}: {m.group(1)}" for rel, texts in SOURCES for line, text in texts
                      for m in PATH.finditer(text) if not (ROOT / m.group(1)).exists()
                      and not any(ch in m.group(1) for ch in "*<{")})
    assert not missing, "paths that do not exist:\n" + "\n".join(missing)


def test_cited_equations_and_prototype_figures_exist_in_their_note():
    wrong, cited = [], 0
    for rel, texts in SOURCES:
        for line, text in texts:
            for m in LABEL_OF.finditer(" ".join(text.split())):
                note = m.group(2)
                if not (ROOT / note).exists():
                    continue  # reported by test_repository_paths_exist
                have = _labels(note)
                for label in _expand(m.group(1)):
                    cited += 1
                    if label not in have:
                        wrong.append(f"{rel}:{line}: {label} is not defined in {note}")
    assert cited > 30, f"the citation pattern matched only {cited} labels: the scan is broken"
    assert not wrong, "\n".join(wrong)


def test_named_sympy_checks_exist():
    missing = []
    for rel, texts in SOURCES:
        for line, text in texts:
            for module, check in CHECK.findall(text):
                mod = importlib.import_module(f"theorylab.proofs_checks.{module}")
                if not callable(getattr(mod, check, None)):
                    missing.append(f"{rel}:{line}: theorylab.proofs_checks.{module}.{check}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("note", sorted(p.name for p in (ROOT / "docs" / "theory").glob("*.md") if p.name != "index.md"))
def test_every_theory_note_is_in_the_navigation_and_numbers_its_equations(note):
    index = (ROOT / "docs" / "theory" / "index.md").read_text()
    assert re.search(rf"^{re.escape(note[:-3])}$", index, flags=re.M), f"{note} is not in docs/theory/index.md"
    labels = _labels(f"docs/theory/{note}")
    assert any(not label.startswith("P") for label in labels), f"{note} numbers no equation"
    text = (ROOT / "docs" / "theory" / note).read_text()
    assert "## What was checked against what" in text, f"{note} does not say what was checked against what"

"""Sphinx configuration: MyST-NB executes every tutorial at build time (warnings are errors)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "theorylab"
author = "theorylab developers"
copyright = "2026, theorylab developers"

from theorylab import __version__ as release  # noqa: E402

version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",  # the "Start here" table at the top of each API page (no stub pages)
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # copies MathJax 3 into _static/mathjax and points mathjax_path there: the site renders its
    # formulas offline (a CDN script shows a reader without network raw LaTeX)
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
nb_execution_mode = "force"  # tutorials run on every build: a broken tutorial breaks the build
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (the claim table) may contain pipe tables

autosummary_generate = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_ivar = True

exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "README.md"]
html_theme = "furo"
html_title = f"theorylab {release}"
html_static_path = []


# --- NamedTuple fields: their own description instead of "Alias for field number N" ----------------
import importlib  # noqa: E402
import inspect  # noqa: E402
import re  # noqa: E402

from sphinx.pycode import ModuleAnalyzer  # noqa: E402

_ALIAS = re.compile(r"^Alias for field number (\d+)$")


def _owner_class(dotted: str):
    """The class behind ``package.module.Class`` (walking from the longest importable prefix)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj if inspect.isclass(obj) else None
    return None


def _from_class_docstring(cls, field: str):
    """The description of ``field`` in the class docstring's numpy ``Attributes`` section."""
    doc = inspect.getdoc(cls) or ""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        head = line.strip()
        names = [n.strip() for n in head.split(":")[0].split(",")] if head.endswith(":") or " : " in head else []
        if field in names and not line.startswith(" "):
            body = []
            for nxt in lines[i + 1:]:
                if nxt and not nxt.startswith(" "):
                    break
                body.append(nxt.strip())
            return [" ".join(b for b in body if b)] if any(body) else None
    return None


def _field_docs(app, what, name, obj, options, lines):
    match = _ALIAS.match(" ".join(lines).strip()) if lines else None
    if match is None:
        return
    owner, _, field = name.rpartition(".")
    cls = _owner_class(owner)
    if cls is None:
        return
    text = None
    try:
        text = ModuleAnalyzer.for_module(cls.__module__).find_attr_docs().get((cls.__qualname__, field))
    except Exception:  # no source (a compiled module): fall through
        text = None
    text = list(text) if text else _from_class_docstring(cls, field)
    lines[:] = text if text else [f"Field {match.group(1)} of :class:`{cls.__name__}` (see the class description)."]


def setup(app):
    app.connect("autodoc-process-docstring", _field_docs)

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
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
nb_execution_mode = "force"  # tutorials run on every build: a broken tutorial breaks the build
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (the claim table) may contain pipe tables

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

"""Sphinx configuration of comin's documentation (builds offline: no intersphinx, no downloads)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))

import comin  # noqa: E402  (the installed package the pages describe and run)

project = "comin"
author = "the comin developers"
copyright = "2026, the comin developers"
version = release = "%d.%d.%d" % comin.setup_get_version()

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "matplotlib.sphinxext.plot_directive",
    "comin_docs",
]

html_theme = "alabaster"
html_theme_options = {"description": "ComIn plugins in Python, C and Fortran", "fixed_sidebar": True}
exclude_patterns = ["_build", "_generated/**/*.rst"]
templates_path = []
nitpicky = False
autodoc_docstring_signature = True
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "description"
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]

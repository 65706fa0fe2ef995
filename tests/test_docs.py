"""The documentation builds, with warnings as errors, and every example in it runs.

``docs/`` executes its examples while it builds (``comin-run`` runs plugins in
the emulator, ``.. plot::`` draws figures, ``testcode`` blocks run under the
doctest builder), so building it here is what keeps every snippet true: a
broken example, a renamed function in the API tables or a dangling reference
fails this test.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")

pytest.importorskip("sphinx", reason="sphinx is installed by tools/install.sh")


def _build(builder: str, out, doctrees) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder,
         "-d", str(doctrees), DOCS, str(out / builder)],
        capture_output=True, text=True, timeout=900)


def test_docs_build_and_examples_run(tmp_path):
    doctrees = tmp_path / "doctrees"
    html = _build("html", tmp_path, doctrees)
    assert html.returncode == 0, html.stdout + html.stderr
    index = (tmp_path / "html" / "index.html").read_text()
    assert "Plugin author" in index
    # executed examples left their output and pictures in the pages
    first = (tmp_path / "html" / "guide" / "first_plugin.html").read_text()
    assert "INFO(my_plugin)" in first and "loaded as plugin 1" in first
    images = os.listdir(tmp_path / "html" / "_images")
    assert any(name.startswith("prognostic_mask") for name in images), images
    assert any(name.startswith("plume_L20_DOM02") for name in images), images
    assert any(name.startswith("telemetry_live") for name in images), images
    telemetry = (tmp_path / "html" / "guide" / "telemetry.html").read_text()
    assert "took a picture of http://127.0.0.1:" in telemetry
    api = (tmp_path / "html" / "reference" / "api.html").read_text()
    assert "comin_var_get_ptr_double" in api and "comin.var_get" in api
    doctest = _build("doctest", tmp_path, doctrees)
    assert doctest.returncode == 0, doctest.stdout + doctest.stderr
    report = (tmp_path / "doctest" / "output.txt").read_text()
    assert "0 failures in tests" in report and "1 test" in report, report

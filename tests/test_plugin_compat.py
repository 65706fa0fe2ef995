"""Upstream plugins' expectations of `comin run` (issue 14, items 15, 17, 18): a plugin library
named only by its path (ComIn's default name, longer than a namelist name may be), a primary
constructor other than comin_main, a Fortran plugin's WRITE(0,...) lines in order with
comin's, and the hints when a library plugin cannot be loaded."""
import os
import subprocess
import sys
import tempfile

import pytest

from comin import _build
from comin.parallel import launcher_environ

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
#: longer than the 32 characters of a namelist name once ComIn appends "(constructor)"
LIB_NAME = "libown_constructor_fortran_plugin.so"


@pytest.fixture(scope="module")
def fortran_plugin(tmp_path_factory):
    out = tmp_path_factory.mktemp("own") / LIB_NAME
    return _build.build([os.path.join(HERE, "fortran_plugins", "own_constructor.F90")], str(out),
                        language="fortran", strict=True)


@pytest.fixture(scope="module")
def fortran_plugin_with_libs(tmp_path_factory):
    """The same plugin linked as a C plugin is (`comin-config --libs`, not --flibs)."""
    from comin.cli.config import values
    out = tmp_path_factory.mktemp("libs") / "libown_libs.so"
    return _build.build([os.path.join(HERE, "fortran_plugins", "own_constructor.F90")], str(out),
                        language="fortran", fortran_api="none",
                        flags=values()["fflags"].split())


def _comin_run(*args, timeout=300):
    """`comin run` in a subprocess, its stderr a file (`comin run ... 2> log`: gfortran
    buffers a file, not a pipe)."""
    env = launcher_environ(PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("GFORTRAN_UNBUFFERED_PRECONNECTED", None)
    with tempfile.TemporaryFile("w+") as err:
        r = subprocess.run([sys.executable, "-m", "comin", "run", "--grid", "R2B0", "--steps", "1",
                            "--no-summary", "--no-progress", *args], stdout=subprocess.PIPE,
                           stderr=err, text=True, timeout=timeout, env=env, cwd=ROOT)
        err.seek(0)
        r.stderr = err.read()
    return r


def _namelist(tmp_path, *entries):
    lines = ["&comin_nml"]
    for i, entry in enumerate(entries, start=1):
        lines += [f'  plugin_list({i})%{key} = "{value}"' for key, value in entry.items()]
    path = tmp_path / "plugins.nml"
    path.write_text("\n".join(lines + ["/", ""]))
    return str(path)


def _say(tag):
    return {"name": tag, "plugin_library": "libpython_adapter.so",
            "options": f"{os.path.join(HERE, 'plugins', 'say.py')} {tag}"}


def test_namelist_library_by_path_and_constructor_in_order(tmp_path, fortran_plugin):
    """Upstream's namelist form: plugin_library only (no name) and its primary_constructor.
    The plugin gets ComIn's default name whole (38 characters), and its unit-0 lines come out
    between comin's lines, where they were written (item 17), not at the end of the run."""
    nml = _namelist(tmp_path, _say("first"),
                    {"plugin_library": fortran_plugin, "primary_constructor": "own_constructor_setup"},
                    _say("last"))
    r = _comin_run("--namelist", nml)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    name = f"{LIB_NAME}(own_constructor_setup)"
    assert len(name) > 32
    lines = [x.strip() for x in r.stderr.splitlines()]
    order = [x for x in lines if "constructor" in x and ("fortran unit 0" in x or "INFO(" in x)]
    assert order == [
        "INFO(first): first: primary constructor",
        f"fortran unit 0: primary constructor of {name}",
        "INFO(last): last: primary constructor",
        "INFO(first): first: secondary constructor",
        "fortran unit 0: secondary constructor",
        "INFO(last): last: secondary constructor"], r.stderr


def test_command_line_library_with_its_constructor(tmp_path, fortran_plugin):
    """`comin run "lib.so(constructor) options"`: the constructor in parentheses, as ComIn
    writes a plugin's default name, which it then is (whole)."""
    r = _comin_run(f"{fortran_plugin}(own_constructor_setup) some options")
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"primary constructor of {LIB_NAME}(own_constructor_setup)\n" in r.stderr


def test_missing_constructor_names_the_ways_to_give_one(fortran_plugin):
    r = _comin_run(fortran_plugin)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-3000:]
    assert "Cannot load primary constructor comin_main from plugin" in r.stderr
    assert "plugin_list(i)%primary_constructor" in r.stderr
    assert f'"{LIB_NAME}(constructor) [options]"' in r.stderr


def test_fortran_plugin_linked_with_libs_gets_the_flibs_hint(fortran_plugin_with_libs):
    r = _comin_run(f"{fortran_plugin_with_libs}(own_constructor_setup)")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-3000:]
    assert "undefined symbol: __comin_plugin_interface_MOD_" in r.stderr
    assert "link it with the flags of `comin-config --flibs`, not --libs" in r.stderr


def test_help_describes_library_plugins():
    r = subprocess.run([sys.executable, "-m", "comin", "run", "--help"], capture_output=True,
                       text=True, env=launcher_environ(PYTHONPATH=ROOT), cwd=ROOT)
    assert r.returncode == 0
    assert "later comin version" not in r.stdout
    assert "libmy_plugin.so(my_setup)" in r.stdout and "primary_constructor" in r.stdout

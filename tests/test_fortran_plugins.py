"""Fortran plugins: the module comin_plugin_interface (fortran_api/) over libcomin's C ABI.

The generated comin_constants.F90 and comin_descrdata_types.F90, the hand-written
comin_plugin_interface.F90 and a test plugin (``tests/fortran_plugins/*.F90``) are
compiled with gfortran into a shared library linked with -lcomin, and run in the
emulator.  The Fortran scenario prints every line of the Python (and C) scenario
(tests/c_plugins/scenario.py); lines only the Fortran plugin prints start with "fortran ".
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import comin
from comin.emulator import Emulator
from comin.host import PluginDescription
from _support import emulator_config

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FORTRAN_API = os.path.join(ROOT, "fortran_api")
SOURCES = os.path.join(HERE, "fortran_plugins")
FFLAGS = ["-std=f2008", "-Wall", "-Werror", "-g", "-fPIC"]

API_SOURCES = ("comin_constants.F90", "comin_descrdata_types.F90", "comin_plugin_interface.F90")


def compile_fortran_plugin(source: str, out_dir, name: str) -> str:
    """gfortran the API modules and a plugin of tests/fortran_plugins into ``out_dir/lib<name>.so``."""
    out_dir = str(out_dir)
    mod_dir = os.path.join(out_dir, f"mod_{name}")
    os.makedirs(mod_dir, exist_ok=True)
    lib = os.path.join(out_dir, f"lib{name}.so")
    libdir = comin.get_library_dir()
    sources = [os.path.join(FORTRAN_API, src) for src in API_SOURCES] + [os.path.join(SOURCES, source)]
    subprocess.run(["gfortran", *FFLAGS, "-shared", "-J", mod_dir, "-I", mod_dir, *sources,
                    "-L", libdir, "-lcomin", f"-Wl,-rpath,{libdir}", "-o", lib],
                   check=True, cwd=out_dir)
    return lib


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    out = tmp_path_factory.mktemp("fortran_plugins")
    return {name: compile_fortran_plugin(f"{name}.F90", out, name) for name in ("scenario", "finish")}


DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import comin
    from comin.emulator import Emulator
    from comin.host import PluginDescription
    from _support import emulator_config
    kind, name, what, options = {plugin!r}
    if kind == "lib":
        plugin = PluginDescription(name=name, plugin_library=what, options=options)
    else:
        plugin = PluginDescription.python(what + " " + options, name=name)
    Emulator([plugin], emulator_config(steps={steps})).run()
    print("RUN DONE", file=sys.stderr)
""")


def run_driver(plugin, steps=2):
    """Run the emulator with one plugin (kind, name, library-or-script, options) in a subprocess."""
    code = DRIVER.format(tests=HERE, plugin=tuple(plugin), steps=steps)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def info_lines(text: str, name: str):
    tag = f" INFO({name}): "
    return [line[len(tag):] for line in text.splitlines() if line.startswith(tag)]


def test_interface_module_compiles_standalone_with_warnings_as_errors(tmp_path):
    for src in API_SOURCES:
        subprocess.run(["gfortran", *FFLAGS, "-c", "-J", str(tmp_path), "-I", str(tmp_path),
                        os.path.join(FORTRAN_API, src), "-o", str(tmp_path / (src + ".o"))],
                       check=True)
    assert (tmp_path / "comin_plugin_interface.mod").exists()


@pytest.fixture(scope="module")
def scenario_runs(plugins):
    f = run_driver(("lib", "scenario", plugins["scenario"], "--hello world"))
    py = run_driver(("py", "scenario", os.path.join(HERE, "c_plugins", "scenario.py"),
                     "--hello world"))
    assert f.returncode == 0, f.stderr[-3000:]
    assert py.returncode == 0, py.stderr[-3000:]
    assert "RUN DONE" in f.stderr
    return f.stderr, py.stderr


def test_fortran_scenario_prints_the_python_scenarios_lines(scenario_runs):
    f_err, py_err = scenario_runs
    f_lines = [line for line in info_lines(f_err, "scenario") if not line.startswith("fortran ")]
    py_lines = info_lines(py_err, "scenario")
    assert len(f_lines) >= 40
    assert f_lines == py_lines
    assert "end step 2 wrote 80 values" in f_lines
    assert "plugin name scenario" in f_lines
    assert "plugin id 1 options '--hello world'" in f_lines
    assert "iterator deleted 1" in f_lines
    assert any(line.startswith("edges start_index 24 interior ") for line in f_lines)
    assert f_err.count(" WARNING(scenario): a warning") == 1
    assert "log_debug is off" not in f_err


def test_fortran_only_lines(scenario_runs):
    f_err, _ = scenario_runs
    lines = [line for line in info_lines(f_err, "scenario") if line.startswith("fortran ")]
    code = comin.COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND
    wrong = comin.COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE
    to_3d = "fortran to_3d 8 5 10 same 1 qv 8 5 10 same 1"     # (nproma, nlev, nblks) of R2B0
    assert lines == ["fortran version 0.3.0",                       # primary constructor
                     "fortran info errors_return 0 log 0 1 1",
                     "fortran valid 1 1 1",                         # secondary constructor
                     f"fortran unknown variable error {code} valid 0 expected {code}",
                     "fortran after reset 0",
                     f"fortran wrong type 0 {wrong} 0 {wrong}",
                     "fortran errors_return now 1",
                     "fortran containers 0 1 1 0",                  # temp, container, qv, qv
                     to_3d, to_3d]                                  # two time steps


def test_fortran_plugin_writes_host_memory(plugins, capsys):
    emu = Emulator([PluginDescription(name="scenario", plugin_library=plugins["scenario"],
                                      options="x y")], emulator_config(steps=2))
    emu.run()
    eq = emu.domains[1].requested["eqvar"]
    flat = eq.ravel(order="F")
    assert flat.size == 80
    assert np.array_equal(flat, 20.0 + np.arange(flat.size) % 7)
    lines = info_lines(capsys.readouterr().err, "scenario")
    assert "plugin id 1 options 'x y'" in lines
    assert "end step 2 wrote 80 values" in lines
    assert emu.host.finalized


def test_fortran_plugin_finish_ends_the_run(plugins, capsys):
    emu = Emulator([PluginDescription(name="fin", plugin_library=plugins["finish"])],
                   emulator_config(steps=3))
    with pytest.raises(comin.ComInFinish) as exc:
        emu.run()
    assert (exc.value.routine, exc.value.text) == ("finish_plugin", "stopping on purpose")
    err = capsys.readouterr().err
    assert info_lines(err, "fin") == ["fortran call", "fortran call"]
    if not emu.host.finalized:
        emu.host.finalize()

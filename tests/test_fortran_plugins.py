"""Fortran plugins: the module comin_plugin_interface (fortran_api/) over libcomin's C ABI.

The generated comin_constants.F90 and comin_descrdata_types.F90, the hand-written
comin_plugin_interface.F90 and a test plugin (``tests/fortran_plugins/*.F90``) are
compiled with gfortran into a shared library linked with -lcomin, and run in the
emulator.  The Fortran scenario prints every line of the Python (and C) scenario
(tests/c_plugins/scenario.py); lines only the Fortran plugin prints start with "fortran ".
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import comin
from comin import _build
from comin.emulator import Emulator
from comin.host import PluginDescription
from _support import emulator_config

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FORTRAN_API = os.path.join(ROOT, "fortran_api")
SOURCES = os.path.join(HERE, "fortran_plugins")
FFLAGS = [*_build.STRICT["fortran"], "-g", "-O1"]   # -O1: optimisation exposes undefined behaviour

API_SOURCES = ("comin_constants.F90", "comin_descrdata_types.F90", "comin_plugin_interface.F90")


def compile_fortran_plugin(source: str, out_dir, name: str) -> str:
    """Build the API modules and a plugin of tests/fortran_plugins into ``out_dir/lib<name>.so``."""
    out_dir = str(out_dir)
    mod_dir = os.path.join(out_dir, f"mod_{name}")
    os.makedirs(mod_dir, exist_ok=True)
    sources = [os.path.join(FORTRAN_API, src) for src in API_SOURCES] + [os.path.join(SOURCES, source)]
    return _build.build(sources, os.path.join(out_dir, f"lib{name}.so"), fortran_api="none",
                        flags=FFLAGS, moddir=mod_dir, workdir=out_dir)


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    out = tmp_path_factory.mktemp("fortran_plugins")
    return {name: compile_fortran_plugin(f"{name}.F90", out, name)
            for name in ("scenario", "finish", "errors", "v02")}


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
    try:
        Emulator([plugin], emulator_config(steps={steps})).run()
    except comin.ComInFinish as fin:
        print("FINISH", repr(fin.routine), repr(fin.text), file=sys.stderr)
        sys.exit(3)
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
        _build.build([os.path.join(FORTRAN_API, src)], tmp_path / (src + ".o"), kind="object",
                     comin=False, flags=FFLAGS, moddir=str(tmp_path))
    assert (tmp_path / "comin_plugin_interface.mod").exists()


@pytest.fixture(scope="module")
def scenario_runs(plugins, tmp_path_factory):
    f = run_driver(("lib", "scenario", plugins["scenario"], "--hello world"))
    py = run_driver(("py", "scenario", os.path.join(HERE, "c_plugins", "scenario.py"),
                     "--hello world"))
    assert f.returncode == 0, f.stderr[-3000:]
    assert py.returncode == 0, py.stderr[-3000:]
    assert "RUN DONE" in f.stderr
    return f.stderr, py.stderr


def test_python_c_and_fortran_scenarios_print_identical_lines(scenario_runs, tmp_path):
    """The equivalence scenario as a Python, a C and a Fortran plugin: the same lines."""
    f_err, py_err = scenario_runs
    lib = _build.build([os.path.join(HERE, "c_plugins", "scenario.c")], tmp_path / "libcscenario.so",
                       flags=["-Wall", "-Werror"])
    c = run_driver(("lib", "scenario", lib, "--hello world"))
    assert c.returncode == 0, c.stderr[-3000:]
    c_lines = info_lines(c.stderr, "scenario")
    f_lines = [line for line in info_lines(f_err, "scenario") if not line.startswith("fortran ")]
    assert c_lines == info_lines(py_err, "scenario") == f_lines
    assert len(c_lines) >= 40


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


def test_fortran_plugin_info_reads_the_log_levels_of_the_namelist(plugins, capsys):
    """t_comin_plugin_info%log_debug/_info/_warning come from the plugin's namelist entry,
    and comin_print_debug/_warning follow them."""
    emu = Emulator([PluginDescription(name="scenario", plugin_library=plugins["scenario"],
                                      options="x", log_debug=True, log_warning=False)],
                   emulator_config(steps=1))
    emu.run()
    err = capsys.readouterr().err
    assert "fortran info errors_return 0 log 1 1 0" in info_lines(err, "scenario")
    assert " DEBUG(scenario): not printed: log_debug is off" in err      # printed: log_debug is on
    assert " WARNING(scenario): a warning" not in err


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


# -- every error path reachable from Fortran --------------------------------------------------

#: "<what>" of tests/fortran_plugins/errors.F90 (errors_return on) -> the code it must store
F_RETURN_EXPECTED = {
    # primary constructor
    "var_get_in_primary": "COMIN_ERROR_VAR_GET_OUTSIDE_SECONDARY_CONSTRUCTOR",
    "metadata_get_in_primary": "COMIN_ERROR_METADATA_GET_INSIDE_PRIMARYCONSTRUCTOR",
    "typeid_in_primary": "COMIN_ERROR_METADATA_GET_INSIDE_PRIMARYCONSTRUCTOR",
    "metadata_set_not_requested": "COMIN_ERROR_VAR_DESCRIPTOR_NOT_FOUND",
    "request_exclusive_ok": "COMIN_SUCCESS",
    "request_exists_is_exclusive": "COMIN_ERROR_VAR_REQUEST_EXISTS_IS_LMODEXCLUSIVE",
    "request_all_ok": "COMIN_SUCCESS",
    "request_exclusive_of_existing": "COMIN_ERROR_VAR_REQUEST_EXISTS_REQUEST_LMODEXCLUSIVE",
    "tracer_not_for_all_domains": "COMIN_ERROR_TRACER_REQUEST_NOT_FOR_ALL_DOMAINS",
    "metadata_set_ok": "COMIN_SUCCESS",
    "metadata_inconsistent_type": "COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE",
    "metadata_inconsistent_type_character": "COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE",
    "register_unknown_ep": "COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN",
    "domain_not_set_primary": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
    # secondary constructor
    "request_after_primary": "COMIN_ERROR_VAR_REQUEST_AFTER_PRIMARYCONSTRUCTOR",
    "metadata_set_after_primary": "COMIN_ERROR_METADATA_SET_OUTSIDE_PRIMARYCONSTRUCTOR",
    "register_after_primary": "COMIN_ERROR_CALLBACK_REGISTER_OUTSIDE_PRIMARYCONSTRUCTOR",
    "var_get_not_found": "COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND",
    "var_get_bad_ep": "COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN",
    "var_get_device": "COMIN_ERROR_VAR_GET_NO_DEVICE",
    "var_get_container_halo": "COMIN_ERROR_VAR_GET_CONTAINER_CAN_NOT_HALO_SYNCHRONIZED",
    # a missing key is 36 for the typed getters (upstream's comin_metadata_get_*)
    "metadata_key_not_found": "COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE",
    "metadata_var_not_found": "COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED",
    "metadata_wrong_type": "COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE",
    "typeid_var_not_found": "COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED",
    "metadata_iterator_var_not_found": "COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED",
    "metadata_iterator_key_at_end": "COMIN_ERROR_METADATA_KEY_NOT_FOUND",
    "var_get_ok": "COMIN_SUCCESS",
    "ptr_int_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "ptr_float_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "ptr_double_ok": "COMIN_SUCCESS",
    "to_3d_float_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "to_3d_int_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "device_ptr_double": "COMIN_SUCCESS",
    "device_ptr": "COMIN_SUCCESS",
    "device_ptr_float_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "device_ptr_int_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "ptr_of_null": "COMIN_SUCCESS",
    "shape_of_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
    "dim_semantics_of_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
    "ncontained_of_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
    "descriptor_of_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
    "lcontainer_of_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
    "descr_list_var_desc_of_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
    "ep_name_unknown": "COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN",
    "timestep_not_set": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
    "domain_not_set": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
    "domain_zero": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
    "cell_indices_domain": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
}

#: the neutral values the failing calls leave (0 unless listed): the Fortran wrappers'
#: outputs are INTENT(OUT), so a failed metadata_get gives 0, not the caller's 42;
#: an untouched INTENT(INOUT) descriptor keeps its id 3, index outputs keep -9
F_RETURN_NEUTRAL = {"dim_semantics_of_null": 5 * comin.COMIN_DIM_SEMANTICS_UNDEF,
                    "descr_list_var_desc_of_null": 3, "cell_indices_domain": -9}


def test_fortran_errors_return_gives_codes_and_neutral_values(plugins):
    proc = run_driver(("lib", "errs", plugins["errors"], "return"), steps=1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = info_lines(proc.stderr, "errs")
    got = {}
    for line in lines:
        words = line.split()
        if len(words) == 3 and words[0] in F_RETURN_EXPECTED:
            got[words[0]] = (int(words[1]), int(words[2]))
    assert set(got) == set(F_RETURN_EXPECTED)
    consts = comin._table.all_constants()
    for what, name in F_RETURN_EXPECTED.items():
        assert got[what][0] == consts[name], (what, got[what], name)
        assert got[what][1] == F_RETURN_NEUTRAL.get(what, 0), (what, got[what])
    assert "message 'ERROR' 'Cannot find variable'" in lines
    assert "message 'FATAL ERRO' 'Fatal error'" in lines      # category(11) as C's char[11]
    assert "info errors_return 1" in lines
    assert "errors_return test done" in lines
    assert "timeloop return" in lines


@pytest.mark.parametrize("what,routine,text", [
    ("var_get_notfound", "errs", "ERROR: Cannot find variable"),
    ("request_after", "errs", "ERROR: Variables cannot be requested after the primary constructor."),
    ("ep_name", "errs", "ERROR: Unknown id for ENTRY point."),
    ("wrong_type", "errs", "ERROR: Variable has a different datatype."),
    ("metadata_key", "errs", "ERROR: Inconsistent metadata type."),
    ("register_unknown_ep", "errs", "ERROR: Unknown id for ENTRY point."),
    ("tracer_one_domain", "errs", "ERROR: Tracers must be requested for all domains (id = -1)."),
    ("error_check", "errs", "ERROR: Cannot find variable"),
    ("domain_not_set", "errs", "ERROR: Field not allocated."),
    ("shape_of_null", "errs", "ERROR: Pointer not associated."),
    ("plugin_comm", "comin_parallel_get_plugin_mpi_comm",
     "Error: To use the plugin_comm, 'comm' must be set in the plugin namelist"),
    ("to_3d_container", "comin_var_to_3d",
     "ERROR: Attempt to convert container variable into 3D field."),
    ("device_bad_datatype", "comin_var_handle%get_device_ptr",
     "ERROR: unknown datatype (not a COMIN_VAR_DATATYPE_*)"),
])
def test_fortran_errors_without_errors_return_end_the_run(plugins, what, routine, text):
    proc = run_driver(("lib", "errs", plugins["errors"], f"off {what}"), steps=1)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert f"FINISH {routine!r} {text!r}" in proc.stderr
    assert "NOT REACHED" not in proc.stderr
    assert "timeloop" not in proc.stderr
    if what == "error_check":
        code = comin.COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND
        assert info_lines(proc.stderr, "errs") == [f"stored {code}"]


# -- the API of ComIn 0.3 §5.3, and every procedure called by the test plugins -----------------

#: the plugin-side procedures of ComIn 0.3's Fortran API (comin_plugin_interface)
SPEC_PROCEDURES = """
comin_callback_register comin_callback_get_ep_name comin_current_get_ep
comin_current_get_domain_id comin_current_get_plugin_info comin_current_get_datetime
comin_var_request_add comin_var_get comin_var_get_descr_list_head comin_var_get_descr_list_next
comin_var_get_descr_list_var_desc comin_var_descr_list_iterator_delete comin_metadata_set
comin_metadata_get comin_metadata_get_typeid comin_metadata_get_iterator
comin_descrdata_get_global comin_descrdata_get_domain comin_descrdata_get_simulation_interval
comin_descrdata_get_index comin_descrdata_get_block comin_descrdata_get_cell_indices
comin_descrdata_get_edge_indices comin_descrdata_get_vert_indices comin_descrdata_get_cell_npromz
comin_descrdata_get_edge_npromz comin_descrdata_get_vert_npromz
comin_descrdata_index_lookup_glb2loc_cell comin_descrdata_get_timesteplength
comin_setup_get_version comin_parallel_get_plugin_mpi_comm comin_parallel_get_host_mpi_comm
comin_parallel_get_host_mpi_rank comin_plugin_finish comin_error_get_message comin_error_check
comin_error_set_errors_return comin_error_get comin_error_reset comin_print_debug
comin_print_info comin_print_warning
""".split()
SPEC_TYPES = {"t_comin_var_descriptor": [], "t_comin_plugin_info": [],
              "t_comin_setup_version_info": [],
              "t_comin_var_handle": ["get_ptr", "array_shape", "descriptor", "lcontainer",
                                     "ncontained", "dim_semantics", "valid", "to_3d"],
              "t_comin_var_metadata_iterator": ["is_end", "key", "next", "delete"],
              "t_comin_descrdata_global": [], "t_comin_descrdata_domain": [],
              "t_comin_descrdata_domain_cells": [], "t_comin_descrdata_domain_edges": [],
              "t_comin_descrdata_domain_verts": [], "t_comin_descrdata_simulation_interval": []}


def test_a_comin_0_2_plugin_runs_unchanged(plugins):
    """ComIn 0.2's idiom (tests/fortran_plugins/v02.F90): t_comin_var_ptr with positions,
    comin_var_to_3d, the descriptor list as linked items, comin_setup_get_verbosity_level."""
    proc = run_driver(("lib", "v02", plugins["v02"], ""))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("v02 ")]
    assert lines == [
        "v02 verbosity 0", "v02 found pres(1) in the list", "v02 list has more than 10 variables T",
        "v02 pres pos 1 2 3 -1 lcontainer F", "v02 tracer slice shape 8 5 10 ncontained 6",
        "v02 qv slice shape 8 5 10",
        *["v02 v02_var = pres + 42: T n_dom 1"] * 3], proc.stderr     # output at start and 2 steps


def _module_text():
    """comin_plugin_interface as the compiler sees it (with its include files, which hold
    the procedures and PUBLIC lines generated from comin/_capi.py)."""
    from comin import _codegen
    return _codegen.fortran_source_text(os.path.join(FORTRAN_API, "comin_plugin_interface.F90"))


def _public_names(text):
    import re
    names = set()
    for m in re.finditer(r"^\s*PUBLIC\s*::\s*(.*?)$", text, re.M | re.I):
        names.update(n.strip().lower() for n in m.group(1).split(",") if n.strip())
    return names


def _bound_names(text):
    import re
    return {m.group(1).lower() for m in
            re.finditer(r"^\s*(?:PROCEDURE|GENERIC)\s*::\s*(\w+)\s*=>", text, re.M | re.I)}


def test_module_has_every_procedure_and_type_of_the_spec():
    text = _module_text()
    public = _public_names(text)
    assert set(SPEC_PROCEDURES) <= public, set(SPEC_PROCEDURES) - public
    assert set(SPEC_TYPES) <= public, set(SPEC_TYPES) - public
    bound = _bound_names(text)
    for methods in SPEC_TYPES.values():
        assert set(methods) <= bound, set(methods) - bound


def test_every_fortran_procedure_and_method_is_called_by_a_test_plugin():
    """Each public procedure and type-bound method of comin_plugin_interface is called in
    tests/fortran_plugins/*.F90 (the tests above run them all)."""
    import re
    text = _module_text()
    constants = {n.lower() for n in comin._table.all_constants()} | {"wp"}
    procedures = {n for n in _public_names(text) if n not in constants and not n.startswith("t_")}
    plugins = ""
    for name in sorted(os.listdir(SOURCES)):
        if name.endswith(".F90"):
            with open(os.path.join(SOURCES, name)) as f:
                plugins += f.read().lower()
    assert len(procedures) >= len(SPEC_PROCEDURES)
    missing = [p for p in sorted(procedures) if not re.search(rf"\b{p}\s*\(", plugins)]
    assert not missing, missing
    methods = _bound_names(text) - {"get_ptr_dp", "get_ptr_sp", "get_ptr_i", "to_3d_dp",
                                    "to_3d_sp", "to_3d_i"}
    missing = [m for m in sorted(methods) if not re.search(rf"%{m}\s*\(", plugins)]
    assert not missing, missing
    # the specific procedures behind the generics: each kind is used
    for kind in ("real(c_double), pointer", "real(c_float), pointer", "integer(c_int), pointer"):
        assert kind in plugins


# -- what the package ships for Fortran: libcomin_fortran, the modules, the sources -------------

EXAMPLE = os.path.join(ROOT, "examples", "fortran_plugin")
MINI = textwrap.dedent("""
    MODULE mini
      USE comin_plugin_interface
      IMPLICIT NONE
    CONTAINS
      SUBROUTINE cb() BIND(C, name="")
        TYPE(t_comin_descrdata_global), POINTER :: g
        g => comin_descrdata_get_global()
        IF (g%nproma > 0) CALL comin_print_info("mini plugin")
      END SUBROUTINE cb
      SUBROUTINE comin_main() BIND(C, name="comin_main")
        CALL comin_callback_register(EP_ATM_TIMELOOP_START, cb)
      END SUBROUTINE comin_main
    END MODULE mini
""")


def _config(*options):
    out = subprocess.run([sys.executable, "-m", "comin._config", *options], capture_output=True,
                         text=True, check=True).stdout.split()
    return out


def test_package_ships_libcomin_fortran_modules_and_sources():
    libdir = comin.get_library_dir()
    assert os.path.exists(os.path.join(libdir, "libcomin_fortran.so"))
    moddir = os.path.join(comin.get_include(), "fortran")
    for module in ("comin_constants", "comin_descrdata_types", "comin_plugin_interface"):
        assert os.path.exists(os.path.join(moddir, f"{module}.mod")), module
    sources = _config("--fsources")
    assert [os.path.basename(s) for s in sources[:3]] == list(API_SOURCES)
    for src in sources:
        with open(src) as shipped, open(os.path.join(FORTRAN_API, os.path.basename(src))) as tree:
            assert shipped.read() == tree.read(), src
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        pyproject = f.read()
    for pattern in ('"include/fortran/*.mod"', '"fortran/*.F90"', '"fortran/ORDER"', '"lib/*.so"'):
        assert pattern in pyproject


def test_comin_config_fortran_flags_build_a_plugin(tmp_path):
    src = tmp_path / "mini.F90"
    src.write_text(MINI)
    fflags, flibs = _config("--fflags"), _config("--flibs")
    assert fflags == [f"-I{os.path.join(comin.get_include(), 'fortran')}"]
    assert "-lcomin_fortran" in flibs and "-lcomin" in flibs
    _build.build([src], tmp_path / "libmini.so", comin=False, flags=fflags, libs=flibs, workdir=tmp_path)
    # the shipped sources compile into a plugin as well (what other compilers do)
    fromsource = tmp_path / "fromsource"
    fromsource.mkdir()
    _build.build([*_config("--fsources"), src], fromsource / "libmini.so", comin=False,
                 libs=_config("--libs"), workdir=fromsource)
    for lib in (tmp_path / "libmini.so", fromsource / "libmini.so"):
        proc = run_driver(("lib", "mini", str(lib), ""), steps=1)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert info_lines(proc.stderr, "mini") == ["mini plugin"]


def test_comin_config_fortran_flags_explain_a_build_without_fortran(monkeypatch, capsys):
    from comin import _config
    monkeypatch.setattr(_config, "fortran_built", lambda: False)
    assert _config.main(["--fflags"]) == 1
    assert "built without a Fortran compiler" in capsys.readouterr().err
    assert _config.main(["--cflags"]) == 0


def test_cmake_fortran_target_and_pkg_config(tmp_path):
    (tmp_path / "mini.F90").write_text(MINI)
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent("""
        cmake_minimum_required(VERSION 3.18)
        project(fmini Fortran)
        find_package(comin 0.3 REQUIRED COMPONENTS Fortran)
        add_library(fmini SHARED mini.F90)
        target_link_libraries(fmini PRIVATE comin::comin_fortran)
    """))
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(build),
                    f"-Dcomin_DIR={comin.get_cmake_dir()}"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
    proc = run_driver(("lib", "mini", str(build / "libfmini.so"), ""), steps=1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert info_lines(proc.stderr, "mini") == ["mini plugin"]
    # an unknown component is refused with a message
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.18)\nproject(x NONE)\n"
        "find_package(comin 0.3 REQUIRED COMPONENTS Cobol)\n")
    bad = subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "bad"),
                          f"-Dcomin_DIR={comin.get_cmake_dir()}"], capture_output=True, text=True)
    assert bad.returncode != 0 and "built without component Cobol" in bad.stderr
    env = dict(os.environ, PKG_CONFIG_PATH=comin.get_pkgconfig_dir())
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "comin_fortran"], env=env,
                           check=True, capture_output=True, text=True).stdout.split()
    includes = [os.path.realpath(f[2:]) for f in flags if f.startswith("-I")]
    assert os.path.realpath(os.path.join(comin.get_include(), "fortran")) in includes
    assert "-lcomin_fortran" in flags and "-lcomin" in flags
    _build.build([tmp_path / "mini.F90"], tmp_path / "libpc.so", comin=False, libs=flags,
                 workdir=tmp_path)


def test_fortran_example_builds_with_cmake_and_writes_celsius(tmp_path, capsys):
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", EXAMPLE, "-B", str(build), f"-Dcomin_DIR={comin.get_cmake_dir()}"],
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
    emu = Emulator([PluginDescription(name="fortran_plugin",
                                      plugin_library=str(build / "libfortran_plugin.so"))],
                   emulator_config(steps=2))
    emu.run()
    dom = emu.domains[1]
    n = 80
    expect = (dom.fields["temp"][:, -1, :] - 273.15).ravel(order="F")[:n]
    out = dom.requested["t2m_celsius"].ravel(order="F")[:n]
    assert np.allclose(out, expect)
    lines = info_lines(capsys.readouterr().err, "fortran_plugin")
    assert lines[0] == "domain 1: 80 cells, nproma 8"
    assert len(lines) == 3
    k = int(np.argmax(expect))
    words = lines[-1].split()
    assert words[1:4] == ["warmest", "cell", f"{k + 1}:"]
    lat = np.degrees(dom.clat.ravel(order="F")[k])
    lon = np.degrees(dom.clon.ravel(order="F")[k])
    assert abs(float(words[4]) - expect[k]) <= 0.006
    assert words[6:8] == ["at", "lat"] and abs(float(words[8]) - lat) <= 0.006
    assert words[9] == "lon" and abs(float(words[10]) - lon) <= 0.006


# -- every descriptive-data field of the derived types against what a Python plugin sees ---------

_REFIN_LBOUND = {"cells": "min_rlcell", "edges": "min_rledge", "verts": "min_rlvert"}
_REFIN_FIELDS = ("start_index", "end_index", "start_block", "end_block")


def _descrdata_fortran_source() -> str:
    """A Fortran plugin printing every field of comin_descrdata_get_global/_domain (errors_return on):
    scalars and strings as they are, arrays as shape, lower bound, sum and first element."""
    table = comin._table.DESCRDATA
    out = ["MODULE ddall", "  USE, INTRINSIC :: iso_c_binding, ONLY: c_double", "  USE comin_plugin_interface",
           "  IMPLICIT NONE", "CONTAINS",
           "  FUNCTION r(x) RESULT(s)", "    REAL(c_double), INTENT(IN) :: x",
           "    CHARACTER(LEN=:), ALLOCATABLE :: s", "    CHARACTER(LEN=40) :: buf",
           "    WRITE(buf, '(ES26.17E3)') x", "    s = TRIM(ADJUSTL(buf))", "  END FUNCTION r",
           "  FUNCTION i(x) RESULT(s)", "    INTEGER, INTENT(IN) :: x", "    CHARACTER(LEN=:), ALLOCATABLE :: s",
           "    CHARACTER(LEN=40) :: buf", "    WRITE(buf, '(I0)') x", "    s = TRIM(buf)", "  END FUNCTION i",
           '  SUBROUTINE comin_main() BIND(C, name="comin_main")',
           "    TYPE(t_comin_descrdata_global), POINTER :: g",
           "    TYPE(t_comin_descrdata_domain), POINTER :: d", "    INTEGER :: jg",
           "    CALL comin_error_set_errors_return(.TRUE.)", "    g => comin_descrdata_get_global()",
           "    DO jg = 1, g%n_dom", "      d => comin_descrdata_get_domain(jg)"]

    def emit(obj, group, field, kind, ndim, jg):
        tag = f'"{group}.{field} " // i({jg})'
        x = f"{obj}%{field}"
        if kind == "str":
            return [f"      CALL comin_print_info({tag} // \" '\" // {x} // \"'\")"]
        if ndim == 0:
            val = {"int": f"i({x})", "bool": f"i(MERGE(1, 0, {x}))", "float": f"r({x})"}[kind]
            return [f"      CALL comin_print_info({tag} // \" \" // {val})"]
        dims = " // \" \" // ".join(f"i(SIZE({x}, {k}))" for k in range(1, ndim + 1))
        # ComIn's types: POINTER or ALLOCATABLE components, as upstream declares them
        test = "ALLOCATED" if comin._table.descrdata_storage(group, field) == "allocatable" else "ASSOCIATED"
        return [f"      IF ({test}({x})) THEN",
                f"        CALL comin_print_info({tag} // \" shape \" // {dims} // \" lb \" // "
                f"i(LBOUND({x}, 1)) // \" sum \" // r(SUM(REAL({x}, c_double))) // \" first \" // "
                f"r(REAL({x}({', '.join(f'LBOUND({x}, {k})' for k in range(1, ndim + 1))}), c_double)))",
                "      ELSE", f"        CALL comin_print_info({tag} // \" null\")", "      END IF"]

    body = []
    for field, kind, ndim in table["global"]:
        body += [line.replace("      ", "    ", 1) for line in emit("g", "global", field, kind, ndim, "0")]
    out[out.index("    DO jg = 1, g%n_dom"):out.index("    DO jg = 1, g%n_dom")] = body
    for group, rows in table.items():
        if group == "global":
            continue
        obj = "d" if group == "domain" else f"d%{group}"
        for field, kind, ndim in rows:
            out += emit(obj, group, field, kind, ndim, "jg")
    out += ["    END DO", "    CALL comin_error_reset()", "  END SUBROUTINE comin_main", "END MODULE ddall", ""]
    return "\n".join(out)


def _descrdata_expected():
    """(tag, jg, parsed value) of every field as a Python plugin sees it; unset fields
    (ComInError) appear with the Fortran types' neutral values."""
    table = comin._table.DESCRDATA
    rows = []
    g = comin.descrdata_get_global()
    for jg in range(0, g.n_dom + 1):
        for group, fields in table.items():
            if (group == "global") != (jg == 0):
                continue
            obj = (g if group == "global" else comin.descrdata_get_domain(jg) if group == "domain"
                   else getattr(comin.descrdata_get_domain(jg), group))
            for field, kind, ndim in fields:
                try:
                    v = getattr(obj, field)
                except comin.ComInError:
                    v = None
                if kind == "str":
                    rows.append((f"{group}.{field}", jg, v or ""))
                elif ndim == 0:
                    rows.append((f"{group}.{field}", jg, float(v or 0)))
                elif v is None:
                    rows.append((f"{group}.{field}", jg, None))
                else:
                    a = np.asarray(v)
                    lb = (getattr(g, _REFIN_LBOUND[group])
                          if group in _REFIN_LBOUND and field in _REFIN_FIELDS else 1)
                    first = float(a.ravel(order="F")[0]) if a.size else None
                    rows.append((f"{group}.{field}", jg, (a.shape, lb, float(a.astype(float).sum()), first)))
    return rows


def _parse_descrdata_line(line):
    words = line.split(" ", 2)
    tag, jg, rest = words[0], int(words[1]), words[2] if len(words) > 2 else ""
    if rest.startswith("'"):
        return tag, jg, rest[1:-1]
    if rest == "null":
        return tag, jg, None
    if rest.startswith("shape "):
        w = rest.split()
        k = w.index("lb")
        first = float(w[k + 5]) if int(np.prod([int(x) for x in w[1:k]])) else None
        return tag, jg, (tuple(int(x) for x in w[1:k]), int(w[k + 1]), float(w[k + 3]), first)
    return tag, jg, float(rest)


def test_every_descrdata_field_of_the_fortran_types_matches_the_python_view(tmp_path, capsys):
    src = tmp_path / "ddall.F90"
    src.write_text(_descrdata_fortran_source())
    fflags, flibs = _config("--fflags"), _config("--flibs")
    lib = tmp_path / "libddall.so"
    _build.build([src], lib, comin=False, flags=["-ffree-line-length-none", *fflags], libs=flibs,
                 workdir=tmp_path)
    expected = []
    Emulator([PluginDescription(name="fdd", plugin_library=str(lib)),
              lambda: expected.extend(_descrdata_expected())],
             emulator_config(n_dom=2, steps=0)).run()
    got = [_parse_descrdata_line(line) for line in info_lines(capsys.readouterr().err, "fdd")]
    n_fields = sum(len(rows) for rows in comin._table.DESCRDATA.values())
    assert len(got) == len(expected) == n_fields + (n_fields - len(comin._table.DESCRDATA["global"]))
    for e, g in zip(expected, got):
        assert g[:2] == e[:2]
        if isinstance(e[2], tuple):
            assert g[2][:2] == e[2][:2], (e, g)                        # shape, lower bound
            assert g[2][2] == pytest.approx(e[2][2], rel=1e-12, abs=1e-9), (e, g)
            assert g[2][3] == e[2][3], (e, g)
        else:
            assert g[2] == e[2], (e, g)
    assert sum(g[2] is None for g in got) < len(got) // 4              # mostly real data
    assert any(g[0] == "cells.start_index" and g[2][1] < 0 for g in got)  # lower bound min_rlcell


# -- memory: the Fortran layer under valgrind ----------------------------------------------------

def _valgrind_reports(text: str):
    """valgrind's error reports (one string each) that concern memory we own: invalid reads
    and writes outside the dynamic loader (ld.so reads rpath strings a word at a time), and
    uses of uninitialised values reached from Fortran code or libcomin."""
    blocks, cur = [], None
    for line in text.splitlines():
        body = line.split("== ", 1)[1] if "== " in line else ""
        if body.startswith(("Invalid read", "Invalid write", "Conditional jump", "Use of uninit",
                            "Syscall param")):
            cur = [body]
            blocks.append(cur)
        elif cur is not None and body.strip():
            cur.append(body)
        else:
            cur = None
    out = []
    for block in ("\n".join(b) for b in blocks):
        stack = block.split("Address ", 1)[0]
        frames = [f for f in stack.splitlines()[1:] if f.strip().startswith(("at ", "by "))]
        if block.startswith("Invalid"):
            if frames and all(("dl-" in f or "_dl_" in f or "strcmp" in f) for f in frames):
                continue
            out.append(block)
        elif any(".F90" in f or "comin" in f for f in frames):
            out.append(block)
    return out


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_fortran_plugins_run_clean_under_valgrind(plugins, tmp_path):
    """The scenario and every errors_return path: no invalid access, and no output of a
    failed C call read before it was set (the C interfaces' INTENT(INOUT) outputs)."""
    log = tmp_path / "valgrind.log"
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {HERE!r})
        from comin.emulator import Emulator
        from comin.host import PluginDescription
        from _support import emulator_config
        Emulator([PluginDescription(name="scenario", plugin_library={plugins['scenario']!r}, options="v"),
                  PluginDescription(name="errs", plugin_library={plugins['errors']!r}, options="return")],
                 emulator_config(steps=1)).run()
        print("RUN DONE", file=sys.stderr)
    """)
    proc = subprocess.run(["valgrind", f"--log-file={log}", "--errors-for-leak-kinds=none",
                           "--leak-check=no", sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=900)
    assert "RUN DONE" in proc.stderr, proc.stderr[-3000:]
    assert "errors_return test done" in proc.stderr
    bad = _valgrind_reports(log.read_text())
    assert not bad, "\n\n".join(bad)


def test_the_valgrind_filter_sees_an_uninitialised_output(tmp_path):
    """The filter above keeps a report of Fortran code using a value never set."""
    src = tmp_path / "uninit.F90"
    src.write_text(textwrap.dedent("""
        PROGRAM uninit
          INTEGER, ALLOCATABLE :: a(:)
          ALLOCATE(a(4))
          IF (a(2) > 3) PRINT *, "big"
        END PROGRAM uninit
    """))
    exe = tmp_path / "uninit"
    _build.build([src], exe, kind="executable", comin=False, flags=["-g", "-O0"])
    log = tmp_path / "valgrind.log"
    subprocess.run(["valgrind", f"--log-file={log}", str(exe)], capture_output=True, timeout=300)
    bad = _valgrind_reports(log.read_text())
    assert bad and "uninit.F90" in bad[0]


def test_both_fortran_modules_export_every_constant_of_the_table():
    """comin_plugin_interface and comin_host_api re-export every constant of the table
    (EP_*, COMIN_*, error codes) through the generated comin_constants_public.inc, so a
    plugin or a host needs only its own module, and neither keeps a list of its own."""
    constants = {n.lower() for n in comin._table.all_constants()}
    with open(os.path.join(FORTRAN_API, "comin_constants_public.inc")) as f:
        included = _public_names(f.read())
    assert included == constants
    # comin_host_interface itself exports exactly ComIn's names (test_host_interface.py)
    for module in ("comin_plugin_interface.F90", "comin_host_api.F90"):
        with open(os.path.join(FORTRAN_API, module)) as f:
            text = f.read()
        assert '#include "comin_constants_public.inc"' in text, module
        assert not (_public_names(text) & constants), f"{module} lists constants by hand"

"""C plugins: libcomin, comin.h, loading shared libraries, the C API's rules and errors.

Test plugins (``tests/c_plugins/*.c``) are compiled with comin's build recipe
(:mod:`comin._build`: ``$CC``, the package's headers and ``-lcomin``) and run in the emulator.  Scenarios that end the run or print
from C run in a subprocess, so their output is compared as a whole.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import comin
from comin import _build
from comin import _capi
from comin.emulator import Emulator
from comin.host import Host, PluginDescription
from _support import emulator_config

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.join(HERE, "c_plugins")


def compile_plugin(source: str, out_dir, name: str) -> str:
    """Build a C plugin (a file of tests/c_plugins or C source text) into ``out_dir/lib<name>.so``."""
    if not source.endswith(".c"):
        path = os.path.join(str(out_dir), f"{name}.c")
        with open(path, "w") as f:
            f.write(textwrap.dedent(source))
        source = path
    elif not os.path.isabs(source):
        source = os.path.join(SOURCES, source)
    return _build.build([source], os.path.join(str(out_dir), f"lib{name}.so"), flags=["-g", "-O1"],
                        strict=True)


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    out = tmp_path_factory.mktemp("c_plugins")
    return {name: compile_plugin(f"{name}.c", out, name) for name in ("scenario", "errors")}


DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import comin
    from comin.emulator import Emulator
    from comin.host import PluginDescription
    from _support import emulator_config
    plugins = []
    for kind, name, what, options in {plugins!r}:
        if kind == "c":
            plugins.append(PluginDescription(name=name, plugin_library=what, options=options,
                                             primary_constructor={constructor!r}))
        else:
            plugins.append(PluginDescription.python(what + " " + options, name=name))
    emu = Emulator(plugins, emulator_config(steps={steps}, verbosity={verbosity}))
    try:
        emu.run()
    except comin.ComInFinish as fin:
        print("FINISH", repr(fin.routine), repr(fin.text), file=sys.stderr)
        sys.exit(3)
    print("RUN DONE", file=sys.stderr)
""")


def run_driver(plugins, steps=1, verbosity=0, constructor="comin_main", prefix=()):
    """Run the emulator with ``plugins`` [(kind, name, library-or-script, options)] in a subprocess."""
    code = DRIVER.format(tests=HERE, plugins=list(plugins), steps=steps, verbosity=verbosity,
                         constructor=constructor)
    proc = subprocess.run(list(prefix) + [sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=600)
    return proc


def info_lines(text: str, name: str):
    tag = f" INFO({name}): "
    return [line[len(tag):] for line in text.splitlines() if line.startswith(tag)]


# -- the library and the header ------------------------------------------------------------

def test_library_exports_every_function_and_header_declares_it():
    functions = _capi.functions()
    lib = ctypes.CDLL(os.path.join(comin.get_library_dir(), "libcomin.so"))
    with open(os.path.join(comin.get_include(), "comin.h")) as f:
        header = f.read()
    for fn in functions:
        assert hasattr(lib, fn.name), fn.name
        assert f" {fn.name}(" in header, fn.name
    # 69 of ComIn 0.3, 2 of ComIn 0.2 (setup_get_verbosity_level, var_get_pos), 5 comin
    # extensions, 103 descrdata getters
    assert len(functions) == 179
    assert "comin_setup_get_version" in header and "t_comin_var_descriptor;" in header
    assert hasattr(lib, "comin_print_info_f")


def test_header_compiles_as_c_and_cxx(tmp_path):
    src = tmp_path / "t.c"
    src.write_text('#include "comin.h"\nint main(void) { unsigned a, b, c; '
                   'comin_setup_get_version(&a, &b, &c); return a * 100 + b * 10 + c == 30 ? 0 : 1; }\n')
    _build.build([src], tmp_path / "t", kind="executable", flags=["-Wall", "-Werror", "-std=c99"])
    assert subprocess.run([str(tmp_path / "t")]).returncode == 0
    if shutil.which(_build.compiler("c++")[0]):
        cxx = tmp_path / "t.cpp"
        cxx.write_text(src.read_text())
        _build.build([cxx], tmp_path / "tx", kind="executable", flags=["-Wall", "-Werror"])


# -- equivalence: the same scenario in Python and in C ---------------------------------------

def test_python_and_c_scenario_print_identical_lines(plugins):
    script = os.path.join(SOURCES, "scenario.py")
    c = run_driver([("c", "scenario", plugins["scenario"], "--hello world")], steps=2)
    py = run_driver([("py", "scenario", script, "--hello world")], steps=2)
    assert c.returncode == 0, c.stderr
    assert py.returncode == 0, py.stderr
    c_lines, py_lines = info_lines(c.stderr, "scenario"), info_lines(py.stderr, "scenario")
    assert len(c_lines) > 30
    assert c_lines == py_lines
    assert "end step 2 wrote 80 values" in c_lines
    assert "plugin name scenario" in c_lines and "iterator deleted 1" in c_lines
    assert c.stderr.count(" WARNING(scenario): a warning") == 1
    assert "log_debug is off" not in c.stderr


def test_c_plugin_writes_host_memory_and_reads_descrdata(plugins, capsys):
    emu = Emulator([PluginDescription(name="scenario", plugin_library=plugins["scenario"],
                                      options="x y")], emulator_config(steps=2))
    emu.run()
    eq = emu.domains[1].requested["eqvar"]
    flat = eq.ravel(order="F")
    assert np.array_equal(flat, 20.0 + np.arange(flat.size) % 7)
    err = capsys.readouterr().err
    lines = info_lines(err, "scenario")
    d1 = emu.domains[1]
    assert f"domain nlev {d1.nlev} ncells 80 nblks {d1.nblks['cells']}" in lines
    assert "plugin id 1 options 'x y'" in lines
    assert emu.host.finalized


def test_python_and_c_plugins_are_called_in_list_order(tmp_path):
    lib = compile_plugin("""
        #include "comin.h"
        static void cb(void) { comin_print_info_f("%s", "c"); }
        void my_constructor(void) {
          comin_callback_register(EP_ATM_TIMELOOP_START, cb);
          comin_callback_register(EP_ATM_TIMELOOP_END, cb);
        }
    """, tmp_path, "order")
    script = tmp_path / "p.py"
    script.write_text(textwrap.dedent("""
        import sys
        import comin
        tag = sys.argv[1]
        @comin.EP_ATM_TIMELOOP_START
        def a():
            comin.print_info(tag)
        @comin.EP_ATM_TIMELOOP_END
        def b():
            comin.print_info(tag)
    """))
    proc = run_driver([("py", "p", str(script), "py1"), ("c", "p", lib, ""),
                       ("py", "p", str(script), "py2"), ("c", "p", lib, "")],
                      steps=2, constructor="my_constructor")
    assert proc.returncode == 0, proc.stderr
    assert info_lines(proc.stderr, "p") == ["py1", "c", "py2", "c"] * 4


# -- errors ---------------------------------------------------------------------------------------

RETURN_EXPECTED = {
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
    "register_unknown_ep": "COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN",
    "register_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
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
    "var_get_ok": "COMIN_SUCCESS",
    "ptr_int_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "ptr_float_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "device_ptr_double": "COMIN_SUCCESS",
    "device_ptr_int_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "device_ptr": "COMIN_SUCCESS",
    "device_ptr_float_of_double": "COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE",
    "ptr_of_null": "COMIN_SUCCESS",
    "shape_of_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
    "ep_name_unknown": "COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN",
    "timestep_not_set": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
    "domain_not_set": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
    "domain_cells_not_set": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
    "global_string_ok": "COMIN_SUCCESS",
    "cell_indices_domain": "COMIN_ERROR_FIELD_NOT_ALLOCATED",
    "plugin_comm_ok": "COMIN_SUCCESS",
    "lcontainer_of_null": "COMIN_ERROR_POINTER_NOT_ASSOCIATED",
    "plugin_flags_ok": "COMIN_SUCCESS",
}

#: the neutral values the calls leave with errors_return on (see errors.c)
RETURN_NEUTRAL = {"metadata_get_in_primary": 42, "metadata_key_not_found": 42,
                  "metadata_var_not_found": 42, "metadata_wrong_type": 42, "shape_of_null": 7,
                  "ep_name_unknown": 1, "cell_indices_domain": -9, "plugin_flags_ok": 1}


def test_errors_return_gives_codes_and_neutral_values(plugins):
    proc = run_driver([("c", "errs", plugins["errors"], "return")])
    assert proc.returncode == 0, proc.stderr
    lines = info_lines(proc.stderr, "errs")
    got = {}
    for line in lines:
        words = line.split()
        if len(words) == 3 and words[0] in RETURN_EXPECTED:
            got[words[0]] = (int(words[1]), int(words[2]))
    assert set(got) == set(RETURN_EXPECTED)
    consts = comin._table.all_constants()
    for what, name in RETURN_EXPECTED.items():
        assert got[what][0] == consts[name], (what, got[what], name)
        assert got[what][1] == RETURN_NEUTRAL.get(what, 0), (what, got[what])
    assert "message 'ERROR' 'Cannot find variable'" in lines
    assert "message 'FATAL ERRO' 'Fatal error'" in lines      # category[11], as ComIn's
    assert "errors_return test done" in lines
    assert "timeloop return" in lines


@pytest.mark.parametrize("what,text", [
    ("var_get_notfound", "ERROR: Cannot find variable"),
    ("request_after", "ERROR: Variables cannot be requested after the primary constructor."),
    ("ep_name", "ERROR: Unknown id for ENTRY point."),
    ("wrong_type", "ERROR: Variable has a different datatype."),
    ("metadata_key", "ERROR: Inconsistent metadata type."),
    ("register_unknown_ep", "ERROR: Unknown id for ENTRY point."),
    ("tracer_one_domain", "ERROR: Tracers must be requested for all domains (id = -1)."),
    ("error_check", "ERROR: Cannot find variable"),
])
def test_errors_without_errors_return_finish_with_the_plugin_name(plugins, what, text):
    proc = run_driver([("c", "errs", plugins["errors"], f"off {what}")])
    assert proc.returncode == 3, proc.stderr
    assert f"FINISH 'errs' {text!r}" in proc.stderr
    assert "NOT REACHED" not in proc.stderr
    assert "timeloop" not in proc.stderr


def test_plugin_comm_without_comm_finishes(plugins):
    proc = run_driver([("c", "errs", plugins["errors"], "off plugin_comm")])
    assert proc.returncode == 3, proc.stderr
    assert ("FINISH 'comin_parallel_get_plugin_mpi_comm' \"Error: To use the plugin_comm, 'comm' "
            "must be set in the plugin namelist\"") in proc.stderr
    assert "NOT REACHED" not in proc.stderr


@pytest.mark.parametrize("mode,where", [("finish_primary", "primary constructor"),
                                        ("finish_callback", "callback")])
def test_plugin_finish_unwinds(plugins, mode, where):
    proc = run_driver([("c", "errs", plugins["errors"], mode)])
    assert proc.returncode == 3, proc.stderr
    assert f"FINISH 'my_routine' 'bye from the {where}'" in proc.stderr
    assert "NOT REACHED" not in proc.stderr


def test_finish_in_process_raises_cominfinish_and_next_host_works(plugins):
    emu = Emulator([PluginDescription(name="errs", plugin_library=plugins["errors"],
                                      options="finish_callback")], emulator_config(steps=1))
    with pytest.raises(comin.ComInFinish) as info:
        emu.run()
    assert (info.value.routine, info.value.text) == ("my_routine", "bye from the callback")
    # the session ended cleanly: a new one runs a C plugin again
    emu = Emulator([PluginDescription(name="scenario", plugin_library=plugins["scenario"],
                                      options="a b")], emulator_config(steps=1))
    emu.run()


def test_second_registration_overwrites_with_a_warning(plugins):
    proc = run_driver([("c", "errs", plugins["errors"], "overwrite")], steps=2, verbosity=1)
    assert proc.returncode == 0, proc.stderr
    lines = info_lines(proc.stderr, "errs")
    assert lines == ["second callback"] * 2
    assert ("WARNING:: Overwrite callback for plugin 'errs' at entry point "
            "'EP_ATM_TIMELOOP_START' (ep: 10)") in proc.stderr


# -- loading ---------------------------------------------------------------------------------

def test_missing_library_names_it(tmp_path):
    missing = str(tmp_path / "libnothere.so")
    proc = run_driver([("c", "x", missing, "")])
    assert proc.returncode == 3
    assert f"Cannot load plugin {missing}" in proc.stderr
    assert "libnothere.so: cannot open shared object file" in proc.stderr


def test_missing_symbol_names_library_and_symbol(plugins):
    proc = run_driver([("c", "x", plugins["errors"], "")], constructor="no_such_constructor")
    assert proc.returncode == 3
    assert (f"Cannot load primary constructor no_such_constructor from plugin "
            f"{plugins['errors']}") in proc.stderr
    assert "undefined symbol: no_such_constructor" in proc.stderr


def test_c_host_loop_calls_context_call(tmp_path):
    """A C host loop (comin_callback_context_call) drives a C plugin's callback."""
    lib = compile_plugin("""
        #include "comin.h"
        static int calls = 0;
        static void cb(void) { calls++; }
        void comin_main(void) { comin_callback_register(EP_ATM_TIMELOOP_START, cb); }
        int host_loop(int n, int domain) {
          for (int i = 0; i < n; i++) comin_callback_context_call(EP_ATM_TIMELOOP_START, domain, false);
          return calls;
        }
    """, tmp_path, "hostloop")
    host = Host([PluginDescription(name="c", plugin_library=lib)])
    try:
        host.set_global(n_dom=1, nproma=4)
        host.run_primary_constructors()
        loop = ctypes.PyDLL(lib).host_loop
        assert loop(1000, -1) == 1000          # fast path
        host.set_verbosity_level(13)
        assert loop(3, 1) == 1003              # general path
    finally:
        host.finalize()


def test_var_get_ptr_needs_fortran_contiguous_host_arrays(tmp_path, capsys):
    lib = compile_plugin("""
        #include <stddef.h>
        #include "comin.h"
        static t_comin_var_handle* h;
        static void sec(void) {
          t_comin_entry_point ctx[] = {EP_ATM_TIMELOOP_START};
          t_comin_var_descriptor d = {"f", 1};
          h = comin_var_get(1, ctx, d, COMIN_FLAG_READ | COMIN_FLAG_WRITE);
          double* p = comin_var_get_ptr_double(h);
          comin_print_info_f("code %d null %d", comin_error_get(), p == NULL);
          if (p) p[1] = 5.0;
        }
        void comin_main(void) {
          comin_error_set_errors_return(true);
          comin_callback_register(EP_SECONDARY_CONSTRUCTOR, sec);
        }
    """, tmp_path, "contig")
    for order, expect in (("F", "code 0 null 0"), ("C", "code 26 null 1")):
        host = Host([PluginDescription(name="c", plugin_library=lib)])
        try:
            host.set_global(n_dom=1, nproma=4)
            host.run_primary_constructors()
            arr = np.zeros((4, 3, 2), order=order)
            host.expose("f", 1, arr)
            host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
        finally:
            host.finalize()
        assert info_lines(capsys.readouterr().err, "c") == [expect]
        if order == "F":
            assert arr.ravel(order="F")[1] == 5.0
        else:
            assert not arr.any()


def test_host_process_symbols_with_empty_library(tmp_path):
    """plugin_library "" looks the constructor up in the process (dlopen(NULL))."""
    lib = compile_plugin("""
        #include "comin.h"
        static void cb(void) { comin_print_info_f("in-process callback"); }
        void inproc_main(void) { comin_callback_register(EP_ATM_TIMELOOP_START, cb); }
    """, tmp_path, "inproc")
    code = textwrap.dedent(f"""
        import ctypes, os, sys
        ctypes.CDLL({lib!r}, mode=ctypes.RTLD_GLOBAL | os.RTLD_NOW)
        sys.path.insert(0, {HERE!r})
        from comin.emulator import Emulator
        from comin.host import PluginDescription
        from _support import emulator_config
        Emulator([PluginDescription(name="p", primary_constructor="inproc_main")],
                 emulator_config(steps=1)).run()
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert info_lines(proc.stderr, "p") == ["in-process callback"]


# -- memory ----------------------------------------------------------------------------------

def invalid_accesses(log: str):
    """The "Invalid read/write" reports of a valgrind log, one text block each."""
    blocks, cur = [], None
    for line in log.splitlines():
        body = line.split(" ", 1)[1] if line.startswith("==") and " " in line else line
        if body.startswith("Invalid read") or body.startswith("Invalid write"):
            cur = [body]
            blocks.append(cur)
        elif cur is not None:
            if not body.strip():
                cur = None
            else:
                cur.append(body)
    return ["\n".join(b) for b in blocks]


def _in_dynamic_loader(block: str) -> bool:
    """glibc's ld.so reads rpath strings a word at a time (valgrind reports it on
    some systems): a report whose whole stack is in the loader is not ours."""
    stack = block.split("Address ", 1)[0]      # the access, not where the block was allocated
    frames = [line for line in stack.splitlines() if line.strip().startswith(("at ", "by "))]
    return bool(frames) and all(("dl-" in f or "_dl_" in f or "strcmp" in f) for f in frames)


def test_c_plugins_run_clean_under_valgrind(plugins, tmp_path):
    log = tmp_path / "valgrind.log"
    proc = run_driver([("c", "scenario", plugins["scenario"], "v"),
                       ("c", "errs", plugins["errors"], "return")],
                      steps=1, prefix=["valgrind", "--error-exitcode=99", f"--log-file={log}",
                                       "--errors-for-leak-kinds=none", "--leak-check=no"])
    text = log.read_text()
    assert "RUN DONE" in proc.stderr, proc.stderr[-3000:]
    bad = [b for b in invalid_accesses(text) if not _in_dynamic_loader(b)]
    assert not bad, "\n\n".join(bad)
    assert "end step 1 wrote 80 values" in proc.stderr


# -- command line ------------------------------------------------------------------------------

def test_cli_runs_c_plugins_positional_and_from_a_namelist(plugins, tmp_path):
    nml = tmp_path / "c.nml"
    nml.write_text(textwrap.dedent(f"""
        &comin_nml
          plugin_list(1)%name = "scenario"
          plugin_list(1)%plugin_library = "{plugins['scenario']}"
          plugin_list(1)%options = "from the namelist"
        /
    """))
    proc = subprocess.run([sys.executable, "-m", "comin", "run", "--grid", "R2B0", "--nlev", "5",
                           "--nproma", "8", "--steps", "1", "--namelist", str(nml),
                           f"{plugins['scenario']} --a 'b c'"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "plugin id 1 options 'from the namelist'" in info_lines(proc.stderr, "scenario")
    name = "libscenario.so(comin_main)"
    assert "plugin id 2 options '--a 'b c''" in info_lines(proc.stderr, name)


FAST_FINISH_HOST = """
import ctypes, sys
from comin.host import Host, PluginDescription
lib = sys.argv[1]
host = Host([PluginDescription(name="c", plugin_library=lib)],
            error_handler=lambda routine, text: print(f"handler: {routine}: {text}", file=sys.stderr))
host.set_global(n_dom=1, nproma=4)
host.run_primary_constructors()
print("loop returned", ctypes.PyDLL(lib).host_loop(5), flush=True)
"""


def test_finish_in_a_fast_path_callback_never_returns_into_the_plugin(tmp_path):
    """A finish inside a C callback that a C host loop runs on libcomin's fast path (no
    guard there, none outside), with a host error handler that returns: the callback does
    not go on and the host loop does not either; the process ends with status 1."""
    lib = compile_plugin("""
        #include <stdio.h>
        #include "comin.h"
        static int calls = 0;
        static void cb(void) {
          calls++;
          if (calls == 3) { comin_plugin_finish("fast", "bye"); printf("after finish\\n"); }
        }
        void comin_main(void) { comin_callback_register(EP_ATM_TIMELOOP_START, cb); }
        int host_loop(int n) {
          for (int i = 0; i < n; i++) comin_callback_context_call(EP_ATM_TIMELOOP_START, -1, false);
          return calls;
        }
    """, tmp_path, "fastfinish")
    script = tmp_path / "host.py"
    script.write_text(FAST_FINISH_HOST)
    proc = subprocess.run([sys.executable, str(script), lib], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "after finish" not in proc.stdout and "loop returned" not in proc.stdout
    assert "handler: fast: bye" in proc.stderr           # the host's handler ran, and returned
    assert "finish inside a C callback returned from the host's error handler" in proc.stderr


def test_finish_in_a_fast_path_callback_unwinds_to_an_outer_guard(tmp_path):
    """The same finish where an outer guard exists (the C host loop runs inside a C plugin's
    callback that the core called): it unwinds to that guard, past the fast-path frames,
    and the session ends as any finish does."""
    lib = compile_plugin("""
        #include <stdio.h>
        #include "comin.h"
        static int calls = 0;
        static void inner(void) {
          calls++;
          if (calls == 2) { comin_plugin_finish("fast", "bye"); printf("after finish\\n"); }
        }
        static void outer(void) {
          for (int i = 0; i < 5; i++) comin_callback_context_call(EP_ATM_TIMELOOP_START, -1, false);
          printf("outer went on\\n");
        }
        void comin_main(void) {
          comin_callback_register(EP_ATM_TIMELOOP_START, inner);
          comin_callback_register(EP_ATM_TIMELOOP_END, outer);
        }
    """, tmp_path, "outerguard")
    host = Host([PluginDescription(name="c", plugin_library=lib)])
    try:
        host.set_global(n_dom=1, nproma=4)
        host.run_primary_constructors()
        host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
        host.call_ep(comin.EP_ATM_TIMELOOP_START)       # hands libcomin its fast path
        with pytest.raises(comin.ComInFinish):
            host.call_ep(comin.EP_ATM_TIMELOOP_END)      # outer: the C loop, inner finishes
    finally:
        if not host.finalized:
            host.finalize()
    # nothing of that finish is left over: the next session runs normally
    host = Host([PluginDescription(name="c", plugin_library=lib)])
    try:
        host.set_global(n_dom=1, nproma=4)
        host.run_primary_constructors()
        host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
        host.call_ep(comin.EP_ATM_TIMELOOP_START)
    finally:
        host.finalize()


def test_the_valgrind_check_sees_an_invalid_write(tmp_path):
    """The memory test's filter keeps reports from plugin code (a heap overrun here)."""
    lib = compile_plugin("""
        #include <stdlib.h>
        #include "comin.h"
        static void cb(void) {
          volatile char* p = malloc(8);
          p[8] = 1;
          free((void*)p);
        }
        void comin_main(void) { comin_callback_register(EP_ATM_TIMELOOP_START, cb); }
    """, tmp_path, "overrun")
    log = tmp_path / "valgrind.log"
    run_driver([("c", "bad", lib, "")], steps=1,
               prefix=["valgrind", f"--log-file={log}", "--leak-check=no"])
    bad = [b for b in invalid_accesses(log.read_text()) if not _in_dynamic_loader(b)]
    assert bad and "Invalid write of size 1" in bad[0] and "cb" in bad[0]


def test_comin_config_flags_build_a_plugin(tmp_path):
    from comin._config import main as config_main
    out = subprocess.run([sys.executable, "-m", "comin._config", "--cflags", "--libs"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == f"-I{comin.get_include()}" and "-lcomin" in out
    src = tmp_path / "p.c"
    src.write_text('#include "comin.h"\nvoid comin_main(void) { comin_print_info("hi"); }\n')
    _build.build([src], tmp_path / "libp.so", comin=False, flags=out[:1], libs=out[1:])
    assert config_main(["--version"]) == 0
    if shutil.which("comin-config"):
        version = subprocess.run(["comin-config", "--version"], capture_output=True, text=True,
                                 check=True).stdout.strip()
        assert version == "0.3.0"


# -- every descriptive-data getter against what a Python plugin sees ------------------------------

def _descrdata_c_source() -> str:
    """A C plugin that calls every generated descriptive-data getter (errors_return on)."""
    table = comin._table.DESCRDATA
    lines = ['#include <stddef.h>', '#include "comin.h"',
             "static void report(const char* what) {",
             "  int code = comin_error_get();",
             '  if (code) comin_print_info_f("%s unset %d", what, code);',
             "  comin_error_reset();", "}",
             "void comin_main(void) {", "  comin_error_set_errors_return(true);",
             "  int n_dom = comin_descrdata_get_global_n_dom();",
             "  for (int jg = 0; jg <= n_dom; jg++) {"]
    ctypes_ = {"int32": "int", "float64": "double", "int8": "signed char"}
    for group, rows in table.items():
        prefix = ("comin_descrdata_get_global_" if group == "global" else
                  "comin_descrdata_get_domain_" if group == "domain" else
                  f"comin_descrdata_get_domain_{group}_")
        lines.append(f"  if ({'jg == 0' if group == 'global' else 'jg > 0'}) {{")
        for field, kind, ndim in rows:
            fn = prefix + field
            tag = f"{group}.{field}"
            jg = "" if group == "global" else "jg"
            jgc = "" if group == "global" else "jg, "
            lines.append("  {")
            if kind == "str":
                lines += ["    const char* s = NULL; int len = 0;", f"    {fn}({jgc}&s, &len);",
                          f'    if (!comin_error_get()) comin_print_info_f("{tag} %d \'%.*s\'", jg, len, s);']
            elif ndim == 0:
                fmt, cast = {"int": ("%d", "(int)"), "bool": ("%d", "(int)"),
                             "float": ("%.17g", "(double)")}[kind]
                lines += [f"    {'double' if kind == 'float' else 'int'} v = {cast}{fn}({jg});",
                          f'    if (!comin_error_get()) comin_print_info_f("{tag} %d {fmt}", jg, v);']
            else:
                ct = ctypes_[kind]
                lines += [f"    {ct}* p = NULL; int n[3] = {{0, 0, 0}};", f"    {fn}({jgc}&p, n);",
                          "    if (!comin_error_get()) {",
                          "      size_t total = 1; double sum = 0.0;",
                          f"      for (int d = 0; d < {ndim}; d++) total *= (size_t)n[d];",
                          "      for (size_t i = 0; i < total; i++) sum += (double)p[i];",
                          f'      comin_print_info_f("{tag} %d shape %d %d %d sum %.17g first %.17g", jg, '
                          f"n[0], {'n[1]' if ndim > 1 else '0'}, {'n[2]' if ndim > 2 else '0'}, sum, "
                          "total ? (double)p[0] : 0.0);", "    }"]
            lines += [f'    report("{tag}");', "  }"]
        lines.append("  }")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def _descrdata_python_lines():
    """What the C plugin prints, from the Python API (comin.descrdata_get_*)."""
    out = []
    table = comin._table.DESCRDATA
    n_dom = comin.descrdata_get_global().n_dom
    for jg in range(0, n_dom + 1):
        for group, rows in table.items():
            if (group == "global") != (jg == 0):
                continue
            obj = (comin.descrdata_get_global() if group == "global" else
                   comin.descrdata_get_domain(jg) if group == "domain" else
                   getattr(comin.descrdata_get_domain(jg), group))
            for field, kind, ndim in rows:
                tag = f"{group}.{field}"
                try:
                    v = getattr(obj, field)
                except comin.ComInError as exc:
                    out.append(f"{tag} unset {exc.code}")
                    continue
                if kind == "str":
                    out.append(f"{tag} {jg} '{v}'")
                elif ndim == 0:
                    out.append(f"{tag} {jg} " + ("%.17g" % v if kind == "float" else "%d" % v))
                else:
                    flat = np.asarray(v).ravel(order="F").tolist()
                    s = 0.0
                    for x in flat:
                        s += float(x)
                    shape = list(np.shape(v)) + [0] * (3 - np.ndim(v))
                    first = float(flat[0]) if flat else 0.0
                    out.append(f"{tag} {jg} shape {shape[0]} {shape[1]} {shape[2]} sum %.17g first %.17g"
                               % (s, first))
    return out


def test_every_descrdata_getter_matches_the_python_view(tmp_path, capsys):
    lib = compile_plugin(_descrdata_c_source(), tmp_path, "descr")
    expected = []

    def python_plugin():
        expected.extend(_descrdata_python_lines())

    Emulator([PluginDescription(name="cdescr", plugin_library=lib), python_plugin],
             emulator_config(n_dom=2, steps=0)).run()
    got = info_lines(capsys.readouterr().err, "cdescr")
    functions = [f.name for f in _capi._descrdata_functions(comin._table.DESCRDATA)]
    assert len(functions) == 103
    assert all(f"{name}(" in _descrdata_c_source() for name in functions)
    assert got == expected
    assert sum(" unset " in line for line in got) < len(got) // 4     # mostly real data


def test_cmake_find_package_and_pkg_config_build_a_plugin(tmp_path):
    """find_package(comin) gives comin::comin; pkg-config --cflags --libs comin works too."""
    src = tmp_path / "plug.c"
    src.write_text('#include "comin.h"\nstatic void cb(void) { comin_print_info("cmake plugin"); }\n'
                   "void comin_main(void) { comin_callback_register(EP_ATM_TIMELOOP_START, cb); }\n")
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent("""
        cmake_minimum_required(VERSION 3.18)
        project(cplug C)
        find_package(comin 0.3 REQUIRED)
        add_library(cplug SHARED plug.c)
        target_link_libraries(cplug PRIVATE comin::comin)
    """))
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(build), f"-Dcomin_DIR={comin.get_cmake_dir()}"],
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
    proc = run_driver([("c", "cm", str(build / "libcplug.so"), "")])
    assert proc.returncode == 0, proc.stderr
    assert info_lines(proc.stderr, "cm") == ["cmake plugin"]
    env = dict(os.environ, PKG_CONFIG_PATH=comin.get_pkgconfig_dir())
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "comin"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    _build.build([src], tmp_path / "libpc.so", comin=False, libs=flags)
    assert subprocess.run(["pkg-config", "--modversion", "comin"], env=env, capture_output=True,
                          text=True).stdout.strip() == "0.3.0"


def test_c_example_builds_with_cmake_and_writes_celsius(tmp_path, capsys):
    example = os.path.join(os.path.dirname(HERE), "examples", "c_plugin")
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", example, "-B", str(build), f"-Dcomin_DIR={comin.get_cmake_dir()}"],
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
    emu = Emulator([PluginDescription(name="c_plugin", plugin_library=str(build / "libc_plugin.so"))],
                   emulator_config(steps=2))
    emu.run()
    dom = emu.domains[1]
    temp = dom.fields["temp"]
    expect = temp[:, -1, :] - 273.15
    out = dom.requested["t2m_celsius"]
    n = 80
    flat_out = out.ravel(order="F")[:n]
    flat_expect = expect.ravel(order="F")[:n]
    assert np.allclose(flat_out, flat_expect)
    lines = info_lines(capsys.readouterr().err, "c_plugin")
    assert lines[0] == "domain 1: 80 cells, nproma 8"
    warmest = int(np.argmax(flat_expect)) + 1
    assert lines[-1].endswith(f"warmest cell {warmest}: {flat_expect.max():.2f} C")
    assert len(lines) == 3


def test_plugins_with_equally_named_symbols_stay_apart(tmp_path, capfd):
    """Plugin libraries are opened RTLD_LOCAL (as ComIn's dlopen(path, RTLD_NOW)): two plugins
    exporting a callback of the same name each get their own."""
    template = textwrap.dedent("""
        #include <stdio.h>
        #include "comin.h"
        void cb(void) { printf("callback of %s\\n", "WHO"); fflush(stdout); }
        void comin_main(void) { comin_callback_register(EP_ATM_TIMELOOP_START, cb); }
    """)
    libs = [compile_plugin(template.replace("WHO", who), tmp_path, f"same_{who}") for who in ("one", "two")]
    with Host([PluginDescription(name=f"p{i}", plugin_library=lib) for i, lib in enumerate(libs)]) as h:
        h.set_global(n_dom=1, nproma=4)
        h.run_primary_constructors()
        h.call_ep(comin.EP_ATM_TIMELOOP_START, 1)
    out = capfd.readouterr().out
    assert out.splitlines()[-2:] == ["callback of one", "callback of two"]


# -- ComIn 0.2 and 0.3 code against one comin.h (issue 14) --------------------------------------

def test_comin_0_2_and_0_3_c_code_compile_against_one_header(tmp_path):
    """v02.c (ComIn 0.2's idiom) and v03_idioms.c (0.3's const pointers, typed handles):
    gcc -Wall -Wextra -Werror for both, g++ -Wall -Werror for the 0.3 code, no version
    switch."""
    for source in ("v02.c", "v03_idioms.c"):
        _build.build([os.path.join(SOURCES, source)], tmp_path / f"{source}.o", kind="object", strict=True)
    _build.build([os.path.join(SOURCES, "v03_idioms.c")], tmp_path / "v03.o", kind="object",
                 language="c++", strict=True)


def test_the_0_3_const_getters_reject_a_wrong_pointer_type(tmp_path):
    """The 0.2 compatibility takes int** for a const int** getter, nothing else."""
    src = tmp_path / "wrong.c"
    src.write_text("#include <comin.h>\nvoid f(void) { double* x; int n[2];\n"
                   "  comin_descrdata_get_domain_cells_glb_index(1, &x, n); }\n")
    with pytest.raises(_build.BuildError, match="incompatible pointer type"):
        _build.build([str(src)], tmp_path / "wrong.o", kind="object", strict=True)


def test_a_comin_0_2_c_plugin_runs_unchanged(tmp_path):
    lib = compile_plugin("v02.c", tmp_path, "v02")
    proc = run_driver([("c", "v02", lib, "")], steps=1)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("v02c ")]
    assert lines == ["v02c verbosity 0, EP_DESTRUCTOR, flag none 0",
                     "v02c pres pos 0 1 2 -2",
                     "v02c listed more than 10: 1, zaxis_id is an integer: 1",
                     *["v02c tracer[0] = pres[0] / 2: 1, glb_index[0] 1 of 80, vct_a 6"] * 2], proc.stderr

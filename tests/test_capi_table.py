"""The C API table (comin/_capi.py): every row is bound in all three languages.

A row is one C function of libcomin.  Its C symbol must be exported, its Fortran form
must exist (the BIND(C) interface in the module that holds it, the public procedure or
type-bound procedure in the modules that export it) and its Python form must name
things that exist, unless the row carries an explicit "not in this language" marker
(``NotIn(reason)``).  Also here: the rows are consistent with their hand-written
bodies, the generated files are current, the Fortran modules compile without a
warning, and type checkers see the constants that ``comin`` sets at import time.
"""
from __future__ import annotations

import ast
import ctypes
import os
import re
import subprocess
import sys
from typing import List, Optional

import pytest

import comin
from comin import _capi, _codegen, _table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORTRAN_API = os.path.join(ROOT, "fortran_api")
ROWS = _capi.all_functions()
ROW_IDS = [f.name for f in ROWS]


def _fortran_module_source(short: str) -> str:
    return _codegen.fortran_source_text(os.path.join(FORTRAN_API, _capi.MODULES[short] + ".F90"))


def _not_in(row, form, problems) -> bool:
    """Whether ``form`` is an explicit NotIn marker (which must give its reason)."""
    if isinstance(form, _capi.NotIn) and not form.reason:
        problems.append(f"{row.name}: NotIn without a reason")
    return isinstance(form, _capi.NotIn)


# -- C ------------------------------------------------------------------------------------------

def _libcomin_path() -> str:
    return os.path.join(comin.get_library_dir(), "libcomin.so")


def test_every_row_is_exported_by_libcomin():
    lib = ctypes.CDLL(_libcomin_path())
    missing = [row.name for row in ROWS if not hasattr(lib, row.name)]
    assert not missing, f"libcomin does not export {missing}"


def test_every_exported_c_function_is_a_row():
    """The converse: libcomin exports nothing of the API that the table does not know."""
    out = subprocess.run(["nm", "-D", "--defined-only", _libcomin_path()], capture_output=True,
                         text=True, check=True).stdout
    exported = {line.split()[-1] for line in out.splitlines() if " T " in line}
    api = {name for name in exported if name.startswith("comin_")
           and not name.startswith("comin_internal_")}
    printf_style = {"comin_print_debug_f", "comin_print_info_f", "comin_print_warning_f"}
    assert api - printf_style == set(ROW_IDS)


# -- Fortran ------------------------------------------------------------------------------------

def test_every_row_has_its_fortran_interface():
    """Each row's BIND(C) interface is in the modules that hold it (or the row says why the
    function is not in Fortran)."""
    texts = {m: _fortran_module_source(m) for m in _capi.MODULES}
    problems = []
    for row in ROWS:
        if _not_in(row, row.fortran, problems):
            continue
        if not row.f_homes:
            problems.append(f"{row.name}: no module holds its BIND(C) interface")
        for home in row.f_homes:
            if f'BIND(C, name="{row.name}")' not in texts[home]:
                problems.append(f"{row.name}: no interface in {_capi.MODULES[home]}")
    assert not problems, problems


def _fortran_forms():
    """module -> the Fortran names the rows say it exports (type-bound: their type)."""
    wanted = {"plugin": set(), "host": set()}
    for row in ROWS:
        names, modules = _capi.fortran_form(row)
        for m in modules:
            for n in names:
                wanted[m].add(n.split("%")[0].lower())
    return wanted


@pytest.mark.parametrize("module", ["plugin", "host"])
def test_fortran_forms_are_public_in_their_modules(module):
    text = _fortran_module_source(module)
    public = _codegen.fortran_public_names(text)
    # (a type-bound procedure: its type may be defined in the other module and imported)
    bindings = _codegen.fortran_type_bindings(_fortran_module_source("plugin") +
                                              _fortran_module_source("host"))
    wanted = _fortran_forms()[module]
    assert wanted and wanted <= public, sorted(wanted - public)
    for row in ROWS:
        names, modules = _capi.fortran_form(row)
        for n in names:
            if "%" in n and module in modules:
                assert n.lower() in bindings, f"{row.name}: {n} is not a type-bound procedure"


@pytest.fixture(scope="module")
def fortran_modules(tmp_path_factory):
    """The Fortran API compiled here with -std=f2008 -Wall -Werror: no warning at all."""
    out = tmp_path_factory.mktemp("fortran_api")
    sources = ["comin_constants.F90", "comin_descrdata_types.F90", "comin_plugin_interface.F90",
               "comin_host_descrdata.F90", "comin_host_interface.F90"]
    for src in sources:
        subprocess.run(["gfortran", "-std=f2008", "-Wall", "-Werror", "-c", "-J", str(out),
                        os.path.join(FORTRAN_API, src), "-o", str(out / (src[:-4] + ".o"))],
                       check=True, capture_output=True, text=True, cwd=out)
    return out


@pytest.mark.parametrize("module", ["plugin", "host"])
def test_fortran_forms_compile_against_the_module(fortran_modules, module, tmp_path):
    """A program that USEs every name the rows give for the module (ONLY) compiles."""
    names = sorted(_fortran_forms()[module])
    uses = "".join(f"  USE {_capi.MODULES[module]}, ONLY: {name}\n" for name in names)
    prog = tmp_path / "uses.F90"
    prog.write_text(f"PROGRAM uses\n{uses}  IMPLICIT NONE\nEND PROGRAM uses\n")
    r = subprocess.run(["gfortran", "-std=f2008", "-fsyntax-only", "-I", str(fortran_modules), str(prog)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_the_binding_check_can_fail(fortran_modules, tmp_path):
    """(the compile check above fails for a name the module does not export)"""
    prog = tmp_path / "bad.F90"
    prog.write_text("PROGRAM bad\n  USE comin_plugin_interface, ONLY: comin_setup_init\nEND PROGRAM bad\n")
    r = subprocess.run(["gfortran", "-fsyntax-only", "-I", str(fortran_modules), str(prog)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode != 0


# -- Python -------------------------------------------------------------------------------------

def test_every_python_form_exists():
    """Every name a row's Python form names exists (or the row says why the function is
    not in Python)."""
    import comin.host  # noqa: F401  (forms name comin.host.Host)
    problems = []
    for row in ROWS:
        if _not_in(row, row.python, problems):
            continue
        names = _capi.python_names(row.python)
        if not names:
            problems.append(f"{row.name}: the Python form {row.python!r} names nothing to check")
        problems += [f"{row.name}: {n} does not exist" for n in names if not _capi.resolve_python(n)]
    assert not problems, problems


def test_python_names_are_found():
    assert _capi.python_names("comin.host.Host(..., comm=...) / Host.mpi_handshake") == [
        "comin.host.Host", "comin.host.Host.mpi_handshake"]
    assert not _capi.resolve_python("comin.no_such_function")


# -- the rows themselves ------------------------------------------------------------------------

def test_rows_are_consistent():
    assert len(set(ROW_IDS)) == len(ROW_IDS)
    for row in ROWS:
        params = {p.name for p in row.params}
        assert row.error in ("plugin", "host", "none"), row.name
        f = row.fortran
        if isinstance(f, _capi.Bind):
            assert set(f.names) <= params, row.name
        if isinstance(f, _capi.Wrap):
            keys = {a.key for a in f.args}
            if not f.body:
                # every C parameter is fed (the second of a string pair by its first)
                fed = keys | set(f.cargs)
                for i, p in enumerate(row.params):
                    pair = i > 0 and row.params[i - 1].name in keys and \
                        next(a for a in f.args if a.key == row.params[i - 1].name).kind == "string_out"
                    assert p.name in fed or pair, f"{row.name}: {p.name} is not fed"
            assert set(f.cargs) <= params, row.name
            for a in f.args:
                assert a.decl or a.kind in _codegen._F_KINDS, f"{row.name}: unknown kind {a.kind}"
        if isinstance(f, (_capi.Bind, _capi.Wrap)):
            assert set(f.modules) <= {"plugin", "host"}, row.name
            assert "plugin" not in f.modules or f.modules[0] == "plugin", row.name
        if isinstance(f, _capi.Ref):
            assert set(f.homes) <= set(_capi.MODULES), row.name


def _pxi(name: str) -> str:
    with open(os.path.join(ROOT, "comin", name), encoding="utf-8") as f:
        return f.read()


def test_every_row_without_a_body_has_one_impl_and_no_impl_is_orphaned():
    text = _pxi("_capi.pxi") + _pxi("_capi_host.pxi")
    impls = re.findall(r"^cdef [^(]*?\b_impl_(comin_\w+)\(", text, re.M)
    assert len(impls) == len(set(impls))
    without_body = {f.name for f in ROWS if f.body is None}
    assert set(impls) == without_body


def test_generated_files_are_current():
    """The files setup.py generated are what the tables give now."""
    functions = _capi.all_functions(_table)
    assert _pxi("_capi_wrappers.pxi") == _codegen.capi_wrappers_pxi_text(functions)
    for module in ("plugin", "host"):
        base = os.path.join(FORTRAN_API, _capi.MODULES[module])
        with open(base + "_spec.inc", encoding="utf-8") as f:
            assert f.read() == _codegen.fortran_spec_inc_text(functions, module)
        with open(base + "_procs.inc", encoding="utf-8") as f:
            assert f.read() == _codegen.fortran_procs_inc_text(functions, module)
    with open(os.path.join(ROOT, "comin", "_constants.pyi"), encoding="utf-8") as f:
        assert f.read() == _codegen.constants_pyi_text(_table)


# -- type stubs ---------------------------------------------------------------------------------

def test_constants_stub_lists_every_constant():
    with open(os.path.join(ROOT, "comin", "_constants.pyi"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    names = {node.target.id: ast.unparse(node.annotation) for node in tree.body
             if isinstance(node, ast.AnnAssign)}
    assert set(names) == set(_table.all_constants())
    assert all(names[ep] == "Final[EntryPoint]" for ep in _table.ENTRY_POINTS)


def test_core_stub_lists_what_comin_imports_from_the_core():
    with open(os.path.join(ROOT, "comin", "_core.pyi"), encoding="utf-8") as f:
        stub = ast.parse(f.read())
    defined = {n.name for n in stub.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    with open(os.path.join(ROOT, "comin", "__init__.py"), encoding="utf-8") as f:
        init = ast.parse(f.read())
    imported = {a.name for n in init.body if isinstance(n, ast.ImportFrom) and n.module == "comin._core"
                for a in n.names}
    assert imported and imported <= defined, sorted(imported - defined)


MYPY_SNIPPET = """\
import comin
reveal_type(comin.EP_ATM_TIMELOOP_START)
reveal_type(comin.COMIN_FLAG_READ)
flags: int = comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE
comin.COMIN_NO_SUCH_CONSTANT
"""


def test_type_checkers_see_the_constants(tmp_path):
    """mypy on a plugin snippet: entry points are EntryPoint objects, flags ints, and a
    constant the table does not have is an error (so the check can fail)."""
    (tmp_path / "snippet.py").write_text(MYPY_SNIPPET)
    env = dict(os.environ, MYPYPATH=ROOT)
    r = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-error-summary",
                        "--cache-dir", str(tmp_path / "cache"), "snippet.py"],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    lines = r.stdout.splitlines()
    assert any(":2:" in ln and "comin._types.EntryPoint" in ln for ln in lines), r.stdout + r.stderr
    assert any(":3:" in ln and ("int" in ln or "Literal[2]" in ln) for ln in lines), r.stdout
    errors = [ln for ln in lines if ": error:" in ln]
    assert len(errors) == 1 and ":5:" in errors[0] and "COMIN_NO_SUCH_CONSTANT" in errors[0], r.stdout


def _signature_names(doc: str, name: str) -> Optional[List[str]]:
    """Parameter names of the signature line Cython's ``embedsignature`` puts first in a
    docstring (``name(int jg, flag=0)`` -> ``["jg", "flag"]``), None without one."""
    m = re.match(rf"(?:\w+\.)?{name}\((.*)\)", (doc or "").split("\n", 1)[0])
    if m is None:
        return None
    params = [p.strip() for p in m.group(1).split(",") if p.strip() and p.strip() not in ("*", "/")]
    return [p.split("=")[0].split(":")[0].strip().split()[-1].lstrip("*") for p in params]


def _stub_names(fn: ast.FunctionDef) -> List[str]:
    a = fn.args
    return ([x.arg for x in a.posonlyargs + a.args] + ([a.vararg.arg] if a.vararg else [])
            + [x.arg for x in a.kwonlyargs] + ([a.kwarg.arg] if a.kwarg else []))


def test_core_stub_signatures_are_the_cores():
    """``_core.pyi`` is written by hand: every public function and method of the core is in it
    with the core's parameter names (keyword calls type-check as they run), nothing more."""
    from comin import _core
    with open(os.path.join(ROOT, "comin", "_core.pyi"), encoding="utf-8") as f:
        stub = ast.parse(f.read())
    problems = []

    def compare(where: str, fn: ast.FunctionDef, obj) -> None:
        names = _signature_names(getattr(obj, "__doc__", None), fn.name)
        if names is None:
            problems.append(f"{where}{fn.name}: the core has no signature line")
            return
        if fn.name != "__init__" and where:    # methods: self is implicit in the core's line
            names = names[1:] if names[:1] == ["self"] else names
        stub_names = _stub_names(fn)[1:] if where else _stub_names(fn)
        if names != stub_names:
            problems.append(f"{where}{fn.name}: core {names} != stub {stub_names}")

    functions = {n.name: n for n in stub.body if isinstance(n, ast.FunctionDef)}
    public = {k for k, v in vars(_core).items()
              if callable(v) and not isinstance(v, type) and not k.startswith("_")}
    assert public <= set(functions), sorted(public - set(functions))
    for name, fn in functions.items():
        obj = getattr(_core, name, None)
        if obj is None:
            problems.append(f"{name}: in the stub, not in the core")
        else:
            compare("", fn, obj)
    for cls in (n for n in stub.body if isinstance(n, ast.ClassDef)):
        rt = getattr(_core, cls.name, None)
        if rt is None:
            problems.append(f"class {cls.name}: in the stub, not in the core")
            continue
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            if any(isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list) \
                    or fn.name.startswith("__") and fn.name not in ("__init__",):
                continue
            obj = getattr(rt, fn.name, None)
            if obj is None:
                problems.append(f"{cls.name}.{fn.name}: in the stub, not in the core")
            elif fn.name != "__init__":
                compare(f"{cls.name}.", fn, obj)
    assert not problems, "\n".join(problems)

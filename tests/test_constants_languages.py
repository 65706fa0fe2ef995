"""One table, three languages: the generated C header and Fortran module hold
exactly the table's values, and so does the Python module."""
import os
import subprocess

import pytest

import comin
from comin import _build, _codegen, _table

TABLE = _codegen.load_table()
CONSTANTS = TABLE.all_constants()
#: C also has the domain ids and string lengths as constants (the table has them too)
C_NAMES = list(CONSTANTS)


def _run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def _parse(out):
    values = {}
    for line in out.splitlines():
        name, value = line.split()
        values[name] = int(value)
    return values


def test_c_header_matches_the_table(tmp_path):
    (tmp_path / "comin_constants.h").write_text(_codegen.c_header_text(TABLE))
    body = "\n".join(f'  printf("%s %d\\n", "{n}", (int)({n}));' for n in C_NAMES)
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include <string.h>\n#include "comin_constants.h"\n'
        "int main(void) {\n"
        "  t_comin_entry_point ep = EP_DESTRUCTOR; t_comin_error_code e = COMIN_ERROR_FATAL;\n"
        "  t_comin_var_access_flag f = COMIN_FLAG_READ; t_comin_zaxis z = COMIN_ZAXIS_3D;\n"
        "  t_comin_hgrid_id h = COMIN_HGRID_UNSTRUCTURED_CELL; t_comin_dim_semantics d = COMIN_DIM_SEMANTICS_LEVEL;\n"
        "  t_comin_var_datatype t = COMIN_VAR_DATATYPE_INT; t_comin_metadata_typeid m = COMIN_METADATA_TYPEID_LOGICAL;\n"
        "  (void)ep; (void)e; (void)f; (void)z; (void)h; (void)d; (void)t; (void)m;\n"
        '  if (strcmp(COMIN_VERSION, "0.3.0") != 0) return 3;\n'
        f"{body}\n  return 0;\n}}\n")
    _build.build(["main.c"], "prog", kind="executable", comin=False,
                 flags=["-Wall", "-Werror", "-std=c99"], workdir=tmp_path)
    assert _parse(_run(["./prog"], tmp_path)) == CONSTANTS


def test_fortran_module_matches_the_table(tmp_path):
    (tmp_path / "comin_constants.F90").write_text(_codegen.fortran_module_text(TABLE))
    body = "\n".join(f"  PRINT '(A,1X,I0)', '{n}', &\n    {n}" for n in CONSTANTS)
    (tmp_path / "main.F90").write_text(f"PROGRAM main\n  USE comin_constants\n  IMPLICIT NONE\n{body}\nEND PROGRAM main\n")
    _build.build(["comin_constants.F90", "main.F90"], "prog", kind="executable", comin=False,
                 flags=["-Wall", "-Werror", "-std=f2008"], workdir=tmp_path)
    assert _parse(_run(["./prog"], tmp_path)) == CONSTANTS


def test_python_module_matches_the_table():
    for name, value in CONSTANTS.items():
        assert int(getattr(comin, name)) == value, name
    assert comin.setup_get_version() == TABLE.VERSION


def test_installed_generated_files_are_current():
    """The header the package ships (built by setup.py) is what the table generates now."""
    with open(os.path.join(comin.get_include(), "comin_constants.h"), encoding="utf-8") as f:
        assert f.read() == _codegen.c_header_text(_table)
    assert comin._core._C_CONSTANTS == CONSTANTS

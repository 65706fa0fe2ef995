"""comin_host_interface in ComIn's form (issue 14, items 1-9): exactly the names ComIn's
module of that name exports, and every host procedure callable with ComIn's dummy names.

The lists are ComIn 0.3's ``src/comin_host_interface.F90`` (leuty/icon-model
externals/comin) and the ComIn 0.2-only names (vruggiero/ICON externals/comin); the dummy
names are those of ComIn's procedures (src/comin_setup.F90, comin_descrdata.F90,
comin_variable.F90, comin_metadata.F90, comin_callback.F90, comin_parallel.F90,
mo_mpi_handshake.F90).  The programs here are compiled against the package's modules with
-std=f2008 -Wall -Werror; tests/test_hosts.py runs a whole host written that way.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

import comin
from comin import _build, _table

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

pytestmark = pytest.mark.skipif(shutil.which(_build.compiler("fortran")[0]) is None,
                                reason="gfortran is not installed")

#: ComIn 0.3's public names of comin_host_interface (besides the constants below)
V03_NAMES = """
comin_setup_set_verbosity_level comin_setup_init comin_setup_check comin_plugin_primaryconstructor
comin_setup_finalize comin_descrdata_set_fct_glb2loc_cell comin_setup_errhandler
t_comin_plugin_description comin_callback_context_call comin_callback_get_ep_name
t_comin_setup_version_info comin_setup_get_version
t_comin_var_handle t_comin_var_descriptor t_comin_request_item
comin_var_list_finalize comin_var_request_list_finalize comin_var_list_append comin_request_get_list
comin_var_set_sync_device_mem comin_var_get_descr_list_head comin_var_get_descr_list_next
comin_var_get_descr_list_var_desc comin_var_descr_list_iterator_delete comin_var_descr_list_finalize
comin_var_set_sync_halo comin_var_set_cptr
comin_metadata_set comin_metadata_get_typeid comin_metadata_get_iterator comin_metadata_get_or
comin_metadata_get t_comin_var_metadata_iterator
comin_parallel_get_host_mpi_comm comin_parallel_mpi_handshake
t_comin_descrdata_global t_comin_descrdata_domain t_comin_descrdata_simulation_interval
comin_descrdata_finalize comin_descrdata_set_global comin_descrdata_set_domain
comin_descrdata_set_simulation_interval comin_current_set_datetime comin_descrdata_set_timesteplength
mpi_handshake mpi_handshake_dummy COMIN_SUCCESS
comin_ftnlist_is_end comin_ftnlist_iterator_begin comin_ftnlist_iterator_delete
comin_ftnlist_iterator_next comin_ftnlist_iterator_value
""".split()
#: ComIn 0.2-only names comin keeps (0.2's host interface; its comin_var_list_append(p) is a
#: specific of the generic beside 0.3's form)
V02_NAMES = ["comin_setup_get_verbosity_level", "t_comin_var_ptr", "t_comin_var_descr_list_item",
             "comin_var_update", "comin_request_get_list_head", "t_var_request_list_item"]
#: the constants ComIn 0.3's host interface exports (no COMIN_FLAG_*, no error code but
#: COMIN_SUCCESS, no DOMAIN_UNDEFINED/EP_NAME)
CONSTANT_GROUPS = ("zaxis", "hgrid", "metadata_typeid", "datatype", "dim_semantics")


def expected_names() -> set:
    names = set(V03_NAMES) | set(V02_NAMES) | set(_table.ENTRY_POINTS) | {"COMIN_DOMAIN_OUTSIDE_LOOP"}
    for group in CONSTANT_GROUPS:
        names |= {name for name, _value, _note in _table.ENUMS[group]}
    return {n.lower() for n in names}


def public_names(path: str) -> set:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names = set()
    for m in re.finditer(r"^\s*PUBLIC\s*::\s*(.*?)$", text, re.M | re.I):
        names.update(n.strip().lower() for n in m.group(1).split(",") if n.strip())
    return names


def test_exports_exactly_comins_names():
    got = public_names(os.path.join(ROOT, "fortran_api", "comin_host_interface.F90"))
    expected = expected_names()
    assert got - expected == set(), "exported beyond ComIn's host interface"
    assert expected - got == set(), "ComIn's host interface has these too"
    assert "wp" not in got


def compile_program(tmp_path, body: str, use: str = "USE comin_host_interface") -> subprocess.CompletedProcess:
    src = tmp_path / "prog.F90"
    src.write_text(f"PROGRAM prog\n  USE, INTRINSIC :: iso_c_binding\n  {use}\n  IMPLICIT NONE\n{body}\n"
                   "END PROGRAM prog\n")
    cmd = [*_build.compiler("fortran"), *_build.STRICT["fortran"], "-fsyntax-only",
           "-I", os.path.join(comin.get_include(), "fortran"), str(src)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)


def test_a_hosts_own_wp_and_names_do_not_clash(tmp_path):
    """USE comin_host_interface without ONLY beside a host's own wp, dp, sp and error codes."""
    r = compile_program(tmp_path, """
  INTEGER, PARAMETER :: wp = SELECTED_REAL_KIND(12, 307), dp = wp, sp = KIND(1.0)
  INTEGER, PARAMETER :: COMIN_ERROR_FATAL = 1, COMIN_FLAG_READ = 2
  REAL(wp) :: x
  x = REAL(COMIN_ERROR_FATAL + COMIN_FLAG_READ, dp) + REAL(sp, wp)
  PRINT *, x""")
    assert r.returncode == 0, r.stderr


def test_the_clash_check_can_fail(tmp_path):
    r = compile_program(tmp_path, "  INTEGER, PARAMETER :: wp = 8\n  PRINT *, wp",
                        use="USE comin_host_api")
    assert r.returncode != 0 and "wp" in r.stderr


#: every host procedure called with ComIn's dummy names as keywords (-fsyntax-only)
KEYWORD_CALLS = """
  TYPE(t_comin_descrdata_global) :: g
  TYPE(t_comin_descrdata_domain) :: d(1)
  TYPE(t_comin_descrdata_simulation_interval) :: si
  TYPE(t_comin_plugin_description) :: plugin_list(1)
  TYPE(t_comin_var_descriptor) :: descr
  TYPE(t_comin_var_handle) :: h
  TYPE(t_comin_var_metadata_iterator) :: iterator
  TYPE(t_comin_request_item), POINTER :: item
  TYPE(c_ptr) :: list, it, cptr
  CHARACTER(LEN=:), ALLOCATABLE :: name, sval
  CHARACTER(LEN=256) :: groups(2)
  INTEGER :: comms(2), ival, typeid
  REAL(c_double), TARGET :: a(4)
  LOGICAL :: lval
  CALL comin_setup_init(lstdout=.TRUE.)
  CALL comin_setup_errhandler(error_handler=finish)
  CALL comin_setup_set_verbosity_level(iverbosity=1)
  CALL comin_setup_check(plugin_str="host", wp_check=c_double)
  CALL mpi_handshake(comm=0, group_names=groups, group_comms=comms)
  CALL mpi_handshake_dummy(comm=0)
  CALL comin_parallel_mpi_handshake(comm=0, group_names=plugin_list(:)%comm, component_name="atmo")
  CALL comin_descrdata_set_global(comin_global_info=g)
  CALL comin_descrdata_set_domain(comin_domain_info=d)
  CALL comin_descrdata_set_simulation_interval(comin_time_info=si)
  CALL comin_current_set_datetime(sim_time_current="2026-01-01T00:00:00.000")
  CALL comin_descrdata_set_timesteplength(jg=1, dt_current=60.0_c_double)
  CALL comin_descrdata_set_fct_glb2loc_cell(fct=glb2loc)
  CALL comin_plugin_primaryconstructor(plugin_list=plugin_list)
  list = comin_request_get_list()
  CALL comin_ftnlist_iterator_begin(listptr=list, itptr=it)
  DO WHILE (.NOT. comin_ftnlist_is_end(listptr=list, ptr=it))
    CALL comin_ftnlist_iterator_value(listptr=it, ptr=cptr)
    CALL C_F_POINTER(cptr, item)
    CALL comin_metadata_get_or(metadata=item%metadata, key="units", val=sval, defaultval="")
    ival = item%metadata%query(key="units")
    CALL item%metadata%get(key="units", val=sval)
    CALL item%metadata%set(key="units", val="K")
    CALL item%metadata%get_iterator(iterator=iterator)
    CALL comin_ftnlist_iterator_next(ptr=it)
  END DO
  CALL comin_ftnlist_iterator_delete(ptr=it)
  CALL comin_var_list_append(var_descr=descr, cptr=C_LOC(a), device_ptr=C_NULL_PTR, &
    &  array_shape=[4, 1, 1, 1, 1], type_id=COMIN_VAR_DATATYPE_DOUBLE, &
    &  dim_semantics=[COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_UNUSED, &
    &  COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED], &
    &  lcontainer=.FALSE., ncontained=0, var_handle=h)
  CALL comin_var_set_cptr(var=h, cptr=C_LOC(a))
  CALL comin_var_set_sync_device_mem(sync_device_mem=sync_device)
  CALL comin_var_set_sync_halo(sync_halo=sync_halo)
  CALL comin_metadata_set(descriptor=descr, key="units", val="K")
  CALL comin_metadata_get(var_descriptor=descr, key="units", val=sval)
  CALL comin_metadata_get(var_descriptor=descr, key="zaxis_id", val=ival)
  CALL comin_metadata_get(var_descriptor=descr, key="tracer", val=lval)
  typeid = comin_metadata_get_typeid(var_descriptor=descr, key="units")
  CALL comin_metadata_get_iterator(var_descriptor=descr, iterator=iterator)
  it = comin_var_get_descr_list_head()
  CALL comin_var_get_descr_list_var_desc(it=it, var_desc_out=descr)
  it = comin_var_get_descr_list_next(current=it)
  CALL comin_var_descr_list_iterator_delete(it=it)
  CALL comin_callback_context_call(entry_point_id=EP_ATM_TIMELOOP_START, &
    &  domain_id=COMIN_DOMAIN_OUTSIDE_LOOP, lacc=.FALSE.)
  CALL comin_callback_get_ep_name(iep=EP_DESTRUCTOR, out_ep_name=name)
  ival = comin_parallel_get_host_mpi_comm()
  CALL comin_var_list_finalize()
  CALL comin_var_request_list_finalize()
  CALL comin_var_descr_list_finalize()
  CALL comin_descrdata_finalize()
  CALL comin_setup_finalize()
CONTAINS
  SUBROUTINE finish(routine, text)
    CHARACTER(LEN=*), INTENT(IN) :: routine
    CHARACTER(LEN=*), INTENT(IN), OPTIONAL :: text
    IF (PRESENT(text)) PRINT *, routine, text
  END SUBROUTINE finish
  FUNCTION glb2loc(jg, glb) RESULT(loc)
    INTEGER, INTENT(IN) :: jg, glb
    INTEGER :: loc
    loc = glb + 0 * jg
  END FUNCTION glb2loc
  SUBROUTINE sync_device(var_ptr, direction)
    TYPE(t_comin_var_handle), INTENT(IN) :: var_ptr
    LOGICAL, INTENT(IN) :: direction
    IF (direction .AND. var_ptr%valid()) PRINT *, "sync"
  END SUBROUTINE sync_device
  SUBROUTINE sync_halo(var_ptr, halo_sync_mode)
    TYPE(t_comin_var_handle), INTENT(IN) :: var_ptr
    INTEGER, INTENT(IN) :: halo_sync_mode
    IF (var_ptr%valid()) PRINT *, halo_sync_mode
  END SUBROUTINE sync_halo"""


def test_every_host_procedure_takes_comins_keyword_names(tmp_path):
    r = compile_program(tmp_path, KEYWORD_CALLS)
    assert r.returncode == 0, r.stderr


def test_the_keyword_check_can_fail(tmp_path):
    r = compile_program(tmp_path, "  CALL comin_setup_check(name=\"host\", wp=8)")
    assert r.returncode != 0


def test_the_error_handler_must_declare_text_optional_as_comins(tmp_path):
    """ComIn's comin_host_errhandler_fct has an OPTIONAL text (ICON's finish)."""
    r = compile_program(tmp_path, """
  CALL comin_setup_errhandler(finish)
CONTAINS
  SUBROUTINE finish(routine, text)
    CHARACTER(LEN=*), INTENT(IN) :: routine, text
    PRINT *, routine, text
  END SUBROUTINE finish""")
    assert r.returncode != 0 and "OPTIONAL" in r.stderr


#: a host in ComIn 0.2's form: t_comin_var_ptr exposed with comin_var_list_append(p), the
#: request list walked as linked items, comin_var_update for a time-level swap
V02_HOST = """
  INTEGER, PARAMETER :: wp = c_double
  TYPE(t_comin_descrdata_global) :: g
  TYPE(t_comin_descrdata_domain) :: d(1)
  TYPE(t_comin_plugin_description) :: plugin_list(1)
  TYPE(t_var_request_list_item), POINTER :: req
  TYPE(t_comin_var_ptr), POINTER :: p
  REAL(wp), POINTER :: level(:,:,:,:,:)
  REAL(wp), ALLOCATABLE, TARGET :: field(:,:,:,:,:, :)
  INTEGER, TARGET :: ncells = 8, nblks = 2, nlev = 1
  CALL comin_setup_init(.TRUE.)
  CALL comin_setup_errhandler(finish)
  CALL comin_setup_check("v02_host", wp)
  g%n_dom = 1
  g%nproma = 4
  CALL comin_descrdata_set_global(g)
  d(1)%cells%ncells => ncells
  d(1)%cells%nblks => nblks
  d(1)%nlev => nlev
  CALL comin_descrdata_set_domain(d)
  plugin_list(1)%name = "v02py"
  plugin_list(1)%plugin_library = "libpython_adapter.so"
  CALL GET_COMMAND_ARGUMENT(1, plugin_list(1)%options)
  CALL comin_plugin_primaryconstructor(plugin_list)
  ALLOCATE(field(4, 2, 1, 1, 1, 2))
  field(:,:,:,:,:,1) = 1.0_wp
  field(:,:,:,:,:,2) = 2.0_wp
  req => comin_request_get_list_head()
  DO WHILE (ASSOCIATED(req))
    PRINT '(A,A,I2)', "host: request ", req%item_value%descriptor%name, req%item_value%descriptor%id
    ALLOCATE(p)
    p%descriptor = req%item_value%descriptor
    p%ptr => field(:,:,:,:,:,1)
    p%pos_jc = 1
    p%pos_jb = 2
    CALL comin_var_list_append(p)
    req => req%next()
  END DO
  CALL comin_callback_context_call(EP_SECONDARY_CONSTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL comin_callback_context_call(EP_ATM_TIMELOOP_START, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  level => field(:,:,:,:,:,2)
  CALL comin_var_update(t_comin_var_descriptor("v02_field", 1), level, C_NULL_PTR)
  CALL comin_callback_context_call(EP_ATM_TIMELOOP_START, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL comin_setup_finalize()
CONTAINS
  SUBROUTINE finish(routine, text)
    CHARACTER(LEN=*), INTENT(IN) :: routine
    CHARACTER(LEN=*), INTENT(IN), OPTIONAL :: text
    IF (PRESENT(text)) PRINT *, routine, text
    ERROR STOP 3
  END SUBROUTINE finish"""

V02_PLUGIN = """
import numpy as np
import comin
comin.var_request_add(("v02_field", 1), False)
h = {}
@comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
def sec():
    h["f"] = comin.var_get([comin.EP_ATM_TIMELOOP_START], ("v02_field", 1), comin.COMIN_FLAG_READ)
    print("v02py: pos", h["f"].pos, flush=True)
@comin.register_callback(comin.EP_ATM_TIMELOOP_START)
def start():
    print("v02py: sum", np.asarray(h["f"]).sum(), flush=True)
"""


def _write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_a_comin_0_2_host_runs_unchanged(tmp_path):
    src = tmp_path / "prog.F90"
    src.write_text(f"PROGRAM prog\n  USE, INTRINSIC :: iso_c_binding\n  USE comin_host_interface\n"
                   f"  IMPLICIT NONE\n{V02_HOST}\nEND PROGRAM prog\n")
    exe = _build.build([src], tmp_path / "v02_host", kind="executable", strict=True)
    plugin = tmp_path / "v02py.py"
    plugin.write_text(V02_PLUGIN)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               GFORTRAN_UNBUFFERED_PRECONNECTED="y")
    proc = subprocess.run([exe, str(plugin)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [line for line in proc.stdout.splitlines() if line.startswith(("host:", "v02py:"))] == [
        "host: request v02_field 1", "v02py: pos (0, -2, 1, -2)", "v02py: sum 8.0", "v02py: sum 16.0"]


#: a Fortran plugin in ComIn 0.2's form: its TYPE(t_comin_var_ptr), POINTER is taken once and
#: read at every step without a call (ComIn 0.2 shared the object with the host)
V02_FORTRAN_PLUGIN = """
MODULE v02f_plugin
  USE comin_plugin_interface
  IMPLICIT NONE
  TYPE(t_comin_var_ptr), POINTER, SAVE :: f => NULL()
CONTAINS
  SUBROUTINE comin_main() BIND(C)
    CALL comin_var_request_add(t_comin_var_descriptor(id=1, name="v02_field"), .FALSE.)
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary)
    CALL comin_callback_register(EP_ATM_TIMELOOP_START, start)
  END SUBROUTINE comin_main
  SUBROUTINE secondary() BIND(C)
    CALL comin_var_get([EP_ATM_TIMELOOP_START], t_comin_var_descriptor(id=1, name="v02_field"), &
      &                COMIN_FLAG_READ, f)
    WRITE (*, '(A,4I3)') "v02f: pos", f%pos_jc, f%pos_jk, f%pos_jb, f%pos_jn
  END SUBROUTINE secondary
  SUBROUTINE start() BIND(C)
    WRITE (*, '(A,F5.1)') "v02f: sum", SUM(f%ptr)
  END SUBROUTINE start
END MODULE v02f_plugin
"""


def test_a_comin_0_2_fortran_plugin_follows_the_host_s_comin_var_update(tmp_path):
    """ComIn 0.2 handed a Fortran plugin the variable's own t_comin_var_ptr: after the host's
    comin_var_update (a time-level swap) the plugin's ``ptr`` is the new array."""
    plugin = _build.build([_write(tmp_path / "v02f.F90", V02_FORTRAN_PLUGIN)],
                          tmp_path / "libv02f.so", strict=True)
    host = V02_HOST.replace('plugin_list(1)%name = "v02py"', 'plugin_list(1)%name = "v02f"').replace(
        'plugin_list(1)%plugin_library = "libpython_adapter.so"\n'
        '  CALL GET_COMMAND_ARGUMENT(1, plugin_list(1)%options)',
        'CALL GET_COMMAND_ARGUMENT(1, plugin_list(1)%plugin_library)')
    # ComIn 0.2's minimal_example builds the pointer with a structure constructor (its
    # private component, the handle comin keeps, has a default and may be left out)
    host = host.replace(
        "    p%descriptor = req%item_value%descriptor\n    p%ptr => field(:,:,:,:,:,1)\n"
        "    p%pos_jc = 1\n    p%pos_jb = 2\n",
        "    level => field(:,:,:,:,:,1)\n"
        "    p = t_comin_var_ptr(ptr=level, pos_jc=1, pos_jk=-1, pos_jb=2, pos_jn=-1, &\n"
        "      & lcontainer=.FALSE., ncontained=0, descriptor=req%item_value%descriptor)\n")
    assert "GET_COMMAND_ARGUMENT(1, plugin_list(1)%plugin_library)" in host
    assert "p = t_comin_var_ptr(ptr=level" in host
    src = _write(tmp_path / "prog.F90", "PROGRAM prog\n  USE, INTRINSIC :: iso_c_binding\n"
                 f"  USE comin_host_interface\n  IMPLICIT NONE\n{host}\nEND PROGRAM prog\n")
    exe = _build.build([src], tmp_path / "v02_host", kind="executable", strict=True)
    env = dict(os.environ, GFORTRAN_UNBUFFERED_PRECONNECTED="y")
    proc = subprocess.run([exe, plugin], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [line for line in proc.stdout.splitlines() if line.startswith(("host:", "v02f:"))] == [
        "host: request v02_field 1", "v02f: pos  1 -1  2 -1", "v02f: sum  8.0", "v02f: sum 16.0"]

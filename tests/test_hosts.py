"""C and Fortran hosts: comin_host.h / comin_host_interface with an embedded Python.

The scale hosts (tests/hosts/c_host, tests/hosts/fortran_host) are built with CMake
through find_package(comin) and run as separate processes (each starts its own
Python inside libcomin).  What is compared: the complete stdout of a scale host
with Python, C (and Fortran) plugins against tests/hosts/py_host.py, the same host
sequence written against comin.host.Host (the Python host the emulator uses), with
the same plugins: every plugin line (descriptive data, variable list, metadata,
field sums at each entry point, request metadata) and every host line (field sums
after the plugins wrote, request list) must be equal and in the same order.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

import comin
from comin import _build
from comin.parallel import launcher_environ, mpiexec_command

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTS = os.path.join(HERE, "hosts")
ROOT = os.path.dirname(HERE)
PROBE = os.path.join(HOSTS, "plugins", "probe.py")

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")


def host_env(**extra) -> dict:
    """The environment of a host process: this tree's comin first, unbuffered Fortran output."""
    # not the launcher variables of an MPI run this test process may be part of
    env = launcher_environ()
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["GFORTRAN_UNBUFFERED_PRECONNECTED"] = "y"
    env.update(extra)
    return env


def cmake_build(source: str, build: str, *extra) -> str:
    subprocess.run(["cmake", "-S", source, "-B", build, f"-Dcomin_DIR={comin.get_cmake_dir()}", *extra],
                   check=True, capture_output=True, text=True)
    proc = subprocess.run(["cmake", "--build", build], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return build


@pytest.fixture(scope="module")
def c_build(tmp_path_factory):
    return cmake_build(os.path.join(HOSTS, "c_host"), str(tmp_path_factory.mktemp("c_host")))


@pytest.fixture(scope="module")
def f_build(tmp_path_factory):
    if shutil.which(_build.compiler("fortran")[0]) is None:
        pytest.skip("gfortran is not installed")
    return cmake_build(os.path.join(HOSTS, "fortran_host"), str(tmp_path_factory.mktemp("fortran_host")))


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=host_env(), timeout=300, **kw)


def plugin_specs(c_build: str, extra=()) -> list:
    return [f"pyprobe;libpython_adapter.so;{PROBE} --x=1 'two words'",
            f"cprobe;{os.path.join(c_build, 'libc_probe.so')};opt", *extra]


def python_host(specs, steps=2) -> subprocess.CompletedProcess:
    return run([sys.executable, "-u", os.path.join(HOSTS, "py_host.py"), "--steps", str(steps), *specs])


def test_c_scale_host_equals_the_python_host(c_build):
    specs = plugin_specs(c_build)
    c = run([os.path.join(c_build, "c_host"), "--steps", "3", *specs])
    assert c.returncode == 0, c.stdout + c.stderr
    py = python_host(specs, steps=3)
    assert py.returncode == 0, py.stdout + py.stderr
    assert c.stdout.splitlines() == py.stdout.splitlines()
    lines = c.stdout.splitlines()
    # the plugins ran and their writes reached the host's memory
    assert "pyprobe: primary constructor args=['--x=1', 'two words'] n_dom=2 nproma=4 " \
           "vct_a=[30000.0, 20000.0, 10000.0, 0.0] revision=c-host-1" in lines
    assert "pyprobe: glb2loc(1, 7)=7 glb2loc(2, 7)=-1" in lines
    assert "host: request 3 (py_q, 1) by 1 plugin(s) first 1, zaxis 2, datatype 1, tracer 1, units kg/kg" in lines
    assert "host: request 5 (c_counter, 1) by 1 plugin(s) first 2, zaxis 1, datatype 1, tracer 0, units steps" in lines
    assert "host: 2026-01-01T00:03:00 dom 1 temp 7773.0 pres_sfc 1200066.0 qv 36.0 qc 54.0" in lines
    assert "host: 2026-01-01T00:03:00 c_counter(2) 24.0" in lines
    assert "cprobe: integrate end domain 2 at 2026-01-01T00:03:00 counter[0] 3.0" in lines
    # Python output and C output interleave in call order
    i = lines.index("pyprobe: physics after domain 1 qc sum 18.0")
    assert lines[i + 1] == "cprobe: integrate end domain 1 at 2026-01-01T00:01:00 counter[0] 1.0"
    assert lines[-1] == "host: done"


def test_c_host_without_plugins_and_with_two_python_plugins(c_build):
    empty = run([os.path.join(c_build, "c_host")])
    assert empty.returncode == 0, empty.stderr
    assert "host: 0 requests" in empty.stdout and empty.stdout.endswith("host: done\n")
    specs = [f"first;libpython_adapter.so;{PROBE}", f"second;/some/dir/libpython_adapter.so;{PROBE} b"]
    c = run([os.path.join(c_build, "c_host"), "--steps", "1", *specs])
    assert c.returncode == 0, c.stderr
    assert c.stdout.splitlines() == python_host(specs, steps=1).stdout.splitlines()
    assert "host: request 1 (py_tend, 1) by 2 plugin(s) first 1, zaxis 2, datatype 1, tracer 0, units K/s" \
        in c.stdout.splitlines()


def test_embedded_python_is_the_virtualenvs(c_build, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
                   check=True)
    script = tmp_path / "prefix.py"
    script.write_text("import sys\nprint('prefix', sys.prefix, flush=True)\n")
    spec = f"p;libpython_adapter.so;{script}"
    inside = subprocess.run([os.path.join(c_build, "c_host"), spec], capture_output=True, text=True,
                            env=host_env(VIRTUAL_ENV=str(venv)), timeout=120)
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout.splitlines()[0] == f"prefix {venv}"
    outside = run([os.path.join(c_build, "c_host"), spec])
    assert outside.stdout.splitlines()[0] == f"prefix {sys.prefix}"


def test_python_plugin_error_ends_a_c_host_through_its_handler_and_ep_finish(c_build):
    raising = os.path.join(HERE, "plugins", "raising_callback.py")
    proc = run([os.path.join(c_build, "c_host"), f"boom;libpython_adapter.so;{raising}",
                f"cprobe;{os.path.join(c_build, 'libc_probe.so')};x"])
    assert proc.returncode == 3, proc.stdout + proc.stderr       # the host's handler exits with 3
    lines = proc.stdout.splitlines()
    assert lines[-2:] == ["host: finish called by python_adapter: Uncaught exception in callback of "
                          "plugin 'boom' at entry point EP_SECONDARY_CONSTRUCTOR",
                          "cprobe: EP_FINISH"]                   # the handler's EP_FINISH call
    assert "ValueError: deliberate failure in the secondary constructor" in proc.stderr


_LIBRARY_HOST = r"""
#include <stdio.h>
#include "comin_host.h"
static void handler(const char* routine, const char* text) { printf("handler %s %s\n", routine, text); }
int run_host(const char* plugin_options) {
  t_comin_plugin_description p = {"lib", "libpython_adapter.so", NULL, plugin_options, NULL, false, true, true};
  comin_setup_init(true);
  comin_setup_errhandler(handler);
  comin_setup_check("library_host", sizeof(double));
  comin_descrdata_set_int(0, "n_dom", 1);
  comin_descrdata_set_int(0, "nproma", 4);
  comin_plugin_primaryconstructor(&p, 1);
  comin_callback_context_call(EP_ATM_TIMELOOP_START, -1, false);
  comin_setup_finalize();
  return (int)comin_error_get();
}
"""


def test_a_host_inside_a_python_process_uses_that_interpreter(tmp_path):
    """A host library called from Python (comin not imported yet): no second interpreter."""
    src = tmp_path / "libhost.c"
    src.write_text(_LIBRARY_HOST)
    lib = tmp_path / "libhost.so"
    _build.build([src], lib)
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import sys, comin\nMARK = sys.modules['__main__'].MARK\n"
                      "@comin.EP_ATM_TIMELOOP_START\ndef cb():\n    print('plugin sees', MARK, flush=True)\n")
    driver = (f"import ctypes, sys\nMARK = 'the driver interpreter'\n"
              f"assert 'comin' not in sys.modules\n"
              f"lib = ctypes.PyDLL({str(lib)!r})\n"
              f"rc = lib.run_host({str(plugin)!r}.encode())\n"
              f"print('rc', rc, 'core', sys.modules['comin._core'].__file__.startswith({ROOT!r}))\n")
    proc = run([sys.executable, "-c", driver])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["plugin sees the driver interpreter", "rc 0 core True"]


def test_libcomin_does_not_link_libpython():
    out = subprocess.run(["readelf", "-d", os.path.join(comin.get_library_dir(), "libcomin.so")],
                         capture_output=True, text=True, check=True).stdout
    assert "libpython" not in out
    assert "libcomin.so" in out


EXPECTED_CODES = """\
check_without_handler 18 ERROR
null_handler 17 ERROR
wrong_precision 19 ERROR
check_ok 0 SUCCESS
init_twice 13 ERROR
timestep_before_n_dom 25 ERROR
primary_without_n_dom 25 ERROR
unknown_field 3 ERROR
wrong_field_type 3 ERROR
descrdata_ok 0 SUCCESS
ep_before_primary_is_a_no_op 0 SUCCESS
primary_ok 0 SUCCESS
primary_twice 3 ERROR
handshake_after_primary 3 ERROR
append_ok 0 SUCCESS
append_twice 3 ERROR
append_null_pointer 26 ERROR
append_bad_type_id 3 ERROR
metadata_on_unknown_variable 24 ERROR
metadata_type_change 36 ERROR
request_out_of_range 24 ERROR
ep_id_out_of_range 6 ERROR
domain_out_of_range 3 ERROR
ep_ok 0 SUCCESS
finalize_ok 0 SUCCESS
"""


def test_host_errors_return_gives_comin_codes(c_build):
    proc = run([os.path.join(c_build, "host_errors"), "codes"])
    # the last call (finalize twice) has no session left: message and exit status 1
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == EXPECTED_CODES
    assert "comin: ERROR: Error: ComIn is not set up: a host must call comin_setup_init first" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_host_error_without_errors_return_calls_the_handler(c_build):
    proc = run([os.path.join(c_build, "host_errors"), "handler"])
    assert proc.returncode == 7, proc.stdout + proc.stderr
    assert proc.stdout == "handler: comin: ERROR: Unknown id for ENTRY point.\n"
    assert "comin: ep = 99" in proc.stderr


@pytest.mark.parametrize("mode, text", [
    ("nohandler", "comin: ERROR: Error handler is not set."),
    ("early", "comin: ERROR: Error: ComIn is not set up: a host must call comin_setup_init first"),
])
def test_host_errors_without_handler_stop_with_status_1(c_build, mode, text):
    proc = run([os.path.join(c_build, "host_errors"), mode])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not reached" not in proc.stdout
    assert text in proc.stderr


def test_missing_libpython_names_it_and_points_at_doctor(c_build):
    proc = subprocess.run([os.path.join(c_build, "c_host")], capture_output=True, text=True,
                          env=host_env(COMIN_LIBPYTHON="/nonexistent/libpython3.so"), timeout=60)
    assert proc.returncode == 1
    assert "cannot load libpython '/nonexistent/libpython3.so'" in proc.stderr
    assert "python -m comin doctor" in proc.stderr


def test_embedded_python_is_the_build_interpreter_whatever_python3_path_finds_first(c_build, tmp_path):
    """Open MPI's mpiexec puts its bin directory (often /usr/bin, with a Python without NumPy)
    first on PATH; the embedded interpreter must still be the one comin was built with."""
    impostor = tmp_path / "prefix"
    (impostor / "bin").mkdir(parents=True)
    (impostor / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}").mkdir(parents=True)
    (impostor / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "os.py").write_text("")
    fake = impostor / "bin" / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    env = host_env()
    env.pop("VIRTUAL_ENV", None)
    env.pop("COMIN_PYTHON", None)
    env["PATH"] = str(impostor / "bin") + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([os.path.join(c_build, "c_host"), "--steps", "1", *plugin_specs(c_build)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def three_languages(c_build, f_build) -> list:
    return plugin_specs(c_build, [f"fprobe;{os.path.join(f_build, 'libf_probe.so')};fopt"])


def test_fortran_scale_host_equals_the_python_and_c_hosts(c_build, f_build):
    specs = three_languages(c_build, f_build)
    f = run([os.path.join(f_build, "fortran_host"), "--steps", "3", *specs])
    assert f.returncode == 0, f.stdout + f.stderr
    py = python_host(specs, steps=3)
    assert py.returncode == 0, py.stdout + py.stderr
    c = run([os.path.join(c_build, "c_host"), "--steps", "3", *specs])
    assert c.returncode == 0, c.stdout + c.stderr
    assert f.stdout.splitlines() == py.stdout.splitlines()
    assert c.stdout.splitlines() == py.stdout.splitlines()
    lines = f.stdout.splitlines()
    assert "fprobe: primary constructor id/npromz(1) 3 2 options 'fopt'" in lines
    assert "host: request 7 (f_lowest, 1) by 1 plugin(s) first 3, zaxis 1, datatype 1, tracer 0, units 1" in lines
    # the Fortran plugin wrote the lowest level of the step's temperature into the host's field
    assert "fprobe: integrate start domain 1 temp sum 7737.0 lowest sum 2578.0" in lines
    assert "host: 2026-01-01T00:03:00 f_lowest(1) 2578.0" in lines
    assert "pyprobe: domain 2: grid_dom2.nc nlev=3 ncells=6 nblks=2 glb_index=[1, 2, 3, 4, 5, 6] " \
           "clon_sum=-9.00 dt=30.0" in lines


def test_fortran_host_error_handler_is_called(f_build):
    # a plugin that is missing ends the run through the Fortran host's error handler
    proc = run([os.path.join(f_build, "fortran_host"), "bad;/nonexistent/libnothing.so;"])
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "host: finish called by comin_plugin_primaryconstructor: " in proc.stdout
    assert "/nonexistent/libnothing.so" in proc.stdout


def test_fortran_host_errors_return_gives_comin_codes(f_build):
    proc = run([os.path.join(f_build, "fortran_host_errors")])
    assert proc.returncode == 7, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "check_without_handler 18 ERROR", "wrong_precision 19 ERROR", "primary_without_n_dom 25 ERROR",
        "descrdata_ok 0 SUCCESS", "primary_ok 0 SUCCESS", "append_ok 0 SUCCESS", "append_twice 3 ERROR",
        "metadata_on_unknown_variable 24 ERROR", "request_out_of_range 24 ERROR",
        "request_metadata_out_of_range 24 ERROR", "ep_id_out_of_range 6 ERROR", "ep_ok 0 SUCCESS",
        # errors_return off again: the host's Fortran error handler ends the run
        "handler: comin: ERROR: Unknown id for ENTRY point."]


#: runs ARGV with its stdout in a file per rank (PATTERN % rank), whatever the launcher
PER_RANK_STDOUT = ("import os, sys; from comin.parallel import world_rank; "
                   "fd = os.open(sys.argv[1] % world_rank(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC); "
                   "os.dup2(fd, 1); os.execv(sys.argv[2], sys.argv[2:])")


@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="mpiexec is not installed")
def test_fortran_host_under_mpirun_shares_its_mpi_world_with_python_plugins(c_build, f_build, tmp_path):
    exe = os.path.join(f_build, "fortran_host_mpi")
    if not os.path.exists(exe):
        pytest.skip("no MPI Fortran compiler found by CMake")
    specs = three_languages(c_build, f_build)
    mpi = f"mpi@probe_comm;libpython_adapter.so;{os.path.join(HOSTS, 'plugins', 'mpi_probe.py')}"
    pattern = str(tmp_path / "out.%d")
    proc = run(mpiexec_command(2, [sys.executable, "-c", PER_RANK_STDOUT, pattern, exe, "--steps", "2",
                                   *specs, mpi]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rank0 = (tmp_path / "out.0").read_text().splitlines()
    rank1 = (tmp_path / "out.1").read_text().splitlines()
    mpi_lines = [line for line in rank0 if line.startswith("mpi: ")]
    from mpi4py import MPI          # the MPI library of this environment, which the host links too
    library = " ".join(MPI.Get_library_version().split()[:2])
    assert mpi_lines[0] == ("mpi: mpi initialised by the host True world 2 host comm 2 plugin comm 2 "
                            f"library {library}")
    # allreduce over the host communicator of local * (rank + 1): both ranks hold the same field
    assert "mpi: domain 1 local 7701.0 allreduce(local*(rank+1)) 23103.0 ranks [0, 1]" in mpi_lines
    assert "mpi: domain 2 local 5394.0 allreduce(local*(rank+1)) 16182.0 ranks [0, 1]" in mpi_lines
    # rank 0 prints (lstdout) exactly what the serial host prints, besides the MPI plugin's lines
    serial = run([os.path.join(f_build, "fortran_host"), "--steps", "2", *specs])
    assert [line for line in rank0 if not line.startswith("mpi: ")] == serial.stdout.splitlines()
    # rank 1: the plugins ran there too, the host printed nothing
    assert not any(line.startswith("host: ") for line in rank1)
    assert "fprobe: destructor" in rank1 and "cprobe: destructor" in rank1


def test_c_host_device_pointers_set_cptr_syncs_and_request_queries(c_build):
    proc = run([os.path.join(c_build, "host_features"), os.path.join(HOSTS, "plugins", "features.py")])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "host: verbosity 13",
        # two plugins requested (shared, 1); the first set its metadata
        "host: request shared(1) exclusive 0 plugins 2: 1 2 units m real 0.50",
        # typed get_or of a key with another type: code 36 (errors_return), default returned
        "host: units as integer: error 36 value 42",
        "host: device pointer 0x1000 host pointer is a 1",
        # ComIn's order at an entry point: halo (READ) before the callback, halo (WRITE) after
        "host: halo f(1) mode 1", "main: f sum 8.0", "host: halo f(1) mode 1",
        # after comin_var_set_cptr the plugin reads the new memory (no copy)
        "host: swapped, host pointer is b 1",
        "host: halo f(1) mode 1", "main: f sum 16.0", "host: halo f(1) mode 1",
        # lacc: device -> host before (READ without DEVICE), host -> device after (WRITE)
        "host: device sync f(1) device->host", "host: halo f(1) mode 1", "main: wrote f",
        "host: halo f(1) mode 1", "host: device sync f(1) host->device",
        "host: b[0] after the plugin wrote 5.0, a[0] 1.0",
    ]


# -- comin doctor ------------------------------------------------------------------------------

def doctor(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comin", "doctor", *args], capture_output=True, text=True,
                          env=host_env(**env), timeout=120)


def test_doctor_lists_what_a_host_uses_and_finds_no_problem(c_build):
    import sysconfig
    proc = doctor("--host", os.path.join(c_build, "c_host"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    libcomin = os.path.join(comin.get_library_dir(), "libcomin.so")
    assert f"  libcomin          {libcomin}" in out
    assert f"  executable        {sys.executable}" in out
    soname = sysconfig.get_config_var("INSTSONAME")
    assert f"  embeds libpython  {os.path.join(sysconfig.get_config_var('LIBDIR'), soname)}" in out
    assert "comin_host.h" in out and "comin_host_interface.mod" in out and "comin_host_interface.F90" in out
    assert "(not linked: good, comin loads it)" in out
    assert "Problems\n  none found\n" in out
    assert "MPI_Init called twice" in out          # the known problems are always listed
    # the MPI library of C, Fortran and mpi4py, by vendor and version: one and the same
    from mpi4py import MPI
    version = " ".join(MPI.Get_library_version().strip("\x00 \n").splitlines()[0].split())
    assert f"  MPI library       {version}\n" in out
    for wrapper in ("mpicc", "mpif90"):
        if shutil.which(wrapper):
            assert re.search(rf"  {wrapper} +\S+ -> \S+ \({re.escape(version.split(',')[0])}\)\n", out), out
    assert re.search(r"\nYAC\n  yac               (v\d\S* \S+\n  libmpi \(yac\) |not installed \()", out), out


def _doctor_input(**mpi):
    from comin.cli import doctor as doc
    py = dict(doc.python_info(), virtual_env="")
    cm = doc.comin_info()
    base = {"mpi4py": "4", "path": "/x", "library_version": "Open MPI v4.1.4, package: Debian",
            "libmpi": "/usr/lib/libmpi.so.40"}
    return py, cm, dict(base, **mpi)


def test_doctor_names_mixed_mpi_libraries_and_what_to_do():
    from comin.cli import doctor as doc
    py, cm, mpi = _doctor_input(mpif90="/usr/bin/mpif90", mpif90_libmpi="/usr/lib/libmpich.so.12",
                                mpif90_version="MPICH Version: 4.0.2", mpif90_of="Open MPI",
                                mpicc="/usr/bin/mpicc", mpicc_libmpi="/usr/lib/libmpich.so.12",
                                mpicc_version="MPICH Version: 4.0.2", mpicc_of="MPICH",
                                mpiexec="/usr/bin/mpiexec", mpiexec_vendor="MPICH")
    yac = {"version": "v3.21.0", "path": "/y", "libmpi": "/usr/lib/libmpich.so.12",
           "library_version": "MPICH Version: 4.0.2"}
    host = {"exe": "h", "libcomin": cm["libcomin"], "libpython": "",
            "libmpi": "/usr/lib/libmpi.so.40", "libmpis": ["/usr/lib/libmpi.so.40", "/usr/lib/libmpich.so.12"]}
    found = "\n".join(doc.problems(py, cm, mpi, host, yac))
    # an Open MPI wrapper whose -lmpi resolves through the system link to MPICH
    assert "mpif90 is Open MPI's wrapper, but its -lmpi resolves to /usr/lib/libmpich.so.12 (MPICH)" in found
    assert "update-alternatives --set mpi-x86_64-linux-gnu" in found
    # MPICH's own wrapper while mpi4py is Open MPI's
    assert ("mpicc links /usr/lib/libmpich.so.12 (MPICH Version: 4.0.2) but mpi4py uses "
            "/usr/lib/libmpi.so.40 (Open MPI v4.1.4)") in found
    assert "mpiexec (/usr/bin/mpiexec) is MPICH's but mpi4py uses Open MPI" in found
    assert "yac links /usr/lib/libmpich.so.12 (MPICH Version: 4.0.2) but mpi4py uses" in found
    assert "h links several MPI libraries (/usr/lib/libmpi.so.40, /usr/lib/libmpich.so.12)" in found
    # the same environment with one MPI everywhere: none of these
    py, cm, mpi = _doctor_input(mpicc="/usr/bin/mpicc", mpicc_libmpi="/usr/lib/libmpi.so.40",
                                mpicc_version="Open MPI v4.1.4", mpicc_of="Open MPI",
                                mpiexec="/usr/bin/mpiexec", mpiexec_vendor="Open MPI")
    yac = dict(yac, libmpi="/usr/lib/libmpi.so.40", library_version="Open MPI v4.1.4")
    host = dict(host, libmpis=["/usr/lib/libmpi.so.40"])
    assert not [p for p in doc.problems(py, cm, mpi, host, yac) if "MPI" in p or "yac" in p]
    # a yac that does not import (the wheel without Open MPI's library)
    found = doc.problems(py, cm, mpi, None, {"error": "ImportError: libmpi.so.40: cannot open"})
    assert any(p.startswith("yac is installed but cannot be imported (ImportError: libmpi.so.40")
               and "apt-get install libopenmpi-dev openmpi-bin" in p for p in found)


def test_doctor_names_a_wrong_libpython_and_virtualenv():
    proc = doctor(COMIN_LIBPYTHON="/nonexistent/libpython3.so", VIRTUAL_ENV="/nonexistent/venv")
    assert proc.returncode == 1
    assert "COMIN_LIBPYTHON is /nonexistent/libpython3.so, but this Python's libpython is" in proc.stdout
    assert "VIRTUAL_ENV is /nonexistent/venv but this Python runs from" in proc.stdout


def test_doctor_names_a_host_linked_to_another_libcomin(tmp_path):
    other = tmp_path / "other" / "comin" / "lib"
    other.mkdir(parents=True)
    shutil.copy(os.path.join(comin.get_library_dir(), "libcomin.so"), other / "libcomin.so")
    src = tmp_path / "h.c"
    src.write_text('#include "comin_host.h"\nint main(void) { comin_setup_init(true); return 0; }\n')
    exe = tmp_path / "h"
    _build.build([src], exe, kind="executable", comin=False, flags=[f"-I{comin.get_include()}"],
                 libs=["-L", str(other), "-lcomin", f"-Wl,-rpath,{other}"])
    proc = doctor("--host", str(exe))
    assert proc.returncode == 1
    assert f"{exe} links {other / 'libcomin.so'}, this comin is" in proc.stdout
    # and the host itself says what is wrong: the copy's package has no comin core
    run_proc = run([str(exe)])
    assert run_proc.returncode == 1
    assert "the comin core that Python imported belongs to another libcomin" in run_proc.stderr
    assert "python -m comin doctor" in run_proc.stderr

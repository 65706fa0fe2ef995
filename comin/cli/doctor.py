"""``comin doctor``: what a C or Fortran host embedding comin uses, and whether it matches.

A C or Fortran host links ``libcomin``; its first ComIn call starts an embedded
Python (``comin/src/comin_embed.c``) that must find a shared libpython, the comin
package that belongs to that libcomin, NumPy, and (under MPI) an mpi4py built for
the host's MPI library.  ``comin doctor`` prints each of them with its path, then
one line per problem with what to do.  ``--host EXE`` also reads the libraries a
host executable links (``ldd``) and compares them with this installation.

Run it with the environment of the host (same ``PATH``, ``PYTHONPATH``,
``VIRTUAL_ENV``, ``LD_LIBRARY_PATH``).  Exit status 0: no problem found; 1: problems.
"""
from __future__ import annotations

import argparse
import ctypes
import glob
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from typing import Dict, List, Optional, Tuple

#: symptoms of embedding problems and what to do; printed with every report
KNOWN_PROBLEMS = (
    ("undefined symbol: Py... when NumPy or mpi4py is imported inside a host",
     "libpython was loaded without RTLD_GLOBAL (the host or another library loaded it "
     "privately); let comin load it: do not link the host against libpython, or start the "
     "host with LD_PRELOAD=<the libpython below>"),
    ("ModuleNotFoundError: numpy (or another package) inside a host",
     "the embedded Python is not the one of your virtual environment: activate it "
     "(VIRTUAL_ENV) before starting the host, or set COMIN_PYTHON=<venv>/bin/python; the "
     "libpython must be the venv's base Python's"),
    ("'the comin core that Python imported belongs to another libcomin'",
     "the host links one comin installation's libcomin and Python imports another comin "
     "package (PYTHONPATH): link the host against the libcomin listed below"),
    ("MPI_Init called twice / 'Cannot call MPI_INIT or MPI_INIT_THREAD more than once'",
     "the host must call MPI_Init before its first ComIn call; mpi4py in the embedded Python "
     "then sees MPI initialised and does not initialise it again (plugins may also set "
     "mpi4py.rc.initialize = False before 'from mpi4py import MPI')"),
    ("wrong or invalid communicators in Python plugins, crashes in MPI calls",
     "the host and mpi4py use different MPI libraries (one MPI implementation per process): "
     "rebuild mpi4py with the host's MPI compiler wrappers (MPICC=<host mpicc> pip install "
     "--no-binary mpi4py mpi4py)"),
)


def _realpath(path: Optional[str]) -> Optional[str]:
    return os.path.realpath(path) if path else None


def python_info() -> Dict[str, object]:
    """This Python: executable, version, prefixes, virtual environment, shared libpython."""
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    soname = sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY") or ""
    lib = os.path.join(libdir, soname) if soname else ""
    return {
        "executable": sys.executable, "version": sys.version.split()[0], "prefix": sys.prefix,
        "base_prefix": sys.base_prefix, "virtual_env": os.environ.get("VIRTUAL_ENV", ""),
        "shared": bool(sysconfig.get_config_var("Py_ENABLE_SHARED")),
        "libpython": lib if lib and os.path.exists(lib) else "",
    }


def comin_info() -> Dict[str, object]:
    """This comin: package, core, libcomin (and the libpython it embeds), headers, Fortran sources."""
    import comin
    from comin import _core
    pkg = os.path.dirname(os.path.abspath(comin.__file__))
    libcomin = os.path.join(comin.get_library_dir(), "libcomin.so")
    fortran = os.path.join(pkg, "fortran")                  # sources shipped with the package
    if not os.path.isdir(fortran):
        fortran = os.path.join(os.path.dirname(pkg), "fortran_api")
    moddir = os.path.join(comin.get_include(), "fortran")
    embeds = ""
    loaded = ""
    if os.path.exists(libcomin):
        try:
            lib = ctypes.CDLL(libcomin)
            fn = lib.comin_internal_libpython
            fn.restype = ctypes.c_char_p
            embeds = (fn() or b"").decode()
        except (OSError, AttributeError):
            embeds = "?"
        handle = getattr(_core, "_c_libcomin", None)
        loaded = getattr(handle, "_name", "") or ""
    include = comin.get_include()
    return {
        "version": comin.__version__, "package": pkg, "core": _core.__file__,
        "libcomin": libcomin if os.path.exists(libcomin) else "",
        "libcomin_loaded_by_core": loaded, "libpython_embedded": embeds,
        "include": include,
        "headers": [h for h in ("comin.h", "comin_host.h", "comin_constants.h")
                    if os.path.exists(os.path.join(include, h))],
        "fortran_api": fortran if os.path.isdir(fortran) else "",
        "fortran_sources": sorted(os.path.basename(f) for f in glob.glob(os.path.join(fortran, "*.F90"))),
        "fortran_modules": moddir if os.path.isdir(moddir) else "",
        "fortran_mods": sorted(os.path.basename(f) for f in glob.glob(os.path.join(moddir, "*.mod"))),
        "libcomin_fortran": os.path.join(comin.get_library_dir(), "libcomin_fortran.so")
        if os.path.exists(os.path.join(comin.get_library_dir(), "libcomin_fortran.so")) else "",
        "cmake_dir": comin.get_cmake_dir(), "pkgconfig_dir": comin.get_pkgconfig_dir(),
    }


def _linked_libraries(path: str) -> Dict[str, str]:
    """soname -> resolved path of the shared libraries ``path`` needs (ldd)."""
    if not path or shutil.which("ldd") is None:
        return {}
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    libs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(\S+)", line)
        if m:
            libs[m.group(1)] = m.group(2)
    return libs


def _find(libs: Dict[str, str], prefix: str) -> Tuple[str, str]:
    for name, path in libs.items():
        if name.startswith(prefix):
            return name, path
    return "", ""


#: MPI libraries that are language bindings (Fortran, C++) over the C library
_BINDINGS = re.compile(r"fort|f90|f08|f77|cxx|mpifh|usempi|\+\+")


def _c_mpi_libraries(libs: Dict[str, str]) -> List[str]:
    """The C MPI libraries among ``libs`` (libmpi.so.40 of Open MPI, libmpich.so.12 of MPICH;
    not the Fortran/C++ bindings): one, or several when a program mixes MPI implementations."""
    return [path for name, path in libs.items()
            if name.startswith("libmpi") and not _BINDINGS.search(name)]


def _find_libmpi(libs: Dict[str, str]) -> str:
    """The C MPI library among ``libs``."""
    found = _c_mpi_libraries(libs)
    return found[0] if found else ""


def library_version(libmpi: str) -> str:
    """First line of ``MPI_Get_library_version`` of the MPI library ``libmpi`` ("Open MPI v4.1.4,
    ...", "MPICH Version: 4.0.2"), asked in a child process (no MPI is initialised there: the
    call is allowed before MPI_Init), or "" when it cannot be loaded."""
    if not libmpi:
        return ""
    code = ("import ctypes, sys\n"
            "lib = ctypes.CDLL(sys.argv[1])\n"
            "buf, n = ctypes.create_string_buffer(8192), ctypes.c_int(0)\n"
            "lib.MPI_Get_library_version(buf, ctypes.byref(n))\n"
            "print(buf.value.decode(errors='replace'))\n")
    from comin.parallel import launcher_environ
    try:
        proc = subprocess.run([sys.executable, "-c", code, libmpi], capture_output=True, text=True,
                              timeout=60, env=launcher_environ())
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = proc.stdout.strip().splitlines()
    return " ".join(lines[0].split()) if proc.returncode == 0 and lines else ""


def _short(version: Optional[str]) -> str:
    """"Open MPI v4.1.4" of "Open MPI v4.1.4, package: Debian OpenMPI, ident: ..."."""
    return (version or "").split(",")[0]


def vendor(version: str) -> str:
    """"Open MPI", "MPICH", ... from a library version line ("" when unknown)."""
    for name in ("Open MPI", "MPICH", "Intel(R) MPI", "MVAPICH", "Cray MPI"):
        if version.startswith(name) or name in version.split(",")[0]:
            return name
    return version.split()[0] if version else ""


def numpy_info() -> Dict[str, object]:
    try:
        import numpy
    except ImportError as exc:
        return {"error": str(exc)}
    return {"version": numpy.__version__, "path": os.path.dirname(numpy.__file__)}


def mpi_info() -> Dict[str, object]:
    """mpi4py and its MPI library (without initialising MPI), and the MPI compiler wrappers."""
    out: Dict[str, object] = {}
    try:
        import mpi4py
        mpi4py.rc.initialize = False
        mpi4py.rc.finalize = False
        from mpi4py import MPI
    except ImportError as exc:
        out["error"] = str(exc)
    else:
        out["mpi4py"] = mpi4py.__version__
        out["path"] = os.path.dirname(mpi4py.__file__)
        try:
            out["library_version"] = " ".join(MPI.Get_library_version().strip("\x00 \n").splitlines()[0].split())
        except Exception as exc:          # pragma: no cover - depends on the MPI library
            out["library_version"] = f"? ({exc})"
        out["libmpi"] = _find_libmpi(_linked_libraries(MPI.__file__))
        out["initialized"] = MPI.Is_initialized()
    versions: Dict[str, str] = {}
    for wrapper in ("mpicc", "mpif90"):
        exe = shutil.which(wrapper)
        if exe is None:
            continue
        try:
            show = subprocess.run([exe, "-show"], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            show = ""
        out[wrapper] = exe
        lib = out[wrapper + "_libmpi"] = _wrapper_libmpi(show)
        out[wrapper + "_of"] = ("Open MPI" if "openmpi" in show or
                                os.path.basename(os.path.realpath(exe)) == "opal_wrapper"
                                else "MPICH" if "mpich" in show else "")
        if lib:
            real = os.path.realpath(lib)
            versions.setdefault(real, library_version(lib))
            out[wrapper + "_version"] = versions[real]
    from comin.parallel import launcher_vendor
    launcher = shutil.which("mpiexec")
    if launcher:
        out["mpiexec"] = launcher
        out["mpiexec_vendor"] = launcher_vendor()
    return out


def yac_info(mpi: dict) -> Dict[str, object]:
    """YAC (the coupler ICON's plugins use): its version, its MPI library, and whether it is
    usable with this mpi4py.  ``yac`` is imported in a child process (its import needs an MPI
    library, and it replaces the excepthook)."""
    code = ("import yac, os\n"
            "print(yac.version())\n"
            "print(os.path.dirname(yac.__file__))\n"
            "print(yac._yac.__file__)\n")
    from comin.parallel import launcher_environ
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                              env=launcher_environ())
    except (OSError, subprocess.SubprocessError) as exc:
        return {"error": f"importing yac failed ({exc})"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        if "No module named 'yac'" in proc.stderr:
            return {"missing": True}
        return {"error": last}
    version, path, ext = (proc.stdout.strip().splitlines() + ["", "", ""])[:3]
    libmpi = _find_libmpi(_linked_libraries(ext))
    return {"version": version, "path": path, "libmpi": libmpi,
            "library_version": library_version(libmpi) if libmpi else ""}


def _wrapper_libmpi(show: str) -> str:
    """The libmpi* that a compiler wrapper's link line (``-show``) resolves to, searched as the
    linker does: ``-L`` directories, ``$LIBRARY_PATH``, the system's."""
    words = show.split()
    dirs = ([w[2:] for w in words if w.startswith("-L")]
            + [d for d in os.environ.get("LIBRARY_PATH", "").split(os.pathsep) if d]
            + ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"])
    libs = [w[2:] for w in words if w.startswith("-l") and w[2:].startswith("mpi")]
    for lib in libs:
        if _BINDINGS.search(lib):
            continue
        for d in dirs:
            candidates = sorted(glob.glob(os.path.join(d, f"lib{lib}.so*")))
            if candidates:
                return os.path.realpath(candidates[0])
    return ""


def problems(py: dict, cm: dict, mpi: dict, host: Optional[dict] = None,
             yac: Optional[dict] = None) -> List[str]:
    """One text per problem found: what is wrong and what to do."""
    out = []
    if not py["shared"] or not py["libpython"]:
        out.append(f"this Python ({py['executable']}) has no shared libpython: C and Fortran hosts "
                   f"need one (a Python built with --enable-shared, e.g. pyenv with "
                   f"PYTHON_CONFIGURE_OPTS=--enable-shared)")
    if py["virtual_env"] and _realpath(py["virtual_env"]) != _realpath(py["prefix"]):
        out.append(f"VIRTUAL_ENV is {py['virtual_env']} but this Python runs from {py['prefix']}: "
                   f"a host would embed the virtual environment's Python; run doctor with "
                   f"{py['virtual_env']}/bin/python")
    if not cm["libcomin"]:
        out.append("libcomin.so is missing: build comin (python setup.py build_ext --inplace, or "
                   "pip install)")
    else:
        if cm["libcomin_loaded_by_core"] and _realpath(cm["libcomin_loaded_by_core"]) != _realpath(cm["libcomin"]):
            out.append(f"the comin core loaded {cm['libcomin_loaded_by_core']}, not {cm['libcomin']}")
        embeds = cm["libpython_embedded"]
        override = os.environ.get("COMIN_LIBPYTHON", "")
        target = override or embeds
        if not target:
            out.append("libcomin knows no libpython to embed: set COMIN_LIBPYTHON to a shared "
                       "libpython (see above)")
        elif py["libpython"] and _realpath(target) != _realpath(py["libpython"]):
            how = "COMIN_LIBPYTHON is" if override else "libcomin was built to embed"
            out.append(f"{how} {target}, but this Python's libpython is {py['libpython']}: hosts "
                       f"would run another Python than this one (its packages, its comin); rebuild "
                       f"comin with this Python or set COMIN_LIBPYTHON={py['libpython']}")
        elif not os.path.exists(target):
            out.append(f"the libpython to embed ({target}) does not exist: set COMIN_LIBPYTHON")
    if "comin_host.h" not in cm["headers"]:
        out.append(f"comin_host.h is missing in {cm['include']}: rebuild comin")
    if "comin_host_interface.mod" not in cm["fortran_mods"] or not cm["libcomin_fortran"]:
        if "comin_host_interface.F90" in cm["fortran_sources"]:
            out.append("comin was built without a Fortran compiler: no libcomin_fortran.so / .mod "
                       "files; Fortran hosts compile $(comin-config --fsources) themselves")
        else:
            out.append("the Fortran modules (comin_host_interface ...) are missing: rebuild comin")
    if "error" in mpi:
        out.append(f"mpi4py cannot be imported ({mpi['error']}): Python plugins of hosts under MPI "
                   f"need it (pip install mpi4py, built for the host's MPI)")
    else:
        for wrapper in ("mpicc", "mpif90"):
            lib = mpi.get(wrapper + "_libmpi")
            if lib and mpi.get("libmpi") and _realpath(lib) != _realpath(mpi["libmpi"]):
                of, links = mpi.get(wrapper + "_of"), vendor(mpi.get(wrapper + "_version") or "")
                if of and links and of != links:
                    out.append(f"{wrapper} is {of}'s wrapper, but its -lmpi resolves to {lib} "
                               f"({links}): the system's libmpi.so link points at another MPI; "
                               f"select one MPI for the whole system (Debian: update-alternatives "
                               f"--set mpi-x86_64-linux-gnu <its include dir>), or put its library "
                               f"directory in LIBRARY_PATH")
                    continue
                out.append(f"{wrapper} links {lib} ({_short(mpi.get(wrapper + '_version')) or '?'}) but "
                           f"mpi4py uses {mpi['libmpi']} ({_short(mpi.get('library_version')) or '?'}): one MPI "
                           f"implementation per process; rebuild mpi4py with MPICC={mpi.get('mpicc', 'mpicc')} "
                           f"pip install --no-binary=mpi4py --no-cache-dir --force-reinstall mpi4py, or "
                           f"put the other MPI's wrappers first on PATH")
        launcher, library = mpi.get("mpiexec_vendor"), vendor(str(mpi.get("library_version", "")))
        if launcher and library and launcher != library:
            out.append(f"mpiexec ({mpi['mpiexec']}) is {launcher}'s but mpi4py uses {library}: "
                       f"processes it starts would each be a world of their own; put {library}'s "
                       f"mpiexec first on PATH (Debian: update-alternatives --config mpirun)")
    if yac and "error" in yac:
        out.append(f"yac is installed but cannot be imported ({yac['error']}): the yac wheel needs "
                   f"Open MPI's libmpi.so.40 (Debian: apt-get install libopenmpi-dev openmpi-bin) and "
                   f"an mpi4py built against it")
    elif yac and yac.get("libmpi") and mpi.get("libmpi") and \
            _realpath(yac["libmpi"]) != _realpath(mpi["libmpi"]):
        out.append(f"yac links {yac['libmpi']} ({_short(yac.get('library_version')) or '?'}) but mpi4py "
                   f"uses {mpi['libmpi']} ({_short(mpi.get('library_version')) or '?'}): YAC would run in a world of "
                   f"its own on every rank; build mpi4py against YAC's MPI (MPICC=mpicc.openmpi pip "
                   f"install --no-binary=mpi4py --no-cache-dir --force-reinstall mpi4py)")
    if host:
        if not host["libcomin"]:
            out.append(f"{host['exe']} does not link libcomin (or ldd cannot resolve it: "
                       f"check its rpath / LD_LIBRARY_PATH)")
        elif cm["libcomin"] and _realpath(host["libcomin"]) != _realpath(cm["libcomin"]):
            out.append(f"{host['exe']} links {host['libcomin']}, this comin is {cm['libcomin']}: the "
                       f"embedded Python imports the comin package next to the host's libcomin "
                       f"({os.path.dirname(os.path.dirname(os.path.dirname(_realpath(host['libcomin']))))}); "
                       f"make sure that one is built, or relink the host")
        if host["libpython"]:
            target = os.environ.get("COMIN_LIBPYTHON", "") or cm["libpython_embedded"]
            if target and _realpath(host["libpython"]) != _realpath(target):
                out.append(f"{host['exe']} links {host['libpython']} itself, libcomin embeds {target}: "
                           f"two Pythons in one process; do not link the host against libpython")
        if len(host["libmpis"]) > 1:
            out.append(f"{host['exe']} links several MPI libraries ({', '.join(host['libmpis'])}): "
                       f"it was linked against one MPI's Fortran or C++ bindings and another's C "
                       f"library (e.g. CMake found the system's libmpi.so of another MPI); relink it "
                       f"with one MPI's compiler wrappers")
        elif host["libmpi"] and mpi.get("libmpi") and _realpath(host["libmpi"]) != _realpath(mpi["libmpi"]):
            out.append(f"{host['exe']} links {host['libmpi']}, mpi4py uses {mpi['libmpi']}: one MPI "
                       f"implementation per process; rebuild mpi4py (or the host) for the same MPI")
    return out


def host_info(exe: str) -> dict:
    libs = _linked_libraries(exe)
    return {"exe": exe, "libcomin": _find(libs, "libcomin")[1], "libpython": _find(libs, "libpython")[1],
            "libmpi": _find_libmpi(libs), "libmpis": _c_mpi_libraries(libs)}


def report(host_exe: Optional[str] = None) -> Tuple[str, List[str]]:
    """The doctor's text and its problems."""
    py, cm, np_, mpi = python_info(), comin_info(), numpy_info(), mpi_info()
    yac = yac_info(mpi)
    host = host_info(host_exe) if host_exe else None
    lines = ["Python",
             f"  executable        {py['executable']} ({py['version']})",
             f"  prefix            {py['prefix']} (base {py['base_prefix']})",
             f"  VIRTUAL_ENV       {py['virtual_env'] or '(none)'}",
             f"  shared libpython  {py['libpython'] or '(none: Python was built without --enable-shared)'}",
             "comin",
             f"  version           {cm['version']}",
             f"  package           {cm['package']}",
             f"  core              {cm['core']}",
             f"  libcomin          {cm['libcomin'] or '(missing)'}",
             f"  embeds libpython  {cm['libpython_embedded'] or '(none)'}"
             + (f" (COMIN_LIBPYTHON={os.environ['COMIN_LIBPYTHON']})" if os.environ.get("COMIN_LIBPYTHON") else ""),
             f"  headers           {cm['include']}: {', '.join(cm['headers']) or '(none)'}",
             f"  Fortran modules   {cm['fortran_modules'] or '(none)'}: {', '.join(cm['fortran_mods']) or '(none)'}",
             f"  libcomin_fortran  {cm['libcomin_fortran'] or '(none)'} (.mod files are compiler-specific: "
             f"other compilers build the sources)",
             f"  Fortran sources   {cm['fortran_api'] or '(missing)'}: {', '.join(cm['fortran_sources']) or '(none)'}",
             f"  CMake             -Dcomin_DIR={cm['cmake_dir']}  (find_package(comin [COMPONENTS Fortran]): "
             f"comin::comin, comin::comin_fortran)",
             f"  pkg-config        PKG_CONFIG_PATH={cm['pkgconfig_dir']}",
             "NumPy",
             f"  {np_.get('version', '')} {np_.get('path', np_.get('error', ''))}",
             "MPI"]
    if "error" in mpi:
        lines.append(f"  mpi4py            not importable: {mpi['error']}")
    else:
        lines += [f"  mpi4py            {mpi['mpi4py']} {mpi['path']}",
                  f"  MPI library       {mpi['library_version']}",
                  f"  libmpi (mpi4py)   {mpi['libmpi'] or '?'}"]
    for wrapper in ("mpicc", "mpif90"):
        if wrapper in mpi:
            lines.append(f"  {wrapper:<17} {mpi[wrapper]} -> {mpi.get(wrapper + '_libmpi') or '?'}"
                         f" ({_short(mpi.get(wrapper + '_version')) or 'version unknown'})")
    if "mpiexec" in mpi:
        lines.append(f"  mpiexec           {mpi['mpiexec']} ({mpi.get('mpiexec_vendor') or 'unknown MPI'})")
    lines.append("YAC")
    if yac.get("missing"):
        lines.append("  yac               not installed (optional: plugins that couple with YAC need it; "
                     "pip install yac==3.21.0 with Open MPI, see the YAC page of the documentation)")
    elif "error" in yac:
        lines.append(f"  yac               not usable: {yac['error']}")
    else:
        lines += [f"  yac               {yac['version']} {yac['path']}",
                  f"  libmpi (yac)      {yac['libmpi'] or '?'} ({_short(yac['library_version']) or 'version unknown'})"]
    if host:
        lines += [f"Host {host['exe']}",
                  f"  libcomin          {host['libcomin'] or '(not linked)'}",
                  f"  libpython         {host['libpython'] or '(not linked: good, comin loads it)'}",
                  f"  libmpi            {host['libmpi'] or '(not linked)'}"]
    found = problems(py, cm, mpi, host, yac)
    lines.append("Problems")
    lines += [f"  - {p}" for p in found] or ["  none found"]
    lines.append("Known embedding problems (symptom: what to do)")
    lines += [f"  - {symptom}: {fix}" for symptom, fix in KNOWN_PROBLEMS]
    return "\n".join(lines) + "\n", found


NAME = "doctor"
HELP = "what a C or Fortran host embedding comin uses and whether it matches (comin doctor --help)"
_DESCRIPTION = ("What a C or Fortran host embedding comin uses (Python, NumPy, mpi4py, MPI, "
                "libcomin, headers, Fortran modules) and whether it matches.")


def _add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--host", metavar="EXE", help="also check the libraries this host executable links")
    parser.set_defaults(execute=run)
    return parser


def add_parser(sub, argv=()) -> argparse.ArgumentParser:
    return _add_arguments(sub.add_parser(NAME, help=HELP, description=_DESCRIPTION))


def run(args: argparse.Namespace) -> int:
    """``comin doctor``: the report on stdout; exit status 1 when it found problems."""
    text, found = report(args.host)
    sys.stdout.write(text)
    return 1 if found else 0


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m comin.cli.doctor`` (as ``comin doctor``)."""
    parser = _add_arguments(argparse.ArgumentParser(prog="comin doctor", description=_DESCRIPTION))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

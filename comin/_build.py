"""One recipe to compile C, C++ and Fortran code against this comin: plugins, drivers, hosts.

The tests, the benchmarks, the conformance drivers and the documentation
build what they compile with :func:`build` (or :func:`build_cached`), so all
of them compile alike and with the compilers the user chose:

* the compiler of a language is ``$CC`` (C), ``$CXX`` (C++) or ``$FC``
  (Fortran), else ``gcc``/``g++``/``gfortran``; with ``mpi=True`` it is
  ``$MPICC``/``$MPICXX``/``$MPIFC``, else ``mpicc``/``mpicxx``/``mpif90``
  (a value may hold words: ``CC="ccache gcc"``);
* the flags for comin are what ``comin-config`` prints
  (:func:`comin.cli.config.values`): its headers and ``-lcomin`` with an
  rpath; Fortran uses the package's modules and ``libcomin_fortran`` when
  they were built, else compiles the shipped API sources
  (``fortran_api="auto"``);
* ``strict=True`` adds the warnings-as-errors set of :data:`STRICT` (GNU
  compilers' spelling).

A failed build raises :class:`BuildError` with the command and the
compiler's output.  The Fortran ``-J`` (module directory) is gfortran's
spelling; other Fortran compilers build with ``fortran_api="none"`` and
their own flags.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

#: language -> (environment variable, default) of its compiler, and of its MPI wrapper
COMPILERS: Dict[str, Tuple[Tuple[str, str], Tuple[str, str]]] = {
    "c": (("CC", "gcc"), ("MPICC", "mpicc")),
    "c++": (("CXX", "g++"), ("MPICXX", "mpicxx")),
    "fortran": (("FC", "gfortran"), ("MPIFC", "mpif90")),
}
#: warnings as errors (``strict=True``)
STRICT: Dict[str, Tuple[str, ...]] = {
    "c": ("-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"),
    "c++": ("-Wall", "-Werror"),
    "fortran": ("-std=f2008", "-Wall", "-Werror"),
}
_SUFFIXES = {".c": "c", ".cc": "c++", ".cpp": "c++", ".cxx": "c++",
             ".f90": "fortran", ".F90": "fortran", ".f": "fortran", ".F": "fortran"}
_KINDS = {"shared": ["-shared", "-fPIC"], "executable": [], "object": ["-c", "-fPIC"]}


class BuildError(RuntimeError):
    """A compilation that failed: the message holds the command and the compiler's output."""


def language_of(path: str) -> str:
    """``"c"``, ``"c++"`` or ``"fortran"`` from a source file's suffix."""
    suffix = os.path.splitext(path)[1]
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise ValueError(f"{path}: not a C, C++ or Fortran source ({', '.join(_SUFFIXES)})") from None


def compiler(language: str, mpi: bool = False) -> List[str]:
    """The compiler command of ``language`` (see the module's docstring)."""
    var, default = COMPILERS[language][1 if mpi else 0]
    return shlex.split(os.environ.get(var) or default)


def fortran_built() -> bool:
    """Whether the package has its Fortran modules and ``libcomin_fortran`` (built with gfortran)."""
    from comin.cli.config import fortran_built
    return fortran_built()


def comin_flags(language: str, fortran_api: str = "auto", moddir: Optional[str] = None
                ) -> Tuple[List[str], List[str], List[str]]:
    """``(compile flags, extra sources, link flags)`` to build against comin.

    ``fortran_api`` (Fortran only): ``"modules"`` (the package's ``.mod`` files and
    ``libcomin_fortran``), ``"sources"`` (compile the shipped API sources, modules into
    ``moddir``), ``"auto"`` (modules when built, else sources) or ``"none"`` (only
    ``-lcomin``: the caller compiles the API sources it wants).
    """
    from comin.cli.config import fortran_sources, values
    v = values()
    if language != "fortran":
        return v["cflags"].split(), [], v["libs"].split()
    if fortran_api == "auto":
        fortran_api = "modules" if fortran_built() else "sources"
    if fortran_api == "modules":
        return v["fflags"].split(), [], v["flibs"].split()
    if fortran_api == "sources":
        return [], fortran_sources(), v["libs"].split()
    if fortran_api == "none":
        return [], [], v["libs"].split()
    raise ValueError(f"fortran_api must be auto, modules, sources or none, not {fortran_api!r}")


def command(sources: Sequence[str], output: str, *, kind: str = "shared",
            language: Optional[str] = None, comin: bool = True, fortran_api: str = "auto",
            flags: Sequence[str] = (), libs: Sequence[str] = (), mpi: bool = False,
            strict: bool = False, moddir: Optional[str] = None) -> List[str]:
    """The compiler command that :func:`build` runs (nothing is run).

    ``kind``: ``"shared"`` (a plugin, ``-shared -fPIC``), ``"executable"`` (a host or
    a test program) or ``"object"`` (``-c``).  ``language`` defaults to the last
    source's.  ``comin=False`` leaves comin's flags out.  ``flags`` come before the
    sources, ``libs`` after them (before comin's link flags).  ``moddir``: where a
    Fortran build puts (and finds) its module files (gfortran ``-J``).
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, not {kind!r}")
    language = language or language_of(sources[-1])
    cflags, extra, lflags = comin_flags(language, fortran_api, moddir) if comin else ([], [], [])
    cmd = [*compiler(language, mpi), *_KINDS[kind], *(STRICT[language] if strict else ()), *flags]
    if language == "fortran" and moddir is not None:
        cmd += ["-J", moddir, "-I", moddir]
    cmd += [*cflags, *extra, *sources]
    if kind != "object":
        cmd += [*libs, *lflags]
    return cmd + ["-o", output]


def build(sources: Sequence[str], output: str, *, workdir: Optional[str] = None, **options) -> str:
    """Compile ``sources`` into ``output`` (see :func:`command` for ``options``); returns
    ``output``.  Runs in ``workdir`` (default: a fresh temporary directory, which also takes
    the Fortran module files unless ``moddir`` is given).  Raises :class:`BuildError`."""
    sources = [str(s) for s in sources]
    output = str(output)
    if workdir is None:              # paths relative to where the caller is
        sources = [os.path.abspath(s) for s in sources]
        output = os.path.abspath(output)
    with tempfile.TemporaryDirectory(prefix="comin_build_") as tmp:
        cwd = str(workdir) if workdir is not None else tmp
        if "moddir" not in options and (options.get("language") or language_of(sources[-1])) == "fortran":
            options["moddir"] = cwd
        cmd = command(sources, output, **options)
        try:
            proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        except OSError as exc:
            raise BuildError(f"cannot run {cmd[0]}: {exc.strerror} (set "
                             f"{_variable(cmd[0])} to the compiler)") from None
    if proc.returncode != 0:
        raise BuildError(f"{shlex.join(cmd)} failed (exit status {proc.returncode}):\n"
                         f"{proc.stdout}{proc.stderr}")
    return output


def _variable(program: str) -> str:
    for (var, default), (mpivar, mpidefault) in COMPILERS.values():
        if program == default:
            return f"${var}"
        if program == mpidefault:
            return f"${mpivar}"
    return "$CC/$CXX/$FC"


_QUOTED_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)


def _source_texts(source: str, seen: Optional[set] = None) -> List[bytes]:
    """The text of ``source`` and of every file it includes by a quoted ``#include`` (found
    beside the including file, as the preprocessor looks first), depth first: a change in
    any of them is a change of the build."""
    seen = set() if seen is None else seen
    path = os.path.abspath(source)
    if path in seen:
        return []
    seen.add(path)
    with open(path, "rb") as f:
        text = f.read()
    out = [text]
    for inc in _QUOTED_INCLUDE.findall(text):
        candidate = os.path.join(os.path.dirname(path), inc.decode())
        if os.path.isfile(candidate):
            out += _source_texts(candidate, seen)
    return out


def build_cached(source: str, name: str, **options) -> str:
    """:func:`build` one source once per content: the library ``name`` is kept in the temp
    directory under a key of the source text (with the files it names in a quoted
    ``#include``, see :func:`_source_texts`), the command and the comin libraries it links,
    and shared by concurrent sessions (the file appears atomically)."""
    import comin
    probe = command([source], name, **options)
    key = _source_texts(source) + [shlex.join(probe).encode()]
    for lib in ("libcomin.so", "libcomin_fortran.so"):
        path = os.path.join(comin.get_library_dir(), lib)
        if os.path.exists(path):
            key.append(f"{lib}:{os.path.getmtime(path)}".encode())
    digest = hashlib.sha256(b"\0".join(key)).hexdigest()[:16]
    out_dir = os.path.join(tempfile.gettempdir(), f"comin_build_{digest}")
    lib = os.path.join(out_dir, name)
    if not os.path.exists(lib):
        os.makedirs(out_dir, exist_ok=True)
        work = tempfile.mkdtemp(prefix="work_", dir=out_dir)
        try:
            build([source], os.path.join(work, name), workdir=work, **options)
            os.replace(os.path.join(work, name), lib)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return lib

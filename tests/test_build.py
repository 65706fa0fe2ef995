"""comin._build: the one recipe that compiles plugins, drivers and hosts against comin."""
from __future__ import annotations

import os
import stat
import subprocess
import textwrap

import pytest

from comin import _build
from comin.cli.config import values


def _wrapper(tmp_path, name: str, real: str):
    """A compiler wrapper that logs its arguments, then runs ``real``."""
    log = tmp_path / f"{name}.log"
    path = tmp_path / name
    path.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real} "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path), log


@pytest.fixture
def gnu(monkeypatch):
    """The default compilers (whatever the environment says)."""
    for var in ("CC", "CXX", "FC", "MPICC", "MPICXX", "MPIFC"):
        monkeypatch.delenv(var, raising=False)


def test_compilers_come_from_the_environment(gnu, monkeypatch):
    assert _build.compiler("c") == ["gcc"] and _build.compiler("fortran") == ["gfortran"]
    assert _build.compiler("c", mpi=True) == ["mpicc"] and _build.compiler("fortran", mpi=True) == ["mpif90"]
    monkeypatch.setenv("CC", "ccache clang")
    monkeypatch.setenv("FC", "/opt/bin/flang")
    monkeypatch.setenv("MPIFC", "mpifort")
    assert _build.compiler("c") == ["ccache", "clang"]
    assert _build.compiler("fortran") == ["/opt/bin/flang"]
    assert _build.compiler("fortran", mpi=True) == ["mpifort"]
    assert _build.compiler("c++") == ["g++"]


def test_the_flags_are_comin_configs(gnu):
    v = values()
    c = _build.command(["p.c"], "libp.so")
    assert c[:3] == ["gcc", "-shared", "-fPIC"] and c[-2:] == ["-o", "libp.so"]
    assert v["cflags"] in c and all(w in c for w in v["libs"].split())
    assert c.index(v["cflags"]) < c.index("p.c") < c.index("-lcomin")
    f = _build.command(["p.F90"], "libp.so", fortran_api="modules")
    assert v["fflags"] in f and "-lcomin_fortran" in f
    s = _build.command(["p.F90"], "libp.so", fortran_api="sources", moddir="/m")
    assert s[s.index("-J") + 1] == "/m" and "-lcomin_fortran" not in s
    assert s.index(v["fsources"].split()[0]) < s.index("p.F90")
    e = _build.command(["p.c"], "p", kind="executable", comin=False, flags=["-O2"], libs=["-lm"])
    assert e == ["gcc", "-O2", "p.c", "-lm", "-o", "p"]
    assert _build.command(["p.c"], "p.o", kind="object", strict=True)[1:7] == [
        "-c", "-fPIC", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"]
    with pytest.raises(ValueError, match="not a C, C.. or Fortran source"):
        _build.command(["p.py"], "x")


def test_build_uses_cc_and_fc(tmp_path, monkeypatch):
    cc, cc_log = _wrapper(tmp_path, "mycc", "gcc")
    monkeypatch.setenv("CC", cc)
    src = tmp_path / "plug.c"
    src.write_text('#include "comin.h"\nvoid comin_main(void) { comin_print_info("hi"); }\n')
    lib = _build.build([src], tmp_path / "libplug.so", strict=True)
    assert os.path.exists(lib) and "-lcomin" in cc_log.read_text()
    fc, fc_log = _wrapper(tmp_path, "myfc", "gfortran")
    monkeypatch.setenv("FC", fc)
    prog = tmp_path / "hello.F90"
    prog.write_text("PROGRAM hello\n  PRINT '(A)', 'hello'\nEND PROGRAM hello\n")
    exe = _build.build([prog], tmp_path / "hello", kind="executable", comin=False)
    assert subprocess.run([exe], capture_output=True, text=True).stdout == "hello\n"
    assert "hello.F90" in fc_log.read_text()


def test_a_failed_build_is_one_error_with_the_command_and_the_compiler_output(gnu, tmp_path):
    src = tmp_path / "broken.c"
    src.write_text("int main(void) { return undefined_name; }\n")
    with pytest.raises(_build.BuildError) as exc:
        _build.build([src], tmp_path / "broken", kind="executable", comin=False)
    text = str(exc.value)
    assert text.startswith("gcc ") and "failed (exit status 1)" in text and "undefined_name" in text


def test_a_missing_compiler_names_its_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("FC", "no-such-fortran-compiler")
    src = tmp_path / "x.F90"
    src.write_text("END\n")
    with pytest.raises(_build.BuildError, match="cannot run no-such-fortran-compiler"):
        _build.build([src], tmp_path / "x", kind="executable", comin=False)


def test_build_cached_builds_once_per_content(tmp_path):
    src = tmp_path / "cached.c"
    src.write_text(textwrap.dedent("""
        #include "comin.h"
        void comin_main(void) { comin_print_info("cached"); }
    """))
    first = _build.build_cached(str(src), "libcached.so")
    stamp = os.path.getmtime(first)
    assert _build.build_cached(str(src), "libcached.so") == first
    assert os.path.getmtime(first) == stamp
    src.write_text(src.read_text() + "/* changed */\n")
    assert _build.build_cached(str(src), "libcached.so") != first


def test_build_cached_sees_a_change_in_a_quoted_include(tmp_path):
    """The conformance programs share their text protocol through a quoted #include: a change
    there must rebuild them, as a change of the source does (<...> includes are the system's
    and comin's, keyed by the command and the libraries)."""
    (tmp_path / "sub").mkdir()
    header = tmp_path / "proto.h"
    header.write_text('#include "sub/deeper.h"\nstatic const char* word = "one";\n')
    (tmp_path / "sub" / "deeper.h").write_text("/* deeper */\n")
    src = tmp_path / "uses.c"
    src.write_text('#include "comin.h"\n#include "proto.h"\n'
                   "void comin_main(void) { comin_print_info(word); }\n")
    first = _build.build_cached(str(src), "libuses.so")
    assert _build.build_cached(str(src), "libuses.so") == first
    header.write_text(header.read_text().replace('"one"', '"two"'))
    second = _build.build_cached(str(src), "libuses.so")
    assert second != first
    (tmp_path / "sub" / "deeper.h").write_text("/* deeper, changed */\n")
    assert _build.build_cached(str(src), "libuses.so") not in (first, second)

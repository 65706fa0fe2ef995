"""``comin-config``: compiler and linker flags for C and Fortran plugins (like ``pkg-config``).

    gcc -shared -fPIC $(comin-config --cflags) plugin.c $(comin-config --libs) -o libplugin.so
    gfortran -shared -fPIC $(comin-config --fflags) plugin.F90 $(comin-config --flibs) -o libp.so

(:mod:`comin._build` compiles with these flags for the tests, benchmarks and docs.)

``--fflags``/``--flibs`` use the modules and ``libcomin_fortran.so`` built with the
package (by gfortran); with another compiler, compile ``$(comin-config --fsources)``
(the API sources in dependency order) into the plugin and link ``--libs``.

``--libs`` adds an rpath to the package's ``lib`` directory, so the plugin
finds ``libcomin.so`` wherever comin is installed.  Several options print
their values on one line, in the order given.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def fortran_sources() -> List[str]:
    """The Fortran API sources shipped in the package, in an order that compiles."""
    import comin
    srcdir = os.path.join(os.path.dirname(os.path.abspath(comin.__file__)), "fortran")
    try:
        with open(os.path.join(srcdir, "ORDER")) as f:
            return [os.path.join(srcdir, name) for name in f.read().split()]
    except FileNotFoundError:      # a source tree that was never built
        return []


def values() -> dict:
    """What ``comin-config`` prints, by option name (the flags :mod:`comin._build` uses)."""
    import comin
    inc, lib = comin.get_include(), comin.get_library_dir()
    return {
        "cflags": f"-I{inc}",
        "libs": f"-L{lib} -lcomin -Wl,-rpath,{lib}",
        "fflags": f"-I{os.path.join(inc, 'fortran')}",
        "flibs": f"-L{lib} -lcomin_fortran -lcomin -Wl,-rpath,{lib}",
        "fsources": " ".join(fortran_sources()),
        "includedir": inc,
        "libdir": lib,
        "version": ".".join(str(v) for v in comin.setup_get_version()),
    }


def fortran_built() -> bool:
    """Whether the package has its Fortran modules and ``libcomin_fortran.so``."""
    import comin
    return os.path.exists(os.path.join(comin.get_library_dir(), "libcomin_fortran.so"))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="comin-config",
        description="Flags to build C and Fortran plugins against comin's libcomin.")
    names = ("cflags", "libs", "fflags", "flibs", "fsources", "includedir", "libdir", "version")
    helps = {"cflags": "compiler flags (the include directory of comin.h)",
             "libs": "linker flags (-L, -lcomin and an rpath)",
             "fflags": "Fortran compiler flags (the directory of the .mod files of "
                       "comin_plugin_interface, built with gfortran)",
             "flibs": "Fortran linker flags (-lcomin_fortran -lcomin and an rpath)",
             "fsources": "the Fortran API sources in compile order (for other compilers)",
             "includedir": "directory of comin.h", "libdir": "directory of libcomin.so",
             "version": "the ComIn interface version implemented (0.3.0)"}
    for name in names:
        parser.add_argument(f"--{name}", dest="wanted", action="append_const", const=name,
                            help=helps[name])
    args = parser.parse_args(argv)
    if not args.wanted:
        parser.print_usage(sys.stderr)
        return 2
    if {"fflags", "flibs"} & set(args.wanted) and not fortran_built():
        print("comin-config: comin was built without a Fortran compiler: no Fortran modules "
              "and no libcomin_fortran.so; compile $(comin-config --fsources) with your "
              "plugin and link $(comin-config --libs)", file=sys.stderr)
        return 1
    found = values()
    print(" ".join(found[name] for name in args.wanted))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``comin-config``: compiler and linker flags for C plugins (like ``pkg-config``).

    gcc -shared -fPIC $(comin-config --cflags) plugin.c $(comin-config --libs) -o libplugin.so

``--libs`` adds an rpath to the package's ``lib`` directory, so the plugin
finds ``libcomin.so`` wherever comin is installed.  Several options print
their values on one line, in the order given.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _values():
    import comin
    inc, lib = comin.get_include(), comin.get_library_dir()
    return {
        "cflags": f"-I{inc}",
        "libs": f"-L{lib} -lcomin -Wl,-rpath,{lib}",
        "includedir": inc,
        "libdir": lib,
        "version": ".".join(str(v) for v in comin.setup_get_version()),
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="comin-config", description="Flags to build C plugins against comin's libcomin.")
    names = ("cflags", "libs", "includedir", "libdir", "version")
    helps = {"cflags": "compiler flags (the include directory of comin.h)",
             "libs": "linker flags (-L, -lcomin and an rpath)",
             "includedir": "directory of comin.h", "libdir": "directory of libcomin.so",
             "version": "the ComIn interface version implemented (0.3.0)"}
    for name in names:
        parser.add_argument(f"--{name}", dest="wanted", action="append_const", const=name,
                            help=helps[name])
    args = parser.parse_args(argv)
    if not args.wanted:
        parser.print_usage(sys.stderr)
        return 2
    values = _values()
    print(" ".join(values[name] for name in args.wanted))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the Cython core of comin and libcomin.

The constants table (``comin/_table.py``) and the C API as data
(``comin/_capi.py``) are turned into ``comin/_constants.pxi``, the C headers,
``comin/src/libcomin.c`` and the Cython parts of the C API first (see
``comin/_codegen.py``); then Cython compiles ``comin/_core.pyx`` with its
``.pxi`` parts, and a custom step builds ``comin/lib/libcomin.so`` (a plain
shared library with the ComIn C ABI that C/Fortran plugins link with
``-lcomin``) with the same compiler.  When a Fortran compiler is found (``$FC``,
else ``gfortran``), the Fortran modules of ``fortran_api/`` are compiled into
``comin/lib/libcomin_fortran.so`` with their ``.mod`` files in
``comin/include/fortran/``; without one the step is skipped with a warning.  The
``.F90`` sources are copied to ``comin/fortran/`` either way, so plugins built with
another compiler can compile them (``comin-config --fsources``).
"""
import glob
import os
import runpy
import shutil
import subprocess
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
runpy.run_path(os.path.join(HERE, "comin", "_codegen.py"))["write_all"]()

LIBCOMIN_SOURCES = ["comin/src/libcomin.c", "comin/src/comin_guard.c", "comin/src/comin_embed.c"]


def _libpython() -> str:
    """The shared libpython a C/Fortran host's libcomin embeds ("" when Python is static)."""
    import sysconfig
    name = sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY") or ""
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    path = os.path.join(libdir, name)
    return path if ".so" in name and os.path.exists(path) else ""


def _python_exe() -> str:
    """The interpreter an embedded Python takes as its program name (so its prefix and
    site-packages are this build's, not those of whichever ``python3`` comes first on
    PATH: Open MPI's ``mpiexec`` puts its own bin directory, often /usr/bin, first)."""
    import sys
    exe = sys.executable or ""
    return exe if '"' not in exe and "\\" not in exe else ""


#: Fortran modules in dependency order; further fortran_api/*.F90 files follow alphabetically
FORTRAN_FIRST = ["comin_constants.F90", "comin_descrdata_types.F90", "comin_plugin_interface.F90"]


def fortran_sources():
    """The Fortran API sources of ``fortran_api/``, in an order that compiles."""
    others = sorted(os.path.basename(p) for p in glob.glob(os.path.join(HERE, "fortran_api", "*.F90"))
                    if os.path.basename(p) not in FORTRAN_FIRST)
    return [os.path.join(HERE, "fortran_api", f) for f in FORTRAN_FIRST + others]


class build_ext_with_libcomin(build_ext):
    """build_ext, then ``comin/lib/libcomin.so`` next to the built core."""

    def run(self):
        super().run()
        self.build_libcomin()
        self.build_fortran()

    def build_libcomin(self):
        core = self.get_ext_fullpath("comin._core")
        libdir = os.path.join(os.path.dirname(os.path.abspath(core)), "lib")
        os.makedirs(libdir, exist_ok=True)
        target = os.path.join(libdir, "libcomin.so")
        deps = LIBCOMIN_SOURCES + glob.glob("comin/include/*.h") + glob.glob("comin/src/*.h")
        if not self.force and os.path.exists(target) and all(
                os.path.getmtime(d) <= os.path.getmtime(target) for d in deps):
            return
        objects = self.compiler.compile(
            LIBCOMIN_SOURCES, output_dir=os.path.join(self.build_temp, "libcomin"),
            include_dirs=["comin/include", "comin/src"], extra_postargs=["-fPIC", "-O2"],
            macros=[("COMIN_LIBPYTHON", '"%s"' % _libpython()),
                    ("COMIN_PYTHON_EXE", '"%s"' % _python_exe())])
        self.compiler.link_shared_object(
            objects, target, extra_postargs=["-Wl,-soname,libcomin.so", "-ldl"])

    def build_fortran(self):
        """``lib/libcomin_fortran.so`` + ``include/fortran/*.mod``, and the sources in ``fortran/``."""
        pkg = os.path.dirname(os.path.abspath(self.get_ext_fullpath("comin._core")))
        sources = fortran_sources()
        srcdir = os.path.join(pkg, "fortran")
        os.makedirs(srcdir, exist_ok=True)
        for src in sources + glob.glob(os.path.join(HERE, "fortran_api", "*.inc")):
            shutil.copy2(src, os.path.join(srcdir, os.path.basename(src)))
        with open(os.path.join(srcdir, "ORDER"), "w") as f:
            f.write("\n".join(os.path.basename(s) for s in sources) + "\n")
        fc = os.environ.get("FC") or shutil.which("gfortran")
        if not fc or not shutil.which(fc):
            sys.stderr.write("WARNING: comin: no Fortran compiler ($FC or gfortran): "
                             "libcomin_fortran.so and the Fortran .mod files are not built; "
                             "Fortran plugins can compile comin/fortran/*.F90 themselves "
                             "(comin-config --fsources)\n")
            return
        libdir = os.path.join(pkg, "lib")
        target = os.path.join(libdir, "libcomin_fortran.so")
        moddir = os.path.join(pkg, "include", "fortran")
        os.makedirs(moddir, exist_ok=True)
        deps = sources + [os.path.join(libdir, "libcomin.so")]
        if not self.force and os.path.exists(target) and all(
                os.path.getmtime(d) <= os.path.getmtime(target) for d in deps):
            return
        cmd = [fc, "-O2", "-fPIC", "-shared", "-J", moddir, "-I", moddir, *sources,
               "-L", libdir, "-lcomin", "-Wl,-rpath,$ORIGIN", "-Wl,-soname,libcomin_fortran.so",
               "-o", target]
        print(" ".join(cmd))
        subprocess.run(cmd, check=True)


extensions = [
    Extension(
        "comin._core",
        ["comin/_core.pyx"],
        # comin_internal.h (the dispatch state shared with libcomin) and the generated headers
        include_dirs=[numpy.get_include(), "comin/src", "comin/include"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    # the emulator host's inner loops (transport, column physics) on its own arrays
    Extension("comin.hosts.emulator._kernels", ["comin/hosts/emulator/_kernels.pyx"],
              extra_compile_args=["-O3"]),
    # the telemetry plugin's one-pass reductions (optional for the plugin: it falls back
    # to NumPy where this is not built)
    Extension("comin.plugins.telemetry._fused", ["comin/plugins/telemetry/_fused.pyx"]),
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3},
        include_path=["comin"],
    ),
    cmdclass={"build_ext": build_ext_with_libcomin},
)

"""Build the Cython core of comin and libcomin.

The constants table (``comin/_table.py``) and the C API as data
(``comin/_capi.py``) are turned into ``comin/_constants.pxi``, the C headers,
``comin/src/libcomin.c`` and the Cython parts of the C API first (see
``comin/_codegen.py``); then Cython compiles ``comin/_core.pyx`` with its
``.pxi`` parts, and a custom step builds ``comin/lib/libcomin.so`` (a plain
shared library with the ComIn C ABI that C/Fortran plugins link with
``-lcomin``) with the same compiler.
"""
import glob
import os
import runpy

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
    return path if name.endswith(tuple(".so" + s for s in ("", ".1", ".1.0"))) and os.path.exists(path) else ""


class build_ext_with_libcomin(build_ext):
    """build_ext, then ``comin/lib/libcomin.so`` next to the built core."""

    def run(self):
        super().run()
        self.build_libcomin()

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
            macros=[("COMIN_LIBPYTHON", '"%s"' % _libpython())])
        self.compiler.link_shared_object(
            objects, target, extra_postargs=["-Wl,-soname,libcomin.so", "-ldl"])


extensions = [
    Extension(
        "comin._core",
        ["comin/_core.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3},
        include_path=["comin"],
    ),
    cmdclass={"build_ext": build_ext_with_libcomin},
)

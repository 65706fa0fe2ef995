"""Build the Cython core of comin.

The constants table (``comin/_table.py``) is turned into
``comin/_constants.pxi`` first (see ``comin/_codegen.py``); then Cython
compiles ``comin/_core.pyx`` with its ``.pxi`` parts.
"""
import os
import runpy

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
runpy.run_path(os.path.join(HERE, "comin", "_codegen.py"))["write_all"]()

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
)

#!/usr/bin/env bash
# Install what comin needs on a fresh Debian machine, then comin itself (editable).
#
#   system: MPICH (C and Fortran, one libmpich for every language), gfortran,
#           and for the tests CMake, pkg-config and valgrind
#   Python: mpi4py built from source against that MPICH (pip caches the wheel),
#           Cython/numpy for the build, pytest/hypothesis/pytest-mpi/pytest-timeout for the tests
#           (mypy: the test that type checkers see the constants of the generated stub)
#
# Safe to run again: every step is skipped when it is already done.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
cd "$(dirname "$0")/.."

say() { printf '[install] %s\n' "$*" >&2; }

need_apt=()
command -v mpicc >/dev/null 2>&1 || need_apt+=(mpich libmpich-dev)
command -v gfortran >/dev/null 2>&1 || need_apt+=(gfortran)
# the C plugin tests build with CMake and pkg-config and run under valgrind
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { say "need root (or sudo) to apt-get install ${need_apt[*]}"; exit 1; }
        SUDO=sudo
    fi
    say "apt-get install ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! $PY -c "from mpi4py import MPI; assert 'MPICH' in MPI.Get_library_version()" >/dev/null 2>&1; then
    say "building mpi4py against MPICH (a few minutes the first time; pip caches the wheel)"
    $PY -m pip install -q --no-binary=mpi4py --force-reinstall --no-deps mpi4py
fi

say "installing build and test requirements"
$PY -m pip install -q "setuptools>=64" wheel "Cython>=3.0" "numpy>=1.23" "pytest>=7" "hypothesis>=6" pytest-mpi pytest-timeout "icon-grid-generator==0.9.0" scipy netCDF4 tqdm f90nml matplotlib "sphinx>=7" mypy

say "building comin (pip install -e .)"
$PY -m pip install -q --no-build-isolation --no-deps -e .
say "done"

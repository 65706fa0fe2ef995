#!/usr/bin/env bash
# Install what comin needs on a fresh Debian machine, then comin itself (editable).
#
#   system: Open MPI (C, C++ and Fortran wrappers, one libmpi.so.40 for every language and
#           for YAC), selected as the machine's MPI when MPICH is installed too; gfortran;
#           for the tests CMake, pkg-config, valgrind, Prometheus and Chromium
#   Python: mpi4py built from source against that Open MPI (rebuilt when it was built for
#           another MPI; never a cached wheel), YAC (the coupler ICON's plugins use; its wheel
#           needs Open MPI's libmpi.so.40), Cython/numpy for the build,
#           pytest/hypothesis/pytest-mpi/pytest-timeout for the tests,
#           prometheus_client for the telemetry plugin,
#           mypy (the test that type checkers see the constants of the generated stub)
#
# Safe to run again: every step is skipped when it is already done.
#   PYTHON=...                       the Python to install into (default python3)
#   COMIN_KEEP_MPI_ALTERNATIVES=1    leave Debian's MPI alternatives (mpicc, mpirun, libmpi.so)
#                                    as they are; then put Open MPI's wrappers first on PATH
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
cd "$(dirname "$0")/.."

say() { printf '[install] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi
need_root() {
    if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
        say "need root (or sudo) to $*"; exit 1
    fi
}

need_apt=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libopenmpi-dev openmpi-bin; do
    installed "$pkg" || need_apt+=("$pkg")
done
command -v gfortran >/dev/null 2>&1 || need_apt+=(gfortran)
# the C plugin tests build with CMake and pkg-config and run under valgrind
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
# the telemetry plugin's tests scrape it with a real Prometheus server and open its live
# page in headless Chromium (without their recommends: no node exporter daemon, no extras)
need_apt_lean=()
command -v prometheus >/dev/null 2>&1 || need_apt_lean+=(prometheus)
command -v chromium >/dev/null 2>&1 || need_apt_lean+=(chromium)
command -v openssl >/dev/null 2>&1 || need_apt_lean+=(openssl)      # its TLS test's certificate
if [ $((${#need_apt[@]} + ${#need_apt_lean[@]})) -gt 0 ]; then
    need_root "apt-get install ${need_apt[*]} ${need_apt_lean[*]}"
    say "apt-get install ${need_apt[*]} ${need_apt_lean[*]}"
    $SUDO apt-get update -qq
    if [ ${#need_apt[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
    fi
    if [ ${#need_apt_lean[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            "${need_apt_lean[@]}" >/dev/null
    fi
fi

# One MPI for the whole machine: with MPICH installed too, Debian's alternatives may point
# mpicc/mpif90, mpirun/mpiexec and the libmpi.so/mpi.h links at MPICH (a Fortran program
# built with mpif90.openmpi would then link MPICH's libmpi.so).  Select Open MPI for each.
if [ "${COMIN_KEEP_MPI_ALTERNATIVES:-0}" != 1 ] && command -v update-alternatives >/dev/null 2>&1; then
    for name in mpi mpirun "mpi-$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"; do
        want=$(update-alternatives --list "$name" 2>/dev/null | grep -m1 openmpi || true)
        [ -n "$want" ] || continue
        now=$(update-alternatives --query "$name" 2>/dev/null | sed -n 's/^Value: //p')
        if [ "$now" != "$want" ]; then
            need_root "update-alternatives --set $name $want"
            say "update-alternatives --set $name $want"
            $SUDO update-alternatives --set "$name" "$want" >/dev/null
        fi
    done
fi

PY=${PYTHON:-python3}
MPICC_OMPI=$(command -v mpicc.openmpi || command -v mpicc)
if ! $PY -c "import mpi4py; mpi4py.rc.initialize = False
from mpi4py import MPI; assert MPI.Get_library_version().startswith('Open MPI')" >/dev/null 2>&1; then
    # --no-cache-dir: a wheel pip cached on this machine may have been built for MPICH
    say "building mpi4py against Open MPI ($MPICC_OMPI; about 3 minutes)"
    MPICC=$MPICC_OMPI $PY -m pip install -q --no-binary=mpi4py --no-cache-dir --force-reinstall \
        --no-deps mpi4py
fi

say "installing build and test requirements, and YAC"
$PY -m pip install -q "setuptools>=64" wheel "Cython>=3.0" "numpy>=1.23" "pytest>=7" "hypothesis>=6" pytest-mpi pytest-timeout "icon-grid-generator==0.9.0" scipy netCDF4 tqdm f90nml matplotlib "sphinx>=7" "prometheus_client>=0.17" "yac==3.21.0" mypy

say "building comin (pip install -e .)"
$PY -m pip install -q --no-build-isolation --no-deps -e .
say "done"

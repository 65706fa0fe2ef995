#!/usr/bin/env bash
# Install the icon4py host of comin: a virtual environment with Python >= 3.12 holding
# icon4py 0.4.1, icon4py-driver 0.4.1, icon-grid-generator 0.9.0 and comin itself
# (`comin[icon4py]`, built for that Python), so that `comin run --host icon4py` can hand
# over to it.  comin's main Python is not touched.
#
#   bash tools/install_icon4py.sh [--precompile]
#
#   venv:    $COMIN_ICON4PY_VENV, else ${XDG_CACHE_HOME:-~/.cache}/comin/icon4py-venv
#   Python:  $COMIN_ICON4PY_PYTHON, else pyenv's newest 3.13.x, else 3.12.x, else
#            python3.13 / python3.12 on PATH.  3.13 is preferred: icon4py's moist
#            physics (muphys) hits CPython 3.12's C recursion limit while gt4py
#            generates its code; the dry dynamical core runs on both.
#   system:  libboost-dev and g++ (gt4py's gtfn backend compiles C++ with GridTools),
#            Open MPI (the venv's mpi4py is built from source against it, as tools/install.sh
#            builds comin's main Python's: rebuilt when it was built for another MPI)
#   gt4py:   compiled programs persist in $COMIN_GT4PY_CACHE_DIR, else
#            ${XDG_CACHE_HOME:-~/.cache}/comin/gt4py; --precompile fills it for the
#            default configuration (R2B2, 35 levels: ~20 min on two cores).
#
# Safe to run again: what is done is skipped; comin is rebuilt when its sources changed.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
REPO="$(cd "$(dirname "$0")/.." && pwd)"
CACHE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}"
VENV="${COMIN_ICON4PY_VENV:-$CACHE_HOME/comin/icon4py-venv}"
PRECOMPILE=0
for arg in "$@"; do
    case "$arg" in
        --precompile) PRECOMPILE=1 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "install_icon4py: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

say() { printf '[install_icon4py] %s\n' "$*" >&2; }
T0=$(date +%s)
elapsed() { local s=$(( $(date +%s) - T0 )); printf '%dm%02ds' $(( s / 60 )) $(( s % 60 )); }

# -- a Python >= 3.12 ---------------------------------------------------------------------
find_python() {
    if [ -n "${COMIN_ICON4PY_PYTHON:-}" ]; then echo "$COMIN_ICON4PY_PYTHON"; return; fi
    local root
    root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
    for minor in 13 12; do
        local found
        found="$(ls -d "$root"/versions/3."$minor".*/bin/python3 2>/dev/null | sort -V | tail -1 || true)"
        if [ -n "$found" ]; then echo "$found"; return; fi
    done
    for cmd in python3.13 python3.12; do
        if command -v "$cmd" >/dev/null 2>&1; then command -v "$cmd"; return; fi
    done
}
PY="$(find_python)"
if [ -z "$PY" ] || ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    say "icon4py needs Python >= 3.12 and none was found (pyenv versions 3.13.x/3.12.x, python3.13," \
        "python3.12); set COMIN_ICON4PY_PYTHON=/path/to/python3.13"
    exit 1
fi

# -- system packages -------------------------------------------------------------------------
need_apt=()
[ -f /usr/include/boost/version.hpp ] || need_apt+=(libboost-dev)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libopenmpi-dev openmpi-bin; do
    installed "$pkg" || need_apt+=("$pkg")
done
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

# -- the virtual environment ------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $("$PY" -V 2>&1) ($PY)"
    mkdir -p "$(dirname "$VENV")"
    "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
vpip() { (cd / && "$VPY" -m pip "$@"); }

# mpi4py from source against the machine's Open MPI, as tools/install.sh builds it for comin's
# main Python (--no-cache-dir: a wheel pip cached on this machine may be built for MPICH)
MPICC_OMPI=$(command -v mpicc.openmpi || command -v mpicc)
if ! (cd / && "$VPY" -c "import mpi4py; mpi4py.rc.initialize = False
from mpi4py import MPI; assert MPI.Get_library_version().startswith('Open MPI')") >/dev/null 2>&1; then
    say "building mpi4py against Open MPI ($MPICC_OMPI) for $("$VPY" -V 2>&1) (about 3 minutes)"
    MPICC=$MPICC_OMPI vpip install -q --no-binary=mpi4py --no-cache-dir --force-reinstall --no-deps mpi4py
fi

# comin[icon4py] (icon4py 0.4.1, icon4py-driver 0.4.1, icon-grid-generator 0.9.0) with comin
# built for the environment's Python (not editable: the checkout keeps comin's main build);
# comin is rebuilt when its sources differ from the installed ones
digest() { (cd / && "$VPY" -c "import runpy, sys; env = runpy.run_path(sys.argv[1]); print(env['source_digest'](sys.argv[2]))" \
    "$REPO/comin/hosts/icon4py/environment.py" "$REPO/comin"); }
WANT="$(digest)"
STAMP="$VENV/comin-source.sha256"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ] || ! (cd / && "$VPY" -c "import comin.hosts.icon4py, icon4py.model.driver") >/dev/null 2>&1; then
    say "installing comin[icon4py] and the test tools into $VENV ($(elapsed))"
    rm -f "$STAMP"
    vpip uninstall -q -y comin >/dev/null 2>&1 || true
    vpip install -q "$REPO[icon4py]" "pytest>=7" pytest-timeout matplotlib
    echo "$WANT" > "$STAMP"
fi
# a light check (icon4py's driver module itself takes ~20 CPU-seconds to import: gt4py parses
# its stencils; every run imports it anyway)
(cd / && "$VPY" -c "import comin, comin.hosts.icon4py.environment as e, icon4py.model.driver; print('comin', comin.__version__, 'in', e.venv_dir())") >&2

if [ "$PRECOMPILE" = 1 ]; then
    say "compiling icon4py's programs for R2B2 with 35 levels (~20 min on two cores the first time)"
    (cd / && "$VPY" -m comin run --host icon4py --steps 1 --no-summary "$REPO/examples/minimal_plugin.py")
fi
say "done in $(elapsed): comin run --host icon4py PLUGIN... now runs in $VENV"

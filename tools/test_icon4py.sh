#!/usr/bin/env bash
# The icon4py stage: install the icon4py host (tools/install_icon4py.sh), run the smallest
# configuration once through the real hand-over from comin's main Python (compiling gt4py's
# programs the first time: ~20 min on two cores, then cached), then the icon4py tests in the
# icon4py virtual environment:
#
#   bash tools/test_icon4py.sh [pytest options]
#
# The tests run with the environment's own pytest (not `python -m pytest`, which would put
# the checkout, whose comin is built for the main Python, first on sys.path).
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
cd "$(dirname "$0")/.."
REPO="$PWD"
VENV="${COMIN_ICON4PY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/comin/icon4py-venv}"
say() { printf '[test_icon4py] %s\n' "$*" >&2; }
T0=$(date +%s)
stamp() { local s=$(( $(date +%s) - T0 )); printf '%dm%02ds' $(( s / 60 )) $(( s % 60 )); }

bash tools/install_icon4py.sh
say "installed ($(stamp))"

# the user's path: comin's main Python hands over to the environment (compiles if cold)
MAIN_PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$MAIN_PY" -m comin run --host icon4py \
    --steps 1 "$REPO/examples/minimal_plugin.py")
say "first run through the hand-over done ($(stamp))"

"$VENV/bin/pytest" -p no:cacheprovider -m icon4py tests/icon4py_host "$@"
say "done ($(stamp))"

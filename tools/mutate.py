#!/usr/bin/env python
"""Seeded faults: show that the conformance suite catches deliberate bugs in the core.

For each fault, a copy of the committed tree (``git archive HEAD``) gets one
small change in a core source, is built in place, and ``pytest conformance``
runs against it.  A fault is *detected* when the suite fails.  The unmodified
copy must pass.  Prints the fault-detection table; exit status 1 if a fault
went undetected or the baseline failed.

    python tools/mutate.py [--only NAME ...]

Each build takes ~30 s on a 2-core machine; the whole table a few minutes.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: (name, file, original text, faulty text)
FAULTS = [
    ("wrong error code (32 -> 24 for an unknown variable)", "comin/_variables.pxi",
     "raise _err(COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND,",
     "raise _err(COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED,"),
    ("off-by-one in blocking (get_block)", "comin/_descrdata.pxi",
     "cdef int b = (aj - 1) // nproma + 1 if aj > 0 else 1",
     "cdef int b = aj // nproma + 1 if aj > 0 else 1"),
    ("flag not checked (SYNC_HALO on a container)", "comin/_variables.pxi",
     "        if v.lcontainer:\n            raise _err(COMIN_ERROR_VAR_GET_CONTAINER_CAN_NOT_HALO_SYNCHRONIZED,",
     "        if False:\n            raise _err(COMIN_ERROR_VAR_GET_CONTAINER_CAN_NOT_HALO_SYNCHRONIZED,"),
    ("callback order swapped", "comin/_callbacks.pxi",
     "        st.ep_callbacks[ep] = tuple(per_ep[ep])",
     "        st.ep_callbacks[ep] = tuple(reversed(per_ep[ep]))"),
    ("metadata default changed (datatype)", "comin/_variables.pxi",
     '        v.metadata["datatype"] = v.datatype',
     '        v.metadata["datatype"] = v.datatype + 1'),
    ("exclusive request not enforced", "comin/_variables.pxi",
     "                if r.lmodexclusive:",
     "                if False:"),
    ("last flag wins instead of the first", "comin/_variables.pxi",
     "        if any(entry[0] is v for entry in acc):\n            continue",
     "        acc[:] = [entry for entry in acc if entry[0] is not v]"),
]


def _copy_tree(dest: str) -> None:
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)


def _run_case(fault) -> tuple:
    with tempfile.TemporaryDirectory(prefix="comin-mutant-") as tmp:
        _copy_tree(tmp)
        if fault is not None:
            _name, rel, old, new = fault
            path = os.path.join(tmp, rel)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if old not in text:
                return ("stale", f"pattern not found in {rel}")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new, 1))
        build = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace", "-q"], cwd=tmp,
                               capture_output=True, text=True)
        if build.returncode != 0:
            return ("build failed", build.stderr[-500:])
        env = dict(os.environ, PYTHONPATH=tmp, HYPOTHESIS_PROFILE="ci")
        test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                               "conformance"], cwd=tmp, env=env, capture_output=True, text=True)
        last = [l for l in test.stdout.splitlines() if l.strip()][-1:] or [""]
        return ("failed" if test.returncode else "passed", last[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="WORD",
                        help="run only the faults whose name contains one of these words")
    args = parser.parse_args(argv)
    faults = [f for f in FAULTS if not args.only or any(w in f[0] for w in args.only)]
    t0 = time.perf_counter()
    status, detail = _run_case(None)
    print(f"{'baseline (no fault)':<55} suite {status:<8} {detail}", flush=True)
    bad = status != "passed"
    for fault in faults:
        status, detail = _run_case(fault)
        detected = status == "failed"
        bad |= not detected
        print(f"{fault[0]:<55} {'DETECTED' if detected else 'MISSED':<8} {status}: {detail}", flush=True)
    print(f"{len(faults)} faults in {time.perf_counter() - t0:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

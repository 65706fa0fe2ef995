"""Run ``pytest conformance`` with fresh hypothesis seeds and check that the verdict
does not depend on the seed (issue 19: "run it 20 times with fresh seeds").

Each run gets a random seed (printed, so a failing one can be replayed with
``pytest conformance --hypothesis-seed=SEED``); the tool prints per run the seed, the
verdict, the counts pytest reports and the wall time, then a summary line.  Exit status
1 if any run failed.

    python tools/seeds.py [--runs 20] [--profile ci|thorough] [-- PYTEST_ARGS ...]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_COUNTS = re.compile(r"(\d+) (passed|failed|skipped|error|errors|xfailed)")


def run_once(seed: int, profile: str, extra: list) -> tuple:
    """(exit status, {outcome: count}, seconds, the first failing test or '')."""
    env = dict(os.environ, HYPOTHESIS_PROFILE=profile)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"--hypothesis-seed={seed}", "conformance", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    counts = {k: int(n) for n, k in _COUNTS.findall(lines[-1] if lines else "")}
    failed = next((l.split(" ", 1)[1] for l in lines if l.startswith(("FAILED ", "ERROR "))), "")
    return proc.returncode, counts, dt, failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="how many seeds (default 20)")
    parser.add_argument("--profile", default="ci", help="hypothesis profile (default ci)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)
    rng = random.SystemRandom()
    verdicts = []
    for i in range(1, args.runs + 1):
        seed = rng.randrange(2 ** 32)
        rc, counts, dt, failed = run_once(seed, args.profile, args.pytest_args)
        verdicts.append(rc)
        summary = ", ".join(f"{n} {k}" for k, n in counts.items())
        print(f"[{i:2d}/{args.runs}] seed {seed:10d}: {'pass' if rc == 0 else 'FAIL'} ({summary}) "
              f"in {dt:.1f} s {failed}", flush=True)
    bad = sum(1 for rc in verdicts if rc != 0)
    print(f"{args.runs - bad} of {args.runs} runs passed with fresh seeds (profile {args.profile})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

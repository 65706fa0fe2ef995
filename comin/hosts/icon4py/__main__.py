"""``python -m comin.hosts.icon4py run [options] PLUGIN...``: what ``comin run --host icon4py``
runs in the icon4py virtual environment (the hand-over target)."""
import sys

from comin.hosts.icon4py.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["run"]:
        args = args[1:]
    sys.exit(main(args))

"""The command line of comin: ``comin run|replay|doctor`` and ``comin-config``."""
from comin.cli.run import main

__all__ = ["main"]

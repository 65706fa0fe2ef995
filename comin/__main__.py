"""``python -m comin``: the ``comin`` command (:mod:`comin.cli`)."""
import sys

from comin.cli import main
from comin.cli.output import summary_table  # noqa: F401  (first home of these names)
from comin.parallel import world_rank as mpi_rank  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())

"""The smallest useful comin plugin: watch one field while the model runs.

Shows the three steps of every plugin:

1. the script's top level (ComIn's primary constructor) reads the plugin's
   options and registers callbacks;
2. the secondary constructor asks the host for a handle on a variable
   (``comin.var_get``), saying at which entry point it will read it;
3. a callback in the time loop reads the field (a NumPy view of the host's
   memory) and prints something with ``comin.print_info``.

Run it::

    python -m comin run "examples/minimal_plugin.py" --grid R2B1 --nlev 4 --steps 3
    python -m comin run "examples/minimal_plugin.py --var pres_sfc" --grid R2B0 --steps 2

Options: ``--var NAME`` (default ``temp``), any cell variable of domain 1.
It prints, at the end of every time step, the minimum, mean and maximum of
the variable over the real cells of domain 1 (all levels)::

    INFO(minimal_plugin): 2026-01-01T00:10:00.000 temp: min 216.350, mean 236.150, max 273.172 K
"""
import argparse

import numpy as np

import comin

parser = argparse.ArgumentParser(prog="minimal_plugin", description=__doc__.splitlines()[0])
parser.add_argument("--var", default="temp", help="cell variable to watch (default: %(default)s)")
opts = parser.parse_args(comin.current_get_plugin_info().args)


@comin.EP_SECONDARY_CONSTRUCTOR
def get_handle():
    global field, units, is_2d, ncells
    field = comin.var_get([comin.EP_ATM_TIMELOOP_END], (opts.var, 1), comin.COMIN_FLAG_READ)
    units = comin.metadata_get((opts.var, 1), "units")
    is_2d = comin.metadata_get((opts.var, 1), "zaxis_id") == comin.COMIN_ZAXIS_2D
    ncells = comin.descrdata_get_domain(1).cells.ncells


@comin.EP_ATM_TIMELOOP_END
def report():
    values = field.to_3d                         # (nproma, nlev, nblks), Fortran order
    if is_2d:                                    # 2-D fields come as (nproma, nblks, 1)
        values = values[:, None, :, 0]
    nproma, nlev, nblks = values.shape
    # the real cells: unblocked index j = jb * nproma + jc, the last block is padded
    cells = np.moveaxis(values, 1, 2).reshape(nproma * nblks, nlev, order="F")[:ncells]
    comin.print_info(f"{comin.current_get_datetime()} {opts.var}: min {cells.min():.3f}, "
                     f"mean {cells.mean():.3f}, max {cells.max():.3f} {units}")

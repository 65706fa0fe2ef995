"""A diagnostic: column-integrated water, as a 2-D variable of the plugin's own.

Shows how a plugin

* requests a new 2-D variable on every domain (``var_request_add`` and
  ``metadata_set`` with ``zaxis_id=COMIN_ZAXIS_2D``, ``units``,
  ``long_name``): the host allocates it (and would write it to its output
  files), the plugin fills it;
* reads the density ``rho`` and tracers of the host's tracer container
  (``qv``, ``qc``, ``qi``, ``qr``, ``qs``) and the half-level heights ``hhl`` of
  the descriptive data;
* computes, at every output time, the mass of water in each column,
  ``tqw = sum over levels of rho * (qv + qc + qi + qr + qs) * dz`` [kg m-2]
  with ``dz = hhl(k) - hhl(k+1)``, and prints its area-weighted mean over
  the domain (for domain 1, the global mean).

Run it::

    python -m comin run "examples/column_water.py" --grid R2B4 --steps 3
    python -m comin run "examples/column_water.py --tracers qv --name tqv_plugin" --grid R2B2 --nest

Options: ``--name`` (of the variable, default ``tqw_plugin``), ``--tracers``
(comma-separated, default ``qv,qc,qi,qr,qs``).

It prints, per output time and domain::

    INFO(column_water): 2026-01-01T00:10:00.000 domain 1: tqw_plugin (qv+qc+qi+qr+qs) mean 29.1434 kg m-2, min 12.9709, max 43.3122

Each process sums over the cells it owns (``decomp_domain == 0``); with
several MPI processes (``mpiexec -n 4 python3 -m comin run ...``) the mean,
minimum and maximum are then reduced over the host communicator, so they are
the same figures as on one process.
"""
import argparse

import numpy as np

import comin

parser = argparse.ArgumentParser(prog="column_water", description=__doc__.splitlines()[0])
parser.add_argument("--name", default="tqw_plugin", help="name of the diagnostic variable (default: %(default)s)")
parser.add_argument("--tracers", default="qv,qc,qi,qr,qs",
                    help="comma-separated tracers to sum (default: %(default)s)")
opts = parser.parse_args(comin.current_get_plugin_info().args)
TRACERS = [t.strip() for t in opts.tracers.split(",") if t.strip()]

comin.var_request_add((opts.name, -1), False)
comin.metadata_set((opts.name, -1), zaxis_id=comin.COMIN_ZAXIS_2D, units="kg m-2",
                   long_name=f"column integrated water ({'+'.join(TRACERS)}), from a plugin")

glob = comin.descrdata_get_global()
OUTPUT = [comin.EP_ATM_WRITE_OUTPUT_BEFORE]


class Columns:
    """Handles and geometry of one domain."""

    def __init__(self, jg):
        self.jg = jg
        cells = comin.descrdata_get_domain(jg).cells
        hhl = np.asarray(cells.hhl)                                   # (nproma, nlev+1, nblks)
        self.dz = hhl[:, :-1, :] - hhl[:, 1:, :]                      # layer thickness [m]
        area = np.asarray(cells.area)
        real = np.arange(area.size).reshape(area.shape, order="F") < cells.ncells   # not the padding
        self.owned = real & (np.asarray(cells.decomp_domain) == 0)
        self.area = np.where(self.owned, area, 0.0)
        self.rho = comin.var_get(OUTPUT, ("rho", jg), comin.COMIN_FLAG_READ)
        self.q = [comin.var_get(OUTPUT, (t, jg), comin.COMIN_FLAG_READ) for t in TRACERS]
        self.tqw = comin.var_get(OUTPUT, (opts.name, jg), comin.COMIN_FLAG_WRITE)

    def update(self):
        water = sum(h.to_3d for h in self.q)                          # (nproma, nlev, nblks)
        column = np.einsum("ikj,ikj,ikj->ij", self.rho.to_3d, water, self.dz)
        out = self.tqw.to_3d[:, :, 0]                                 # 2-D: (nproma, nblks, 1)
        out[:] = np.where(self.owned, column, 0.0)
        values = column[self.owned]
        sums = np.array([np.sum(column * self.area), np.sum(self.area)])
        low, high = values.min(initial=np.inf), values.max(initial=-np.inf)
        if HOST is not None:                                          # over all processes
            from mpi4py import MPI
            sums = HOST.allreduce(sums)
            low, high = HOST.allreduce(low, op=MPI.MIN), HOST.allreduce(high, op=MPI.MAX)
        comin.print_info(f"{comin.current_get_datetime()} domain {self.jg}: {opts.name} "
                         f"({'+'.join(TRACERS)}) mean {sums[0] / sums[1]:.6g} kg m-2, "
                         f"min {low:.6g}, max {high:.6g}")


domains = {}
HOST = None          # the host communicator (mpi4py) when the host runs on several processes


@comin.EP_SECONDARY_CONSTRUCTOR
def setup():
    global HOST
    from mpi4py import MPI
    comm = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
    HOST = comm if comm.Get_size() > 1 else None
    for jg in range(1, glob.n_dom + 1):
        domains[jg] = Columns(jg)


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def diagnose():
    for dom in domains.values():
        dom.update()

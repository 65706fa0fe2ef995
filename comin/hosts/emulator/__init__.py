"""The built-in emulator host: a scale model of ICON's atmosphere for ComIn plugins.

``comin run`` runs plugins inside it; tests and other tools use
:class:`Emulator` directly::

    from comin.emulator import Config, Emulator
    Emulator(["my_plugin.py --x=1"], Config(grid="R2B4", nest=True, steps=6)).run()

It is an ordinary user of the Python host API (:mod:`comin.host`): nothing in
the core knows it.  Modules:

* :mod:`comin.emulator.config`      model options and their checks
* :mod:`comin.emulator.atmosphere`  the analytic atmosphere (state, winds)
* :mod:`comin.emulator.transport`   conservative tracer transport on the grid
* :mod:`comin.emulator.model`       the host: grids, variables, entry points
* :mod:`comin.emulator.decomp`      decomposition over MPI ranks, halo exchange

Under ``mpirun -n N comin run ...`` each domain is decomposed over the N host
ranks as ICON does it (owned cells plus two halo rows, ``decomp_domain``,
``glb_index``, glb2loc per rank, COMIN_FLAG_SYNC_HALO); the results equal the
single-process run bit for bit.  Processes started beside the host in the
same ``mpirun`` (MPMD) join plugin communicators with
:func:`comin.parallel.join`.
"""
from comin.hosts.emulator.config import Config
from comin.hosts.emulator.model import PHYSICS, Emulator
from comin.hosts.emulator.grids import idx_blk

__all__ = ["Config", "Emulator", "PHYSICS", "idx_blk"]

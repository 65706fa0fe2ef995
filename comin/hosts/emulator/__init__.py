"""The built-in emulator host: a scale model of ICON's atmosphere for ComIn plugins.

``comin run`` runs plugins inside it; tests and other tools use
:class:`Emulator` directly::

    from comin.hosts.emulator import Config, Emulator    # or: from comin.emulator import ...
    Emulator(["my_plugin.py --x=1"], Config(grid="R2B4", nest=True, steps=6)).run()

It is an ordinary user of the Python host API (:mod:`comin.host`): nothing in
the core knows it.  Modules:

* :mod:`.config`      model options and their checks
* :mod:`.atmosphere`  the analytic atmosphere (state, winds)
* :mod:`.transport`   transport of air and tracers (rho-weighted mixing ratios,
  flux form: air and tracer masses kept to round-off)
* :mod:`._kernels`    the compiled inner loops (transport, column physics, the
  fields written each step), on the host's own arrays: production-size runs
  (R2B6, 90 levels) need no field-size scratch
* :mod:`.model`       the host: domains, variables, entry points, lateral
  boundaries (a limited-area domain 1 from the analytic state, one-way nests
  from their parents)
* :mod:`.decomp`      decomposition over MPI ranks (the halo exchange is
  :mod:`comin.icon.halo`, shared with the replay host), the parent's values
  for a nest's boundary across ranks
* :mod:`.grids`       ICON's icosahedral grids, made here or read from ICON
  grid files, and their nests (``comin.grid``)
* :mod:`.cli`         the emulator as ``comin run``'s host (its options)

``comin.emulator`` is this package under its first name.

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

"""ICON's icosahedral grids for the emulator (global grids and nests).

The emulator host (:mod:`comin.hosts.emulator`) gives plugins the descriptive
data ICON gives them: cells, edges and vertices of each domain with ICON's
names, index conventions and nproma blocking.  This package produces that
data from real icosahedral grids, made by the ``icon-grid-generator`` package
(import name ``grid_generator``, pinned to 0.9.0):

* :mod:`.grid`       :class:`Grid`, one domain's horizontal grid in ICON's
  *unblocked*, 1-based form (what an ICON grid file holds);
  :func:`parse_grid_name` checks an ``"RnBk"`` name; ICON's refin_ctrl limits
* :mod:`.generator`  :func:`global_grid`, the generator's global ``RnBk`` grid
* :mod:`.nesting`    :func:`nested_grid`, a limited-area nest one bisection finer
  than a parent grid, and the parent/child links ICON's nesting needs
  (:func:`link_nest`; the generator does not give them)
* :mod:`.cache`      :func:`load_or_make_global` / :func:`load_or_make_nested`
  through an on-disk cache of ``.npz`` files (a large grid shows its progress)
* :mod:`.refin`      ICON's refin_ctrl ordering, and the negative levels a
  parent gives its points over its nests (:func:`order_domains`)
* :mod:`.domains`    :func:`build_domains`: every domain of a run, made here or
  read from grid files, linked by uuid and ordered
* :mod:`.descrdata`  :func:`domain_descrdata`, a :class:`Grid` as the keyword
  arguments of :meth:`comin.host.Host.set_domain` (blocked with
  :mod:`comin.icon.blocking`, whose :func:`block` and :func:`idx_blk` are
  re-exported here)
* :mod:`.netcdf`     :func:`write_grid_netcdf`, an ICON grid file, and
  :func:`read_grid_netcdf` / :func:`read_grid_file`, reading one as ICON does
  (:class:`GridFileError`: one line naming the file and the variable)

``comin.grid`` is this package under its first name.
"""
from comin.hosts.emulator.grids.cache import cache_dir, load_or_make_global, load_or_make_nested
from comin.hosts.emulator.grids.descrdata import domain_descrdata
from comin.hosts.emulator.grids.generator import GENERATOR_PIN, generator_version, global_grid
from comin.hosts.emulator.grids.grid import (EARTH_RADIUS, GRF_BDYWIDTH_C, GRF_BDYWIDTH_E, MAX_CELLS,
                                             MAX_RLCELL, MAX_RLEDGE, MAX_RLVERT, MIN_RLCELL,
                                             MIN_RLCELL_INT, MIN_RLEDGE, MIN_RLEDGE_INT, MIN_RLVERT,
                                             MIN_RLVERT_INT, RL, Grid, parse_grid_name)
from comin.hosts.emulator.grids.nesting import link_nest, nested_grid
from comin.hosts.emulator.grids.netcdf import (GridFileError, read_grid_file, read_grid_netcdf,
                                               write_grid_netcdf)
from comin.icon.blocking import block, idx_blk

__all__ = [
    "EARTH_RADIUS", "MAX_CELLS", "RL", "MIN_RLCELL", "MIN_RLCELL_INT", "MAX_RLCELL",
    "MIN_RLEDGE", "MIN_RLEDGE_INT", "MAX_RLEDGE", "MIN_RLVERT", "MIN_RLVERT_INT", "MAX_RLVERT",
    "GRF_BDYWIDTH_C", "GRF_BDYWIDTH_E", "GENERATOR_PIN",
    "Grid", "parse_grid_name", "global_grid", "nested_grid", "link_nest",
    "cache_dir", "load_or_make_global", "load_or_make_nested",
    "block", "idx_blk", "domain_descrdata", "write_grid_netcdf", "generator_version",
    "read_grid_netcdf", "read_grid_file", "GridFileError",
]

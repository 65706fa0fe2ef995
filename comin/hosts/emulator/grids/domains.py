"""The domains of a run: domain 1 and its nests, from grid names or ICON grid files.

:func:`build_domains` makes or reads every domain's grid and links them as
ICON does (``mo_model_domimp_patches``):

* domain 1 is a global ``RnBk`` grid made here (through the cache) or the grid
  of an ICON grid file, global or limited-area;
* ``nest=True`` adds a nest made here (domain 2, one bisection finer than
  domain 1, around a centre); every nest grid file adds one more domain, in
  the order given;
* a nest file's parent is the domain whose ``uuidOfHGrid`` equals the file's
  ``uuidOfParHGrid`` (for a limited-area grid of icon-grid-generator, whose
  ``uuidOfParHGrid`` names a regional cut, the domain its
  ``construction_parent_uuid`` names); it must come before the nest, have the
  same ``grid_root`` and one ``grid_level`` less;
* the links between a nest and its parent come from the files when both
  have them and they fit each other (``parent_cell_index``/``parent_edge_index``
  of the nest, ``child_cell_index``/``child_edge_index`` of the parent); else
  they are derived from the geometry (:func:`~comin.hosts.emulator.grids.nesting.link_nest`);
* every parent gets ICON's negative refin_ctrl levels over its nests and its
  points are sorted into ICON's order (:mod:`~comin.hosts.emulator.grids.refin`).

A grid file that cannot be used raises
:class:`~comin.hosts.emulator.grids.netcdf.GridFileError` (one line naming the
file and the variable or attribute).
"""
from __future__ import annotations

import dataclasses
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np

from comin.hosts.emulator.grids.grid import GRF_BDYWIDTH_C, Grid


def is_grid_file(name: str) -> bool:
    """Whether a ``--grid``/``--nest`` value names a grid file (it ends in ``.nc``) rather
    than a grid made here (``RnBk``)."""
    return str(name).lower().endswith(".nc")


@dataclasses.dataclass
class Domains:
    """The grids of a run's domains and who is whose parent.

    ``grids[i]`` is domain i+1 (its nests attached, in domain order);
    ``parents[i]`` the 0-based index of its parent (-1: domain 1)."""

    grids: List[Grid]
    parents: List[int]

    def __len__(self) -> int:
        return len(self.grids)

    def children(self, i: int) -> List[int]:
        """0-based indices of domain i+1's nests, in domain (= nest number) order."""
        return [j for j, p in enumerate(self.parents) if p == i]

    def child_domain_ids(self, i: int) -> List[int]:
        """Domain ids of domain i+1's nests, in nest-number order."""
        return [j + 1 for j in self.children(i)]


def _fits(gf, parent: Grid, pfile, n_child_cells: int, n_child_edges: int):
    """The file links of a nest and its parent when they fit each other, else None:
    ``(parent_cell, parent_edge, child_cells, child_edges)``."""
    if pfile is None:
        return None
    pc, pe = gf.parent_cells.astype(np.int64), gf.parent_edges.astype(np.int64)
    if pc.size == 0 or pc.min() < 1 or pc.max() > parent.ncells or \
            pe.size == 0 or pe.min() < 1 or pe.max() > parent.nedges:
        return None
    out = []
    for parent_of, kids_of, n_kids in ((pc, pfile.child_cells, n_child_cells),
                                       (pe, pfile.child_edges, n_child_edges)):
        rows = np.unique(parent_of - 1)
        kids = kids_of[rows]
        listed = np.any(kids_of[parent_of - 1] == np.arange(1, len(parent_of) + 1)[:, None], axis=1)
        inside = (kids >= 0) & (kids <= n_kids)
        if not listed.all() or not inside.all():
            return None
        own = kids > 0
        if not np.all(parent_of[kids[own] - 1] == np.repeat(rows + 1, own.sum(axis=1))):
            return None
        table = np.zeros_like(kids_of)
        table[rows] = kids
        out.append(table)
    return pc.astype(np.int32), pe.astype(np.int32), out[0], out[1]


def build_domains(grid: str, nest: bool = False, nest_center: Tuple[float, float] = (10.0, 50.0),
                  nest_radius: float = 12.0, nest_files: Sequence[str] = (),
                  cache: Optional[str] = None) -> Domains:
    """Every domain's grid, linked and ordered (see the module docstring).

    ``grid``: domain 1, an ``RnBk`` name or a grid file (``*.nc``); ``nest``: add a
    nest made here around ``nest_center`` (lon, lat degrees) with ``nest_radius``
    degrees (domain 2); ``nest_files``: grid files of further nests.
    """
    from comin.hosts.emulator.grids.cache import load_or_make_global, load_or_make_nested
    from comin.hosts.emulator.grids.nesting import attach_nest, link_nest
    from comin.hosts.emulator.grids.netcdf import GridFileError, read_grid_file
    from comin.hosts.emulator.grids.refin import order_domains

    files = []                      # the GridFile of each domain (None: made here)
    if is_grid_file(grid):
        gf = read_grid_file(grid)
        grids, files = [gf.grid], [gf]
    else:
        grids, files = [load_or_make_global(grid, cache)], [None]
    parents = [-1]
    if nest:
        lon, lat = nest_center
        grids[0], child = load_or_make_nested(grids[0], None, lon, lat, nest_radius, cache)
        grids.append(child)
        files.append(None)
        parents.append(0)
    for path in nest_files:
        gf = read_grid_file(path)
        child = gf.grid
        if not child.is_limited_area:
            raise GridFileError(f"{path}: a global grid (every edge has two cells); a nest must be "
                                "a limited-area grid")
        by_uuid = [j for j, g in enumerate(grids) if g.uuid == child.parent_uuid and
                   int(g.uuid.replace("-", ""), 16) != 0]
        by_construction = [j for j, g in enumerate(grids)
                           if gf.construction_parent_uuid and g.uuid == gf.construction_parent_uuid]
        if by_uuid:
            p, trust_links = by_uuid[0], True
        elif by_construction:
            p, trust_links = by_construction[0], False
        else:
            known = ", ".join(f"domain {j + 1}: {g.uuid}" for j, g in enumerate(grids))
            raise GridFileError(f"{path}: attribute uuidOfParHGrid = {child.parent_uuid} matches no "
                                f"domain before this nest ({known}); a nest's parent must come "
                                "first")
        parent = grids[p]
        if child.root != parent.root:
            raise GridFileError(f"{path}: attribute grid_root = {child.root}, its parent (domain "
                                f"{p + 1}) has {parent.root}")
        if child.bisections != parent.bisections + 1:
            raise GridFileError(f"{path}: attribute grid_level = {child.bisections}, expected "
                                f"{parent.bisections + 1} (one more than its parent, domain {p + 1})")
        links = _fits(gf, parent, files[p], child.ncells, child.nedges) if trust_links else None
        if links is None:
            try:
                links = link_nest(parent, child)
            except ValueError as exc:
                raise GridFileError(f"{path}: variable parent_cell_index: the nest cannot be "
                                    f"linked to domain {p + 1}: {exc}") from None
        parent_cell, parent_edge, cc, ce = links
        over = parent.refin_c_ctrl[np.unique(parent_cell) - 1]
        if np.any((over >= 1) & (over <= GRF_BDYWIDTH_C)):
            raise GridFileError(f"{path}: variable parent_cell_index: the nest overlaps the lateral "
                                f"boundary rows 1..{GRF_BDYWIDTH_C} of its parent (domain {p + 1}); "
                                "a nest must lie in its parent's prognostic part")
        child = dataclasses.replace(child, parent_cell=parent_cell, parent_edge=parent_edge,
                                    parent_uuid=parent.uuid)
        try:
            child.validate()
            grids[p] = attach_nest(parent, cc, ce, child.name)
        except ValueError as exc:
            raise GridFileError(f"{path}: {exc}") from None
        grids.append(child)
        files.append(gf)
        parents.append(p)
    return Domains(order_domains(grids, parents), parents)


def grid_file_name(grid: Grid) -> str:
    """A shell-friendly file name for a grid: ``R2B4.nc``, ``R2B5-nest_10_50_12.nc``
    (a grid read from a file keeps that file's name)."""
    if grid.path:
        return os.path.basename(grid.path)
    safe = "".join(c if c.isalnum() or c in "-." else "_" for c in grid.name).strip("_")
    while "__" in safe:
        safe = safe.replace("__", "_")
    return f"{safe}.nc"

"""ICON's three kinds of grid points and their names in ComIn, grid files and code.

A ComIn variable lives on cells, edges or vertices (its metadata ``hgrid_id``);
the descriptive data calls the three groups ``cells``, ``edges`` and ``verts``
(with the counts ``ncells``, ``nedges``, ``nverts``); ICON's grid files call
their dimensions ``cell``, ``edge`` and ``vertex``, with the coordinates
``clon``/``clat``, ``elon``/``elat``, ``vlon``/``vlat``; grid fields carry the
suffixes ``_c``, ``_e`` and ``_v``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

from comin import _table

_C = _table.all_constants()


@dataclass(frozen=True)
class PointKind:
    """One kind of grid point under each of its names."""

    group: str          #: descriptive-data group: "cells", "edges", "verts"
    hgrid_id: int       #: ComIn's COMIN_HGRID_UNSTRUCTURED_CELL/_EDGE/_VERTEX
    count: str          #: descriptive-data count: "ncells", "nedges", "nverts"
    dim: str            #: grid-file dimension: "cell", "edge", "vertex"
    lon: str            #: grid-file longitude: "clon", "elon", "vlon"
    lat: str            #: grid-file latitude: "clat", "elat", "vlat"
    suffix: str         #: suffix of grid fields: "c", "e", "v"

    @property
    def coordinates(self) -> str:
        """The CF ``coordinates`` attribute of a field on these points."""
        return f"{self.lon} {self.lat}"


CELLS = PointKind("cells", _C["COMIN_HGRID_UNSTRUCTURED_CELL"], "ncells", "cell", "clon", "clat", "c")
EDGES = PointKind("edges", _C["COMIN_HGRID_UNSTRUCTURED_EDGE"], "nedges", "edge", "elon", "elat", "e")
VERTS = PointKind("verts", _C["COMIN_HGRID_UNSTRUCTURED_VERTEX"], "nverts", "vertex", "vlon", "vlat",
                  "v")
#: the three kinds in ICON's order
KINDS: Tuple[PointKind, ...] = (CELLS, EDGES, VERTS)
#: the descriptive-data groups in ICON's order: ("cells", "edges", "verts")
GROUPS: Tuple[str, ...] = tuple(k.group for k in KINDS)
BY_GROUP: Dict[str, PointKind] = {k.group: k for k in KINDS}
BY_HGRID: Dict[int, PointKind] = {k.hgrid_id: k for k in KINDS}


def group_of(hgrid_id: int) -> str:
    """The descriptive-data group of a variable's ``hgrid_id`` (cells for any other id, as ICON's
    halo exchange treats it)."""
    return BY_HGRID.get(hgrid_id, CELLS).group

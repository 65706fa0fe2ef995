"""The record & replay file format: what the recorder writes and the replay host reads.

The recorder plugin (:mod:`comin.plugins.recorder`) writes it, the replay
host (:mod:`comin.hosts.replay`) reads it; both take the names, the version
and its check from here.  A file of another format version, or one that is
not a recording, is refused with one line naming the file (:func:`check`).

One NetCDF-4 file per host rank, ``DIR/<rank>.nc`` (:func:`rank_file`), of format
:data:`FORMAT_VERSION`:

* root attributes: ``title``, ``Conventions``, ``comin_format``,
  ``comin_format_version``, ``comin_version`` (ComIn's 3 ints),
  ``comin_package_version``, ``host_comm_rank``/``host_comm_size``, every
  global descriptive-data scalar that the host set (logicals as int8 0/1),
  the simulation interval (``exp_start``, ...), ``datetime_at_start``, the
  selection (``record_vars``, ``record_eps``), ``recording_end`` (the entry
  point that closed the file: EP_DESTRUCTOR, EP_FINISH, or "" when it was
  closed at exit); root variable ``vct_a``;
* the call sequence: ``current_ep``, ``current_domain_id``,
  ``current_datetime`` along the unlimited dimension ``call``, one entry per
  entry-point call from EP_SECONDARY_CONSTRUCTOR on (EP_FINISH included);
* per domain a group ``domain_<jg>``: the domain's descriptive data
  (scalars as attributes, ``timestep_length``, arrays as variables), the
  blocked ComIn arrays exactly as the host gave them in sub-groups
  ``cells``/``edges``/``verts`` (bit for bit; dimensions reversed, as
  NetCDF stores Fortran arrays), an ICON grid-file view of the grid
  (``clon``, ``clat``, ``vlon``, ``vlat``, ``elon``, ``elat`` in radians,
  ``vertex_of_cell``, ``edge_of_cell``, ``neighbor_cell_index``,
  ``adjacent_cell_of_edge``, ``edge_vertices``, ``cells_of_vertex``, ...,
  ``cell_area``, ``refin_c_ctrl``, ... on ICON's dimensions ``cell``,
  ``edge``, ``vertex``, ``nv``, ``ne``, ``nc``, ``no``), and the recorded
  variables along the unlimited dimension ``event`` (``event_call``: the
  index of the call in the call sequence, ``time``: seconds since the
  experiment start).  A field on cells, edges or vertices with ICON's
  (nproma, [level,] block) layout is stored unblocked as
  (event, [height|height_half,] cell|edge|vertex) with ``coordinates``;
  any other layout raw (the 5-D array, dimensions reversed).  Every
  variable carries its CF attributes (``units``, ``standard_name``,
  ``long_name`` when set), every ComIn metadata item as
  ``comin_metadata_<key>`` (logicals as int8, listed in
  ``comin_metadata_logical_keys``), and what rebuilds ICON's array:
  ``comin_name``, ``comin_shape``, ``comin_dim_semantics``,
  ``comin_datatype``, ``comin_lcontainer``, ``comin_ncontained``,
  ``comin_container``, ``comin_layout``, ``comin_exposure_index``.
  Containers are described (no values): replay rebuilds them from their
  recorded members.  Data carry Fletcher-32 checksums, so a damaged file
  gives an error instead of wrong values.

Padding beyond the last real point of the last block is not stored: replay
gives 0 there.
"""
from __future__ import annotations

import os
import re
from typing import Dict, List, Mapping, Tuple

import numpy as np

from comin import _table
from comin.icon import gridfile

#: Version of the file layout; the replay refuses files of another version.
FORMAT_VERSION = 1
#: Value of the ``comin_format`` attribute that marks a recording.
FORMAT_NAME = "comin-recording"
#: How a recorded variable is stored (attribute ``comin_layout``).
LAYOUTS = ("unblocked", "raw", "container")
#: The call sequence: variables along the dimension ``call``.
CALL_VARIABLES = ("current_ep", "current_domain_id", "current_datetime")
#: Names the format uses itself in a domain group (a ComIn variable of such a
#: name is stored as ``<name>_var``; its ``comin_name`` keeps the real one).
RESERVED = frozenset({"event_call", "time", "height", "height_half", "grid_uuid",
                      "number_of_grid_used"}) | frozenset(gridfile.VARIABLES)


class FormatError(ValueError):
    """A file that is not a recording of this format; the message is one line naming it."""


def rank_file(directory: str, rank: int) -> str:
    """Path of the recording of host rank ``rank`` in ``directory``."""
    return os.path.join(directory, f"{rank}.nc")


def recorded_ranks(directory: str) -> List[int]:
    """The host ranks that have a file in ``directory``, sorted."""
    return sorted(int(m.group(1)) for f in os.listdir(directory)
                  if (m := re.fullmatch(r"(\d+)\.nc", f)))


def domain_group(jg: int) -> str:
    """Name of the group of domain ``jg``."""
    return f"domain_{jg}"


def identity(comin_version: Tuple[int, ...], package_version: str) -> Dict[str, object]:
    """The root attributes that mark a file as a recording of this format."""
    return {"comin_format": FORMAT_NAME,
            "comin_format_version": np.int32(FORMAT_VERSION),
            "comin_version": np.array(comin_version, dtype=np.int32),
            "comin_package_version": package_version}


def check(attrs: Mapping[str, object], path: str) -> Tuple[int, ...]:
    """Check a file's root attributes: a recording of this format, by the same major ComIn
    version.  Returns the recorded ComIn version; raises :class:`FormatError` otherwise."""
    if attrs.get("comin_format") != FORMAT_NAME:
        raise FormatError(f"{path}: not a comin recording (a NetCDF file without "
                          f"comin_format = \"{FORMAT_NAME}\")")
    version = int(attrs.get("comin_format_version", -1))
    if version != FORMAT_VERSION:
        raise FormatError(f"{path}: a recording of format version {version}; this comin "
                          f"reads version {FORMAT_VERSION}")
    recorded = tuple(int(x) for x in np.atleast_1d(attrs.get("comin_version", [-1])))
    mine = _table.VERSION
    if not recorded or recorded[0] != mine[0]:
        raise FormatError(f"{path}: recorded with ComIn {'.'.join(map(str, recorded))}, "
                          f"this comin implements ComIn {'.'.join(map(str, mine))} "
                          "(the major versions differ)")
    return recorded

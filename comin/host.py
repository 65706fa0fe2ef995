"""The Python host API of comin.

A host model (the emulator, the replay host, a Python model, a test) drives
plugins through :class:`Host`; plugins are listed as
:class:`PluginDescription` entries (ComIn's ``comin_nml`` plugin list).
See :class:`Host` for the order of calls.
"""
from comin._adapter import PYTHON_ADAPTER, PluginDescription, as_description
from comin._core import ComInError, ComInFinish, Host
from typing import Mapping

import numpy as np

from comin import _table
from comin._table import DEFAULT_METADATA
from comin.icon.points import BY_HGRID

__all__ = ["Host", "PluginDescription", "PYTHON_ADAPTER", "as_description",
           "ComInError", "ComInFinish", "DEFAULT_METADATA", "DTYPES", "default_metadata",
           "requested_array"]


def default_metadata() -> dict:
    """Metadata a host gives every requested variable before the plugin's own (ComIn 0.3)."""
    return dict(DEFAULT_METADATA)


_C = _table.all_constants()
#: NumPy dtype of each ComIn datatype (``COMIN_VAR_DATATYPE_*``), from the table
DTYPES = {_C[name]: np.dtype(t) for name, t in _table.DATATYPE_NUMPY.items()}


def requested_array(name: str, domain_id: int, metadata: Mapping, nproma: int, nlev: int,
                    nblks: Mapping[str, int]) -> np.ndarray:
    """A zeroed array in ICON's layout for a requested variable, as ICON allocates it.

    ``metadata`` is the request's metadata over ComIn's defaults: ``datatype``
    picks the dtype, ``hgrid_id`` the block count (``nblks["cells"|"edges"|
    "verts"]``), ``zaxis_id`` the shape: 2-D ``(nproma, nblks)``, 3-D
    ``(nproma, nlev, nblks)``, half levels ``(nproma, nlev+1, nblks)``
    (Fortran order).  Anything else is a ValueError naming the variable.
    """
    meta = dict(DEFAULT_METADATA)
    meta.update(metadata)
    where = f"variable ({name}, {domain_id})"
    dtype = DTYPES.get(meta["datatype"])
    if dtype is None:
        raise ValueError(f"{where}: unknown datatype {meta['datatype']}")
    kind = BY_HGRID.get(meta["hgrid_id"])
    if kind is None:
        raise ValueError(f"{where}: unknown hgrid_id {meta['hgrid_id']}")
    grid = kind.group
    zaxis = meta["zaxis_id"]
    if zaxis == _C["COMIN_ZAXIS_2D"]:
        shape = (nproma, nblks[grid])
    elif zaxis in (_C["COMIN_ZAXIS_3D"], _C["COMIN_ZAXIS_3D_HALF"]):
        shape = (nproma, nlev + (zaxis == _C["COMIN_ZAXIS_3D_HALF"]), nblks[grid])
    else:
        raise ValueError(f"{where}: unsupported zaxis_id {zaxis}")
    return np.zeros(shape, dtype=dtype, order="F")

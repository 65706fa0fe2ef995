"""comin: the ICON Community Interface (ComIn 0.3) for Python.

Inside a plugin, ``import comin`` gives exactly ComIn's Python API:
entry points (``comin.EP_*``, usable as decorators), ``var_request_add``,
``metadata_set``/``metadata_get``, ``var_get``, descriptive data, the
current state, MPI communicators, printing and ``finish``.  Host models use
:mod:`comin.host`.
"""
from collections.abc import Mapping as _Mapping
from typing import TYPE_CHECKING as _TYPE_CHECKING

from comin import _table
from comin._core import (
    ComInError, ComInFinish, ComInKeyError, DescrData, VarHandle,
    callback_get_ep_name, callback_register, current_get_datetime, current_get_domain_id,
    current_get_ep, current_get_plugin_info, descrdata_get_block, descrdata_get_cell_indices,
    descrdata_get_cell_npromz, descrdata_get_domain, descrdata_get_edge_indices,
    descrdata_get_edge_npromz, descrdata_get_global, descrdata_get_index,
    descrdata_get_simulation_interval, descrdata_get_timesteplength,
    descrdata_get_vert_indices, descrdata_get_vert_npromz,
    descrdata_index_lookup_glb2loc_cell, error_get_message, finish, metadata_get,
    metadata_get_typeid, metadata_set, parallel_get_host_mpi_comm,
    parallel_get_host_mpi_rank, parallel_get_plugin_mpi_comm, print_debug, print_info,
    print_warning, profile_get_timings, register_callback, setup_get_version, var_descr_list, var_get,
    var_request_add,
)
from comin._core import _metadata_keys
from comin._types import EntryPoint, plugin_info, simulation_interval

__version__ = "0.1.0"


def get_include() -> str:
    """Directory of comin's C headers (as ``numpy.get_include()``/``mpi4py.get_include()``)."""
    import os
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")


def get_library_dir() -> str:
    """Directory of ``libcomin.so`` (C/Fortran plugins link ``-L<dir> -lcomin``)."""
    import os
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib")


def get_cmake_dir() -> str:
    """Directory of ``cominConfig.cmake`` (``cmake -Dcomin_DIR=...``, then ``find_package(comin)``)."""
    import os
    return os.path.join(get_library_dir(), "cmake", "comin")


def get_pkgconfig_dir() -> str:
    """Directory of ``comin.pc`` (``PKG_CONFIG_PATH=... pkg-config --cflags --libs comin``)."""
    import os
    return os.path.join(get_library_dir(), "pkgconfig")

#: ComIn 0.3's names of the variable handle and entry point classes (plugins
#: such as upstream's API-doc generator compare ``x.__class__ is comin._EntryPoint``).
_variable = VarHandle
_EntryPoint = EntryPoint

# Constants from the one table; entry points as EntryPoint objects.  Type checkers
# cannot follow this: they read the generated stub comin/_constants.pyi instead.
if _TYPE_CHECKING:
    from comin._constants import *  # noqa: F401,F403
globals().update({k: v for k, v in _table.all_constants().items()
                  if not k.startswith("EP_")})
for _i, _name in enumerate(_table.ENTRY_POINTS, start=1):
    globals()[_name] = EntryPoint(_i, _name, callback_register)
del _i, _name


class metadata(_Mapping):  # noqa: N801 - ComIn's name
    """Read-only mapping view of an exposed variable's metadata.

    ``metadata(("temp", 1))["units"]``, ``dict(metadata(descr))``, ``len``,
    ``in`` and iteration work (key order is unspecified, as in ComIn).
    """

    def __init__(self, var_descriptor):
        self._descr = var_descriptor

    def __getitem__(self, key):
        return metadata_get(self._descr, key)

    def __iter__(self):
        return iter(_metadata_keys(self._descr))

    def __len__(self):
        return len(_metadata_keys(self._descr))

    def __repr__(self):
        return f"comin.metadata({self._descr!r})"

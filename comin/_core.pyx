# cython: language_level=3, boundscheck=False, cdivision=True
# cython: embedsignature=True, binding=False
"""The one core of comin: every ComIn rule lives here.

State, phases, callback registry and dispatch, exposed variables, requests,
access lists, metadata, descriptive data, the current state and the error
state are C-level attributes of one :class:`_State` object per session.
Everything else (the ``comin`` plugin API re-exported by ``comin/__init__``,
the Python host API :class:`Host`, the Python adapter that runs plugin
scripts) is a thin binding over it.

The module is split by concern into ``.pxi`` files, in the order they are
needed:

* ``_constants.pxi``  generated from ``_table.py`` (never edit by hand)
* ``_errors.pxi``     error codes, ``ComInError``, ``ComInFinish``
* ``_state.pxi``      the session state, plugins, messages, finish
* ``_callbacks.pxi``  registration and entry-point dispatch (hot path)
* ``_metadata.pxi``   typed metadata stores
* ``_variables.pxi``  exposed variables, handles, requests, ``var_get``
* ``_descrdata.pxi``  descriptive data and index helpers
* ``_parallel.pxi``   MPI communicators
* ``_plugin_api.pxi`` the functions a plugin calls (``comin.*``)
* ``_host.pxi``       the Python host API (:class:`Host`)
* ``_capi.pxi``       the C ABI: the bodies of the functions behind ``libcomin``
  (the rows of ``comin/_capi.py``), the guard and the loading of ``libcomin``
* ``_capi_host.pxi``  the host side of the C ABI (``comin_host.h``) over :class:`Host`
* ``_capi_wrappers.pxi`` generated from ``_capi.py``: one wrapper per C function
  (error policy, neutral value) and the table of function pointers ``libcomin`` gets
"""

import operator
import sys

import numpy as np

from comin import _table
from comin._types import plugin_info, simulation_interval, EntryPoint

include "_constants.pxi"
include "_errors.pxi"
include "_state.pxi"
include "_callbacks.pxi"
include "_metadata.pxi"
include "_variables.pxi"
include "_descrdata.pxi"
include "_parallel.pxi"
include "_plugin_api.pxi"
include "_host.pxi"
include "_capi.pxi"
include "_capi_host.pxi"
include "_capi_wrappers.pxi"

_load_libcomin()        # hands libcomin the table (every include above is needed)

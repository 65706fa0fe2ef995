# The plugin API: the functions of ComIn's Python module ``comin``.
# Each is a thin binding: parse arguments, then apply the rules above.

def callback_register(ep, fun):
    """Register ``fun`` (no arguments) for entry point ``ep`` (primary constructor only)."""
    _register(_active(), _ep_id(ep), fun)


def register_callback(ep):
    """Decorator form of :func:`callback_register`: ``@comin.register_callback(ep)``."""
    cdef long iep = _ep_id(ep)
    def decorator(fun):
        _register(_active(), iep, fun)
        return fun
    return decorator


def callback_get_ep_name(iep):
    """Name of entry point ``iep`` (e.g. ``"EP_ATM_TIMELOOP_START"``)."""
    cdef long v = operator.index(iep)
    if v < 1 or v > NUM_ENTRY_POINTS:
        raise _err(COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN, f"ep = {v}")
    return _EP_NAMES[v]


def var_request_add(var_descriptor, lmodexclusive):
    """Ask the host for variable ``(name, domain_id)`` (primary constructor only).

    Domain id -1 asks for every domain.  ``lmodexclusive``: no other plugin
    may request the same variable.
    """
    _request_add(_active(), var_descriptor, bool(lmodexclusive))


def metadata_set(var_descriptor, **kwargs):
    """Set metadata of a requested variable (primary constructor only).

    Values are bool, int (C int range), float or str; ``tracer=True`` needs
    domain id -1.
    """
    _request_metadata_set(_active(), var_descriptor, kwargs)


cdef _Var _metadata_var(_State st, object var_descriptor):
    """The exposed variable whose metadata a plugin reads (not in the primary constructor)."""
    name, domain_id = _parse_descriptor(var_descriptor)
    if st.in_primary or not st.d.primary_done:
        raise _err(COMIN_ERROR_METADATA_GET_INSIDE_PRIMARYCONSTRUCTOR, f"var_descr: {name}, {domain_id}")
    return _find_var(st, name, domain_id, COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED)


def metadata_get(var_descriptor, key):
    """Metadata ``key`` of an exposed variable (not in the primary constructor)."""
    cdef _Var v = _metadata_var(_active(), var_descriptor)
    try:
        return v.metadata[key]
    except KeyError:
        raise _err(COMIN_ERROR_METADATA_KEY_NOT_FOUND, f"Key not found: {key}") from None


def metadata_get_typeid(var_descriptor, key):
    """``COMIN_METADATA_TYPEID_*`` of ``key`` (UNDEFINED when absent)."""
    cdef _Var v = _metadata_var(_active(), var_descriptor)
    if key not in v.metadata:
        return COMIN_METADATA_TYPEID_UNDEFINED
    return _typeid_of(v.metadata[key])


def _metadata_keys(var_descriptor):
    """Keys of an exposed variable's metadata (for ``comin.metadata``)."""
    cdef _State st = _active()
    name, domain_id = _parse_descriptor(var_descriptor)
    cdef _Var v = _find_var(st, name, domain_id, COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED)
    return list(v.metadata)


def var_get(context, var_descriptor, flag):
    """Handle on exposed variable ``(name, domain_id)`` (secondary constructor only).

    ``context``: list of entry points where the plugin accesses it;
    ``flag``: ``COMIN_FLAG_*`` bits.  ``numpy.asarray(handle)`` is a
    zero-copy view, read-only unless ``COMIN_FLAG_WRITE`` is set.
    """
    return _var_get(_active(), context, var_descriptor, operator.index(flag))


def var_descr_list():
    """Iterate ``(name, domain_id)`` of every exposed variable, in exposure order."""
    cdef _State st = _active()
    cdef _Var v
    for v in list(st.var_order):
        yield (v.name, v.domain_id)


def current_get_plugin_info():
    """:class:`plugin_info` of the plugin that is running now."""
    cdef _Plugin p = _active()._need_plugin("current_get_plugin_info")
    return plugin_info(p.id, p.name, p.options, p.comm)


def current_get_datetime():
    """Current simulation date and time (ISO 8601) as set by the host."""
    return _active().datetime


def current_get_domain_id():
    """Domain id of the current entry point call; RuntimeError outside a domain loop."""
    cdef _State st = _active()
    cdef int jg = st.d.cur_domain
    if jg < 0:
        raise RuntimeError(f"comin_current_get_domain_id failed. (jg={max(jg, -1)})")
    return jg


def current_get_ep():
    """Entry point of the current (or most recent) call (C/Fortran API; 0 before any)."""
    return _active().d.cur_ep


def descrdata_get_global():
    """Global descriptive data (:class:`DescrData`)."""
    cdef _State st = _active()
    if st.global_data is None:
        raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED, "global descriptive data was not set by the host")
    return st.global_data


def descrdata_get_domain(int jg):
    """Descriptive data of domain ``jg`` (1-based)."""
    return _domain(_active(), jg)


def descrdata_get_simulation_interval():
    """:class:`simulation_interval` of the run."""
    cdef _State st = _active()
    if st.sim_interval is None:
        raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED, "simulation interval was not set by the host")
    return st.sim_interval


def descrdata_get_timesteplength(int j):
    """Time step of domain ``j`` in seconds; 0.0 for a domain whose time step the host did
    not set (a domain that does not exist), as upstream's table of time steps gives: it has
    ``n_dom + 4`` entries.  Beyond them (upstream reads outside its table) and before the
    host set any time step: COMIN_ERROR_FIELD_NOT_ALLOCATED."""
    cdef _State st = _active()
    if not st.timesteps:
        raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED, "the host set no time step length")
    cdef int n = st._n_dom("the table of time steps") + 4
    if j < 1 or j > n:
        raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED,
                   f"time step length of domain {j}: ComIn's table has domains 1..{n} (n_dom + 4)")
    return st.timesteps.get(j, 0.0)


def descrdata_get_index(int j):
    """jc (index in block, 1-based) of the 1-based unblocked index ``j``."""
    return _get_index(j, _nproma(_active()))


def descrdata_get_block(int j):
    """jb (block, 1-based) of the 1-based unblocked index ``j``."""
    return _get_block(j, _nproma(_active()))


def descrdata_get_cell_indices(int jg, int i_blk, int i_startblk, int i_endblk,
                               int irl_start, int irl_end):
    """``(i_startidx, i_endidx)`` of block ``i_blk`` (ICON's get_indices_c)."""
    return _get_indices(_active(), "cells", jg, i_blk, i_startblk, i_endblk, irl_start, irl_end)


def descrdata_get_edge_indices(int jg, int i_blk, int i_startblk, int i_endblk,
                               int irl_start, int irl_end):
    """As :func:`descrdata_get_cell_indices` for edges (C/Fortran API in ComIn)."""
    return _get_indices(_active(), "edges", jg, i_blk, i_startblk, i_endblk, irl_start, irl_end)


def descrdata_get_vert_indices(int jg, int i_blk, int i_startblk, int i_endblk,
                               int irl_start, int irl_end):
    """As :func:`descrdata_get_cell_indices` for vertices (no lower clamp, as ICON)."""
    return _get_indices(_active(), "verts", jg, i_blk, i_startblk, i_endblk, irl_start, irl_end)


def descrdata_get_cell_npromz(int jg):
    """Cells used in the last block of domain ``jg``."""
    return _npromz(_active(), "cells", jg)


def descrdata_get_edge_npromz(int jg):
    """Edges used in the last block of domain ``jg``."""
    return _npromz(_active(), "edges", jg)


def descrdata_get_vert_npromz(int jg):
    """Vertices used in the last block of domain ``jg``."""
    return _npromz(_active(), "verts", jg)


def descrdata_index_lookup_glb2loc_cell(int jg, int global_idx):
    """1-based local (unblocked) index of global cell ``global_idx`` (host-defined if not local)."""
    cdef _State st = _active()
    if st.glb2loc is None:
        raise _err(COMIN_ERROR_DESCRDATA_SET_FCT_GLB2LOC,
                   "the host provided no global-to-local cell index function")
    return int(st.glb2loc(jg, global_idx))


def setup_get_version():
    """``(major, minor, patch)`` of the ComIn interface implemented."""
    return (COMIN_VERSION_MAJOR, COMIN_VERSION_MINOR, COMIN_VERSION_PATCH)


def setup_get_verbosity_level():
    """ComIn 0.2: the host's verbosity level (``comin_setup_set_verbosity_level``)."""
    return (<_State>_active()).d.verbosity


def parallel_get_host_mpi_comm():
    """Host communicator as a Fortran handle (``MPI.Comm.f2py(handle)``)."""
    return _host_comm(_active()).py2f()


def parallel_get_host_mpi_rank():
    """Rank of this process in the host communicator."""
    return _host_comm(_active()).Get_rank()


def parallel_get_plugin_mpi_comm():
    """The current plugin's communicator (its ``comm`` name) as a Fortran handle."""
    cdef _State st = _active()
    cdef _Plugin p = st._need_plugin("parallel_get_plugin_mpi_comm")
    comm = st.plugin_comms.get(p.comm) if p.comm else None
    if comm is None:
        st.finish("comin_parallel_get_plugin_mpi_comm",
                  "Error: To use the plugin_comm, 'comm' must be set in the plugin namelist")
    return comm.py2f()


def profile_get_timings():
    """comin extension (not in ComIn): the host's time per plugin and entry point so far.

    ``[(plugin name, entry point name, calls, seconds), ...]`` in plugin order,
    then entry-point order: the numbers of ``comin run``'s summary table (one
    source, :meth:`comin.host.Host.timings`), counted by the core around every
    callback while the host profiles (``Host(profile=True)``; ``comin run`` and
    ``comin replay`` do unless ``--no-summary``, and always with
    ``--telemetry``).  None when the host does not profile.  Safe to call from
    another thread (the telemetry plugin's HTTP server does); the list is a
    consistent snapshot.  Upstream ComIn has no such function: a plugin that
    runs on both asks ``getattr(comin, "profile_get_timings", None)`` first.
    """
    cdef _State st = _active()
    if not st.d.profile:
        return None
    return _timings(st)


def finish(routine, text):
    """End the run with ``routine: text`` (ComIn's ``comin_plugin_finish``)."""
    _active().finish(str(routine), str(text))


cdef _print(str kind, msg, bint enabled):
    cdef _State st = _active()
    if st.d.lstdout and enabled:
        name = st._current().name if st.d.cur_pid else "comin"
        sys.stderr.write(f" {kind}({name}): {msg}\n")


def print_debug(msg):
    """Print ``DEBUG(<plugin>): msg`` on rank 0 if the plugin's ``log_debug`` is set."""
    cdef _State st = _active()
    cdef _Plugin p = st._current()
    _print("DEBUG", str(msg), p is not None and p.log_debug)


def print_info(msg):
    """Print ``INFO(<plugin>): msg`` on rank 0 unless the plugin's ``log_info`` is off."""
    cdef _State st = _active()
    cdef _Plugin p = st._current()
    _print("INFO", str(msg), p is None or p.log_info)


def print_warning(msg):
    """Print ``WARNING(<plugin>): msg`` on rank 0 unless ``log_warning`` is off."""
    cdef _State st = _active()
    cdef _Plugin p = st._current()
    _print("WARNING", str(msg), p is None or p.log_warning)

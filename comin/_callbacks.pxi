# Callback registration and entry-point dispatch (the hot path).

from cpython.ref cimport Py_DECREF

from time import perf_counter_ns as _perf_counter_ns

cdef extern from "Python.h":
    PyObject* PyObject_CallNoArgs(PyObject* func)

cdef class _Callback:
    """One registered callback: a plugin's callable at one entry point."""

    def __repr__(self):
        return f"<comin callback {_EP_NAMES[self.ep]} of plugin '{self.plugin.name}'>"


cdef long _ep_id(object ep) except? -1:
    """An entry point id from an int or an EntryPoint object, not range-checked
    (the rule functions check the range where ComIn does, in ComIn's order)."""
    try:
        return operator.index(ep)
    except TypeError:
        raise TypeError(f"an entry point must be an int or comin.EP_* object, "
                        f"not {type(ep).__name__}") from None
    except OverflowError:
        raise _err(COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN, f"ep = {ep}") from None


cdef int _as_ep(object ep) except -1:
    """An entry point id from an int or an EntryPoint object (checked)."""
    cdef long v = _ep_id(ep)
    if v < 1 or v > NUM_ENTRY_POINTS:
        raise _err(COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN, f"ep = {v}")
    return <int>v


cdef int _register(_State st, long ep, object fun) except -1:
    """ComIn's ``comin_callback_register``: only in primary constructors.

    Order of checks as upstream (comin_callback.F90, comin_callback_register):
    the phase (code 4) first, then the entry point id (code 6; upstream finds an
    unknown id only when it looks up the name after storing the callback, comin
    stores nothing).  A non-callable is the Python adapter's TypeError, before
    ComIn is called.
    """
    if not callable(fun):
        raise TypeError("A callable is required")
    if not st.in_primary or st.d.cur_pid == 0:
        raise _err(COMIN_ERROR_CALLBACK_REGISTER_OUTSIDE_PRIMARYCONSTRUCTOR)
    if ep < 1 or ep > NUM_ENTRY_POINTS:
        raise _err(COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN, f"ep = {ep}")
    cdef _Callback cb = _Callback.__new__(_Callback)
    cb.plugin = st._current()
    cb.pid = cb.plugin.id
    cb.func = fun
    cb.ep = <int>ep
    cb.access = None
    cb.special = False
    st.pending.append(cb)
    if st._verbose(12):
        st.message(f"   registration for '{_EP_NAMES[ep]}' (ep: {ep}) associated for 3rd party "
                   f"plugin {cb.plugin.name} successful.", 12)
    return 0


cdef int _register_c(_State st, int ep, _CFunc f) except -1:
    """``comin_callback_register`` from C or Fortran: ComIn keeps one C callback per
    (entry point, plugin), so a second registration replaces the first (with ComIn's
    warning); otherwise as :func:`_register`."""
    cdef _Callback cb
    if st.in_primary and st.d.cur_pid and 0 < ep <= NUM_ENTRY_POINTS:
        for cb in st.pending:
            if cb.ep == ep and cb.pid == st.d.cur_pid and type(cb.func) is _CFunc:
                st.message(f"    WARNING:: Overwrite callback for plugin '{cb.plugin.name}' "
                           f"at entry point '{_EP_NAMES[ep]}' (ep: {ep})", 0)
                cb.func = f
                return 0
    return _register(st, ep, f)


cdef int _complete_callbacks(_State st) except -1:
    """Freeze registrations into one tuple per entry point.

    Order: plugin list order, then registration order within a plugin (the
    primary constructors run in plugin order, so the pending list already is).
    Each callback shares the access list of its (entry point, plugin).
    """
    cdef _Callback cb
    per_ep = [[] for _ in range(NUM_ENTRY_POINTS + 1)]
    for cb in st.pending:
        cb.access = st.access.setdefault((cb.ep, cb.plugin.id), [])
        per_ep[cb.ep].append(cb)
    cdef int ep
    for ep in range(NUM_ENTRY_POINTS + 1):
        st.ep_callbacks[ep] = tuple(per_ep[ep])
        st.d.ncb[ep] = len(per_ep[ep])
        _update_fast(st, ep)
    st.pending = []
    return 0


cdef void _update_fast(_State st, int ep):
    """Offer the fast path (comin_fast_slot, comin/src/comin_internal.h) when an entry point
    has one callback that needs no sync and nothing is printed (verbosity 0, no profiling):
    the slot is what the fast path's condition reads, so it is refreshed whenever one of
    these changes (callbacks completed, verbosity set, session closed)."""
    cdef _Callback cb
    st.d.fast[ep].func = NULL
    st.d.fast[ep].pid = 0
    st.d.fast[ep].cfunc = NULL
    if st.d.ncb[ep] == 1 and st.d.verbosity == 0 and not st.d.profile and not st.d.closed:
        cb = <_Callback>(<tuple>st.ep_callbacks[ep])[0]
        if not cb.special:
            st.d.fast[ep].func = <PyObject*>cb.func
            st.d.fast[ep].pid = cb.pid
            if type(cb.func) is _CFunc:
                # libcomin's context call runs it without entering the core
                st.d.fast[ep].cfunc = (<_CFunc>cb.func).fn


cdef int _dispatch(_State st, int ep, int domain_id, bint lacc) except -1:
    """ComIn's ``comin_callback_context_call`` for an EP with callbacks."""
    cdef tuple cbs = <tuple>st.ep_callbacks[ep]
    cdef Py_ssize_t i, n = len(cbs)
    cdef _Callback cb
    cdef _Plugin p
    cdef bint first, last
    if st.d.verbosity > 12 and st.d.lstdout:
        _report_unassociated(st, ep, cbs)
    for i in range(n):
        cb = <_Callback>cbs[i]
        # A plugin's callables at one EP are consecutive and act as ComIn's one
        # callback of the (ep, plugin) slot: message and syncs once around them.
        first = i == 0 or (<_Callback>cbs[i - 1]).plugin is not cb.plugin
        last = i == n - 1 or (<_Callback>cbs[i + 1]).plugin is not cb.plugin
        if first and st.d.verbosity > 0 and st.d.lstdout:
            st.message(f"    current ep '{_EP_NAMES[ep]}' (ep: {ep}) for library: {cb.plugin.name}", 0)
        if first and (cb.special or (lacc and cb.access)):
            _sync(st, cb, ep, lacc, False)
        if st.d.profile:
            _timed_call(st, cb, ep, domain_id)
        else:
            _call(st, cb, ep, domain_id)
        if last and (cb.special or (lacc and cb.access)):
            _sync(st, cb, ep, lacc, True)
    return 0


cdef inline int _call(_State st, _Callback cb, int ep, int domain_id) except -1:
    """Call one callback with its plugin as current plugin.

    The call goes through the C API and its result is checked by hand, so
    the common path pays no exception-handling set-up.
    """
    st.d.cur_pid = cb.pid
    st.d.cur_ep = ep
    st.d.cur_domain = domain_id
    cdef PyObject* r = PyObject_CallNoArgs(<PyObject*>cb.func)
    st.d.cur_pid = 0
    if r != NULL:
        Py_DECREF(<object>r)
        return 0
    return _failed(st, cb)


cdef int _timed_call(_State st, _Callback cb, int ep, int domain_id) except -1:
    """``_call`` and add its wall time to ``st.timings[(plugin id, ep)]``."""
    entry = st.timings.get((cb.pid, ep))
    if entry is None:
        entry = st.timings[(cb.pid, ep)] = [0, 0]
    t0 = _perf_counter_ns()
    try:
        _call(st, cb, ep, domain_id)
    finally:
        entry[0] += 1
        entry[1] += _perf_counter_ns() - t0
    return 0


cdef list _timings(_State st):
    """What the profiling counted so far: ``(plugin name, entry point name, calls, seconds)``
    per (plugin, entry point) that ran, in plugin order, then entry-point order.

    The one source of ``Host.timings()`` (``comin run``'s summary table) and of
    ``comin.profile_get_timings()`` (what the telemetry plugin exports).
    """
    out = []
    for (pid, ep), (calls, ns) in sorted(st.timings.items()):
        out.append(((<_Plugin>st.plugins[pid - 1]).name, _EP_NAMES[ep], calls, ns * 1e-9))
    return out


cdef int _failed(_State st, _Callback cb) except -1:
    """The callback raised (the exception is set): finish, or let ComInFinish through."""
    try:
        _error_is_set()
    except ComInFinish:
        raise
    except BaseException:
        _callback_failed(st, cb)
    return 0


cdef inline int _error_is_set() except -1:
    """Hand an exception set by a C API call over to Cython's handling."""
    return -1


cdef _report_unassociated(_State st, int ep, tuple cbs):
    cdef _Callback cb
    have = {cb.plugin.id for cb in cbs}
    for p in st.plugins:
        if (<_Plugin>p).id not in have:
            st.message(f"     entry point '{_EP_NAMES[ep]}' (ep: {ep}) not associated", 12)


cdef int _callback_failed(_State st, _Callback cb) except -1:
    """An exception escaped a plugin callback: print it and finish the run."""
    import traceback
    traceback.print_exc()
    sys.stderr.flush()
    st.d.cur_pid = cb.pid
    try:
        st.finish("python_adapter",
                  f"Uncaught exception in callback of plugin '{cb.plugin.name}' "
                  f"at entry point {_EP_NAMES[cb.ep]}")
    finally:
        st.d.cur_pid = 0
    return 0


cdef int _sync(_State st, _Callback cb, int ep, bint lacc, bint after) except -1:
    """Device and halo synchronisation around one callback (ComIn 0.3 §1.3).

    Before (``after`` false): without ``lacc`` warn about DEVICE vars; with
    ``lacc`` copy READ vars without DEVICE flag device->host; halo-exchange
    READ vars with SYNC_HALO.  After: halo-exchange WRITE vars with SYNC_HALO;
    with ``lacc`` copy WRITE vars without DEVICE flag host->device.
    """
    cdef _Var var
    cdef int flag
    cdef int rw = COMIN_FLAG_WRITE if after else COMIN_FLAG_READ
    if not after:
        for var, flag in cb.access:
            if not lacc and (flag & COMIN_FLAG_DEVICE):
                st.message(f"WARNING: Device access at a non-ported entrypoint "
                           f"({_EP_NAMES[ep]}) requested.", 1)
            if lacc and (flag & COMIN_FLAG_READ) and not (flag & COMIN_FLAG_DEVICE):
                _sync_device(st, var, False)
    for var, flag in cb.access:
        if (flag & COMIN_FLAG_SYNC_HALO) and (flag & rw):
            _sync_halo(st, var)
    if after and lacc:
        for var, flag in cb.access:
            if (flag & COMIN_FLAG_WRITE) and not (flag & COMIN_FLAG_DEVICE):
                _sync_device(st, var, True)
    return 0


cdef int _sync_device(_State st, _Var var, bint direction) except -1:
    if st.sync_device is None:
        raise _err(COMIN_ERROR_VAR_SYNC_DEVICE_MEM_NOT_ASSOCIATED,
                   f"var_descr: {var.name}, {var.domain_id}")
    st.sync_device(_new_handle(var, COMIN_FLAG_READ | COMIN_FLAG_WRITE), direction)
    return 0


cdef int _sync_halo(_State st, _Var var) except -1:
    zaxis = var.metadata.get("zaxis_id", COMIN_ZAXIS_3D)
    if zaxis == COMIN_ZAXIS_2D:
        mode = COMIN_ZAXIS_2D
    elif zaxis == COMIN_ZAXIS_3D:
        mode = COMIN_ZAXIS_3D
    else:
        raise _err(COMIN_ERROR_VAR_SYNC_HALO_NOT_SUPPORTED_ZAXIS,
                   f"var_descr: {var.name}, {var.domain_id} (zaxis_id = {zaxis})")
    if st.sync_halo is None:
        raise _err(COMIN_ERROR_VAR_SYNC_HALO_NOT_ASSOCIATED,
                   f"var_descr: {var.name}, {var.domain_id}")
    st.sync_halo(_new_handle(var, COMIN_FLAG_READ | COMIN_FLAG_WRITE), mode)
    return 0

# The Python host API: what a host model calls to drive plugins.

cdef class Host:
    """A ComIn session seen from the host model (ComIn's host interface).

    One Host is active per process (ComIn has one global state); finalize it
    (or use it as a context manager) before creating the next.  The order of
    calls follows ComIn's phases::

        host = Host(plugins, verbosity=0)
        host.set_global(n_dom=2, nproma=8, ...)          # descriptive data first
        host.set_domain(1, nlev=10, cells=dict(...))
        host.set_timesteplength(1, 60.0)
        host.run_primary_constructors()                  # plugins register & request
        for req in host.requests: ...                    # allocate what they asked for
        host.expose("temp", 1, temp_array, metadata={"zaxis_id": 2})
        host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)     # plugins call var_get
        host.set_datetime("2026-01-01T00:00:00"); host.call_ep(comin.EP_ATM_TIMELOOP_START, 1)
        ...
        host.call_ep(comin.EP_DESTRUCTOR); host.finalize()

    ``plugins``: :class:`comin.host.PluginDescription` objects, or strings
    ``"script.py arg ..."`` for Python plugins.  Host mistakes raise
    :class:`ComInError` (with ComIn's code) or ``TypeError``/``ValueError``.
    Errors in plugins end the run through :meth:`finish` (the default error
    handler prints the message, calls the EP_FINISH callbacks and raises
    :class:`ComInFinish`).
    """
    cdef _State st
    cdef readonly str component

    def __init__(self, plugins=(), *, int verbosity=0, lstdout=True, comm=None,
                 str component="atmo", error_handler=None, bint profile=False):
        global _state
        if _state is not None:
            raise ComInError(COMIN_ERROR_SETUP_COMIN_ALREADY_INITIALIZED,
                             "another comin Host is active: call its finalize() first")
        from comin._adapter import as_description
        descs = [as_description(p) for p in plugins]
        cdef _State st = _State.__new__(_State)
        st.d.lstdout = bool(lstdout)
        st.d.verbosity = verbosity
        st.error_handler = error_handler
        st.d.profile = profile
        st.host_comm = comm
        st.plugins = [_make_plugin(i + 1, d) for i, d in enumerate(descs)]
        self.st = st
        self.component = component
        _state = st

    # -- setup ------------------------------------------------------------------
    def set_error_handler(self, handler):
        """Set the host's finish routine ``handler(routine, text)``."""
        if handler is None or not callable(handler):
            raise _err(COMIN_ERROR_SETUP_ERRHANDLER_NOT_ASSOCIATED, "the error handler must be callable")
        self._live().error_handler = handler

    def set_verbosity_level(self, int level):
        """ComIn messages with level ``l`` print when ``level > l`` (13: all)."""
        cdef _State st = self._live()
        st.d.verbosity = level
        for ep in range(1, NUM_ENTRY_POINTS + 1):
            _update_fast(st, ep)      # the fast path only at verbosity 0

    def check(self, str name, int wp=8):
        """ComIn's ``comin_setup_check``: working precision must be C double (8 bytes)."""
        cdef _State st = self._live()
        if wp != sizeof(double):
            raise _err(COMIN_ERROR_SETUP_PRECISION_TEST_FAILED,
                       f"host working precision has {wp} bytes, ComIn uses {sizeof(double)}")
        st.message(f"    {name}: working precision test successful.", 0)

    cdef _State _live(self):
        cdef _State st = self.st
        if st.finalized:
            raise _err(COMIN_ERROR_SETUP_FINALIZE, "this Host was finalized")
        return st

    # -- descriptive data ---------------------------------------------------------
    def set_global(self, **fields):
        """Set global descriptive data (``n_dom``, ``nproma``, ``min_rlcell``, ...).

        May be called several times; later values replace earlier ones.
        """
        cdef _State st = self._live()
        st.descr_generation = _next_descr_generation()
        if st.global_data is None:
            st.global_data = _new_descrdata("global", "global")
        _descr_update(st.global_data, "global", "global", fields)
        d = st.global_data.__dict__
        if "nproma" in d:
            if d["nproma"] < 1:
                raise ValueError(f"nproma must be >= 1, got {d['nproma']}")
            st.nproma = d["nproma"]
        if "n_dom" in d:
            if d["n_dom"] < 1:
                raise ValueError(f"n_dom must be >= 1, got {d['n_dom']}")
            st.d.n_dom = d["n_dom"]
            while len(st.domains) < st.d.n_dom:
                st.domains.append(None)

    def set_domain(self, int jg, *, cells=None, edges=None, verts=None, **fields):
        """Set descriptive data of domain ``jg`` (1-based; needs ``n_dom`` first).

        ``cells``/``edges``/``verts`` are mappings of their fields.  Arrays are
        kept as read-only views (converted only if their dtype differs).
        """
        cdef _State st = self._live()
        if st.d.n_dom < 1:
            raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED, "set_global(n_dom=...) must come before set_domain")
        st.descr_generation = _next_descr_generation()
        if jg < 1 or jg > st.d.n_dom:
            raise ValueError(f"domain id {jg} outside 1..n_dom={st.d.n_dom}")
        dom = st.domains[jg - 1]
        if dom is None:
            dom = _new_descrdata("domain", f"domain({jg})")
            _descr_store(dom, {"id": jg})
            st.domains[jg - 1] = dom
        _descr_update(dom, "domain", f"domain({jg})", fields)
        for group, values in (("cells", cells), ("edges", edges), ("verts", verts)):
            if values is None:
                continue
            sub = dom.__dict__.get(group)
            if sub is None:
                sub = _new_descrdata(group, f"domain({jg}).{group}")
                _descr_store(dom, {group: sub})
            _descr_update(sub, group, f"domain({jg}).{group}", dict(values))

    def set_simulation_interval(self, str exp_start, str exp_stop, str run_start, str run_stop):
        """Experiment and run start/stop (ISO 8601 strings)."""
        for s in (exp_start, exp_stop, run_start, run_stop):
            _check_len("a simulation interval date", s, COMIN_MAX_DATETIME_STR_LEN)
        self._live().sim_interval = simulation_interval(exp_start, exp_stop, run_start, run_stop)

    def set_timesteplength(self, int jg, double dt):
        """Time step of domain ``jg`` in seconds."""
        self._live().timesteps[jg] = dt

    def set_glb2loc_cell(self, fn):
        """Global-to-local cell index function ``fn(jg, global_idx) -> local_idx`` (1-based)."""
        if fn is None or not callable(fn):
            raise _err(COMIN_ERROR_DESCRDATA_SET_FCT_GLB2LOC, "the function must be callable")
        self._live().glb2loc = fn

    def set_sync_halo(self, fn):
        """Halo exchange ``fn(handle, mode)`` for COMIN_FLAG_SYNC_HALO (mode: ZAXIS_2D/3D)."""
        if fn is None or not callable(fn):
            raise _err(COMIN_ERROR_VAR_SYNC_HALO_NOT_ASSOCIATED, "the function must be callable")
        self._live().sync_halo = fn

    def set_var_not_found_hint(self, fn):
        """Extra text for COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND: ``fn(name, domain_id) -> str``.

        A host that knows why a variable is missing says so (e.g. the replay
        host: "not recorded in DIR/0.nc"); ``None`` removes the hint.
        """
        if fn is not None and not callable(fn):
            raise TypeError("the hint must be callable or None")
        self._live().var_not_found_hint = fn

    def set_sync_device_mem(self, fn):
        """Host/device copy ``fn(handle, direction)``; direction True: host -> device."""
        if fn is None or not callable(fn):
            raise _err(COMIN_ERROR_VAR_SYNC_DEVICE_MEM_NOT_ASSOCIATED, "the function must be callable")
        self._live().sync_device = fn

    # -- plugins --------------------------------------------------------------
    @property
    def plugins(self):
        """The plugin records, in plugin-list order (ids 1..N)."""
        return list(self.st.plugins)

    def run_primary_constructors(self):
        """Load every plugin in list order and run its primary constructor.

        Needs ``set_global(n_dom=...)`` first (plugins may read descriptive
        data and request variables for all domains).  Afterwards callbacks
        are frozen and :attr:`requests` is complete.
        """
        cdef _State st = self._live()
        if st.in_primary or st.d.primary_done:
            raise _err(COMIN_ERROR_STATUS, "the primary constructors have already run")
        st._n_dom("the primary constructors")
        _setup_plugin_comms(st, self.component)
        from comin._adapter import run_primary_constructor
        st.in_primary = True
        try:
            for p in st.plugins:
                st.d.cur_pid = (<_Plugin>p).id
                try:
                    run_primary_constructor(st, p)
                finally:
                    st.d.cur_pid = 0
        finally:
            st.in_primary = False
        _complete_callbacks(st)
        st.d.primary_done = True
        st.message("    Complete primary constructors", 0)

    def mpi_handshake(self, groups=()):
        """Run ComIn's MPI handshake now and return the host communicator (mpi4py).

        Both stages of upstream's handshake (:func:`comin.parallel.comin_handshake`):
        on the Host's ``comm`` (default ``MPI_COMM_WORLD``) the group ``"comin"``
        and ``groups`` (further groups the host takes part in, e.g. ``"yac"``
        for a coupler whose other processes meet it there), then, on the
        "comin" communicator, the plugins' ``comm`` names and
        ``comin_host_<component>``; processes started beside the host (MPMD)
        get their own part.  A host that decomposes its domains calls it
        before the primary constructors, as ICON does; it runs once (the
        primary constructors then reuse the result).  :meth:`group_comm`
        gives the communicators of ``groups`` and of the plugins' names.
        """
        cdef _State st = self._live()
        extra = tuple(dict.fromkeys(str(g) for g in groups if str(g)))
        if extra and not st.comms_done:
            st.host_groups = extra
        _setup_plugin_comms(st, self.component, True)
        return _host_comm(st)

    def group_comm(self, str name):
        """The communicator of the handshake group ``name`` (one of the ``groups`` of
        :meth:`mpi_handshake` or a plugin's ``comm``), None when the handshake had no
        such group."""
        cdef _State st = self._live()
        found = st.group_comms.get(name)
        return st.plugin_comms.get(name) if found is None else found

    @property
    def requests(self):
        """The variable requests of all plugins, in request order."""
        return list(self.st.requests)

    # -- variables --------------------------------------------------------------
    def expose(self, name, int domain_id, array, *, dim_semantics=None, metadata=None,
               bint lcontainer=False, int ncontained=0, device=None):
        """Expose a host array as ComIn variable ``(name, domain_id)`` (no copy).

        ``array``: a NumPy array (float64, float32 or intc; up to 5-D, any
        strides; padded to ComIn's 5-D with extent-1 dimensions).
        ``dim_semantics``: ``COMIN_DIM_SEMANTICS_*`` per dimension (default
        for 2-D (nproma, nblks) and 3-D (nproma, nlev, nblks) arrays).
        ``metadata``: dict of key -> bool/int/float/str (``datatype`` is set
        from the dtype).  ``lcontainer``/``ncontained`` follow ComIn's host
        (Fortran) convention: ``ncontained`` is the 1-based position in the
        container (0: none) or, for a container, the number of fields.
        ``device``: the same field in device memory (``__cuda_array_interface__``).
        """
        _expose(self._live(), name, domain_id, array, dim_semantics, metadata,
                lcontainer, ncontained, device)

    def set_array(self, name, int domain_id, array, device=None):
        """Re-point an exposed variable (e.g. a time-level swap): same shape and dtype."""
        cdef _State st = self._live()
        name, domain_id = _parse_descriptor((name, domain_id))
        _repointed(_set_var_array(_find_var(st, name, domain_id,
                                            COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED), array, device))

    def set_metadata(self, name, int domain_id, **kwargs):
        """Host-side metadata of an exposed variable (any phase)."""
        cdef _State st = self._live()
        name, domain_id = _parse_descriptor((name, domain_id))
        cdef _Var v = _find_var(st, name, domain_id, COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED)
        for key, value in kwargs.items():
            _metadata_store(v.metadata, name, domain_id, key, value)

    def metadata(self, name, int domain_id):
        """A copy of an exposed variable's metadata."""
        name, domain_id = _parse_descriptor((name, domain_id))
        return dict(_find_var(self.st, name, domain_id, COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED).metadata)

    @property
    def variables(self):
        """``(name, domain_id)`` of the exposed variables, in exposure order."""
        return [((<_Var>v).name, (<_Var>v).domain_id) for v in self.st.var_order]

    def access_list(self, ep, int plugin_id):
        """``[(name, domain_id, flag), ...]`` a plugin asked for at entry point ``ep``."""
        cdef _Var v
        return [(v.name, v.domain_id, f) for v, f in self.st.access.get((_as_ep(ep), plugin_id), [])]

    def timings(self):
        """Time spent in callbacks, per plugin and entry point (needs ``profile=True``).

        A list of ``(plugin name, entry point name, calls, seconds)`` in
        plugin order, then entry-point order.
        """
        return _timings(self.st)

    # -- time loop -------------------------------------------------------------------
    def set_datetime(self, str datetime):
        """Current simulation date/time (ISO 8601, <= 32 characters)."""
        _check_len("datetime", datetime, COMIN_MAX_DATETIME_STR_LEN)
        self.st.datetime = datetime.strip()

    def call_ep(self, int ep, int domain_id=-1, bint lacc=False):
        """Call entry point ``ep`` for domain ``domain_id`` (-1: outside a domain loop).

        ComIn's ``comin_callback_context_call``: calls the callbacks of every
        plugin in plugin order (then registration order), with the plugin as
        current plugin; a no-op before the primary constructors.  ``lacc``:
        the host runs this entry point on the device.
        """
        cdef _State st = self.st
        if not _call_ep_fast(st, ep, domain_id, lacc):
            _call_ep(st, ep, domain_id, lacc)

    def finish(self, str routine, str text):
        """End the run from the host side (ComIn's finish, e.g. from the model's abort)."""
        self._live().finish(routine, text)

    def finalize(self):
        """End the session: free plugin communicators, allow a new Host."""
        global _state
        cdef _State st = self.st
        if st.finalized:
            raise _err(COMIN_ERROR_SETUP_FINALIZE, "this Host was already finalized")
        st.finalized = True
        _close(st)
        try:
            _free_comms(st)
        finally:
            if _state is st:
                _state = None

    @property
    def finalized(self):
        return bool(self.st.finalized)

    def __dealloc__(self):
        # a Host dropped without finalize() must not block the next one (error 13)
        global _state
        if _state is not None and _state is self.st:
            _state = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self.st.finalized:
            self.finalize()
        return False


cdef inline int _call_ep_fast(_State st, int ep, int domain_id, bint lacc) except -1:
    """The fast path of a context call (Host.call_ep, and C/Fortran hosts' calls that reach
    the core): 1 when it ran the entry point's one callback, or found nothing to do (no
    callback, nothing to print); inlined, as cheap as writing it out in call_ep.  Its
    conditions are comin_fast_slot and comin_nothing_at (comin/src/comin_internal.h), which
    libcomin's context call uses too, and a slot that _update_fast filled; everything else
    returns 0 and goes to :func:`_call_ep`.
    """
    cdef comin_fast_t* f = comin_fast_slot(&st.d, ep, domain_id, lacc)
    cdef PyObject* r
    if f == NULL:
        return 0
    if f.func == NULL:
        return comin_nothing_at(&st.d, ep)      # 1: no callback, nothing to print: done
    st.d.cur_pid = f.pid
    st.d.cur_ep = ep
    st.d.cur_domain = domain_id
    r = PyObject_CallNoArgs(f.func)
    st.d.cur_pid = 0
    if r != NULL:
        Py_DECREF(<object>r)
        return 1
    _failed(st, <_Callback>(<tuple>st.ep_callbacks[ep])[0])
    return 1


cdef int _call_ep(_State st, int ep, int domain_id, bint lacc) except -1:
    """The general path of :meth:`Host.call_ep`: checks, messages, syncs.

    Order as upstream (comin_callback.F90, comin_callback_context_call): before the
    primary constructors are done the call returns silently, whatever its
    arguments; then an unknown entry point is code 6.  comin's own checks follow
    (a closed session, a domain id outside -1, 1..n_dom).
    """
    if not st.d.primary_done:
        return 0
    if ep < 1 or ep > NUM_ENTRY_POINTS:
        raise _err(COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN, f"ep = {ep}")
    if st.d.closed:
        raise _err(COMIN_ERROR_STATUS, "the session has ended (finalized or finished)")
    if domain_id < -1 or domain_id == 0 or domain_id > st.d.n_dom:
        raise ValueError(f"domain id {domain_id} outside 1..{st.d.n_dom} (or -1 outside a domain loop)")
    cdef int n = st.d.ncb[ep]
    if st.d.verbosity > 12 and st.d.lstdout:
        st.message(f"    CONTEXT {_EP_NAMES[ep]}", 12)
        if n == 0:
            st.message(f"    no calls associated with entry point '{_EP_NAMES[ep]}' (ep: {ep}).", 12)
    if n:
        _dispatch(st, ep, domain_id, lacc)
    return 0


cdef void _close(_State st):
    """No more entry points: finalized, or finished by an error."""
    cdef int i
    st.d.closed = True
    for i in range(NUM_ENTRY_POINTS + 1):
        st.d.fast[i].func = NULL
        st.d.fast[i].cfunc = NULL

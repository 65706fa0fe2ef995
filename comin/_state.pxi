# The session state: plugins, phases, the current state, messages, finish.

cdef class _Plugin:
    """One entry of the plugin list (ComIn's ``t_comin_plugin_info``)."""

    def __repr__(self):
        return f"<comin plugin {self.id} '{self.name}'>"


cdef inline int _check_len(str what, str value, int limit) except -1:
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters: {value!r}")
    return 0


cdef _Plugin _make_plugin(int pid, desc):
    """Build a plugin record from a host's description object.

    ``desc`` needs the attributes of ``comin.host.PluginDescription`` (name,
    plugin_library, primary_constructor, options, comm, log_debug, log_info,
    log_warning); defaults follow ComIn's namelist.
    """
    cdef _Plugin p = _Plugin.__new__(_Plugin)
    p.id = pid
    p.plugin_library = str(getattr(desc, "plugin_library", "") or "")
    p.primary_constructor = str(getattr(desc, "primary_constructor", "") or "comin_main")
    p.options = str(getattr(desc, "options", "") or "").strip()
    p.comm = str(getattr(desc, "comm", "") or "").strip()
    name = str(getattr(desc, "name", "") or "").strip()
    from comin._adapter import library_name
    default = library_name(p.plugin_library, p.primary_constructor)
    if name and name != default:        # a given name has the namelist's 32 characters;
        _check_len(f"plugin name of plugin {pid}", name, COMIN_MAX_LEN_PLUGIN_NAME)
    p.name = name or default            # ComIn's default name is kept whole, as upstream's
    _check_len(f"plugin_library of plugin '{name}'", p.plugin_library, COMIN_MAX_LEN_PLUGIN_LIBRARY)
    _check_len(f"primary_constructor of plugin '{name}'", p.primary_constructor,
               COMIN_MAX_LEN_PRIMARY_CONSTRUCTOR)
    _check_len(f"options of plugin '{name}'", p.options, COMIN_MAX_LEN_OPTIONS)
    _check_len(f"comm of plugin '{name}'", p.comm, COMIN_MAX_LEN_COMM)
    p.errors_return = False
    p.log_debug = bool(getattr(desc, "log_debug", False))
    p.log_info = bool(getattr(desc, "log_info", True))
    p.log_warning = bool(getattr(desc, "log_warning", True))
    p.description = desc
    p.namespace = None
    return p


cdef class _State:
    """Everything ComIn knows during one session (ComIn's global state)."""

    def __cinit__(self):
        cdef int i
        self.d.lstdout = True
        self.d.verbosity = 0
        self.error_handler = None
        self.plugins = []
        self.d.cur_pid = 0
        self.d.cur_ep = 0
        self.d.cur_domain = COMIN_DOMAIN_UNDEFINED
        self.datetime = ""
        self.pending = []
        self.ep_callbacks = [()] * (NUM_ENTRY_POINTS + 1)
        for i in range(NUM_ENTRY_POINTS + 1):
            self.d.ncb[i] = 0
            self.d.fast[i].func = NULL
            self.d.fast[i].pid = 0
            self.d.fast[i].cfunc = NULL
        self.requests = []
        self.vars = {}
        self.var_order = []
        self.access = {}
        self.global_data = None
        self.domains = []
        self.timesteps = {}
        self.sim_interval = None
        self.glb2loc = None
        self.sync_halo = None
        self.sync_device = None
        self.var_not_found_hint = None
        self.nproma = 0
        self.d.profile = False
        self.timings = {}
        self.d.n_dom = 0
        self.host_comm = None
        self.plugin_comms = {}
        self.comms_done = False
        self.handshake_names = None
        self.comin_comm = None
        self.group_comms = {}
        self.host_groups = ()

    # -- messages -------------------------------------------------------
    cdef bint _verbose(self, int level):
        return self.d.lstdout and self.d.verbosity > level

    def message(self, str text, int level):
        """ComIn's internal message: printed iff lstdout and verbosity > level."""
        if self.d.lstdout and self.d.verbosity > level:
            sys.stderr.write(f" {text}\n")

    # -- finish -----------------------------------------------------------
    def finish(self, str routine, str text):
        """End the run: ComIn's ``comin_plugin_finish``.

        Inside ``EP_FINISH`` this is a no-op (a plugin may call finish from its
        EP_FINISH callback).  Otherwise the host's error handler is called; the
        default one prints the message, runs the ``EP_FINISH`` callbacks and
        aborts the MPI job when there are several ranks.  Never returns
        normally: raises :class:`ComInFinish`.
        """
        if self.d.cur_ep == EP_FINISH:
            return
        self.aborted = True
        _close(self)
        if self.error_handler is not None:
            self.error_handler(routine, text)
        else:
            self._default_error_handler(routine, text)
        raise ComInFinish(routine, text)

    def _default_error_handler(self, str routine, str text):
        sys.stderr.write(f"{routine}: {text}\n")
        sys.stderr.flush()
        self.context_finish()
        from comin.parallel import abort_world
        abort_world()             # several ranks: end the job (one rank: the caller stops)

    def context_finish(self):
        """Call the ``EP_FINISH`` callbacks (the host's error path)."""
        if self.d.primary_done and self.d.cur_ep != EP_FINISH:
            _dispatch(self, EP_FINISH, COMIN_DOMAIN_OUTSIDE_LOOP, False)

    # -- helpers used by the bindings ----------------------------------------
    cdef _Plugin _need_plugin(self, str what):
        if self.d.cur_pid == 0:
            raise _err(COMIN_ERROR_STATUS, f"{what} must be called by a plugin "
                       "(from its primary constructor or a callback)")
        return self._current()

    cdef _Plugin _current(self):
        """The current plugin, or None outside plugin code."""
        if self.d.cur_pid == 0:
            return None
        return <_Plugin>self.plugins[self.d.cur_pid - 1]

    cdef int _n_dom(self, str why) except -1:
        if self.global_data is None or "n_dom" not in self.global_data.__dict__:
            raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED,
                       f"descriptive data 'n_dom' is not set by the host (needed for {why})")
        return self.global_data.n_dom

    def plugin_by_id(self, int pid):
        if pid < 1 or pid > len(self.plugins):
            raise ValueError(f"no plugin with id {pid} (there are {len(self.plugins)})")
        return self.plugins[pid - 1]


cdef inline _State _active():
    """The active session, or a clear error when ComIn is not set up."""
    if _state is None:
        raise ComInError(COMIN_ERROR_STATUS,
                         "ComIn is not set up: no host session is active "
                         "(create a comin.host.Host, or run the plugin with `comin run`)")
    return _state

# MPI communicators: host communicator and per-plugin communicators.
# Handles cross the API as Fortran integers, as in ComIn.

cdef object _world():
    from comin.parallel import _mpi
    return _mpi().COMM_WORLD


cdef object _host_comm(_State st):
    if st.host_comm is None:
        st.host_comm = _world()
    return st.host_comm


cdef int _setup_plugin_comms(_State st, object component, bint always=False) except -1:
    """ComIn's ``comin_parallel_mpi_handshake``, run when a plugin names a comm (or
    ``always``: a host under MPI runs it even without names, so that external
    processes started beside it can take part).  Runs at most once per session."""
    if st.comms_done:
        return 0
    names = []
    if st.handshake_names is not None:          # the host named the groups (ComIn's group_names)
        for name in st.handshake_names:
            if name not in names:
                names.append(name)
    else:
        for p in st.plugins:
            if (<_Plugin>p).comm and (<_Plugin>p).comm not in names:
                names.append((<_Plugin>p).comm)
    if not names and not always:
        return 0
    from comin.parallel import mpi_handshake
    world = _host_comm(st)
    comms = mpi_handshake(world, names + [f"comin_host_{component}"])
    st.plugin_comms = dict(zip(names, comms[:-1]))
    st.host_comm = comms[-1]
    st.comms_done = True
    return 0


cdef int _free_comms(_State st) except -1:
    for c in st.plugin_comms.values():
        c.Free()
    st.plugin_comms = {}
    return 0

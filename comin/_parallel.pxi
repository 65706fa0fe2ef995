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
    """ComIn's handshake (:func:`comin.parallel.comin_handshake`), run when a plugin names
    a comm, when the host asks for it (``always``: a host under MPI runs it even without
    names, so that external processes started beside it take part) or when a C/Fortran
    host called ``comin_parallel_mpi_handshake``.  Runs at most once per session."""
    if st.comms_done:
        return 0
    names = []
    if st.handshake_names is not None:          # the host named the groups (ComIn's group_names)
        for name in st.handshake_names:
            if name and name not in names:
                names.append(name)
    else:
        for p in st.plugins:
            if (<_Plugin>p).comm and (<_Plugin>p).comm not in names:
                names.append((<_Plugin>p).comm)
    if not names and not always and st.comin_comm is None and not st.host_groups:
        return 0
    from comin.parallel import comin_handshake
    st.comin_comm, st.group_comms, st.plugin_comms, st.host_comm = comin_handshake(
        names, component, comm=st.host_comm, comin_comm=st.comin_comm, groups=st.host_groups)
    st.comms_done = True
    return 0


cdef int _free_comms(_State st) except -1:
    for c in st.plugin_comms.values():
        c.Free()
    st.plugin_comms = {}
    return 0

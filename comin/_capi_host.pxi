# The host side of the C ABI (comin_host.h, from the host block of comin/_capi.py):
# what a C or Fortran host (ICON-like) calls.  One C host session is one
# :class:`Host` object (``_c_host``); every function converts its C arguments
# and calls that Host, so the rules are the Python host's (phases, error
# codes, exposure, dispatch).  What is specific to C hosts lives here:
#
# * the plugin list arrives late (comin_plugin_primaryconstructor), so the
#   Host is created empty by comin_setup_init and gets its plugins then;
# * host errors: a ValueError/TypeError of the Host (bad input) becomes
#   COMIN_ERROR_STATUS with its text; with the host's errors_return switched
#   on (comin_error_set_errors_return while no plugin is current) the call
#   returns a neutral value and the code stays in comin_error_get; otherwise
#   the host's error handler runs (ComIn's finish).  Without a handler comin
#   prints the message, calls EP_FINISH and exits with status 1 (ComIn stops);
# * host variables live in the host's memory: comin_var_list_append wraps the
#   pointer in a NumPy array (Fortran order, no copy);
# * descriptive data is copied (ComIn copies it into its state).

from cpython.memoryview cimport PyMemoryView_FromMemory
from cpython.buffer cimport PyBUF_WRITE, PyBUF_READ
from libc.stdlib cimport exit as _c_exit
from libc.string cimport strlen
from libc.stdio cimport fflush, stdout as _c_stdout, stderr as _c_stderr

ctypedef void (*_c_errhandler)(const char*, const char*) noexcept
ctypedef int (*_c_glb2loc)(int, int) noexcept
ctypedef void (*_c_sync_device)(void*, c_bool) noexcept
ctypedef void (*_c_sync_halo)(void*, int) noexcept

cdef struct _c_plugin_description:
    const char* name
    const char* plugin_library
    const char* primary_constructor
    const char* options
    const char* comm
    c_bool log_debug
    c_bool log_info
    c_bool log_warning

cdef object _c_host = None            # the C host's Host (None: comin_setup_init not called)


cdef class _CHostFunction:
    """A C host's function as a Python callable of the Host API (subclasses call it with
    its C signature); made by :func:`_c_host_function`."""
    cdef void* fn


cdef object _c_host_function(type cls, void* fn, int code=0, str what=""):
    """``cls`` over the host's C function ``fn``; NULL: None, or error ``code`` naming ``what``."""
    cdef _CHostFunction f
    if fn == NULL:
        if code:
            raise _err(code, f"{what} is NULL")
        return None
    f = cls.__new__(cls)
    f.fn = fn
    return f


cdef class _CHostHandler(_CHostFunction):
    """The C host's error handler ``void fct(const char* routine, const char* text)``."""

    def __call__(self, routine, text):
        sys.stdout.flush()
        sys.stderr.flush()
        (<_c_errhandler>self.fn)(str(routine).encode(), str(text).encode())


cdef class _CGlb2Loc(_CHostFunction):
    def __call__(self, int jg, int global_idx):
        return (<_c_glb2loc>self.fn)(jg, global_idx)


cdef class _CSyncDevice(_CHostFunction):
    def __call__(self, handle, direction):
        (<_c_sync_device>self.fn)(<void*>handle, bool(direction))


cdef class _CSyncHalo(_CHostFunction):
    def __call__(self, handle, int mode):
        (<_c_sync_halo>self.fn)(<void*>handle, mode)


def _c_default_host_handler(routine, text):
    """ComIn without a host handler: print, EP_FINISH, stop with status 1 (MPI_Abort if parallel)."""
    cdef _State st = _state
    if st is not None:
        st._default_error_handler(routine, text)
    else:
        sys.stderr.write(f"{routine}: {text}\n")
    sys.stdout.flush()
    sys.stderr.flush()
    fflush(NULL)
    _c_exit(1)


cdef object _c_need_host():
    """The C host's session, or error STATUS naming what is missing."""
    if _c_host is None or (<Host>_c_host).st.finalized:
        raise _err(COMIN_ERROR_STATUS, "ComIn is not set up: a host must call comin_setup_init first")
    return _c_host


cdef void _c_host_fail(object exc) noexcept:
    """A host call failed: bad input (ValueError/TypeError) gets code STATUS, then as _c_fail."""
    if isinstance(exc, (ValueError, TypeError)) and not isinstance(exc, ComInError):
        exc = ComInError(COMIN_ERROR_STATUS, str(exc))
    if _state is None:
        # no session (before comin_setup_init, after comin_setup_finalize): nobody to
        # hand the error to; ComIn would stop here
        try:
            text = f"{exc.category}: {exc.message}" if isinstance(exc, ComInError) else str(exc)
            detail = getattr(exc, "detail", "")
            sys.stderr.write(f"comin: {text}{': ' + detail if detail else ''}\n")
            sys.stderr.flush()
        finally:
            fflush(NULL)
            _c_exit(1)
    _c_fail(exc)


cdef object _c_opt_string(const char* s, str default):
    return default if s == NULL else (<bytes>s).decode("utf-8", "replace")


# -- setup ----------------------------------------------------------------------------------

cdef void _impl_comin_setup_init(c_bool lstdout):
    global _c_host
    if _state is not None:
        raise _err(COMIN_ERROR_SETUP_COMIN_ALREADY_INITIALIZED,
                   "comin_setup_init was already called (or another host session is active)")
    host = Host((), lstdout=bool(lstdout))
    (<Host>host).st.error_handler = _c_default_host_handler
    _c_host = host
    _c_set_errcode(COMIN_SUCCESS)


cdef void _impl_comin_setup_check(const char* name, int wp):
    host = _c_need_host()
    if not isinstance((<Host>host).st.error_handler, _CHostHandler):
        raise _err(COMIN_ERROR_SETUP_ERRHANDLER_NOT_SET,
                   "call comin_setup_errhandler before comin_setup_check")
    host.check(_c_string(name), wp)


cdef void _impl_comin_setup_finalize():
    global _c_host, _c_host_errors_return
    host = _c_need_host()
    try:
        host.finalize()
    finally:
        _c_host = None
        _c_host_errors_return = False
        _c_fastpath_update()
        sys.stdout.flush()
        sys.stderr.flush()


# -- descriptive data -----------------------------------------------------------------------

cdef int _c_dd_set(int jg, const char* field, object value) except -1:
    """Set one field: jg 0 global, else domain jg; "cells.<f>"/"edges.<f>"/"verts.<f>"."""
    host = _c_need_host()
    group, _, name = _c_string(field).rpartition(".")
    if jg == 0:
        if group:
            raise ValueError(f"global descriptive data has no group '{group}' (field '{group}.{name}')")
        host.set_global(**{name: value})
    elif group in ("cells", "edges", "verts"):
        host.set_domain(jg, **{group: {name: value}})
    elif not group:
        host.set_domain(jg, **{name: value})
    else:
        raise ValueError(f"descriptive data of a domain has no group '{group}' "
                         f"(cells, edges, verts)")
    return 0


cdef object _c_wrap(const void* data, object dtype, object shape, bint writable):
    """A NumPy array (Fortran order) over C memory, no copy."""
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"negative extent in shape {shape}")
    cdef Py_ssize_t n = 1
    for s in shape:
        n *= s
    dt = np.dtype(dtype)
    if n == 0:
        return np.zeros(shape, dtype=dt, order="F")
    if data == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED, "the data pointer is NULL")
    mv = PyMemoryView_FromMemory(<char*>data, n * dt.itemsize, PyBUF_WRITE if writable else PyBUF_READ)
    return np.frombuffer(mv, dtype=dt).reshape(shape, order="F")


cdef object _c_dd_array(const void* data, object dtype, int ndim, const int* shape):
    if ndim < 1 or ndim > 5 or shape == NULL:
        raise ValueError(f"descriptive-data arrays have 1 to 5 dimensions, got {ndim}")
    return _c_wrap(data, dtype, [shape[i] for i in range(ndim)], False).copy(order="F")


cdef void _impl_comin_descrdata_set_simulation_interval(const char* exp_start, const char* exp_stop,
                                                        const char* run_start, const char* run_stop):
    _c_need_host().set_simulation_interval(_c_string(exp_start).strip(), _c_string(exp_stop).strip(),
                                           _c_string(run_start).strip(), _c_string(run_stop).strip())


cdef void _impl_comin_descrdata_set_timesteplength(int jg, double dt):
    host = _c_need_host()
    n_dom = (<Host>host).st.d.n_dom
    if n_dom < 1:
        raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED,
                   "descriptive data 'n_dom' must be set before comin_descrdata_set_timesteplength")
    if jg < 1 or jg > n_dom:
        raise ValueError(f"comin_descrdata_set_timesteplength: domain id {jg} outside 1..{n_dom}")
    host.set_timesteplength(jg, dt)


# -- parallel ---------------------------------------------------------------------------------

cdef void _impl_comin_parallel_mpi_handshake(int comm, int n_group_names, const char** group_names,
                                             const char* component_name):
    cdef Host host = _c_need_host()
    cdef int i
    if host.st.in_primary or host.st.d.primary_done:
        raise _err(COMIN_ERROR_STATUS,
                   "comin_parallel_mpi_handshake must come before comin_plugin_primaryconstructor")
    if host.st.comms_done:
        raise _err(COMIN_ERROR_STATUS, "comin_parallel_mpi_handshake was called before")
    if n_group_names < 0 or (n_group_names > 0 and group_names == NULL):
        raise _err(COMIN_ERROR_STATUS, f"comin_parallel_mpi_handshake: {n_group_names} group names "
                   "but no array of them")
    from comin.parallel import _mpi
    MPI = _mpi()
    # ``comm`` is the "comin" communicator of the host's own first stage (upstream's hosts
    # run mpi_handshake on MPI_COMM_WORLD with "comin" first); ComIn's stage runs on it now,
    # collective, with the non-blank names in the host's order, as upstream's does
    host.st.comin_comm = MPI.Comm.f2py(comm)
    names = [_c_string(group_names[i]).strip() for i in range(n_group_names)
             if group_names[i] != NULL]
    host.st.handshake_names = [n for n in names if n]
    component = _c_string(component_name).strip()
    if component:
        host.component = component
    _setup_plugin_comms(host.st, host.component, True)


# -- plugins ----------------------------------------------------------------------------------

cdef void _impl_comin_plugin_primaryconstructor(const _c_plugin_description* plugin_list,
                                                int num_plugins):
    cdef Host host = _c_need_host()
    cdef int i
    if host.st.in_primary or host.st.d.primary_done:
        raise _err(COMIN_ERROR_STATUS, "the primary constructors have already run")
    if num_plugins < 0 or (num_plugins > 0 and plugin_list == NULL):
        raise ValueError(f"comin_plugin_primaryconstructor: bad plugin list ({num_plugins} entries)")
    from comin._adapter import PluginDescription
    descs = []
    for i in range(num_plugins):
        d = plugin_list[i]
        descs.append(PluginDescription(
            name=_c_opt_string(d.name, "").strip(),
            plugin_library=_c_opt_string(d.plugin_library, "").strip(),
            primary_constructor=_c_opt_string(d.primary_constructor, "").strip() or "comin_main",
            options=_c_opt_string(d.options, "").strip(),
            comm=_c_opt_string(d.comm, "").strip(),
            log_debug=bool(d.log_debug), log_info=bool(d.log_info),
            log_warning=bool(d.log_warning)))
    host.st.plugins = [_make_plugin(i + 1, d) for i, d in enumerate(descs)]
    host.run_primary_constructors()


# -- requests -----------------------------------------------------------------------------------

cdef _Request _c_request(int i):
    reqs = (<Host>_c_need_host()).st.requests
    if i < 1 or i > len(reqs):
        raise _err(COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED,
                   f"request {i} does not exist (there are {len(reqs)}; positions are 1-based)")
    return <_Request>reqs[i - 1]


cdef void _impl_comin_request_get_descriptor(int i, _c_descr* descriptor):
    r = _c_request(i)
    _c_fill_descriptor(descriptor, r.name, r.domain_id)


cdef int _impl_comin_request_get_plugin_ids(int i, int* ids, int max_ids) except? -1:
    cdef int k
    pids = _c_request(i).plugin_ids
    for k in range(min(max_ids, len(pids))):
        ids[k] = pids[k]
    return len(pids)


cdef object _c_request_meta(int i, const char* key, object default, int typeid):
    """ComIn's comin_metadata_get_or on a request's store: default if absent, code 36 if typed otherwise."""
    r = _c_request(i)
    k = _c_string(key)
    if k not in r.metadata:
        return default
    value = r.metadata[k]
    if _typeid_of(value) != typeid:
        raise _err(COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE,
                   f"request ({r.name}, {r.domain_id}): key '{k}' holds {type(value).__name__}")
    return value


cdef void _impl_comin_request_metadata_get_or_character(int i, const char* key, const char* default_val,
                                                        const char** val, int* len):
    value = _c_request_meta(i, key, None, COMIN_METADATA_TYPEID_CHARACTER)
    if value is None:
        val[0] = default_val
        len[0] = 0 if default_val == NULL else <int>strlen(default_val)
        return
    _c_str_out(("request_meta", i, _c_string(key)), value, val, len)


# -- variables ------------------------------------------------------------------------------------

cdef object _c_device_view(void* device_ptr, object arr):
    """The device field as an object with ``__cuda_array_interface__`` (host's layout)."""
    if device_ptr == NULL:
        return None
    view = _CDeviceArray()
    view.__cuda_array_interface__ = {
        "shape": arr.shape, "typestr": arr.dtype.str, "strides": arr.strides,
        "data": (<size_t>device_ptr, False), "version": 3}
    return view


class _CDeviceArray:
    """A host's device pointer with the CUDA array interface (for ``VarHandle``'s device side)."""


cdef void* _impl_comin_var_list_append(_c_descr descriptor, void* cptr, void* device_ptr,
                                       const int* array_shape, int type_id, const int* dim_semantics,
                                       c_bool lcontainer, int ncontained) except? NULL:
    cdef Host host = _c_need_host()
    name, jg = _c_descriptor(descriptor)
    if cptr == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED, f"var_descr: {name}, {jg}: data pointer is NULL")
    if array_shape == NULL or dim_semantics == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED,
                   f"var_descr: {name}, {jg}: array_shape and dim_semantics need 5 entries each")
    if type_id < 1 or type_id >= len(_DATATYPE_DTYPE):
        raise ValueError(f"variable ({name}, {jg}): unknown type_id {type_id} "
                         f"(COMIN_VAR_DATATYPE_DOUBLE/FLOAT/INT)")
    shape = [array_shape[i] for i in range(_SIZE_comin_var_list_append_array_shape)]
    arr = _c_wrap(cptr, _DATATYPE_DTYPE[type_id], shape, True)
    host.expose(name, jg, arr,
                dim_semantics=[dim_semantics[i] for i in range(_SIZE_comin_var_list_append_dim_semantics)],
                lcontainer=bool(lcontainer), ncontained=ncontained,
                device=_c_device_view(device_ptr, arr))
    return _c_keep_handle(_new_handle(<_Var>host.st.vars[(name, jg)], COMIN_FLAG_READ | COMIN_FLAG_WRITE))


cdef void _impl_comin_var_set_cptr(void* handle, void* cptr, void* device_ptr):
    host = _c_need_host()
    cdef _Var v = _c_need_handle(handle).var
    if cptr == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED,
                   f"var_descr: {v.name}, {v.domain_id}: data pointer is NULL")
    # one wrapper per (variable, pointer): swapping between time levels every step
    # re-uses them instead of growing the variable's keep-alive list
    key = ("set_cptr", v.name, v.domain_id, <size_t>cptr, <size_t>device_ptr)
    wrappers = _c_session()["arrays"]
    pair = wrappers.get(key)
    if pair is None:
        arr = _c_wrap(cptr, _DATATYPE_DTYPE[v.datatype], v.shape_tuple(), True)
        pair = wrappers[key] = (arr, _c_device_view(device_ptr, arr))
    host.set_array(v.name, v.domain_id, pair[0], device=pair[1])

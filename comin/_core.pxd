# The contract of the core: the C-level state that every binding (Python
# plugin API, Python host API, the C ABI) works on.  Other Cython
# modules cimport these declarations; attributes are C-level and typed so
# hot paths never go through Python attribute lookup.

from cpython.ref cimport PyObject

ctypedef void (*_c_callback)() noexcept

cdef class _CFunc:
    # A C plugin's callback as a Python callable (called through libcomin's guard).
    cdef _c_callback fn

cdef extern from "comin_internal.h":
    # The dispatch state, shared with libcomin's context call (one layout, declared in
    # comin/src/comin_internal.h, sized by the number of entry points of the table).
    enum: COMIN_EP_SLOTS
    ctypedef struct comin_fast_t:
        # The single callback of an entry point that needs no syncs, as borrowed
        # pointers (the callback tuples keep the objects alive).
        PyObject* func
        int pid
        _c_callback cfunc       # a C plugin's callback (func is its _CFunc), else NULL
    ctypedef struct comin_dispatch_t:
        int cur_pid             # id of the current plugin, 0: none
        int cur_ep
        int cur_domain
        int n_dom
        int verbosity
        bint lstdout
        bint profile            # time every callback (general path only)
        bint closed             # finalized or aborted: no more entry points
        bint primary_done
        int ncb[COMIN_EP_SLOTS]
        comin_fast_t fast[COMIN_EP_SLOTS]   # func NULL: take the general path
    comin_fast_t* comin_fast_slot(comin_dispatch_t* d, int ep, int domain_id, bint lacc) noexcept
    bint comin_nothing_at(const comin_dispatch_t* d, int ep) noexcept

cdef class _Plugin:
    cdef readonly int id
    cdef readonly str name
    cdef readonly str plugin_library
    cdef readonly str primary_constructor
    cdef readonly str options
    cdef readonly str comm
    cdef public bint errors_return
    cdef public bint log_debug
    cdef public bint log_info
    cdef public bint log_warning
    cdef public object description   # what the host passed (for adapters)
    cdef public object namespace     # Python plugins: the script's globals


cdef class _Callback:
    cdef _Plugin plugin
    cdef int pid                # plugin.id, for the hot path
    cdef object func
    cdef int ep
    cdef list access       # the (ep, plugin) access list, shared with the state
    cdef bint special      # some var in `access` has SYNC_HALO or DEVICE


cdef class _Var:
    cdef readonly str name
    cdef readonly int domain_id
    cdef object array                 # the host's ndarray (keeps memory alive)
    cdef list keepalive               # every array the var ever pointed to
    cdef char* data
    cdef Py_ssize_t shape[5]
    cdef Py_ssize_t strides[5]
    cdef int dim_semantics[5]
    cdef int datatype
    cdef Py_ssize_t itemsize
    cdef bint lcontainer
    cdef int ncontained               # Fortran convention (1-based, 0 = none)
    cdef dict metadata                # key -> bool | int | float | str
    cdef object device                # object with __cuda_array_interface__, or None
    cdef Py_ssize_t device_ptr
    cdef list repointed               # (fn, user) of comin_var_on_repoint, or None


cdef class _Request:
    cdef readonly str name
    cdef readonly int domain_id
    cdef readonly bint lmodexclusive
    cdef readonly list plugin_ids
    cdef readonly dict metadata


cdef class _State:
    # the current plugin/entry point/domain, n_dom, verbosity, lstdout, profile, closed,
    # primary_done and the callbacks per entry point (ncb, fast): shared with libcomin
    cdef comin_dispatch_t d
    # setup
    cdef object error_handler
    cdef bint finalized
    cdef bint aborted
    cdef dict timings                 # (plugin id, ep) -> [calls, nanoseconds]
    # plugins and phases
    cdef list plugins
    cdef bint in_primary
    # current state
    cdef str datetime
    # callbacks: per EP a tuple of _Callback (index 0 unused)
    cdef list pending                 # registrations during primary constructors
    cdef list ep_callbacks
    # variables
    cdef list requests
    cdef dict vars                    # (name, domain_id) -> _Var
    cdef list var_order
    cdef dict access                  # (ep, plugin id) -> list of [var, flag]
    # descriptive data
    cdef object global_data
    cdef list domains
    cdef dict timesteps
    cdef object sim_interval
    cdef object glb2loc
    cdef object sync_halo
    cdef object sync_device
    cdef object var_not_found_hint    # host text for error 32, fn(name, jg) -> str
    cdef int nproma
    cdef int descr_generation         # counts the host's descriptive-data updates
    # parallel
    cdef object host_comm
    cdef dict plugin_comms
    cdef bint comms_done
    cdef object handshake_names     # the host's group names (None: the plugins' comm names)
    cdef object comin_comm          # the "comin" group's communicator (stage 2 runs on it)
    cdef dict group_comms           # the host's own stage-1 groups (e.g. "yac")
    cdef tuple host_groups          # their names

    cdef bint _verbose(self, int level)
    cdef _Plugin _need_plugin(self, str what)
    cdef _Plugin _current(self)
    cdef int _n_dom(self, str why) except -1

# The C ABI: the bodies of the functions of libcomin, over the one core.
#
# libcomin (comin/lib/libcomin.so, generated from comin/_capi.py) exports the
# comin_* symbols of ComIn's comin.h; each one forwards through a table of
# function pointers that the core fills at import.  Each function is a row of
# comin/_capi.py: its wrapper _c_<name> (in the generated _capi_wrappers.pxi)
# runs the row's one-line body or the _impl_<name> below under the row's error
# policy.  The bodies hold no rules: they convert C arguments, call the same rule
# functions as the Python API and convert results back.
#
# Errors: a ComInError stores its code (comin_error_get); unless the current
# plugin switched errors_return on, it then ends the run as ComIn's
# error_check does: finish(<plugin name>, "<CATEGORY>: <message>").  With
# errors_return on the call returns a neutral value (NULL, 0, unchanged
# output).  A finish (ComInFinish) never propagates into C frames: it is kept
# pending, the call returns into its libcomin trampoline, which longjmps to
# the guard around the plugin code (primary constructor or callback); the
# core re-raises it there.
#
# C callbacks are _CFunc objects (Python callables that run the C function
# through libcomin's guard), so registration and dispatch are the core's own
# (order, messages, syncs, profiling).  Only comin_callback_context_call from
# C has a fast path inside libcomin (comin/src/comin_guard.c): for an entry
# point whose single callback is a C callback that the core marked runnable
# without the core (comin_fast_t.cfunc), libcomin sets the current plugin,
# EP and domain in the session's dispatch state (comin/src/comin_internal.h,
# shared with the core) and calls it.

import ctypes as _ctypes
import os as _os
import traceback as _traceback

from libc.string cimport memcpy
from cpython.bytes cimport PyBytes_AS_STRING

cdef extern from "<stdbool.h>":
    ctypedef bint c_bool "bool"

cdef struct _c_descr:
    char name[COMIN_MAX_LEN_VAR_NAME + 1]
    int id

ctypedef int (*_guard_fn_t)(_c_callback) noexcept

cdef _guard_fn_t _c_guard = NULL     # libcomin's comin_internal_call_guarded
cdef int* _c_unwind = NULL           # libcomin's comin_internal_unwind flag
cdef int _c_dummy_flag = 0             # the unwind flag until libcomin is loaded
cdef object _c_pending = None        # the ComInFinish raised inside a C call
cdef int _c_errcode = 0              # ComIn's stored error code (comin_error_get)
cdef object _c_errcode_owner = None  # ... of this session
cdef bint _c_host_errors_return = False  # a C host's errors_return (no plugin current)
cdef object _c_keep_owner = None
cdef dict _c_keep = None
_c_libcomin = None                   # the ctypes handle of libcomin (None: not built)
_c_libcomin_error = ""

_c_unwind = &_c_dummy_flag


cdef class _CFunc:
    """A C plugin's callback: a Python callable that runs it through the guard."""

    def __call__(self):
        _c_call_guarded(self.fn)

    def __repr__(self):
        return f"<comin C callback at {<size_t>self.fn:#x}>"


cdef class _CIter:
    """``t_comin_var_descr_list_iterator``: a snapshot of the exposed variables."""
    cdef list items
    cdef Py_ssize_t pos


cdef class _CMetaIter:
    """``t_comin_metadata_iterator``: a position in a snapshot of a variable's keys."""
    cdef object var
    cdef list keys
    cdef Py_ssize_t pos


cdef int _c_call_guarded(_c_callback fn) except -1:
    """Call C plugin code; a finish inside it unwinds here and is re-raised."""
    global _c_pending
    if _c_guard == NULL:
        raise RuntimeError("libcomin is not loaded")
    _c_pending = None         # a finish left by a C host call (no guard) is not ours
    if _c_guard(fn) != 0:
        exc = _c_pending
        _c_pending = None
        if exc is None:
            exc = ComInFinish("comin", "C plugin code was unwound without a pending finish")
        raise exc
    return 0


def _call_c_function(size_t address):
    """Run the C function ``void f(void)`` at ``address`` through the guard (loader)."""
    if address == 0:
        raise ValueError("NULL function pointer")
    _c_call_guarded(<_c_callback>address)


def _capi_available():
    """``(True, "")`` when libcomin is loaded, else ``(False, why)``."""
    return (_c_libcomin is not None, _c_libcomin_error)


cdef dict _c_session():
    """Objects handed to C (handles, iterators, strings, arrays), kept per session."""
    global _c_keep, _c_keep_owner
    if _c_keep is None or _c_keep_owner is not _state:
        _c_keep = {"handles": [], "iters": {}, "strings": {}, "arrays": {}}
        _c_keep_owner = _state
    return _c_keep


cdef int _c_set_errcode(int code):
    global _c_errcode, _c_errcode_owner
    _c_errcode = code
    _c_errcode_owner = _state
    return 0


cdef void _c_fail(object exc) noexcept:
    """An exception escaped a C API call: store/finish/keep pending (see the top)."""
    global _c_pending
    cdef _State st = _state
    cdef _Plugin p = None
    try:
        if isinstance(exc, ComInFinish):
            _c_pending = exc
            _c_unwind[0] = 1
            return
        if st is not None and st.d.cur_pid:
            p = st._current()
        routine = p.name if p is not None else "comin"
        if isinstance(exc, ComInError):
            _c_set_errcode(exc.code)
            if p.errors_return if p is not None else _c_host_errors_return:
                return
            if exc.code < 3:     # INFO, WARNING: printed, the call goes on
                if st is not None:
                    st.message(f"{exc.category}: {exc.message}", 0)
                return
            text = f"{exc.category}: {exc.message}"
            if exc.detail:
                sys.stderr.write(f"{routine}: {exc.detail}\n")
        else:
            _traceback.print_exception(type(exc), exc, exc.__traceback__)
            text = f"ERROR: {type(exc).__name__}: {exc}"
        if st is None:
            sys.stderr.write(f"{routine}: {text}\n")
            _c_pending = ComInFinish(routine, text)
            _c_unwind[0] = 1
            return
        try:
            st.finish(routine, text)
        except ComInFinish as fin:
            _c_pending = fin
            _c_unwind[0] = 1
    except BaseException as other:
        _traceback.print_exception(type(other), other, other.__traceback__)
        _c_pending = ComInFinish("comin", f"internal error in the C API: {other}")
        _c_unwind[0] = 1


# -- conversions ---------------------------------------------------------------------

cdef str _c_string(const char* s):
    if s == NULL:
        raise ValueError("NULL string passed to the C API")
    return (<bytes>s).decode("utf-8", "replace")


cdef tuple _c_descriptor(_c_descr d):
    cdef Py_ssize_t n = 0
    while n < COMIN_MAX_LEN_VAR_NAME + 1 and d.name[n] != 0:
        n += 1
    return ((<char*>d.name)[:n].decode("utf-8", "replace"), d.id)


cdef int _c_fill_descriptor(_c_descr* out, str name, int domain_id) except -1:
    b = name.encode()[:COMIN_MAX_LEN_VAR_NAME]
    cdef Py_ssize_t i
    for i in range(COMIN_MAX_LEN_VAR_NAME + 1):
        out.name[i] = 0
    memcpy(out.name, PyBytes_AS_STRING(b), len(b))
    out.id = domain_id
    return 0


cdef int _c_str_out(object slot, str value, const char** val, int* length) except -1:
    """Strings out: a pointer into storage kept until the slot's value changes."""
    strings = _c_session()["strings"]
    b = strings.get(slot)
    if b is None or (<bytes>b).decode("utf-8", "replace") != value:
        b = value.encode()
        strings[slot] = b
    if val != NULL:
        val[0] = PyBytes_AS_STRING(b)
    if length != NULL:
        length[0] = len(b)
    return 0


cdef int _c_copy_out(char* out, str value, Py_ssize_t size) except -1:
    """Fixed-size char output, NUL-terminated (size includes the NUL)."""
    b = value.encode()[:size - 1]
    memcpy(out, PyBytes_AS_STRING(b), len(b))
    out[len(b)] = 0
    return 0


cdef void* _c_keep_handle(VarHandle h):
    _c_session()["handles"].append(h)
    return <void*>h


cdef VarHandle _c_handle(void* handle):
    if handle == NULL:
        return None
    return <VarHandle><object>handle


cdef void* _c_data_pointer(void* handle, int datatype, bint device) except? NULL:
    """``comin_var_get_ptr*``: the host's (or device) pointer, datatype checked."""
    cdef VarHandle h = _c_handle(handle)
    if h is None:
        return NULL
    cdef _Var v = h.var
    cdef int i
    cdef Py_ssize_t expect
    if datatype and v.datatype != datatype:
        raise _err(COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE,
                   f"var_descr: {v.name}, {v.domain_id} (datatype {v.datatype}, the call "
                   f"asks for {datatype})")
    if device:
        return <void*>v.device_ptr
    expect = v.itemsize
    for i in range(5):
        if v.shape[i] > 1 and v.strides[i] != expect:
            raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED,
                       f"var_descr: {v.name}, {v.domain_id}: the host array is not contiguous "
                       f"in Fortran order (strides {tuple(v.strides[k] for k in range(5))}): "
                       f"C and Fortran plugins need F-contiguous host arrays")
        expect *= v.shape[i]
    return <void*>v.data


# -- descriptive data (used by the generated getters' bodies, comin/_capi.py) ------------

cdef object _cdd_value(str group, int jg, str field):
    cdef _State st = _active()
    if group == "global":
        obj = descrdata_get_global()
    else:
        obj = _domain(st, jg)
        if group != "domain":
            obj = getattr(obj, group)
    return getattr(obj, field)


cdef void* _cdd_array(str group, int jg, str field, int* arr_size) except? NULL:
    """Pointer to a descriptive-data array (Fortran order) and its extents."""
    arr = _cdd_value(group, jg, field)
    arrays = _c_session()["arrays"]
    key = (group, jg, field)
    entry = arrays.get(key)
    if entry is None or entry[0] is not arr:
        farr = arr if arr.flags.f_contiguous else np.asfortranarray(arr)
        entry = arrays[key] = (arr, farr)
    farr = entry[1]
    cdef int i
    for i in range(farr.ndim):
        arr_size[i] = farr.shape[i]
    cdef size_t addr = farr.__array_interface__["data"][0]
    return <void*>addr


cdef int _impl_comin_descrdata_query_field(int jg, const char* field, const void** address,
                                           int* length) except? -1:
    """Whether a field is set (0/1) or read through the host's memory (2, its address)."""
    cdef _State st = _active()
    cdef _HostScalar ref
    group, _, name = _c_string(field).rpartition(".")
    if jg == 0:
        obj = st.global_data
    elif 1 <= jg <= len(st.domains):
        obj = st.domains[jg - 1]
    else:
        obj = None
    if obj is not None and group:
        obj = obj.__dict__.get(group)
    if obj is None:
        return 0
    found = type(obj).__dict__.get(name)
    if isinstance(found, _HostScalar):
        ref = <_HostScalar>found
        address[0] = ref.ptr
        length[0] = ref.length
        return 2
    return 1 if name in obj.__dict__ else 0


cdef int _cdd_string(str group, int jg, str field, const char** val, int* length) except -1:
    return _c_str_out(("descrdata", group, jg, field), _cdd_value(group, jg, field), val, length)


# -- helpers of the bodies -------------------------------------------------------------------

cdef VarHandle _c_need_handle(void* handle):
    if handle == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED, "the variable handle is NULL")
    return _c_handle(handle)


cdef int _c_plugin_string(str what, str field, const char** val, int* length) except -1:
    """The current plugin's name, options or comm (comin_current_get_plugin_<field>)."""
    cdef _Plugin p = _active()._need_plugin(what)
    return _c_str_out(("plugin_" + field, p.id), getattr(p, field), val, length)


cdef int _c_error_code():
    """ComIn's stored error code of this session (comin_error_get)."""
    if _c_errcode_owner is not _state:
        return COMIN_SUCCESS
    return _c_errcode


cdef int _c_metadata_set(_c_descr d, const char* key, object value) except -1:
    cdef _State st = _active()
    if _c_host is not None and st.d.cur_pid == 0:
        # no plugin current: a C host's metadata_set on an exposed variable (ComIn's host variant)
        name, jg = _c_descriptor(d)
        _c_host.set_metadata(name, jg, **{_c_string(key): value})
        return 0
    _request_metadata_set(st, _c_descriptor(d), {_c_string(key): value})
    return 0


cdef object _c_metadata_get(_c_descr d, const char* key, int typeid):
    """An exposed variable's metadata value, which must have ComIn type ``typeid``.

    As upstream's typed getters (comin_metadata.F90, comin_metadata_get_*): 11, 24,
    then 36 for a key of another type *or a missing key* (Python raises KeyError).
    """
    descr = _c_descriptor(d)
    k = _c_string(key)
    cdef _Var v = _metadata_var(_active(), descr)
    value = v.metadata.get(k)
    if value is None or _typeid_of(value) != typeid:
        raise _err(COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE,
                   f"var_descr: {descr[0]}, {descr[1]}; key '{k}' "
                   + ("is not set" if value is None else f"holds {type(value).__name__}"))
    return value


cdef void* _c_metadata_iterator(_c_descr d, bint end) except? NULL:
    cdef _State st = _active()
    cdef _CMetaIter it
    var = _metadata_var(st, _c_descriptor(d))
    it = _CMetaIter.__new__(_CMetaIter)
    it.var = var
    it.keys = [k.encode() for k in (<_Var>var).metadata]
    it.pos = len(it.keys) if end else 0
    _c_session()["iters"][id(it)] = it
    return <void*>it


cdef _CMetaIter _c_need_meta_iter(void* it):
    if it == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED, "the metadata iterator is NULL")
    return <_CMetaIter><object>it


cdef int _c_indices(str grid, int jg, int i_blk, int i_startblk, int i_endblk, int* i_startidx,
                    int* i_endidx, int irl_start, int irl_end) except -1:
    s, e = _get_indices(_active(), grid, jg, i_blk, i_startblk, i_endblk, irl_start, irl_end)
    i_startidx[0] = s
    i_endidx[0] = e
    return 0


cdef int _c_interval(str field, const char** val, int* len) except -1:
    return _c_str_out(("interval", field), getattr(descrdata_get_simulation_interval(), field), val, len)


# -- the bodies of the functions of comin/_capi.py without a one-line body ------------------------
#
# _impl_<name> gets the C arguments; it may raise (the generated wrapper _c_<name> in
# _capi_wrappers.pxi hands the exception to _c_fail / _c_host_fail).

cdef void _impl_comin_current_get_plugin_flags(c_bool* errors_return, c_bool* log_debug,
                                               c_bool* log_info, c_bool* log_warning):
    # comin extension (the fields of Fortran's t_comin_plugin_info beyond id/name/options/comm)
    cdef _Plugin p = _active()._need_plugin("comin_current_get_plugin_flags")
    errors_return[0] = p.errors_return
    log_debug[0] = p.log_debug
    log_info[0] = p.log_info
    log_warning[0] = p.log_warning


cdef void _impl_comin_error_get_message(int errcode, char* category, char* message):
    cat, msg = error_get_message(errcode)
    _c_copy_out(category, cat, _SIZE_comin_error_get_message_category)
    _c_copy_out(message, msg, _SIZE_comin_error_get_message_message)


cdef void _impl_comin_error_check(int errcode, const char* scope):
    # ComIn's library symbol ignores its arguments and checks the stored code
    code = _c_error_code()
    if code == COMIN_SUCCESS:
        return
    cat, msg = error_get_message(code)
    st = _active()
    if code < 3:
        st.message(f"{cat}: {msg}", 0)
        return
    p = st._current()
    st.finish(p.name if p is not None else "comin", f"{cat}: {msg}")


cdef void _impl_comin_error_set_errors_return(c_bool errors_return):
    global _c_host_errors_return
    if _c_host is not None and _active().d.cur_pid == 0:
        _c_host_errors_return = errors_return     # a C host's own calls (comin_host.h)
        return
    _active()._need_plugin("comin_error_set_errors_return").errors_return = errors_return


cdef void* _impl_comin_var_get(int context_len, int* context, _c_descr var_descriptor,
                               int flag) except? NULL:
    """C's ``comin_var_get``.  The context is read first, as its argument: upstream's
    ``context(context_len)`` is a zero-size array for ``context_len <= 0`` (an empty
    context, any pointer), and a NULL context with entries is comin's 26 (upstream reads
    through the null pointer)."""
    if context_len > 0 and context == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED,
                   f"comin_var_get: the context is NULL with context_len {context_len}")
    eps = [context[i] for i in range(context_len)]
    return _c_keep_handle(_var_get(_active(), eps, _c_descriptor(var_descriptor), flag))


cdef void _impl_comin_var_get_shape(void* handle, int* shape):
    cdef _Var v = _c_need_handle(handle).var
    for i in range(_SIZE_comin_var_get_shape_shape):
        shape[i] = v.shape[i]


cdef void _impl_comin_var_get_dim_semantics(void* handle, int* dim_semantics):
    ds = _c_need_handle(handle).dim_semantics
    for i in range(_SIZE_comin_var_get_dim_semantics_dim_semantics):
        dim_semantics[i] = ds[i]


cdef void _impl_comin_var_get_pos(void* handle, int* pos_jc, int* pos_jk, int* pos_jb,
                                  int* pos_jn):
    """ComIn 0.2's positions (VarHandle.pos: 0-based, -2 absent)."""
    pos_jc[0], pos_jk[0], pos_jb[0], pos_jn[0] = _c_need_handle(handle).pos


cdef void _impl_comin_var_get_descriptor(void* handle, _c_descr* descriptor):
    name, jg = _c_need_handle(handle).descriptor
    _c_fill_descriptor(descriptor, name, jg)


cdef void* _impl_comin_var_get_descr_list_head() except? NULL:
    cdef _CIter it
    items = list(var_descr_list())
    if not items:
        return NULL
    it = _CIter.__new__(_CIter)
    it.items = items
    it.pos = 0
    _c_session()["iters"][id(it)] = it
    return <void*>it


cdef void* _impl_comin_var_get_descr_list_next(void* it) except? NULL:
    cdef _CIter obj
    if it == NULL:
        return NULL
    obj = <_CIter><object>it
    obj.pos += 1
    if obj.pos >= len(obj.items):
        _c_session()["iters"].pop(id(obj), None)     # frees the iterator (ComIn 0.3)
        return NULL
    return it


cdef void _impl_comin_var_get_descr_list_var_desc(void* it, _c_descr* descriptor):
    cdef _CIter obj
    if it == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED, "the iterator is NULL")
    obj = <_CIter><object>it
    name, jg = obj.items[obj.pos]
    _c_fill_descriptor(descriptor, name, jg)


cdef void _impl_comin_var_descr_list_iterator_delete(void** it):
    if it != NULL and it[0] != NULL:
        _c_session()["iters"].pop(id(<object>it[0]), None)
        it[0] = NULL


cdef void _impl_comin_callback_register(int ep, _c_callback fct):
    cdef _CFunc f
    st = _active()
    if fct == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED, "callback function pointer is NULL")
    f = _CFunc.__new__(_CFunc)
    f.fn = fct
    _register_c(st, ep, f)


cdef void _impl_comin_callback_context_call(int ep, int domain_id, c_bool lacc):
    """ComIn's context call for C hosts: the same logic as ``Host.call_ep``.

    libcomin calls this for everything but its own fast path (one C callback,
    no syncs, nothing to print), and hands it the fast path of the session
    here on the first call.
    """
    cdef _State st = _state
    if st is not None and st is _c_fast_owner and _call_ep_fast(st, ep, domain_id, lacc):
        return      # one Python callback (libcomin's own fast path takes C callbacks)
    _c_fastpath_update()
    st = _active()
    if ep == EP_FINISH and st.aborted:
        st.context_finish()     # a host's error handler calls EP_FINISH after a finish
        return
    _call_ep(st, ep, domain_id, lacc)


ctypedef int (*_set_dispatch_fn)(comin_dispatch_t*, int) noexcept
cdef _set_dispatch_fn _c_set_dispatch = NULL
cdef object _c_fast_owner = None     # the session libcomin's fast path points into (kept alive)


cdef int _c_fastpath_update() except -1:
    """Point libcomin's context call at the active session's dispatch state."""
    global _c_fast_owner
    cdef _State st = _state
    if _c_set_dispatch == NULL or st is _c_fast_owner:
        return 0
    if st is None:
        _c_set_dispatch(NULL, sizeof(comin_dispatch_t))
        _c_fast_owner = None
        return 0
    if _c_set_dispatch(&st.d, sizeof(comin_dispatch_t)) == 0:
        _c_fast_owner = st
    return 0


# -- metadata -------------------------------------------------------------------------------

cdef void _impl_comin_metadata_get_character(_c_descr var_descriptor, const char* key,
                                             const char** val, int* len):
    value = _c_metadata_get(var_descriptor, key, COMIN_METADATA_TYPEID_CHARACTER)
    name, jg = _c_descriptor(var_descriptor)
    _c_str_out(("metadata", name, jg, _c_string(key)), value, val, len)


cdef const char* _impl_comin_metadata_iterator_get_key(void* it) except? NULL:
    cdef _CMetaIter obj = _c_need_meta_iter(it)
    if obj.pos >= len(obj.keys):
        raise _err(COMIN_ERROR_METADATA_KEY_NOT_FOUND, "the metadata iterator is at its end")
    return PyBytes_AS_STRING(obj.keys[obj.pos])


cdef c_bool _impl_comin_metadata_iterator_compare(void* it1, void* it2) except? -1:
    cdef _CMetaIter a = _c_need_meta_iter(it1)
    cdef _CMetaIter b = _c_need_meta_iter(it2)
    return a.var is b.var and a.pos == b.pos


cdef void _impl_comin_metadata_iterator_next(void* it):
    cdef _CMetaIter obj = _c_need_meta_iter(it)
    if obj.pos < len(obj.keys):
        obj.pos += 1


cdef void _impl_comin_metadata_iterator_delete(void* it):
    if it != NULL:
        _c_session()["iters"].pop(id(<object>it), None)


# -- libcomin ---------------------------------------------------------------------------------

def _load_libcomin():
    """Load libcomin (RTLD_GLOBAL: plugins linking -lcomin bind to it) and hand it the table."""
    global _c_guard, _c_unwind, _c_libcomin, _c_libcomin_error
    path = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "lib", "libcomin.so")
    if not _os.path.exists(path):
        _c_libcomin_error = f"{path} does not exist (comin was built without libcomin)"
        return
    try:
        lib = _ctypes.CDLL(path, mode=_ctypes.RTLD_GLOBAL | _os.RTLD_NOW)
    except OSError as exc:
        _c_libcomin_error = f"cannot load {path}: {exc}"
        return
    _capi_fill_table()
    cdef size_t table = <size_t>&_capi_table[0]
    if lib.comin_internal_set_table(_ctypes.c_void_p(table), _ctypes.c_int(_capi_table_size)) != 0:
        _c_libcomin_error = f"{path} was built for another version of the comin core"
        return
    cdef size_t guard = _ctypes.cast(lib.comin_internal_call_guarded, _ctypes.c_void_p).value
    cdef size_t flag = _ctypes.addressof(_ctypes.c_int.in_dll(lib, "comin_internal_unwind"))
    _c_guard = <_guard_fn_t>guard
    cdef size_t setd = _ctypes.cast(lib.comin_internal_set_dispatch, _ctypes.c_void_p).value
    global _c_set_dispatch
    _c_set_dispatch = <_set_dispatch_fn>setd
    _c_unwind = <int*>flag
    _c_libcomin = lib


cdef void _c_on_repoint(_Var v, _c_repoint fct, void* user) except *:
    """comin_var_on_repoint: ``fct(user)`` after each re-pointing of ``v`` by the host."""
    if fct == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED,
                   f"var_descr: {v.name}, {v.domain_id}: the function is NULL")
    if v.repointed is None:
        v.repointed = []
    v.repointed.append((<size_t><void*>fct, <size_t>user))

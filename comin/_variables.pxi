# Exposed variables, variable handles, requests and var_get.

from cpython.buffer cimport PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES

cdef dict _DTYPE_TO_DATATYPE = {np.dtype(t): _C_CONSTANTS[name]
                                 for name, t in _table.DATATYPE_NUMPY.items()}
cdef tuple _DATATYPE_DTYPE = (None,) + tuple(sorted(_DTYPE_TO_DATATYPE, key=_DTYPE_TO_DATATYPE.get))
cdef const char* _FORMATS[4]
_FORMATS[0] = b""
_FORMATS[1] = b"d"
_FORMATS[2] = b"f"
_FORMATS[3] = b"i"

_ALL_FLAGS = (COMIN_FLAG_READ | COMIN_FLAG_WRITE | COMIN_FLAG_SYNC_HALO | COMIN_FLAG_DEVICE)


cdef class _Var:
    """An exposed variable: a 5-D view of host memory plus its metadata."""

    def __repr__(self):
        return f"<comin variable ({self.name}, {self.domain_id}) shape={self.shape_tuple()}>"

    def shape_tuple(self):
        return tuple(self.shape[i] for i in range(5))


cdef class _Request:
    """A variable request of one or more plugins (ComIn's ``t_comin_request_item``).

    ``plugin_ids`` lists the 1-based ids of the plugins that asked for it;
    ``metadata`` is what they set with ``metadata_set``.
    """

    @property
    def descriptor(self):
        return (self.name, self.domain_id)

    @property
    def tracer(self):
        """True when a plugin asked for the variable as a tracer."""
        return bool(self.metadata.get("tracer", False))

    def __repr__(self):
        return (f"<comin request ({self.name}, {self.domain_id}) "
                f"exclusive={bool(self.lmodexclusive)} plugins={self.plugin_ids} "
                f"metadata={self.metadata}>")


cdef class VarHandle:
    """A plugin's handle on an exposed variable (``comin.var_get``).

    ``numpy.asarray(handle)`` is a zero-copy 5-D view of the host's memory
    (ComIn's layout, the host's strides).  A handle obtained without
    ``COMIN_FLAG_WRITE`` gives a read-only array, so a stray write cannot
    corrupt the host's field (upstream ComIn hands out writable arrays).
    With device memory registered by the host, ``__cuda_array_interface__``
    lets ``cupy.asarray(handle)`` wrap it without a copy.
    """
    cdef _Var var
    cdef readonly int flag
    cdef readonly bint readonly
    cdef object _src          # the host array ``_nd`` views (``var.array`` when it was made)
    cdef object _nd           # the 5-D view of ``_src`` that ``__array__`` returns
    cdef object _nd3          # its ``to_3d`` view (None until asked for)
    cdef dict _views          # id(host array) -> [host array, 5-D view, to_3d view]: time levels

    def __getbuffer__(self, Py_buffer *buffer, int flags):
        cdef _Var v = self.var
        if (flags & PyBUF_WRITABLE) and self.readonly:
            raise BufferError(
                f"variable ({v.name}, {v.domain_id}) is read-only for this plugin: "
                f"ask for COMIN_FLAG_WRITE in var_get to write it")
        if (flags & PyBUF_STRIDES) != PyBUF_STRIDES:
            raise BufferError("comin variables are strided: the consumer must accept strides")
        buffer.buf = v.data
        buffer.obj = self
        buffer.len = v.itemsize * v.shape[0] * v.shape[1] * v.shape[2] * v.shape[3] * v.shape[4]
        buffer.readonly = self.readonly
        buffer.itemsize = v.itemsize
        buffer.format = <char*>_FORMATS[v.datatype] if (flags & PyBUF_FORMAT) else NULL
        buffer.ndim = 5
        buffer.shape = v.shape
        buffer.strides = v.strides
        buffer.suboffsets = NULL
        buffer.internal = NULL

    def __releasebuffer__(self, Py_buffer *buffer):
        pass

    def __array__(self, dtype=None, copy=None):
        """The variable as a 5-D NumPy array (as ``numpy.asarray(handle)``), without making one.

        The handle keeps the view of each host array it has shown (the two
        buffers of a time-level pair the host re-points between), so after
        the first call per buffer this is an attribute check, not NumPy's
        buffer protocol path (which builds a new array every call).  The
        same array object is returned while the host does not re-point the
        variable: treat it as the handle's, not as a private copy.
        ``dtype``/``copy`` follow NumPy's ``__array__`` protocol.
        """
        cdef object nd = self._current()
        if dtype is None and copy is None:
            return nd
        if dtype is not None and np.dtype(dtype) != nd.dtype:
            if copy is False:
                raise ValueError(f"variable ({self.var.name}, {self.var.domain_id}) is "
                                 f"{nd.dtype}: {np.dtype(dtype)} needs a copy")
            return nd.astype(dtype, order="K")
        return nd.copy(order="K") if copy else nd

    cdef inline object _current(self):
        return self._nd if self._src is self.var.array else self._refresh()

    cdef object _refresh(self):
        """The view of the host array the variable points at now (made once per host array)."""
        cdef _Var v = self.var
        src = v.array
        if self._views is None:
            self._views = {}
        hit = self._views.get(id(src))
        if hit is None or hit[0] is not src:
            if len(self._views) >= 4:           # the variable's buffers are not a pair: no cache
                self._views.clear()
            hit = self._views[id(src)] = [src, np.asarray(self), None]
        self._src, self._nd, self._nd3 = src, hit[1], hit[2]
        return self._nd

    @property
    def descriptor(self):
        """``(name, domain_id)`` of the variable."""
        return (self.var.name, self.var.domain_id)

    @property
    def shape(self):
        """The 5-D shape (Fortran order, unused dimensions have extent 1)."""
        return self.var.shape_tuple()

    @property
    def dim_semantics(self):
        """``COMIN_DIM_SEMANTICS_*`` of each of the 5 dimensions."""
        return tuple(self.var.dim_semantics[i] for i in range(5))

    @property
    def datatype(self):
        """``COMIN_VAR_DATATYPE_*`` of the elements."""
        return self.var.datatype

    @property
    def lcontainer(self):
        """True when the variable is a container (e.g. of tracers)."""
        return bool(self.var.lcontainer)

    @property
    def ncontained(self):
        """0-based position inside its container (-1: not contained), as ComIn's C/Python.

        For a container it is ComIn's count of contained fields minus one.
        """
        return self.var.ncontained - 1

    @property
    def pos_jc(self):
        """0-based position of the nproma dimension (-2: none), ComIn 0.2 style."""
        return _position(self.var, COMIN_DIM_SEMANTICS_NPROMA)

    @property
    def pos_jk(self):
        """0-based position of the level dimension (-2: none), ComIn 0.2 style."""
        return _position(self.var, COMIN_DIM_SEMANTICS_LEVEL)

    @property
    def pos_jb(self):
        """0-based position of the block dimension (-2: none), ComIn 0.2 style."""
        return _position(self.var, COMIN_DIM_SEMANTICS_BLOCK)

    @property
    def pos_jn(self):
        """0-based position of the container dimension (-2: none), ComIn 0.2 style."""
        return _position(self.var, COMIN_DIM_SEMANTICS_CONTAINER)

    @property
    def pos(self):
        """``(pos_jc, pos_jk, pos_jb, pos_jn)`` (ComIn 0.2)."""
        return (self.pos_jc, self.pos_jk, self.pos_jb, self.pos_jn)

    @property
    def to_3d(self):
        """The field as a 3-D array: ``(nproma, nlev, nblks)`` or ``(nproma, nblks, 1)``.

        The nproma, level (if any) and block axes come first, the rest follow
        in order, and the last two axes are taken at index 0 (ComIn 0.3).
        Made once per host array, as ``__array__``'s view.
        """
        nd = self._current()
        if self._nd3 is not None:
            return self._nd3
        if self.var.lcontainer:
            raise ValueError(f"Attempt to convert container variable ({self.var.name}, "
                             f"{self.var.domain_id}) into 3D field")
        ds = list(self.dim_semantics)
        if COMIN_DIM_SEMANTICS_NPROMA not in ds or COMIN_DIM_SEMANTICS_BLOCK not in ds:
            raise ValueError(f"variable ({self.var.name}, {self.var.domain_id}) has no nproma "
                             f"and block dimension (dim_semantics={tuple(ds)})")
        first = [ds.index(COMIN_DIM_SEMANTICS_NPROMA)]
        if COMIN_DIM_SEMANTICS_LEVEL in ds:
            first.append(ds.index(COMIN_DIM_SEMANTICS_LEVEL))
        first.append(ds.index(COMIN_DIM_SEMANTICS_BLOCK))
        rest = [i for i in range(5) if i not in first]
        self._nd3 = nd3 = nd.transpose(first + rest)[..., 0, 0]
        self._views[id(self._src)][2] = nd3
        return nd3

    @property
    def has_device_data(self):
        """True when the host registered device memory for this variable."""
        return self.var.device is not None

    @property
    def __cuda_array_interface__(self):
        """The variable's device memory for CuPy, Numba, PyTorch (``cupy.asarray(handle)``).

        Without device memory (a CPU-only run) the pointer is 0 (``"data": (0, False)``), as
        upstream's Python adapter gives: a plugin may print or test it; ``has_device_data``
        tells whether there is device memory."""
        cdef _Var v = self.var
        return {
            "shape": v.shape_tuple(),
            "typestr": _DATATYPE_DTYPE[v.datatype].str,
            "data": ((int(v.device_ptr), bool(self.readonly)) if v.device is not None
                     else (0, False)),
            "strides": tuple(v.strides[i] for i in range(5)),
            "version": 3,
        }

    def __repr__(self):
        return (f"<comin.VarHandle ({self.var.name}, {self.var.domain_id}) "
                f"shape={self.shape} flag={self.flag}>")


cdef int _position(_Var v, int semantic):
    """ComIn 0.2's 0-based position of a dimension: its Fortran position - 1, so -2 when
    the variable has none (Fortran's -1)."""
    cdef int i
    for i in range(5):
        if v.dim_semantics[i] == semantic:
            return i
    return -2


cdef VarHandle _new_handle(_Var var, int flag):
    cdef VarHandle h = VarHandle.__new__(VarHandle)
    h.var = var
    h.flag = flag
    h.readonly = not (flag & COMIN_FLAG_WRITE) or not var.array.flags.writeable
    return h


cdef tuple _parse_descriptor(object descr):
    """``(name, id)`` from a plugin's descriptor, with clear errors."""
    try:
        name, domain_id = descr
    except (TypeError, ValueError):
        raise ValueError(f"a variable descriptor is a (name, domain_id) tuple, got {descr!r}") from None
    if not isinstance(name, str):
        raise TypeError(f"variable name must be a str, got {type(name).__name__}")
    name = name.strip()
    if len(name) > COMIN_MAX_LEN_VAR_NAME:
        raise ValueError(f"Variable name too long (max {COMIN_MAX_LEN_VAR_NAME} characters): {name!r}")
    if not name:
        raise ValueError("variable name is empty")
    return name, operator.index(domain_id)


# -- host side: exposing variables ---------------------------------------------

ctypedef void (*_c_repoint)(void*) noexcept


cdef void _repointed(_Var v) except *:
    """The host re-pointed ``v``: call what comin_var_on_repoint registered for it (ComIn
    0.2's Fortran t_comin_var_ptr, whose ``ptr`` a plugin reads without a call)."""
    if v.repointed:
        for fn, user in list(v.repointed):
            (<_c_repoint><void*><size_t>fn)(<void*><size_t>user)


cdef _Var _set_var_array(_Var v, object array, object device):
    """Point ``v`` at ``array`` (and ``device``), checking dtype and shape."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"variable ({v.name}, {v.domain_id}): the host must pass a numpy.ndarray "
                        f"(host memory, no copy), got {type(array).__name__}")
    dt = _DTYPE_TO_DATATYPE.get(array.dtype)
    if dt is None:
        raise TypeError(f"variable ({v.name}, {v.domain_id}): dtype {array.dtype} is not a ComIn "
                        "datatype (float64, float32 or intc)")
    if array.ndim > 5:
        raise ValueError(f"variable ({v.name}, {v.domain_id}): {array.ndim} dimensions, ComIn has 5")
    cdef Py_ssize_t shape[5]
    cdef Py_ssize_t strides[5]
    cdef int i
    cdef Py_ssize_t last = array.itemsize
    for i in range(5):
        if i < array.ndim:
            shape[i] = array.shape[i]
            strides[i] = array.strides[i]
            last = abs(strides[i]) * shape[i] if shape[i] else last
        else:
            shape[i] = 1
            strides[i] = last
    if v.data != NULL:
        if dt != v.datatype or any(shape[i] != v.shape[i] for i in range(5)):
            raise ValueError(f"variable ({v.name}, {v.domain_id}): new array has dtype "
                             f"{array.dtype} and shape {array.shape}, the exposed one "
                             f"{_DATATYPE_DTYPE[v.datatype]} and {v.shape_tuple()}")
    for i in range(5):
        v.shape[i] = shape[i]
        v.strides[i] = strides[i]
    v.datatype = dt
    v.itemsize = array.itemsize
    v.array = array
    if not any(a is array for a in v.keepalive):
        v.keepalive.append(array)
    cdef Py_ssize_t addr = array.__array_interface__["data"][0]
    v.data = <char*>addr
    v.device = None
    v.device_ptr = 0
    if device is not None:
        iface = getattr(device, "__cuda_array_interface__", None)
        if iface is None:
            raise TypeError(f"variable ({v.name}, {v.domain_id}): device memory must provide "
                            f"__cuda_array_interface__ (e.g. a CuPy array)")
        if tuple(iface["shape"]) + (1,) * (5 - len(iface["shape"])) != v.shape_tuple():
            raise ValueError(f"variable ({v.name}, {v.domain_id}): device array shape "
                             f"{tuple(iface['shape'])} differs from host shape {array.shape}")
        v.device = device
        v.device_ptr = iface["data"][0]
        if not any(d is device for d in v.keepalive):
            v.keepalive.append(device)
    return v


cdef tuple _default_dim_semantics(int ndim, bint lcontainer):
    if ndim == 2:
        return (COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK)
    if ndim == 3:
        return (COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL, COMIN_DIM_SEMANTICS_BLOCK)
    if ndim == 4 and lcontainer:
        return (COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL,
                COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_CONTAINER)
    return None


cdef _Var _expose(_State st, str name, int domain_id, object array, object dim_semantics,
                  object metadata, bint lcontainer, int ncontained, object device):
    """ComIn's ``comin_var_list_append`` (+ host ``metadata_set``)."""
    name, domain_id = _parse_descriptor((name, domain_id))
    if (name, domain_id) in st.vars:
        raise _err(COMIN_ERROR_STATUS, f"variable ({name}, {domain_id}) is already exposed")
    cdef _Var v = _Var.__new__(_Var)
    v.name = name
    v.domain_id = domain_id
    v.keepalive = []
    v.metadata = {}
    v.data = NULL
    v.lcontainer = lcontainer
    if ncontained < 0:
        raise ValueError(f"variable ({name}, {domain_id}): ncontained must be >= 0 (ComIn's "
                         f"Fortran convention: 1-based position, 0 = not contained)")
    v.ncontained = ncontained
    _set_var_array(v, array, device)
    ndim = array.ndim
    if dim_semantics is None:
        dim_semantics = _default_dim_semantics(ndim, lcontainer)
        if dim_semantics is None:
            raise ValueError(f"variable ({name}, {domain_id}): give dim_semantics for a "
                             f"{ndim}-D array")
    ds = [int(x) for x in dim_semantics]
    if len(ds) < 5:
        ds += [COMIN_DIM_SEMANTICS_UNUSED] * (5 - len(ds))
    if len(ds) != 5 or any(x < COMIN_DIM_SEMANTICS_UNDEF or x > COMIN_DIM_SEMANTICS_UNUSED for x in ds):
        raise ValueError(f"variable ({name}, {domain_id}): bad dim_semantics {tuple(dim_semantics)}")
    for i in range(5):
        v.dim_semantics[i] = ds[i]
    if metadata:
        for key, value in dict(metadata).items():
            _metadata_store(v.metadata, name, domain_id, key, value)
    if "datatype" in v.metadata:
        if v.metadata["datatype"] != v.datatype:
            raise ValueError(f"variable ({name}, {domain_id}): metadata datatype="
                             f"{v.metadata['datatype']} but the array is {array.dtype}")
    else:
        v.metadata["datatype"] = v.datatype
    st.vars[(name, domain_id)] = v
    st.var_order.append(v)
    return v


cdef _Var _find_var(_State st, str name, int domain_id, int code):
    v = st.vars.get((name, domain_id))
    if v is None:
        raise _err(code, f"var_descr: {name}, {domain_id}")
    return v


# -- plugin side: requests and var_get -----------------------------------------

cdef int _request_add(_State st, object descr, bint lmodexclusive) except -1:
    """ComIn's ``comin_var_request_add`` (primary constructors only).

    As upstream (comin_variable.F90, comin_var_request_add and its element
    routine): after the primary constructors code 20; domain id -1 asks for each
    domain 1..n_dom in turn, and a conflict on one domain does not stop the
    others (upstream's loop goes on with errors_return; the last error is the
    one reported).  Per domain, at the first request of the same descriptor: it
    is exclusive (21), else the new one is (22), else the plugin id is appended
    to the request's plugin ids (again if the plugin asked before, as upstream's
    moduleID).  No match: a new request.
    """
    name, domain_id = _parse_descriptor(descr)
    if not st.in_primary:
        raise _err(COMIN_ERROR_VAR_REQUEST_AFTER_PRIMARYCONSTRUCTOR, f"var_descr: {name}, {domain_id}")
    cdef _Plugin p = st._need_plugin("var_request_add")
    if domain_id == COMIN_DOMAIN_OUTSIDE_LOOP:
        ids = range(1, st._n_dom("a request for all domains (id -1)") + 1)
    else:
        ids = (domain_id,)
    cdef _Request r
    failed = None
    for jg in ids:
        for r in st.requests:
            if r.name == name and r.domain_id == jg:
                if r.lmodexclusive:
                    failed = _err(COMIN_ERROR_VAR_REQUEST_EXISTS_IS_LMODEXCLUSIVE,
                                  f"var_descr: {name}, {jg} (requested exclusively by plugin(s) "
                                  f"{r.plugin_ids})")
                elif lmodexclusive:
                    failed = _err(COMIN_ERROR_VAR_REQUEST_EXISTS_REQUEST_LMODEXCLUSIVE,
                                  f"var_descr: {name}, {jg} (already requested by plugin(s) "
                                  f"{r.plugin_ids})")
                else:
                    r.plugin_ids.append(p.id)
                break
        else:
            r = _Request.__new__(_Request)
            r.name = name
            r.domain_id = jg
            r.lmodexclusive = lmodexclusive
            r.plugin_ids = [p.id]
            r.metadata = {}
            st.requests.append(r)
    if failed is not None:
        raise failed
    return 0


cdef int _request_metadata_set(_State st, object descr, dict kwargs) except -1:
    """ComIn's request-side ``comin_metadata_set`` (primary constructors only).

    One ComIn call per keyword, in order (as upstream's Python ``metadata_set``;
    a failing keyword leaves the earlier ones set): the value is converted
    first (ValueError, the adapter's), then the checks of
    comin_metadata.F90, comin_request_set_var_metadata_*: after the primary
    constructors 9; then for each domain (1..n_dom for id -1) the request of
    that descriptor, if there is one: a logical ``tracer`` set to true with an
    id other than -1 is 27, a key that holds another type 36 (domains done
    before keep the value, as upstream), else the value is set; no request on
    any domain: 23.
    """
    name, domain_id = _parse_descriptor(descr)
    for key, value in kwargs.items():
        _request_metadata_set_one(st, name, domain_id, key, value)
    return 0


cdef int _request_metadata_set_one(_State st, str name, int domain_id, str key,
                                   object value) except -1:
    v = _metadata_value(name, domain_id, key, value)
    if not st.in_primary:
        raise _err(COMIN_ERROR_METADATA_SET_OUTSIDE_PRIMARYCONSTRUCTOR, f"var_descr: {name}, {domain_id}")
    if domain_id == COMIN_DOMAIN_OUTSIDE_LOOP:
        ids = range(1, st._n_dom("metadata_set for all domains (id -1)") + 1)
    else:
        ids = (domain_id,)
    cdef _Request r
    cdef bint found = False
    for jg in ids:
        for r in st.requests:
            if r.name == name and r.domain_id == jg:
                found = True
                if key == "tracer" and v is True and domain_id != COMIN_DOMAIN_OUTSIDE_LOOP:
                    raise _err(COMIN_ERROR_TRACER_REQUEST_NOT_FOR_ALL_DOMAINS,
                               f"var_descr: {name}, {domain_id}")
                _metadata_store(r.metadata, name, jg, key, v)
                break
    if not found:
        raise _err(COMIN_ERROR_VAR_DESCRIPTOR_NOT_FOUND, f"var_descr: {name}, {domain_id}")
    return 0


cdef VarHandle _var_get(_State st, object context, object descr, int flag):
    """ComIn's ``comin_var_get`` (secondary constructor only).

    Order of checks as upstream (comin_variable.F90, comin_var_get_internal):
    outside the secondary constructor (30), DEVICE without a device (31), not
    exposed (32), SYNC_HALO on a container (33), on an irregular variable (34).
    comin's own checks come where upstream would go on: DEVICE on a variable
    without device memory (31) after the lookup, SYNC_HALO without the host's
    halo function (29) after the halo checks, then the entry points of the
    context (6: upstream does not check them) and unknown flag bits.  Argument
    types (a list, integer entry points, the descriptor) are checked first, as
    the Python adapter parses them before it calls ComIn.
    """
    if isinstance(context, (str, bytes)) or not isinstance(context, (list, tuple)):
        raise ValueError("var_get requires a list of entry points as context, "
                         f"got {type(context).__name__}")
    ids = [_ep_id(ep) for ep in context]
    name, domain_id = _parse_descriptor(descr)
    if not st.d.primary_done or st.d.cur_ep != EP_SECONDARY_CONSTRUCTOR or st.d.cur_pid == 0:
        raise _err(COMIN_ERROR_VAR_GET_OUTSIDE_SECONDARY_CONSTRUCTOR, f"var_descr: {name}, {domain_id}")
    if (flag & COMIN_FLAG_DEVICE) and not _has_device(st):
        raise _err(COMIN_ERROR_VAR_GET_NO_DEVICE, f"var_descr: {name}, {domain_id}")
    cdef _Var v = st.vars.get((name, domain_id))
    if v is None:
        detail = f"var_descr: {name}, {domain_id}"
        if st.var_not_found_hint is not None:
            detail += str(st.var_not_found_hint(name, domain_id))
        raise _err(COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND, detail)
    if (flag & COMIN_FLAG_DEVICE) and v.device is None:
        raise _err(COMIN_ERROR_VAR_GET_NO_DEVICE,
                   f"var_descr: {name}, {domain_id} (the host registered no device memory for it)")
    if flag & COMIN_FLAG_SYNC_HALO:
        if v.lcontainer:
            raise _err(COMIN_ERROR_VAR_GET_CONTAINER_CAN_NOT_HALO_SYNCHRONIZED,
                       f"var_descr: {name}, {domain_id}")
        if any(v.dim_semantics[i] == COMIN_DIM_SEMANTICS_UNDEF for i in range(5)):
            raise _err(COMIN_ERROR_VAR_GET_IRREGULAR_VAR_CAN_NOT_HALO_SYNCHRONIZED,
                       f"var_descr: {name}, {domain_id}")
        if st.sync_halo is None:
            raise _err(COMIN_ERROR_VAR_SYNC_HALO_NOT_ASSOCIATED,
                       f"var_descr: {name}, {domain_id} (the host set no halo exchange)")
    eps = [_as_ep(ep) for ep in ids]
    if flag & ~_ALL_FLAGS:
        raise _err(COMIN_ERROR_STATUS, f"var_descr: {name}, {domain_id}: unknown bits in access flag {flag}")
    cdef _Plugin p = st._current()
    cdef _Callback cb
    cdef bint special = (flag & (COMIN_FLAG_SYNC_HALO | COMIN_FLAG_DEVICE)) != 0
    for ep in eps:
        if ep == EP_SECONDARY_CONSTRUCTOR:
            continue
        acc = st.access.setdefault((ep, p.id), [])
        if any(entry[0] is v for entry in acc):
            continue   # the first flag for (ep, plugin, var) wins
        acc.append((v, flag))
        if special:
            for cb in st.ep_callbacks[ep]:
                if cb.plugin is p:
                    cb.special = True
            _update_fast(st, ep)
    return _new_handle(v, flag)


cdef bint _has_device(_State st):
    g = st.global_data
    return g is not None and bool(g.__dict__.get("has_device", False))

# Descriptive data (global, per domain, simulation interval, time steps) and
# ICON's index helpers.

cdef dict _DESCR_FIELDS = {
    group: {name: (kind, ndim) for name, kind, ndim in rows}
    for group, rows in _table.DESCRDATA.items()
}
cdef dict _ARRAY_DTYPES = {"int32": np.dtype(np.intc), "float64": np.dtype(np.float64),
                           "int8": np.dtype(np.int8)}


class DescrData:
    """Descriptive data as plugins see it (``descrdata_get_global/domain``).

    Attributes are the fields of ComIn's descriptive data (``dir()`` lists
    them); domains have ``cells``, ``edges`` and ``verts`` sub-objects.
    Scalars are Python ``int``/``float``/``bool``/``str``; arrays are
    read-only NumPy views in the host's (Fortran) layout with ICON's 1-based
    index values.  A field the host did not set raises ``ComInError``
    (COMIN_ERROR_FIELD_NOT_ALLOCATED); plugins cannot change the data.

    Each object has a class of its own, named after its group: fields not
    set yet are descriptors on that class that raise, fields set are plain
    instance attributes (so reading one costs a dict lookup, which CPython
    specialises; a ``__getattr__`` would disable that).
    """

    def __setattr__(self, name, value):
        raise AttributeError(f"descriptive data is read-only ('{self._where}.{name}')")

    def __delattr__(self, name):
        raise AttributeError(f"descriptive data is read-only ('{self._where}.{name}')")

    def __dir__(self):
        return sorted(_group_fields(self._group))

    def __repr__(self):
        return f"<comin descriptive data '{self._where}'>"


class _Unset:
    """Class-level stand-in for a field the host has not set (yet)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED,
                   f"descriptive data '{obj._where}.{self.name}' was not set by the host")

    def __set__(self, obj, value):
        raise AttributeError(f"descriptive data is read-only ('{obj._where}.{self.name}')")


cdef class _HostScalar:
    """A scalar field read through the host's memory on every access.

    ComIn keeps the host's pointers for the components its Fortran types declare
    ``POINTER`` (``ncells``, ``nlev``, ``grid_filename``, ...): a host that changes the
    target after ``comin_descrdata_set_domain`` changes what plugins read.  A Fortran
    host hands such a component over by address (``comin_descrdata_set_pointer_*``);
    this descriptor, put on the field's per-object class, reads it (a C ``int``, or
    ``length`` bytes of a blank-padded string).
    """
    cdef const void* ptr
    cdef int length               # -1: a C int; else a string of this many bytes
    cdef object where

    def __get__(self, obj, objtype):
        if obj is None:
            return self
        if self.length < 0:
            return (<const int*>self.ptr)[0]
        if self.length == 0:
            return ""
        return (<const char*>self.ptr)[:self.length].decode("utf-8", "replace").rstrip()

    def __set__(self, obj, value):
        raise AttributeError(f"descriptive data is read-only ('{self.where}')")

    @property
    def address(self):
        """The host's address of the field (what a Fortran plugin's POINTER points at)."""
        return <size_t>self.ptr


cdef object _host_scalar(const void* ptr, int length):
    cdef _HostScalar h
    if ptr == NULL:
        raise _err(COMIN_ERROR_POINTER_NOT_ASSOCIATED, "the host's pointer is NULL")
    h = _HostScalar.__new__(_HostScalar)
    h.ptr = ptr
    h.length = length
    return h


cdef list _group_fields(str group):
    names = list(_DESCR_FIELDS[group])
    if group == "domain":
        names += ["cells", "edges", "verts"]
    return names


cdef object _new_descrdata(str group, str where):
    """A DescrData object whose class marks every field as not set."""
    cls = type(group, (DescrData,), {name: _Unset(name) for name in _group_fields(group)})
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", {"_group": group, "_where": where})
    return obj


cdef int _descr_store(object obj, dict values) except -1:
    """Set fields: drop their stand-ins, give the object a fresh dict.

    A :class:`_HostScalar` value goes onto the object's class (a data descriptor that
    reads the host's memory); any other value is a plain instance attribute."""
    cls = type(obj)
    d = dict(obj.__dict__)
    for name, value in values.items():
        if isinstance(cls.__dict__.get(name), (_Unset, _HostScalar)):
            delattr(cls, name)
        if isinstance(value, _HostScalar):
            (<_HostScalar>value).where = f"{obj._where}.{name}"
            setattr(cls, name, value)
            d.pop(name, None)
        else:
            d[name] = value
    object.__setattr__(obj, "__dict__", d)
    return 0


cdef object _descr_reference(object obj, str name):
    """The host's address of a field read through the host's memory, else None: a scalar
    kept by reference (:class:`_HostScalar`) or an array viewing memory it does not own."""
    ref = type(obj).__dict__.get(name)
    if isinstance(ref, _HostScalar):
        return ref.address
    return None


cdef object _descr_value(str where, str name, str kind, int ndim, object value):
    """Convert a host value to the table's type; arrays become read-only views."""
    if isinstance(value, _HostScalar):
        if ndim != 0 or kind not in ("int", "str") or \
                ((<_HostScalar>value).length < 0) != (kind == "int"):
            raise TypeError(f"descriptive data '{where}.{name}' is a {kind} field: it cannot be "
                            "read through a host pointer of another type")
        return value
    if kind == "int":
        return int(operator.index(value))
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    if kind == "str":
        if not isinstance(value, str):
            raise TypeError(f"descriptive data '{where}.{name}' must be a str, "
                            f"got {type(value).__name__}")
        return value
    arr = np.asarray(value, dtype=_ARRAY_DTYPES[kind])
    if arr.ndim != ndim:
        raise ValueError(f"descriptive data '{where}.{name}' must have {ndim} dimension(s), "
                         f"got shape {arr.shape}")
    view = arr.view()
    view.flags.writeable = False
    return view


cdef int _descr_update(object obj, str group, str where, dict fields) except -1:
    """Check and store host fields on a DescrData object."""
    table = _DESCR_FIELDS[group]
    converted = {}
    for name, value in fields.items():
        if name not in table:
            raise ValueError(f"unknown descriptive data field '{where}.{name}' "
                             f"(known: {', '.join(table)})")
        kind, ndim = table[name]
        converted[name] = _descr_value(where, name, kind, ndim, value)
    _descr_store(obj, converted)
    return 0


cdef object _domain(_State st, int jg):
    if jg < 1 or jg > len(st.domains) or st.domains[jg - 1] is None:
        raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED,
                   f"descriptive data of domain {jg} was not set by the host "
                   f"({len(st.domains)} domain(s) known)")
    return st.domains[jg - 1]


# -- index helpers (ICON conventions, all 1-based) -------------------------------

cdef inline int _get_block(int j, int nproma) except? -1:
    cdef int aj = j if j >= 0 else -j
    cdef int b = (aj - 1) // nproma + 1 if aj > 0 else 1
    return b if b > 1 else 1


cdef inline int _get_index(int j, int nproma):
    if j == 0:
        return 0
    cdef int aj = j if j >= 0 else -j
    cdef int r = (aj - 1) % nproma + 1
    return r if j > 0 else -r


cdef int _nproma(_State st) except -1:
    if st.nproma <= 0:
        raise _err(COMIN_ERROR_FIELD_NOT_ALLOCATED,
                   "descriptive data 'nproma' was not set by the host")
    return st.nproma


cdef tuple _get_indices(_State st, str grid, int jg, int i_blk, int i_startblk, int i_endblk,
                        int irl_start, int irl_end):
    """ICON's get_indices_c/e/v: first and last jc of block ``i_blk``.

    As in ICON, the domain's start/end index arrays are read only for the
    first and last block of the range: an inner block gives ``(1, nproma)``
    whatever ``jg`` and the refin_ctrl levels are.
    """
    cdef int nproma = _nproma(st)
    cdef int i_startidx, i_endidx
    if i_blk == i_startblk:
        i_startidx = _refin_value(st, grid, jg, "start_index", irl_start)
        if grid != "verts":
            i_startidx = max(1, i_startidx)
        i_endidx = nproma
        if i_blk == i_endblk:
            i_endidx = _refin_value(st, grid, jg, "end_index", irl_end)
    elif i_blk == i_endblk:
        i_startidx = 1
        i_endidx = _refin_value(st, grid, jg, "end_index", irl_end)
    else:
        i_startidx = 1
        i_endidx = nproma
    return (i_startidx, i_endidx)


cdef int _refin_value(_State st, str grid, int jg, str field, int irl) except? -1:
    """``domain(jg).<grid>.<field>(irl)`` of an array indexed by refin_ctrl level."""
    values = getattr(getattr(_domain(st, jg), grid), field)
    min_rl = getattr(st.global_data,
                     {"cells": "min_rlcell", "edges": "min_rledge", "verts": "min_rlvert"}[grid])
    cdef int n = values.shape[0]
    if irl - min_rl < 0 or irl - min_rl >= n:
        raise ValueError(f"refin_ctrl level {irl} outside {min_rl}..{min_rl + n - 1} "
                         f"of domain {jg} {grid}")
    return values[irl - min_rl]


cdef int _npromz(_State st, str grid, int jg) except? -1:
    sub = getattr(_domain(st, jg), grid)
    n = getattr(sub, {"cells": "ncells", "edges": "nedges", "verts": "nverts"}[grid])
    return n - (sub.nblks - 1) * _nproma(st)

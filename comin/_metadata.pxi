# Typed metadata stores (request items and exposed variables).
#
# A store is a dict key -> value whose Python type is the ComIn type:
# bool -> LOGICAL, int -> INTEGER, float -> REAL, str -> CHARACTER.

cdef int _typeid_of(object value):
    """ComIn metadata type id of a stored value."""
    t = type(value)
    if t is bool:
        return COMIN_METADATA_TYPEID_LOGICAL
    if t is int:
        return COMIN_METADATA_TYPEID_INTEGER
    if t is float:
        return COMIN_METADATA_TYPEID_REAL
    if t is str:
        return COMIN_METADATA_TYPEID_CHARACTER
    return COMIN_METADATA_TYPEID_UNDEFINED


cdef object _metadata_value(str name, int domain_id, str key, object value):
    """Convert a value to its ComIn type (bool before int) or raise ValueError."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if v < -2147483648 or v > 2147483647:
            raise ValueError(f"value is out of the range of int: metadata '{key}' = {v} "
                             f"of variable ({name}, {domain_id})")
        return v
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    raise ValueError(f"metadata '{key}' of variable ({name}, {domain_id}): unsupported type "
                     f"{type(value).__name__} (use bool, int, float or str)")


cdef int _metadata_store(dict store, str name, int domain_id, str key, object value) except -1:
    """Set ``key`` in ``store``; an existing key keeps its type (else code 36)."""
    v = _metadata_value(name, domain_id, key, value)
    if key in store and _typeid_of(store[key]) != _typeid_of(v):
        raise _err(COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE,
                   f"var_descr: {name}, {domain_id}; key '{key}' holds "
                   f"{type(store[key]).__name__}, cannot set {type(v).__name__}")
    store[key] = v
    return 0

"""Variable handles: zero-copy views of host memory (spec sections 3.3 and 7)."""
import numpy as np
import pytest

import comin

from _support import NLEV, NPROMA, field2d, field3d

EP_START = comin.EP_ATM_TIMELOOP_START
R, W = comin.COMIN_FLAG_READ, comin.COMIN_FLAG_WRITE
DS = dict(NPROMA=comin.COMIN_DIM_SEMANTICS_NPROMA, LEVEL=comin.COMIN_DIM_SEMANTICS_LEVEL,
          BLOCK=comin.COMIN_DIM_SEMANTICS_BLOCK, CONTAINER=comin.COMIN_DIM_SEMANTICS_CONTAINER,
          UNUSED=comin.COMIN_DIM_SEMANTICS_UNUSED, UNDEF=comin.COMIN_DIM_SEMANTICS_UNDEF,
          OTHER=comin.COMIN_DIM_SEMANTICS_OTHER)


def get_handles(make_host, requests, expose, **host_kw):
    """Expose with ``expose(host)``; one plugin var_gets ``{key: (descr, flag)}``.

    Returns ``(host, handles)``; handles are used from the test body.
    """
    handles = {}

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            for key, (descr, flag) in requests.items():
                handles[key] = comin.var_get([EP_START], descr, flag)

    host = make_host(plugin, **host_kw)
    host.run_primary_constructors()
    expose(host)
    host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
    return host, handles


def test_zero_copy_view_both_directions(make_host):
    t = field3d(1)
    _, h = get_handles(make_host, {"rw": (("t", 1), R | W), "r": (("t", 1), R)},
                       lambda host: host.expose("t", 1, t))
    a = np.asarray(h["rw"])
    assert a.shape == (NPROMA, NLEV, 3, 1, 1)
    assert np.shares_memory(a, t)
    assert np.array_equal(a[..., 0, 0], t)
    a[1, 2, 0, 0, 0] = -7.5                      # plugin writes, host sees it
    assert t[1, 2, 0] == -7.5
    t[3, 0, 2] = 99.0                            # host writes, plugin sees it
    assert a[3, 0, 2, 0, 0] == 99.0
    assert np.asarray(h["r"])[3, 0, 2, 0, 0] == 99.0
    assert h["rw"].shape == (NPROMA, NLEV, 3, 1, 1)


def test_read_only_handles(make_host):
    t = field3d(1)
    before = t.copy()
    _, h = get_handles(make_host, {"r": (("t", 1), R), "none": (("t", 1), comin.COMIN_FLAG_NONE)},
                       lambda host: host.expose("t", 1, t))
    for key in ("r", "none"):
        a = np.asarray(h[key])
        assert np.shares_memory(a, t)
        assert not a.flags.writeable
        with pytest.raises(ValueError):
            a[0, 0, 0, 0, 0] = 1.0
        with pytest.raises(ValueError):
            a += 1
        assert h[key].readonly
    assert np.array_equal(t, before)


def test_read_only_buffer_refuses_writable_request(make_host):
    t = field3d(1)
    _, h = get_handles(make_host, {"r": (("t", 1), R), "w": (("t", 1), W)},
                       lambda host: host.expose("t", 1, t))
    assert memoryview(h["r"]).readonly
    assert not memoryview(h["w"]).readonly
    assert not h["w"].readonly


def test_non_writable_host_array_gives_read_only_view(make_host):
    t = field3d(1)
    t.flags.writeable = False
    _, h = get_handles(make_host, {"w": (("t", 1), W)}, lambda host: host.expose("t", 1, t))
    assert not np.asarray(h["w"]).flags.writeable


@pytest.mark.parametrize("dtype,datatype,fmt", [
    (np.float64, comin.COMIN_VAR_DATATYPE_DOUBLE, "d"),
    (np.float32, comin.COMIN_VAR_DATATYPE_FLOAT, "f"),
    (np.intc, comin.COMIN_VAR_DATATYPE_INT, "i"),
])
def test_dtype_per_datatype(make_host, dtype, datatype, fmt):
    t = field3d(1, dtype=dtype)
    host, h = get_handles(make_host, {"w": (("t", 1), W)}, lambda host: host.expose("t", 1, t))
    a = np.asarray(h["w"])
    assert a.dtype == np.dtype(dtype)
    assert h["w"].datatype == datatype
    assert memoryview(h["w"]).format == fmt
    assert host.metadata("t", 1)["datatype"] == datatype
    assert np.array_equal(a[..., 0, 0], t)


def test_datatype_metadata_must_match_array(make_host):
    host = make_host()
    with pytest.raises(ValueError):
        host.expose("t", 1, field3d(1, dtype=np.float32),
                    metadata={"datatype": comin.COMIN_VAR_DATATYPE_DOUBLE})
    host.expose("u", 1, field3d(1, dtype=np.float32),
                metadata={"datatype": comin.COMIN_VAR_DATATYPE_FLOAT})


def test_fortran_and_c_strides(make_host):
    f = field3d(1)                                       # Fortran order
    c = np.ascontiguousarray(field3d(1))
    _, h = get_handles(make_host, {"f": (("f", 1), R), "c": (("c", 1), R)},
                       lambda host: (host.expose("f", 1, f), host.expose("c", 1, c)))
    a = np.asarray(h["f"])
    assert a.strides == (8, 8 * NPROMA, 8 * NPROMA * NLEV, 8 * NPROMA * NLEV * 3,
                         8 * NPROMA * NLEV * 3)
    assert a.flags.f_contiguous
    b = np.asarray(h["c"])
    assert b.strides[:3] == c.strides
    assert np.shares_memory(b, c)
    assert np.array_equal(b[..., 0, 0], c)


def test_to_3d_and_layout(make_host):
    t3 = field3d(1)
    t2 = field2d(1)
    tracers = np.asfortranarray(np.arange(NPROMA * NLEV * 3 * 2, dtype=np.float64)
                                .reshape(NPROMA, NLEV, 3, 2))
    q2 = tracers[:, :, :, 1:2]                           # the second tracer, as a slice

    def expose(host):
        host.expose("t", 1, t3)
        host.expose("ps", 1, t2)
        host.expose("tracers", 1, tracers, lcontainer=True, ncontained=2)
        host.expose("q2", 1, q2, ncontained=2,
                    dim_semantics=(DS["NPROMA"], DS["LEVEL"], DS["BLOCK"], DS["CONTAINER"]))
        # level-first layout: (nlev, nproma, nblks)
        host.expose("lev_first", 1, np.asfortranarray(np.transpose(t3, (1, 0, 2))),
                    dim_semantics=(DS["LEVEL"], DS["NPROMA"], DS["BLOCK"]))

    _, h = get_handles(make_host, {k: ((k, 1), R) for k in
                                   ("t", "ps", "tracers", "q2", "lev_first")}, expose)
    assert h["t"].to_3d.shape == (NPROMA, NLEV, 3)
    assert np.shares_memory(h["t"].to_3d, t3)
    assert np.array_equal(h["t"].to_3d, t3)
    assert h["ps"].to_3d.shape == (NPROMA, 3, 1)
    assert np.array_equal(h["ps"].to_3d[:, :, 0], t2)
    assert np.array_equal(h["q2"].to_3d, tracers[:, :, :, 1])
    assert np.array_equal(h["lev_first"].to_3d, t3)
    with pytest.raises(ValueError):
        h["tracers"].to_3d

    assert h["t"].dim_semantics == (DS["NPROMA"], DS["LEVEL"], DS["BLOCK"], DS["UNUSED"],
                                    DS["UNUSED"])
    assert h["ps"].dim_semantics == (DS["NPROMA"], DS["BLOCK"], DS["UNUSED"], DS["UNUSED"],
                                     DS["UNUSED"])
    assert h["tracers"].dim_semantics == (DS["NPROMA"], DS["LEVEL"], DS["BLOCK"],
                                          DS["CONTAINER"], DS["UNUSED"])
    assert (h["t"].pos_jc, h["t"].pos_jk, h["t"].pos_jb, h["t"].pos_jn) == (0, 1, 2, -1)
    assert h["ps"].pos == (0, -1, 1, -1)
    assert h["tracers"].pos == (0, 1, 2, 3)
    assert h["lev_first"].pos == (1, 0, 2, -1)

    assert h["t"].ncontained == -1
    assert h["ps"].ncontained == -1
    assert h["q2"].ncontained == 1                       # Fortran 2 -> 1
    assert h["tracers"].ncontained == 1                  # container of 2 -> 2 - 1
    assert h["tracers"].lcontainer and not h["t"].lcontainer
    assert h["t"].descriptor == ("t", 1)
    assert h["q2"].descriptor == ("q2", 1)
    assert np.asarray(h["tracers"]).shape == (NPROMA, NLEV, 3, 2, 1)


def test_to_3d_needs_nproma_and_block(make_host):
    _, h = get_handles(make_host, {"o": (("o", 1), R)}, lambda host: host.expose(
        "o", 1, np.zeros((5, 3)), dim_semantics=(DS["OTHER"], DS["BLOCK"])))
    with pytest.raises(ValueError):
        h["o"].to_3d


def test_negative_ncontained_is_refused(make_host):
    host = make_host()
    with pytest.raises(ValueError):
        host.expose("t", 1, field3d(1), ncontained=-1)


def test_set_array_repoints(make_host):
    now, nxt = field3d(1, fill=1.0), field3d(1, fill=2.0)
    host, h = get_handles(make_host, {"w": (("t", 1), R | W)},
                          lambda host: host.expose("t", 1, now))
    assert np.asarray(h["w"])[0, 0, 0, 0, 0] == 1.0
    host.set_array("t", 1, nxt)                          # time-level swap
    view = np.asarray(h["w"])
    assert np.shares_memory(view, nxt)
    assert not np.shares_memory(view, now)
    assert np.all(view == 2.0)
    view[0, 0, 0, 0, 0] = 5.0
    assert nxt[0, 0, 0] == 5.0 and now[0, 0, 0] == 1.0
    with pytest.raises(ValueError):
        host.set_array("t", 1, field3d(1, dtype=np.float32))
    with pytest.raises(ValueError):
        host.set_array("t", 1, field3d(1, nlev=NLEV + 1))
    with pytest.raises(TypeError):
        host.set_array("t", 1, [[1.0]])
    with pytest.raises(comin.ComInError) as ei:
        host.set_array("nope", 1, nxt)
    assert ei.value.code == 24
    assert np.shares_memory(np.asarray(h["w"]), nxt)     # failed swaps changed nothing


def test_array_protocol_follows_the_time_levels(make_host):
    """``handle.__array__()`` and ``to_3d``: one view per host buffer, made once, re-pointed
    with the variable (a time-level pair costs no new arrays), read-only as the handle."""
    now, nxt = field3d(1, fill=1.0), field3d(1, fill=2.0)
    host, h = get_handles(make_host, {"w": (("t", 1), R | W), "r": (("t", 1), R)},
                          lambda host: host.expose("t", 1, now))
    w, r = h["w"], h["r"]
    a_now, t_now = w.__array__(), w.to_3d
    assert a_now is w.__array__() and t_now is w.to_3d
    assert a_now.shape == np.asarray(w).shape and a_now.strides == np.asarray(w).strides
    assert np.shares_memory(a_now, now) and np.shares_memory(t_now, now)
    assert a_now.flags.writeable and not r.__array__().flags.writeable
    assert not r.to_3d.flags.writeable
    host.set_array("t", 1, nxt)
    a_nxt = w.__array__()
    assert np.shares_memory(a_nxt, nxt) and not np.shares_memory(a_nxt, now)
    assert np.shares_memory(w.to_3d, nxt) and np.all(r.to_3d == 2.0)
    w.to_3d[0, 0, 0] = 5.0
    assert nxt[0, 0, 0] == 5.0
    host.set_array("t", 1, now)                          # back: the first views again
    assert w.__array__() is a_now and w.to_3d is t_now
    other = field3d(1, fill=3.0)                         # a buffer outside the pair
    host.set_array("t", 1, other)
    assert np.all(w.__array__() == 3.0) and np.shares_memory(w.to_3d, other)
    # NumPy's __array__ protocol: dtype and copy
    assert w.__array__(np.float32).dtype == np.float32
    assert not np.shares_memory(w.__array__(copy=True), other)
    with pytest.raises(ValueError, match=r"variable \(t, 1\)"):
        w.__array__(np.float32, copy=False)


class FakeDevice:
    """Stands in for a CuPy array: only ``__cuda_array_interface__``."""

    def __init__(self, host_array, ptr):
        self.__cuda_array_interface__ = {
            "shape": host_array.shape, "typestr": host_array.dtype.str,
            "data": (ptr, False), "version": 3, "strides": host_array.strides}


def test_cuda_array_interface(make_host):
    t = field3d(1, dtype=np.float32)
    ptr = 0x7F0000001000

    def expose(host):
        host.set_global(has_device=True)
        host.expose("t", 1, t, device=FakeDevice(t, ptr))
        host.expose("ps", 1, field2d(1))

    _, h = get_handles(make_host, {"w": (("t", 1), W | comin.COMIN_FLAG_DEVICE),
                                   "r": (("t", 1), R), "ps": (("ps", 1), R)}, expose)
    cai = h["w"].__cuda_array_interface__
    assert cai == {"shape": (NPROMA, NLEV, 3, 1, 1), "typestr": "<f4", "data": (ptr, False),
                   "version": 3, "strides": (4, 4 * NPROMA, 4 * NPROMA * NLEV,
                                             4 * NPROMA * NLEV * 3, 4 * NPROMA * NLEV * 3)}
    assert h["w"].has_device_data
    assert h["r"].__cuda_array_interface__["data"] == (ptr, True)   # read-only handle
    assert not h["ps"].has_device_data
    # no device memory (a CPU-only run): a NULL pointer, as upstream's adapter (its gpu_test.py
    # prints it on a CPU), not an error
    assert h["ps"].__cuda_array_interface__ == {
        "shape": (NPROMA, 3, 1, 1, 1), "typestr": "<f8", "data": (0, False), "version": 3,
        "strides": (8, 8 * NPROMA, 8 * NPROMA * 3, 8 * NPROMA * 3, 8 * NPROMA * 3)}


def test_device_flag_needs_device_memory(make_host):
    got = []

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            try:
                comin.var_get([EP_START], ("ps", 1), R | comin.COMIN_FLAG_DEVICE)
            except comin.ComInError as exc:
                got.append(exc.code)

    host = make_host(plugin)
    host.set_global(has_device=True)
    host.run_primary_constructors()
    host.expose("ps", 1, field2d(1))
    host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
    assert got == [31]


def test_device_shape_must_match(make_host):
    host = make_host()
    t = field3d(1)
    with pytest.raises(ValueError):
        host.expose("t", 1, t, device=FakeDevice(field2d(1), 1))
    with pytest.raises(TypeError):
        host.expose("u", 1, t, device=object())


def test_expose_errors(make_host):
    host = make_host()
    host.expose("t", 1, field3d(1))
    with pytest.raises(comin.ComInError) as ei:
        host.expose("t", 1, field3d(1))
    assert ei.value.code == 3
    host.expose("t", 2, field3d(2))                      # other domain: another variable
    with pytest.raises(TypeError):
        host.expose("i64", 1, field3d(1, dtype=np.int64))
    with pytest.raises(TypeError):
        host.expose("f16", 1, field3d(1, dtype=np.float16))
    with pytest.raises(TypeError):
        host.expose("lst", 1, field3d(1).tolist())
    for bad in ((2, 5, 9), (0, 5, 3), (2, 5, 3, 8, 8, 8)):
        with pytest.raises(ValueError):
            host.expose("bad", 1, field3d(1), dim_semantics=bad)
    with pytest.raises(ValueError):
        host.expose("six", 1, np.zeros((1,) * 6))
    with pytest.raises(ValueError):
        host.expose("4d", 1, np.zeros((4, 3, 3, 2)))     # 4-D without dim_semantics
    with pytest.raises(ValueError):
        host.expose("x" * 65, 1, field3d(1))
    assert host.variables == [("t", 1), ("t", 2)]


def test_expose_metadata_and_host_set_metadata(make_host):
    host = make_host()
    host.expose("t", 1, field3d(1), metadata={"units": "K", "zaxis_id": 2})
    host.set_metadata("t", 1, long_name="temperature", restart=True)
    assert host.metadata("t", 1) == {"units": "K", "zaxis_id": 2, "datatype": 1,
                                     "long_name": "temperature", "restart": True}
    with pytest.raises(comin.ComInError) as ei:
        host.set_metadata("t", 1, units=3)
    assert ei.value.code == 36
    with pytest.raises(comin.ComInError) as ei:
        host.set_metadata("nope", 1, units="K")
    assert ei.value.code == 24

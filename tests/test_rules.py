"""ComIn's lifecycle and rules (spec sections 1, 3, 7, 9 and 13), driven through a Host."""
import numpy as np
import pytest

import comin
from comin.host import Host, PluginDescription

from _support import catch, code_of, field2d, field3d, write_script

EP_START = comin.EP_ATM_TIMELOOP_START
EP_END = comin.EP_ATM_TIMELOOP_END
R, W = comin.COMIN_FLAG_READ, comin.COMIN_FLAG_WRITE
HALO, DEV = comin.COMIN_FLAG_SYNC_HALO, comin.COMIN_FLAG_DEVICE


def start(host, expose=None):
    """Primary constructors, host exposes, secondary constructor."""
    host.run_primary_constructors()
    if expose is not None:
        expose(host)
    host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
    return host


def named(name, fn):
    fn.__name__ = name
    return fn


# -- callbacks: order, registration ------------------------------------------------

def test_callbacks_run_in_plugin_then_registration_order(make_host):
    log = []

    def p1():
        @comin.EP_ATM_TIMELOOP_START
        def a():
            log.append("p1.a")
        comin.callback_register(EP_END, lambda: log.append("p1.end"))
        comin.callback_register(EP_START, lambda: log.append("p1.b"))

        @comin.register_callback(comin.EP_ATM_TIMELOOP_START)
        def c():
            log.append("p1.c")

    def p2():
        comin.callback_register(EP_END, lambda: log.append("p2.end1"))
        comin.callback_register(int(EP_END), lambda: log.append("p2.end2"))

    def p3():
        @comin.register_callback(10)
        def a():
            log.append("p3.a")

        @comin.EP_ATM_TIMELOOP_END
        def e():
            log.append("p3.end")

    host = start(make_host(p1, p2, p3))
    host.call_ep(EP_START, 1)
    assert log == ["p1.a", "p1.b", "p1.c", "p3.a"]
    log.clear()
    host.call_ep(EP_END, 2)
    assert log == ["p1.end", "p2.end1", "p2.end2", "p3.end"]
    log.clear()
    host.call_ep(comin.EP_ATM_TIMELOOP_AFTER)       # nobody registered: nothing happens
    assert log == []


def test_callback_register_needs_a_callable(make_host):
    got = []

    def plugin():
        catch(got, comin.callback_register, EP_START, 42)

    make_host(plugin).run_primary_constructors()
    assert isinstance(got[0], TypeError)
    assert "callable" in str(got[0])


def test_each_plugin_sees_itself(make_host, tmp_path):
    source = """
        import comin
        info = comin.current_get_plugin_info()
        seen = []

        @comin.EP_ATM_TIMELOOP_START
        def cb():
            seen.append(comin.current_get_plugin_info())
    """
    script = write_script(tmp_path, "plug_script.py", source,
                          args="--hello=world 'argument with spaces'")
    infos = {}

    def p1():
        infos["p1"] = comin.current_get_plugin_info()

        @comin.EP_ATM_TIMELOOP_START
        def cb():
            infos["p1.cb"] = comin.current_get_plugin_info()

    described = PluginDescription(name="third", constructor=lambda: infos.setdefault(
        "third", comin.current_get_plugin_info()), options="x.py -v", comm="")
    host = start(make_host(p1, script, described))
    host.call_ep(EP_START, 1)

    assert infos["p1"] == comin.plugin_info(1, "p1", "", "")
    assert infos["p1.cb"] == infos["p1"]
    assert infos["p1"].args == []

    ns = host.plugins[1].namespace
    info = ns["info"]
    assert info.id == 2
    assert info.name == "plug_script"
    assert info.options == f"{script}"
    assert info.comm == ""
    assert info.args == ["--hello=world", "argument with spaces"]
    assert ns["seen"] == [info]

    assert infos["third"].id == 3
    assert infos["third"].name == "third"
    assert infos["third"].options == "x.py -v"
    assert infos["third"].args == ["-v"]
    assert [p.id for p in host.plugins] == [1, 2, 3]
    assert [p.name for p in host.plugins] == ["p1", "plug_script", "third"]


def test_plugin_info_outside_a_plugin_is_an_error(make_host):
    make_host().run_primary_constructors()
    with pytest.raises(comin.ComInError) as ei:
        comin.current_get_plugin_info()
    assert ei.value.code == comin.COMIN_ERROR_STATUS


def test_domain_id_and_datetime_in_callbacks(make_host):
    seen = []

    def plugin():
        catch(seen, comin.current_get_domain_id)       # primary: no domain

        @comin.EP_ATM_TIMELOOP_START
        def cb():
            catch(seen, comin.current_get_domain_id)
            seen.append(comin.current_get_datetime())

        @comin.EP_ATM_TIMELOOP_BEFORE
        def outside():
            catch(seen, comin.current_get_domain_id)
            seen.append(comin.current_get_ep())

    host = start(make_host(plugin))
    host.set_datetime("2021-07-13T00:10:00")
    host.call_ep(EP_START, 1)
    host.set_datetime("2021-07-13T00:20:00.000  ")
    host.call_ep(EP_START, 2)
    host.call_ep(comin.EP_ATM_TIMELOOP_BEFORE)          # default: outside a domain loop
    host.call_ep(comin.EP_ATM_TIMELOOP_BEFORE, -1)

    assert isinstance(seen[0], RuntimeError)
    assert "jg=-1" in str(seen[0])
    assert seen[1:5] == [("ok", 1), "2021-07-13T00:10:00", ("ok", 2), "2021-07-13T00:20:00.000"]
    for exc, ep in (seen[5:7], seen[7:9]):
        assert type(exc) is RuntimeError
        assert str(exc) == "comin_current_get_domain_id failed. (jg=-1)"
        assert ep == comin.EP_ATM_TIMELOOP_BEFORE


def test_call_ep_checks_domain_id(make_host):
    host = start(make_host())
    for bad in (0, 3, -2):
        with pytest.raises(ValueError):
            host.call_ep(EP_START, bad)


# -- requests ---------------------------------------------------------------------

def test_request_all_domains_expands_and_merges(make_host):
    def p1():
        comin.var_request_add(("a", -1), False)
        comin.var_request_add(("b", 2), False)
        comin.var_request_add(("a", 1), False)          # again: listed again (upstream's moduleID)

    def p2():
        comin.var_request_add(("a", comin.COMIN_DOMAIN_OUTSIDE_LOOP), 0)
        comin.var_request_add(("c", 1), True)

    host = make_host(p1, p2)
    host.run_primary_constructors()
    reqs = host.requests
    assert [r.descriptor for r in reqs] == [("a", 1), ("a", 2), ("b", 2), ("c", 1)]
    assert [r.plugin_ids for r in reqs] == [[1, 1, 2], [1, 2], [1], [2]]
    assert [bool(r.lmodexclusive) for r in reqs] == [False, False, False, True]
    assert all(r.metadata == {} for r in reqs)


def test_request_lmodexclusive_conflicts(make_host):
    got = {}

    def p1():
        comin.var_request_add(("x", 1), True)
        comin.var_request_add(("y", 1), False)

    def p2():
        got["x"] = catch([], comin.var_request_add, ("x", 1), False)
        got["x_all"] = catch([], comin.var_request_add, ("x", -1), False)
        got["y"] = catch([], comin.var_request_add, ("y", 1), True)
        got["z"] = catch([], comin.var_request_add, ("z", 2), True)

    host = make_host(p1, p2)
    host.run_primary_constructors()
    assert code_of(got["x"]) == 21
    assert got["x"].name == "COMIN_ERROR_VAR_REQUEST_EXISTS_IS_LMODEXCLUSIVE"
    assert got["x"].detail.startswith("var_descr: x, 1")
    assert got["x"].plugin == "p2"
    assert code_of(got["x_all"]) == 21
    assert code_of(got["y"]) == 22
    assert got["y"].name == "COMIN_ERROR_VAR_REQUEST_EXISTS_REQUEST_LMODEXCLUSIVE"
    assert code_of(got["z"]) is None
    by_descr = {r.descriptor: r for r in host.requests}
    assert by_descr[("x", 1)].plugin_ids == [1]
    assert by_descr[("y", 1)].plugin_ids == [1]
    assert not by_descr[("y", 1)].lmodexclusive
    assert by_descr[("z", 2)].plugin_ids == [2]


def test_request_name_too_long(make_host):
    got = []

    def plugin():
        catch(got, comin.var_request_add, ("n" * 65, 1), False)
        catch(got, comin.var_request_add, ("n" * 64, 1), False)

    host = make_host(plugin)
    host.run_primary_constructors()
    assert isinstance(got[0], ValueError)
    assert code_of(got[1]) is None
    assert [r.descriptor for r in host.requests] == [("n" * 64, 1)]


def test_request_and_registration_after_primary_constructor(make_host):
    got = {}
    called = []

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            got["deco"] = catch([], comin.EP_ATM_TIMELOOP_START, lambda: called.append(1))
            got["reg"] = catch([], comin.callback_register, EP_END, lambda: called.append(2))
            got["req"] = catch([], comin.var_request_add, ("late", 1), False)

    host = start(make_host(plugin))
    for key in ("deco", "reg"):
        exc = got[key]
        assert code_of(exc) == 4
        assert str(exc).startswith(
            "ERROR: Callbacks cannot be registered after primary constructor.\n")
        assert exc.plugin == "plugin"
        assert exc.entry_point == "EP_SECONDARY_CONSTRUCTOR"
    assert code_of(got["req"]) == 20
    assert got["req"].detail == "var_descr: late, 1"
    host.call_ep(EP_START, 1)
    host.call_ep(EP_END, 1)
    assert called == []
    assert host.requests == []


@pytest.mark.parametrize("bad", [0, 43, -1, 666])
def test_unknown_entry_point_ids(make_host, bad):
    got = {}

    def plugin():
        got["reg"] = catch([], comin.callback_register, bad, lambda: None)
        # the decorator factory checks nothing; applying it registers (upstream's comin.py)
        got["deco"] = catch([], lambda: comin.register_callback(bad)(lambda: None))

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            got["var_get"] = catch([], comin.var_get, [bad], ("t", 1), R)

    host = start(make_host(plugin), expose=lambda h: h.expose("t", 1, field3d(1)))
    for key in ("reg", "deco", "var_get"):
        assert code_of(got[key]) == 6, key
        assert got[key].detail == f"ep = {bad}"
    with pytest.raises(comin.ComInError) as ei:
        host.call_ep(bad, 1)
    assert ei.value.code == 6
    assert ei.value.detail == f"ep = {bad}"
    assert str(ei.value).startswith(f"ERROR: Unknown id for ENTRY point.\nep = {bad}")


# -- metadata -----------------------------------------------------------------------

def test_metadata_set_types_and_all_domains(make_host):
    got = []

    def plugin():
        comin.var_request_add(("v", -1), False)
        comin.var_request_add(("w", 2), False)
        comin.metadata_set(("v", -1), restart=True, count=3, scale=1.5, units="K",
                           tracer=True, np_int=np.int32(7), np_float=np.float32(0.5),
                           np_bool=np.bool_(False))
        comin.metadata_set(("w", 2), zaxis_id=comin.COMIN_ZAXIS_2D)
        comin.metadata_set(("v", 1), count=4)            # same type: fine
        catch(got, comin.metadata_set, ("v", 1), big=2 ** 31 - 1, small=-2 ** 31)

    host = make_host(plugin)
    host.run_primary_constructors()
    assert code_of(got[0]) is None
    md = {r.descriptor: r.metadata for r in host.requests}
    expected = dict(restart=True, count=3, scale=1.5, units="K", tracer=True, np_int=7,
                    np_float=0.5, np_bool=False)
    assert md[("v", 2)] == expected
    assert md[("v", 1)] == dict(expected, count=4, big=2 ** 31 - 1, small=-2 ** 31)
    assert md[("w", 2)] == {"zaxis_id": 1}
    types = {k: type(v) for k, v in md[("v", 2)].items()}
    assert types == dict(restart=bool, count=int, scale=float, units=str, tracer=bool,
                         np_int=int, np_float=float, np_bool=bool)
    assert [r.tracer for r in host.requests] == [True, True, False]


def test_metadata_set_errors(make_host):
    got = {}

    def plugin():
        comin.var_request_add(("v", -1), False)
        comin.metadata_set(("v", -1), count=3)
        got["big"] = catch([], comin.metadata_set, ("v", 1), big=2 ** 31)
        got["small"] = catch([], comin.metadata_set, ("v", 1), small=-2 ** 31 - 1)
        got["list"] = catch([], comin.metadata_set, ("v", 1), mykey=[1, 2])
        got["none"] = catch([], comin.metadata_set, ("v", 1), mykey=None)
        got["conflict"] = catch([], comin.metadata_set, ("v", 2), count="three")
        got["conflict_bool"] = catch([], comin.metadata_set, ("v", 2), count=True)
        got["tracer"] = catch([], comin.metadata_set, ("v", 1), tracer=True)
        got["tracer_np"] = catch([], comin.metadata_set, ("v", 2), tracer=np.bool_(True))
        got["tracer_false"] = catch([], comin.metadata_set, ("v", 1), tracer=False)
        got["unrequested"] = catch([], comin.metadata_set, ("nope", 1), units="K")
        got["unrequested_all"] = catch([], comin.metadata_set, ("nope", -1), units="K")

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            got["late"] = catch([], comin.metadata_set, ("v", 1), units="K")

    host = start(make_host(plugin))
    for key in ("big", "small"):
        assert isinstance(got[key], ValueError), key
        assert not isinstance(got[key], comin.ComInError)
        assert "out of the range of int" in str(got[key])
    for key, type_name in (("list", "list"), ("none", "NoneType")):
        assert isinstance(got[key], ValueError), key
        text = str(got[key])       # names the type, the variable, its domain and the key
        assert type_name in text and "(v, 1)" in text and "mykey" in text
    assert code_of(got["conflict"]) == 36
    assert code_of(got["conflict_bool"]) == 36
    assert code_of(got["tracer"]) == 27
    assert got["tracer"].name == "COMIN_ERROR_TRACER_REQUEST_NOT_FOR_ALL_DOMAINS"
    assert code_of(got["tracer_np"]) == 27
    assert code_of(got["tracer_false"]) is None
    assert code_of(got["unrequested"]) == 23
    assert str(got["unrequested"]).startswith("ERROR: var_descriptor not found.\n")
    assert code_of(got["unrequested_all"]) == 23
    assert code_of(got["late"]) == 9
    # failed calls changed nothing
    md = {r.descriptor: r.metadata for r in host.requests}
    assert md == {("v", 1): {"count": 3, "tracer": False}, ("v", 2): {"count": 3}}


def _expose_v(host):
    host.expose("v", 1, field3d(1),
                metadata={"zaxis_id": 2, "units": "K", "restart": False, "scale": 2.5})


def test_metadata_get(make_host):
    got = {}

    def plugin():
        comin.var_request_add(("v", 1), False)
        got["primary"] = catch([], comin.metadata_get, ("v", 1), "units")

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            for key in ("zaxis_id", "units", "restart", "scale", "datatype"):
                got[key] = comin.metadata_get(("v", 1), key)
            got["unknown_var"] = catch([], comin.metadata_get, ("foobar", 12), "units")
            got["missing"] = catch([], comin.metadata_get, ("v", 1), "nope")
            got["typeid"] = [comin.metadata_get_typeid(("v", 1), k)
                             for k in ("zaxis_id", "scale", "units", "restart", "nope")]

        @comin.EP_ATM_TIMELOOP_START
        def later():
            got["later"] = comin.metadata_get(("v", 1), "units")

    host = start(make_host(plugin), expose=_expose_v)
    host.call_ep(EP_START, 1)
    assert code_of(got["primary"]) == 11
    assert got["primary"].name == "COMIN_ERROR_METADATA_GET_INSIDE_PRIMARYCONSTRUCTOR"
    assert got["zaxis_id"] == 2 and type(got["zaxis_id"]) is int
    assert got["units"] == "K"
    assert got["restart"] is False
    assert got["scale"] == 2.5 and type(got["scale"]) is float
    assert got["datatype"] == comin.COMIN_VAR_DATATYPE_DOUBLE
    assert code_of(got["unknown_var"]) == 24
    assert str(got["unknown_var"]).startswith(
        "ERROR: var_item not associated.\nvar_descr: foobar, 12")
    missing = got["missing"]
    assert isinstance(missing, KeyError)
    assert isinstance(missing, comin.ComInError)
    assert missing.code == 10
    assert missing.name == "COMIN_ERROR_METADATA_KEY_NOT_FOUND"
    assert "Key not found: nope" in str(missing)
    assert got["typeid"] == [0, 1, 2, 3, -1]
    assert got["later"] == "K"


def test_metadata_mapping(make_host):
    got = {}

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            m = comin.metadata(("v", 1))
            got["dict"] = dict(m)
            got["len"] = len(m)
            got["keys"] = sorted(m)
            got["in"] = ("units" in m, "nope" in m)
            got["get"] = (m["scale"], m.get("nope", "default"))
            got["items"] = sorted(m.items())
            got["unknown"] = catch([], dict, comin.metadata(("foobar", 12)))

    start(make_host(plugin), expose=_expose_v)
    expected = {"zaxis_id": 2, "units": "K", "restart": False, "scale": 2.5, "datatype": 1}
    assert got["dict"] == expected
    assert got["len"] == 5
    assert got["keys"] == sorted(expected)
    assert got["in"] == (True, False)
    assert got["get"] == (2.5, "default")
    assert got["items"] == sorted(expected.items())
    assert code_of(got["unknown"]) == 24
    assert got["unknown"].detail == "var_descr: foobar, 12"


# -- var_get -----------------------------------------------------------------------------

def _expose_all(host):
    host.expose("t", 1, field3d(1), metadata={"zaxis_id": 2})
    host.expose("t", 2, field3d(2), metadata={"zaxis_id": 2})
    host.expose("ps", 1, field2d(1), metadata={"zaxis_id": 1})
    host.expose("tracers", 1, np.zeros((4, 3, 3, 2), order="F"), lcontainer=True,
                ncontained=2)
    host.expose("irr", 1, np.zeros((4, 3), order="F"),
                dim_semantics=(comin.COMIN_DIM_SEMANTICS_UNDEF, comin.COMIN_DIM_SEMANTICS_BLOCK))


def test_var_get_rules_in_order(make_host):
    got = {}

    def plugin():
        got["primary"] = catch([], comin.var_get, [EP_START], ("t", 1), R)
        got["primary_dev_missing"] = catch([], comin.var_get, [EP_START], ("nope", 1), R | DEV)

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            got["dev_missing"] = catch([], comin.var_get, [EP_START], ("nope", 1), R | DEV)
            got["dev"] = catch([], comin.var_get, [EP_START], ("t", 1), R | DEV)
            got["missing"] = catch([], comin.var_get, [EP_START], ("nope", 1), R)
            got["wrong_domain"] = catch([], comin.var_get, [EP_START], ("ps", 2), R)
            got["container"] = catch([], comin.var_get, [EP_START], ("tracers", 1), R | HALO)
            got["irregular"] = catch([], comin.var_get, [EP_START], ("irr", 1), W | HALO)
            got["no_halo_fn"] = catch([], comin.var_get, [EP_START], ("t", 1), R | HALO)
            got["container_ok"] = catch([], comin.var_get, [EP_START], ("tracers", 1), R)
            got["irregular_ok"] = catch([], comin.var_get, [EP_START], ("irr", 1), R)
            got["ok"] = catch([], comin.var_get, [EP_START], ("t", 2), R | W)

        @comin.EP_ATM_TIMELOOP_START
        def later():
            got["later"] = catch([], comin.var_get, [EP_START], ("t", 1), R)

    host = start(make_host(plugin), expose=_expose_all)
    host.call_ep(EP_START, 1)
    assert code_of(got["primary"]) == 30
    assert str(got["primary"]).startswith(
        "ERROR: Cannot get variable outside of secondary constructor\nvar_descr: t, 1")
    assert code_of(got["primary_dev_missing"]) == 30
    assert code_of(got["dev_missing"]) == 31
    assert code_of(got["dev"]) == 31
    assert code_of(got["missing"]) == 32
    assert got["missing"].detail == "var_descr: nope, 1"
    assert code_of(got["wrong_domain"]) == 32
    assert code_of(got["container"]) == 33
    assert code_of(got["irregular"]) == 34
    assert code_of(got["no_halo_fn"]) == 29
    for key in ("container_ok", "irregular_ok", "ok"):
        assert code_of(got[key]) is None, key
    assert isinstance(got["ok"][1], comin.VarHandle)
    assert got["ok"][1].descriptor == ("t", 2)
    assert code_of(got["later"]) == 30
    assert got["later"].entry_point == "EP_ATM_TIMELOOP_START"
    # failed var_gets left no trace in the access list
    assert host.access_list(EP_START, 1) == [("tracers", 1, R), ("irr", 1, R), ("t", 2, R | W)]


def test_var_get_outside_any_plugin(make_host):
    host = start(make_host(), expose=_expose_all)
    with pytest.raises(comin.ComInError) as ei:
        comin.var_get([EP_START], ("t", 1), R)
    assert ei.value.code == 30
    host.call_ep(EP_START, 1)


def test_var_get_first_flag_wins(make_host):
    def p1():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            comin.var_get([EP_START, EP_END], ("t", 1), R)
            comin.var_get([10], ("t", 1), W)                    # START again: ignored
            comin.var_get([comin.EP_SECONDARY_CONSTRUCTOR, EP_END], ("ps", 1), W)
            comin.var_get([EP_END], ("t", 1), R | W)            # END again: ignored
            comin.var_get([comin.EP_SECONDARY_CONSTRUCTOR], ("t", 2), R)

    def p2():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            comin.var_get([EP_START], ("t", 1), W)

    host = start(make_host(p1, p2), expose=_expose_all)
    assert host.access_list(EP_START, 1) == [("t", 1, R)]
    assert host.access_list(EP_END, 1) == [("t", 1, R), ("ps", 1, W)]
    assert host.access_list(comin.EP_SECONDARY_CONSTRUCTOR, 1) == []
    assert host.access_list(EP_START, 2) == [("t", 1, W)]
    assert host.access_list(EP_END, 2) == []


def test_var_descr_list_order(make_host):
    got = {}

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            got["all"] = list(comin.var_descr_list())
            gen = comin.var_descr_list()
            got["first"] = next(gen)
            gen.close()

    def expose(host):
        host.expose("c", 1, field2d(1))
        host.expose("a", 2, field2d(2))
        host.expose("b", 1, field3d(1))
        host.expose("a", 1, field3d(1))

    host = start(make_host(plugin), expose=expose)
    assert got["all"] == [("c", 1), ("a", 2), ("b", 1), ("a", 1)]
    assert got["first"] == ("c", 1)
    assert host.variables == got["all"]


# -- finish and errors ---------------------------------------------------------------------

def test_finish_in_callback(make_host, capsys):
    log = []

    def p1():
        @comin.EP_ATM_TIMELOOP_START
        def cb():
            log.append("p1.start")
            comin.finish("my_routine", "my text")
            log.append("not reached")

        @comin.EP_FINISH
        def fin():
            log.append(("p1.finish", catch([], comin.current_get_domain_id)))

    def p2():
        @comin.EP_ATM_TIMELOOP_START
        def cb():
            log.append("p2.start")

        @comin.EP_FINISH
        def fin():
            log.append("p2.finish")

    host = start(make_host(p1, p2))
    with pytest.raises(comin.ComInFinish) as ei:
        host.call_ep(EP_START, 1)
    exc = ei.value
    assert isinstance(exc, SystemExit)
    assert (exc.routine, exc.text) == ("my_routine", "my text")
    assert str(exc) == "my_routine: my text"
    assert log[0] == "p1.start"
    assert log[1][0] == "p1.finish" and isinstance(log[1][1], RuntimeError)
    assert log[2:] == ["p2.finish"]
    assert "my_routine: my text" in capsys.readouterr().err
    with pytest.raises(comin.ComInError) as ei2:        # the session has ended
        host.call_ep(EP_START, 1)
    assert ei2.value.code == comin.COMIN_ERROR_STATUS


def test_finish_in_primary_constructor(make_host):
    ran = []

    def p1():
        @comin.EP_FINISH
        def fin():
            ran.append("finish")
        comin.finish("ctor", "stop here")

    def p2():
        ran.append("p2")

    host = make_host(p1, p2)
    with pytest.raises(comin.ComInFinish) as ei:
        host.run_primary_constructors()
    assert (ei.value.routine, ei.value.text) == ("ctor", "stop here")
    assert ran == []                     # no EP_FINISH before the constructors are done


def test_finish_calls_host_error_handler(make_host):
    calls = []
    host = make_host(named("p", lambda: comin.finish("r", "t")),
                     error_handler=lambda routine, text: calls.append((routine, text)))
    with pytest.raises(comin.ComInFinish):
        host.run_primary_constructors()
    assert calls == [("r", "t")]


def test_finish_inside_ep_finish_is_a_noop(make_host):
    log = []

    def plugin():
        @comin.EP_FINISH
        def fin():
            log.append(("returned", comin.finish("again", "ignored")))

    host = start(make_host(plugin))
    host.call_ep(comin.EP_FINISH)
    assert log == [("returned", None)]


def test_finish_from_ep_finish_during_abort_does_not_recurse(make_host):
    log = []

    def plugin():
        @comin.EP_ATM_TIMELOOP_START
        def cb():
            comin.finish("outer", "first")

        @comin.EP_FINISH
        def fin():
            log.append("fin")
            comin.finish("inner", "second")
            log.append("fin continued")

    host = start(make_host(plugin))
    with pytest.raises(comin.ComInFinish) as ei:
        host.call_ep(EP_START, 1)
    assert (ei.value.routine, ei.value.text) == ("outer", "first")
    assert log == ["fin", "fin continued"]


def test_uncaught_exception_in_callback(make_host, capsys):
    log = []

    def broken():
        @comin.EP_ATM_TIMELOOP_START
        def cb():
            raise ValueError("boom-123")

        @comin.EP_FINISH
        def fin():
            log.append("broken.finish")

    def other():
        @comin.EP_ATM_TIMELOOP_START
        def cb():
            log.append("other.start")

        @comin.EP_FINISH
        def fin():
            log.append("other.finish")

    host = start(make_host(broken, other))
    with pytest.raises(comin.ComInFinish) as ei:
        host.call_ep(EP_START, 2)
    exc = ei.value
    assert exc.routine == "python_adapter"
    assert "Uncaught exception in callback" in exc.text
    assert "broken" in exc.text
    assert "EP_ATM_TIMELOOP_START" in exc.text
    assert log == ["broken.finish", "other.finish"]     # "other" never ran its START callback
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ValueError: boom-123" in err
    assert "python_adapter: Uncaught exception in callback" in err


def test_script_raising_in_primary_constructor(make_host, tmp_path, capsys):
    script = write_script(tmp_path, "bad.py", """
        import comin
        raise ZeroDivisionError("bad script")
    """)
    host = make_host(script)
    with pytest.raises(comin.ComInFinish) as ei:
        host.run_primary_constructors()
    assert ei.value.routine == "python_adapter::comin_main"
    assert "Error while executing script" in ei.value.text
    err = capsys.readouterr().err
    assert "ZeroDivisionError: bad script" in err
    assert "Error while executing" in err


def test_unreadable_script(make_host, tmp_path, capsys):
    host = make_host(str(tmp_path / "missing.py"))
    with pytest.raises(comin.ComInFinish) as ei:
        host.run_primary_constructors()
    assert ei.value.routine == "python_adapter::comin_main"
    assert "Cannot read" in capsys.readouterr().err


def test_callable_raising_in_primary_constructor(make_host):
    def plugin():
        raise KeyError("ctor")

    with pytest.raises(comin.ComInFinish) as ei:
        make_host(plugin).run_primary_constructors()
    assert ei.value.routine == "python_adapter::comin_main"


# -- host lifecycle ----------------------------------------------------------------------

def test_second_host_while_one_is_active(make_host):
    host = make_host()
    with pytest.raises(comin.ComInError) as ei:
        Host([])
    assert ei.value.code == 13
    assert ei.value.name == "COMIN_ERROR_SETUP_COMIN_ALREADY_INITIALIZED"
    host.finalize()
    with Host([]) as again:          # allowed once the first is finalized
        assert not again.finalized
    assert again.finalized


def test_finalize_twice(make_host):
    host = make_host()
    host.finalize()
    with pytest.raises(comin.ComInError) as ei:
        host.finalize()
    assert ei.value.code == 12
    with pytest.raises(comin.ComInError) as ei:
        host.set_global(n_dom=1)
    assert ei.value.code == 12


def test_no_session_outside_a_host():
    with pytest.raises(comin.ComInError) as ei:
        comin.var_request_add(("x", 1), False)
    assert ei.value.code == comin.COMIN_ERROR_STATUS


def test_call_ep_before_primary_constructors_is_silent(make_host, capsys):
    log = []

    def plugin():
        comin.callback_register(EP_START, lambda: log.append("start"))

    host = make_host(plugin, verbosity=13)
    assert host.call_ep(EP_START, 1) is None
    assert host.call_ep(comin.EP_FINISH) is None
    assert capsys.readouterr().err == ""
    assert log == []
    host.run_primary_constructors()
    host.call_ep(EP_START, 1)
    assert log == ["start"]


def test_primary_constructors_run_once(make_host):
    host = make_host()
    host.run_primary_constructors()
    with pytest.raises(comin.ComInError):
        host.run_primary_constructors()


def test_verbosity_zero_prints_nothing(make_host, capsys):
    def plugin():
        comin.var_request_add(("t", 1), False)
        comin.callback_register(EP_START, lambda: None)

    host = start(make_host(plugin), expose=_expose_all)
    host.call_ep(EP_START, 1)
    host.call_ep(EP_END, 1)
    assert capsys.readouterr().err == ""


def test_verbosity_messages(make_host, capsys):
    def plugin():
        comin.callback_register(EP_START, lambda: None)
        comin.callback_register(EP_START, lambda: None)

    host = start(make_host(plugin, verbosity=13))
    host.call_ep(EP_START, 1)
    host.call_ep(EP_END, 1)
    err = capsys.readouterr().err
    assert "registration for 'EP_ATM_TIMELOOP_START' (ep: 10) associated" in err
    assert "Complete primary constructors" in err
    # one message per plugin slot, however many callables the plugin registered
    assert err.count("current ep 'EP_ATM_TIMELOOP_START' (ep: 10) for library: plugin") == 1
    assert "no calls associated with entry point 'EP_ATM_TIMELOOP_END' (ep: 11)." in err


# -- printing -------------------------------------------------------------------------

def _printer():
    comin.print_debug("d")
    comin.print_info("i")
    comin.print_warning("w")


def test_print_filtering(make_host, capsys):
    host = make_host(
        PluginDescription(name="dbg", constructor=_printer, log_debug=True),
        PluginDescription(name="default", constructor=_printer),
        PluginDescription(name="noinfo", constructor=_printer, log_info=False),
        PluginDescription(name="quiet", constructor=_printer, log_info=False,
                          log_warning=False),
    )
    host.run_primary_constructors()
    assert capsys.readouterr().err.splitlines() == [
        " DEBUG(dbg): d", " INFO(dbg): i", " WARNING(dbg): w",
        " INFO(default): i", " WARNING(default): w",
        " WARNING(noinfo): w",
    ]


def test_print_converts_with_str_and_works_in_callbacks(make_host, capsys):
    def plugin():
        @comin.EP_ATM_TIMELOOP_START
        def cb():
            comin.print_info(42)
            comin.print_warning(["a", 1])

    host = start(make_host(plugin))
    host.call_ep(EP_START, 1)
    assert capsys.readouterr().err == " INFO(plugin): 42\n WARNING(plugin): ['a', 1]\n"


def test_print_only_where_lstdout(make_host, capsys):
    host = make_host(PluginDescription(name="dbg", constructor=_printer, log_debug=True),
                     lstdout=False)
    host.run_primary_constructors()
    assert capsys.readouterr().err == ""


# -- halo and device synchronisation ------------------------------------------------------

def test_halo_sync_around_callbacks(make_host):
    log = []

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            comin.var_get([EP_START], ("t", 1), R | HALO)
            comin.var_get([EP_START], ("ps", 1), W | HALO)
            comin.var_get([EP_START], ("t", 2), R | W | HALO)
            comin.var_get([EP_START], ("tracers", 1), R | W)           # no halo flag
            comin.var_get([EP_END], ("t", 1), R)

        @comin.EP_ATM_TIMELOOP_START
        def cb1():
            log.append("cb1")

        @comin.EP_ATM_TIMELOOP_START
        def cb2():
            log.append("cb2")

        @comin.EP_ATM_TIMELOOP_END
        def end():
            log.append("end")

    def other():
        @comin.EP_ATM_TIMELOOP_START
        def cb():
            log.append("other")

    def expose(host):
        _expose_all(host)
        host.set_sync_halo(lambda h, mode: log.append(("halo", h.descriptor, mode)))

    host = start(make_host(plugin, other), expose=expose)
    assert log == []
    host.call_ep(EP_START, 1)
    assert log == [
        ("halo", ("t", 1), comin.COMIN_ZAXIS_3D),
        ("halo", ("t", 2), comin.COMIN_ZAXIS_3D),
        "cb1", "cb2",                              # one plugin slot: syncs once around both
        ("halo", ("ps", 1), comin.COMIN_ZAXIS_2D),
        ("halo", ("t", 2), comin.COMIN_ZAXIS_3D),
        "other",
    ]
    log.clear()
    host.call_ep(EP_END, 1)
    assert log == ["end"]


def test_halo_sync_rejects_half_levels(make_host):
    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            comin.var_get([EP_START], ("w", 1), R | HALO)

        comin.callback_register(EP_START, lambda: None)

    def expose(host):
        host.expose("w", 1, field3d(1, nlev=4), metadata={"zaxis_id": comin.COMIN_ZAXIS_3D_HALF})
        host.set_sync_halo(lambda h, mode: None)

    host = start(make_host(plugin), expose=expose)
    with pytest.raises(comin.ComInError) as ei:
        host.call_ep(EP_START, 1)
    assert ei.value.code == 35
    assert ei.value.name == "COMIN_ERROR_VAR_SYNC_HALO_NOT_SUPPORTED_ZAXIS"


class FakeDevice:
    """Stands in for a CuPy array: only ``__cuda_array_interface__``."""

    def __init__(self, host_array, ptr):
        self.__cuda_array_interface__ = {
            "shape": host_array.shape, "typestr": host_array.dtype.str,
            "data": (ptr, False), "version": 3, "strides": host_array.strides}


def test_device_sync_with_lacc(make_host, capsys):
    log = []

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            comin.var_get([EP_START], ("a", 1), R)
            comin.var_get([EP_START], ("b", 1), W)
            comin.var_get([EP_START], ("c", 1), R | W)
            comin.var_get([EP_START], ("d", 1), R | W | DEV)

        @comin.EP_ATM_TIMELOOP_START
        def cb():
            log.append("cb")

    def expose(host):
        host.set_global(has_device=True)
        for name in "abcd":
            arr = field3d(1)
            host.expose(name, 1, arr, device=FakeDevice(arr, 0x1000 + ord(name)))
        host.set_sync_device_mem(lambda h, direction: log.append((h.descriptor[0], direction)))

    host = start(make_host(plugin, verbosity=2), expose=expose)
    capsys.readouterr()
    host.call_ep(EP_START, 1, lacc=True)
    assert log == [("a", False), ("c", False), "cb", ("b", True), ("c", True)]
    log.clear()
    host.call_ep(EP_START, 1)                               # lacc=False: no copies, a warning
    assert log == ["cb"]
    assert ("WARNING: Device access at a non-ported entrypoint (EP_ATM_TIMELOOP_START) "
            "requested.") in capsys.readouterr().err


def test_device_sync_needs_a_host_function(make_host):
    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            comin.var_get([EP_START], ("t", 1), R)

        comin.callback_register(EP_START, lambda: None)

    host = start(make_host(plugin), expose=_expose_all)
    host.call_ep(EP_START, 1)                               # lacc=False: nothing to sync
    with pytest.raises(comin.ComInError) as ei:
        host.call_ep(EP_START, 1, lacc=True)
    assert ei.value.code == 28


def test_host_sync_setters_need_callables(make_host):
    host = make_host()
    for setter, code in ((host.set_sync_halo, 29), (host.set_sync_device_mem, 28),
                         (host.set_glb2loc_cell, 7), (host.set_error_handler, 17)):
        with pytest.raises(comin.ComInError) as ei:
            setter(None)
        assert ei.value.code == code

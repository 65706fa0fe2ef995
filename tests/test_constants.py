"""Every constant of the spec's section 2, as ``comin`` and ``comin/_table.py`` expose it.

The expected values below are transcribed from spec/API.md section 2 (not
computed from the table), so a wrong row in the table fails here.
"""
import operator

import pytest

import comin
from comin import _table

# spec 2.2 (id = position + 1)
SPEC_EP_NAMES = [
    "EP_SECONDARY_CONSTRUCTOR", "EP_ATM_YAC_DEFCOMP_BEFORE", "EP_ATM_YAC_DEFCOMP_AFTER",
    "EP_ATM_YAC_SYNCDEF_BEFORE", "EP_ATM_YAC_SYNCDEF_AFTER", "EP_ATM_YAC_ENDDEF_BEFORE",
    "EP_ATM_YAC_ENDDEF_AFTER", "EP_ATM_INIT_FINALIZE", "EP_ATM_TIMELOOP_BEFORE",
    "EP_ATM_TIMELOOP_START", "EP_ATM_TIMELOOP_END", "EP_ATM_TIMELOOP_AFTER",
    "EP_ATM_INTEGRATE_BEFORE", "EP_ATM_INTEGRATE_START", "EP_ATM_INTEGRATE_END",
    "EP_ATM_INTEGRATE_AFTER", "EP_ATM_WRITE_OUTPUT_BEFORE", "EP_ATM_WRITE_OUTPUT_AFTER",
    "EP_ATM_CHECKPOINT_BEFORE", "EP_ATM_CHECKPOINT_AFTER", "EP_ATM_ADVECTION_BEFORE",
    "EP_ATM_ADVECTION_AFTER", "EP_ATM_PHYSICS_BEFORE", "EP_ATM_PHYSICS_AFTER",
    "EP_ATM_NUDGING_BEFORE", "EP_ATM_NUDGING_AFTER", "EP_ATM_SURFACE_BEFORE",
    "EP_ATM_SURFACE_AFTER", "EP_ATM_TURBULENCE_BEFORE", "EP_ATM_TURBULENCE_AFTER",
    "EP_ATM_MICROPHYSICS_BEFORE", "EP_ATM_MICROPHYSICS_AFTER", "EP_ATM_CONVECTION_BEFORE",
    "EP_ATM_CONVECTION_AFTER", "EP_ATM_RADIATION_BEFORE", "EP_ATM_RADIATION_AFTER",
    "EP_ATM_RADHEAT_BEFORE", "EP_ATM_RADHEAT_AFTER", "EP_ATM_GWDRAG_BEFORE",
    "EP_ATM_GWDRAG_AFTER", "EP_FINISH", "EP_DESTRUCTOR",
]

# spot checks the spec cross-checked against upstream logs
SPEC_EP_SPOT = {"EP_SECONDARY_CONSTRUCTOR": 1, "EP_ATM_TIMELOOP_BEFORE": 9,
                "EP_ATM_TIMELOOP_START": 10, "EP_ATM_SURFACE_BEFORE": 27,
                "EP_ATM_GWDRAG_AFTER": 40, "EP_FINISH": 41, "EP_DESTRUCTOR": 42}

SPEC_GROUPS = {
    "flag": {"COMIN_FLAG_NONE": 0, "COMIN_FLAG_READ": 2, "COMIN_FLAG_WRITE": 4,
             "COMIN_FLAG_SYNC_HALO": 8, "COMIN_FLAG_DEVICE": 16},
    "zaxis": {"COMIN_ZAXIS_UNDEF": -1, "COMIN_ZAXIS_NONE": 0, "COMIN_ZAXIS_2D": 1,
              "COMIN_ZAXIS_3D": 2, "COMIN_ZAXIS_3D_HALF": 3},
    "hgrid": {"COMIN_HGRID_UNSTRUCTURED_CELL": 1, "COMIN_HGRID_UNSTRUCTURED_EDGE": 2,
              "COMIN_HGRID_UNSTRUCTURED_VERTEX": 3},
    "dim_semantics": {"COMIN_DIM_SEMANTICS_UNDEF": 1, "COMIN_DIM_SEMANTICS_NPROMA": 2,
                      "COMIN_DIM_SEMANTICS_BLOCK": 3, "COMIN_DIM_SEMANTICS_UNBLOCK": 4,
                      "COMIN_DIM_SEMANTICS_LEVEL": 5, "COMIN_DIM_SEMANTICS_CONTAINER": 6,
                      "COMIN_DIM_SEMANTICS_OTHER": 7, "COMIN_DIM_SEMANTICS_UNUSED": 8},
    "datatype": {"COMIN_VAR_DATATYPE_DOUBLE": 1, "COMIN_VAR_DATATYPE_FLOAT": 2,
                 "COMIN_VAR_DATATYPE_INT": 3},
    "metadata_typeid": {"COMIN_METADATA_TYPEID_UNDEFINED": -1,
                        "COMIN_METADATA_TYPEID_INTEGER": 0, "COMIN_METADATA_TYPEID_REAL": 1,
                        "COMIN_METADATA_TYPEID_CHARACTER": 2,
                        "COMIN_METADATA_TYPEID_LOGICAL": 3},
    "domain": {"COMIN_DOMAIN_OUTSIDE_LOOP": -1, "COMIN_DOMAIN_UNDEFINED": -2},
    "max_len": {"COMIN_MAX_LEN_PLUGIN_NAME": 32, "COMIN_MAX_LEN_PLUGIN_LIBRARY": 256,
                "COMIN_MAX_LEN_PRIMARY_CONSTRUCTOR": 256, "COMIN_MAX_LEN_OPTIONS": 256,
                "COMIN_MAX_LEN_COMM": 256, "COMIN_MAX_LEN_EP_NAME": 32,
                "COMIN_MAX_LEN_VAR_NAME": 64, "COMIN_MAX_LEN_MESSAGE": 512,
                "COMIN_MAX_LEN_ERR_MESSAGE": 96, "COMIN_MAX_DATETIME_STR_LEN": 32},
}

# spec 2.11, v0.3 order (code = position), with the v0.2 code
SPEC_ERRORS = [
    ("COMIN_SUCCESS", 0), ("COMIN_INFO", 1), ("COMIN_WARNING", 2), ("COMIN_ERROR_STATUS", 3),
    ("COMIN_ERROR_CALLBACK_REGISTER_OUTSIDE_PRIMARYCONSTRUCTOR", 4),
    ("COMIN_ERROR_CALLBACK_COMPLETE", 5), ("COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN", 6),
    ("COMIN_ERROR_DESCRDATA_SET_FCT_GLB2LOC", 7), ("COMIN_ERROR_DESCRDATA_FINALIZE", 8),
    ("COMIN_ERROR_METADATA_SET_OUTSIDE_PRIMARYCONSTRUCTOR", 9),
    ("COMIN_ERROR_METADATA_KEY_NOT_FOUND", 10),
    ("COMIN_ERROR_METADATA_GET_INSIDE_PRIMARYCONSTRUCTOR", 11),
    ("COMIN_ERROR_SETUP_FINALIZE", 12), ("COMIN_ERROR_SETUP_COMIN_ALREADY_INITIALIZED", 13),
    ("COMIN_ERROR_PLUGIN_INIT_COMIN_VERSION", 14), ("COMIN_ERROR_PLUGIN_INIT_PRECISION", 15),
    ("COMIN_ERROR_PLUGIN_INIT_STATE_INITIALIZED", 16),
    ("COMIN_ERROR_SETUP_ERRHANDLER_NOT_ASSOCIATED", 17),
    ("COMIN_ERROR_SETUP_ERRHANDLER_NOT_SET", 18),
    ("COMIN_ERROR_SETUP_PRECISION_TEST_FAILED", 19),
    ("COMIN_ERROR_VAR_REQUEST_AFTER_PRIMARYCONSTRUCTOR", 20),
    ("COMIN_ERROR_VAR_REQUEST_EXISTS_IS_LMODEXCLUSIVE", 21),
    ("COMIN_ERROR_VAR_REQUEST_EXISTS_REQUEST_LMODEXCLUSIVE", 22),
    ("COMIN_ERROR_VAR_DESCRIPTOR_NOT_FOUND", 23), ("COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED", 24),
    ("COMIN_ERROR_FIELD_NOT_ALLOCATED", 25), ("COMIN_ERROR_POINTER_NOT_ASSOCIATED", 26),
    ("COMIN_ERROR_TRACER_REQUEST_NOT_FOR_ALL_DOMAINS", 27),
    ("COMIN_ERROR_VAR_SYNC_DEVICE_MEM_NOT_ASSOCIATED", 28),
    ("COMIN_ERROR_VAR_SYNC_HALO_NOT_ASSOCIATED", None),
    ("COMIN_ERROR_VAR_GET_OUTSIDE_SECONDARY_CONSTRUCTOR", 29),
    ("COMIN_ERROR_VAR_GET_NO_DEVICE", 30), ("COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND", 31),
    ("COMIN_ERROR_VAR_GET_CONTAINER_CAN_NOT_HALO_SYNCHRONIZED", None),
    ("COMIN_ERROR_VAR_GET_IRREGULAR_VAR_CAN_NOT_HALO_SYNCHRONIZED", None),
    ("COMIN_ERROR_VAR_SYNC_HALO_NOT_SUPPORTED_ZAXIS", None),
    ("COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE", 32),
    ("COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE", None),
    ("COMIN_ERROR_FATAL", 33),
]

# messages the spec quotes literally (upstream wording)
SPEC_LITERAL_MESSAGES = {
    0: "Success", 1: "Info", 2: "Warning", 3: "Error",
    4: "Callbacks cannot be registered after primary constructor.",
    6: "Unknown id for ENTRY point.",
    23: "var_descriptor not found.", 24: "var_item not associated.",
    30: "Cannot get variable outside of secondary constructor",
    31: "No device available", 32: "Cannot find variable", 38: "Fatal error",
}


def test_entry_points_table_and_module():
    assert list(_table.ENTRY_POINTS) == SPEC_EP_NAMES
    assert len(SPEC_EP_NAMES) == 42
    for i, name in enumerate(SPEC_EP_NAMES, start=1):
        ep = getattr(comin, name)
        assert operator.index(ep) == i
        assert ep.ep == i
        assert _table.all_constants()[name] == i
    for name, value in SPEC_EP_SPOT.items():
        assert operator.index(getattr(comin, name)) == value
    assert operator.index(comin.EP_DESTRUCTOR) == len(_table.ENTRY_POINTS)


@pytest.mark.parametrize("i", range(1, 43))
def test_callback_get_ep_name(i):
    assert comin.callback_get_ep_name(i) == SPEC_EP_NAMES[i - 1]
    assert comin.callback_get_ep_name(iep=i) == SPEC_EP_NAMES[i - 1]
    assert comin.callback_get_ep_name(getattr(comin, SPEC_EP_NAMES[i - 1])) == SPEC_EP_NAMES[i - 1]


@pytest.mark.parametrize("bad", [0, 43, -1, 666])
def test_callback_get_ep_name_unknown(bad):
    with pytest.raises(comin.ComInError) as ei:
        comin.callback_get_ep_name(bad)
    assert ei.value.code == 6
    assert ei.value.name == "COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN"
    assert ei.value.detail == f"ep = {bad}"
    assert str(ei.value).startswith(f"ERROR: Unknown id for ENTRY point.\nep = {bad}")


@pytest.mark.parametrize("group", sorted(SPEC_GROUPS))
def test_enum_groups(group):
    expected = SPEC_GROUPS[group]
    table = {name: value for name, value, _note in _table.ENUMS[group]}
    assert table == expected
    for name, value in expected.items():
        got = getattr(comin, name)
        assert type(got) is int
        assert got == value
        assert _table.all_constants()[name] == value


def test_flags_are_distinct_bits():
    bits = [comin.COMIN_FLAG_READ, comin.COMIN_FLAG_WRITE, comin.COMIN_FLAG_SYNC_HALO,
            comin.COMIN_FLAG_DEVICE]
    combined = 0
    for b in bits:
        assert b & (b - 1) == 0
        assert combined & b == 0
        combined |= b
    assert combined == 30


def test_version():
    assert _table.VERSION == (0, 3, 0)
    assert comin.setup_get_version() == (0, 3, 0)
    assert ".".join(map(str, comin.setup_get_version())) == "0.3.0"
    assert (comin.COMIN_VERSION_MAJOR, comin.COMIN_VERSION_MINOR,
            comin.COMIN_VERSION_PATCH) == (0, 3, 0)


def test_error_codes_names_in_order():
    assert len(SPEC_ERRORS) == 39
    assert [row[0] for row in _table.ERROR_CODES] == [name for name, _ in SPEC_ERRORS]
    assert [row[2] for row in _table.ERROR_CODES] == [v02 for _, v02 in SPEC_ERRORS]
    for code, (name, _v02) in enumerate(SPEC_ERRORS):
        assert getattr(comin, name) == code
        assert _table.all_constants()[name] == code
    # v0.2 had 34 codes, FATAL = 33
    assert sorted(v for _, v in SPEC_ERRORS if v is not None) == list(range(34))


@pytest.mark.parametrize("code", range(39))
def test_error_categories_and_messages(code):
    if code == 0:
        expected = "SUCCESS"
    elif code == 1:
        expected = "INFO"
    elif code == 2:
        expected = "WARNING"
    elif code == 38:
        expected = "FATAL ERROR"
    else:
        expected = "ERROR"
    assert _table.error_category(code) == expected
    category, message = comin.error_get_message(code)
    assert category == expected
    assert message == _table.ERROR_CODES[code][1]
    assert message.strip()                       # code 36 gets a text too
    assert len(message) <= comin.COMIN_MAX_LEN_ERR_MESSAGE
    if code in SPEC_LITERAL_MESSAGES:
        assert message == SPEC_LITERAL_MESSAGES[code]
    if code >= 3:
        exc = comin.ComInError(code, "detail text")
        assert (exc.code, exc.name, exc.category, exc.message, exc.detail) == (
            code, SPEC_ERRORS[code][0], expected, message, "detail text")
        assert str(exc) == f"{expected}: {message}\ndetail text"
        assert isinstance(exc, RuntimeError)


@pytest.mark.parametrize("code", [-1, 39, 100])
def test_error_category_outside_range(code):
    with pytest.raises(ValueError):
        _table.error_category(code)
    with pytest.raises(ValueError):
        comin.error_get_message(code)


def test_metadata_key_error_is_keyerror_and_cominerror():
    exc = comin.ComInKeyError(10, "Key not found: units")
    assert isinstance(exc, KeyError) and isinstance(exc, comin.ComInError)
    assert exc.code == comin.COMIN_ERROR_METADATA_KEY_NOT_FOUND == 10
    assert str(exc) == "ERROR: Metadata key not found.\nKey not found: units"


def test_entry_point_objects_behave_as_ints():
    ep = comin.EP_ATM_TIMELOOP_START
    assert operator.index(ep) == 10
    assert int(ep) == 10
    assert ep == 10 and 10 == ep
    assert ep != 11
    assert hash(ep) == hash(10)
    assert ep.name == "EP_ATM_TIMELOOP_START"
    assert [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10][ep] == 10    # usable as an index
    assert {comin.EP_FINISH: "x"}[41] == "x"


def test_entry_point_objects_as_decorators(make_host):
    seen = []

    def plugin():
        def f():
            seen.append("f")
        returned = comin.EP_ATM_TIMELOOP_START(f)
        seen.append(returned is f)

        @comin.EP_ATM_TIMELOOP_END
        def g():
            seen.append("g")
        seen.append(callable(g) and g.__name__ == "g")

    host = make_host(plugin)
    host.run_primary_constructors()
    assert seen == [True, True]
    host.call_ep(comin.EP_ATM_TIMELOOP_START, 1)
    host.call_ep(comin.EP_ATM_TIMELOOP_END, 1)
    host.call_ep(10, 1)                       # plain int works as well
    assert seen == [True, True, "f", "g", "f"]


def test_module_constants_match_table_exactly():
    consts = _table.all_constants()
    for name, value in consts.items():
        if name.startswith("EP_"):
            assert operator.index(getattr(comin, name)) == value
        else:
            assert getattr(comin, name) == value

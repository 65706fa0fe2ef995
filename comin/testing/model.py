"""An executable specification of ComIn's rules, in plain Python.

This model knows nothing of ``comin._core``: it restates the rules of upstream
ComIn 0.3 (``leuty/icon-model``, ``externals/comin/src/``) routine by routine,
so that the conformance suite can run the same scenario through the model and
through every API of comin (plugins and hosts in Python, C and Fortran) and
demand identical results, error codes, callback order, synchronisation calls
and array contents.  Read it as the definition of the behaviour it checks.

Every rule is registered in :data:`RULES` with the upstream file and routine it
was checked against and its place in that routine's order of checks.  A
routine's checks are written as an ordered list (:meth:`Model._checks`): the
first that fails decides the error, exactly as the ``IF ... RETURN`` chains
upstream; when several fail at once the model also *fires* the order rule
``<first rule><<other check>`` (e.g. ``var_get.phase<no_device``) so the suite
can demand a case where the order matters.  Rules that are comin's own (checks upstream does not make, where
upstream would crash or read out of bounds) are marked ``comin=True`` with the
reason.

Conventions: operations return *results* as tuples, the way the drivers print
them (see :mod:`comin.testing.scenarios`): ``("ok", kind, *values)``,
``("err", code)`` (a ComIn error code) or ``("fail", what)`` (a non-ComIn
failure of one language's binding, e.g. Python's RuntimeError of
``current_get_domain_id`` outside a domain loop).  An operation that fails
changes nothing unless upstream's routine changes state before its check
(noted where it happens).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from comin import _table

C = _table.all_constants()
NUM_EPS = len(_table.ENTRY_POINTS)
READ, WRITE, SYNC_HALO, DEVICE = (C["COMIN_FLAG_READ"], C["COMIN_FLAG_WRITE"],
                                  C["COMIN_FLAG_SYNC_HALO"], C["COMIN_FLAG_DEVICE"])
ALL_FLAGS = READ | WRITE | SYNC_HALO | DEVICE
SECONDARY = C["EP_SECONDARY_CONSTRUCTOR"]
LANGUAGES = ("python", "c", "fortran")
SRC = "externals/comin/src/"          # upstream ComIn 0.3 in leuty/icon-model (commit 1be2ca66)


# -- the rule registry --------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """One rule: a check of a routine (with its error code) or a behaviour.

    ``side``: whose language the rule is about (``"plugin"``: the plugin API of
    that language; ``"host"``: the host API).  ``languages``: where it can arise.
    ``upstream``: file and routine of ComIn 0.3 it was checked against (with the
    position in the routine's order of checks).  ``comin``: comin's own rule
    (upstream does not check; the reason is in ``text``).
    """
    id: str
    code: Optional[int]
    side: str
    upstream: str
    text: str
    languages: Tuple[str, ...] = LANGUAGES
    comin: bool = False


RULES: Dict[str, Rule] = {}
#: routine -> its checks in upstream's order (rule ids), for the order rules
ORDER: Dict[str, List[str]] = {}
#: adjacent pairs of a routine's checks that cannot fail together, with the reason
EXCLUSIVE_PAIRS: Dict[Tuple[str, str], str] = {}


def _rule(rid, code, side, upstream, text, languages=LANGUAGES, comin=False):
    RULES[rid] = Rule(rid, code, side, upstream, text, tuple(languages), comin)
    return rid


def _order(routine, ids, exclusive=()):
    ORDER[routine] = list(ids)
    for a, b, why in exclusive:
        EXCLUSIVE_PAIRS[(a, b)] = why


def order_rule_id(first: str, later: str) -> str:
    return f"{first}<{later.split('.', 1)[1]}"


def order_rules() -> Dict[str, Tuple[str, Tuple[str, ...]]]:
    """The order rules the suite must cover: adjacent checks of each routine that can
    fail together -> (routine, languages where both arise)."""
    out: Dict[str, Tuple[str, Tuple[str, ...]]] = {}
    for routine, ids in ORDER.items():
        for a, b in zip(ids, ids[1:]):
            if (a, b) in EXCLUSIVE_PAIRS:
                continue
            rid = order_rule_id(a, b)
            langs = set(out.get(rid, (routine, ()))[1])
            langs |= {l for l in RULES[a].languages if l in RULES[b].languages}
            out[rid] = (routine, tuple(l for l in LANGUAGES if l in langs))
    return out


CB = SRC + "comin_callback.F90"
VAR = SRC + "comin_variable.F90"
META = SRC + "comin_metadata.F90"
DD = SRC + "comin_descrdata.F90"
SETUP = SRC + "comin_setup.F90"
STATE = SRC + "comin_state.F90"
PY = "externals/comin/plugins/python_adapter/"

# callbacks
_rule("callback_register.phase", 4, "plugin", CB + " comin_callback_register, check 1 (l_primary_done)",
      "callbacks are registered in the primary constructor only")
_rule("callback_register.ep", 6, "plugin", CB + " comin_callback_register, check 2 "
      "(comin_callback_get_ep_name after storing the element)",
      "an entry point id outside 1..42 (comin stores nothing; upstream stores it and reads out of bounds)")
_order("callback_register", ["callback_register.phase", "callback_register.ep"])
_rule("callback_register.one_per_ep", None, "plugin", CB + " comin_callback_complete (one callback per "
      "(EP, plugin): a later registration overwrites)",
      "C and Fortran keep one callback per entry point and plugin", ("c", "fortran"))
_rule("callback_register.several_python", None, "plugin", PY + "callbacks.cpp (a vector of callables per "
      "(plugin, EP))", "Python plugins may register several callables at one entry point", ("python",))
_rule("callback_register.callable", None, "plugin", PY + "callbacks.cpp _callback_register (TypeError "
      "'A callable is required' before ComIn is called)", "Python: a callback must be callable, in any phase",
      ("python",))
_rule("callback_register.null", 26, "plugin", "comin: a NULL function pointer (upstream hands it to a Fortran "
      "procedure dummy)", "C: a NULL callback, in any phase", ("c",), comin=True)
_rule("callback_register.ep_overflow", 6, "plugin", "comin: an entry point beyond C int (upstream's adapter: "
      "OverflowError while parsing the arguments)", "Python: an entry point id beyond the C int range",
      ("python",), comin=True)
_rule("callback_get_ep_name.ep", 6, "plugin", CB + " comin_callback_get_ep_name (iep < 0 .OR. iep > 42)",
      "the name of an unknown entry point (comin also rejects 0, which upstream reads out of bounds)")
_rule("callback_get_ep_name.name", None, "plugin", CB + " comin_callback_get_ep_name (EP_NAME(iep))",
      "the name of an entry point")
_rule("context_call.before_primary", None, "host", CB + " comin_callback_context_call, check 1 "
      "(.NOT. l_primary_done: return)", "before the primary constructors a context call does nothing")
_rule("context_call.ep", 6, "host", CB + " comin_callback_context_call, check 2 (comin_callback_get_ep_name)",
      "an unknown entry point")
_rule("context_call.closed", 3, "host", "comin: a finalized session",
      "an entry point after finalize (upstream has no session state to check)", ("python",), comin=True)
_rule("context_call.domain", 3, "host", "comin: the domain id",
      "a domain id outside -1, 1..n_dom (upstream passes it on unchecked)", comin=True)
_order("context_call", ["context_call.before_primary", "context_call.ep", "context_call.closed",
                        "context_call.domain"],
       exclusive=[("context_call.before_primary", "context_call.ep",
                   "before the primary constructors nothing is checked: it is not an error")])
_rule("context_call.order", None, "host", CB + " comin_callback_context_call (DO thirdpi=1,num_plugins)",
      "callbacks run in plugin-list order, a plugin's (Python) callables in registration order")
_rule("sync.halo_read", None, "host", CB + " sync_vars_for_halo_region(ep, plugin, COMIN_FLAG_READ) "
      "before the callback", "variables read with SYNC_HALO are exchanged before the plugin's callback")
_rule("sync.halo_write", None, "host", CB + " sync_vars_for_halo_region(ep, plugin, COMIN_FLAG_WRITE) "
      "after the callback", "variables written with SYNC_HALO are exchanged after the plugin's callback")
_rule("sync.halo_mode_2d", None, "host", CB + " determine_halo_sync_mode (zaxis_id 2D)", "mode COMIN_ZAXIS_2D")
_rule("sync.halo_mode_3d", None, "host", CB + " determine_halo_sync_mode (zaxis_id 3D)", "mode COMIN_ZAXIS_3D")
_rule("sync.halo_zaxis", 35, "host", CB + " determine_halo_sync_mode (other zaxis_id)",
      "only 2-D and 3-D full-level variables can be exchanged (comin: an unset zaxis_id is 3-D; "
      "upstream throws a C++ exception)")
# (no halo function at exchange time cannot happen: var_get refuses SYNC_HALO without one, 29)
_rule("sync.device_read", None, "host", CB + " sync_vars_for_device(ep, plugin, COMIN_FLAG_READ) with lacc",
      "with lacc, variables read without DEVICE are copied device -> host before the callback")
_rule("sync.device_write", None, "host", CB + " sync_vars_for_device(ep, plugin, COMIN_FLAG_WRITE) with lacc",
      "with lacc, variables written without DEVICE are copied host -> device after the callback")
_rule("sync.device_missing", 28, "host", "comin: no device function at copy time",
      "the host set no device function (upstream calls a null procedure pointer)", comin=True)

# variables
_rule("var_get.phase", 30, "plugin", VAR + " comin_var_get_internal, check 1 "
      "(.NOT. l_primary_done .OR. current_ep > EP_SECONDARY_CONSTRUCTOR)",
      "variables are got in the secondary constructor only")
_rule("var_get.no_device", 31, "plugin", VAR + " comin_var_get_internal, check 2 (has_device, COMIN_FLAG_DEVICE)",
      "DEVICE access without a device")
_rule("var_get.not_found", 32, "plugin", VAR + " comin_var_get_internal, check 3 (comin_var_get_from_exposed)",
      "the variable is not exposed")
_rule("var_get.no_device_memory", 31, "plugin", "comin: after check 3",
      "DEVICE access to a variable without device memory (upstream hands out the null pointer)", comin=True)
_rule("var_get.container_halo", 33, "plugin", VAR + " comin_var_get_internal, check 4 (lcontainer, SYNC_HALO)",
      "a container cannot be halo-exchanged")
_rule("var_get.irregular_halo", 34, "plugin", VAR + " comin_var_get_internal, check 5 "
      "(ANY(dim_semantics == UNDEF), SYNC_HALO)", "an irregular variable cannot be halo-exchanged")
_rule("var_get.halo_missing", 29, "plugin", "comin: after check 5",
      "SYNC_HALO without the host's halo function (upstream fails later, calling a null procedure)",
      comin=True)
_rule("var_get.context_ep", 6, "plugin", "comin: after check 5 (upstream: no check, the context table "
      "is indexed out of bounds)", "an unknown entry point in the context", comin=True)
_rule("var_get.flag_bits", 3, "plugin", "comin: after the context (upstream: no check)",
      "unknown bits in the access flag (COMIN_ERROR_STATUS)", comin=True)
_order("var_get", ["var_get.phase", "var_get.no_device", "var_get.not_found", "var_get.no_device_memory",
                   "var_get.container_halo", "var_get.irregular_halo", "var_get.halo_missing",
                   "var_get.context_ep", "var_get.flag_bits"],
       exclusive=[("var_get.not_found", "var_get.no_device_memory",
                   "device memory is a property of an exposed variable")])
_rule("var_get.context_type", None, "plugin", PY + "variables.cpp _var_get (ValueError 'PyCominVar requires "
      "list of integers as contexts'; comin also accepts a tuple)", "Python: the context must be a list",
      ("python",))
_rule("var_get.context_empty", None, "plugin", VAR + " comin_var_get_internal (DO ic = 1, SIZE(context): "
      "an empty context registers nothing; C: context(context_len) is a zero-size array for "
      "context_len <= 0, whatever the pointer)", "an empty context: a handle, no access")
_rule("var_get.context_null", 26, "plugin", "comin: C comin_var_get_c reads context(1..context_len) "
      "through a NULL pointer (upstream crashes)", "C: a NULL context with context_len > 0", ("c",), comin=True)
_rule("var_get.first_flag", None, "plugin", VAR + " comin_var_get_internal (comin_var_get_by_context: "
      "a registered variable keeps its first access_flag)", "a second var_get for the same entry point keeps the first flag")
_rule("var_get.secondary_not_listed", None, "plugin", VAR + " comin_var_get_internal "
      "(IF (context(ic) == EP_SECONDARY_CONSTRUCTOR) CYCLE)",
      "EP_SECONDARY_CONSTRUCTOR in the context is not an access")
_rule("handle.shape", None, "plugin", VAR + " comin_var_get_shape / t_comin_var_handle%array_shape",
      "a handle's 5-D shape, dimension semantics, container flag")
_rule("handle.ncontained_c", None, "plugin", VAR + " comin_var_get_ncontained (ncontained - 1)",
      "C and Python see the 0-based position in the container", ("python", "c"))
_rule("handle.ncontained_fortran", None, "plugin", SRC + "comin_variable_types.F90 ncontained()",
      "Fortran sees the host's 1-based position", ("fortran",))
_rule("handle.aliases_host", None, "plugin", VAR + " comin_var_get_ptr (the host's cptr, no copy)",
      "a handle reads the host's memory, in Fortran order")
_rule("handle.write_reaches_host", None, "plugin", VAR + " comin_var_get_ptr (the host's cptr, no copy)",
      "a write through a handle is a write into the host's array")
_rule("handle.readonly", None, "plugin", "comin: VarHandle.__getbuffer__",
      "a Python handle without COMIN_FLAG_WRITE gives a read-only array (upstream: writable)",
      ("python",), comin=True)
_rule("handle.write_unchecked", None, "plugin", VAR + " comin_var_get_ptr (no check of the access flag)",
      "C and Fortran pointers are writable whatever the flag", ("c", "fortran"))
_rule("handle.wrong_type", 37, "plugin", VAR + " comin_var_get_ptr_double/_float/_int (p%type_id)",
      "a typed pointer of another datatype", ("c", "fortran"))
_rule("handle.not_contiguous", 26, "plugin", "comin: a host array that is not contiguous in Fortran order "
      "(a Python host's view); upstream hosts pass contiguous memory", "C/Fortran pointers need F-contiguous arrays",
      ("c", "fortran"), comin=True)
_rule("handle.null", 26, "plugin", VAR + " comin_var_get_shape (.NOT. ASSOCIATED(p))",
      "the shape of a null handle", ("c", "fortran"))
_rule("var_descr_list.order", None, "plugin", VAR + " comin_var_get_descr_list_head/_next "
      "(the host's append order)", "the exposed variables in the order the host exposed them")

# requests
_rule("request.phase", 20, "plugin", VAR + " comin_var_request_add, check 1 (l_primary_done)",
      "variables are requested in the primary constructor only")
_rule("request.is_exclusive", 21, "plugin", VAR + " comin_var_request_add_element, check 1 "
      "(existing lmodexclusive)", "the variable was requested exclusively")
_rule("request.request_exclusive", 22, "plugin", VAR + " comin_var_request_add_element, check 2 "
      "(lmodexclusive of the new request)", "an exclusive request of a variable already requested")
_order("request", ["request.phase", "request.is_exclusive", "request.request_exclusive"])
_rule("request.merge", None, "plugin", VAR + " comin_var_request_add_element (moduleID appended, "
      "duplicates too)", "a second non-exclusive request adds the plugin id (again if it asked before)")
_rule("request.all_domains", None, "plugin", VAR + " comin_var_request_add (id -1: DO domain_id = 1, n_dom; "
      "an error in one domain does not stop the loop)", "id -1 requests the variable on every domain")

# metadata
_rule("metadata_set.int_range", None, "plugin", PY + "comin.py metadata_set (an int outside C int: "
      "ValueError 'value is out of the range of int', before ComIn is called)", "Python: integer metadata is a C int",
      ("python",))
_rule("metadata_set.phase", 9, "plugin", META + " comin_request_set_var_metadata_*, check 1 (l_primary_done)",
      "request metadata is set in the primary constructor only")
_rule("metadata_set.tracer", 27, "plugin", META + " comin_request_set_var_metadata_logical, check 2 "
      "(per matching request: key == 'tracer' .AND. val .AND. id /= -1)",
      "a tracer must be requested for all domains")
_rule("metadata_set.type", 36, "plugin", META + " comin_request_set_var_metadata_*, check 3 "
      "(per matching request: query(key) not in (UNDEFINED, own type); earlier domains keep the value)",
      "a key keeps its type")
_rule("metadata_set.not_found", 23, "plugin", META + " comin_request_set_var_metadata_*, check 4 "
      "(after the domain loop: .NOT. lfound)", "metadata of a variable no plugin requested")
_order("metadata_set", ["metadata_set.phase", "metadata_set.tracer", "metadata_set.type",
                        "metadata_set.not_found"],
       exclusive=[("metadata_set.type", "metadata_set.not_found",
                   "a type conflict needs a matching request, 'not found' needs none")])
_rule("metadata_set.all_domains", None, "plugin", META + " comin_request_set_var_metadata_* "
      "(id -1: every domain that has the request)", "id -1 sets the key on each domain's request")
_rule("metadata_set.partial", None, "plugin", META + " comin_request_set_var_metadata_* (RETURN inside "
      "the domain loop)", "a conflict on a later domain leaves the earlier domains set")
_rule("metadata_get.phase", 11, "plugin", META + " comin_metadata_get_*, check 1 (.NOT. l_primary_done)",
      "exposed metadata is read after the primary constructors")
_rule("metadata_get.not_found", 24, "plugin", META + " comin_metadata_get_*, check 2 (comin_var_get_from_exposed)",
      "metadata of a variable that is not exposed")
_rule("metadata_get.missing", 36, "plugin", META + " comin_metadata_get_*, check 3 "
      "(query(key) /= own type, also for a missing key)", "a typed getter of a missing key", ("c", "fortran"))
_rule("metadata_get.missing_python", 10, "plugin", PY + "variables.cpp metadata_get (typeid -1: KeyError)",
      "Python: a missing key is a KeyError (comin's ComInKeyError carries code 10)", ("python",))
_rule("metadata_get.type", 36, "plugin", META + " comin_metadata_get_*, check 3", "a typed getter of another type",
      ("c", "fortran"))
_order("metadata_get", ["metadata_get.phase", "metadata_get.not_found", "metadata_get.missing",
                        "metadata_get.type"],
       exclusive=[("metadata_get.not_found", "metadata_get.missing", "a missing key needs an exposed variable"),
                  ("metadata_get.missing", "metadata_get.type", "a key is either missing or of a type")])
_order("metadata_get_python", ["metadata_get.phase", "metadata_get.not_found", "metadata_get.missing_python"],
       exclusive=[("metadata_get.not_found", "metadata_get.missing_python",
                   "a missing key needs an exposed variable")])
_rule("metadata_get.value", None, "plugin", META + " comin_metadata_get_* (metadata%get)",
      "the value the host set, with its type")
_rule("metadata_typeid.phase", 11, "plugin", META + " comin_metadata_get_typeid, check 1", "typeid during the primary constructor")
_rule("metadata_typeid.not_found", 24, "plugin", META + " comin_metadata_get_typeid, check 2", "typeid of an unexposed variable")
_order("metadata_typeid", ["metadata_typeid.phase", "metadata_typeid.not_found"])
_rule("metadata_typeid.value", None, "plugin", META + " comin_metadata_get_typeid (query: -1 for a missing key)",
      "the type id of a key, -1 when missing")
_rule("metadata_keys.phase", 11, "plugin", META + " comin_metadata_get_iterator, check 1 (Fortran); comin: "
      "also C (upstream's comin_metadata_get_iterator_begin checks only the variable)",
      "the keys of a variable during the primary constructor", ("c", "fortran"))
_rule("metadata_keys.not_found", 24, "plugin", META + " comin_metadata_get_iterator(_begin), check 2",
      "the keys of an unexposed variable")
_order("metadata_keys", ["metadata_keys.phase", "metadata_keys.not_found"])
_rule("metadata_keys.value", None, "plugin", META + " comin_metadata_get_iterator", "the keys of a variable")

# current state
_rule("state.ep", None, "plugin", STATE + " comin_current_get_ep", "the entry point being called")
_rule("state.domain_inside", None, "plugin", STATE + " comin_current_get_domain_id",
      "the domain of the call inside a domain loop")
_rule("state.domain_outside", None, "plugin", STATE + " comin_current_get_domain_id (-1); "
      + PY + "descrdata.cpp (negative: RuntimeError)", "outside a domain loop: -1 (Python raises)")
_rule("state.datetime", None, "plugin", DD + " comin_current_get_datetime", "the host's current date")
_rule("state.plugin_info", None, "plugin", SETUP + " comin_current_get_plugin_info", "the current plugin's id and name")
_rule("state.version", None, "plugin", SRC + "comin_setup_utils.F90 comin_setup_get_version", "ComIn 0.3.0")

# descriptive data
_rule("descr.global", None, "plugin", DD + " comin_descrdata_get_global", "global descriptive data")
_rule("descr.domain", None, "plugin", DD + " comin_descrdata_get_domain(jg)", "each domain's own data")
_rule("descr.domain_unset", 25, "plugin", "comin: comin_descrdata_get_domain (upstream: no range check)",
      "a domain the host did not set", comin=True)
_rule("descr.timestep", None, "plugin", DD + " comin_descrdata_get_timesteplength(jg)", "each domain's time step")
_rule("descr.timestep_unset", None, "plugin", DD + " comin_descrdata_get_timesteplength(jg) (the table has "
      "n_dom + 4 entries, allocated at the host's first set; an entry never set is 0.0)",
      "0.0 for a domain in the table whose time step the host did not set")
_rule("descr.timestep_outside", 25, "plugin", "comin: comin_descrdata_get_timesteplength outside 1..n_dom + 4 "
      "or before the host set one (upstream reads outside its table)", "a time step outside ComIn's table",
      comin=True)
_rule("descr.glb2loc", None, "plugin", DD + " comin_descrdata_index_lookup_glb2loc_cell (the host's "
      "function, called with jg and the global index)", "the host's global-to-local lookup, per domain")
_rule("descr.glb2loc_unset", 7, "plugin", "comin: no lookup function (upstream calls a null procedure)",
      "the host set no lookup function", comin=True)
_rule("descr.nproma_unset", 25, "plugin", "comin: the index helpers without nproma (upstream divides by "
      "an unset nproma)", "index and block before the host set nproma", comin=True)
_rule("descr.has_device_default", None, "plugin", DD + " t_comin_descrdata_global (has_device defaults to "
      ".FALSE.)", "a host that does not say has no device")
_rule("descr.index", None, "plugin", DD + " comin_descrdata_get_index (SIGN(MOD(ABS(j)-1, nproma)+1, j))",
      "the index in the block of a 1-based index")
_rule("descr.block", None, "plugin", DD + " comin_descrdata_get_block (MAX((ABS(j)-1)/nproma+1, 1))",
      "the block of a 1-based index")
_rule("descr.npromz", None, "plugin", DD + " comin_descrdata_get_cell_npromz (ncells - (nblks-1)*nproma)",
      "cells in the last block of a domain")

# host side
_rule("host.init_twice", 13, "host", SETUP + " comin_setup_init (state already associated)", "a second comin_setup_init")
#: a Fortran host cannot pass a null procedure to a procedure dummy: the "not associated"
#: checks of the setters can arise in Python (None) and C (NULL) only
NULL_SETTER = ("python", "c")
_rule("host.errhandler_null", 17, "host", SETUP + " comin_setup_errhandler (not associated)", "a null error handler",
      NULL_SETTER)
_rule("host.check_no_handler", 18, "host", SETUP + " comin_setup_check, check 1",
      "the setup check without an error handler", ("c", "fortran"))
_rule("host.check_precision", 19, "host", SETUP + " comin_setup_check, check 2 (wp_check /= wp)",
      "a working precision other than C double")
_order("setup_check", ["host.check_no_handler", "host.check_precision"])
_rule("host.glb2loc_null", 7, "host", SETUP + " comin_descrdata_set_fct_glb2loc_cell (not associated)",
      "a null lookup function", NULL_SETTER)
_rule("host.sync_device_null", 28, "host", VAR + " comin_var_set_sync_device_mem (not associated)",
      "a null device function", NULL_SETTER)
_rule("host.sync_halo_null", 29, "host", VAR + " comin_var_set_sync_halo (not associated)", "a null halo function",
      NULL_SETTER)
_rule("host.metadata_not_found", 24, "host", META + " comin_metadata_host_set_*, check 1", "host metadata of an unexposed variable")
_rule("host.metadata_type", 36, "host", META + " comin_metadata_host_set_*, check 2", "host metadata keeps its type")
_order("host_metadata", ["host.metadata_not_found", "host.metadata_type"],
       exclusive=[("host.metadata_not_found", "host.metadata_type", "a type conflict needs the variable")])
_rule("host.expose_twice", 3, "host", "comin: comin_var_list_append (upstream appends a duplicate that "
      "var_get never finds)", "a variable exposed twice", comin=True)
_rule("host.finalize_twice", 12, "host", "comin: Host.finalize of a finalized session (upstream has "
      "no state to check; a C/Fortran host has no session left to report to)", "a second finalize",
      ("python",), comin=True)
_rule("host.no_plugin", 3, "host", "comin: plugin functions called by the host (upstream dereferences "
      "a null current plugin)", "the current plugin's information outside plugin code", comin=True)
_rule("host.primary_twice", 3, "host", "comin: comin_plugin_primaryconstructor a second time (upstream "
      "loads the plugins again)", "the primary constructors run once", comin=True)
_rule("host.primary_no_n_dom", 25, "host", "comin: the primary constructors need n_dom (upstream's "
      "requests for all domains read it)", "n_dom before the primary constructors", comin=True)
_rule("host.setter_not_callable", None, "host", "comin: Host.set_* of an object that is not callable (the "
      "C and Fortran interfaces take function pointers)", "Python: the host's functions must be callable",
      ("python",), comin=True)
_rule("host.metadata_typeid_phase", 11, "host", META + " comin_metadata_get_typeid, check 1 (the host's "
      "call as the plugins')", "a host reads metadata after the primary constructors")
_rule("host.metadata_typeid", None, "host", META + " comin_metadata_get_typeid", "a host reads a type id")
_rule("host.global_unset", 25, "host", "comin: global data read before the host set it (upstream's "
      "state component is only pointed at)", "a host reading global data it did not set", ("python", "c"), comin=True)
_rule("host.requests", None, "host", VAR + " comin_request_get_list (request order, moduleID, lmodexclusive, metadata)",
      "the plugins' requests as the host reads them")
_rule("host.errors_return", None, "host", "comin: comin_error_set_errors_return with no plugin current",
      "a C/Fortran host in errors_return mode gets the code instead of the finish", ("c", "fortran"), comin=True)


# -- 0.2 -----------------------------------------------------------------------------------------

#: ComIn 0.2 error numbering where it differs from 0.3 (vruggiero/ICON externals/comin/src/
#: comin_errhandler_constants.F90): 0.3 code -> 0.2 code; codes 29, 33-35 and 37 do not exist in 0.2.
CODES_0_2 = {30: 29, 31: 30, 32: 31, 36: 32, 38: 33}


@dataclass(frozen=True)
class Function02:
    """A ComIn 0.2 function (or form) that 0.3 changed or removed, per language."""
    name: str
    languages: Tuple[str, ...]
    behaviour: str
    upstream: str


V0_2 = [
    Function02("setup_get_verbosity_level", LANGUAGES,
               "returns the host's verbosity level (0.3 no longer exports it to plugins)",
               "vruggiero/ICON externals/comin/src/comin_state.F90; plugins/python_adapter (0.2)"),
    Function02("var_get_pos", ("python", "c"),
               "0-based positions (jc, jk, jb, jn) of a variable's dimensions, -2 when absent",
               "vruggiero/ICON externals/comin/include/comin.h comin_var_get_pos; python_adapter _variable.pos"),
    Function02("t_comin_var_ptr", ("fortran",),
               "var_get's 4th argument: POINTER to the host's t_comin_var_ptr (ptr, pos_jc/jk/jb/jn 1-based, -1 absent)",
               "vruggiero/ICON externals/comin/src/comin_variable_types.F90"),
    Function02("comin_var_to_3d", ("c", "fortran"),
               "3-D slice of a variable (container: finish)", "vruggiero/ICON externals/comin/src/comin_variable.F90"),
    Function02("t_comin_var_descr_list_item", ("fortran",),
               "comin_var_get_descr_list_head() returns a list item POINTER with item_value and next()",
               "vruggiero/ICON externals/comin/src/comin_variable_types.F90"),
    Function02("error_numbers", LANGUAGES,
               "0.2's error numbers (CODES_0_2: var_get's 29 phase -> 30 no device -> 31 not found, no halo "
               "checks; inconsistent type 32, fatal 33) for plugins built against 0.2",
               "vruggiero/ICON externals/comin/src/comin_errhandler_constants.F90, comin_variable.F90"),
    Function02("ep_ints", ("python",), "comin.EP_* are plain ints",
               "vruggiero/ICON externals/comin/plugins/python_adapter/comin.py"),
    Function02("c_0_2_names", ("c",), "struct tag t_comin_var_descriptor, MAX_LEN_* and COMIN_TYPEID_* macros, FLAG_NONE",
               "vruggiero/ICON externals/comin/include/comin.h, comin_global.inc"),
]


def code_0_2(code: int) -> Optional[int]:
    """The 0.2 number of a 0.3 error code (None: the code does not exist in 0.2)."""
    if code in (29, 33, 34, 35, 37):
        return None
    return CODES_0_2.get(code, code)


def var_get_pos_0_2(dim_semantics) -> Tuple[int, int, int, int]:
    """0.2's positions (jc, jk, jb, jn), 0-based, -2 when absent (upstream 0.2 C/Python)."""
    def pos(sem):
        return dim_semantics.index(sem) if sem in dim_semantics else -2
    return (pos(C["COMIN_DIM_SEMANTICS_NPROMA"]), pos(C["COMIN_DIM_SEMANTICS_LEVEL"]),
            pos(C["COMIN_DIM_SEMANTICS_BLOCK"]), pos(C["COMIN_DIM_SEMANTICS_CONTAINER"]))


# -- helpers --------------------------------------------------------------------------------------

def ok(kind="none", *values):
    return ("ok", kind) + tuple(values)


def err(code: int):
    return ("err", code)


def fail(what: str):
    return ("fail", what)


def metadata_type(value) -> str:
    """ComIn's metadata type of a Python value (bool before int): b, i, f, s."""
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    if isinstance(value, float):
        return "f"
    if isinstance(value, str):
        return "s"
    raise TypeError(type(value).__name__)


TYPEID = {"i": C["COMIN_METADATA_TYPEID_INTEGER"], "f": C["COMIN_METADATA_TYPEID_REAL"],
          "s": C["COMIN_METADATA_TYPEID_CHARACTER"], "b": C["COMIN_METADATA_TYPEID_LOGICAL"]}
KIND = {"b": "bool", "i": "int", "f": "float", "s": "str"}


def typed_result(value):
    t = metadata_type(value)
    return ok(KIND[t], int(value) if t == "b" else value)


def get_index(j: int, nproma: int) -> int:
    """comin_descrdata_get_index: 0 for 0, else SIGN(MOD(ABS(j)-1, nproma)+1, j)."""
    if j == 0:
        return 0
    r = (abs(j) - 1) % nproma + 1
    return r if j > 0 else -r


def get_block(j: int, nproma: int) -> int:
    """comin_descrdata_get_block: MAX((ABS(j)-1)/nproma + 1, 1) (integer division)."""
    if j == 0:
        return 1
    return max((abs(j) - 1) // nproma + 1, 1)


def get_indices(grid: str, i_blk: int, i_startblk: int, i_endblk: int, start_index: int,
                end_index: int, nproma: int) -> Tuple[int, int]:
    """ICON's get_indices_c/e/v as comin_descrdata_get_cell/edge/vert_indices: the first
    and last index of block i_blk (start/end_index: the domain's values at irl_start/irl_end).
    Vertices have no lower clamp of the start index; edges use MERGE (both read)."""
    if i_blk == i_startblk:
        s = start_index if grid == "verts" else max(1, start_index)
        e = end_index if i_blk == i_endblk else nproma
    elif i_blk == i_endblk:
        s, e = 1, end_index
    else:
        s, e = 1, nproma
    return s, e


def glb2loc_host(jg: int, glb: int) -> int:
    """The lookup function the conformance hosts set: it depends on the domain."""
    return glb + 1000 * jg


# -- exposed variables as the conformance hosts make them ----------------------------------------

#: kind -> (dimension semantics, lcontainer, ncontained (Fortran)) ; shapes from the domain
KINDS = ("field3d", "field2d", "container", "irregular", "tracer", "container_irregular", "strided",
         "tracer_slice", "strided_container")
DTYPES = {"d": C["COMIN_VAR_DATATYPE_DOUBLE"], "f": C["COMIN_VAR_DATATYPE_FLOAT"],
          "i": C["COMIN_VAR_DATATYPE_INT"]}
_N, _L, _B, _U, _CT, _UNDEF = (C["COMIN_DIM_SEMANTICS_NPROMA"], C["COMIN_DIM_SEMANTICS_LEVEL"],
                               C["COMIN_DIM_SEMANTICS_BLOCK"], C["COMIN_DIM_SEMANTICS_UNUSED"],
                               C["COMIN_DIM_SEMANTICS_CONTAINER"], C["COMIN_DIM_SEMANTICS_UNDEF"])
NCONTAINED = 2       # fields in a container


def layout(kind: str, nproma: int, nlev: int, nblks: int):
    """(shape5, dim_semantics5, lcontainer, ncontained) of a host variable of ``kind``
    (what comin_var_list_append receives; upstream ICON/replay conventions)."""
    if kind == "field3d":
        return (nproma, nlev, nblks, 1, 1), (_N, _L, _B, _U, _U), False, 0
    if kind == "field2d":
        return (nproma, nblks, 1, 1, 1), (_N, _B, _U, _U, _U), False, 0
    if kind == "container":
        return (nproma, nlev, nblks, NCONTAINED, 1), (_N, _L, _B, _CT, _U), True, NCONTAINED
    if kind == "irregular":
        return (nproma, nlev, nblks, 1, 1), (_N, _UNDEF, _B, _U, _U), False, 0
    if kind == "strided_container":   # a container whose container dimension is strided (Python hosts only)
        return (nproma, nlev, nblks, NCONTAINED, 1), (_N, _L, _B, _CT, _U), True, NCONTAINED
    if kind == "tracer_slice":  # a tracer that is a slice of a container (Python hosts only)
        return (nproma, nlev, nblks, 1, 1), (_N, _L, _B, _U, _U), False, 1
    if kind == "strided":       # a 3-D field whose host array is a strided view (Python hosts only)
        return (nproma, nlev, nblks, 1, 1), (_N, _L, _B, _U, _U), False, 0
    if kind == "container_irregular":    # a container with a dimension of undefined meaning
        return (nproma, nlev, nblks, NCONTAINED, 1), (_N, _UNDEF, _B, _CT, _U), True, NCONTAINED
    if kind == "tracer":        # one field of a container: its 1-based slot (replay/ICON)
        return (nproma, nlev, nblks, 1, 1), (_N, _L, _B, _U, _U), False, 1
    raise ValueError(kind)


def fill_value(k: int, jg: int) -> int:
    """The host's initial value at Fortran-order linear index k (exact in every dtype)."""
    return k % 5 + jg


def size_of(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


@dataclass
class Var:
    name: str
    jg: int
    kind: str
    dtype: str
    shape: tuple
    dim_semantics: tuple
    lcontainer: bool
    ncontained: int
    device: bool
    metadata: Dict[str, object]
    added: int = 0                  # what plugins added to every element

    @property
    def size(self) -> int:
        return size_of(self.shape)

    def total(self) -> float:
        return float(sum(fill_value(k, self.jg) for k in range(self.size)) + self.added * self.size)

    def element(self, k: int) -> float:
        return float(fill_value(k, self.jg) + self.added)


@dataclass
class Request:
    name: str
    jg: int
    exclusive: bool
    plugins: List[int]
    metadata: Dict[str, object] = field(default_factory=dict)


@dataclass
class Plugin:
    id: int
    name: str
    language: str
    #: ep -> number of callbacks of this plugin there (C/Fortran: at most 1)
    callbacks: Dict[int, List[str]] = field(default_factory=dict)
    handles: Dict[Tuple[str, int], int] = field(default_factory=dict)   # var -> flag of its handle


class Model:
    """ComIn's state and rules for one session (host and plugins).

    ``host_language``: the language of the host API in use; plugins carry their own.
    The model records every rule it applied in :attr:`fired` (rule id -> languages).
    """

    def __init__(self, host_language: str = "python") -> None:
        self.host_language = host_language
        self.fired: Dict[str, set] = {}
        self.initialised = False
        self._session()

    def _session(self) -> None:
        """A fresh session's state (comin_setup_init after comin_setup_finalize starts over)."""
        self.finalized = False
        self.handler = False
        self.n_dom = 0
        self.nproma = 0
        self.has_device = False
        self.has_device_set = False
        self.domains: Dict[int, Dict[str, int]] = {}
        self.timesteps: Dict[int, float] = {}
        self.datetime = ""
        self.glb2loc_fn = False
        self.halo = False
        self.device_fn = False
        self.plugins: List[Plugin] = []
        self.in_primary = False
        self.primary_done = False
        self.cur_pid = 0
        self.cur_ep = 0
        self.cur_domain = -2
        self.requests: List[Request] = []
        self.vars: Dict[Tuple[str, int], Var] = {}
        self.var_order: List[Var] = []
        self.access: Dict[Tuple[int, int], List[Tuple[Var, int]]] = {}
        self.sync_log: List[tuple] = []
        #: where the sync calls go (the scenario runner interleaves them with the plugins' lines)
        self.emit: Callable[[tuple], None] = self.sync_log.append

    # -- bookkeeping -----------------------------------------------------------------------------
    def _fire(self, rid: str, language: str) -> None:
        self.fired.setdefault(rid, set()).add(language)

    def _checks(self, language: str, checks: List[Tuple[str, bool]]):
        """Apply a routine's checks in order: the first failing one decides (its error, or
        None when all pass); order rules are fired for the others that fail as well."""
        failing = [rid for rid, failed in checks if failed]
        if not failing:
            return None
        first = failing[0]
        self._fire(first, language)
        for later in failing[1:]:
            self._fire(order_rule_id(first, later), language)
        return err(RULES[first].code)

    def plugin(self, pid: int) -> Plugin:
        return self.plugins[pid - 1]

    # -- host: setup ---------------------------------------------------------------------------------
    def host_init(self, plugins: List[Tuple[str, str]]):
        """comin_setup_init (the plugin list, (name, language), is kept for later)."""
        lang = self.host_language
        if self.initialised and not self.finalized:
            self._fire("host.init_twice", lang)
            return err(13)
        emit = self.emit
        self._session()
        self.emit = emit
        self.initialised = True
        self.plugins = [Plugin(i, name, language) for i, (name, language) in enumerate(plugins, start=1)]
        return ok()

    def host_errhandler(self, null):
        """null: True (None/NULL) or "bad" (Python: an object that is not callable)."""
        if null:
            self._fire("host.errhandler_null", self.host_language)
            if null == "bad":
                self._fire("host.setter_not_callable", self.host_language)
            return err(17)
        self.handler = True
        return ok()

    def host_check(self, wp: int):
        lang = self.host_language
        return self._checks(lang, [
            ("host.check_no_handler", lang != "python" and not self.handler),
            ("host.check_precision", wp != 8),
        ]) or ok()

    def host_global(self, n_dom: Optional[int], nproma: Optional[int], has_device: Optional[bool]):
        """Global data; None: the field is not set (n_dom/nproma stay unset, has_device False)."""
        if n_dom is not None:
            self.n_dom = n_dom
        if nproma is not None:
            self.nproma = nproma
        if has_device is not None:
            self.has_device = bool(has_device)
            self.has_device_set = True
        return ok()

    def host_domain(self, jg: int, nlev: int, ncells: int):
        nblks = -(-ncells // self.nproma)
        self.domains[jg] = {"id": jg, "nlev": nlev, "ncells": ncells, "nblks": nblks}
        return ok()

    def host_timestep(self, jg: int, dt: float):
        self.timesteps[jg] = float(dt)
        return ok()

    def host_datetime(self, text: str):
        self.datetime = text
        return ok()

    def host_glb2loc(self, null):
        """null: True (None/NULL) or "bad" (Python: an object that is not callable)."""
        if null:
            self._fire("host.glb2loc_null", self.host_language)
            if null == "bad":
                self._fire("host.setter_not_callable", self.host_language)
            return err(7)
        self.glb2loc_fn = True
        return ok()

    def host_halo(self, null):
        """null: True (None/NULL) or "bad" (Python: an object that is not callable)."""
        if null:
            self._fire("host.sync_halo_null", self.host_language)
            if null == "bad":
                self._fire("host.setter_not_callable", self.host_language)
            return err(29)
        self.halo = True
        return ok()

    def host_device(self, null):
        """null: True (None/NULL) or "bad" (Python: an object that is not callable)."""
        if null:
            self._fire("host.sync_device_null", self.host_language)
            if null == "bad":
                self._fire("host.setter_not_callable", self.host_language)
            return err(28)
        self.device_fn = True
        return ok()

    # -- host: plugins, requests, variables ------------------------------------------------------------
    def host_primary(self, run: Callable[[int], None]):
        """comin_plugin_primaryconstructor: each plugin's constructor in list order
        (``run(pid)`` performs it), then the callbacks are complete."""
        lang = self.host_language
        failed = self._checks(lang, [("host.primary_twice", self.primary_done),
                                     ("host.primary_no_n_dom", self.n_dom == 0)])
        if failed:
            return failed
        self.in_primary = True
        for p in self.plugins:
            self.cur_pid = p.id
            run(p.id)
            self.cur_pid = 0
        self.in_primary = False
        self.primary_done = True
        return ok()

    def begin_primary(self, pid: int = 1) -> None:
        """Step by step use: inside the primary constructor of plugin ``pid``."""
        self.in_primary, self.cur_pid = True, pid

    def end_primary(self) -> None:
        """Step by step use: the primary constructors are done."""
        self.in_primary, self.cur_pid, self.primary_done = False, 0, True

    def host_plugin_info(self):
        self._fire("host.no_plugin", self.host_language)
        return err(3)

    def host_get_n_dom(self):
        """The host reads n_dom back through the plugin API."""
        if not self.n_dom:
            self._fire("host.global_unset", self.host_language)
            return err(25)
        return ok("int", self.n_dom)

    def host_typeid(self, name: str, jg: int, key: str):
        """comin_metadata_get_typeid called by the host."""
        lang = self.host_language
        if not self.primary_done:
            self._fire("host.metadata_typeid_phase", lang)
            return err(11)
        v = self.vars.get((name, jg))
        if v is None:
            return err(24)
        self._fire("host.metadata_typeid", lang)
        t = metadata_type(v.metadata[key]) if key in v.metadata else None
        return ok("int", TYPEID[t] if t else C["COMIN_METADATA_TYPEID_UNDEFINED"])

    def host_requests(self) -> List[Request]:
        self._fire("host.requests", self.host_language)
        return self.requests

    def host_expose(self, name: str, jg: int, kind: str, dtype: str, device: bool):
        if (name, jg) in self.vars:
            self._fire("host.expose_twice", self.host_language)
            return err(3)
        dom = self.domains[jg]
        shape, sem, lcont, ncont = layout(kind, self.nproma, dom["nlev"], dom["nblks"])
        v = Var(name, jg, kind, dtype, shape, sem, lcont, ncont, bool(device), {"datatype": DTYPES[dtype]})
        self.vars[(name, jg)] = v
        self.var_order.append(v)
        return ok()

    def host_metadata(self, name: str, jg: int, key: str, value):
        lang = self.host_language
        v = self.vars.get((name, jg))
        failed = self._checks(lang, [
            ("host.metadata_not_found", v is None),
            ("host.metadata_type", v is not None and key in v.metadata
             and metadata_type(v.metadata[key]) != metadata_type(value)),
        ])
        if failed:
            return failed
        v.metadata[key] = value
        return ok()

    def host_finalize(self):
        if self.finalized:
            self._fire("host.finalize_twice", self.host_language)
            return err(12)
        self.finalized = True
        return ok()

    # -- host: entry points --------------------------------------------------------------------------
    def callback_slots(self, ep: int) -> List[Tuple[int, int]]:
        """(plugin id, number of callbacks) at ep, in plugin order."""
        return [(p.id, len(p.callbacks[ep])) for p in self.plugins if p.callbacks.get(ep)]

    def host_call_ep(self, ep: int, jg: int, lacc: bool, run: Callable[[int, int, str], None]):
        """comin_callback_context_call; ``run(pid, ep, what)`` performs one callback of a
        plugin (``what``: the driver's phase or ``noop``).  Sync calls go to :attr:`sync_log`."""
        lang = self.host_language
        if not self.primary_done:
            self._fire("context_call.before_primary", lang)
            return ok()
        failed = self._checks(lang, [
            ("context_call.ep", not 1 <= ep <= NUM_EPS),
            ("context_call.closed", self.finalized),
            ("context_call.domain", not (jg == -1 or 1 <= jg <= self.n_dom)),
        ])
        if failed:
            return failed
        slots = self.callback_slots(ep)
        if len(slots) > 1 or any(n > 1 for _, n in slots):
            self._fire("context_call.order", lang)
        for pid, _n in slots:
            acc = self.access.get((ep, pid), [])
            failed = self._sync_before(acc, lacc)
            if failed:
                return failed
            for what in self.plugin(pid).callbacks[ep]:
                self.cur_pid, self.cur_ep, self.cur_domain = pid, ep, jg
                run(pid, ep, what)
                self.cur_pid = 0
            failed = self._sync_after(acc, lacc)
            if failed:
                return failed
        return ok()

    def _sync_device(self, var: Var, direction: bool):
        if not self.device_fn:
            self._fire("sync.device_missing", self.host_language)
            return err(28)
        self._fire("sync.device_write" if direction else "sync.device_read", self.host_language)
        self.emit(("device", var.name, var.jg, int(direction)))
        return None

    def _sync_halo(self, var: Var, rw: int):
        lang = self.host_language
        zaxis = var.metadata.get("zaxis_id", C["COMIN_ZAXIS_3D"])
        failed = self._checks(lang, [
            ("sync.halo_zaxis", zaxis not in (C["COMIN_ZAXIS_2D"], C["COMIN_ZAXIS_3D"])),
            ("sync.halo_missing", not self.halo),
        ])
        if failed:
            return failed
        self._fire("sync.halo_read" if rw == READ else "sync.halo_write", lang)
        self._fire("sync.halo_mode_2d" if zaxis == C["COMIN_ZAXIS_2D"] else "sync.halo_mode_3d", lang)
        self.emit(("halo", var.name, var.jg, zaxis))
        return None

    def _sync_before(self, acc, lacc: bool):
        if lacc:
            for var, flag in acc:
                if flag & READ and not flag & DEVICE:
                    failed = self._sync_device(var, False)
                    if failed:
                        return failed
        for var, flag in acc:
            if flag & SYNC_HALO and flag & READ:
                failed = self._sync_halo(var, READ)
                if failed:
                    return failed
        return None

    def _sync_after(self, acc, lacc: bool):
        for var, flag in acc:
            if flag & SYNC_HALO and flag & WRITE:
                failed = self._sync_halo(var, WRITE)
                if failed:
                    return failed
        if lacc:
            for var, flag in acc:
                if flag & WRITE and not flag & DEVICE:
                    failed = self._sync_device(var, True)
                    if failed:
                        return failed
        return None

    # -- plugin: callbacks -----------------------------------------------------------------------------
    def callback_register(self, pid: int, ep: int, what: str):
        """comin_callback_register of plugin pid at ep; ``what`` is the callback
        (the driver's phase function or ``noop``)."""
        p = self.plugin(pid)
        if p.language == "python" and not -2 ** 63 <= ep < 2 ** 63:      # parsing the argument
            self._fire("callback_register.ep_overflow", "python")
            return err(6)
        failed = self._checks(p.language, [
            ("callback_register.phase", not self.in_primary),
            ("callback_register.ep", not 1 <= ep <= NUM_EPS),
        ])
        if failed:
            return failed
        slot = p.callbacks.setdefault(ep, [])
        if p.language == "python":
            if slot:
                self._fire("callback_register.several_python", "python")
            slot.append(what)
        else:
            if slot:
                self._fire("callback_register.one_per_ep", p.language)
            slot[:] = [what]
        return ok()

    def callback_register_none(self, pid: int, ep: int):
        """Python: callback_register(ep, None): the adapter's TypeError, whatever the phase."""
        self._fire("callback_register.callable", "python")
        return fail("type")

    def callback_register_null(self, pid: int, ep: int):
        """C: comin_callback_register(ep, NULL): comin's 26, whatever the phase."""
        self._fire("callback_register.null", "c")
        return err(26)

    def callback_get_ep_name(self, pid: int, ep: int):
        lang = self.plugin(pid).language
        if not 1 <= ep <= NUM_EPS:
            self._fire("callback_get_ep_name.ep", lang)
            return err(6)
        self._fire("callback_get_ep_name.name", lang)
        return ok("str", _table.ENTRY_POINTS[ep - 1])

    # -- plugin: current state ---------------------------------------------------------------------------
    def current_ep(self, pid: int):
        self._fire("state.ep", self.plugin(pid).language)
        return ok("int", self.cur_ep)

    def current_domain(self, pid: int):
        lang = self.plugin(pid).language
        jg = self.cur_domain
        if jg < 0:
            self._fire("state.domain_outside", lang)
            return fail("runtime") if lang == "python" else ok("int", -1)
        self._fire("state.domain_inside", lang)
        return ok("int", jg)

    def current_datetime(self, pid: int):
        self._fire("state.datetime", self.plugin(pid).language)
        return ok("str", self.datetime)

    def plugin_info(self, pid: int):
        p = self.plugin(pid)
        self._fire("state.plugin_info", p.language)
        return ok("info", p.id, p.name)

    def version(self, pid: int):
        self._fire("state.version", self.plugin(pid).language)
        return ok("ints", 0, 3, 0)

    # -- plugin: requests and request metadata ------------------------------------------------------------
    def _domains(self, jg: int) -> List[int]:
        return list(range(1, self.n_dom + 1)) if jg == -1 else [jg]

    def var_request_add(self, pid: int, name: str, jg: int, exclusive: bool):
        lang = self.plugin(pid).language

        def existing(d):
            return next((r for r in self.requests if r.name == name and r.jg == d), None)
        if not self.in_primary:      # check 1 returns before the conflicts are looked at
            first = existing(self._domains(jg)[0]) if self.n_dom else None
            return self._checks(lang, [("request.phase", True),
                                       ("request.is_exclusive", first is not None and first.exclusive),
                                       ("request.request_exclusive", first is not None and exclusive)])
        if jg == -1:
            self._fire("request.all_domains", lang)
        result = ok()
        for d in self._domains(jg):      # errors do not stop the loop; the last one is reported
            req = existing(d)
            if req is None:
                self.requests.append(Request(name, d, exclusive, [pid]))
                continue
            failed = self._checks(lang, [("request.is_exclusive", req.exclusive),
                                         ("request.request_exclusive", exclusive)])
            if failed:
                result = failed
                continue
            self._fire("request.merge", lang)
            req.plugins.append(pid)
        return result

    def metadata_set(self, pid: int, name: str, jg: int, key: str, value):
        lang = self.plugin(pid).language
        if lang == "python" and metadata_type(value) == "i" and not -2 ** 31 <= value < 2 ** 31:
            self._fire("metadata_set.int_range", lang)
            return fail("value")
        reqs = [r for d in self._domains(jg) for r in self.requests if r.name == name and r.jg == d]
        tracer = key == "tracer" and value is True and jg != -1

        def clash(r):
            return key in r.metadata and metadata_type(r.metadata[key]) != metadata_type(value)
        if not self.in_primary:      # check 1 returns before anything else is looked at
            return self._checks(lang, [("metadata_set.phase", True),
                                       ("metadata_set.tracer", bool(reqs) and tracer),
                                       ("metadata_set.type", any(clash(r) for r in reqs)),
                                       ("metadata_set.not_found", not reqs)])
        for i, r in enumerate(reqs):     # domain by domain; a failure keeps the domains before
            failed = self._checks(lang, [("metadata_set.tracer", tracer), ("metadata_set.type", clash(r))])
            if failed:
                if i:
                    self._fire("metadata_set.partial", lang)
                return failed
            r.metadata[key] = value
        if not reqs:
            self._fire("metadata_set.not_found", lang)
            return err(23)
        if len(reqs) > 1:
            self._fire("metadata_set.all_domains", lang)
        return ok()

    # -- plugin: exposed metadata ---------------------------------------------------------------------
    def metadata_get(self, pid: int, name: str, jg: int, key: str, as_type: Optional[str] = None):
        """The metadata value by its type id (``as_type`` None: the driver asks the
        type first, as the drivers do), or through the typed getter ``as_type``."""
        lang = self.plugin(pid).language
        v = self.vars.get((name, jg))
        missing_rule = "metadata_get.missing_python" if lang == "python" else "metadata_get.missing"
        failed = self._checks(lang, [
            ("metadata_get.phase", not self.primary_done),
            ("metadata_get.not_found", v is None),
            (missing_rule, v is not None and key not in v.metadata),
            ("metadata_get.type", v is not None and key in v.metadata and as_type is not None
             and metadata_type(v.metadata[key]) != as_type),
        ])
        if failed:
            return failed
        self._fire("metadata_get.value", lang)
        return typed_result(v.metadata[key])

    def metadata_typeid(self, pid: int, name: str, jg: int, key: str):
        lang = self.plugin(pid).language
        v = self.vars.get((name, jg))
        failed = self._checks(lang, [("metadata_typeid.phase", not self.primary_done),
                                     ("metadata_typeid.not_found", v is None)])
        if failed:
            return failed
        self._fire("metadata_typeid.value", lang)
        t = metadata_type(v.metadata[key]) if key in v.metadata else None
        return ok("int", TYPEID[t] if t else C["COMIN_METADATA_TYPEID_UNDEFINED"])

    def metadata_keys(self, pid: int, name: str, jg: int):
        lang = self.plugin(pid).language
        v = self.vars.get((name, jg))
        failed = self._checks(lang, [("metadata_keys.phase", lang != "python" and not self.primary_done),
                                     ("metadata_keys.not_found", v is None)])
        if failed:
            return failed
        self._fire("metadata_keys.value", lang)
        return ok("keys", *sorted(v.metadata))

    # -- plugin: variables -----------------------------------------------------------------------------
    def var_get(self, pid: int, context: List[int], name: str, jg: int, flag: int, keep: bool = True):
        p = self.plugin(pid)
        lang = p.language
        v = self.vars.get((name, jg))
        if flag & DEVICE and not self.has_device_set and self.primary_done:
            self._fire("descr.has_device_default", lang)
        failed = self._checks(lang, [
            ("var_get.phase", not (self.primary_done and self.cur_pid == pid and self.cur_ep == SECONDARY)),
            ("var_get.no_device", bool(flag & DEVICE) and not self.has_device),
            ("var_get.not_found", v is None),
            ("var_get.no_device_memory", v is not None and bool(flag & DEVICE) and not v.device),
            ("var_get.container_halo", v is not None and v.lcontainer and bool(flag & SYNC_HALO)),
            ("var_get.irregular_halo", v is not None and _UNDEF in v.dim_semantics and bool(flag & SYNC_HALO)),
            ("var_get.halo_missing", bool(flag & SYNC_HALO) and not self.halo),
            ("var_get.context_ep", any(not 1 <= ep <= NUM_EPS for ep in context)),
            ("var_get.flag_bits", bool(flag & ~ALL_FLAGS)),
        ])
        if failed:
            return failed
        if not context:
            self._fire("var_get.context_empty", lang)
        for ep in context:
            if ep == SECONDARY:
                self._fire("var_get.secondary_not_listed", lang)
                continue
            acc = self.access.setdefault((ep, pid), [])
            if any(var is v for var, _f in acc):
                self._fire("var_get.first_flag", lang)
                continue
            acc.append((v, flag))
        if keep:                         # the drivers keep the handle for the var_* operations
            p.handles[(name, jg)] = flag
        return ok("var", name, jg, flag)

    def var_get_raw(self, pid: int, name: str, jg: int, flag: int, n: int, null: int):
        """C: comin_var_get(n, ctx, ...) with no entry points in ctx: n <= 0 is an empty
        context (whatever the pointer); a NULL ctx (``null``) with n > 0 is 26, before
        ComIn's checks (the argument is read first)."""
        if null and n > 0:
            self._fire("var_get.context_null", self.plugin(pid).language)
            return err(26)
        return self.var_get(pid, [], name, jg, flag)

    def var_get_badctx(self, pid: int, name: str, jg: int):
        """Python: var_get with a context that is not a list (an int)."""
        self._fire("var_get.context_type", "python")
        return fail("value")

    def _handle(self, pid: int, name: str, jg: int):
        flag = self.plugin(pid).handles.get((name, jg))
        return None if flag is None else (self.vars[(name, jg)], flag)

    def var_info(self, pid: int, name: str, jg: int):
        lang = self.plugin(pid).language
        h = self._handle(pid, name, jg)
        if h is None:
            return fail("nohandle")
        v, _flag = h
        self._fire("handle.shape", lang)
        if lang == "fortran":
            self._fire("handle.ncontained_fortran", lang)
            ncont = v.ncontained
        else:
            self._fire("handle.ncontained_c", lang)
            ncont = v.ncontained - 1
        return ok("ints", *v.shape, *v.dim_semantics, ncont, int(v.lcontainer), DTYPES[v.dtype])

    def var_read(self, pid: int, name: str, jg: int):
        h = self._handle(pid, name, jg)
        if h is None:
            return fail("nohandle")
        self._fire("handle.aliases_host", self.plugin(pid).language)
        return ok("float", h[0].total())

    def var_elem(self, pid: int, name: str, jg: int, k: int):
        h = self._handle(pid, name, jg)
        if h is None:
            return fail("nohandle")
        if not 0 <= k < h[0].size:
            return fail("index")
        self._fire("handle.aliases_host", self.plugin(pid).language)
        return ok("float", h[0].element(k))

    def var_write(self, pid: int, name: str, jg: int, value: int):
        lang = self.plugin(pid).language
        h = self._handle(pid, name, jg)
        if h is None:
            return fail("nohandle")
        v, flag = h
        if lang == "python" and not flag & WRITE:
            self._fire("handle.readonly", lang)
            return fail("readonly")
        if lang != "python" and not flag & WRITE:
            self._fire("handle.write_unchecked", lang)
        self._fire("handle.write_reaches_host", lang)
        v.added += value
        return ok()

    def var_ptr(self, pid: int, kind: str, name: str, jg: int):
        """C/Fortran: var_get (READ at EP_ATM_TIMELOOP_START), then a typed pointer getter
        (d/f/i host memory, dd/df/di device memory)."""
        got = self.var_get(pid, [C["EP_ATM_TIMELOOP_START"]], name, jg, READ, keep=False)
        if got[0] != "ok":
            return got
        v = self.vars[(name, jg)]
        want = DTYPES[kind[-1]]
        if DTYPES[v.dtype] != want:
            self._fire("handle.wrong_type", self.plugin(pid).language)
            return err(37)
        if v.kind in ("strided", "strided_container") and len(kind) == 1:
            self._fire("handle.not_contiguous", self.plugin(pid).language)
            return err(26)
        return ok("ptr", 0 if kind.startswith("d") and len(kind) == 2 and not v.device else 1)

    def var_shape_null(self, pid: int):
        self._fire("handle.null", self.plugin(pid).language)
        return err(26)

    def var_descr_list(self, pid: int):
        self._fire("var_descr_list.order", self.plugin(pid).language)
        return ok("descrs", *[x for v in self.var_order for x in (v.name, v.jg)])

    # -- plugin: descriptive data -------------------------------------------------------------------------
    def descr_global(self, pid: int, name: str):
        self._fire("descr.global", self.plugin(pid).language)
        if name == "has_device":
            return ok("bool", int(self.has_device))
        return ok("int", {"n_dom": self.n_dom, "nproma": self.nproma}[name])

    def descr_domain(self, pid: int, jg: int, name: str):
        lang = self.plugin(pid).language
        if jg not in self.domains:
            self._fire("descr.domain_unset", lang)
            return err(25)
        self._fire("descr.domain", lang)
        return ok("int", self.domains[jg][name])

    def timestep(self, pid: int, jg: int):
        lang = self.plugin(pid).language
        if not self.timesteps or not self.n_dom or not 1 <= jg <= self.n_dom + 4:
            self._fire("descr.timestep_outside", lang)
            return err(25)
        if jg not in self.timesteps:
            self._fire("descr.timestep_unset", lang)
            return ok("float", 0.0)
        self._fire("descr.timestep", lang)
        return ok("float", self.timesteps[jg])

    def glb2loc(self, pid: int, jg: int, idx: int):
        lang = self.plugin(pid).language
        if not self.glb2loc_fn:
            self._fire("descr.glb2loc_unset", lang)
            return err(7)
        self._fire("descr.glb2loc", lang)
        return ok("int", glb2loc_host(jg, idx))

    def index(self, pid: int, j: int):
        if not self.nproma:
            self._fire("descr.nproma_unset", self.plugin(pid).language)
            return err(25)
        self._fire("descr.index", self.plugin(pid).language)
        return ok("int", get_index(j, self.nproma))

    def block(self, pid: int, j: int):
        if not self.nproma:
            self._fire("descr.nproma_unset", self.plugin(pid).language)
            return err(25)
        self._fire("descr.block", self.plugin(pid).language)
        return ok("int", get_block(j, self.nproma))

    def npromz(self, pid: int, jg: int):
        lang = self.plugin(pid).language
        if jg not in self.domains:
            self._fire("descr.domain_unset", lang)
            return err(25)
        self._fire("descr.npromz", lang)
        d = self.domains[jg]
        return ok("int", d["ncells"] - (d["nblks"] - 1) * self.nproma)

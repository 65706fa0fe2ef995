"""The C API of ComIn 0.3 as data: one row per function of ``libcomin``, for every language.

Each row of :data:`PLUGIN_API`, :data:`HOST_API` and :data:`EXTENSIONS` is one C
function with everything the bindings are generated from (``comin/_codegen.py``,
at build time; the fields are described in :class:`Function`, :class:`Bind`,
:class:`Wrap`, :class:`Ref`, :class:`FArg` and :class:`NotIn`):

* the C prototype (``comin.h`` / ``comin_host.h``, the table of function pointers
  ``comin_api_table.h`` and one trampoline per function in ``libcomin.c``);
* the core's side: how an error is reported (``error``), the value returned after
  one when errors_return is on (``neutral``) and the conversion ``body``, a Cython
  expression over the C parameter names (or, without one, a hand-written function
  ``_impl_<name>`` in ``comin/_capi.pxi`` / ``comin/_capi_host.pxi``); the
  generated wrapper ``_c_<name>`` (``try``/``_c_fail``) goes into
  ``comin/_capi_wrappers.pxi``;
* the Python form (``python``): what a Python plugin or host writes instead;
* the Fortran form (``fortran``): the public procedure of ``comin_plugin_interface``
  and/or ``comin_host_interface``, with its dummy-argument names, kinds, OPTIONAL
  arguments and the modules that export it; its ``BIND(C)`` interface and, for
  :class:`Wrap`, the whole procedure are generated (``fortran_api/*.inc``);
* a one-line ``doc`` (comments of ``comin_host.h``, the documentation's tables).

Typed families (``comin_metadata_set_<type>``, ``comin_var_get_ptr_<type>``,
``comin_request_metadata_get_or_<type>``) are rows made from one template per type
(:data:`METADATA_TYPES`, :data:`DATATYPES`), as the descriptive-data getters are
made from ``_table.DESCRDATA``.  Adding a function is one row (plus its
``_impl_`` body when one expression does not do); renaming a Fortran dummy
argument is the ``name`` of its :class:`FArg` (or ``Bind.names``); exporting a
procedure from both Fortran modules is ``modules=BOTH``; a const qualifier is the
prototype's text.  ``tests/test_capi_table.py`` checks every row in the three
languages.

Nothing here imports from the package: ``setup.py`` loads this file by path.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Tuple, Union


# -- the row format ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """One C parameter as the prototype writes it (qualifiers included)."""
    ctype: str                    # "const char*", "int", "t_comin_var_descriptor" ...
    name: str                     # the C parameter name
    array: Optional[str] = None   # "name[N]": the extent N as written ("" for "name[]")

    @property
    def decl(self) -> str:
        """The parameter as C declares it."""
        if self.array is None:
            return f"{self.ctype} {self.name}"
        return f"{self.ctype} {self.name}[{self.array}]"

    @property
    def abi_type(self) -> str:
        """The type the ABI passes (an array parameter is a pointer to its element)."""
        return self.ctype if self.array is None else self.ctype + "*"


@dataclass(frozen=True)
class NotIn:
    """An explicit "not in this language" marker, with the reason the docs show."""
    reason: str


@dataclass(frozen=True)
class FArg:
    """One dummy argument of a generated Fortran procedure.

    ``key`` names the C parameter the argument feeds (or, for an argument without a C
    counterpart, the name body templates use, ``{key}``); ``name`` is the Fortran
    dummy name (keyword calls use it; default ``key``).  ``kind`` says how it is
    declared and converted (``_codegen._F_KINDS``: integer, logical, real, string,
    descriptor, c_ptr, handle, callback, integer_array, and the outputs
    integer_out, logical_out, real_out, string_out, chars_out, descriptor_out,
    descriptor_inout, handle_out); ``decl`` instead gives a declaration of its own
    (the argument is then used through ``cargs`` or ``body``).  ``optional`` makes
    it OPTIONAL; the C side then gets ``default`` when it is absent.
    """
    key: str
    kind: str = ""
    name: str = ""
    optional: bool = False
    default: str = ""
    decl: str = ""

    @property
    def fname(self) -> str:
        return self.name or self.key


@dataclass(frozen=True)
class Bind:
    """The ``BIND(C)`` interface is itself the public Fortran procedure (same name).

    ``names`` maps C parameter names to Fortran dummy names where they differ.
    """
    modules: Tuple[str, ...] = ("plugin",)
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Wrap:
    """A generated Fortran procedure over the C function's ``BIND(C)`` interface.

    ``args`` are its dummies in Fortran order.  Without ``body`` the statements are
    generated: each C parameter gets the converted argument of the same ``key`` (or the
    expression ``cargs[parameter]``, a template over ``{key}``); a C result goes to the
    function result (``result``: its Fortran type) or to the argument ``result_arg``.
    ``body`` replaces the generated statements (a template over ``{key}`` and
    ``{iface}``, the interface's name; declarations first).  ``generic`` makes the
    procedure a specific of that generic interface (then only the generic is public).
    """
    args: Tuple[FArg, ...] = ()
    modules: Tuple[str, ...] = ("plugin",)
    name: str = ""
    result: str = ""
    result_arg: str = ""
    cargs: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    generic: str = ""
    doc: str = ""


@dataclass(frozen=True)
class Ref:
    """The Fortran form is written elsewhere: hand-written in a module of ``fortran_api/``
    (a composite such as ``comin_current_get_plugin_info``, a type-bound procedure
    ``t_comin_var_handle%get_ptr``) or generated from ``_table.DESCRDATA``.  ``homes``
    are the modules that get the C function's ``BIND(C)`` interface (private, named
    ``iface`` or ``c_<name without comin_>``); ``modules`` export the form.
    """
    name: str
    modules: Tuple[str, ...] = ("plugin",)
    homes: Tuple[str, ...] = ("plugin",)
    iface: str = ""
    note: str = ""


FortranForm = Union[Bind, Wrap, Ref, NotIn]

#: Fortran modules by their short names in the rows
MODULES = {"plugin": "comin_plugin_interface", "host": "comin_host_api",
           "descrdata": "comin_descrdata_types", "host_descrdata": "comin_host_descrdata"}


@dataclass(frozen=True)
class Function:
    """One row: a C function of libcomin and its forms in every language."""
    ret: str
    name: str
    params: Tuple[Param, ...]
    header: str = "comin.h"          # comin.h (plugins) or comin_host.h (hosts)
    extension: bool = False          # comin's addition to upstream's comin.h
    error: str = "plugin"            # plugin: _c_fail; host: _c_host_fail; none: cannot fail
    neutral: Optional[str] = None    # returned after an error (None: 0, 0.0, False or NULL)
    body: Optional[str] = None       # Cython expression over the parameters, or a statement for
                                     # a void function (None: the hand-written _impl_<name>)
    python: Union[str, NotIn, None] = None
    fortran: Optional[FortranForm] = None
    doc: str = ""
    trampoline: str = ""             # the public symbol is hand-written (comin/src); libcomin's
                                     # generated trampoline to the core gets this name

    @property
    def short(self) -> str:
        return self.name[len("comin_"):]

    @property
    def c_params(self) -> str:
        return ", ".join(p.decl for p in self.params) or "void"

    @property
    def c_args(self) -> str:
        return ", ".join(p.name for p in self.params)

    @property
    def f_iface(self) -> str:
        """The Fortran name of the ``BIND(C)`` interface."""
        if isinstance(self.fortran, Bind):
            return self.name
        if isinstance(self.fortran, Ref) and self.fortran.iface:
            return self.fortran.iface
        return "c_" + self.short

    @property
    def f_homes(self) -> Tuple[str, ...]:
        """The modules whose ``BIND(C)`` interfaces include this function."""
        f = self.fortran
        if isinstance(f, (Bind, Wrap)):
            return f.modules[:1]
        if isinstance(f, Ref):
            return f.homes
        return ()

    @property
    def f_public(self) -> str:
        """The public Fortran name (generic, procedure or form), "" when not in Fortran."""
        f = self.fortran
        if isinstance(f, Bind):
            return self.name
        if isinstance(f, Wrap):
            return f.generic or f.name or self.name
        if isinstance(f, Ref):
            return f.name
        return ""


_PROTO_RE = re.compile(r"^(?P<ret>.+?)\s*\b(?P<name>comin_\w+)\((?P<params>.*)\)$")
_PARAM_RE = re.compile(r"^(?P<type>.*?[\s*])\s*(?P<name>\w+)\s*(?:\[(?P<size>[^\]]*)\])?$")


def _parse(proto: str) -> Tuple[str, str, Tuple[Param, ...]]:
    m = _PROTO_RE.match(" ".join(proto.split()))
    if m is None:
        raise ValueError(f"not a prototype: {proto!r}")
    params = []
    text = m.group("params").strip()
    if text and text != "void":
        for part in text.split(","):
            p = _PARAM_RE.match(part.strip())
            if p is None:
                raise ValueError(f"not a parameter: {part!r} (in {proto!r})")
            ctype = re.sub(r"\s*\*", "*", p.group("type").strip())
            size = p.group("size")
            params.append(Param(ctype, p.group("name"), None if size is None else size.strip()))
    return m.group("ret").strip(), m.group("name"), tuple(params)


def api(proto: str, **row) -> Function:
    """A row from its C prototype and the other fields of :class:`Function`."""
    ret, name, params = _parse(proto)
    return Function(ret, name, params, **row)


# -- shorthands of the rows ---------------------------------------------------------------------

def _arg(key: str, kind: str = "", name: str = "", **kw) -> FArg:
    return FArg(key, kind, name, **kw)


_DESCR = _arg("var_descriptor", "descriptor")
_KEY = _arg("key", "string")
PLUGIN, HOST, BOTH = ("plugin",), ("host",), ("plugin", "host")

#: Metadata value types: (name in the C functions, C type, Cython conversion of a C value,
#: Fortran kind in, Fortran kind out, ComIn typeid)
METADATA_TYPES = (
    ("integer", "int", "int({x})", "integer", "integer_out", "COMIN_METADATA_TYPEID_INTEGER"),
    ("logical", "bool", "bool({x})", "logical", "logical_out", "COMIN_METADATA_TYPEID_LOGICAL"),
    ("real", "double", "float({x})", "real", "real_out", "COMIN_METADATA_TYPEID_REAL"),
    ("character", "const char*", "_c_string({x})", "string", "string_out",
     "COMIN_METADATA_TYPEID_CHARACTER"),
)

#: Datatypes of host variables: (suffix of the C getters, C element type, ComIn datatype,
#: suffix of the Fortran typed procedures, Fortran element type)
DATATYPES = (
    ("double", "double", "COMIN_VAR_DATATYPE_DOUBLE", "dp", "REAL(c_double)"),
    ("float", "float", "COMIN_VAR_DATATYPE_FLOAT", "sp", "REAL(c_float)"),
    ("int", "int", "COMIN_VAR_DATATYPE_INT", "i", "INTEGER(c_int)"),
)

_NO_GC = NotIn("not needed: garbage collection frees it")


def _bridged(abstract: str, pointer: str, bridge: str, name: str = "", doc: str = "") -> Wrap:
    """A host's Fortran procedure handed to C: the host module keeps it in ``pointer``
    (of the abstract interface ``abstract``) and gives C its ``BIND(C)`` ``bridge``."""
    return Wrap((_arg("fct", decl=f"PROCEDURE({abstract}) :: {{x}}", name=name),), modules=HOST,
                body=f"{pointer} => {{fct}}\nCALL {{iface}}(c_funloc({bridge}))", doc=doc)


def _plugin_api() -> List[Function]:
    """ComIn 0.3's plugin-side C API (upstream include/comin.h), in comin.h's order.
    ``comin_setup_get_version`` is a static inline in the header, not a row."""
    rows = [
        api("t_comin_entry_point comin_current_get_ep(void)",
            body="_active().d.cur_ep", python="comin.current_get_ep", fortran=Bind()),
        api("int comin_current_get_domain_id(void)",
            body="max(_active().d.cur_domain, COMIN_DOMAIN_OUTSIDE_LOOP)",
            neutral="COMIN_DOMAIN_OUTSIDE_LOOP", python="comin.current_get_domain_id",
            fortran=Bind()),
        api("int comin_current_get_plugin_id(void)",
            body='_active()._need_plugin("comin_current_get_plugin_id").id',
            python="comin.current_get_plugin_info().id",
            fortran=Ref("comin_current_get_plugin_info", note="%id")),
    ]
    for what in ("name", "options", "comm"):
        rows.append(api(
            f"void comin_current_get_plugin_{what}(char const** val, int* len)",
            body=f'_c_plugin_string("comin_current_get_plugin_{what}", "{what}", val, len)',
            python=f"comin.current_get_plugin_info().{what}",
            fortran=Ref("comin_current_get_plugin_info", note=f"%{what}")))
    rows += [
        api("void comin_current_get_datetime(char const** val, int* len)",
            body='_c_str_out("datetime", current_get_datetime(), val, len)',
            python="comin.current_get_datetime",
            fortran=Wrap((_arg("val", "string_out", "sim_time_current"),),
                         doc="The current model date and time (ISO 8601 string).")),
        api("int comin_parallel_get_plugin_mpi_comm(void)", body="parallel_get_plugin_mpi_comm()",
            neutral="-1", python="comin.parallel_get_plugin_mpi_comm", fortran=Bind()),
        api("int comin_parallel_get_host_mpi_comm(void)", body="parallel_get_host_mpi_comm()",
            neutral="-1", python="comin.parallel_get_host_mpi_comm", fortran=Bind(BOTH)),
        api("int comin_parallel_get_host_mpi_rank(void)", body="parallel_get_host_mpi_rank()",
            neutral="-1", python="comin.parallel_get_host_mpi_rank", fortran=Bind()),
        api("void comin_plugin_finish(const char* routine, const char* text)",
            body="_active().finish(_c_string(routine), _c_string(text))", python="comin.finish",
            fortran=Wrap((_arg("routine", "string"), _arg("text", "string")),
                         doc='Stop the run via the host: "routine: text".')),
    ]
    for level in ("debug", "info", "warning"):
        rows.append(api(f"void comin_print_{level}(const char* msg)",
                        body=f"print_{level}(_c_string(msg))", python=f"comin.print_{level}",
                        fortran=Wrap((_arg("msg", "string"),))))
    rows += [
        api("void comin_error_get_message(t_comin_error_code errcode, char category[11], "
            "char message[COMIN_MAX_LEN_ERR_MESSAGE])",
            python="comin.error_get_message",
            fortran=Wrap((_arg("errcode", "integer", "error_code"), _arg("category", "chars_out"),
                          _arg("message", "chars_out")), modules=BOTH,
                         doc="Category (\"ERROR\", ...; at most 10 characters, as C's char[11]) "
                             "and message of an error code (blank-padded into the actual "
                             "arguments).")),
        api("void comin_error_check(t_comin_error_code errcode, const char* scope)",
            python=NotIn("Python raises comin.ComInError (errors_return is always on)"),
            fortran=Wrap((), cargs={"errcode": "COMIN_SUCCESS", "scope": "c_null_char"},
                         doc="Check the stored error code: INFO/WARNING are printed, an error "
                             "ends the run through the host (comin_plugin_finish with the "
                             "plugin's name).")),
        api("void comin_error_set_errors_return(bool errors_return)",
            python=NotIn("Python raises comin.ComInError (errors_return is always on)"),
            fortran=Wrap((_arg("errors_return", "logical"),), modules=BOTH,
                         doc=".TRUE.: errors of this plugin's calls are stored (comin_error_get) "
                             "instead of ending the run.")),
        api("t_comin_error_code comin_error_get(void)", error="none", body="_c_error_code()",
            python="comin.ComInError  (its code attribute)", fortran=Bind(BOTH)),
        api("int comin_setup_get_verbosity_level(void)", body="_active().d.verbosity",
            python="comin.setup_get_verbosity_level", fortran=Bind(BOTH),
            doc="ComIn 0.2: the host's verbosity level (comin_setup_set_verbosity_level)"),
        api("void comin_error_reset(void)", error="none", body="_c_set_errcode(COMIN_SUCCESS)",
            python=NotIn("Python raises comin.ComInError: nothing is stored"),
            fortran=Bind(BOTH)),
        api("void comin_var_request_add(t_comin_var_descriptor var_descriptor, bool lmodexclusive)",
            body="_request_add(_active(), _c_descriptor(var_descriptor), lmodexclusive)",
            python="comin.var_request_add",
            fortran=Wrap((_DESCR, _arg("lmodexclusive", "logical")),
                         doc="Request a new variable (primary constructor only).")),
        api("t_comin_var_handle* comin_var_get(int context_len, t_comin_entry_point context[], "
            "t_comin_var_descriptor var_descriptor, int flag)",
            python="comin.var_get",
            fortran=Wrap((_arg("context", decl="INTEGER, INTENT(IN) :: {x}(:)"), _DESCR,
                          _arg("flag", "integer"), _arg("handle", "handle_out", "var_ptr")),
                         name="comin_var_get_handle", generic="comin_var_get",
                         body="""
                             INTEGER(c_int) :: ctx(MAX(SIZE({context}), 1))
                             ctx(:) = 0
                             ctx(1:SIZE({context})) = INT({context}(:), c_int)
                             {handle}%ptr = {iface}(INT(SIZE({context}), c_int), ctx, &
                               &  descr_to_c({var_descriptor}), INT({flag}, c_int))""",
                         doc="Access a variable (secondary constructor only) for the entry "
                             "points context(:); flag: COMIN_FLAG_READ/WRITE/SYNC_HALO/DEVICE "
                             "combined with IOR.  On failure handle%valid() is .FALSE.")),
        api("void* comin_var_get_ptr(t_comin_var_handle* handle)",
            body="_c_data_pointer(handle, 0, False)",
            python="numpy.asarray(handle)  (comin.VarHandle: the buffer protocol)",
            fortran=NotIn("Fortran's handle%get_ptr(ptr) is typed (REAL(c_double), "
                          "REAL(c_float), INTEGER(c_int)): comin_var_get_ptr_<type>")),
    ]
    for csuffix, ctype, datatype, fsuffix, _ftype in DATATYPES:
        rows.append(api(f"{ctype}* comin_var_get_ptr_{csuffix}(t_comin_var_handle* handle)",
                        body=f"<{ctype}*>_c_data_pointer(handle, {datatype}, False)",
                        python=f"numpy.asarray(handle)  (comin.VarHandle, dtype {csuffix})",
                        fortran=Ref("t_comin_var_handle%get_ptr", note=f" (get_ptr_{fsuffix})")))
    rows.append(api("void* comin_var_get_device_ptr(t_comin_var_handle* handle)",
                    body="_c_data_pointer(handle, 0, True)",
                    python="cupy.asarray(handle)  (comin.VarHandle.__cuda_array_interface__)",
                    fortran=Ref("t_comin_var_handle%get_device_ptr")))
    for csuffix, ctype, datatype, _fsuffix, _ftype in DATATYPES:
        rows.append(api(f"{ctype}* comin_var_get_device_ptr_{csuffix}(t_comin_var_handle* handle)",
                        body=f"<{ctype}*>_c_data_pointer(handle, {datatype}, True)",
                        python="cupy.asarray(handle)  (comin.VarHandle.__cuda_array_interface__)",
                        fortran=Ref("t_comin_var_handle%get_device_ptr",
                                    note=f"(datatype={datatype})")))
    rows += [
        api("void comin_var_get_shape(t_comin_var_handle* handle, int shape[5])",
            python="numpy.asarray(handle).shape  (comin.VarHandle.shape)",
            fortran=Ref("t_comin_var_handle%array_shape")),
        api("void comin_var_get_dim_semantics(t_comin_var_handle* handle, int dim_semantics[5])",
            python="comin.VarHandle.dim_semantics", fortran=Ref("t_comin_var_handle%dim_semantics")),
        api("void comin_var_get_ncontained(t_comin_var_handle* handle, int* ncontained)",
            body="ncontained[0] = _c_need_handle(handle).ncontained",
            python="comin.VarHandle.ncontained", fortran=Ref("t_comin_var_handle%ncontained")),
        api("void comin_var_get_pos(t_comin_var_handle* handle, int* pos_jc, int* pos_jk, "
            "int* pos_jb, int* pos_jn)",
            python=NotIn("ComIn 0.2's C positions; Python reads VarHandle.dim_semantics"),
            fortran=NotIn("ComIn 0.2's Fortran reads t_comin_var_ptr%pos_jc ... (comin_var_get)"),
            doc="ComIn 0.2: 0-based positions of the nproma, level, block and container "
                "dimensions (-2: none), from the variable's dim_semantics"),
        api("void comin_var_get_descriptor(t_comin_var_handle* handle, "
            "t_comin_var_descriptor* descriptor)",
            python="comin.VarHandle.descriptor", fortran=Ref("t_comin_var_handle%descriptor")),
        api("t_comin_var_descr_list_iterator* comin_var_get_descr_list_head(void)",
            python="comin.var_descr_list()  (a Python iterable)",
            fortran=Ref("comin_var_get_descr_list_head", iface="c_var_get_descr_list_head",
                        note=" (a t_comin_var_descr_list_item pointer: ComIn 0.3 code assigns it to "
                             "a TYPE(c_ptr), ComIn 0.2 code walks item%next())")),
        api("t_comin_var_descr_list_iterator* comin_var_get_descr_list_next("
            "t_comin_var_descr_list_iterator* it)",
            python="comin.var_descr_list()  (a Python iterable)",
            fortran=Bind(BOTH, names={"it": "current"})),
        api("void comin_var_get_descr_list_var_desc(t_comin_var_descr_list_iterator* it, "
            "t_comin_var_descriptor* descriptor)",
            python="comin.var_descr_list()  (a Python iterable)",
            fortran=Wrap((_arg("it", "c_ptr"), _arg("descriptor", "descriptor_inout", "var_desc_out")),
                         modules=BOTH, doc="The descriptor of the variable at iterator it.")),
        api("void comin_var_descr_list_iterator_delete(t_comin_var_descr_list_iterator** it)",
            python=_NO_GC, fortran=Bind(BOTH)),
        api("void comin_callback_register(t_comin_entry_point ep, t_comin_callback_function fct)",
            python="comin.callback_register  /  @comin.EP_ATM_TIMELOOP_START (any entry point)",
            fortran=Wrap((_arg("ep", "integer", "entry_point_id"), _arg("fct", "callback", "fct_ptr")),
                         doc="Register fct (a BIND(C) subroutine without arguments) for entry "
                             "point ep.")),
        api("void comin_callback_get_ep_name(t_comin_entry_point ep, "
            "char out[COMIN_MAX_LEN_EP_NAME + 1])",
            body="_c_copy_out(out, callback_get_ep_name(ep), _SIZE_comin_callback_get_ep_name_out)",
            python="comin.callback_get_ep_name",
            fortran=Wrap((_arg("ep", "integer", "iep"), _arg("out", "string_out", "out_ep_name")),
                         modules=BOTH, doc='Name of entry point iep (e.g. "EP_ATM_TIMELOOP_END").')),
        api("t_comin_metadata_typeid comin_metadata_get_typeid("
            "t_comin_var_descriptor var_descriptor, const char* key)",
            body="metadata_get_typeid(_c_descriptor(var_descriptor), _c_string(key))",
            python="comin.metadata_get_typeid",
            fortran=Wrap((_DESCR, _KEY), modules=BOTH, result="INTEGER",
                         doc="COMIN_METADATA_TYPEID_* of the value stored under key.")),
    ]
    for tname, ctype, pyconv, fin, _fout, _typeid in METADATA_TYPES:
        rows.append(api(
            f"void comin_metadata_set_{tname}(t_comin_var_descriptor var_descriptor, "
            f"const char* key, {ctype} val)",
            body=f"_c_metadata_set(var_descriptor, key, {pyconv.format(x='val')})",
            python="comin.metadata_set",
            fortran=Wrap((_DESCR, _KEY, _arg("val", fin)), modules=PLUGIN,
                         generic="comin_metadata_set")))
    for tname, ctype, _pyconv, _fin, fout, typeid in METADATA_TYPES:
        string = tname == "character"        # a string comes out as a pointer and a length
        rows.append(api(
            f"void comin_metadata_get_{tname}(t_comin_var_descriptor var_descriptor, "
            f"const char* key, {'char const** val, int* len' if string else ctype + '* val'})",
            body=None if string else f"val[0] = _c_metadata_get(var_descriptor, key, {typeid})",
            python="comin.metadata_get",
            fortran=Wrap((_DESCR, _KEY, _arg("val", fout)), modules=BOTH,
                         generic="comin_metadata_get")))
    iterator = Ref("comin_metadata_get_iterator / t_comin_var_metadata_iterator", modules=BOTH)
    rows += [
        api("t_comin_metadata_iterator* comin_metadata_get_iterator_begin("
            "t_comin_var_descriptor var_descriptor)",
            body="_c_metadata_iterator(var_descriptor, False)",
            python="comin.metadata(descriptor)  (a Mapping)", fortran=iterator),
        api("t_comin_metadata_iterator* comin_metadata_get_iterator_end("
            "t_comin_var_descriptor var_descriptor)",
            body="_c_metadata_iterator(var_descriptor, True)",
            python="comin.metadata(descriptor)  (a Mapping)", fortran=iterator),
        api("const char* comin_metadata_iterator_get_key(t_comin_metadata_iterator* it)",
            python="comin.metadata(descriptor)  (a Mapping)",
            fortran=Ref("t_comin_var_metadata_iterator%key", modules=BOTH)),
        api("bool comin_metadata_iterator_compare(t_comin_metadata_iterator* it1, "
            "t_comin_metadata_iterator* it2)",
            python="comin.metadata(descriptor)  (a Mapping)",
            fortran=Ref("t_comin_var_metadata_iterator%is_end", modules=BOTH)),
        api("void comin_metadata_iterator_next(t_comin_metadata_iterator* it)",
            python="comin.metadata(descriptor)  (a Mapping)",
            fortran=Ref("t_comin_var_metadata_iterator%next", modules=BOTH)),
        api("void comin_metadata_iterator_delete(t_comin_metadata_iterator* it)",
            python=_NO_GC, fortran=Ref("t_comin_var_metadata_iterator%delete", modules=BOTH)),
        api("double comin_descrdata_get_timesteplength(int jg)",
            body="descrdata_get_timesteplength(jg)", python="comin.descrdata_get_timesteplength",
            fortran=Bind()),
        api("int comin_descrdata_get_index(int j)", body="descrdata_get_index(j)",
            python="comin.descrdata_get_index", fortran=Bind(names={"j": "idx1d"})),
        api("int comin_descrdata_get_block(int j)", body="descrdata_get_block(j)",
            python="comin.descrdata_get_block", fortran=Bind(names={"j": "idx1d"})),
    ]
    for grid, name in (("cells", "cell"), ("edges", "edge"), ("verts", "vert")):
        rows.append(api(
            f"void comin_descrdata_get_{name}_indices(int jg, int i_blk, int i_startblk, "
            "int i_endblk, int* i_startidx, int* i_endidx, int irl_start, int irl_end)",
            body=f'_c_indices("{grid}", jg, i_blk, i_startblk, i_endblk, i_startidx, i_endidx, '
                 "irl_start, irl_end)",
            python=f"comin.descrdata_get_{name}_indices  (returns (i_startidx, i_endidx))",
            fortran=Bind()))
    for grid, name in (("cells", "cell"), ("edges", "edge"), ("verts", "vert")):
        rows.append(api(f"int comin_descrdata_get_{name}_npromz(int jg)",
                        body=f'_npromz(_active(), "{grid}", jg)',
                        python=f"comin.descrdata_get_{name}_npromz", fortran=Bind()))
    rows.append(api("int comin_descrdata_index_lookup_glb2loc_cell(int jg, int global_idx)",
                    body="descrdata_index_lookup_glb2loc_cell(jg, global_idx)",
                    python="comin.descrdata_index_lookup_glb2loc_cell", fortran=Bind()))
    for what in ("exp_start", "exp_stop", "run_start", "run_stop"):
        rows.append(api(
            f"void comin_descrdata_get_simulation_interval_{what}(char const** val, int* len)",
            body=f'_c_interval("{what}", val, len)',
            python=f"comin.descrdata_get_simulation_interval().{what}",
            fortran=Ref("comin_descrdata_get_simulation_interval", note=f"()%{what}",
                        homes=("descrdata",), iface=f"c_dd_si_{what}")))
    rows.append(api(
        "void comin_callback_context_call(t_comin_entry_point ep, int domain_id, bool lacc)",
        error="host", python="comin.host.Host.call_ep  (host side)",
        fortran=Wrap((_arg("ep", "integer", "entry_point_id"), _arg("domain_id", "integer"),
                      _arg("lacc", "logical")), modules=HOST, doc="Call entry point ep for domain domain_id "
                                       "(COMIN_DOMAIN_OUTSIDE_LOOP outside a domain loop)."),
        trampoline="comin_internal_context_call_slow",
        doc="the public symbol with its C fast path is in comin/src/comin_guard.c"))
    return rows


def _host_api() -> List[Function]:
    """The host side (comin_host.h): ComIn's Fortran host interface (comin_host_interface)
    with C types, same names and argument order; implemented in comin/_capi_host.pxi.
    Descriptive data is set field by field (``jg`` 0: global data; ``field`` a name of
    ``_table.DESCRDATA``, ``"cells.<name>"`` etc. for the grid parts of a domain);
    requests are read by position (1-based, request order)."""
    def host(proto: str, **row) -> Function:
        row.setdefault("error", "host")
        return api(proto, header="comin_host.h", **row)

    dd_set = Ref("comin_descrdata_set_global / comin_descrdata_set_domain", modules=HOST,
                 homes=("host_descrdata",))
    rows = [
        host("void comin_setup_init(bool lstdout)", python="comin.host.Host(plugins, lstdout=...)",
             fortran=Wrap((_arg("lstdout", "logical"),), modules=HOST,
                          doc="Create ComIn's state (the first ComIn call of a host); lstdout: "
                              "this rank prints."),
             doc="create ComIn's state; lstdout: this rank prints (first call: starts Python)"),
        host("void comin_setup_errhandler(t_comin_host_errhandler fct)",
             body="_c_need_host().set_error_handler(_c_host_function(_CHostHandler, <void*>fct, "
                  'COMIN_ERROR_SETUP_ERRHANDLER_NOT_ASSOCIATED, "the error handler"))',
             python="comin.host.Host(..., error_handler=fn) / Host.set_error_handler",
             fortran=_bridged("comin_host_errhandler_fct", "host_errhandler", "errhandler_bridge",
                              name="error_handler", doc="The host's finish routine (routine, text)."),
             doc="the host's finish routine (error 17 if NULL)"),
        host("void comin_setup_set_verbosity_level(int iverbosity)",
             body="_c_need_host().set_verbosity_level(iverbosity)",
             python="comin.host.Host(..., verbosity=n) / Host.set_verbosity_level",
             fortran=Wrap((_arg("iverbosity", "integer"),), modules=HOST),
             doc="ComIn's messages of level l print when iverbosity > l (13: all)"),
        host("void comin_setup_check(const char* name, int wp)", python="comin.host.Host.check",
             fortran=Wrap((_arg("name", "string", "plugin_str"), _arg("wp", "integer", "wp_check")),
                          modules=HOST,
                          doc="Check the error handler and that the host's working precision wp "
                              "(a REAL kind: gfortran's kind is its byte size) is C double."),
             doc="error 18 without an error handler, 19 unless wp == sizeof(double)"),
        host("void comin_setup_finalize(void)", python="comin.host.Host.finalize",
             fortran=Bind(HOST),
             doc="end the session (frees plugin communicators); a new comin_setup_init may follow"),
    ]
    for what, ctype, pyconv in (("int", "int", "int(val)"), ("real", "double", "float(val)"),
                                ("logical", "bool", "bool(val)"),
                                ("character", "const char*", "_c_string(val)")):
        rows.append(host(
            f"void comin_descrdata_set_{what}(int jg, const char* field, {ctype} val)",
            body=f"_c_dd_set(jg, field, {pyconv})",
            python="comin.host.Host.set_global / Host.set_domain (keyword arguments)",
            fortran=dd_set, doc="one field of the descriptive data; jg 0: global, else domain jg "
                                '("cells.ncells", ...)' if what == "int" else ""))
    for what, ctype, dtype in (("int", "int", "np.intc"), ("double", "double", "np.float64"),
                               ("int8", "signed char", "np.int8")):
        rows.append(host(
            f"void comin_descrdata_set_array_{what}(int jg, const char* field, "
            f"const {ctype} data[], int ndim, const int shape[])",
            body=f"_c_dd_set(jg, field, _c_dd_array(data, {dtype}, ndim, shape))",
            python="comin.host.Host.set_global / Host.set_domain(jg, cells=dict(...), ...)",
            fortran=dd_set,
            doc="an array field (Fortran order, copied); shape[ndim]" if what == "int" else ""))
    # ComIn's POINTER components: comin keeps the host's memory and reads it when asked
    by_ref = NotIn("a Python host hands arrays over as NumPy arrays: they are kept as views")
    rows += [
        host("void comin_descrdata_set_pointer_int(int jg, const char* field, const int* ptr)",
             body="_c_dd_set(jg, field, _host_scalar(<const void*>ptr, -1))", python=by_ref,
             fortran=dd_set,
             doc="an int field read through the host's memory (ComIn's POINTER components): "
                 "later changes of the host's value are what plugins read"),
        host("void comin_descrdata_set_pointer_character(int jg, const char* field, "
             "const char* ptr, int len)",
             body="_c_dd_set(jg, field, _host_scalar(<const void*>ptr, len))", python=by_ref,
             fortran=dd_set, doc="a string field (len bytes, blank-padded) read through the "
                                 "host's memory"),
    ]
    for what, ctype, dtype in (("int", "int", "np.intc"), ("double", "double", "np.float64"),
                               ("int8", "signed char", "np.int8")):
        rows.append(host(
            f"void comin_descrdata_set_pointer_array_{what}(int jg, const char* field, "
            f"const {ctype} data[], int ndim, const int shape[])",
            body=f"_c_dd_set(jg, field, _c_dd_view(data, {dtype}, ndim, shape))", python=by_ref,
            fortran=dd_set,
            doc="an array field kept in the host's memory (contiguous, Fortran order): plugins "
                "read the host's current values" if what == "int" else ""))
    rows += [
        host("void comin_descrdata_set_simulation_interval(const char* exp_start, "
             "const char* exp_stop, const char* run_start, const char* run_stop)",
             python="comin.host.Host.set_simulation_interval",
             fortran=Wrap((_arg("simulation_interval", name="comin_time_info",
                                decl="TYPE(t_comin_descrdata_simulation_interval), INTENT(IN) :: {x}"),),
                          modules=HOST,
                          cargs={w: "cstr({simulation_interval}%" + w + ")"
                                 for w in ("exp_start", "exp_stop", "run_start", "run_stop")}),
             doc="ISO 8601 dates"),
        host("void comin_descrdata_set_timesteplength(int jg, double dt)",
             python="comin.host.Host.set_timesteplength",
             fortran=Wrap((_arg("jg", "integer"), _arg("dt", "real", "dt_current")), modules=HOST),
             doc="time step of domain jg in seconds (after n_dom)"),
        host("void comin_descrdata_set_fct_glb2loc_cell(t_comin_glb2loc_fct fct)",
             body="_c_need_host().set_glb2loc_cell(_c_host_function(_CGlb2Loc, <void*>fct))",
             python="comin.host.Host.set_glb2loc_cell",
             fortran=_bridged("comin_glb2loc_index_lookup_fct", "host_glb2loc", "glb2loc_bridge",
                              doc="The host's global -> local cell index function."),
             doc="global -> local cell index function of the host"),
        host("void comin_descrdata_finalize(void)", body="_c_need_host()",
             python=NotIn("nothing to do in a Python host"), fortran=Bind(HOST)),
        host("void comin_current_set_datetime(const char* datetime)",
             body="_c_need_host().set_datetime(_c_string(datetime).strip())",
             python="comin.host.Host.set_datetime",
             fortran=Wrap((_arg("datetime", "string", "sim_time_current"),), modules=HOST),
             doc="the current date (ISO 8601), before the entry points of a step"),
        host("void comin_parallel_mpi_handshake(int comm, int n_group_names, "
             "const char* group_names[], const char* component_name)",
             python="comin.host.Host(..., comm=...) / Host.mpi_handshake",
             fortran=Wrap((_arg("comm", "integer"),
                           _arg("group_names", decl="CHARACTER(LEN=*), INTENT(IN) :: {x}(:)"),
                           _arg("component_name", "string")), modules=HOST,
                          body="""
                              TYPE(t_cstring), ALLOCATABLE, TARGET :: keep(:)
                              TYPE(c_ptr), ALLOCATABLE :: names(:)
                              INTEGER :: i
                              ALLOCATE(keep(MAX(SIZE({group_names}), 1)), names(MAX(SIZE({group_names}), 1)))
                              names = c_null_ptr
                              DO i = 1, SIZE({group_names})
                                CALL keep_string(keep(i), {group_names}(i), names(i))
                              END DO
                              CALL {iface}(INT({comm}, c_int), INT(SIZE({group_names}), c_int), names, &
                                &  cstr({component_name}))""",
                          doc="Hand the host's communicator (Fortran handle) to comin; the plugin "
                              "communicators are split from it when the primary constructors "
                              "run.  group_names must be blank."),
             doc="the host's communicator (Fortran handle), the plugins' comm names (ComIn's "
                 "group_names; blank ones are skipped, none: the names of the plugin list) and "
                 "component name, before the primary constructors"),
        host("void comin_plugin_primaryconstructor(const t_comin_plugin_description plugin_list[], "
             "int num_plugins)",
             python="comin.host.Host.run_primary_constructors",
             fortran=Wrap((_arg("plugin_list",
                                decl="TYPE(t_comin_plugin_description), INTENT(IN) :: {x}(:)"),),
                          modules=HOST,
                          body="""
                              TYPE(t_plugin_description_c), ALLOCATABLE :: c_list(:)
                              TYPE(t_cstring), ALLOCATABLE, TARGET :: keep(:, :)
                              INTEGER :: i, n
                              n = SIZE({plugin_list})
                              ALLOCATE(c_list(MAX(n, 1)), keep(5, MAX(n, 1)))
                              DO i = 1, n
                                CALL keep_string(keep(1, i), {plugin_list}(i)%name, c_list(i)%name)
                                CALL keep_string(keep(2, i), {plugin_list}(i)%plugin_library, c_list(i)%plugin_library)
                                CALL keep_string(keep(3, i), {plugin_list}(i)%primary_constructor, &
                                  &  c_list(i)%primary_constructor)
                                CALL keep_string(keep(4, i), {plugin_list}(i)%options, c_list(i)%options)
                                CALL keep_string(keep(5, i), {plugin_list}(i)%comm, c_list(i)%comm)
                                c_list(i)%log_debug = LOGICAL({plugin_list}(i)%log_debug, c_bool)
                                c_list(i)%log_info = LOGICAL({plugin_list}(i)%log_info, c_bool)
                                c_list(i)%log_warning = LOGICAL({plugin_list}(i)%log_warning, c_bool)
                              END DO
                              CALL {iface}(c_list, INT(n, c_int))""",
                          doc="Load every plugin of the list in order and run its primary "
                              "constructor."),
             doc="load the plugins in list order and run their primary constructors"),
        host("int comin_request_get_list_size(void)",
             body="len((<Host>_c_need_host()).st.requests)",
             python="len(comin.host.Host.requests)", fortran=Bind(HOST),
             doc="the plugins' variable requests, read by position i = 1..size"),
        host("void comin_request_get_descriptor(int i, t_comin_var_descriptor* descriptor)",
             python="comin.host.Host.requests[i].descriptor",
             fortran=Wrap((_arg("i", "integer"), _arg("descriptor", "descriptor_out", "descr")),
                          modules=HOST, doc="Descriptor of request i (1-based, request order).")),
        host("bool comin_request_get_lmodexclusive(int i)", body="_c_request(i).lmodexclusive",
             python="comin.host.Host.requests[i].lmodexclusive",
             fortran=Wrap((_arg("i", "integer"),), modules=HOST, result="LOGICAL")),
        host("int comin_request_get_plugin_ids(int i, int ids[], int max_ids)",
             python="comin.host.Host.requests[i].plugin_ids",
             fortran=Wrap((_arg("i", "integer"),
                           _arg("ids", decl="INTEGER, ALLOCATABLE, INTENT(OUT) :: {x}(:)")),
                          modules=HOST,
                          body="""
                              INTEGER(c_int) :: n, none(1)
                              INTEGER(c_int), ALLOCATABLE :: buf(:)
                              none(1) = 0
                              n = {iface}(INT({i}, c_int), none, 0_c_int)
                              ALLOCATE(buf(MAX(n, 1)))
                              n = MIN(n, {iface}(INT({i}, c_int), buf, INT(SIZE(buf), c_int)))
                              ALLOCATE({ids}(MAX(n, 0)))
                              {ids} = INT(buf(1:SIZE({ids})))""",
                          doc="Ids of the plugins that made request i (ComIn's moduleID)."),
             doc="ids of the plugins that made request i (at most max_ids stored); returns their "
                 "number"),
    ]
    for tname, ctype, pyconv, fin, fout, typeid in METADATA_TYPES:
        string = tname == "character"        # a string comes out as a pointer and a length
        rows.append(host(
            f"{'void' if string else ctype} comin_request_metadata_get_or_{tname}(int i, "
            f"const char* key, {ctype} default_val{', char const** val, int* len' if string else ''})",
            body=None if string else f"_c_request_meta(i, key, {pyconv.format(x='default_val')}, {typeid})",
            neutral=None if string else "default_val", python="comin.host.Host.requests[i].metadata",
            fortran=Wrap((_arg("i", "integer"), _KEY, _arg("val", fout),
                          _arg("default_val", "string_kept" if string else fin, "defaultval")),
                         modules=HOST, name=f"comin_metadata_get_or_{tname}",
                         result_arg="" if string else "val", generic="comin_metadata_get_or"),
            doc="request i's metadata value, default_val when absent (error 36 if of another type)"
                if tname == "integer" else ""))
    for tname, ctype, pyconv, fin, _fout, _typeid in METADATA_TYPES:
        rows.append(host(
            f"void comin_metadata_set_host_{tname}(t_comin_var_descriptor descriptor, "
            f"const char* key, {ctype} val)",
            body=f"_c_need_host().set_metadata(*_c_descriptor(descriptor), "
                 f"**{{_c_string(key): {pyconv.format(x='val')}}})",
            python="comin.host.Host.set_metadata",
            fortran=Wrap((_arg("descriptor", "descriptor"), _KEY, _arg("val", fin)), modules=HOST,
                         name=f"comin_metadata_host_set_{tname}", generic="comin_metadata_set"),
            doc="metadata of an exposed variable (ComIn's comin_metadata_set of the host "
                "interface)" if tname == "integer" else ""))
    # a request's metadata store (ComIn's t_comin_var_metadata of a request item)
    this = _arg("this", decl="CLASS(t_comin_var_metadata), INTENT(INOUT) :: {x}")
    store = {"i": "{this}%request"}
    rows += [
        host("t_comin_metadata_typeid comin_request_metadata_get_typeid(int i, const char* key)",
             body="_c_request_typeid(i, key)", neutral="COMIN_METADATA_TYPEID_UNDEFINED",
             python="comin.host.Host.requests[i].metadata",
             fortran=Wrap((this, _KEY), modules=HOST, name="comin_var_metadata_query",
                          cargs=store, result="INTEGER",
                          doc="COMIN_METADATA_TYPEID_* of key in a request's metadata "
                              "(item%metadata%query(key))."),
             doc="typeid of key in request i's metadata (COMIN_METADATA_TYPEID_UNDEFINED: absent)"),
        host("t_comin_metadata_iterator* comin_request_metadata_get_iterator_begin(int i)",
             body="_c_request_iterator(i, False)",
             python="comin.host.Host.requests[i].metadata",
             fortran=Ref("t_comin_var_metadata%get_iterator", modules=HOST, homes=HOST),
             doc="iterators over request i's metadata keys (the comin_metadata_iterator functions)"),
        host("t_comin_metadata_iterator* comin_request_metadata_get_iterator_end(int i)",
             body="_c_request_iterator(i, True)", python="comin.host.Host.requests[i].metadata",
             fortran=Ref("t_comin_var_metadata%get_iterator", modules=HOST, homes=HOST)),
    ]
    for tname, ctype, pyconv, fin, fout, typeid in METADATA_TYPES:
        string = tname == "character"
        suffix = {"integer": "int", "logical": "bool", "real": "double", "character": "char"}[tname]
        rows.append(host(
            f"void comin_request_metadata_set_{tname}(int i, const char* key, {ctype} val)",
            body=f"_c_request_meta_set(i, key, {pyconv.format(x='val')})",
            python="comin.host.Host.requests[i].metadata",
            fortran=Wrap((this, _KEY, _arg("val", fin)), modules=HOST,
                         name=f"comin_var_metadata_set_{suffix}", cargs=store,
                         doc=f"item%metadata%set(key, val) for {tname} values."),
            doc="set key in request i's metadata" if tname == "integer" else ""))
        rows.append(host(
            f"void comin_request_metadata_get_{tname}(int i, const char* key, "
            f"{'char const** val, int* len' if string else ctype + '* val'})",
            body=None if string else f"val[0] = _c_request_meta_get(i, key, {typeid})",
            python="comin.host.Host.requests[i].metadata",
            fortran=Wrap((this, _KEY, _arg("val", fout)), modules=HOST,
                         name=f"comin_var_metadata_get_{suffix}", cargs=store,
                         doc=f"item%metadata%get(key, val) for {tname} values (error 10 when "
                             "absent, 36 when of another type)."),
            doc="request i's metadata value (error 10 when absent, 36 when of another type)"
                if tname == "integer" else ""))
    rows += [
        host("void comin_mpi_handshake(int comm, int n, const char* group_names[], "
             "int group_comms[])",
             python="comin.parallel.mpi_handshake",
             fortran=Ref("mpi_handshake / mpi_handshake_dummy", modules=HOST, homes=HOST),
             doc="the MPI handshake of ComIn and YAC (collective over comm, a Fortran handle): "
                 "group_comms[i] = the processes of comm that listed group_names[i]"),
        host("t_comin_var_handle* comin_var_list_append(t_comin_var_descriptor descriptor, "
             "void* cptr, void* device_ptr, const int array_shape[5], int type_id, "
             "const int dim_semantics[5], bool lcontainer, int ncontained)",
             python="comin.host.Host.expose",
             fortran=Wrap((_arg("descriptor", "descriptor", "var_descr"), _arg("cptr", "c_ptr"),
                           _arg("device_ptr", "c_ptr"), _arg("array_shape", "integer_array"),
                           _arg("type_id", "integer"), _arg("dim_semantics", "integer_array"),
                           _arg("lcontainer", "logical"), _arg("ncontained", "integer"),
                           _arg("handle", "handle_out", "var_handle")),
                          modules=HOST, result_arg="handle", name="comin_var_list_append_handle",
                          generic="comin_var_list_append",
                          doc="Expose a host field (ComIn 0.3's comin_var_list_append): cptr = "
                              "c_loc of the field (Fortran order), array_shape and dim_semantics "
                              "5 entries, type_id COMIN_VAR_DATATYPE_*, ncontained Fortran-style "
                              "(1-based position; container: count)."),
             doc="expose a host field (no copy): 5 extents and dim semantics, "
                 "COMIN_VAR_DATATYPE_*, ncontained Fortran-style"),
        host("void comin_var_set_cptr(t_comin_var_handle* handle, void* cptr, void* device_ptr)",
             python="comin.host.Host.set_array",
             fortran=Wrap((_arg("handle", "handle", "var"), _arg("cptr", "c_ptr"),
                           _arg("device_ptr", "c_ptr", optional=True, default="c_null_ptr")),
                          modules=HOST,
                          doc="Re-point an exposed variable (e.g. a time-level swap); same shape "
                              "and type."),
             doc="re-point an exposed variable (time-level swap): same shape and type"),
        host("void comin_var_set_sync_device_mem(t_comin_sync_device_fct fct)",
             body="_c_need_host().set_sync_device_mem(_c_host_function(_CSyncDevice, <void*>fct))",
             python="comin.host.Host.set_sync_device_mem",
             fortran=_bridged("comin_var_sync_device_mem_fct", "host_sync_device", "sync_device_bridge",
                              name="sync_device_mem",
                              doc="The host's host/device copy."),
             doc="the host's host/device copy, called around callbacks with lacc"),
        host("void comin_var_set_sync_halo(t_comin_sync_halo_fct fct)",
             body="_c_need_host().set_sync_halo(_c_host_function(_CSyncHalo, <void*>fct))",
             python="comin.host.Host.set_sync_halo",
             fortran=_bridged("comin_var_sync_halo_fct", "host_sync_halo", "sync_halo_bridge",
                              name="sync_halo",
                              doc="The host's halo exchange."),
             doc="the host's halo exchange for COMIN_FLAG_SYNC_HALO"),
        host("void comin_var_list_finalize(void)", body="_c_need_host()",
             python="comin.host.Host.finalize", fortran=Bind(HOST),
             doc="teardown (ComIn's order; checks that a session is active)"),
        host("void comin_var_request_list_finalize(void)", body="_c_need_host()",
             python="comin.host.Host.finalize", fortran=Bind(HOST)),
        host("void comin_var_descr_list_finalize(void)", body="_c_need_host()",
             python="comin.host.Host.finalize", fortran=Bind(HOST)),
    ]
    return rows


def _extensions() -> List[Function]:
    """comin's extensions of the C ABI (not in upstream comin.h): what the Fortran module
    comin_plugin_interface needs and ComIn's Fortran reads from its own state
    (handle%lcontainer(), the log/errors_return fields of t_comin_plugin_info)."""
    return [
        api("bool comin_var_get_lcontainer(t_comin_var_handle* handle)", extension=True,
            body="_c_need_handle(handle).lcontainer", python="comin.VarHandle.lcontainer",
            fortran=Ref("t_comin_var_handle%lcontainer")),
        api("int comin_descrdata_query_field(int jg, const char* field, const void** address, "
            "int* length)", extension=True,
            python=NotIn("Python reads descriptive data as attributes"),
            fortran=Ref("comin_descrdata_get_domain / comin_descrdata_get_global",
                        homes=("descrdata",), iface="c_dd_query_field",
                        note=" (which fields are set; POINTER components onto the host's memory)"),
            doc="0: field not set (jg 0: global; \"cells.ncells\" ...), 1: set, 2: read through "
                "the host's memory at address[0] (a string: length[0] bytes)"),
        api("int comin_descrdata_get_generation(void)", extension=True, error="none",
            body="(<_State>_state).descr_generation if _state is not None else 0",
            python=NotIn("Python reads descriptive data as attributes"),
            fortran=Ref("comin_descrdata_get_domain / comin_descrdata_get_global",
                        note=" (refilled when the host set descriptive data again)"),
            doc="changes whenever the host sets descriptive data"),
        api("void comin_var_on_repoint(t_comin_var_handle* handle, t_comin_var_repoint_fct fct, "
            "void* user)", extension=True,
            body="_c_on_repoint(_c_need_handle(handle).var, fct, user)",
            python=NotIn("np.asarray(handle) gives the variable's current array at every call"),
            fortran=Ref("comin_var_get", note=" with a TYPE(t_comin_var_ptr), POINTER (ComIn 0.2: "
                                               "var_pointer%ptr follows the host's comin_var_update)"),
            doc="fct(user) after every re-pointing of the handle's variable by the host "
                "(comin_var_set_cptr, comin_var_update), in this session"),
        api("void comin_current_get_plugin_flags(bool* errors_return, bool* log_debug, "
            "bool* log_info, bool* log_warning)", extension=True,
            python="comin.current_get_plugin_info()  (errors_return, log_debug/_info/_warning)",
            fortran=Ref("comin_current_get_plugin_info",
                        note="%errors_return, %log_debug, %log_info, %log_warning")),
    ]


_C_TYPES = {"int": "int", "float": "double", "bool": "bool", "str": "char"}
_ARRAY_C_TYPES = {"int32": "int", "float64": "double", "int8": "signed char"}


def _descrdata_group_prefix(group: str) -> str:
    return "comin_descrdata_get_global_" if group == "global" else (
        "comin_descrdata_get_domain_" if group == "domain" else f"comin_descrdata_get_domain_{group}_")


def _descrdata_functions(descrdata) -> List[Function]:
    """The generated getters: scalars return their value, arrays/strings a pointer and sizes.
    The Fortran side is the derived types of comin_descrdata_types (their interfaces are
    generated with them, ``_codegen.fortran_descrdata_types_text``)."""
    out = []
    for group, rows in descrdata.items():
        prefix = _descrdata_group_prefix(group)
        jg = () if group == "global" else (Param("int", "jg"),)
        arg = "0" if group == "global" else "jg"
        if group == "global":
            py, fortran = "comin.descrdata_get_global().{f}", "comin_descrdata_get_global"
        elif group == "domain":
            py, fortran = "comin.descrdata_get_domain(jg).{f}", "comin_descrdata_get_domain"
        else:
            py, fortran = f"comin.descrdata_get_domain(jg).{group}.{{f}}", "comin_descrdata_get_domain"
        for fname, kind, ndim in rows:
            name = prefix + fname
            value = f'"{group}", {arg}, "{fname}"'
            homes = ("descrdata",)
            if name in ("comin_descrdata_get_global_n_dom", "comin_descrdata_get_domain_id"):
                homes = ("descrdata", "plugin")      # comin_descrdata_get_domain checks jg with them
            form = Ref(fortran, note=("()%" if group == "global" else "(jg)%")
                       + ("" if group in ("global", "domain") else group + "%") + fname,
                       homes=homes, iface=f"c_dd_{group}_{fname}")
            common = dict(python=py.format(f=fname), fortran=form)
            if kind == "str":
                out.append(Function("void", name, jg + (Param("char const**", "val"), Param("int*", "len")),
                                    body=f"_cdd_string({value}, val, len)", **common))
            elif ndim == 0:
                out.append(Function(_C_TYPES[kind], name, jg, body=f"_cdd_value({value})", **common))
            else:
                ctype = _ARRAY_C_TYPES[kind]
                # const as in ComIn 0.3 (the host's data; comin.h also takes 0.2's non-const
                # pointers, see _codegen.comin_h_text)
                out.append(Function("void", name, jg + (Param(f"const {ctype}**", "ptr"),
                                                        Param("int*", "arr_size")),
                                    body=f"ptr[0] = <const {ctype}*>_cdd_array({value}, arr_size)",
                                    **common))
    return out


#: The rows, in the table's order (comin.h, the extensions, the descriptive-data getters,
#: then comin_host.h): the order of libcomin's table of function pointers.
PLUGIN_API: Tuple[Function, ...] = tuple(_plugin_api())
EXTENSIONS: Tuple[Function, ...] = tuple(_extensions())
HOST_API: Tuple[Function, ...] = tuple(_host_api())


def functions(table=None) -> List[Function]:
    """Every plugin-side function of the C ABI (``comin.h``), in the table's order."""
    if table is None:
        from comin import _table as table
    return list(PLUGIN_API) + list(EXTENSIONS) + _descrdata_functions(table.DESCRDATA)


def host_functions() -> List[Function]:
    """The host side of the C ABI (``comin_host.h``), after :func:`functions` in the table."""
    return list(HOST_API)


def all_functions(table=None) -> List[Function]:
    """Every row: :func:`functions`, then :func:`host_functions`."""
    return functions(table) + host_functions()


def python_names(form) -> List[str]:
    """The names a Python form names, to be checked: ``comin.<...>`` and ``Host.<...>``
    (of ``comin.host``); none for a :class:`NotIn` marker."""
    if not isinstance(form, str):
        return []
    names = re.findall(r"\bcomin(?:\.\w+)+", form)
    names += ["comin.host." + n for n in re.findall(r"(?<![.\w])Host(?:\.\w+)+", form)]
    return list(dict.fromkeys(names))


def resolve_python(dotted: str) -> bool:
    """Whether the Python name ``comin.x.y`` exists (modules, then attributes)."""
    import importlib
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def fortran_form(f: Function) -> Tuple[List[str], Tuple[str, ...]]:
    """(names, modules) of a row's Fortran form; ([], ()) when it is not in Fortran."""
    form = f.fortran
    if isinstance(form, (Bind, Wrap)):
        return [f.f_public], form.modules
    if isinstance(form, Ref):
        return [n.strip() for n in form.name.split("/")], form.modules
    return [], ()


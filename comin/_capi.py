"""The C API of ComIn 0.3 (``comin.h``) as data.

Each line below is one function of the C ABI that ``libcomin`` exports.
``comin/_codegen.py`` turns this list into the prototypes of ``comin.h``,
the table of function pointers that ``libcomin`` forwards through
(``comin_api_table.h``), the trampolines of ``libcomin.c`` and the Cython
declarations the core fills the table with, so the four can never disagree.
Descriptive-data getters are generated from ``_table.DESCRDATA`` in the same
way (``comin_descrdata_get_global_<field>``, ``..._get_domain_<field>``,
``..._get_domain_cells_<field>`` ...).
"""
from __future__ import annotations

import re
from typing import List, NamedTuple, Tuple

#: ComIn 0.3's plugin-side C API (upstream include/comin.h), one prototype a line.
#: ``comin_setup_get_version`` is a static inline in the header, not listed here.
_PROTOTYPES = """
t_comin_entry_point comin_current_get_ep(void)
int comin_current_get_domain_id(void)
int comin_current_get_plugin_id(void)
void comin_current_get_plugin_name(char const** val, int* len)
void comin_current_get_plugin_options(char const** val, int* len)
void comin_current_get_plugin_comm(char const** val, int* len)
void comin_current_get_datetime(char const** val, int* len)
int comin_parallel_get_plugin_mpi_comm(void)
int comin_parallel_get_host_mpi_comm(void)
int comin_parallel_get_host_mpi_rank(void)
void comin_plugin_finish(const char* routine, const char* text)
void comin_print_debug(const char* msg)
void comin_print_info(const char* msg)
void comin_print_warning(const char* msg)
void comin_error_get_message(t_comin_error_code errcode, char* category, char* message)
void comin_error_check(t_comin_error_code errcode, const char* scope)
void comin_error_set_errors_return(bool errors_return)
t_comin_error_code comin_error_get(void)
void comin_error_reset(void)
void comin_var_request_add(t_comin_var_descriptor var_descriptor, bool lmodexclusive)
t_comin_var_handle* comin_var_get(int context_len, t_comin_entry_point* context, t_comin_var_descriptor var_descriptor, int flag)
void* comin_var_get_ptr(t_comin_var_handle* handle)
double* comin_var_get_ptr_double(t_comin_var_handle* handle)
float* comin_var_get_ptr_float(t_comin_var_handle* handle)
int* comin_var_get_ptr_int(t_comin_var_handle* handle)
void* comin_var_get_device_ptr(t_comin_var_handle* handle)
double* comin_var_get_device_ptr_double(t_comin_var_handle* handle)
float* comin_var_get_device_ptr_float(t_comin_var_handle* handle)
int* comin_var_get_device_ptr_int(t_comin_var_handle* handle)
void comin_var_get_shape(t_comin_var_handle* handle, int* shape)
void comin_var_get_dim_semantics(t_comin_var_handle* handle, int* dim_semantics)
void comin_var_get_ncontained(t_comin_var_handle* handle, int* ncontained)
void comin_var_get_descriptor(t_comin_var_handle* handle, t_comin_var_descriptor* descriptor)
t_comin_var_descr_list_iterator* comin_var_get_descr_list_head(void)
t_comin_var_descr_list_iterator* comin_var_get_descr_list_next(t_comin_var_descr_list_iterator* it)
void comin_var_get_descr_list_var_desc(t_comin_var_descr_list_iterator* it, t_comin_var_descriptor* descriptor)
void comin_var_descr_list_iterator_delete(t_comin_var_descr_list_iterator** it)
void comin_callback_register(t_comin_entry_point ep, t_comin_callback_function fct)
void comin_callback_get_ep_name(t_comin_entry_point ep, char* out)
t_comin_metadata_typeid comin_metadata_get_typeid(t_comin_var_descriptor var_descriptor, const char* key)
void comin_metadata_set_integer(t_comin_var_descriptor var_descriptor, const char* key, int val)
void comin_metadata_set_logical(t_comin_var_descriptor var_descriptor, const char* key, bool val)
void comin_metadata_set_real(t_comin_var_descriptor var_descriptor, const char* key, double val)
void comin_metadata_set_character(t_comin_var_descriptor var_descriptor, const char* key, const char* val)
void comin_metadata_get_integer(t_comin_var_descriptor var_descriptor, const char* key, int* val)
void comin_metadata_get_logical(t_comin_var_descriptor var_descriptor, const char* key, bool* val)
void comin_metadata_get_real(t_comin_var_descriptor var_descriptor, const char* key, double* val)
void comin_metadata_get_character(t_comin_var_descriptor var_descriptor, const char* key, char const** val, int* len)
t_comin_metadata_iterator* comin_metadata_get_iterator_begin(t_comin_var_descriptor var_descriptor)
t_comin_metadata_iterator* comin_metadata_get_iterator_end(t_comin_var_descriptor var_descriptor)
const char* comin_metadata_iterator_get_key(t_comin_metadata_iterator* it)
bool comin_metadata_iterator_compare(t_comin_metadata_iterator* it1, t_comin_metadata_iterator* it2)
void comin_metadata_iterator_next(t_comin_metadata_iterator* it)
void comin_metadata_iterator_delete(t_comin_metadata_iterator* it)
double comin_descrdata_get_timesteplength(int jg)
int comin_descrdata_get_index(int j)
int comin_descrdata_get_block(int j)
void comin_descrdata_get_cell_indices(int jg, int i_blk, int i_startblk, int i_endblk, int* i_startidx, int* i_endidx, int irl_start, int irl_end)
void comin_descrdata_get_edge_indices(int jg, int i_blk, int i_startblk, int i_endblk, int* i_startidx, int* i_endidx, int irl_start, int irl_end)
void comin_descrdata_get_vert_indices(int jg, int i_blk, int i_startblk, int i_endblk, int* i_startidx, int* i_endidx, int irl_start, int irl_end)
int comin_descrdata_get_cell_npromz(int jg)
int comin_descrdata_get_edge_npromz(int jg)
int comin_descrdata_get_vert_npromz(int jg)
int comin_descrdata_index_lookup_glb2loc_cell(int jg, int global_idx)
void comin_descrdata_get_simulation_interval_exp_start(char const** val, int* len)
void comin_descrdata_get_simulation_interval_exp_stop(char const** val, int* len)
void comin_descrdata_get_simulation_interval_run_start(char const** val, int* len)
void comin_descrdata_get_simulation_interval_run_stop(char const** val, int* len)
void comin_callback_context_call(t_comin_entry_point ep, int domain_id, bool lacc)
"""

#: The host side (comin_host.h): ComIn's Fortran host interface (comin_host_interface)
#: with C types, same names and argument order; implemented in comin/_capi_host.pxi.
#: Descriptive data is set field by field (``jg`` 0: global data; ``field`` a name of
#: ``_table.DESCRDATA``, ``"cells.<name>"`` etc. for the grid parts of a domain);
#: requests are read by position (1-based, request order).
_HOST_PROTOTYPES = """
void comin_setup_init(bool lstdout)
void comin_setup_errhandler(t_comin_host_errhandler fct)
void comin_setup_set_verbosity_level(int iverbosity)
int comin_setup_get_verbosity_level(void)
void comin_setup_check(const char* name, int wp)
void comin_setup_finalize(void)
void comin_descrdata_set_int(int jg, const char* field, int val)
void comin_descrdata_set_real(int jg, const char* field, double val)
void comin_descrdata_set_logical(int jg, const char* field, bool val)
void comin_descrdata_set_character(int jg, const char* field, const char* val)
void comin_descrdata_set_array_int(int jg, const char* field, const int* data, int ndim, const int* shape)
void comin_descrdata_set_array_double(int jg, const char* field, const double* data, int ndim, const int* shape)
void comin_descrdata_set_array_int8(int jg, const char* field, const signed char* data, int ndim, const int* shape)
void comin_descrdata_set_simulation_interval(const char* exp_start, const char* exp_stop, const char* run_start, const char* run_stop)
void comin_descrdata_set_timesteplength(int jg, double dt)
void comin_descrdata_set_fct_glb2loc_cell(t_comin_glb2loc_fct fct)
void comin_descrdata_finalize(void)
void comin_current_set_datetime(const char* datetime)
void comin_parallel_mpi_handshake(int comm, int n_group_names, const char** group_names, const char* component_name)
void comin_plugin_primaryconstructor(const t_comin_plugin_description* plugin_list, int num_plugins)
int comin_request_get_list_size(void)
void comin_request_get_descriptor(int i, t_comin_var_descriptor* descriptor)
bool comin_request_get_lmodexclusive(int i)
int comin_request_get_plugin_ids(int i, int* ids, int max_ids)
int comin_request_metadata_get_or_integer(int i, const char* key, int default_val)
double comin_request_metadata_get_or_real(int i, const char* key, double default_val)
bool comin_request_metadata_get_or_logical(int i, const char* key, bool default_val)
void comin_request_metadata_get_or_character(int i, const char* key, const char* default_val, char const** val, int* len)
t_comin_var_handle* comin_var_list_append(t_comin_var_descriptor descriptor, void* cptr, void* device_ptr, const int* array_shape, int type_id, const int* dim_semantics, bool lcontainer, int ncontained)
void comin_var_set_cptr(t_comin_var_handle* handle, void* cptr, void* device_ptr)
void comin_var_set_sync_device_mem(t_comin_sync_device_fct fct)
void comin_var_set_sync_halo(t_comin_sync_halo_fct fct)
void comin_var_list_finalize(void)
void comin_var_request_list_finalize(void)
void comin_var_descr_list_finalize(void)
"""

#: comin's extensions of the C ABI (not in upstream comin.h): what the Fortran module
#: comin_plugin_interface needs and ComIn's Fortran reads from its own state
#: (handle%lcontainer(), the log/errors_return fields of t_comin_plugin_info).
_EXTENSIONS = """
bool comin_var_get_lcontainer(t_comin_var_handle* handle)
void comin_current_get_plugin_flags(bool* errors_return, bool* log_debug, bool* log_info, bool* log_warning)
"""

_C_TYPES = {"int": "int", "float": "double", "bool": "bool", "str": "char"}
_ARRAY_C_TYPES = {"int32": "int", "float64": "double", "int8": "signed char"}


class Param(NamedTuple):
    ctype: str
    name: str


class Function(NamedTuple):
    ret: str
    name: str
    params: Tuple[Param, ...]

    @property
    def c_params(self) -> str:
        return ", ".join(f"{p.ctype} {p.name}" for p in self.params) or "void"

    @property
    def c_args(self) -> str:
        return ", ".join(p.name for p in self.params)


_PROTO_RE = re.compile(r"^(?P<ret>.+?)\s*\b(?P<name>comin_\w+)\((?P<params>.*)\)$")


def _parse(line: str) -> Function:
    m = _PROTO_RE.match(line.strip())
    if m is None:
        raise ValueError(f"not a prototype: {line!r}")
    params = []
    text = m.group("params").strip()
    if text and text != "void":
        for part in text.split(","):
            ctype, name = part.strip().rsplit(None, 1)
            while name.startswith("*"):
                ctype, name = ctype + "*", name[1:]
            params.append(Param(ctype, name))
    return Function(m.group("ret").strip(), m.group("name"), tuple(params))


def _descrdata_functions(descrdata) -> List[Function]:
    """The generated getters: scalars return their value, arrays/strings a pointer and sizes."""
    out = []
    for group, rows in descrdata.items():
        prefix = "comin_descrdata_get_global_" if group == "global" else (
            "comin_descrdata_get_domain_" if group == "domain" else f"comin_descrdata_get_domain_{group}_")
        jg = () if group == "global" else (Param("int", "jg"),)
        for field, kind, ndim in rows:
            name = prefix + field
            if kind == "str":
                out.append(Function("void", name, jg + (Param("char const**", "val"), Param("int*", "len"))))
            elif ndim == 0:
                out.append(Function(_C_TYPES[kind], name, jg))
            else:
                ctype = _ARRAY_C_TYPES[kind]
                out.append(Function("void", name, jg + (Param(f"{ctype}**", "ptr"), Param("int*", "arr_size"))))
    return out


#: one-line comments of the host functions in comin_host.h
HOST_DOCS = {
    'comin_setup_init': "create ComIn's state; lstdout: this rank prints (first call: starts Python)",
    'comin_setup_errhandler': "the host's finish routine (error 17 if NULL)",
    'comin_setup_set_verbosity_level': "ComIn's messages of level l print when iverbosity > l (13: all)",
    'comin_setup_check': 'error 18 without an error handler, 19 unless wp == sizeof(double)',
    'comin_setup_finalize': 'end the session (frees plugin communicators); a new comin_setup_init may follow',
    'comin_descrdata_set_int': 'one field of the descriptive data; jg 0: global, else domain jg ("cells.ncells", ...)',
    'comin_descrdata_set_array_int': 'an array field (Fortran order, copied); shape[ndim]',
    'comin_descrdata_set_simulation_interval': 'ISO 8601 dates',
    'comin_descrdata_set_timesteplength': 'time step of domain jg in seconds (after n_dom)',
    'comin_descrdata_set_fct_glb2loc_cell': 'global -> local cell index function of the host',
    'comin_current_set_datetime': 'the current date (ISO 8601), before the entry points of a step',
    'comin_parallel_mpi_handshake': "the host's communicator (Fortran handle), the plugins' comm names (ComIn's group_names; blank ones are skipped, none: the names of the plugin list) and component name, before the primary constructors",
    'comin_plugin_primaryconstructor': 'load the plugins in list order and run their primary constructors',
    'comin_request_get_list_size': "the plugins' variable requests, read by position i = 1..size",
    'comin_request_get_plugin_ids': 'ids of the plugins that made request i (at most max_ids stored); returns their number',
    'comin_request_metadata_get_or_integer': "request i's metadata value, default_val when absent (error 36 if of another type)",
    'comin_var_list_append': 'expose a host field (no copy): 5 extents and dim semantics, COMIN_VAR_DATATYPE_*, ncontained Fortran-style',
    'comin_var_set_cptr': 're-point an exposed variable (time-level swap): same shape and type',
    'comin_var_set_sync_device_mem': "the host's host/device copy, called around callbacks with lacc",
    'comin_var_set_sync_halo': "the host's halo exchange for COMIN_FLAG_SYNC_HALO",
    'comin_var_list_finalize': "teardown (ComIn's order; checks that a session is active)",
}


def host_functions() -> List[Function]:
    """The host side of the C ABI (``comin_host.h``), after :func:`functions` in the table."""
    return [_parse(line) for line in _HOST_PROTOTYPES.strip().splitlines()]


def functions(table=None) -> List[Function]:
    """Every function of the C ABI, in a fixed order (the table's layout)."""
    if table is None:
        from comin import _table as table
    base = [_parse(line) for line in _PROTOTYPES.strip().splitlines()]
    extensions = [_parse(line) for line in _EXTENSIONS.strip().splitlines()]
    return base + extensions + _descrdata_functions(table.DESCRDATA)

"""The one table of ComIn constants (ComIn 0.3.0), as plain data.

This module is the single source for every constant of the interface:
entry points, access flags, grid/axis ids, dimension semantics, datatypes,
metadata type ids, domain ids, string length limits, the version and the
error codes with their messages.  Nothing here imports anything from the
package, so ``setup.py`` can load it to generate the Cython constants
(``comin/_constants.pxi``), the C headers, the Fortran modules and the type
stubs of the constants (see ``comin/_codegen.py``).  The Python constants of
``comin`` are built from it at import time.  Code that needs a limit of the
interface (a string length) reads it from here (:data:`MAX_LEN`), never as a
literal.

Values follow ComIn 0.3.0.  Where ComIn 0.2.0 differs, the entry says so
(``v02=`` for the old number or ``None`` when the item did not exist).
"""

VERSION = (0, 3, 0)

#: Entry points in ICON's numbering (1-based).  EP_DESTRUCTOR is the last one
#: and its id is the number of entry points.  Identical in ComIn 0.2 and 0.3.
ENTRY_POINTS = (
    "EP_SECONDARY_CONSTRUCTOR",
    "EP_ATM_YAC_DEFCOMP_BEFORE",
    "EP_ATM_YAC_DEFCOMP_AFTER",
    "EP_ATM_YAC_SYNCDEF_BEFORE",
    "EP_ATM_YAC_SYNCDEF_AFTER",
    "EP_ATM_YAC_ENDDEF_BEFORE",
    "EP_ATM_YAC_ENDDEF_AFTER",
    "EP_ATM_INIT_FINALIZE",
    "EP_ATM_TIMELOOP_BEFORE",
    "EP_ATM_TIMELOOP_START",
    "EP_ATM_TIMELOOP_END",
    "EP_ATM_TIMELOOP_AFTER",
    "EP_ATM_INTEGRATE_BEFORE",
    "EP_ATM_INTEGRATE_START",
    "EP_ATM_INTEGRATE_END",
    "EP_ATM_INTEGRATE_AFTER",
    "EP_ATM_WRITE_OUTPUT_BEFORE",
    "EP_ATM_WRITE_OUTPUT_AFTER",
    "EP_ATM_CHECKPOINT_BEFORE",
    "EP_ATM_CHECKPOINT_AFTER",
    "EP_ATM_ADVECTION_BEFORE",
    "EP_ATM_ADVECTION_AFTER",
    "EP_ATM_PHYSICS_BEFORE",
    "EP_ATM_PHYSICS_AFTER",
    "EP_ATM_NUDGING_BEFORE",
    "EP_ATM_NUDGING_AFTER",
    "EP_ATM_SURFACE_BEFORE",
    "EP_ATM_SURFACE_AFTER",
    "EP_ATM_TURBULENCE_BEFORE",
    "EP_ATM_TURBULENCE_AFTER",
    "EP_ATM_MICROPHYSICS_BEFORE",
    "EP_ATM_MICROPHYSICS_AFTER",
    "EP_ATM_CONVECTION_BEFORE",
    "EP_ATM_CONVECTION_AFTER",
    "EP_ATM_RADIATION_BEFORE",
    "EP_ATM_RADIATION_AFTER",
    "EP_ATM_RADHEAT_BEFORE",
    "EP_ATM_RADHEAT_AFTER",
    "EP_ATM_GWDRAG_BEFORE",
    "EP_ATM_GWDRAG_AFTER",
    "EP_FINISH",
    "EP_DESTRUCTOR",
)

#: Groups of named integer constants: group -> ((name, value, note), ...).
#: ``note`` records a difference to ComIn 0.2 (empty when there is none).
ENUMS = {
    "flag": (
        ("COMIN_FLAG_NONE", 0, "v0.2 C/Fortran name: FLAG_NONE"),
        ("COMIN_FLAG_READ", 1 << 1, ""),
        ("COMIN_FLAG_WRITE", 1 << 2, ""),
        ("COMIN_FLAG_SYNC_HALO", 1 << 3, "v0.3 only"),
        ("COMIN_FLAG_DEVICE", 1 << 4, ""),
    ),
    "zaxis": (
        ("COMIN_ZAXIS_UNDEF", -1, ""),
        ("COMIN_ZAXIS_NONE", 0, ""),
        ("COMIN_ZAXIS_2D", 1, ""),
        ("COMIN_ZAXIS_3D", 2, ""),
        ("COMIN_ZAXIS_3D_HALF", 3, ""),
    ),
    "hgrid": (
        ("COMIN_HGRID_UNSTRUCTURED_CELL", 1, ""),
        ("COMIN_HGRID_UNSTRUCTURED_EDGE", 2, ""),
        ("COMIN_HGRID_UNSTRUCTURED_VERTEX", 3, ""),
    ),
    "dim_semantics": (
        ("COMIN_DIM_SEMANTICS_UNDEF", 1, "v0.3 only"),
        ("COMIN_DIM_SEMANTICS_NPROMA", 2, "v0.3 only"),
        ("COMIN_DIM_SEMANTICS_BLOCK", 3, "v0.3 only"),
        ("COMIN_DIM_SEMANTICS_UNBLOCK", 4, "v0.3 only"),
        ("COMIN_DIM_SEMANTICS_LEVEL", 5, "v0.3 only"),
        ("COMIN_DIM_SEMANTICS_CONTAINER", 6, "v0.3 only"),
        ("COMIN_DIM_SEMANTICS_OTHER", 7, "v0.3 only"),
        ("COMIN_DIM_SEMANTICS_UNUSED", 8, "v0.3 only"),
    ),
    "datatype": (
        ("COMIN_VAR_DATATYPE_DOUBLE", 1, "v0.3 only"),
        ("COMIN_VAR_DATATYPE_FLOAT", 2, "v0.3 only"),
        ("COMIN_VAR_DATATYPE_INT", 3, "v0.3 only"),
    ),
    "metadata_typeid": (
        ("COMIN_METADATA_TYPEID_UNDEFINED", -1, "v0.2 C: COMIN_TYPEID_UNDEFINED"),
        ("COMIN_METADATA_TYPEID_INTEGER", 0, "v0.2 C: COMIN_TYPEID_INTEGER"),
        ("COMIN_METADATA_TYPEID_REAL", 1, "v0.2 C: COMIN_TYPEID_REAL"),
        ("COMIN_METADATA_TYPEID_CHARACTER", 2, "v0.2 C: COMIN_TYPEID_CHARACTER"),
        ("COMIN_METADATA_TYPEID_LOGICAL", 3, "v0.2 C: COMIN_TYPEID_LOGICAL"),
    ),
    "domain": (
        ("COMIN_DOMAIN_OUTSIDE_LOOP", -1, ""),
        ("COMIN_DOMAIN_UNDEFINED", -2, "internal (Fortran DOMAIN_UNDEFINED)"),
    ),
    "max_len": (
        ("COMIN_MAX_LEN_PLUGIN_NAME", 32, "v0.2: MAX_LEN_PLUGIN_NAME"),
        ("COMIN_MAX_LEN_PLUGIN_LIBRARY", 256, "v0.2: MAX_LEN_PLUGIN_LIBRARY"),
        ("COMIN_MAX_LEN_PRIMARY_CONSTRUCTOR", 256, "v0.2: MAX_LEN_PRIMARY_CONSTRUCTOR"),
        ("COMIN_MAX_LEN_OPTIONS", 256, "v0.2: MAX_LEN_OPTIONS"),
        ("COMIN_MAX_LEN_COMM", 256, "v0.2: MAX_LEN_COMM"),
        ("COMIN_MAX_LEN_EP_NAME", 32, "v0.2: MAX_LEN_EP_NAME"),
        ("COMIN_MAX_LEN_VAR_NAME", 64, "v0.2: MAX_LEN_VAR_NAME"),
        ("COMIN_MAX_LEN_MESSAGE", 512, "v0.2: MAX_LEN_MESSAGE"),
        ("COMIN_MAX_LEN_ERR_MESSAGE", 96, "v0.2: MAX_LEN_ERR_MESSAGE"),
        ("COMIN_MAX_DATETIME_STR_LEN", 32, "v0.2: MAX_DATETIME_STR_LEN"),
    ),
}

#: The string length limits by name (``MAX_LEN["COMIN_MAX_LEN_PLUGIN_NAME"]`` is 32).
MAX_LEN = {name: value for name, value, _note in ENUMS["max_len"]}

#: C typedef of each enum group (ComIn 0.3's comin.h names); groups not listed
#: here are plain constants (domain ids: ``static const int``; lengths: macros).
C_ENUM_TYPES = {
    "flag": "t_comin_var_access_flag",
    "zaxis": "t_comin_zaxis",
    "hgrid": "t_comin_hgrid_id",
    "dim_semantics": "t_comin_dim_semantics",
    "datatype": "t_comin_var_datatype",
    "metadata_typeid": "t_comin_metadata_typeid",
}

#: NumPy's name of the element type of each datatype (C double, float, int):
#: the core, the host API and the hosts map between datatypes and dtypes with it.
DATATYPE_NUMPY = {
    "COMIN_VAR_DATATYPE_DOUBLE": "float64",
    "COMIN_VAR_DATATYPE_FLOAT": "float32",
    "COMIN_VAR_DATATYPE_INT": "intc",
}

#: Error codes in ComIn 0.3 order (code = position).  Each row:
#: (name, message, code in ComIn 0.2 or None when the code is new in 0.3).
#: Messages keep upstream's wording, with its typos fixed ("Filed",
#: "Traers"); upstream has no text for VAR_METADATA_INCONSISTENT_TYPE.
ERROR_CODES = (
    ("COMIN_SUCCESS", "Success", 0),
    ("COMIN_INFO", "Info", 1),
    ("COMIN_WARNING", "Warning", 2),
    ("COMIN_ERROR_STATUS", "Error", 3),
    ("COMIN_ERROR_CALLBACK_REGISTER_OUTSIDE_PRIMARYCONSTRUCTOR",
     "Callbacks cannot be registered after primary constructor.", 4),
    ("COMIN_ERROR_CALLBACK_COMPLETE", "Callback registration could not be completed.", 5),
    ("COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN", "Unknown id for ENTRY point.", 6),
    ("COMIN_ERROR_DESCRDATA_SET_FCT_GLB2LOC",
     "Global-to-local index function could not be set (not associated).", 7),
    ("COMIN_ERROR_DESCRDATA_FINALIZE", "Descriptive data could not be finalized.", 8),
    ("COMIN_ERROR_METADATA_SET_OUTSIDE_PRIMARYCONSTRUCTOR",
     "Metadata can only be set in the primary constructor.", 9),
    ("COMIN_ERROR_METADATA_KEY_NOT_FOUND", "Metadata key not found.", 10),
    ("COMIN_ERROR_METADATA_GET_INSIDE_PRIMARYCONSTRUCTOR",
     "Metadata cannot be read during the primary constructor.", 11),
    ("COMIN_ERROR_SETUP_FINALIZE", "Setup could not be finalized.", 12),
    ("COMIN_ERROR_SETUP_COMIN_ALREADY_INITIALIZED", "ComIn is already initialized.", 13),
    ("COMIN_ERROR_PLUGIN_INIT_COMIN_VERSION",
     "Host and plugin ComIn versions are incompatible.", 14),
    ("COMIN_ERROR_PLUGIN_INIT_PRECISION",
     "Host and plugin working precisions are incompatible.", 15),
    ("COMIN_ERROR_PLUGIN_INIT_STATE_INITIALIZED",
     "Plugin is already bound to a different ComIn state.", 16),
    ("COMIN_ERROR_SETUP_ERRHANDLER_NOT_ASSOCIATED", "Host error handler is not associated.", 17),
    ("COMIN_ERROR_SETUP_ERRHANDLER_NOT_SET", "Error handler is not set.", 18),
    ("COMIN_ERROR_SETUP_PRECISION_TEST_FAILED", "Working precision test failed.", 19),
    ("COMIN_ERROR_VAR_REQUEST_AFTER_PRIMARYCONSTRUCTOR",
     "Variables cannot be requested after the primary constructor.", 20),
    ("COMIN_ERROR_VAR_REQUEST_EXISTS_IS_LMODEXCLUSIVE",
     "Requested variable already exists and is exclusive.", 21),
    ("COMIN_ERROR_VAR_REQUEST_EXISTS_REQUEST_LMODEXCLUSIVE",
     "Exclusive request for a variable that already exists.", 22),
    ("COMIN_ERROR_VAR_DESCRIPTOR_NOT_FOUND", "var_descriptor not found.", 23),
    ("COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED", "var_item not associated.", 24),
    ("COMIN_ERROR_FIELD_NOT_ALLOCATED", "Field not allocated.", 25),
    ("COMIN_ERROR_POINTER_NOT_ASSOCIATED", "Pointer not associated.", 26),
    ("COMIN_ERROR_TRACER_REQUEST_NOT_FOR_ALL_DOMAINS",
     "Tracers must be requested for all domains (id = -1).", 27),
    ("COMIN_ERROR_VAR_SYNC_DEVICE_MEM_NOT_ASSOCIATED",
     "Device memory synchronization function not associated.", 28),
    ("COMIN_ERROR_VAR_SYNC_HALO_NOT_ASSOCIATED",
     "Halo synchronization function not associated.", None),
    ("COMIN_ERROR_VAR_GET_OUTSIDE_SECONDARY_CONSTRUCTOR",
     "Cannot get variable outside of secondary constructor", 29),
    ("COMIN_ERROR_VAR_GET_NO_DEVICE", "No device available", 30),
    ("COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND", "Cannot find variable", 31),
    ("COMIN_ERROR_VAR_GET_CONTAINER_CAN_NOT_HALO_SYNCHRONIZED",
     "A container variable cannot be halo synchronized.", None),
    ("COMIN_ERROR_VAR_GET_IRREGULAR_VAR_CAN_NOT_HALO_SYNCHRONIZED",
     "A variable with undefined dimension semantics cannot be halo synchronized.", None),
    ("COMIN_ERROR_VAR_SYNC_HALO_NOT_SUPPORTED_ZAXIS",
     "Halo synchronization is only supported for zaxis 2D or 3D.", None),
    ("COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE", "Inconsistent metadata type.", 32),
    ("COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE", "Variable has a different datatype.", None),
    ("COMIN_ERROR_FATAL", "Fatal error", 33),
)


def error_category(code: int) -> str:
    """Category of an error code, as ComIn derives it from the number."""
    fatal = len(ERROR_CODES) - 1
    if code == 0:
        return "SUCCESS"
    if code == 1:
        return "INFO"
    if code == 2:
        return "WARNING"
    if 3 <= code < fatal:
        return "ERROR"
    if code == fatal:
        return "FATAL ERROR"
    raise ValueError(f"unknown ComIn error code {code}")


def all_constants() -> dict:
    """Every named integer constant of the table, name -> value.

    Entry points (``EP_*``), every enum group, the error codes and
    ``COMIN_VERSION_MAJOR/MINOR/PATCH``: only names that exist in ComIn.
    """
    out = {}
    for i, name in enumerate(ENTRY_POINTS, start=1):
        out[name] = i
    for rows in ENUMS.values():
        for name, value, _note in rows:
            out[name] = value
    for code, (name, _msg, _v02) in enumerate(ERROR_CODES):
        out[name] = code
    out["COMIN_VERSION_MAJOR"], out["COMIN_VERSION_MINOR"], out["COMIN_VERSION_PATCH"] = VERSION
    return out


#: Descriptive data, as data: group -> ((field, type, ndim), ...).
#: type: "int", "float", "bool", "str" for scalars; "int32", "float64",
#: "int8" for arrays of that element type with ``ndim`` dimensions (in
#: Fortran order, as the host stores them).  The Python objects, the host
#: setters, the C getters (``comin/_capi.py``) and the Fortran derived types are
#: derived from this table.
DESCRDATA = {
    "global": (
        ("n_dom", "int", 0), ("max_dom", "int", 0), ("nproma", "int", 0), ("wp", "int", 0),
        ("min_rlcell_int", "int", 0), ("min_rlcell", "int", 0), ("max_rlcell", "int", 0),
        ("min_rlvert_int", "int", 0), ("min_rlvert", "int", 0), ("max_rlvert", "int", 0),
        ("min_rledge_int", "int", 0), ("min_rledge", "int", 0), ("max_rledge", "int", 0),
        ("grf_bdywidth_c", "int", 0), ("grf_bdywidth_e", "int", 0),
        ("lrestartrun", "bool", 0), ("vct_a", "float64", 1), ("yac_instance_id", "int", 0),
        ("host_git_remote_url", "str", 0), ("host_git_branch", "str", 0),
        ("host_git_tag", "str", 0), ("host_revision", "str", 0),
        ("has_device", "bool", 0), ("device_name", "str", 0), ("device_vendor", "str", 0),
        ("device_driver", "str", 0),
    ),
    "domain": (
        ("grid_filename", "str", 0), ("grid_uuid", "int8", 1),
        ("number_of_grid_used", "int32", 1), ("id", "int", 0), ("n_childdom", "int", 0),
        ("dom_start", "float", 0), ("dom_end", "float", 0), ("nlev", "int", 0),
        ("nshift", "int", 0), ("nshift_total", "int", 0),
    ),
    "cells": (
        ("ncells", "int", 0), ("ncells_global", "int", 0), ("nblks", "int", 0),
        ("max_connectivity", "int", 0),
        ("num_edges", "int32", 2), ("refin_ctrl", "int32", 2),
        ("start_index", "int32", 1), ("end_index", "int32", 1),
        ("start_block", "int32", 1), ("end_block", "int32", 1),
        ("child_id", "int32", 2), ("child_idx", "int32", 3), ("child_blk", "int32", 3),
        ("parent_glb_idx", "int32", 2), ("parent_glb_blk", "int32", 2),
        ("vertex_idx", "int32", 3), ("vertex_blk", "int32", 3),
        ("neighbor_idx", "int32", 3), ("neighbor_blk", "int32", 3),
        ("edge_idx", "int32", 3), ("edge_blk", "int32", 3),
        ("clon", "float64", 2), ("clat", "float64", 2), ("area", "float64", 2),
        ("hhl", "float64", 3), ("glb_index", "int32", 1), ("decomp_domain", "int32", 2),
    ),
    "edges": (
        ("nedges", "int", 0), ("nedges_global", "int", 0), ("nblks", "int", 0),
        ("refin_ctrl", "int32", 2),
        ("start_index", "int32", 1), ("end_index", "int32", 1),
        ("start_block", "int32", 1), ("end_block", "int32", 1),
        ("child_id", "int32", 2), ("child_idx", "int32", 3), ("child_blk", "int32", 3),
        ("parent_glb_idx", "int32", 2), ("parent_glb_blk", "int32", 2),
        ("cell_idx", "int32", 3), ("cell_blk", "int32", 3),
        ("vertex_idx", "int32", 3), ("vertex_blk", "int32", 3),
        ("elon", "float64", 2), ("elat", "float64", 2),
        ("glb_index", "int32", 1), ("decomp_domain", "int32", 2),
    ),
    "verts": (
        ("nverts", "int", 0), ("nverts_global", "int", 0), ("nblks", "int", 0),
        ("num_edges", "int32", 2), ("refin_ctrl", "int32", 2),
        ("start_index", "int32", 1), ("end_index", "int32", 1),
        ("start_block", "int32", 1), ("end_block", "int32", 1),
        ("neighbor_idx", "int32", 3), ("neighbor_blk", "int32", 3),
        ("cell_idx", "int32", 3), ("cell_blk", "int32", 3),
        ("edge_idx", "int32", 3), ("edge_blk", "int32", 3),
        ("vlon", "float64", 2), ("vlat", "float64", 2),
        ("glb_index", "int32", 1), ("decomp_domain", "int32", 2),
    ),
}

#: Metadata keys a host sets on every requested variable, with ComIn's
#: defaults (what the v0.3 replay tool sets before copying request metadata).
DEFAULT_METADATA = (
    ("zaxis_id", 2), ("hgrid_id", 1), ("datatype", 1),
    ("restart", False), ("multi_timelevel", False),
    ("tracer", False), ("tracer_turb", False), ("tracer_conv", False),
    ("tracer_hlimit", 4), ("tracer_vlimit", 1), ("tracer_hadv", 2), ("tracer_vadv", 3),
    ("units", ""), ("standard_name", ""), ("long_name", ""), ("short_name", ""),
    ("grib_discipline", 255), ("grib_category", 255), ("grib_number", 255),
)

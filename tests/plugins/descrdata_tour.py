"""Reads every descriptive data field and the descriptive-data functions."""
import dataclasses
import json

import numpy as np

import comin

report_path = comin.current_get_plugin_info().args[0]
report = {}


def describe(value):
    """JSON-friendly description of one descriptive data value."""
    if isinstance(value, (bool, int, float, str)):
        return {"type": type(value).__name__, "value": value}
    if hasattr(value, "ndim"):
        arr = np.asarray(value)
        return {"type": "array", "dtype": str(arr.dtype), "shape": list(arr.shape),
                "writeable": bool(arr.flags.writeable)}
    return {"type": type(value).__name__}


comin.print_info(comin.current_get_plugin_info())
glob = comin.descrdata_get_global()
domain = comin.descrdata_get_domain(1)
report["dir_domain"] = dir(domain)
report["dir_cells"] = dir(domain.cells)
report["dir_edges"] = dir(domain.edges)
report["dir_verts"] = dir(domain.verts)
report["global"] = {name: describe(getattr(glob, name)) for name in dir(glob)}
report["domain"] = {name: describe(getattr(domain, name)) for name in dir(domain)}
for group in ("cells", "edges", "verts"):
    sub = getattr(domain, group)
    report[group] = {name: describe(getattr(sub, name)) for name in dir(sub)}

interval = comin.descrdata_get_simulation_interval()
report["interval_repr"] = repr(interval)
report["interval"] = dataclasses.asdict(interval)
# an inner block (neither the start nor the end block) needs no domain data
report["inner_block_indices"] = list(comin.descrdata_get_cell_indices(42, 1, 3, 2, 3, 4))
report["npromz"] = [comin.descrdata_get_cell_npromz(1), comin.descrdata_get_edge_npromz(1),
                    comin.descrdata_get_vert_npromz(1)]
report["glb2loc_42"] = comin.descrdata_index_lookup_glb2loc_cell(1, 42)
report["version"] = list(comin.setup_get_version())
report["rank"] = comin.parallel_get_host_mpi_rank()
report["physics_calls"] = []


@comin.register_callback(comin.EP_ATM_PHYSICS_BEFORE)
def where_and_when():
    report["physics_calls"].append([comin.current_get_domain_id(), comin.current_get_datetime()])


@comin.register_callback(comin.EP_DESTRUCTOR)
def write_report():
    with open(report_path, "w") as f:
        json.dump(report, f)

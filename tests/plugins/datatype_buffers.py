"""The ``datatype`` metadata decides the NumPy dtype of a variable's buffer.

Option ``--swap`` compares against the wrong dtypes, so the plugin ends the
run with ``comin.finish``.
"""
import numpy as np

import comin

expected = {
    "f64": (comin.COMIN_VAR_DATATYPE_DOUBLE, np.double),
    "f32": (comin.COMIN_VAR_DATATYPE_FLOAT, np.single),
    "i32": (comin.COMIN_VAR_DATATYPE_INT, np.intc),
}
if "--swap" in comin.current_get_plugin_info().args:
    expected["f64"], expected["i32"] = ((expected["f64"][0], np.intc), (expected["i32"][0], np.double))

for tag, (datatype, _) in expected.items():
    comin.var_request_add((f"typed_{tag}", 1), False)
    comin.metadata_set((f"typed_{tag}", 1), datatype=datatype)

handles = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def get_handles():
    for tag in expected:
        handles[tag] = comin.var_get([comin.EP_ATM_TIMELOOP_START], (f"typed_{tag}", 1),
                                     comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE)


@comin.EP_ATM_TIMELOOP_START
def check_types():
    for tag, (_, dtype) in expected.items():
        arr = np.asarray(handles[tag])
        if arr.dtype == dtype:
            arr[...] = 7          # every datatype takes an integer value
            comin.print_info(f"{tag} is {dtype}")
        else:
            comin.finish("datatype_buffers", f"{tag}: {arr.dtype} != {np.dtype(dtype)}")

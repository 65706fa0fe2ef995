"""The exposed-variable list and metadata read as a mapping."""
import json

import comin

report_path = comin.current_get_plugin_info().args[0]
comin.var_request_add(("probe", 1), False)
comin.metadata_set(("probe", 1), tracer=False, tracer_turb=False, units="%",
                   hgrid_id=comin.COMIN_HGRID_UNSTRUCTURED_CELL)
comin.metadata_set(("probe", 1), custom_key=42, custom_text="free text", custom_flag=True,
                   custom_real=0.25)
report = {"outputs": []}


@comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
def inspect_variables():
    global probe
    probe = comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], ("probe", 1), comin.COMIN_FLAG_READ)
    report["pres_listed"] = ("pres", 1) in comin.var_descr_list()
    listing = []
    for name, jg in comin.var_descr_list():
        meta = comin.metadata((name, jg))
        listing.append([type(name).__name__, type(jg).__name__, name, jg,
                        meta.get("tracer", None), meta.get("units", None)])
    report["listing"] = listing
    meta = comin.metadata(("probe", 1))
    report["custom_key"] = meta["custom_key"]
    report["items"] = {key: [type(value).__name__, value] for key, value in meta.items()}
    report["len"] = len(meta)
    report["keys"] = sorted(meta)


@comin.register_callback(comin.EP_ATM_WRITE_OUTPUT_BEFORE)
def at_output():
    report["outputs"].append([type(probe.descriptor).__name__, list(probe.descriptor),
                              list(probe.to_3d.shape)])


@comin.register_callback(comin.EP_DESTRUCTOR)
def write_report():
    with open(report_path, "w") as f:
        json.dump(report, f)

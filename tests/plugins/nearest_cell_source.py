"""A point source in the cell nearest to a location, with turbulence and
convection tendencies of the tracer applied by the plugin."""
import json
import sys

import numpy as np

import comin

report_path = comin.current_get_plugin_info().args[0]
JG = 1
LON, LAT = np.deg2rad(20.0), np.deg2rad(-35.0)
RW = comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE

comin.var_request_add(("emis", -1), False)
comin.metadata_set(("emis", -1), tracer=True, tracer_turb=True, tracer_conv=True)
comin.var_request_add(("plain_tracer", -1), False)
comin.metadata_set(("plain_tracer", -1), tracer=True)

report = {"emissions": 0, "tendency_calls": 0, "nonzero_tendency": False}


def unit_vectors(lon, lat):
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


@comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
def get_handles():
    global emis, ddt_turb, ddt_conv
    emis = comin.var_get([comin.EP_ATM_ADVECTION_BEFORE, comin.EP_ATM_PHYSICS_BEFORE], ("emis", JG), RW)
    ddt_turb = comin.var_get([comin.EP_ATM_PHYSICS_BEFORE], ("ddt_emis_turb", JG), comin.COMIN_FLAG_READ)
    ddt_conv = comin.var_get([comin.EP_ATM_PHYSICS_BEFORE], ("ddt_emis_conv", JG), comin.COMIN_FLAG_READ)


@comin.register_callback(comin.EP_ATM_INIT_FINALIZE)
def find_cell():
    global jc, jb
    cells = comin.descrdata_get_domain(JG).cells
    clon, clat = np.asarray(cells.clon), np.asarray(cells.clat)
    owned = np.asarray(cells.decomp_domain) == 0
    nproma = clon.shape[0]
    # (jc, jb) -> 1-based unblocked index: only real cells, not the padding of the last block
    real = (np.arange(clon.shape[1])[None, :] * nproma + np.arange(nproma)[:, None]) < cells.ncells
    distance = np.linalg.norm(unit_vectors(clon, clat) - unit_vectors(LON, LAT), axis=-1)
    distance[~(owned & real)] = np.inf
    jc, jb = np.unravel_index(np.argmin(distance), clon.shape)
    report["cell"] = [int(jc), int(jb)]
    print(f"source at lon={np.rad2deg(clon[jc, jb]):.2f} lat={np.rad2deg(clat[jc, jb]):.2f}", file=sys.stderr)


@comin.register_callback(comin.EP_ATM_ADVECTION_BEFORE)
def emit():
    if comin.current_get_domain_id() == JG:
        a = np.asarray(emis)
        a[jc, :, jb, 0, 0] = a[jc, :, jb, 0, 0] + 1.0
        report["emissions"] += 1


@comin.register_callback(comin.EP_ATM_PHYSICS_BEFORE)
def apply_tendencies():
    if comin.current_get_domain_id() != JG:
        return
    a = np.asarray(emis)
    turb, conv = np.asarray(ddt_turb), np.asarray(ddt_conv)
    dt = comin.descrdata_get_timesteplength(JG)
    report["dt"] = dt
    report["tendency_calls"] += 1
    report["nonzero_tendency"] |= bool(np.any(turb != 0) or np.any(conv != 0))
    a[:, :, :, 0, 0] = np.maximum(a[:, :, :, 0, 0] + dt * (turb[:, :, :, 0, 0] + conv[:, :, :, 0, 0]), 0.0)


@comin.register_callback(comin.EP_DESTRUCTOR)
def write_report():
    report["column_total"] = float(np.asarray(emis)[jc, :, jb, 0, 0].sum())
    with open(report_path, "w") as f:
        json.dump(report, f)

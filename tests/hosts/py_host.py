"""The scale host of tests/hosts/c_host/c_host.c written against comin.host.Host.

Same descriptive data, fields, requests, entry points and printed lines as the C
and Fortran scale hosts, so tests/test_hosts.py can compare their output with
the same plugins run by the Python host (which is what the emulator uses).

    python py_host.py [--steps N] "name[@comm];library;options" ...
"""
from __future__ import annotations

import sys

import numpy as np

import comin
from comin.host import Host, PluginDescription

NPROMA, NLEV, NDOM = 4, 3, 2
NCELLS = (10, 6)
C = comin
DS3D = (C.COMIN_DIM_SEMANTICS_NPROMA, C.COMIN_DIM_SEMANTICS_LEVEL, C.COMIN_DIM_SEMANTICS_BLOCK,
        C.COMIN_DIM_SEMANTICS_UNUSED, C.COMIN_DIM_SEMANTICS_UNUSED)
DS2D = (C.COMIN_DIM_SEMANTICS_NPROMA, C.COMIN_DIM_SEMANTICS_BLOCK, C.COMIN_DIM_SEMANTICS_UNUSED,
        C.COMIN_DIM_SEMANTICS_UNUSED, C.COMIN_DIM_SEMANTICS_UNUSED)
DSCONT = (C.COMIN_DIM_SEMANTICS_NPROMA, C.COMIN_DIM_SEMANTICS_LEVEL, C.COMIN_DIM_SEMANTICS_BLOCK,
          C.COMIN_DIM_SEMANTICS_UNUSED, C.COMIN_DIM_SEMANTICS_CONTAINER)
DTYPES = {C.COMIN_VAR_DATATYPE_DOUBLE: np.float64, C.COMIN_VAR_DATATYPE_FLOAT: np.float32,
          C.COMIN_VAR_DATATYPE_INT: np.intc}


def out(text: str) -> None:
    print(text, flush=True)


def handler(routine, text):
    out(f"host: finish called by {routine}: {text}")
    sys.exit(3)


def main(argv) -> int:
    steps = 2
    if len(argv) >= 2 and argv[0] == "--steps":
        steps, argv = int(argv[1]), argv[2:]
    plugins = []
    for spec in argv:
        name, lib, opts = (spec.split(";", 2) + ["", ""])[:3]
        name, _, comm = name.partition("@")
        plugins.append(PluginDescription(name=name, plugin_library=lib, options=opts, comm=comm))
    doms = []
    for j in range(NDOM):
        nb = (NCELLS[j] + NPROMA - 1) // NPROMA
        n3 = NPROMA * NLEV * nb
        idx = np.arange(n3)
        temp = (200.0 + 10.0 * (j + 1) + idx % 7).reshape((NPROMA, NLEV, nb), order="F")
        tracers = np.zeros((NPROMA, NLEV, nb, 1, 2), order="F")
        tracers[..., 0] = (idx % 3).reshape((NPROMA, NLEV, nb, 1), order="F")
        pres = (100000.0 + np.arange(NPROMA * nb)).reshape((NPROMA, nb), order="F")
        doms.append(dict(jg=j + 1, nblks=nb, temp=np.asfortranarray(temp), pres_sfc=pres, tracers=tracers))

    host = Host(plugins, lstdout=True, error_handler=handler)
    host.check("py_host", 8)
    host.set_global(n_dom=NDOM, max_dom=NDOM, nproma=NPROMA, wp=8, lrestartrun=False,
                    host_revision="c-host-1", vct_a=np.array([30000.0, 20000.0, 10000.0, 0.0]))
    for d in doms:
        jg, nb, nc = d["jg"], d["nblks"], NCELLS[d["jg"] - 1]
        glb = np.arange(NPROMA * nb)
        host.set_domain(jg, grid_filename=f"grid_dom{jg}.nc", id=jg, nlev=NLEV,
                        n_childdom=1 if jg < NDOM else 0, dom_start=0.0, dom_end=3600.0,
                        cells=dict(ncells=nc, ncells_global=nc, nblks=nb,
                                   glb_index=np.arange(1, nc + 1, dtype=np.intc),
                                   clon=(0.25 * glb - jg).reshape((NPROMA, nb), order="F")))
        host.set_timesteplength(jg, 60.0 / jg)
    host.set_simulation_interval("2026-01-01T00:00:00", "2026-01-01T01:00:00",
                                 "2026-01-01T00:00:00", "2026-01-01T00:03:00")
    host.set_glb2loc_cell(lambda jg, g: g if 1 <= g <= NCELLS[jg - 1] else -1)
    host.set_datetime("2026-01-01T00:00:00")
    host.run_primary_constructors()
    for d in doms:
        jg = d["jg"]
        host.expose("temp", jg, d["temp"], dim_semantics=DS3D)
        host.set_metadata("temp", jg, units="K", zaxis_id=C.COMIN_ZAXIS_3D)
        host.expose("pres_sfc", jg, d["pres_sfc"], dim_semantics=DS2D)
        host.set_metadata("pres_sfc", jg, units="Pa", zaxis_id=C.COMIN_ZAXIS_2D)
        host.expose("container", jg, d["tracers"], dim_semantics=DSCONT, lcontainer=True, ncontained=2)
        for k, name in enumerate(("qv", "qc")):
            host.expose(name, jg, d["tracers"][..., k:k + 1], dim_semantics=DSCONT, ncontained=k + 1)
            host.set_metadata(name, jg, tracer=True)
    extra = []
    reqs = host.requests
    out(f"host: {len(reqs)} requests")
    for i, r in enumerate(reqs, start=1):
        meta = r.metadata
        zaxis = meta.get("zaxis_id", C.COMIN_ZAXIS_3D)
        type_id = meta.get("datatype", C.COMIN_VAR_DATATYPE_DOUBLE)
        nb = doms[r.domain_id - 1]["nblks"]
        shape = (NPROMA, nb) if zaxis == C.COMIN_ZAXIS_2D else (NPROMA, NLEV, nb)
        arr = np.zeros(shape, dtype=DTYPES[type_id], order="F")
        out(f"host: request {i} ({r.name}, {r.domain_id}) by {len(r.plugin_ids)} plugin(s) first "
            f"{r.plugin_ids[0]}, zaxis {zaxis}, datatype {type_id}, tracer {int(meta.get('tracer', False))}, "
            f"units {meta.get('units', '1')}")
        host.expose(r.name, r.domain_id, arr, dim_semantics=DS2D if zaxis == C.COMIN_ZAXIS_2D else DS3D)
        host.set_metadata(r.name, r.domain_id, units="1", zaxis_id=zaxis)
        extra.append((r.name, r.domain_id, arr))

    def report(when):
        for d in doms:
            t = d["tracers"]
            out(f"host: {when} dom {d['jg']} temp {d['temp'].sum():.1f} pres_sfc {d['pres_sfc'].sum():.1f} "
                f"qv {t[..., 0].sum():.1f} qc {t[..., 1].sum():.1f}")
        for name, jg, arr in extra:
            out(f"host: {when} {name}({jg}) {float(arr.sum()):.1f}")

    call = host.call_ep
    call(C.EP_SECONDARY_CONSTRUCTOR, -1)
    call(C.EP_ATM_INIT_FINALIZE, -1)
    report("init")
    call(C.EP_ATM_TIMELOOP_BEFORE, -1)
    for step in range(1, steps + 1):
        dt = f"2026-01-01T00:{step:02d}:00"
        host.set_datetime(dt)
        call(C.EP_ATM_TIMELOOP_START, -1)
        for d in doms:
            call(C.EP_ATM_INTEGRATE_START, d["jg"])
            d["temp"] += 1.0
            call(C.EP_ATM_PHYSICS_BEFORE, d["jg"])
            call(C.EP_ATM_PHYSICS_AFTER, d["jg"])
            call(C.EP_ATM_INTEGRATE_END, d["jg"])
        call(C.EP_ATM_WRITE_OUTPUT_BEFORE, -1)
        report(dt)
        call(C.EP_ATM_TIMELOOP_END, -1)
    call(C.EP_ATM_TIMELOOP_AFTER, -1)
    call(C.EP_DESTRUCTOR, -1)
    host.finalize()
    out("host: done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

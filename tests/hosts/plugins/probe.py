"""Python probe plugin of the scale hosts (tests/hosts): prints what it sees, writes fields.

Every line starts with the plugin's name; values are exact (integers, halves) so the
lines are equal whichever host (C, Fortran, Python) runs the plugin.
"""
import sys

import numpy as np

import comin

NAME = comin.current_get_plugin_info().name


def say(text: str) -> None:
    print(f"{NAME}: {text}", flush=True)


g = comin.descrdata_get_global()
say(f"primary constructor args={sys.argv[1:]} n_dom={g.n_dom} nproma={g.nproma} "
    f"vct_a={g.vct_a.tolist()} revision={g.host_revision}")
for jg in range(1, g.n_dom + 1):
    d = comin.descrdata_get_domain(jg)
    say(f"domain {jg}: {d.grid_filename} nlev={d.nlev} ncells={d.cells.ncells} nblks={d.cells.nblks} "
        f"glb_index={d.cells.glb_index.tolist()} clon_sum={d.cells.clon.sum():.2f} "
        f"dt={comin.descrdata_get_timesteplength(jg)}")
say(f"glb2loc(1, 7)={comin.descrdata_index_lookup_glb2loc_cell(1, 7)} "
    f"glb2loc(2, 7)={comin.descrdata_index_lookup_glb2loc_cell(2, 7)}")
si = comin.descrdata_get_simulation_interval()
say(f"interval {si.exp_start} {si.exp_stop} {si.run_start} {si.run_stop}")
comin.var_request_add(("py_tend", -1), False)
comin.metadata_set(("py_tend", -1), zaxis_id=comin.COMIN_ZAXIS_3D, units="K/s")
comin.var_request_add(("py_q", -1), False)          # a tracer for every domain
comin.metadata_set(("py_q", -1), tracer=True, units="kg/kg")
handles = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def secondary():
    names = [f"{n}({jg})" for n, jg in comin.var_descr_list()]
    say(f"variables {' '.join(names)}")
    for jg in (1, 2):
        handles["temp", jg] = comin.var_get([comin.EP_ATM_PHYSICS_BEFORE], ("temp", jg), comin.COMIN_FLAG_READ)
        handles["qc", jg] = comin.var_get([comin.EP_ATM_PHYSICS_AFTER], ("qc", jg),
                                          comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE)
        handles["tend", jg] = comin.var_get([comin.EP_ATM_PHYSICS_AFTER], ("py_tend", jg), comin.COMIN_FLAG_WRITE)
        meta = comin.metadata(("temp", jg))
        say(f"temp({jg}) units={meta['units']} zaxis={meta['zaxis_id']} tracer(qc)="
            f"{comin.metadata_get(('qc', jg), 'tracer')} shape={np.asarray(handles['temp', jg]).shape}")


@comin.EP_ATM_TIMELOOP_START
def timeloop_start():
    say(f"timeloop start {comin.current_get_datetime()} ep {comin.current_get_ep()}")


@comin.EP_ATM_PHYSICS_BEFORE
def physics_before():
    jg = comin.current_get_domain_id()
    say(f"physics before domain {jg} temp sum {np.asarray(handles['temp', jg]).sum():.1f}")


@comin.EP_ATM_PHYSICS_AFTER
def physics_after():
    jg = comin.current_get_domain_id()
    qc = np.asarray(handles["qc", jg])
    qc += 0.5
    np.asarray(handles["tend", jg])[...] = jg
    say(f"physics after domain {jg} qc sum {qc.sum():.1f}")


@comin.EP_DESTRUCTOR
def destructor():
    say("destructor")

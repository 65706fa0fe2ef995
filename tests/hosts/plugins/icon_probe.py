"""Python plugin of the ICON-style host (tests/hosts/fortran_host/icon_host.F90).

Requests a variable with metadata of every type (the host copies each key onto the
exposed variable by iterating over the request's keys), reads the temperature the host
swaps between time levels, asks for a halo exchange, and prints the descriptive data the
host changes after handing it over (POINTER components: seen; ALLOCATABLE ones: not).
"""
import numpy as np

import comin

NAME = comin.current_get_plugin_info().name


def say(text: str) -> None:
    print(f"{NAME}: {text}", flush=True)


def domain_line(jg: int) -> str:
    """The same fields as c_icon_probe.c and f_icon_probe.F90 print."""
    d = comin.descrdata_get_domain(jg)
    c = d.cells
    return (f"domain {jg} {d.grid_filename} id={d.id} nlev={d.nlev} nshift={d.nshift} "
            f"ncells={c.ncells} nblks={c.nblks} area_sum={c.area.sum():.1f} "
            f"owned={int((c.decomp_domain >= 0).sum())} clon_sum={c.clon.sum():.1f} "
            f"hhl_sum={c.hhl.sum():.1f} start_block={c.start_block[0]}..{c.start_block[-1]}")


comin.var_request_add(("icon_req", -1), False)
comin.metadata_set(("icon_req", -1), zaxis_id=comin.COMIN_ZAXIS_2D, units="m", restart=True,
                   my_count=7, my_scale=2.5, my_flag=True, my_text="from the plugin")
say(domain_line(1))
handles = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def secondary():
    meta = comin.metadata(("icon_req", 1))
    say("icon_req(1) metadata " + " ".join(f"{k}={meta[k]!r}" for k in sorted(meta)))
    for jg in (1, 2):
        handles["temp", jg] = comin.var_get([comin.EP_ATM_PHYSICS_BEFORE], ("temp", jg),
                                            comin.COMIN_FLAG_READ | comin.COMIN_FLAG_SYNC_HALO)
        handles["req", jg] = comin.var_get([comin.EP_ATM_PHYSICS_AFTER], ("icon_req", jg),
                                           comin.COMIN_FLAG_WRITE)


@comin.EP_ATM_TIMELOOP_START
def timeloop_start():
    say(f"{comin.current_get_datetime()} {domain_line(1)}")


@comin.EP_ATM_PHYSICS_BEFORE
def physics_before():
    jg = comin.current_get_domain_id()
    say(f"physics before domain {jg} temp sum {np.asarray(handles['temp', jg]).sum():.1f}")


@comin.EP_ATM_PHYSICS_AFTER
def physics_after():
    jg = comin.current_get_domain_id()
    np.asarray(handles["req", jg])[...] += jg


@comin.EP_DESTRUCTOR
def destructor():
    say("destructor")

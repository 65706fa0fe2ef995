"""Plugin of tests/hosts/c_host/host_features.c (args: "main" or "second")."""
import sys

import numpy as np

import comin

role = sys.argv[1]
comin.var_request_add(("shared", 1), False)
if role == "main":
    comin.metadata_set(("shared", 1), units="m", scale=0.5)
handles = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def secondary():
    if role == "main":
        handles["f"] = comin.var_get([comin.EP_ATM_TIMELOOP_START, comin.EP_ATM_PHYSICS_BEFORE], ("f", 1),
                                     comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE | comin.COMIN_FLAG_SYNC_HALO)


@comin.EP_ATM_TIMELOOP_START
def timeloop_start():
    if role == "main":
        print(f"{role}: f sum {np.asarray(handles['f']).sum():.1f}", flush=True)


@comin.EP_ATM_PHYSICS_BEFORE
def physics_before():
    if role == "main":
        np.asarray(handles["f"])[0, 0] = 5.0
        print(f"{role}: wrote f", flush=True)

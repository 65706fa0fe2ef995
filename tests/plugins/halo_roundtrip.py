"""COMIN_FLAG_SYNC_HALO after a write and before a read, for 2-D and 3-D
fields of every datatype on every domain: owner cells keep their value,
no cell keeps the marker written to non-owner cells."""
import itertools

import numpy as np
import numpy.ma as ma

import comin

rank = comin.parallel_get_host_mpi_rank()
glob = comin.descrdata_get_global()
domains = {jg: comin.descrdata_get_domain(jg) for jg in range(1, glob.n_dom + 1)}
owner = {jg: np.asarray(d.cells.decomp_domain) == 0 for jg, d in domains.items()}
padding = {}
for jg, d in domains.items():
    padding[jg] = np.zeros((glob.nproma, d.cells.nblks), dtype=bool)
    padding[jg][comin.descrdata_get_cell_npromz(jg):, -1] = True

zaxis_of = {"2d": comin.COMIN_ZAXIS_2D, "3d": comin.COMIN_ZAXIS_3D}
datatypes = (comin.COMIN_VAR_DATATYPE_DOUBLE, comin.COMIN_VAR_DATATYPE_FLOAT, comin.COMIN_VAR_DATATYPE_INT)
cases = [((f"halo_{dim}_{dt}_{mode}", jg), dict(zaxis_id=zaxis_of[dim], datatype=dt), mode)
         for dim, dt, jg, mode in itertools.product(zaxis_of, datatypes, domains, ("write", "read"))]
for descr, meta, _ in cases:
    comin.var_request_add(descr, False)
    comin.metadata_set(descr, **meta)

checked = 0


@comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
def get_handles():
    global writers, readers
    halo = comin.COMIN_FLAG_SYNC_HALO
    writers = [comin.var_get([comin.EP_ATM_TIMELOOP_START], descr,
                             comin.COMIN_FLAG_WRITE | (halo if mode == "write" else 0))
               for descr, _, mode in cases]
    readers = [comin.var_get([comin.EP_ATM_TIMELOOP_END], descr,
                             comin.COMIN_FLAG_READ | (halo if mode == "read" else 0))
               for descr, _, mode in cases]


def as_field(mask, handle, jg):
    """Broadcast a (nproma, nblks) mask to the handle's level dimension, if any."""
    if comin.COMIN_DIM_SEMANTICS_LEVEL in handle.dim_semantics:
        return np.repeat(mask[:, None, :], domains[jg].nlev, axis=1)
    return mask


@comin.register_callback(comin.EP_ATM_TIMELOOP_START)
def write_markers():
    for h in writers:
        _, jg = h.descriptor
        mine = as_field(owner[jg], h, jg)
        arr = np.asarray(h)
        arr[mine] = rank + 1
        arr[~mine] = -1


@comin.register_callback(comin.EP_ATM_TIMELOOP_END)
def check_values():
    global checked
    for h in readers:
        _, jg = h.descriptor
        values = ma.array(h, mask=as_field(padding[jg], h, jg))
        assert ma.all(values >= 1), f"{h.descriptor}: a non-owner cell kept its marker"
        assert ma.all(values[as_field(owner[jg], h, jg)] == rank + 1), f"{h.descriptor}: owner cell changed"
        checked += 1


@comin.register_callback(comin.EP_DESTRUCTOR)
def summary():
    comin.print_info(f"halo checks passed: {checked}")

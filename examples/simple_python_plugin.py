"""A first comin plugin (ComIn's simple_python_plugin, in spirit).

Run it:  comin run "examples/simple_python_plugin.py --hello=world 'argument with spaces'"

The script's top level is the primary constructor: it reads its arguments,
requests a variable and a tracer, and registers callbacks.  The secondary
constructor gets handles on fields; the time loop reads and writes them.
"""
import numpy as np

import comin

info = comin.current_get_plugin_info()
comin.print_info(f"plugin {info.name} (id {info.id}) with args {info.args}")

glob = comin.descrdata_get_global()
comin.print_info(f"{glob.n_dom} domain(s), nproma = {glob.nproma}")

# a diagnostic field of our own on every domain, and a tracer
comin.var_request_add(("simple_python_plugin_var", -1), False)
comin.metadata_set(("simple_python_plugin_var", -1), zaxis_id=comin.COMIN_ZAXIS_2D,
                   units="K", long_name="column mean temperature")
comin.var_request_add(("simple_python_plugin_tracer", -1), False)
comin.metadata_set(("simple_python_plugin_tracer", -1), tracer=True)

handles = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def secondary_constructor():
    for jg in range(1, glob.n_dom + 1):
        handles[jg] = (
            comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], ("temp", jg), comin.COMIN_FLAG_READ),
            comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], ("simple_python_plugin_var", jg),
                          comin.COMIN_FLAG_WRITE),
            comin.var_get([comin.EP_ATM_ADVECTION_AFTER], ("simple_python_plugin_tracer", jg),
                          comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE),
        )
    units = comin.metadata_get(("simple_python_plugin_var", 1), "units")
    comin.print_info(f"got {len(handles)} domain(s) of handles; our variable is in {units}")


@comin.EP_ATM_ADVECTION_AFTER
def source():
    """A constant point source of the tracer in the first cell of the domain."""
    jg = comin.current_get_domain_id()
    tracer = handles[jg][2].to_3d
    tracer[0, -1, 0] += comin.descrdata_get_timesteplength(jg) * 1e-6


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def output():
    for jg, (temp, mean, tracer) in handles.items():
        t = temp.to_3d                       # (nproma, nlev, nblks), read-only view
        m = mean.to_3d[:, :, 0]              # (nproma, nblks), writable view
        m[:] = t.mean(axis=1)
        cells = comin.descrdata_get_domain(jg).cells
        n = cells.ncells
        valid = m.ravel(order="F")[:n]
        comin.print_info(f"{comin.current_get_datetime()} domain {jg}: mean column temperature "
                         f"{valid.mean():.3f} K, tracer mass {tracer.to_3d.sum():.3e}")


@comin.EP_DESTRUCTOR
def destructor():
    comin.print_info("simple_python_plugin: done")

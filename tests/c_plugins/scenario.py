"""The equivalence scenario as a Python plugin (tests/c_plugins/scenario.c is
the same in C): the same calls, the same format strings, comin.print_info."""
import numpy as np

import comin

state = {"step": 0}
out = comin.print_info

info = comin.current_get_plugin_info()
# a Python plugin's options start with its script: compare the rest
out("plugin id %d options '%s'" % (info.id, info.options.split(" ", 1)[1]))
comin.var_request_add(("eqvar", -1), False)
comin.metadata_set(("eqvar", -1), zaxis_id=comin.COMIN_ZAXIS_2D)
comin.metadata_set(("eqvar", -1), scale=2.5)
comin.metadata_set(("eqvar", -1), flagged=True)
comin.metadata_set(("eqvar", -1), units="kg m-2")


@comin.EP_SECONDARY_CONSTRUCTOR
def secondary():
    state["temp"] = comin.var_get([comin.EP_ATM_TIMELOOP_START], ("temp", 1), comin.COMIN_FLAG_READ)
    state["eq"] = comin.var_get([comin.EP_ATM_TIMELOOP_END, comin.EP_ATM_TIMELOOP_START], ("eqvar", 1),
                                comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE)
    state["pres"] = comin.var_get([comin.EP_ATM_TIMELOOP_START], ("pres", 1),
                                  comin.COMIN_FLAG_READ | comin.COMIN_FLAG_SYNC_HALO)
    h = state["temp"]
    out("temp shape %d %d %d %d %d" % h.shape)
    out("temp dim_semantics %d %d %d %d %d ncontained %d" % (h.dim_semantics + (h.ncontained,)))
    out("eqvar descriptor %s %d" % state["eq"].descriptor)
    md = comin.metadata(("eqvar", 1))
    out("eqvar metadata zaxis_id=%d scale=%.4f flagged=%d units=%s"
        % (md["zaxis_id"], md["scale"], md["flagged"], md["units"]))
    out("eqvar typeids %d %d %d %d %d" % tuple(comin.metadata_get_typeid(("eqvar", 1), k)
                                              for k in ("zaxis_id", "scale", "units", "flagged", "nokey")))
    names = list(comin.var_descr_list())
    out("exposed variables %d eqvar listed %d" % (len(names), ("eqvar", 1) in names))
    out("iterator deleted %d" % 1)
    out("eqvar keys %d units listed %d" % (len(md), "units" in md))


@comin.EP_ATM_TIMELOOP_START
def timeloop_start():
    t = np.asarray(state["temp"])
    out("start %s ep %d temp %.6e %.6e" % (comin.current_get_datetime(), comin.current_get_ep(),
                                            t[0, 0, 0, 0, 0], t[2, 1, 3, 0, 0]))
    eq = np.asarray(state["eq"])
    out("start eqvar %.3f" % eq.ravel(order="F")[5])


@comin.EP_ATM_PHYSICS_BEFORE
def physics():
    out("physics domain %d ep %d" % (comin.current_get_domain_id(), comin.current_get_ep()))


@comin.EP_ATM_TIMELOOP_END
def timeloop_end():
    state["step"] += 1
    eq = np.asarray(state["eq"])
    n = eq.size
    flat = state["step"] * 10.0 + (np.arange(n) % 7)
    eq[...] = flat.reshape(eq.shape, order="F")
    out("end step %d wrote %d values" % (state["step"], n))


g = comin.descrdata_get_global()
out("global n_dom %d nproma %d vct_a %d %.3f %.3f lrestart %d"
    % (g.n_dom, g.nproma, g.vct_a.shape[0], g.vct_a[0], g.vct_a[-1], g.lrestartrun))
out("host_revision '%s'" % g.host_revision)
d = comin.descrdata_get_domain(1)
out("domain nlev %d ncells %d nblks %d" % (d.nlev, d.cells.ncells, d.cells.nblks))
out("clon %d %d %.6f %.6f" % (d.cells.clon.shape + (d.cells.clon[0, 0], d.cells.clon[1, 1])))
si = d.cells.start_index
out("start_index %d first %d interior %d" % (si.shape[0], si[0], si[0 - g.min_rlcell]))
glb = d.cells.glb_index
out("glb_index %d %d %d" % (glb.shape[0], glb[0], glb[-1]))
out("grid '%s' id %d n_childdom %d nshift %d uuid %d %d used %d %d"
    % (d.grid_filename, d.id, d.n_childdom, d.nshift, d.grid_uuid.shape[0], d.grid_uuid[0],
       d.number_of_grid_used.shape[0], d.number_of_grid_used[0]))
e, v = d.edges, d.verts
out("edges %d %d elat %.6f verts %d %d vlon %.6f"
    % (e.nedges, e.nblks, e.elat[1, 0], v.nverts, v.nblks, v.vlon[0, 1]))
vi = d.cells.vertex_idx
out("vertex_idx %d %d %d value %d hhl %d %.3f"
    % (vi.shape + (vi[1, 0, 2], d.cells.hhl.shape[1], d.cells.hhl[0, 0, 0])))
out("edges start_index %d interior %d verts end_block %d"
    % (e.start_index.shape[0], e.start_index[0 - g.min_rledge], v.end_block[0 - g.min_rlvert]))
out("timestep %.3f" % comin.descrdata_get_timesteplength(1))
iv = comin.descrdata_get_simulation_interval()
out("exp_start %s" % iv.exp_start)
out("run_stop %s" % iv.run_stop)
out("exp_stop %s" % iv.exp_stop)
out("run_start %s" % iv.run_start)
out("plugin name %s" % info.name)
out("host rank %d comm %d" % (comin.parallel_get_host_mpi_rank(),
                              comin.parallel_get_host_mpi_comm() != -1))
comin.print_debug("not printed: log_debug is off")
comin.print_warning("a warning")
out("index %d %d block %d %d" % (comin.descrdata_get_index(17), comin.descrdata_get_index(-17),
                                 comin.descrdata_get_block(17), comin.descrdata_get_block(1)))
nblks = d.cells.nblks
for jb in range(1, nblks + 1, nblks - 1 if nblks > 2 else 1):
    cs, ce = comin.descrdata_get_cell_indices(1, jb, 1, nblks, g.min_rlcell_int, g.min_rlcell_int)
    es, ee = comin.descrdata_get_edge_indices(1, jb, 1, nblks, 1, 1)
    vs, ve = comin.descrdata_get_vert_indices(1, jb, 1, nblks, 0, 0)
    out("indices block %d cells %d %d edges %d %d verts %d %d" % (jb, cs, ce, es, ee, vs, ve))
out("npromz %d %d %d" % (comin.descrdata_get_cell_npromz(1), comin.descrdata_get_edge_npromz(1),
                         comin.descrdata_get_vert_npromz(1)))
out("glb2loc %d" % comin.descrdata_index_lookup_glb2loc_cell(1, glb[2]))
out("ep name %s" % comin.callback_get_ep_name(comin.EP_ATM_TIMELOOP_END))

/* The equivalence scenario as a C plugin (tests/c_plugins/scenario.py is the
 * same in Python): requests, metadata, var_get with each flag, descriptive
 * data, index helpers, current state.  Every line goes through
 * comin_print_info_f with the same format strings as the Python version. */
#include <stdbool.h>
#include <stddef.h>
#include "comin.h"

static t_comin_var_handle* h_temp = NULL;
static t_comin_var_handle* h_eq = NULL;
static t_comin_var_handle* h_pres = NULL;
static int step = 0;

static void secondary(void) {
  t_comin_var_descriptor temp = {"temp", 1}, eq = {"eqvar", 1}, pres = {"pres", 1};
  t_comin_entry_point ctx_start[] = {EP_ATM_TIMELOOP_START};
  t_comin_entry_point ctx_end[] = {EP_ATM_TIMELOOP_END, EP_ATM_TIMELOOP_START};
  h_temp = comin_var_get(1, ctx_start, temp, COMIN_FLAG_READ);
  h_eq = comin_var_get(2, ctx_end, eq, COMIN_FLAG_READ | COMIN_FLAG_WRITE);
  h_pres = comin_var_get(1, ctx_start, pres, COMIN_FLAG_READ | COMIN_FLAG_SYNC_HALO);
  int shape[5], ds[5], nc;
  comin_var_get_shape(h_temp, shape);
  comin_var_get_dim_semantics(h_temp, ds);
  comin_var_get_ncontained(h_temp, &nc);
  comin_print_info_f("temp shape %d %d %d %d %d", shape[0], shape[1], shape[2], shape[3], shape[4]);
  comin_print_info_f("temp dim_semantics %d %d %d %d %d ncontained %d", ds[0], ds[1], ds[2], ds[3], ds[4], nc);
  t_comin_var_descriptor got;
  comin_var_get_descriptor(h_eq, &got);
  comin_print_info_f("eqvar descriptor %s %d", got.name, got.id);
  int zaxis; double scale; bool flagged; const char* units; int len;
  comin_metadata_get_integer(eq, "zaxis_id", &zaxis);
  comin_metadata_get_real(eq, "scale", &scale);
  comin_metadata_get_logical(eq, "flagged", &flagged);
  comin_metadata_get_character(eq, "units", &units, &len);
  comin_print_info_f("eqvar metadata zaxis_id=%d scale=%.4f flagged=%d units=%.*s", zaxis, scale,
                     (int)flagged, len, units);
  comin_print_info_f("eqvar typeids %d %d %d %d %d", comin_metadata_get_typeid(eq, "zaxis_id"),
                     comin_metadata_get_typeid(eq, "scale"), comin_metadata_get_typeid(eq, "units"),
                     comin_metadata_get_typeid(eq, "flagged"), comin_metadata_get_typeid(eq, "nokey"));
  int n = 0, found = 0;
  t_comin_var_descr_list_iterator* it = comin_var_get_descr_list_head();
  for (; it != NULL; it = comin_var_get_descr_list_next(it)) {
    t_comin_var_descriptor d;
    comin_var_get_descr_list_var_desc(it, &d);
    n++;
    if (d.id == 1 && (d.name[0] == 'e' && d.name[1] == 'q')) found = 1;
  }
  comin_print_info_f("exposed variables %d eqvar listed %d", n, found);
  it = comin_var_get_descr_list_head();          /* early exit: delete the iterator */
  comin_var_descr_list_iterator_delete(&it);
  comin_print_info_f("iterator deleted %d", it == NULL);
  int nkeys = 0;
  t_comin_metadata_iterator* b = comin_metadata_get_iterator_begin(eq);
  t_comin_metadata_iterator* e = comin_metadata_get_iterator_end(eq);
  int has_units = 0;
  for (; !comin_metadata_iterator_compare(b, e); comin_metadata_iterator_next(b)) {
    const char* key = comin_metadata_iterator_get_key(b);
    if (key[0] == 'u' && key[1] == 'n' && key[2] == 'i') has_units = 1;
    nkeys++;
  }
  comin_metadata_iterator_delete(b);
  comin_metadata_iterator_delete(e);
  comin_print_info_f("eqvar keys %d units listed %d", nkeys, has_units);
}

static void timeloop_start(void) {
  const char* s; int len;
  comin_current_get_datetime(&s, &len);
  double* t = comin_var_get_ptr_double(h_temp);
  int shape[5];
  comin_var_get_shape(h_temp, shape);
  /* temp(3, 2, 4) in Fortran order (1-based) */
  size_t idx = 2 + (size_t)shape[0] * (1 + (size_t)shape[1] * 3);
  comin_print_info_f("start %.*s ep %d temp %.6e %.6e", len, s, (int)comin_current_get_ep(), t[0], t[idx]);
  double* eq = comin_var_get_ptr_double(h_eq);
  comin_print_info_f("start eqvar %.3f", eq[5]);
}

static void physics(void) {
  comin_print_info_f("physics domain %d ep %d", comin_current_get_domain_id(), (int)comin_current_get_ep());
}

static void timeloop_end(void) {
  step++;
  double* eq = comin_var_get_ptr_double(h_eq);
  int shape[5];
  comin_var_get_shape(h_eq, shape);
  size_t n = (size_t)shape[0] * shape[1] * shape[2] * shape[3] * shape[4];
  for (size_t i = 0; i < n; i++) eq[i] = step * 10.0 + (double)(i % 7);
  comin_print_info_f("end step %d wrote %zu values", step, n);
}

void comin_main(void) {
  const char* s; int len;
  comin_current_get_plugin_options(&s, &len);
  comin_print_info_f("plugin id %d options '%.*s'", comin_current_get_plugin_id(), len, s);
  t_comin_var_descriptor eq = {"eqvar", -1};
  comin_var_request_add(eq, false);
  comin_metadata_set_integer(eq, "zaxis_id", COMIN_ZAXIS_2D);
  comin_metadata_set_real(eq, "scale", 2.5);
  comin_metadata_set_logical(eq, "flagged", true);
  comin_metadata_set_character(eq, "units", "kg m-2");
  comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary);
  comin_callback_register(EP_ATM_TIMELOOP_START, timeloop_start);
  comin_callback_register(EP_ATM_TIMELOOP_END, timeloop_end);
  comin_callback_register(EP_ATM_PHYSICS_BEFORE, physics);

  int n_dom = comin_descrdata_get_global_n_dom();
  int nproma = comin_descrdata_get_global_nproma();
  double* vct_a; int vsize[1];
  comin_descrdata_get_global_vct_a(&vct_a, vsize);
  comin_print_info_f("global n_dom %d nproma %d vct_a %d %.3f %.3f lrestart %d", n_dom, nproma,
                     vsize[0], vct_a[0], vct_a[vsize[0] - 1], (int)comin_descrdata_get_global_lrestartrun());
  comin_descrdata_get_global_host_revision(&s, &len);
  comin_print_info_f("host_revision '%.*s'", len, s);
  comin_print_info_f("domain nlev %d ncells %d nblks %d", comin_descrdata_get_domain_nlev(1),
                     comin_descrdata_get_domain_cells_ncells(1), comin_descrdata_get_domain_cells_nblks(1));
  double* clon; int csize[2];
  comin_descrdata_get_domain_cells_clon(1, &clon, csize);
  comin_print_info_f("clon %d %d %.6f %.6f", csize[0], csize[1], clon[0], clon[csize[0] + 1]);
  int* start_index; int ssize[1];
  comin_descrdata_get_domain_cells_start_index(1, &start_index, ssize);
  int min_rlcell = comin_descrdata_get_global_min_rlcell();
  int min_rlcell_int = comin_descrdata_get_global_min_rlcell_int();
  comin_print_info_f("start_index %d first %d interior %d", ssize[0], start_index[0],
                     start_index[0 - min_rlcell]);
  int* glb; int gsize[1];
  comin_descrdata_get_domain_cells_glb_index(1, &glb, gsize);
  comin_print_info_f("glb_index %d %d %d", gsize[0], glb[0], glb[gsize[0] - 1]);
  const char* gf; int gflen;
  comin_descrdata_get_domain_grid_filename(1, &gf, &gflen);
  signed char* uuid; int usize[1];
  comin_descrdata_get_domain_grid_uuid(1, &uuid, usize);
  int* used; int nsize[1];
  comin_descrdata_get_domain_number_of_grid_used(1, &used, nsize);
  comin_print_info_f("grid '%.*s' id %d n_childdom %d nshift %d uuid %d %d used %d %d", gflen, gf,
                     comin_descrdata_get_domain_id(1), comin_descrdata_get_domain_n_childdom(1),
                     comin_descrdata_get_domain_nshift(1), usize[0], (int)uuid[0], nsize[0], used[0]);
  double* elat; int esize[2];
  comin_descrdata_get_domain_edges_elat(1, &elat, esize);
  double* vlon; int vsize2[2];
  comin_descrdata_get_domain_verts_vlon(1, &vlon, vsize2);
  comin_print_info_f("edges %d %d elat %.6f verts %d %d vlon %.6f", comin_descrdata_get_domain_edges_nedges(1),
                     comin_descrdata_get_domain_edges_nblks(1), elat[1], comin_descrdata_get_domain_verts_nverts(1),
                     comin_descrdata_get_domain_verts_nblks(1), vlon[vsize2[0]]);
  int* vi; int visize[3];
  comin_descrdata_get_domain_cells_vertex_idx(1, &vi, visize);
  double* hhl; int hsize[3];
  comin_descrdata_get_domain_cells_hhl(1, &hhl, hsize);
  comin_print_info_f("vertex_idx %d %d %d value %d hhl %d %.3f", visize[0], visize[1], visize[2],
                     vi[1 + visize[0] * visize[1] * 2], hsize[1], hhl[0]);
  int* esi; int esisize[1];
  comin_descrdata_get_domain_edges_start_index(1, &esi, esisize);
  int* veb; int vebsize[1];
  comin_descrdata_get_domain_verts_end_block(1, &veb, vebsize);
  comin_print_info_f("edges start_index %d interior %d verts end_block %d", esisize[0],
                     esi[0 - comin_descrdata_get_global_min_rledge()],
                     veb[0 - comin_descrdata_get_global_min_rlvert()]);
  comin_print_info_f("timestep %.3f", comin_descrdata_get_timesteplength(1));
  comin_descrdata_get_simulation_interval_exp_start(&s, &len);
  comin_print_info_f("exp_start %.*s", len, s);
  comin_descrdata_get_simulation_interval_run_stop(&s, &len);
  comin_print_info_f("run_stop %.*s", len, s);
  comin_descrdata_get_simulation_interval_exp_stop(&s, &len);
  comin_print_info_f("exp_stop %.*s", len, s);
  comin_descrdata_get_simulation_interval_run_start(&s, &len);
  comin_print_info_f("run_start %.*s", len, s);
  comin_current_get_plugin_name(&s, &len);
  comin_print_info_f("plugin name %.*s", len, s);
  comin_print_info_f("host rank %d comm %d", comin_parallel_get_host_mpi_rank(),
                     comin_parallel_get_host_mpi_comm() != -1);
  comin_print_debug("not printed: log_debug is off");
  comin_print_warning("a warning");
  comin_print_info_f("index %d %d block %d %d", comin_descrdata_get_index(17), comin_descrdata_get_index(-17),
                     comin_descrdata_get_block(17), comin_descrdata_get_block(1));
  int nblks = comin_descrdata_get_domain_cells_nblks(1);
  for (int jb = 1; jb <= nblks; jb += (nblks > 2 ? nblks - 1 : 1)) {
    int is, ie;
    comin_descrdata_get_cell_indices(1, jb, 1, nblks, &is, &ie, min_rlcell_int, min_rlcell_int);
    int es, ee;
    comin_descrdata_get_edge_indices(1, jb, 1, nblks, &es, &ee, 1, 1);
    int vs, ve;
    comin_descrdata_get_vert_indices(1, jb, 1, nblks, &vs, &ve, 0, 0);
    comin_print_info_f("indices block %d cells %d %d edges %d %d verts %d %d", jb, is, ie, es, ee, vs, ve);
  }
  comin_print_info_f("npromz %d %d %d", comin_descrdata_get_cell_npromz(1), comin_descrdata_get_edge_npromz(1),
                     comin_descrdata_get_vert_npromz(1));
  comin_print_info_f("glb2loc %d", comin_descrdata_index_lookup_glb2loc_cell(1, glb[2]));
  char name[33];
  comin_callback_get_ep_name(EP_ATM_TIMELOOP_END, name);
  comin_print_info_f("ep name %s", name);
}

/* Error paths of the C API.  The plugin's options pick the mode:
 *   "return"          errors_return on: provoke every error reachable from a
 *                     C plugin and print "<what> <code> <neutral value>";
 *   "off <what>"      errors_return off: provoke one error (finish ends the run);
 *   "finish_primary"  comin_plugin_finish in the primary constructor;
 *   "finish_callback" comin_plugin_finish in a callback;
 *   "overwrite"       register two C callbacks at one entry point. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "comin.h"

static char mode[256];
static char what[256];

#define CHECK(name, neutral)                                                     \
  do {                                                                           \
    int code_ = comin_error_get();                                               \
    comin_print_info_f("%s %d %d", name, code_, (int)(neutral));                 \
    comin_error_reset();                                                         \
  } while (0)

static void after_finish_marker(const char* where) {
  comin_print_info_f("NOT REACHED after finish in %s", where);
}

static void provoke(const char* w) {
  t_comin_var_descriptor nosuch = {"nosuch", 1};
  t_comin_entry_point ctx[] = {EP_ATM_TIMELOOP_START};
  if (!strcmp(w, "var_get_notfound")) comin_var_get(1, ctx, nosuch, COMIN_FLAG_READ);
  else if (!strcmp(w, "request_after")) comin_var_request_add(nosuch, false);
  else if (!strcmp(w, "ep_name")) { char n[33]; comin_callback_get_ep_name(666, n); }
  else if (!strcmp(w, "wrong_type")) {
    t_comin_var_descriptor temp = {"temp", 1};
    t_comin_var_handle* h = comin_var_get(1, ctx, temp, COMIN_FLAG_READ);
    comin_var_get_ptr_int(h);
  }
  else if (!strcmp(w, "plugin_comm")) comin_parallel_get_plugin_mpi_comm();
  else if (!strcmp(w, "error_check")) {
    comin_error_set_errors_return(true);
    comin_var_get(1, ctx, nosuch, COMIN_FLAG_READ);
    comin_print_info_f("stored %d", comin_error_get());
    comin_error_check(COMIN_SUCCESS, "ignored");     /* checks the stored code */
  }
  else if (!strcmp(w, "metadata_key")) {
    t_comin_var_descriptor temp = {"temp", 1};
    int v; comin_metadata_get_integer(temp, "nokey", &v);
  }
  after_finish_marker(w);
}

static void secondary(void) {
  if (!strcmp(mode, "off")) { provoke(what); return; }
  if (!strcmp(mode, "finish_callback")) {
    comin_plugin_finish("my_routine", "bye from the callback");
    after_finish_marker("callback");
    return;
  }
  if (strcmp(mode, "return")) return;
  t_comin_var_descriptor temp = {"temp", 1}, nosuch = {"nosuch", 1}, cont = {"container", 1};
  t_comin_entry_point ctx[] = {EP_ATM_TIMELOOP_START};
  t_comin_entry_point bad_ctx[] = {666};
  t_comin_var_handle* h;
  comin_var_request_add(nosuch, false);                    CHECK("request_after_primary", 0);
  comin_metadata_set_integer(temp, "k", 1);                 CHECK("metadata_set_after_primary", 0);
  comin_callback_register(EP_ATM_TIMELOOP_END, secondary); CHECK("register_after_primary", 0);
  h = comin_var_get(1, ctx, nosuch, COMIN_FLAG_READ);       CHECK("var_get_not_found", h != NULL);
  h = comin_var_get(1, bad_ctx, temp, COMIN_FLAG_READ);     CHECK("var_get_bad_ep", h != NULL);
  h = comin_var_get(1, ctx, temp, COMIN_FLAG_READ | COMIN_FLAG_DEVICE);
  CHECK("var_get_device", h != NULL);
  h = comin_var_get(1, ctx, cont, COMIN_FLAG_READ | COMIN_FLAG_SYNC_HALO);
  CHECK("var_get_container_halo", h != NULL);
  int v = 42;
  comin_metadata_get_integer(temp, "nokey", &v);             CHECK("metadata_key_not_found", v);
  comin_metadata_get_integer(nosuch, "units", &v);           CHECK("metadata_var_not_found", v);
  comin_metadata_get_integer(temp, "units", &v);             CHECK("metadata_wrong_type", v);
  int tid = comin_metadata_get_typeid(nosuch, "units");      CHECK("typeid_var_not_found", tid);
  t_comin_metadata_iterator* mi = comin_metadata_get_iterator_begin(nosuch);
  CHECK("metadata_iterator_var_not_found", mi != NULL);
  h = comin_var_get(1, ctx, temp, COMIN_FLAG_READ);         CHECK("var_get_ok", h == NULL);
  int* ip = comin_var_get_ptr_int(h);                       CHECK("ptr_int_of_double", ip != NULL);
  float* fp = comin_var_get_ptr_float(h);                   CHECK("ptr_float_of_double", fp != NULL);
  double* dp = comin_var_get_device_ptr_double(h);          CHECK("device_ptr_double", dp != NULL);
  void* vdp = comin_var_get_device_ptr(h);                  CHECK("device_ptr", vdp != NULL);
  float* fdp = comin_var_get_device_ptr_float(h);           CHECK("device_ptr_float_of_double", fdp != NULL);
  int* dip = comin_var_get_device_ptr_int(h);               CHECK("device_ptr_int_of_double", dip != NULL);
  void* np = comin_var_get_ptr(NULL);                       CHECK("ptr_of_null", np != NULL);
  int shape[5] = {7, 7, 7, 7, 7};
  comin_var_get_shape(NULL, shape);                         CHECK("shape_of_null", shape[0]);
  char name[33] = "unchanged";
  comin_callback_get_ep_name(666, name);                    CHECK("ep_name_unknown", name[0] == 'u');
  double dt = comin_descrdata_get_timesteplength(7);        CHECK("timestep_not_set", dt);
  int nlev = comin_descrdata_get_domain_nlev(5);            CHECK("domain_not_set", nlev);
  int ncells = comin_descrdata_get_domain_cells_ncells(5);  CHECK("domain_cells_not_set", ncells);
  const char* s = NULL; int len = -5;
  comin_descrdata_get_global_device_name(&s, &len);         CHECK("global_string_ok", len);
  int is = -9, ie = -9;
  comin_descrdata_get_cell_indices(5, 1, 1, 2, &is, &ie, 0, 0); CHECK("cell_indices_domain", is);
  comin_current_get_plugin_comm(&s, &len);                  CHECK("plugin_comm_ok", len);
  bool lc = comin_var_get_lcontainer(NULL);                  CHECK("lcontainer_of_null", lc);
  bool er = false, ld = true, li = false, lw = false;       /* comin extensions */
  comin_current_get_plugin_flags(&er, &ld, &li, &lw);
  CHECK("plugin_flags_ok", er && !ld && li && lw);
  comin_print_info_f("errors_return test done");
}

static void timeloop(void) { comin_print_info_f("timeloop %s", mode); }
static void first(void) { comin_print_info_f("first callback"); }
static void second(void) { comin_print_info_f("second callback"); }

void comin_main(void) {
  const char* s; int len;
  comin_current_get_plugin_options(&s, &len);
  snprintf(mode, sizeof(mode), "%.*s", len, s);
  char* space = strchr(mode, ' ');
  what[0] = 0;
  if (space) { *space = 0; snprintf(what, sizeof(what), "%s", space + 1); }
  if (!strcmp(mode, "finish_primary")) {
    comin_plugin_finish("my_routine", "bye from the primary constructor");
    after_finish_marker("primary");
    return;
  }
  if (!strcmp(mode, "overwrite")) {
    comin_callback_register(EP_ATM_TIMELOOP_START, first);
    comin_callback_register(EP_ATM_TIMELOOP_START, second);
    return;
  }
  if (!strcmp(mode, "off") && !strcmp(what, "register_unknown_ep")) {
    comin_callback_register(666, timeloop);
    after_finish_marker(what);
  }
  if (!strcmp(mode, "off") && !strcmp(what, "tracer_one_domain")) {
    t_comin_var_descriptor d = {"tr", 1};
    comin_var_request_add(d, false);
    comin_metadata_set_logical(d, "tracer", true);
    after_finish_marker(what);
  }
  comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary);
  comin_callback_register(EP_ATM_TIMELOOP_START, timeloop);
  if (strcmp(mode, "return")) return;

  comin_error_set_errors_return(true);
  t_comin_var_descriptor temp = {"temp", 1}, x = {"cx", 1}, xall = {"cxall", -1}, nosuch = {"nosuch", 1};
  t_comin_entry_point ctx[] = {EP_ATM_TIMELOOP_START};
  t_comin_var_handle* h = comin_var_get(1, ctx, temp, COMIN_FLAG_READ);
  CHECK("var_get_in_primary", h != NULL);
  int v = 42;
  comin_metadata_get_integer(temp, "zaxis_id", &v);          CHECK("metadata_get_in_primary", v);
  int tid = comin_metadata_get_typeid(temp, "zaxis_id");     CHECK("typeid_in_primary", tid);
  comin_metadata_set_integer(nosuch, "k", 1);                CHECK("metadata_set_not_requested", 0);
  comin_var_request_add(x, true);                            CHECK("request_exclusive_ok", 0);
  comin_var_request_add(x, false);                           CHECK("request_exists_is_exclusive", 0);
  comin_var_request_add(xall, false);                        CHECK("request_all_ok", 0);
  comin_var_request_add(xall, true);                         CHECK("request_exclusive_of_existing", 0);
  comin_metadata_set_logical(x, "tracer", true);             CHECK("tracer_not_for_all_domains", 0);
  comin_metadata_set_integer(xall, "k", 1);                  CHECK("metadata_set_ok", 0);
  comin_metadata_set_real(xall, "k", 1.5);                   CHECK("metadata_inconsistent_type", 0);
  comin_callback_register(666, timeloop);                    CHECK("register_unknown_ep", 0);
  comin_callback_register(EP_ATM_TIMELOOP_END, NULL);        CHECK("register_null", 0);
  char cat[11], msg[96];
  comin_error_get_message(COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND, cat, msg);
  comin_print_info_f("message '%s' '%s'", cat, msg);
  comin_error_get_message(COMIN_ERROR_FATAL, cat, msg);
  comin_print_info_f("message '%s' '%s'", cat, msg);
}

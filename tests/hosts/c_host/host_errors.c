/* Host-side bad input through comin_host.h: each case prints the ComIn error code it got.
 *   host_errors codes     errors_return on: one line "<case> <code> <CATEGORY>" per case
 *   host_errors handler   errors_return off: an entry point id out of range ends the run
 *                         through the host's error handler
 *   host_errors nohandler no error handler: comin prints the message and exits with 1
 *   host_errors early     a call before comin_setup_init */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comin_host.h"

static void handler(const char* routine, const char* text) {
  printf("handler: %s: %s\n", routine, text);
  fflush(stdout);
  exit(7);
}

static void report(const char* what) {
  char cat[11], msg[96];
  t_comin_error_code code = comin_error_get();
  comin_error_get_message(code, cat, msg);
  printf("%s %d %s\n", what, (int)code, cat);
  comin_error_reset();
}

static t_comin_var_descriptor descr(const char* n, int jg) {
  t_comin_var_descriptor d;
  memset(&d, 0, sizeof d);
  strncpy(d.name, n, COMIN_MAX_LEN_VAR_NAME);
  d.id = jg;
  return d;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* mode = argc > 1 ? argv[1] : "codes";
  if (strcmp(mode, "early") == 0) {
    comin_descrdata_set_int(0, "n_dom", 1);
    printf("not reached\n");
    return 0;
  }
  comin_setup_init(true);
  if (strcmp(mode, "nohandler") == 0) {
    comin_setup_check("host_errors", sizeof(double));
    printf("not reached\n");
    return 0;
  }
  if (strcmp(mode, "handler") == 0) {
    comin_setup_errhandler(handler);
    comin_setup_check("host_errors", sizeof(double));
    comin_descrdata_set_int(0, "n_dom", 1);
    comin_plugin_primaryconstructor(NULL, 0);
    comin_callback_context_call((t_comin_entry_point)99, -1, false);
    printf("not reached\n");
    return 0;
  }
  comin_error_set_errors_return(true);
  comin_setup_check("host_errors", sizeof(double));
  report("check_without_handler");
  comin_setup_errhandler(NULL);
  report("null_handler");
  comin_setup_errhandler(handler);
  comin_setup_check("host_errors", 4);
  report("wrong_precision");
  comin_setup_check("host_errors", sizeof(double));
  report("check_ok");
  comin_setup_init(true);
  report("init_twice");
  comin_descrdata_set_timesteplength(1, 60.0);
  report("timestep_before_n_dom");
  comin_plugin_primaryconstructor(NULL, 0);
  report("primary_without_n_dom");
  comin_descrdata_set_int(0, "no_such_field", 1);
  report("unknown_field");
  comin_descrdata_set_real(0, "n_dom", 1.5);
  report("wrong_field_type");
  comin_descrdata_set_int(0, "n_dom", 1);
  comin_descrdata_set_int(0, "nproma", 4);
  report("descrdata_ok");
  comin_callback_context_call(EP_ATM_TIMELOOP_START, -1, false);
  report("ep_before_primary_is_a_no_op");
  comin_plugin_primaryconstructor(NULL, 0);
  report("primary_ok");
  comin_plugin_primaryconstructor(NULL, 0);
  report("primary_twice");
  comin_parallel_mpi_handshake(0, 0, NULL, "atmo");
  report("handshake_after_primary");
  double a[8] = {0};
  int shape[5] = {4, 2, 1, 1, 1};
  int ds[5] = {COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNUSED,
               COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED};
  t_comin_var_handle* h = comin_var_list_append(descr("f", 1), a, NULL, shape, COMIN_VAR_DATATYPE_DOUBLE, ds, false, 0);
  report(h != NULL ? "append_ok" : "append_failed");
  h = comin_var_list_append(descr("f", 1), a, NULL, shape, COMIN_VAR_DATATYPE_DOUBLE, ds, false, 0);
  report(h == NULL ? "append_twice" : "append_twice_returned_a_handle");
  comin_var_list_append(descr("g", 1), NULL, NULL, shape, COMIN_VAR_DATATYPE_DOUBLE, ds, false, 0);
  report("append_null_pointer");
  comin_var_list_append(descr("g", 1), a, NULL, shape, 9, ds, false, 0);
  report("append_bad_type_id");
  comin_metadata_set_integer(descr("nothere", 1), "zaxis_id", 1);
  report("metadata_on_unknown_variable");
  comin_metadata_set_integer(descr("f", 1), "units", 1);
  comin_metadata_set_character(descr("f", 1), "units", "K");
  report("metadata_type_change");
  t_comin_var_descriptor d;
  comin_request_get_descriptor(1, &d);
  report("request_out_of_range");
  comin_callback_context_call((t_comin_entry_point)99, -1, false);
  report("ep_id_out_of_range");
  comin_callback_context_call(EP_ATM_TIMELOOP_START, 5, false);
  report("domain_out_of_range");
  comin_callback_context_call(EP_ATM_TIMELOOP_START, 1, false);
  report("ep_ok");
  comin_setup_finalize();
  report("finalize_ok");
  comin_setup_finalize();
  report("finalize_twice");
  return 0;
}

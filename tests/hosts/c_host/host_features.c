/* The rest of comin_host.h from C: device pointers, re-pointing a variable
 * (comin_var_set_cptr), the host's halo and device synchronisation functions,
 * verbosity, request metadata and plugin ids.  Prints one line per observation;
 * tests/test_hosts.py checks them.
 *   host_features PLUGIN_SCRIPT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comin_host.h"

static void handler(const char* routine, const char* text) {
  printf("handler: %s: %s\n", routine, text);
  exit(7);
}

static void descr_of(t_comin_var_handle* h, char* out) {
  t_comin_var_descriptor d;
  comin_var_get_descriptor(h, &d);
  sprintf(out, "%s(%d)", d.name, d.id);
}

static void halo(t_comin_var_handle* h, int mode) {
  char d[80];
  descr_of(h, d);
  printf("host: halo %s mode %d\n", d, mode);
}

static void device(t_comin_var_handle* h, bool direction) {
  char d[80];
  descr_of(h, d);
  printf("host: device sync %s %s\n", d, direction ? "host->device" : "device->host");
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  char opts1[1024], opts2[1024];
  snprintf(opts1, sizeof opts1, "%s main", argv[1]);
  snprintf(opts2, sizeof opts2, "%s second", argv[1]);
  t_comin_plugin_description plugins[2] = {
      {"main", "libpython_adapter.so", NULL, opts1, NULL, false, true, true},
      {"second", "libpython_adapter.so", NULL, opts2, NULL, false, true, true}};
  comin_setup_init(true);
  comin_setup_errhandler(handler);
  comin_setup_set_verbosity_level(13);
  printf("host: verbosity %d\n", comin_setup_get_verbosity_level());
  comin_setup_set_verbosity_level(0);
  comin_setup_check("host_features", sizeof(double));
  comin_descrdata_set_int(0, "n_dom", 1);
  comin_descrdata_set_int(0, "nproma", 4);
  comin_var_set_sync_halo(halo);
  comin_var_set_sync_device_mem(device);
  comin_plugin_primaryconstructor(plugins, 2);

  int n = comin_request_get_list_size();
  for (int i = 1; i <= n; i++) {
    t_comin_var_descriptor d;
    comin_request_get_descriptor(i, &d);
    int ids[4];
    int nids = comin_request_get_plugin_ids(i, ids, 4);
    const char* units;
    int len;
    comin_request_metadata_get_or_character(i, "units", "none", &units, &len);
    printf("host: request %s(%d) exclusive %d plugins %d:", d.name, d.id, (int)comin_request_get_lmodexclusive(i), nids);
    for (int k = 0; k < nids; k++) printf(" %d", ids[k]);
    printf(" units %.*s real %.2f\n", len, units, comin_request_metadata_get_or_real(i, "scale", -1.0));
    comin_error_set_errors_return(true);
    int v = comin_request_metadata_get_or_integer(i, "units", 42);
    printf("host: units as integer: error %d value %d\n", (int)comin_error_get(), v);
    comin_error_reset();
    comin_error_set_errors_return(false);
  }

  static double a[8], b[8];
  for (int i = 0; i < 8; i++) { a[i] = 1.0; b[i] = 2.0; }
  int shape[5] = {4, 2, 1, 1, 1};
  int ds[5] = {COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNUSED,
               COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED};
  t_comin_var_descriptor f = {"f", 1};
  void* dev = (void*)0x1000;   /* a device address: never dereferenced on the host */
  t_comin_var_handle* h = comin_var_list_append(f, a, dev, shape, COMIN_VAR_DATATYPE_DOUBLE, ds, false, 0);
  comin_metadata_set_integer(f, "zaxis_id", COMIN_ZAXIS_2D);
  printf("host: device pointer %p host pointer is a %d\n", comin_var_get_device_ptr(h),
         comin_var_get_ptr_double(h) == a);
  t_comin_var_descriptor s = {"shared", 1};
  static double c[8];
  comin_var_list_append(s, c, NULL, shape, COMIN_VAR_DATATYPE_DOUBLE, ds, false, 0);

  comin_callback_context_call(EP_SECONDARY_CONSTRUCTOR, -1, false);
  comin_callback_context_call(EP_ATM_TIMELOOP_START, 1, false);
  comin_var_set_cptr(h, b, NULL);     /* time-level swap */
  printf("host: swapped, host pointer is b %d\n", comin_var_get_ptr_double(h) == b);
  comin_callback_context_call(EP_ATM_TIMELOOP_START, 1, false);
  comin_callback_context_call(EP_ATM_PHYSICS_BEFORE, 1, true);
  printf("host: b[0] after the plugin wrote %.1f, a[0] %.1f\n", b[0], a[0]);
  comin_callback_context_call(EP_DESTRUCTOR, -1, false);
  comin_setup_finalize();
  return 0;
}

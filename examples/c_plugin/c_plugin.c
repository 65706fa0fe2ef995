/* A C plugin for comin (ComIn 0.3's C API).
 *
 * It requests a 2-D variable "t2m_celsius", reads the host's temperature
 * "temp" every time step, writes its lowest level in degrees Celsius into
 * the requested field (host memory, no copy) and prints the warmest cell.
 *
 * Build (see CMakeLists.txt):
 *   cmake -S examples/c_plugin -B build -Dcomin_DIR=$(python -c 'import comin; print(comin.get_cmake_dir())')
 *   cmake --build build
 * or:  gcc -shared -fPIC $(comin-config --cflags) c_plugin.c $(comin-config --libs) -o libc_plugin.so
 * Run:  comin run --steps 3 "build/libc_plugin.so"
 */
#include <stdbool.h>
#include <stddef.h>

#include "comin.h"

static t_comin_var_handle* temp = NULL;
static t_comin_var_handle* t2m = NULL;
static int ncells = 0, nproma = 0;

static void secondary_constructor(void) {
  t_comin_entry_point at[] = {EP_ATM_TIMELOOP_END};
  t_comin_var_descriptor temp_d = {"temp", 1}, t2m_d = {"t2m_celsius", 1};
  temp = comin_var_get(1, at, temp_d, COMIN_FLAG_READ);
  t2m = comin_var_get(1, at, t2m_d, COMIN_FLAG_WRITE);
}

static void timeloop_end(void) {
  int ts[5], os[5];
  comin_var_get_shape(temp, ts);        /* (nproma, nlev, nblks, 1, 1), Fortran order */
  comin_var_get_shape(t2m, os);         /* (nproma, nblks, 1, 1, 1) */
  const double* t = comin_var_get_ptr_double(temp);
  double* out = comin_var_get_ptr_double(t2m);
  int nlev = ts[1];
  double warmest = -1e300;
  int where = 0;
  for (int j = 1; j <= ncells; j++) {    /* ICON's 1-based unblocked index */
    int jc = comin_descrdata_get_index(j) - 1, jb = comin_descrdata_get_block(j) - 1;
    double value = t[jc + (size_t)ts[0] * ((nlev - 1) + (size_t)ts[1] * jb)] - 273.15;
    out[jc + (size_t)os[0] * jb] = value;
    if (value > warmest) { warmest = value; where = j; }
  }
  const char* now; int len;
  comin_current_get_datetime(&now, &len);
  comin_print_info_f("%.*s warmest cell %d: %.2f C", len, now, where, warmest);
}

void comin_main(void) {
  t_comin_var_descriptor t2m_d = {"t2m_celsius", -1};
  comin_var_request_add(t2m_d, false);
  comin_metadata_set_integer(t2m_d, "zaxis_id", COMIN_ZAXIS_2D);
  comin_metadata_set_character(t2m_d, "units", "degC");
  ncells = comin_descrdata_get_domain_cells_ncells(1);
  nproma = comin_descrdata_get_global_nproma();
  comin_print_info_f("domain 1: %d cells, nproma %d", ncells, nproma);
  comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary_constructor);
  comin_callback_register(EP_ATM_TIMELOOP_END, timeloop_end);
}

/* C plugin of the ICON-style host (tests/hosts/fortran_host/icon_host.F90), written in
 * ComIn 0.3's idiom (const pointers of the descriptive-data getters): prints at every
 * time-loop start the fields icon_probe.py and f_icon_probe.F90 print. */
#include <stdio.h>

#include <comin.h>

static const char* name_of(void) {
  const char* name;
  int len;
  comin_current_get_plugin_name(&name, &len);
  return name;
}

static void domain_line(void) {
  const double *area, *clon;
  const int* decomp;
  int n_area[2], n_clon[2], n_decomp[2], owned = 0;  /* the extents of the 2-D arrays */
  double area_sum = 0.0, clon_sum = 0.0;
  comin_descrdata_get_domain_cells_area(1, &area, n_area);
  comin_descrdata_get_domain_cells_clon(1, &clon, n_clon);
  comin_descrdata_get_domain_cells_decomp_domain(1, &decomp, n_decomp);
  for (int i = 0; i < n_area[0] * n_area[1]; ++i) area_sum += area[i];
  for (int i = 0; i < n_clon[0] * n_clon[1]; ++i) clon_sum += clon[i];
  for (int i = 0; i < n_decomp[0] * n_decomp[1]; ++i) owned += decomp[i] >= 0;
  const char* dt;
  int dt_len;
  comin_current_get_datetime(&dt, &dt_len);
  printf("%s: %.*s domain 1 nshift=%d ncells=%d area_sum=%.1f owned=%d clon_sum=%.1f\n",
         name_of(), dt_len, dt, comin_descrdata_get_domain_nshift(1),
         comin_descrdata_get_domain_cells_ncells(1), area_sum, owned, clon_sum);
  fflush(stdout);
}

void comin_main(void) {
  comin_callback_register(EP_ATM_TIMELOOP_START, domain_line);
}

/* ComIn 0.3's C idioms that 0.2's header would not take and comin.h must (compiled with
 * gcc -Wall -Werror and g++ -Wall -Werror beside v02.c): const pointers of the
 * descriptive-data getters, a t_comin_entry_point context, typed handles and iterators,
 * the printf-style printing.  Not run: compiling is the test. */
#include <comin.h>
#include <string.h>

void v03_idioms(void) {
  const int* glb;
  int glb_size[1];
  comin_descrdata_get_domain_cells_glb_index(1, &glb, glb_size);
  const double* area;
  int area_size[2];
  comin_descrdata_get_domain_cells_area(1, &area, area_size);
  const signed char* uuid;
  int uuid_size[1];
  comin_descrdata_get_domain_grid_uuid(1, &uuid, uuid_size);
  const char* name;
  int len;
  comin_descrdata_get_domain_grid_filename(1, &name, &len);
  t_comin_var_descriptor d = {.id = 1};
  strncpy(d.name, "pres", COMIN_MAX_LEN_VAR_NAME);
  t_comin_entry_point context[1] = {EP_ATM_WRITE_OUTPUT_BEFORE};
  t_comin_var_handle* h = comin_var_get(1, context, d, COMIN_FLAG_READ);
  double* p = comin_var_get_ptr_double(h);
  t_comin_var_descr_list_iterator* it = comin_var_get_descr_list_head();
  comin_var_descr_list_iterator_delete(&it);
  t_comin_metadata_iterator* m = comin_metadata_get_iterator_begin(d);
  comin_metadata_iterator_delete(m);
  comin_print_info_f("%d %f %f %d %d %s", glb[0], area[0], p[0], uuid[0], len, name);
}

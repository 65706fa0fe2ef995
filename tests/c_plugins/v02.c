/* A C plugin in ComIn 0.2's idiom (vruggiero/ICON externals/comin/plugins/simple_c of
 * 0.2): struct t_comin_var_descriptor, MAX_LEN_EP_NAME, COMIN_TYPEID_*, an int array as
 * the context of comin_var_get, void* handles, comin_var_get_ptr as double*,
 * comin_var_get_pos, comin_var_to_3d, the non-const int** / double** of the descriptive
 * data getters, CALLBACK_PTR.  It compiles unchanged (gcc -Wall -Werror) against the same
 * comin.h as ComIn 0.3 code (v03_idioms.c) and runs in the emulator. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <comin.h>

static void* pres;
static void* tracer;

static void secondary(void) {
  struct t_comin_var_descriptor pres_d = {.name = "pres", .id = 1};
  int context = EP_ATM_WRITE_OUTPUT_BEFORE;
  pres = comin_var_get(1, &context, pres_d, COMIN_FLAG_READ);
  struct t_comin_var_descriptor tracer_d = {.name = "v02_tracer", .id = 1};
  tracer = comin_var_get(1, &context, tracer_d, COMIN_FLAG_WRITE);
  int jc, jk, jb, jn;
  comin_var_get_pos(pres, &jc, &jk, &jb, &jn);
  fprintf(stderr, "v02c pres pos %d %d %d %d\n", jc, jk, jb, jn);
  int n = 0, zaxis_type = -9;
  for (void* it = comin_var_get_descr_list_head(); it != NULL; it = comin_var_get_descr_list_next(it)) {
    struct t_comin_var_descriptor d;
    comin_var_get_descr_list_var_desc(it, &d);
    if (strcmp(d.name, "pres") == 0 && d.id == 1) zaxis_type = comin_metadata_get_typeid(d, "zaxis_id");
    ++n;
  }
  fprintf(stderr, "v02c listed more than 10: %d, zaxis_id is an integer: %d\n", n > 10,
          zaxis_type == COMIN_TYPEID_INTEGER);
}

static void before_output(void) {
  int shape[5];
  comin_var_get_shape(tracer, shape);
  double* t = comin_var_to_3d(tracer);
  double* p = comin_var_get_ptr(pres);
  for (int i = 0; i < shape[0] * shape[1] * shape[2]; ++i) t[i] = p[i] / 2.0;
  int* glb;
  int glb_size[1];
  comin_descrdata_get_domain_cells_glb_index(1, &glb, glb_size);
  double* vct_a;
  int nvct[1];
  comin_descrdata_get_global_vct_a(&vct_a, nvct);
  fprintf(stderr, "v02c tracer[0] = pres[0] / 2: %d, glb_index[0] %d of %d, vct_a %d\n",
          t[0] == p[0] / 2.0, glb[0], glb_size[0], nvct[0]);
}

void comin_main(void) {
  char ep_name[MAX_LEN_EP_NAME + 1];
  comin_callback_get_ep_name(EP_DESTRUCTOR, ep_name);
  fprintf(stderr, "v02c verbosity %d, %s, flag none %d\n", comin_setup_get_verbosity_level(),
          ep_name, FLAG_NONE);
  struct t_comin_var_descriptor tracer_d = {.name = "v02_tracer", .id = -1};
  comin_var_request_add(tracer_d, false);
  comin_metadata_set_logical(tracer_d, "tracer", true);
  CALLBACK_PTR cb = secondary;
  comin_callback_register(EP_SECONDARY_CONSTRUCTOR, cb);
  comin_callback_register(EP_ATM_WRITE_OUTPUT_BEFORE, before_output);
}

/* C probe plugin of the scale hosts (tests/hosts): requests a 2-D counter per domain,
 * counts the integrate steps into it, prints what it sees (each line flushed, so the
 * order with Python output is the same in every host). */
#include <stdio.h>
#include <string.h>

#include "comin.h"

static t_comin_var_handle* counter[3];
static t_comin_var_handle* pres[3];
static char name[COMIN_MAX_LEN_PLUGIN_NAME + 1];

#define SAY(...) do { printf("%s: ", name); printf(__VA_ARGS__); printf("\n"); fflush(stdout); } while (0)

static t_comin_var_descriptor descr(const char* n, int jg) {
  t_comin_var_descriptor d;
  memset(&d, 0, sizeof d);
  strncpy(d.name, n, COMIN_MAX_LEN_VAR_NAME);
  d.id = jg;
  return d;
}

static void secondary(void) {
  for (int jg = 1; jg <= 2; jg++) {
    t_comin_entry_point ctx[1] = {EP_ATM_INTEGRATE_END};
    counter[jg] = comin_var_get(1, ctx, descr("c_counter", jg), COMIN_FLAG_READ | COMIN_FLAG_WRITE);
    t_comin_entry_point ctx2[1] = {EP_ATM_WRITE_OUTPUT_BEFORE};
    pres[jg] = comin_var_get(1, ctx2, descr("pres_sfc", jg), COMIN_FLAG_READ);
    int shape[5];
    comin_var_get_shape(counter[jg], shape);
    const char* units;
    int len;
    comin_metadata_get_character(descr("pres_sfc", jg), "units", &units, &len);
    SAY("secondary: c_counter(%d) shape %d %d %d %d %d, pres_sfc units %.*s", jg, shape[0], shape[1],
        shape[2], shape[3], shape[4], len, units);
  }
}

static void integrate_end(void) {
  int jg = comin_current_get_domain_id();
  int shape[5];
  comin_var_get_shape(counter[jg], shape);
  double* c = comin_var_get_ptr_double(counter[jg]);
  long n = (long)shape[0] * shape[1] * shape[2] * shape[3] * shape[4];
  for (long i = 0; i < n; i++) c[i] += 1.0;
  const char* dt;
  int len;
  comin_current_get_datetime(&dt, &len);
  SAY("integrate end domain %d at %.*s counter[0] %.1f", jg, len, dt, c[0]);
}

static void output(void) {
  for (int jg = 1; jg <= 2; jg++) {
    int shape[5];
    comin_var_get_shape(pres[jg], shape);
    double* p = comin_var_get_ptr_double(pres[jg]);
    double s = 0.0;
    for (long i = 0; i < (long)shape[0] * shape[1]; i++) s += p[i];
    SAY("output pres_sfc(%d) sum %.1f", jg, s);
  }
}

static void destructor(void) { SAY("destructor"); }

static void finish(void) { SAY("EP_FINISH"); }

void comin_main(void) {
  const char* n;
  int len;
  comin_current_get_plugin_name(&n, &len);
  snprintf(name, sizeof name, "%.*s", len, n);
  const char* opts;
  comin_current_get_plugin_options(&opts, &len);
  SAY("primary constructor id %d options '%.*s' nproma %d n_dom %d", comin_current_get_plugin_id(), len, opts,
      comin_descrdata_get_global_nproma(), comin_descrdata_get_global_n_dom());
  for (int jg = 1; jg <= 2; jg++) {
    comin_var_request_add(descr("c_counter", jg), false);
    comin_metadata_set_integer(descr("c_counter", jg), "zaxis_id", COMIN_ZAXIS_2D);
    comin_metadata_set_character(descr("c_counter", jg), "units", "steps");
  }
  comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary);
  comin_callback_register(EP_ATM_INTEGRATE_END, integrate_end);
  comin_callback_register(EP_ATM_WRITE_OUTPUT_BEFORE, output);
  comin_callback_register(EP_DESTRUCTOR, destructor);
  comin_callback_register(EP_FINISH, finish);
}

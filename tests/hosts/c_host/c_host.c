/* A scale C host modelled on how ICON uses ComIn: two domains with a small
 * grid, a few fields (3-D temperature, 2-D surface pressure, a tracer
 * container with two tracers), the requests of the plugins allocated and
 * exposed, a time loop with entry points per domain.
 *
 *   c_host [--steps N] [--errors-return-probe] PLUGIN...
 *   PLUGIN = "name[@comm];library;options"  (library libpython_adapter.so: a Python plugin)
 *
 * tests/hosts/py_host.py is the same host written against comin.host.Host; both print
 * the same lines (tests/test_hosts.py compares them).  Field values are integers or
 * halves so that sums are exact in any order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comin_host.h"

#define NPROMA 4
#define NLEV 3
#define NDOM 2
#define MAXVARS 32

static const int ncells[NDOM] = {10, 6};

typedef struct {
  int jg, nblks;
  double* temp;       /* (nproma, nlev, nblks) */
  double* pres_sfc;   /* (nproma, nblks) */
  double* tracers;    /* (nproma, nlev, nblks, 1, 2): qv, qc */
} domain_t;

typedef struct {
  t_comin_var_descriptor d;
  void* data;
  int type_id, zaxis;
  long n;
} extra_t;

static domain_t dom[NDOM];
static extra_t extra[MAXVARS];
static int nextra = 0;

static void errhandler(const char* routine, const char* text) {
  printf("host: finish called by %s: %s\n", routine, text);
  comin_callback_context_call(EP_FINISH, COMIN_DOMAIN_OUTSIDE_LOOP, false);
  exit(3);
}

static int glb2loc(int jg, int glb) { return (glb >= 1 && glb <= ncells[jg - 1]) ? glb : -1; }

static double sum(const double* a, long n) {
  double s = 0.0;
  for (long i = 0; i < n; i++) s += a[i];
  return s;
}

static void set_descrdata(void) {
  comin_descrdata_set_int(0, "n_dom", NDOM);
  comin_descrdata_set_int(0, "max_dom", NDOM);
  comin_descrdata_set_int(0, "nproma", NPROMA);
  comin_descrdata_set_int(0, "wp", 8);
  comin_descrdata_set_logical(0, "lrestartrun", false);
  comin_descrdata_set_character(0, "host_revision", "c-host-1");
  double vct_a[NLEV + 1] = {30000.0, 20000.0, 10000.0, 0.0};
  int n = NLEV + 1;
  comin_descrdata_set_array_double(0, "vct_a", vct_a, 1, &n);
  for (int jg = 1; jg <= NDOM; jg++) {
    int nc = ncells[jg - 1], nblks = (nc + NPROMA - 1) / NPROMA;
    char fname[64];
    snprintf(fname, sizeof fname, "grid_dom%d.nc", jg);
    comin_descrdata_set_character(jg, "grid_filename", fname);
    comin_descrdata_set_int(jg, "id", jg);
    comin_descrdata_set_int(jg, "nlev", NLEV);
    comin_descrdata_set_int(jg, "n_childdom", jg < NDOM ? 1 : 0);
    comin_descrdata_set_real(jg, "dom_start", 0.0);
    comin_descrdata_set_real(jg, "dom_end", 3600.0);
    comin_descrdata_set_int(jg, "cells.ncells", nc);
    comin_descrdata_set_int(jg, "cells.ncells_global", nc);
    comin_descrdata_set_int(jg, "cells.nblks", nblks);
    int shape[2] = {NPROMA, nblks};
    int glb[64];
    double clon[64];
    for (int i = 0; i < NPROMA * nblks; i++) {
      glb[i] = i < nc ? i + 1 : 0;
      clon[i] = 0.25 * i - jg;
    }
    comin_descrdata_set_array_int(jg, "cells.glb_index", glb, 1, &nc);
    comin_descrdata_set_array_double(jg, "cells.clon", clon, 2, shape);
    comin_descrdata_set_timesteplength(jg, 60.0 / jg);
  }
  comin_descrdata_set_simulation_interval("2026-01-01T00:00:00", "2026-01-01T01:00:00",
                                          "2026-01-01T00:00:00", "2026-01-01T00:03:00");
  comin_descrdata_set_fct_glb2loc_cell(glb2loc);
}

static const int ds3d[5] = {COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL, COMIN_DIM_SEMANTICS_BLOCK,
                            COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED};
static const int ds2d[5] = {COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNUSED,
                            COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED};
static const int dscont[5] = {COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL, COMIN_DIM_SEMANTICS_BLOCK,
                              COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_CONTAINER};

static t_comin_var_descriptor descr(const char* name, int jg) {
  t_comin_var_descriptor d;
  memset(&d, 0, sizeof d);
  strncpy(d.name, name, COMIN_MAX_LEN_VAR_NAME);
  d.id = jg;
  return d;
}

static void expose_host_fields(domain_t* D) {
  int jg = D->jg, nb = D->nblks;
  long n3 = (long)NPROMA * NLEV * nb, n2 = (long)NPROMA * nb;
  int s3[5] = {NPROMA, NLEV, nb, 1, 1}, s2[5] = {NPROMA, nb, 1, 1, 1}, sc[5] = {NPROMA, NLEV, nb, 1, 2};
  t_comin_var_descriptor d = descr("temp", jg);
  comin_var_list_append(d, D->temp, NULL, s3, COMIN_VAR_DATATYPE_DOUBLE, ds3d, false, 0);
  comin_metadata_set_character(d, "units", "K");
  comin_metadata_set_integer(d, "zaxis_id", COMIN_ZAXIS_3D);
  d = descr("pres_sfc", jg);
  comin_var_list_append(d, D->pres_sfc, NULL, s2, COMIN_VAR_DATATYPE_DOUBLE, ds2d, false, 0);
  comin_metadata_set_character(d, "units", "Pa");
  comin_metadata_set_integer(d, "zaxis_id", COMIN_ZAXIS_2D);
  d = descr("container", jg);
  comin_var_list_append(d, D->tracers, NULL, sc, COMIN_VAR_DATATYPE_DOUBLE, dscont, true, 2);
  const char* names[2] = {"qv", "qc"};
  for (int k = 0; k < 2; k++) {
    d = descr(names[k], jg);
    comin_var_list_append(d, D->tracers + k * n3, NULL, s3, COMIN_VAR_DATATYPE_DOUBLE, dscont, false, k + 1);
    comin_metadata_set_logical(d, "tracer", true);
  }
  (void)n2;
}

/* ICON allocates what the plugins requested and exposes it with the request's metadata */
static void expose_requests(void) {
  int n = comin_request_get_list_size();
  printf("host: %d requests\n", n);
  for (int i = 1; i <= n; i++) {
    extra_t* e = &extra[nextra++];
    comin_request_get_descriptor(i, &e->d);
    int ids[8];
    int nids = comin_request_get_plugin_ids(i, ids, 8);
    e->zaxis = comin_request_metadata_get_or_integer(i, "zaxis_id", COMIN_ZAXIS_3D);
    e->type_id = comin_request_metadata_get_or_integer(i, "datatype", COMIN_VAR_DATATYPE_DOUBLE);
    bool tracer = comin_request_metadata_get_or_logical(i, "tracer", false);
    const char* units;
    int ulen;
    comin_request_metadata_get_or_character(i, "units", "1", &units, &ulen);
    int nb = dom[e->d.id - 1].nblks;
    int shape[5] = {NPROMA, NLEV, nb, 1, 1};
    if (e->zaxis == COMIN_ZAXIS_2D) { shape[1] = nb; shape[2] = 1; }
    e->n = (long)shape[0] * shape[1] * shape[2];
    size_t item = e->type_id == COMIN_VAR_DATATYPE_DOUBLE ? sizeof(double) : e->type_id == COMIN_VAR_DATATYPE_FLOAT ? sizeof(float) : sizeof(int);
    e->data = calloc(e->n, item);
    printf("host: request %d (%s, %d) by %d plugin(s) first %d, zaxis %d, datatype %d, tracer %d, units %.*s\n", i,
           e->d.name, e->d.id, nids, ids[0], e->zaxis, e->type_id, (int)tracer, ulen, units);
    comin_var_list_append(e->d, e->data, NULL, shape, e->type_id, e->zaxis == COMIN_ZAXIS_2D ? ds2d : ds3d, false, 0);
    comin_metadata_set_character(e->d, "units", "1");
    comin_metadata_set_integer(e->d, "zaxis_id", e->zaxis);
  }
}

static void report(const char* when) {
  for (int j = 0; j < NDOM; j++) {
    domain_t* D = &dom[j];
    long n3 = (long)NPROMA * NLEV * D->nblks;
    printf("host: %s dom %d temp %.1f pres_sfc %.1f qv %.1f qc %.1f\n", when, D->jg, sum(D->temp, n3),
           sum(D->pres_sfc, (long)NPROMA * D->nblks), sum(D->tracers, n3), sum(D->tracers + n3, n3));
  }
  for (int i = 0; i < nextra; i++) {
    extra_t* e = &extra[i];
    double s = 0.0;
    for (long k = 0; k < e->n; k++)
      s += e->type_id == COMIN_VAR_DATATYPE_DOUBLE ? ((double*)e->data)[k]
           : e->type_id == COMIN_VAR_DATATYPE_FLOAT ? ((float*)e->data)[k] : ((int*)e->data)[k];
    printf("host: %s %s(%d) %.1f\n", when, e->d.name, e->d.id, s);
  }
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int steps = 2, a = 1;
  if (a + 1 < argc && strcmp(argv[a], "--steps") == 0) { steps = atoi(argv[a + 1]); a += 2; }
  int np = argc - a;
  t_comin_plugin_description* plugins = calloc(np > 0 ? np : 1, sizeof *plugins);
  for (int i = 0; i < np; i++) {
    char* spec = strdup(argv[a + i]);
    plugins[i].name = strtok(spec, ";");
    plugins[i].plugin_library = strtok(NULL, ";");
    char* opts = strtok(NULL, "");
    plugins[i].options = opts ? opts : "";
    plugins[i].log_info = plugins[i].log_warning = true;
    char* at = strchr(plugins[i].name, '@');
    if (at != NULL) { *at = 0; plugins[i].comm = at + 1; }
  }
  for (int j = 0; j < NDOM; j++) {
    domain_t* D = &dom[j];
    D->jg = j + 1;
    D->nblks = (ncells[j] + NPROMA - 1) / NPROMA;
    long n3 = (long)NPROMA * NLEV * D->nblks, n2 = (long)NPROMA * D->nblks;
    D->temp = malloc(n3 * sizeof(double));
    D->pres_sfc = malloc(n2 * sizeof(double));
    D->tracers = malloc(2 * n3 * sizeof(double));
    for (long i = 0; i < n3; i++) {
      D->temp[i] = 200.0 + 10.0 * D->jg + (double)(i % 7);
      D->tracers[i] = (double)(i % 3);
      D->tracers[n3 + i] = 0.0;
    }
    for (long i = 0; i < n2; i++) D->pres_sfc[i] = 100000.0 + (double)i;
  }

  comin_setup_init(true);
  comin_setup_errhandler(errhandler);
  comin_setup_check("c_host", sizeof(double));
  set_descrdata();
  comin_current_set_datetime("2026-01-01T00:00:00");
  comin_plugin_primaryconstructor(plugins, np);
  for (int j = 0; j < NDOM; j++) expose_host_fields(&dom[j]);
  expose_requests();
  comin_callback_context_call(EP_SECONDARY_CONSTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP, false);
  comin_callback_context_call(EP_ATM_INIT_FINALIZE, COMIN_DOMAIN_OUTSIDE_LOOP, false);
  report("init");
  comin_callback_context_call(EP_ATM_TIMELOOP_BEFORE, COMIN_DOMAIN_OUTSIDE_LOOP, false);
  for (int step = 1; step <= steps; step++) {
    char dt[32];
    snprintf(dt, sizeof dt, "2026-01-01T00:%02d:00", step);
    comin_current_set_datetime(dt);
    comin_callback_context_call(EP_ATM_TIMELOOP_START, COMIN_DOMAIN_OUTSIDE_LOOP, false);
    for (int j = 0; j < NDOM; j++) {
      domain_t* D = &dom[j];
      long n3 = (long)NPROMA * NLEV * D->nblks;
      comin_callback_context_call(EP_ATM_INTEGRATE_START, D->jg, false);
      for (long i = 0; i < n3; i++) D->temp[i] += 1.0;       /* "dynamics" */
      comin_callback_context_call(EP_ATM_PHYSICS_BEFORE, D->jg, false);
      comin_callback_context_call(EP_ATM_PHYSICS_AFTER, D->jg, false);
      comin_callback_context_call(EP_ATM_INTEGRATE_END, D->jg, false);
    }
    comin_callback_context_call(EP_ATM_WRITE_OUTPUT_BEFORE, COMIN_DOMAIN_OUTSIDE_LOOP, false);
    report(dt);
    comin_callback_context_call(EP_ATM_TIMELOOP_END, COMIN_DOMAIN_OUTSIDE_LOOP, false);
  }
  comin_callback_context_call(EP_ATM_TIMELOOP_AFTER, COMIN_DOMAIN_OUTSIDE_LOOP, false);
  comin_callback_context_call(EP_DESTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP, false);
  comin_var_list_finalize();
  comin_var_request_list_finalize();
  comin_var_descr_list_finalize();
  comin_descrdata_finalize();
  comin_setup_finalize();
  printf("host: done\n");
  return 0;
}

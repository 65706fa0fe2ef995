/* The C host driver of the conformance suite: runs host scripts over comin_host.h.
 *
 * A server: reads the path of a host script (comin.testing.scenarios) per line on
 * stdin, runs it, answers "done" on stdout; the trace goes to trace.out next to the
 * script.  Each script is one session (comin_setup_init ... comin_setup_finalize), run
 * with errors_return switched on for the host's own calls: every host call is logged
 * "H <call> ok" or "H <call> err <code>" (comin_error_get), so every error code of the
 * host interface is seen as a C host sees it.  The halo and device functions log their
 * calls ("H halo NAME JG MODE", "H device NAME JG DIR"); after each entry point the sum
 * of every exposed array is logged ("H array NAME JG SUM"), which shows that plugins
 * wrote into the host's memory.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comin_host.h"
#include "../text_protocol.h"

#define MAXLINE 4096
#define MAXTOK 32
#define MAXVARS 256
#define MAXPLUGINS 16
#define MAXDOM 16

static char trace_path[MAXLINE];

static void emit(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void emit(const char* fmt, ...) {
  FILE* f = fopen(trace_path, "a");
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fclose(f);
}

static t_comin_var_descriptor descr(const char* name, int jg) {
  t_comin_var_descriptor d;
  memset(&d, 0, sizeof d);
  snprintf(d.name, sizeof d.name, "%s", name);
  d.id = jg;
  return d;
}

/* "H <what> ok" or "H <what> err <code>", then the code is cleared */
static void result(const char* what) {
  int code = comin_error_get();
  if (code != COMIN_SUCCESS)
    emit("H %s err %d", what, code);
  else
    emit("H %s ok", what);
  comin_error_reset();
}

static void handler(const char* routine, const char* text) {
  FILE* f = fopen(trace_path, "a");
  if (f) {
    fputs("H finish ", f);
    put_hex(f, routine, (int)strlen(routine));
    fputc(' ', f);
    put_hex(f, text ? text : "", text ? (int)strlen(text) : 0);
    fputc('\n', f);
    fclose(f);
  }
  exit(3);
}

static int glb2loc(int jg, int global_idx) { return global_idx + 1000 * jg; }

static void halo(t_comin_var_handle* h, int mode) {
  t_comin_var_descriptor d;
  comin_var_get_descriptor(h, &d);
  emit("H halo %s %d %d", d.name, d.id, mode);
}

static void device(t_comin_var_handle* h, bool direction) {
  t_comin_var_descriptor d;
  comin_var_get_descriptor(h, &d);
  emit("H device %s %d %d", d.name, d.id, (int)direction);
}

/* the host's fields */
static struct {
  char name[COMIN_MAX_LEN_VAR_NAME + 1];
  int jg, datatype;
  long size;
  void* data;
} vars[MAXVARS];
static int nvars;
static int nproma, nlev[MAXDOM + 1], nblks[MAXDOM + 1];

/* (shape, dim semantics, lcontainer, ncontained) of a kind (comin.testing.model.layout) */
static bool layout(const char* kind, int jg, int shape[5], int sem[5], bool* lcont, int* ncont) {
  const int N = COMIN_DIM_SEMANTICS_NPROMA, L = COMIN_DIM_SEMANTICS_LEVEL, B = COMIN_DIM_SEMANTICS_BLOCK,
            U = COMIN_DIM_SEMANTICS_UNUSED, C = COMIN_DIM_SEMANTICS_CONTAINER, X = COMIN_DIM_SEMANTICS_UNDEF;
  int s3[5] = {nproma, nlev[jg], nblks[jg], 1, 1}, s2[5] = {nproma, nblks[jg], 1, 1, 1},
      sc[5] = {nproma, nlev[jg], nblks[jg], 2, 1};
  int d3[5] = {N, L, B, U, U}, d2[5] = {N, B, U, U, U}, dc[5] = {N, L, B, C, U}, di[5] = {N, X, B, U, U},
      dci[5] = {N, X, B, C, U};
  const int *s = s3, *d = d3;
  *lcont = false;
  *ncont = 0;
  if (!strcmp(kind, "field2d")) { s = s2; d = d2; }
  else if (!strcmp(kind, "container")) { s = sc; d = dc; *lcont = true; *ncont = 2; }
  else if (!strcmp(kind, "container_irregular")) { s = sc; d = dci; *lcont = true; *ncont = 2; }
  else if (!strcmp(kind, "irregular")) { d = di; }
  else if (!strcmp(kind, "tracer")) { *ncont = 1; }
  else if (strcmp(kind, "field3d")) return false;
  memcpy(shape, s, 5 * sizeof(int));
  memcpy(sem, d, 5 * sizeof(int));
  return true;
}

static double sum_of(int v) {
  double sum = 0;
  for (long k = 0; k < vars[v].size; k++) {
    if (vars[v].datatype == COMIN_VAR_DATATYPE_DOUBLE) sum += ((double*)vars[v].data)[k];
    else if (vars[v].datatype == COMIN_VAR_DATATYPE_FLOAT) sum += ((float*)vars[v].data)[k];
    else sum += ((int*)vars[v].data)[k];
  }
  return sum;
}

static const char* KEYS[] = {"restart", "scale", "tracer", "units", "zaxis_id"};  /* sorted */

/* the request list as the host reads it; metadata of the scenario keys, probed by type */
static void requests(void) {
  int n = comin_request_get_list_size();
  for (int i = 1; i <= n; i++) {
    t_comin_var_descriptor d;
    int ids[64];
    comin_request_get_descriptor(i, &d);
    bool excl = comin_request_get_lmodexclusive(i);
    int np = comin_request_get_plugin_ids(i, ids, 64);
    char line[MAXLINE];
    int len = snprintf(line, sizeof line, "H request %s %d %d", d.name, d.id, (int)excl);
    for (int k = 0; k < np && k < 64; k++) len += snprintf(line + len, sizeof line - len, " %d", ids[k]);
    emit("%s", line);
    for (int k = 0; k < 5; k++) {
      const char* key = KEYS[k];
      const int sentinel = -123456789;
      comin_error_reset();
      int iv = comin_request_metadata_get_or_integer(i, key, sentinel);
      if (comin_error_get() == COMIN_SUCCESS) {
        if (iv != sentinel) emit("H request_meta %s %d %s i %d", d.name, d.id, key, iv);
        continue;
      }
      comin_error_reset();
      double x = comin_request_metadata_get_or_real(i, key, 0.0);
      if (comin_error_get() == COMIN_SUCCESS) {
        emit("H request_meta %s %d %s f %a", d.name, d.id, key, x);
        continue;
      }
      comin_error_reset();
      bool b = comin_request_metadata_get_or_logical(i, key, false);
      if (comin_error_get() == COMIN_SUCCESS) {
        emit("H request_meta %s %d %s b %d", d.name, d.id, key, (int)b);
        continue;
      }
      comin_error_reset();
      const char* s = NULL;
      int slen = 0;
      comin_request_metadata_get_or_character(i, key, "", &s, &slen);
      FILE* f = fopen(trace_path, "a");
      fprintf(f, "H request_meta %s %d %s s ", d.name, d.id, key);
      put_hex(f, s ? s : "", s ? slen : 0);
      fputc('\n', f);
      fclose(f);
    }
    comin_error_reset();
  }
}

static void run_script(const char* script) {
  char line[MAXLINE];
  t_comin_plugin_description plugins[MAXPLUGINS];
  char names[MAXPLUGINS][64], libs[MAXPLUGINS][MAXLINE], opts[MAXPLUGINS][MAXLINE];
  int nplugins = 0;
  const char* slash = strrchr(script, '/');
  snprintf(trace_path, sizeof trace_path, "%.*strace.out", slash ? (int)(slash - script + 1) : 0, script);
  FILE* in = fopen(script, "r");
  if (!in) { emit("H abort cannot-open-script"); return; }
  nvars = 0;
  memset(plugins, 0, sizeof plugins);
  while (fgets(line, sizeof line, in)) {
    char* tok[MAXTOK];
    int nt = 0;
    for (char* t = strtok(line, " \n"); t && nt < MAXTOK; t = strtok(NULL, " \n")) tok[nt++] = t;
    if (nt == 0) continue;
    const char* op = tok[0];
    if (!strcmp(op, "plugin") && nplugins < MAXPLUGINS) {
      snprintf(names[nplugins], sizeof names[0], "%s", tok[1]);
      snprintf(libs[nplugins], sizeof libs[0], "%s", tok[2]);
      unhex(tok[3], opts[nplugins], sizeof opts[0]);
      plugins[nplugins].name = names[nplugins];
      plugins[nplugins].plugin_library = libs[nplugins];
      plugins[nplugins].options = opts[nplugins];
      plugins[nplugins].log_info = true;
      plugins[nplugins].log_warning = true;
      nplugins++;
    } else if (!strcmp(op, "init")) {
      comin_setup_init(true);
      comin_error_set_errors_return(true);    /* the host's own calls give codes */
      if (comin_error_get() == COMIN_SUCCESS) {   /* a new session: its own fields */
        for (int v = 0; v < nvars; v++) free(vars[v].data);
        nvars = 0;
      }
      result(op);
    } else if (!strcmp(op, "errhandler")) {
      comin_setup_errhandler(nt > 1 ? NULL : handler);
      result(op);
    } else if (!strcmp(op, "check")) {
      comin_setup_check("host", atoi(tok[1]));
      result(op);
    } else if (!strcmp(op, "global")) {         /* "-": the field is not set */
      if (strcmp(tok[2], "-")) nproma = atoi(tok[2]);
      if (strcmp(tok[1], "-")) comin_descrdata_set_int(0, "n_dom", atoi(tok[1]));
      if (comin_error_get() == COMIN_SUCCESS && strcmp(tok[2], "-")) comin_descrdata_set_int(0, "nproma", nproma);
      if (comin_error_get() == COMIN_SUCCESS && strcmp(tok[3], "-"))
        comin_descrdata_set_logical(0, "has_device", atoi(tok[3]) != 0);
      result(op);
    } else if (!strcmp(op, "plugin_info")) {     /* a plugin function called by the host */
      (void)comin_current_get_plugin_id();
      result(op);
    } else if (!strcmp(op, "get_n_dom")) {       /* global data read back */
      int n = comin_descrdata_get_global_n_dom();
      int code = comin_error_get();
      if (code != COMIN_SUCCESS) emit("H get_n_dom err %d", code);
      else emit("H get_n_dom %d", n);
      comin_error_reset();
    } else if (!strcmp(op, "typeid")) {
      int tid = comin_metadata_get_typeid(descr(tok[1], atoi(tok[2])), tok[3]);
      int code = comin_error_get();
      if (code != COMIN_SUCCESS) emit("H typeid err %d", code);
      else emit("H typeid %d", tid);
      comin_error_reset();
    } else if (!strcmp(op, "domain")) {
      int jg = atoi(tok[1]), ncells = atoi(tok[3]);
      if (jg >= 1 && jg <= MAXDOM) {
        nlev[jg] = atoi(tok[2]);
        nblks[jg] = (ncells + nproma - 1) / nproma;
      }
      comin_descrdata_set_int(jg, "nlev", atoi(tok[2]));
      if (comin_error_get() == COMIN_SUCCESS) comin_descrdata_set_int(jg, "cells.ncells", ncells);
      if (comin_error_get() == COMIN_SUCCESS)
        comin_descrdata_set_int(jg, "cells.nblks", (ncells + nproma - 1) / nproma);
      result(op);
    } else if (!strcmp(op, "timestep")) {
      comin_descrdata_set_timesteplength(atoi(tok[1]), strtod(tok[2], NULL));
      result(op);
    } else if (!strcmp(op, "datetime")) {
      char text[MAXLINE];
      unhex(tok[1], text, sizeof text);
      comin_current_set_datetime(text);
      result(op);
    } else if (!strcmp(op, "glb2loc")) {
      comin_descrdata_set_fct_glb2loc_cell(nt > 1 ? NULL : glb2loc);
      result(op);
    } else if (!strcmp(op, "halo")) {
      comin_var_set_sync_halo(nt > 1 ? NULL : halo);
      result(op);
    } else if (!strcmp(op, "device")) {
      comin_var_set_sync_device_mem(nt > 1 ? NULL : device);
      result(op);
    } else if (!strcmp(op, "primary")) {
      comin_plugin_primaryconstructor(plugins, nplugins);
      result(op);
    } else if (!strcmp(op, "requests")) {
      requests();
    } else if (!strcmp(op, "expose")) {
      int jg = atoi(tok[2]), shape[5], sem[5], ncont;
      bool lcont;
      char t = tok[4][0];
      if (nvars == MAXVARS || jg < 1 || jg > MAXDOM || !layout(tok[3], jg, shape, sem, &lcont, &ncont)) {
        emit("H expose err -1");
        continue;
      }
      long size = (long)shape[0] * shape[1] * shape[2] * shape[3] * shape[4];
      int datatype = t == 'd' ? COMIN_VAR_DATATYPE_DOUBLE : t == 'f' ? COMIN_VAR_DATATYPE_FLOAT
                                                                     : COMIN_VAR_DATATYPE_INT;
      void* data = malloc(size * 8);
      for (long k = 0; k < size; k++) {
        int v = (int)(k % 5) + jg;                  /* comin.testing.model.fill_value */
        if (datatype == COMIN_VAR_DATATYPE_DOUBLE) ((double*)data)[k] = v;
        else if (datatype == COMIN_VAR_DATATYPE_FLOAT) ((float*)data)[k] = (float)v;
        else ((int*)data)[k] = v;
      }
      comin_var_list_append(descr(tok[1], jg), data, atoi(tok[5]) ? data : NULL, shape, datatype, sem,
                            lcont, ncont);
      if (comin_error_get() == COMIN_SUCCESS) {
        snprintf(vars[nvars].name, sizeof vars[nvars].name, "%s", tok[1]);
        vars[nvars].jg = jg;
        vars[nvars].datatype = datatype;
        vars[nvars].size = size;
        vars[nvars].data = data;
        nvars++;
      } else {
        free(data);
      }
      result(op);
    } else if (!strcmp(op, "meta")) {
      t_comin_var_descriptor d = descr(tok[1], atoi(tok[2]));
      char text[MAXLINE];
      switch (tok[4][0]) {
        case 'b': comin_metadata_set_logical(d, tok[3], atoi(tok[5]) != 0); break;
        case 'i': comin_metadata_set_integer(d, tok[3], atoi(tok[5])); break;
        case 'f': comin_metadata_set_real(d, tok[3], strtod(tok[5], NULL)); break;
        default: unhex(tok[5], text, sizeof text); comin_metadata_set_character(d, tok[3], text);
      }
      result(op);
    } else if (!strcmp(op, "ep")) {
      int ep = atoi(tok[1]), jg = atoi(tok[2]), lacc = atoi(tok[3]);
      emit("H ep %d %d %d", ep, jg, lacc);
      comin_callback_context_call((t_comin_entry_point)ep, jg, lacc != 0);
      result("ep_result");
      for (int v = 0; v < nvars; v++) emit("H array %s %d %.17g", vars[v].name, vars[v].jg, sum_of(v));
    } else if (!strcmp(op, "finalize")) {
      comin_var_list_finalize();
      comin_var_request_list_finalize();
      comin_var_descr_list_finalize();
      comin_descrdata_finalize();
      comin_setup_finalize();
      result(op);
    } else {
      emit("H abort unknown-call-%s", op);
    }
  }
  fclose(in);
  for (int v = 0; v < nvars; v++) free(vars[v].data);
  nvars = 0;
}

int main(void) {
  char line[MAXLINE];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    if (!line[0]) continue;
    run_script(line);
    printf("done\n");
    fflush(stdout);
  }
  return 0;
}

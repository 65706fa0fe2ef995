/* The C driver of the conformance suite: one C plugin that interprets a scenario.
 *
 * Options: the path OPS of the plugin's operations file (comin.testing.scenarios);
 * every result is appended to trace.out next to it, as "P <pid> <phase> <op> <result>",
 * and every callback first writes "P <pid> enter <ep>".  One library serves every
 * plugin of a scenario (dlopen shares its statics): the operations file is the current
 * plugin's options, and the handles are kept per plugin id.
 *
 * Input, one operation a line (PHASE: primary | secondary | loop):
 *   PHASE var_request_add NAME JG EXCL(0|1)
 *   PHASE metadata_set NAME JG KEY T VALUE   T: b (0|1), i (int), f (C99 hex float), s (x<hex bytes>)
 *   PHASE metadata_get NAME JG KEY           typed by comin_metadata_get_typeid first
 *   PHASE metadata_get_typed NAME JG KEY T   the typed getter T (b, i, f, s) directly
 *   PHASE metadata_typeid NAME JG KEY | metadata_keys NAME JG (the iterator; keys sorted)
 *   PHASE callback_register EP | callback_register_null EP | callback_get_ep_name EP
 *   PHASE var_get NAME JG FLAG N EP1 .. EPN  keeps the handle for the var_* operations
 *   PHASE var_info NAME JG                   shape, dim semantics, ncontained, lcontainer, datatype
 *   PHASE var_read NAME JG | var_elem NAME JG K | var_write NAME JG V (adds V to every element)
 *   PHASE var_ptr T NAME JG      var_get (read, at EP_ATM_TIMELOOP_START), then the typed
 *                                pointer getter T: d, f, i (comin_var_get_ptr_double/_float/
 *                                _int), dd, df, di (comin_var_get_device_ptr_*)
 *   PHASE var_shape_null         comin_var_get_shape of a NULL handle
 *   PHASE var_get_raw NAME JG FLAG N NULL  comin_var_get(N, ctx, ...) with no entry points
 *                                in ctx (NULL 1: a NULL ctx); keeps the handle
 *   PHASE var_descr_list | current_ep | current_domain | datetime | plugin_info | version
 *   PHASE descr_global FIELD | descr_domain JG FIELD | timestep JG | glb2loc JG IDX
 *   PHASE index J | block J | npromz JG
 * Results: err CODE (comin_error_get after the call) | ok none | ok bool 0|1 | ok int N
 *   | ok float %.17g | ok str x<hex> | ok var NAME JG FLAG | ok ints N.. | ok keys K..
 *   | ok descrs NAME JG .. | ok info ID x<hex> | ok ptr 0|1 | fail nohandle | fail index
 *
 * Registrations: the driver registers secondary() at EP_SECONDARY_CONSTRUCTOR and loop()
 * at EP_ATM_TIMELOOP_START first.  A scenario's callback_register registers noop() --
 * except at those two entry points, where it registers the driver's own function again:
 * C keeps one callback per (EP, plugin), so this overwrite leaves the driver's callback
 * in place, and the outcome (ok / error code) is still comin_callback_register's.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "comin.h"
#include "../text_protocol.h"

#define MAXLINE 4096
#define MAXTOK 64
#define MAXHANDLES 256

static void secondary(void);
static void loop(void);
static void noop(void);

static struct {
  int pid, jg, flag;
  char name[COMIN_MAX_LEN_VAR_NAME + 1];
  t_comin_var_handle* h;
} handles[MAXHANDLES];
static int nhandles = 0;

static FILE* trace_open(void) {
  const char* opt; int optlen;
  char path[MAXLINE];
  comin_current_get_plugin_options(&opt, &optlen);
  int dir = optlen;
  while (dir > 0 && opt[dir - 1] != '/') dir--;
  snprintf(path, sizeof path, "%.*strace.out", dir, opt);
  return fopen(path, "a");
}

static t_comin_var_descriptor descr(const char* name, const char* jg) {
  t_comin_var_descriptor d;
  memset(&d, 0, sizeof d);
  snprintf(d.name, sizeof d.name, "%s", name);
  d.id = atoi(jg);
  return d;
}

static void keep_handle(int pid, const char* name, int jg, int flag, t_comin_var_handle* h) {
  int i;
  for (i = 0; i < nhandles; i++)
    if (handles[i].pid == pid && handles[i].jg == jg && !strcmp(handles[i].name, name)) break;
  if (i == nhandles) {
    if (nhandles == MAXHANDLES) return;
    nhandles++;
  }
  handles[i].pid = pid;
  handles[i].jg = jg;
  handles[i].flag = flag;
  snprintf(handles[i].name, sizeof handles[i].name, "%s", name);
  handles[i].h = h;
}

static t_comin_var_handle* find_handle(int pid, const char* name, int jg) {
  for (int i = 0; i < nhandles; i++)
    if (handles[i].pid == pid && handles[i].jg == jg && !strcmp(handles[i].name, name)) return handles[i].h;
  return NULL;
}

/* the host memory of a handle with its datatype (the typed getter that does not fail) */
static void* typed_ptr(t_comin_var_handle* h, int* datatype) {
  void* p = comin_var_get_ptr_double(h);
  *datatype = COMIN_VAR_DATATYPE_DOUBLE;
  if (comin_error_get() == COMIN_SUCCESS) return p;
  comin_error_reset();
  p = comin_var_get_ptr_float(h);
  *datatype = COMIN_VAR_DATATYPE_FLOAT;
  if (comin_error_get() == COMIN_SUCCESS) return p;
  comin_error_reset();
  *datatype = COMIN_VAR_DATATYPE_INT;
  return comin_var_get_ptr_int(h);
}

static long size_of(t_comin_var_handle* h) {
  int shape[5];
  comin_var_get_shape(h, shape);
  return (long)shape[0] * shape[1] * shape[2] * shape[3] * shape[4];
}

static double element(void* p, int datatype, long k) {
  if (datatype == COMIN_VAR_DATATYPE_DOUBLE) return ((double*)p)[k];
  if (datatype == COMIN_VAR_DATATYPE_FLOAT) return ((float*)p)[k];
  return ((int*)p)[k];
}

static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* one operation: the result text in res (without "P pid phase op") */
static void perform_one(int pid, char** tok, int nt, char* res, size_t n) {
  const char* op = tok[1];
  char sbuf[MAXLINE];
  FILE* m;
  snprintf(res, n, "ok none");
  if (!strcmp(op, "var_request_add")) {
    comin_var_request_add(descr(tok[2], tok[3]), atoi(tok[4]) != 0);
  } else if (!strcmp(op, "metadata_set")) {
    t_comin_var_descriptor d = descr(tok[2], tok[3]);
    switch (tok[5][0]) {
      case 'b': comin_metadata_set_logical(d, tok[4], atoi(tok[6]) != 0); break;
      case 'i': comin_metadata_set_integer(d, tok[4], atoi(tok[6])); break;
      case 'f': comin_metadata_set_real(d, tok[4], strtod(tok[6], NULL)); break;
      default: unhex(tok[6], sbuf, sizeof sbuf); comin_metadata_set_character(d, tok[4], sbuf);
    }
  } else if (!strcmp(op, "metadata_get") || !strcmp(op, "metadata_get_typed")) {
    t_comin_var_descriptor d = descr(tok[2], tok[3]);
    const char* key = tok[4];
    char t = 'i';
    if (nt > 5) {
      t = tok[5][0];
    } else {
      int tid = comin_metadata_get_typeid(d, key);
      if (comin_error_get() != COMIN_SUCCESS) return;
      t = tid == COMIN_METADATA_TYPEID_LOGICAL ? 'b' : tid == COMIN_METADATA_TYPEID_REAL ? 'f'
        : tid == COMIN_METADATA_TYPEID_CHARACTER ? 's' : 'i';   /* INTEGER or missing */
    }
    if (t == 'b') {
      bool b = false;
      comin_metadata_get_logical(d, key, &b);
      snprintf(res, n, "ok bool %d", (int)b);
    } else if (t == 'f') {
      double x = 0;
      comin_metadata_get_real(d, key, &x);
      snprintf(res, n, "ok float %.17g", x);
    } else if (t == 's') {
      const char* s = NULL; int len = 0;
      comin_metadata_get_character(d, key, &s, &len);
      m = fmemopen(res, n, "w");
      fputs("ok str ", m);
      put_hex(m, s ? s : "", s ? len : 0);
      fclose(m);
    } else {
      int v = 0;
      comin_metadata_get_integer(d, key, &v);
      snprintf(res, n, "ok int %d", v);
    }
  } else if (!strcmp(op, "metadata_typeid")) {
    snprintf(res, n, "ok int %d", (int)comin_metadata_get_typeid(descr(tok[2], tok[3]), tok[4]));
  } else if (!strcmp(op, "metadata_keys")) {
    t_comin_var_descriptor d = descr(tok[2], tok[3]);
    t_comin_metadata_iterator* it = comin_metadata_get_iterator_begin(d);
    if (comin_error_get() != COMIN_SUCCESS) return;
    t_comin_metadata_iterator* end = comin_metadata_get_iterator_end(d);
    char* keys[MAXTOK];
    int nk = 0;
    while (!comin_metadata_iterator_compare(it, end) && nk < MAXTOK) {
      keys[nk++] = strdup(comin_metadata_iterator_get_key(it));
      comin_metadata_iterator_next(it);
    }
    comin_metadata_iterator_delete(it);
    comin_metadata_iterator_delete(end);
    qsort(keys, nk, sizeof keys[0], cmp_str);
    m = fmemopen(res, n, "w");
    fputs("ok keys", m);
    for (int i = 0; i < nk; i++) { fprintf(m, " %s", keys[i]); free(keys[i]); }
    fclose(m);
  } else if (!strcmp(op, "callback_register")) {
    int ep = atoi(tok[2]);
    t_comin_callback_function fn = ep == EP_SECONDARY_CONSTRUCTOR ? secondary
                                 : ep == EP_ATM_TIMELOOP_START    ? loop : noop;
    comin_callback_register((t_comin_entry_point)ep, fn);
  } else if (!strcmp(op, "callback_register_null")) {
    comin_callback_register((t_comin_entry_point)atoi(tok[2]), NULL);
  } else if (!strcmp(op, "callback_get_ep_name")) {
    char name[COMIN_MAX_LEN_EP_NAME + 1];
    memset(name, 0, sizeof name);
    comin_callback_get_ep_name((t_comin_entry_point)atoi(tok[2]), name);
    m = fmemopen(res, n, "w");
    fputs("ok str ", m);
    put_hex(m, name, (int)strlen(name));
    fclose(m);
  } else if (!strcmp(op, "var_get") || !strcmp(op, "var_get_raw")) {
    t_comin_var_descriptor d = descr(tok[2], tok[3]);
    int flag = atoi(tok[4]);
    int k = atoi(tok[5]);
    t_comin_entry_point ctx[MAXTOK];
    int raw = !strcmp(op, "var_get_raw");
    for (int i = 0; !raw && i < k; i++) ctx[i] = (t_comin_entry_point)atoi(tok[6 + i]);
    t_comin_var_handle* h = comin_var_get(k, raw && atoi(tok[6]) ? NULL : ctx, d, flag);
    if (comin_error_get() != COMIN_SUCCESS) return;
    t_comin_var_descriptor got;
    memset(&got, 0, sizeof got);
    if (h) {
      comin_var_get_descriptor(h, &got);
      keep_handle(pid, tok[2], d.id, flag, h);
    }
    snprintf(res, n, h ? "ok var %s %d %d" : "ok nullhandle %s %d %d", got.name, got.id, flag);
  } else if (!strncmp(op, "var_", 4) && (!strcmp(op, "var_info") || !strcmp(op, "var_read")
                                         || !strcmp(op, "var_elem") || !strcmp(op, "var_write"))) {
    t_comin_var_handle* h = find_handle(pid, tok[2], atoi(tok[3]));
    if (!h) { snprintf(res, n, "fail nohandle"); return; }
    int datatype;
    void* p = typed_ptr(h, &datatype);
    long size = size_of(h);
    if (!strcmp(op, "var_info")) {
      int shape[5], sem[5], ncont;
      comin_var_get_shape(h, shape);
      comin_var_get_dim_semantics(h, sem);
      comin_var_get_ncontained(h, &ncont);
      snprintf(res, n, "ok ints %d %d %d %d %d %d %d %d %d %d %d %d %d", shape[0], shape[1], shape[2],
               shape[3], shape[4], sem[0], sem[1], sem[2], sem[3], sem[4], ncont,
               (int)comin_var_get_lcontainer(h), datatype);
    } else if (!strcmp(op, "var_read")) {
      double sum = 0;
      for (long k = 0; k < size; k++) sum += element(p, datatype, k);
      snprintf(res, n, "ok float %.17g", sum);
    } else if (!strcmp(op, "var_elem")) {
      long k = atol(tok[4]);
      if (k < 0 || k >= size) { snprintf(res, n, "fail index"); return; }
      snprintf(res, n, "ok float %.17g", element(p, datatype, k));
    } else {
      int v = atoi(tok[4]);
      for (long k = 0; k < size; k++) {
        if (datatype == COMIN_VAR_DATATYPE_DOUBLE) ((double*)p)[k] += v;
        else if (datatype == COMIN_VAR_DATATYPE_FLOAT) ((float*)p)[k] += (float)v;
        else ((int*)p)[k] += v;
      }
    }
  } else if (!strcmp(op, "var_ptr")) {
    t_comin_entry_point ctx[] = {EP_ATM_TIMELOOP_START};
    t_comin_var_handle* h = comin_var_get(1, ctx, descr(tok[3], tok[4]), COMIN_FLAG_READ);
    if (comin_error_get() != COMIN_SUCCESS) return;
    const char* t = tok[2];
    const void* p = !strcmp(t, "d")  ? (const void*)comin_var_get_ptr_double(h)
                  : !strcmp(t, "f")  ? (const void*)comin_var_get_ptr_float(h)
                  : !strcmp(t, "i")  ? (const void*)comin_var_get_ptr_int(h)
                  : !strcmp(t, "dd") ? (const void*)comin_var_get_device_ptr_double(h)
                  : !strcmp(t, "df") ? (const void*)comin_var_get_device_ptr_float(h)
                                     : (const void*)comin_var_get_device_ptr_int(h);
    snprintf(res, n, "ok ptr %d", p != NULL);
  } else if (!strcmp(op, "var_shape_null")) {
    int shape[5] = {0, 0, 0, 0, 0};
    comin_var_get_shape(NULL, shape);
    snprintf(res, n, "ok shape %d", shape[0] + shape[1] + shape[2] + shape[3] + shape[4]);
  } else if (!strcmp(op, "var_descr_list")) {
    m = fmemopen(res, n, "w");
    fputs("ok descrs", m);
    for (t_comin_var_descr_list_iterator* it = comin_var_get_descr_list_head(); it;
         it = comin_var_get_descr_list_next(it)) {
      t_comin_var_descriptor d;
      comin_var_get_descr_list_var_desc(it, &d);
      fprintf(m, " %s %d", d.name, d.id);
    }
    fclose(m);
  } else if (!strcmp(op, "current_ep")) {
    snprintf(res, n, "ok int %d", (int)comin_current_get_ep());
  } else if (!strcmp(op, "current_domain")) {
    snprintf(res, n, "ok int %d", comin_current_get_domain_id());
  } else if (!strcmp(op, "datetime")) {
    const char* s = NULL; int len = 0;
    comin_current_get_datetime(&s, &len);
    m = fmemopen(res, n, "w");
    fputs("ok str ", m);
    put_hex(m, s ? s : "", s ? len : 0);
    fclose(m);
  } else if (!strcmp(op, "plugin_info")) {
    const char* s = NULL; int len = 0;
    int id = comin_current_get_plugin_id();
    comin_current_get_plugin_name(&s, &len);
    m = fmemopen(res, n, "w");
    fprintf(m, "ok info %d ", id);
    put_hex(m, s ? s : "", s ? len : 0);
    fclose(m);
  } else if (!strcmp(op, "version")) {
    unsigned int a, b, c;
    comin_setup_get_version(&a, &b, &c);
    snprintf(res, n, "ok ints %u %u %u", a, b, c);
  } else if (!strcmp(op, "descr_global")) {
    if (!strcmp(tok[2], "has_device"))
      snprintf(res, n, "ok bool %d", (int)comin_descrdata_get_global_has_device());
    else
      snprintf(res, n, "ok int %d", !strcmp(tok[2], "n_dom") ? comin_descrdata_get_global_n_dom()
                                                            : comin_descrdata_get_global_nproma());
  } else if (!strcmp(op, "descr_domain")) {
    int jg = atoi(tok[2]);
    const char* f = tok[3];
    int v = !strcmp(f, "nlev")   ? comin_descrdata_get_domain_nlev(jg)
          : !strcmp(f, "id")     ? comin_descrdata_get_domain_id(jg)
          : !strcmp(f, "ncells") ? comin_descrdata_get_domain_cells_ncells(jg)
                                 : comin_descrdata_get_domain_cells_nblks(jg);
    snprintf(res, n, "ok int %d", v);
  } else if (!strcmp(op, "timestep")) {
    snprintf(res, n, "ok float %.17g", comin_descrdata_get_timesteplength(atoi(tok[2])));
  } else if (!strcmp(op, "glb2loc")) {
    snprintf(res, n, "ok int %d", comin_descrdata_index_lookup_glb2loc_cell(atoi(tok[2]), atoi(tok[3])));
  } else if (!strcmp(op, "index")) {
    snprintf(res, n, "ok int %d", comin_descrdata_get_index(atoi(tok[2])));
  } else if (!strcmp(op, "block")) {
    snprintf(res, n, "ok int %d", comin_descrdata_get_block(atoi(tok[2])));
  } else if (!strcmp(op, "npromz")) {
    snprintf(res, n, "ok int %d", comin_descrdata_get_cell_npromz(atoi(tok[2])));
  } else {
    snprintf(res, n, "fail unknown-op");
  }
}

static void perform(const char* phase) {
  const char* opt; int optlen;
  char ops_path[MAXLINE], line[MAXLINE], res[MAXLINE];
  int pid = comin_current_get_plugin_id();
  comin_current_get_plugin_options(&opt, &optlen);
  snprintf(ops_path, sizeof ops_path, "%.*s", optlen, opt);
  FILE* in = fopen(ops_path, "r");
  if (!in) {
    comin_plugin_finish("conformance driver", "cannot open the scenario file");
    return;
  }
  while (fgets(line, sizeof line, in)) {
    char* tok[MAXTOK];
    int nt = 0;
    for (char* t = strtok(line, " \n"); t && nt < MAXTOK; t = strtok(NULL, " \n")) tok[nt++] = t;
    if (nt < 2 || strcmp(tok[0], phase)) continue;
    comin_error_reset();
    perform_one(pid, tok, nt, res, sizeof res);
    int code = comin_error_get();
    FILE* out = trace_open();
    if (code != COMIN_SUCCESS)
      fprintf(out, "P %d %s %s err %d\n", pid, phase, tok[1], code);
    else
      fprintf(out, "P %d %s %s %s\n", pid, phase, tok[1], res);
    fclose(out);
    comin_error_reset();
  }
  fclose(in);
}

static void enter(void) {
  FILE* out = trace_open();
  fprintf(out, "P %d enter %d\n", comin_current_get_plugin_id(), (int)comin_current_get_ep());
  fclose(out);
}

static void secondary(void) { enter(); perform("secondary"); }
static void loop(void) { enter(); perform("loop"); }
static void noop(void) { enter(); }

void comin_main(void) {
  int pid = comin_current_get_plugin_id();
  for (int i = 0; i < nhandles; i++)
    if (handles[i].pid == pid) handles[i].pid = 0;        /* a new session: forget old handles */
  comin_error_set_errors_return(true);
  comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary);
  comin_callback_register(EP_ATM_TIMELOOP_START, loop);
  perform("primary");
}

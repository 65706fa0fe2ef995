/* The C driver of the conformance suite: one C plugin that interprets a scenario.
 *
 * Options: the path OPS of a text file written by comin.testing.scenarios.run_c;
 * results are appended to OPS.out.  Every callback re-reads the options of the
 * *current* plugin (one library serves every plugin of a scenario, and dlopen
 * shares its statics), so the driver keeps no state of its own.
 *
 * Input, one operation a line (PHASE: primary | secondary | timeloop):
 *   PHASE var_request_add NAME JG EXCL(0|1)
 *   PHASE metadata_set NAME JG KEY T VALUE   T: b (0|1), i (int), f (C99 hex float), s (x<hex bytes>)
 *   PHASE metadata_get NAME JG KEY
 *   PHASE callback_register EP
 *   PHASE callback_get_ep_name EP
 *   PHASE var_get NAME JG FLAG N EP1 .. EPN
 *   PHASE var_ptr T NAME JG      var_get (read, at EP_ATM_TIMELOOP_START), then the typed
 *                                pointer getter T: d, f, i (comin_var_get_ptr_double/_float/
 *                                _int), dd, df, di (comin_var_get_device_ptr_*)
 *   PHASE var_shape_null         comin_var_get_shape of a NULL handle
 * (var_ptr and var_shape_null are C/Fortran only: test_provoke.py runs them, not the model.)
 * Output, one line per operation performed:
 *   PHASE OP err CODE
 *   PHASE OP ok none | ok bool 0|1 | ok int N | ok float %.17g | ok str x<hex> | ok var NAME JG FLAG
 *            | ok ptr 0|1 (the pointer is not NULL) | ok shape SUM
 *
 * Registrations: the driver registers secondary() at EP_SECONDARY_CONSTRUCTOR and
 * timeloop() at EP_ATM_TIMELOOP_START first.  A scenario's callback_register op
 * registers noop() -- except at those two entry points, where it registers the
 * driver's own function again: C keeps one callback per (EP, plugin), so this
 * overwrite (with ComIn's warning) leaves the driver's callback in place, and
 * the op's outcome (ok / error code) is still decided by comin_callback_register.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "comin.h"

#define MAXLINE 4096
#define MAXTOK 64

static void secondary(void);
static void timeloop(void);
static void noop(void) {}

static void put_hex(FILE* f, const char* s, int len) {
  fputc('x', f);
  for (int i = 0; i < len; i++) fprintf(f, "%02x", (unsigned char)s[i]);
}

static void unhex(const char* h, char* out, size_t n) {
  size_t k = 0;
  if (*h == 'x') h++;
  while (h[0] && h[1] && k + 1 < n) {
    unsigned int b;
    sscanf(h, "%2x", &b);
    out[k++] = (char)b;
    h += 2;
  }
  out[k] = 0;
}

static t_comin_var_descriptor descr(const char* name, const char* jg) {
  t_comin_var_descriptor d;
  memset(&d, 0, sizeof d);
  snprintf(d.name, sizeof d.name, "%s", name);
  d.id = atoi(jg);
  return d;
}

static void perform(const char* phase) {
  const char* opt; int optlen;
  char ops_path[MAXLINE], out_path[MAXLINE + 8], line[MAXLINE];
  comin_current_get_plugin_options(&opt, &optlen);
  snprintf(ops_path, sizeof ops_path, "%.*s", optlen, opt);
  snprintf(out_path, sizeof out_path, "%s.out", ops_path);
  FILE* in = fopen(ops_path, "r");
  FILE* out = fopen(out_path, "a");
  if (!in || !out) {
    comin_plugin_finish("conformance driver", "cannot open the scenario files");
    return;
  }
  while (fgets(line, sizeof line, in)) {
    char* tok[MAXTOK];
    int nt = 0;
    for (char* t = strtok(line, " \n"); t && nt < MAXTOK; t = strtok(NULL, " \n")) tok[nt++] = t;
    if (nt < 2 || strcmp(tok[0], phase)) continue;
    const char* op = tok[1];
    char result[MAXLINE];      /* the "ok ..." text, written unless an error was stored */
    char sbuf[MAXLINE];
    snprintf(result, sizeof result, "ok none");
    comin_error_reset();
    if (!strcmp(op, "var_request_add")) {
      comin_var_request_add(descr(tok[2], tok[3]), atoi(tok[4]) != 0);
    } else if (!strcmp(op, "metadata_set")) {
      t_comin_var_descriptor d = descr(tok[2], tok[3]);
      const char* key = tok[4];
      switch (tok[5][0]) {
        case 'b': comin_metadata_set_logical(d, key, atoi(tok[6]) != 0); break;
        case 'i': comin_metadata_set_integer(d, key, atoi(tok[6])); break;
        case 'f': comin_metadata_set_real(d, key, strtod(tok[6], NULL)); break;
        default: unhex(tok[6], sbuf, sizeof sbuf); comin_metadata_set_character(d, key, sbuf);
      }
    } else if (!strcmp(op, "metadata_get")) {
      t_comin_var_descriptor d = descr(tok[2], tok[3]);
      const char* key = tok[4];
      int tid = comin_metadata_get_typeid(d, key);
      if (comin_error_get() == COMIN_SUCCESS) {
        if (tid == COMIN_METADATA_TYPEID_LOGICAL) {
          bool b = false;
          comin_metadata_get_logical(d, key, &b);
          snprintf(result, sizeof result, "ok bool %d", (int)b);
        } else if (tid == COMIN_METADATA_TYPEID_REAL) {
          double x = 0;
          comin_metadata_get_real(d, key, &x);
          snprintf(result, sizeof result, "ok float %.17g", x);
        } else if (tid == COMIN_METADATA_TYPEID_CHARACTER) {
          const char* s = NULL; int len = 0;
          comin_metadata_get_character(d, key, &s, &len);
          FILE* m = fmemopen(result, sizeof result, "w");
          fputs("ok str ", m);
          put_hex(m, s ? s : "", s ? len : 0);
          fclose(m);
        } else {
          /* INTEGER, or UNDEFINED (no such key): the integer getter reports the error */
          int v = 0;
          comin_metadata_get_integer(d, key, &v);
          snprintf(result, sizeof result, tid == COMIN_METADATA_TYPEID_INTEGER ? "ok int %d"
                                                                                : "ok undefined %d", v);
        }
      }
    } else if (!strcmp(op, "callback_register")) {
      int ep = atoi(tok[2]);
      t_comin_callback_function fn = ep == EP_SECONDARY_CONSTRUCTOR ? secondary
                                   : ep == EP_ATM_TIMELOOP_START    ? timeloop : noop;
      comin_callback_register((t_comin_entry_point)ep, fn);
    } else if (!strcmp(op, "callback_get_ep_name")) {
      char name[COMIN_MAX_LEN_EP_NAME + 1];
      memset(name, 0, sizeof name);
      comin_callback_get_ep_name((t_comin_entry_point)atoi(tok[2]), name);
      FILE* m = fmemopen(result, sizeof result, "w");
      fputs("ok str ", m);
      put_hex(m, name, (int)strlen(name));
      fclose(m);
    } else if (!strcmp(op, "var_get")) {
      t_comin_var_descriptor d = descr(tok[2], tok[3]);
      int flag = atoi(tok[4]);
      int n = atoi(tok[5]);
      t_comin_entry_point ctx[MAXTOK];
      for (int i = 0; i < n; i++) ctx[i] = (t_comin_entry_point)atoi(tok[6 + i]);
      t_comin_var_handle* h = comin_var_get(n, ctx, d, flag);
      if (comin_error_get() == COMIN_SUCCESS) {
        t_comin_var_descriptor got;
        memset(&got, 0, sizeof got);
        if (h) comin_var_get_descriptor(h, &got);
        snprintf(result, sizeof result, h ? "ok var %s %d %d" : "ok nullhandle %s %d %d",
                 got.name, got.id, flag);
      }
    } else if (!strcmp(op, "var_ptr")) {
      t_comin_entry_point ctx[] = {EP_ATM_TIMELOOP_START};
      t_comin_var_handle* h = comin_var_get(1, ctx, descr(tok[3], tok[4]), COMIN_FLAG_READ);
      if (comin_error_get() == COMIN_SUCCESS) {
        const char* t = tok[2];
        const void* p = !strcmp(t, "d")  ? (const void*)comin_var_get_ptr_double(h)
                      : !strcmp(t, "f")  ? (const void*)comin_var_get_ptr_float(h)
                      : !strcmp(t, "i")  ? (const void*)comin_var_get_ptr_int(h)
                      : !strcmp(t, "dd") ? (const void*)comin_var_get_device_ptr_double(h)
                      : !strcmp(t, "df") ? (const void*)comin_var_get_device_ptr_float(h)
                                         : (const void*)comin_var_get_device_ptr_int(h);
        snprintf(result, sizeof result, "ok ptr %d", p != NULL);
      }
    } else if (!strcmp(op, "var_shape_null")) {
      int shape[5] = {0, 0, 0, 0, 0};
      comin_var_get_shape(NULL, shape);
      snprintf(result, sizeof result, "ok shape %d", shape[0] + shape[1] + shape[2] + shape[3] + shape[4]);
    } else {
      snprintf(result, sizeof result, "ok unknown-op");
    }
    int code = comin_error_get();
    if (code != COMIN_SUCCESS)
      fprintf(out, "%s %s err %d\n", phase, op, code);
    else
      fprintf(out, "%s %s %s\n", phase, op, result);
    comin_error_reset();
  }
  fclose(in);
  fclose(out);
}

static void secondary(void) { perform("secondary"); }
static void timeloop(void) { perform("timeloop"); }

void comin_main(void) {
  comin_error_set_errors_return(true);
  comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary);
  comin_callback_register(EP_ATM_TIMELOOP_START, timeloop);
  perform("primary");
}

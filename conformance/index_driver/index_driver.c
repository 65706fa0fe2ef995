/* Index mapping through ComIn's C API, for conformance/test_indices.py.
 *
 * Options: "INFILE OUTFILE".  The primary constructor reads one operation per
 * line of INFILE and writes one result line per operation to OUTFILE:
 *   index J                          -> jc jb       (comin_descrdata_get_index/_block)
 *   indices G I_BLK SB EB IRL0 IRL1  -> is ie       (G: c, e or v: get_cell/edge/vert_indices)
 *   npromz G JG                      -> n           (get_cell/edge/vert_npromz)
 *   glb2loc JG GLB                   -> loc         (index_lookup_glb2loc_cell)
 *   ncontained NAME JG               -> n           (in the secondary constructor: var_get READ,
 *                                                    then comin_var_get_ncontained: C convention)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comin.h"

static char outfile[1024];
static char infile[1024];

static FILE* open_or_die(const char* path, const char* mode) {
  FILE* f = fopen(path, mode);
  if (f == NULL) comin_plugin_finish("index_driver", "cannot open a file of the options");
  return f;
}

static void run(int secondary) {
  FILE* in = open_or_die(infile, "r");
  FILE* out = open_or_die(outfile, "a");
  char line[512], op[32], g[8], name[80];
  int a, b, c, d, e;
  while (fgets(line, sizeof line, in)) {
    if (sscanf(line, "%31s", op) != 1) continue;
    int late = strcmp(op, "ncontained") == 0;
    if (late != secondary) continue;
    if (strcmp(op, "index") == 0 && sscanf(line, "%*s %d", &a) == 1) {
      fprintf(out, "%d %d\n", comin_descrdata_get_index(a), comin_descrdata_get_block(a));
    } else if (strcmp(op, "indices") == 0 &&
               sscanf(line, "%*s %7s %d %d %d %d %d", g, &a, &b, &c, &d, &e) == 6) {
      int is = -99, ie = -99;
      if (g[0] == 'c') comin_descrdata_get_cell_indices(1, a, b, c, &is, &ie, d, e);
      else if (g[0] == 'e') comin_descrdata_get_edge_indices(1, a, b, c, &is, &ie, d, e);
      else comin_descrdata_get_vert_indices(1, a, b, c, &is, &ie, d, e);
      fprintf(out, "%d %d\n", is, ie);
    } else if (strcmp(op, "npromz") == 0 && sscanf(line, "%*s %7s %d", g, &a) == 2) {
      int n = g[0] == 'c' ? comin_descrdata_get_cell_npromz(a)
            : g[0] == 'e' ? comin_descrdata_get_edge_npromz(a) : comin_descrdata_get_vert_npromz(a);
      fprintf(out, "%d\n", n);
    } else if (strcmp(op, "glb2loc") == 0 && sscanf(line, "%*s %d %d", &a, &b) == 2) {
      fprintf(out, "%d\n", comin_descrdata_index_lookup_glb2loc_cell(a, b));
    } else if (late && sscanf(line, "%*s %64s %d", name, &a) == 2) {
      t_comin_var_descriptor descr;
      t_comin_entry_point ctx[1] = {EP_ATM_TIMELOOP_START};
      int n = -99;
      memset(&descr, 0, sizeof descr);
      strncpy(descr.name, name, COMIN_MAX_LEN_VAR_NAME);
      descr.id = a;
      comin_var_get_ncontained(comin_var_get(1, ctx, descr, COMIN_FLAG_READ), &n);
      fprintf(out, "%d\n", n);
    } else {
      fprintf(out, "bad line: %s", line);
    }
  }
  fclose(in);
  fclose(out);
}

static void secondary_constructor(void) { run(1); }

void comin_main(void) {
  char const* opts;
  int len;
  comin_current_get_plugin_options(&opts, &len);
  char buf[2100];
  snprintf(buf, sizeof buf, "%.*s", len, opts);
  if (sscanf(buf, "%1023s %1023s", infile, outfile) != 2)
    comin_plugin_finish("index_driver", "options: INFILE OUTFILE");
  comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary_constructor);
  run(0);
}

/* Internal interface between the comin core (comin/_core) and libcomin.
 * Not installed for plugins: hand-written, not generated. */
#ifndef COMIN_INTERNAL_H
#define COMIN_INTERNAL_H

/* Set by the core when a finish was requested inside a C API call; the
 * trampoline that made the call then unwinds to the innermost guard. */
extern volatile int comin_internal_unwind;

/* Longjmp to the innermost comin_internal_call_guarded (clears nothing). */
void comin_internal_do_unwind(void);

/* The core hands libcomin its table of implementations (n: number of slots). */
int comin_internal_set_table(void* const* table, int n);

/* Call fn(); returns 0 when it returned, 1 when a finish unwound it. */
int comin_internal_call_guarded(void (*fn)(void));

/* The core's address for the unwind flag. */
volatile int* comin_internal_unwind_flag(void);

/* The context call's fast path reads the core's session state directly:
 * one C callback at an entry point that needs no syncs, nothing to print
 * (the same condition as Host.call_ep's fast path).  The core fills this
 * with addresses inside its session object (kept alive by the core) and
 * clears it when the session changes; anything else goes to the core. */
typedef struct {
  void* func;                 /* the callback's Python object (NULL: no fast path) */
  int pid;
  void (*cfunc)(void);        /* the C callback (NULL: not a C callback) */
} comin_internal_fast_t;

typedef struct {
  comin_internal_fast_t* fast;  /* [0..n_ep]; cfunc only where the fast path applies */
  int n_ep;
  int* n_dom;
  int* cur;                     /* current plugin id, entry point, domain id (consecutive) */
  /* an entry point without callbacks returns at once when nothing is printed */
  const int* ncb;               /* [0..n_ep] callbacks per entry point */
  const int* primary_done;
  const int* closed;
  const int* lstdout;
  const int* verbosity;
} comin_internal_fastpath_t;

/* NULL: always ask the core.  Returns -1 if the core's layout differs. */
int comin_internal_set_fastpath(const comin_internal_fastpath_t* fp, int sizeof_fast);

/* The core's context call (generated trampoline without the fast path). */
void comin_internal_context_call_slow(int ep, int domain_id, _Bool lacc);

/* Embedding (comin_embed.c): start Python / import the core when a host calls
 * libcomin first; fn names the API function for messages.  Exits on failure. */
void comin_internal_embed(const char* fn);
/* 1 when the core's table is set (libcomin.c) */
int comin_internal_has_table(void);
/* 1 when libcomin started the interpreter (a C or Fortran host) */
int comin_internal_embedded(void);
/* the libpython this libcomin loads when it embeds ("" if none was found at build time) */
const char* comin_internal_libpython(void);

#endif

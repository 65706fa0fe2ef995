/* Internal interface between the comin core (comin/_core) and libcomin.
 * Not installed for plugins: hand-written, not generated. */
#ifndef COMIN_INTERNAL_H
#define COMIN_INTERNAL_H

#include "comin_constants.h"        /* EP_DESTRUCTOR: the number of entry points */

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

/* The dispatch state: the part of the core's session state that libcomin's context
 * call reads and writes too.  The core's _State embeds one (its field `d`, declared
 * from this header with `cdef extern`), so both languages use the same layout; the
 * core hands libcomin its address (comin_internal_set_dispatch) and clears it when
 * the session changes.  Slot 0 of the per-entry-point arrays is unused. */
#define COMIN_EP_SLOTS (EP_DESTRUCTOR + 1)

/* The single callback of an entry point when the fast path applies (see
 * comin_fast_slot): func set only when the entry point has one callback that needs no
 * syncs and nothing is printed (verbosity 0, no profiling), while the session runs. */
typedef struct {
  void* func;                 /* the callback's Python object, borrowed (NULL: general path) */
  int pid;                    /* its plugin */
  void (*cfunc)(void);        /* a C plugin's callback (func is its _CFunc), else NULL */
} comin_fast_t;

typedef struct {
  int cur_pid;                /* the current plugin (0: none), entry point, domain id */
  int cur_ep;
  int cur_domain;
  int n_dom;                  /* domains described by the host */
  int verbosity;
  int lstdout;
  int profile;                /* time every callback (general path only) */
  int closed;                 /* finalized or finished: no more entry points */
  int primary_done;           /* the primary constructors have run */
  int ncb[COMIN_EP_SLOTS];    /* callbacks per entry point */
  comin_fast_t fast[COMIN_EP_SLOTS];
} comin_dispatch_t;

/* A domain id a context call accepts: -1 (outside a domain loop) or 1..n_dom.  -1 is
 * expected, so the fast path falls through for it (a taken branch costs ~0.5 ns there). */
static inline int comin_domain_valid(const comin_dispatch_t* d, int domain_id) {
  if (__builtin_expect(domain_id == -1, 1)) return 1;
  return domain_id > 0 && domain_id <= d->n_dom;
}

/* The one definition of the call-site conditions of the context call's fast path, for the
 * core (Host.call_ep, C/Fortran hosts' calls that reach it) and libcomin's
 * comin_callback_context_call: lacc off, a valid entry point and domain id.  It returns the
 * entry point's slot, NULL otherwise; the fast path then runs the slot's func (any callback:
 * the core) or cfunc (a C callback: libcomin) when the core filled it (_update_fast: one
 * callback that needs no syncs, nothing printed).  Everything else takes the general path. */
static inline comin_fast_t* comin_fast_slot(comin_dispatch_t* d, int ep, int domain_id, int lacc) {
  if (lacc || (unsigned)ep - 1u >= (unsigned)EP_DESTRUCTOR || !comin_domain_valid(d, domain_id))
    return NULL;
  return &d->fast[ep];
}

/* Nothing to do at entry point ep of a call that passed comin_fast_slot: no callback and
 * nothing to print (the general path would return at once). */
static inline int comin_nothing_at(const comin_dispatch_t* d, int ep) {
  return d->ncb[ep] == 0 && !d->closed && d->primary_done && !(d->lstdout && d->verbosity > 12);
}

/* The core's dispatch state for libcomin's context call (NULL: always ask the core).
 * Returns -1 (and keeps none) when the core was built with another layout. */
int comin_internal_set_dispatch(comin_dispatch_t* d, int sizeof_dispatch);

/* The core's context call (generated trampoline without the fast path). */
void comin_internal_context_call_slow(t_comin_entry_point ep, int domain_id, _Bool lacc);

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

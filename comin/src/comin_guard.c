/* Hand-written part of libcomin: unwinding of plugin code on finish, and
 * the printf-style print functions.
 *
 * ComIn's finish never returns into the plugin.  The core cannot raise a
 * Python exception through C frames, so a finish requested inside a C API
 * call is recorded by the core, the call returns into its trampoline
 * (libcomin.c) and the trampoline longjmps to the guard around the plugin
 * code (primary constructor or callback); the core then re-raises it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "comin.h"
#include "comin_internal.h"

volatile int comin_internal_unwind = 0;
/* GCC's __builtin_setjmp/__builtin_longjmp (a five-word buffer, no signal
 * mask, a handful of instructions): the guard is on the hot path of every
 * C callback.  The compiler saves the call-saved registers of the function
 * that contains the __builtin_setjmp.  Each guard's buffer lives in its own
 * stack frame; they form a chain through `previous`. */
typedef struct guard {
  void* buf[5];
  struct guard* previous;
} guard_t;

static guard_t* innermost = NULL;
static comin_dispatch_t* dispatch = NULL;   /* the session's dispatch state (core) */

volatile int* comin_internal_unwind_flag(void) { return &comin_internal_unwind; }

__attribute__((noinline)) void comin_internal_do_unwind(void) {
  if (innermost != NULL) __builtin_longjmp(innermost->buf, 1);
  if (dispatch != NULL && dispatch->cur_pid != 0) {
    /* (a plugin is current, and no guard: only the fast path runs plugin code so) */
    /* A finish inside a C callback that a C or Fortran host's context call ran on the
     * fast path, and the host's error handler returned: there is no guard to unwind to,
     * and a finish never returns into the plugin, so the process ends (as ComIn's host
     * handler would end it). */
    fputs(" comin: finish inside a C callback returned from the host's error handler; "
          "ending the process\n", stderr);
    fflush(NULL);
    _exit(1);
  }
  /* No plugin code to unwind (a host called the API): the call simply
   * returns; the run has ended (the session is closed). */
  comin_internal_unwind = 0;
}

static __attribute__((noinline)) int call_guarded(void (*fn)(void)) {
  guard_t g;
  g.previous = innermost;
  if (__builtin_setjmp(g.buf) == 0) {
    innermost = &g;
    fn();
    innermost = g.previous;
    return 0;
  }
  innermost = g.previous;
  comin_internal_unwind = 0;
  return 1;
}

int comin_internal_call_guarded(void (*fn)(void)) { return call_guarded(fn); }

/* The fast path's call, with the callback's plugin, entry point and domain current.  Only
 * `cur` lives across the call (the empty asm hides that it is `d`), so the compiler saves a
 * register in this block alone and not on every way into the function: 2.7 -> 2.2 ns per
 * call (tools/bench.py ep_c_callback; as is the fall-through for domain -1). */
static inline void fast_call(comin_dispatch_t* d, const comin_fast_t* f, int ep, int domain_id) {
  int* cur = &d->cur_pid;
  __asm__("" : "+r"(cur));
  cur[0] = f->pid;
  d->cur_ep = ep;
  d->cur_domain = domain_id;
  f->cfunc();
  cur[0] = 0;
}

int comin_internal_set_dispatch(comin_dispatch_t* d, int sizeof_dispatch) {
  if (d != NULL && sizeof_dispatch != (int)sizeof(comin_dispatch_t)) { dispatch = NULL; return -1; }
  dispatch = d;
  return 0;
}

/* ComIn's context call.  Fast path (comin_fast_slot, comin_internal.h): the entry point
 * has one callback that needs no syncs and nothing is printed; when it is a C callback it
 * is called here with its plugin current, without entering the core and without a guard
 * of its own (a finish inside it unwinds to an outer guard if there is one, else ends
 * the process: see comin_internal_do_unwind).  A call with nothing to do returns at once.
 * Everything else (and the first call of a session, which hands libcomin the dispatch
 * state) goes to the core. */
void comin_callback_context_call(t_comin_entry_point ep, int domain_id, bool lacc) {
  comin_dispatch_t* d = dispatch;
  const comin_fast_t* f;
  if (__builtin_expect(d != NULL, 1) &&
      __builtin_expect((f = comin_fast_slot(d, (int)ep, domain_id, lacc)) != NULL, 1)) {
    if (__builtin_expect(f->cfunc != NULL, 1)) {
      fast_call(d, f, (int)ep, domain_id);
      return;
    }
    if (comin_nothing_at(d, (int)ep)) return;
  }
  comin_internal_context_call_slow(ep, domain_id, lacc);
}

#define COMIN_PRINT_F(NAME, TARGET)                 \
  void NAME(const char* fmt, ...) {                 \
    char buf[4096];                                 \
    va_list ap;                                     \
    va_start(ap, fmt);                              \
    vsnprintf(buf, sizeof(buf), fmt, ap);           \
    va_end(ap);                                     \
    TARGET(buf);                                    \
  }

COMIN_PRINT_F(comin_print_debug_f, comin_print_debug)
COMIN_PRINT_F(comin_print_info_f, comin_print_info)
COMIN_PRINT_F(comin_print_warning_f, comin_print_warning)

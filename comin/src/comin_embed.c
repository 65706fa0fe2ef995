/* Embedded Python for C and Fortran hosts.
 *
 * libcomin forwards every call through the table that the comin core (the
 * Python extension comin._core) fills when it is imported.  In a Python
 * process the core is imported first and this file is never used.  A C or
 * Fortran host links libcomin and calls it directly: the first call finds
 * the table empty and comes here, which
 *
 *   1. loads libpython with RTLD_GLOBAL (extension modules such as NumPy
 *      and mpi4py resolve their Python symbols against it): the library
 *      named by $COMIN_LIBPYTHON, else the one this libcomin was built
 *      with (COMIN_LIBPYTHON, from sysconfig at build time);
 *   2. starts the interpreter unless one runs (Py_InitializeEx(0): no
 *      signal handlers), with $COMIN_PYTHON, else $VIRTUAL_ENV/bin/python,
 *      else the interpreter this libcomin was built with (COMIN_PYTHON_EXE)
 *      as program name, so that the right prefix and site-packages count
 *      (without one, Python takes the first `python3` on PATH, which under
 *      Open MPI's mpiexec is often /usr/bin/python3 without NumPy);
 *   3. puts the directory that holds this libcomin's package first on
 *      sys.path (the core must be the one built with this libcomin) and
 *      imports comin._core, which fills the table;
 *   4. makes Python's stdout line-buffered so that plugin output and the
 *      host's output appear in order.
 *
 * The interpreter started here keeps the GIL on the host's thread for the
 * whole run: the core's functions take it (PyGILState_Ensure, cheap when the
 * thread holds it) and libcomin's fast paths do not need it.  libcomin does
 * not link libpython: a C plugin loaded into a Python process keeps using
 * that process's interpreter.  Failures print what went wrong and point at
 * `python -m comin doctor`, then exit(1).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "comin_internal.h"

#ifndef COMIN_LIBPYTHON
#define COMIN_LIBPYTHON ""
#endif
#ifndef COMIN_PYTHON_EXE
#define COMIN_PYTHON_EXE ""
#endif

static int state = 0;      /* 0: not tried, 1: running, 2: done */
static int started_python = 0;

int comin_internal_embedded(void) { return started_python; }

const char* comin_internal_libpython(void) { return COMIN_LIBPYTHON; }

static void fail(const char* fn, const char* what, const char* detail) {
  fflush(stdout);
  fprintf(stderr,
          "comin: %s: cannot start the comin core in this process: %s%s%s\n"
          "comin: run `python -m comin doctor` (with the environment of the host) to see which "
          "Python, NumPy, mpi4py and MPI library are used and what does not match.\n",
          fn, what, detail ? ": " : "", detail ? detail : "");
  fflush(stderr);
  exit(1);
}

#define SYM(handle, type, name)                                       \
  type name = (type)dlsym(handle, #name);                             \
  if (name == NULL) fail(fn, "libpython lacks " #name, dlerror());

void comin_internal_embed(const char* fn) {
  if (state == 2) return;
  if (state == 1) fail(fn, "libcomin was called while the comin core was being imported", NULL);
  state = 1;
  const char* lib = getenv("COMIN_LIBPYTHON");
  if (lib == NULL || !*lib) lib = COMIN_LIBPYTHON;
  void* py = NULL;
  /* a Python already in the process (e.g. a host started from Python) comes first */
  void* self = dlopen(NULL, RTLD_NOW);
  if (self != NULL && dlsym(self, "Py_IsInitialized") != NULL) py = self;
  if (py == NULL) {
    if (!*lib) fail(fn, "libcomin was built without a shared libpython; set COMIN_LIBPYTHON", NULL);
    py = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
    if (py == NULL) {
      char msg[512];
      snprintf(msg, sizeof msg, "cannot load libpython '%s' (set COMIN_LIBPYTHON to a shared libpython)", lib);
      fail(fn, msg, dlerror());
    }
  }
  typedef int (*int_void)(void);
  typedef void (*void_int)(int);
  typedef void (*void_void)(void);
  typedef void* (*obj_str)(const char*);
  typedef int (*int_obj_ssize_obj)(void*, long, void*);
  typedef void (*void_obj)(void*);
  typedef int (*int_str)(const char*);
  typedef wchar_t* (*wstr_str)(const char*, size_t*);
  typedef void (*void_wstr)(const wchar_t*);
  typedef int (*gil_ensure)(void);
  typedef void (*gil_release)(int);
  SYM(py, int_void, Py_IsInitialized)
  SYM(py, void_int, Py_InitializeEx)
  SYM(py, gil_ensure, PyGILState_Ensure)
  SYM(py, gil_release, PyGILState_Release)
  SYM(py, obj_str, PyImport_ImportModule)
  SYM(py, void_void, PyErr_Print)
  SYM(py, obj_str, PySys_GetObject)
  SYM(py, obj_str, PyUnicode_DecodeFSDefault)
  SYM(py, int_obj_ssize_obj, PyList_Insert)
  SYM(py, void_obj, Py_DecRef)
  SYM(py, int_str, PyRun_SimpleString)
  /* optional (deprecated since 3.11): without them the program name stays the host's */
  wstr_str Py_DecodeLocale = (wstr_str)dlsym(py, "Py_DecodeLocale");
  void_wstr Py_SetProgramName = (void_wstr)dlsym(py, "Py_SetProgramName");

  int gil = -1;
  if (!Py_IsInitialized()) {
    const char* prog = getenv("COMIN_PYTHON");
    char buf[4096];
    if ((prog == NULL || !*prog) && getenv("VIRTUAL_ENV") != NULL) {
      snprintf(buf, sizeof buf, "%s/bin/python", getenv("VIRTUAL_ENV"));
      prog = buf;
    }
    /* the build's interpreter only goes with the build's libpython */
    if ((prog == NULL || !*prog) && strcmp(lib, COMIN_LIBPYTHON) == 0 && access(COMIN_PYTHON_EXE, X_OK) == 0)
      prog = COMIN_PYTHON_EXE;
    if (prog != NULL && *prog && Py_DecodeLocale != NULL && Py_SetProgramName != NULL) {
      wchar_t* w = Py_DecodeLocale(prog, NULL);   /* kept: Python uses it for the whole run */
      if (w != NULL) Py_SetProgramName(w);
    }
    Py_InitializeEx(0);
    if (!Py_IsInitialized()) fail(fn, "Py_InitializeEx failed", NULL);
    started_python = 1;
  } else {
    gil = PyGILState_Ensure();
  }

  /* this libcomin's package first on sys.path: <root>/comin/lib/libcomin.so */
  Dl_info info;
  if (dladdr((void*)&comin_internal_embed, &info) && info.dli_fname != NULL) {
    char path[4096], probe[4200];
    if (realpath(info.dli_fname, path) != NULL) {
      char* root = dirname(dirname(dirname(path)));
      snprintf(probe, sizeof probe, "%s/comin/__init__.py", root);
      if (access(probe, R_OK) == 0) {
        void* syspath = PySys_GetObject("path");
        void* entry = PyUnicode_DecodeFSDefault(root);
        if (syspath != NULL && entry != NULL) PyList_Insert(syspath, 0, entry);
        if (entry != NULL) Py_DecRef(entry);
      }
    }
  }
  void* core = PyImport_ImportModule("comin._core");
  if (core == NULL) {
    PyErr_Print();
    fail(fn, "`import comin._core` failed (traceback above)", NULL);
  }
  Py_DecRef(core);
  if (started_python)
    PyRun_SimpleString(
        "import sys\n"
        "for _s in (sys.stdout, sys.stderr):\n"
        "    try:\n"
        "        _s.reconfigure(line_buffering=True, write_through=True)\n"
        "    except Exception:\n"
        "        pass\n");
  if (gil != -1) PyGILState_Release(gil);
  if (!comin_internal_has_table()) {
    fail(fn, "the comin core that Python imported belongs to another libcomin "
             "(check PYTHONPATH: the comin package must be the one this host links)", NULL);
  }
  state = 2;
}

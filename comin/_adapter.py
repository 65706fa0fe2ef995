"""The Python adapter: how a plugin description becomes a running plugin.

ComIn runs Python plugins through its ``python_adapter`` library: the
plugin's options string is the script path followed by its arguments, and
the script's top level is the primary constructor.  This module does the
same inside one interpreter.  Each script runs in a fresh namespace, so
several Python plugins coexist; the ``comin`` module is shared.  Python
plugins get ``errors_return`` switched on, so ComIn errors reach them as
:class:`comin.ComInError` exceptions.

Shared-library plugins (C, Fortran) are opened with dlopen (after
``libcomin``, so their ``-lcomin`` binds to the core's instance) and their
primary constructor symbol is called through libcomin's guard (a finish
inside it unwinds back to the core).  An empty ``plugin_library`` means the
symbols of the host process (``dlopen(NULL)``).
"""
from __future__ import annotations

import os
import shlex
import sys
import traceback
from dataclasses import dataclass
from typing import Callable, Optional

from comin._table import MAX_LEN

PYTHON_ADAPTER = "libpython_adapter.so"


def default_name(text: str) -> str:
    """A plugin name made up by comin (from a script, a library, a callable): ``text`` cut
    to ComIn's plugin-name limit, the one place that decides how such names are cut."""
    return text[:MAX_LEN["COMIN_MAX_LEN_PLUGIN_NAME"]]


def library_name(plugin_library: str, primary_constructor: str) -> str:
    """ComIn's name of a plugin whose namelist entry has no ``name``: the library's file name
    and the constructor, ``libsimple_c_plugin.so(comin_main)``.  Upstream keeps it whole (an
    allocatable string), so it may exceed the 32 characters of a given ``name``."""
    return f"{plugin_library.rstrip('/').rsplit('/', 1)[-1]}({primary_constructor})"


@dataclass
class PluginDescription:
    """One entry of ComIn's plugin list (``&comin_nml plugin_list(i)``).

    Defaults are ComIn's.  ``plugin_library`` naming ``libpython_adapter``
    means a Python plugin whose script (and arguments) is ``options``.
    ``constructor`` is a comin extension for Python hosts and tests: a
    callable run as the primary constructor (instead of a script).
    """

    name: str = ""
    plugin_library: str = ""
    primary_constructor: str = "comin_main"
    options: str = ""
    comm: str = ""
    log_debug: bool = False
    log_info: bool = True
    log_warning: bool = True
    constructor: Optional[Callable[[], None]] = None

    @classmethod
    def python(cls, script_and_args: str, name: str = "", comm: str = "", **kw) -> "PluginDescription":
        """A Python plugin from ``"script.py arg ..."`` (named after the script by default)."""
        words = shlex.split(script_and_args)
        if not words:
            raise ValueError("a Python plugin needs a script path")
        if not name:
            name = default_name(os.path.splitext(os.path.basename(words[0]))[0])
        return cls(name=name, plugin_library=PYTHON_ADAPTER, options=script_and_args,
                   comm=comm, **kw)

    @classmethod
    def library(cls, path: str, options: str = "", name: str = "",
                primary_constructor: str = "comin_main", **kw) -> "PluginDescription":
        """A shared-library plugin (C, Fortran), named as ComIn names it by default
        (``lib....so(comin_main)``, whatever its length, as upstream's)."""
        if not name:
            name = library_name(path, primary_constructor)
        return cls(name=name, plugin_library=path, primary_constructor=primary_constructor,
                   options=options, **kw)

    @property
    def is_python(self) -> bool:
        """True for plugins run by the Python adapter (script or constructor)."""
        lib = os.path.basename(self.plugin_library)
        return self.constructor is not None or lib.startswith("libpython_adapter") or (
            not self.plugin_library and self.options.split(" ", 1)[0].endswith(".py"))


def as_description(obj) -> PluginDescription:
    """Accept a PluginDescription, a ``"script.py args"`` string, a dict or a callable."""
    if isinstance(obj, PluginDescription):
        return obj
    if isinstance(obj, str):
        return PluginDescription.python(obj)
    if isinstance(obj, dict):
        return PluginDescription(**obj)
    if callable(obj):
        name = default_name(getattr(obj, "__name__", "plugin"))
        return PluginDescription(name=name, constructor=obj)
    raise TypeError(f"a plugin is a PluginDescription, a 'script.py args' string, a dict or "
                    f"a callable, not {type(obj).__name__}")


def run_primary_constructor(state, plugin) -> None:
    """Run one plugin's primary constructor (the core has made it current)."""
    desc = plugin.description
    if not desc.is_python:
        run_library_constructor(state, plugin)
        return
    plugin.errors_return = True
    if desc.constructor is not None:
        _guarded(state, plugin, desc.constructor, f"constructor of plugin '{plugin.name}'")
        return
    words = shlex.split(plugin.options)
    if not words:
        state.finish("python_adapter::comin_main",
                     f"Python plugin '{plugin.name}' has no script in its options")
    script = words[0]
    try:
        with open(script, encoding="utf-8") as f:
            source = f.read()
    except OSError as exc:
        sys.stderr.write(f"Cannot read {script}: {exc.strerror}\n")
        state.finish("python_adapter::comin_main", f"Error while executing script {script} "
                     f"(plugin '{plugin.name}')")
    try:
        code = compile(source, script, "exec")
    except (SyntaxError, ValueError) as exc:
        # the script never ran: one line naming the place, not a traceback of the adapter
        sys.stderr.write(syntax_error_line(script, exc) + "\n")
        sys.stderr.flush()
        state.finish("python_adapter::comin_main", f"Error while executing script {script} "
                     f"(plugin '{plugin.name}')")
    namespace = {"__name__": "__main__", "__file__": os.path.abspath(script),
                 "__builtins__": __builtins__}
    plugin.namespace = namespace

    def run():
        old_argv = sys.argv
        sys.argv = words
        try:
            exec(code, namespace)
        finally:
            sys.argv = old_argv

    _guarded(state, plugin, run, script)


def run_library_constructor(state, plugin) -> None:
    """dlopen a C/Fortran plugin and call its primary constructor (ComIn's loading sequence)."""
    import ctypes
    from comin._core import _call_c_function, _capi_available
    lib_path = plugin.plugin_library
    routine = "comin_plugin_primaryconstructor"
    ok, why = _capi_available()
    if not ok:
        state.finish(routine, f"ERROR: Cannot load plugin {lib_path}: libcomin is not available ({why})")
    # gfortran buffers its units 0 and 6 when they are files: a Fortran plugin's WRITE(0,*)
    # lines would come out at the end of the run, after all of comin's (and other plugins')
    # lines.  Unbuffered, as on a terminal, they interleave where they were written.  The
    # Fortran runtime reads this when it is loaded (with the first Fortran plugin).
    os.environ.setdefault("GFORTRAN_UNBUFFERED_PRECONNECTED", "y")
    try:
        # RTLD_LOCAL, as ComIn's dlopen(path, RTLD_NOW): a plugin's own symbols (e.g. a
        # Fortran BIND(C) callback named like another plugin's) must not bind across
        # plugins; libcomin, which every plugin links, is already loaded globally
        lib = ctypes.CDLL(lib_path or None, mode=os.RTLD_LOCAL | os.RTLD_NOW)
    except OSError as exc:
        state.finish(routine, f"ERROR: Cannot load plugin {lib_path}: {exc}{_load_hint(str(exc))}")
    symbol = plugin.primary_constructor
    try:
        fn = getattr(lib, symbol)
    except AttributeError as exc:
        state.finish(routine, f"ERROR: Cannot load primary constructor {symbol} from plugin "
                              f"{lib_path or '(host process)'}: {exc} (name the plugin's primary "
                              f"constructor in the namelist, plugin_list(i)%primary_constructor, "
                              f"or on comin's command line as \"{os.path.basename(lib_path) or 'lib.so'}"
                              f"(constructor) [options]\")")
    _call_c_function(ctypes.cast(fn, ctypes.c_void_p).value)


def _load_hint(error: str) -> str:
    """What to do about a dlopen error that comes from how the plugin was built."""
    if "undefined symbol" in error and ("_MOD_" in error or "__comin_" in error):
        return (" (a Fortran plugin links comin's Fortran modules: link it with the flags "
                "of `comin-config --flibs`, not --libs)")
    return ""


def syntax_error_line(script: str, exc: BaseException) -> str:
    """``"file:line: SyntaxError: message"`` for a script that does not compile.

    ``exc`` is the SyntaxError (or IndentationError, TabError) of
    ``compile``, or its ValueError for source with null bytes.
    """
    if isinstance(exc, SyntaxError):
        where = exc.filename or script
        if exc.lineno:
            where += f":{exc.lineno}"
        return f"{where}: {type(exc).__name__}: {exc.msg}"
    return f"{script}: cannot compile: {exc}"


def _guarded(state, plugin, fun, what: str) -> None:
    """Run ``fun``; an escaping exception prints its traceback and finishes."""
    from comin._core import ComInFinish
    try:
        fun()
    except ComInFinish:
        raise
    except BaseException:
        traceback.print_exc()
        sys.stderr.write(f"Error while executing {what}\n")
        sys.stderr.flush()
        state.finish("python_adapter::comin_main",
                     f"Error while executing script (plugin '{plugin.name}')")

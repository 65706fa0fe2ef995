"""The plugins of a command: PLUGIN arguments and ``--namelist FILE``, checked before anything runs.

A typo in a plugin path costs no grid generation: every script must exist,
be UTF-8 text and compile; a library given as a path must exist.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
from typing import List

from comin._adapter import PluginDescription, syntax_error_line
from comin.cli.base import BadInput



def add_plugin_args(p: argparse.ArgumentParser) -> None:
    """The PLUGIN arguments and ``--namelist`` of ``comin run`` and ``comin replay``."""
    p.add_argument("plugins", nargs="*", metavar="PLUGIN",
                   help='a Python plugin: "script.py [args...]" in one quoted string; a C or '
                        'Fortran plugin: "libplugin.so[(constructor)] [options]"')
    p.add_argument("--namelist", metavar="FILE",
                   help="read the plugins from ICON's &comin_nml namelist in FILE "
                        "(plugin_list(i)%%name, %%plugin_library, %%primary_constructor, "
                        "%%options, %%comm, %%log_*); they run before the PLUGIN arguments")


def check_script(script: str, where: str = "") -> None:
    """``script`` exists, is readable UTF-8 text and compiles; else BadInput.

    ``where`` prefixes the message (the namelist entry that names the script).
    """
    if not os.path.exists(script):
        raise BadInput(f"{where}no such plugin script: {script}")
    if os.path.isdir(script):
        raise BadInput(f"{where}plugin script {script} is a directory")
    try:
        with open(script, encoding="utf-8") as f:
            source = f.read()
    except OSError as exc:
        raise BadInput(f"{where}cannot read plugin script {script}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{where}plugin script {script} is not UTF-8 text "
                       "(is it a Python script?)") from None
    try:
        compile(source, script, "exec")
    except (SyntaxError, ValueError) as exc:
        raise BadInput(syntax_error_line(script, exc)) from None


#: a shared-library plugin on the command line: ``LIB.so`` or ``LIB.so(CONSTRUCTOR)``, the
#: second as ComIn writes a plugin's default name
_LIBRARY = re.compile(r"^(.+\.so(?:\.[0-9.]+)?)(?:\(([A-Za-z_][A-Za-z0-9_$]*)\))?$")


def _not_python(word: str) -> str:
    return f"{word} is neither a Python plugin script (*.py) nor a shared library (*.so)"


def check_library(lib: str, where: str = "") -> None:
    """A library given as a path must exist (a bare name is left to dlopen's search)."""
    if "/" in lib and not os.path.isfile(lib):
        raise BadInput(f"{where}no such plugin library: {lib}")


def collect_plugins(args, command: str = "run", allow_none: bool = False) -> List[PluginDescription]:
    """The plugin list: the namelist's plugins, then the PLUGIN arguments, all checked.

    ``command`` names the subcommand in messages; ``allow_none``: an empty list is fine.
    """
    from comin.namelist import NamelistError, read_plugin_list
    plugins = []
    if args.namelist is not None:
        try:
            listed = read_plugin_list(args.namelist)
        except NamelistError as exc:
            raise BadInput(str(exc)) from None
        if not listed and not args.plugins:
            raise BadInput(f"{args.namelist}: &comin_nml lists no plugins")
        for p in listed:
            what = f"{args.namelist}: plugin '{p.name or p.plugin_library}'"
            if not p.is_python:          # a C/Fortran plugin: dlopen'ed when the run starts
                check_library(p.plugin_library, what + ": ")
                plugins.append(p)
                continue
            try:
                script = shlex.split(p.options)[0]
            except ValueError as exc:
                raise BadInput(f"{what}: cannot split its options {p.options!r}: {exc}") from None
            check_script(script, what + ": ")
            plugins.append(p)
    for spec in args.plugins:
        try:
            words = shlex.split(spec)
        except ValueError as exc:
            raise BadInput(f"plugin {spec!r}: cannot split it into script and arguments: "
                           f"{exc}") from None
        if not words:
            raise BadInput("empty plugin argument: give \"script.py [args...]\"")
        library = _LIBRARY.match(words[0])
        if library:                      # "libfoo.so[(constructor)] options": a C/Fortran plugin
            check_library(library.group(1))
            options = spec.strip().split(None, 1)[1] if len(spec.split()) > 1 else ""
            plugins.append(PluginDescription.library(
                library.group(1), options, primary_constructor=library.group(2) or "comin_main"))
            continue
        if not words[0].endswith(".py"):
            raise BadInput(_not_python(words[0]))
        check_script(words[0])
        plugins.append(PluginDescription.python(spec))
    if not plugins and not allow_none:
        example = ("comin run my_plugin.py" if command == "run"
                   else f"comin {command} DIR my_plugin.py")
        raise BadInput(f"no plugin given: name a plugin script ({example}) "
                       "or a namelist (--namelist FILE)")
    return plugins

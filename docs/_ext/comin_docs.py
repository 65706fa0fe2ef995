"""Sphinx extension of comin's documentation: pages that are executed, and tables that are generated.

Nothing a reader sees about comin's behaviour is typed by hand when it can be
produced: examples run while the documentation builds, and the tables of
functions and constants are read from the package's own tables.

``.. comin-run:: [comin run options]``
    Runs a plugin in the built-in emulator (``python3 -m comin run``) while the
    documentation builds and shows its output.  The directive's content is
    the plugin's source (shown, then run); or ``:plugin: path`` names a file
    of the repository (relative to the repository root).  ``:args:`` are the
    plugin's options, ``:images: glob`` shows the PNG files the run made,
    ``:also: "other.py args; ..."`` adds more plugins (repository paths) to
    the run, ``:command: replay rec`` runs another subcommand than ``run``,
    ``:workdir: name`` shares a working directory between the runs of a page
    (a ``run`` starts it afresh), ``:mpi: N`` runs it under ``mpiexec -n N``,
    ``:hide-source:`` shows only the output (stdout and stderr, where ComIn
    prints, in order).  A run that fails fails the build.

``.. comin-host:: tests/hosts/fortran_host``
    Builds a host of the repository with CMake through ``find_package(comin)``
    and runs it (``:exe:``, ``:args:``) with plugins; shows the commands and output.

``.. comin-api::``
    One table per function of the C API: its Python, C and Fortran forms side
    by side, all read from its row in ``comin/_capi.py``.  The Python column
    is checked against the ``comin`` module, the Fortran column against the
    public names of the Fortran modules in ``fortran_api/``, so a name that
    does not exist breaks the build.

``.. comin-constants:: group``
    The constants of one group of ``comin/_table.py`` (entry points, flags,
    error codes, ...), with their values, identical in the three languages.

``.. comin-icon4py-entry-points::``
    Every entry point and whether the icon4py host calls it, with the reason
    when it does not (``comin/hosts/icon4py/host.py``).
"""
from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))      # the repository
GENERATED = "_generated"                            # under the docs source dir (gitignored)


def _literal(text: str, language: str = "text", caption: Optional[str] = None) -> nodes.Node:
    block = nodes.literal_block(text, text)
    block["language"] = language
    if caption is None:
        return block
    container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
    container += nodes.caption(caption, caption)
    container += block
    return container


def _run_checked(cmd: List[str], cwd: str, env: dict, timeout: int, what: str) -> str:
    """Run ``cmd`` (stdout and stderr together, in order); its output, or an ExtensionError
    naming ``what`` when it fails or times out (a broken example fails the build)."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ExtensionError(f"{what} timed out") from exc
    if proc.returncode != 0:
        raise ExtensionError(f"{what} failed (exit {proc.returncode}):\n{proc.stdout}")
    return proc.stdout


class CominRun(SphinxDirective):
    """Run a plugin in the emulator at build time; show its source and output."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = {
        "plugin": directives.unchanged_required,
        "args": directives.unchanged,
        "name": directives.unchanged,
        "images": directives.unchanged,
        "hide-source": directives.flag,
        "also": directives.unchanged,
        "command": directives.unchanged,
        "workdir": directives.unchanged,
        "mpi": directives.positive_int,
        "timeout": directives.positive_int,
    }

    def run(self) -> List[nodes.Node]:
        from comin.parallel import launcher_environ, mpiexec_command
        docname = self.env.docname
        serial = self.env.new_serialno("comin-run")
        command = shlex.split(self.options.get("command", "run"))
        rundir = os.path.join(self.env.srcdir, GENERATED, docname.replace("/", "_"),
                              self.options.get("workdir", str(serial)))
        if command[0] == "run":
            shutil.rmtree(rundir, ignore_errors=True)
        os.makedirs(rundir, exist_ok=True)
        out: List[nodes.Node] = []
        if "plugin" in self.options:
            script = os.path.join(ROOT, self.options["plugin"])
            if not os.path.exists(script):
                raise self.error(f"comin-run: no plugin file {self.options['plugin']!r}")
            self.env.note_dependency(script)
            shown = self.options["plugin"]
            source = open(script, encoding="utf-8").read()
            language = ("c" if script.endswith(".c") else
                        "fortran" if script.endswith((".F90", ".f90")) else "python")
        else:
            if not self.content:
                raise self.error("comin-run: give the plugin's source as content or :plugin: path")
            name = self.options.get("name", "my_plugin")
            script = os.path.join(rundir, name + ".py")
            source = "\n".join(self.content) + "\n"
            with open(script, "w", encoding="utf-8") as f:
                f.write(source)
            shown = name + ".py"
            language = "python"
        build_text = ""
        if script.endswith((".c", ".F90", ".f90")):
            script, shown, build_text = self._compile(script, rundir, shown)
        plugin = " ".join([shlex.quote(script)] + ([self.options["args"]] if self.options.get("args") else []))
        options = shlex.split(self.arguments[0]) if self.arguments else []
        also = [a.strip() for a in self.options.get("also", "").split(";") if a.strip()]
        also_abs = []
        for other in also:
            path, *rest = other.split(None, 1)
            if not os.path.exists(os.path.join(ROOT, path)):
                raise self.error(f"comin-run: no plugin file {path!r} (in :also:)")
            also_abs.append(" ".join([shlex.quote(os.path.join(ROOT, path))] + rest))
        cmd = [sys.executable, "-m", "comin", *command, plugin, *also_abs, "--no-progress", *options]
        launcher = ""
        if self.options.get("mpi"):
            cmd = mpiexec_command(self.options["mpi"], cmd)
            launcher = f"mpiexec -n {self.options['mpi']} "
        shown_cmd = launcher + f"python3 -m comin {' '.join(command)} " + " ".join(
            shlex.quote(a) for a in [" ".join([shown] + ([self.options["args"]] if self.options.get("args") else []))]
            + also + options)
        if "hide-source" not in self.options:
            out.append(_literal(source, language, caption=shown))
        env = launcher_environ(PYTHONUNBUFFERED="1", COLUMNS="100")
        text = _run_checked(cmd, rundir, env, self.options.get("timeout", 300),
                            f"{docname}: comin-run {shown_cmd}")
        out.append(_literal(build_text + "$ " + shown_cmd + "\n" + text.rstrip() + "\n", "console"))
        if self.options.get("images"):
            found = sorted(glob.glob(os.path.join(rundir, self.options["images"])))
            if not found:
                raise ExtensionError(f"{docname}: comin-run made no file matching {self.options['images']!r}")
            for path in found:
                rel = "/" + os.path.relpath(path, self.env.srcdir).replace(os.sep, "/")
                image = nodes.image(uri=rel, alt=os.path.basename(path), width="80%")
                self.state.document.settings.env.images.add_file(docname, path)
                out.append(image)
        return out


    def _compile(self, source: str, rundir: str, shown: str):
        """Build a C or Fortran plugin as a user would, with comin-config's flags (comin's build
        recipe, :mod:`comin._build`); -> (library, shown name, log)."""
        from comin import _build
        name = os.path.splitext(os.path.basename(source))[0]
        language = _build.language_of(source)
        flags, libs = ("--fflags", "--flibs") if language == "fortran" else ("--cflags", "--libs")
        shown_cmd = (f"{' '.join(_build.compiler(language))} -shared -fPIC $(comin-config {flags}) "
                     f"{shown} -o lib{name}.so $(comin-config {libs})")
        try:
            lib = _build.build([source], os.path.join(rundir, f"lib{name}.so"), workdir=rundir,
                               fortran_api="modules")
        except _build.BuildError as exc:
            raise ExtensionError(f"{self.env.docname}: building {shown} failed: {exc}") from None
        return lib, f"./lib{name}.so", f"$ {shown_cmd}\n"


class CominHost(SphinxDirective):
    """Build a host of the repository with CMake (``find_package(comin)``) and run it with plugins.

    ``.. comin-host:: tests/hosts/fortran_host`` builds that CMake project as a
    user would, then runs ``:exe:`` with ``:args:`` (``{root}`` is the
    repository); the build and the run must succeed, and the output is shown.
    """

    required_arguments = 1
    option_spec = {"exe": directives.unchanged_required, "args": directives.unchanged,
                   "timeout": directives.positive_int}

    def run(self) -> List[nodes.Node]:
        import comin
        from comin.parallel import launcher_environ
        source = os.path.join(ROOT, self.arguments[0])
        if not os.path.exists(os.path.join(source, "CMakeLists.txt")):
            raise self.error(f"comin-host: no CMakeLists.txt in {self.arguments[0]!r}")
        serial = self.env.new_serialno("comin-host")
        build = os.path.join(self.env.srcdir, GENERATED, self.env.docname.replace("/", "_"),
                             f"host{serial}")
        shutil.rmtree(build, ignore_errors=True)
        os.makedirs(build)
        steps = [["cmake", "-S", source, "-B", build, f"-Dcomin_DIR={comin.get_cmake_dir()}"],
                 ["cmake", "--build", build]]
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise ExtensionError(f"{self.env.docname}: comin-host: {' '.join(cmd)} failed:\n"
                                     f"{proc.stdout}{proc.stderr}")
        args = shlex.split(self.options.get("args", "").replace("{root}", ROOT))
        exe = self.options["exe"]
        env = launcher_environ(GFORTRAN_UNBUFFERED_ALL="1", PYTHONUNBUFFERED="1")
        output = _run_checked([os.path.join(build, exe), *args], build, env,
                              self.options.get("timeout", 300), f"{self.env.docname}: comin-host {exe}")
        shown_args = " ".join(shlex.quote(a.replace(ROOT + os.sep, "")) for a in args)
        text = (f"$ cmake -S {self.arguments[0]} -B build -Dcomin_DIR=$(python3 -c "
                f"'import comin; print(comin.get_cmake_dir())')\n$ cmake --build build\n"
                f"$ ./build/{exe} {shown_args}\n{output.rstrip()}\n")
        return [_literal(text, "console")]


# -- the API table ------------------------------------------------------------------------------

def _fortran_public_names() -> Dict[str, set]:
    """Public names and type-bound procedures (``type%binding``) of the Fortran modules of
    fortran_api/ (with their include files) -> the modules that have them."""
    from comin import _codegen
    names: Dict[str, set] = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "fortran_api", "*.F90"))):
        text = _codegen.fortran_source_text(path)
        module = re.search(r"^\s*MODULE\s+(\w+)", text, re.M | re.I)
        module = module.group(1) if module else os.path.basename(path)
        for name in _codegen.fortran_public_names(text) | _codegen.fortran_type_bindings(text):
            names.setdefault(name, set()).add(module)
    return names


def _python_cell(_capi, fn) -> str:
    """The Python form of a row (checked: every name it names exists)."""
    if isinstance(fn.python, _capi.NotIn):
        return f"(not in Python: {fn.python.reason})"
    if not fn.python:
        raise ExtensionError(f"comin-api: {fn.name} has no Python form in comin/_capi.py")
    for name in _capi.python_names(fn.python):
        if not _capi.resolve_python(name):
            raise ExtensionError(f"comin-api: the Python form of {fn.name} names {name}, "
                                 "which does not exist")
    return f"``{fn.python}``"


def _fortran_cell(_capi, fn, public: Dict[str, set]) -> str:
    """The Fortran form of a row, in the modules the row names (checked against the public
    names of fortran_api/; a type-bound procedure against its type)."""
    if isinstance(fn.fortran, _capi.NotIn):
        return f"(not in Fortran: {fn.fortran.reason})"
    names, modules = _capi.fortran_form(fn)
    if not names:
        raise ExtensionError(f"comin-api: {fn.name} has no Fortran form in comin/_capi.py")
    modules = [_capi.MODULES[m] for m in modules]
    for name in names:
        have = public.get(name.lower(), set())
        if "%" in name:         # a type-bound procedure: its type is public where the row says
            lacking = [] if have else modules
        else:
            lacking = [m for m in modules if m not in have]
        if lacking:
            raise ExtensionError(f"comin-api: {name} (Fortran form of {fn.name}) is not public in "
                                 f"{', '.join(lacking)}")
    note = getattr(fn.fortran, "note", "")
    return f"``{' / '.join(names)}``{note and ' ``' + note.strip() + '``'} ({', '.join(modules)})"


class CominApi(SphinxDirective):
    """One table per C API function with its Python and Fortran forms, all read from the
    rows of ``comin/_capi.py`` (``.. comin-api:: host``: the host functions of
    ``comin_host.h``)."""

    optional_arguments = 1

    def run(self) -> List[nodes.Node]:
        sys.path.insert(0, ROOT)
        import comin.host  # noqa: F401  (forms name comin.host.Host)
        from comin import _capi
        public = _fortran_public_names()
        host = bool(self.arguments and self.arguments[0] == "host")
        rows = _capi.host_functions() if host else _capi.functions()
        lines: List[str] = []
        descr_getters = []
        for fn in rows:
            if fn.name.startswith(("comin_descrdata_get_global_", "comin_descrdata_get_domain_")):
                descr_getters.append(fn)
                continue
            lines += [f".. _capi-{fn.name}:", "", fn.name, "~" * len(fn.name), ""]
            if host and fn.doc:
                lines += [fn.doc, ""]
            lines += [".. list-table::", "   :widths: 12 88", "",
                      "   * - Python", f"     - {_python_cell(_capi, fn)}",
                      "   * - C", f"     - ``{fn.ret} {fn.name}({fn.c_params})``",
                      "   * - Fortran", f"     - {_fortran_cell(_capi, fn, public)}", ""]
        if descr_getters:
            for fn in descr_getters:          # checked as the others
                _python_cell(_capi, fn)
                _fortran_cell(_capi, fn, public)
            lines += ["Descriptive data getters", "~~~~~~~~~~~~~~~~~~~~~~~~", "",
                      f"{len(descr_getters)} generated C getters, one per field of descriptive data "
                      "(in Python: attributes of ``comin.descrdata_get_global()`` and "
                      "``comin.descrdata_get_domain(jg)``; in Fortran: the components of the "
                      "derived types returned by ``comin_descrdata_get_global()`` / "
                      "``comin_descrdata_get_domain(jg)``):", "", ".. code-block:: c", ""]
            lines += [f"   {fn.ret} {fn.name}({fn.c_params});" for fn in descr_getters]
            lines.append("")
        return self.parse(lines)

    def parse(self, lines: List[str]) -> List[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines, source="comin-api"), self.content_offset, node,
                                match_titles=True)
        return node.children


class CominConstants(SphinxDirective):
    """The constants of one group of the constants table (same names and values in C, Fortran, Python)."""

    required_arguments = 1

    def run(self) -> List[nodes.Node]:
        sys.path.insert(0, ROOT)
        from comin import _table
        group = self.arguments[0]
        if group == "entry_points":
            header = ("name", "value")
            rows = [(name, str(i)) for i, name in enumerate(_table.ENTRY_POINTS, start=1)]
        elif group == "errors":
            header = ("name", "value", "message", "ComIn 0.2 value")
            rows = [(name, str(i), msg, "new in 0.3" if old is None else str(old))
                    for i, (name, msg, old) in enumerate(_table.ERROR_CODES)]
        elif group == "default_metadata":
            header = ("key", "default")
            rows = [(key, repr(value)) for key, value in _table.DEFAULT_METADATA]
        elif group in _table.ENUMS:
            header = ("name", "value", "note")
            rows = [(name, str(value), note) for name, value, note in _table.ENUMS[group]]
        else:
            raise self.error(f"comin-constants: no group {group!r} in comin/_table.py "
                             f"(entry_points, errors, default_metadata, {', '.join(_table.ENUMS)})")
        lines = [".. list-table::", "   :header-rows: 1", ""]
        lines += ["   * - " + header[0]] + [f"     - {h}" for h in header[1:]]
        for row in rows:
            lines += [f"   * - ``{row[0]}``"] + [f"     - {c}" if c else "     -" for c in row[1:]]
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines, source="comin-constants"), self.content_offset, node)
        return node.children


class CominIcon4pyEntryPoints(SphinxDirective):
    """Every entry point and what the icon4py host does with it (from comin.hosts.icon4py.host)."""

    def run(self) -> List[nodes.Node]:
        sys.path.insert(0, ROOT)
        from comin import _table
        from comin.hosts.icon4py.host import HONOURED, NOT_HONOURED
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 70", "",
                 "   * - entry point", "     - in icon4py"]
        for name in _table.ENTRY_POINTS:
            short = name.removeprefix("EP_")
            if short in HONOURED:
                what = "called where ICON calls it"
            elif short in NOT_HONOURED:
                what = "not called: " + NOT_HONOURED[short]
            else:
                raise self.error(f"comin-icon4py-entry-points: {name} is neither honoured nor "
                                 "explained in comin/hosts/icon4py/host.py")
            lines += [f"   * - ``{name}``", f"     - {what}"]
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines, source="comin-icon4py-entry-points"),
                                self.content_offset, node)
        return node.children


def setup(app):
    app.add_directive("comin-icon4py-entry-points", CominIcon4pyEntryPoints)
    app.add_directive("comin-run", CominRun)
    app.add_directive("comin-host", CominHost)
    app.add_directive("comin-api", CominApi)
    app.add_directive("comin-constants", CominConstants)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}

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
    One table per function of the C API (``comin/_capi.py``): its Python,
    C and Fortran forms side by side.  The Python column is checked against
    the ``comin`` module, the Fortran column against the public names of the
    Fortran modules in ``fortran_api/``, so a name that does not exist breaks
    the build.

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
            cmd = ["mpiexec", "-n", str(self.options["mpi"])] + cmd
            launcher = f"mpiexec -n {self.options['mpi']} "
        shown_cmd = launcher + f"python3 -m comin {' '.join(command)} " + " ".join(
            shlex.quote(a) for a in [" ".join([shown] + ([self.options["args"]] if self.options.get("args") else []))]
            + also + options)
        if "hide-source" not in self.options:
            out.append(_literal(source, language, caption=shown))
        env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="100")
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
        """Build a C or Fortran plugin as a user would, with comin-config; -> (library, shown name, log)."""
        name = os.path.splitext(os.path.basename(source))[0]
        lib = os.path.join(rundir, f"lib{name}.so")
        config = [sys.executable, "-m", "comin._config"]
        if source.endswith(".c"):
            flags = subprocess.run(config + ["--cflags"], capture_output=True, text=True, check=True).stdout.split()
            libs = subprocess.run(config + ["--libs"], capture_output=True, text=True, check=True).stdout.split()
            cmd = ["cc", "-shared", "-fPIC", *flags, source, "-o", lib, *libs]
            shown_cmd = f"cc -shared -fPIC $(comin-config --cflags) {shown} -o lib{name}.so $(comin-config --libs)"
        else:
            flags = subprocess.run(config + ["--fflags"], capture_output=True, text=True, check=True).stdout.split()
            libs = subprocess.run(config + ["--flibs"], capture_output=True, text=True,
                                  check=True).stdout.split()
            cmd = ["gfortran", "-shared", "-fPIC", *flags, source, "-o", lib, *libs]
            shown_cmd = (f"gfortran -shared -fPIC $(comin-config --fflags) {shown} -o lib{name}.so "
                         f"$(comin-config --flibs)")
        proc = subprocess.run(cmd, cwd=rundir, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ExtensionError(f"{self.env.docname}: building {shown} failed: {' '.join(cmd)}\n"
                                 f"{proc.stdout}{proc.stderr}")
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
        env = dict(os.environ, GFORTRAN_UNBUFFERED_ALL="1", PYTHONUNBUFFERED="1")
        output = _run_checked([os.path.join(build, exe), *args], build, env,
                              self.options.get("timeout", 300), f"{self.env.docname}: comin-host {exe}")
        shown_args = " ".join(shlex.quote(a.replace(ROOT + os.sep, "")) for a in args)
        text = (f"$ cmake -S {self.arguments[0]} -B build -Dcomin_DIR=$(python3 -c "
                f"'import comin; print(comin.get_cmake_dir())')\n$ cmake --build build\n"
                f"$ ./build/{exe} {shown_args}\n{output.rstrip()}\n")
        return [_literal(text, "console")]


# -- the API table ------------------------------------------------------------------------------

#: C functions whose Python form is not ``comin.<name without comin_>``
_PYTHON_FORMS: Dict[str, str] = {
    "comin_current_get_plugin_id": "comin.current_get_plugin_info().id",
    "comin_current_get_plugin_name": "comin.current_get_plugin_info().name",
    "comin_current_get_plugin_options": "comin.current_get_plugin_info().options",
    "comin_current_get_plugin_comm": "comin.current_get_plugin_info().comm",
    "comin_var_get_ptr": "numpy.asarray(handle)",
    "comin_var_get_ptr_double": "numpy.asarray(handle)  (dtype float64)",
    "comin_var_get_ptr_float": "numpy.asarray(handle)  (dtype float32)",
    "comin_var_get_ptr_int": "numpy.asarray(handle)  (dtype int32)",
    "comin_var_get_device_ptr": "cupy.asarray(handle)  (__cuda_array_interface__)",
    "comin_var_get_device_ptr_double": "cupy.asarray(handle)",
    "comin_var_get_device_ptr_float": "cupy.asarray(handle)",
    "comin_var_get_device_ptr_int": "cupy.asarray(handle)",
    "comin_var_get_shape": "numpy.asarray(handle).shape",
    "comin_var_get_dim_semantics": "handle.dim_semantics",
    "comin_var_get_ncontained": "handle.ncontained",
    "comin_var_get_descriptor": "(known to the caller)",
    "comin_var_get_descr_list_head": "comin.var_descr_list()",
    "comin_var_get_descr_list_next": "comin.var_descr_list()  (a Python iterable)",
    "comin_var_get_descr_list_var_desc": "comin.var_descr_list()",
    "comin_var_descr_list_iterator_delete": "(not needed: garbage collection)",
    "comin_metadata_set_integer": "comin.metadata_set",
    "comin_metadata_set_logical": "comin.metadata_set",
    "comin_metadata_set_real": "comin.metadata_set",
    "comin_metadata_set_character": "comin.metadata_set",
    "comin_metadata_get_integer": "comin.metadata_get",
    "comin_metadata_get_logical": "comin.metadata_get",
    "comin_metadata_get_real": "comin.metadata_get",
    "comin_metadata_get_character": "comin.metadata_get",
    "comin_metadata_get_iterator_begin": "comin.metadata(descriptor)  (a Mapping)",
    "comin_metadata_get_iterator_end": "comin.metadata(descriptor)",
    "comin_metadata_iterator_get_key": "comin.metadata(descriptor)",
    "comin_metadata_iterator_compare": "comin.metadata(descriptor)",
    "comin_metadata_iterator_next": "comin.metadata(descriptor)",
    "comin_metadata_iterator_delete": "(not needed: garbage collection)",
    "comin_metadata_get_typeid": "comin.metadata_get_typeid",
    "comin_plugin_finish": "comin.finish",
    "comin_error_check": "(exceptions)",
    "comin_error_set_errors_return": "(exceptions: catch comin.ComInError)",
    "comin_error_get": "comin.ComInError.code",
    "comin_error_reset": "(exceptions)",
    "comin_callback_register": "comin.callback_register  /  @comin.EP_...",
    "comin_descrdata_get_simulation_interval_exp_start": "comin.descrdata_get_simulation_interval().exp_start",
    "comin_descrdata_get_simulation_interval_exp_stop": "comin.descrdata_get_simulation_interval().exp_stop",
    "comin_descrdata_get_simulation_interval_run_start": "comin.descrdata_get_simulation_interval().run_start",
    "comin_descrdata_get_simulation_interval_run_stop": "comin.descrdata_get_simulation_interval().run_stop",
    "comin_callback_context_call": "comin.host.Host.call_ep  (host side)",
    "comin_var_get_lcontainer": "handle.lcontainer  (comin extension of the C ABI)",
    "comin_current_get_plugin_flags": "(comin extension of the C ABI for Fortran's "
                                      "t_comin_plugin_info: errors_return, log_debug/_info/_warning)",
}


def _fortran_public_names() -> Dict[str, str]:
    """Public procedure names of the Fortran modules -> the module that has them."""
    names: Dict[str, str] = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "fortran_api", "*.F90"))):
        text = open(path, encoding="utf-8").read()
        module = re.search(r"^\s*MODULE\s+(\w+)", text, re.M | re.I)
        for m in re.finditer(r"^\s*PUBLIC\s*::\s*(.*?)$", text, re.M | re.I):
            for name in m.group(1).split(","):
                name = name.strip().rstrip("&").strip().lower()
                if name.startswith("comin_"):
                    names.setdefault(name, module.group(1) if module else os.path.basename(path))
    return names


def _python_form(name: str) -> str:
    import comin
    import comin.host  # noqa: F401  (a form may name comin.host)
    form = _PYTHON_FORMS.get(name)
    if form is None:
        short = name[len("comin_"):]
        if not hasattr(comin, short):
            raise ExtensionError(f"comin-api: no Python form known for {name} (comin.{short} does not exist)")
        return f"comin.{short}"
    m = re.match(r"comin\.(\w+)", form)
    if m and not hasattr(comin, m.group(1)):
        raise ExtensionError(f"comin-api: the Python form of {name} names comin.{m.group(1)}, which does not exist")
    return form


#: host functions of comin_host.h -> their form on the Python host (comin.host.Host)
_HOST_PYTHON_FORMS: Dict[str, str] = {
    "comin_setup_init": "Host(plugins, lstdout=...)",
    "comin_setup_errhandler": "Host(..., error_handler=fn) / Host.set_error_handler",
    "comin_setup_set_verbosity_level": "Host(..., verbosity=n) / Host.set_verbosity_level",
    "comin_setup_get_verbosity_level": "(the host knows it)",
    "comin_setup_check": "Host.check",
    "comin_setup_finalize": "Host.finalize",
    "comin_descrdata_set_int": "Host.set_global / Host.set_domain (keyword arguments)",
    "comin_descrdata_set_real": "Host.set_global / Host.set_domain",
    "comin_descrdata_set_logical": "Host.set_global / Host.set_domain",
    "comin_descrdata_set_character": "Host.set_global / Host.set_domain",
    "comin_descrdata_set_array_int": "Host.set_domain(jg, cells=dict(...), ...)",
    "comin_descrdata_set_array_double": "Host.set_global / Host.set_domain",
    "comin_descrdata_set_array_int8": "Host.set_domain",
    "comin_descrdata_set_simulation_interval": "Host.set_simulation_interval",
    "comin_descrdata_set_timesteplength": "Host.set_timesteplength",
    "comin_descrdata_set_fct_glb2loc_cell": "Host.set_glb2loc_cell",
    "comin_descrdata_finalize": "(nothing to do)",
    "comin_current_set_datetime": "Host.set_datetime",
    "comin_parallel_mpi_handshake": "Host(..., comm=...) / Host.mpi_handshake",
    "comin_plugin_primaryconstructor": "Host.run_primary_constructors",
    "comin_request_get_list_size": "len(Host.requests)",
    "comin_request_get_descriptor": "Host.requests[i].descriptor",
    "comin_request_get_lmodexclusive": "Host.requests[i].lmodexclusive",
    "comin_request_get_plugin_ids": "Host.requests[i]",
    "comin_request_metadata_get_or_integer": "Host.requests[i] metadata",
    "comin_request_metadata_get_or_real": "Host.requests[i] metadata",
    "comin_request_metadata_get_or_logical": "Host.requests[i] metadata",
    "comin_request_metadata_get_or_character": "Host.requests[i] metadata",
    "comin_var_list_append": "Host.expose",
    "comin_var_set_cptr": "Host.set_array",
    "comin_var_set_sync_device_mem": "Host.set_sync_device_mem",
    "comin_var_set_sync_halo": "Host.set_sync_halo",
    "comin_var_list_finalize": "Host.finalize",
    "comin_var_request_list_finalize": "Host.finalize",
    "comin_var_descr_list_finalize": "Host.finalize",
}

#: Fortran forms of host functions whose Fortran name differs from the C name
_HOST_FORTRAN_FORMS: Dict[str, str] = {
    "comin_descrdata_set_int": "comin_descrdata_set_global / comin_descrdata_set_domain",
    "comin_descrdata_set_real": "comin_descrdata_set_global / comin_descrdata_set_domain",
    "comin_descrdata_set_logical": "comin_descrdata_set_global / comin_descrdata_set_domain",
    "comin_descrdata_set_character": "comin_descrdata_set_global / comin_descrdata_set_domain",
    "comin_descrdata_set_array_int": "comin_descrdata_set_global / comin_descrdata_set_domain",
    "comin_descrdata_set_array_double": "comin_descrdata_set_global / comin_descrdata_set_domain",
    "comin_descrdata_set_array_int8": "comin_descrdata_set_global / comin_descrdata_set_domain",
    "comin_request_metadata_get_or_integer": "comin_metadata_get_or",
    "comin_request_metadata_get_or_real": "comin_metadata_get_or",
    "comin_request_metadata_get_or_logical": "comin_metadata_get_or",
    "comin_request_metadata_get_or_character": "comin_metadata_get_or",
}


def _host_python_form(name: str) -> str:
    """The Python host's form of a host function; checked against comin.host.Host."""
    from comin.host import Host
    form = _HOST_PYTHON_FORMS.get(name)
    if form is None:
        raise ExtensionError(f"comin-api host: no Python host form known for {name}")
    for method in re.findall(r"Host\.(\w+)", form):
        if not hasattr(Host, method):
            raise ExtensionError(f"comin-api host: the Python form of {name} names Host.{method}, "
                                 "which does not exist")
    return form


class CominApi(SphinxDirective):
    """One table per C API function with its Python and Fortran forms
    (``.. comin-api:: host``: the host functions of ``comin_host.h``)."""

    optional_arguments = 1

    def run(self) -> List[nodes.Node]:
        sys.path.insert(0, ROOT)
        from comin import _capi
        fortran = _fortran_public_names()
        if self.arguments and self.arguments[0] == "host":
            return self.parse(self._host_tables(_capi, fortran))
        lines: List[str] = []
        descr_getters = []
        for fn in _capi.functions():
            if fn.name.startswith(("comin_descrdata_get_global_", "comin_descrdata_get_domain_")) \
                    and fn.name not in _PYTHON_FORMS:
                descr_getters.append(fn)
                continue
            py = _python_form(fn.name)
            fname = fn.name.lower()
            generic = re.sub(r"_(integer|logical|real|character)$", "", fname)
            f_form = (f"``{fname}`` ({fortran[fname]})" if fname in fortran else
                      f"``{generic}`` (generic; {fortran[generic]})" if generic in fortran else "—")
            lines += [f".. _capi-{fn.name}:", "", fn.name, "~" * len(fn.name), "",
                      ".. list-table::", "   :widths: 12 88", "",
                      "   * - Python", f"     - ``{py}``",
                      "   * - C", f"     - ``{fn.ret} {fn.name}({fn.c_params})``",
                      "   * - Fortran", f"     - {f_form}", ""]
        lines += ["Descriptive data getters", "~~~~~~~~~~~~~~~~~~~~~~~~", "",
                  f"{len(descr_getters)} generated C getters, one per field of descriptive data "
                  "(in Python: attributes of ``comin.descrdata_get_global()`` and "
                  "``comin.descrdata_get_domain(jg)``; in Fortran: the components of the derived "
                  "types returned by ``comin_descrdata_get_global()`` / ``comin_descrdata_get_domain(jg)``):", "",
                  ".. code-block:: c", ""]
        lines += [f"   {fn.ret} {fn.name}({fn.c_params});" for fn in descr_getters]
        lines.append("")
        return self.parse(lines)

    def _host_tables(self, _capi, fortran: Dict[str, str]) -> List[str]:
        lines: List[str] = []
        for fn in _capi.host_functions():
            f_name = _HOST_FORTRAN_FORMS.get(fn.name, fn.name)
            missing = [n for n in re.split(r"\s*/\s*", f_name) if n.lower() not in fortran]
            if missing:
                raise ExtensionError(f"comin-api host: {', '.join(missing)} (Fortran form of {fn.name}) "
                                     "is not public in fortran_api/")
            modules = sorted({fortran[n.lower()] for n in re.split(r"\s*/\s*", f_name)})
            lines += [f".. _capi-{fn.name}:", "", fn.name, "~" * len(fn.name), "",
                      _capi.HOST_DOCS.get(fn.name, ""), "",
                      ".. list-table::", "   :widths: 12 88", "",
                      "   * - Python", f"     - ``{_host_python_form(fn.name)}``",
                      "   * - C", f"     - ``{fn.ret} {fn.name}({fn.c_params})``",
                      "   * - Fortran", f"     - ``{f_name}`` ({', '.join(modules)})", ""]
        return lines

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

"""Walks the module and the descriptive data objects by introspection and
writes a Markdown summary (entry points, classes, callables with docstrings,
arrays with rank and dtype, scalars with their type)."""
import inspect

import numpy as np

import comin

out_path = comin.current_get_plugin_info().args[0]
skip = {"plugin_info", "simulation_interval", "register_callback"}


def walk(obj, out, prefix=""):
    for name in dir(obj):
        if name.startswith("_") or name in skip:
            continue
        item = getattr(obj, name)
        if item.__class__ is comin._EntryPoint:
            out.write(f"- entry point `{prefix}{name}` = {item.ep}\n")
        elif inspect.isclass(item):
            out.write(f"- class `{prefix}{name}`\n")
        elif inspect.ismodule(item):
            out.write(f"- module `{prefix}{name}`\n")
        elif callable(item):
            doc = (item.__doc__ or "").strip().splitlines()
            out.write(f"- callable `{prefix}{name}`: {doc[0] if doc else None}\n")
        else:
            try:
                out.write(f"- array `{prefix}{name}({','.join([':'] * item.ndim)})` "
                          f"({np.asarray(item).dtype})\n")
            except AttributeError:
                out.write(f"- value `{prefix}{name}` ({type(item).__name__})\n")


with open(out_path, "w") as out:
    out.write("# module\n")
    walk(comin, out)
    out.write("# plugin_info\n")
    walk(comin.current_get_plugin_info(), out, "plugin_info.")
    out.write("# global\n")
    walk(comin.descrdata_get_global(), out, "global.")
    out.write("# simulation_interval\n")
    walk(comin.descrdata_get_simulation_interval(), out, "simulation_interval.")
    domain = comin.descrdata_get_domain(1)
    for prefix, obj in (("domain.", domain), ("domain.cells.", domain.cells),
                        ("domain.edges.", domain.edges), ("domain.verts.", domain.verts)):
        out.write(f"# {prefix}\n")
        walk(obj, out, prefix)

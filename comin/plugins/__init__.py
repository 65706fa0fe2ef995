"""Plugins shipped with comin: ordinary ComIn plugins that any host loads by path.

Each is a package ``comin.plugins.<name>`` whose ``PLUGIN_SCRIPT`` is the
script a ComIn host runs (ICON: ``plugin_list(i)%plugin_library =
"libpython_adapter.so"``, ``%options = "<that path> <options>"``);
``comin plugin-path NAME`` prints it.

* :mod:`comin.plugins.recorder`   records a run for ``comin replay``
* :mod:`comin.plugins.telemetry`  a Prometheus exporter with a live page

A shipped plugin whose options ``comin run``/``comin replay`` offer has a
``cli.py`` with a :class:`comin.cli.extensions.PluginOptions`, listed in
:data:`comin.cli.extensions.PLUGIN_OPTIONS`.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from typing import List, Optional


def available() -> List[str]:
    """Names of the shipped plugins (packages here that name a ``PLUGIN_SCRIPT``)."""
    out = []
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg and _script_of(info.name) is not None:
            out.append(info.name)
    return sorted(out)


def _script_of(name: str) -> Optional[str]:
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ImportError:
        return None
    return getattr(module, "PLUGIN_SCRIPT", None)


def plugin_path(name: str) -> str:
    """Absolute path of the script of shipped plugin ``name``; ``KeyError`` naming the
    shipped ones when there is no such plugin."""
    script = _script_of(name) if name.isidentifier() else None
    if script is None:
        raise KeyError(f"no shipped plugin named {name!r} (shipped: {', '.join(available())})")
    return os.path.abspath(script)

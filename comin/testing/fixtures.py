"""pytest fixtures for testing with comin (a pytest plugin).

Enable them in a ``conftest.py``::

    pytest_plugins = ["comin.testing.fixtures"]

``comin_host``
    A factory ``comin_host(*plugins, n_dom=1, nproma=4, **host_kwargs)``: a
    :class:`comin.host.Host` with the plugins (callables run as primary
    constructors, :class:`comin.host.PluginDescription` objects or
    ``"script.py args"`` strings) and the global descriptive data ComIn needs
    before the primary constructors (``n_dom``, ``nproma``); every Host it
    made is finalized at teardown, whatever the test did, so the next test
    starts with no ComIn session.

``comin_model``
    A factory ``comin_model(n_dom=1, n_plugins=1, halo=True)`` of the
    executable specification (:class:`comin.testing.model.Model`) of a Python
    host, set up and inside the primary constructors, to compare a host's
    behaviour with step by step.
"""
from __future__ import annotations

import pytest


@pytest.fixture
def comin_host():
    from comin._adapter import default_name
    from comin.host import Host, PluginDescription

    hosts = []

    def factory(*plugins, n_dom: int = 1, nproma: int = 4, **kwargs):
        descs = [PluginDescription(name=default_name(getattr(p, "__name__", f"p{i}")), constructor=p)
                 if callable(p) and not isinstance(p, PluginDescription) else p
                 for i, p in enumerate(plugins, start=1)]
        host = Host(descs, **kwargs)
        hosts.append(host)
        host.set_global(n_dom=n_dom, nproma=nproma)
        return host

    yield factory
    for host in hosts:
        if not host.finalized:
            host.finalize()


@pytest.fixture
def comin_model():
    from comin.testing.model import Model

    def factory(n_dom: int = 1, n_plugins: int = 1, halo: bool = True) -> Model:
        """A model of a Python host with ``n_plugins`` Python plugins, set up and inside the
        primary constructors (:meth:`Model.end_primary` ends them)."""
        model = Model("python")
        model.host_init([(f"p{i}", "python") for i in range(1, n_plugins + 1)])
        model.host_global(n_dom, 4, False)
        for jg in range(1, n_dom + 1):
            model.host_domain(jg, 2, 8)
        if halo:
            model.host_halo(False)
        model.begin_primary()
        return model

    return factory

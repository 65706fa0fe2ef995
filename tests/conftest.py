"""Fixtures of the test suite; shared constants and helpers live in ``_support``."""
import pytest

from _support import *  # noqa: F401,F403  (helpers and constants the fixtures use)
from _support import Host, set_descrdata  # noqa: F401


# -- fixtures ------------------------------------------------------------------------

@pytest.fixture
def make_host():
    """Factory ``make_host(*plugins, descrdata=True, verbosity=0, **host_kwargs)``.

    Builds a Host (plugins: callables, PluginDescription objects or
    ``"script.py args"`` strings), gives it the standard descriptive data
    unless ``descrdata=False``, and finalizes it at teardown whatever the
    test did.
    """
    hosts = []

    def factory(*plugins, descrdata=True, verbosity=0, **kwargs):
        host = Host(list(plugins), verbosity=verbosity, **kwargs)
        hosts.append(host)
        if descrdata:
            set_descrdata(host)
        return host

    yield factory
    for host in hosts:
        if not host.finalized:
            host.finalize()

"""The Python host API of comin.

A host model (the emulator, the replay host, a Python model, a test) drives
plugins through :class:`Host`; plugins are listed as
:class:`PluginDescription` entries (ComIn's ``comin_nml`` plugin list).
See :class:`Host` for the order of calls.
"""
from comin._adapter import PYTHON_ADAPTER, PluginDescription, as_description
from comin._core import ComInError, ComInFinish, Host
from comin._table import DEFAULT_METADATA

__all__ = ["Host", "PluginDescription", "PYTHON_ADAPTER", "as_description",
           "ComInError", "ComInFinish", "DEFAULT_METADATA", "default_metadata"]


def default_metadata() -> dict:
    """Metadata a host gives every requested variable before the plugin's own (ComIn 0.3)."""
    return dict(DEFAULT_METADATA)

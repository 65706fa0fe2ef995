"""The emulator host under its first name: :mod:`comin.hosts.emulator`.

``from comin.emulator import Config, Emulator`` and its modules
(``comin.emulator.model``, ``.decomp``, ...) keep working: they are the same
module objects.
"""
import sys

from comin.hosts import emulator as _emulator
from comin.hosts.emulator import atmosphere, config, decomp, model, transport

for _module in (atmosphere, config, decomp, model, transport):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module
sys.modules[__name__] = _emulator

"""ICON's icosahedral grids for the emulator (global grids and nests)."""
from comin.hosts.emulator.grids.grid import *  # noqa: F401,F403
from comin.hosts.emulator.grids.grid import __all__  # noqa: F401

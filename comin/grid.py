"""The emulator's grids under their first name: :mod:`comin.hosts.emulator.grids`."""
import sys

from comin.hosts.emulator import grids as _grids

sys.modules[__name__] = _grids

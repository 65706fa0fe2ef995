"""The replay host under its first name: :mod:`comin.hosts.replay`."""
import sys

from comin.hosts import replay as _replay

sys.modules[__name__] = _replay

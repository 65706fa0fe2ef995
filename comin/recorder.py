"""The recorder plugin under its first name: :mod:`comin.plugins.recorder`.

This file is also the recorder's plugin script under its first path: a host
loads it as it loads ``comin/plugins/recorder/recorder.py``
(``plugin_list(i)%options = "<path of this file> DIR [--vars ...] [--eps ...]"``).
"""
from comin.plugins.recorder import *  # noqa: F401,F403
from comin.plugins.recorder import __all__  # noqa: F401

if __name__ == "__main__":               # loaded as a plugin script
    from comin.plugins.recorder import run_as_script
    run_as_script()

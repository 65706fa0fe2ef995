"""``comin-config`` under its first name: :mod:`comin.cli.config`."""
import sys

from comin.cli import config as _config

if __name__ == "__main__":               # python -m comin._config
    sys.exit(_config.main())
sys.modules[__name__] = _config

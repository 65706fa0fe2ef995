"""The icon4py host: ComIn plugins inside icon4py, the Python rewrite of ICON.

``comin run --host icon4py PLUGIN...`` (or :class:`Icon4pyHost` from
Python) runs ComIn plugins in icon4py 0.4.1's own driver — its
Jablonowski–Williamson experiment with the non-hydrostatic dynamical core,
diffusion and tracer transport — through comin's Python host API.  Plugins
see icon4py's fields under ICON's names without a copy, at ICON's entry
points, with descriptive data from icon4py's grid.  icon4py itself is not
changed: the host subclasses its driver and wraps its granules' ``run``.

icon4py needs Python >= 3.12, so the host runs in a virtual environment of
its own (``tools/install_icon4py.sh``); from any other Python the command
hands over to it.  Modules:

* :mod:`comin.hosts.icon4py.environment`  the virtual environment, gt4py's
  build cache, the hand-over (no icon4py import: runs on any Python)
* :mod:`comin.hosts.icon4py.experiment`   the options and icon4py's configuration
* :mod:`comin.hosts.icon4py.descrdata`    descriptive data from icon4py's grid
* :mod:`comin.hosts.icon4py.driver`       the hooks in icon4py's driver
* :mod:`comin.hosts.icon4py.host`         the host: variables, time levels, entry points
* :mod:`comin.hosts.icon4py.cli`          ``comin run --host icon4py`` (its
  :class:`~comin.cli.extensions.HostCommand`)
"""


def __getattr__(name: str):
    # Icon4pyHost and Experiment without importing icon4py (or gt4py) before they are used
    if name == "Icon4pyHost":
        from comin.hosts.icon4py.host import Icon4pyHost
        return Icon4pyHost
    if name == "Experiment":
        from comin.hosts.icon4py.experiment import Experiment
        return Experiment
    raise AttributeError(f"module 'comin.hosts.icon4py' has no attribute {name!r}")


__all__ = ["Icon4pyHost", "Experiment"]

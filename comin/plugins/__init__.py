"""The plugins comin ships: ordinary ComIn plugins that any host loads by path.

* :mod:`comin.plugins.recorder`  records a run for ``comin replay``
"""

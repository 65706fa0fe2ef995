"""The plugins comin ships: ordinary ComIn plugins that any host loads by path.

* :mod:`comin.plugins.recorder`  records a run for ``comin replay``

A shipped plugin whose options ``comin run``/``comin replay`` offer has a
``cli.py`` with a :class:`comin.cli.extensions.PluginOptions`, listed in
:data:`comin.cli.extensions.PLUGIN_OPTIONS`.
"""

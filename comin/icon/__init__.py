"""ICON's conventions for the data a host hands to ComIn, in one place each.

ComIn passes ICON's data as ICON lays it out; every host that serves ComIn
plugins, and every plugin that stores or reads such data, needs the same few
conventions.  The hosts comin ships (:mod:`comin.hosts`) and the recorder
plugin (:mod:`comin.plugins.recorder`) use these modules instead of copies:

* :mod:`comin.icon.points`    cells, edges, vertices: their ids and names
* :mod:`comin.icon.blocking`  nproma blocking: (idx, blk) pairs, blocked arrays
* :mod:`comin.icon.gridfile`  ICON's grid-file variables, dimensions and rules
* :mod:`comin.icon.halo`      halo exchange of a decomposed domain
* :mod:`comin.icon.mtime`     datetime strings (with milliseconds)

Nothing here holds a ComIn rule (those live in the core).
"""

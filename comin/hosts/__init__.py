"""The hosts comin ships: ordinary users of the host API (:mod:`comin.host`).

* :mod:`comin.hosts.emulator`  the built-in host of ``comin run``: ICON's atmosphere in small
* :mod:`comin.hosts.replay`    the host of ``comin replay``: a recording played back

Nothing in the core knows them.
"""

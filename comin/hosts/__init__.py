"""The hosts comin ships: ordinary users of the host API (:mod:`comin.host`).

* :mod:`comin.hosts.emulator`  the built-in host of ``comin run``: ICON's atmosphere in small
* :mod:`comin.hosts.replay`    the host of ``comin replay``: a recording played back

Nothing in the core knows them.  What they share with each other (and with
any host) lives in the library: :mod:`comin.icon` (ICON's blocking, grid
files, halo exchange), :mod:`comin.parallel`, :mod:`comin.record_format`.  A
host that ``comin run --host NAME`` drives has a ``cli.py`` with a
:class:`comin.cli.extensions.HostCommand`, listed in
:data:`comin.cli.extensions.HOSTS`.
"""

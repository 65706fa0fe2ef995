"""The replay host: plays a recording of :mod:`comin.plugins.recorder` back to plugins.

``comin replay DIR PLUGIN...`` (or :class:`Replay` from Python) is a host
like the emulator, an ordinary user of :mod:`comin.host`::

    from comin.hosts.replay import Replay
    Replay("rec/", ["my_plugin.py --x=1"]).run()

It opens ``DIR/<rank>.nc`` (the rank in MPI_COMM_WORLD when running under
MPI; the recording must come from as many host ranks as the replay runs
on), checks it, and then does what the recorded host did:

* sets the recorded global and domain descriptive data (the blocked arrays
  bit for bit), the simulation interval, the time steps, a global-to-local
  cell index built from ``glb_index``, and a halo exchange over the recorded
  decomposition (``glb_index``, ``decomp_domain``);
* runs the plugins' primary constructors;
* exposes every recorded variable, in the recorded order, with its recorded
  metadata, shape, dimension semantics and datatype (a tracer container is
  rebuilt when all its tracers were recorded, the tracers then being views
  into it), and allocates every variable the plugins requested that was not
  recorded (zeros, ComIn's default metadata overlaid by the request's;
  requested tracers get arrays of their own);
* replays the recorded entry-point calls in order, each with its recorded
  domain and datetime; before a call at which variables were recorded it
  copies that event's values into the exposed arrays.  Padding beyond the
  last real point of a block is not recorded and stays 0.

A plugin that asks for a variable that was neither recorded nor requested
gets ComIn's COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND, whose message says it
was not recorded in the file.  Bad input (a missing or foreign file, a
recording of another format or rank count) raises :class:`ReplayError`
before anything runs; a file that turns out damaged while it is replayed
ends the run through ComIn's finish with the routine :data:`ROUTINE`.

Modules: :mod:`.recording` (the recording of one rank, read and checked;
the file format is :mod:`comin.record_format`), :mod:`.host` (the replay).
``comin.replay`` is this package under its first name.
"""
from comin.hosts.replay.host import ROUTINE, Replay
from comin.hosts.replay.recording import RecordedVariable, Recording, ReplayError

__all__ = ["ROUTINE", "RecordedVariable", "Recording", "Replay", "ReplayError"]

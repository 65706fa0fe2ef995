"""The replay host of ``comin replay``."""
from comin.hosts.replay.host import ROUTINE, RecordedVariable, Recording, Replay, ReplayError

__all__ = ["ROUTINE", "RecordedVariable", "Recording", "Replay", "ReplayError"]

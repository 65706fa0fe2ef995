"""Small value types of the plugin API (pure Python, no state).

These mirror the types of ComIn's Python adapter: ``plugin_info`` and
``simulation_interval`` dataclasses and the entry-point objects that work
both as integers (``__index__``) and as decorators.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Callable, List


@dataclass(frozen=True)
class plugin_info:  # noqa: N801 - ComIn's name
    """Description of the current plugin, as ComIn hands it out.

    ``id`` is the 1-based position in the plugin list; ``options`` is the
    plugin's option string (for Python plugins: the script path followed by
    its arguments) and ``comm`` the name of its MPI communicator ("" = none).
    """

    id: int
    name: str
    options: str
    comm: str

    @property
    def args(self) -> List[str]:
        """Script arguments: the options split like a shell, script path dropped."""
        return shlex.split(self.options)[1:]


@dataclass(frozen=True)
class simulation_interval:  # noqa: N801 - ComIn's name
    """Experiment and run start/stop as ISO 8601 strings."""

    exp_start: str
    exp_stop: str
    run_start: str
    run_stop: str


class EntryPoint:
    """An entry point: an int (``__index__``) and a decorator.

    ``@comin.EP_ATM_TIMELOOP_START`` registers the decorated function for that
    entry point and returns it unchanged (ComIn 0.3 behaviour).
    """

    __slots__ = ("ep", "name", "_register")

    def __init__(self, ep: int, name: str, register: Callable):
        self.ep = ep
        self.name = name
        self._register = register

    def __index__(self) -> int:
        return self.ep

    def __int__(self) -> int:
        return self.ep

    def __eq__(self, other) -> bool:
        try:
            return self.ep == other.__index__()
        except (AttributeError, TypeError):
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.ep)

    def __repr__(self) -> str:
        return f"<comin.{self.name} ({self.ep})>"

    def __call__(self, fun: Callable) -> Callable:
        self._register(self.ep, fun)
        return fun

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


class EntryPoint(int):
    """An entry point: an ``int`` (its id) that also works as a decorator.

    ``@comin.EP_ATM_TIMELOOP_START`` registers the decorated function for that
    entry point and returns it unchanged (ComIn 0.3 behaviour).  Being an
    ``int`` subclass, it passes through every C-level int conversion at the
    speed of a plain int.
    """

    name: str
    _register: Callable

    def __new__(cls, ep: int, name: str, register: Callable) -> "EntryPoint":
        self = super().__new__(cls, ep)
        self.name = name
        self._register = register
        return self

    @property
    def ep(self) -> int:
        """The entry point id (ComIn 0.3's attribute)."""
        return int(self)

    def __repr__(self) -> str:
        return f"<comin.{self.name} ({int(self)})>"

    def __call__(self, fun: Callable) -> Callable:
        self._register(int(self), fun)
        return fun

    def __reduce__(self):
        return (int, (int(self),))

"""Model options of the emulator, checked before anything is built."""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

from comin.hosts.emulator.grids.domains import is_grid_file
from comin.hosts.emulator.grids.grid import MAX_CELLS, parse_grid_name


@dataclass
class Config:
    """Options of an emulator run (``comin run --help`` explains each).

    ``grid``: domain 1: ICON's ``RnBk`` name of a global grid made here, or an
    ICON grid file (``*.nc``, global or limited-area).  ``nest``: add domain 2,
    a limited-area grid one bisection finer around ``nest_center`` (lon, lat
    in degrees) with ``nest_radius`` degrees.  ``nest_files``: grid files of
    further nests (domains 2 or 3, ... in this order), each the nest of the
    domain its ``uuidOfParHGrid`` names.  A nest takes two steps of half its
    parent's time step per step of its parent, as in ICON.  The run
    lasts ``steps`` steps of ``dt`` seconds, or until ``end`` (ISO 8601)
    when ``steps`` is None.  ``seed`` makes the small random perturbation
    of the initial humidity reproducible.  Checkpoint entry points come every
    ``checkpoint_every`` steps and after the last step.  ``yac``: the host is a
    YAC host as ICON configured for coupling (True), is not (False), or is
    when a plugin imports ``yac`` (None; :mod:`comin.hosts.yac`).
    """

    grid: str = "R2B4"
    nest: bool = False
    nest_files: Tuple[str, ...] = ()
    nest_center: Tuple[float, float] = (10.0, 50.0)
    nest_radius: float = 12.0
    nproma: int = 32
    nlev: int = 20
    steps: Optional[int] = None
    end: Optional[str] = None
    dt: float = 600.0
    start: str = "2026-01-01T00:00:00"
    seed: int = 0
    verbosity: int = 0
    cache_dir: Optional[str] = None
    checkpoint_every: Optional[int] = None
    yac: Optional[bool] = None

    @property
    def n_dom(self) -> int:
        return 1 + bool(self.nest) + len(self.nest_files)

    def start_time(self) -> _dt.datetime:
        return _parse_time("start", self.start)

    def n_steps(self) -> int:
        """Number of steps of domain 1 (from ``steps``, else from ``end``; default 6)."""
        if self.steps is not None:
            return self.steps
        if self.end is None:
            return 6
        span = (_parse_time("end", self.end) - self.start_time()).total_seconds()
        return int(span // self.dt)

    def problems(self) -> List[str]:
        """Everything wrong with these options, one clear sentence each (empty: fine)."""
        out = []
        if is_grid_file(self.grid):
            if not os.path.isfile(self.grid):
                out.append(f"grid file {self.grid} does not exist")
        else:
            try:
                parse_grid_name(self.grid, MAX_CELLS)
            except (ValueError, TypeError) as exc:
                out.append(str(exc))
        for path in self.nest_files:
            if not is_grid_file(path):
                out.append(f"nest grid file {path} is not a NetCDF grid file (*.nc)")
            elif not os.path.isfile(path):
                out.append(f"nest grid file {path} does not exist")
        if self.nproma < 1:
            out.append(f"nproma must be >= 1, got {self.nproma}")
        if self.nlev < 1:
            out.append(f"nlev must be >= 1, got {self.nlev}")
        if not self.dt > 0:
            out.append(f"dt must be > 0 seconds, got {self.dt}")
        if self.steps is not None and self.steps < 0:
            out.append(f"steps must be >= 0, got {self.steps}")
        if self.checkpoint_every is not None and self.checkpoint_every < 1:
            out.append(f"checkpoint interval must be >= 1 step, got {self.checkpoint_every}")
        if self.steps is not None and self.end is not None:
            out.append("give either steps or end, not both")
        for what, text in (("start", self.start), ("end", self.end)):
            if text is not None:
                try:
                    _parse_time(what, text)
                except ValueError as exc:
                    out.append(str(exc))
        if not out and self.end is not None and self.n_steps() < 0:
            out.append(f"end {self.end} is before start {self.start}")
        lon, lat = self.nest_center
        if self.nest and not (-90.0 <= lat <= 90.0 and -360.0 <= lon <= 360.0):
            out.append(f"nest centre ({lon}, {lat}) is not a longitude/latitude in degrees")
        if self.nest and not 0.0 < self.nest_radius < 90.0:
            out.append(f"nest radius must be between 0 and 90 degrees, got {self.nest_radius}")
        return out

    def check(self) -> None:
        """Raise ValueError naming every problem of these options."""
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))


def _parse_time(what: str, text: str) -> _dt.datetime:
    try:
        return _dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {text!r} is not an ISO 8601 date and time "
                         "(e.g. 2026-01-01T00:00:00)") from None

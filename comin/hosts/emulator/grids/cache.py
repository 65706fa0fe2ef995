"""The on-disk cache of generated grids (``.npz`` files, keyed by what made them).

Generation of R2B4 takes about 1-2 s, loading a fraction of that.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from comin.hosts.emulator.grids.generator import generator_version, global_grid
from comin.hosts.emulator.grids.grid import (ARRAY_FIELDS, SCALAR_FIELDS, EARTH_RADIUS, Grid, canonical_name,
                                             parse_grid_name)
from comin.hosts.emulator.grids.nesting import attach_nest, check_region, make_nested

#: Bumped whenever the cache file layout or the derived fields change.
_CACHE_FORMAT = 2

# -- cache ----------------------------------------------------------------------------

def cache_dir(path: Union[str, os.PathLike, None] = None) -> Path:
    """The grid cache directory, created on demand.

    ``path`` if given, else ``$COMIN_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/comin/grids`` (``~/.cache/comin/grids``).
    """
    if path is None:
        path = os.environ.get("COMIN_CACHE_DIR") or None
    if path is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "comin", "grids")
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p


def _key_file(directory: Path, key: Mapping[str, Any], label: str) -> Tuple[Path, str]:
    text = json.dumps(key, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)
    return directory / f"{safe}_{digest}.npz", text


def _save(path: Path, key_text: str, grid: Grid, extra: Mapping[str, np.ndarray]) -> None:
    """Write ``grid`` (and ``extra`` arrays) atomically: a temporary file, then rename."""
    payload: Dict[str, np.ndarray] = {"_key": np.array(key_text)}
    for name in SCALAR_FIELDS:
        payload["_s_" + name] = np.array(getattr(grid, name))
    payload.update(grid.arrays())
    for name, value in extra.items():
        payload["_x_" + name] = np.asarray(value)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _load(path: Path, key_text: str, extra: Sequence[str]) -> Tuple[Grid, Dict[str, np.ndarray]]:
    """Read a cache file; raise (anything) when it is unreadable, stale or inconsistent."""
    with np.load(path, allow_pickle=False) as z:
        if str(z["_key"][()]) != key_text:
            raise ValueError("cache key mismatch")
        scalars = {}
        for name in SCALAR_FIELDS:
            v = z["_s_" + name][()]
            scalars[name] = v.item() if hasattr(v, "item") else v
        arrays = {name: np.array(z[name]) for name in ARRAY_FIELDS}
        more = {name: np.array(z["_x_" + name]) for name in extra}
    scalars["name"], scalars["uuid"], scalars["parent_uuid"] = (
        str(scalars["name"]), str(scalars["uuid"]), str(scalars["parent_uuid"]))
    scalars["root"], scalars["bisections"] = int(scalars["root"]), int(scalars["bisections"])
    scalars["sphere_radius"] = float(scalars["sphere_radius"])
    scalars["number_of_grid_used"] = int(scalars["number_of_grid_used"])
    grid = Grid(**scalars, **arrays)
    grid.validate()
    return grid, more


#: grids of at least this many cells say that they are being made, and how long it takes
LARGE_GRID = 200_000
#: seconds per cell the generator takes, roughly (R2B6: about a minute on a busy 2-core machine)
SECONDS_PER_CELL = 1.9e-4


class Progress:
    """Shows on stderr that a large grid is being made: a line when it starts (what, where it
    is cached, about how long), then the elapsed time every few seconds (one updated line on
    a terminal, a line every 30 s otherwise), and one when it is done.  Only where it runs
    (rank 0 of an MPI job, or a single process)."""

    #: seconds between updates on a terminal and in a log
    TICK_TTY, TICK_LOG = 2.0, 30.0

    def __init__(self, what: str, ncells: int, path: Path, stream=None):
        import sys
        self.what, self.ncells, self.path = what, ncells, path
        self.stream = stream if stream is not None else sys.stderr
        self.estimate = ncells * SECONDS_PER_CELL
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = None

    def _say(self, text: str, end: str = "\n") -> None:
        try:
            self.stream.write(text + end)
            self.stream.flush()
        except (OSError, ValueError):      # a closed stream: nothing to tell
            pass

    def _tick(self) -> None:
        import time
        t0, every = time.monotonic(), (self.TICK_TTY if self.tty else self.TICK_LOG)
        while not self._stop.wait(every):
            elapsed = time.monotonic() - t0
            share = min(elapsed / self.estimate, 0.99) if self.estimate > 0 else 0.0
            text = (f"comin: making grid {self.what}: {elapsed:,.0f} s of about "
                    f"{self.estimate:,.0f} s ({share:.0%})")
            self._say(("\r" + text) if self.tty else text, end="" if self.tty else "\n")

    def __enter__(self):
        import threading
        import time
        self._t0 = time.monotonic()
        self._say(f"comin: making grid {self.what} ({self.ncells:,} cells, about "
                  f"{self.estimate:,.0f} s); it is cached in {self.path}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True, name="comin-grid-progress")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        import time
        self._stop.set()
        self._thread.join()
        if exc[0] is None:
            end = "\n" if self.tty else ""
            self._say(f"{end}comin: made grid {self.what} in {time.monotonic() - self._t0:,.0f} s")
        return False


def _announce(what: str, ncells: int, path: Path):
    """A :class:`Progress` for a large grid made on this rank, else a no-op context."""
    import contextlib

    from comin.parallel import world_rank
    if ncells < LARGE_GRID or world_rank() != 0:
        return contextlib.nullcontext()
    return Progress(what, ncells, path)


def _cached(path: Path, key_text: str, extra: Sequence[str], make):
    """Load ``path`` or call ``make() -> (grid, extra_dict)`` and store the result."""
    if path.exists():
        try:
            return _load(path, key_text, extra)
        except Exception as exc:  # noqa: BLE001 - any defect means: regenerate
            warnings.warn(f"comin.grid: ignoring unusable cache file {path} "
                          f"({type(exc).__name__}: {exc}); regenerating it", RuntimeWarning,
                          stacklevel=3)
    grid, more = make()
    _save(path, key_text, grid, more)
    return grid, more


def load_or_make_global(name: str, cache: Union[str, os.PathLike, None] = None) -> Grid:
    """:func:`global_grid` through the cache.

    The key is the canonical name, the earth radius, the generator version
    and this module's cache format; a file that cannot be read, has another
    key or fails :meth:`Grid.validate` is regenerated (with a
    RuntimeWarning), never trusted.  A grid loaded from the cache has
    ``source=None``.
    """
    n, k = parse_grid_name(name)
    key = {"kind": "global", "name": canonical_name(n, k), "sphere_radius": EARTH_RADIUS,
           "generator": generator_version(), "format": _CACHE_FORMAT}
    path, text = _key_file(cache_dir(cache), key, f"global_{canonical_name(n, k)}")

    def make():
        with _announce(canonical_name(n, k), 20 * n * n * 4 ** k, path):
            return global_grid(name), {}
    grid, _ = _cached(path, text, (), make)
    return grid


def load_or_make_nested(parent: Grid, name_of_parent: Optional[str], center_lon_deg: float,
                        center_lat_deg: float, radius_deg: float,
                        cache: Union[str, os.PathLike, None] = None) -> Tuple[Grid, Grid]:
    """:func:`nested_grid` through the cache: ``(new_parent, nest)``.

    The key holds the parent grid's uuid (so a nest in a nest is keyed by
    its own parent), the region, the generator version and the cache
    format.  The file holds the nest and its links; they are merged into a
    copy of ``parent`` on every call.
    """
    if name_of_parent is not None:
        n, k = parse_grid_name(name_of_parent)
        if (n, k) != (parent.root, parent.bisections):
            raise ValueError(f"name_of_parent {name_of_parent!r} does not match the parent grid "
                             f"{parent.name!r} ({parent.resolution})")
    check_region(center_lon_deg, center_lat_deg, radius_deg)
    key = {"kind": "nested", "parent_uuid": parent.uuid, "parent": parent.resolution,
           "parent_ncells": parent.ncells, "lon": float(center_lon_deg),
           "lat": float(center_lat_deg), "radius": float(radius_deg),
           "sphere_radius": EARTH_RADIUS, "generator": generator_version(),
           "format": _CACHE_FORMAT}
    label = f"nest_{canonical_name(parent.root, parent.bisections + 1)}"
    path, text = _key_file(cache_dir(cache), key, label)

    def make():
        estimate = parent.ncells * 4 * (1 - math.cos(math.radians(radius_deg))) / 2
        with _announce(f"{label} around ({center_lon_deg:g}, {center_lat_deg:g})", int(estimate), path):
            child, cc, ce = make_nested(parent, None, center_lon_deg, center_lat_deg, radius_deg)
        return child, {"parent_child_cells": cc, "parent_child_edges": ce}

    child, more = _cached(path, text, ("parent_child_cells", "parent_child_edges"), make)
    cc, ce = more["parent_child_cells"], more["parent_child_edges"]
    if cc.shape != (parent.ncells, 4) or ce.shape != (parent.nedges, 4):
        raise ValueError(f"cache file {path} does not fit the parent grid {parent.name!r}")
    return attach_nest(parent, cc.astype(np.int32), ce.astype(np.int32), child.name), child



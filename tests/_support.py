"""Shared fixtures and helpers of the comin test suite.

``make_host`` builds a :class:`comin.host.Host` with a small two-domain
descriptive data set and finalizes every host it built at teardown (ComIn
has one global state: a host left active makes every later test fail with
COMIN_ERROR_SETUP_COMIN_ALREADY_INITIALIZED).

The grid is tiny on purpose: nproma = 4, domain 1 has 10 cells (3 blocks,
npromz 2), domain 2 has 6 cells (2 blocks), 3 levels each.  The refin_ctrl
start/end arrays follow ICON's ordering (boundary rows 1..max_rl, interior
0, halo rows -1..min_rl) and are built from per-level point counts with the
spec's index formulas (section 8).
"""
from __future__ import annotations

import shlex
import textwrap

import numpy as np
import pytest

import comin
from comin.host import Host

NPROMA = 4
NLEV = 3
N_DOM = 2

#: Refinement-control bounds per grid (ICON-like, small).
RL = {
    "cells": dict(min_rl=-4, min_rl_int=-1, max_rl=5),
    "edges": dict(min_rl=-8, min_rl_int=-2, max_rl=10),
    "verts": dict(min_rl=-4, min_rl_int=-1, max_rl=5),
}
COUNT_FIELD = {"cells": "ncells", "edges": "nedges", "verts": "nverts"}

#: Local points per domain and grid.
SIZES = {
    1: dict(cells=10, edges=15, verts=6),
    2: dict(cells=6, edges=9, verts=4),
}

#: Points per refin_ctrl level in ICON order (1..max_rl, 0, -1..min_rl) for
#: domain 1 cells; the other grids/domains spread their points evenly.
CELL_COUNTS_D1 = [2, 1, 2, 1, 1, 1, 1, 1, 0, 0]

GLOBAL = dict(
    n_dom=N_DOM, max_dom=N_DOM, nproma=NPROMA, wp=8,
    min_rlcell_int=RL["cells"]["min_rl_int"], min_rlcell=RL["cells"]["min_rl"],
    max_rlcell=RL["cells"]["max_rl"],
    min_rlvert_int=RL["verts"]["min_rl_int"], min_rlvert=RL["verts"]["min_rl"],
    max_rlvert=RL["verts"]["max_rl"],
    min_rledge_int=RL["edges"]["min_rl_int"], min_rledge=RL["edges"]["min_rl"],
    max_rledge=RL["edges"]["max_rl"],
    grf_bdywidth_c=4, grf_bdywidth_e=9, lrestartrun=False,
    vct_a=np.array([30000.0, 20000.0, 10000.0, 0.0]), yac_instance_id=-1,
    host_git_remote_url="https://example.org/icon.git", host_git_branch="main",
    host_git_tag="icon-2024.10", host_revision="0123abcd",
    has_device=False, device_name="", device_vendor="", device_driver="",
)

TIMESTEPS = {1: 60.0, 2: 30.0}
SIM_INTERVAL = ("2021-07-13T00:00:00", "2021-07-14T00:00:00",
                "2021-07-13T00:00:00", "2021-07-13T06:00:00")


# -- index helpers (the spec's section 8 formulas, in plain Python) -------------

def nblocks(n: int, nproma: int = NPROMA) -> int:
    """ICON's ``nblks = ceil(n / nproma)``."""
    return -(-n // nproma)


def ref_index(j: int, nproma: int) -> int:
    """Spec get_index: 0 for 0, else sign((|j|-1) mod nproma + 1, j)."""
    if j == 0:
        return 0
    r = (abs(j) - 1) % nproma + 1
    return r if j > 0 else -r


def ref_block(j: int, nproma: int) -> int:
    """Spec get_block: max((|j|-1) // nproma + 1, 1)."""
    return max((abs(j) - 1) // nproma + 1, 1)


def level_order(min_rl: int, max_rl: int) -> list:
    """ICON's storage order of refin_ctrl levels: 1..max_rl, 0, -1..min_rl."""
    return list(range(1, max_rl + 1)) + [0] + list(range(-1, min_rl - 1, -1))


def level_spans(counts, min_rl: int, max_rl: int) -> dict:
    """level -> (first j, last j) (1-based, unblocked; empty: last = first - 1)."""
    order = level_order(min_rl, max_rl)
    assert len(counts) == len(order)
    spans, j = {}, 1
    for lev, c in zip(order, counts):
        spans[lev] = (j, j + c - 1)
        j += c
    return spans


def refin_arrays(spans: dict, min_rl: int, max_rl: int, nproma: int = NPROMA):
    """start_index, end_index, start_block, end_block (position = level - min_rl)."""
    n = max_rl - min_rl + 1
    si, ei, sb, eb = (np.zeros(n, dtype=np.intc) for _ in range(4))
    for lev, (js, je) in spans.items():
        k = lev - min_rl
        si[k], sb[k] = ref_index(js, nproma), ref_block(js, nproma)
        ei[k], eb[k] = ref_index(je, nproma), ref_block(je, nproma)
    return si, ei, sb, eb


def even_counts(n: int, nlevels: int) -> list:
    return [n // nlevels + (1 if i < n % nlevels else 0) for i in range(nlevels)]


def grid_counts(jg: int, grid: str) -> list:
    rl = RL[grid]
    nlevels = rl["max_rl"] - rl["min_rl"] + 1
    if jg == 1 and grid == "cells":
        return list(CELL_COUNTS_D1)
    return even_counts(SIZES[jg][grid], nlevels)


def grid_spans(jg: int, grid: str) -> dict:
    rl = RL[grid]
    return level_spans(grid_counts(jg, grid), rl["min_rl"], rl["max_rl"])


def blocked_field(n: int, values, dtype, fill=0, nproma: int = NPROMA):
    """(nproma, nblks) Fortran array holding ``values`` at j = 1..n, ``fill`` in padding."""
    nb = nblocks(n, nproma)
    flat = np.full(nb * nproma, fill, dtype=dtype)
    flat[:n] = values
    return np.asfortranarray(flat.reshape(nb, nproma).T)


def grid_fields(jg: int, grid: str) -> dict:
    """Descriptive data of one grid (cells/edges/verts) of domain ``jg``."""
    rl = RL[grid]
    n = SIZES[jg][grid]
    nb = nblocks(n)
    spans = grid_spans(jg, grid)
    si, ei, sb, eb = refin_arrays(spans, rl["min_rl"], rl["max_rl"])
    refin = np.zeros(n, dtype=np.intc)
    for lev, (js, je) in spans.items():
        refin[js - 1:je] = lev
    decomp = np.where(refin < 0, -refin, 0).astype(np.intc)
    glb = (np.arange(n, dtype=np.intc)[::-1] + 1) * 3 + 100 * jg   # a permutation-like map
    fields = {
        COUNT_FIELD[grid]: n,
        COUNT_FIELD[grid] + "_global": 4 * n,
        "nblks": nb,
        "refin_ctrl": blocked_field(n, refin, np.intc),
        "start_index": si, "end_index": ei, "start_block": sb, "end_block": eb,
        "glb_index": glb,
        "decomp_domain": blocked_field(n, decomp, np.intc, fill=-1),
    }
    rng = np.random.default_rng(jg * 10 + len(grid))
    lon, lat = {"cells": ("clon", "clat"), "edges": ("elon", "elat"),
                "verts": ("vlon", "vlat")}[grid]
    fields[lon] = blocked_field(n, rng.uniform(-np.pi, np.pi, n), np.float64)
    fields[lat] = blocked_field(n, rng.uniform(-np.pi / 2, np.pi / 2, n), np.float64)
    if grid == "cells":
        fields["max_connectivity"] = 3
        fields["num_edges"] = blocked_field(n, 3, np.intc)
        fields["area"] = blocked_field(n, np.arange(1, n + 1) * 1.5e6, np.float64)
        hhl = np.zeros((NPROMA, NLEV + 1, nb), order="F")
        for k in range(NLEV + 1):
            hhl[:, k, :] = (NLEV - k) * 1000.0
        fields["hhl"] = hhl
        fields["neighbor_idx"] = np.asfortranarray(
            np.ones((NPROMA, nb, 3), dtype=np.intc))
    return fields


def domain_fields(jg: int) -> dict:
    """Scalars of domain ``jg`` (set_domain keyword arguments, grids excluded)."""
    return dict(
        grid_filename=f"icon_grid_DOM0{jg}.nc",
        grid_uuid=np.arange(16, dtype=np.int8) + jg,
        number_of_grid_used=np.array([42, 42], dtype=np.intc),
        n_childdom=1 if jg == 1 else 0,
        dom_start=0.0, dom_end=86400.0, nlev=NLEV, nshift=0, nshift_total=0,
    )


def set_descrdata(host: Host) -> None:
    """Give ``host`` the standard two-domain descriptive data set."""
    host.set_global(**GLOBAL)
    for jg in (1, 2):
        host.set_domain(jg, cells=grid_fields(jg, "cells"), edges=grid_fields(jg, "edges"),
                        verts=grid_fields(jg, "verts"), **domain_fields(jg))
        host.set_timesteplength(jg, TIMESTEPS[jg])
    host.set_simulation_interval(*SIM_INTERVAL)


# -- host arrays -------------------------------------------------------------------

def field3d(jg: int = 1, dtype=np.float64, nlev: int = NLEV, fill=None):
    """A (nproma, nlev, nblks) Fortran-ordered cell field of domain ``jg``."""
    shape = (NPROMA, nlev, nblocks(SIZES[jg]["cells"]))
    a = np.zeros(shape, dtype=dtype, order="F")
    a[...] = np.arange(a.size).reshape(shape) if fill is None else fill
    return a


def field2d(jg: int = 1, dtype=np.float64, fill=None):
    """A (nproma, nblks) Fortran-ordered cell field of domain ``jg``."""
    shape = (NPROMA, nblocks(SIZES[jg]["cells"]))
    a = np.zeros(shape, dtype=dtype, order="F")
    a[...] = np.arange(a.size).reshape(shape) if fill is None else fill
    return a


# -- plugins -------------------------------------------------------------------------

def write_script(tmp_path, name: str, source: str, args: str = "") -> str:
    """Write a Python plugin script; return the ``"script.py args"`` option string."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    opts = shlex.quote(str(path))
    return f"{opts} {args}" if args else opts


def run_plugin_call(make_host, fn, *, expose=None):
    """Run one callable as a plugin primary constructor through a full start-up.

    ``expose(host)`` (optional) exposes variables before the secondary
    constructor.  Returns the host (still active; the fixture finalizes it).
    """
    host = make_host(fn)
    host.run_primary_constructors()
    if expose is not None:
        expose(host)
    host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
    return host


def catch(log: list, fn, *args, **kwargs):
    """Call ``fn``; append ``("ok", result)`` or the exception to ``log``.

    Plugin-side errors must be caught inside the plugin (an exception
    escaping a callback becomes finish), so tests record them with this.
    """
    try:
        log.append(("ok", fn(*args, **kwargs)))
    except Exception as exc:  # noqa: BLE001 - recorded for the test to assert on
        log.append(exc)
    return log[-1]


def code_of(entry) -> int | None:
    """ComIn error code of a :func:`catch` entry (None when it succeeded)."""
    if isinstance(entry, comin.ComInError):
        return entry.code
    if isinstance(entry, tuple) and entry and entry[0] == "ok":
        return None
    raise AssertionError(f"expected a ComInError or success, got {entry!r}")

# -- the emulator in tests ------------------------------------------------------------
import os as _os
import tempfile as _tempfile

# generated grids go to a cache of the test session, not the user's cache
_os.environ.setdefault("COMIN_CACHE_DIR", _os.path.join(_tempfile.gettempdir(), "comin-test-grids"))


def emulator_config(n_dom: int = 1, ncells: int = 80, **kw):
    """A small emulator Config: ``n_dom`` 2 adds a nest; ``ncells`` picks the
    smallest global grid with at least that many cells (R2B0: 80, R2B1: 320, R2B2: 1280)."""
    from comin.emulator import Config
    grid = "R2B0" if ncells <= 80 else "R2B1" if ncells <= 320 else "R2B2"
    kw.setdefault("nproma", 8)
    kw.setdefault("nlev", 5)
    return Config(grid=grid, nest=n_dom == 2, nest_radius=35.0, **kw)


def generator_grid_files(directory) -> dict:
    """ICON grid files written by icon-grid-generator into ``directory``: ``global`` (R2B2),
    ``lam`` (R2B3 around 10E 47N, 35 degrees; its rows 1-4 reach 20 degrees in),
    ``lam2`` (R2B3 around 60W 15S, 15 degrees) and ``inner`` (R2B4 around 10E 47N,
    10 degrees) whose ``uuidOfParHGrid`` names ``lam``, as ICON's grid tools write a nest
    in a nest.  ``global_obj``: the generator's global grid object."""
    import os

    import grid_generator as gg
    import netCDF4

    radius = 6371229.0

    def lam(parent, lon, lat, deg):
        return gg.generate_grid(gg.LimitedAreaGridSpec(parent=parent, region=gg.Region.circle(
            lon=lon, lat=lat, radius_degrees=deg)), sphere_radius=radius, max_cells=None)

    out = {"dir": directory}
    g = out["global_obj"] = gg.generate_grid("R2B2", sphere_radius=radius, max_cells=None)
    for name, grid in (("global", g), ("lam", lam("R2B3", 10.0, 47.0, 35.0)),
                       ("lam2", lam("R2B3", -60.0, -15.0, 15.0)),
                       ("inner", lam("R2B4", 10.0, 47.0, 10.0))):
        path = os.path.join(str(directory), f"{name}.nc")
        grid.to_netcdf(path)
        out[name] = path
    with netCDF4.Dataset(out["lam"]) as ds:
        lam_uuid = ds.uuidOfHGrid
    with netCDF4.Dataset(out["inner"], "a") as ds:
        ds.uuidOfParHGrid = lam_uuid
        ds.delncattr("construction_parent_uuid")
    return out

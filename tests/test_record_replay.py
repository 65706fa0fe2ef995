"""Record and replay: ``comin run --record DIR`` / the recorder plugin, and ``comin replay``.

One small emulator run with a nest (R2B0 + its nest, 5 levels, nproma 8, 2
steps) is recorded once per module with three plugins: a diagnostic (it
computes potential-temperature statistics from ``temp``/``pres``, fills a
2-D variable of its own and writes what it found), a probe (it writes every
descriptive-data field, every variable's metadata and layout, every
variable's values at the output entry point and every entry-point call it
sees) and the recorder.  The replay runs the diagnostic and the probe again;
what they write must be identical, bit for bit, to what they wrote live.
"""
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import textwrap

import netCDF4
import numpy as np
import pytest

import comin
from comin import _table
from comin import recorder as recmod
from comin.__main__ import main
from comin.emulator import Emulator
from comin.host import Host
from comin.parallel import launcher_environ, mpiexec_command
from comin.replay import ROUTINE, Recording, Replay, ReplayError
from _support import emulator_config

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
COLUMN_WATER = os.path.join(ROOT, "examples", "column_water.py")
SMALL = ["--grid", "R2B0", "--nlev", "4", "--nproma", "8"]

DIAG = """\
import json
import numpy as np
import comin

out = comin.current_get_plugin_info().args[0]
comin.var_request_add(("theta_sfc", -1), False)
comin.metadata_set(("theta_sfc", -1), zaxis_id=comin.COMIN_ZAXIS_2D, units="K",
                   long_name="potential temperature at the surface")
glob = comin.descrdata_get_global()
found = []
handles = {}
OUT = [comin.EP_ATM_WRITE_OUTPUT_BEFORE]


@comin.EP_SECONDARY_CONSTRUCTOR
def setup():
    for jg in range(1, glob.n_dom + 1):
        handles[jg] = (comin.var_get(OUT, ("temp", jg), comin.COMIN_FLAG_READ),
                       comin.var_get(OUT, ("pres", jg), comin.COMIN_FLAG_READ),
                       comin.var_get(OUT, ("theta_sfc", jg), comin.COMIN_FLAG_WRITE))


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def diagnose():
    for jg, (temp, pres, theta_sfc) in handles.items():
        cells = comin.descrdata_get_domain(jg).cells
        t, p = temp.to_3d, pres.to_3d                       # (nproma, nlev, nblks)
        real = (np.arange(t.shape[0] * t.shape[2]).reshape(t.shape[0], t.shape[2], order="F")
                < cells.ncells)
        theta = t * (1.0e5 / np.where(real[:, None, :], p, 1.0e5)) ** 0.2857
        sfc = theta_sfc.to_3d[:, :, 0]
        sfc[:] = np.where(real, theta[:, -1, :], 0.0)
        values = theta.transpose(1, 0, 2)[:, real]
        found.append([comin.current_get_datetime(), jg, float(values.mean()), float(values.min()),
                      float(values.max()), float(sfc[real].sum())])


@comin.EP_DESTRUCTOR
def done():
    with open(out, "w") as f:
        json.dump(found, f)
"""

PROBE = """\
import pickle
import numpy as np
import comin
from comin import _table

out = comin.current_get_plugin_info().args[0]
report = {"calls": [], "values": {}, "finish": 0,
          "start_datetime": comin.current_get_datetime(),
          "plugin_id": comin.current_get_plugin_info().id}


def value(v):
    if isinstance(v, np.ndarray):
        return ("array", v.dtype.str, v.shape, bool(v.flags.f_contiguous), v.tobytes(order="F"))
    return (type(v).__name__, v)


def descr(obj, group):
    d = {}
    for name, _kind, _ndim in _table.DESCRDATA[group]:
        try:
            d[name] = value(getattr(obj, name))
        except comin.ComInError as exc:
            d[name] = ("unset", exc.code)
    return d


def maybe(fn, *args):
    try:
        return fn(*args)
    except comin.ComInError as exc:
        return ("error", exc.code)


glob = comin.descrdata_get_global()
report["global"] = descr(glob, "global")
report["domains"] = {}
for jg in range(1, glob.n_dom + 1):
    dom = comin.descrdata_get_domain(jg)
    d = {"domain": descr(dom, "domain")}
    for group in ("cells", "edges", "verts"):
        try:
            d[group] = descr(getattr(dom, group), group)
        except comin.ComInError as exc:
            d[group] = ("unset", exc.code)
    d["timestep"] = maybe(comin.descrdata_get_timesteplength, jg)
    d["npromz"] = [maybe(f, jg) for f in (comin.descrdata_get_cell_npromz,
                                          comin.descrdata_get_edge_npromz,
                                          comin.descrdata_get_vert_npromz)]
    d["glb2loc"] = [maybe(comin.descrdata_index_lookup_glb2loc_cell, jg, g)
                    for g in (1, 2, 7, 103, 10 ** 6)]
    report["domains"][jg] = d
report["interval"] = maybe(comin.descrdata_get_simulation_interval)


def make(ep):
    def called():
        try:
            jg = comin.current_get_domain_id()
        except RuntimeError:
            jg = -1
        report["calls"].append((ep, jg, comin.current_get_datetime()))
    return called


for ep in range(1, 43):
    if ep != comin.EP_FINISH:
        comin.callback_register(ep, make(ep))

handles = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def variables():
    report["variables"] = {}
    for d in comin.var_descr_list():
        h = comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], d, comin.COMIN_FLAG_READ)
        md = dict(comin.metadata(d))
        report["variables"][d] = {
            "metadata": {k: (type(v).__name__, v) for k, v in md.items()},
            "typeids": {k: comin.metadata_get_typeid(d, k) for k in md},
            "shape": h.shape, "dim_semantics": h.dim_semantics, "datatype": h.datatype,
            "lcontainer": h.lcontainer, "ncontained": h.ncontained}
        handles[d] = h


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def values():
    try:
        now = comin.current_get_domain_id()
    except RuntimeError:
        now = -1                          # outside a domain loop: every domain
    for (name, jg), h in handles.items():
        meta = report["variables"][(name, jg)]
        if meta["lcontainer"] or now not in (-1, jg):
            continue
        sem, shape = h.dim_semantics, h.shape
        blocked = (comin.COMIN_DIM_SEMANTICS_NPROMA, comin.COMIN_DIM_SEMANTICS_BLOCK)
        standard = (all(b in sem for b in blocked)
                    and all(shape[i] == 1 for i in range(5)
                            if sem[i] not in blocked + (comin.COMIN_DIM_SEMANTICS_LEVEL,)))
        if not standard:                                       # recorded raw: all of it
            report["values"].setdefault((name, jg), []).append(np.asarray(h).tobytes(order="F"))
            continue
        hgrid = meta["metadata"].get("hgrid_id", ("int", 1))[1]
        group, count = {1: ("cells", "ncells"), 2: ("edges", "nedges"),
                        3: ("verts", "nverts")}[hgrid]
        n = getattr(getattr(comin.descrdata_get_domain(jg), group), count)
        a = h.to_3d                                            # (nproma, nlev, nblks)
        if comin.COMIN_DIM_SEMANTICS_LEVEL not in h.dim_semantics:
            a = a[:, None, :, 0]                               # 2-D: (nproma, nblks, 1)
        real = a.transpose(1, 2, 0).reshape(a.shape[1], -1)[:, :n]
        report["values"].setdefault((name, jg), []).append(real.tobytes())


@comin.EP_FINISH
def finishing():
    report["finish"] += 1
    with open(out, "wb") as f:
        pickle.dump(report, f)


@comin.EP_DESTRUCTOR
def done():
    with open(out, "wb") as f:
        pickle.dump(report, f)
"""


def write(path, source):
    path.write_text(textwrap.dedent(source))
    return str(path)


def recorder_spec(directory, *options):
    return " ".join([recmod.__file__, str(directory), *options])


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The recorded emulator run: paths of the recording, the plugins and their live outputs."""
    tmp = tmp_path_factory.mktemp("record")
    diag = write(tmp / "diag.py", DIAG)
    probe = write(tmp / "probe.py", PROBE)
    rec = tmp / "rec"
    emu = Emulator([f"{diag} {tmp / 'diag_live.json'}", f"{probe} {tmp / 'probe_live.pkl'}",
                    recorder_spec(rec)], emulator_config(n_dom=2, steps=2))
    emu.run()
    with open(tmp / "diag_live.json") as f:
        diag_live = json.load(f)
    with open(tmp / "probe_live.pkl", "rb") as f:
        probe_live = pickle.load(f)
    return dict(tmp=tmp, rec=str(rec), diag=diag, probe=probe, diag_live=diag_live,
                probe_live=probe_live, grids=[d.grid for d in emu.domains.values()])


@pytest.fixture(scope="module")
def replayed(recorded):
    """The replay of the recording with the same diagnostic and probe."""
    tmp = recorded["tmp"]
    rp = Replay(recorded["rec"], [f"{recorded['diag']} {tmp / 'diag_replay.json'}",
                                  f"{recorded['probe']} {tmp / 'probe_replay.pkl'}"])
    rp.run()
    with open(tmp / "diag_replay.json") as f:
        diag = json.load(f)
    with open(tmp / "probe_replay.pkl", "rb") as f:
        probe = pickle.load(f)
    return dict(replay=rp, diag=diag, probe=probe)


# -- the round trip ---------------------------------------------------------------------

def test_diagnostic_outputs_are_identical(recorded, replayed):
    live = recorded["diag_live"]
    assert len(live) == 6 and {row[1] for row in live} == {1, 2}     # 3 outputs x 2 domains
    assert replayed["diag"] == live
    rp = replayed["replay"]
    assert rp.calls == rp.ncalls == len(recorded["probe_live"]["calls"])
    assert rp.events == 6 and not rp.ended_by_finish


def test_every_descriptive_data_field_round_trips(recorded, replayed):
    live, replay = recorded["probe_live"], replayed["probe"]
    assert live["global"] == replay["global"]
    assert live["domains"] == replay["domains"]
    assert live["interval"] == replay["interval"]
    assert live["start_datetime"] == replay["start_datetime"] == "2026-01-01T00:00:00.000"
    # the table's every field was looked at, and the emulator sets them all
    for group in ("cells", "edges", "verts", "domain"):
        fields = live["domains"][2][group]
        assert set(fields) == {name for name, _k, _n in _table.DESCRDATA[group]}
        assert not [n for n, v in fields.items() if v[0] == "unset"], group
    assert set(live["global"]) == {name for name, _k, _n in _table.DESCRDATA["global"]}
    assert live["global"]["lrestartrun"] == ("bool", False)
    assert live["domains"][1]["cells"]["clon"][0] == "array"


def test_every_recorded_variable_keeps_metadata_and_layout(recorded, replayed):
    live, replay = recorded["probe_live"]["variables"], replayed["probe"]["variables"]
    cell_vars = {d for d, v in live.items() if v["metadata"]["hgrid_id"] == ("int", 1)}
    # recorded: every cell variable (requested ones included), the containers rebuilt
    assert set(replay) == cell_vars
    assert {("theta_sfc", 1), ("container", 2), ("qs", 2)} <= set(replay)
    assert not {("vn", 1), ("omega_z", 2)} & set(replay)
    for d in replay:
        assert replay[d] == live[d], d
    assert live[("qv", 1)]["metadata"]["tracer"] == ("bool", True)
    assert live[("u", 1)]["typeids"]["restart"] == comin.COMIN_METADATA_TYPEID_LOGICAL
    assert live[("container", 1)]["lcontainer"] and live[("qc", 1)]["ncontained"] == 1
    # exposure order kept
    order = [d for d in recorded["probe_live"]["variables"] if d in replay]
    assert list(replay) == order


def test_values_at_the_recorded_entry_point_are_identical(recorded, replayed):
    live, replay = recorded["probe_live"]["values"], replayed["probe"]["values"]
    assert set(replay) == {d for d in live if d in replayed["probe"]["variables"]}
    for d, events in replay.items():
        assert events == live[d], d
        assert len(events) == 3


def test_call_sequence_is_identical(recorded, replayed):
    live, replay = recorded["probe_live"]["calls"], replayed["probe"]["calls"]
    assert replay == live
    eps = [c[0] for c in live]
    assert eps[0] == comin.EP_SECONDARY_CONSTRUCTOR and eps[-1] == comin.EP_DESTRUCTOR
    assert (comin.EP_ATM_PHYSICS_BEFORE, 2, "2026-01-01T00:10:00.000") in live
    assert recorded["probe_live"]["plugin_id"] == replayed["probe"]["plugin_id"] == 2


# -- the file -----------------------------------------------------------------------------

def test_file_layout_for_ordinary_tools(recorded):
    path = os.path.join(recorded["rec"], "0.nc")
    root, nest = recorded["grids"]
    with netCDF4.Dataset(path) as ds:
        assert ds.Conventions == "CF-1.8" and ds.comin_format == recmod.FORMAT_NAME
        assert ds.comin_format_version == recmod.FORMAT_VERSION
        assert list(ds.comin_version) == list(comin.setup_get_version())
        assert (ds.host_comm_rank, ds.host_comm_size, ds.n_dom) == (0, 1, 2)
        assert ds.recording_end == "EP_DESTRUCTOR"
        assert ds["current_ep"].dimensions == ("call",)
        for jg, grid in ((1, root), (2, nest)):
            g = ds[f"domain_{jg}"]
            assert g.dimensions["cell"].size == grid.ncells
            assert g["clon"].units == "radian" and g["vlat"].units == "radian"
            np.testing.assert_array_equal(g["clon"][:], grid.clon)
            np.testing.assert_array_equal(g["elat"][:], grid.elat)
            np.testing.assert_array_equal(g["vertex_of_cell"][:], grid.vertex_of_cell.T)
            np.testing.assert_array_equal(g["edge_of_cell"][:], grid.edge_of_cell.T)
            np.testing.assert_array_equal(g["cell_area"][:], grid.cell_area)
            np.testing.assert_array_equal(g["refin_c_ctrl"][:], grid.refin_c_ctrl)
            assert g["vertex_of_cell"].dimensions == ("nv", "cell")
            assert g["edge_vertices"].dimensions == ("nc", "edge")
            temp = g["temp"]
            assert temp.dimensions == ("event", "height", "cell")
            assert temp.units == "K" and temp.coordinates == "time clon clat"
            assert temp.comin_metadata_restart.dtype == np.int8
            assert "restart" in temp.comin_metadata_logical_keys.split()
            assert g["w"].dimensions == ("event", "height_half", "cell")
            assert g["pres_sfc"].dimensions == ("event", "cell")
            assert list(g["event_call"][:]) == [i for i, ep in enumerate(ds["current_ep"][:])
                                                if ep == comin.EP_ATM_WRITE_OUTPUT_BEFORE]
            assert list(g["time"][:]) == [0.0, 600.0, 1200.0]
            assert g["container"].comin_layout == "container"
            assert g["qv"].comin_container == "container"
            # the blocked ComIn arrays, dimensions reversed as NetCDF stores Fortran order
            assert g["cells"]["vertex_idx"].dimensions == ("n3", "nblks", "nproma")
        # a nest has an open boundary: missing neighbours are -1, as in ICON's grid files
        assert (ds["domain_2"]["neighbor_cell_index"][:] == -1).any()
    try:
        import xarray
    except ImportError:
        return            # xarray is no dependency: the NetCDF checks above are the test then
    with xarray.open_dataset(path, group="domain_2") as xds:
        assert xds["temp"].dims == ("event", "height", "cell")
        assert {"clon", "clat", "time"} <= set(xds["temp"].coords)
        assert str(xds["time"].values[1]).startswith("2026-01-01T00:10:00")


def test_selected_variables_and_entry_points(tmp_path):
    """--vars/--eps: per-domain events at per-domain entry points; a container whose
    tracers are not all recorded is not rebuilt (its recorded tracer gets its own array)."""
    rec = tmp_path / "rec"
    seen = {"live": [], "replay": []}

    def watcher(key):
        def plugin():
            hs = {}

            @comin.EP_SECONDARY_CONSTRUCTOR
            def sc():
                for jg in (1, 2):
                    hs[jg] = (comin.var_get([comin.EP_ATM_PHYSICS_BEFORE], ("temp", jg),
                                            comin.COMIN_FLAG_READ),
                              comin.var_get([comin.EP_ATM_PHYSICS_BEFORE], ("qv", jg),
                                            comin.COMIN_FLAG_READ))

            @comin.EP_ATM_PHYSICS_BEFORE
            def physics():
                jg = comin.current_get_domain_id()
                n = comin.descrdata_get_domain(jg).cells.ncells

                def real_sum(h):          # (nproma, nlev, nblks, 1, 1): the real cells only
                    a = np.asarray(h).transpose(1, 2, 0, 3, 4)
                    return a.reshape(h.shape[1], -1)[:, :n].sum()
                seen[key].append((jg, comin.current_get_datetime(), *map(real_sum, hs[jg])))
        return plugin

    Emulator([watcher("live"), recorder_spec(rec, "--vars", "temp,qv",
                                             "--eps", "ATM_PHYSICS_BEFORE,EP_ATM_TIMELOOP_END")],
             emulator_config(n_dom=2, steps=1)).run()
    with netCDF4.Dataset(rec / "0.nc") as ds:
        assert ds.record_vars == "temp,qv"
        assert ds.record_eps == "EP_ATM_PHYSICS_BEFORE,EP_ATM_TIMELOOP_END"
        # PHYSICS_BEFORE comes once per step of a domain (domain 2: two half steps), each
        # recording its domain; TIMELOOP_END (outside a domain loop) records both domains
        assert ds["domain_1"].dimensions["event"].size == 2
        assert ds["domain_2"].dimensions["event"].size == 3
        assert set(v for v in ds["domain_1"].variables if "comin_layout" in
                   ds["domain_1"][v].ncattrs()) == {"temp", "qv", "container"}
    rp = Replay(str(rec), [watcher("replay")])
    rp.run()
    assert seen["replay"] == seen["live"] and len(seen["live"]) == 3
    exposed = [v.name for v in rp.recording.all_variables() if v.exposed]
    assert sorted(exposed) == ["qv", "qv", "temp", "temp"]       # the container is incomplete


def test_replay_serves_new_requests_and_tracers(recorded):
    got = {}

    def plugin():
        comin.var_request_add(("fresh2d", -1), False)
        comin.metadata_set(("fresh2d", -1), zaxis_id=comin.COMIN_ZAXIS_2D, units="m")
        comin.var_request_add(("fresh_half", 2), False)
        comin.metadata_set(("fresh_half", 2), zaxis_id=comin.COMIN_ZAXIS_3D_HALF,
                           datatype=comin.COMIN_VAR_DATATYPE_FLOAT, long_name="half levels")
        comin.var_request_add(("newtracer", -1), False)
        comin.metadata_set(("newtracer", -1), tracer=True, tracer_turb=True, units="kg kg-1")
        comin.var_request_add(("temp", 1), False)            # recorded: served from the file

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            for d in (("fresh2d", 1), ("fresh2d", 2), ("fresh_half", 2), ("newtracer", 1),
                      ("newtracer", 2), ("temp", 1)):
                h = comin.var_get([comin.EP_ATM_TIMELOOP_START, comin.EP_ATM_TIMELOOP_END], d,
                                  comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE)
                got[d] = dict(shape=h.shape, datatype=h.datatype, meta=dict(comin.metadata(d)),
                              zero=not np.asarray(h).any(), handle=h)

        @comin.EP_ATM_TIMELOOP_START
        def start():
            np.asarray(got[("newtracer", 2)]["handle"])[...] = 7.0

        @comin.EP_ATM_TIMELOOP_END
        def end():
            kept = float(np.asarray(got[("newtracer", 2)]["handle"]).min())
            got.setdefault("kept", []).append(kept)

    Replay(recorded["rec"], [plugin]).run()
    assert got[("fresh2d", 1)]["shape"] == (8, 10, 1, 1, 1)         # R2B0: 80 cells / nproma 8
    assert got[("fresh2d", 1)]["meta"]["units"] == "m" and got[("fresh2d", 1)]["zero"]
    assert got[("fresh2d", 1)]["meta"]["tracer"] is False            # ComIn's defaults below
    assert got[("fresh_half", 2)]["shape"][1] == 6                   # nlev + 1
    assert got[("fresh_half", 2)]["datatype"] == comin.COMIN_VAR_DATATYPE_FLOAT
    assert got[("fresh_half", 2)]["meta"]["long_name"] == "half levels"
    tr = got[("newtracer", 2)]
    assert tr["meta"]["tracer"] is True and tr["meta"]["tracer_turb"] is True and tr["zero"]
    assert tr["shape"][1] == 5 and tr["handle"].ncontained == -1
    assert got["kept"] == [7.0, 7.0]
    assert got[("temp", 1)]["meta"]["long_name"] == "temperature"
    assert got[("temp", 1)]["zero"]                 # recorded at output, not yet loaded


def test_unrecorded_variable_is_comins_error_naming_the_file(recorded):
    errors = []
    original = comin.var_get

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            for d in (("vn", 1), ("no_such_thing", 2)):
                try:
                    comin.var_get([comin.EP_ATM_TIMELOOP_START], d, comin.COMIN_FLAG_READ)
                except comin.ComInError as exc:
                    errors.append(exc)

    Replay(recorded["rec"], [plugin]).run()
    path = os.path.join(recorded["rec"], "0.nc")
    assert [e.code for e in errors] == [comin.COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND] * 2
    assert f"variable (vn, 1) was not recorded in {path}" in str(errors[0])
    assert "record it with --record-vars vn" in str(errors[0])
    assert "did not expose it either" in str(errors[1])
    assert comin.var_get is original


def test_unrecorded_variable_uncaught_ends_the_cli_replay_with_1(recorded, tmp_path, capsys):
    plugin = write(tmp_path / "wants_vn.py", """\
        import comin
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            comin.var_get([comin.EP_ATM_TIMELOOP_START], ("vn", 2), comin.COMIN_FLAG_READ)
        """)
    rc = main(["replay", recorded["rec"], plugin])
    err = capsys.readouterr().err
    assert rc == 1
    assert f"variable (vn, 2) was not recorded in {recorded['rec']}/0.nc" in err
    assert err.splitlines()[-1] == ("comin replay: the run was finished with an error by "
                                    "python_adapter (its message is above)")


# -- bad recordings ------------------------------------------------------------------------

def _copy(recorded, tmp_path, edit=None):
    d = tmp_path / "copy"
    shutil.copytree(recorded["rec"], d)
    if edit is not None:
        with netCDF4.Dataset(d / "0.nc", "a") as ds:
            edit(ds)
    return str(d)


@pytest.mark.parametrize("case, message", [
    ("missing_dir", "{d}: no such recording directory"),
    ("not_a_dir", "{d}: not a directory (give the directory of a recording, which holds one "
                  "file <rank>.nc per host rank)"),
    ("missing_rank", "{d}/0.nc: no such file: no recording of host rank 0 in {d} "
                     "(it holds the files of rank 1)"),
    ("foreign", "{d}/0.nc: cannot open it as NetCDF (NetCDF: Unknown file format): not a "
                "comin recording, or a damaged (e.g. truncated) one"),
    ("plain_netcdf", "{d}/0.nc: not a comin recording (a NetCDF file without comin_format = "
                     "\"comin-recording\")"),
    ("truncated", "{d}/0.nc: cannot open it as NetCDF (NetCDF: HDF error): not a comin "
                  "recording, or a damaged (e.g. truncated) one"),
    ("format_version", "{d}/0.nc: a recording of format version 99; this comin reads version 1"),
    ("comin_major", "{d}/0.nc: recorded with ComIn 1.0.0, this comin implements ComIn 0.3.0 "
                    "(the major versions differ)"),
    ("rank_count", "{d}/0.nc: recorded on 4 host ranks, but the replay runs on 1 (run it on 4, "
                   "e.g. mpirun -n 4 comin replay ...)"),
    ("wrong_rank", "{d}/0.nc: holds the recording of host rank 3, not of rank 0"),
    ("bad_description", "{d}/0.nc: variable temp of group domain_1: stored shape (5, 80) does "
                        "not fit ICON's shape (8, 4, 10, 1, 1) (layout unblocked)"),
])
def test_bad_recordings_are_one_clear_error(recorded, tmp_path, case, message):
    src = os.path.join(recorded["rec"], "0.nc")
    if case == "missing_dir":
        d = str(tmp_path / "nowhere")
    elif case == "not_a_dir":
        d = src
    elif case in ("missing_rank", "foreign", "plain_netcdf", "truncated"):
        d = str(tmp_path / case)
        os.makedirs(d)
        if case == "missing_rank":
            shutil.copy(src, os.path.join(d, "1.nc"))
        elif case == "foreign":
            with open(os.path.join(d, "0.nc"), "w") as f:
                f.write("temp,pres\n1,2\n")
        elif case == "plain_netcdf":
            with netCDF4.Dataset(os.path.join(d, "0.nc"), "w") as ds:
                ds.title = "someone else's file"
        else:
            with open(src, "rb") as f:
                data = f.read()
            with open(os.path.join(d, "0.nc"), "wb") as f:
                f.write(data[: len(data) // 2])
    else:
        def edit(ds):
            if case == "format_version":
                ds.comin_format_version = np.int32(99)
            elif case == "comin_major":
                ds.comin_version = np.array([1, 0, 0], dtype=np.int32)
            elif case == "rank_count":
                ds.host_comm_size = np.int32(4)
            elif case == "wrong_rank":
                ds.host_comm_rank = np.int32(3)
            else:
                ds["domain_1"]["temp"].comin_shape = np.array([8, 4, 10, 1, 1], dtype=np.int32)
        d = _copy(recorded, tmp_path, edit)
    with pytest.raises(ReplayError) as exc:
        Replay(d, [])
    assert str(exc.value) == message.format(d=d)
    Host([]).finalize()                   # nothing was left active: a new Host can start


def test_the_recorder_side_checks_the_format_version_too(recorded, tmp_path):
    """The one format module: the recorder's summary refuses a file of another version with
    the replay's line."""
    from comin.record_format import FormatError
    d = _copy(recorded, tmp_path, lambda ds: ds.setncattr("comin_format_version", np.int32(99)))
    with pytest.raises(FormatError) as exc:
        recmod.summary(os.path.join(d, "0.nc"))
    assert str(exc.value) == f"{d}/0.nc: a recording of format version 99; this comin reads version 1"
    assert "entry point calls" in recmod.summary(os.path.join(recorded["rec"], "0.nc"))


def test_damaged_data_is_an_error_naming_file_and_variable(recorded, tmp_path, capsys):
    """Data carry checksums: a flipped byte in temp's values is found, never replayed."""
    d = _copy(recorded, tmp_path)
    path = os.path.join(d, "0.nc")
    with netCDF4.Dataset(path) as ds:
        needle = np.asarray(ds["domain_1"]["temp"][1]).tobytes()[:64]
    with open(path, "rb") as f:
        data = bytearray(f.read())
    at = data.find(needle)
    assert at > 0 and data.find(needle, at + 1) < 0
    data[at + 17] ^= 0x5A
    with open(path, "wb") as f:
        f.write(data)
    with pytest.raises(comin.ComInFinish) as exc:
        Replay(d, [recorded["probe"] + f" {tmp_path / 'p.pkl'}"]).run()
    assert exc.value.routine == ROUTINE
    assert exc.value.text.startswith(f"{path}: cannot read variable temp of domain 1 at event 1 ")
    assert exc.value.text.endswith("the file is damaged")
    # through the CLI: one line, exit status 2
    capsys.readouterr()
    rc = main(["replay", d, recorded["probe"] + f" {tmp_path / 'p.pkl'}"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.splitlines() == [f"comin replay: {exc.value.text}"]


@pytest.mark.parametrize("args, message", [
    (["replay", "{tmp}/nowhere", "{plugin}"], "comin replay: {tmp}/nowhere: no such recording "
                                              "directory"),
    (["replay", "{tmp}"], "comin replay: no plugin given: name a plugin script (comin replay DIR "
                          "my_plugin.py) or a namelist (--namelist FILE)"),
    (["replay", "{tmp}", "{plugin}"], "comin replay: {tmp}/0.nc: no such file: no recording of "
                                      "host rank 0 in {tmp} (it holds no rank file <rank>.nc)"),
    (["replay", "{tmp}", "{tmp}/missing.py"], "comin replay: no such plugin script: "
                                              "{tmp}/missing.py"),
    (["run", *SMALL, "--record", "{tmp}/r", "--record-eps", "EP_ATM_NOTHING", "{plugin}"],
     "comin run: --record-eps 'EP_ATM_NOTHING': unknown entry point 'EP_ATM_NOTHING' (entry "
     "points are named like EP_ATM_WRITE_OUTPUT_BEFORE)"),
    (["run", *SMALL, "--record", "{tmp}/r", "--record-eps", "EP_FINISH", "{plugin}"],
     "comin run: --record-eps 'EP_FINISH': variables cannot be recorded at EP_FINISH (the error "
     "path); choose another entry point"),
    (["run", *SMALL, "--record-vars", "temp", "{plugin}"],
     "comin run: --record-vars chooses what --record records: add --record DIR"),
    (["run", *SMALL, "--record", "{plugin}", "{plugin}"],
     "comin run: --record {plugin}: exists and is not a directory"),
    (["run", *SMALL, "--steps", "1", "--record", "{tmp}/r", "--record-vars", "temp,tmep",
      "{plugin}"],
     "comin_recorder: cannot record variable 'tmep': the host exposes no variable of that name "
     "(exposed: container, exner, omega_z, pres, pres_sfc, qc, qi, qr, qs, qv, rho, temp, "
     "theta_v, tqw_plugin, u, v, vn, w)"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    tmp = str(tmp_path)
    args = [a.replace("{tmp}", tmp).replace("{plugin}", COLUMN_WATER) for a in args]
    rc = main(args)
    out, err = capsys.readouterr()
    assert rc == 2
    assert "Traceback" not in err
    assert err.splitlines() == [message.replace("{tmp}", tmp).replace("{plugin}", COLUMN_WATER)]
    assert not os.path.exists(os.path.join(tmp, "r", "0.nc"))


# -- the command line ---------------------------------------------------------------------

def test_cli_record_then_replay_gives_the_same_output(tmp_path, capsys):
    rec = str(tmp_path / "rec")
    rc = main(["run", *SMALL, "--nest", "--nest-radius", "35", "--steps", "2", "--record", rec,
               COLUMN_WATER])
    live = capsys.readouterr().err
    assert rc == 0, live
    assert "comin_recorder" in live          # the recorder is in the summary, as the last plugin
    m = re.search(r"^comin run: recorded 195 entry point calls, domain_1: 15 variables x 3 events; "
                  r"domain_2: 15 variables x 3 events in (\S+) \([\d.,]+ MB\)$", live, re.MULTILINE)
    assert m and m.group(1) == os.path.join(rec, "0.nc")
    rc = main(["replay", rec, COLUMN_WATER])
    replay = capsys.readouterr().err
    assert rc == 0, replay
    info = [ln for ln in live.splitlines() if ln.startswith(" INFO(column_water)")]
    assert len(info) == 6
    assert [ln for ln in replay.splitlines() if ln.startswith(" INFO(column_water)")] == info
    assert replay.splitlines()[len(info)].startswith(
        f"comin replay: 195 entry point calls and 6 variable events from {rec}/0.nc, 1 plugin, in ")
    assert re.search(r"^  host\s+replay host, file, comin, plugin loading", replay, re.MULTILINE)
    rc = main(["replay", "--no-summary", rec, COLUMN_WATER])
    err = capsys.readouterr().err
    assert rc == 0 and len(err.splitlines()) == 6


def test_run_ending_with_an_error_is_recorded_up_to_ep_finish(tmp_path, capsys):
    plugin = write(tmp_path / "fails.py", """\
        import sys
        import comin
        live = comin.current_get_plugin_info().args == ["live"]
        calls = []
        @comin.EP_ATM_TIMELOOP_START
        def start():
            calls.append(comin.current_get_datetime())
            if live and len(calls) == 2:
                raise RuntimeError("second step fails")
        @comin.EP_FINISH
        def finishing():
            print("FINISH after", calls, file=sys.stderr)
        """)
    rec = str(tmp_path / "rec")
    rc = main(["run", *SMALL, "--steps", "3", "--record", rec, f"{plugin} live"])
    err = capsys.readouterr().err
    assert rc == 1 and "second step fails" in err
    assert "FINISH after ['2026-01-01T00:10:00.000', '2026-01-01T00:20:00.000']" in err
    with netCDF4.Dataset(os.path.join(rec, "0.nc")) as ds:
        assert ds.recording_end == "EP_FINISH"
        assert int(ds["current_ep"][-1]) == comin.EP_FINISH
    rc = main(["replay", rec, plugin])
    err = capsys.readouterr().err
    assert rc == 1
    # the recorder runs last: the call in which an earlier plugin failed never reached it
    assert "FINISH after ['2026-01-01T00:10:00.000']\n" in err
    assert err.splitlines()[-1].startswith("comin replay: the recorded run ended with an error "
                                           "(EP_FINISH at call ")


def test_recorder_loaded_by_path_in_another_host(tmp_path, make_host):
    """Any host loads the recorder by path; fields the host did not set stay unset in replay;
    every datatype, metadata type and irregular layouts (stored raw) round-trip."""
    from _support import field2d, field3d, grid_fields
    S = comin
    rec = tmp_path / "rec"
    probe = write(tmp_path / "probe.py", PROBE)
    host = make_host(f"{probe} {tmp_path / 'live.pkl'}",
                     recorder_spec(rec, "--vars", "t3,ints,f32,extra,vec"))
    local = {jg: {int(g): i + 1 for i, g in enumerate(grid_fields(jg, "cells")["glb_index"])}
             for jg in (1, 2)}
    host.set_glb2loc_cell(lambda jg, g: local[jg].get(g, -1))     # what replay builds
    host.set_datetime("2021-07-13T00:00:00")
    host.run_primary_constructors()
    arrays = {jg: field3d(jg) for jg in (1, 2)}
    for jg, a in arrays.items():
        host.expose("t3", jg, a, metadata={"units": "K", "flag": True, "ratio": 0.5,
                                           "long_name": "température", "standard_name": "",
                                           "level": -3})
    ints, f32 = field3d(1, dtype=np.intc), field2d(2, dtype=np.float32)
    extra = np.asfortranarray(np.random.default_rng(1).random((4, 3, 3, 2)))    # padding too
    vec = np.arange(5.0)
    host.expose("ints", 1, ints, metadata={"datatype": S.COMIN_VAR_DATATYPE_INT})
    host.expose("f32", 2, f32, metadata={"zaxis_id": S.COMIN_ZAXIS_2D})
    host.expose("extra", 1, extra, dim_semantics=(S.COMIN_DIM_SEMANTICS_NPROMA,
                                                  S.COMIN_DIM_SEMANTICS_LEVEL,
                                                  S.COMIN_DIM_SEMANTICS_BLOCK,
                                                  S.COMIN_DIM_SEMANTICS_OTHER))
    host.expose("vec", 1, vec, dim_semantics=(S.COMIN_DIM_SEMANTICS_UNDEF,))
    host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
    for step in range(2):
        host.set_datetime(f"2021-07-13T0{step + 1}:00:00")
        for a in (*arrays.values(), ints, f32, extra, vec):
            a += 1
        host.call_ep(comin.EP_ATM_TIMELOOP_START)
        host.call_ep(comin.EP_ATM_WRITE_OUTPUT_BEFORE, 1)
        host.call_ep(comin.EP_ATM_WRITE_OUTPUT_BEFORE, 2)
    host.call_ep(comin.EP_DESTRUCTOR)
    host.finalize()
    Replay(str(rec), [f"{probe} {tmp_path / 'replay.pkl'}"]).run()
    with open(tmp_path / "live.pkl", "rb") as f:
        live = pickle.load(f)
    with open(tmp_path / "replay.pkl", "rb") as f:
        replay = pickle.load(f)
    for key in ("global", "domains", "interval", "calls", "variables", "values", "start_datetime"):
        assert replay[key] == live[key], key
    unset = ("unset", comin.COMIN_ERROR_FIELD_NOT_ALLOCATED)
    assert live["domains"][1]["cells"]["child_idx"] == unset
    assert live["variables"][("t3", 2)]["metadata"]["flag"] == ("bool", True)
    assert live["variables"][("t3", 2)]["metadata"]["ratio"] == ("float", 0.5)
    assert len(live["values"][("t3", 1)]) == 2
    assert live["variables"][("t3", 1)]["metadata"]["long_name"] == ("str", "température")
    assert live["variables"][("ints", 1)]["datatype"] == S.COMIN_VAR_DATATYPE_INT
    assert live["variables"][("f32", 2)]["datatype"] == S.COMIN_VAR_DATATYPE_FLOAT
    assert len(live["values"][("extra", 1)]) == len(live["values"][("vec", 1)]) == 2
    with netCDF4.Dataset(rec / "0.nc") as ds:
        layouts = {v: ds["domain_1"][v].comin_layout for v in ("t3", "ints", "extra", "vec")}
        assert layouts == {"t3": "unblocked", "ints": "unblocked", "extra": "raw", "vec": "raw"}
        assert ds["domain_1"]["extra"].dimensions == ("event", "extra_dim4", "extra_dim3",
                                                      "extra_dim2", "extra_dim1", "extra_dim0")
        assert ds["domain_1"]["ints"].dtype == np.int32
        assert ds["domain_2"]["f32"].dtype == np.float32
    assert live["domains"][1]["glb2loc"][3] == 10         # domain 1's glb_index ends with 103


MPI_HOST = """\
import sys
from mpi4py import MPI
sys.path.insert(0, {tests!r})
import numpy as np
import comin
from comin.host import Host
from _support import set_descrdata, field3d

rank = MPI.COMM_WORLD.Get_rank()
host = Host([{spec!r}], lstdout=rank == 0)
set_descrdata(host)
host.set_datetime("2021-07-13T00:00:00")
host.run_primary_constructors()
temp = field3d(1) + 1000.0 * rank
host.expose("temp", 1, temp, metadata={{"units": "K"}})
host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
host.set_datetime("2021-07-13T01:00:00")
host.call_ep(comin.EP_ATM_WRITE_OUTPUT_BEFORE)
host.call_ep(comin.EP_DESTRUCTOR)
host.finalize()
"""

MPI_PLUGIN = """\
import comin
import numpy as np
rank = comin.parallel_get_host_mpi_rank()

@comin.EP_SECONDARY_CONSTRUCTOR
def sc():
    global h
    h = comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], ("temp", 1), comin.COMIN_FLAG_READ)

@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def out():
    a = h.to_3d
    print(f"RANK {rank} sum {a[:, :, :2].sum() + a[:2, :, 2].sum():.1f}", flush=True)
"""


def test_multi_rank_recording_replays_under_mpirun(tmp_path):
    rec = tmp_path / "rec"
    host = write(tmp_path / "host.py", MPI_HOST.format(tests=TESTS, spec=recorder_spec(rec)))
    plugin = write(tmp_path / "plugin.py", MPI_PLUGIN)
    run = subprocess.run(mpiexec_command(2, [sys.executable, host]), capture_output=True,
                         text=True, timeout=60, env=launcher_environ())
    assert run.returncode == 0, run.stderr
    assert sorted(os.listdir(rec)) == ["0.nc", "1.nc"]
    for rank in (0, 1):
        with netCDF4.Dataset(rec / f"{rank}.nc") as ds:
            assert (ds.host_comm_rank, ds.host_comm_size) == (rank, 2)
    r = subprocess.run(mpiexec_command(2, [sys.executable, "-m", "comin", "replay",
                                           "--no-summary", str(rec), plugin]),
                       capture_output=True, text=True, timeout=60, env=launcher_environ())
    assert r.returncode == 0, r.stderr
    # field3d(1) holds 0..35 over (4, 3, 3); the real cells are all but the last block's 2
    full = np.arange(36.0).reshape((4, 3, 3))
    expect = [full[:, :, :2].sum() + full[:2, :, 2].sum() + 1000.0 * r0 * 30 for r0 in (0, 1)]
    assert sorted(re.findall(r"RANK \d sum [\d.]+", r.stdout)) == [
        f"RANK {k} sum {expect[k]:.1f}" for k in (0, 1)]
    r = subprocess.run([sys.executable, "-m", "comin", "replay", str(rec), plugin],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        f"comin replay: {rec}/0.nc: recorded on 2 host ranks, but the replay runs on 1 (run it "
        "on 2, e.g. mpirun -n 2 comin replay ...)"]


def test_recording_object_reads_the_call_sequence(recorded):
    rec = Recording(recorded["rec"])
    try:
        assert rec.n_dom == 2 and rec.end == "EP_DESTRUCTOR"
        assert rec.eps[0] == comin.EP_SECONDARY_CONSTRUCTOR and rec.eps[-1] == comin.EP_DESTRUCTOR
        assert [c for c in rec.events] == [i for i, ep in enumerate(rec.eps)
                                           if ep == comin.EP_ATM_WRITE_OUTPUT_BEFORE]
        assert all(len(ev) == 2 for ev in rec.events.values())      # both domains each time
    finally:
        rec.close()


HALO_PLUGIN = """\
import numpy as np
import comin
rank = comin.parallel_get_host_mpi_rank()
comin.var_request_add(("probe", 1), False)

@comin.EP_SECONDARY_CONSTRUCTOR
def sc():
    global w, r
    w = comin.var_get([comin.EP_ATM_TIMELOOP_START], ("probe", 1), comin.COMIN_FLAG_WRITE)
    r = comin.var_get([comin.EP_ATM_TIMELOOP_END], ("probe", 1),
                      comin.COMIN_FLAG_READ | comin.COMIN_FLAG_SYNC_HALO)

def blocked(a, n):
    out = np.zeros(w.to_3d.shape[0] * w.to_3d.shape[2])
    out[:n] = a
    return out.reshape((w.to_3d.shape[0], w.to_3d.shape[2]), order="F")

@comin.EP_ATM_TIMELOOP_START
def write():
    cells = comin.descrdata_get_domain(1).cells
    n = cells.ncells
    glb = blocked(np.asarray(cells.glb_index), n)
    dd = np.asarray(cells.decomp_domain)
    w.to_3d[...] = np.where(dd == 0, glb, -1.0)[:, None, :]     # owned cells only

@comin.EP_ATM_TIMELOOP_END
def read():
    cells = comin.descrdata_get_domain(1).cells
    n = cells.ncells
    glb = blocked(np.asarray(cells.glb_index), n)
    real = glb > 0
    a = r.to_3d
    halo = int(np.count_nonzero((np.asarray(cells.decomp_domain) > 0) & real))
    ok = all(np.array_equal(a[:, k, :][real], glb[real]) for k in range(a.shape[1]))
    print(f"RANK {rank} halo cells {halo} all equal to their owners' {ok}", flush=True)
"""


def test_multi_rank_replay_exchanges_halos(tmp_path):
    """COMIN_FLAG_SYNC_HALO in a replay of a 2-rank emulator run: every halo cell gets its
    owner rank's value (the recorded decomposition: glb_index, decomp_domain)."""
    rec = tmp_path / "rec"
    run = subprocess.run(mpiexec_command(2, [sys.executable, "-m", "comin", "run", "--grid", "R2B0",
                                             "--steps", "1", "--no-summary", "--record", str(rec),
                                             "--record-vars", "temp"]),
                         capture_output=True, text=True, timeout=120, env=launcher_environ())
    assert run.returncode == 0, run.stdout + run.stderr
    plugin = write(tmp_path / "halo.py", HALO_PLUGIN)
    r = subprocess.run(mpiexec_command(2, [sys.executable, "-m", "comin", "replay", "--no-summary",
                                           str(rec), plugin]),
                       capture_output=True, text=True, timeout=120, env=launcher_environ())
    assert r.returncode == 0, r.stdout + r.stderr
    lines = sorted(re.findall(r"RANK \d halo cells \d+ all equal to their owners' (?:True|False)", r.stdout))
    assert len(lines) == 2, r.stdout
    for line in lines:
        assert int(line.split()[4]) > 0 and line.endswith("True"), line


def test_a_failure_of_the_writer_thread_is_one_line_naming_the_file(tmp_path, capsys, monkeypatch):
    """The recorder writes in a thread of its own; when that thread fails (a disk that fills
    up, say), the run ends at the recorder's next step with one line naming the file, and
    what was written before is a readable file."""
    from comin.plugins.recorder import recorder as rec_mod

    def broken(self, slot, events, call, seconds, calls):
        self.writer.release(slot)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rec_mod.Recorder, "_write_event", broken)
    rec = str(tmp_path / "rec")
    rc = main(["run", *SMALL, "--steps", "3", "--record", rec, "--no-summary", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1
    lines = [line for line in err.splitlines() if "No space left" in line]
    assert lines and all(f"{rec}/0.nc: OSError: [Errno 28] No space left on device" in line
                         for line in lines), err
    with netCDF4.Dataset(os.path.join(rec, "0.nc")) as ds:      # set up before the failure
        assert ds.comin_format == "comin-recording"


def test_recording_waits_for_the_writer_and_keeps_every_event(tmp_path, monkeypatch):
    """A slow writer (one snapshot, every write delayed) costs the model time, never data:
    every event arrives in order with the values of its entry point."""
    import time as _time

    from comin.plugins.recorder import recorder as rec_mod
    monkeypatch.setattr(rec_mod, "SNAPSHOTS", 1)
    slow = rec_mod.Recorder._write_event

    def delayed(self, *args):
        _time.sleep(0.05)
        slow(self, *args)

    monkeypatch.setattr(rec_mod.Recorder, "_write_event", delayed)
    seen = []

    def probe():
        h = {}

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            h["t"] = comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], ("temp", 1),
                                   comin.COMIN_FLAG_READ)

        @comin.EP_ATM_WRITE_OUTPUT_BEFORE
        def out():
            seen.append(np.asarray(h["t"].to_3d).copy())

    rec = tmp_path / "rec"
    Emulator([probe, recorder_spec(rec, "--vars", "temp")], emulator_config(steps=4)).run()
    with netCDF4.Dataset(rec / "0.nc") as ds:
        temp = ds["domain_1"]["temp"][:]
    assert temp.shape[0] == len(seen) == 5
    for e, blocked in enumerate(seen):
        n = temp.shape[-1]
        flat = np.moveaxis(blocked, 2, 1).reshape(blocked.shape[0] * blocked.shape[2], -1, order="F")
        np.testing.assert_array_equal(temp[e], flat[:n].T)


def test_events_reach_the_file_while_the_model_runs(tmp_path):
    """The writer puts each event into the file (checksummed) while the model goes on: at a
    later step the bytes of the earlier events are there, not held in HDF5's chunk cache
    until the file is closed (which would leave every write to the end of the run)."""
    import time as _time
    rec = tmp_path / "rec"
    path = rec / "0.nc"
    ncells, nlev = 1280, 100
    event = ncells * nlev * 8                       # temp of one event: 1 MB
    sizes = []

    def probe():
        @comin.EP_ATM_TIMELOOP_END
        def end():
            # events submitted so far: the initial output and one per step
            want = len(sizes) * event
            deadline = _time.monotonic() + 30.0
            size = 0
            while _time.monotonic() < deadline:
                size = os.path.getsize(path) if path.exists() else 0
                if size >= want:
                    break
                _time.sleep(0.02)
            sizes.append(size)

    Emulator([probe, recorder_spec(rec, "--vars", "temp")],
             emulator_config(ncells=ncells, nlev=nlev, steps=4)).run()
    assert len(sizes) == 4
    for k, size in enumerate(sizes):
        assert size >= k * event, (k, size, sizes)
    with netCDF4.Dataset(path) as ds:
        assert ds["domain_1"]["temp"].shape == (5, nlev, ncells)

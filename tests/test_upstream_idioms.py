"""Plugins written in the style of ComIn 0.3's own Python plugins run unmodified.

The scripts in ``tests/plugins/`` use the Python API the way ComIn's example
and test plugins do: script arguments through ``plugin_info.args`` and
argparse, entry points as decorators and ``register_callback``, tracers with
turbulence/convection tendencies, every descriptive data field, ComInError
texts caught by plugins, print_* filtered by the plugin's log flags, datatypes
mapped to NumPy dtypes, shapes on cells/edges/vertices, metadata as a
mapping, introspection of the module, halo synchronisation and MPI handles.
They run in the emulator host (``comin run`` or :class:`Emulator`); plugins
that take an argument write a JSON or Markdown report to that path.
"""
import ast
import json
import operator
import os
import re
import shlex

import numpy as np
import pytest

import comin
from comin import _table
from comin.__main__ import main
from comin.emulator import Emulator
from _support import emulator_config
from comin.host import DEFAULT_METADATA, PluginDescription

PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins")
NPROMA_SEM, BLOCK_SEM, LEVEL_SEM, UNUSED_SEM = (
    comin.COMIN_DIM_SEMANTICS_NPROMA, comin.COMIN_DIM_SEMANTICS_BLOCK,
    comin.COMIN_DIM_SEMANTICS_LEVEL, comin.COMIN_DIM_SEMANTICS_UNUSED)

#: Field names of ComIn 0.3's Python descriptive data (``dir()`` of a domain / its cells).
DOMAIN_FIELDS = ["cells", "dom_end", "dom_start", "edges", "grid_filename", "grid_uuid", "id",
                 "n_childdom", "nlev", "nshift", "nshift_total", "number_of_grid_used", "verts"]
CELL_FIELDS = ["area", "child_blk", "child_id", "child_idx", "clat", "clon", "decomp_domain",
               "edge_blk", "edge_idx", "end_block", "end_index", "glb_index", "hhl",
               "max_connectivity", "nblks", "ncells", "ncells_global", "neighbor_blk",
               "neighbor_idx", "num_edges", "parent_glb_blk", "parent_glb_idx", "refin_ctrl",
               "start_block", "start_index", "vertex_blk", "vertex_idx"]
EDGE_FIELDS = {"nedges", "nedges_global", "nblks", "refin_ctrl", "start_index", "end_index",
               "start_block", "end_block", "child_id", "child_idx", "child_blk", "parent_glb_idx",
               "parent_glb_blk", "cell_idx", "cell_blk", "vertex_idx", "vertex_blk", "elon", "elat"}
VERT_FIELDS = {"nverts", "nverts_global", "nblks", "num_edges", "refin_ctrl", "start_index",
               "end_index", "start_block", "end_block", "neighbor_idx", "neighbor_blk", "cell_idx",
               "cell_blk", "edge_idx", "edge_blk", "vlon", "vlat"}


def script(name, *args):
    """A plugin's options string: script path and arguments, quoted like a shell."""
    return " ".join(shlex.quote(w) for w in (os.path.join(PLUGINS, name),) + args)


def emulate(plugins, **cfg):
    emu = Emulator(plugins, emulator_config(**cfg))
    emu.run()
    return emu


def cli(capsys, *plugins, opts=()):
    rc = main(["run", *opts, *plugins])
    out, err = capsys.readouterr()
    return rc, out, err


def logged(err):
    """The print_debug/info/warning lines of a run's stderr."""
    return [line for line in err.splitlines() if re.match(r" (DEBUG|INFO|WARNING)\(", line)]


# -- script arguments, variables and tracers --------------------------------------

def test_arguments_plugin_info_and_tracer_writes(capsys):
    options = script("args_tracer.py", "--greeting=hello", "two words")
    emu = emulate([options], n_dom=2, steps=3, ncells=20, nproma=8, nlev=4)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "parsed: greeting='hello' words='two words'" in lines
    # the dataclass repr, as a plugin prints it
    assert f"plugin_info(id=1, name='args_tracer', options={options!r}, comm='')" in lines
    sem = ast.literal_eval(next(x for x in lines if x.startswith("tracer dim_semantics:")).split(":", 1)[1].strip())
    assert isinstance(sem, tuple) and len(sem) == 5 and all(type(x) is int for x in sem)
    # one tracer is a slice of the container: its 4th dimension is UNUSED, as in ICON
    assert sem == (NPROMA_SEM, LEVEL_SEM, BLOCK_SEM, UNUSED_SEM, UNUSED_SEM)
    assert "tracer ncontained: 5" in lines                   # after the host's qv, qc, qi, qr, qs
    assert "destructor after 4 output calls" in err.splitlines()
    # the plugin wrote host memory through its handles
    f = emu.fields[1]
    diag_plus = emu.domains[1].requested["diag_plus"]
    np.testing.assert_array_equal(diag_plus, f["pres"] + 1.5)
    np.testing.assert_array_equal(f["container"][..., 5], (f["pres"] + 1.5) * 2.0)
    # domain 2's tracer was not written: zero but in its lateral boundary rows, which take the
    # parent's values (one-way nesting)
    nest = emu.domains[2]
    q2 = nest.gather(emu.fields[2]["container"][..., 5])
    rows = (nest.grid.refin_c_ctrl >= 1) & (nest.grid.refin_c_ctrl <= 4)
    assert not np.any(q2[~rows]) and np.all(q2[rows] > 0)


def test_point_source_with_tracer_tendencies(tmp_path, capsys):
    rep = tmp_path / "source.json"
    emu = emulate([script("nearest_cell_source.py", str(rep))], n_dom=2, steps=3, ncells=40, nproma=8)
    r = json.loads(rep.read_text())
    assert r["emissions"] == 3 and r["tendency_calls"] == 3      # domain 1 only, once per step
    assert r["dt"] == emu.config.dt
    assert r["nonzero_tendency"] and r["column_total"] > 0
    assert "source at lon=" in capsys.readouterr().err
    # the cell is the real cell nearest to 20E 35S
    dom = emu.domains[1]
    lon, lat = np.deg2rad(20.0), np.deg2rad(-35.0)
    d = np.arccos(np.clip(np.sin(lat) * np.sin(dom.clat)
                          + np.cos(lat) * np.cos(dom.clat) * np.cos(dom.clon - lon), -1, 1))
    nproma, nblks = d.shape
    d[(np.arange(nblks)[None, :] * nproma + np.arange(nproma)[:, None]) >= dom.grid.ncells] = np.inf
    assert tuple(r["cell"]) == np.unravel_index(np.argmin(d), d.shape)
    # tendencies exist for the tracer that asked for them, on every domain, and only for it
    variables = set(emu.host.variables)
    for jg in (1, 2):
        assert {("ddt_emis_turb", jg), ("ddt_emis_conv", jg), ("plain_tracer", jg)} <= variables
        assert ("ddt_plain_tracer_turb", jg) not in variables
        assert emu.host.metadata("ddt_emis_turb", jg)["zaxis_id"] == comin.COMIN_ZAXIS_3D


# -- descriptive data ---------------------------------------------------------------------

def test_descriptive_data_fields_and_helpers(tmp_path, capsys):
    rep = tmp_path / "descr.json"
    options = script("descrdata_tour.py", str(rep))
    emulate([options], n_dom=2, steps=2, ncells=50, nproma=8, nlev=6, dt=60.0)
    r = json.loads(rep.read_text())
    assert f" INFO(descrdata_tour): plugin_info(id=1, name='descrdata_tour', options={options!r}, comm='')" \
        in capsys.readouterr().err.splitlines()
    assert r["dir_domain"] == DOMAIN_FIELDS
    assert r["dir_cells"] == CELL_FIELDS
    assert EDGE_FIELDS <= set(r["dir_edges"]) and VERT_FIELDS <= set(r["dir_verts"])

    def kind(group, name):
        return r[group][name]["type"]

    g = r["global"]
    assert g["n_dom"] == {"type": "int", "value": 2} and g["nproma"] == {"type": "int", "value": 8}
    assert g["max_dom"] == {"type": "int", "value": 10}      # ICON's max_dom, whatever n_dom is
    assert g["vct_a"] == {"type": "array", "dtype": "float64", "shape": [7], "writeable": False}
    for name in ("lrestartrun", "has_device"):
        assert kind("global", name) == "bool"
    for name in ("host_git_remote_url", "host_git_branch", "host_git_tag", "host_revision",
                 "device_name", "device_vendor", "device_driver"):
        assert kind("global", name) == "str"
    dom = r["domain"]
    assert dom["grid_uuid"]["dtype"] == "int8" and len(dom["grid_uuid"]["shape"]) == 1
    assert dom["number_of_grid_used"]["dtype"] == "int32"
    assert dom["id"]["value"] == 1 and dom["nlev"]["value"] == 6
    assert kind("domain", "grid_filename") == "str"
    assert kind("domain", "dom_start") == "float" and kind("domain", "dom_end") == "float"
    for sub in ("cells", "edges", "verts"):
        assert kind("domain", sub) not in ("array", "int", "str")   # nested descriptive data

    nblks = {grid: r[grid]["nblks"]["value"] for grid in ("cells", "edges", "verts")}
    c = r["cells"]
    assert c["clon"] == {"type": "array", "dtype": "float64", "shape": [8, nblks["cells"]], "writeable": False}
    assert c["hhl"]["shape"] == [8, 7, nblks["cells"]]
    assert c["neighbor_idx"]["shape"] == [8, nblks["cells"], 3] and c["neighbor_idx"]["dtype"] == "int32"
    assert c["child_idx"]["shape"] == [8, nblks["cells"], 4]
    assert c["glb_index"]["shape"] == [80]                         # R2B0
    assert c["start_index"]["shape"] == [_table_rl("cell")]
    e = r["edges"]
    assert e["elon"]["shape"] == [8, nblks["edges"]] and e["cell_idx"]["shape"] == [8, nblks["edges"], 2]
    assert e["vertex_idx"]["shape"] == [8, nblks["edges"], 4]
    v = r["verts"]
    assert v["vlat"]["dtype"] == "float64" and v["cell_idx"]["shape"] == [8, nblks["verts"], 6]
    for group in ("global", "domain", "cells", "edges", "verts"):
        for name, d in r[group].items():
            if d["type"] == "array":
                assert d["writeable"] is False, (group, name)

    # datetimes as ICON's mtime writes them, with milliseconds
    assert r["interval_repr"] == ("simulation_interval(exp_start='2026-01-01T00:00:00.000', "
                                  "exp_stop='2026-01-01T00:02:00.000', "
                                  "run_start='2026-01-01T00:00:00.000', "
                                  "run_stop='2026-01-01T00:02:00.000')")
    assert list(r["interval"]) == ["exp_start", "exp_stop", "run_start", "run_stop"]
    assert r["inner_block_indices"] == [1, 8]
    sizes = (r["cells"]["ncells"]["value"], r["edges"]["nedges"]["value"], r["verts"]["nverts"]["value"])
    assert r["npromz"] == [n - (nblks[grid] - 1) * 8 for n, grid in zip(sizes, ("cells", "edges", "verts"))]
    assert r["glb2loc_42"] == 42
    assert r["version"] == [0, 3, 0] and r["rank"] == 0
    # the nest takes two half steps per step of domain 1
    t1, t2 = "2026-01-01T00:01:00.000", "2026-01-01T00:02:00.000"
    assert r["physics_calls"] == [[1, t1], [2, t1], [2, t1], [1, t2], [2, t2], [2, t2]]


def _table_rl(grid):
    from comin import grid as gridmod
    lo = getattr(gridmod, f"MIN_RL{grid.upper()}")
    hi = getattr(gridmod, f"MAX_RL{grid.upper()}")
    return hi - lo + 1


def test_inner_block_indices_need_no_domain(make_host):
    make_host()
    nproma = comin.descrdata_get_global().nproma
    # neither the start nor the end block: ICON returns (1, nproma) without reading domain data
    assert comin.descrdata_get_cell_indices(42, 2, 1, 3, 99, -99) == (1, nproma)
    assert comin.descrdata_get_edge_indices(42, 2, 1, 3, 99, -99) == (1, nproma)
    assert comin.descrdata_get_vert_indices(42, 2, 1, 3, 99, -99) == (1, nproma)
    with pytest.raises(comin.ComInError) as ei:              # the start block reads domain 42
        comin.descrdata_get_cell_indices(42, 1, 1, 3, 0, 0)
    assert ei.value.code == comin.COMIN_ERROR_FIELD_NOT_ALLOCATED


# -- errors, logging, datatypes -------------------------------------------------------------

def test_error_texts_seen_by_plugins(tmp_path, capsys):
    rep = tmp_path / "errors.json"
    emulate([script("error_texts.py", str(rep))], n_dom=1, steps=1)
    r = json.loads(rep.read_text())
    late_request = "ERROR: " + comin.error_get_message(comin.COMIN_ERROR_VAR_REQUEST_AFTER_PRIMARYCONSTRUCTOR)[1]
    expected = {
        "unknown_ep": ["ERROR: Unknown id for ENTRY point.", "ep = 666"],
        "late_registration": ["ERROR: Callbacks cannot be registered after primary constructor.", ""],
        "late_request": [late_request, "var_descr: another, 1"],
        "unknown_variable": ["ERROR: var_item not associated.", "var_descr: no_such_field, 12"],
    }
    for key, first_lines in expected.items():
        assert r[key]["text"].split("\n")[:2] == first_lines, key
        assert r[key]["runtime_error"] is True and r[key]["key_error"] is False
    # a missing metadata key is a KeyError (Mapping.get falls back to its default)
    assert r["missing_key"]["key_error"] is True
    assert r["get_default"] == "fallback" and r["has_units"] is True
    err = capsys.readouterr().err.splitlines()
    assert " INFO(error_texts): caught unknown_ep: ERROR: Unknown id for ENTRY point." in err


def test_uncaught_exception_ends_the_run(capsys):
    rc, out, err = cli(capsys, script("raising_callback.py"), opts=["--steps", "1"])
    assert rc == 1
    assert "Traceback (most recent call last)" in err
    assert "ValueError: deliberate failure in the secondary constructor" in err
    assert "python_adapter: Uncaught exception in callback" in err
    assert "the time loop ran" not in out


def test_print_functions_follow_log_flags(capsys):
    path = script("log_levels.py")
    emulate([PluginDescription.python(path, name="log_levels(all)", log_debug=True),
             PluginDescription.python(path, name="log_levels(no info)", log_info=False),
             PluginDescription.python(path, name="log_levels(silent)", log_info=False, log_warning=False)],
            n_dom=1, steps=1)
    assert logged(capsys.readouterr().err) == [
        " DEBUG(log_levels(all)): debug from the primary constructor",
        " INFO(log_levels(all)): info from the primary constructor",
        " WARNING(log_levels(all)): warning from the primary constructor",
        " WARNING(log_levels(no info)): warning from the primary constructor",
        " INFO(log_levels(all)): {'non-string': 1}",
    ]


def test_datatype_metadata_selects_numpy_dtype(capsys):
    emu = emulate([script("datatype_buffers.py")], n_dom=1, steps=2)
    assert logged(capsys.readouterr().err) == [
        " INFO(datatype_buffers): f64 is <class 'numpy.float64'>",
        " INFO(datatype_buffers): f32 is <class 'numpy.float32'>",
        " INFO(datatype_buffers): i32 is <class 'numpy.int32'>",
    ] * 2
    for tag, dtype in (("f64", np.float64), ("f32", np.float32), ("i32", np.intc)):
        arr = emu.domains[1].requested[f"typed_{tag}"]
        assert arr.dtype == dtype and np.all(arr == 7)


def test_plugin_finish_on_wrong_dtype_exits_1(capsys):
    rc, _, err = cli(capsys, script("datatype_buffers.py", "--swap"), opts=["--grid", "R2B0", "--nlev", "4", "--steps", "1"])
    assert rc == 1
    assert "datatype_buffers: f64: float64 != int32" in err


# -- shapes and metadata ------------------------------------------------------------------

def test_shapes_on_every_grid_and_vertical_axis(tmp_path):
    rep = tmp_path / "shapes.json"
    emu = emulate([script("grid_shapes.py", str(rep))], n_dom=2, steps=1, ncells=40, nproma=8, nlev=5)
    results = json.loads(rep.read_text())
    assert len(results) == 2 * 3 * 3
    # cells, edges and vertices have different block counts, so the checks tell them apart
    assert len(set(emu.domains[1].nblks.values())) == 3
    for res in results:
        jg, zaxis, hgrid = res["case"]
        assert res["nproma_ok"] and res["nblks_ok"], res
        if zaxis == comin.COMIN_ZAXIS_2D:
            assert res["dim_semantics"] == [NPROMA_SEM, BLOCK_SEM, UNUSED_SEM, UNUSED_SEM, UNUSED_SEM]
            assert not res["has_level"] and res["squeezed_ndim"] == 2
        else:
            assert res["dim_semantics"] == [NPROMA_SEM, LEVEL_SEM, BLOCK_SEM, UNUSED_SEM, UNUSED_SEM]
            assert res["nlev_ok"] and res["squeezed_ndim"] == 3, res
        assert res["to_3d"] == res["expected_to_3d"], res


def test_variable_list_and_metadata_mapping(tmp_path):
    rep = tmp_path / "variables.json"
    emu = emulate([script("variable_listing.py", str(rep))], n_dom=2, steps=2, ncells=40, nproma=8, nlev=4)
    r = json.loads(rep.read_text())
    assert r["pres_listed"] is True
    listed = [(name, jg) for _, _, name, jg, _, _ in r["listing"]]
    assert listed == emu.host.variables                           # exposure order, each once
    assert all(t == ["str", "int"] for *t, _, _, _, _ in r["listing"])
    by_name = {(name, jg): (tracer, units) for _, _, name, jg, tracer, units in r["listing"]}
    assert by_name[("qv", 1)][0] is True and by_name[("pres", 2)][0] is False
    # the tracer container has neither key: .get gives None, as upstream's python_variables shows
    assert by_name[("container", 1)] == by_name[("container", 2)] == (None, None)
    assert by_name[("probe", 1)] == (False, "%")
    assert r["custom_key"] == 42
    items = r["items"]
    for key, default in DEFAULT_METADATA:
        assert items[key][0] == type(default).__name__, key
    assert items["units"] == ["str", "%"] and items["hgrid_id"] == ["int", comin.COMIN_HGRID_UNSTRUCTURED_CELL]
    assert items["custom_key"] == ["int", 42] and items["custom_text"] == ["str", "free text"]
    assert items["custom_flag"] == ["bool", True] and items["custom_real"] == ["float", 0.25]
    assert r["len"] == len(items) == len(r["keys"])
    assert r["outputs"] == [["tuple", ["probe", 1], [8, 4, 10]]] * 3     # R2B0: 80 cells


def test_owned_cells_add_up_with_padding(capsys):
    """decomp_domain of the last block's padding is -1 (ICON's divide_patch), so counting
    ``decomp_domain == 0`` over the whole array gives ncells_global (upstream's
    test_parallel_plugin; 80 cells in blocks of 7 leave 4 padding entries)."""
    emulate([script("owned_cells.py")], n_dom=2, steps=1, nproma=7, nlev=4)
    lines = capsys.readouterr().err.splitlines()
    assert " INFO(owned_cells): domain 1: 80 owned cells of 80" in lines
    (nest,) = [re.match(r" INFO\(owned_cells\): domain 2: (\d+) owned cells of (\d+)$", x)
               for x in lines if "domain 2:" in x]
    assert nest and nest.group(1) == nest.group(2)


# -- module introspection and entry point objects ----------------------------------------

def test_module_introspection(tmp_path):
    doc = tmp_path / "api.md"
    emulate([script("api_walk.py", str(doc))], n_dom=1, steps=0)
    lines = doc.read_text().splitlines()
    eps = [re.match(r"- entry point `(\w+)` = (\d+)$", x) for x in lines if x.startswith("- entry point ")]
    assert [(m.group(1), int(m.group(2))) for m in eps] == sorted(
        zip(_table.ENTRY_POINTS, range(1, len(_table.ENTRY_POINTS) + 1)))
    for name in ("ComInError", "metadata"):
        assert f"- class `{name}`" in lines
    documented = {m.group(1): m.group(2) for m in
                  (re.match(r"- callable `(\w+)`: (.*)$", x) for x in lines) if m}
    for name in ("var_get", "var_request_add", "metadata_set", "metadata_get", "var_descr_list",
                 "callback_get_ep_name", "current_get_plugin_info", "current_get_datetime",
                 "current_get_domain_id", "descrdata_get_domain", "descrdata_get_global",
                 "descrdata_get_simulation_interval", "descrdata_get_timesteplength",
                 "descrdata_get_cell_indices", "descrdata_index_lookup_glb2loc_cell",
                 "setup_get_version", "parallel_get_host_mpi_comm", "parallel_get_plugin_mpi_comm",
                 "parallel_get_host_mpi_rank", "finish", "print_debug", "print_info", "print_warning"):
        assert documented.get(name) not in (None, "None"), name
    for expected in ("- value `plugin_info.args` (list)", "- value `plugin_info.options` (str)",
                     "- value `global.n_dom` (int)", "- value `global.lrestartrun` (bool)",
                     "- array `global.vct_a(:)` (float64)", "- value `simulation_interval.run_stop` (str)",
                     "- value `domain.grid_filename` (str)", "- array `domain.grid_uuid(:)` (int8)",
                     "- array `domain.number_of_grid_used(:)` (int32)",
                     "- array `domain.cells.clon(:,:)` (float64)", "- array `domain.cells.hhl(:,:,:)` (float64)",
                     "- array `domain.cells.vertex_idx(:,:,:)` (int32)", "- value `domain.cells.ncells` (int)",
                     "- array `domain.edges.elon(:,:)` (float64)", "- array `domain.verts.vlat(:,:)` (float64)"):
        assert expected in lines, expected


def test_entry_point_objects():
    calls = []

    def plugin():
        for i, name in enumerate(_table.ENTRY_POINTS, start=1):
            ep = getattr(comin, name)
            assert ep.__class__ is comin._EntryPoint
            assert ep.ep == i and operator.index(ep) == i
            assert comin.callback_get_ep_name(ep) == name

        def at_start():
            calls.append("decorator")

        def at_end():
            calls.append("register_callback")

        # both registration forms return the function unchanged
        assert comin.EP_ATM_TIMELOOP_START(at_start) is at_start
        assert comin.register_callback(comin.EP_ATM_TIMELOOP_END)(at_end) is at_end

        @comin.EP_SECONDARY_CONSTRUCTOR
        def secondary():
            # entry point objects in var_get's context list
            h = comin.var_get([comin.EP_ATM_TIMELOOP_START, comin.EP_ATM_TIMELOOP_END], ("temp", 1),
                              comin.COMIN_FLAG_READ)
            calls.append(h.descriptor)

    emulate([plugin], n_dom=1, steps=2)
    assert calls == [("temp", 1), "decorator", "register_callback", "decorator", "register_callback"]


# -- halo synchronisation and MPI -----------------------------------------------------------

def test_halo_sync_around_callbacks(capsys):
    emu = Emulator([script("halo_roundtrip.py")], emulator_config(n_dom=2, steps=2, ncells=30, nproma=8))
    synced = []
    emu._sync_halo = lambda handle, mode: synced.append((handle.descriptor, mode))
    emu.run()
    # 2 dims x 3 datatypes x 2 domains x 2 modes = 24 fields, checked each step
    assert logged(capsys.readouterr().err) == [" INFO(halo_roundtrip): halo checks passed: 48"]
    # each field is exchanged once per step: after the write or before the read
    assert len(synced) == 48 and len(set(synced)) == 24
    for (name, _), mode in synced:
        assert mode == (comin.COMIN_ZAXIS_2D if "_2d_" in name else comin.COMIN_ZAXIS_3D)


def test_mpi_handles_with_plugin_comm(capsys):
    emulate([PluginDescription.python(script("mpi_handles.py"), comm="idiom_comm")], n_dom=1, steps=0)
    err = capsys.readouterr().err.splitlines()
    assert "primary: host 0/1 plugin 0/1" in err
    assert "secondary: host 0/1 plugin 0/1" in err

"""The icon4py host in icon4py's real dynamical core (marker ``icon4py``).

Runs in the icon4py virtual environment only: ``bash tools/test_icon4py.sh``
(which installs it with ``tools/install_icon4py.sh``); the main suite
deselects the marker.  Every run is Jablonowski–Williamson on R2B2 with 35
levels, the configuration the install compiles; a run takes ~1 minute once
gt4py's programs are cached (the first one compiles them, ~20 minutes).

* a run with a plugin that only reads: entry points in ICON's order with
  ICON's domains and dates, handles that are views of the buffer icon4py
  uses next at every entry point, descriptive data equal to icon4py's grid,
  total air mass conserved, and a final state equal bit for bit to icon4py's
  own driver without comin;
* a run with a plugin that writes: a written prognostic field is what
  icon4py's next step reads, a requested tracer is advected by icon4py and
  keeps its mass, a requested 2-D variable is an icon4py field;
* ``comin run --host icon4py`` with the project's example plugins (the run the docs
  show), and a failing plugin's exit status.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import comin

pytestmark = [pytest.mark.icon4py, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
STEPS = 3


def experiment(**kw):
    from comin.hosts.icon4py import Experiment
    return Experiment(steps=kw.pop("steps", STEPS), **kw)


def ep_name(ep) -> str:
    return comin.callback_get_ep_name(ep).removeprefix("EP_")


def current_domain() -> int:
    """The current domain, -1 outside a domain loop (where ComIn's getter raises)."""
    try:
        return comin.current_get_domain_id()
    except RuntimeError:
        return -1


def all_eps():
    return sorted((int(getattr(comin, n)), n) for n in dir(comin) if n.startswith("EP_"))


# -- a run whose plugin only reads ---------------------------------------------------------

class Reader:
    """A plugin (a callable: its primary constructor) that only reads, at every entry point:
    records the sequence, the buffers its handles resolve to, the air mass, descrdata."""

    VARS = ("rho", "theta_v", "exner", "w", "vn", "qv")

    def __init__(self):
        self.model = None
        self.calls = []            # (ep name, domain, datetime)
        self.buffers = []          # (ep name, {var: "current"|"next"|None})
        self.mass = []             # total air mass at each TIMELOOP_END
        self.descr = {}
        self.shapes = {}

    def __call__(self):
        glob = comin.descrdata_get_global()
        dom = comin.descrdata_get_domain(1)
        cells, edges, verts = dom.cells, dom.edges, dom.verts
        self.descr = dict(
            nproma=glob.nproma, n_dom=glob.n_dom, nblks_c=cells.nblks, ncells=cells.ncells,
            nedges=edges.nedges, nverts=verts.nverts, nlev=dom.nlev,
            clon=np.asarray(cells.clon).copy(), clat=np.asarray(cells.clat).copy(),
            area=np.asarray(cells.area).copy(), hhl=np.asarray(cells.hhl).copy(),
            vertex_idx=np.asarray(cells.vertex_idx).copy(), vertex_blk=np.asarray(cells.vertex_blk).copy(),
            neighbor_idx=np.asarray(cells.neighbor_idx).copy(),
            edge_cell_idx=np.asarray(edges.cell_idx).copy(),
            refin_ctrl=np.asarray(cells.refin_ctrl).copy(),
            start_index=np.asarray(cells.start_index).copy(),
            end_index=np.asarray(cells.end_index).copy(),
            start_block=np.asarray(cells.start_block).copy(),
            end_block=np.asarray(cells.end_block).copy(),
            vct_a=np.asarray(glob.vct_a).copy(), dt=comin.descrdata_get_timesteplength(1),
            vlon=np.asarray(verts.vlon).copy(), elat=np.asarray(edges.elat).copy())
        for _value, name in all_eps():
            if name in ("EP_FINISH",):
                continue
            comin.callback_register(getattr(comin, name), self.callback)

    def callback(self):
        ep = comin.current_get_ep()
        name = ep_name(ep)
        self.calls.append((name, current_domain(), comin.current_get_datetime()))
        if name == "SECONDARY_CONSTRUCTOR":
            every = [getattr(comin, n) for _v, n in all_eps()
                     if n not in ("EP_SECONDARY_CONSTRUCTOR", "EP_FINISH")]
            self.handles = {v: comin.var_get(every, (v, 1), comin.COMIN_FLAG_READ) for v in self.VARS}
            self.shapes = {v: h.shape for v, h in self.handles.items()}
            keys = ("zaxis_id", "hgrid_id", "units", "standard_name", "tracer", "restart",
                    "multi_timelevel", "tracer_hadv", "tracer_vadv")
            self.metadata = {v: {k: comin.metadata_get((v, 1), k) for k in keys}
                             for v in ("rho", "w", "vn", "qv", "temp", "pres_sfc")}
            return
        if name == "DESTRUCTOR":
            return
        ds = self.model.states
        seen = {}
        for var, h in self.handles.items():
            a = np.asarray(h)
            pair = ds.tracers if var == "qv" else ds.prognostics
            which = None
            for level in ("current", "next"):
                buf = getattr(getattr(pair, level), var).ndarray
                if a.__array_interface__["data"][0] == buf.__array_interface__["data"][0]:
                    assert np.shares_memory(a, buf)
                    which = level
            seen[var] = which
        self.buffers.append((name, seen))
        if name == "ATM_TIMELOOP_END":
            rho = self.handles["rho"].to_3d
            hhl = self.descr["hhl"]
            dz = hhl[:, :-1, :] - hhl[:, 1:, :]
            self.mass.append(float(np.sum(rho * dz * self.descr["area"][:, None, :])))


@pytest.fixture(scope="module")
def reading():
    from comin.hosts.icon4py import Icon4pyHost
    reader = Reader()
    model = Icon4pyHost([reader], experiment())
    reader.model = model
    model.run()
    return reader, model


def expected_sequence(steps: int, start: str, dt: float):
    import datetime as dt_
    t0 = dt_.datetime.fromisoformat(start)
    at = lambda n: (t0 + dt_.timedelta(seconds=dt * n)).isoformat()   # noqa: E731
    seq = [("SECONDARY_CONSTRUCTOR", -1, at(0)), ("ATM_INIT_FINALIZE", -1, at(0)),
           ("ATM_WRITE_OUTPUT_BEFORE", -1, at(0)), ("ATM_WRITE_OUTPUT_AFTER", -1, at(0)),
           ("ATM_TIMELOOP_BEFORE", -1, at(0))]
    for n in range(1, steps + 1):
        seq.append(("ATM_TIMELOOP_START", -1, at(n - 1)))      # ICON: before the date advances
        seq.append(("ATM_INTEGRATE_BEFORE", -1, at(n)))
        for ep in ("INTEGRATE_START", "ADVECTION_BEFORE", "ADVECTION_AFTER", "PHYSICS_BEFORE",
                   "PHYSICS_AFTER", "NUDGING_BEFORE", "NUDGING_AFTER", "INTEGRATE_END"):
            seq.append(("ATM_" + ep, 1, at(n)))
        for ep in ("INTEGRATE_AFTER", "WRITE_OUTPUT_BEFORE", "WRITE_OUTPUT_AFTER", "TIMELOOP_END"):
            seq.append(("ATM_" + ep, -1, at(n)))
    seq += [("ATM_TIMELOOP_AFTER", -1, at(steps)), ("DESTRUCTOR", -1, at(steps))]
    return seq


def test_entry_points_in_icons_order(reading):
    reader, model = reading
    exp = model.experiment
    assert reader.calls == expected_sequence(exp.steps, exp.start, exp.dt)
    assert model.calls == len(reader.calls)


def test_every_entry_point_is_honoured_or_explained():
    from comin.hosts.icon4py.host import HONOURED, NOT_HONOURED
    names = {n.removeprefix("EP_") for _v, n in all_eps()}
    assert set(HONOURED) | set(NOT_HONOURED) == names
    assert not set(HONOURED) & set(NOT_HONOURED)
    assert all(reason for reason in NOT_HONOURED.values())


def test_handles_resolve_to_the_buffer_icon4py_uses(reading):
    """Zero copy at every entry point, and the right time level: ICON re-points its variables
    to nnew after the dynamics and after the advection (icon_update_expose_variables)."""
    reader, _model = reading
    dyn = ("rho", "theta_v", "exner", "w", "vn")
    for name, seen in reader.buffers:
        assert all(seen[v] is not None for v in seen), (name, seen)   # a view, never a copy
        if name == "ATM_ADVECTION_BEFORE":
            # the dynamics' result (icon4py's 'next' until the swap at the end of the step)
            assert {seen[v] for v in dyn} == {"next"} and seen["qv"] == "current", seen
        elif name == "ATM_ADVECTION_AFTER":
            assert {seen[v] for v in reader.VARS} == {"next"}, seen
        else:
            assert {seen[v] for v in reader.VARS} == {"current"}, (name, seen)
    # ICON's layout: (nproma, nlev[+1], nblks) with nproma = ncells, nblks = 1 (5-D padded)
    d = reader.descr
    assert reader.shapes["rho"] == (d["ncells"], d["nlev"], 1, 1, 1)
    assert reader.shapes["w"] == (d["ncells"], d["nlev"] + 1, 1, 1, 1)
    assert reader.shapes["vn"] == (d["nedges"], d["nlev"], 1, 1, 1)


def test_descriptive_data_are_icon4pys_grid(reading):
    from icon4py.model.common import dimension as dims
    from icon4py.model.common.grid import horizontal as h_grid
    reader, model = reading
    d, grid, exp = reader.descr, model.driver.grid, model.experiment
    assert (d["nproma"], d["n_dom"], d["nblks_c"]) == (grid.num_cells, 1, 1)
    assert (d["ncells"], d["nedges"], d["nverts"], d["nlev"]) == (
        grid.num_cells, grid.num_edges, grid.num_vertices, exp.nlev)
    assert d["dt"] == exp.dt
    c2v = grid.get_connectivity("C2V").ndarray
    assert np.array_equal(d["vertex_idx"][:, 0, :], c2v + 1)
    assert np.all(d["vertex_blk"] == 1)
    assert np.array_equal(d["neighbor_idx"][:, 0, :], grid.get_connectivity("C2E2C").ndarray + 1)
    assert np.array_equal(d["edge_cell_idx"][:, 0, :], grid.get_connectivity("E2C").ndarray + 1)
    assert np.array_equal(d["refin_ctrl"][:, 0], grid.refinement_control[dims.CellDim].ndarray)
    # ICON's start/end index per refin_ctrl level (min_rlcell = -8 is entry 0): icon4py's zones
    # index the same arrays
    nproma = d["nproma"]
    start = (d["start_block"] - 1) * nproma + d["start_index"]       # 1-based cell numbers
    end = (d["end_block"] - 1) * nproma + d["end_index"]
    assert len(start) == 14                                           # refin levels -8..5
    for zone, slot in ((h_grid.Zone.INTERIOR, 8), (h_grid.Zone.LOCAL, 4), (h_grid.Zone.HALO, 3),
                       (h_grid.Zone.END, 0), (h_grid.Zone.LATERAL_BOUNDARY, 9)):
        domain = h_grid.domain(dims.CellDim)(zone)
        assert start[slot] - 1 == grid.start_index(domain), zone
        assert end[slot] == grid.end_index(domain), zone
    assert (start[8], end[8]) == (1, grid.num_cells)                  # a global grid: all interior
    # coordinates and area: the cell centres lie on the unit sphere inside their corners
    assert np.all(np.abs(d["clat"]) <= np.pi / 2) and np.all(np.abs(d["clon"]) <= np.pi)
    area = d["area"].sum()
    assert area == pytest.approx(4 * np.pi * 6371229.0 ** 2, rel=1e-9)
    # vertical coordinate: hhl (z_ifc) falls from the model top to the JW topography
    hhl = d["hhl"]
    assert hhl.shape == (grid.num_cells, exp.nlev + 1, 1)
    assert np.all(np.diff(hhl[:, :, 0], axis=1) < 0)
    assert len(d["vct_a"]) == exp.nlev + 1 and d["vct_a"][0] == pytest.approx(hhl[:, 0].max())


def test_air_mass_is_conserved_with_a_plugin_that_reads(reading):
    reader, _model = reading
    assert len(reader.mass) == STEPS
    m = np.array(reader.mass)
    assert np.all(np.abs(m / m[0] - 1.0) < 1e-12), m / m[0] - 1.0


def test_a_reading_plugin_changes_nothing(reading):
    """icon4py's own driver (no comin) ends in the same state, bit for bit."""
    from comin.hosts.icon4py.host import plain_driver
    _reader, model = reading
    drv, plain = plain_driver(model.experiment)
    drv.time_integration(plain)
    ours = model.states
    for var in ("rho", "theta_v", "exner", "w", "vn"):
        assert np.array_equal(getattr(ours.prognostics.current, var).ndarray,
                              getattr(plain.prognostics.current, var).ndarray), var
    assert np.array_equal(ours.tracers.current.qv.ndarray, plain.tracers.current.qv.ndarray)


def test_metadata_are_icons(reading):
    reader, _model = reading
    m = reader.metadata
    assert m["rho"]["zaxis_id"] == comin.COMIN_ZAXIS_3D and m["rho"]["units"] == "kg m-3"
    assert m["rho"]["standard_name"] == "air_density" and m["rho"]["multi_timelevel"] is True
    assert m["w"]["zaxis_id"] == comin.COMIN_ZAXIS_3D_HALF
    assert m["vn"]["hgrid_id"] == comin.COMIN_HGRID_UNSTRUCTURED_EDGE
    assert m["qv"]["tracer"] is True and m["qv"]["standard_name"] == "specific_humidity"
    assert (m["qv"]["tracer_hadv"], m["qv"]["tracer_vadv"]) == (2, 3)     # MIURA, PPM
    assert m["temp"]["units"] == "K" and m["temp"]["multi_timelevel"] is False
    assert m["pres_sfc"]["zaxis_id"] == comin.COMIN_ZAXIS_2D


# -- a run whose plugin writes ---------------------------------------------------------------

class Writer:
    """Writes rho in one column after the dynamics of step 1, releases a tracer of its own at
    the start of step 1 and fills a 2-D variable of its own; checks what icon4py makes of it."""

    CELL = 100          # where the tracer is released
    RHO_CELL = 900      # where rho is written (far from the tracer: its mass stays exact)

    def __init__(self):
        self.model = None
        self.step = 0
        self.written_rho = None
        self.airmass_seen = None
        self.released = 0.0
        self.spread = []
        self.rho_at_start = []

    def __call__(self):
        comin.var_request_add(("probe", -1), False)        # a tracer: on every domain
        comin.metadata_set(("probe", -1), tracer=True, units="kg kg-1")
        comin.var_request_add(("qc", -1), False)           # one icon4py knows but does not carry
        comin.metadata_set(("qc", -1), tracer=True)
        comin.var_request_add(("probe_2d", 1), False)
        comin.metadata_set(("probe_2d", 1), zaxis_id=comin.COMIN_ZAXIS_2D, units="1")
        comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, self.setup)
        comin.callback_register(comin.EP_ATM_INTEGRATE_START, self.start)
        comin.callback_register(comin.EP_ATM_ADVECTION_BEFORE, self.after_dynamics)
        comin.callback_register(comin.EP_ATM_ADVECTION_AFTER, self.after_advection)

    def setup(self):
        eps = [comin.EP_ATM_INTEGRATE_START, comin.EP_ATM_ADVECTION_BEFORE,
               comin.EP_ATM_ADVECTION_AFTER]
        rw = comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE
        self.rho = comin.var_get(eps, ("rho", 1), rw)
        self.q = comin.var_get(eps, ("probe", 1), rw)
        self.flat = comin.var_get(eps, ("probe_2d", 1), comin.COMIN_FLAG_WRITE)
        cells = comin.descrdata_get_domain(1).cells
        hhl = np.asarray(cells.hhl)
        self.volume = (hhl[:, :-1, :] - hhl[:, 1:, :]) * np.asarray(cells.area)[:, None, :]
        self.metadata = {k: comin.metadata_get(("probe", 1), k)
                         for k in ("tracer", "tracer_hadv", "tracer_vadv", "units")}

    def start(self):
        self.step += 1
        rho = self.rho.to_3d
        self.rho_at_start.append(rho[self.RHO_CELL, :, 0].copy())
        if self.step == 1:
            q = self.q.to_3d
            q[self.CELL, -5, 0] = 1.0e-3              # kg/kg in one grid box near the ground
            self.released = 1.0e-3 * rho[self.CELL, -5, 0] * self.volume[self.CELL, -5, 0]
            self.flat.to_3d[:, 0, 0] = np.arange(self.flat.to_3d.shape[0])

    def after_dynamics(self):
        rho = self.rho.to_3d
        if self.step == 1:
            rho[self.RHO_CELL, :, 0] *= 1.0 + 1.0e-6
            self.written_rho = rho[self.RHO_CELL, :, 0].copy()
        elif self.step == 2:
            # icon4py computed this step's airmass from the rho it started from
            ds = self.model.states
            self.airmass_seen = ds.tracer_advection_diagnostic.airmass_now.ndarray[self.RHO_CELL].copy()

    def after_advection(self):
        q = self.q.to_3d
        self.spread.append(int(np.count_nonzero(q > 0.0)))
        self.negative = bool(np.any(q < 0.0))


@pytest.fixture(scope="module")
def writing():
    from comin.hosts.icon4py import Icon4pyHost
    writer = Writer()
    model = Icon4pyHost([writer], experiment())
    writer.model = model
    model.run()
    return writer, model


def test_a_written_field_is_what_icon4pys_next_step_uses(writing):
    from icon4py.model.common.metrics import metrics_attributes as mattr
    writer, model = writing
    assert writer.written_rho is not None
    # the state step 2 starts from is what the plugin wrote after the dynamics of step 1
    assert np.array_equal(writer.rho_at_start[1], writer.written_rho)
    # ... and icon4py's step 2 read it: its airmass is rho * dz of the written values
    ddqz = model.driver.static_field_factories.metrics.get(mattr.DDQZ_Z_FULL).ndarray[writer.RHO_CELL]
    assert np.allclose(writer.airmass_seen, writer.written_rho * ddqz, rtol=1e-15, atol=0)


def test_a_requested_tracer_is_advected_by_icon4py(writing):
    writer, model = writing
    assert writer.metadata["tracer"] is True and writer.metadata["tracer_hadv"] == 2
    active = {t.name for t in model.states.tracers.current.active_fields()}
    assert {"qv", "qc", "probe"} <= active                       # qc in icon4py's own slot
    assert model.states.tracers.current.qc is not None and "qc" in model.exposed
    assert writer.spread[0] > 1 and writer.spread[-1] >= writer.spread[0]   # it spreads
    assert not writer.negative
    # icon4py's transport keeps the tracer's mass (rho * q * volume summed)
    ds = model.states
    q = ds.tracers.current.probe.ndarray
    rho = ds.prognostics.current.rho.ndarray
    total = float(np.sum(q * rho * writer.volume[:, :, 0]))
    assert total == pytest.approx(writer.released, rel=1e-10)


def test_a_requested_variable_is_an_icon4py_field(writing):
    writer, model = writing
    field, meta = model.plugin_fields["probe_2d"]
    assert meta["zaxis_id"] == comin.COMIN_ZAXIS_2D
    assert np.array_equal(field.ndarray, np.arange(field.ndarray.shape[0]))
    assert field.ndarray.shape == (model.driver.grid.num_cells,)


# -- the command line with the project's examples ---------------------------------------------

def test_the_examples_run_in_icon4py_and_the_docs_example_is_current():
    """``comin run --host icon4py`` with the project's three example plugins, unchanged: the
    run docs/host/icon4py.rst shows (tools/icon4py_docs.py), compared with the committed text."""
    import runpy
    docs = runpy.run_path(str(ROOT / "tools" / "icon4py_docs.py"))
    lines, picture, work = docs["run"]()
    try:
        text = "\n".join(lines)
        assert "INFO(point_source): domain 1: source 11.000E 48.000N in cell" in text
        assert "tqw_plugin (qv) mean" in text
        assert "INFO(plot_field): 7 pictures of temp in maps" in text
        assert "6 steps of 300 s on R2B2 with 35 levels in icon4py 0.4.1 (gtfn_cpu), 3 plugins" in text
        assert Path(picture).stat().st_size > 10_000
        committed = Path(docs["TEXT"]).read_text().splitlines()[1:]
        assert docs["masked"](committed) == docs["masked"](lines), (
            "docs/host/icon4py_run.txt is out of date: run tools/icon4py_docs.py --write\n" + text)
    finally:
        import shutil
        shutil.rmtree(work, ignore_errors=True)


def test_a_failing_plugin_ends_the_run_with_status_1(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import comin\n\n@comin.EP_ATM_TIMELOOP_START\ndef fail():\n"
                   "    comin.finish('bad', 'this plugin gives up')\n")
    p = subprocess.run([sys.executable, "-m", "comin", "run", "--host", "icon4py", "--steps", "1",
                        str(bad)], capture_output=True, text=True, cwd=tmp_path, timeout=3000)
    assert p.returncode == 1, p.stderr[-3000:]
    assert "this plugin gives up" in p.stdout + p.stderr
    assert "the run was finished with an error by bad" in p.stderr
    assert "Traceback" not in p.stderr

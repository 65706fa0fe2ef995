"""The icon4py host: ComIn plugins inside icon4py's dynamical core.

:class:`Icon4pyHost` runs icon4py 0.4.1's own driver (Jablonowski–Williamson,
:mod:`comin.hosts.icon4py.experiment`) with a :class:`comin.host.Host`:

1. icon4py builds its grid, geometry, metrics and granules
   (``driver.initialize_driver``, with :class:`~comin.hosts.icon4py.driver.CominDriver`);
2. descriptive data from those objects (:mod:`comin.hosts.icon4py.descrdata`),
   then the plugins' primary constructors;
3. icon4py's states, with every tracer a plugin requested added to its tracer
   state and every other requested variable allocated as an icon4py field;
   icon4py's initial condition;
4. the variables exposed under ICON's names, no copy: each is a view of
   the icon4py field's NumPy buffer in ICON's (nproma, nlev, nblks) layout;
   EP_SECONDARY_CONSTRUCTOR, EP_ATM_INIT_FINALIZE;
5. icon4py's ``time_integration``, whose hooks call the entry points in
   ICON's places (:class:`Timeline`); EP_DESTRUCTOR.

Time levels.  icon4py keeps two prognostic states (and two tracer states)
and swaps them by reference every dynamics substep; ICON has ``nnow``/
``nnew`` and re-points ComIn's variables at two places of each step
(``icon_update_expose_variables``).  The host does the same with
:meth:`comin.host.Host.set_array`: after the dynamics and diffusion the
prognostic variables point at the new state, after tracer advection the
tracers do; at any entry point a handle gives the buffer icon4py reads or
writes next, and a plugin's write is what icon4py's next step uses.

What icon4py cannot honour is in :data:`NOT_HONOURED` (and the docs).
"""
from __future__ import annotations

import datetime as _dt
import logging
import pathlib
import shutil
import tempfile
import time
from typing import Callable, Dict, Optional, Sequence

import numpy as np

import comin
from comin.host import Host, default_metadata
from comin.hosts.icon4py import environment
from comin.hosts.icon4py.experiment import BACKEND, Experiment

_C = comin

#: entry points the host calls, in ICON's order (per step: TIMELOOP_START .. TIMELOOP_END)
HONOURED = (
    "SECONDARY_CONSTRUCTOR", "ATM_INIT_FINALIZE", "ATM_WRITE_OUTPUT_BEFORE",
    "ATM_WRITE_OUTPUT_AFTER", "ATM_TIMELOOP_BEFORE", "ATM_TIMELOOP_START",
    "ATM_INTEGRATE_BEFORE", "ATM_INTEGRATE_START", "ATM_ADVECTION_BEFORE",
    "ATM_ADVECTION_AFTER", "ATM_PHYSICS_BEFORE", "ATM_PHYSICS_AFTER", "ATM_NUDGING_BEFORE",
    "ATM_NUDGING_AFTER", "ATM_INTEGRATE_END", "ATM_INTEGRATE_AFTER", "ATM_TIMELOOP_END",
    "ATM_TIMELOOP_AFTER", "DESTRUCTOR", "FINISH")

#: entry points this host never calls, and why (ICON would not call them in this
#: experiment either, or icon4py has no such component)
NOT_HONOURED = {
    "ATM_YAC_DEFCOMP_BEFORE": "ICON calls the YAC entry points only in coupled runs; icon4py has no coupler",
    "ATM_YAC_DEFCOMP_AFTER": "as ATM_YAC_DEFCOMP_BEFORE",
    "ATM_YAC_SYNCDEF_BEFORE": "as ATM_YAC_DEFCOMP_BEFORE",
    "ATM_YAC_SYNCDEF_AFTER": "as ATM_YAC_DEFCOMP_BEFORE",
    "ATM_YAC_ENDDEF_BEFORE": "as ATM_YAC_DEFCOMP_BEFORE",
    "ATM_YAC_ENDDEF_AFTER": "as ATM_YAC_DEFCOMP_BEFORE",
    "ATM_CHECKPOINT_BEFORE": "icon4py's driver writes no restart files (it can only restart from "
                             "serialized ICON data)",
    "ATM_CHECKPOINT_AFTER": "as ATM_CHECKPOINT_BEFORE",
    "ATM_SURFACE_BEFORE": "ICON calls the physics-process entry points inside its NWP physics "
                          "(nwp_nh_interface); the Jablonowski-Williamson test runs without "
                          "physics (iforcing = 0) and icon4py 0.4.1 has no surface, turbulence, "
                          "convection, radiation or gravity-wave-drag scheme",
    "ATM_SURFACE_AFTER": "as ATM_SURFACE_BEFORE",
    "ATM_TURBULENCE_BEFORE": "as ATM_SURFACE_BEFORE",
    "ATM_TURBULENCE_AFTER": "as ATM_SURFACE_BEFORE",
    "ATM_MICROPHYSICS_BEFORE": "as ATM_SURFACE_BEFORE (icon4py's muphys microphysics is not part "
                               "of this experiment)",
    "ATM_MICROPHYSICS_AFTER": "as ATM_MICROPHYSICS_BEFORE",
    "ATM_CONVECTION_BEFORE": "as ATM_SURFACE_BEFORE",
    "ATM_CONVECTION_AFTER": "as ATM_SURFACE_BEFORE",
    "ATM_RADIATION_BEFORE": "as ATM_SURFACE_BEFORE",
    "ATM_RADIATION_AFTER": "as ATM_SURFACE_BEFORE",
    "ATM_RADHEAT_BEFORE": "as ATM_SURFACE_BEFORE",
    "ATM_RADHEAT_AFTER": "as ATM_SURFACE_BEFORE",
    "ATM_GWDRAG_BEFORE": "as ATM_SURFACE_BEFORE",
    "ATM_GWDRAG_AFTER": "as ATM_SURFACE_BEFORE",
}

_CELL = _C.COMIN_HGRID_UNSTRUCTURED_CELL
_EDGE = _C.COMIN_HGRID_UNSTRUCTURED_EDGE
_VERT = _C.COMIN_HGRID_UNSTRUCTURED_VERTEX
_3D, _HALF, _2D = _C.COMIN_ZAXIS_3D, _C.COMIN_ZAXIS_3D_HALF, _C.COMIN_ZAXIS_2D

#: ICON name -> (attribute of icon4py's PrognosticState, hgrid_id, zaxis_id)
PROGNOSTIC = {"rho": ("rho", _CELL, _3D), "theta_v": ("theta_v", _CELL, _3D),
              "exner": ("exner", _CELL, _3D), "w": ("w", _CELL, _HALF), "vn": ("vn", _EDGE, _3D)}
#: ICON name -> (attribute of the host's Diagnostics, hgrid_id, zaxis_id)
DIAGNOSTIC = {"temp": ("temperature", _CELL, _3D), "tempv": ("virtual_temperature", _CELL, _3D),
              "pres": ("pressure", _CELL, _3D), "pres_ifc": ("pressure_ifc", _CELL, _HALF),
              "pres_sfc": ("surface_pressure", _CELL, _2D), "u": ("u", _CELL, _3D),
              "v": ("v", _CELL, _3D)}
#: icon4py's tracer names (ICON's) in ICON's order
KNOWN_TRACERS = ("qv", "qc", "qi", "qr", "qs", "qg")


def _cf_metadata() -> Dict[str, dict]:
    """ICON name -> {units, standard_name, long_name} from icon4py's CF attribute tables."""
    from icon4py.model.common.states import data
    out = {}
    for table in (data.PROGNOSTIC_CF_ATTRIBUTES, data.DIAGNOSTIC_CF_ATTRIBUTES,
                  data.COMMON_TRACER_CF_ATTRIBUTES):
        for attrs in table.values():
            out[attrs["icon_var_name"]] = {k: attrs[k] for k in ("units", "standard_name", "long_name")
                                           if k in attrs}
    out.setdefault("pres_ifc", dict(units="Pa", standard_name="air_pressure",
                                    long_name="air pressure at half levels"))
    return out


def icon_view(array: np.ndarray, zaxis: int) -> np.ndarray:
    """icon4py's (n,) / (n, nlev) buffer as ICON's (nproma, nblks) / (nproma, nlev, nblks)
    with nproma = n and nblks = 1: a view (no copy), writes reach icon4py."""
    if zaxis == _2D:
        return array[:, None]
    return array[:, :, None]


class _Exposed:
    """One exposed variable: how to find its current icon4py field, and its views.

    ``views`` caches the ICON-layout view of each buffer the variable has
    pointed at (two for a time-level pair), so re-pointing creates no
    arrays and the Host keeps a bounded list of them alive.
    """

    __slots__ = ("name", "zaxis", "views", "array")

    def __init__(self, name: str, zaxis: int):
        self.name, self.zaxis, self.views, self.array = name, zaxis, {}, None

    def view(self, field) -> np.ndarray:
        nd = field.ndarray
        hit = self.views.get(id(nd))
        if hit is None or hit[0] is not nd:
            hit = self.views[id(nd)] = (nd, icon_view(nd, self.zaxis))
        return hit[1]


class Diagnostics:
    """ICON's ``diag_for_output_dyn`` for this experiment: temperature, virtual temperature,
    pressure (full, half levels, surface) and the cell winds, from the current state.

    ICON computes them after every step when it runs without physics; this
    host does the same, with icon4py's own programs, but only when a plugin
    asked for one of them (ICON prunes unused variables too).
    """

    def __init__(self, grid, backend, allocator, diagnostic_state, static_fields):
        from icon4py.model.common import dimension as dims
        from icon4py.model.common.interpolation import interpolation_attributes as iattr
        from icon4py.model.common.metrics import metrics_attributes as mattr
        from icon4py.model.common.utils import data_allocation as data_alloc
        self.grid, self.backend = grid, backend
        d = diagnostic_state
        self.temperature, self.virtual_temperature = d.temperature, d.virtual_temperature
        self.pressure, self.pressure_ifc, self.u, self.v = d.pressure, d.pressure_ifc, d.u, d.v
        self.surface_pressure = data_alloc.zero_field(grid, dims.CellDim, allocator=allocator)
        self._zero = data_alloc.zero_field(grid, dims.CellDim, dims.KDim, allocator=allocator)
        self._ddqz = static_fields.metrics.get(mattr.DDQZ_Z_FULL)
        self._rbf1 = static_fields.interpolation.get(iattr.RBF_VEC_COEFF_C1)
        self._rbf2 = static_fields.interpolation.get(iattr.RBF_VEC_COEFF_C2)
        self.enabled = True

    def compute(self, prognostic, tracers) -> None:
        if not self.enabled:
            return
        from icon4py.model.common import dimension as dims
        from icon4py.model.common.diagnostic_calculations import pressure as pressure_diagnostics
        from icon4py.model.common.diagnostic_calculations.stencils import diagnose_temperature
        from icon4py.model.common.grid import horizontal as h_grid
        from icon4py.model.common.interpolation.stencils import (
            edge_2_cell_vector_rbf_interpolation as rbf)
        grid, nlev = self.grid, self.grid.num_levels
        cells = h_grid.domain(dims.CellDim)
        end = grid.end_index(cells(h_grid.Zone.END))
        q = {name: getattr(tracers, name, None) for name in KNOWN_TRACERS}
        diagnose_temperature.diagnose_virtual_temperature_and_temperature.with_backend(self.backend)(
            **{name: (f if f is not None else self._zero) for name, f in q.items()},
            theta_v=prognostic.theta_v, exner=prognostic.exner,
            virtual_temperature=self.virtual_temperature, temperature=self.temperature,
            horizontal_start=0, horizontal_end=end, vertical_start=0, vertical_end=nlev,
            offset_provider={})
        rbf.edge_2_cell_vector_rbf_interpolation.with_backend(self.backend)(
            p_e_in=prognostic.vn, ptr_coeff_1=self._rbf1, ptr_coeff_2=self._rbf2,
            p_u_out=self.u, p_v_out=self.v,
            horizontal_start=grid.end_index(cells(h_grid.Zone.LATERAL_BOUNDARY_LEVEL_2)),
            horizontal_end=end, vertical_start=0, vertical_end=nlev,
            offset_provider=grid.connectivities)
        pressure_diagnostics.diagnose_pressure_surface_to_top(
            grid=grid, backend=self.backend, exner=prognostic.exner,
            virtual_temperature=self.virtual_temperature, ddqz_z_full=self._ddqz,
            surface_pressure=self.surface_pressure, pressure=self.pressure,
            pressure_on_cells_half_levels=self.pressure_ifc)


class Timeline:
    """The entry points of the time loop, called from the driver's hooks in ICON's order,
    and the re-pointing of the exposed variables between icon4py's time levels."""

    def __init__(self, owner: "Icon4pyHost"):
        self.owner = owner
        self.step = 0
        self._reset_step()

    def _reset_step(self) -> None:
        self.dyn_done = self.adv_before = self.adv_after = self.phys_done = False
        self.tracers_left = 0

    def _call(self, name: str, jg: int = -1) -> None:
        self.owner.call(name, jg)

    # -- around the time loop ------------------------------------------------------------
    def output_before(self) -> None:
        self._call("ATM_WRITE_OUTPUT_BEFORE")

    def output_after(self) -> None:
        self._call("ATM_WRITE_OUTPUT_AFTER")
        if self.step > 0:                       # icon4py wrote the output of this step
            self._end_of_step()

    def before_time_loop(self, has_output: bool) -> None:
        if not has_output:                      # ICON calls them whether or not it writes
            self.output_before()
            self._call("ATM_WRITE_OUTPUT_AFTER")
        self._call("ATM_TIMELOOP_BEFORE")

    def timeloop_start(self) -> None:
        self.step += 1
        self._reset_step()
        self._call("ATM_TIMELOOP_START")

    def integrate_before(self) -> None:
        self.owner.set_datetime()
        self._call("ATM_INTEGRATE_BEFORE")

    # -- one step of domain 1 --------------------------------------------------------------
    def integrate_start(self) -> None:
        owner = self.owner
        owner.point("prognostic", "current")
        owner.point("tracers", "current")
        self.tracers_left = owner.n_tracers
        self._call("ATM_INTEGRATE_START", 1)

    def dynamics_done(self) -> None:
        """The dynamics (and diffusion) are done: their result is the current state."""
        if self.dyn_done:
            return
        self.dyn_done = True
        self.owner.point("prognostic", "next")
        self.adv_before = True
        self._call("ATM_ADVECTION_BEFORE", 1)

    def tracer_before(self) -> None:
        self.dynamics_done()

    def tracer_after(self) -> None:
        self.tracers_left -= 1
        if self.tracers_left == 0:
            self._advection_done()

    def _advection_done(self) -> None:
        if self.adv_after:
            return
        self.dynamics_done()
        self.adv_after = True
        self.owner.point("tracers", "next")
        self._call("ATM_ADVECTION_AFTER", 1)

    def physics_before(self) -> None:
        self._advection_done()
        self._call("ATM_PHYSICS_BEFORE", 1)

    def physics_after(self) -> None:
        self.phys_done = True
        self._call("ATM_PHYSICS_AFTER", 1)

    def integrate_end(self) -> None:
        """After icon4py's step (and its swap of the time levels): whatever ICON calls that the
        step did not reach, in ICON's order, then INTEGRATE_END/AFTER and the diagnostics."""
        owner = self.owner
        # icon4py swapped the time levels: 'current' is the buffer the handles point at
        if not self.dyn_done:
            self.dyn_done = True
            owner.point("prognostic", "current")
            self._call("ATM_ADVECTION_BEFORE", 1)
        if not self.adv_after:
            self.adv_after = True
            owner.point("tracers", "current")
            self._call("ATM_ADVECTION_AFTER", 1)
        owner.point("prognostic", "current")
        owner.point("tracers", "current")
        if not self.phys_done:
            self._call("ATM_PHYSICS_BEFORE", 1)
            self._call("ATM_PHYSICS_AFTER", 1)
        self._call("ATM_NUDGING_BEFORE", 1)        # nothing to nudge on a global grid
        self._call("ATM_NUDGING_AFTER", 1)
        self._call("ATM_INTEGRATE_END", 1)
        self._call("ATM_INTEGRATE_AFTER")
        owner.diagnose()

    def step_done(self, has_output: bool) -> None:
        if not has_output:
            self.output_before()
            self._call("ATM_WRITE_OUTPUT_AFTER")
            self._end_of_step()

    def _end_of_step(self) -> None:
        self._call("ATM_TIMELOOP_END")
        if self.owner.progress is not None:
            self.owner.progress(self.step)

    def after_time_loop(self) -> None:
        self._call("ATM_TIMELOOP_AFTER")


class Icon4pyHost:
    """ComIn plugins in icon4py's Jablonowski–Williamson run: ``Icon4pyHost(plugins, Experiment()).run()``.

    ``plugins`` as :class:`comin.host.Host` takes them; ``host_kwargs`` go
    to the Host (``profile=True`` for the summary table).  After
    :meth:`run`: ``states`` (icon4py's DriverStates), ``driver``,
    ``exposed`` (ICON name -> its current ICON-layout array), ``calls``.
    """

    def __init__(self, plugins: Sequence, experiment: Optional[Experiment] = None,
                 host_kwargs: Optional[dict] = None):
        self.experiment = exp = experiment or Experiment()
        exp.check()
        self.nsteps = exp.n_steps()
        self.calls = 0
        self.progress: Optional[Callable[[int], None]] = None
        self.host = Host(plugins, verbosity=exp.verbosity, **dict(host_kwargs or {}))
        self.timeline = Timeline(self)
        self.driver = None
        self.states = None
        self.plugin_fields: Dict[str, object] = {}
        self.tendencies: Dict[str, object] = {}
        self.exposed: Dict[str, _Exposed] = {}
        self.groups: Dict[str, Dict[str, tuple]] = {"prognostic": {}, "tracers": {}}
        self.n_tracers = 0
        self.diagnostics: Optional[Diagnostics] = None
        self.timings: Dict[str, float] = {}
        self._workdir: Optional[str] = None

    # -- entry points and time levels ----------------------------------------------------
    def call(self, name: str, jg: int = -1) -> None:
        self.calls += 1
        self.host.call_ep(getattr(_C, "EP_" + name), jg)

    def point(self, group: str, which: str) -> None:
        """Point the variables of ``group`` ("prognostic" or "tracers") at icon4py's
        ``which`` ("current" or "next") time level (ICON's icon_update_expose_variables)."""
        ds = self.states
        pair = ds.prognostics if group == "prognostic" else ds.tracers
        state = pair.current if which == "current" else pair.next
        set_array = self.host.set_array
        for name, (attr, ex) in self.groups[group].items():
            view = ex.view(getattr(state, attr))
            if view is not ex.array:
                ex.array = view
                set_array(name, 1, view)

    def set_datetime(self) -> None:
        now = self.driver.model_time_variables.simulation_current_datetime
        self.host.set_datetime(now.replace(tzinfo=None).isoformat())

    def diagnose(self) -> None:
        ds = self.states
        self.diagnostics.compute(ds.prognostics.current, ds.tracers.current)

    # -- set-up --------------------------------------------------------------------------------
    def _icon4py(self):
        """icon4py's grid, driver (with the hooks) and the objects the descriptive data need."""
        from icon4py.model.common import model_backends, model_options
        from icon4py.model.common.decomposition import definitions as decomposition
        from icon4py.model.driver import driver as i4p_driver
        from icon4py.model.driver import driver_utils

        from comin.hosts.icon4py import driver as hooks
        hooks.check_icon4py()
        exp = self.experiment
        self._workdir = tempfile.mkdtemp(prefix="comin-icon4py-")
        config = exp.icon4py_config(output_path=pathlib.Path(self._workdir) / "output")
        backend = model_options.customize_backend(
            program=None, backend=driver_utils.get_backend_from_name(BACKEND))
        allocator = model_backends.get_allocator(backend)
        process_props = decomposition.get_process_properties(
            decomposition.get_runtype(with_mpi=False))
        grid_file = exp.grid_file()
        grid_manager = driver_utils.create_grid_manager(
            grid_file_path=grid_file, vertical_grid_config=config.vertical_grid,
            allocator=allocator, process_props=process_props)
        with hooks.driver_class(hooks.CominDriver):
            drv = i4p_driver.initialize_driver(config=config, grid_manager=grid_manager,
                                               process_props=process_props, backend=backend)
        drv.timeline = self.timeline
        vertical_grid = driver_utils.create_vertical_grid(
            vertical_grid_config=config.vertical_grid, allocator=allocator)
        return config, backend, allocator, grid_file, grid_manager, drv, vertical_grid

    def _descriptive_data(self, grid_file, grid_manager, drv, vertical_grid) -> None:
        from importlib.metadata import version

        from comin.hosts.icon4py import descrdata
        exp, host, grid = self.experiment, self.host, drv.grid
        revision = (f"icon4py {version('icon4py-driver')}, gt4py {version('gt4py')}, "
                    f"backend {BACKEND}")
        host.set_global(**descrdata.global_data(
            ncells=grid.num_cells, vct_a=descrdata.host_array(vertical_grid.vct_a),
            revision=revision))
        factories = drv.static_field_factories
        host.set_domain(1, **descrdata.domain_data(
            grid=grid, grid_manager=grid_manager, geometry=factories.geometry,
            metrics=factories.metrics, grid_file=grid_file, nlev=exp.nlev,
            dom_end=exp.dt * self.nsteps))
        host.set_timesteplength(1, float(exp.dt))
        start = exp.start_time()
        stop = start + _dt.timedelta(seconds=exp.dt * self.nsteps)
        host.set_simulation_interval(start.isoformat(), stop.isoformat(), start.isoformat(),
                                     stop.isoformat())
        host.set_datetime(start.isoformat())

    def _requested(self, config):
        """The plugins' requests for domain 1: (tracers icon4py does not carry yet, other
        variables the host does not have)."""
        active = set(config.tracer_config.active_names)
        new_tracers, others = [], []
        for r in self.host.requests:
            if r.domain_id != 1:
                continue
            if r.tracer:
                if r.name not in active and r.name not in new_tracers:
                    new_tracers.append(r.name)
            elif r.name not in PROGNOSTIC and r.name not in DIAGNOSTIC and r.name not in active:
                others.append(r)
        return new_tracers, others

    def _allocate(self, grid, allocator, others) -> None:
        """Every other requested variable as an icon4py field (ICON allocates them too)."""
        from icon4py.model.common import dimension as dims
        from icon4py.model.common.utils import data_allocation as data_alloc
        dtypes = {_C.COMIN_VAR_DATATYPE_DOUBLE: np.float64, _C.COMIN_VAR_DATATYPE_FLOAT: np.float32,
                  _C.COMIN_VAR_DATATYPE_INT: np.intc}
        where = {_CELL: dims.CellDim, _EDGE: dims.EdgeDim, _VERT: dims.VertexDim}
        for r in others:
            meta = dict(default_metadata(), **r.metadata)
            label = f"variable ({r.name}, 1) requested by a plugin"
            if meta["hgrid_id"] not in where:
                raise ValueError(f"{label}: unknown hgrid_id {meta['hgrid_id']}")
            if meta["datatype"] not in dtypes:
                raise ValueError(f"{label}: unknown datatype {meta['datatype']}")
            zaxis = meta["zaxis_id"]
            if zaxis == _2D:
                field = data_alloc.zero_field(grid, where[meta["hgrid_id"]],
                                              dtype=dtypes[meta["datatype"]], allocator=allocator)
            elif zaxis in (_3D, _HALF):
                field = data_alloc.zero_field(
                    grid, where[meta["hgrid_id"]], dims.KDim, dtype=dtypes[meta["datatype"]],
                    extend={dims.KDim: 1} if zaxis == _HALF else None, allocator=allocator)
            else:
                raise ValueError(f"{label}: unsupported zaxis_id {zaxis}")
            self.plugin_fields[r.name] = (field, meta)

    def _expose(self, ds, config, grid, allocator) -> None:
        """Every variable under its ICON name, as a view of the current icon4py buffer."""
        from icon4py.model.common import dimension as dims
        from icon4py.model.common.utils import data_allocation as data_alloc
        host, cf = self.host, _cf_metadata()
        requested = {r.name: r.metadata for r in host.requests if r.domain_id == 1}

        def expose(name, field, hgrid, zaxis, group=None, attr=None, **extra):
            meta = dict(default_metadata(), hgrid_id=hgrid, zaxis_id=zaxis, **cf.get(name, {}))
            meta.update(requested.get(name, {}))     # what the plugins asked for ...
            meta.update(hgrid_id=hgrid, zaxis_id=zaxis, **extra)   # ... unless the host decides
            ex = self.exposed[name] = _Exposed(name, zaxis)
            ex.array = ex.view(field)
            host.expose(name, 1, ex.array, metadata=meta)
            if group is not None:
                self.groups[group][name] = (attr, ex)

        prog = ds.prognostics.current
        for name, (attr, hgrid, zaxis) in PROGNOSTIC.items():
            expose(name, getattr(prog, attr), hgrid, zaxis, "prognostic", attr,
                   restart=True, multi_timelevel=True)
        adv = config.tracer_advection
        tracer_meta = dict(tracer=True, restart=True, multi_timelevel=True,
                           tracer_hadv=adv.horizontal_advection_type.value,
                           tracer_vadv=adv.vertical_advection_type.value,
                           tracer_hlimit=adv.horizontal_advection_limiter.value,
                           tracer_vlimit=adv.vertical_advection_limiter.value)
        tracers = ds.tracers.current
        for t in tracers.active_fields():
            expose(t.name, t.field, _CELL, _3D, "tracers", t.name, **tracer_meta)
            self.n_tracers += 1
            meta = requested.get(t.name, {})
            for process in ("turb", "conv"):
                if meta.get(f"tracer_{process}") is True:
                    # ICON's tendency of such a tracer; icon4py has no turbulence or
                    # convection scheme, so it stays zero
                    field = data_alloc.zero_field(grid, dims.CellDim, dims.KDim, allocator=allocator)
                    self.tendencies[f"ddt_{t.name}_{process}"] = field
                    expose(f"ddt_{t.name}_{process}", field, _CELL, _3D, units="kg kg-1 s-1",
                           long_name=f"tendency of {t.name} by {process} (none in icon4py)")
        diag = self.diagnostics
        for name, (attr, hgrid, zaxis) in DIAGNOSTIC.items():
            expose(name, getattr(diag, attr), hgrid, zaxis)
        for name, (field, meta) in self.plugin_fields.items():
            ex = self.exposed[name] = _Exposed(name, meta["zaxis_id"])
            ex.array = ex.view(field)
            host.expose(name, 1, ex.array, metadata=meta)

    def _used(self) -> set:
        """Names of the variables some plugin holds a handle of (at any entry point)."""
        used = set()
        for plugin in self.host.plugins:
            for ep in range(1, int(_C.EP_DESTRUCTOR) + 1):
                used.update(name for name, _jg, _flag in self.host.access_list(ep, plugin.id))
        return used

    def _quiet(self) -> None:
        """icon4py's and gt4py's logging at the experiment's level; below info also their
        Python warnings (numerics of missing neighbours at the poles, compile notes)."""
        level = getattr(logging, self.experiment.log_level.upper())
        for name in ("icon4py", "gt4py", "dace"):
            logging.getLogger(name).setLevel(level)
        if level > logging.INFO:
            import warnings
            warnings.filterwarnings("ignore", module=r"(icon4py|gt4py|dace)(\..*)?$")

    # -- the run -----------------------------------------------------------------------------------
    def setup(self) -> None:
        """Everything before the time loop: icon4py, descriptive data, primary constructors,
        states, variables, EP_SECONDARY_CONSTRUCTOR and EP_ATM_INIT_FINALIZE."""
        t0 = time.perf_counter()
        environment.configure_gt4py()
        from comin.hosts.icon4py import driver as hooks        # imports icon4py and gt4py
        self._quiet()
        config, backend, allocator, grid_file, grid_manager, drv, vgrid = self._icon4py()
        self.driver = drv
        self._descriptive_data(grid_file, grid_manager, drv, vgrid)
        self.host.run_primary_constructors()
        new_tracers, others = self._requested(config)
        ds = self.states = icon4py_states(config, backend, allocator, drv, new_tracers)
        self.diagnostics = Diagnostics(drv.grid, backend, allocator, ds.diagnostic,
                                       drv.static_field_factories)
        self._allocate(drv.grid, allocator, others)
        self.diagnose()
        self._expose(ds, config, drv.grid, allocator)
        hooks.wrap_granules(drv.granules, self.timeline)
        hooks.wrap_clock(drv.model_time_variables, self.timeline)
        self.timings["setup"] = time.perf_counter() - t0
        self.call("SECONDARY_CONSTRUCTOR")
        self.diagnostics.enabled = bool(self._used() & set(DIAGNOSTIC))
        self.call("ATM_INIT_FINALIZE")

    def time_loop(self) -> None:
        """icon4py's time integration, with the entry points of the time loop."""
        t1 = time.perf_counter()
        self.driver.time_integration(self.states)
        self.timings["time loop"] = self.timings.get("time loop", 0.0) + time.perf_counter() - t1

    def close(self) -> None:
        """Finalize the host (once) and remove icon4py's (empty) output directory."""
        if not self.host.finalized:
            self.host.finalize()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def run(self, progress: Optional[Callable[[int], None]] = None) -> None:
        """Build icon4py, run every plugin through the whole model run, finalize the host.

        ``progress(step)`` is called after each completed step (1..n).
        """
        self.progress = progress
        try:
            self.setup()
            self.time_loop()
            self.call("DESTRUCTOR")
        finally:
            self.close()


def icon4py_states(config, backend, allocator, drv, new_tracers=None):
    """icon4py's states as ``driver.run_driver`` makes them (its DriverStates, with the
    initial condition); with ``new_tracers`` (names) the tracer state is a
    :class:`~comin.hosts.icon4py.driver.CominTracerState` holding them too."""
    from icon4py.model.common import dimension as dims, initial_condition
    from icon4py.model.common.states import diagnostic_state, nonhydro_states, tracer_states
    from icon4py.model.common.states import prognostic_state
    from icon4py.model.common.utils import data_allocation as data_alloc
    from icon4py.model.driver import driver_states, driver_utils

    from comin.hosts.icon4py.driver import CominTracerState
    grid = drv.grid
    prognostic_now = prognostic_state.initialize_prognostic_state(grid=grid, allocator=allocator)
    if new_tracers is None:
        tracers_now = tracer_states.initialize_tracer_state(
            grid=grid, allocator=allocator, tracer_config=config.tracer_config)
    else:
        # icon4py's own names (qv, qc, ...) in its own slots, other names beside them
        names = list(config.tracer_config.active_names) + list(new_tracers)
        known = {name: data_alloc.zero_field(grid, dims.CellDim, dims.KDim, allocator=allocator)
                 for name in names if name in KNOWN_TRACERS}
        extra = {name: data_alloc.zero_field(grid, dims.CellDim, dims.KDim, allocator=allocator)
                 for name in names if name not in KNOWN_TRACERS}
        tracers_now = CominTracerState(**known, extra=extra)
    nonhydro_diagnostic = nonhydro_states.initialize_solve_nonhydro_diagnostic_state(
        grid=grid, allocator=allocator)
    initial_condition.create(
        config=config.initial_condition, vertical_config=config.vertical_grid, grid=grid,
        static_fields=drv.static_field_factories, prognostic_state_now=prognostic_now,
        tracer_state_now=tracers_now, solve_nonhydro_diagnostic_state=nonhydro_diagnostic,
        backend=backend, exchange=drv.exchange, global_reductions=drv.global_reductions)
    diagnostic = diagnostic_state.initialize_diagnostic_state(grid=grid, allocator=allocator)
    ds = driver_states.assemble_driver_states(
        grid=grid, allocator=allocator, backend=backend, exchange=drv.exchange,
        static_fields=drv.static_field_factories, prognostic_state_now=prognostic_now,
        tracer_state_now=tracers_now, diagnostic_state=diagnostic, experiment_config=config,
        solve_nonhydro_diagnostic_state=nonhydro_diagnostic)
    driver_utils.validate_granule_state_consistency(config=config, granules=drv.granules,
                                                    states=ds)
    return ds


def plain_driver(experiment: Experiment):
    """icon4py's own driver for ``experiment`` without comin, set up up to its time loop:
    ``(driver, states)``; ``driver.time_integration(states)`` runs it (``driver.run_driver``
    less its last line).  For comparisons and benchmarks."""
    from icon4py.model.common import model_backends, model_options
    from icon4py.model.common.decomposition import definitions as decomposition
    from icon4py.model.driver import driver as i4p_driver
    from icon4py.model.driver import driver_utils

    from comin.hosts.icon4py import driver as hooks
    environment.configure_gt4py()
    workdir = tempfile.mkdtemp(prefix="comin-icon4py-plain-")
    try:
        config = experiment.icon4py_config(output_path=pathlib.Path(workdir) / "out")
        backend = model_options.customize_backend(
            program=None, backend=driver_utils.get_backend_from_name(BACKEND))
        allocator = model_backends.get_allocator(backend)
        props = decomposition.get_process_properties(decomposition.get_runtype(with_mpi=False))
        gm = driver_utils.create_grid_manager(
            grid_file_path=experiment.grid_file(), vertical_grid_config=config.vertical_grid,
            allocator=allocator, process_props=props)
        with hooks.driver_class(i4p_driver.Icon4pyDriver):
            drv = i4p_driver.initialize_driver(config=config, grid_manager=gm,
                                               process_props=props, backend=backend)
        ds = icon4py_states(config, backend, allocator, drv)
        return drv, ds
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

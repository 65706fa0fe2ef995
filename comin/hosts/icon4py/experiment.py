"""The experiment the icon4py host runs: Jablonowski–Williamson on a global ICON grid.

:class:`Experiment` holds the options (``comin run --host icon4py --help``
explains each) and checks them without importing icon4py;
:meth:`Experiment.icon4py_config` builds icon4py's own ``ExperimentConfig``
in Python (the ``icon4py-driver`` command line needs namelists of a real ICON
run; its Python API does not).

The configuration is ICON's ``jabw`` test case as icon4py ports it: the
baroclinic-wave initial state and topography, the non-hydrostatic dynamical
core with 5 substeps, horizontal diffusion, and tracer transport (2nd-order
MIURA with positive-definite limiter, 3rd-order PPM vertically) of the water
vapour ``qv`` that the initial condition sets (70 % relative humidity) and of
every tracer a plugin requests.  Without physics (ICON's ``iforcing = 0``)
nothing else changes ``qv``.

Grids come from icon-grid-generator (no download), written once in ICON's
NetCDF format into comin's grid cache.  gt4py compiles each program for a
grid size and level count: the first run of a new (grid, nlev) pair compiles
for ~20 minutes on two cores; later runs find the programs in the cache.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

#: the grid and level count the tests compile (and the cache of a fresh install holds)
DEFAULT_GRID = "R2B2"
DEFAULT_NLEV = 35
#: largest grid the host accepts (R2B6, 327 680 cells; R2B4 takes ~2 s per step on two cores)
MAX_CELLS = 327_680
BACKEND = "gtfn_cpu"


@dataclass
class Experiment:
    """Options of an icon4py run.

    ``grid``: ICON's ``RnBk`` name of the global grid; ``nlev``: full levels;
    ``steps`` steps of ``dt`` seconds (``ndyn_substeps`` dynamics substeps
    each) from ``start``; ``verbosity``: ComIn's; ``log_level``: icon4py's
    logging (``warning`` keeps it quiet).
    """

    grid: str = DEFAULT_GRID
    nlev: int = DEFAULT_NLEV
    steps: int = 4
    dt: float = 300.0
    ndyn_substeps: int = 5
    start: str = "2026-01-01T00:00:00"
    verbosity: int = 0
    cache_dir: Optional[str] = None
    log_level: str = "warning"

    def start_time(self) -> _dt.datetime:
        return _dt.datetime.fromisoformat(self.start)

    def n_steps(self) -> int:
        return self.steps

    def problems(self) -> List[str]:
        """Everything wrong with these options, one sentence each (empty: fine)."""
        from comin.hosts.emulator.grids import parse_grid_name
        out = []
        try:
            n, k = parse_grid_name(self.grid, None)
            if 20 * n * n * 4 ** k > MAX_CELLS:
                out.append(f"grid {self.grid!r} has {20 * n * n * 4 ** k:,} cells, more than the "
                           f"icon4py host's limit of {MAX_CELLS:,} (R2B6: ~30 s per step on two "
                           "cores); choose a smaller n or k")
        except (ValueError, TypeError) as exc:
            out.append(str(exc))
        if self.nlev < 2:
            out.append(f"nlev must be >= 2 for icon4py's vertical grid, got {self.nlev}")
        if not self.dt > 0:
            out.append(f"dt must be > 0 seconds, got {self.dt}")
        elif self.dt != int(self.dt):
            out.append(f"dt must be a whole number of seconds for icon4py's clock, got {self.dt}")
        if self.steps < 1:
            out.append(f"steps must be >= 1 (icon4py's driver runs at least one step), got {self.steps}")
        if self.ndyn_substeps < 1:
            out.append(f"ndyn_substeps must be >= 1, got {self.ndyn_substeps}")
        try:
            self.start_time()
        except (TypeError, ValueError):
            out.append(f"start {self.start!r} is not an ISO 8601 date and time "
                       "(e.g. 2026-01-01T00:00:00)")
        if self.log_level not in ("debug", "info", "warning", "error", "critical"):
            out.append(f"log level {self.log_level!r} is not one of debug, info, warning, error, "
                       "critical")
        return out

    def check(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def canonical_grid(self) -> str:
        from comin.hosts.emulator.grids import parse_grid_name
        n, k = parse_grid_name(self.grid, None)
        return f"R{n}B{k:02d}" if k >= 10 else f"R{n}B{k}"

    # -- icon4py objects (need icon4py: Python >= 3.12) ------------------------------

    def grid_file(self) -> Path:
        """ICON's NetCDF grid file of ``grid`` (icon4py's fields), made once and cached."""
        from comin.hosts.emulator.grids import cache_dir
        name = self.canonical_grid
        directory = cache_dir(self.cache_dir) / "icon4py"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.nc"
        if not path.exists():
            import os
            import tempfile

            import grid_generator
            fd, tmp = tempfile.mkstemp(suffix=".nc", dir=directory)
            os.close(fd)
            try:
                grid_generator.generate_grid(name).to_netcdf(tmp, fields="icon4py")
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return path

    def icon4py_config(self, output_path: Path):
        """icon4py's ``ExperimentConfig`` of this experiment."""
        from icon4py.model.atmosphere.diffusion import diffusion
        from icon4py.model.atmosphere.dycore import solve_nonhydro as solve_nh
        from icon4py.model.atmosphere.tracer_advection import tracer_advection as adv
        from icon4py.model.common import (initial_condition, prescribed_tendencies, time,
                                          topography)
        from icon4py.model.common.grid import vertical as v_grid
        from icon4py.model.common.grid.geometry_config import GeometryConfig
        from icon4py.model.common.initial_condition.analytical import (
            jablonowski_williamson as jw_initial)
        from icon4py.model.common.interpolation import interpolation_factory
        from icon4py.model.common.metrics import metrics_factory
        from icon4py.model.common.states import tracer_states
        from icon4py.model.common.topography.analytical import (
            jablonowski_williamson as jw_topography)
        from icon4py.model.driver import config as driver_config

        start = time.AbsoluteTime.fromisoformat(
            self.start_time().replace(tzinfo=_dt.timezone.utc).isoformat())
        driver = driver_config.DriverConfig.make_initial(
            experiment_name="jabw_comin", profiling_options=None,
            dtime=time.RelativeTime(seconds=int(self.dt)), start_of_simulation=start,
            end_of_simulation=time.NumTimeSteps(self.steps), ndyn_substeps=self.ndyn_substeps,
            do_prep_adv=True, output_path=output_path)
        return driver_config.ExperimentConfig(
            geometry=GeometryConfig(),
            metrics=metrics_factory.MetricsConfig(),
            interpolation=interpolation_factory.InterpolationConfig(),
            vertical_grid=v_grid.VerticalGridConfig(num_levels=self.nlev),
            topography=topography.TopographyConfig(jw_topography.JablonowskiWilliamsonConfig()),
            initial_condition=initial_condition.InitialConditionConfig(
                jw_initial.JablonowskiWilliamsonConfig()),
            prescribed_tendencies=prescribed_tendencies.PrescribedTendenciesConfig(),
            driver=driver,
            nonhydrostatic=solve_nh.NonHydrostaticConfig(),
            diffusion=diffusion.DiffusionConfig(),
            tracer_config=tracer_states.TracerConfig(qv=True),
            tracer_advection=adv.AdvectionConfig(
                horizontal_advection_type=adv.HorizontalAdvectionType.LINEAR_2ND_ORDER,
                horizontal_advection_limiter=adv.HorizontalAdvectionLimiter.POSITIVE_DEFINITE,
                vertical_advection_type=adv.VerticalAdvectionType.PPM_3RD_ORDER,
                vertical_advection_limiter=adv.VerticalAdvectionLimiter.SEMI_MONOTONIC),
        )

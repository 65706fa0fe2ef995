"""icon4py's driver with ComIn's entry points in ICON's places — icon4py itself unchanged.

:class:`CominDriver` subclasses icon4py 0.4.1's ``Icon4pyDriver`` and
extends five of its methods; :func:`wrap_granules` wraps the ``run`` of the
granule *instances* of one driver (diffusion, tracer advection, physics) and
:func:`wrap_clock` the clock's ``advance_simulation_datetime``.  Each hook
hands over to the host's :class:`Timeline`, which calls the entry points in
ICON's order (``mo_nh_stepping.f90``)::

    time_integration
      _diffuse_before_time_loop   -> (after) WRITE_OUTPUT_BEFORE/AFTER of the
                                     initial state, TIMELOOP_BEFORE
      loop:
        advance_simulation_datetime -> (before) TIMELOOP_START, (after: the
                                       new datetime) INTEGRATE_BEFORE
        _integrate_one_time_step  -> INTEGRATE_START;
            dynamics substeps, diffusion.run -> (after) the dynamics' result
                                     becomes current, ADVECTION_BEFORE
            tracer_advection.run per tracer  -> (after the last) the advected
                                     tracers become current, ADVECTION_AFTER
            physics.run           -> PHYSICS_BEFORE/AFTER around it
            swap of the time levels
          -> (after) whatever the step did not reach (no tracers, no
             physics: ICON calls them anyway), INTEGRATE_END, INTEGRATE_AFTER
        _adjust_ndyn_substeps_var -> (after) WRITE_OUTPUT_BEFORE/AFTER,
                                     TIMELOOP_END
      _compute_mean_at_final_time_step -> (before) TIMELOOP_AFTER

The driver's factory (``driver.initialize_driver``) looks the class up by
name in its module; :func:`driver_class` rebinds that name for the duration
of one call.  The hooks use private methods of icon4py 0.4.1:
:func:`check_icon4py` refuses other versions with one clear line.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
from typing import TYPE_CHECKING, Callable, Dict, Iterator

from icon4py.model.common.states import tracer_states
from icon4py.model.driver import driver as _driver

if TYPE_CHECKING:
    from comin.hosts.icon4py.host import Timeline

#: the methods of Icon4pyDriver the hooks extend (checked before a run)
HOOKED_METHODS = ("_diffuse_before_time_loop", "_integrate_one_time_step",
                  "_adjust_ndyn_substeps_var", "_store_output", "_compute_mean_at_final_time_step",
                  "time_integration")


def check_icon4py() -> None:
    """RuntimeError naming the problem when this icon4py is not the one the hooks fit."""
    from importlib.metadata import PackageNotFoundError, version

    from comin.hosts.icon4py.environment import ICON4PY_VERSION
    try:
        have = version("icon4py-driver")
    except PackageNotFoundError:
        have = "none"
    missing = [m for m in HOOKED_METHODS if not hasattr(_driver.Icon4pyDriver, m)]
    if have != ICON4PY_VERSION or missing:
        raise RuntimeError(
            f"the icon4py host is written for icon4py-driver {ICON4PY_VERSION}, found {have}"
            + (f" (no {', '.join(missing)})" if missing else "")
            + ": rerun tools/install_icon4py.sh")


class CominDriver(_driver.Icon4pyDriver):
    """``Icon4pyDriver`` that tells the host's timeline where it is (see the module)."""

    timeline: "Timeline"

    def _store_output(self, prognostic_state, simulation_current_datetime) -> None:
        self.timeline.output_before()
        super()._store_output(prognostic_state, simulation_current_datetime)
        self.timeline.output_after()

    def _diffuse_before_time_loop(self, diffusion_diagnostic_state, prognostic_state) -> None:
        super()._diffuse_before_time_loop(diffusion_diagnostic_state, prognostic_state)
        self.timeline.before_time_loop(has_output=self.io_monitor is not None)

    def _integrate_one_time_step(self, **kwargs) -> None:
        self.timeline.integrate_start()
        super()._integrate_one_time_step(**kwargs)
        self.timeline.integrate_end()

    def _adjust_ndyn_substeps_var(self, solve_nonhydro_diagnostic_state) -> None:
        super()._adjust_ndyn_substeps_var(solve_nonhydro_diagnostic_state)
        self.timeline.step_done(has_output=self.io_monitor is not None)

    def _compute_mean_at_final_time_step(self, prognostic_states) -> None:
        self.timeline.after_time_loop()
        super()._compute_mean_at_final_time_step(prognostic_states)


@contextlib.contextmanager
def driver_class(cls: type = CominDriver) -> Iterator[None]:
    """Within the block, ``driver.initialize_driver`` builds a ``cls``."""
    saved = _driver.Icon4pyDriver
    _driver.Icon4pyDriver = cls
    try:
        yield
    finally:
        _driver.Icon4pyDriver = saved


def _wrap(obj, name: str, before: Callable = None, after: Callable = None) -> None:
    """Replace ``obj.name`` (a bound method) on this instance only by one that calls
    ``before(*args, **kwargs)`` / ``after(*args, **kwargs)`` around it."""
    inner = getattr(obj, name)

    @functools.wraps(inner)
    def wrapped(*args, **kwargs):
        if before is not None:
            before(*args, **kwargs)
        result = inner(*args, **kwargs)
        if after is not None:
            after(*args, **kwargs)
        return result

    setattr(obj, name, wrapped)


def wrap_granules(granules, timeline: "Timeline") -> None:
    """Hook the granules of one driver (their classes stay untouched)."""
    if granules.diffusion is not None:
        def diffused(*args, initial_run: bool = False, **kwargs):
            if not initial_run:          # not the filter before the time loop
                timeline.dynamics_done()
        _wrap(granules.diffusion, "run", after=diffused)
    if granules.tracer_advection is not None:
        _wrap(granules.tracer_advection, "run",
              before=lambda *a, **k: timeline.tracer_before(),
              after=lambda *a, **k: timeline.tracer_after())
    if granules.physics is not None:
        _wrap(granules.physics, "run", before=lambda *a, **k: timeline.physics_before(),
              after=lambda *a, **k: timeline.physics_after())


def wrap_clock(model_time_variables, timeline: "Timeline") -> None:
    """Hook the clock: TIMELOOP_START before the date advances, INTEGRATE_BEFORE after."""
    _wrap(model_time_variables, "advance_simulation_datetime",
          before=lambda: timeline.timeloop_start(), after=lambda: timeline.integrate_before())


@dataclasses.dataclass
class CominTracerState(tracer_states.TracerState):
    """icon4py's tracer state plus tracers that plugins requested.

    icon4py knows six tracers by name (qv, qc, qi, qr, qs, qg); ``extra``
    holds the others (name -> icon4py field).  The driver advects every
    field ``active_fields()`` yields and finds the other time level with
    ``getattr(tracers.next, name)``, so a requested tracer is transported by
    icon4py's own advection like qv.
    """

    extra: Dict[str, object] = dataclasses.field(default_factory=dict)

    def active_fields(self):
        yield from super().active_fields()
        for name, field in self.extra.items():
            yield tracer_states.TracerField(name=name, field=field)

    def __getattr__(self, name: str):
        extra = self.__dict__.get("extra")
        if extra is not None and name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__} has no tracer {name!r}")

    def copy(self, allocator=None) -> "CominTracerState":
        from icon4py.model.common.utils import data_allocation as data_alloc
        known = {t.name: data_alloc.as_field(t.field, allocator=allocator)
                 for t in super().active_fields()}
        extra = {name: data_alloc.as_field(f, allocator=allocator) for name, f in self.extra.items()}
        return CominTracerState(**known, extra=extra)

#!/usr/bin/env python
"""Micro-benchmarks of comin's hot paths (the project's one benchmark entry point).

Every figure is a *ratio*: the time of one comin operation divided by the
time of a plain-Python baseline that does comparable work, both measured in
the same run, interleaved (value, baseline, value, baseline, ...).  Absolute
nanoseconds on the shared, noisy machines this project runs on drift by tens
of percent from one minute to the next; a ratio against a baseline measured
right next to it does not.  Absolute ns per operation are printed (and
written with ``--json``) for information only.

Figures (ratio = value / baseline; the figure meets its target when the
ratio is <= the target, or >= it for a figure that declares a lower bound):

``ep_no_callback``
    ``host.call_ep(ep, 1)`` for an entry point that has no callback (other
    entry points do have callbacks, so the session is not trivially empty)
    / a call ``f(ep, 1)`` of an empty Python function with the same
    arguments.  Target <= 1.0: calling an unused entry point must cost no
    more than a Python function call, so a host can call all of them.
``ep_python_callback``
    ``host.call_ep(ep, 1)`` with exactly one empty Python callback at that
    entry point / calling that same callback directly ``cb()``.  Target
    <= 2.0: the dispatch overhead must stay below one extra Python call.
``asarray_handle``
    ``np.asarray(handle)`` on a ``comin.var_get`` handle / ``np.asarray(
    memoryview(a))`` of the host array ``a`` the handle points to (the same
    zero-copy buffer-protocol import).  Target <= 1.5.
``asarray_size_independence``
    ``np.asarray(handle)`` on a 1 GiB float64 field / the same on a 1 MiB
    field (both Fortran order ``(nproma, nlev, nblks)``; the 1 GiB array is
    ``np.empty``, so no page is ever touched).  Target <= 1.1: handing out
    the view must not depend on the field size (no copy, no scan).
``descrdata_clon``
    ``np.asarray(comin.descrdata_get_domain(1).cells.clon)`` / ``np.asarray(
    obj.attr)`` with ``obj`` a plain Python object holding an array.
    Target <= 3.
``replay_read``
    reading every recorded variable of a recording (R2B4, 3 steps, the
    default selection: 14 cell fields at 4 output events) directly with
    netCDF4 / ``comin replay`` of that recording with a plugin that touches
    every variable at every event (value: the direct read, baseline: the
    replay, so the ratio is the share of the replay's time the reading
    itself needs).  Target >= 0.7: serving the data costs at most ~40 % on
    top of reading it.
``record_overhead``
    an R2B4 emulator run of 3 steps with the recorder (default selection:
    every cell field at every output step) / the same run without it.
    Target <= 1.5: the recorder writes in a thread of its own while the
    model runs on.
``emulator_step_r2b6``
    one emulator step on R2B6 (327,680 cells), 90 levels, no plugin /
    ``np.copyto`` of every field of the domain (the memory-traffic floor).
    Target <= 3 (production size: the step writes every field and moves the
    density and the tracers).
``memory_r2b6``
    peak resident memory of ``comin run --grid R2B6 --nlev 90`` with a plugin
    that requests a field and a tracer and reads and writes fields every
    step / the bytes of every field the host exposes (tracers counted once,
    in their container).  Target <= 1.3.
``startup``
    ``comin run`` from its start to the first entry point of a trivial
    plugin (R2B4 from the grid cache) / ``python -c "import numpy"``.  Both
    run with bytecode caching on (a temporary pycache prefix), as an
    installed package runs.  Target <= 2.
``telemetry_overhead``
    emulator time steps on R2B4 (20 levels) with the telemetry plugin (the
    exporter of ``comin run --telemetry``: ``temp`` and ``pres_sfc`` reduced
    at every step, the host profiling its callbacks as ``comin run`` does) /
    the same steps of the same session with no entry point dispatched.
    Interleaved one-step samples (3 x ``--repeat`` per side), timed as CPU time
    of the model's thread: on the shared machine wall-clock steps vary by tens
    of percent (the exporter's endpoint thread idles; no scrape happens).
    Target <= 1.02.
``halo_sync``
    (``mpiexec -n 2``) the halo exchange of a 3-D cell field (``temp`` of
    the emulator on R2B4, 20 levels, decomposed over 2 ranks) that a plugin
    asks for with COMIN_FLAG_SYNC_HALO, timed as ``host.call_ep`` of the
    entry point with the plugin's (empty) callback / the same exchange
    written directly with mpi4py (the same precomputed lists: gather into
    one contiguous buffer, ``Alltoallv``, scatter, no checks).  Target <=
    1.2.  Per-op time is the slower rank's.
``scaling_2ranks``
    emulator step time on R2B5 (no plugin) on one rank / on two ranks
    (``mpiexec -n 1`` and ``-n 2``, alternated): the speed-up.  Reported;
    on a 2-core machine shared with other work it cannot reach 2.
``icon4py_comin_overhead``
    (icon4py's virtual environment) a Jablonowski-Williamson step of icon4py
    on R2B2 with 35 levels through the icon4py host, with one plugin reading
    ``rho`` and ``theta_v`` at every entry point / the same step of
    icon4py's own driver without comin (both set up once, then their time
    loops of 2 steps alternated, up to 15 samples each; per step).  Target
    <= 1.05.
``icon4py_handle_refresh``
    (icon4py's virtual environment) ``handle.__array__()`` of ``rho``, which
    the host re-points between icon4py's two time levels (the handle has
    followed a swap and back) / ``np.asarray`` of icon4py's own NumPy buffer
    of ``rho``.  Target <= 3.
``icon4py_handle_asarray``
    (icon4py's virtual environment) ``np.asarray(handle)`` of ``rho`` (NumPy's
    buffer protocol: a new array per call) / ``np.asarray`` of icon4py's own
    NumPy buffer of ``rho``.  Reported.
``icon4py_handle_to_3d``
    (icon4py's virtual environment) ``handle.to_3d`` of ``rho`` / ``np.asarray``
    of icon4py's own NumPy buffer of ``rho``.  Reported.
``icon4py_handle_vs_native``
    (icon4py's virtual environment) ``handle.__array__()`` of ``rho`` /
    ``np.asarray(ds.prognostics.current.rho.ndarray)``, icon4py's own way to
    the current buffer of rho.  Reported.
``icon4py_repoint``
    (icon4py's virtual environment) the host re-pointing the five prognostic
    variables to the other time level (ICON's icon_update_expose_variables;
    twice per step) / one ``np.asarray(ndarray)``.  Reported.

The icon4py figures need icon4py (Python >= 3.12): run them with the
virtual environment's interpreter, ``$(python3 -c "from
comin.hosts.icon4py.environment import venv_python; print(venv_python())")
tools/bench.py --only icon4py_comin_overhead icon4py_handle_refresh
icon4py_handle_asarray icon4py_handle_to_3d icon4py_handle_vs_native
icon4py_repoint``; elsewhere they are listed as SKIP.

Fairness rules, the same for every figure: the value and the baseline run
the same loop, compiled from a statement string the way :mod:`timeit` does
it, with every name the statement uses passed in as a *local* variable
(``call_ep = host.call_ep``, ``f = empty_function``, ``asarray = np.asarray``,
``memoryview = memoryview``, ...), so neither side pays a global or
attribute lookup the other does not, except where the lookup is the thing
being measured (``.cells.clon``, ``obj.attr``).  The statement is repeated
``UNROLL`` times inside the loop body so the ``for`` overhead is small
(it is not subtracted).  The garbage collector is off while timing.  Each
figure takes ``--repeat`` samples of each side, alternating which side goes
first; the reported ns/op is the minimum (default) or median over the
samples (``--stat``), and the ratio is value-stat / baseline-stat.

Benchmarks are not tests: the exit code is 0 even when targets are missed;
the table marks them (MISS) and a summary line lists them.  Only a figure
that crashes (ERROR) makes the exit code 1; one that cannot run here (SKIP,
e.g. an icon4py figure without icon4py) says why and does not.

Adding a figure: write a function ``def my_figure(m):`` that sets up what it
needs (use :func:`session` for a Host) and returns ``m.compare(value_stmt,
baseline_stmt, **names)`` (or a :class:`Result` it measured itself, e.g. of
whole runs); decorate it with ``@figure("my_figure", target=..., help=...)``
(``bound=">="`` when the ratio must reach the target rather than stay
below it).  It is then in the table, ``--only`` and ``--json``.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import sys
import time
import traceback

# One-threaded BLAS/OpenMP: idle BLAS worker threads spinning on a 2-core
# machine steal time from the timed loops.  Must happen before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

import comin
from comin.host import Host

UNROLL = 10            # statement copies per loop iteration
TARGET_SAMPLE_NS = 20_000_000   # aim for ~20 ms per timed sample
DEFAULT_REPEAT = 25


# -- timing machinery ---------------------------------------------------------------

_TEMPLATE = """
def inner(_loops, _timer, {args}):
    _t0 = _timer()
    for _ in range(_loops):
{body}
    return _timer() - _t0
"""


def _compile(stmt: str, names: Dict[str, object], unroll: int = UNROLL) -> Callable[[int], int]:
    """A function ``run(loops) -> elapsed ns`` executing ``stmt`` loops*UNROLL times.

    As :mod:`timeit`, but every name in ``names`` is a parameter (a fast
    local) of the compiled function, and the timer is ``perf_counter_ns``.
    """
    args = ", ".join(sorted(names))
    body = "\n".join("        " + stmt for _ in range(unroll))
    ns: Dict[str, object] = {}
    exec(compile(_TEMPLATE.format(args=args, body=body), f"<bench {stmt!r}>", "exec"), ns)
    inner = ns["inner"]
    kwargs = dict(names)
    timer = time.perf_counter_ns

    def run(loops: int) -> int:
        return inner(loops, timer, **kwargs)

    return run


@dataclass
class Result:
    value: float        # ns per operation (comin)
    baseline: float     # ns per operation (baseline)
    value_samples: List[float]
    baseline_samples: List[float]

    @property
    def ratio(self) -> float:
        return self.value / self.baseline


class Measure:
    """Times a value statement against a baseline statement, interleaved."""

    def __init__(self, repeat: int, stat: str):
        self.repeat = repeat
        self.stat = stat

    def _loops(self, run_a, run_b) -> int:
        """timeit.autorange-like: loops so the slower side takes ~TARGET_SAMPLE_NS."""
        loops = 1
        while True:
            t = max(run_a(loops), run_b(loops))
            if t >= TARGET_SAMPLE_NS / 5 or loops >= 1 << 24:
                break
            loops *= 10 if t < TARGET_SAMPLE_NS / 100 else 2
        return max(1, int(loops * TARGET_SAMPLE_NS / max(t, 1)))

    def compare(self, value_stmt: str, baseline_stmt: str, *, _unroll: int = UNROLL,
                _repeat: Optional[int] = None, **names) -> Result:
        """Per-op ns of both statements; ``names`` are the locals they use.

        ``_unroll``/``_repeat`` override the defaults for slow operations
        (milliseconds per call), where unrolling buys nothing.
        """
        run_v = _compile(value_stmt, names, _unroll)
        run_b = _compile(baseline_stmt, names, _unroll)
        gc_was_enabled = gc.isenabled()
        gc.collect()
        gc.disable()
        try:
            loops = self._loops(run_v, run_b)      # also warms up (specialization, caches)
            n_ops = loops * _unroll
            vs: List[float] = []
            bs: List[float] = []
            for i in range(_repeat or self.repeat):
                if i % 2:
                    bs.append(run_b(loops) / n_ops)
                    vs.append(run_v(loops) / n_ops)
                else:
                    vs.append(run_v(loops) / n_ops)
                    bs.append(run_b(loops) / n_ops)
        finally:
            if gc_was_enabled:
                gc.enable()
        agg = min if self.stat == "min" else statistics.median
        return Result(agg(vs), agg(bs), vs, bs)


# -- figure registry ------------------------------------------------------------------

@dataclass
class Figure:
    name: str
    func: Callable[[Measure], Result]
    target: Optional[float]      # None: reported, no target
    help: str
    bound: str = "<="            # "<=": ratio at most target; ">=": at least target

    def meets(self, ratio: float) -> bool:
        return ratio >= self.target if self.bound == ">=" else ratio <= self.target

    @property
    def target_text(self) -> str:
        return "report" if self.target is None else f"{self.bound} {self.target:g}"


FIGURES: Dict[str, Figure] = {}


class SkipFigure(Exception):
    """Raised by a figure that cannot run here; the message says why and what to do."""


def figure(name: str, *, target: Optional[float], help: str, bound: str = "<="):
    """Register ``func(m: Measure) -> Result`` as figure ``name``.

    The figure meets its target when the ratio is ``<= target`` (``bound="<="``,
    the default) or ``>= target`` (``bound=">="``).
    """
    if bound not in ("<=", ">="):
        raise ValueError(f"figure {name!r}: bound must be '<=' or '>=', got {bound!r}")

    def deco(func):
        if name in FIGURES:
            raise ValueError(f"figure {name!r} registered twice")
        FIGURES[name] = Figure(name, func, target, help, bound)
        return func
    return deco


# -- host session helper ----------------------------------------------------------------

@contextlib.contextmanager
def session(constructor: Callable[[], None], fields: Dict[str, np.ndarray], *,
            nproma: int = 32, nlev: int = 64, nblks: int = 4):
    """A Host with one plugin (``constructor`` is its primary constructor).

    ``fields``: name -> host array, exposed on domain 1 before the secondary
    constructor runs.  The Host is finalized on exit, whatever happens.
    """
    host = Host([constructor], verbosity=0)
    try:
        host.set_global(n_dom=1, nproma=nproma)
        rng = np.random.default_rng(0)
        host.set_domain(1, nlev=nlev, cells=dict(
            ncells=nproma * nblks, nblks=nblks,
            clon=np.asfortranarray(rng.uniform(-np.pi, np.pi, (nproma, nblks))),
            clat=np.asfortranarray(rng.uniform(-np.pi / 2, np.pi / 2, (nproma, nblks)))))
        host.run_primary_constructors()
        for name, arr in fields.items():
            host.expose(name, 1, arr)
        host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
        yield host
    finally:
        host.finalize()


def _empty():
    pass


def _empty2(a, b):
    pass


def _field(nproma: int, nlev: int, nblks: int) -> np.ndarray:
    return np.empty((nproma, nlev, nblks), dtype=np.float64, order="F")


# -- figures -----------------------------------------------------------------------

EP_EMPTY = int(comin.EP_ATM_RADIATION_BEFORE)
EP_ONE = int(comin.EP_ATM_TIMELOOP_START)


@figure("ep_no_callback", target=1.0,
        help="host.call_ep(ep, 1), no callback at ep / empty f(ep, 1)")
def ep_no_callback(m: Measure) -> Result:
    """``call_ep(ep, 1)`` vs ``f(ep, 1)``; both callables bound to locals, ep a plain int.

    The plugin registers callbacks at other entry points, so only the
    "no callback here" path is timed.  ``ep`` is an ``int`` (what a host
    passes); a ``comin.EP_*`` object would add its ``__index__`` call.
    """
    def plugin():
        comin.callback_register(comin.EP_ATM_TIMELOOP_END, _empty)
        comin.callback_register(comin.EP_ATM_PHYSICS_AFTER, _empty)

    with session(plugin, {}) as host:
        return m.compare("call_ep(ep, 1)", "f(ep, 1)",
                         call_ep=host.call_ep, f=_empty2, ep=EP_EMPTY)


@figure("ep_python_callback", target=2.0,
        help="host.call_ep(ep, 1), one empty Python callback / cb()")
def ep_python_callback(m: Measure) -> Result:
    """``call_ep(ep, 1)`` vs ``cb()``; both callables bound to locals, ep a plain int."""
    def cb():
        pass

    def plugin():
        comin.callback_register(EP_ONE, cb)

    with session(plugin, {}) as host:
        return m.compare("call_ep(ep, 1)", "cb()", call_ep=host.call_ep, cb=cb, ep=EP_ONE)


def _handles_plugin(names, out):
    """A plugin that keeps a read handle on each of ``names`` (domain 1) in ``out``."""
    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def secondary():
            for n in names:
                out[n] = comin.var_get([comin.EP_ATM_TIMELOOP_START], (n, 1), comin.COMIN_FLAG_READ)
    return plugin


@figure("asarray_handle", target=1.5,
        help="np.asarray(handle) / np.asarray(memoryview(a)), same host array")
def asarray_handle(m: Measure) -> Result:
    """``asarray(h)`` vs ``asarray(memoryview(a))``; ``asarray`` and ``memoryview`` are locals.

    ``a`` is a 1 MiB float64 (32, 64, 64) Fortran-order host array, ``h`` a
    read handle on it (5-D buffer).  The baseline also goes through the
    buffer protocol, so the figure is comin's ``__getbuffer__`` and handle
    overhead relative to a memoryview's.
    """
    a = _field(32, 64, 64)
    handles: Dict[str, object] = {}
    with session(_handles_plugin(["f"], handles), {"f": a}, nblks=64):
        h = handles["f"]
        assert np.asarray(h).ctypes.data == a.ctypes.data
        return m.compare("asarray(h)", "asarray(memoryview(a))",
                         asarray=np.asarray, memoryview=memoryview, h=h, a=a)


@figure("asarray_size_independence", target=1.1,
        help="np.asarray(handle) on a 1 GiB field / on a 1 MiB field")
def asarray_size_independence(m: Measure) -> Result:
    """``asarray(h_big)`` vs ``asarray(h_small)``, ``asarray`` bound to a local in both.

    Fields are float64, order='F', shape (32, 64, nblks): nblks=65536 (1 GiB,
    ``np.empty``, untouched) and nblks=64 (1 MiB).
    """
    big = _field(32, 64, 65536)
    small = _field(32, 64, 64)
    assert big.nbytes == 1 << 30 and small.nbytes == 1 << 20
    handles: Dict[str, object] = {}
    with session(_handles_plugin(["big", "small"], handles), {"big": big, "small": small},
                 nblks=65536):
        return m.compare("asarray(h_big)", "asarray(h_small)", asarray=np.asarray,
                         h_big=handles["big"], h_small=handles["small"])


class _Plain:
    """A plain Python object with an array attribute (the baseline of descrdata_clon)."""

    def __init__(self, attr):
        self.attr = attr


@figure("descrdata_clon", target=3.0,
        help="np.asarray(descrdata_get_domain(1).cells.clon) / np.asarray(obj.attr)")
def descrdata_clon(m: Measure) -> Result:
    """``asarray(descrdata_get_domain(1).cells.clon)`` vs ``asarray(obj.attr)``.

    ``asarray`` and ``descrdata_get_domain`` are bound to locals, so the
    value pays one function call and two attribute lookups, the baseline
    one attribute lookup; ``obj.attr`` is the same array as ``clon``.
    """
    with session(lambda: None, {}):
        get_domain = comin.descrdata_get_domain
        obj = _Plain(get_domain(1).cells.clon)
        return m.compare("asarray(descrdata_get_domain(1).cells.clon)", "asarray(obj.attr)",
                         asarray=np.asarray, descrdata_get_domain=get_domain, obj=obj)


# -- command line -------------------------------------------------------------------

# -- the emulator (issue: the emulator host) ---------------------------------------------

@contextlib.contextmanager
def _emulator_r2b4():
    """An R2B4 emulator with no plugin, set up up to the time loop (grid from the cache)."""
    from comin.hosts.emulator import Config, Emulator
    emu = Emulator([], Config(grid="R2B4", steps=0))
    try:
        emu.setup()
        emu.host.run_primary_constructors()
        emu._expose()
        yield emu
    finally:
        if not emu.host.finalized:
            emu.host.finalize()


@figure("emulator_step", target=5.0,
        help="one emulator time step on R2B4, no plugin / np.copyto of all its fields")
def emulator_step(m: Measure) -> Result:
    """The memory-traffic floor: copying every field of the domain once (same layout,
    preallocated targets).  The step writes every field and moves the tracers."""
    with _emulator_r2b4() as emu:
        dom = emu.domains[1]
        pairs = [(a, np.empty_like(a)) for a in dom.fields.values()]

        def copy_all():
            for src, dst in pairs:
                np.copyto(dst, src)

        return m.compare("step(dom)", "copy_all()", _unroll=1, _repeat=7,
                         step=emu._integrate, dom=dom, copy_all=copy_all)


@figure("comin_overhead_in_step", target=0.01,
        help="all entry-point calls of an R2B4 step (no callbacks) / the whole step")
def comin_overhead_in_step(m: Measure) -> Result:
    with _emulator_r2b4() as emu:
        dom = emu.domains[1]
        sequence = []
        real_call = emu.call
        emu.call = lambda name, jg=-1: (sequence.append((getattr(comin, "EP_" + name), jg)),
                                        real_call(name, jg))
        emu._integrate(dom)
        emu.call = real_call
        call_ep = emu.host.call_ep

        def eps_only():
            for ep, jg in sequence:
                call_ep(ep, jg)

        return m.compare("eps()", "step(dom)", _unroll=1, _repeat=7,
                         eps=eps_only, step=emu._integrate, dom=dom)


_TRIVIAL_PLUGIN = """
import sys, time
import comin

@comin.EP_SECONDARY_CONSTRUCTOR
def first():
    sys.stderr.write(f"FIRST_EP {time.time()!r}\\n")
"""


@figure("startup", target=2.0,
        help="`comin run` start to the first entry point, trivial plugin, R2B4 cached / "
             "`python -c 'import numpy'`")
def startup(m: Measure) -> Result:
    import subprocess
    import tempfile
    repeat = max(3, min(m.repeat, 7))
    with tempfile.TemporaryDirectory() as tmp:
        plugin = os.path.join(tmp, "trivial.py")
        with open(plugin, "w", encoding="utf-8") as f:
            f.write(_TRIVIAL_PLUGIN)
        # bytecode cached, as for an installed package (the first runs fill the cache)
        env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(tmp, "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cmd = [sys.executable, "-m", "comin", "run", plugin, "--grid", "R2B4", "--steps", "0"]
        base_cmd = [sys.executable, "-c", "import numpy"]
        subprocess.run(cmd, check=True, capture_output=True, env=env)   # fills the grid cache
        subprocess.run(base_cmd, check=True, env=env)
        values, bases = [], []
        for _ in range(repeat):
            t0 = time.time()
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stderr
            first = float(out.split("FIRST_EP ", 1)[1].split()[0])
            values.append((first - t0) * 1e9)
            t0 = time.perf_counter()
            subprocess.run(base_cmd, check=True, env=env)
            bases.append((time.perf_counter() - t0) * 1e9)
    agg = min if m.stat == "min" else statistics.median
    return Result(agg(values), agg(bases), values, bases)


@figure("emulator_step_r2b6", target=3.0,
        help="one emulator time step on R2B6, 90 levels, no plugin / np.copyto of all its fields")
def emulator_step_r2b6(m: Measure) -> Result:
    """As ``emulator_step`` at production size: 327,680 cells, 90 levels (3.5 GB of fields;
    the copy targets take as much again).  The grid comes from the cache (made once)."""
    from comin.hosts.emulator import Config, Emulator
    emu = Emulator([], Config(grid="R2B6", nlev=90, steps=0))
    try:
        emu.setup()
        emu.host.run_primary_constructors()
        emu._expose()
        dom = emu.domains[1]
        pairs = [(a, np.empty_like(a)) for a in dom.fields.values()]

        def copy_all():
            for src, dst in pairs:
                np.copyto(dst, src)

        copy_all()                    # the targets' pages exist before anything is timed
        return m.compare("step(dom)", "copy_all()", _unroll=1, _repeat=max(3, min(m.repeat, 7)),
                         step=emu._integrate, dom=dom, copy_all=copy_all)
    finally:
        if not emu.host.finalized:
            emu.host.finalize()


_MEMORY_PLUGIN = """
import sys
import numpy as np
import comin

comin.var_request_add(("plugin_field", -1), False)
comin.var_request_add(("plugin_tracer", -1), False)
comin.metadata_set(("plugin_tracer", -1), tracer=True)
handles = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def sizes():
    total = 0
    for name, jg in comin.var_descr_list():
        v = comin.var_get([], (name, jg), comin.COMIN_FLAG_READ)
        if v.ncontained >= 0 and not v.lcontainer:
            continue                         # a tracer: a view into its container
        total += np.asarray(v).nbytes
    sys.stderr.write(f"EXPOSED_BYTES {total}\\n")
    ctx = [comin.EP_ATM_WRITE_OUTPUT_BEFORE]
    handles["temp"] = comin.var_get(ctx, ("temp", 1), comin.COMIN_FLAG_READ)
    handles["out"] = comin.var_get(ctx, ("plugin_field", 1), comin.COMIN_FLAG_WRITE)
    handles["tr"] = comin.var_get(ctx, ("plugin_tracer", 1),
                                  comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE)


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def read_and_write():
    np.multiply(handles["temp"].to_3d, 1.0 / 300.0, out=handles["out"].to_3d)
    handles["tr"].to_3d[...] += 1e-6


@comin.EP_DESTRUCTOR
def peak():
    # the high-water mark of this process's memory (its own since exec, unlike ru_maxrss,
    # which starts from the forking parent's)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    sys.stderr.write(f"PEAK_RSS {int(line.split()[1]) * 1024}\\n")
    except OSError:
        pass
"""


@figure("memory_r2b6", target=1.3,
        help="peak RSS of `comin run` on R2B6, 90 levels, with a plugin reading and writing "
             "fields / bytes of the exposed fields")
def memory_r2b6(m: Measure) -> Result:
    """Value: the peak resident set of the whole ``comin run`` process (bytes); baseline:
    the bytes of every exposed field (requested ones included), as the plugin counts them."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        plugin = os.path.join(tmp, "memory.py")
        with open(plugin, "w", encoding="utf-8") as f:
            f.write(_MEMORY_PLUGIN)
        cmd = [sys.executable, "-m", "comin", "run", "--grid", "R2B6", "--nlev", "90",
               "--steps", "2", "--no-progress", "--no-summary", plugin]
        peaks, exposed = [], []
        for _ in range(2 if m.repeat > 1 else 1):
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            err = proc.stderr.read()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode != 0 or "EXPOSED_BYTES " not in err:
                raise RuntimeError(f"comin run failed ({proc.returncode}): {err[-2000:]}")
            if "PEAK_RSS " in err:
                peaks.append(float(err.split("PEAK_RSS ", 1)[1].split()[0]))
            else:                              # no /proc: the child's rusage (may be more)
                peaks.append(usage.ru_maxrss * 1024.0)
            exposed.append(float(err.split("EXPOSED_BYTES ", 1)[1].split()[0]))
    return Result(max(peaks), min(exposed), peaks, exposed)


# -- C plugins (libcomin) ------------------------------------------------------------

_C_BENCH_SOURCE = r"""
#include "comin.h"
static void empty_cb(void) {}
void comin_main(void) { comin_callback_register(EP_ATM_TIMELOOP_START, empty_cb); }
void bench_comin_loop(long n) {
  for (long i = 0; i < n; i++) comin_callback_context_call(EP_ATM_TIMELOOP_START, -1, false);
}
static void empty_direct(t_comin_entry_point ep, int domain_id, bool lacc) {
  (void)ep; (void)domain_id; (void)lacc;
}
void (*volatile bench_direct_fp)(t_comin_entry_point, int, bool) = empty_direct;
void bench_direct_loop(long n) {
  for (long i = 0; i < n; i++) bench_direct_fp(EP_ATM_TIMELOOP_START, -1, false);
}
"""

#: upstream ComIn 0.2's callgrind instructions per context call with one empty C
#: callback (../shared/anchors/upstream-baseline.md)
UPSTREAM_C_CALLBACK_INSTRUCTIONS = 7171.0


def _c_bench_library(directory: str) -> str:
    """Compile the C plugin + host loops of the C figures (comin's build recipe, -O2)."""
    from comin._build import build
    src = os.path.join(directory, "cbench.c")
    with open(src, "w", encoding="utf-8") as f:
        f.write(_C_BENCH_SOURCE)
    return build([src], os.path.join(directory, "libcbench.so"), flags=["-O2"])


@contextlib.contextmanager
def _c_session(lib: str):
    from comin.host import PluginDescription
    host = Host([PluginDescription(name="cbench", plugin_library=lib)], verbosity=0)
    try:
        host.set_global(n_dom=1, nproma=8)
        host.run_primary_constructors()
        yield host
    finally:
        host.finalize()


@figure("ep_c_callback", target=3.0,
        help="comin_callback_context_call(ep, -1, false) in a C loop, one empty C callback / "
             "a call through a C function pointer in the same loop")
def ep_c_callback(m: Measure) -> Result:
    """Both loops are C functions compiled at bench time, called once per sample (ctypes)."""
    import ctypes
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = _c_bench_library(tmp)
        with _c_session(path):
            lib = ctypes.PyDLL(path)
            comin_loop, direct_loop = lib.bench_comin_loop, lib.bench_direct_loop
            comin_loop.argtypes = direct_loop.argtypes = [ctypes.c_long]
            comin_loop(1000)                      # hands libcomin its fast path
            n = 1 << 20
            vs: List[float] = []
            bs: List[float] = []
            for i in range(max(m.repeat, 3)):
                for loop, out in ((comin_loop, vs), (direct_loop, bs))[::(1 if i % 2 else -1)]:
                    t0 = time.perf_counter_ns()
                    loop(n)
                    out.append((time.perf_counter_ns() - t0) / n)
    agg = min if m.stat == "min" else statistics.median
    return Result(agg(vs), agg(bs), vs, bs)


_CALLGRIND_DRIVER = """
import ctypes, sys
from comin.host import Host, PluginDescription
path, n = sys.argv[1], int(sys.argv[2])
host = Host([PluginDescription(name="cbench", plugin_library=path)], verbosity=0)
host.set_global(n_dom=1, nproma=8)
host.run_primary_constructors()
loop = ctypes.PyDLL(path).bench_comin_loop
loop.argtypes = [ctypes.c_long]
loop(n)
host.finalize()
"""


@figure("ep_c_callback_instructions", target=200.0 / UPSTREAM_C_CALLBACK_INSTRUCTIONS,
        help="instructions per comin_callback_context_call with one empty C callback "
             "(callgrind, loop of 2N minus loop of N calls) / upstream ComIn's 7171")
def ep_c_callback_instructions(m: Measure) -> Result:
    """The value is instructions per call (not ns); the baseline is upstream's count."""
    import shutil
    import subprocess
    import tempfile
    if shutil.which("valgrind") is None:
        raise RuntimeError("valgrind is not installed")
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    n = 20000
    with tempfile.TemporaryDirectory() as tmp:
        path = _c_bench_library(tmp)
        totals = {}
        for count in (n, 2 * n):
            out = os.path.join(tmp, f"callgrind.{count}")
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            sys.executable, "-c", _CALLGRIND_DRIVER, path, str(count)],
                           check=True, capture_output=True, env=env)
            with open(out, encoding="utf-8") as f:
                totals[count] = next(int(line.split()[1]) for line in f
                                     if line.startswith(("totals:", "summary:")))
    value = (totals[2 * n] - totals[n]) / n
    return Result(value, UPSTREAM_C_CALLBACK_INSTRUCTIONS, [value], [UPSTREAM_C_CALLBACK_INSTRUCTIONS])


# -- C and Fortran hosts (issue: host API and embedded Python) ---------------------------

_FORTRAN_BENCH_HOST = """
PROGRAM bench_host
  ! bench_host N REPEAT EP PLUGIN...: N context calls of EP (domain 1) per sample, prints
  ! the fastest sample's ns per call; PLUGIN = "name;library;options"
  USE, INTRINSIC :: iso_fortran_env, ONLY: int64
  USE comin_host_interface
  IMPLICIT NONE
  INTEGER :: n, repeat, ep, i, r, np, p1, p2
  INTEGER(int64) :: t0, t1, rate, best
  CHARACTER(LEN=1024) :: arg
  TYPE(t_comin_plugin_description), ALLOCATABLE :: plugins(:)
  TYPE(t_comin_descrdata_global) :: g

  CALL GET_COMMAND_ARGUMENT(1, arg)
  READ (arg, *) n
  CALL GET_COMMAND_ARGUMENT(2, arg)
  READ (arg, *) repeat
  CALL GET_COMMAND_ARGUMENT(3, arg)
  READ (arg, *) ep
  np = COMMAND_ARGUMENT_COUNT() - 3
  ALLOCATE(plugins(np))
  DO i = 1, np
    CALL GET_COMMAND_ARGUMENT(3 + i, arg)
    p1 = INDEX(arg, ";")
    p2 = p1 + INDEX(arg(p1 + 1:), ";")
    plugins(i)%name = arg(1:p1 - 1)
    plugins(i)%plugin_library = arg(p1 + 1:p2 - 1)
    plugins(i)%options = arg(p2 + 1:)
  END DO
  CALL comin_setup_init(.TRUE.)
  CALL comin_setup_errhandler(handler)
  CALL comin_setup_check("bench_host", wp)
  g%n_dom = 1
  g%nproma = 8
  CALL comin_descrdata_set_global(g)
  CALL comin_plugin_primaryconstructor(plugins)
  CALL comin_callback_context_call(EP_SECONDARY_CONSTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL comin_callback_context_call(ep, 1, .FALSE.)
  best = HUGE(best)
  DO r = 1, repeat
    CALL SYSTEM_CLOCK(t0, rate)
    DO i = 1, n
      CALL comin_callback_context_call(ep, 1, .FALSE.)
    END DO
    CALL SYSTEM_CLOCK(t1)
    best = MIN(best, t1 - t0)
  END DO
  WRITE (*, '(ES20.10)') REAL(best, KIND=8) * (1.0D9 / REAL(rate, KIND=8)) / n
  CALL comin_callback_context_call(EP_DESTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL comin_setup_finalize()
CONTAINS
  SUBROUTINE handler(routine, text)
    CHARACTER(LEN=*), INTENT(IN) :: routine, text
    WRITE (0, '(A)') routine // ": " // text
    ERROR STOP 1
  END SUBROUTINE handler
END PROGRAM bench_host
"""

#: an empty Python callback at EP_ATM_TIMELOOP_START (the plugin of the Fortran host figures),
#: callbacks at other entry points so that the no-callback figure has plugins loaded
_BENCH_PLUGIN = """
import comin


@comin.EP_ATM_TIMELOOP_START
def cb():
    pass


@comin.EP_ATM_TIMELOOP_END
def other():
    pass
"""

#: upstream ComIn 0.2's callgrind instructions per context call without a callback
#: (it formats a log message on every call; ../shared/anchors/upstream-baseline.md)
UPSTREAM_EP_NO_CALLBACK_INSTRUCTIONS = 6483.0


def _fortran_bench_host(directory: str) -> tuple:
    """Compile the Fortran host of the figures (comin's build recipe, -O2) and write its
    Python plugin; (exe, plugin).

    Links the package's libcomin_fortran, or compiles the Fortran API sources when the
    package was built without a Fortran compiler.
    """
    from comin._build import build
    src = os.path.join(directory, "bench_host.F90")
    exe = os.path.join(directory, "bench_host")
    with open(src, "w", encoding="utf-8") as f:
        f.write(_FORTRAN_BENCH_HOST)
    build([src], exe, kind="executable", flags=["-O2"], workdir=directory)
    plugin = os.path.join(directory, "bench_plugin.py")
    with open(plugin, "w", encoding="utf-8") as f:
        f.write(_BENCH_PLUGIN)
    return exe, plugin


def _host_env() -> dict:
    """The environment of a bench host: this comin first on sys.path, one BLAS thread."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(comin.__file__)))
    return dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
                PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")


@figure("fortran_host_python_callback", target=1.5,
        help="comin_callback_context_call(ep, 1, .FALSE.) in a Fortran host's loop, one empty Python "
             "callback / host.call_ep(ep, 1) of a Python host with the same plugin")
def fortran_host_python_callback(m: Measure) -> Result:
    """Value: the Fortran host's fastest sample (ns per call, its own timer); baseline:
    the Python host's call_ep with the same Python plugin script, measured as ep_python_callback."""
    import subprocess
    import tempfile
    from comin.host import PluginDescription
    with tempfile.TemporaryDirectory() as tmp:
        exe, plugin = _fortran_bench_host(tmp)
        vs: List[float] = []
        bs: List[float] = []
        for _ in range(max(3, m.repeat // 5)):
            out = subprocess.run([exe, "200000", "5", str(EP_ONE), f"cb;libpython_adapter.so;{plugin}"],
                                 check=True, capture_output=True, text=True, env=_host_env()).stdout
            vs.append(float(out.split()[-1]))
            host = Host([PluginDescription.python(plugin, name="cb")], verbosity=0)
            try:
                host.set_global(n_dom=1, nproma=8)
                host.run_primary_constructors()
                host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
                r = m.compare("call_ep(ep, 1)", "f(ep, 1)", call_ep=host.call_ep, f=_empty2, ep=EP_ONE,
                              _repeat=5)
            finally:
                host.finalize()
            bs.append(r.value)
    agg = min if m.stat == "min" else statistics.median
    return Result(agg(vs), agg(bs), vs, bs)


@figure("fortran_host_ep_no_callback_instructions", target=100.0 / UPSTREAM_EP_NO_CALLBACK_INSTRUCTIONS,
        help="instructions per comin_callback_context_call from a Fortran host at an entry point "
             "without callbacks (callgrind, 2N minus N calls; with 1 and with 8 plugins loaded, "
             "the larger) / upstream ComIn's 6483")
def fortran_host_ep_no_callback_instructions(m: Measure) -> Result:
    """The value is instructions per call (not ns), counting the host's loop and the Fortran
    wrapper too; samples: [1 plugin, 8 plugins]."""
    import shutil
    import subprocess
    import tempfile
    if shutil.which("valgrind") is None:
        raise RuntimeError("valgrind is not installed")
    n = 20000
    per_call: List[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        exe, plugin = _fortran_bench_host(tmp)
        for nplugins in (1, 8):
            specs = [f"p{i};libpython_adapter.so;{plugin}" for i in range(nplugins)]
            totals = {}
            for count in (n, 2 * n):
                out = os.path.join(tmp, f"callgrind.{nplugins}.{count}")
                subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", exe,
                                str(count), "1", str(EP_EMPTY), *specs],
                               check=True, capture_output=True, env=_host_env())
                with open(out, encoding="utf-8") as f:
                    totals[count] = next(int(line.split()[1]) for line in f
                                         if line.startswith(("totals:", "summary:")))
            per_call.append((totals[2 * n] - totals[n]) / n)
    value = max(per_call)
    return Result(value, UPSTREAM_EP_NO_CALLBACK_INSTRUCTIONS, per_call,
                  [UPSTREAM_EP_NO_CALLBACK_INSTRUCTIONS])


# -- record and replay (issue: record & replay) --------------------------------------------

_TOUCH_PLUGIN = """
import numpy as np
import comin

handles = []


@comin.EP_SECONDARY_CONSTRUCTOR
def grab():
    for d in comin.var_descr_list():
        h = comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], d, comin.COMIN_FLAG_READ)
        if not h.lcontainer:
            handles.append(h)


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def touch():
    asarray = np.asarray
    for h in handles:
        asarray(h)[0, 0, 0, 0, 0]
"""

_RECORD_CONFIG = dict(grid="R2B4", steps=3)


def _interleaved(value, baseline, repeat: int, stat: str = "min",
                 clock: Callable[[], int] = time.perf_counter_ns) -> Result:
    """Time two whole operations, alternating which goes first; ``stat`` of each side (ns).
    ``clock``: wall-clock time by default; ``time.thread_time_ns`` counts only the CPU time
    of this thread (for work that other processes on a shared machine interrupt often)."""
    vs: List[float] = []
    bs: List[float] = []
    for i in range(repeat):
        for side in ((baseline, bs), (value, vs)) if i % 2 else ((value, vs), (baseline, bs)):
            gc.collect()
            t0 = clock()
            side[0]()
            side[1].append(float(clock() - t0))
    agg = min if stat == "min" else statistics.median
    return Result(agg(vs), agg(bs), vs, bs)


def _record(directory: str, plugins=()) -> None:
    from comin.plugins import recorder
    from comin.hosts.emulator import Config, Emulator
    Emulator(list(plugins) + [f"{recorder.SCRIPT} {directory}"], Config(**_RECORD_CONFIG)).run()


@figure("replay_read", target=0.7, bound=">=",
        help="every recorded variable read with netCDF4 / `comin replay` serving them to a "
             "plugin (R2B4, 3 steps)")
def replay_read(m: Measure) -> Result:
    """Value: open the file and read each recorded variable whole (``v[:]``, no masking);
    baseline: the replay host with a plugin that takes ``np.asarray`` of every variable at
    every recorded event (file checks, descriptive data, every entry-point call included)."""
    import tempfile

    import netCDF4

    from comin.hosts.replay import Replay
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "rec")
        _record(rec)
        plugin = os.path.join(tmp, "touch.py")
        with open(plugin, "w", encoding="utf-8") as f:
            f.write(_TOUCH_PLUGIN)
        path = os.path.join(rec, "0.nc")

        def direct():
            with netCDF4.Dataset(path) as ds:
                ds.set_auto_maskandscale(False)
                for g in ds.groups.values():
                    for v in g.variables.values():
                        if v.dimensions[:1] == ("event",) and "comin_layout" in v.ncattrs():
                            v[:]

        def replay():
            Replay(rec, [plugin]).run()

        replay()                     # warm: page cache, imports
        return _interleaved(direct, replay, max(3, min(m.repeat, 7)), m.stat)


@figure("record_overhead", target=1.5,
        help="emulator run with the recorder / without (R2B4, 3 steps, default selection)")
def record_overhead(m: Measure) -> Result:
    import tempfile

    from comin.hosts.emulator import Config, Emulator
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "rec")

        def without():
            Emulator([], Config(**_RECORD_CONFIG)).run()

        def with_recorder():
            _record(rec)

        with_recorder()
        without()
        return _interleaved(with_recorder, without, max(3, min(m.repeat, 5)), m.stat)


@figure("telemetry_overhead", target=1.02,
        help="emulator steps on R2B4 with the telemetry exporter (temp, pres_sfc reduced "
             "every step) / without")
def telemetry_overhead(m: Measure) -> Result:
    """Value: time-loop steps as Emulator.run calls them (TIMELOOP_START, the integration with
    its entry points, output, TIMELOOP_END) with the exporter; baseline: the same steps of the
    same session with ``emu.call`` a no-op (no entry point at all: ~40 empty calls, <0.01 % of
    a step, would otherwise be in the value only).  One session: a Host at a time.  CPU time
    of this thread (the kernel of the reductions runs in it, without the GIL)."""
    import datetime as _dt

    from comin.emulator import Config, Emulator
    from comin.plugins import telemetry
    steps_per_sample = 1          # many one-step samples: their minimum skips the interrupted
    emu = Emulator([f"{telemetry.PLUGIN_SCRIPT} --listen 127.0.0.1:0 --vars temp,pres_sfc"],
                   Config(grid="R2B4", steps=0), host_kwargs={"profile": True})
    real_call = emu.call
    clock = {"t": _dt.datetime(2026, 1, 1)}
    try:
        emu.setup()
        emu.host.run_primary_constructors()
        emu._expose()
        for name in ("SECONDARY_CONSTRUCTOR", "ATM_INIT_FINALIZE", "ATM_TIMELOOP_BEFORE"):
            emu.call(name)
        dom = emu.domains[1]

        def steps():
            for _ in range(steps_per_sample):
                clock["t"] += _dt.timedelta(seconds=emu.config.dt)
                emu.host.set_datetime(clock["t"].isoformat())
                emu.call("ATM_TIMELOOP_START")
                emu._integrate(dom)
                emu.call("ATM_WRITE_OUTPUT_BEFORE")
                emu.call("ATM_WRITE_OUTPUT_AFTER")
                emu.call("ATM_TIMELOOP_END")

        def with_exporter():
            emu.call = real_call
            steps()

        def without():
            emu.call = lambda name, jg=-1: None
            try:
                steps()
            finally:
                emu.call = real_call

        with_exporter()
        without()
        res = _interleaved(with_exporter, without, max(15, 3 * m.repeat), m.stat,
                           clock=time.thread_time_ns)
        n = steps_per_sample
        return Result(res.value / n, res.baseline / n, [v / n for v in res.value_samples],
                      [b / n for b in res.baseline_samples])
    finally:
        emu.call = real_call
        if not emu.host.finalized:
            emu.call("DESTRUCTOR")
            emu.host.finalize()


# -- MPI figures (run mpiexec; the ranks run this file with `_mpi_worker`) -----------------

def _mpi_worker_halo_sync(repeat: int) -> dict:
    """On every rank: both exchanges timed in the same loop structure, the slower rank counts."""
    from mpi4py import MPI

    from comin.hosts.emulator import Config, Emulator

    def plugin():
        @comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
        def get():
            comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], ("temp", 1),
                          comin.COMIN_FLAG_READ | comin.COMIN_FLAG_SYNC_HALO)

        @comin.register_callback(comin.EP_ATM_WRITE_OUTPUT_BEFORE)
        def empty():
            pass

    emu = Emulator([plugin], Config(grid="R2B4", steps=0, nlev=20))
    emu.setup()
    emu.host.run_primary_constructors()
    emu._expose()
    emu.call("SECONDARY_CONSTRUCTOR")
    dom = emu.domains[1]
    a = dom.fields["temp"]                       # (nproma, nlev, nblks), Fortran order
    halo = dom.patch.halo["cells"]
    comm = MPI.COMM_WORLD.Dup()
    nproma, nlev = a.shape[0], a.shape[1]
    s_jc, s_jb = halo.send_idx % nproma, halo.send_idx // nproma
    r_jc, r_jb = halo.recv_idx % nproma, halo.recv_idx // nproma
    sc, rc = halo.send_counts * nlev, halo.recv_counts * nlev
    sd = np.concatenate([[0], np.cumsum(sc)[:-1]])
    rd = np.concatenate([[0], np.cumsum(rc)[:-1]])
    recvbuf = np.empty((len(r_jc), nlev))

    def direct():
        sendbuf = a[s_jc, :, s_jb]               # (n, nlev), contiguous
        comm.Alltoallv([sendbuf, (sc, sd)], [recvbuf, (rc, rd)])
        a[r_jc, :, r_jb] = recvbuf

    call_ep, ep = emu.host.call_ep, comin.EP_ATM_WRITE_OUTPUT_BEFORE

    def through_comin():
        call_ep(ep, -1)

    loops = 200
    vs, bs = [], []
    gc.disable()
    for i in range(repeat):
        for fn, out in ((direct, bs), (through_comin, vs)) if i % 2 else \
                ((through_comin, vs), (direct, bs)):
            comm.Barrier()
            t0 = time.perf_counter_ns()
            for _ in range(loops):
                fn()
            t = (time.perf_counter_ns() - t0) / loops
            out.append(comm.allreduce(t, op=MPI.MAX))
    gc.enable()
    emu.host.finalize()
    return {"values": vs, "baselines": bs, "halo_points": int(comm.allreduce(len(r_jc)))}


def _mpi_worker_scaling(steps: int) -> dict:
    """Seconds per emulator step on R2B5 (steps 2..n: the first one warms up), slowest rank."""
    from comin.hosts.emulator import Config, Emulator
    stamps: List[float] = []
    emu = Emulator([], Config(grid="R2B5", steps=steps))
    emu.run(progress=lambda step: stamps.append(time.perf_counter()))
    per_step = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    comm = emu.communicator()
    if comm is not None:
        from mpi4py import MPI
        per_step = comm.allreduce(per_step, op=MPI.MAX)
    return {"per_step_ns": per_step * 1e9}


def _mpi_worker(argv: List[str]) -> int:
    what, n = argv[0], int(argv[1])
    out = _mpi_worker_halo_sync(n) if what == "halo_sync" else _mpi_worker_scaling(n)
    from comin.parallel import world_rank
    if world_rank() == 0:
        print("MPI_WORKER " + json.dumps(out), flush=True)
    return 0


def _mpiexec_worker(nranks: int, what: str, n: int) -> dict:
    import subprocess

    from comin.parallel import launcher_environ, mpiexec_command
    cmd = mpiexec_command(nranks, [sys.executable, os.path.abspath(__file__), "_mpi_worker", what, str(n)])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False,
                       env=launcher_environ())
    if r.returncode != 0 or "MPI_WORKER " not in r.stdout:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}{r.stderr[-3000:]}")
    return json.loads(r.stdout.split("MPI_WORKER ", 1)[1].splitlines()[0])


@figure("halo_sync", target=1.2,
        help="halo exchange of a 3-D field through COMIN_FLAG_SYNC_HALO (R2B4, 2 ranks) / "
             "the same exchange written directly with mpi4py")
def halo_sync(m: Measure) -> Result:
    from comin.hosts.emulator import grids as gridmod
    gridmod.load_or_make_global("R2B4")          # the ranks find the grid in the cache
    out = _mpiexec_worker(2, "halo_sync", max(5, min(m.repeat, 15)))
    agg = min if m.stat == "min" else statistics.median
    return Result(agg(out["values"]), agg(out["baselines"]), out["values"], out["baselines"])


@figure("scaling_2ranks", target=None,
        help="emulator step time on R2B5: one rank / two ranks (the speed-up)")
def scaling_2ranks(m: Measure) -> Result:
    from comin.hosts.emulator import grids as gridmod
    gridmod.load_or_make_global("R2B5")
    vs, bs = [], []
    for i in range(max(2, min(m.repeat, 3))):
        order = ((1, vs), (2, bs)) if i % 2 == 0 else ((2, bs), (1, vs))
        for nranks, out in order:
            out.append(_mpiexec_worker(nranks, "scaling", 6)["per_step_ns"])
    agg = min if m.stat == "min" else statistics.median
    return Result(agg(vs), agg(bs), vs, bs)


# -- icon4py (in icon4py's virtual environment) ------------------------------------------

_ICON4PY_STEPS = 2          # steps per timed sample: short samples, many of them (noise)


def _need_icon4py() -> None:
    from comin.hosts.icon4py import environment
    if not environment.icon4py_here():
        raise SkipFigure(f"needs icon4py (Python >= 3.12): run with {environment.venv_python()} "
                         "after tools/install_icon4py.sh")


def _icon4py_reader(names=("rho", "theta_v"), store=None):
    """A plugin that reads ``names`` at every entry point (a value of each field)."""
    def reader():
        eps = [getattr(comin, n) for n in dir(comin) if n.startswith("EP_")
               and n not in ("EP_SECONDARY_CONSTRUCTOR", "EP_FINISH")]
        handles = [] if store is None else store

        def setup():
            handles[:] = [comin.var_get(eps, (v, 1), comin.COMIN_FLAG_READ) for v in names]

        def read():
            for h in handles:
                np.asarray(h)[0, 0, 0, 0, 0]

        comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, setup)
        for ep in eps:
            comin.callback_register(ep, read)
    return reader


@figure("icon4py_comin_overhead", target=1.05,
        help="icon4py JW step on R2B2 (35 levels) with a plugin reading rho, theta_v at every "
             "entry point / the same step of icon4py's driver without comin")
def icon4py_comin_overhead(m: Measure) -> Result:
    _need_icon4py()
    from comin.hosts.icon4py import Experiment, Icon4pyHost
    from comin.hosts.icon4py.host import plain_driver
    exp = Experiment(steps=_ICON4PY_STEPS)
    model = Icon4pyHost([_icon4py_reader()], exp)
    try:
        model.setup()
        drv, ds = plain_driver(exp)
        ours = lambda: model.driver.time_integration(model.states)     # noqa: E731
        theirs = lambda: drv.time_integration(ds)                      # noqa: E731
        ours()
        theirs()                       # the first step of a run differs (initial substep)
        res = _interleaved(ours, theirs, max(5, min(m.repeat, 15)), m.stat)
        n = _ICON4PY_STEPS
        return Result(res.value / n, res.baseline / n, [v / n for v in res.value_samples],
                      [b / n for b in res.baseline_samples])
    finally:
        model.close()


@contextlib.contextmanager
def _icon4py_model(store):
    from comin.hosts.icon4py import Experiment, Icon4pyHost
    model = Icon4pyHost([_icon4py_reader(("rho",), store)], Experiment(steps=1))
    try:
        model.setup()
        yield model
    finally:
        model.close()


def _icon4py_handle(m: Measure, value_stmt: str) -> Result:
    """``value_stmt`` on the handle ``h`` of rho after it followed a swap and back /
    ``np.asarray`` of icon4py's buffer of rho."""
    _need_icon4py()
    handles: list = []
    with _icon4py_model(handles) as model:
        h = handles[0]
        for level in ("next", "current"):          # the handle follows a swap and back
            model.point("prognostic", level)
            nd = getattr(model.states.prognostics, level).rho.ndarray
            assert np.shares_memory(h.__array__(), nd) and np.shares_memory(h.to_3d, nd)
        return m.compare(value_stmt, "asarray(nd)", asarray=np.asarray, h=h, nd=nd)


@figure("icon4py_handle_refresh", target=3.0,
        help="handle.__array__() of icon4py's rho (re-pointed between its time levels) / "
             "np.asarray of icon4py's NumPy buffer")
def icon4py_handle_refresh(m: Measure) -> Result:
    return _icon4py_handle(m, "h.__array__()")


@figure("icon4py_handle_asarray", target=None,
        help="np.asarray(handle) of icon4py's rho (the buffer protocol: a new array per call) / "
             "np.asarray of icon4py's NumPy buffer")
def icon4py_handle_asarray(m: Measure) -> Result:
    return _icon4py_handle(m, "asarray(h)")


@figure("icon4py_handle_to_3d", target=None,
        help="handle.to_3d of icon4py's rho / np.asarray of icon4py's NumPy buffer")
def icon4py_handle_to_3d(m: Measure) -> Result:
    return _icon4py_handle(m, "h.to_3d")


@figure("icon4py_handle_vs_native", target=None,
        help="handle.__array__() of rho / np.asarray(ds.prognostics.current.rho.ndarray), "
             "icon4py's own way to its current buffer")
def icon4py_handle_vs_native(m: Measure) -> Result:
    _need_icon4py()
    handles: list = []
    with _icon4py_model(handles) as model:
        return m.compare("h.__array__()", "asarray(ds.prognostics.current.rho.ndarray)",
                         asarray=np.asarray, h=handles[0], ds=model.states)


@figure("icon4py_repoint", target=None,
        help="the host re-pointing icon4py's 5 prognostic variables to the other time level / "
             "np.asarray(ndarray)")
def icon4py_repoint(m: Measure) -> Result:
    _need_icon4py()
    with _icon4py_model([]) as model:
        nd = model.states.prognostics.current.rho.ndarray
        pair = model.states.prognostics

        def swap_and_point():
            pair.swap()
            model.point("prognostic", "current")

        return m.compare("swap_and_point()", "asarray(nd)", _unroll=2,
                         swap_and_point=swap_and_point, asarray=np.asarray, nd=nd)


def _fmt_ns(x: float) -> str:
    return f"{x:10.1f}"


def main(argv: Optional[List[str]] = None) -> int:
    figure_list = "\n".join(
        f"  {f.name:<27} {f.help} " + (f"(target {f.target_text})" if f.target is not None
                                       else "(report)")
        for f in FIGURES.values())
    parser = argparse.ArgumentParser(
        prog="tools/bench.py",
        description="Benchmark comin's hot paths.  Each figure is the ratio of a comin "
                    "operation to a plain-Python baseline timed in the same run "
                    "(interleaved), because absolute timings on this machine are noisy.  "
                    "Always exits 0; missed targets are listed at the end.",
        epilog="figures (ratio = value / baseline):\n" + figure_list,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", metavar="FILE",
                        help='write {"<name>": {"value": ns, "baseline": ns, "ratio": r}, ...}')
    parser.add_argument("--repeat", "-r", type=int, default=DEFAULT_REPEAT, metavar="N",
                        help=f"timed samples per side and figure (default {DEFAULT_REPEAT}, "
                             f"~{TARGET_SAMPLE_NS // 1_000_000} ms each)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=list(FIGURES),
                        help="run only these figures (default: all)")
    parser.add_argument("--stat", choices=("min", "median"), default="min",
                        help="statistic over the samples (default: min)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    names = args.only or list(FIGURES)
    m = Measure(args.repeat, args.stat)
    print(f"comin {comin.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"ns per operation: {args.stat} of {args.repeat} interleaved samples per side, "
          f"statement unrolled x{UNROLL}, gc off; ratio = value / baseline "
          f"(baseline measured in the same run)")
    header = f"{'figure':<27} {'value ns':>10} {'base ns':>10} {'ratio':>7} {'target':>8}  ok"
    print(header)
    print("-" * len(header))
    results: Dict[str, Result] = {}
    missed: List[str] = []
    errors: List[str] = []
    skipped: List[str] = []
    for name in names:
        fig = FIGURES[name]
        try:
            res = fig.func(m)
        except SkipFigure as exc:
            skipped.append(name)
            print(f"{name:<27} {'SKIP':>10}  {exc}", flush=True)
            continue
        except Exception:
            traceback.print_exc()
            errors.append(name)
            print(f"{name:<27} {'ERROR':>10}", flush=True)
            continue
        results[name] = res
        if fig.target is None:
            target, verdict = "report", "-"
        else:
            ok = fig.meets(res.ratio)
            if not ok:
                missed.append(name)
            target, verdict = fig.target_text, "PASS" if ok else "MISS"
        print(f"{name:<27} {_fmt_ns(res.value)} {_fmt_ns(res.baseline)} {res.ratio:7.2f} "
              f"{target:>8}  {verdict}", flush=True)
    print("-" * len(header))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if missed:
        print(f"targets missed ({len(missed)}/{len(names)}): {', '.join(missed)}")
    elif results:
        print(f"all targets met ({len(results)} figures)")
    if errors:
        print(f"figures that failed to run: {', '.join(errors)}")
    if skipped:
        print(f"figures skipped here: {', '.join(skipped)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({n: {"value": r.value, "baseline": r.baseline, "ratio": r.ratio}
                       for n, r in results.items()}, f, indent=2)
            f.write("\n")
    return 1 if errors else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["_mpi_worker"]:
        sys.exit(_mpi_worker(sys.argv[2:]))
    sys.exit(main())

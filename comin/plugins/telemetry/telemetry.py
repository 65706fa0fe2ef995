"""comin's telemetry plugin: a Prometheus exporter of a running model.

An ordinary ComIn Python plugin: ICON loads it by path (``comin plugin-path
telemetry`` prints it)::

    plugin_list(2)%name           = "telemetry"
    plugin_list(2)%plugin_library = "libpython_adapter.so"
    plugin_list(2)%options        = "<path> --listen 127.0.0.1:9180 --vars temp,pres_sfc"

and ``comin run --telemetry [ADDR:]PORT [--telemetry-vars temp,pres_sfc]``
(``comin replay`` too) loads it for you.  On rank 0 it starts the endpoint,
a small process of its own (``server.py``: a C or Fortran host keeps Python's
GIL between callbacks, an HTTP thread would hardly ever run), which serves on
one port ``/metrics`` for Prometheus, ``/`` a live page plotting the run,
and ``/api/history`` the page's data; the plugin hands it its numbers after
each step (at most once a second) and at the end of the time loop.
Other ranks open no port.

Options: ``--listen [ADDR:]PORT`` (default 127.0.0.1:9180; port 0: any free
one, printed), ``--vars NAME,NAME`` (variables to reduce, on every domain
where they exist), ``--ep EP_NAME`` (entry point of the reductions, default
EP_ATM_TIMELOOP_END), ``--every N`` (every N-th call of it, default 1),
``--tls-cert FILE --tls-key FILE`` (HTTPS), ``--basic-auth-file FILE`` (one
line ``user:password``), ``--linger SECONDS`` (keep serving after the run
ended, so a last scrape sees the final values), ``--history N`` (samples the
live page keeps, default 10000), ``--config FILE`` (more options, read from
FILE: ComIn allows a plugin 256 characters of options).

Metrics (Prometheus names; values of the whole run, reduced over ranks):

* ``comin_simulation_time_seconds``: simulated time since the experiment start,
  ``comin_simulation_end_time_seconds``: where the run stops (same clock),
  ``comin_steps_total``: time steps done (EP_ATM_TIMELOOP_END calls),
  ``comin_model_speed_ratio``: simulated seconds per wall second (last step),
  ``comin_step_duration_seconds`` (summary: ``_sum``, ``_count``) and
  ``comin_last_step_duration_seconds``: wall time per step;
* ``comin_entry_point_calls_total{plugin,entry_point}``,
  ``comin_entry_point_seconds_total{plugin,entry_point}``: calls and time in
  callbacks, the numbers of ``comin run``'s summary table (rank 0's), read
  from the host's profiling through ``comin.profile_get_timings`` -- a comin
  extension: on upstream ComIn these two series are left out (said once);
* ``comin_variable_mean{variable,domain}``, ``comin_variable_min``,
  ``comin_variable_max``, ``comin_variable_nan_count``: per chosen variable,
  over the prognostic points of the domain on all ranks (no halo, no lateral
  boundary, no padding); the mean is area-weighted for cell fields (all
  levels alike; plain for edges and vertices), NaNs are counted and left out;
  ``comin_variable_info{variable,domain,units,long_name}``;
* ``comin_rank_resident_memory_bytes{rank}``, ``comin_exporter_seconds_total{rank}``
  (time in this plugin's callbacks), ``comin_exporter_scrape_seconds_total``,
  ``comin_exporter_reductions_total``, ``comin_exporter_errors_total``,
  ``comin_host_ranks``, ``comin_run_info``, and prometheus_client's
  ``process_*`` of rank 0.

Per-rank values and the variables' partial results travel to rank 0 in one
``Gather`` at each reduction (collective: choose an entry point that every
host rank calls).  Bad options, an address that cannot be used, a variable
the host does not expose: one line naming the option, at the primary (or,
for variables, the secondary) constructor.  A failure later is logged once
and never stops the model.

Upstream ComIn runs this file with ``comin`` being its adapter's module:
only ComIn's plugin API is used then; the sibling modules are loaded by path.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import shlex
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

import comin

#: ``finish`` routine of bad options
ROUTINE = "comin_telemetry"
DEFAULT_PORT = 9180
DEFAULT_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"
DEFAULT_EP = "EP_ATM_TIMELOOP_END"
#: samples of the live page kept in memory
DEFAULT_HISTORY = 10000
#: ComIn's horizontal grids (the same numbers in every ComIn version)
HGRID_CELL, HGRID_EDGE, HGRID_VERTEX = 1, 2, 3
_HGRID = {HGRID_CELL: ("cells", "ncells", "cell"), HGRID_EDGE: ("edges", "nedges", "edge"),
          HGRID_VERTEX: ("verts", "nverts", "vertex")}
#: entry points that cannot carry the reductions
_NO_REDUCE = ("EP_FINISH", "EP_SECONDARY_CONSTRUCTOR")
#: the exporters of this process that serve now (rank 0's), see :func:`serving`
_SERVING: list = []
#: what ComIn's ``finish`` raises in comin (upstream's does not return)
_FINISH = tuple(getattr(comin, n) for n in ("ComInFinish",) if hasattr(comin, n))


def _here() -> str:
    """This file's directory (upstream's adapter runs the script without ``__file__``: its
    path is then the first word of the plugin's options)."""
    path = globals().get("__file__")
    if not path:
        path = shlex.split(comin.current_get_plugin_info().options)[0]
    return os.path.dirname(os.path.abspath(path))


def _sibling(name: str):
    """Module ``name`` of this directory: from the package in comin, by path elsewhere."""
    import importlib
    try:
        return importlib.import_module(f"comin.plugins.telemetry.{name}")
    except ImportError:
        pass
    import importlib.util
    modname = f"comin_telemetry_{name}"
    if modname not in sys.modules:
        spec = importlib.util.spec_from_file_location(modname, os.path.join(_here(), name + ".py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        spec.loader.exec_module(module)
    return sys.modules[modname]


# -- options --------------------------------------------------------------------------------

class OptionError(ValueError):
    """Bad options (the message is one line naming the option)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise OptionError(message)


def parse_listen(text: str) -> Tuple[str, int]:
    """``"[ADDR:]PORT"`` -> (address, port); the address defaults to 127.0.0.1."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host = "127.0.0.1"
    host = host.strip("[]") if host.startswith("[") else host
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise OptionError(f"expected [ADDR:]PORT with a port 0..65535 (0: any free port), "
                          f"got {text!r}")
    if not host:
        raise OptionError(f"no address before the port in {text!r} (write 0.0.0.0:PORT to "
                          "listen on every interface)")
    return host, int(port)


def parse_vars(text: str) -> Tuple[str, ...]:
    """``"temp,pres_sfc"`` -> names (non-empty, at most ComIn's 64 characters each)."""
    names: List[str] = []
    for word in text.replace(" ", ",").split(","):
        if not word:
            continue
        if len(word) > 64:
            raise OptionError(f"variable name longer than ComIn's 64 characters: {word!r}")
        if word not in names:
            names.append(word)
    if not names:
        raise OptionError("no variable name given")
    return tuple(names)


def parse_ep(text: str) -> str:
    """An entry point name (``EP_`` prefix and case optional) -> ``EP_...``."""
    name = text.strip().upper()
    if not name.startswith("EP_"):
        name = "EP_" + name
    if not hasattr(getattr(comin, name, None), "__index__"):
        raise OptionError(f"unknown entry point {text!r} (entry points are named like "
                          f"{DEFAULT_EP})")
    if name in _NO_REDUCE:
        raise OptionError(f"{name} cannot carry the reductions; choose an entry point of the "
                          "time loop, e.g. EP_ATM_TIMELOOP_END or EP_ATM_WRITE_OUTPUT_BEFORE")
    return name


def _expand_config(args: Sequence[str]) -> List[str]:
    """``--config FILE`` replaced by the options in FILE (shell words, ``#`` comments): ComIn
    limits a plugin's options to 256 characters, which certificate paths soon exceed."""
    out: List[str] = []
    words = list(args)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--config" or word.startswith("--config="):
            if word == "--config":
                if i + 1 >= len(words):
                    raise OptionError("--config: expected a file of options")
                path, i = words[i + 1], i + 2
            else:
                path, i = word.split("=", 1)[1], i + 1
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError as exc:
                raise OptionError(f"--config {path}: cannot read it: {exc.strerror}") from None
            try:
                inner = shlex.split(text, comments=True)
            except ValueError as exc:
                raise OptionError(f"--config {path}: {exc}") from None
            if any(w == "--config" or w.startswith("--config=") for w in inner):
                raise OptionError(f"--config {path}: a config file cannot name another")
            out += inner
            continue
        out.append(word)
        i += 1
    return out


def parse_options(args: Sequence[str]) -> argparse.Namespace:
    """The plugin's options (``--config FILE`` expanded); :class:`OptionError` names the
    bad one."""
    args = _expand_config(args)
    p = _Parser(prog="telemetry", add_help=False)
    p.add_argument("--listen", default=DEFAULT_LISTEN)
    p.add_argument("--vars", default=None)
    p.add_argument("--ep", default=DEFAULT_EP)
    p.add_argument("--every", type=int, default=1)
    p.add_argument("--tls-cert", default=None)
    p.add_argument("--tls-key", default=None)
    p.add_argument("--basic-auth-file", default=None)
    p.add_argument("--linger", type=float, default=0.0)
    p.add_argument("--history", type=int, default=DEFAULT_HISTORY)
    opts = p.parse_args(list(args))

    def check(option, fn, value):
        try:
            return fn(value)
        except OptionError as exc:
            raise OptionError(f"{option} {value!r}: {exc}") from None

    opts.host, opts.port = check("--listen", parse_listen, opts.listen)
    opts.vars = check("--vars", parse_vars, opts.vars) if opts.vars is not None else ()
    opts.ep = check("--ep", parse_ep, opts.ep)
    if opts.every < 1:
        raise OptionError(f"--every {opts.every}: reduce every N-th call, N >= 1")
    if not 0 <= opts.linger <= 3600:
        raise OptionError(f"--linger {opts.linger:g}: seconds between 0 and 3600")
    if opts.history < 1:
        raise OptionError(f"--history {opts.history}: at least 1 sample")
    if (opts.tls_cert is None) != (opts.tls_key is None):
        raise OptionError("--tls-cert and --tls-key go together (the certificate and its key)")
    return opts


# -- helpers ---------------------------------------------------------------------------------

def _host_comm() -> Tuple[object, int, bool]:
    """(host communicator, rank, mpi4py missing): the communicator (mpi4py) when the host
    runs on several ranks, else None.

    In comin a run without an MPI launcher never initialises MPI (rank 0).
    Upstream ComIn's host (ICON) is an MPI program: mpi4py is used when it is
    installed, else ComIn's rank alone is known (rank 0 then serves its own
    values only).
    """
    try:
        from comin.parallel import initialised_world, launcher_size
        if initialised_world() is None and launcher_size() <= 1:
            return None, 0, False
    except ImportError:
        pass
    try:
        from mpi4py import MPI
    except ImportError:
        return None, int(comin.parallel_get_host_mpi_rank()), True
    comm = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
    return (comm if comm.Get_size() > 1 else None), comm.Get_rank(), False


class ResidentMemory:
    """This process's resident memory in bytes: Linux's /proc/self/statm, kept open (opening
    it costs ~80 us in a busy model, re-reading ~15 us); elsewhere the peak (getrusage)."""

    def __init__(self):
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        try:
            self._fd: Optional[int] = os.open("/proc/self/statm", os.O_RDONLY)
        except OSError:
            self._fd = None

    def __call__(self) -> float:
        if self._fd is not None:
            try:
                return float(int(os.pread(self._fd, 256, 0).split()[1]) * self._page)
            except (OSError, ValueError, IndexError):
                pass
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return float(peak if sys.platform == "darwin" else peak * 1024)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _parse_time(text: str) -> Optional[_dt.datetime]:
    text = (text or "").strip()
    if text.endswith("Z"):
        text = text[:-1]
    try:
        t = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return t.replace(tzinfo=None)


def _num(x) -> Optional[float]:
    """A JSON-able number (NaN and infinities are null)."""
    x = float(x)
    return x if x == x and abs(x) != float("inf") else None


def _opt(x) -> Optional[float]:
    return None if x is None else _num(x)


class _Variable:
    """One chosen variable on one domain: its handle, how its array becomes an
    (nproma, nlev, nblks) view, and where its points lie."""

    def __init__(self, name: str, jg: int, handle, plan, points, units: str, long_name: str):
        self.name, self.jg, self.handle = name, jg, handle
        self.index, self.axes, self.flat = plan
        self.points, self.units, self.long_name = points, units, long_name
        self.key = f"{name}|{jg}"

    def field(self) -> np.ndarray:
        """The current values as an (nproma, nlev, nblks) view of the host's array (taken
        anew each time: a host may point the variable to another array)."""
        v = np.asarray(self.handle)[self.index].transpose(self.axes)
        return v[:, None, :] if self.flat else v


# -- the exporter --------------------------------------------------------------------------

#: the endpoint gets the numbers at most once per this many wall seconds (and at the end):
#: waking another process costs the model's rank 0 a context switch
PUBLISH_SECONDS = 1.0
#: the live page's history gets a sample at most once per this many wall seconds
SAMPLE_SECONDS = 0.2
#: samples kept for the endpoint while it cannot take them
MAX_PENDING_SAMPLES = 1000
#: resident memory is read at most once per this many wall seconds (at a reduction)
RSS_SECONDS = 1.0


class Exporter:
    """One telemetry plugin instance (see the module's docstring).

    The model's thread does as little as it can per step: the step count, two
    clock readings (parsed only when a snapshot is made), the reductions when due;
    on rank 0 a history sample at most every SAMPLE_SECONDS and a snapshot for the
    endpoint process at most every PUBLISH_SECONDS (channel.Sidecar, which never
    blocks).
    """

    def __init__(self, opts: argparse.Namespace):
        self._reduce = _sibling("reduce")
        self.opts = opts
        self.comm, self.rank, self._no_mpi4py = _host_comm()
        self.size = self.comm.Get_size() if self.comm is not None else 1
        self.timings = getattr(comin, "profile_get_timings", None)
        self.variables: List[_Variable] = []
        self.steps = 0
        self.durations = (0, 0.0)                 # steps timed, their wall seconds
        self.marks: Tuple[Optional[tuple], Optional[tuple]] = (None, None)  # (wall, datetime)
        self.sim_end: Optional[float] = None
        self.cost = 0.0
        self.reductions = 0
        self.errors = 0
        self.stats: Dict[str, Tuple[float, float, float, float]] = {}
        self.rss = [float("nan")] * self.size
        self.costs = [float("nan")] * self.size
        self.seq = 0
        self.state = "starting"
        self.info: Dict[str, str] = {}
        self.note = ""
        self._logged: set = set()
        self._t_ref: Optional[_dt.datetime] = None
        self._parsed: Dict[str, Optional[float]] = {}
        self._calls: Dict[int, int] = {}
        self._rss = ResidentMemory()
        self._rss_at = -RSS_SECONDS
        self._rss_value = float("nan")
        self._published_at = -PUBLISH_SECONDS
        self._sampled_at = -SAMPLE_SECONDS
        self._samples: List[dict] = []
        self._local = self._gathered = None
        self._vectors()
        self.sidecar = None
        self.url = ""
        if self.rank == 0:
            channel = _sibling("channel")
            self.sidecar = channel.Sidecar({
                "host": opts.host, "port": opts.port, "option": "--listen",
                "tls_cert": opts.tls_cert, "tls_key": opts.tls_key,
                "basic_auth_file": opts.basic_auth_file, "history": opts.history,
                "parent_pid": os.getpid()})
            self.url = self.sidecar.url
            _SERVING.append(self)
            local = opts.host in ("127.0.0.1", "::1", "localhost")
            _say(f"serving {self.url} (Prometheus scrapes /metrics)"
                 + ("" if local or opts.basic_auth_file else "; warning: listening beyond this "
                    "machine without --basic-auth-file"))

    # -- registration ------------------------------------------------------------------------
    def register(self) -> None:
        reduce_here = self.opts.ep == "EP_ATM_TIMELOOP_END"
        comin.EP_SECONDARY_CONSTRUCTOR(self._secondary)
        comin.EP_ATM_TIMELOOP_START(self._timeloop_start)
        comin.EP_ATM_TIMELOOP_END(self._timeloop_end_reduce if reduce_here else self._timeloop_end)
        if not reduce_here:
            getattr(comin, self.opts.ep)(self._reduce_cb)
        comin.EP_ATM_TIMELOOP_AFTER(self._timeloop_after)
        comin.EP_DESTRUCTOR(self._destructor)
        comin.EP_FINISH(self._finish)

    # -- the secondary constructor: variables, run information ---------------------------
    def _secondary(self) -> None:
        t0 = time.perf_counter()
        ok = True
        try:
            self.setup()
        except OptionError as exc:
            self.stop()
            comin.finish(ROUTINE, str(exc))
        except _FINISH:
            raise
        except Exception as exc:  # noqa: BLE001 - the model goes on without telemetry
            ok = False
            self._failed("the secondary constructor", exc)
        if self.comm is not None:      # the ranks agree on what they gather
            from mpi4py import MPI
            ok = bool(self.comm.allreduce(int(ok), op=MPI.MIN))
        if not ok:
            self.variables = []
        self._vectors()
        self.state = "running"
        self._publish(t0, force=True)
        self.cost += time.perf_counter() - t0

    def _vectors(self) -> None:
        """The buffers of the Gather: resident memory, exporter time, then the partials."""
        self._local = np.full(2 + self._reduce.PARTIAL * len(self.variables), np.nan)
        if self.comm is not None and self.rank == 0:
            self._gathered = np.empty((self.size, self._local.size))

    def setup(self) -> None:
        glob = comin.descrdata_get_global()
        n_dom = int(glob.n_dom)
        try:
            si = comin.descrdata_get_simulation_interval()
            self._t_ref = _parse_time(si.exp_start)
            stop = _parse_time(si.run_stop)
            if self._t_ref is not None and stop is not None:
                self.sim_end = (stop - self._t_ref).total_seconds()
            self.info.update(exp_start=si.exp_start, exp_stop=si.exp_stop,
                             run_start=si.run_start, run_stop=si.run_stop)
        except Exception:  # noqa: BLE001 - a host without a simulation interval
            pass
        now = comin.current_get_datetime()
        if self._t_ref is None:
            self._t_ref = _parse_time(now)
        self.marks = (None, (None, now))
        for key in ("host_revision", "host_git_branch"):
            value = _attr(glob, key, "")
            if value:
                self.info[key] = str(value)
        self.info.update(comin_version=".".join(map(str, comin.setup_get_version())),
                         ranks=str(self.size), reduce_ep=self.opts.ep,
                         reduce_every=str(self.opts.every))
        self._choose(glob, n_dom)
        if self.rank == 0:
            if self.timings is None:
                self.note = ("this ComIn has no profile_get_timings (a comin extension): "
                             "comin_entry_point_calls_total and comin_entry_point_seconds_total "
                             "are not exported")
            elif self.timings() is None:
                self.note = ("the host does not profile its callbacks (comin: Host(profile="
                             "True); comin run and comin replay do): comin_entry_point_calls_total "
                             "and comin_entry_point_seconds_total are not exported")
            if self.note:
                _say(self.note)
            if self._no_mpi4py:
                _say("mpi4py is not installed: on several ranks the values are rank 0's only")

    def _choose(self, glob, n_dom: int) -> None:
        names = list(self.opts.vars)
        if not names:
            return
        exposed = [(str(n), int(j)) for n, j in comin.var_descr_list()]
        plans: Dict[Tuple[int, int], object] = {}
        chosen = []
        for name in names:
            where = sorted(j for n, j in exposed if n == name and 1 <= j <= n_dom)
            if not where:
                shown = ", ".join(sorted({n for n, _ in exposed})) or "none"
                raise OptionError(f"--vars {name}: the host exposes no variable of that name "
                                  f"(exposed: {shown})")
            for jg in where:
                descr = (name, jg)
                hgrid = _metadata(descr, "hgrid_id", HGRID_CELL)
                if hgrid not in _HGRID:
                    raise OptionError(f"--vars {name}: on domain {jg} its hgrid_id is {hgrid}, "
                                      "not cells, edges or vertices")
                if hgrid != HGRID_CELL and self.size > 1:
                    raise OptionError(f"--vars {name}: it lives on {_HGRID[hgrid][0]}; on "
                                      f"{self.size} ranks only cell fields are reduced (ComIn "
                                      f"does not say which rank owns an {_HGRID[hgrid][2]})")
                handle = comin.var_get([getattr(comin, self.opts.ep)], descr, comin.COMIN_FLAG_READ)
                if (jg, hgrid) not in plans:
                    plans[(jg, hgrid)] = self._points(glob, jg, hgrid)
                points = plans[(jg, hgrid)]
                array = np.asarray(handle)
                try:
                    plan = self._reduce.view_plan(array.shape, [int(d) for d in handle.dim_semantics])
                except ValueError as exc:
                    raise OptionError(f"--vars {name}: cannot reduce it on domain {jg}: "
                                      f"{exc}") from None
                var = _Variable(name, jg, handle, plan, points,
                                str(_metadata(descr, "units", "") or ""),
                                str(_metadata(descr, "long_name", "") or ""))
                view = var.field()
                if view.shape[0] != points.nproma or view.shape[2] != points.nblks:
                    raise OptionError(f"--vars {name}: its array on domain {jg} is "
                                      f"{view.shape[0]} x {view.shape[2]} (nproma x blocks), "
                                      f"the grid's {points.nproma} x {points.nblks}")
                chosen.append(var)
        self.variables = chosen

    def _points(self, glob, jg: int, hgrid: int):
        group, count, _ = _HGRID[hgrid]
        sub = getattr(comin.descrdata_get_domain(jg), group)
        nproma = int(glob.nproma)
        n = int(getattr(sub, count))
        width = _attr(glob, "grf_bdywidth_e" if hgrid == HGRID_EDGE else "grf_bdywidth_c", 4)
        refin = _attr(sub, "refin_ctrl", None)
        decomp = _attr(sub, "decomp_domain", None) if hgrid == HGRID_CELL else None
        if refin is None and decomp is None:
            refin = np.zeros((nproma, int(sub.nblks)), np.int32)
        mask = self._reduce.prognostic(n, nproma, refin, decomp, int(width))
        weights = np.asarray(sub.area) if hgrid == HGRID_CELL else None
        return self._reduce.Points(mask, weights, nproma)

    # -- the time loop -----------------------------------------------------------------------
    def _timeloop_start(self) -> None:
        prev, mark = self.marks
        if mark is not None and mark[0] is None:       # the first step starts now
            self.marks = (prev, (time.perf_counter(), mark[1]))

    def _step(self, now: float) -> None:
        """One step done: its count and the two clock readings (parsed when asked for)."""
        mark = (now, comin.current_get_datetime())
        prev = self.marks[1]
        self.steps += 1
        if prev is not None and prev[0] is not None:
            n, total = self.durations
            self.durations = (n + 1, total + (now - prev[0]))
        self.marks = (prev, mark)

    def _timeloop_end(self) -> None:
        t0 = time.perf_counter()
        try:
            self._step(t0)
        except _FINISH:
            raise
        except Exception as exc:  # noqa: BLE001 - logged once, the model goes on
            self._failed("EP_ATM_TIMELOOP_END", exc)
        self._publish(t0)
        self.cost += time.perf_counter() - t0

    def _timeloop_end_reduce(self) -> None:
        t0 = time.perf_counter()
        try:
            self._step(t0)
        except _FINISH:
            raise
        except Exception as exc:  # noqa: BLE001
            self._failed("EP_ATM_TIMELOOP_END", exc)
        self._reduce_at(-1, t0)
        self._publish(t0)
        self.cost += time.perf_counter() - t0

    def _reduce_cb(self) -> None:
        t0 = time.perf_counter()
        try:
            jg = comin.current_get_domain_id()
        except Exception:  # noqa: BLE001 - upstream raises outside a domain loop
            jg = -1
        self._reduce_at(jg, t0)
        self.cost += time.perf_counter() - t0

    def _reduce_at(self, jg: int, now: float) -> None:
        """The reductions of this call (every ``--every``-th per domain): local partials,
        one Gather to rank 0, the global values there.  Every rank takes part in the
        Gather whatever failed before it, so no rank waits forever."""
        n = self._calls.get(jg, 0)
        self._calls[jg] = n + 1
        if n % self.opts.every:
            return
        width = self._reduce.PARTIAL
        nan_part = (float("nan"),) * width
        parts: List[Optional[tuple]] = [None] * len(self.variables)
        try:
            if now - self._rss_at >= RSS_SECONDS:
                self._rss_at = now
                self._rss_value = self._rss()
            for k, var in enumerate(self.variables):
                if jg != -1 and var.jg != jg:
                    continue
                try:
                    parts[k] = var.points.partial(var.field())
                except Exception as exc:  # noqa: BLE001
                    parts[k] = nan_part
                    self._failed(f"reducing {var.name} on domain {var.jg}", exc)
        except Exception as exc:  # noqa: BLE001
            self._failed("the reductions", exc)
        try:
            combine = self._reduce.combine
            stats = dict(self.stats) if self.rank == 0 else {}
            if self.comm is not None:
                local = self._local
                local[0], local[1] = self._rss_value, self.cost
                for k, part in enumerate(parts):
                    if part is not None:
                        local[2 + k * width: 2 + (k + 1) * width] = part
                self.comm.Gather(local, self._gathered, root=0)
                if self.rank != 0:
                    return
                gathered = self._gathered
                for k, var in enumerate(self.variables):
                    if parts[k] is not None:
                        stats[var.key] = combine(gathered[:, 2 + k * width: 2 + (k + 1) * width])
                self.rss = gathered[:, 0].tolist()
                self.costs = gathered[:, 1].tolist()
            else:
                for k, var in enumerate(self.variables):
                    if parts[k] is not None:
                        stats[var.key] = combine(parts[k])
                self.rss = [self._rss_value]
                self.costs = [self.cost]
            self.stats = stats                       # one assignment: scrapes see whole sets
            self.reductions += 1
        except _FINISH:
            raise
        except Exception as exc:  # noqa: BLE001
            self._failed("gathering the reductions", exc)

    # -- derived values (parsed lazily: the model thread only keeps the strings) -----------
    def _sim(self, text: Optional[str]) -> Optional[float]:
        """Simulated seconds since the experiment start of a ComIn datetime string."""
        if text is None or self._t_ref is None:
            return None
        value = self._parsed.get(text, False)
        if value is False:
            t = _parse_time(text)
            value = None if t is None else (t - self._t_ref).total_seconds()
            if len(self._parsed) > 64:
                self._parsed = {}
            self._parsed[text] = value
        return value

    def timing(self, marks=None, steps: Optional[int] = None) -> dict:
        """Simulated time, datetime, speed and the last step's wall time, derived from the
        clock readings ``marks`` (default: the latest) after ``steps`` steps."""
        prev, mark = self.marks if marks is None else marks
        steps = self.steps if steps is None else steps
        out = {"sim": None, "datetime": "", "speed": None, "step_seconds": None}
        if mark is None:
            return out
        sim = self._sim(mark[1])
        out["sim"] = sim
        t = _parse_time(mark[1])
        out["datetime"] = t.isoformat() if t is not None else mark[1]
        if prev is not None and prev[0] is not None and mark[0] is not None and steps:
            wall = mark[0] - prev[0]
            out["step_seconds"] = wall
            before = self._sim(prev[1])
            if sim is not None and before is not None and wall > 0:
                out["speed"] = (sim - before) / wall
        return out

    def _sample(self) -> dict:
        """One point of the live page's history: the numbers now."""
        t = self.timing()
        return {"t": time.time(), "step": self.steps, "sim": _opt(t["sim"]),
                "datetime": t["datetime"], "speed": _opt(t["speed"]),
                "step_seconds": _opt(t["step_seconds"]),
                "vars": {k: [_num(v[2]), _num(v[0]), _num(v[1]), _num(v[3])]
                         for k, v in self.stats.items()},
                "rss": [_num(x) for x in self.rss], "cost": [_num(x) for x in self.costs]}

    def _snapshot(self) -> dict:
        """Everything the endpoint serves, as one JSON-able object (see server.Run): the
        latest sample, the samples since the last snapshot, the rest of the numbers."""
        timings = None
        if self.timings is not None and not self.note:
            timings = [[p, ep, n, _num(sec)] for p, ep, n, sec in self.timings()]
        self.seq += 1
        latest = self._samples[-1] if self._samples else self._sample()
        return {
            "seq": self.seq, "t": latest["t"], "state": self.state, "steps": latest["step"],
            "sim": latest["sim"], "datetime": latest["datetime"], "speed": latest["speed"],
            "step_seconds": latest["step_seconds"],
            "durations": [self.durations[0], self.durations[1]], "sim_end": _opt(self.sim_end),
            "timings": timings,
            "variables": [{"key": v.key, "name": v.name, "domain": v.jg, "units": v.units,
                           "long_name": v.long_name} for v in self.variables],
            "stats": latest["vars"], "rss": latest["rss"], "cost": latest["cost"],
            "reductions": self.reductions, "errors": self.errors, "ranks": self.size,
            "info": dict(self.info), "note": self.note, "samples": self._samples}

    def _publish(self, now: float, force: bool = False) -> None:
        """Rank 0: a history sample at most every SAMPLE_SECONDS, the numbers to the endpoint
        at most every PUBLISH_SECONDS; ``force``: both now, and wait until the endpoint
        has them."""
        if self.sidecar is None:
            return
        try:
            if force or now - self._sampled_at >= SAMPLE_SECONDS:
                self._sampled_at = now
                self._samples.append(self._sample())
                del self._samples[:-MAX_PENDING_SAMPLES]
            if not force and now - self._published_at < PUBLISH_SECONDS:
                return
            self._published_at = now
            if self.sidecar.send(self._snapshot(), ack=force):
                self._samples = []
            if self.sidecar.broken:
                raise OSError("the endpoint process is gone")
        except Exception as exc:  # noqa: BLE001 - the model goes on
            self._failed("publishing to the endpoint", exc)

    # -- the end -----------------------------------------------------------------------------
    def _timeloop_after(self) -> None:
        t0 = time.perf_counter()
        self._publish(t0, force=True)            # the endpoint serves the whole loop now
        self.cost += time.perf_counter() - t0

    def _destructor(self) -> None:
        self.state = "finished"
        if self.sidecar is not None:
            self._publish(time.perf_counter(), force=True)
            if self.opts.linger > 0:
                time.sleep(self.opts.linger)
        self.stop()

    def _finish(self) -> None:
        self.state = "failed"
        self._publish(time.perf_counter(), force=True)
        self.stop()

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        self._rss.close()
        sidecar, self.sidecar = self.sidecar, None
        if self in _SERVING:
            _SERVING.remove(self)
        if sidecar is not None:
            try:
                sidecar.close()
            except Exception as exc:  # noqa: BLE001
                self._failed("stopping the endpoint", exc)

    def _failed(self, where: str, exc: BaseException) -> None:
        """A failure during the run: counted; its first occurrence per place logged."""
        self.errors += 1
        if where in self._logged:
            return
        self._logged.add(where)
        rank = f" (rank {self.rank})" if self.size > 1 else ""
        _say(f"{where} failed{rank}: {type(exc).__name__}: {exc}; the model goes on, the "
             "exporter without it (logged once)")


def serving() -> List[str]:
    """The URLs of the endpoints this process serves now (``--listen ...:0`` picks a free
    port: this says which), for other plugins and notebooks in the same process."""
    return [e.url for e in list(_SERVING)]


def _metadata(descr, key: str, default):
    try:
        return comin.metadata_get(descr, key)
    except Exception:  # noqa: BLE001 - a key the host did not set
        return default


def _attr(obj, name: str, default):
    try:
        value = getattr(obj, name)
    except Exception:  # noqa: BLE001 - not every ComIn (or host) has every field
        return default
    return default if value is None else value


def _say(text: str) -> None:
    print(f"{ROUTINE}: {text}", file=sys.stderr, flush=True)


def plugin_main(args: Sequence[str]) -> Exporter:
    """The primary constructor: parse ``args``, start the endpoint (rank 0), register."""
    channel = _sibling("channel")
    try:
        opts = parse_options(args)
    except OptionError as exc:
        comin.finish(ROUTINE, f"bad options {' '.join(args)!r}: {exc}")
    try:
        exporter = Exporter(opts)
    except (OptionError, channel.ChannelError) as exc:
        comin.finish(ROUTINE, str(exc))
    except ImportError as exc:
        comin.finish(ROUTINE, f"cannot start: {exc}")
    exporter.register()
    return exporter


# A Python adapter runs this file as a script (no module spec; upstream's gives it not even
# __file__ or __name__); importing it as comin.plugins.telemetry.telemetry runs nothing.
if globals().get("__spec__") is None:
    try:
        _args = comin.current_get_plugin_info().args
    except Exception:  # noqa: BLE001 - no ComIn session: not loaded by a host
        sys.exit("comin/plugins/telemetry/telemetry.py is a ComIn plugin: load it into a host, "
                 "e.g. comin run --telemetry 9180 my_plugin.py")
    try:           # comin: one copy of the code, whoever loads the script
        from comin.plugins.telemetry import telemetry as _module
        _main = _module.plugin_main
    except ImportError:          # upstream ComIn: this file's own definitions
        _main = plugin_main
    _main(_args)

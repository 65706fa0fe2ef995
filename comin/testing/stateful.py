"""ComIn's lifecycle as a hypothesis state machine: random sequences of host and plugin calls.

:class:`ComInLifecycle` drives a comin :class:`~comin.host.Host` with Python
plugins one step at a time and, beside it, the executable specification
(:mod:`comin.testing.model`).  Each step is one rule: plugin operations queued
for the primary or the secondary constructor, the host running the primary
constructors, exposing a variable, calling the secondary constructor, plugin
operations inside a time-loop callback, or the host calling any entry point
with any domain.  After every step the results and error codes of the
operations, the callbacks that ran (and their order), the halo exchanges the
host's function received and the access lists must equal the model's; a
failure shrinks to the shortest sequence of steps, which hypothesis prints.

Use it in a test module (as the conformance suite does)::

    from comin.testing.stateful import ComInLifecycle
    TestComInLifecycle = ComInLifecycle.TestCase

Plugin operations are the conformance drivers' (:mod:`comin.testing.pyops`) and
run inside plugin context exactly where ComIn allows a plugin to act: the
primary constructor, the secondary constructor (an ``EP_SECONDARY_CONSTRUCTOR``
callback) and a time-loop callback (``EP_ATM_TIMELOOP_START``); each plugin
registers those two driver callbacks first, and every callback a plugin
registers through an operation records that it ran.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from comin.testing import model as M
from comin.testing.scenarios import (KINDS_DRAWN, LOOP_EP, NAMES, SECONDARY, _fill, metadata_strategy,
                                     model_op, op_line, parse_result, plugin_ops)

#: entry points the host may call in the time loop (not the constructors, not the end)
LOOP_EPS = list(range(2, 41))


class ComInLifecycle(RuleBasedStateMachine):
    """Host and plugins step by step, compared with :class:`comin.testing.model.Model`."""

    def __init__(self) -> None:
        super().__init__()
        self.host = None
        self.phase = "none"            # primary -> between -> timeloop

    # -- set-up ------------------------------------------------------------------------
    @initialize(n_plugins=st.integers(1, 3), n_dom=st.integers(1, 2), halo=st.booleans())
    def start(self, n_plugins: int, n_dom: int, halo: bool) -> None:
        from comin.host import Host, PluginDescription
        self.n_plugins, self.n_dom = n_plugins, n_dom
        self.model = M.Model("python")
        self.model.host_init([(f"p{pid}", "python") for pid in range(1, n_plugins + 1)])
        self.model_sync: List[tuple] = []
        self.model.emit = self.model_sync.append
        self.sync: List[tuple] = []
        self.pending: Dict[int, List[Tuple[str, tuple]]] = {p: [] for p in range(1, n_plugins + 1)}
        self.handles: Dict[int, dict] = {p: {} for p in range(1, n_plugins + 1)}
        self.ran: List[Tuple[int, int]] = []          # (plugin id, ep) of every callback that ran
        self.results: List[tuple] = []                # (plugin id, op, args, result) as comin gave them
        self.exposed: set = set()
        self.arrays: list = []
        plugins = [PluginDescription(name=f"p{pid}", constructor=self._constructor(pid))
                   for pid in range(1, n_plugins + 1)]
        self.host = Host(plugins)
        self.host.set_global(n_dom=n_dom, nproma=4, has_device=False)
        self.model.host_global(n_dom, 4, False)
        for jg in range(1, n_dom + 1):
            self.host.set_domain(jg, nlev=1 + jg, cells=dict(ncells=12 + jg, nblks=-(-(12 + jg) // 4)))
            self.model.host_domain(jg, 1 + jg, 12 + jg)
        if halo:
            self.host.set_sync_halo(lambda h, mode: self.sync.append(("halo", *h.descriptor, int(mode))))
            self.model.host_halo(False)
        self.phase = "primary"

    def teardown(self) -> None:
        if self.host is not None and not self.host.finalized:
            self.host.finalize()

    # -- plugin side ---------------------------------------------------------------------
    def _constructor(self, pid: int):
        def constructor():
            import comin
            comin.callback_register(SECONDARY, self._driver(pid, SECONDARY))
            comin.callback_register(LOOP_EP, self._driver(pid, LOOP_EP))
            self._perform(pid)
        return constructor

    def _driver(self, pid: int, ep: int):
        def callback():
            self.ran.append((pid, ep))
            self._perform(pid)
        return callback

    def _perform(self, pid: int) -> None:
        """Run plugin pid's pending operations here (inside its plugin context)."""
        from comin.testing.pyops import perform_one
        for name, args in self.pending[pid]:
            words = op_line("x", name, args).split()[2:]
            text = perform_one(name, words, self.handles[pid], lambda ep, pid=pid: self.ran.append((pid, ep)))
            self.results.append((pid, name, args, parse_result(text.split())))

    def _model_run(self, ops: Dict[int, list], ran: list, results: list):
        """The model's callback runner for the operations queued at this step."""
        def run(pid, ep, what):
            if what != "primary":
                ran.append((pid, ep))
            if what in ("secondary", "loop", "primary"):
                for name, args in ops[pid]:
                    results.append((pid, name, args, model_op(self.model, pid, name, args)))
        return run

    def _step(self, host_call, model_call) -> None:
        """One host call in comin and in the model; everything it caused must be equal."""
        import comin
        ops = {pid: list(p) for pid, p in self.pending.items()}
        self.ran.clear()
        self.results.clear()
        self.sync.clear()
        self.model_sync.clear()
        try:
            host_call()
            got = ("ok", "none")
        except comin.ComInError as exc:
            got = ("err", exc.code)
        except (ValueError, TypeError):
            got = ("err", M.C["COMIN_ERROR_STATUS"])
        ran: list = []
        results: list = []
        want = model_call(self._model_run(ops, ran, results))
        for p in self.pending:
            self.pending[p] = []
        for g, w in zip(self.results, results):
            assert g == w, f"plugin {g[0]}: comin.{g[1]}{g[2]!r} gave {g[3]}, the model {w[3]}"
        assert len(self.results) == len(results), (self.results, results)
        assert self.ran == ran, f"callbacks ran {self.ran}, the model {ran}"
        assert self.sync == self.model_sync, f"halo exchanges {self.sync}, the model {self.model_sync}"
        assert got == want, f"the host call gave {got}, the model {want}"

    # -- rules: constructors --------------------------------------------------------------
    @precondition(lambda self: self.phase in ("primary", "between"))
    @rule(data=st.data())
    def queue_constructor_op(self, data) -> None:
        """Plugin operations for the next constructor (primary, or secondary once the
        primary constructors ran)."""
        pid = data.draw(st.integers(1, self.n_plugins), label="plugin")
        phase = "primary" if self.phase == "primary" else "secondary"
        self.pending[pid].extend(data.draw(plugin_ops(self.n_dom, "python")[phase], label=f"{phase} operations"))

    @precondition(lambda self: self.phase == "primary")
    @rule()
    def run_primary_constructors(self) -> None:
        def model_call(run):
            def primary(pid):
                self.model.callback_register(pid, SECONDARY, "secondary")
                self.model.callback_register(pid, LOOP_EP, "loop")
                run(pid, 0, "primary")
            return self.model.host_primary(primary)
        self._step(self.host.run_primary_constructors, model_call)
        self.ran.clear()
        self.phase = "between"

    @precondition(lambda self: self.phase == "between")
    @rule(name=st.sampled_from(NAMES), jg=st.integers(1, 2), kind=st.sampled_from(KINDS_DRAWN),
          dtype=st.sampled_from("ddfi"), metadata=metadata_strategy())
    def expose(self, name: str, jg: int, kind: str, dtype: str, metadata: list) -> None:
        if jg > self.n_dom or (name, jg) in self.exposed:
            return
        from comin.testing.scenarios import _NP_DTYPE
        self.exposed.add((name, jg))
        dom = self.model.domains[jg]
        shape, sem, lcont, ncont = M.layout(kind, 4, dom["nlev"], dom["nblks"])
        arr = _fill(shape, _NP_DTYPE[dtype], jg)
        self.arrays.append(arr)
        self.host.expose(name, jg, arr, dim_semantics=sem, lcontainer=lcont, ncontained=ncont)
        assert self.model.host_expose(name, jg, kind, dtype, False) == ("ok", "none")
        for key, value in metadata:
            import comin
            try:
                self.host.set_metadata(name, jg, **{key: value})
                got = ("ok", "none")
            except comin.ComInError as exc:
                got = ("err", exc.code)
            assert got == self.model.host_metadata(name, jg, key, value)

    @precondition(lambda self: self.phase == "between")
    @rule()
    def secondary_constructor(self) -> None:
        self._step(lambda: self.host.call_ep(SECONDARY),
                   lambda run: self.model.host_call_ep(SECONDARY, -1, False, run))
        self.phase = "timeloop"

    # -- rules: the time loop ----------------------------------------------------------------
    @precondition(lambda self: self.phase == "timeloop")
    @rule(data=st.data())
    def time_loop_op(self, data) -> None:
        """Plugin operations inside its time-loop callback (the host calls EP_ATM_TIMELOOP_START)."""
        pid = data.draw(st.integers(1, self.n_plugins), label="plugin")
        self.pending[pid].extend(data.draw(plugin_ops(self.n_dom, "python")["loop"], label="time-loop operations"))
        jg = data.draw(st.sampled_from([-1] + list(range(1, self.n_dom + 1))), label="domain")
        self._step(lambda: self.host.call_ep(LOOP_EP, jg),
                   lambda run: self.model.host_call_ep(LOOP_EP, jg, False, run))

    @precondition(lambda self: self.phase == "timeloop")
    @rule(ep=st.sampled_from(LOOP_EPS), data=st.data())
    def host_calls_entry_point(self, ep: int, data) -> None:
        jg = data.draw(st.sampled_from([-1] + list(range(1, self.n_dom + 1))), label="domain")
        self._step(lambda: self.host.call_ep(ep, jg), lambda run: self.model.host_call_ep(ep, jg, False, run))

    # -- what must hold after every step -------------------------------------------------------
    @invariant()
    def access_lists_equal(self) -> None:
        if self.phase != "timeloop":
            return
        for ep in range(1, 43):
            for pid in range(1, self.n_plugins + 1):
                got = self.host.access_list(ep, pid)
                want = [(v.name, v.jg, f) for v, f in self.model.access.get((ep, pid), [])]
                assert got == want, f"access list of plugin {pid} at entry point {ep}: {got}, the model {want}"

    @invariant()
    def arrays_equal(self) -> None:
        """What plugins wrote through handles is in the host's arrays."""
        if self.host is None:
            return
        for arr, v in zip(self.arrays, self.model.var_order):
            assert float(arr.sum(dtype="float64")) == v.total(), f"host array ({v.name}, {v.jg})"

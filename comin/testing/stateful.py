"""ComIn's lifecycle as a hypothesis state machine: random sequences of host and plugin calls.

:class:`ComInLifecycle` drives a comin :class:`~comin.host.Host` with Python
plugins one step at a time and, beside it, the executable specification
(:mod:`comin.testing.model`).  Each step is one rule: a plugin operation
queued for the primary or the secondary constructor, the host running the
primary constructors, exposing a variable, calling the secondary constructor,
a plugin operation inside a time-loop callback, or the host calling any entry
point with any domain.  After every step the results, error codes, the order
in which callbacks ran and the access lists must equal the model's; a failure
shrinks to the shortest sequence of steps, which hypothesis prints.

Use it in a test module (as the conformance suite does)::

    from comin.testing.stateful import ComInLifecycle
    TestComInLifecycle = ComInLifecycle.TestCase

Plugin operations run inside plugin context exactly where ComIn allows a plugin
to act: the primary constructor, the secondary constructor (an
``EP_SECONDARY_CONSTRUCTOR`` callback) and a time-loop callback
(``EP_ATM_TIMELOOP_START``); each plugin registers those two "driver"
callbacks first, and every callback a plugin registers through an operation
records that it ran.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from comin.testing.model import Model
from comin.testing.scenarios import C, KEYS, LOOP_EP, NAMES, _call, _ops, _python_op, values

SECONDARY = C["EP_SECONDARY_CONSTRUCTOR"]
#: entry points the host may call in the time loop (not the constructors, not the end)
LOOP_EPS = [ep for ep in range(2, 41)]


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
        self.model = Model(n_dom, n_plugins, has_device=False, halo=halo)
        self.pending: Dict[int, List[Tuple[str, tuple]]] = {p: [] for p in range(1, n_plugins + 1)}
        self.ran: List[Tuple[int, int]] = []          # (plugin id, ep) of every callback that ran
        self.mismatches: List[str] = []
        self.exposed: set = set()
        plugins = [PluginDescription(name=f"p{pid}", constructor=self._constructor(pid))
                   for pid in range(1, n_plugins + 1)]
        self.host = Host(plugins)
        self.host.set_global(n_dom=n_dom, nproma=4, has_device=False)
        if halo:
            self.host.set_sync_halo(lambda handle, mode: None)
        self.phase = "primary"

    def teardown(self) -> None:
        if self.host is not None and not self.host.finalized:
            self.host.finalize()

    # -- plugin side ---------------------------------------------------------------------
    def _constructor(self, pid: int):
        def constructor():
            import comin
            for ep in (SECONDARY, LOOP_EP):              # the driver callbacks, first
                comin.callback_register(ep, self._driver(pid, ep))
                self.model.callback_register(pid, ep)
            self._perform(pid)
        return constructor

    def _driver(self, pid: int, ep: int):
        def callback():
            self.ran.append((pid, ep))
            self._perform(pid)
        return callback

    def _recorder(self, pid: int, ep: int):
        def callback():
            self.ran.append((pid, ep))
        return callback

    def _perform(self, pid: int) -> None:
        """Run plugin pid's pending operations here (inside its plugin context) and in the model."""
        import comin
        ops, self.pending[pid] = self.pending[pid], []
        for name, args in ops:
            if name == "callback_register":
                try:
                    comin.callback_register(args[0], self._recorder(pid, args[0]))
                    got = ("ok", None)
                except comin.ComInError as exc:
                    got = ("error", exc.code)
            else:
                got = _python_op(comin, name, args)
            want = _call(self.model, pid, name, args)
            if got != want:
                self.mismatches.append(f"plugin {pid}: comin.{name}{args!r} gave {got}, the model {want}")

    def _check(self) -> None:
        assert not self.mismatches, "\n".join(self.mismatches)

    # -- rules: constructors --------------------------------------------------------------
    @precondition(lambda self: self.phase in ("primary", "between"))
    @rule(data=st.data())
    def queue_constructor_op(self, data) -> None:
        """A plugin operation for the next constructor (primary, or secondary once the
        primary constructors ran)."""
        pid = data.draw(st.integers(1, self.n_plugins), label="plugin")
        phase = "primary" if self.phase == "primary" else "secondary"
        self.pending[pid].extend(data.draw(_ops(self.n_dom)[phase], label=f"{phase} operations"))

    @precondition(lambda self: self.phase == "primary")
    @rule()
    def run_primary_constructors(self) -> None:
        self.host.run_primary_constructors()
        self.model.complete_primary()
        self.phase = "between"
        self._check()

    @precondition(lambda self: self.phase == "between")
    @rule(name=st.sampled_from(NAMES), jg=st.integers(1, 2),
          metadata=st.dictionaries(st.sampled_from(KEYS), values, max_size=3),
          kind=st.sampled_from(["field", "field", "container", "irregular"]))
    def expose(self, name: str, jg: int, metadata: dict, kind: str) -> None:
        if jg > self.n_dom or (name, jg) in self.exposed:
            return
        self.exposed.add((name, jg))
        und = C["COMIN_DIM_SEMANTICS_UNDEF"]
        if kind == "container":
            self.host.expose(name, jg, np.zeros((4, 2, 3, 2), order="F"), lcontainer=True, ncontained=2,
                             metadata=metadata,
                             dim_semantics=(C["COMIN_DIM_SEMANTICS_NPROMA"], C["COMIN_DIM_SEMANTICS_LEVEL"],
                                            C["COMIN_DIM_SEMANTICS_BLOCK"], C["COMIN_DIM_SEMANTICS_CONTAINER"]))
        else:
            sem = (C["COMIN_DIM_SEMANTICS_NPROMA"], und if kind == "irregular" else C["COMIN_DIM_SEMANTICS_LEVEL"],
                   C["COMIN_DIM_SEMANTICS_BLOCK"])
            self.host.expose(name, jg, np.zeros((4, 2, 3), order="F"), metadata=metadata, dim_semantics=sem)
        self.model.expose(name, jg, dict(metadata, datatype=C["COMIN_VAR_DATATYPE_DOUBLE"]),
                          kind == "container", kind == "irregular")

    @precondition(lambda self: self.phase == "between")
    @rule()
    def secondary_constructor(self) -> None:
        self.ran.clear()
        self.host.call_ep(SECONDARY)
        self.model.end_secondary()
        self.phase = "timeloop"
        self._check()
        assert self.ran == [(pid, SECONDARY) for pid in self.model.callback_order(SECONDARY)]

    # -- rules: the time loop ----------------------------------------------------------------
    @precondition(lambda self: self.phase == "timeloop")
    @rule(data=st.data())
    def time_loop_op(self, data) -> None:
        """A plugin operation inside its time-loop callback (the host calls EP_ATM_TIMELOOP_START)."""
        pid = data.draw(st.integers(1, self.n_plugins), label="plugin")
        self.pending[pid].extend(data.draw(_ops(self.n_dom)["timeloop"], label="time-loop operations"))
        self._call_ep(LOOP_EP, 1)
        for p in self.pending:                       # a failed halo exchange skips a plugin
            self.pending[p] = []

    @precondition(lambda self: self.phase == "timeloop")
    @rule(ep=st.sampled_from(LOOP_EPS), data=st.data())
    def host_calls_entry_point(self, ep: int, data) -> None:
        jg = data.draw(st.sampled_from([-1] + list(range(1, self.n_dom + 1))), label="domain")
        self._call_ep(ep, jg)

    def _call_ep(self, ep: int, jg: int) -> None:
        """The host calls ep: callbacks in the model's order, halo exchanges around each
        plugin's callbacks (a failing one is ComIn's error of the host's call)."""
        import comin
        self.ran.clear()
        try:
            self.host.call_ep(ep, jg)
            got = None
        except comin.ComInError as exc:
            got = exc.code
        want, ran = self._expected_call(ep)
        self._check()
        assert got == want, f"call_ep({ep}, {jg}) gave error {got}, the model {want}"
        assert self.ran == ran, f"call_ep({ep}, {jg}): callbacks ran {self.ran}, the model {ran}"

    def _expected_call(self, ep: int):
        """(error code or None, callbacks that run) of a host call at ep, by the model.
        The operations themselves were compared while they ran."""
        order = self.model.callback_order(ep)
        ran: List[Tuple[int, int]] = []
        for pid in dict.fromkeys(order):             # plugin by plugin, in plugin order
            failed = self.model.halo_check(pid, ep, C["COMIN_FLAG_READ"])
            if failed is None:
                ran += [(pid, ep)] * order.count(pid)
                failed = self.model.halo_check(pid, ep, C["COMIN_FLAG_WRITE"])
            if failed is not None:
                return failed[1], ran
        return None, ran

    # -- what must hold after every step -------------------------------------------------------
    @invariant()
    def access_lists_equal(self) -> None:
        if self.phase != "timeloop":
            return
        for ep in range(1, 43):
            for pid in range(1, self.n_plugins + 1):
                got = self.host.access_list(ep, pid)
                want = self.model.access_list(ep, pid)
                assert got == want, f"access list of plugin {pid} at entry point {ep}: {got}, the model {want}"

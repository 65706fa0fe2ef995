"""An executable specification of ComIn's rules, in plain Python.

This model knows nothing of ``comin._core``: it restates ComIn 0.3's rules
(spec sections 1, 3, 7 and 9) as simply as they can be written, so that the
conformance suite can run the same scenario through the model and through
every API of comin and demand identical results and error codes.  Read it as
the definition of the behaviour it checks.

Conventions: every operation returns ``("ok", value)`` or ``("error", code)``
with ComIn's error code.  An operation that fails changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from comin import _table

C = _table.all_constants()
NUM_EPS = len(_table.ENTRY_POINTS)
READ, WRITE, SYNC_HALO, DEVICE = (C["COMIN_FLAG_READ"], C["COMIN_FLAG_WRITE"],
                                  C["COMIN_FLAG_SYNC_HALO"], C["COMIN_FLAG_DEVICE"])
SECONDARY = C["EP_SECONDARY_CONSTRUCTOR"]


def ok(value=None):
    return ("ok", value)


def error(name: str):
    return ("error", C[name])


def metadata_type(value) -> str:
    """ComIn's metadata type of a Python value (bool before int)."""
    if isinstance(value, bool):
        return "logical"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    if isinstance(value, str):
        return "character"
    raise TypeError(type(value).__name__)


@dataclass
class Request:
    exclusive: bool
    plugins: List[int]
    metadata: Dict[str, object] = field(default_factory=dict)


@dataclass
class Exposed:
    metadata: Dict[str, object]
    container: bool = False
    irregular: bool = False          # some dimension has DIM_SEMANTICS_UNDEF


class Model:
    """ComIn's state and rules for one run."""

    def __init__(self, n_dom: int, n_plugins: int, has_device: bool = False, halo: bool = True):
        self.n_dom = n_dom
        self.n_plugins = n_plugins
        self.has_device = has_device
        self.halo = halo
        self.phase = "primary"                      # primary -> secondary -> timeloop
        self.callbacks: List[Tuple[int, int]] = []  # (plugin id, ep) in registration order
        self.requests: Dict[Tuple[str, int], Request] = {}
        self.exposed: Dict[Tuple[str, int], Exposed] = {}
        self.access: Dict[Tuple[int, int], Dict[Tuple[str, int], int]] = {}

    # -- helpers -------------------------------------------------------------------
    def domains(self, jg: int) -> List[int]:
        """Domain id -1 means every domain."""
        return list(range(1, self.n_dom + 1)) if jg == -1 else [jg]

    # -- plugin operations -----------------------------------------------------------
    def callback_register(self, pid: int, ep: int):
        if not 1 <= ep <= NUM_EPS:
            return error("COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN")
        if self.phase != "primary":
            return error("COMIN_ERROR_CALLBACK_REGISTER_OUTSIDE_PRIMARYCONSTRUCTOR")
        self.callbacks.append((pid, ep))
        return ok()

    def callback_get_ep_name(self, ep: int):
        if not 1 <= ep <= NUM_EPS:
            return error("COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN")
        return ok(_table.ENTRY_POINTS[ep - 1])

    def var_request_add(self, pid: int, name: str, jg: int, exclusive: bool):
        if self.phase != "primary":
            return error("COMIN_ERROR_VAR_REQUEST_AFTER_PRIMARYCONSTRUCTOR")
        # domains are processed in order; a conflict stops at that domain
        for d in self.domains(jg):
            req = self.requests.get((name, d))
            if req is None:
                self.requests[(name, d)] = Request(exclusive, [pid])
                continue
            if req.exclusive:
                return error("COMIN_ERROR_VAR_REQUEST_EXISTS_IS_LMODEXCLUSIVE")
            if exclusive:
                return error("COMIN_ERROR_VAR_REQUEST_EXISTS_REQUEST_LMODEXCLUSIVE")
            if pid not in req.plugins:
                req.plugins.append(pid)
        return ok()

    def metadata_set(self, pid: int, name: str, jg: int, key: str, value):
        if self.phase != "primary":
            return error("COMIN_ERROR_METADATA_SET_OUTSIDE_PRIMARYCONSTRUCTOR")
        if key == "tracer" and value is True and jg != -1:
            return error("COMIN_ERROR_TRACER_REQUEST_NOT_FOR_ALL_DOMAINS")
        targets = [self.requests.get((name, d)) for d in self.domains(jg)]
        if any(r is None for r in targets):
            return error("COMIN_ERROR_VAR_DESCRIPTOR_NOT_FOUND")
        if any(key in r.metadata and metadata_type(r.metadata[key]) != metadata_type(value)
               for r in targets):
            return error("COMIN_ERROR_VAR_METADATA_INCONSISTENT_TYPE")
        for r in targets:
            r.metadata[key] = value
        return ok()

    def metadata_get(self, pid: int, name: str, jg: int, key: str):
        if self.phase == "primary":
            return error("COMIN_ERROR_METADATA_GET_INSIDE_PRIMARYCONSTRUCTOR")
        var = self.exposed.get((name, jg))
        if var is None:
            return error("COMIN_ERROR_VAR_ITEM_NOT_ASSOCIATED")
        if key not in var.metadata:
            return error("COMIN_ERROR_METADATA_KEY_NOT_FOUND")
        return ok(var.metadata[key])

    def var_get(self, pid: int, context: List[int], name: str, jg: int, flag: int):
        for ep in context:
            if not 1 <= ep <= NUM_EPS:
                return error("COMIN_ERROR_CALLBACK_EP_ID_UNKNOWN")
        if self.phase != "secondary":
            return error("COMIN_ERROR_VAR_GET_OUTSIDE_SECONDARY_CONSTRUCTOR")
        if flag & DEVICE and not self.has_device:
            return error("COMIN_ERROR_VAR_GET_NO_DEVICE")
        var = self.exposed.get((name, jg))
        if var is None:
            return error("COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND")
        if flag & SYNC_HALO:
            if var.container:
                return error("COMIN_ERROR_VAR_GET_CONTAINER_CAN_NOT_HALO_SYNCHRONIZED")
            if var.irregular:
                return error("COMIN_ERROR_VAR_GET_IRREGULAR_VAR_CAN_NOT_HALO_SYNCHRONIZED")
            if not self.halo:
                return error("COMIN_ERROR_VAR_SYNC_HALO_NOT_ASSOCIATED")
        for ep in context:
            if ep == SECONDARY:
                continue
            acc = self.access.setdefault((ep, pid), {})
            acc.setdefault((name, jg), flag)           # the first flag wins
        return ok((name, jg, flag))

    # -- host operations ----------------------------------------------------------------
    def complete_primary(self) -> None:
        self.phase = "secondary"

    def expose(self, name: str, jg: int, metadata: Dict[str, object], container=False,
               irregular=False) -> None:
        self.exposed[(name, jg)] = Exposed(dict(metadata), container, irregular)

    def end_secondary(self) -> None:
        self.phase = "timeloop"

    def halo_check(self, pid: int, ep: int, rw: int):
        """The halo exchange around a plugin's callbacks at ``ep``: before them for
        variables read with SYNC_HALO, after them for those written; only 2-D and
        3-D full-level variables (zaxis_id 1 or 2, 3-D when unset) can be exchanged."""
        for (name, jg), flag in self.access.get((ep, pid), {}).items():
            if flag & SYNC_HALO and flag & rw:
                zaxis = self.exposed[(name, jg)].metadata.get("zaxis_id", C["COMIN_ZAXIS_3D"])
                if zaxis not in (C["COMIN_ZAXIS_2D"], C["COMIN_ZAXIS_3D"]):
                    return error("COMIN_ERROR_VAR_SYNC_HALO_NOT_SUPPORTED_ZAXIS")
        return None

    def callback_order(self, ep: int) -> List[int]:
        """Plugin ids whose callbacks run at ``ep``: plugin order, then registration order."""
        return [pid for pid, e in sorted(self.callbacks, key=lambda c: c[0]) if e == ep]

    def access_list(self, ep: int, pid: int) -> List[Tuple[str, int, int]]:
        return [(n, j, f) for (n, j), f in self.access.get((ep, pid), {}).items()]


def expected(model: Model, pid: Optional[int], op: str, *args):
    """Apply ``op`` to the model (a tiny dispatcher the drivers share)."""
    return getattr(model, op)(pid, *args) if pid is not None else getattr(model, op)(*args)

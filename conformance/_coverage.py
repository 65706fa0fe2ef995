"""Which rule of the model was checked in which language during this run (rule x language).

Only the deterministic cases record (:func:`record`): a rule counts as covered in a
language when a fixed case made the model apply it with a plugin (or host) of that
language *and* comin's trace equalled the model's.  Random scenarios explore around
the fixed cases but add nothing here, so the coverage verdict of
``test_zz_coverage.py`` does not depend on the hypothesis seed.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, Set, Tuple

from comin.testing import model as M

COVERED: Dict[str, Set[str]] = defaultdict(set)


def record(model: M.Model) -> None:
    """The rules a model applied (call only after its trace equalled comin's)."""
    for rid, languages in model.fired.items():
        COVERED[rid] |= languages


def required() -> Dict[str, Tuple[str, Tuple[str, ...]]]:
    """Every rule (and order rule) with the languages where it can arise:
    rule id -> (kind, languages); kind: the rule's side, or ``order``."""
    out = {rid: (rule.side, rule.languages) for rid, rule in M.RULES.items()}
    out.update({rid: ("order", langs) for rid, (_routine, langs) in M.order_rules().items()})
    return out


def gaps() -> Dict[str, Tuple[str, ...]]:
    """rule id -> languages where it can arise but no fixed case checked it."""
    out = {}
    for rid, (_kind, langs) in required().items():
        missing = tuple(l for l in langs if l not in COVERED.get(rid, set()))
        if missing:
            out[rid] = missing
    return out

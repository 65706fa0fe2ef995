"""ComIn 0.2's functions and forms that 0.3 changed (comin.testing.model.V0_2): which of
them the core provides, in which language, behaving as 0.2 did.

They are being added by other work; until then they are listed in PENDING with what is
missing.  The test fails loudly both ways: a 0.2 function that stops conforming, and a
pending one that now conforms (remove it from PENDING, so it is checked from then on).
"""
import os
import re

import pytest

import comin
from comin import _table
from comin.host import Host, PluginDescription
from comin.testing import model as M

INCLUDE = comin.get_include()
FORTRAN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fortran_api")

#: (function, language) -> what the core lacks; must equal what the probes find
PENDING = {
    ("error_numbers", "python"): "the core reports 0.3's numbers only",
    ("error_numbers", "c"): "the core reports 0.3's numbers only",
    ("error_numbers", "fortran"): "the core reports 0.3's numbers only",
}


def _text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _c_declares(name):
    return re.search(rf"\b{name}\s*\(", _text(os.path.join(INCLUDE, "comin.h"))) is not None


def _f_exports(name):
    """Whether comin_plugin_interface makes ``name`` PUBLIC (in the module or in the files it
    includes: the generated comin_plugin_interface_*.inc)."""
    import glob
    text = "".join(_text(p) for p in [os.path.join(FORTRAN, "comin_plugin_interface.F90")]
                   + sorted(glob.glob(os.path.join(FORTRAN, "comin_plugin_interface_*.inc"))))
    return re.search(rf"PUBLIC\s*::[^\n]*\b{name}\b", text, re.IGNORECASE) is not None


def _python_in_plugin(body, verbosity=0):
    out = []
    with Host([PluginDescription(name="v02", constructor=lambda: out.append(body()))],
              verbosity=verbosity, lstdout=False) as h:
        h.set_global(n_dom=1, nproma=4)
        h.run_primary_constructors()
    return out[0]


def _python_pos():
    import numpy as np
    got = []

    def plugin():
        comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, lambda: got.append(
            comin.var_get([comin.EP_ATM_TIMELOOP_START], ("f", 1), comin.COMIN_FLAG_READ).pos))
    with Host([PluginDescription(name="v02", constructor=plugin)]) as h:
        h.set_global(n_dom=1, nproma=4)
        h.run_primary_constructors()
        h.expose("f", 1, np.zeros((4, 3), order="F"))          # 2-D: no level, no container
        h.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
    sem = (comin.COMIN_DIM_SEMANTICS_NPROMA, comin.COMIN_DIM_SEMANTICS_BLOCK) + (comin.COMIN_DIM_SEMANTICS_UNUSED,) * 3
    return tuple(got[0]) == M.var_get_pos_0_2(sem)


def conforms(function, language):
    if function == "setup_get_verbosity_level":
        if language == "python":
            fn = getattr(comin, "setup_get_verbosity_level", None)
            return fn is not None and _python_in_plugin(fn, verbosity=7) == 7
        return _c_declares("comin_setup_get_verbosity_level") if language == "c" else \
            _f_exports("comin_setup_get_verbosity_level")
    if function == "var_get_pos":
        return _python_pos() if language == "python" else _c_declares("comin_var_get_pos")
    if function in ("t_comin_var_ptr", "t_comin_var_descr_list_item"):
        return _f_exports(function)
    if function == "comin_var_to_3d":
        return _c_declares("comin_var_to_3d") if language == "c" else _f_exports("comin_var_to_3d")
    if function == "error_numbers":
        return False         # no 0.2 mode in the core: a var_get outside the secondary constructor is 30
    if function == "ep_ints":
        return isinstance(comin.EP_ATM_TIMELOOP_START, int) and comin.EP_ATM_TIMELOOP_START == 10
    if function == "c_0_2_names":
        text = _text(os.path.join(INCLUDE, "comin.h")) + _text(os.path.join(INCLUDE, "comin_global.inc")) \
            if os.path.exists(os.path.join(INCLUDE, "comin_global.inc")) else _text(os.path.join(INCLUDE, "comin.h"))
        return all(re.search(p, text) for p in (r"struct\s+t_comin_var_descriptor\b", r"\bMAX_LEN_VAR_NAME\b",
                                                r"\bCOMIN_TYPEID_INTEGER\b", r"\bFLAG_NONE\b"))
    raise ValueError(function)


@pytest.mark.parametrize("function, language",
                         [(f.name, lang) for f in M.V0_2 for lang in f.languages])
def test_0_2_function(function, language):
    ok = conforms(function, language)
    pending = PENDING.get((function, language))
    assert not (ok and pending), (f"{function} ({language}) conforms to 0.2 now: remove it from PENDING "
                                  f"(was: {pending})")
    assert ok or pending, f"{function} ({language}) does not behave as ComIn 0.2 and is not listed as pending"


def test_0_2_error_numbers():
    """The model's 0.2 numbering equals the table's (comin/_table.py, third column)."""
    for code, row in enumerate(_table.ERROR_CODES):
        assert M.code_0_2(code) == row[2], (code, row)

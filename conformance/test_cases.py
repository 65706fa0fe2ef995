"""The deterministic cases (conformance/cases.py): every rule of the model in every
language where it can arise, compared with the model line by line.

Plugin-side cases run with the plugins in Python, C and Fortran under comin's Python
host; host-side cases run with the host in Python, C (comin_host.h) and Fortran
(comin_host_interface); the matrix runs one scenario for every pair of host and plugin
language.  Each case must make the model apply the rules it is about.
"""
import pytest

import comin
from comin.testing import model as M
from comin.testing.scenarios import first_difference, run, run_model

import _coverage
from cases import CASES, matrix

PARAMS = [pytest.param(c, lang, id=f"{c.name[:60]}-{lang}") for c in CASES for lang in c.languages]


def check(scn, host_language, targets=(), target_language=None):
    model = M.Model(host_language)
    expected = run_model(scn, host_language, model)
    got = run(scn, host_language)
    assert got == expected, first_difference(expected, got) + "\n\nscenario:\n" + scn.script()
    for rid in targets:
        rule = M.RULES.get(rid) or M.RULES[rid.split("<")[0]]
        langs = rule.languages if rid in M.RULES else M.order_rules()[rid][1]
        lang = host_language if rule.side == "host" else target_language
        if lang in langs:
            assert lang in model.fired.get(rid, ()), f"the case did not apply rule {rid} ({lang})"
    _coverage.record(model)
    return got


@pytest.mark.parametrize("case, language", PARAMS)
def test_case(case, language):
    scn = case.build(language)
    host_language = language if case.side == "host" else "python"
    check(scn, host_language, case.targets, language)


@pytest.mark.parametrize("plugin_language", M.LANGUAGES)
@pytest.mark.parametrize("host_language", M.LANGUAGES)
def test_every_host_with_every_plugin_language(host_language, plugin_language):
    check(matrix(plugin_language), host_language)


def test_shipped_fixtures_compare_a_host_with_the_model(comin_host, comin_model):
    """comin.testing.fixtures as a host developer uses them: an exclusive request
    followed by a second one, in comin and in the model (code 21 in both)."""
    got = []

    def plugin():
        for exclusive in (True, False):
            try:
                comin.var_request_add(("x", 1), exclusive)
                got.append(("ok", "none"))
            except comin.ComInError as exc:
                got.append(("err", exc.code))

    host = comin_host(plugin)
    host.run_primary_constructors()
    model = comin_model()
    assert got == [model.var_request_add(1, "x", 1, True), model.var_request_add(1, "x", 1, False)]
    assert got[1] == ("err", comin.COMIN_ERROR_VAR_REQUEST_EXISTS_IS_LMODEXCLUSIVE)

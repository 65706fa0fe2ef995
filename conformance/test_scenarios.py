"""Random scenarios: comin's Python, C and Fortran APIs behave exactly as the executable specification."""
import tempfile

from hypothesis import given, settings

from comin.testing.scenarios import run_c, run_fortran, run_model, run_python, scenarios

import _codes as coverage


@given(scenarios())
def test_python_api_equals_the_model(scn):
    expected, expected_access = run_model(scn)
    got, got_access = run_python(scn)
    coverage.record_outcomes("python", got)
    for e, g in zip(expected, got):
        assert g == e, "first difference in scenario:\n" + scn.script()
    assert len(got) == len(expected)
    assert got_access == expected_access, "access lists differ in scenario:\n" + scn.script()


@settings(max_examples=100)
@given(scenarios())
def test_c_api_equals_the_model(scn):
    """The same scenarios through the C API: every plugin is conformance/c_driver/driver.c."""
    expected, expected_access = run_model(scn)
    with tempfile.TemporaryDirectory(prefix="comin_c_scn_") as workdir:
        got, got_access = run_c(scn, workdir)
    coverage.record_outcomes("c", got)
    for e, g in zip(expected, got):
        assert g == e, "first difference in scenario:\n" + scn.script()
    assert len(got) == len(expected), "outcome counts differ in scenario:\n" + scn.script()
    assert got_access == expected_access, "access lists differ in scenario:\n" + scn.script()


@settings(max_examples=60)
@given(scenarios())
def test_fortran_api_equals_the_model(scn):
    """The same scenarios through the Fortran API: every plugin is conformance/f_driver/driver.F90."""
    expected, expected_access = run_model(scn)
    with tempfile.TemporaryDirectory(prefix="comin_f_scn_") as workdir:
        got, got_access = run_fortran(scn, workdir)
    coverage.record_outcomes("fortran", got)
    for e, g in zip(expected, got):
        assert g == e, "first difference in scenario:\n" + scn.script()
    assert len(got) == len(expected), "outcome counts differ in scenario:\n" + scn.script()
    assert got_access == expected_access, "access lists differ in scenario:\n" + scn.script()

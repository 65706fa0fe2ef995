"""Random scenarios: comin's Python API behaves exactly as the executable specification."""
from hypothesis import given

from comin.testing.scenarios import run_model, run_python, scenarios

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
